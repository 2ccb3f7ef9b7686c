package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = KeyDiscard{}

const keyDiscardKind = "key.discard"

// KeyDiscard is the `key.discard` step kind: it deletes the earlier
// replacements of an incident once the one in use is everywhere. A resume
// that had to make a new replacement (the earlier one's value was not
// kept, and no place it went to can be read back) keeps the earlier one
// live, so nothing that runs on it is switched to a dead key; this step
// deletes it at the end, after the deploys, the redeploys and the
// verification. An earlier replacement that a place still holds (the
// journal's latest write there is it) is kept, and named as a follow-up.
type KeyDiscard struct {
	Keys  *provider.Set
	fixed string
}

// Spec implements step.Kind.
func (KeyDiscard) Spec() step.Spec {
	return step.Spec{
		Kind:    keyDiscardKind,
		Summary: "Delete the earlier replacements this incident no longer uses",
		Description: "Make before break: when a resume makes a new replacement while an earlier one is on some targets, " +
			"key.replace keeps the earlier one live and lists it as superseded; this step deletes it once the new one is " +
			"on every target, redeployed and verified. Place it after those steps, with " +
			"`when: ${{ steps.replace.outputs.superseded && !incident.failed }}`, so that it runs only when nothing failed " +
			"(a resume evaluates the condition again). An earlier replacement that a place still holds is kept and named " +
			"as a follow-up; one already gone is fine; a key a person made is never deleted.",
		Mutates:    true,
		Idempotent: true,
		Evidence:   evidence.KeyDiscarded,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the provider of the replacement"},
			{Name: "replacement", Type: step.String, Description: "the replacement in use (key.replace's key_id); empty: the incident's latest"},
		},
		Outputs: []step.Output{
			{Name: "deleted", Type: step.List, Description: "the earlier replacements deleted"},
			{Name: "kept", Type: step.List, Description: "the earlier replacements kept because a place still holds them"},
		},
	}
}

// superseded returns the earlier replacements the current one superseded,
// from the incident's journal.
func superseded(c *step.Call, replacement string) (evidence.Created, []evidence.Created) {
	var current evidence.Created
	for _, r := range c.Recorded() {
		if evidence.TypeOf(r.Evidence) != evidence.KeyCreated {
			continue
		}
		var cr evidence.Created
		if !evidence.Decode(r.Evidence, &cr) {
			continue
		}
		cr.Normalize()
		if replacement == "" || cr.KeyID == replacement {
			current = cr
		}
	}
	return current, current.Superseded
}

func (k KeyDiscard) input(c *step.Call) (keyProvider, evidence.Created, []evidence.Created, error) {
	p, err := resolveProvider(k.Keys, keyDiscardKind, c, k.fixed)
	if err != nil {
		return keyProvider{}, evidence.Created{}, nil, err
	}
	current, old := superseded(c, strings.TrimSpace(c.String("replacement")))
	return p, current, old, nil
}

// known reports whether a replacement is one the journal records.
func known(cr evidence.Created) bool {
	return cr.KeyID != "" || cr.Principal.ID != ""
}

// Plan implements step.Kind.
func (k KeyDiscard) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	p, current, old, err := k.input(c)
	if err != nil {
		return nil, err
	}
	if !known(current) {
		// The replacement is still to be made (a resume makes a new one):
		// what the incident made so far is what it will supersede.
		latest, earlier := superseded(c, "")
		if latest.Fingerprint != "" {
			old = append(earlier, latest)
		}
	}
	if len(old) == 0 {
		return []step.Change{{Action: step.NoOp, Target: "earlier replacements", Effect: "nothing to delete: this incident made one replacement"}}, nil
	}
	var out []step.Change
	for _, o := range old {
		id := firstNonEmpty(o.KeyID, o.Principal.ID)
		ch := step.Change{Action: step.Delete, Target: keyLabel(p, id),
			Effect: "delete the earlier replacement, now that the new one is everywhere and verified"}
		if hs := holdersOf(c, o.Fingerprint); len(hs) > 0 {
			ch.Effect = "delete the earlier replacement unless a place still holds it (now: " + placeNames(hs) + ")"
		}
		out = append(out, ch)
	}
	return out, nil
}

// Apply implements step.Kind.
func (k KeyDiscard) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	p, current, old, err := k.input(c)
	if err != nil {
		return nil, err
	}
	ev := evidence.Discarded{Provider: p.spec.Name, Replacement: current.KeyID, Deleted: []string{}}
	kept := []string{}
	var notes []string
	for _, o := range old {
		id := firstNonEmpty(o.KeyID, o.Principal.ID)
		if o.Adopted {
			ev.Kept = append(ev.Kept, evidence.Kept{KeyID: id, Why: "a person made it: respond never deletes it"})
			kept = append(kept, id)
			notes = append(notes, fmt.Sprintf("delete %s yourself once nothing uses it (a person made it)", keyLabel(p, id)))
			continue
		}
		if hs := holdersOf(c, o.Fingerprint); len(hs) > 0 {
			var places []string
			for _, h := range hs {
				places = append(places, h.Target)
			}
			ev.Kept = append(ev.Kept, evidence.Kept{KeyID: id, Places: places, Why: "places still hold it"})
			kept = append(kept, id)
			notes = append(notes, fmt.Sprintf("%s still holds %s, an earlier replacement: write the current one there, then delete it",
				placeNames(hs), keyLabel(p, id)))
			continue
		}
		if err := p.Discard(ctx, o, c.Logf); err != nil {
			return nil, fmt.Errorf("%s: %w", keyDiscardKind, err)
		}
		ev.Deleted = append(ev.Deleted, id)
	}
	summary := "nothing to delete: this incident made one replacement"
	switch {
	case len(ev.Deleted) > 0 && len(kept) == 0:
		summary = "deleted the earlier replacement(s) " + strings.Join(ev.Deleted, ", ") + ": nothing holds them any more"
	case len(ev.Deleted) > 0:
		summary = "deleted " + strings.Join(ev.Deleted, ", ") + "; kept " + strings.Join(kept, ", ") + ": " + strings.Join(notes, "; ")
	case len(kept) > 0:
		summary = "kept " + strings.Join(kept, ", ") + ": " + strings.Join(notes, "; ")
	}
	return &step.Result{
		Outputs:  map[string]any{"deleted": ev.Deleted, "kept": kept},
		Evidence: evidence.Map(evidence.KeyDiscarded, ev),
		Summary:  summary,
	}, nil
}
