package githubapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
)

func TestNewValidatesConfig(t *testing.T) {
	tok := secret.New(adminToken)
	for _, tc := range []struct {
		base, want string // want: "" for success, else part of the error
	}{
		{"", ""},
		{"https://github.example.com/api/v3", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://localhost:8080/api/v3/", ""},
		{"http://[::1]:9/", ""},
		{"http://github.example.com/api/v3", "refusing to send the GitHub token over plain http"},
		{"ftp://x", "not an http(s) URL"},
		{"api.github.com", "not an http(s) URL"},
	} {
		c, err := New(Config{BaseURL: tc.base, Token: tok})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.base, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want %q", tc.base, err, tc.want)
		case err == nil && !strings.HasSuffix(c.gh.BaseURL.String(), "/"):
			t.Errorf("%q: base URL %s lacks the trailing slash", tc.base, c.gh.BaseURL)
		}
		noSecrets(t, err)
	}
	if c, _ := New(Config{Token: tok}); c.gh.BaseURL.String() != "https://api.github.com/" {
		t.Errorf("default base URL %s", c.gh.BaseURL)
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Errorf("no token: %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("GH_TOKEN", "")
	t.Setenv("GITHUB_API_URL", "")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN is not set") {
		t.Fatalf("no token: %v", err)
	}
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	t.Setenv("GH_TOKEN", adminToken)
	t.Setenv("GITHUB_API_URL", e.srv.URL+"/api/v3")
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.gh.BaseURL.String(); got != e.srv.URL+"/api/v3/" {
		t.Errorf("base URL %s", got)
	}
	login, err := c.User(context.Background())
	if err != nil || login != "alice" {
		t.Fatalf("User via GH_TOKEN and the enterprise prefix: %q %v", login, err)
	}
	t.Setenv("GITHUB_TOKEN", readToken) // GITHUB_TOKEN wins over GH_TOKEN
	c, _ = FromEnv()
	if login, _ := c.User(context.Background()); login != "bob" {
		t.Errorf("GITHUB_TOKEN not preferred: %q", login)
	}
	t.Setenv("GITHUB_API_URL", "http://github.example.com")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http to a remote host: %v", err)
	}
}

func TestUserAndRepoPermissions(t *testing.T) {
	ctx := context.Background()
	admin := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	if login, err := admin.c.User(ctx); err != nil || login != "alice" {
		t.Fatalf("User: %q %v", login, err)
	}
	p, err := admin.c.RepoPermissions(ctx, "acme", "api")
	if err != nil || !p.Admin || !p.Maintain || !p.Push || !p.Pull || !p.Private || p.ID != 1001 {
		t.Fatalf("admin permissions: %+v %v", p, err)
	}
	read := newEnv(t, githubsim.Options{}, readToken, Limits{})
	p, err = read.c.RepoPermissions(ctx, "acme", "web")
	if err != nil || p.Admin || p.Push || !p.Pull || p.Private || p.ID != 1002 {
		t.Fatalf("read-only permissions: %+v %v", p, err)
	}
	_, err = admin.c.RepoPermissions(ctx, "acme", "nope")
	if !is404(err) || !step.IsPermanent(err) || !strings.Contains(err.Error(), "acme/nope") {
		t.Errorf("missing repository: %v", err)
	}
	bad := newEnv(t, githubsim.Options{}, "ghp_not_a_known_token_000000000000", Limits{})
	_, err = bad.c.User(ctx)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 401 || !strings.Contains(err.Error(), "GITHUB_TOKEN") ||
		strings.Contains(err.Error(), "ghp_not_a_known") {
		t.Errorf("bad token: %v", err)
	}
	noSecrets(t, err)
	admin.conformant(t)
}

// sealedIn returns the simulator's decrypted value of a secret.
func sealedIn(sim *githubsim.Server, level, where, name string) (githubsim.SecretState, bool) {
	for _, s := range sim.Snapshot().Secrets {
		w := s.Owner + "/" + s.Repo
		if s.Environment != "" {
			w += "@" + s.Environment
		}
		if s.Org != "" {
			w = s.Org
		}
		if s.Level == level && w == where && s.Name == name {
			return s, true
		}
	}
	return githubsim.SecretState{}, false
}

func TestSecretsEveryScope(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	for _, tc := range []struct {
		scope SecretScope
		org   OrgSecretOptions
		level string
		where string
		ids   []int64
	}{
		{SecretScope{App: "actions", Owner: "acme", Repo: "api"}, OrgSecretOptions{}, githubsim.LevelRepo, "acme/api", nil},
		{SecretScope{App: "actions", Owner: "acme", Repo: "api", Environment: "production"}, OrgSecretOptions{}, githubsim.LevelEnvironment, "acme/api@production", nil},
		{SecretScope{App: "dependabot", Owner: "acme", Repo: "web"}, OrgSecretOptions{}, githubsim.LevelDependabot, "acme/web", nil},
		{SecretScope{App: "actions", Org: "acme"}, OrgSecretOptions{Visibility: "selected", SelectedRepos: []string{"api", "acme/web"}}, githubsim.LevelOrg, "acme", []int64{1001, 1002}},
		{SecretScope{App: "dependabot", Org: "acme"}, OrgSecretOptions{Visibility: "selected", SelectedRepos: []string{"docs"}}, githubsim.LevelDependabot, "acme", []int64{1003}},
	} {
		name := ScopeName(tc.scope)
		if ok, err := e.c.SecretExists(ctx, tc.scope, "OPENAI_API_KEY"); ok || err != nil {
			t.Fatalf("%s: exists before: %v %v", name, ok, err)
		}
		for i, v := range []string{"sk-first-value-000000000000", "sk-second-value-11111111111"} {
			pk, err := e.c.PublicKey(ctx, tc.scope)
			if err != nil {
				t.Fatalf("%s: public key: %v", name, err)
			}
			created, err := e.c.PutSecret(ctx, tc.scope, "OPENAI_API_KEY", seal(t, pk, v), tc.org)
			if err != nil || created != (i == 0) {
				t.Fatalf("%s: put #%d: created %v, %v", name, i, created, err)
			}
			st, ok := sealedIn(e.sim, tc.level, tc.where, "OPENAI_API_KEY")
			if !ok || st.Value != v {
				t.Fatalf("%s: the simulator holds %q (found %v), want %q", name, st.Value, ok, v)
			}
			if tc.scope.Org != "" && (st.Visibility != "selected" || !slices.Equal(st.SelectedRepositoryIDs, tc.ids)) {
				t.Errorf("%s: visibility %s ids %v", name, st.Visibility, st.SelectedRepositoryIDs)
			}
		}
		if ok, err := e.c.SecretExists(ctx, tc.scope, "openai_api_key"); !ok || err != nil {
			t.Fatalf("%s: exists after: %v %v", name, ok, err)
		}
	}
	// One public-key request per scope, and the selected repositories were
	// resolved once each.
	for _, p := range []string{"/repos/acme/api/actions/secrets/public-key", "/repos/acme/api/environments/production/secrets/public-key",
		"/repos/acme/web/dependabot/secrets/public-key", "/orgs/acme/actions/secrets/public-key", "/orgs/acme/dependabot/secrets/public-key"} {
		if n := e.rec.count("GET " + p); n != 1 {
			t.Errorf("GET %s sent %d times, want 1", p, n)
		}
	}
	if n := e.rec.exactly("GET /repos/acme/web") + e.rec.exactly("GET /repos/acme/api") + e.rec.exactly("GET /repos/acme/docs"); n != 3 {
		t.Errorf("selected repositories looked up %d times, want 3", n)
	}
	// The deprecated /repositories/{id}/environments path is never used.
	if n := e.rec.count("GET /repositories/") + e.rec.count("PUT /repositories/"); n != 0 {
		t.Errorf("old environment path used %d times", n)
	}
	e.conformant(t)
}

func TestOrgSecretKeepsVisibility(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	if err := e.sim.SetOrgSecret("acme", "SHARED", "old", "selected", []int64{1002, 1003}, t0); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetOrgSecret("acme", "ALL", "old", "all", nil, t0); err != nil {
		t.Fatal(err)
	}
	sc := SecretScope{App: "actions", Org: "acme"}
	pk, err := e.c.PublicKey(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"SHARED", "ALL", "FRESH"} {
		if _, err := e.c.PutSecret(ctx, sc, name, seal(t, pk, "new-value"), OrgSecretOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	want := map[string]string{"SHARED": "selected", "ALL": "all", "FRESH": "private"}
	for name, vis := range want {
		st, _ := sealedIn(e.sim, githubsim.LevelOrg, "acme", name)
		if st.Value != "new-value" || st.Visibility != vis {
			t.Errorf("%s: %q %s, want new-value %s", name, st.Value, st.Visibility, vis)
		}
	}
	if st, _ := sealedIn(e.sim, githubsim.LevelOrg, "acme", "SHARED"); !slices.Equal(st.SelectedRepositoryIDs, []int64{1002, 1003}) {
		t.Errorf("selected repositories changed: %v", st.SelectedRepositoryIDs)
	}
	_, err = e.c.PutSecret(ctx, sc, "X", seal(t, pk, "v"), OrgSecretOptions{Visibility: "selected", SelectedRepos: []string{"missing"}})
	if !is404(err) || !strings.Contains(err.Error(), "acme/missing") {
		t.Errorf("unknown selected repository: %v", err)
	}
	e.conformant(t)
}

func TestStaleKeyIsDropped(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	sc := SecretScope{App: "actions", Owner: "acme", Repo: "api"}
	old, err := e.c.PublicKey(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RotateRepoKey("acme", "api", "actions"); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.PutSecret(ctx, sc, "K", seal(t, old, "v"), OrgSecretOptions{})
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != http.StatusUnprocessableEntity {
		t.Fatalf("PUT with a stale key: %v", err)
	}
	cur, err := e.c.PublicKey(ctx, sc)
	if err != nil || cur.ID == old.ID {
		t.Fatalf("key after a 422: %v (old %v), %v", cur.ID, old.ID, err)
	}
	if _, err := e.c.PutSecret(ctx, sc, "K", seal(t, cur, "v"), OrgSecretOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestPublicKeyFetchedOnceConcurrently(t *testing.T) {
	e := newEnv(t, githubsim.Options{Latency: 20e6}, adminToken, Limits{})
	sc := SecretScope{App: "actions", Org: "acme"}
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Go(func() {
			pk, err := e.c.PublicKey(context.Background(), sc)
			if err != nil {
				t.Error(err)
			}
			ids[i] = pk.ID
		})
	}
	wg.Wait()
	if n := e.rec.count("GET /orgs/acme/actions/secrets/public-key"); n != 1 {
		t.Errorf("public key fetched %d times", n)
	}
	if ids[0] == "" || len(slices.Compact(slices.Clone(ids))) != 1 {
		t.Errorf("key IDs %v", ids)
	}
	// A failed fetch is not cached.
	bad := SecretScope{App: "actions", Owner: "acme", Repo: "nope"}
	for range 2 {
		if _, err := e.c.PublicKey(context.Background(), bad); !is404(err) {
			t.Fatalf("missing repository: %v", err)
		}
	}
	if n := e.rec.count("GET /repos/acme/nope/actions/secrets/public-key"); n != 2 {
		t.Errorf("failed fetch sent %d times, want 2 (not cached)", n)
	}
	if _, err := e.c.PublicKey(context.Background(), SecretScope{App: "codespaces", Owner: "a", Repo: "b"}); err == nil {
		t.Error("bad app accepted")
	}
}

func TestWriteNeedsPermission(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, readToken, Limits{})
	sc := SecretScope{App: "actions", Owner: "acme", Repo: "api"}
	pk, err := e.c.PublicKey(ctx, sc) // reading the key needs only read access
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.PutSecret(ctx, sc, "K", seal(t, pk, "v"), OrgSecretOptions{})
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 403 || !step.IsPermanent(err) ||
		!strings.Contains(err.Error(), "write secret K to acme/api") || !strings.Contains(err.Error(), "repo scope") {
		t.Errorf("403: %v", err)
	}
	var le *LimitError
	if errors.As(err, &le) || e.c.Stats().RateLimited != 0 {
		t.Errorf("a permission 403 was taken for a rate limit: %v", err)
	}
	noSecrets(t, err)
}

func TestAlerts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	a, err := e.c.GetAlert(ctx, "acme", "api", 1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Number != 1 || a.State != "open" || a.SecretType != "openai_api_key" || a.Secret.Reveal() != leaked ||
		!a.Created.Equal(t0) || !strings.HasSuffix(a.HTMLURL, "/acme/api/security/secret-scanning/1") {
		t.Fatalf("alert: %+v", a)
	}
	if len(a.Locations) != 2 || a.Locations[0].Path != ".env" || a.Locations[0].StartLine != 3 ||
		a.Locations[0].CommitSHA != "c0ffee" || a.Locations[1].Path != "config/app.yml" {
		t.Fatalf("locations: %+v", a.Locations)
	}
	if s := (func() string { return a.Secret.String() })(); strings.Contains(s, leaked) {
		t.Error("alert secret printable")
	}
	// Read once per client: a second read sends nothing.
	reads := e.rec.count("GET ")
	if again, err := e.c.GetAlert(ctx, "acme", "api", 1); err != nil || again.Number != 1 || len(again.Locations) != 2 || e.rec.count("GET ") != reads {
		t.Fatalf("second read: %+v %v (GETs %d→%d)", again, err, reads, e.rec.count("GET "))
	}
	r, err := e.c.ResolveAlert(ctx, "acme", "api", 1, "revoked", "Rotated by respond (incident X)")
	if err != nil || r.State != "resolved" || r.Resolution != "revoked" || r.Comment != "Rotated by respond (incident X)" {
		t.Fatalf("resolve: %+v %v", r, err)
	}
	patches := e.rec.count("PATCH ")
	// Once respond changed it, it is read afresh.
	if now, err := e.c.GetAlert(ctx, "acme", "api", 1); err != nil || now.State != "resolved" {
		t.Fatalf("read after resolve: %+v %v", now, err)
	}
	// Again: already resolved as revoked is success without a PATCH.
	r, err = e.c.ResolveAlert(ctx, "acme", "api", 1, "revoked", "again")
	if err != nil || r.State != "resolved" || r.Comment != "Rotated by respond (incident X)" || e.rec.count("PATCH ") != patches {
		t.Fatalf("re-resolve: %+v %v (PATCHes %d→%d)", r, err, patches, e.rec.count("PATCH "))
	}
	st := e.sim.Snapshot().Alerts[0]
	if st.State != "resolved" || *st.Resolution != "revoked" || *st.ResolutionComment != "Rotated by respond (incident X)" {
		t.Errorf("simulator alert: %+v", st)
	}
	// A different resolution is a change.
	if r, err := e.c.ResolveAlert(ctx, "acme", "api", 1, "used_in_tests", ""); err != nil || r.Resolution != "used_in_tests" {
		t.Errorf("change resolution: %+v %v", r, err)
	}
	_, err = e.c.GetAlert(ctx, "acme", "api", 99)
	if !is404(err) || !strings.Contains(err.Error(), "acme/api#99") {
		t.Errorf("missing alert: %v", err)
	}
	noSecrets(t, err)
	e.conformant(t)
}

// TestAlertLocationPathIsCleaned: a file name is whatever someone pushed;
// control characters in it stop at the client.
func TestAlertLocationPathIsCleaned(t *testing.T) {
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	if err := e.sim.SetAlertLocationPath("acme", "api", 1, "src/\x1b]0;t\x07a\u009b2J\nb.py"); err != nil {
		t.Fatal(err)
	}
	a, err := e.c.GetAlert(context.Background(), "acme", "api", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range a.Locations {
		if l.Path != "src/]0;ta2J b.py" {
			t.Errorf("location path %q", l.Path)
		}
	}
}
