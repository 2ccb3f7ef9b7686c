package sim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
)

// APIDrill is the request log's API for events of a drill that are not
// API requests (LogEvent): an inject, a trainee joining.
const APIDrill = "drill"

// SetActor names whoever holds credential (a GitHub token or an OpenAI
// key) in the request log. The name is shown; the credential never is.
func (s *Sim) SetActor(credential, name string) {
	if credential == "" {
		return
	}
	s.mu.Lock()
	s.actors[credential] = name
	s.mu.Unlock()
}

// actorOf names the sender of a request, from its credential.
func (s *Sim) actorOf(r *http.Request, api string) string {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	_, tok, _ := strings.Cut(auth, " ")
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return ""
	}
	s.mu.Lock()
	name, ok := s.actors[tok]
	s.mu.Unlock()
	if ok {
		return name
	}
	if api == APIOpenAI {
		name, _ = s.openai.ActorOf(tok)
		return name
	}
	name, _ = s.github.TokenLogin(tok)
	return name
}

// LogEvent records, in the request log, something a drill did that is not
// an API request (an inject): API is APIDrill, Start is now, Status 200
// unless set.
func (s *Sim) LogEvent(e RequestRecord) RequestRecord {
	e.API = APIDrill
	if e.Start == "" {
		e.Start = s.now().UTC().Format(time.RFC3339Nano)
	}
	if e.Status == 0 {
		e.Status = http.StatusOK
	}
	return s.log.add(e)
}

// Mount serves h for every path under prefix (which must start with "/_"
// and end with "/"), beside the control API and behind the same guard
// (control.go): a drill's controller mounts /_drill/ this way. Every
// route of h is the controller's unless h is an AccessRuler that says
// otherwise; CallerOf(r.Context()) says who sent a request.
func (s *Sim) Mount(prefix string, h http.Handler) error {
	if !strings.HasPrefix(prefix, "/_") || !strings.HasSuffix(prefix, "/") || prefix == controlPrefix {
		return fmt.Errorf("mount %q: a control prefix starts with /_, ends with / and is not /_sim/", prefix)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mounts[prefix] = h
	return nil
}

func (s *Sim) mounted(p string) http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	for prefix, h := range s.mounts {
		if p == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(p, prefix) {
			return h
		}
	}
	return nil
}

// Credentials are what one person gets to work in the simulated world: a
// GitHub token and an OpenAI admin key of their own, so the request log
// attributes their calls to them.
type Credentials struct {
	Name  string `json:"name"`
	Login string `json:"login"` // their GitHub login
	// AdminKeyID is their OpenAI admin key's ID.
	AdminKeyID  string       `json:"admin_key_id"`
	GitHubToken secret.Value `json:"-"`
	AdminKey    secret.Value `json:"-"`
}

var loginRe = regexp.MustCompile(`[^a-z0-9-]+`)

// Login turns a person's name into a GitHub login: "Alice Smith" is
// alice-smith.
func Login(name string) string {
	l := strings.Trim(loginRe.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-"), "-")
	if len(l) > 39 {
		l = strings.Trim(l[:39], "-")
	}
	return l
}

// AddPerson gives a person credentials of their own: a GitHub token of the
// user Login(name) with every permission except on readOnlyRepos
// (OWNER/NAME), where it may only read, and an OpenAI admin key named
// after them. Both are attributed to name in the request log.
func (s *Sim) AddPerson(name string, readOnlyRepos []string) (Credentials, error) {
	login := Login(name)
	if login == "" {
		return Credentials{}, errors.New("a name needs at least one letter or digit")
	}
	tok, err := randomToken()
	if err != nil {
		return Credentials{}, err
	}
	s.world.RLock()
	defer s.world.RUnlock()
	if _, taken := s.github.TokenLogin(tok); taken {
		return Credentials{}, errors.New("token collision; try again")
	}
	s.github.AddToken(tok, login, githubsim.AllPermissions)
	if len(readOnlyRepos) > 0 {
		if err := s.github.RestrictToken(tok, readOnlyRepos); err != nil {
			return Credentials{}, err
		}
	}
	k, err := s.openai.AddAdminKey("drill-"+login, s.now())
	if err != nil {
		return Credentials{}, err
	}
	c := Credentials{Name: name, Login: login, AdminKeyID: k.ID, GitHubToken: secret.New(tok), AdminKey: k.Value}
	s.SetActor(tok, name)
	s.SetActor(k.Value.Reveal(), name)
	return c, nil
}

// RestrictPerson changes where a person's token may only read (nil lifts
// every restriction).
func (s *Sim) RestrictPerson(c Credentials, readOnlyRepos []string) error {
	return s.github.RestrictToken(c.GitHubToken.Reveal(), readOnlyRepos)
}

// EnvFor is Env with a person's own credentials.
func (s *Sim) EnvFor(c Credentials) map[string]string {
	env := s.Env()
	env["OPENAI_ADMIN_KEY"] = c.AdminKey.Reveal()
	env["GITHUB_TOKEN"] = c.GitHubToken.Reveal()
	return env
}

func randomToken() (string, error) {
	b := make([]byte, 36)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a token: %w", err)
	}
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return "ghp_" + string(b), nil
}

// Now is the simulator's clock.
func (s *Sim) Now() time.Time { return s.now() }
