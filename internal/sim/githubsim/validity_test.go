package githubsim_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// fakeOracle answers from a map of values that work, for one secret type.
type fakeOracle struct {
	mu   sync.Mutex
	live map[string]bool
}

func (o *fakeOracle) set(v string, live bool) {
	o.mu.Lock()
	o.live[v] = live
	o.mu.Unlock()
}

func (o *fakeOracle) check(typ, v string, _ time.Time) string {
	if typ != "openai_api_key" {
		return githubsim.ValidityUnknown
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.live[v] {
		return githubsim.ValidityActive
	}
	return githubsim.ValidityInactive
}

func TestValidityComesFromTheOracle(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	c, _ := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	validity := func(n int64) string {
		t.Helper()
		var a struct{ Validity string }
		if _, err := doRaw(t, c, http.MethodGet, "repos/acme/api/secret-scanning/alerts/"+itoa(n), nil, &a); err != nil {
			t.Fatal(err)
		}
		return a.Validity
	}
	// Without an oracle, types other than GitHub's tokens are unknown.
	if v := validity(1); v != githubsim.ValidityUnknown {
		t.Errorf("without an oracle: %s, want unknown", v)
	}

	o := &fakeOracle{live: map[string]bool{"sk-proj-leaked": true}}
	sim.SetValidityOracle(o.check)
	if v := validity(1); v != githubsim.ValidityActive {
		t.Errorf("with the key live: %s, want active", v)
	}
	o.set("sk-proj-leaked", false)
	if v := validity(1); v != githubsim.ValidityInactive {
		t.Errorf("with the key dead: %s, want inactive", v)
	}
	n := sim.AddAlert("acme", "api", "anthropic_api_key", "sk-ant-api03-x", t0, nil)
	if v := validity(int64(n)); v != githubsim.ValidityUnknown {
		t.Errorf("a type the oracle does not know: %s, want unknown", v)
	}

	// A PATCH overrides the check until it is cleared.
	if _, err := patchAlert(t, c, 1, map[string]any{"validity": "active"}); err != nil {
		t.Fatal(err)
	}
	if v := validity(1); v != githubsim.ValidityActive {
		t.Errorf("overridden: %s, want active", v)
	}
	if _, err := patchAlert(t, c, 1, map[string]any{"validity": nil}); err != nil {
		t.Fatal(err)
	}
	if v := validity(1); v != githubsim.ValidityInactive {
		t.Errorf("override cleared: %s, want inactive (the check)", v)
	}
	// The organization list filters on it too.
	alerts, _, err := c.SecretScanning.ListAlertsForOrg(ctx, "acme", nil)
	if err != nil || len(alerts) != 2 {
		t.Fatalf("org list: %d %v", len(alerts), err)
	}
	var inactive []map[string]any
	if _, err := doRaw(t, c, http.MethodGet, "orgs/acme/secret-scanning/alerts?validity=inactive", nil, &inactive); err != nil || len(inactive) != 1 {
		t.Errorf("org list with validity=inactive: %d %v", len(inactive), err)
	}
}

func TestConditionalReadsMatchTheirETag(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	get := func(path, inm string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "token "+adminToken)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	r := get("/orgs/acme/secret-scanning/alerts", "")
	tag := r.Header.Get("ETag")
	if tag == "" || r.Header.Get("Cache-Control") == "" {
		t.Fatalf("no ETag or Cache-Control: %v", r.Header)
	}
	for inm, want := range map[string]int{
		tag:                           http.StatusNotModified,
		`"abc", ` + tag:               http.StatusNotModified,
		tag[2:]:                       http.StatusNotModified, // a strong form of the weak tag
		"*":                           http.StatusNotModified,
		`W/"0000"`:                    http.StatusOK,
		`"` + tag[3:len(tag)-2] + `"`: http.StatusOK,
	} {
		if got := get("/orgs/acme/secret-scanning/alerts", inm); got.StatusCode != want {
			t.Errorf("If-None-Match %s: %d, want %d", inm, got.StatusCode, want)
		}
	}
	// Another view of the same alerts (hide_secret) has another ETag.
	if got := get("/orgs/acme/secret-scanning/alerts?hide_secret=true", tag); got.StatusCode != http.StatusOK {
		t.Errorf("hide_secret with the full list's ETag: %d, want 200", got.StatusCode)
	}
}
