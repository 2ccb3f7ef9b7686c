package steps_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

func TestGitHubResolveAlert(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	k := steps.GitHubResolveAlert{P: p}
	spec := k.Spec()
	if spec.Kind != "github.resolve_alert" || !spec.Mutates || !spec.Idempotent {
		t.Fatalf("spec %+v", spec)
	}
	if r, _ := spec.Param("resolution"); r.Default != "revoked" || len(r.Enum) != 4 {
		t.Errorf("resolution param %+v", r)
	}

	c := ghCall(map[string]any{"alert": "acme/api#1", "resolution": "revoked"})
	changes, err := k.Plan(ctx, c)
	if err != nil || len(changes) != 1 || changes[0].Action != step.Update || changes[0].Target != "alert acme/api#1" ||
		!strings.Contains(changes[0].Effect, `resolve as revoked with comment "Resolved by respond, incident inc_gh"`) {
		t.Fatalf("plan %+v %v", changes, err)
	}
	// Reading the alert registered the leaked value, so output is masked.
	if !c.Secrets.Contains(ghLeaked) {
		t.Error("the alert's secret was not registered")
	}
	res, err := k.Apply(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	ev := res.Evidence
	if ev["already_resolved"] != false || ev["state"] != "resolved" || ev["resolution"] != "revoked" || ev["resolved_at"] == nil ||
		!strings.HasSuffix(ev["html_url"].(string), "/acme/api/security/secret-scanning/1") || res.Outputs["state"] != "resolved" {
		t.Fatalf("evidence %+v", ev)
	}
	a := sim.Snapshot().Alerts[0]
	if a.State != "resolved" || *a.Resolution != "revoked" || *a.ResolutionComment != "Resolved by respond, incident inc_gh" {
		t.Fatalf("simulator alert %+v", a)
	}
	ghNoSecrets(t, fmt.Sprint(ev), res.Summary, fmt.Sprint(res.Outputs))

	// Again: already resolved, success without a change.
	changes, err = k.Plan(ctx, c)
	if err != nil || changes[0].Action != step.NoOp {
		t.Fatalf("plan after: %+v %v", changes, err)
	}
	res, err = k.Apply(ctx, c)
	if err != nil || res.Evidence["already_resolved"] != true || res.Evidence["state"] != "resolved" ||
		!strings.Contains(res.Summary, "already resolved") {
		t.Fatalf("again: %+v %v", res, err)
	}
}

func TestGitHubResolveAlertComment(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	long := strings.Repeat("é", 300)
	if _, err := (steps.GitHubResolveAlert{P: p}).Apply(ctx, ghCall(map[string]any{
		"alert": "acme/api#1", "resolution": "used_in_tests", "comment": long})); err != nil {
		t.Fatal(err)
	}
	a := sim.Snapshot().Alerts[0]
	got := *a.ResolutionComment
	if *a.Resolution != "used_in_tests" || utf8.RuneCountInString(got) != 280 || !strings.HasSuffix(got, "é…") {
		t.Errorf("comment %d runes, resolution %s", utf8.RuneCountInString(got), *a.Resolution)
	}
}

func TestGitHubResolveAlertErrors(t *testing.T) {
	ctx := context.Background()
	_, srv := ghWorld(t, githubsim.Options{})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	read, _ := ghProviders(t, srv, ghRead, githubapi.Limits{})
	k := steps.GitHubResolveAlert{P: p}
	for _, tc := range []struct {
		name   string
		kind   steps.GitHubResolveAlert
		params map[string]any
		want   string
	}{
		{"bad ref", k, map[string]any{"alert": "acme/api"}, "must be OWNER/REPO#NUMBER"},
		{"bad number", k, map[string]any{"alert": "acme/api#x"}, "must be OWNER/REPO#NUMBER"},
		{"bad resolution", k, map[string]any{"alert": "acme/api#1", "resolution": "fixed"}, "must be false_positive"},
		{"missing alert", k, map[string]any{"alert": "acme/api#9"}, "acme/api#9: 404"},
		{"no permission", steps.GitHubResolveAlert{P: read}, map[string]any{"alert": "acme/api#1"}, "403"},
		{"not configured", steps.GitHubResolveAlert{}, map[string]any{"alert": "acme/api#1"}, "GITHUB_TOKEN"},
	} {
		_, err := tc.kind.Apply(ctx, ghCall(tc.params))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !step.IsPermanent(err) {
			t.Errorf("%s: %v (want %q, permanent)", tc.name, err, tc.want)
		}
		if err != nil {
			ghNoSecrets(t, err.Error())
		}
	}
}
