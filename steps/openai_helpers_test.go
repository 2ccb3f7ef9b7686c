package steps_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/openaiapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

// The openai.* steps are tested with the real client (internal/openaiapi,
// openai-go) against the real simulator, in the external test package
// because openaiapi imports steps.

const oaiIncident = "INC-20260301-120000-ab12"

var oaiT0 = time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)

// oaiWorld is a simulated organization: projects Production (proj_prod)
// and Dev (proj_dev); users alice (owner) and bob; alice's key
// "prod-backend" in Production (used at oaiT0+48h), bob's key "laptop" in
// Dev (never used), and service account "deployer" with its key in
// Production.
type oaiWorld struct {
	sim      *openaisim.Server
	url      string
	admin    openaisim.Key
	alice    openaisim.Key
	bob      openaisim.Key
	sa       openaisim.ServiceAccount
	saKey    openaisim.Key
	used     time.Time
	client   *openaiapi.Client
	p        *steps.Providers
	secrets  []secret.Value // every key value of the world, for leak checks
	logMu    sync.Mutex
	logLines []string
}

func oaiCheck(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newOAIWorld(t testing.TB, rnd io.Reader) *oaiWorld {
	t.Helper()
	s := openaisim.New(openaisim.Options{Rand: rnd})
	w := &oaiWorld{sim: s, used: oaiT0.Add(48 * time.Hour)}
	_, err := s.AddProject("proj_prod", "Production", oaiT0)
	oaiCheck(t, err)
	_, err = s.AddProject("proj_dev", "Dev", oaiT0)
	oaiCheck(t, err)
	oaiCheck(t, s.AddUser("user_alice", "Alice", "alice@example.com", "owner"))
	oaiCheck(t, s.AddUser("user_bob", "Bob", "bob@example.com", "member"))
	w.admin, err = s.AddAdminKey("ops", oaiT0)
	oaiCheck(t, err)
	w.alice, err = s.AddUserKey("proj_prod", "prod-backend", "user_alice", oaiT0.Add(time.Hour), &w.used)
	oaiCheck(t, err)
	w.bob, err = s.AddUserKey("proj_dev", "laptop", "user_bob", oaiT0.Add(2*time.Hour), nil)
	oaiCheck(t, err)
	w.sa, w.saKey, err = s.AddServiceAccount("proj_prod", "deployer", oaiT0.Add(3*time.Hour))
	oaiCheck(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/v1"
	w.client, err = openaiapi.New(openaiapi.Config{BaseURL: w.url, AdminKey: w.admin.Value})
	oaiCheck(t, err)
	w.p = steps.ProvidersWith(nil, map[string]any{openaiapi.SharedKey: w.client})
	w.secrets = []secret.Value{w.admin.Value, w.alice.Value, w.bob.Value, w.saKey.Value}
	return w
}

// call returns a call of the incident with a fresh secret registry.
func (w *oaiWorld) call(params map[string]any) *step.Call {
	return &step.Call{
		Incident: oaiIncident,
		StepID:   "s1",
		Params:   params,
		Secrets:  secret.NewRegistry(),
		Log: func(format string, args ...any) {
			w.logMu.Lock()
			defer w.logMu.Unlock()
			w.logLines = append(w.logLines, fmt.Sprintf(format, args...))
		},
	}
}

// noLeak fails if any secret value appears in the result's evidence,
// summary and non-secret outputs, in err, in the plan or in what the
// step logged. extra are more values to look for.
func (w *oaiWorld) noLeak(t *testing.T, kind step.Kind, res *step.Result, err error, extra ...secret.Value) {
	t.Helper()
	var texts []string
	if res != nil {
		ev, jerr := json.Marshal(res.Evidence)
		if jerr != nil {
			t.Fatalf("evidence does not marshal: %v", jerr)
		}
		texts = append(texts, string(ev), res.Summary, res.Note)
		spec := kind.Spec()
		for name, v := range res.Outputs {
			o, ok := spec.Output(name)
			if !ok {
				t.Errorf("output %q is not declared", name)
				continue
			}
			if o.Secret {
				_, isValue := v.(secret.Value)
				_, isCred := v.(secret.Credential)
				if !isValue && !isCred {
					t.Errorf("secret output %q is a %T, not a secret.Value or secret.Credential", name, v)
				}
				continue
			}
			if _, isSecret := v.(secret.Value); isSecret {
				t.Errorf("output %q holds a secret but is not declared secret", name)
			}
			texts = append(texts, fmt.Sprint(v))
		}
	}
	if err != nil {
		texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
	}
	w.logMu.Lock()
	texts = append(texts, w.logLines...)
	w.logMu.Unlock()
	all := strings.Join(texts, "\n")
	for _, v := range append(append([]secret.Value{}, w.secrets...), extra...) {
		if !v.IsZero() && strings.Contains(all, v.Reveal()) {
			t.Errorf("a secret value (%s) appears in the step's evidence, summary, outputs, error or log", v.Redacted())
		}
	}
}

// serviceAccounts returns the live service accounts of a project named
// name ("" for any name).
func (w *oaiWorld) serviceAccounts(project, name string) []openaisim.ServiceAccountState {
	var out []openaisim.ServiceAccountState
	for _, a := range w.sim.Snapshot().ServiceAccounts {
		if a.ProjectID == project && a.DeletedAt == "" && (name == "" || a.Name == name) {
			out = append(out, a)
		}
	}
	return out
}

// keyState returns the simulator's view of a key.
func (w *oaiWorld) keyState(id string) openaisim.KeyState {
	for _, k := range w.sim.Snapshot().Keys {
		if k.ID == id {
			return k
		}
	}
	return openaisim.KeyState{}
}

// oaiWantBadInput fails unless err is a permanent ErrBadInput whose message
// contains every fragment.
func oaiWantBadInput(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, steps.ErrBadInput) || !step.IsPermanent(err) {
		t.Errorf("error %q is not a permanent ErrBadInput", err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

// oaiSameTailRand is crypto/rand, except that every project key value it
// generates ends in "AAAA": openaisim draws a user key's 148 body
// characters in one read, one byte per character. Two user keys then
// share their first 8 and last 4 characters, and so their redacted value.
type oaiSameTailRand struct{}

func (oaiSameTailRand) Read(p []byte) (int, error) {
	n, err := rand.Read(p)
	if len(p) == 148 {
		copy(p[len(p)-4:], []byte{0, 0, 0, 0})
	}
	return n, err
}
