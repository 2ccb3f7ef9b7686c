package githubsim_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// patchAlert sends a hand-built PATCH (go-github v60's
// SecretScanningAlertUpdateOptions has no resolution_comment).
func patchAlert(t *testing.T, c *github.Client, n int, body map[string]any) (*github.SecretScanningAlert, error) {
	t.Helper()
	var a github.SecretScanningAlert
	_, err := doRaw(t, c, "PATCH", "repos/acme/api/secret-scanning/alerts/"+strconv.Itoa(n), body, &a)
	return &a, err
}

func TestAlertListGetAndLocations(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	sim.AddAlert("acme", "api", "github_personal_access_token", "ghp_other", t0.Add(time.Minute), nil)
	sim.AddAlert("acme", "web", "openai_api_key", "sk-proj-web", t0.Add(2*time.Minute), nil)
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()

	all, _, err := c.SecretScanning.ListAlertsForRepo(ctx, "acme", "api", nil)
	if err != nil || len(all) != 2 || all[0].GetNumber() != 2 { // newest first by default
		t.Fatalf("list: %d alerts, %v", len(all), err)
	}
	openai, _, err := c.SecretScanning.ListAlertsForRepo(ctx, "acme", "api",
		&github.SecretScanningAlertListOptions{SecretType: "openai_api_key", State: "open"})
	if err != nil || len(openai) != 1 {
		t.Fatalf("filtered list: %d, %v", len(openai), err)
	}
	a := openai[0]
	if a.GetSecret() != "sk-proj-leaked" || a.GetSecretTypeDisplayName() != "OpenAI API Key" ||
		a.GetURL() != srv.URL+"/repos/acme/api/secret-scanning/alerts/1" ||
		a.GetLocationsURL() != srv.URL+"/repos/acme/api/secret-scanning/alerts/1/locations" ||
		a.GetHTMLURL() != srv.URL+"/acme/api/security/secret-scanning/1" {
		t.Fatalf("alert: %+v", a)
	}
	if res, _, _ := c.SecretScanning.ListAlertsForRepo(ctx, "acme", "api",
		&github.SecretScanningAlertListOptions{State: "resolved"}); len(res) != 0 {
		t.Fatalf("resolved filter: %d alerts", len(res))
	}
	if _, _, err := c.SecretScanning.ListAlertsForRepo(ctx, "acme", "api",
		&github.SecretScanningAlertListOptions{State: "bogus"}); errStatus(err) != 422 {
		t.Fatalf("bad state filter: %v, want 422", err)
	}

	got, _, err := c.SecretScanning.GetAlert(ctx, "acme", "api", 1)
	if err != nil || got.GetSecret() != "sk-proj-leaked" || got.GetState() != "open" {
		t.Fatalf("get: %+v %v", got, err)
	}
	var hidden github.SecretScanningAlert
	if _, err := doRaw(t, c, "GET", "repos/acme/api/secret-scanning/alerts/1?hide_secret=true", nil, &hidden); err != nil {
		t.Fatal(err)
	}
	if hidden.Secret != nil || hidden.GetNumber() != 1 {
		t.Fatalf("hide_secret=true still shows the secret")
	}
	if _, _, err := c.SecretScanning.GetAlert(ctx, "acme", "api", 99); errStatus(err) != 404 {
		t.Fatalf("unknown alert: %v, want 404", err)
	}

	// Locations, two per page.
	locs, resp, err := c.SecretScanning.ListLocationsForAlert(ctx, "acme", "api", 1, &github.ListOptions{PerPage: 2})
	if err != nil || len(locs) != 2 || resp.NextPage != 2 || resp.LastPage != 2 {
		t.Fatalf("locations page 1: %d, next %d, %v", len(locs), resp.NextPage, err)
	}
	d := locs[0].GetDetails()
	if locs[0].GetType() != "commit" || d.GetPath() != ".env" || d.GetStartline() != 3 || d.GetStartColumn() != 16 ||
		d.GetBlobSHA() != "b10b" || d.GetCommitSHA() != "c0ffee" ||
		d.GetBlobURL() != srv.URL+"/repos/acme/api/git/blobs/b10b" || d.GetCommitURL() != srv.URL+"/repos/acme/api/git/commits/c0ffee" {
		t.Fatalf("location: %+v", d)
	}
	locs, _, err = c.SecretScanning.ListLocationsForAlert(ctx, "acme", "api", 1, &github.ListOptions{PerPage: 2, Page: 2})
	if err != nil || len(locs) != 1 || locs[0].GetDetails().GetPath() != "README.md" {
		t.Fatalf("locations page 2: %v", err)
	}

	org, _, err := c.SecretScanning.ListAlertsForOrg(ctx, "acme", nil)
	if err != nil || len(org) != 3 || org[0].GetRepository().GetFullName() != "acme/web" {
		t.Fatalf("org alerts: %d, %v", len(org), err)
	}
	assertConformant(t, ct)
}

func TestAlertUpdateRules(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, false)

	// 422: state resolved without a resolution; resolution with state open;
	// comment with state open; no state/assignee/validity at all.
	for _, body := range []map[string]any{
		{"state": "resolved"},
		{"state": "resolved", "resolution": nil},
		{"state": "resolved", "resolution": "fixed_it"},
		{"state": "open", "resolution": "revoked"},
		{"state": "open", "resolution_comment": "why"},
		{"resolution": "revoked"},
		{"resolution_comment": "only a comment"},
	} {
		if _, err := patchAlert(t, c, 1, body); errStatus(err) != http.StatusUnprocessableEntity {
			t.Errorf("PATCH %v: %v, want 422", body, err)
		}
	}
	// 400: invalid comment.
	if _, err := patchAlert(t, c, 1, map[string]any{"state": "resolved", "resolution": "revoked",
		"resolution_comment": strings.Repeat("x", 281)}); errStatus(err) != http.StatusBadRequest {
		t.Errorf("long comment: %v, want 400", err)
	}
	if _, err := patchAlert(t, c, 1, map[string]any{"state": "resolved", "resolution": "revoked",
		"resolution_comment": 42}); errStatus(err) != http.StatusBadRequest {
		t.Errorf("numeric comment: %v, want 400", err)
	}
	// 400: reopening an open alert changes nothing.
	if _, err := patchAlert(t, c, 1, map[string]any{"state": "open"}); errStatus(err) != http.StatusBadRequest {
		t.Errorf("reopen open alert: %v, want 400", err)
	}
	if st := sim.Snapshot().Alerts[0]; st.State != "open" || st.Resolution != nil {
		t.Fatalf("a refused PATCH changed the alert: %+v", st)
	}

	clk.Add(30 * time.Minute)
	a, err := patchAlert(t, c, 1, map[string]any{"state": "resolved", "resolution": "revoked",
		"resolution_comment": "Rotated by respond (incident INC-1)"})
	if err != nil {
		t.Fatal(err)
	}
	wantAt := t0.Add(30 * time.Minute)
	if a.GetState() != "resolved" || a.GetResolution() != "revoked" || a.GetResolutionComment() != "Rotated by respond (incident INC-1)" ||
		a.GetResolvedBy().GetLogin() != "alice" || !a.GetResolvedAt().Time.Equal(wantAt) || !a.GetUpdatedAt().Time.Equal(wantAt) {
		t.Fatalf("resolved alert: %+v", a)
	}
	st := sim.Snapshot().Alerts[0]
	if st.State != "resolved" || *st.Resolution != "revoked" || *st.ResolutionComment != "Rotated by respond (incident INC-1)" ||
		*st.ResolvedBy != "alice" || *st.ResolvedAt != "2025-03-01T12:30:00Z" {
		t.Fatalf("snapshot: %+v", st)
	}

	// 400: the same resolution again.
	if _, err := patchAlert(t, c, 1, map[string]any{"state": "resolved", "resolution": "revoked"}); errStatus(err) != http.StatusBadRequest {
		t.Errorf("re-resolve with the same resolution: %v, want 400", err)
	}
	// A different resolution is a change.
	if a, err := patchAlert(t, c, 1, map[string]any{"state": "resolved", "resolution": "used_in_tests"}); err != nil || a.GetResolution() != "used_in_tests" || a.ResolutionComment != nil {
		t.Fatalf("change resolution: %+v %v", a, err)
	}

	// go-github's own UpdateAlert reopens it; reopening clears the resolution.
	reopened, _, err := c.SecretScanning.UpdateAlert(context.Background(), "acme", "api", 1,
		&github.SecretScanningAlertUpdateOptions{State: "open"})
	if err != nil || reopened.GetState() != "open" || reopened.Resolution != nil || reopened.ResolvedBy != nil || reopened.ResolvedAt != nil {
		t.Fatalf("reopen: %+v %v", reopened, err)
	}
	// And resolves it without a comment.
	res := "false_positive"
	resolved, _, err := c.SecretScanning.UpdateAlert(context.Background(), "acme", "api", 1,
		&github.SecretScanningAlertUpdateOptions{State: "resolved", Resolution: &res})
	if err != nil || resolved.GetResolution() != "false_positive" {
		t.Fatalf("go-github resolve: %+v %v", resolved, err)
	}
	if _, err := patchAlert(t, c, 9, map[string]any{"state": "resolved", "resolution": "revoked"}); errStatus(err) != 404 {
		t.Errorf("unknown alert: %v, want 404", err)
	}
	// The requests above that the description's request schema refuses are
	// deliberate.
	assertConformant(t, ct, deliberatelyInvalidRequest)
}
