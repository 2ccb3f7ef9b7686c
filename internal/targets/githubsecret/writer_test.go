package githubsecret_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/targets/githubsecret"
)

var ghTargets = []struct {
	t     target.Target
	level string
	where string
}{
	{target.New("github-actions", map[string]any{"repo": "acme/api", "secret": "OPENAI_API_KEY"}), githubsim.LevelRepo, "acme/api"},
	{target.New("github-actions", map[string]any{"repo": "acme/api", "environment": "production", "secret": "OPENAI_API_KEY"}), githubsim.LevelEnvironment, "acme/api@production"},
	{target.New("github-dependabot", map[string]any{"repo": "acme/web", "secret": "OPENAI_API_KEY"}), githubsim.LevelDependabot, "acme/web"},
	{target.New("github-actions", map[string]any{"org": "acme", "secret": "OPENAI_API_KEY", "visibility": "selected", "repos": []string{"api", "docs"}}), githubsim.LevelOrg, "acme"},
	{target.New("github-dependabot", map[string]any{"org": "acme", "secret": "OPENAI_API_KEY", "visibility": "all"}), githubsim.LevelDependabot, "acme"},
}

func TestGitHubSecretWriterCheckPlanWrite(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	p, c := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	w := githubsecret.New(p)
	for _, tc := range ghTargets {
		id := tc.t.ID()
		before := sim.Snapshot().Secrets
		if err := w.Check(ctx, tc.t); err != nil {
			t.Fatalf("%s: check: %v", id, err)
		}
		if after := sim.Snapshot().Secrets; !reflect.DeepEqual(before, after) {
			t.Fatalf("%s: check changed secrets", id)
		}
		for i, v := range []string{"sk-new-value-first-0000000000", "sk-new-value-second-111111111"} {
			reqs := c.Stats().Requests
			ch, err := w.Plan(ctx, tc.t)
			// An organization secret's plan reads its audience; a
			// repository's says create or replace without asking (the
			// write's answer tells which).
			wantAction, wantEffect := step.Update, "create or replace "
			if tc.t.Str("org") != "" {
				wantAction, wantEffect = []step.Action{step.Create, step.Update}[i], ""
			} else if n := c.Stats().Requests - reqs; n != 0 {
				t.Errorf("%s: plan #%d sent %d request(s)", id, i, n)
			}
			if err != nil || ch.Action != wantAction || ch.Target != id || !strings.Contains(ch.Effect, wantEffect+ghWhat(tc.t)+" OPENAI_API_KEY") {
				t.Fatalf("%s: plan #%d: %+v %v", id, i, ch, err)
			}
			res, err := w.Write(ctx, tc.t, secret.New(v))
			if err != nil || res.Created != (i == 0) {
				t.Fatalf("%s: write #%d: %+v %v", id, i, res, err)
			}
			if want := []string{"201 Created", "204 No Content (updated)"}[i]; res.Detail != want {
				t.Errorf("%s: detail %q", id, res.Detail)
			}
			st, ok := ghSecret(sim, tc.level, tc.where, "OPENAI_API_KEY")
			if !ok || st.Value != v {
				t.Fatalf("%s: simulator holds %q (found %v), want %q", id, st.Value, ok, v)
			}
			if tc.t.Str("org") != "" && st.Visibility != tc.t.Str("visibility") {
				t.Errorf("%s: visibility %q", id, st.Visibility)
			}
			if tc.t.Str("visibility") == "selected" && !slices.Equal(st.SelectedRepositoryIDs, []int64{1001, 1003}) {
				t.Errorf("%s: selected %v", id, st.SelectedRepositoryIDs)
			}
		}
	}
	ch, _ := w.Plan(ctx, ghTargets[3].t)
	if !strings.Contains(ch.Effect, "its audience stays selected repositories api, docs") || !strings.Contains(ch.Effect, "organization acme") || ch.Destructive {
		t.Errorf("org plan effect %q", ch.Effect)
	}
}

func TestGitHubSecretWriterCheckProblems(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	admin, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	read, _ := ghProviders(t, srv, ghRead, githubapi.Limits{})
	bad, _ := ghProviders(t, srv, "ghp_unknown_token_333333333333333333", githubapi.Limits{})
	repo := func(r string) target.Target {
		return target.New("github-actions", map[string]any{"repo": r, "secret": "K"})
	}
	for _, tc := range []struct {
		name string
		p    *plugin.Env
		t    target.Target
		want []string
	}{
		{"pull access", read, repo("acme/api"), []string{"github-actions:acme/api:K: the token cannot manage secrets of acme/api (it has pull access)", "Secrets: write"}},
		{"missing repository", admin, repo("acme/nope"), []string{"repository acme/nope is not visible to the token", "check the name"}},
		{"missing organization", admin, target.New("github-actions", map[string]any{"org": "nope", "secret": "K"}), []string{"organization nope is not visible to the token", "not a member"}},
		{"organization member (Actions)", read, target.New("github-actions", map[string]any{"org": "acme", "secret": "K"}),
			[]string{"github-actions:org/acme:K: the token's user is a member, not an owner, of organization acme, so it cannot manage organization secrets",
				"admin:org (classic)", "'Organization secrets: write' (fine-grained)"}},
		{"organization member (Dependabot)", read, target.New("github-dependabot", map[string]any{"org": "acme", "secret": "K", "visibility": "all"}),
			[]string{"a member, not an owner, of organization acme"}},
		{"missing selected repository", admin, target.New("github-actions", map[string]any{"org": "acme", "secret": "K", "visibility": "selected", "repos": []string{"api", "gone"}}),
			[]string{"repository acme/gone, selected for the organization secret, is not visible"}},
		{"bad token", bad, repo("acme/api"), []string{"401", "GITHUB_TOKEN"}},
		{"not configured", plugin.New(nil, nil, nil), repo("acme/api"), []string{"GitHub is not configured", "GITHUB_TOKEN"}},
		{"invalid target", admin, target.New("github-actions", map[string]any{"repo": "acme", "secret": "K"}), []string{`invalid repository "acme"`}},
	} {
		err := githubsecret.New(tc.p).Check(ctx, tc.t)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
		if tc.name != "invalid target" && !errors.Is(err, step.ErrPreflight) {
			t.Errorf("%s: not a preflight error: %v", tc.name, err)
		}
		if !step.IsPermanent(err) {
			t.Errorf("%s: not permanent: %v", tc.name, err)
		}
		ghNoSecrets(t, err.Error())
	}
	if n := len(sim.Snapshot().Secrets); n != 0 {
		t.Errorf("checks wrote %d secrets", n)
	}
	// The wrong type of target.
	if err := (githubsecret.New(admin)).Check(ctx, target.New("dotenv", map[string]any{"path": ".env", "var": "K"})); err == nil ||
		!strings.Contains(err.Error(), "github-actions and github-dependabot") {
		t.Errorf("dotenv target: %v", err)
	}
}

func ghWhat(t target.Target) string {
	if t.Type == "github-dependabot" {
		return "Dependabot secret"
	}
	return "Actions secret"
}

// What preflight no longer checks per target (it costs a request each)
// the write finds, after the revoke: the target fails alone, permanently,
// with the message preflight gave, and it is not a preflight problem
// (exit 5, not 4).
func TestGitHubSecretWriterLateChecks(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	admin, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	w := githubsecret.New(admin)
	v := secret.New("sk-new-value-late-check-000000")
	for _, tc := range []struct {
		name string
		t    target.Target
		want []string
	}{
		{"missing environment", target.New("github-actions", map[string]any{"repo": "acme/api", "environment": "staging", "secret": "K"}),
			[]string{`github-actions:acme/api@staging:K: environment "staging" does not exist in acme/api`, "Settings → Environments"}},
		{"missing repository", target.New("github-actions", map[string]any{"repo": "acme/gone", "secret": "K"}),
			[]string{"repository acme/gone is not visible to the token", "check the name"}},
		{"missing organization", target.New("github-actions", map[string]any{"org": "nope", "secret": "K"}),
			[]string{"organization nope is not visible to the token"}},
	} {
		// Preflight catches a missing environment too, before the revoke
		// (a request per repository with environment targets); the write
		// still says so if it comes to it.
		if err := w.Check(ctx, tc.t); tc.name == "missing environment" && (!errors.Is(err, step.ErrPreflight) || !strings.Contains(err.Error(), `environment "staging" does not exist in acme/api (it has production)`)) {
			t.Errorf("%s: preflight's batched check: %v, want the missing environment named", tc.name, err)
		}
		_, err := w.Write(ctx, tc.t, v)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q lacks %q", tc.name, err, want)
			}
		}
		if errors.Is(err, step.ErrPreflight) || !step.IsPermanent(err) || !errors.Is(err, step.ErrNotFound) {
			t.Errorf("%s: preflight %v, permanent %v, not found %v: %v", tc.name, errors.Is(err, step.ErrPreflight), step.IsPermanent(err), errors.Is(err, step.ErrNotFound), err)
		}
		ghNoSecrets(t, err.Error())
	}
	if n := len(sim.Snapshot().Secrets); n != 0 {
		t.Errorf("%d secrets written", n)
	}
}

func TestGitHubSecretWriterStaleKey(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	p, c := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	w := githubsecret.New(p)
	tg := ghTargets[0].t
	if _, err := w.Write(ctx, tg, secret.New("sk-new-value-before-rotation")); err != nil {
		t.Fatal(err)
	}
	// GitHub rotated the key after the client cached it.
	if err := sim.RotateRepoKey("acme", "api", "actions"); err != nil {
		t.Fatal(err)
	}
	res, err := w.Write(ctx, tg, secret.New("sk-new-value-after-rotation"))
	if err != nil || res.Created {
		t.Fatalf("write after rotation: %+v %v", res, err)
	}
	if st, _ := ghSecret(sim, githubsim.LevelRepo, "acme/api", "OPENAI_API_KEY"); st.Value != "sk-new-value-after-rotation" {
		t.Errorf("value %q", st.Value)
	}
	if s := c.Stats(); s.Requests != 5 { // key, PUT, PUT (422), key, PUT
		t.Errorf("requests %d", s.Requests)
	}
}

// TestGitHubSecretWriterTamperedCache: issue #17 item 7. A cached public
// key replaced by 32 random bytes under the same key_id made respond seal
// to it; GitHub answered 422 and respond did not retry. Now it reads the
// key again, retries once with GitHub's, and warns that the cache was
// wrong; the cache gets GitHub's key back.
func TestGitHubSecretWriterTamperedCache(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	cache := filepath.Join(t.TempDir(), "github-public-keys.jsonl")
	var warned []string
	newClient := func() *githubapi.Client {
		c, err := githubapi.New(githubapi.Config{BaseURL: srv.URL, Token: secret.New(ghAdmin), HTTPClient: srv.Client(), KeyCache: cache,
			Warn: func(s string) { warned = append(warned, s) }})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newClient()
	tg := ghTargets[0].t
	w := githubsecret.New(envWith(githubapi.SharedKey, c))
	if _, err := w.Write(ctx, tg, secret.New("sk-value-written-first-0000")); err != nil {
		t.Fatal(err)
	}
	// Someone replaces the cached key with their own, under the same ID.
	data, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]string
	if err := json.Unmarshal(bytes.TrimSpace(data), &line); err != nil {
		t.Fatal(err)
	}
	planted := make([]byte, 32)
	_, _ = rand.Read(planted)
	line["key"] = base64.StdEncoding.EncodeToString(planted)
	b, _ := json.Marshal(line)
	if err := os.WriteFile(cache, append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	c = newClient() // the next run reads the cache
	w = githubsecret.New(envWith(githubapi.SharedKey, c))
	res, err := w.Write(ctx, tg, secret.New("sk-value-written-after-the-plant"))
	if err != nil {
		t.Fatalf("write with the planted key: %v", err)
	}
	if st, _ := ghSecret(sim, githubsim.LevelRepo, "acme/api", "OPENAI_API_KEY"); st.Value != "sk-value-written-after-the-plant" {
		t.Errorf("GitHub holds %q", st.Value)
	}
	if !strings.Contains(res.Warning, "is not GitHub's key with that ID") || !strings.Contains(res.Warning, "github-public-keys.jsonl") {
		t.Errorf("warning = %q", res.Warning)
	}
	if s := c.Stats(); s.Requests != 3 { // PUT (422), key, PUT
		t.Errorf("requests %d, want 3", s.Requests)
	}
	// The cache holds GitHub's key again: the next run writes at once.
	c = newClient()
	w = githubsecret.New(envWith(githubapi.SharedKey, c))
	res, err = w.Write(ctx, tg, secret.New("sk-value-written-third-000000"))
	if err != nil || res.Warning != "" || c.Stats().Requests != 1 {
		t.Errorf("third write: %+v, %v, %d requests", res, err, c.Stats().Requests)
	}
	// A cache file others may write is not used at all, and the client
	// says so.
	if err := os.Chmod(cache, 0o666); err != nil {
		t.Fatal(err)
	}
	c = newClient()
	w = githubsecret.New(envWith(githubapi.SharedKey, c))
	if _, err := w.Write(ctx, tg, secret.New("sk-value-written-fourth-00000")); err != nil {
		t.Fatal(err)
	}
	if c.Stats().Requests != 2 || len(warned) != 1 || !strings.Contains(warned[0], "public-key cache") || !strings.Contains(warned[0], "chmod go-w") {
		t.Errorf("untrusted cache: %d requests (want 2: key, PUT), warnings %q", c.Stats().Requests, warned)
	}
}

func TestGitHubSecretWriterWriteErrors(t *testing.T) {
	ctx := context.Background()
	_, srv := ghWorld(t, githubsim.Options{})
	read, _ := ghProviders(t, srv, ghRead, githubapi.Limits{})
	v := secret.New("sk-new-value-never-written-0000")
	_, err := githubsecret.New(read).Write(ctx, ghTargets[0].t, v)
	if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "github-actions:acme/api:OPENAI_API_KEY") ||
		!strings.Contains(err.Error(), "403") {
		t.Fatalf("read-only write: %v", err)
	}
	ghNoSecrets(t, err.Error())
	if _, err := (githubsecret.New(read)).Write(ctx, ghTargets[0].t, secret.Value{}); err == nil {
		t.Error("empty value accepted")
	}
}

// orgRole is the real client with the organization role replaced, for
// roles the simulator does not model.
type orgRole struct {
	githubsecret.API
	role string
}

func (o orgRole) OrgRole(context.Context, string) (string, error) { return o.role, nil }

// Organization targets need an owner: a member's token passes every other
// check (it can read the organization's public key), so only the role can
// tell; a token that may not read its membership is told what to grant.
func TestGitHubSecretWriterCheckOrgRole(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	_, c := ghProviders(t, srv, ghRead, githubapi.Limits{})
	org := target.New("github-actions", map[string]any{"org": "acme", "secret": "K", "visibility": "selected", "repos": []string{"api"}})
	with := func(gh githubsecret.API) githubsecret.Writer {
		return githubsecret.New(envWith(githubapi.SharedKey, gh))
	}

	// The read-only token can read the public key; the role alone fails it.
	if _, err := c.PublicKey(ctx, githubsecret.ScopeOf(org)); err != nil {
		t.Fatalf("the read-only token cannot read the organization key: %v", err)
	}
	if err := with(c).Check(ctx, org); !errors.Is(err, step.ErrPreflight) || !strings.Contains(err.Error(), "a member, not an owner") {
		t.Errorf("member: %v", err)
	}
	// Any role other than admin is refused, named in words.
	err := with(orgRole{c, "billing_manager"}).Check(ctx, org)
	if !errors.Is(err, step.ErrPreflight) || !step.IsPermanent(err) ||
		!strings.Contains(err.Error(), "is a billing manager, not an owner, of organization acme") {
		t.Errorf("billing manager: %v", err)
	}
	// An owner passes, with the rest of the checks still made.
	if err := with(orgRole{c, "admin"}).Check(ctx, org); err != nil {
		t.Errorf("owner: %v", err)
	}
	gone := org.With("repos", []string{"gone"})
	if err := with(orgRole{c, "admin"}).Check(ctx, gone); err == nil || !strings.Contains(err.Error(), "acme/gone") {
		t.Errorf("owner, missing selected repository: %v", err)
	}
	// Repository targets do not ask for the organization role.
	if err := with(orgRole{c, "member"}).Check(ctx, target.New("github-actions", map[string]any{"repo": "acme/api", "secret": "K"})); err == nil ||
		!strings.Contains(err.Error(), "pull access") {
		t.Errorf("repository target: %v", err)
	}

	// GitHub refuses the membership read (a fine-grained token without
	// Members: read).
	forbid := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/user/memberships/orgs/") {
			githubsim.WriteError(w, http.StatusForbidden, "Resource not accessible by personal access token")
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(forbid.Close)
	p, _ := ghProviders(t, forbid, ghAdmin, githubapi.Limits{})
	err = githubsecret.New(p).Check(ctx, org)
	if !errors.Is(err, step.ErrPreflight) || !step.IsPermanent(err) {
		t.Fatalf("forbidden membership: %v", err)
	}
	for _, want := range []string{"cannot tell whether the token may manage secrets of organization acme", "403", "read:org", "'Members: read'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("forbidden membership: %q lacks %q", err, want)
		}
	}
	ghNoSecrets(t, err.Error())
	if n := len(sim.Snapshot().Secrets); n != 0 {
		t.Errorf("checks wrote %d secrets", n)
	}
}
