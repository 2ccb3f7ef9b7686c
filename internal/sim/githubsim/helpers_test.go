package githubsim_test

import (
	"context"
	crypto_rand "crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"golang.org/x/crypto/nacl/box"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/spec"
)

const (
	adminToken = "ghp_admin_token_for_tests"
	readToken  = "ghp_read_only_token_for_tests"
	orgID      = int64(9001)
	apiRepoID  = int64(1001)
	webRepoID  = int64(1002)
	docsRepoID = int64(1003)
)

var t0 = time.Date(2025, time.March, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable fake time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// seededRand returns a deterministic reader, as the composition uses.
func seededRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// seed builds the standard test world: organization acme with three
// repositories (api private with a production environment and a workflow
// deploy.yml with inputs reason and n,
// web public, docs public), a user repository, two tokens and one alert.
func seed(t *testing.T, s *githubsim.Server) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddOrg("acme", orgID))
	must(s.AddRepo("acme", "api", apiRepoID, true))
	must(s.AddRepo("acme", "web", webRepoID, false))
	must(s.AddRepo("acme", "docs", docsRepoID, false))
	must(s.AddRepo("alice", "tools", 2001, false))
	must(s.AddEnvironment("acme", "api", "production"))
	must(s.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "deploy.yml", ID: 7001, Dispatch: true,
		Inputs: []githubsim.WorkflowInput{{Name: "reason"}, {Name: "n"}}}))
	s.AddToken(adminToken, "alice", githubsim.AllPermissions)
	s.AddToken(readToken, "bob", githubsim.Permissions{})
	if n := s.AddAlert("acme", "api", "openai_api_key", "sk-proj-leaked", t0, []githubsim.Location{
		{Path: ".env", StartLine: 3, EndLine: 3, StartColumn: 16, EndColumn: 180, BlobSHA: "b10b", CommitSHA: "c0ffee"},
		{Path: "config/app.yml", StartLine: 9, EndLine: 9, StartColumn: 1, EndColumn: 164, BlobSHA: "b10c", CommitSHA: "c0ffef"},
		{Path: "README.md", StartLine: 40, EndLine: 40, StartColumn: 5, EndColumn: 168, BlobSHA: "b10d", CommitSHA: "c0fff0"},
	}); n != 1 {
		t.Fatalf("AddAlert returned %d, want 1", n)
	}
}

// newSim starts a seeded simulator with a fake clock.
func newSim(t *testing.T, opts githubsim.Options) (*githubsim.Server, *httptest.Server, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.Rand == nil {
		opts.Rand = seededRand(1)
	}
	sim := githubsim.New(opts)
	t.Cleanup(sim.Close) // webhook deliveries in flight end
	seed(t, sim)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	sim.SetPublicURL(srv.URL)
	return sim, srv, clk
}

func githubSpec(t *testing.T) *spec.Spec {
	t.Helper()
	sp, err := spec.GitHub()
	if err != nil {
		t.Fatalf("load GitHub spec: %v", err)
	}
	return sp
}

// newClient returns a go-github v60 client for srv, authenticated with tok,
// whose traffic is validated against the spec. With enterprise it uses
// WithEnterpriseURLs (paths under /api/v3); otherwise BaseURL is srv.URL+"/".
func newClient(t *testing.T, srv *httptest.Server, tok string, enterprise bool) (*github.Client, *spec.CheckingTransport) {
	t.Helper()
	return newClientOver(t, srv, tok, enterprise, srv.Client().Transport)
}

// newClientOver is newClient with the checking transport sending through next.
func newClientOver(t *testing.T, srv *httptest.Server, tok string, enterprise bool, next http.RoundTripper) (*github.Client, *spec.CheckingTransport) {
	t.Helper()
	ct := spec.NewCheckingTransport(githubSpec(t), next)
	c := github.NewClient(&http.Client{Transport: ct}).WithAuthToken(tok)
	if enterprise {
		var err error
		c, err = c.WithEnterpriseURLs(srv.URL+"/api/v3/", srv.URL+"/api/uploads/")
		if err != nil {
			t.Fatal(err)
		}
	} else {
		u, err := url.Parse(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		c.BaseURL = u
	}
	return c, ct
}

// assertConformant fails unless ct validated at least one response and
// recorded no error other than the allowed ones: an error is allowed when
// its text contains one of allow (used for requests a test makes
// deliberately invalid, and for go-github v60's /repositories/{id}/...
// environment paths that the current description no longer has).
func assertConformant(t *testing.T, ct *spec.CheckingTransport, allow ...string) {
	t.Helper()
	if ct.Checked() == 0 {
		t.Error("no response was validated against the spec")
	}
	for _, err := range ct.Errors() {
		allowed := false
		for _, a := range allow {
			if strings.Contains(err.Error(), a) {
				allowed = true
			}
		}
		if !allowed {
			t.Errorf("spec violation: %v", err)
		}
	}
}

// deliberatelyInvalidRequest matches the checking transport's errors about
// request bodies a test sends invalid on purpose.
const deliberatelyInvalidRequest = "request body: body does not match the schema"

// seal encrypts value for pk exactly as go-github's
// example/newreposecretwithxcrypto does.
func seal(t *testing.T, pk *github.PublicKey, value string) string {
	t.Helper()
	decoded, err := base64.StdEncoding.DecodeString(pk.GetKey())
	if err != nil {
		t.Fatalf("decode public key: %v", err)
	}
	var boxKey [32]byte
	copy(boxKey[:], decoded)
	out, err := box.SealAnonymous([]byte{}, []byte(value), &boxKey, crypto_rand.Reader)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

// errStatus returns the HTTP status of a go-github error, or 0.
func errStatus(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

func errMessage(err error) string {
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		return er.Message
	}
	return ""
}

// doRaw sends a hand-built request through the go-github client (so it is
// validated too) and returns the response status.
func doRaw(t *testing.T, c *github.Client, method, path string, body any, v any) (*github.Response, error) {
	t.Helper()
	req, err := c.NewRequest(method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(context.Background(), req, v)
}

// findSecret returns the snapshot secret matching level, name and scope.
func findSecret(st githubsim.State, level, scope, name string) (githubsim.SecretState, bool) {
	for _, s := range st.Secrets {
		sc := s.Org
		if s.Repo != "" {
			sc = s.Owner + "/" + s.Repo
		}
		if s.Environment != "" {
			sc += ":" + s.Environment
		}
		if s.Level == level && sc == scope && s.Name == name {
			return s, true
		}
	}
	return githubsim.SecretState{}, false
}
