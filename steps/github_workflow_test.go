package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/steps"
)

func TestGitHubDispatchWorkflow(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	k := steps.GitHubDispatchWorkflow{P: p}
	spec := k.Spec()
	if spec.Kind != "github.dispatch_workflow" || !spec.Mutates || !spec.Idempotent || spec.Reads {
		t.Fatalf("spec %+v", spec)
	}

	// From an inventory target (as inventory.targets outputs it), with an
	// input added by the step.
	tg := target.Target{Type: target.GitHubWorkflow, Repo: "acme/api", Workflow: "deploy.yml", Ref: "main",
		Inputs: map[string]string{"environment": "production"}}
	c := ghCall(map[string]any{"target": tg.Map(), "inputs": map[string]string{"reason": "rotation"}})
	changes, err := k.Plan(ctx, c)
	if err != nil || len(changes) != 1 || changes[0].Action != step.Run || changes[0].Target != "github-workflow:acme/api:deploy.yml@main" ||
		changes[0].Effect != "run workflow deploy.yml of acme/api on main with inputs [environment reason]" {
		t.Fatalf("plan %+v %v", changes, err)
	}
	before := time.Now().UTC().Add(-time.Second)
	res, err := k.Apply(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	ev := res.Evidence
	at, perr := time.Parse(time.RFC3339, ev["dispatched_at"].(string))
	if ev["repo"] != "acme/api" || ev["workflow"] != "deploy.yml" || ev["ref"] != "main" || perr != nil || at.Before(before) ||
		res.Outputs["dispatched_at"] != ev["dispatched_at"] || !strings.Contains(res.Summary, "dispatched deploy.yml of acme/api on main") {
		t.Fatalf("result %+v", res)
	}
	// From repo/workflow/ref, by workflow ID; applying again dispatches again.
	c2 := ghCall(map[string]any{"repo": "acme/api", "workflow": "7001", "ref": "v2"})
	for range 2 {
		if _, err := k.Apply(ctx, c2); err != nil {
			t.Fatal(err)
		}
	}
	d := sim.Snapshot().Dispatches
	if len(d) != 3 || d[0].Inputs["environment"] != "production" || d[0].Inputs["reason"] != "rotation" ||
		d[1].WorkflowID != 7001 || d[1].Ref != "v2" || len(d[1].Inputs) != 0 {
		t.Fatalf("dispatches %+v", d)
	}
}

func TestGitHubDispatchWorkflowErrors(t *testing.T) {
	ctx := context.Background()
	_, srv := ghWorld(t, githubsim.Options{})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	read, _ := ghProviders(t, srv, ghRead, githubapi.Limits{})
	k := steps.GitHubDispatchWorkflow{P: p}
	for _, tc := range []struct {
		name   string
		kind   steps.GitHubDispatchWorkflow
		params map[string]any
		want   string
	}{
		{"nothing", k, map[string]any{}, "repo is required"},
		{"both", k, map[string]any{"target": map[string]any{"type": "github-workflow", "repo": "a/b", "workflow": "w", "ref": "r"}, "repo": "a/b"}, "not both"},
		{"wrong target type", k, map[string]any{"target": map[string]any{"type": "dotenv", "path": ".env", "var": "K"}}, "needs a github-workflow target"},
		{"bad repo", k, map[string]any{"repo": "acme", "workflow": "w", "ref": "main"}, "OWNER/NAME"},
		{"unknown workflow", k, map[string]any{"repo": "acme/api", "workflow": "nope.yml", "ref": "main"}, "dispatch workflow nope.yml of acme/api on main: 404"},
		{"no permission", steps.GitHubDispatchWorkflow{P: read}, map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main"}, "403"},
		{"not configured", steps.GitHubDispatchWorkflow{P: &steps.Providers{}}, map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main"}, "GITHUB_TOKEN"},
	} {
		_, err := tc.kind.Apply(ctx, ghCall(tc.params))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !step.IsPermanent(err) {
			t.Errorf("%s: %v (want %q, permanent)", tc.name, err, tc.want)
		}
	}
}
