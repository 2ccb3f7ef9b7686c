package steps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/githubapi"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

var (
	_ step.Kind       = GitHubDispatchWorkflow{}
	_ step.Reconciler = GitHubDispatchWorkflow{}
)

// Timing of github.dispatch_workflow. Variables, so tests can shorten
// them.
var (
	// runSkew is subtracted from the dispatch time (or from when an
	// interrupted attempt started) when looking for the run a dispatch
	// started: GitHub stamps created_at with its own clock.
	runSkew = 30 * time.Second
	// findRunFor bounds the search for the run of a dispatch GitHub
	// answered with 204 (no run details); runs appear within seconds.
	findRunFor = 2 * time.Minute
	// lostResponseChecks and lostResponseEvery: how long Apply looks for a
	// run after a dispatch whose answer may have been lost, before it
	// reports the failure.
	lostResponseChecks = 4
	lostResponseEvery  = 2 * time.Second
	// pollFirst and pollMax bound the interval between polls of a run.
	pollFirst = time.Second
	pollMax   = 10 * time.Second
)

// defaultWaitTimeout is the default of the wait_timeout parameter.
const defaultWaitTimeout = 30 * time.Minute

// workflowType is the type of target the kind dispatches: a GitHub
// Actions workflow (internal/targets/githubworkflow).
const workflowType = "github-workflow"

// GitHubDispatchWorkflow is the `github.dispatch_workflow` step kind: it
// starts a workflow_dispatch run, typically the deployment that picks up a
// rotated secret, and can wait for that run to finish.
type GitHubDispatchWorkflow struct{ P *Providers }

// Spec implements step.Kind.
func (GitHubDispatchWorkflow) Spec() step.Spec {
	return step.Spec{
		Kind:    "github.dispatch_workflow",
		Follows: true,
		Summary: "Start a GitHub Actions workflow (e.g. a redeploy) and optionally wait for it",
		Description: "Sends a workflow_dispatch event, so a workflow that declares `on: workflow_dispatch` runs on `ref` " +
			"with `inputs`; use it to redeploy once a secret changed. Give a github-workflow `target` " +
			"(from the inventory), or `repo`, `workflow` and `ref`. With `wait: true` it finds the run the dispatch started " +
			"(from GitHub's answer, or by listing the workflow's workflow_dispatch runs on the ref created since the dispatch, " +
			"ignoring runs that existed before it and runs of other users), polls it until it completes and fails unless it " +
			"concludes success. Dispatching again just runs the workflow again, so the step may be retried; after a crash, " +
			"or when the answer to the dispatch was lost, it looks for a run started since the attempt before dispatching again. " +
			"The token needs the repo scope (classic) or Actions: write (fine-grained).",
		Mutates:    true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "target", Type: step.Any, Description: "a github-workflow target mapping (type, repo, workflow, ref, inputs), e.g. an item of inventory.targets' workflows"},
			{Name: "repo", Type: step.String, Description: "the repository, OWNER/NAME (instead of target)"},
			{Name: "workflow", Type: step.String, Description: "the workflow file name (deploy.yml) or ID (instead of target)"},
			{Name: "ref", Type: step.String, Description: "the branch or tag to run on (instead of target)"},
			{Name: "inputs", Type: step.Map, Description: "workflow inputs (at most 25); with target, they override its inputs"},
			{Name: "wait", Type: step.Bool, Default: false, Description: "wait for the run to finish, and fail unless it concludes success"},
			{Name: "wait_timeout", Type: step.Duration, Default: defaultWaitTimeout, Description: "how long to wait for the run (with wait: true); the step's own timeout, if any, must be longer"},
			{Name: "deploys", Type: step.String, Description: "the replacement this run deploys, e.g. ${{ steps.replace.outputs.key_id }}: recorded in the evidence, and ties the step to the replacement so it runs again whenever the replacement changes"},
		},
		Outputs: []step.Output{
			{Name: "dispatched_at", Type: step.String, Description: "when the dispatch was sent (RFC 3339)"},
			{Name: "run_id", Type: step.Int, Description: "the ID of the run the dispatch started (0 if unknown: without wait, from a server that does not return run details)"},
			{Name: "html_url", Type: step.String, Description: "the run's page on GitHub (\"\" if unknown)"},
			{Name: "conclusion", Type: step.String, Description: "how the run ended (with wait: true; \"\" otherwise)"},
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
		if t.Type != workflowType {
			return t, step.Errorf("%s: target %s is a %s target; it needs a %s target", kind, t.ID(), t.Type, workflowType)
		}
	} else {
		t = target.New(workflowType, map[string]any{"repo": c.String("repo"), "workflow": c.String("workflow"), "ref": c.String("ref")})
		if err := t.Validate(); err != nil {
			return t, step.Permanent(fmt.Errorf("%s: %w (or give a target)", kind, err))
		}
	}
	if in := c.Map("inputs"); len(in) > 0 {
		merged := map[string]string{}
		for k, v := range t.StrMap("inputs") {
			merged[k] = v
		}
		for k, v := range in {
			merged[k] = v
		}
		t = t.With("inputs", merged)
	}
	if len(t.StrMap("inputs")) > 25 {
		return t, step.Errorf("%s: %s has %d inputs; GitHub accepts at most 25", kind, t.ID(), len(t.StrMap("inputs")))
	}
	if owner, name, ok := strings.Cut(t.Str("repo"), "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return t, step.Errorf("%s: repo %q must be OWNER/NAME", kind, t.Str("repo"))
	}
	if c.Bool("wait") && c.Duration("wait_timeout") < 0 {
		return t, step.Errorf("%s: wait_timeout %s is negative; give how long to wait, e.g. 30m", kind, c.Duration("wait_timeout"))
	}
	return t, nil
}

func describeDispatch(c *step.Call, t target.Target) string {
	s := fmt.Sprintf("run workflow %s of %s on %s", t.Str("workflow"), t.Str("repo"), t.Str("ref"))
	if len(t.StrMap("inputs")) > 0 {
		keys := make([]string, 0, len(t.StrMap("inputs")))
		for k := range t.StrMap("inputs") {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s += fmt.Sprintf(" with inputs %v", keys)
	}
	if d := c.String("deploys"); d != "" {
		s += " to deploy " + d
	}
	if c.Bool("wait") {
		s += fmt.Sprintf(", then wait for the run to finish (at most %s) and fail unless it succeeds", waitTimeout(c))
	}
	return s
}

func waitTimeout(c *step.Call) time.Duration {
	if d := c.Duration("wait_timeout"); d > 0 {
		return d
	}
	return defaultWaitTimeout
}

// Plan implements step.Kind.
func (GitHubDispatchWorkflow) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	t, err := workflowOf(c)
	if err != nil {
		return nil, err
	}
	return []step.Change{{Action: step.Run, Target: t.ID(), Effect: describeDispatch(c, t)}}, nil
}

// dispatchRun is one call's view of a workflow: the client and the
// target, split for the API.
type dispatchRun struct {
	c           *step.Call
	gh          GitHub
	t           target.Target
	owner, repo string
	branch      string // the ref as runs report it (head_branch)
	actor       string // the token's login: runs of other users are not ours
}

const kindName = "github.dispatch_workflow"

func (k GitHubDispatchWorkflow) prepare(ctx context.Context, c *step.Call) (*dispatchRun, error) {
	t, err := workflowOf(c)
	if err != nil {
		return nil, err
	}
	gh, err := ghClient(k.P, kindName)
	if err != nil {
		return nil, err
	}
	d := &dispatchRun{c: c, gh: gh, t: t}
	d.owner, d.repo, _ = strings.Cut(t.Str("repo"), "/")
	d.branch = strings.TrimPrefix(strings.TrimPrefix(t.Str("ref"), "refs/heads/"), "refs/tags/")
	return d, nil
}

// login fetches the token's login, so that runs started by other users
// are never taken for ours. Tokens that have no user (a GitHub App's
// installation token cannot read GET /user) go without that filter; the
// time window and the runs listed before the dispatch still apply.
func (d *dispatchRun) login(ctx context.Context) error {
	u, err := d.gh.User(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		return err
	case err != nil:
		d.c.Logf("cannot tell the token's user (%v); runs of other users will not be told apart", err)
	default:
		d.actor = u
	}
	return nil
}

// candidates lists the workflow_dispatch runs of the workflow on the ref
// that the token's user started since `since`, oldest first, leaving out
// the runs in exclude.
func (d *dispatchRun) candidates(ctx context.Context, since time.Time, exclude map[int64]bool) ([]githubapi.WorkflowRun, error) {
	runs, err := d.gh.ListWorkflowRuns(ctx, d.owner, d.repo, d.t.Str("workflow"), githubapi.RunFilter{Event: "workflow_dispatch", Branch: d.branch, Actor: d.actor, Since: since})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kindName, err)
	}
	var out []githubapi.WorkflowRun
	for _, r := range runs {
		// The server filters too; check again, the answer is not trusted.
		if exclude[r.ID] || r.Event != "workflow_dispatch" || r.Created.Before(since.Truncate(time.Second)) ||
			(r.HeadBranch != "" && r.HeadBranch != d.branch) || (d.actor != "" && r.Actor != "" && !strings.EqualFold(r.Actor, d.actor)) {
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b githubapi.WorkflowRun) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Apply implements step.Kind.
func (k GitHubDispatchWorkflow) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	d, err := k.prepare(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := d.login(ctx); err != nil {
		return nil, err
	}
	// The runs that exist before the dispatch are not ours, whatever their
	// time stamps say.
	at := time.Now().UTC()
	since := at.Add(-runSkew)
	before, err := d.candidates(ctx, since, nil)
	if err != nil && !errors.Is(err, ErrNotFound) { // an unknown workflow: the dispatch says so
		return nil, err
	}
	existing := map[int64]bool{}
	for _, r := range before {
		existing[r.ID] = true
	}
	inputs := map[string]any{}
	for k, v := range d.t.StrMap("inputs") {
		inputs[k] = v
	}
	if len(inputs) == 0 {
		inputs = nil
	}
	c.Logf("dispatching %s of %s on %s", d.t.Str("workflow"), d.t.Str("repo"), d.t.Str("ref"))
	at = time.Now().UTC()
	disp, err := d.gh.DispatchWorkflow(ctx, d.owner, d.repo, d.t.Str("workflow"), d.t.Str("ref"), inputs)
	res := d.result(at)
	var run githubapi.WorkflowRun
	found := ""
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, err // interrupted: resume reconciles
	case err != nil && !mayHaveStarted(err):
		return nil, fmt.Errorf("%s: %w", kindName, err)
	case err != nil:
		// The answer may have been lost after GitHub started the run: look
		// for it before reporting a failure, so a retry does not run the
		// workflow twice.
		c.Logf("the dispatch failed (%v); looking for a run it may have started", err)
		r, ok, ferr := d.lookFor(ctx, since, existing, lostResponseChecks, lostResponseEvery)
		if ferr != nil || !ok {
			if ferr != nil {
				c.Logf("could not look for the run: %v", ferr)
			}
			res.Evidence["lost_response_checked"] = true
			return res, fmt.Errorf("%s: %w (no run of %s started since the dispatch was found, so the dispatch did not take effect as far as GitHub shows)", kindName, err, d.t.Str("workflow"))
		}
		run, found = r, "found after a lost response"
		c.Logf("the dispatch did start run %d", run.ID)
	case disp.RunID != 0:
		run, found = githubapi.WorkflowRun{ID: disp.RunID, HTMLURL: disp.HTMLURL}, "from the dispatch's answer"
	case c.Bool("wait"):
		// A server that does not return run details: find the run.
		r, ok, ferr := d.lookFor(ctx, since, existing, max(1, int(findRunFor/pollMax)), pollMax)
		if ferr != nil {
			return res, ferr
		}
		if !ok {
			return res, fmt.Errorf("%s: dispatched %s of %s on %s, but no run of it appeared within %s; check the workflow's runs on GitHub, then run `respond resume %s` (which dispatches it again)",
				kindName, d.t.Str("workflow"), d.t.Str("repo"), d.t.Str("ref"), findRunFor, c.Incident)
		}
		run, found = r, "by listing the workflow's runs"
	}
	if run.ID != 0 {
		res.Evidence["run_id"] = run.ID
		res.Evidence["run_found"] = found
		res.Outputs["run_id"] = int(run.ID)
		res.Evidence["html_url"] = run.HTMLURL
		res.Outputs["html_url"] = run.HTMLURL
	}
	res.Summary = fmt.Sprintf("dispatched %s of %s on %s", d.t.Str("workflow"), d.t.Str("repo"), d.t.Str("ref"))
	if run.ID != 0 {
		res.Summary += fmt.Sprintf(" (run %d)", run.ID)
	}
	if !c.Bool("wait") {
		return res, nil
	}
	return d.wait(ctx, run, res)
}

// result is the evidence and outputs every outcome starts from.
func (d *dispatchRun) result(at time.Time) *step.Result {
	when := at.UTC().Format(time.RFC3339)
	ev := map[string]any{"repo": d.t.Str("repo"), "workflow": d.t.Str("workflow"), "ref": d.t.Str("ref"), "dispatched_at": when}
	if v := d.c.String("deploys"); v != "" {
		ev["deploys"] = v
	}
	return &step.Result{
		Outputs:  map[string]any{"dispatched_at": when, "run_id": 0, "html_url": "", "conclusion": ""},
		Evidence: ev,
	}
}

// lookFor lists the candidate runs up to tries times, every interval,
// until one appears; it returns the oldest.
func (d *dispatchRun) lookFor(ctx context.Context, since time.Time, exclude map[int64]bool, tries int, interval time.Duration) (githubapi.WorkflowRun, bool, error) {
	for i := range tries {
		if i > 0 {
			if err := sleepCtx(ctx, interval); err != nil {
				return githubapi.WorkflowRun{}, false, err
			}
		}
		runs, err := d.candidates(ctx, since, exclude)
		if err != nil {
			return githubapi.WorkflowRun{}, false, err
		}
		if len(runs) > 0 {
			return runs[0], true, nil
		}
	}
	return githubapi.WorkflowRun{}, false, nil
}

// mayHaveStarted reports whether a failed dispatch may still have started
// a run: GitHub refused it outright (a 4xx, or a rate limit) or it did
// not.
func mayHaveStarted(err error) bool {
	status := ghStatus(err)
	return status == 0 || status >= 500
}

// wait polls the run until it completes or wait_timeout passes, logging
// its progress, and fails unless it concludes success.
func (d *dispatchRun) wait(ctx context.Context, run githubapi.WorkflowRun, res *step.Result) (*step.Result, error) {
	c := d.c
	timeout := waitTimeout(c)
	deadline := time.Now().Add(timeout)
	interval := pollFirst
	last := ""
	for {
		r, err := d.gh.GetWorkflowRun(ctx, d.owner, d.repo, run.ID)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil && step.IsPermanent(err):
			return res, fmt.Errorf("%s: waiting for run %d: %w", kindName, run.ID, err)
		case err != nil:
			// The client already retried; the run goes on regardless, so
			// keep polling until the deadline.
			c.Logf("could not read run %d (%v); trying again", run.ID, err)
		default:
			run = r
			d.record(res, run)
			if run.Status != last {
				c.Logf("run %d of %s is %s", run.ID, d.t.Str("workflow"), strings.ReplaceAll(run.Status, "_", " "))
				last = run.Status
			}
		}
		if err == nil && run.Status == "completed" {
			break
		}
		left := time.Until(deadline)
		if left <= 0 {
			status := strings.ReplaceAll(run.Status, "_", " ")
			if status == "" {
				status = "unknown"
			}
			return res, step.Permanent(fmt.Errorf("%s: run %d of %s on %s has not finished after %s (it is %s: %s); "+
				"check it on GitHub, then run `respond resume %s`, which dispatches the workflow again (or raise wait_timeout)",
				kindName, run.ID, d.t.Str("workflow"), d.t.Str("repo"), timeout, status, run.HTMLURL, c.Incident))
		}
		if err := sleepCtx(ctx, min(interval, left)); err != nil {
			return nil, err
		}
		interval = min(interval*3/2, pollMax)
	}
	res.Outputs["conclusion"] = run.Conclusion
	if run.Conclusion != "success" {
		res.Summary = fmt.Sprintf("run %d of %s on %s concluded %s", run.ID, d.t.Str("workflow"), d.t.Str("repo"), run.Conclusion)
		return res, step.Permanent(fmt.Errorf("%s: run %d of workflow %s of %s on %s concluded %s, not success (%s): "+
			"the deployment may not have picked up the change; fix the workflow, then run `respond resume %s` to run it again",
			kindName, run.ID, d.t.Str("workflow"), d.t.Str("repo"), d.t.Str("ref"), orUnknown(run.Conclusion), run.HTMLURL, c.Incident))
	}
	res.Summary = fmt.Sprintf("run %d of %s on %s succeeded", run.ID, d.t.Str("workflow"), d.t.Str("repo"))
	return res, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "without a conclusion"
	}
	return s
}

// record puts what the run's latest state says into the evidence.
func (d *dispatchRun) record(res *step.Result, run githubapi.WorkflowRun) {
	ev := res.Evidence
	ev["run_id"] = run.ID
	res.Outputs["run_id"] = int(run.ID)
	if run.HTMLURL != "" {
		ev["html_url"] = run.HTMLURL
		res.Outputs["html_url"] = run.HTMLURL
	}
	ev["status"] = run.Status
	if run.Conclusion != "" {
		ev["conclusion"] = run.Conclusion
	}
	if !run.Started.IsZero() && run.Status != "queued" {
		ev["started_at"] = run.Started.UTC().Format(time.RFC3339)
	}
	if run.Status == "completed" && !run.Updated.IsZero() {
		ev["completed_at"] = run.Updated.UTC().Format(time.RFC3339)
	}
}

// Reconcile implements step.Reconciler: after an attempt that never
// recorded its end, a run of the workflow on the ref started by the token's
// user since that attempt began means the dispatch took effect (then, with
// wait, the step waits for that run); none means it did not, and Apply
// dispatches.
func (k GitHubDispatchWorkflow) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	if c.Interrupted.IsZero() {
		return nil, false, nil
	}
	d, err := k.prepare(ctx, c)
	if err != nil {
		return nil, false, err
	}
	if err := d.login(ctx); err != nil {
		return nil, false, err
	}
	runs, err := d.candidates(ctx, c.Interrupted.Add(-runSkew), nil)
	if err != nil {
		return nil, false, err
	}
	if len(runs) == 0 {
		c.Logf("no run of %s on %s started since the interrupted attempt: dispatching it", d.t.Str("workflow"), d.t.Str("ref"))
		return nil, false, nil
	}
	run := runs[0]
	c.Logf("the interrupted attempt started run %d of %s", run.ID, d.t.Str("workflow"))
	res := d.result(run.Created)
	res.Evidence["run_found"] = "reconciled after an interrupted attempt"
	d.record(res, run)
	res.Summary = fmt.Sprintf("dispatched %s of %s on %s (run %d, found after an interrupted attempt)", d.t.Str("workflow"), d.t.Str("repo"), d.t.Str("ref"), run.ID)
	if !c.Bool("wait") {
		return res, true, nil
	}
	if res, err = d.wait(ctx, run, res); err != nil {
		return nil, false, err
	}
	return res, true, nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
