package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/githubapi"
)

// Sources of alerts, in logs and metrics.
const (
	SourceWebhook = "webhook"
	SourcePoll    = "poll"
	SourceResume  = "resume"
)

// Dispatcher decides what to do with each alert and does it: it reads the
// alert, applies the policy, keeps one response per alert and per key,
// runs responses (at most Concurrency at once), resolves the other alerts
// on a key one response contained, and sends notices.
type Dispatcher struct {
	cfg   *Config
	dedup *dedup
	sem   chan struct{}
	wg    sync.WaitGroup
	// mu orders Submit against Close: no alert is taken after Close.
	mu     sync.Mutex
	closed bool
	// work is the context responses run in: it outlives the intake (a
	// SIGTERM lets running responses finish within the grace period).
	work context.Context
}

func newDispatcher(cfg *Config, work context.Context) *Dispatcher {
	n := cfg.Concurrency
	if n <= 0 {
		n = 100
	}
	return &Dispatcher{cfg: cfg, dedup: newDedup(), sem: make(chan struct{}, n), work: work}
}

// Submit handles an alert in the background (a webhook's alert: the
// delivery is answered at once).
func (d *Dispatcher) Submit(source string, ref AlertRef) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		d.cfg.Log.Info("alert not taken: this replica stopped acting (the next poll, here or on the leader, handles it)", "alert", ref.String(), "source", source)
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.Handle(d.work, source, ref, nil)
	}()
}

// Close stops taking alerts and waits for every alert being handled and
// every response to end.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.wg.Wait()
}

// Wait waits for every alert being handled and every response to end.
func (d *Dispatcher) Wait() { d.wg.Wait() }

// Handle decides on one alert: read it (unless known is given, as a poll
// has it), decide, and act. A response it starts runs in the background;
// Handle returns once the decision is recorded.
func (d *Dispatcher) Handle(ctx context.Context, source string, ref AlertRef, known *githubapi.AlertState) {
	key := ref.String()
	if !d.dedup.enter(key) {
		d.cfg.Log.Debug("alert already being handled; it is looked at again when that ends", "alert", key, "source", source)
		return
	}
	for {
		if d.handle(ctx, source, ref, known) {
			if err := d.cfg.Store.ClearReceived(key); err != nil {
				d.cfg.Log.Error("could not record that the alert was decided", "alert", key, "error", err)
			}
		}
		if !d.dedup.leave(key) || ctx.Err() != nil {
			return
		}
		known = nil // look afresh
		if !d.dedup.enter(key) {
			return
		}
	}
}

// handle reports whether the alert is settled: decided, or needing
// nothing; false when it could not be read, so that a delivery's mark
// stays for the next start to decide it.
func (d *Dispatcher) handle(ctx context.Context, source string, ref AlertRef, known *githubapi.AlertState) (settled bool) {
	log := d.cfg.Log.With("alert", ref.String(), "source", source)
	if prev, seen := d.cfg.Store.Alert(ref.String()); seen && prev.Action == Respond {
		// Nothing could ask for more: no need to read it again (its
		// validated and location events follow every response).
		log.Debug("alert already handled", "earlier_action", prev.Action, "status", prev.Status, "incident", prev.Incident)
		return true
	}
	var a githubapi.AlertState
	if known != nil {
		a = *known
	} else {
		var err error
		a, err = d.cfg.GitHub.AlertState(ctx, ref.Owner, ref.Repo, ref.Number)
		if err != nil {
			log.Error("could not read the alert; the next poll looks again", "error", d.mask(err))
			return false
		}
	}
	if !a.Secret.IsZero() {
		d.cfg.Secrets.Add(a.Secret)
	}
	if a.State != "open" {
		log.Info("alert is not open: nothing to do", "state", a.State, "resolution", a.Resolution)
		return true
	}
	dec := d.Decide(ctx, a)
	prev, seen := d.cfg.Store.Alert(ref.String())
	if seen && (prev.Status == StatusRunning || prev.Status == StatusAttached || prev.Action.rank() >= dec.Action.rank()) {
		log.Info("alert already handled", "action", dec.Action, "rule", dec.Rule, "earlier_action", prev.Action, "status", prev.Status, "incident", prev.Incident)
		return true
	}
	d.cfg.Metrics.Alerts.WithLabelValues(source, string(dec.Action)).Inc()
	log = log.With("action", dec.Action, "rule", dec.Rule, "secret_type", a.SecretType, "validity", a.Validity, "publicly_leaked", a.PubliclyLeaked)
	rec := AlertRecord{Action: dec.Action, Rule: dec.Rule, Status: StatusDecided, AlertCreated: a.Created, AlertUpdated: a.Updated, DecidedAt: d.cfg.now()}
	if d.cfg.DryRun {
		log.Info("dry run: would "+string(dec.Action), "dry_run", true, "trace", traceLines(dec))
		d.put(log, ref.String(), rec)
		return true
	}
	switch dec.Action {
	case Ignore:
		log.Info("alert ignored by the policy")
		d.put(log, ref.String(), rec)
	case Notify:
		log.Info("alert notified by the policy")
		d.put(log, ref.String(), rec)
		d.notify(ctx, log, d.notice("alert", a, dec, Result{}, nil, "respond leaked-key --alert "+ref.String()+" (or resolve the alert if it is not a live secret)"))
	case Contain, Respond:
		d.act(ctx, log, ref, a, dec, rec)
	}
	return true
}

// Decide applies the policy to an alert. An alert whose key respond cannot
// act on (no provider knows its secret type) is notified instead.
func (d *Dispatcher) Decide(ctx context.Context, a githubapi.AlertState) Decision {
	facts := d.cfg.Keys.Facts(a)
	dec := d.cfg.Policy.Decide(facts, func() (bool, string, error) { return d.cfg.Keys.InInventory(ctx, a) })
	if dec.Action.Acts() && facts.Provider == "" {
		dec.Trace = append(dec.Trace, RuleTrace{Rule: dec.Rule, Index: dec.Index, Action: Notify,
			Reasons: []string{fmt.Sprintf("✗ no provider respond knows issues secret type %s: notify instead of %s", a.SecretType, dec.Action)}})
		dec.Action = Notify
	}
	return dec
}

func traceLines(dec Decision) []string {
	var out []string
	for _, t := range dec.Trace {
		out = append(out, fmt.Sprintf("%s: %v (%s)", t.Rule, t.Matched, strings.Join(t.Reasons, "; ")))
	}
	return out
}

// act starts (or joins) the response to the alert's key.
func (d *Dispatcher) act(ctx context.Context, log *slog.Logger, ref AlertRef, a githubapi.AlertState, dec Decision, rec AlertRecord) {
	fp := a.Secret.Fingerprint()
	if a.Secret.IsZero() {
		fp = ""
	}
	rec.Fingerprint = fp
	// A response already contained this key: this alert is one more place
	// it leaked to.
	if primary, earlier, ok := d.cfg.Store.ContainedBy(fp); ok {
		log.Info("the key was already contained by an earlier response; resolving this alert too", "incident", earlier.Incident, "primary", primary)
		rec.Status, rec.Primary, rec.Incident, rec.Outcome, rec.Contained = StatusDone, primary, earlier.Incident, earlier.Outcome, true
		d.put(log, ref.String(), rec)
		d.resolve(ctx, log, ref, earlier.Incident, primary)
		return
	}
	if fp != "" {
		if primary, started := d.dedup.claimKey(fp, ref.String()); !started {
			log.Info("a response to this key is already running: this alert joins it", "primary", primary)
			rec.Status, rec.Primary = StatusAttached, primary
			d.put(log, ref.String(), rec)
			return
		}
	}
	rec.Status = StatusRunning
	d.put(log, ref.String(), rec)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.run(log, ref, a, dec, fp, func(ctx context.Context) Result {
			return d.cfg.Responder.Respond(ctx, Request{Alert: ref.String(), Action: dec.Action})
		})
	}()
}

// run runs a response (or a resume) within the concurrency limit, records
// how it ended, resolves the alerts attached to it and sends the notice.
func (d *Dispatcher) run(log *slog.Logger, ref AlertRef, a githubapi.AlertState, dec Decision, fp string, respond func(context.Context) Result) {
	select {
	case d.sem <- struct{}{}:
	case <-d.work.Done():
		return
	}
	d.cfg.Metrics.InFlight.Inc()
	log.Info("response started")
	res := respond(d.work)
	d.cfg.Metrics.InFlight.Dec()
	<-d.sem
	var attached []string
	if fp != "" {
		attached = d.dedup.releaseKey(fp)
	}
	if res.Outcome == "interrupted" || (res.Err != nil && errors.Is(res.Err, context.Canceled) && d.work.Err() != nil) {
		// Stopped by watch's own shutdown: resumed at the next start.
		log.Warn("response interrupted by the shutdown; it is resumed when watch starts again", "incident", res.Incident)
		return
	}
	outcome := res.Outcome
	if outcome == "" {
		outcome = "failed"
	}
	d.cfg.Metrics.Responses.WithLabelValues(outcome).Inc()
	if res.Contained && !res.ContainedAt.IsZero() && !a.Created.IsZero() {
		d.cfg.Metrics.TimeToContain.Observe(res.ContainedAt.Sub(a.Created).Seconds())
	}
	attrs := []any{"incident", res.Incident, "outcome", outcome, "contained", res.Contained}
	if !res.ContainedAt.IsZero() && !a.Created.IsZero() {
		attrs = append(attrs, "alert_to_contained_ms", res.ContainedAt.Sub(a.Created).Milliseconds())
	}
	if res.Err != nil {
		attrs = append(attrs, "error", d.mask(res.Err))
	}
	if res.Recovered() {
		log.Info("response ended", attrs...)
	} else {
		log.Warn("response ended short of recovered", attrs...)
	}
	if err := d.cfg.Store.UpdateAlert(ref.String(), func(r *AlertRecord) {
		r.Status, r.Incident, r.Outcome, r.Contained = StatusDone, res.Incident, outcome, res.Contained
	}); err != nil {
		log.Error("could not record the response's end", "error", err)
	}
	var others []string
	for _, o := range attached {
		others = append(others, o)
		oref, err := ParseRef(o)
		if err != nil {
			continue
		}
		olog := d.cfg.Log.With("alert", o, "primary", ref.String())
		_ = d.cfg.Store.UpdateAlert(o, func(r *AlertRecord) {
			r.Incident, r.Outcome, r.Contained = res.Incident, outcome, res.Contained
			if res.Contained {
				r.Status = StatusDone
			}
		})
		if res.Contained {
			d.resolve(d.work, olog, oref, res.Incident, ref.String())
		}
	}
	res.Outcome = outcome
	d.notify(d.work, log, d.notice("response", a, dec, res, others, res.Next))
}

// resolve closes an alert whose key an earlier response contained.
func (d *Dispatcher) resolve(ctx context.Context, log *slog.Logger, ref AlertRef, incident, primary string) {
	comment := fmt.Sprintf("Revoked by respond watch, incident %s (the response to alert %s, which reported the same key).", incident, primary)
	if _, err := d.cfg.GitHub.ResolveAlert(ctx, ref.Owner, ref.Repo, ref.Number, "revoked", comment); err != nil {
		log.Error("could not resolve the alert", "error", d.mask(err))
		return
	}
	log.Info("alert resolved as revoked", "incident", incident)
}

func (d *Dispatcher) put(log *slog.Logger, ref string, rec AlertRecord) {
	if err := d.cfg.Store.PutAlert(ref, rec); err != nil {
		log.Error("could not record the decision", "error", err)
	}
}

func (d *Dispatcher) mask(err error) string {
	if err == nil {
		return ""
	}
	return d.cfg.Secrets.MaskString(err.Error())
}

// notice builds a notice about alert a.
func (d *Dispatcher) notice(event string, a githubapi.AlertState, dec Decision, res Result, others []string, next string) Notice {
	title, redacted := d.cfg.Keys.Describe(a)
	n := Notice{
		Event: event, Alert: a.Ref(), URL: a.HTMLURL, SecretType: a.SecretType, Provider: title, Key: redacted,
		Credential: dec.Credential, Validity: a.Validity, Public: a.PubliclyLeaked, Action: dec.Action, Rule: dec.Rule,
		DryRun: d.cfg.DryRun, Incident: res.Incident, Outcome: res.Outcome, Failing: res.Failing, Alerts: others, Next: next, At: d.cfg.now(),
	}
	return n
}

// notify sends a notice to every channel.
func (d *Dispatcher) notify(ctx context.Context, log *slog.Logger, n Notice) {
	if len(d.cfg.Notifiers) == 0 {
		log.Info("notice (no notification channel is configured)", "notice", d.cfg.Secrets.MaskString(n.Summary()))
		return
	}
	for _, ch := range d.cfg.Notifiers {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 45*time.Second)
		err := ch.Notify(cctx, n)
		cancel()
		if err != nil {
			d.cfg.Metrics.Notifications.WithLabelValues(ch.Name(), "failed").Inc()
			log.Error("could not send the notice", "channel", ch.Name(), "error", d.mask(err), "notice", d.cfg.Secrets.MaskString(n.Summary()))
			continue
		}
		d.cfg.Metrics.Notifications.WithLabelValues(ch.Name(), "sent").Inc()
		log.Info("notice sent", "channel", ch.Name(), "event", n.Event)
	}
}
