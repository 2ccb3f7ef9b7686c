package googlesim

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// Environment variables Env sets.
const (
	// EnvAPIKeysURL is the API Keys API's base URL respond reads
	// (option.WithEndpoint); default https://apikeys.googleapis.com/.
	EnvAPIKeysURL = "RESPOND_GOOGLE_APIKEYS_URL"
	// EnvGenerativeLanguageURL is the Generative Language API's base URL
	// respond checks keys against; default
	// https://generativelanguage.googleapis.com.
	EnvGenerativeLanguageURL = "RESPOND_GOOGLE_GENERATIVELANGUAGE_URL"
	// EnvCredentials is where Application Default Credentials find the
	// service account's key file.
	EnvCredentials = "GOOGLE_APPLICATION_CREDENTIALS"
	// EnvGcloudOverride points gcloud's API Keys commands at the fake.
	EnvGcloudOverride = "CLOUDSDK_API_ENDPOINT_OVERRIDES_APIKEYS"
)

// SecretType is the GitHub secret-scanning type of Google API keys.
const SecretType = "google_api_key"

// DefaultOperationDelay is how long an operation takes to report done
// unless Config says otherwise: long enough that a client polls.
const DefaultOperationDelay = 150 * time.Millisecond

// Config configures the fake.
type Config struct {
	// OperationDelay is how long (wall clock) a long-running operation
	// stays not done; zero means DefaultOperationDelay, a negative value
	// makes operations done in their first answer.
	OperationDelay time.Duration
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	now  func() time.Time
	rand io.Reader

	mu       sync.Mutex
	opDelay  time.Duration
	projects map[string]*project // by ID
	keys     []*key              // in creation order
	ops      map[string]*operation

	// Credentials outlive Reset: the exports printed at start stay valid.
	sa       *rsa.PrivateKey
	saKeyID  string
	tokenURI string
	tokens   map[string]bool
}

var (
	_ simapi.KeyIssuer   = (*Server)(nil)
	_ simapi.ErrorWriter = (*Server)(nil)
)

// New builds the fake with the default Config (a simapi.Factory).
func New(opts simapi.Options) simapi.Service { return NewServer(opts, Config{}) }

// NewWithConfig returns a simapi.Factory for a fake configured by cfg.
func NewWithConfig(cfg Config) simapi.Factory {
	return func(opts simapi.Options) simapi.Service { return NewServer(opts, cfg) }
}

// NewServer builds the fake.
func NewServer(opts simapi.Options, cfg Config) *Server {
	s := &Server{now: opts.Now, rand: opts.Rand, tokens: map[string]bool{}}
	if s.now == nil {
		s.now = time.Now
	}
	s.opDelay = cfg.OperationDelay
	if s.opDelay == 0 {
		s.opDelay = DefaultOperationDelay
	}
	s.Reset()
	return s
}

// Name implements simapi.Service.
func (s *Server) Name() string { return "google" }

// Prefix implements simapi.Service.
func (s *Server) Prefix() string { return "/google/" }

// SecretTypes implements simapi.KeyIssuer.
func (s *Server) SecretTypes() []string { return []string{SecretType} }

// Reset empties the world: no keys, no operations, only the default
// project. Credentials and access tokens stay valid.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects = map[string]*project{DefaultProject: {ID: DefaultProject, Number: projectNumber(DefaultProject)}}
	s.keys = nil
	s.ops = map[string]*operation{}
}

// SetOperationDelay changes how long operations stay not done (see
// Config.OperationDelay).
func (s *Server) SetOperationDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d == 0 {
		d = DefaultOperationDelay
	}
	s.opDelay = d
}

// AddProject makes a project exist (the caller may use it).
func (s *Server) AddProject(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addProject(id)
}

func (s *Server) addProject(id string) *project {
	if p, ok := s.projects[id]; ok {
		return p
	}
	p := &project{ID: id, Number: projectNumber(id)}
	s.projects[id] = p
	return p
}

// DenyProject takes the service account's permissions on a project away
// (denied) or gives them back: every call on it then answers 403
// PERMISSION_DENIED, as IAM does.
func (s *Server) DenyProject(id string, denied bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addProject(id).Denied = denied
}

// ServeHTTP serves a request whose path has the prefix stripped.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/token":
		if r.Method != http.MethodPost {
			notFoundPage(w, r)
			return
		}
		s.serveToken(w, r)
	case p == "/v1beta/models":
		if r.Method != http.MethodGet {
			notFoundPage(w, r)
			return
		}
		s.serveCheck(w, r)
	case strings.HasPrefix(p, "/v2/"):
		if e := s.authenticate(r); e != nil {
			writeError(w, e)
			return
		}
		s.serveAPIKeys(w, r)
	default:
		notFoundPage(w, r)
	}
}

// notFoundPage is Google's front end's answer to a path no API serves.
func notFoundPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, "<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title>"+
		"<p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL <code>"+htmlEscape(r.URL.Path)+
		"</code> was not found on this server. <ins>That’s all we know.</ins>\n")
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// authenticate checks the bearer access token.
func (s *Server) authenticate(r *http.Request) *googleError {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return unauthenticated(true)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tokens[tok] {
		return unauthenticated(false)
	}
	return nil
}

// purge forgets keys deleted more than 30 days before now. The caller
// holds s.mu.
func (s *Server) purge(now time.Time) {
	for _, k := range s.keys {
		if !k.deleted.IsZero() && !k.purged && !now.Before(k.deleted.Add(purgeAfter)) {
			k.purged = true
		}
	}
}

// Snapshot is the fake's world: projects, and keys with their values and
// states, in creation order.
func (s *Server) Snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge(s.now())
	type projectSnap struct {
		ID     string `json:"id"`
		Number string `json:"number"`
		Denied bool   `json:"denied,omitempty"`
	}
	type keySnap struct {
		keyJSON
		Project   string `json:"project"`
		State     string `json:"state"` // live, deleted, purged
		Uses      int    `json:"uses,omitempty"`
		LastUsed  string `json:"last_used,omitempty"`
		KeyString string `json:"keyString"`
	}
	out := struct {
		Projects   []projectSnap `json:"projects"`
		Keys       []keySnap     `json:"keys"`
		Operations int           `json:"operations"`
	}{Projects: []projectSnap{}, Keys: []keySnap{}, Operations: len(s.ops)}
	ids := make([]string, 0, len(s.projects))
	for id := range s.projects {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := s.projects[id]
		out.Projects = append(out.Projects, projectSnap{ID: p.ID, Number: p.Number, Denied: p.Denied})
	}
	for _, k := range s.keys {
		out.Keys = append(out.Keys, keySnap{keyJSON: k.render(false), Project: k.project, State: k.state(),
			Uses: k.uses, LastUsed: stamp(k.lastUsed), KeyString: k.keyString})
	}
	return out
}

// state is live, deleted or purged.
func (k *key) state() string {
	switch {
	case k.purged:
		return "purged"
	case !k.deleted.IsZero():
		return "deleted"
	}
	return "live"
}

// decodeBody decodes a JSON request body into v.
func decodeBody(r *http.Request, v any) *googleError {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return invalidArgument("Could not read the request body.")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return invalidArgument("Invalid JSON payload received. %s", err.Error())
	}
	return nil
}
