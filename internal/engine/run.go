package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/respondhq/respond/internal/secret"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/step"
)

// plan asks every step what it would do. Nothing here has a side effect:
// kinds' Plan methods are read-only by contract, and steps whose parameters
// depend on outputs not known yet are shown as "later".
func (e *Engine) plan(ctx context.Context, rerun map[string]bool) *Plan {
	p := &Plan{Incident: e.o.Incident, Playbook: e.o.Playbook.Name}
	for i := range e.o.Playbook.Steps {
		st := &e.o.Playbook.Steps[i]
		spec := e.specs[st.ID]
		base := Row{Step: st.ID, Name: st.Name, Kind: st.Uses, Mutates: spec.Mutates}
		if e.stepDone(st.ID) && !rerun[st.ID] && !e.skippedEarlier(st) {
			row := base
			row.Action, row.Target, row.Effect, row.State = step.NoOp, "-", "done in an earlier run", RowDone
			if e.fresh[st.ID] {
				row.Action, row.Effect = step.Read, "done while planning: "+e.summaryOf(st.ID)
			}
			if why := e.recovered[st.ID]; why != "" {
				row.Action, row.Effect = step.Read, "recovered, nothing is made again: "+why
			}
			p.Rows = append(p.Rows, row)
			continue
		}
		state := RowPending
		if rerun[st.ID] {
			state = RowRerun
		}
		scope := e.childScope(nil, false)
		if st.When != nil {
			ok, err := st.When.Truthy(e.whenScope(st.ID))
			switch {
			case err != nil:
				state = RowConditional
			case !ok:
				row := base
				row.Action, row.Target, row.Effect, row.State = step.NoOp, "-", "skipped: it runs only when "+st.When.Words(), RowSkip
				p.Rows = append(p.Rows, row)
				continue
			}
		}
		if st.Foreach == nil {
			row := e.planOne(ctx, st, base, e.withPlaceholders(scope), state)
			if why := e.unrecovered[st.ID]; why != "" && rerun[st.ID] {
				row.Effect += " (not recovered: " + why + ")"
			}
			p.Rows = append(p.Rows, row)
			continue
		}
		items, err := e.items(st, scope)
		if err != nil {
			row := base
			row.Action, row.Target, row.Effect, row.State = actionOf(spec), "(each item, known after earlier steps)", spec.Summary, RowLater
			p.Rows = append(p.Rows, row)
			continue
		}
		// Items are planned concurrently, as they will run: a plan may
		// read the world (does this secret exist?), and a fan-out to a
		// thousand targets must not cost a thousand sequential round
		// trips before the first change.
		rows := make([]Row, len(items))
		calls := make([]*step.Call, len(items)) // for the kind's notes
		sem := make(chan struct{}, max(st.Concurrency, 1))
		var wg sync.WaitGroup
		for i, it := range items {
			key := ItemKey(i, it)
			e.mu.Lock()
			s, ok := e.state[instKey{st.ID, key}]
			e.mu.Unlock()
			if ok && !rerun[st.ID] && !s.started && (s.status == journal.StatusOK || s.status == journal.StatusSkipped) {
				row := base
				row.Item, row.Action, row.Target, row.Effect, row.State = key, step.NoOp, "-", "done in an earlier run", RowDone
				row.Value = it
				rows[i] = row
				continue
			}
			row := base
			row.Item, row.Value = key, it
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				scope := e.withPlaceholders(e.childScope(it, true))
				rows[i] = e.planOne(ctx, st, row, scope, state)
				if params, err := st.Resolve(spec, scope); err == nil {
					calls[i] = e.call(st, key, params)
				}
			}()
		}
		wg.Wait()
		p.Rows = append(p.Rows, rows...)
		p.Notes = append(p.Notes, e.notes(ctx, st, calls)...)
	}
	return p
}

// notes asks a fan-out's kind for its remarks on the items that will run
// (those with a call).
func (e *Engine) notes(ctx context.Context, st *playbook.Step, calls []*step.Call) (out []Note) {
	n, ok := e.kinds[st.ID].(step.Noter)
	if !ok {
		return nil
	}
	var pending []*step.Call
	for _, c := range calls {
		if c != nil {
			pending = append(pending, c)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	defer func() {
		if r := recover(); r != nil { // a bug in a kind's notes must not crash respond
			out = nil
		}
	}()
	for _, note := range n.PlanNotes(ctx, pending) {
		note.Text = e.o.Secrets.MaskString(note.Text)
		note.FollowUp = e.o.Secrets.MaskString(note.FollowUp)
		out = append(out, Note{Step: st.ID, Note: note})
	}
	return out
}

// undecided lists the instances that started in an earlier run, never
// recorded their end, and that nobody can settle without the responder:
// not idempotent, and no reconciliation that can decide. It marks their
// plan rows. Resume stops before changing anything while one is left.
func (e *Engine) undecided(p *Plan, rerun map[string]bool) []string {
	var out []string
	for i := range e.o.Playbook.Steps {
		st := &e.o.Playbook.Steps[i]
		if rerun[st.ID] || slices.Contains(e.o.AssumeDone, st.ID) || slices.Contains(e.o.Rerun, st.ID) {
			continue
		}
		spec, kind := e.specs[st.ID], e.kinds[st.ID]
		e.mu.Lock()
		open := map[string]bool{}
		for k, s := range e.state {
			if k.step == st.ID && s.started {
				open[k.item] = true
			}
		}
		e.mu.Unlock()
		if len(open) == 0 {
			continue
		}
		values := map[string]any{}
		hasItem := st.Foreach != nil
		if hasItem {
			if items, err := e.items(st, e.childScope(nil, false)); err == nil {
				for j, it := range items {
					values[ItemKey(j, it)] = it
				}
			}
		}
		keys := make([]string, 0, len(open))
		for k := range open {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool { return itemLess(keys[a], keys[b]) })
		for _, item := range keys {
			c := &step.Call{Incident: e.o.Incident, StepID: st.ID, Item: item}
			if params, err := st.Resolve(spec, e.withPlaceholders(e.childScope(values[item], hasItem))); err == nil {
				c.Params = params
			} else {
				c.Params = map[string]any{}
			}
			idempotent := spec.Idempotent
			if d, ok := kind.(step.IdempotencyDecider); ok {
				idempotent = d.Idempotent(c)
			}
			_, reconciles := kind.(step.Reconciler)
			if d, ok := kind.(step.ReconcileDecider); ok && reconciles {
				reconciles = d.CanReconcile(c)
			}
			if idempotent || reconciles {
				continue
			}
			label := st.ID
			if item != "" {
				label += " [" + item + "]"
			}
			out = append(out, label)
			for r := range p.Rows {
				if p.Rows[r].Step == st.ID && p.Rows[r].Item == item {
					p.Rows[r].State = RowUndecided
					p.Rows[r].Effect = "started in an earlier run and never recorded an end: decide with --assume-done " + st.ID + " or --rerun " + st.ID
				}
			}
		}
	}
	return out
}

// summaryOf joins the summaries of a step's finished instances.
func (e *Engine) summaryOf(id string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var parts []string
	for k, s := range e.state {
		if k.step == id && s.summary != "" {
			parts = append(parts, s.summary)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func actionOf(spec step.Spec) step.Action {
	if spec.Mutates {
		return step.Update
	}
	return step.Read
}

// withPlaceholders adds, for every step that has yet to run, a stand-in
// for each of its outputs, so that a step's plan can still name its target
// when only some of its parameters come from earlier steps: a secret is an
// empty secret, text says when it will be known.
func (e *Engine) withPlaceholders(s *playbook.Scope) *playbook.Scope {
	for _, st := range e.o.Playbook.Steps {
		if st.Foreach != nil {
			continue
		}
		known := s.Steps[st.ID]
		outs := make(map[string]any, len(known))
		for k, v := range known { // a copy: the run's scope is not touched
			outs[k] = v
		}
		for _, o := range e.specs[st.ID].Outputs {
			if _, ok := outs[o.Name]; !ok {
				outs[o.Name] = placeholder(o, st.ID)
			}
		}
		s.Steps[st.ID] = outs
	}
	return s
}

func placeholder(o step.Output, stepID string) any {
	if o.Secret {
		return secret.Value{}
	}
	switch o.Type {
	case step.Secret:
		return secret.Value{}
	case step.Int:
		return 0
	case step.Bool:
		return false
	case step.Duration:
		return time.Duration(0)
	case step.List:
		return []string{}
	case step.Map:
		return map[string]string{}
	case step.Any:
		return []any{}
	}
	return "(known after " + stepID + ")"
}

func (e *Engine) planOne(ctx context.Context, st *playbook.Step, base Row, scope *playbook.Scope, state string) (row Row) {
	spec := e.specs[st.ID]
	defer func() {
		if r := recover(); r != nil { // a bug in a kind's Plan must not crash respond
			row = base
			row.Action, row.Target, row.State = actionOf(spec), "?", state
			row.Effect = "cannot plan: internal error in step kind " + st.Uses + " (a bug in respond): " + e.o.Secrets.MaskString(fmt.Sprint(r))
		}
	}()
	params, err := st.Resolve(spec, scope)
	if err != nil {
		row := base
		row.Action, row.Target, row.Effect = actionOf(spec), "(known after earlier steps)", spec.Summary
		if state == RowPending {
			row.State = RowLater
		} else {
			row.State = state
		}
		return row
	}
	changes, err := e.kinds[st.ID].Plan(ctx, e.call(st, base.Item, params))
	row = base
	row.State = state
	if err != nil {
		row.Action, row.Target, row.Effect = actionOf(spec), "?", "cannot plan: "+e.o.Secrets.MaskString(err.Error())
		return row
	}
	if len(changes) == 0 {
		row.Action, row.Target, row.Effect = step.NoOp, "-", "nothing to do"
		return row
	}
	// One row per step instance: several changes are joined.
	row.Action, row.Target, row.Effect = changes[0].Action, changes[0].Target, changes[0].Effect
	for _, c := range changes {
		row.Destructive = row.Destructive || c.Destructive
	}
	for _, c := range changes[1:] {
		row.Target += "; " + c.Target
		row.Effect += "; " + c.Effect
	}
	return row
}

func (e *Engine) call(st *playbook.Step, item string, params map[string]any) *step.Call {
	return &step.Call{
		Incident: e.o.Incident,
		StepID:   st.ID,
		Item:     item,
		Params:   params,
		Approver: e.o.Approver,
		Locker:   e.o.Locker,
		Secrets:  e.o.Secrets,
		Dir:      e.o.WorkDir,
		Previous: e.prev[st.ID],
		History:  e.history,
	}
}

// runStep runs every instance of a step.
func (e *Engine) runStep(ctx context.Context, st *playbook.Step, rerun bool) error {
	if e.o.BeforeStep != nil {
		e.o.BeforeStep(st.ID)
	}
	scope := e.childScope(nil, false)
	if st.When != nil {
		ok, err := st.When.Truthy(e.whenScope(st.ID))
		if err != nil {
			return e.failNow(st, "", fmt.Errorf("evaluate when: %w", err))
		}
		if !ok {
			in := Instance{Step: st.ID, Name: st.Name, Kind: st.Uses}
			oc := StepOutcome{Instance: in, Status: journal.StatusSkipped, Summary: "it runs only when " + st.When.Words()}
			if err := e.record(journal.Record{Type: journal.StepFinished, Step: st.ID, Status: journal.StatusSkipped, Message: oc.Summary}); err != nil {
				return err
			}
			e.addOutcome(oc)
			e.o.Observer.StepFinished(in, oc)
			return nil
		}
	}
	if st.Foreach == nil {
		return e.runInstance(ctx, st, "", nil, false, rerun)
	}
	items, err := e.items(st, scope)
	if err != nil {
		return e.failNow(st, "", fmt.Errorf("evaluate foreach: %w", err))
	}
	e.mu.Lock()
	e.totals[st.ID] = len(items)
	// An item an earlier run had that the list no longer holds (a target
	// removed from the inventory, or its name fixed) is gone: its failure
	// no longer counts (incident.failed, whether the step is done).
	current := map[string]bool{}
	for i, it := range items {
		current[ItemKey(i, it)] = true
	}
	for k, s := range e.state {
		if k.step == st.ID && k.item != "" && !current[k.item] && !s.started && s.status == journal.StatusFailed {
			delete(e.state, k)
		}
	}
	e.mu.Unlock()
	conc := max(st.Concurrency, 1)
	sem := make(chan struct{}, conc)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for i, it := range items {
		mu.Lock()
		stop := firstErr != nil && !st.ContinueOnError
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		key := ItemKey(i, it)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := e.runInstance(ctx, st, key, it, true, rerun); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}

func (e *Engine) failNow(st *playbook.Step, item string, err error) error {
	in := Instance{Step: st.ID, Name: st.Name, Kind: st.Uses, Item: item}
	msg := e.o.Secrets.MaskString(err.Error())
	oc := StepOutcome{Instance: in, Status: journal.StatusFailed, Error: msg}
	_ = e.record(journal.Record{Type: journal.StepFinished, Step: st.ID, Item: item, Status: journal.StatusFailed, Error: msg})
	e.addOutcome(oc)
	e.o.Observer.StepFinished(in, oc)
	return &StepError{Incident: e.o.Incident, Step: st.ID, Item: item, Err: err}
}

// runInstance runs one instance: reconcile an unknown earlier outcome,
// confirm, then apply with retries and a timeout, journaling each attempt.
func (e *Engine) runInstance(ctx context.Context, st *playbook.Step, item string, itemVal any, hasItem, rerun bool) (err error) {
	// A step kind that panics (a bug) fails its step instead of killing
	// respond with a stack trace, in a fan-out goroutine too; the attempt
	// stays open in the journal, so resume reconciles it.
	defer func() {
		if r := recover(); r != nil {
			err = &StepError{Incident: e.o.Incident, Step: st.ID, Item: item,
				Err: fmt.Errorf("internal error in step kind %s (a bug in respond): %s", st.Uses, e.o.Secrets.MaskString(fmt.Sprint(r)))}
		}
	}()
	spec := e.specs[st.ID]
	kind := e.kinds[st.ID]
	e.mu.Lock()
	state := e.state[instKey{st.ID, item}]
	var snapshot instState
	if state != nil {
		snapshot = *state
		state = &snapshot
	}
	e.mu.Unlock()
	if state != nil && !rerun && !state.started && (state.status == journal.StatusOK || state.status == journal.StatusSkipped) {
		in := Instance{Step: st.ID, Name: st.Name, Kind: st.Uses, Item: item}
		oc := StepOutcome{Instance: in, Status: state.status, Summary: state.summary, Duration: state.duration, Earlier: true}
		e.addOutcome(oc)
		e.o.Observer.StepFinished(in, oc)
		return nil
	}
	params, err := st.Resolve(spec, e.childScope(itemVal, hasItem))
	if err != nil {
		return e.failNow(st, item, fmt.Errorf("parameters: %w", err))
	}
	if secret.AnyWithheld(params) {
		return e.failNow(st, item, step.Permanent(fmt.Errorf("this step needs the secret input %s the incident started with, which secrets are never kept: "+
			"run `respond resume %s --secret-stdin %s` with it on standard input (or at a terminal)", e.withheldInputs(), e.o.Incident, e.withheldInputs())))
	}
	// It runs again only because a step it consumed ran again; with the
	// same parameters as when it succeeded (secrets by fingerprint: the
	// replacement was recovered, not made anew), its effect is in place.
	if rerun && e.whyOf(st.ID) == whyConsumer && state != nil && !state.started && state.status == journal.StatusOK &&
		state.params != "" && state.params == paramsDigest(params) {
		in := Instance{Step: st.ID, Name: st.Name, Kind: st.Uses, Item: item}
		oc := StepOutcome{Instance: in, Status: state.status, Summary: state.summary, Duration: state.duration, Earlier: true}
		e.addOutcome(oc)
		e.o.Observer.StepFinished(in, oc)
		return nil
	}
	c := e.call(st, item, params)
	idempotent := spec.Idempotent
	if d, ok := kind.(step.IdempotencyDecider); ok {
		idempotent = d.Idempotent(c)
	}
	e.mu.Lock()
	in := Instance{Step: st.ID, Name: st.Name, Kind: st.Uses, Item: item, Attempt: 1, Of: e.totals[st.ID]}
	e.mu.Unlock()
	c.Log = func(format string, args ...any) {
		e.o.Observer.StepLog(in, e.o.Secrets.MaskString(fmt.Sprintf(format, args...)))
	}

	// A previous run started this instance and never recorded its end.
	if state != nil && state.started {
		c.Interrupted = state.startAt
		c.InterruptedCheckpoint = state.checkpoint
	}
	attempt := 1
	c.Checkpoint = func(data map[string]any) error {
		return e.record(journal.Record{Type: journal.StepCheckpoint, Step: st.ID, Item: item, Attempt: attempt, Data: data})
	}
	if state != nil && state.started && !rerun && !slices.Contains(e.o.Rerun, st.ID) {
		if slices.Contains(e.o.AssumeDone, st.ID) {
			return e.finishOK(st, in, &step.Result{Summary: "assumed done by the responder (--assume-done)"}, 0, true, nil)
		}
		if r, ok := kind.(step.Reconciler); ok {
			res, done, err := r.Reconcile(ctx, c)
			if errors.Is(err, step.ErrUnknownOutcome) {
				return &UnknownOutcomeError{Incident: e.o.Incident, Step: st.ID, Item: item}
			}
			if err != nil && ctx.Err() != nil {
				// Interrupted while reconciling: the attempt stays open, so
				// the next resume reconciles again.
				return ctx.Err()
			}
			if err != nil {
				return e.failNow(st, item, fmt.Errorf("reconcile after an interrupted run: %w", err))
			}
			if done {
				if res == nil {
					res = &step.Result{}
				}
				if res.Summary == "" {
					res.Summary = "already in effect (reconciled after an interrupted run)"
				}
				return e.finishOK(st, in, res, 0, true, params)
			}
		} else if !idempotent {
			return &UnknownOutcomeError{Incident: e.o.Incident, Step: st.ID, Item: item}
		}
	}

	if st.Confirm != nil {
		q, err := st.Confirm.Eval(e.childScope(itemVal, hasItem))
		if err != nil {
			return e.failNow(st, item, fmt.Errorf("confirm question: %w", err))
		}
		ok, err := e.approve(ctx, fmt.Sprint(q), st.ID)
		if err != nil {
			return err
		}
		if !ok {
			return &DeclinedError{Incident: e.o.Incident, Step: st.ID}
		}
	}

	attempts := 1
	if st.Retry != nil && idempotent {
		attempts = max(st.Retry.Attempts, 1)
	}
	for n := 1; ; n++ {
		in.Attempt, attempt = n, n
		if err := e.record(journal.Record{Type: journal.StepStarted, Step: st.ID, Item: item, Attempt: n}); err != nil {
			return err
		}
		e.o.Observer.StepStarted(in)
		start := time.Now()
		actx, cancel := ctx, context.CancelFunc(func() {})
		if st.Timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, st.Timeout)
		}
		res, err := kind.Apply(actx, c)
		timedOut := actx.Err() == context.DeadlineExceeded && ctx.Err() == nil
		cancel()
		dur := time.Since(start)
		if err == nil {
			return e.finishOK(st, in, res, dur, false, params)
		}
		if ctx.Err() != nil {
			// Interrupted: leave the attempt open, so resume reconciles it.
			return ctx.Err()
		}
		if errors.Is(err, step.ErrDeclined) {
			return &DeclinedError{Incident: e.o.Incident, Step: st.ID}
		}
		if timedOut {
			err = fmt.Errorf("timed out after %s: %w", st.Timeout, err)
		}
		msg := e.o.Secrets.MaskString(err.Error())
		retry := n < attempts && !step.IsPermanent(err)
		rec := journal.Record{Type: journal.StepFinished, Step: st.ID, Item: item, Attempt: n, Status: journal.StatusFailed, Error: msg, DurationMS: dur.Milliseconds()}
		if res != nil {
			rec.Evidence = res.Evidence
		}
		if retry {
			rec.Data = map[string]any{"retrying": true}
		}
		if rerr := e.record(rec); rerr != nil {
			return rerr
		}
		if !retry {
			oc := StepOutcome{Instance: in, Status: journal.StatusFailed, Error: msg, Duration: dur}
			e.addOutcome(oc)
			e.o.Observer.StepFinished(in, oc)
			return &StepError{Incident: e.o.Incident, Step: st.ID, Item: item, Err: err}
		}
		d := backoff(st.Retry, n)
		e.o.Observer.StepLog(in, fmt.Sprintf("attempt %d of %d failed (%s); retrying in %s", n, attempts, msg, d.Round(time.Millisecond)))
		if err := e.o.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (e *Engine) finishOK(st *playbook.Step, in Instance, res *step.Result, dur time.Duration, reconciled bool, params map[string]any) error {
	if res == nil {
		res = &step.Result{}
	}
	ev := res.Evidence
	if reconciled {
		ev = copyMap(ev)
		ev["reconciled"] = true
	}
	rec := journal.Record{Type: journal.StepFinished, Step: st.ID, Item: in.Item, Attempt: in.Attempt, Status: journal.StatusOK,
		Message: res.Summary, Outputs: res.Outputs, Evidence: ev, DurationMS: dur.Milliseconds()}
	if params != nil {
		rec.Data = map[string]any{"params": paramsDigest(params)}
	}
	if err := e.record(rec); err != nil {
		return err
	}
	e.mu.Lock()
	s := e.inst(st.ID, in.Item)
	s.started, s.status, s.summary, s.duration = false, journal.StatusOK, e.o.Secrets.MaskString(res.Summary), dur
	e.mu.Unlock()
	if res.Note != "" {
		if err := e.record(journal.Record{Type: journal.NoteAdded, Step: st.ID, Message: res.Note}); err != nil {
			return err
		}
	}
	if in.Item == "" && st.Foreach == nil {
		e.mu.Lock()
		outs := map[string]any{}
		for k, v := range res.Outputs {
			outs[k] = v
		}
		e.scope.Steps[st.ID] = outs
		e.mu.Unlock()
	}
	oc := StepOutcome{Instance: in, Status: journal.StatusOK, Summary: e.o.Secrets.MaskString(res.Summary), Duration: dur, Reconciled: reconciled}
	e.addOutcome(oc)
	e.o.Observer.StepFinished(in, oc)
	return nil
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// whyOf says why a completed step runs again ("" when it does not).
func (e *Engine) whyOf(id string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.why[id]
}

// skippedEarlier reports whether a step with a condition was skipped in an
// earlier run: its condition is evaluated again (incident.failed, say, may
// have changed since).
func (e *Engine) skippedEarlier(st *playbook.Step) bool {
	if st.When == nil || st.Foreach != nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.state[instKey{st.ID, ""}]
	return s != nil && !s.started && s.status == journal.StatusSkipped
}

// withheldInputs names the secret inputs withheld on this resume.
func (e *Engine) withheldInputs() string {
	var names []string
	for name, v := range e.o.Inputs {
		if sv, ok := v.(secret.Value); ok && sv.IsWithheld() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
