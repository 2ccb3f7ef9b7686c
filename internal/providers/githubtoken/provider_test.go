package githubtoken

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/step"
)

// world is the simulator's GitHub half and the provider configured from
// its exports, as respond builds it.
type world struct {
	sim    *sim.Sim
	tokens *githubsim.TokenIssuer
	env    *plugin.Env
}

func startWorld(t *testing.T, limits sim.GitHubLimits) *world {
	t.Helper()
	s, err := sim.Start(context.Background(), sim.Options{Seed: 3, GitHub: limits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	env := s.Env()
	return &world{sim: s, tokens: s.GitHub().Tokens(), env: plugin.New(func(k string) string { return env[k] }, nil, nil)}
}

// issue makes a live token of login, of kind, with permissions.
func (w *world) issue(t *testing.T, login, kind, perms string) simapi.IssuedKey {
	t.Helper()
	k, err := w.tokens.IssueKey(simapi.IssueRequest{Scope: login, Name: "ci deploys", Attrs: map[string]string{"kind": kind, "permissions": perms}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// live is the simulator's truth about a token.
func (w *world) live(value string) bool {
	_, live, _ := w.tokens.KeyStatus(value, time.Now())
	return live
}

func cred(v string) secret.Credential {
	return secret.NewCredential(Name, secret.SecretPart("key", secret.New(v)))
}

func TestPaste(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sim.GitHubLimits{})
	for _, kind := range []string{githubsim.TokenClassic, githubsim.TokenFineGrained, githubsim.TokenOAuth, githubsim.TokenAppUser} {
		k := w.issue(t, "carol", kind, "")
		p, ok, err := paste("GH_TOKEN=" + k.Value)
		if m, _ := p.Credential.Main(); !ok || err != nil || m.Value().Reveal() != k.Value {
			t.Errorf("paste(a %s token) = %v, %v; want it recognised", kind, ok, err)
		}
	}
	for raw, want := range map[string]string{
		"ghr_" + strings.Repeat("a", 36):                    "refresh token",
		"ghs_" + strings.Repeat("b", 36):                    "installation token",
		"ghp_" + strings.Repeat("c", 20) + " " + "dddddddd": "spaces",
	} {
		if _, ok, err := paste(raw); !ok || err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("paste(%s…) = %v, %v; want it refused, saying %q", raw[:6], ok, err, want)
		}
	}
	if _, ok, _ := paste("sk-proj-" + strings.Repeat("a", 40)); ok {
		t.Errorf("an OpenAI key is taken for a GitHub token")
	}
}

func TestIdentifyRevokeAndTheOwnersNextStep(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sim.GitHubLimits{})
	ctx := context.Background()
	a := newAdapter(w.env)
	k := w.issue(t, "dana", githubsim.TokenClassic, "all")

	info, err := a.FindByValue(ctx, "", cred(k.Value))
	if err != nil || info == nil || info.Owner.ID != "dana" || info.Scope != "dana" || !strings.HasPrefix(info.ID, "token_") {
		t.Fatalf("FindByValue = %+v, %v; want dana's token", info, err)
	}
	if strings.Contains(info.ID, k.Value[4:16]) {
		t.Errorf("the token's ID %s holds part of its value", info.ID)
	}
	if got := info.Attrs["scopes"]; got != "admin:org, read:org, repo, security_events, workflow" {
		t.Errorf("scopes = %q; want the token's X-OAuth-Scopes", got)
	}
	if other, err := a.FindByValue(ctx, "erin", cred(k.Value)); err != nil || other != nil {
		t.Errorf("FindByValue in erin's account = %+v, %v; want not found", other, err)
	}

	ev, err := a.Revoke(ctx, *info, t.Logf)
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if w.live(k.Value) {
		t.Fatal("the simulator says the token works after Revoke")
	}
	for _, want := range []string{"dana", "personal access token (classic)", "admin:org, read:org, repo, security_events, workflow"} {
		if !strings.Contains(ev.Method, want) {
			t.Errorf("the revoke's evidence does not name %q: %s", want, ev.Method)
		}
	}
	notes := w.sim.GitHub().Notifications("dana")
	if len(notes) != 1 || notes[0].Kind != "token.revoked" {
		t.Errorf("dana was told %+v; want one token.revoked", notes)
	}
	kc, err := a.Check(ctx, cred(k.Value))
	if err != nil || kc.State != provider.KeyDead || kc.StatusCode != http.StatusUnauthorized {
		t.Errorf("Check(revoked) = %+v, %v; want dead, 401", kc, err)
	}
	// Revoking again is harmless: GitHub answers 202 for tokens it does
	// not know.
	if _, err := a.Revoke(ctx, *info, t.Logf); err != nil {
		t.Errorf("Revoke again: %v", err)
	}
}

func TestRevokeNeedsTheValue(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sim.GitHubLimits{})
	k := w.issue(t, "dana", githubsim.TokenClassic, "")
	info, err := newAdapter(w.env).FindByValue(context.Background(), "", cred(k.Value))
	if err != nil || info == nil {
		t.Fatal(err)
	}
	// Another run (a resume) that was not given the token.
	_, err = newAdapter(w.env).Revoke(context.Background(), *info, t.Logf)
	if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "--key-stdin") {
		t.Errorf("Revoke without the value = %v; want a permanent error saying to give the token", err)
	}
	if !w.live(k.Value) {
		t.Errorf("the token died although nothing revoked it")
	}
}

func TestRateLimitIsReportedWithItsReset(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sim.GitHubLimits{RevokeLimit: 1})
	ctx := context.Background()
	a := newAdapter(w.env)
	first, second := w.issue(t, "dana", githubsim.TokenClassic, ""), w.issue(t, "dana", githubsim.TokenFineGrained, "")
	for _, k := range []simapi.IssuedKey{first, second} {
		if _, err := a.FindByValue(ctx, "", cred(k.Value)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Revoke(ctx, provider.KeyInfo{ID: idOf(secret.New(first.Value))}, t.Logf); err != nil {
		t.Fatal(err)
	}
	_, err := a.Revoke(ctx, provider.KeyInfo{ID: idOf(secret.New(second.Value))}, t.Logf)
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Limit != 1 || rl.Reset.IsZero() || !step.IsPermanent(err) {
		t.Fatalf("the second revoke = %v; want a permanent rate-limit error with the limit and its reset", err)
	}
	for _, want := range []string{"1 requests an hour", "resets after", "revoke it by hand"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if !w.live(second.Value) {
		t.Errorf("the rate-limited token died")
	}
}

func TestAdoptAndPlanReplace(t *testing.T) {
	t.Parallel()
	w := startWorld(t, sim.GitHubLimits{})
	ctx := context.Background()
	a := newAdapter(w.env)
	old := w.issue(t, "dana", githubsim.TokenClassic, "all")
	info, err := a.FindByValue(ctx, "", cred(old.Value))
	if err != nil || info == nil {
		t.Fatal(err)
	}
	r := provider.ReplaceRequest{Scope: "dana", Name: "respond-ci-INC-1", Old: *info}

	ch, err := a.PlanReplace(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dana", "/settings/tokens/new", "admin:org, read:org, repo, security_events, workflow", `"respond-ci-INC-1"`} {
		if !strings.Contains(ch.Effect, want) {
			t.Errorf("the plan does not say %s: %s", want, ch.Effect)
		}
	}
	erins := w.issue(t, "erin", githubsim.TokenClassic, "all")
	dead := w.issue(t, "dana", githubsim.TokenClassic, "all")
	w.sim.GitHub().RevokeTokens([]string{dead.Value}, time.Now())
	for name, tc := range map[string]struct{ value, want string }{
		"the leaked token":     {old.Value, "the leaked one"},
		"another user's token": {erins.Value, "erin's, not dana's"},
		"a dead token":         {dead.Value, "does not work"},
		"not a token":          {"sk-proj-" + strings.Repeat("a", 40), "not a GitHub token"},
	} {
		if _, err := a.Adopt(ctx, r, cred(tc.value)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Adopt(%s) = %v; want %q", name, err, tc.want)
		}
	}
	narrow := w.issue(t, "dana", githubsim.TokenClassic, "")
	ev, err := a.Adopt(ctx, r, cred(narrow.Value))
	if err != nil || !ev.Adopted || ev.Principal.ID != "dana" || ev.KeyID != idOf(secret.New(narrow.Value)) {
		t.Fatalf("Adopt(dana's new token) = %+v, %v", ev, err)
	}
	if !strings.Contains(ev.PermissionsHint, "lacks scopes") || !strings.Contains(ev.PermissionsHint, "workflow") {
		t.Errorf("PermissionsHint = %q; want the scopes the new token lacks", ev.PermissionsHint)
	}
	if !w.live(narrow.Value) || !w.live(old.Value) {
		t.Errorf("Adopt changed a token")
	}
}

func TestWebURL(t *testing.T) {
	for base, want := range map[string]string{
		"":                               "https://github.com",
		"https://api.github.com":         "https://github.com",
		"https://ghe.example.com/api/v3": "https://ghe.example.com",
		"http://127.0.0.1:8080/api/v3/":  "http://127.0.0.1:8080",
	} {
		c, err := NewClient(base)
		if err != nil || c.WebURL() != want {
			t.Errorf("NewClient(%q).WebURL() = %q, %v; want %q", base, c.WebURL(), err, want)
		}
	}
	if _, err := NewClient("http://ghe.example.com/api/v3"); err == nil {
		t.Errorf("plain http to another host was accepted")
	}
}
