package githubapi

import (
	"context"
	crypto_rand "crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/step"

	"golang.org/x/crypto/nacl/box"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/spec"
)

const (
	adminToken = "ghp_githubapi_admin_token_0123456789"
	readToken  = "ghp_githubapi_read_only_token_987654"
	leaked     = "sk-proj-leakedleakedleakedleaked0000"
)

var t0 = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

// world seeds the standard test world: organization acme with repositories
// api (private, environment production, workflow deploy.yml with input
// reason, tag v1.2), web and docs,
// an admin token and a read-only token, and alert acme/api#1.
func world(t testing.TB, s *githubsim.Server) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddOrg("acme", 9001))
	must(s.AddRepo("acme", "api", 1001, true))
	must(s.AddRepo("acme", "web", 1002, false))
	must(s.AddRepo("acme", "docs", 1003, false))
	must(s.AddEnvironment("acme", "api", "production"))
	must(s.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "deploy.yml", ID: 7001, Dispatch: true,
		Inputs: []githubsim.WorkflowInput{{Name: "reason"}}}))
	must(s.AddTag("acme", "api", "v1.2"))
	s.AddToken(adminToken, "alice", githubsim.AllPermissions)
	s.AddToken(readToken, "bob", githubsim.Permissions{})
	if n := s.AddAlert("acme", "api", "openai_api_key", leaked, t0, []githubsim.Location{
		{Path: ".env", StartLine: 3, EndLine: 3, StartColumn: 16, EndColumn: 50, BlobSHA: "b10b", CommitSHA: "c0ffee"},
		{Path: "config/app.yml", StartLine: 9, EndLine: 9, StartColumn: 1, EndColumn: 35, BlobSHA: "b10c", CommitSHA: "c0ffef"},
	}); n != 1 {
		t.Fatalf("AddAlert = %d", n)
	}
}

// env is a simulator, a server for it (optionally behind faults), and a
// client whose traffic is checked against GitHub's OpenAPI description.
type env struct {
	sim    *githubsim.Server
	srv    *httptest.Server
	faults *faults
	ct     *spec.CheckingTransport
	rec    *recorder
	c      *Client
}

func newEnv(t testing.TB, opts githubsim.Options, tok string, lim Limits) *env {
	t.Helper()
	e := &env{sim: githubsim.New(opts), faults: &faults{}}
	world(t, e.sim)
	e.faults.next = e.sim
	e.srv = httptest.NewServer(e.faults)
	t.Cleanup(e.srv.Close)
	sp, err := spec.GitHub()
	if err != nil {
		t.Fatal(err)
	}
	e.rec = &recorder{next: e.srv.Client().Transport}
	e.ct = spec.NewCheckingTransport(sp, e.rec)
	e.c, err = New(Config{BaseURL: e.srv.URL, Token: secret.New(tok), HTTPClient: &http.Client{Transport: e.ct}, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// conformant fails on any spec violation other than allowed ones.
func (e *env) conformant(t *testing.T, allow ...string) {
	t.Helper()
	if e.ct.Checked() == 0 {
		t.Error("no response was validated against the spec")
	}
	for _, err := range e.ct.Errors() {
		ok := false
		for _, a := range allow {
			ok = ok || strings.Contains(err.Error(), a)
		}
		if !ok {
			t.Errorf("spec violation: %v", err)
		}
	}
}

// recorder records the method and path of every request sent.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.reqs {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

func (r *recorder) exactly(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.reqs {
		if x == s {
			n++
		}
	}
	return n
}

// faults answers the first n requests matching method and path suffix with
// write, and passes everything else to the simulator.
type faults struct {
	next  http.Handler
	mu    sync.Mutex
	rules []*fault
}

type fault struct {
	method, suffix string
	n              int
	write          func(w http.ResponseWriter)
}

func (f *faults) add(method, suffix string, n int, write func(w http.ResponseWriter)) {
	f.mu.Lock()
	f.rules = append(f.rules, &fault{method, suffix, n, write})
	f.mu.Unlock()
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	for _, x := range f.rules {
		if x.n > 0 && r.Method == x.method && strings.HasSuffix(r.URL.Path, x.suffix) {
			x.n--
			f.mu.Unlock()
			x.write(w)
			return
		}
	}
	f.mu.Unlock()
	f.next.ServeHTTP(w, r)
}

// fakeClock is a clock whose Sleep returns at once, advancing the time.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if d > 0 {
		c.t = c.t.Add(d)
		c.slept += d
	}
	c.mu.Unlock()
	return nil
}

// Wait advances the time by d at once; with d < 0 it waits for wake.
func (c *fakeClock) Wait(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if d >= 0 {
		return c.Sleep(ctx, d)
	}
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *fakeClock) total() time.Duration { c.mu.Lock(); defer c.mu.Unlock(); return c.slept }

// seal encrypts v for pk as go-github's example does.
func seal(t testing.TB, pk PublicKey, v string) Sealed {
	t.Helper()
	out, err := box.SealAnonymous(nil, []byte(v), &pk.Key, crypto_rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Sealed{KeyID: pk.ID, EncryptedValue: base64.StdEncoding.EncodeToString(out)}
}

// noSecrets fails if err's text holds a token or the leaked value.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{adminToken, readToken, leaked, "Bearer"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error discloses %q: %v", s[:8], err)
		}
	}
}

func is404(err error) bool { return errors.Is(err, step.ErrNotFound) }
