package watch

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
)

// incidentOf is what the journals say about the incident of an alert.
type incidentOf struct {
	ID      string
	Summary incident.Summary
	Held    bool // a live process holds it
}

// incidentsByAlert finds, for each alert, the newest incident whose
// playbook was started on it (the journal's inputs.alert).
func incidentsByAlert(stateDir string) map[string]incidentOf {
	out := map[string]incidentOf{}
	if stateDir == "" {
		return out
	}
	store := incident.NewStore(stateDir)
	ids, err := store.IDs()
	if err != nil {
		return out
	}
	for _, id := range ids {
		inc := &incident.Incident{ID: id, Dir: filepath.Join(store.Root, id)}
		recs, err := journal.ReadFile(inc.JournalPath())
		if err != nil || len(recs) == 0 || recs[0].Type != journal.IncidentStarted {
			continue
		}
		inputs, _ := recs[0].Data["inputs"].(map[string]any)
		alert, _ := inputs["alert"].(string)
		if alert == "" {
			continue
		}
		if dry, _ := recs[0].Data["dry_run"].(bool); dry {
			continue
		}
		out[alert] = incidentOf{ID: id, Summary: incident.Summarize(id, recs), Held: inc.Held()}
	}
	return out
}

// ResumeInterrupted takes up, after a restart, what the last run of watch
// left: a response that did not end is resumed from its journal (or
// started again when it never created its incident), and alerts attached
// to a response are resolved once it contained their key, and alerts a
// delivery named but nothing decided are decided. It returns when every
// resumed response has started.
func (d *Dispatcher) ResumeInterrupted(ctx context.Context) {
	all := d.cfg.Store.Alerts()
	var incs map[string]incidentOf
	resumed := map[string]bool{}
	for ref, rec := range all {
		if rec.Status != StatusRunning {
			continue
		}
		if incs == nil {
			incs = incidentsByAlert(d.cfg.StateDir)
		}
		r, err := ParseRef(ref)
		if err != nil {
			continue
		}
		log := d.cfg.Log.With("alert", ref, "source", SourceResume)
		inc, found := incs[ref]
		switch {
		case found && inc.Held:
			log.Info("the alert's incident is held by another process; leaving it", "incident", inc.ID)
		case found && inc.Summary.Status != "running" && inc.Summary.Status != "interrupted":
			// It ended before watch could record it.
			contained := inc.Summary.TimeToContain != nil
			_ = d.cfg.Store.UpdateAlert(ref, func(x *AlertRecord) {
				x.Status, x.Incident, x.Outcome, x.Contained = StatusDone, inc.ID, firstNonEmpty(inc.Summary.Outcome, inc.Summary.Status), contained
			})
			log.Info("the alert's response had ended", "incident", inc.ID, "outcome", inc.Summary.Outcome)
		case found:
			log.Info("resuming the interrupted response", "incident", inc.ID)
			resumed[ref] = true
			d.resume(ref, r, rec, inc.ID, attachedTo(all, ref))
		default:
			log.Info("the response never started its incident: starting it again")
			_ = d.cfg.Store.UpdateAlert(ref, func(x *AlertRecord) { x.Status, x.Action = StatusDecided, Ignore })
			d.Submit(SourceResume, r)
		}
	}
	// Alerts attached to a response that has ended.
	for ref, rec := range d.cfg.Store.Alerts() {
		if rec.Status != StatusAttached {
			continue
		}
		p, ok := d.cfg.Store.Alert(rec.Primary)
		r, err := ParseRef(ref)
		if !ok || err != nil || p.Status == StatusRunning || resumed[rec.Primary] {
			continue // the resumed response resolves it when it ends
		}
		log := d.cfg.Log.With("alert", ref, "source", SourceResume, "primary", rec.Primary)
		if p.Status == StatusDone && p.Contained {
			_ = d.cfg.Store.UpdateAlert(ref, func(x *AlertRecord) {
				x.Status, x.Incident, x.Outcome, x.Contained = StatusDone, p.Incident, p.Outcome, true
			})
			d.resolve(ctx, log, r, p.Incident, rec.Primary)
			continue
		}
		_ = d.cfg.Store.UpdateAlert(ref, func(x *AlertRecord) { x.Status, x.Action = StatusDecided, Ignore })
		d.Submit(SourceResume, r)
	}
	// Alerts a delivery named that were not decided: the delivery was
	// answered, so GitHub will not send it again.
	for ref, rec := range d.cfg.Store.Alerts() {
		if rec.Received.IsZero() || rec.Status == StatusRunning || rec.Status == StatusAttached {
			continue
		}
		r, err := ParseRef(ref)
		if err != nil {
			continue
		}
		d.cfg.Log.Info("a delivery named the alert before the restart and it was not decided: deciding it now", "alert", ref, "source", SourceResume)
		d.Submit(SourceResume, r)
	}
}

// attachedTo lists the alerts recorded as attached to primary's response.
func attachedTo(all map[string]AlertRecord, primary string) []string {
	var out []string
	for ref, rec := range all {
		if rec.Status == StatusAttached && rec.Primary == primary {
			out = append(out, ref)
		}
	}
	slices.Sort(out)
	return out
}

// resume continues an incident in the background, as run does a response;
// the alerts attached to it before the restart are attached again, so
// that they are resolved when it contains their key.
func (d *Dispatcher) resume(ref string, r AlertRef, rec AlertRecord, id string, attached []string) {
	log := d.cfg.Log.With("alert", ref, "source", SourceResume)
	if rec.Fingerprint != "" {
		d.dedup.claimKey(rec.Fingerprint, ref)
		for _, o := range attached {
			d.dedup.claimKey(rec.Fingerprint, o)
		}
	}
	a := githubapi.AlertState{Repo: r.Owner + "/" + r.Repo, Number: r.Number, Created: rec.AlertCreated, Updated: rec.AlertUpdated}
	if cur, err := d.cfg.GitHub.AlertState(d.work, r.Owner, r.Repo, r.Number); err == nil {
		a = cur
		d.cfg.Secrets.Add(a.Secret)
	}
	dec := Decision{Action: rec.Action, Rule: rec.Rule}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.run(log, r, a, dec, rec.Fingerprint, func(ctx context.Context) Result {
			return d.cfg.Responder.Resume(ctx, id)
		})
	}()
}
