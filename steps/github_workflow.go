package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// GitHubDispatchWorkflow is the `github.dispatch_workflow` step kind: it
// starts a workflow_dispatch run, typically the deployment that picks up a
// rotated secret.
type GitHubDispatchWorkflow struct{ P *Providers }

// Spec implements step.Kind.
func (GitHubDispatchWorkflow) Spec() step.Spec {
	return step.Spec{
		Kind:    "github.dispatch_workflow",
		Summary: "Start a GitHub Actions workflow (e.g. a redeploy)",
		Description: "Sends a workflow_dispatch event, so a workflow that declares `on: workflow_dispatch` runs on `ref` " +
			"with `inputs`; use it to redeploy once a secret changed. Give a github-workflow `target` " +
			"(from the inventory), or `repo`, `workflow` and `ref`. Dispatching again just runs the workflow again, " +
			"so the step is safe to retry. The token needs the repo scope (classic) or Actions: write (fine-grained).",
		Mutates:    true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "target", Type: step.Any, Description: "a github-workflow target mapping (type, repo, workflow, ref, inputs), e.g. an item of inventory.targets' workflows"},
			{Name: "repo", Type: step.String, Description: "the repository, OWNER/NAME (instead of target)"},
			{Name: "workflow", Type: step.String, Description: "the workflow file name (deploy.yml) or ID (instead of target)"},
			{Name: "ref", Type: step.String, Description: "the branch or tag to run on (instead of target)"},
			{Name: "inputs", Type: step.Map, Description: "workflow inputs (at most 25); with target, they override its inputs"},
			{Name: "deploys", Type: step.String, Description: "the replacement this run deploys, e.g. `${{ steps.replace.outputs.key_id }}`: recorded, and it ties the step to the replacement, so the workflow runs again whenever the replacement changes"},
		},
		Outputs: []step.Output{
			{Name: "dispatched_at", Type: step.String, Description: "when the dispatch was sent (RFC 3339)"},
		},
	}
}

// workflowOf builds the github-workflow target the call names.
func workflowOf(c *step.Call) (target.Target, error) {
	const kind = "github.dispatch_workflow"
	var t target.Target
	if raw, ok := c.Params["target"]; ok && raw != nil {
		if c.String("repo") != "" || c.String("workflow") != "" || c.String("ref") != "" {
			return t, step.Errorf("%s: give either target or repo, workflow and ref, not both", kind)
		}
		m, ok := raw.(map[string]any)
		if !ok {
			return t, step.Errorf("%s: target must be a github-workflow target mapping, not %T", kind, raw)
		}
		var err error
		if t, err = target.FromMap(m); err != nil {
			return t, step.Permanent(fmt.Errorf("%s: %w", kind, err))
		}
		if t.Type != target.GitHubWorkflow {
			return t, step.Errorf("%s: target %s is a %s target; it needs a github-workflow target", kind, t.ID(), t.Type)
		}
	} else {
		t = target.Target{Type: target.GitHubWorkflow, Repo: c.String("repo"), Workflow: c.String("workflow"), Ref: c.String("ref")}
		if err := t.Validate(); err != nil {
			return t, step.Permanent(fmt.Errorf("%s: %w (or give a target)", kind, err))
		}
	}
	if in := c.Map("inputs"); len(in) > 0 {
		merged := map[string]string{}
		for k, v := range t.Inputs {
			merged[k] = v
		}
		for k, v := range in {
			merged[k] = v
		}
		t.Inputs = merged
	}
	if len(t.Inputs) > 25 {
		return t, step.Errorf("%s: %s has %d inputs; GitHub accepts at most 25", kind, t.ID(), len(t.Inputs))
	}
	if _, _, ok := strings.Cut(t.Repo, "/"); !ok {
		return t, step.Errorf("%s: repo %q must be OWNER/NAME", kind, t.Repo)
	}
	return t, nil
}

func describeDispatch(t target.Target) string {
	s := fmt.Sprintf("run workflow %s of %s on %s", t.Workflow, t.Repo, t.Ref)
	if len(t.Inputs) > 0 {
		keys := make([]string, 0, len(t.Inputs))
		for k := range t.Inputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s += fmt.Sprintf(" with inputs %v", keys)
	}
	return s
}

// Plan implements step.Kind.
func (GitHubDispatchWorkflow) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	t, err := workflowOf(c)
	if err != nil {
		return nil, err
	}
	return []step.Change{{Action: step.Run, Target: t.ID(), Effect: describeDispatch(t)}}, nil
}

// Apply implements step.Kind.
func (k GitHubDispatchWorkflow) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	t, err := workflowOf(c)
	if err != nil {
		return nil, err
	}
	gh, err := ghClient(k.P, "github.dispatch_workflow")
	if err != nil {
		return nil, err
	}
	owner, repo, _ := strings.Cut(t.Repo, "/")
	inputs := map[string]any{}
	for k, v := range t.Inputs {
		inputs[k] = v
	}
	if len(inputs) == 0 {
		inputs = nil
	}
	c.Logf("dispatching %s of %s on %s", t.Workflow, t.Repo, t.Ref)
	at := time.Now().UTC()
	if err := gh.DispatchWorkflow(ctx, owner, repo, t.Workflow, t.Ref, inputs); err != nil {
		return nil, fmt.Errorf("github.dispatch_workflow: %w", err)
	}
	when := at.Format(time.RFC3339)
	return &step.Result{
		Outputs:  map[string]any{"dispatched_at": when},
		Evidence: map[string]any{"repo": t.Repo, "workflow": t.Workflow, "ref": t.Ref, "dispatched_at": when, "deploys": c.String("deploys")},
		Summary:  fmt.Sprintf("dispatched %s of %s on %s", t.Workflow, t.Repo, t.Ref),
	}, nil
}
