package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/step"
)

// hold takes something the process holds (a lock): it runs in every run.
type hold struct {
	c    *counter
	fail error
}

func (h hold) Spec() step.Spec {
	return step.Spec{Kind: "hold", Summary: "hold", Reads: true, Idempotent: true, Holds: true,
		Params: []step.Param{{Name: "name", Type: step.String}}}
}
func (h hold) Plan(context.Context, *step.Call) ([]step.Change, error) { return nil, nil }
func (h hold) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	h.c.count(c)
	if h.fail != nil {
		return nil, step.Permanent(h.fail)
	}
	return &step.Result{Summary: "held " + c.String("name")}, nil
}

// echo reads: its output is its parameter.
type echo struct{ c *counter }

func (e echo) Spec() step.Spec {
	return step.Spec{Kind: "echo", Summary: "echo", Reads: true, Idempotent: true,
		Params:  []step.Param{{Name: "value", Type: step.String}},
		Outputs: []step.Output{{Name: "value", Type: step.String}}}
}
func (e echo) Plan(context.Context, *step.Call) ([]step.Change, error) { return nil, nil }
func (e echo) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	e.c.count(c)
	return &step.Result{Outputs: map[string]any{"value": c.String("value")}}, nil
}

// takeaway plans a destructive change.
type takeaway struct{ work }

func (t takeaway) Spec() step.Spec { s := t.work.Spec(); s.Kind = "takeaway"; return s }
func (t takeaway) Plan(context.Context, *step.Call) ([]step.Change, error) {
	return []step.Change{{Action: step.Update, Target: "org secret", Effect: "worker loses access", Destructive: true}}, nil
}

func newHarnessWith(t *testing.T, src string, extra map[string]func(*counter) step.Kind) *harness {
	t.Helper()
	h := newHarness(t, "name: t\ndescription: d\nsteps:\n  - id: x\n    uses: work\n")
	for name, mk := range extra {
		h.cat[name] = mk(h.c)
	}
	pb, diags := playbook.Parse("test.yaml", []byte(src), h.cat)
	if diags.HasErrors() {
		t.Fatalf("playbook: %v", diags.Err())
	}
	h.pb = pb
	return h
}

// interrupt runs h until the step named in sleepStep has started, then
// cancels, leaving its attempt open in the journal.
func interrupt(t *testing.T, h *harness) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(80 * time.Millisecond); cancel() }()
	_, _, err := h.run(ctx, false, nil)
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("first run: %v, want an interruption", err)
	}
}

func TestResumeDecidesBeforeActing(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
steps:
  - id: gen
    uses: gen
  - id: use
    uses: work
    with: {value: "${{ steps.gen.outputs.secret }}"}
  - id: once
    uses: work
    with: {value: x, idempotent: false, sleep: 10s}
`)
	interrupt(t, h)
	if h.c.applied["gen"] != 1 || h.c.applied["use"] != 1 || h.c.applied["once"] != 1 {
		t.Fatalf("first run applied %v", h.c.applied)
	}
	// Resume with --yes: `once` is undecided, so nothing runs, not even
	// gen (whose secret `use` needs again) — and the plan says why.
	out, recs, err := h.run(context.Background(), false, nil)
	var uo *UnknownOutcomeError
	if !errors.As(err, &uo) || len(uo.Steps) != 1 || uo.Steps[0] != "once" {
		t.Fatalf("resume: %v, want an UnknownOutcomeError naming once", err)
	}
	if h.c.applied["gen"] != 1 || h.c.applied["use"] != 1 {
		t.Fatalf("resume acted before deciding: applied %v", h.c.applied)
	}
	if len(h.approve.asked) != 1 { // the first run's plan only
		t.Fatalf("asked %v", h.approve.asked)
	}
	found := false
	for _, r := range out.Plan.Rows {
		if r.Step == "once" && r.State == RowUndecided && strings.Contains(r.Effect, "--assume-done once") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the plan does not mark once as undecided: %+v", out.Plan.Rows)
	}
	if recs[len(recs)-1].Type != journal.RunInterrupted {
		t.Fatalf("last record %s, want run.interrupted", recs[len(recs)-1].Type)
	}
	for _, want := range []string{"--assume-done once", "--rerun once", "nothing was done"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
	// Deciding lets it go on.
	if _, _, err := h.run(context.Background(), false, func(o *Options) { o.AssumeDone = []string{"once"} }); err != nil {
		t.Fatalf("resume --assume-done once: %v", err)
	}
	if h.c.applied["gen"] != 1 || h.c.applied["once"] != 1 {
		t.Fatalf("after deciding: applied %v", h.c.applied)
	}
}

func TestHoldingStepRunsOnEveryResume(t *testing.T) {
	h := newHarnessWith(t, `
name: t
description: d
steps:
  - id: lock
    uses: hold
    with: {name: key}
  - id: slow
    uses: work
    with: {value: x, sleep: 10s}
`, map[string]func(*counter) step.Kind{"hold": func(c *counter) step.Kind { return hold{c: c} }})
	interrupt(t, h)
	interrupt(t, h)
	if h.c.applied["lock"] != 2 {
		t.Fatalf("lock applied %d times, want once per run (2)", h.c.applied["lock"])
	}
}

func TestLockedIsRefused(t *testing.T) {
	h := newHarnessWith(t, `
name: t
description: d
steps:
  - id: lock
    uses: hold
  - id: w
    uses: work
    with: {value: x}
`, map[string]func(*counter) step.Kind{"hold": func(c *counter) step.Kind {
		return hold{c: c, fail: fmt.Errorf("alert acme/api#1 is already being handled by alice: %w", step.ErrLocked)}
	}})
	out, recs, err := h.run(context.Background(), false, nil)
	if !errors.Is(err, step.ErrLocked) || out.Status != "refused" || h.c.applied["w"] != 0 || len(h.approve.asked) != 0 {
		t.Fatalf("status %s err %v applied %v asked %v", out.Status, err, h.c.applied, h.approve.asked)
	}
	if last := recs[len(recs)-1]; last.Type != journal.IncidentFinished || last.Status != "refused" {
		t.Fatalf("last record %+v", last)
	}
}

func TestReadStepWithChangedParamsRunsAgainWithItsConsumers(t *testing.T) {
	src := `
name: t
description: d
inputs:
  where: {type: string}
steps:
  - id: find
    uses: echo
    with: {value: "${{ inputs.where }}"}
  - id: first
    uses: work
    with: {value: x}
  - id: use
    uses: work
    with: {value: "${{ steps.find.outputs.value }}"}
`
	h := newHarnessWith(t, src, map[string]func(*counter) step.Kind{"echo": func(c *counter) step.Kind { return echo{c: c} }})
	h.c.failFirst["use"] = 1
	h.c.permanent = true
	set := func(v string) func(*Options) {
		return func(o *Options) { o.Inputs = map[string]any{"where": v} }
	}
	if _, _, err := h.run(context.Background(), false, set("nowhere")); err == nil {
		t.Fatal("first run should fail at use")
	}
	// Same parameters: find is not read again.
	if _, _, err := h.run(context.Background(), false, set("nowhere")); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if h.c.applied["find"] != 1 || h.c.applied["first"] != 1 || h.c.applied["use"] != 2 {
		t.Fatalf("unchanged resume applied %v", h.c.applied)
	}
	// A new value: find runs again, and so does use, which consumed it;
	// first, which did not, does not.
	out, _, err := h.run(context.Background(), false, set("acme/api"))
	if err != nil {
		t.Fatalf("resume with a new input: %v", err)
	}
	if h.c.applied["find"] != 2 || h.c.applied["first"] != 1 || h.c.applied["use"] != 3 {
		t.Fatalf("changed resume applied %v (status %s)", h.c.applied, out.Status)
	}
}

func TestDestructiveChangeNeedsItsOwnConfirmation(t *testing.T) {
	h := newHarnessWith(t, `
name: t
description: d
steps:
  - id: org
    uses: takeaway
    with: {value: x}
`, map[string]func(*counter) step.Kind{"takeaway": func(c *counter) step.Kind { return takeaway{work{c}} }})
	a := &scriptedApprover{answers: []bool{true, false}}
	out, _, err := h.run(context.Background(), false, func(o *Options) { o.Approver = a })
	if !errors.Is(err, ErrCancelled) || h.c.applied["org"] != 0 {
		t.Fatalf("err %v applied %v", err, h.c.applied)
	}
	if len(a.asked) != 2 || !strings.Contains(a.asked[1], "worker loses access") {
		t.Fatalf("asked %q", a.asked)
	}
	if !out.Plan.Rows[0].Destructive {
		t.Fatal("the plan row is not marked destructive")
	}
}

type scriptedApprover struct {
	answers []bool
	asked   []string
}

func (a *scriptedApprover) Approve(ctx context.Context, q string) (step.Approval, error) {
	a.asked = append(a.asked, q)
	ok := len(a.answers) > 0 && a.answers[0]
	if len(a.answers) > 0 {
		a.answers = a.answers[1:]
	}
	if !ok {
		return step.Approval{By: "t", How: "prompt"}, step.ErrDeclined
	}
	return step.Approval{Approved: true, By: "t", How: "prompt"}, nil
}

// checkpointer records a checkpoint, then hangs; its Reconcile keeps what
// the interrupted attempt recorded.
type checkpointer struct {
	got *map[string]any
}

func (k checkpointer) Spec() step.Spec {
	return step.Spec{Kind: "checkpointer", Summary: "checkpointer"}
}
func (k checkpointer) Plan(context.Context, *step.Call) ([]step.Change, error) {
	return []step.Change{{Action: step.Create, Target: "thing", Effect: "make it"}}, nil
}
func (k checkpointer) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	if c.InterruptedCheckpoint == nil {
		if err := c.Checkpoint(map[string]any{"before": []string{"a", "b"}}); err != nil {
			return nil, err
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &step.Result{Summary: "made"}, nil
}
func (k checkpointer) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	*k.got = c.InterruptedCheckpoint
	return nil, false, nil
}

// A checkpoint recorded during an attempt that never finished reaches the
// next run's Reconcile, from the journal.
func TestCheckpointReachesReconcile(t *testing.T) {
	var got map[string]any
	h := newHarnessWith(t, "name: t\ndescription: d\nsteps:\n  - id: make\n    uses: checkpointer\n",
		map[string]func(*counter) step.Kind{"checkpointer": func(*counter) step.Kind { return checkpointer{got: &got} }})
	interrupt(t, h)
	if _, _, err := h.run(context.Background(), false, nil); err != nil {
		t.Fatalf("resume: %v", err)
	}
	before, _ := got["before"].([]any)
	if len(before) != 2 || before[0] != "a" || before[1] != "b" {
		t.Fatalf("Reconcile got checkpoint %v, want before [a b]", got)
	}
}
