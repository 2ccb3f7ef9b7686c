// Package githubworkflow is respond's `github-workflow` target type: a
// GitHub Actions workflow that deploys the credential, dispatched (and
// waited for) once every target holds the new value. It holds nothing
// itself: preflight checks that it can be dispatched, and the redeploy
// step (github.dispatch_workflow) runs it. docs/inventory.md documents it.
package githubworkflow

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// Type is the target type's name.
const Type = "github-workflow"

func init() { target.Register(Spec()) }

// Spec is what the github-workflow target type declares.
func Spec() target.Spec {
	return target.Spec{
		Type:    Type,
		Title:   "GitHub Actions workflow (redeploy)",
		Summary: "a workflow that deploys the credential, re-run once every target holds the new value",
		Fields: []target.Field{
			{Name: "repo", Kind: target.String, Required: true, Doc: "the repository, owner/name",
				Check: func(v any) error {
					owner, name, ok := strings.Cut(v.(string), "/")
					if !ok || !target.ValidSegment(owner) || !target.ValidSegment(name) || strings.Contains(name, "/") {
						return target.Invalid("write the repository as owner/name, e.g. acme/api", "invalid repository %q", v)
					}
					return nil
				}},
			{Name: "workflow", Kind: target.String, Required: true, Doc: "the workflow's file name in .github/workflows (deploy.yml) or its numeric ID",
				Check: checkWorkflow},
			{Name: "ref", Kind: target.String, Required: true, Doc: "the branch or tag to run it on"},
			{Name: "inputs", Kind: target.Map, Doc: "workflow_dispatch inputs (at most 25)",
				Check: func(v any) error {
					if n := len(v.(map[string]string)); n > 25 {
						return target.Invalid("GitHub accepts at most 25 inputs per dispatch", "%d workflow inputs is too many", n)
					}
					return nil
				}},
		},
		Example: "- github-workflow: {repo: acme/api, workflow: deploy.yml, ref: main}",
		Holds:   false,
		ID: func(t target.Target) string {
			return Type + ":" + t.Str("repo") + ":" + t.Str("workflow") + "@" + t.Str("ref")
		},
		Describe: func(t target.Target, _ func(string) string) (string, string, string) {
			notes := "re-run " + t.Str("workflow") + " on " + t.Str("ref")
			if in := t.StrMap("inputs"); len(in) > 0 {
				keys := make([]string, 0, len(in))
				for k := range in {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				notes += " with " + strings.Join(keys, ", ")
			}
			return t.Str("repo"), "-", notes
		},
		New:           func(env *plugin.Env) target.Writer { return Writer{env: env} },
		FakeElsewhere: "the simulator's GitHub (githubsim), in internal/targets/githubworkflow's tests",
	}
}

// checkWorkflow accepts a workflow's file name (deploy.yml, one path
// segment, not . or ..) or its numeric ID: anything else could change the
// request path it is put in.
func checkWorkflow(v any) error {
	w := v.(string)
	if strings.HasSuffix(w, ".yml") || strings.HasSuffix(w, ".yaml") {
		if !strings.ContainsAny(w, `/\`) && target.ValidSegment(w) {
			return nil
		}
		return target.Invalid("give the workflow's file name as it is in .github/workflows, without a directory (deploy.yml), or its numeric ID", "workflow %q holds a path: it must be one file name", w)
	}
	for _, r := range w {
		if r < '0' || r > '9' {
			return target.Invalid("give the workflow's file name (deploy.yml) or its numeric ID", "workflow %q is neither a .yml/.yaml file name nor an ID", w)
		}
	}
	return nil
}

// API is the GitHub REST API as the workflow check uses it.
type API interface {
	RepoPermissions(ctx context.Context, owner, repo string) (githubapi.RepoPermissions, error)
	GetWorkflow(ctx context.Context, owner, repo, workflow string) (githubapi.Workflow, error)
	RefExists(ctx context.Context, owner, repo, ref string) (bool, error)
	WorkflowTrigger(ctx context.Context, owner, repo, path, ref string) (githubapi.DispatchTrigger, error)
}

var _ API = (*githubapi.Client)(nil)

// Writer checks workflow targets; it writes nothing.
type Writer struct{ env *plugin.Env }

var _ target.Writer = Writer{}

func (w Writer) client(what string) (API, error) {
	if w.env == nil || (!githubapi.Configured(w.env) && !w.env.Has(githubapi.SharedKey)) {
		return nil, errors.New("GitHub is not configured: export GITHUB_TOKEN (or GH_TOKEN) with a token that can run the repository's workflows")
	}
	gh, err := plugin.SharedAs[API](w.env, githubapi.SharedKey, githubapi.Build(w.env))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return gh, nil
}

// Plan implements target.Writer: the workflow is re-run by the redeploy
// step, not written.
func (Writer) Plan(_ context.Context, t target.Target) (step.Change, error) {
	return step.Change{Action: step.Run, Target: t.ID(), Effect: "re-run " + t.Str("workflow") + " on " + t.Str("ref") + " once every target holds the new value"}, nil
}

// Write implements target.Writer: a workflow holds nothing.
func (Writer) Write(context.Context, target.Target, secret.Value) (target.WriteResult, error) {
	return target.WriteResult{}, step.Errorf("a %s target is a workflow to re-run, not a place that holds the credential; dispatch it once every target is written", Type)
}

// Check implements target.Writer: it checks that a workflow target can be dispatched: the
// repository is visible, the workflow exists and is active, the ref exists,
// the workflow file on that ref declares on: workflow_dispatch, the
// target's inputs are all declared and every required input is given, and
// the token has write access. It is used when no writer checks
// github-workflow targets. Every problem found is returned, as a
// target.ProblemList.
func (w Writer) Check(ctx context.Context, t target.Target) error {
	gh, err := w.client(t.ID())
	if err != nil {
		return target.Preflightf(err, "%v", err)
	}
	owner, repo, _ := strings.Cut(t.Str("repo"), "/")
	// The repository and the workflow are read at once: preflight is on
	// the way to containment.
	var dispatchable []error
	done := make(chan struct{})
	go func() {
		defer close(done)
		dispatchable = checkDispatchable(ctx, gh, owner, repo, t)
	}()
	perm, err := gh.RepoPermissions(ctx, owner, repo)
	<-done
	switch {
	case errors.Is(err, step.ErrNotFound):
		return target.Preflightf(err, "repository %s is not visible to the GitHub token; check the name and the token's access", t.Str("repo"))
	case err != nil:
		return fmt.Errorf("cannot read repository %s: %v", t.Str("repo"), err)
	}
	var problems []error
	problems = append(problems, dispatchable...)
	if !perm.Push && !perm.Maintain && !perm.Admin {
		role := "no"
		if perm.Pull {
			role = "read"
		}
		problems = append(problems, target.Preflightf(nil, "the GitHub token has %s access to %s, and dispatching %s needs write access; use a token with the repo (or actions: write) permission", role, t.Str("repo"), t.Str("workflow")))
	}
	if len(problems) == 0 {
		return nil
	}
	return target.ProblemList(problems)
}

// checkDispatchable checks the workflow, its ref, its trigger and its
// inputs, as GitHub does when it receives the dispatch (each problem is a
// 404 or 422 there).
func checkDispatchable(ctx context.Context, gh API, owner, repo string, t target.Target) []error {
	// The workflow, the ref and (when the workflow is named by its file)
	// the workflow file are read at once; each problem is judged in the
	// order GitHub would find it.
	guess := ""
	if !strings.Contains(t.Str("workflow"), "/") && (strings.HasSuffix(t.Str("workflow"), ".yml") || strings.HasSuffix(t.Str("workflow"), ".yaml")) {
		guess = ".github/workflows/" + t.Str("workflow")
	}
	var (
		wg     sync.WaitGroup
		refOK  bool
		refErr error
		tr     githubapi.DispatchTrigger
		trErr  error
		wf     githubapi.Workflow
		err    error
	)
	wg.Go(func() { refOK, refErr = gh.RefExists(ctx, owner, repo, t.Str("ref")) })
	if guess != "" {
		wg.Go(func() { tr, trErr = gh.WorkflowTrigger(ctx, owner, repo, guess, t.Str("ref")) })
	}
	wf, err = gh.GetWorkflow(ctx, owner, repo, t.Str("workflow"))
	wg.Wait()
	switch {
	case errors.Is(err, step.ErrNotFound):
		return []error{target.Preflightf(nil, "workflow %s does not exist in %s: check the workflow's file name (or ID) in the inventory against the repository's .github/workflows", t.Str("workflow"), t.Str("repo"))}
	case err != nil:
		return []error{target.Preflightf(nil, "cannot read workflow %s of %s: %v", t.Str("workflow"), t.Str("repo"), err)}
	}
	var problems []error
	if wf.State != "" && wf.State != "active" {
		problems = append(problems, target.Preflightf(nil, "workflow %s of %s is %s, so it will not run: enable it (gh workflow enable %s -R %s) or remove it from the inventory",
			t.Str("workflow"), t.Str("repo"), strings.ReplaceAll(wf.State, "_", " "), t.Str("workflow"), t.Str("repo")))
	}
	switch {
	case refErr != nil:
		return append(problems, target.Preflightf(nil, "cannot check that ref %s exists in %s: %v", t.Str("ref"), t.Str("repo"), refErr))
	case !refOK:
		return append(problems, target.Preflightf(nil, "ref %s does not exist in %s, so GitHub would refuse to run %s on it: give an existing branch or tag as the target's ref in the inventory", t.Str("ref"), t.Str("repo"), t.Str("workflow")))
	}
	path := wf.Path
	if path == "" {
		path = ".github/workflows/" + t.Str("workflow")
	}
	if path != guess {
		tr, trErr = gh.WorkflowTrigger(ctx, owner, repo, path, t.Str("ref"))
	}
	if trErr != nil {
		return append(problems, target.Preflightf(nil, "cannot read %s on %s to check its workflow_dispatch trigger: %v", path, t.Str("ref"), trErr))
	}
	if !tr.Dispatch {
		return append(problems, target.Preflightf(nil, "workflow %s of %s does not declare on: workflow_dispatch on %s, so it cannot be started through the API: add workflow_dispatch to its on: key, or remove the target from the inventory", t.Str("workflow"), t.Str("repo"), t.Str("ref")))
	}
	declared := map[string]githubapi.WorkflowInput{}
	var names []string
	for _, in := range tr.Inputs {
		declared[in.Name] = in
		names = append(names, in.Name)
	}
	var undeclared []string
	for k := range t.StrMap("inputs") {
		if _, ok := declared[k]; !ok {
			undeclared = append(undeclared, k)
		}
	}
	if len(undeclared) > 0 {
		sort.Strings(undeclared)
		has := "declares no inputs"
		if len(names) > 0 {
			has = "declares " + strings.Join(names, ", ")
		}
		problems = append(problems, target.Preflightf(nil, "workflow %s of %s does not declare input(s) %s (it %s), so GitHub would refuse the dispatch: remove them from the target's inputs in the inventory, or declare them under on.workflow_dispatch.inputs",
			t.Str("workflow"), t.Str("repo"), strings.Join(undeclared, ", "), has))
	}
	for _, in := range tr.Inputs {
		if _, given := t.StrMap("inputs")[in.Name]; in.Required && !in.HasDefault && !given {
			problems = append(problems, target.Preflightf(nil, "workflow %s of %s requires input %s, which the target does not give and which has no default: add it to the target's inputs in the inventory", t.Str("workflow"), t.Str("repo"), in.Name))
		}
	}
	return problems
}
