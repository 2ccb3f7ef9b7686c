package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
)

// LeakRequest says which key leaks where (POST /_sim/leak, Sim.LeakKey).
// At most one of Key, KeyID and Secret names the key; with none, it is the
// production key.
type LeakRequest struct {
	// Key is "production" (the default: the key the production
	// environment's secret holds now, which after a response is the
	// replacement; the scenario's leaked key when no target holds one) or
	// "leaked" (the scenario's leaked key).
	Key string `json:"key,omitempty"`
	// KeyID names a key by its ID: an OpenAI key (key_…) or a GitHub token
	// (its numeric ID in /_sim/state).
	KeyID string `json:"key_id,omitempty"`
	// Secret is a value to leak as is, of type SecretType (which may be
	// left out for an OpenAI key, a GitHub token, or a key a simulated
	// service issued).
	Secret     string `json:"secret,omitempty"`
	SecretType string `json:"secret_type,omitempty"`
	// Repo is where it is pushed: OWNER/NAME, or NAME in the scenario's
	// organization. Default: the repository of the scenario's alert.
	Repo string `json:"repo,omitempty"`
	// Path and Line are where the commit puts it. Default: .env, line 1.
	Path string `json:"path,omitempty"`
	Line int    `json:"line,omitempty"`
	// Pusher is the GitHub login of who pushed it (the webhooks' sender).
	// Default: the repository's owner.
	Pusher string `json:"pusher,omitempty"`
}

// LeakedAlert is the alert a leak opened or added a location to. It
// names the key by ID, never by value.
type LeakedAlert struct {
	// Alert is OWNER/REPO#N (respond leaked-key --alert).
	Alert  string `json:"alert"`
	Repo   string `json:"repo"`
	Number int    `json:"number"`
	// NewAlert is false when the secret already had an open alert in the
	// repository and the leak added a location to it.
	NewAlert       bool   `json:"new_alert"`
	URL            string `json:"url"`
	HTMLURL        string `json:"html_url"`
	SecretType     string `json:"secret_type"`
	KeyID          string `json:"key_id,omitempty"`
	Validity       string `json:"validity"`
	PubliclyLeaked bool   `json:"publicly_leaked"`
	Path           string `json:"path"`
	Line           int    `json:"line"`
	CommitSHA      string `json:"commit_sha"`
}

// LeakKey leaks a key into a repository as a push does (see
// githubsim.PlantSecret): a new commit location, and a new alert, or a
// location added to the open alert on the same secret; the webhooks fire
// (secret_scanning_alert created or secret_scanning_alert_location
// created, and publicly_leaked for a public repository). When the live
// world runs and the key is an OpenAI key that works, the attacker picks
// it up. An unknown key or repository wraps githubsim.ErrNotFound.
func (s *Sim) LeakKey(req LeakRequest) (LeakedAlert, error) {
	s.world.RLock()
	defer s.world.RUnlock()
	value, typ, keyID, err := s.leakValue(req)
	if err != nil {
		return LeakedAlert{}, err
	}
	info := s.Scenario()
	repo := req.Repo
	switch {
	case repo == "":
		repo = info.AlertRepo
	case !strings.Contains(repo, "/"):
		repo = info.Org + "/" + repo
	}
	owner, name, ok := cutRepo(repo)
	if !ok {
		return LeakedAlert{}, fmt.Errorf("leak into %q: give the repository as OWNER/NAME or NAME", repo)
	}
	res, err := s.github.PlantSecret(githubsim.Leak{Owner: owner, Repo: name, SecretType: typ, Secret: value.Reveal(),
		Path: req.Path, Line: req.Line, Pusher: req.Pusher})
	if err != nil {
		return LeakedAlert{}, err
	}
	out := LeakedAlert{Alert: fmt.Sprintf("%s#%d", repo, res.Number), Repo: repo, Number: res.Number, NewAlert: res.NewAlert,
		URL: res.URL, HTMLURL: res.HTMLURL, SecretType: typ, KeyID: keyID, Validity: res.Validity,
		PubliclyLeaked: res.PubliclyLeaked, Path: res.Location.Path, Line: res.Location.StartLine, CommitSHA: res.Location.CommitSHA}
	if typ == secretTypeOpenAI {
		s.Leak(value, "pushed to "+out.Alert)
	}
	return out, nil
}

// leakValue resolves which key a leak request names: its value, secret
// type and ID.
func (s *Sim) leakValue(req LeakRequest) (secret.Value, string, string, error) {
	named := 0
	for _, v := range []string{req.Key, req.KeyID, req.Secret} {
		if v != "" {
			named++
		}
	}
	if named > 1 {
		return secret.Value{}, "", "", errors.New("name the key one way: key, key_id or secret")
	}
	switch {
	case req.KeyID != "":
		if k, ok := s.openai.KeyByID(req.KeyID); ok {
			return k.Value, secretTypeOpenAI, k.ID, nil
		}
		if v, ok := s.github.Tokens().TokenByID(req.KeyID); ok {
			return secret.New(v), githubsim.TokenSecretType(v), req.KeyID, nil
		}
		return secret.Value{}, "", "", fmt.Errorf("no OpenAI key or GitHub token has ID %q (see /_sim/state): %w", req.KeyID, githubsim.ErrNotFound)
	case req.Secret != "":
		v := secret.New(req.Secret)
		typ, id := s.secretTypeOf(req.Secret)
		if req.SecretType != "" {
			typ = req.SecretType
		}
		if typ == "" {
			return secret.Value{}, "", "", errors.New("no simulated provider knows this secret: give its secret_type")
		}
		return v, typ, id, nil
	}
	var v secret.Value
	switch req.Key {
	case "", "production":
		v = s.productionKey()
	case "leaked":
		v = secret.New(s.LeakedKeyValue())
	default:
		return secret.Value{}, "", "", fmt.Errorf("key %q is not production or leaked (or name it with key_id)", req.Key)
	}
	if v.IsZero() {
		return secret.Value{}, "", "", fmt.Errorf("the scenario has no key to leak: %w", githubsim.ErrNotFound)
	}
	typ, id := s.secretTypeOf(v.Reveal())
	if typ == "" {
		typ = secretTypeOpenAI // it is in the place the scenario's OpenAI key lives
	}
	return v, typ, id, nil
}

// productionKey is the value the production environment's secret holds
// now, else the first repository's, else the scenario's leaked key.
func (s *Sim) productionKey() secret.Value {
	info := s.Scenario()
	refs := []githubsim.SecretRef{}
	if o, n, ok := cutRepo(info.EnvironmentRepo); ok && info.Environment != "" {
		refs = append(refs, githubsim.SecretRef{Level: githubsim.LevelEnvironment, Owner: o, Repo: n, Environment: info.Environment, Name: info.SecretName})
	}
	for _, r := range info.Repos {
		if o, n, ok := cutRepo(r); ok {
			refs = append(refs, githubsim.SecretRef{Level: githubsim.LevelRepo, Owner: o, Repo: n, Name: info.SecretName})
		}
	}
	for _, ref := range refs {
		if v, ok := s.github.SecretValue(ref); ok && v != "" {
			return secret.New(v)
		}
	}
	return secret.New(s.LeakedKeyValue())
}

// secretTypeOf finds which provider issued value: its secret type and the
// key's ID ("" and "" when none did).
func (s *Sim) secretTypeOf(value string) (typ, id string) {
	if k, ok := s.openai.KeyByValue(value); ok {
		return secretTypeOpenAI, k.ID
	}
	if t := githubsim.TokenSecretType(value); t != "" {
		id, _, _ := s.github.Tokens().KeyStatus(value, s.now())
		return t, id
	}
	for _, ki := range s.KeyIssuers() {
		if id, _, known := ki.KeyStatus(value, s.now()); known && len(ki.SecretTypes()) > 0 {
			return ki.SecretTypes()[0], id
		}
	}
	return "", ""
}

// serveLeak serves POST /_sim/leak: a LeakRequest (an empty body leaks the
// production key into the scenario's alert repository) and 201 with the
// LeakedAlert.
func (s *Sim) serveLeak(w http.ResponseWriter, r *http.Request) {
	var req LeakRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, controlError{"invalid leak JSON: " + err.Error()}, true)
		return
	}
	res, err := s.LeakKey(req)
	switch {
	case errors.Is(err, githubsim.ErrNotFound):
		writeJSON(w, http.StatusNotFound, controlError{err.Error()}, true)
	case err != nil:
		writeJSON(w, http.StatusBadRequest, controlError{err.Error()}, true)
	default:
		writeJSON(w, http.StatusCreated, res, true)
	}
}
