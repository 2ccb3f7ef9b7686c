package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// The engine is under test; the step kinds below are simple, real
// implementations of the step contract that count what they are asked to do.

type counter struct {
	mu                    sync.Mutex
	applied               map[string]int // by step id (+item)
	planned               int
	inFlight, maxInFlight int32
	failFirst             map[string]int // step id -> failures before success
	permanent             bool
	prevSeen              map[string]*step.Result
	gen                   int
}

func newCounter() *counter {
	return &counter{applied: map[string]int{}, failFirst: map[string]int{}, prevSeen: map[string]*step.Result{}}
}

func (c *counter) count(call *step.Call) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := call.StepID
	if call.Item != "" {
		k += "[" + call.Item + "]"
	}
	c.applied[k]++
	if call.Previous != nil {
		c.prevSeen[call.StepID] = call.Previous
	}
	return c.applied[k]
}

// work: mutating, idempotent unless with idempotent=false; writes "value".
type work struct{ c *counter }

func (w work) Spec() step.Spec {
	return step.Spec{Kind: "work", Summary: "do work", Mutates: true, Idempotent: true, Params: []step.Param{
		{Name: "value", Type: step.String, AcceptsSecret: true},
		{Name: "idempotent", Type: step.Bool, Default: true},
		{Name: "sleep", Type: step.Duration},
	}, Outputs: []step.Output{{Name: "out", Type: step.String}}}
}
func (w work) Idempotent(c *step.Call) bool { return c.Bool("idempotent") }
func (w work) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	w.c.mu.Lock()
	w.c.planned++
	w.c.mu.Unlock()
	v := c.Params["value"]
	if s, ok := v.(secret.Value); ok {
		v = s.Redacted()
	}
	return []step.Change{{Action: step.Update, Target: fmt.Sprint(v), Effect: "write"}}, nil
}
func (w work) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	n := int32(0)
	n = atomic.AddInt32(&w.c.inFlight, 1)
	defer atomic.AddInt32(&w.c.inFlight, -1)
	for {
		m := atomic.LoadInt32(&w.c.maxInFlight)
		if n <= m || atomic.CompareAndSwapInt32(&w.c.maxInFlight, m, n) {
			break
		}
	}
	times := w.c.count(c)
	if d := c.Duration("sleep"); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if times <= w.c.failFirst[c.StepID] {
		err := fmt.Errorf("transient failure %d", times)
		if w.c.permanent {
			err = step.Permanent(err)
		}
		return nil, err
	}
	return &step.Result{Outputs: map[string]any{"out": "done"}, Summary: "worked"}, nil
}

// gen: produces a new secret each time.
type gen struct{ c *counter }

func (g gen) Spec() step.Spec {
	return step.Spec{Kind: "gen", Summary: "generate", Mutates: true, Idempotent: false,
		Outputs: []step.Output{{Name: "secret", Type: step.Secret, Secret: true}}}
}
func (g gen) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return []step.Change{{Action: step.Create, Target: "key", Effect: "create"}}, nil
}
func (g gen) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	g.c.count(c)
	g.c.mu.Lock()
	g.c.gen++
	n := g.c.gen
	g.c.mu.Unlock()
	v := secret.New(fmt.Sprintf("sk-proj-GENERATED%030d", n))
	c.Secrets.Add(v)
	return &step.Result{Outputs: map[string]any{"secret": v}}, nil
}

// look only reads: it runs while planning.
type look struct {
	c    *counter
	fail bool
}

func (l look) Spec() step.Spec {
	return step.Spec{Kind: "look", Summary: "look", Reads: true, Idempotent: true,
		Outputs: []step.Output{{Name: "found", Type: step.String}}}
}
func (l look) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return []step.Change{{Action: step.Read, Target: "world", Effect: "look"}}, nil
}
func (l look) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	l.c.count(c)
	if l.fail {
		return nil, step.Permanent(fmt.Errorf("token cannot write acme/api: %w", step.ErrPreflight))
	}
	return &step.Result{Outputs: map[string]any{"found": "target-7"}, Summary: "found target-7"}, nil
}

// boom panics, as a buggy kind would.
type boom struct{ work }

func (b boom) Spec() step.Spec { s := b.work.Spec(); s.Kind = "boom"; return s }
func (b boom) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	panic("boom: nil map")
}

type lookFail struct{ look }

func (l lookFail) Spec() step.Spec { s := l.look.Spec(); s.Kind = "lookfail"; return s }

type catalog map[string]step.Kind

func (c catalog) Lookup(k string) (step.Kind, bool) { v, ok := c[k]; return v, ok }
func (c catalog) Kinds() []step.Kind {
	var out []step.Kind
	for _, k := range c {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec().Kind < out[j].Spec().Kind })
	return out
}

type yesApprover struct {
	answer bool
	asked  []string
	mu     sync.Mutex
}

func (a *yesApprover) Approve(ctx context.Context, q string) (step.Approval, error) {
	a.mu.Lock()
	a.asked = append(a.asked, q)
	a.mu.Unlock()
	if !a.answer {
		return step.Approval{By: "t", How: "prompt"}, step.ErrDeclined
	}
	return step.Approval{Approved: true, By: "t", How: "--yes"}, nil
}

type nopObserver struct {
	mu   sync.Mutex
	logs []string
	plan *Plan
}

func (o *nopObserver) Planned(p *Plan)      { o.plan = p }
func (o *nopObserver) StepStarted(Instance) {}
func (o *nopObserver) StepLog(in Instance, l string) {
	o.mu.Lock()
	o.logs = append(o.logs, l)
	o.mu.Unlock()
}
func (o *nopObserver) StepFinished(in Instance, r StepOutcome) {}

type harness struct {
	t       *testing.T
	c       *counter
	cat     catalog
	pb      *playbook.Playbook
	dir     string
	obs     *nopObserver
	approve *yesApprover
	key     journal.Key // seals the journal across runs
}

func newHarness(t *testing.T, src string) *harness {
	t.Helper()
	c := newCounter()
	cat := catalog{"work": work{c}, "gen": gen{c}, "look": look{c: c}, "lookfail": lookFail{look{c: c, fail: true}}, "boom": boom{work{c}}, "noting": noting{work{c}}}
	pb, diags := playbook.Parse("test.yaml", []byte(src), cat)
	if diags.HasErrors() {
		t.Fatalf("playbook: %v", diags.Err())
	}
	return &harness{t: t, c: c, cat: cat, pb: pb, dir: t.TempDir(), approve: &yesApprover{answer: true}, key: journal.GenerateKey().For("INC-test")}
}

func (h *harness) run(ctx context.Context, dry bool, mod func(*Options)) (*Outcome, []journal.Record, error) {
	h.t.Helper()
	path := filepath.Join(h.dir, journal.FileName)
	hist, _ := journal.ReadFile(path)
	reg := secret.NewRegistry()
	jw, err := journal.Open(path, h.key, reg)
	if err != nil {
		h.t.Fatal(err)
	}
	defer jw.Close()
	h.obs = &nopObserver{}
	inputs, err := playbook.ResolveInputs(h.pb, nil, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	o := Options{Playbook: h.pb, Catalog: h.cat, Inputs: inputs, Incident: "INC-test", Dir: h.dir, Journal: jw,
		History: hist, Secrets: reg, Observer: h.obs, Approver: h.approve, DryRun: dry,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	if mod != nil {
		mod(&o)
	}
	e, err := New(o)
	if err != nil {
		h.t.Fatal(err)
	}
	out, runErr := e.Run(ctx)
	recs, _ := journal.ReadFile(path)
	return out, recs, runErr
}

func TestDryRunAppliesNothing(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
inputs:
  targets: {type: list, default: [a, b, c]}
steps:
  - id: one
    uses: work
    with: {value: x}
  - id: many
    uses: work
    foreach: ${{ inputs.targets }}
    with: {value: "${{ item }}"}
  - id: later
    uses: work
    with: {value: "${{ steps.one.outputs.out }}"}
`)
	out, _, err := h.run(context.Background(), true, nil)
	if err != nil || out.Status != "planned" {
		t.Fatalf("dry run: %v %v", out, err)
	}
	if len(h.c.applied) != 0 || len(h.approve.asked) != 0 {
		t.Fatalf("dry run applied %v / asked %v", h.c.applied, h.approve.asked)
	}
	var got []string
	for _, r := range out.Plan.Rows {
		got = append(got, r.Step+"["+r.Item+"]="+r.Target+"/"+r.State)
	}
	want := "one[]=x/pending many[a]=a/pending many[b]=b/pending many[c]=c/pending later[]=(known after one)/pending"
	if strings.Join(got, " ") != want {
		t.Errorf("plan rows:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestRetriesOnlyIdempotentSteps(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
steps:
  - id: idem
    uses: work
    retry: {attempts: 3, backoff: 1ms}
    with: {value: x}
`)
	h.c.failFirst["idem"] = 2
	if _, _, err := h.run(context.Background(), false, nil); err != nil {
		t.Fatalf("idempotent step should succeed on its third attempt: %v", err)
	}
	if h.c.applied["idem"] != 3 {
		t.Errorf("applied %d times, want 3", h.c.applied["idem"])
	}

	h2 := newHarness(t, `
name: t
description: d
steps:
  - id: once
    uses: work
    retry: {attempts: 3, backoff: 1ms}
    with: {value: x, idempotent: false}
`)
	h2.c.failFirst["once"] = 1
	_, _, err := h2.run(context.Background(), false, nil)
	var se *StepError
	if !errors.As(err, &se) || h2.c.applied["once"] != 1 {
		t.Errorf("non-idempotent: err %v, applied %d; want one attempt and a StepError", err, h2.c.applied["once"])
	}

	h3 := newHarness(t, `
name: t
description: d
steps:
  - id: perm
    uses: work
    retry: {attempts: 5, backoff: 1ms}
    with: {value: x}
`)
	h3.c.failFirst["perm"] = 10
	h3.c.permanent = true
	h3.run(context.Background(), false, nil)
	if h3.c.applied["perm"] != 1 {
		t.Errorf("a permanent error was retried %d times", h3.c.applied["perm"])
	}
}

func TestForeachRespectsConcurrency(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
inputs:
  targets: {type: list, default: [a, b, c, d, e, f, g, h]}
steps:
  - id: fan
    uses: work
    foreach: ${{ inputs.targets }}
    concurrency: 3
    with: {value: "${{ item }}", sleep: 20ms}
`)
	out, _, err := h.run(context.Background(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Steps) != 8 || len(h.c.applied) != 8 {
		t.Fatalf("ran %d instances", len(h.c.applied))
	}
	if m := atomic.LoadInt32(&h.c.maxInFlight); m > 3 || m < 2 {
		t.Errorf("max in flight = %d, want 2..3", m)
	}
}

func TestConfirmDeclinedIsDeclined(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
steps:
  - id: gated
    uses: work
    confirm: Really?
    with: {value: x}
`)
	h.approve.answer = false
	out, recs, err := h.run(context.Background(), false, nil)
	var de *DeclinedError
	if !errors.Is(err, ErrCancelled) || !errors.As(err, &de) || out.Status != "declined" || len(h.c.applied) != 0 {
		t.Fatalf("err %v status %s applied %v", err, out.Status, h.c.applied)
	}
	if last := recs[len(recs)-1]; last.Type != journal.IncidentFinished || last.Status != "declined" {
		t.Errorf("last record %+v", last)
	}
	// The decline is journaled like an approval: the report's timeline
	// shows who declined.
	declined := false
	for _, r := range recs {
		if r.Type == journal.Approved && r.Message == "Apply this plan?" && r.Data["approved"] == false {
			declined = true
		}
	}
	if !declined {
		t.Error("the journal has no approval record of the decline")
	}
}

func TestResumeReappliesSecretProducerAndItsConsumers(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
steps:
  - id: gen
    uses: gen
  - id: first
    uses: work
    with: {value: "${{ steps.gen.outputs.secret }}"}
  - id: second
    uses: work
    with: {value: "${{ steps.gen.outputs.secret }}"}
`)
	h.c.failFirst["second"] = 1
	h.c.permanent = true
	_, _, err := h.run(context.Background(), false, nil)
	if err == nil {
		t.Fatal("second should fail the first run")
	}
	// Resume: the secret is not in the journal, so gen runs again, and
	// first runs again to receive the new value, then second.
	out, recs, err := h.run(context.Background(), false, nil)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if h.c.applied["gen"] != 2 || h.c.applied["first"] != 2 || h.c.applied["second"] != 2 {
		t.Errorf("applied = %v; want gen, first and second twice each", h.c.applied)
	}
	if h.c.prevSeen["gen"] == nil {
		t.Error("the re-applied producer should see its previous result (to clean it up)")
	}
	states := map[string]string{}
	for _, r := range out.Plan.Rows {
		states[r.Step] = r.State
	}
	if states["gen"] != RowRerun || states["first"] != RowRerun || states["second"] != RowRerun {
		t.Errorf("plan states = %v", states)
	}
	for _, r := range recs {
		if strings.Contains(fmt.Sprint(r), "GENERATED") {
			t.Errorf("secret value journaled: %+v", r)
		}
	}
}

func TestInterruptLeavesAttemptOpen(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
steps:
  - id: slow
    uses: work
    with: {value: x, sleep: 300ms}
`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, recs, err := h.run(ctx, false, nil)
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want InterruptedError", err)
	}
	last := recs[len(recs)-1]
	if last.Type != journal.RunInterrupted || recs[len(recs)-2].Type != journal.StepStarted {
		t.Errorf("journal tail: %+v, %+v", recs[len(recs)-2], last)
	}
	// Resume: the work kind is idempotent and has no Reconcile, so it runs again.
	if _, _, err := h.run(context.Background(), false, func(o *Options) {}); err != nil {
		t.Fatal(err)
	}
	if h.c.applied["slow"] != 2 {
		t.Errorf("applied %d", h.c.applied["slow"])
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	r := &playbook.Retry{Attempts: 10, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for n, hi := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 8: time.Second} {
		for range 50 {
			d := backoff(r, n)
			if d < hi/2 || d > hi {
				t.Fatalf("backoff(%d) = %s, want in [%s, %s]", n, d, hi/2, hi)
			}
		}
	}
}

func TestReadStepsRunWhilePlanning(t *testing.T) {
	src := `
name: t
description: d
steps:
  - id: find
    uses: look
  - id: change
    uses: work
    with: {value: "${{ steps.find.outputs.found }}"}
`
	h := newHarness(t, src)
	out, _, err := h.run(context.Background(), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.c.applied["find"] != 1 || h.c.applied["change"] != 0 {
		t.Fatalf("dry run applied %v; want only the read step", h.c.applied)
	}
	if r := out.Plan.Rows[1]; r.Target != "target-7" || r.State != RowPending {
		t.Errorf("the plan should name what the read step found: %+v", r)
	}
	if r := out.Plan.Rows[0]; r.State != RowDone || !strings.Contains(r.Effect, "found target-7") {
		t.Errorf("read row: %+v", r)
	}

	h2 := newHarness(t, strings.Replace(src, "uses: look", "uses: lookfail", 1))
	_, _, err = h2.run(context.Background(), false, nil)
	if !errors.Is(err, step.ErrPreflight) || len(h2.approve.asked) != 0 || h2.c.applied["change"] != 0 {
		t.Errorf("a failing read step must stop before approval and change: err %v asked %v applied %v", err, h2.approve.asked, h2.c.applied)
	}
}

func TestPanickingKindFailsItsStep(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
inputs:
  targets: {type: list, default: [a, b]}
steps:
  - id: fan
    uses: boom
    foreach: ${{ inputs.targets }}
    concurrency: 2
    with: {value: x}
`)
	_, _, err := h.run(context.Background(), false, nil)
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "internal error in step kind boom") {
		t.Fatalf("err = %v, want a StepError naming the bug", err)
	}
}

// noting is work whose fan-outs note how many items will run and which.
type noting struct{ work }

func (n noting) Spec() step.Spec { s := n.work.Spec(); s.Kind = "noting"; return s }
func (n noting) PlanNotes(ctx context.Context, calls []*step.Call) []step.Note {
	var items []string
	for _, c := range calls {
		items = append(items, c.Item+"="+c.String("value"))
	}
	return []step.Note{{ID: "count", Text: strings.Join(items, ","), FollowUp: "title",
		Figures: map[string]float64{"items": float64(len(calls))}}}
}

// A fan-out's kind that notes its items as a whole is asked once, with a
// call per item that will run (resolved as it will run), and its notes
// are in the plan and journaled with it; items done in an earlier run are
// left out.
func TestPlanNotes(t *testing.T) {
	h := newHarness(t, `
name: t
description: d
inputs:
  targets: {type: list, default: [a, b, c]}
steps:
  - id: many
    uses: noting
    foreach: ${{ inputs.targets }}
    concurrency: 2
    with: {value: "v-${{ item }}"}
`)
	out, recs, err := h.run(context.Background(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Note{Step: "many", Note: step.Note{ID: "count", Text: "a=v-a,b=v-b,c=v-c", FollowUp: "title", Figures: map[string]float64{"items": 3}}}
	if len(out.Plan.Notes) != 1 || fmt.Sprint(out.Plan.Notes[0]) != fmt.Sprint(want) {
		t.Fatalf("notes %+v", out.Plan.Notes)
	}
	var journaled []any
	for _, r := range recs {
		if r.Type == journal.PlanRecorded {
			journaled, _ = r.Data["notes"].([]any)
		}
	}
	if len(journaled) != 1 || !strings.Contains(fmt.Sprint(journaled[0]), "a=v-a,b=v-b,c=v-c") {
		t.Fatalf("journaled notes %v", journaled)
	}
	// Run again: every item is done, so there is nothing to note.
	out, _, err = h.run(context.Background(), false, nil)
	if err != nil || len(out.Plan.Notes) != 0 {
		t.Fatalf("second run: notes %+v, %v", out.Plan.Notes, err)
	}
}
