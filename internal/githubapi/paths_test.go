package githubapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/secret"
)

// pathRecorder answers every request 404 and keeps the escaped path each
// one reached the server with.
type pathRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.paths = append(p.paths, r.URL.EscapedPath())
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"message":"Not Found"}`))
}

func (p *pathRecorder) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.paths
	p.paths = nil
	return out
}

// TestPathsKeepEverySegment calls every client method that puts a name
// into a request path, with the name in each place it can go. A name
// holding "/", "..", "?", "#" or "%" (say a workflow
// "../../../../orgs/acme/actions/secrets/X") is refused before any
// request, naming it; any other name reaches the server as exactly one
// segment, escaped, where the endpoint wants it, and nowhere else.
func TestPathsKeepEverySegment(t *testing.T) {
	rec := &pathRecorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Token: secret.New(adminToken), Limits: Limits{MaxWait: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sealed := Sealed{KeyID: "k1", EncryptedValue: "AAAA"}
	repoScope := func(v string) SecretScope { return SecretScope{App: "actions", Owner: "acme", Repo: v} }

	// Each call puts v in one place; want is the path it must reach, with
	// {} for v escaped as one segment (several requests may follow: each
	// must start so).
	calls := []struct {
		name string
		want string // or alsoWant
		call func(v string) error
	}{
		{"repository owner", "/repos/{}/api", func(v string) error { _, err := c.RepoPermissions(ctx, v, "api"); return err }},
		{"repository", "/repos/acme/{}", func(v string) error { _, err := c.RepoPermissions(ctx, "acme", v); return err }},
		{"organization membership", "/user/memberships/orgs/{}", func(v string) error { _, err := c.OrgRole(ctx, v); return err }},
		{"organization listing", "/orgs/{}/repos /repos/{}/api /repos/{}/web", func(v string) error {
			for _, a := range c.ReposPermissions(ctx, []string{v + "/api", v + "/web"}) {
				if a.Err != nil {
					return a.Err
				}
			}
			return nil
		}},
		{"repository public key", "/repos/acme/{}/actions/secrets/public-key", func(v string) error { _, err := c.PublicKey(ctx, repoScope(v)); return err }},
		{"environment public key", "/repos/acme/api/environments/{}/secrets/public-key", func(v string) error {
			_, err := c.PublicKey(ctx, SecretScope{App: "actions", Owner: "acme", Repo: "api", Environment: v})
			return err
		}},
		{"organization public key", "/orgs/{}/dependabot/secrets/public-key", func(v string) error {
			_, err := c.PublicKey(ctx, SecretScope{App: "dependabot", Org: v})
			return err
		}},
		{"secret name", "/repos/acme/api/actions/secrets/{}", func(v string) error {
			_, err := c.PutSecret(ctx, repoScope("api"), v, sealed, OrgSecretOptions{})
			return err
		}},
		{"secret exists", "/repos/acme/api/actions/secrets/{}", func(v string) error { _, err := c.SecretExists(ctx, repoScope("api"), v); return err }},
		{"organization secret", "/orgs/acme/actions/secrets/{}", func(v string) error {
			_, err := c.OrgSecret(ctx, SecretScope{App: "actions", Org: "acme"}, v)
			return err
		}},
		{"workflow", "/repos/acme/api/actions/workflows/{}", func(v string) error { _, err := c.GetWorkflow(ctx, "acme", "api", v); return err }},
		{"workflow dispatch", "/repos/acme/api/actions/workflows/{}/dispatches", func(v string) error {
			_, err := c.DispatchWorkflow(ctx, "acme", "api", v, "main", nil)
			return err
		}},
		{"workflow runs", "/repos/acme/api/actions/workflows/{}/runs", func(v string) error {
			_, err := c.ListWorkflowRuns(ctx, "acme", "api", v, RunFilter{})
			return err
		}},
		{"workflow run", "/repos/acme/{}/actions/runs/7", func(v string) error { _, err := c.GetWorkflowRun(ctx, "acme", v, 7); return err }},
		{"workflow file", "/repos/{}/api/contents/.github/workflows/deploy.yml", func(v string) error {
			_, err := c.WorkflowTrigger(ctx, v, "api", ".github/workflows/deploy.yml", "main")
			return err
		}},
		{"ref", "/repos/acme/{}/git/ref/heads/main /repos/acme/{}/git/ref/tags/main", func(v string) error { _, err := c.RefExists(ctx, "acme", v, "main"); return err }},
		{"alert", "/repos/{}/api/secret-scanning/alerts/1", func(v string) error { _, err := c.GetAlert(ctx, v, "api", 1); return err }},
		{"alert resolution", "/repos/acme/{}/secret-scanning/alerts/1", func(v string) error {
			_, err := c.ResolveAlert(ctx, "acme", v, 1, "revoked", "")
			return err
		}},
	}
	hostile := []string{"..", ".", "../../../../orgs/acme/actions/secrets/X", "a/b", "a/..", "x?per_page=1", "x#y", "%2e%2e", "a%2Fb", `a\..`, "a\nb"}
	odd := []string{"prod west", "we;ird@x+y:z=1,2&3", "café", "..x", "x..", "a.b"}
	for _, tc := range calls {
		for _, v := range hostile {
			if err := tc.call(v); err == nil {
				t.Errorf("%s %q: accepted", tc.name, v)
			}
			if got := rec.take(); len(got) > 0 {
				t.Errorf("%s %q: requests were sent: %v", tc.name, v, got)
			}
		}
		for _, v := range odd {
			_ = tc.call(v) // the server answers 404
			got := rec.take()
			if len(got) == 0 {
				t.Errorf("%s %q: no request reached the server", tc.name, v)
			}
			for _, p := range got {
				if !reachesOneOf(p, strings.Fields(tc.want), v) {
					t.Errorf("%s %q: request path %s, want %s with the name as one segment", tc.name, v, p, tc.want)
				}
			}
		}
	}
	// The names the inventory refuses with positions are refused here too,
	// as not valid names.
	for _, v := range []string{"..", "a/b", "x?y"} {
		if _, err := c.GetWorkflow(ctx, "acme", "api", v); !errors.Is(err, netsafe.ErrBadSegment) {
			t.Errorf("workflow %q: %v, want netsafe.ErrBadSegment", v, err)
		}
	}
}

// reachesOneOf reports whether the escaped request path p starts with the
// segments of one of the templates, {} standing for v as one segment.
func reachesOneOf(p string, templates []string, v string) bool {
	got := strings.Split(p, "/")
	for _, tmpl := range templates {
		want := strings.Split(tmpl, "/")
		if len(got) < len(want) {
			continue
		}
		ok := true
		for i, w := range want {
			if w == "{}" {
				w = v
			}
			if seg, err := url.PathUnescape(got[i]); err != nil || seg != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestMultiSegmentPaths: a branch or a workflow file path is several
// segments, each escaped on its own; an empty or dot segment is refused.
func TestMultiSegmentPaths(t *testing.T) {
	rec := &pathRecorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Token: secret.New(adminToken)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.RefExists(ctx, "acme", "api", "feature/x#1"); err != nil {
		t.Fatal(err)
	}
	got := rec.take()
	if want := []string{"/repos/acme/api/git/ref/heads/feature/x%231", "/repos/acme/api/git/ref/tags/feature/x%231"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ref requests = %v, want %v", got, want)
	}
	_, _ = c.WorkflowTrigger(ctx, "acme", "api", ".github/workflows/de ploy?.yml", "main")
	if got := rec.take(); len(got) != 1 || got[0] != "/repos/acme/api/contents/.github/workflows/de%20ploy%3F.yml" {
		t.Errorf("workflow file request = %v", got)
	}
	for _, bad := range []string{"../../orgs/acme/actions/secrets/X", ".github//deploy.yml", ".github/./x.yml", "a/../../b"} {
		if _, err := c.WorkflowTrigger(ctx, "acme", "api", bad, "main"); !errors.Is(err, netsafe.ErrBadSegment) {
			t.Errorf("WorkflowTrigger(%q) = %v, want it refused", bad, err)
		}
	}
	if _, err := c.RefExists(ctx, "acme", "api", "a//b"); !errors.Is(err, netsafe.ErrBadSegment) {
		t.Errorf("RefExists(a//b) = %v, want it refused", err)
	}
	if got := rec.take(); len(got) > 0 {
		t.Errorf("refused paths sent requests: %v", got)
	}
}
