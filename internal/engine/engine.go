// Package engine runs playbooks: it plans every step (read-only), asks for
// approval, applies the steps in order with retries, timeouts and fan-out,
// journals every intent and result, and resumes an interrupted incident from
// its journal, reconciling steps whose outcome it cannot know.
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Observer is told what happens, for display. Calls may come from several
// goroutines during a fan-out; implementations must be safe for that.
type Observer interface {
	Planned(p *Plan)
	StepStarted(in Instance)
	StepLog(in Instance, line string)
	StepFinished(in Instance, out StepOutcome)
}

// Instance is one execution of a step (one item of a foreach).
type Instance struct {
	Step    string `json:"step"`
	Name    string `json:"name,omitempty"`
	Kind    string `json:"uses"`
	Item    string `json:"item,omitempty"`
	Attempt int    `json:"attempt"`
	// Of is the number of items of the step's foreach (0 outside one), so
	// a view can show a fan-out's progress.
	Of int `json:"of,omitempty"`
}

// StepOutcome is how an instance ended.
type StepOutcome struct {
	Instance
	Status     string        `json:"status"` // ok|failed|skipped
	Summary    string        `json:"summary,omitempty"`
	Error      string        `json:"error,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Reconciled bool          `json:"reconciled,omitempty"`
	Earlier    bool          `json:"earlier,omitempty"` // done in an earlier run
}

// Options configure a run.
type Options struct {
	Playbook *playbook.Playbook
	Catalog  step.Catalog
	Inputs   map[string]any // resolved; secret inputs as secret.Value
	Incident string
	Dir      string // incident directory
	WorkDir  string // relative paths in steps resolve against it
	Journal  *journal.Writer
	History  []journal.Record // the journal so far, when resuming
	Secrets  *secret.Registry
	Observer Observer
	// Approver answers the plan approval, `confirm:` questions and approve
	// steps. It embodies the policy: prompt on a terminal, approve on
	// --yes, refuse (ErrNeedsYes) otherwise.
	Approver step.Approver
	// Locker takes the locks of lock steps (one response per key); nil in
	// dry runs.
	Locker step.Locker
	DryRun bool
	// AssumeDone and Rerun settle steps whose outcome is unknown after a
	// crash (see UnknownOutcomeError).
	AssumeDone []string
	Rerun      []string
	Command    string // the command line, for the journal (no secrets: argv never holds them)
	// Responder names who runs it, for the journal (default: the OS
	// user); a drill gives the trainee's name.
	Responder string
	// Drill marks an incident of a training drill: journaled as the
	// "drill" field of incident.started and run.started, so reports say
	// DRILL and a debrief attributes each run.
	Drill map[string]any
	// BeforeStep, if set, is called before each step starts (fault
	// injection in crash tests).
	BeforeStep func(stepID string)
	// Sleep waits between retries (tests may shorten it).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Outcome is the result of a run.
type Outcome struct {
	Incident string        `json:"incident"`
	Playbook string        `json:"playbook"`
	Status   string        `json:"status"` // planned|completed|partial|failed|declined|interrupted|refused
	Plan     *Plan         `json:"plan"`
	Steps    []StepOutcome `json:"steps"`
}

type instKey struct{ step, item string }

type instState struct {
	params  string    // digest of the parameters of the last finished attempt
	started bool      // last record is step.started
	startAt time.Time // when that attempt started
	// checkpoint is the last step.checkpoint of that attempt.
	checkpoint map[string]any
	status     string
	outputs    map[string]any
	evidence   map[string]any
	summary    string
	duration   time.Duration
}

// Engine runs one playbook for one incident.
type Engine struct {
	o     Options
	specs map[string]step.Spec
	kinds map[string]step.Kind
	state map[instKey]*instState

	mu      sync.Mutex
	records []journal.Record // the journal: History, then what this run appended
	// why says why a completed step runs again (see reruns).
	why map[string]string
	// recovered holds, for each completed step whose secret outputs were
	// recovered (step.Recoverer) instead of applying it again, where they
	// came from; unrecovered why a recovery was not possible.
	recovered   map[string]string
	unrecovered map[string]string
	// outChanged names, for each read step that ran again in this run's
	// read phase and found something else, the outputs that changed.
	outChanged map[string]map[string]bool
	fresh      map[string]bool // steps run in this run's read phase
	totals     map[string]int  // foreach item counts, by step
	scope      playbook.Scope
	results    []StepOutcome
	prev       map[string]*step.Result
}

// New prepares an engine. The playbook must have been validated against
// the same catalog.
func New(o Options) (*Engine, error) {
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Secrets == nil {
		o.Secrets = secret.NewRegistry()
	}
	e := &Engine{o: o, specs: map[string]step.Spec{}, kinds: map[string]step.Kind{}, state: map[instKey]*instState{}, prev: map[string]*step.Result{}, totals: map[string]int{},
		why: map[string]string{}, recovered: map[string]string{}, unrecovered: map[string]string{}}
	for _, st := range o.Playbook.Steps {
		k, ok := o.Catalog.Lookup(st.Uses)
		if !ok {
			return nil, fmt.Errorf("step %s uses unknown kind %q", st.ID, st.Uses)
		}
		e.kinds[st.ID] = k
		e.specs[st.ID] = k.Spec()
	}
	for _, in := range o.Inputs {
		if v, ok := in.(secret.Value); ok {
			o.Secrets.Add(v)
		}
	}
	e.replay(o.History)
	e.records = append([]journal.Record(nil), o.History...)
	e.scope = playbook.Scope{
		Inputs:   o.Inputs,
		Steps:    map[string]map[string]any{},
		Incident: map[string]any{"id": o.Incident, "dir": o.Dir, "playbook": o.Playbook.Name, "started": started(o.History)},
	}
	return e, nil
}

func (e *Engine) replay(recs []journal.Record) {
	for _, r := range recs {
		e.replayOne(r)
	}
}

// started is when the incident began (RFC 3339): its first journal
// record, or now for a new one.
func started(h []journal.Record) string {
	if len(h) > 0 {
		return h[0].Time.UTC().Format(time.RFC3339)
	}
	return time.Now().UTC().Format(time.RFC3339)
}

// replayOne updates the instances' state with one journal record (the
// caller holds e.mu, or has the engine to itself).
func (e *Engine) replayOne(r journal.Record) {
	switch r.Type {
	case journal.StepStarted:
		s := e.inst(r.Step, r.Item)
		s.started = true
		s.startAt = r.Time
		s.checkpoint = nil
	case journal.StepCheckpoint:
		if s := e.inst(r.Step, r.Item); s.started {
			s.checkpoint = r.Data
		}
	case journal.StepFinished:
		s := e.inst(r.Step, r.Item)
		s.started = false
		if r.Status == journal.StatusFailed && r.Data["retrying"] == true {
			s.status = journal.StatusFailed
			return
		}
		s.status = r.Status
		s.outputs = r.Outputs
		s.evidence = r.Evidence
		s.summary = r.Message
		s.duration = time.Duration(r.DurationMS) * time.Millisecond
		s.params, _ = r.Data["params"].(string)
	}
}

func (e *Engine) inst(stepID, item string) *instState {
	k := instKey{stepID, item}
	s := e.state[k]
	if s == nil {
		s = &instState{}
		e.state[k] = s
	}
	return s
}

// stepDone: every recorded instance of the step finished ok or skipped, and
// at least one was recorded.
func (e *Engine) stepDone(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := false
	for k, s := range e.state {
		if k.step != id {
			continue
		}
		seen = true
		if s.started || (s.status != journal.StatusOK && s.status != journal.StatusSkipped) {
			return false
		}
	}
	return seen
}

// Why a completed step runs again.
const (
	whyForced   = "forced"   // the responder asked (--rerun)
	whyChanged  = "changed"  // a read step whose parameters changed
	whySecret   = "secret"   // a step still to run needs its secret output, which is never kept
	whyConsumer = "consumer" // it consumed an output of a step that runs again
	whyFollows  = "follows"  // it acts on what earlier steps change, and they have changes to make
)

// following marks, in rerun, every completed step that follows the
// changes before it (step.Spec.Follows) when a mutating step before it
// has work left in this run: it runs again, after them.
func (e *Engine) following(rerun map[string]bool) {
	steps := e.o.Playbook.Steps
	pending := false
	for i := range steps {
		st := &steps[i]
		spec := e.specs[st.ID]
		if spec.Follows && pending && e.stepDone(st.ID) {
			e.mu.Lock()
			if !rerun[st.ID] || e.why[st.ID] == whyConsumer {
				// It must run, same parameters or not.
				rerun[st.ID], e.why[st.ID] = true, whyFollows
			}
			e.mu.Unlock()
		}
		if spec.Mutates && (rerun[st.ID] || !e.stepDone(st.ID)) {
			pending = true
		}
	}
}

// reruns computes which completed steps must run again because a step that
// has yet to run needs one of their secret outputs (secrets are never kept
// across runs) that could not be recovered, and, transitively, every
// completed step that consumed an output of a step that runs again (so it
// receives the new value), unless its parameters are known now and are the
// ones it ran with (same inputs, same effect: a re-read inventory that
// changed nothing the step uses). It records why in e.why.
//
// changed seeds it with read steps whose parameters changed since they ran.
func (e *Engine) reruns(changed map[string]bool) map[string]bool {
	steps := e.o.Playbook.Steps
	rerun := map[string]bool{}
	why := map[string]string{}
	for _, id := range e.o.Rerun {
		rerun[id], why[id] = true, whyForced
	}
	for id := range changed {
		if !rerun[id] {
			rerun[id], why[id] = true, whyChanged
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range steps {
			st := &steps[i]
			refs := st.OutputRefs()
			// A step that consumed (or will consume) an output of a step
			// that runs again runs again too, all of its items: they must
			// receive the new value.
			if !rerun[st.ID] && e.ranBefore(st.ID) {
				for _, ref := range refs {
					if rerun[ref.Step] && e.outputChanged(ref.Step, ref.Output) && !e.unchanged(st, rerun) {
						rerun[st.ID], why[st.ID] = true, whyConsumer
						changed = true
						break
					}
				}
			}
			if e.stepDone(st.ID) && !rerun[st.ID] {
				continue
			}
			// A step that has yet to run (or runs again) needs the secret
			// outputs of the steps it refers to, which are never kept.
			for _, ref := range refs {
				if rerun[ref.Step] || !e.stepDone(ref.Step) || e.recovered[ref.Step] != "" {
					continue
				}
				if o, ok := e.specs[ref.Step].Output(ref.Output); ok && (o.Secret || o.Type == step.Secret) {
					rerun[ref.Step], why[ref.Step] = true, whySecret
					changed = true
				}
			}
		}
	}
	e.mu.Lock()
	e.why = why
	e.mu.Unlock()
	return rerun
}

// outputChanged reports whether an output of a step that runs again may
// differ from the one journaled: a read step that ran again in this run's
// read phase says exactly which of its outputs changed; for any other
// step, all may.
func (e *Engine) outputChanged(stepID, output string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.fresh[stepID] || e.outChanged == nil {
		return true
	}
	return e.outChanged[stepID][output]
}

// ranBefore reports whether an instance of the step was recorded in an
// earlier run (finished, failed or interrupted).
func (e *Engine) ranBefore(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k := range e.state {
		if k.step == id {
			return true
		}
	}
	return false
}

// outputDigests fingerprints the journaled outputs of every finished
// single-instance step, output by output, to tell whether a read step
// found something else, and what.
func (e *Engine) outputDigests() map[string]map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]map[string]string{}
	for k, s := range e.state {
		if k.item == "" && !s.started && s.status == journal.StatusOK {
			m := map[string]string{}
			for name, v := range s.outputs {
				m[name] = normalDigest(v)
			}
			out[k.step] = m
		}
	}
	return out
}

// changedOutputs names the outputs that differ between two digests of one
// step's outputs.
func changedOutputs(before, after map[string]string) map[string]bool {
	out := map[string]bool{}
	for name, d := range after {
		if before[name] != d {
			out[name] = true
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			out[name] = true
		}
	}
	return out
}

// normalDigest fingerprints a journaled value as JSON with sorted keys,
// whether it was read back from the journal or just written to it.
func normalDigest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var norm any
	if json.Unmarshal(b, &norm) != nil {
		return ""
	}
	b, _ = json.Marshal(norm)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// unchanged reports whether a completed step (not a fan-out) would run
// with the parameters it ran with: every step it refers to that runs again
// ran already in this run's read phase (so its outputs are known), and the
// parameters resolve to the digest journaled.
func (e *Engine) unchanged(st *playbook.Step, rerun map[string]bool) bool {
	if st.Foreach != nil || !e.stepDone(st.ID) {
		return false
	}
	for _, ref := range st.OutputRefs() {
		if rerun[ref.Step] && !e.fresh[ref.Step] {
			return false
		}
	}
	e.mu.Lock()
	s := e.state[instKey{st.ID, ""}]
	e.mu.Unlock()
	if s == nil || s.params == "" || s.status != journal.StatusOK {
		return false
	}
	params, err := st.Resolve(e.specs[st.ID], e.childScope(nil, false))
	return err == nil && paramsDigest(params) == s.params
}

// recover recovers the secret outputs of completed steps that a step still
// to run needs (step.Recoverer), instead of applying them again; it
// reports whether any was recovered. Nothing in the world changes.
func (e *Engine) recover(ctx context.Context, rerun map[string]bool) (bool, error) {
	found := false
	for i := range e.o.Playbook.Steps {
		st := &e.o.Playbook.Steps[i]
		if !rerun[st.ID] || e.why[st.ID] != whySecret || st.Foreach != nil {
			continue
		}
		r, ok := e.kinds[st.ID].(step.Recoverer)
		if !ok {
			continue
		}
		params, err := st.Resolve(e.specs[st.ID], e.childScope(nil, false))
		if err != nil {
			continue
		}
		c := e.call(st, "", params)
		in := Instance{Step: st.ID, Name: st.Name, Kind: st.Uses}
		c.Log = func(format string, args ...any) {
			e.o.Observer.StepLog(in, e.o.Secrets.MaskString(fmt.Sprintf(format, args...)))
		}
		res, ok, why, err := r.Recover(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return found, ctx.Err()
			}
			why = "recovering it failed: " + err.Error()
		}
		if !ok || res == nil {
			e.unrecovered[st.ID] = e.o.Secrets.MaskString(why)
			continue
		}
		summary := e.o.Secrets.MaskString(res.Summary)
		if err := e.record(journal.Record{Type: journal.StepRecovered, Step: st.ID, Message: summary, Evidence: res.Evidence}); err != nil {
			return found, err
		}
		e.mu.Lock()
		outs := map[string]any{}
		for k, v := range e.scope.Steps[st.ID] {
			outs[k] = v
		}
		for k, v := range res.Outputs {
			outs[k] = v
		}
		e.scope.Steps[st.ID] = outs
		e.recovered[st.ID] = summary
		e.mu.Unlock()
		found = true
	}
	return found, nil
}

// changedReads returns the leading read steps, finished in an earlier
// run, whose parameters now differ from those they ran with (an input given
// again differently, the inventory read again): they read the world again,
// and what consumed their outputs runs again.
func (e *Engine) changedReads() map[string]bool {
	changed := map[string]bool{}
	for i := range e.o.Playbook.Steps {
		st := &e.o.Playbook.Steps[i]
		spec := e.specs[st.ID]
		if !spec.Reads {
			break
		}
		if st.Foreach != nil || !e.stepDone(st.ID) {
			continue
		}
		s := e.state[instKey{st.ID, ""}]
		if s == nil || s.params == "" || s.status != journal.StatusOK {
			continue
		}
		params, err := st.Resolve(spec, e.childScope(nil, false))
		if err != nil {
			continue
		}
		if paramsDigest(params) != s.params {
			changed[st.ID] = true
		}
	}
	return changed
}

// paramsDigest fingerprints resolved parameters (secrets by their
// fingerprint), to tell whether a step would run with the same ones.
func paramsDigest(params map[string]any) string {
	b, err := json.Marshal(journal.Sanitize(params))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// Run plans, asks for approval, and applies.
func (e *Engine) Run(ctx context.Context) (*Outcome, error) {
	pb := e.o.Playbook
	out := &Outcome{Incident: e.o.Incident, Playbook: pb.Name}
	resuming := len(e.o.History) > 0
	who := e.o.Responder
	if who == "" {
		who = responder()
	}
	if !resuming {
		data := map[string]any{
			"playbook": pb.Name, "digest": pb.Digest(), "file": pb.File, "strategy": pb.Strategy,
			"inputs": e.o.Inputs, "responder": who, "dry_run": e.o.DryRun,
		}
		if e.o.WorkDir != "" {
			// Sealed with the journal: resume runs commands there.
			data["workdir"] = e.o.WorkDir
		}
		if e.o.Drill != nil {
			data["drill"] = e.o.Drill
		}
		if err := e.record(journal.Record{Type: journal.IncidentStarted, Data: data}); err != nil {
			return out, err
		}
	}
	host, _ := os.Hostname()
	data := map[string]any{
		"pid": os.Getpid(), "host": host, "user": who, "resume": resuming, "command": e.o.Command, "dry_run": e.o.DryRun,
	}
	if e.o.Drill != nil {
		data["drill"] = e.o.Drill
	}
	if err := e.record(journal.Record{Type: journal.RunStarted, Data: data}); err != nil {
		return out, err
	}
	// Outputs first: whether a read step's parameters changed since it
	// ran is judged with the outputs of the steps before it.
	e.restoreOutputs(nil)
	changed := e.changedReads()
	rerun := e.reruns(changed)
	e.restoreOutputs(rerun)
	before := e.outputDigests()

	// Read phase: the leading steps that only read the world run now, so
	// the plan can show what they found. Nothing has been approved yet, and
	// nothing is changed. A step that holds something (a lock) runs in
	// every run.
	fresh := map[string]bool{}
	for i := range pb.Steps {
		st := &pb.Steps[i]
		spec := e.specs[st.ID]
		if !spec.Reads {
			break
		}
		if e.stepDone(st.ID) && !rerun[st.ID] && !spec.Holds {
			continue
		}
		if err := e.runStep(ctx, st, rerun[st.ID] || spec.Holds); err != nil {
			if ctx.Err() != nil {
				return e.stop(ctx, out, ctx.Err())
			}
			out.Steps = e.outcomes()
			out.Status = "failed"
			if errors.Is(err, step.ErrLocked) {
				out.Status = "refused"
			}
			_ = e.finish(out.Status, err.Error())
			return out, e.dry(err)
		}
		fresh[st.ID] = true
		delete(rerun, st.ID)
	}
	e.mu.Lock()
	e.fresh = fresh
	e.mu.Unlock()

	// Secrets are never journaled: a completed step whose secret output a
	// step still to run needs (the replacement) runs again, unless it can
	// be recovered (read back from a place that holds it). With what the
	// read phase found and what was recovered, decide again which
	// completed steps run again: a consumer whose inputs did not change
	// does not.
	seed := changed
	after := e.outputDigests()
	e.mu.Lock()
	e.outChanged = map[string]map[string]bool{}
	for id := range fresh {
		if c := changedOutputs(before[id], after[id]); len(c) > 0 {
			seed[id] = true // it found something else this time
			e.outChanged[id] = c
		}
	}
	e.mu.Unlock()
	decide := func() map[string]bool {
		r := e.reruns(seed)
		for id := range fresh {
			delete(r, id)
		}
		return r
	}
	rerun = decide()
	recovered, err := e.recover(ctx, rerun)
	if err != nil {
		return e.stop(ctx, out, err)
	}
	if recovered {
		rerun = decide()
	}
	e.following(rerun)
	// What runs again shows what it will make, not what it made.
	e.mu.Lock()
	for id := range rerun {
		if e.why[id] != whyChanged {
			delete(e.scope.Steps, id)
		}
	}
	e.mu.Unlock()

	plan := e.plan(ctx, rerun)
	undecided := e.undecided(plan, rerun)
	out.Plan = plan
	e.o.Observer.Planned(plan)
	rec := journal.Record{Type: journal.PlanRecorded, Plan: plan.Changes()}
	if len(plan.Notes) > 0 {
		rec.Data = map[string]any{"notes": plan.Notes}
	}
	if err := e.record(rec); err != nil {
		return out, err
	}
	// Resume decides before it acts: a step whose interrupted attempt
	// nobody can check stops the run here, before anything changes.
	if len(undecided) > 0 {
		return e.stop(ctx, out, &UnknownOutcomeError{Incident: e.o.Incident, Steps: undecided, DryRun: e.o.DryRun})
	}
	if e.o.DryRun {
		out.Status = "planned"
		return out, e.finish("planned", "dry run: nothing was applied")
	}
	if plan.Mutates() {
		ok, err := e.approve(ctx, "Apply this plan?", "")
		if err != nil {
			return e.stop(ctx, out, err)
		}
		if !ok {
			return e.stop(ctx, out, &DeclinedError{Incident: e.o.Incident})
		}
		if q := plan.destructiveQuestion(); q != "" {
			ok, err := e.approve(ctx, q, "")
			if err != nil {
				return e.stop(ctx, out, err)
			}
			if !ok {
				return e.stop(ctx, out, &DeclinedError{Incident: e.o.Incident})
			}
		}
	}

	var failed []string
	for i := range pb.Steps {
		st := &pb.Steps[i]
		if fresh[st.ID] {
			continue
		}
		if e.stepDone(st.ID) && !rerun[st.ID] && !e.skippedEarlier(st) {
			e.reportEarlier(st)
			continue
		}
		err := e.runStep(ctx, st, rerun[st.ID])
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return e.stop(ctx, out, ctx.Err())
		}
		// These stop the whole run, continue_on_error or not.
		var uo *UnknownOutcomeError
		if errors.Is(err, ErrCancelled) || errors.Is(err, ErrNeedsYes) || errors.As(err, &uo) {
			return e.stop(ctx, out, err)
		}
		if st.ContinueOnError {
			failed = append(failed, st.ID)
			continue
		}
		out.Steps = e.outcomes()
		out.Status = "failed"
		_ = e.finish("failed", err.Error())
		return out, err
	}
	out.Steps = e.outcomes()
	if len(failed) > 0 {
		out.Status = "partial"
		_ = e.finish("partial", fmt.Sprintf("%d step(s) failed: %s", len(failed), strings.Join(failed, ", ")))
		return out, &PartialError{Incident: e.o.Incident, Failed: failed}
	}
	out.Status = "completed"
	return out, e.finish("completed", "")
}

// dry rewords an error of a dry run, whose incident is not kept.
func (e *Engine) dry(err error) error {
	var se *StepError
	if e.o.DryRun && errors.As(err, &se) {
		se.DryRun = true
	}
	return err
}

// stop ends a run that did not reach the end, recording why.
func (e *Engine) stop(ctx context.Context, out *Outcome, err error) (*Outcome, error) {
	out.Steps = e.outcomes()
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		out.Status = "interrupted"
		cause := context.Cause(ctx)
		if cause == nil {
			cause = err
		}
		_, _ = e.o.Journal.Append(journal.Record{Type: journal.RunInterrupted, Message: "interrupted: " + cause.Error()})
		return out, &InterruptedError{Incident: e.o.Incident, Cause: cause, DryRun: e.o.DryRun}
	case errors.Is(err, ErrCancelled):
		out.Status = "declined"
		msg := "the responder declined the plan"
		var de *DeclinedError
		if errors.As(err, &de) && de.Step != "" {
			msg = "the responder declined step " + de.Step
		}
		_ = e.finish("declined", msg)
		return out, err
	default: // needs --yes, an unknown outcome, a journal that cannot be written
		out.Status = "interrupted"
		_, _ = e.o.Journal.Append(journal.Record{Type: journal.RunInterrupted, Message: err.Error()})
		return out, err
	}
}

func (e *Engine) finish(status, msg string) error {
	return e.record(journal.Record{Type: journal.IncidentFinished, Status: status, Message: msg})
}

func (e *Engine) record(r journal.Record) error {
	rec, err := e.o.Journal.Append(r)
	if err == nil {
		e.mu.Lock()
		e.records = append(e.records, rec)
		e.replayOne(rec)
		e.mu.Unlock()
	}
	return err
}

// history lists the instances that finished ok, in journal order, for
// Call.History.
func (e *Engine) history() []step.Recorded {
	e.mu.Lock()
	defer e.mu.Unlock()
	kinds := map[string]string{}
	for _, st := range e.o.Playbook.Steps {
		kinds[st.ID] = st.Uses
	}
	var out []step.Recorded
	open := map[instKey]int{} // the started attempt of an instance with no end yet, by its index in out
	for _, r := range e.records {
		k := instKey{r.Step, r.Item}
		switch {
		case r.Type == journal.StepStarted:
			open[k] = len(out)
			out = append(out, step.Recorded{Seq: r.Seq, Step: r.Step, Item: r.Item, Kind: kinds[r.Step], Open: true})
		case r.Type == journal.StepFinished:
			if i, ok := open[k]; ok {
				out[i].Step = "" // it ended: not open
				delete(open, k)
			}
			if r.Status == journal.StatusOK {
				out = append(out, step.Recorded{Seq: r.Seq, Step: r.Step, Item: r.Item, Kind: kinds[r.Step], Evidence: r.Evidence, Outputs: r.Outputs})
			}
		}
	}
	kept := out[:0]
	for _, r := range out {
		if r.Step != "" {
			kept = append(kept, r)
		}
	}
	return kept
}

// failedLocked reports whether a step instance of the incident failed and has
// not succeeded since (incident.failed).
func (e *Engine) failedLocked() bool { return e.failedExceptLocked("") }

// failedExceptLocked is failedLocked leaving out the step except: a step
// whose own earlier attempt failed (a transient error, say) does not hold
// itself back by its `when: !incident.failed` once it may run again.
func (e *Engine) failedExceptLocked(except string) bool {
	for k, s := range e.state {
		if k.step != except && !s.started && s.status == journal.StatusFailed {
			return true
		}
	}
	return false
}

// whenScope is the scope a step's `when` is evaluated in.
func (e *Engine) whenScope(stepID string) *playbook.Scope {
	sc := e.childScope(nil, false)
	e.mu.Lock()
	sc.Incident["failed"] = e.failedExceptLocked(stepID)
	e.mu.Unlock()
	return sc
}

func responder() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// restoreOutputs puts the non-secret outputs of completed steps back in
// scope (typed per their spec), and keeps their results for Call.Previous.
func (e *Engine) restoreOutputs(rerun map[string]bool) {
	for _, st := range e.o.Playbook.Steps {
		s, ok := e.state[instKey{st.ID, ""}]
		if !ok || st.Foreach != nil || s.status != journal.StatusOK {
			continue
		}
		spec := e.specs[st.ID]
		outs := map[string]any{}
		for name, v := range s.outputs {
			o, known := spec.Output(name)
			if known && (o.Secret || o.Type == step.Secret) {
				continue
			}
			outs[name] = fromJournal(v, o.Type)
		}
		e.scope.Steps[st.ID] = outs
		e.prev[st.ID] = &step.Result{Outputs: s.outputs, Evidence: s.evidence, Summary: s.summary}
	}
}

func fromJournal(v any, t step.Type) any {
	switch t {
	case step.Int:
		if f, ok := v.(float64); ok {
			return int(f)
		}
	case step.Bool:
		return v
	case step.Duration:
		if f, ok := v.(float64); ok {
			return time.Duration(f)
		}
	case step.List:
		if l, ok := v.([]any); ok {
			out := make([]string, 0, len(l))
			for _, x := range l {
				out = append(out, fmt.Sprint(x))
			}
			return out
		}
	case step.Map:
		if m, ok := v.(map[string]any); ok {
			out := make(map[string]string, len(m))
			for k, x := range m {
				out[k] = fmt.Sprint(x)
			}
			return out
		}
	}
	return v
}

func (e *Engine) reportEarlier(st *playbook.Step) {
	keys := make([]instKey, 0)
	for k := range e.state {
		if k.step == st.ID {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return itemLess(keys[i].item, keys[j].item) })
	for _, k := range keys {
		s := e.state[k]
		in := Instance{Step: st.ID, Name: st.Name, Kind: st.Uses, Item: k.item}
		oc := StepOutcome{Instance: in, Status: s.status, Summary: s.summary, Duration: s.duration, Earlier: true}
		e.addOutcome(oc)
		e.o.Observer.StepFinished(in, oc)
	}
}

func itemLess(a, b string) bool {
	ai, aerr := strconv.Atoi(strings.TrimPrefix(a, "#"))
	bi, berr := strconv.Atoi(strings.TrimPrefix(b, "#"))
	if aerr == nil && berr == nil {
		return ai < bi
	}
	return a < b
}

func (e *Engine) addOutcome(o StepOutcome) {
	e.mu.Lock()
	e.results = append(e.results, o)
	e.mu.Unlock()
}

func (e *Engine) outcomes() []StepOutcome {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]StepOutcome(nil), e.results...)
}

func (e *Engine) approve(ctx context.Context, question, stepID string) (bool, error) {
	a, err := e.o.Approver.Approve(ctx, question)
	if err != nil && !errors.Is(err, step.ErrDeclined) {
		return false, err
	}
	if err != nil {
		// Declined: journaled like an approval, so the timeline and the
		// report say who declined and how.
		a.Approved = false
	}
	if rerr := e.record(journal.Record{Type: journal.Approved, Step: stepID, Message: question, Data: map[string]any{"approved": a.Approved, "by": a.By, "how": a.How}}); rerr != nil {
		return false, rerr
	}
	return a.Approved, nil
}

// items evaluates a foreach list. Each item's key is its index.
func (e *Engine) items(st *playbook.Step, scope *playbook.Scope) ([]any, error) {
	v, err := st.Foreach.Eval(scope)
	if err != nil {
		return nil, err
	}
	switch l := v.(type) {
	case []any:
		return l, nil
	case []string:
		out := make([]any, len(l))
		for i := range l {
			out[i] = l[i]
		}
		return out, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("foreach of step %s gave %T, not a list", st.ID, v)
}

// ItemKey is how an item is named in the journal and on screen: its value
// when it is a short scalar, else its position.
func ItemKey(i int, item any) string {
	switch v := item.(type) {
	case string:
		if len(v) <= 60 && !strings.ContainsAny(v, "\n") {
			return v
		}
	case int, int64, bool:
		return fmt.Sprint(v)
	case map[string]any:
		for _, k := range []string{"name", "id", "target"} {
			if s, ok := v[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return "#" + strconv.Itoa(i)
}

func (e *Engine) childScope(item any, has bool) *playbook.Scope {
	e.mu.Lock()
	defer e.mu.Unlock()
	steps := make(map[string]map[string]any, len(e.scope.Steps))
	for k, v := range e.scope.Steps {
		steps[k] = v
	}
	incident := make(map[string]any, len(e.scope.Incident)+1)
	for k, v := range e.scope.Incident {
		incident[k] = v
	}
	incident["failed"] = e.failedLocked()
	return &playbook.Scope{Inputs: e.scope.Inputs, Steps: steps, Item: item, HasItem: has, Incident: incident}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is the delay before attempt n+1 (n >= 1): base·2^(n-1), capped,
// with jitter in [d/2, d] so that concurrent retries spread out.
func backoff(r *playbook.Retry, n int) time.Duration {
	base := r.Backoff
	if base <= 0 {
		base = time.Second
	}
	maxB := r.MaxBackoff
	if maxB <= 0 {
		maxB = 30 * time.Second
	}
	d := base
	for i := 1; i < n && d < maxB; i++ {
		d *= 2
	}
	if d > maxB {
		d = maxB
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}
