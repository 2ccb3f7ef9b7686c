package githubapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
)

func TestGetWorkflowAndRefs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, readToken, Limits{})
	for _, name := range []string{"deploy.yml", "7001", ".github/workflows/deploy.yml"} {
		wf, err := e.c.GetWorkflow(ctx, "acme", "api", name)
		if err != nil || wf.ID != 7001 || wf.Path != ".github/workflows/deploy.yml" || wf.State != "active" || wf.HTMLURL == "" {
			t.Errorf("GetWorkflow(%s) = %+v, %v", name, wf, err)
		}
	}
	_, err := e.c.GetWorkflow(ctx, "acme", "api", "nope.yml")
	if !is404(err) || !step.IsPermanent(err) || !strings.Contains(err.Error(), "read workflow nope.yml of acme/api") {
		t.Errorf("unknown workflow: %v", err)
	}
	for ref, want := range map[string]bool{"main": true, "refs/heads/main": true, "v1.2": true, "refs/tags/v1.2": true,
		"nope": false, "refs/heads/v1.2": false, "../main": false, "": false} {
		got, err := e.c.RefExists(ctx, "acme", "api", ref)
		if err != nil || got != want {
			t.Errorf("RefExists(%q) = %v, %v; want %v", ref, got, err, want)
		}
	}
	// A bare name is a branch first: one request when it is one.
	before := e.rec.count("GET /repos/acme/api/git/ref/")
	if ok, _ := e.c.RefExists(ctx, "acme", "api", "main"); !ok || e.rec.count("GET /repos/acme/api/git/ref/")-before != 1 {
		t.Errorf("RefExists(main) took %d requests", e.rec.count("GET /repos/acme/api/git/ref/")-before)
	}
	if _, err := e.c.RefExists(ctx, "acme", "nope", "main"); err != nil {
		t.Errorf("a ref of an unknown repository: %v (GitHub answers 404, so the ref does not exist)", err)
	}
	e.conformant(t)
}

func TestWorkflowTrigger(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, readToken, Limits{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "ci.yml", ID: 7002}))
	must(e.sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "release.yml", ID: 7003, Dispatch: true,
		Inputs: []githubsim.WorkflowInput{{Name: "version", Required: true}, {Name: "channel", Required: true, Default: "stable", Type: "choice"}}}))
	must(e.sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "plain.yml", ID: 7004, Dispatch: true}))
	tr, err := e.c.WorkflowTrigger(ctx, "acme", "api", ".github/workflows/release.yml", "v1.2")
	if err != nil || !tr.Dispatch || len(tr.Inputs) != 2 ||
		tr.Inputs[0] != (WorkflowInput{Name: "version", Required: true, Type: "string"}) ||
		tr.Inputs[1] != (WorkflowInput{Name: "channel", Required: true, Default: "stable", HasDefault: true, Type: "choice"}) {
		t.Fatalf("release.yml: %+v %v", tr, err)
	}
	if tr, err := e.c.WorkflowTrigger(ctx, "acme", "api", ".github/workflows/ci.yml", "main"); err != nil || tr.Dispatch {
		t.Errorf("ci.yml: %+v %v", tr, err)
	}
	if tr, err := e.c.WorkflowTrigger(ctx, "acme", "api", ".github/workflows/plain.yml", "main"); err != nil || !tr.Dispatch || len(tr.Inputs) != 0 {
		t.Errorf("plain.yml: %+v %v", tr, err)
	}
	if _, err := e.c.WorkflowTrigger(ctx, "acme", "api", ".github/workflows/deploy.yml", "nope"); !is404(err) || !strings.Contains(err.Error(), "No commit found for the ref nope") {
		t.Errorf("unknown ref: %v", err)
	}
	e.conformant(t)
}

func TestDispatchWorkflowAndRuns(t *testing.T) {
	ctx := context.Background()
	clk := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clk }
	e := newEnv(t, githubsim.Options{Now: now}, adminToken, Limits{})
	d, err := e.c.DispatchWorkflow(ctx, "acme", "api", "deploy.yml", "main", map[string]any{"reason": "rotate"})
	if err != nil || d.RunID == 0 || !strings.HasSuffix(d.HTMLURL, "/acme/api/actions/runs/"+itoa(d.RunID)) || !strings.HasSuffix(d.RunURL, "/repos/acme/api/actions/runs/"+itoa(d.RunID)) {
		t.Fatalf("dispatch: %+v %v", d, err)
	}
	clk = clk.Add(time.Minute)
	d2, err := e.c.DispatchWorkflow(ctx, "acme", "api", "7001", "v1.2", nil)
	if err != nil || d2.RunID == d.RunID {
		t.Fatalf("dispatch by ID: %+v %v", d2, err)
	}
	snap := e.sim.Snapshot()
	if len(snap.Dispatches) != 2 || snap.Dispatches[0].Inputs["reason"] != "rotate" || snap.Dispatches[1].Ref != "v1.2" || snap.Dispatches[0].RunID != d.RunID {
		t.Fatalf("dispatches: %+v", snap.Dispatches)
	}
	run, err := e.c.GetWorkflowRun(ctx, "acme", "api", d.RunID)
	if err != nil || run.ID != d.RunID || run.WorkflowID != 7001 || run.Event != "workflow_dispatch" || run.HeadBranch != "main" ||
		run.Actor != "alice" || run.Status != "completed" || run.Conclusion != "success" || !run.Created.Equal(clk.Add(-time.Minute)) || run.HTMLURL != d.HTMLURL {
		t.Fatalf("run: %+v %v", run, err)
	}
	if _, err := e.c.GetWorkflowRun(ctx, "acme", "api", 42); !is404(err) {
		t.Errorf("unknown run: %v", err)
	}
	list := func(f RunFilter) []int64 {
		t.Helper()
		runs, err := e.c.ListWorkflowRuns(ctx, "acme", "api", "deploy.yml", f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	if ids := list(RunFilter{}); len(ids) != 2 || ids[0] != d2.RunID {
		t.Errorf("all runs (newest first): %v", ids)
	}
	if ids := list(RunFilter{Event: "workflow_dispatch", Branch: "main", Actor: "alice"}); len(ids) != 1 || ids[0] != d.RunID {
		t.Errorf("main runs: %v", ids)
	}
	if ids := list(RunFilter{Since: clk.Add(-30 * time.Second)}); len(ids) != 1 || ids[0] != d2.RunID {
		t.Errorf("runs since: %v", ids)
	}
	if ids := list(RunFilter{Actor: "bob"}); len(ids) != 0 {
		t.Errorf("bob's runs: %v", ids)
	}

	// GitHub refuses what it cannot run, with its message.
	for _, tc := range []struct{ workflow, ref, want string }{
		{"deploy.yml", "nope", "422 Unprocessable Entity: No ref found for: nope"},
		{"nope.yml", "main", "404"},
	} {
		_, err := e.c.DispatchWorkflow(ctx, "acme", "api", tc.workflow, tc.ref, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !step.IsPermanent(err) || !strings.Contains(err.Error(), "dispatch workflow "+tc.workflow+" of acme/api on "+tc.ref) {
			t.Errorf("%s@%s: %v", tc.workflow, tc.ref, err)
		}
	}
	e.conformant(t, deliberately422)
}

// deliberately422 matches the spec checker's complaint about the 422s a
// test provokes: the description declares no 422 for the dispatch.
const deliberately422 = "response 422"

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A server that ignores return_run_details answers 204: the dispatch
// succeeds with no run details.
func TestDispatchWithoutRunDetails(t *testing.T) {
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	e.faults.add("POST", "/dispatches", 1, func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) })
	d, err := e.c.DispatchWorkflow(context.Background(), "acme", "api", "deploy.yml", "main", nil)
	if err != nil || d != (Dispatched{}) {
		t.Fatalf("dispatch answered 204: %+v %v", d, err)
	}
}

// A dispatch is never sent twice by the client, even after a 5xx (the run
// may have started); reading a run is retried.
func TestDispatchIsNotRetried(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	bad := func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) }
	e.faults.add("POST", "/dispatches", 1, bad)
	_, err := e.c.DispatchWorkflow(ctx, "acme", "api", "deploy.yml", "main", nil)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != http.StatusBadGateway || step.IsPermanent(err) {
		t.Fatalf("dispatch after a 502: %v", err)
	}
	if n := e.rec.count("POST /repos/acme/api/actions/workflows/deploy.yml/dispatches"); n != 1 {
		t.Errorf("the dispatch was sent %d times", n)
	}
	d, err := e.c.DispatchWorkflow(ctx, "acme", "api", "deploy.yml", "main", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.faults.add("GET", "/actions/runs/"+itoa(d.RunID), 1, bad)
	if _, err := e.c.GetWorkflowRun(ctx, "acme", "api", d.RunID); err != nil {
		t.Fatalf("GET run after one 502: %v", err)
	}
	if n := e.rec.count("GET /repos/acme/api/actions/runs/"); n != 2 {
		t.Errorf("the run was read %d times, want 2 (one retry)", n)
	}
}
