package githubsim_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

func TestIssuedTokensHaveGitHubsFormats(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	tokens := sim.Tokens()
	for kind, want := range map[string]struct {
		re  string
		typ string
	}{
		githubsim.TokenClassic:     {`^ghp_[A-Za-z0-9]{36}$`, githubsim.SecretTypePAT},
		githubsim.TokenFineGrained: {`^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$`, githubsim.SecretTypePAT},
		githubsim.TokenOAuth:       {`^gho_[A-Za-z0-9]{36}$`, githubsim.SecretTypeOAuth},
		githubsim.TokenAppUser:     {`^ghu_[A-Za-z0-9]{36}$`, githubsim.SecretTypeOAuth},
	} {
		k, err := tokens.IssueKey(simapi.IssueRequest{Scope: "carol", Attrs: map[string]string{"kind": kind}})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if !regexp.MustCompile(want.re).MatchString(k.Value) || k.SecretType != want.typ || k.Scope != "carol" {
			t.Errorf("%s token: %+v, want %s of type %s", kind, k, want.re, want.typ)
		}
		if k.ID != "" {
			t.Errorf("%s token issued with ID %q: GitHub's API names tokens by no ID", kind, k.ID)
		}
		if id, live, known := tokens.KeyStatus(k.Value, t0); id == "" || !live || !known {
			t.Errorf("%s KeyStatus: %q %v %v", kind, id, live, known)
		}
		// Each works as a credential, as its user.
		c, ct := newClient(t, srv, k.Value, false)
		if u, _, err := c.Users.Get(context.Background(), ""); err != nil || u.GetLogin() != "carol" {
			t.Errorf("%s GET /user: %v %v", kind, u.GetLogin(), err)
		}
		assertConformant(t, ct)
	}
	if _, err := tokens.IssueKey(simapi.IssueRequest{Attrs: map[string]string{"kind": "ssh"}}); err == nil {
		t.Error("an unknown kind was issued")
	}
	if _, err := tokens.IssueKey(simapi.IssueRequest{Scope: "acme"}); err == nil {
		t.Error("a token was issued to an organization")
	}

	// Permissions: a token issued with secret_scanning reads alerts.
	k, err := tokens.IssueKey(simapi.IssueRequest{Scope: "erin", Attrs: map[string]string{"permissions": "secret_scanning"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newClient(t, srv, k.Value, false)
	if _, _, err := c.SecretScanning.ListAlertsForRepo(context.Background(), "acme", "api", nil); err != nil {
		t.Errorf("a token with secret_scanning cannot list alerts: %v", err)
	}
	if _, err := tokens.IssueKey(simapi.IssueRequest{Attrs: map[string]string{"permissions": "root"}}); err == nil {
		t.Error("an unknown permission was accepted")
	}
}

// revokeRaw sends POST /credentials/revoke without a token.
func revokeRaw(t *testing.T, url, body string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/credentials/revoke", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestRevokeEndpoint(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{RevokeLimit: 5, PrimaryStatus: http.StatusTooManyRequests})
	k, err := sim.Tokens().IssueKey(simapi.IssueRequest{Scope: "frank", Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]int{
		`{`:                   http.StatusBadRequest,
		`{}`:                  http.StatusUnprocessableEntity,
		`{"credentials":[]}`:  http.StatusUnprocessableEntity,
		`{"credentials":"x"}`: http.StatusUnprocessableEntity,
	} {
		if resp := revokeRaw(t, srv.URL, body, nil); resp.StatusCode != want {
			t.Errorf("revoke %s: %d, want %d", body, resp.StatusCode, want)
		}
	}
	if resp := revokeRaw(t, srv.URL, `{"credentials":["x"]}`, http.Header{"Authorization": {"token nope"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("with an unknown token: %d, want 401", resp.StatusCode)
	}
	if resp := revokeRaw(t, srv.URL+"/api/v3", `{"credentials":["`+k.Value+`"]}`, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("revoke under /api/v3: %d, want 202", resp.StatusCode)
	}
	if _, live, known := sim.Tokens().KeyStatus(k.Value, t0); live || !known {
		t.Errorf("after the revoke: live %v known %v", live, known)
	}
	c, _ := newClient(t, srv, k.Value, true)
	if _, _, err := c.Users.Get(context.Background(), ""); errStatus(err) != http.StatusUnauthorized {
		t.Errorf("GET /user with the revoked token: %v, want 401", err)
	}
	if sim.RevokeTokens([]string{k.Value}, t0) != 0 {
		t.Error("a revoked token was revoked again")
	}
	if n := sim.Notifications("frank"); len(n) != 1 || !strings.Contains(n[0].Detail, `"ci"`) || strings.Contains(n[0].Detail, k.Value) {
		t.Errorf("frank's notifications: %+v", n)
	}

	// Five requests an hour from one address (all of the above that
	// were not refused for their credentials); then 429, as configured,
	// until the hour has passed.
	resp := revokeRaw(t, srv.URL, `{"credentials":["x"]}`, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Limit") != "5" {
		t.Errorf("the sixth revoke: %d remaining %q, want 429 and 0", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	clk.Add(time.Hour)
	if resp := revokeRaw(t, srv.URL, `{"credentials":["x"]}`, nil); resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-RateLimit-Remaining") != "4" {
		t.Errorf("an hour later: %d remaining %q, want 202 and 4", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	// Only that path goes without a token.
	// (A path GitHub does not serve is a 404 to anyone.)
	if resp := revokeRaw(t, srv.URL+"/user", `{}`, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /user/credentials/revoke without a token: %d, want 404", resp.StatusCode)
	}
}

func TestRevokedTokensAlertsTurnInactive(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	k, err := sim.Tokens().IssueKey(simapi.IssueRequest{Scope: "gina"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.PlantSecret(githubsim.Leak{Owner: "acme", Repo: "api", SecretType: k.SecretType, Secret: k.Value})
	if err != nil || res.Validity != githubsim.ValidityActive {
		t.Fatalf("plant the token: %+v %v", res, err)
	}
	c, _ := newClient(t, srv, adminToken, false)
	rc := newReceiver(t, 0, false)
	if _, _, err := c.Repositories.CreateHook(context.Background(), "acme", "api", &github.Hook{
		Config: &github.HookConfig{URL: github.String(rc.srv.URL), ContentType: github.String("json")}, Events: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	rc.next(t) // ping
	var wg sync.WaitGroup
	for range 4 { // concurrent revokes: one validated event
		wg.Go(func() { sim.RevokeTokens([]string{k.Value}, t0) })
	}
	wg.Wait()
	d := rc.next(t)
	if d.action() != "validated" || !strings.Contains(string(d.body), `"validity":"inactive"`) {
		t.Errorf("after the revoke: %s %s", d.action(), d.body)
	}
	rc.none(t, sim)
	a, _, err := c.SecretScanning.GetAlert(context.Background(), "acme", "api", int64(res.Number))
	if err != nil || a.GetSecret() != k.Value {
		t.Fatalf("get the token's alert: %v", err)
	}
}
