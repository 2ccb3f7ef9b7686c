package githubsecret_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/targets/githubsecret"
)

// reqLog records the requests a client sends: "METHOD path".
type reqLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (l *reqLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r.Method+" "+r.URL.Path)
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// count returns how many requests start with prefix, and all of them.
func (l *reqLog) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func (l *reqLog) total() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.reqs) }

// bigOrg is ghWorld plus 250 repositories of acme (svc-000 …) holding K.
func bigOrg(t *testing.T, tok string) (*githubsim.Server, githubsecret.Writer, *githubapi.Client, *reqLog, []target.Target) {
	t.Helper()
	sim, srv := ghWorld(t, githubsim.Options{})
	var ts []target.Target
	for i := range 250 {
		name := fmt.Sprintf("svc-%03d", i)
		if err := sim.AddRepo("acme", name, 50000+int64(i), true); err != nil {
			t.Fatal(err)
		}
		ts = append(ts, target.New("github-actions", map[string]any{"repo": "acme/" + name, "secret": "K"}))
	}
	log := &reqLog{next: srv.Client().Transport}
	c, err := githubapi.New(githubapi.Config{BaseURL: srv.URL, Token: secret.New(tok), HTTPClient: &http.Client{Transport: log}})
	if err != nil {
		t.Fatal(err)
	}
	p := envWith(githubapi.SharedKey, c)
	return sim, githubsecret.New(p), c, log, ts
}

// Preflight's GitHub check costs a few requests whatever the number of
// repositories: the organization's repositories are listed 100 a page
// (the pages after the first at once), the organization role is read
// once, and only a repository outside the list (a user's, or one that
// does not exist) costs a request of its own.
func TestGitHubSecretWriterCheckAllBatches(t *testing.T) {
	ctx := context.Background()
	_, w, _, log, ts := bigOrg(t, ghAdmin)
	ts = append(ts,
		target.New("github-actions", map[string]any{"repo": "acme/api", "environment": "production", "secret": "K"}),
		target.New("github-dependabot", map[string]any{"repo": "acme/web", "secret": "K"}),
		target.New("github-actions", map[string]any{"org": "acme", "secret": "K", "visibility": "selected", "repos": []string{"api", "svc-007"}}),
		target.New("github-dependabot", map[string]any{"org": "acme", "secret": "K", "visibility": "all"}),
		target.New("github-actions", map[string]any{"repo": "bob/tools", "secret": "K"}),
		// The same repository named in another case: asked once, found.
		target.New("github-dependabot", map[string]any{"repo": "ACME/Svc-001", "secret": "K"}),
	)
	for i, err := range w.CheckAll(ctx, ts) {
		if err != nil {
			t.Errorf("%s: %v", ts[i].ID(), err)
		}
	}
	// 253 repositories of acme: 3 pages, and a fourth fetched with them
	// in case there were more; bob/tools alone: one read; the role of the
	// token in acme: one read.
	if n := log.count("GET /orgs/acme/repos"); n != 4 {
		t.Errorf("%d pages of acme's repositories read, want 4", n)
	}
	// acme/api has an environment target: its environments, one read.
	if n, all := log.total(), log.reqs; n != 7 || log.count("GET /repos/bob/tools") != 1 || log.count("GET /user/memberships/orgs/acme") != 1 ||
		log.count("GET /repos/acme/api/environments") != 1 {
		t.Errorf("%d requests, want 7: %v", n, all)
	}
}

// Every target the token cannot write is named, from the same few
// requests; a repository missing from the list is read on its own, to
// tell a rename from a repository that is not there.
func TestGitHubSecretWriterCheckAllProblems(t *testing.T) {
	ctx := context.Background()
	_, w, _, log, ts := bigOrg(t, ghRead)
	ts = append(ts[:120], target.New("github-actions", map[string]any{"repo": "acme/gone", "secret": "K"}),
		target.New("github-actions", map[string]any{"org": "acme", "secret": "K"}))
	errs := w.CheckAll(ctx, ts)
	for i, err := range errs {
		want := "the token cannot manage secrets of " + ts[i].Str("repo") + " (it has pull access)"
		switch {
		case ts[i].Str("repo") == "acme/gone":
			want = "repository acme/gone is not visible to the token"
		case ts[i].Str("org") != "":
			want = "a member, not an owner, of organization acme"
		}
		if err == nil || !strings.HasPrefix(err.Error(), ts[i].ID()+": ") || !strings.Contains(err.Error(), want) ||
			!errors.Is(err, step.ErrPreflight) || !step.IsPermanent(err) {
			t.Errorf("%s: %v, want a preflight problem with %q", ts[i].ID(), err, want)
		}
	}
	if n := log.total(); n != 3+1+1 {
		t.Errorf("%d requests, want 3 pages, the missing repository and the role: %v", n, log.reqs)
	}
}

// Listing an organization of many repositories to check two of them
// would cost more than reading them: after the first page, the one not
// on it is read on its own rather than two more pages.
func TestGitHubSecretWriterCheckAllFewOfMany(t *testing.T) {
	ctx := context.Background()
	_, w, _, log, ts := bigOrg(t, ghAdmin)
	few := []target.Target{ts[5], ts[240]} // on the first page, on the third
	for i, err := range w.CheckAll(ctx, few) {
		if err != nil {
			t.Errorf("%s: %v", few[i].ID(), err)
		}
	}
	if n := log.total(); n != 2 || log.count("GET /orgs/acme/repos") != 1 || log.count("GET /repos/acme/svc-240") != 1 {
		t.Errorf("%d requests, want the first page and a read: %v", n, log.reqs)
	}
}

// The plan says what the deploy costs at GitHub's limits, counting the
// public keys the client does not hold; with many repositories of one
// organization holding the same secret it suggests an organization secret,
// as a follow-up.
func TestGitHubSecretWriterPlanNotes(t *testing.T) {
	ctx := context.Background()
	_, w, c, log, ts := bigOrg(t, ghAdmin)
	ts = append(ts, target.New("github-actions", map[string]any{"repo": "acme/api", "environment": "production", "secret": "K"}))
	// Unknown owner: the suggestion says it needs an organization.
	notes := w.PlanNotes(ctx, ts)
	if log.total() != 0 {
		t.Fatalf("the notes sent requests: %v", log.reqs)
	}
	if len(notes) != 2 {
		t.Fatalf("notes %+v", notes)
	}
	cost := notes[0]
	if cost.ID != "github-cost" || cost.Figures["writes"] != 251 || cost.Figures["reads"] != 251 ||
		cost.Figures["requests"] != 502 || cost.Figures["points"] != 251*6 || cost.Figures["seconds"] != 60 ||
		!strings.Contains(cost.Text, "251 GitHub secret write(s): 502 request(s) and 1,506 points (with 251 public-key read(s)): about 1 minute at GitHub's secondary limits (900 points a minute)") {
		t.Errorf("cost note %+v", cost)
	}
	org := notes[1]
	if org.ID != "github-org-secret" || org.Figures["repositories"] != 250 || org.FollowUp != "Hold K in an organization secret of acme instead of 250 repository secrets" ||
		!strings.Contains(org.Text, "K is copied into 250 repositories of acme") || !strings.Contains(org.Text, "If acme is a user") {
		t.Errorf("organization note %+v", org)
	}
	// Once preflight listed acme (an organization) and some keys are held,
	// the figures follow.
	_ = c.ReposPermissions(ctx, []string{"acme/api", "acme/web"})
	for _, tg := range ts[:100] {
		if _, err := c.PublicKey(ctx, githubsecret.ScopeOf(tg)); err != nil {
			t.Fatal(err)
		}
	}
	notes = w.PlanNotes(ctx, ts)
	if notes[0].Figures["reads"] != 151 || notes[0].Figures["points"] != 251*5+151 || strings.Contains(notes[1].Text, "If acme is a user") {
		t.Errorf("warm notes %+v", notes)
	}
	// A user's repositories get no suggestion.
	var bobs []target.Target
	for range 12 {
		bobs = append(bobs, target.New("github-actions", map[string]any{"repo": "bob/tools", "secret": "K"}))
	}
	_ = c.ReposPermissions(ctx, []string{"bob/tools", "bob/other"})
	if notes := w.PlanNotes(ctx, bobs); len(notes) != 1 || notes[0].Figures["reads"] != 1 {
		t.Errorf("a user's repositories: %+v", notes)
	}
}
