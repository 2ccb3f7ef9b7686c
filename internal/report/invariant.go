package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/provider"
)

// Step kinds the invariant reads besides those the report always did.
const (
	kindRecord = "inventory.update"
)

// Verdicts: the response judged against respond's promise. Declined and
// Abandoned say why a response that is not contained stopped: the
// responder did not approve its plan, or closed the incident
// (`respond incidents close`; an abandoned incident is abandoned whatever
// else holds).
const (
	Recovered             = "recovered"
	ContainedNotRecovered = "contained, not recovered"
	NotContained          = "not contained"
	Declined              = "declined"
	Abandoned             = "abandoned"
)

// StatusAbandoned is the status `respond incidents close` journals.
const StatusAbandoned = "abandoned"

// Clauses of the invariant, in the order they are checked. A rotation's
// first clause is ClauseOldDead: its key did not leak.
const (
	ClauseDead      = "leaked key dead"
	ClauseOldDead   = "old key dead"
	ClauseOneLive   = "one live replacement"
	ClauseTargets   = "every target holds it"
	ClauseRedeploys = "redeploys after the last write"
	ClauseInventory = "inventory names it"
	ClauseLeftovers = "nothing left over"
)

// Invariant is the response judged against respond's promise (PRODUCT
// §8): after a response the leaked key is dead, exactly one replacement is
// live, every known target holds it, every workflow that deploys it ran
// after the last write, the inventory names it, and nothing respond
// created is left over. respond says "recovered" only when every clause
// holds; the report and the end of a run say which do not, and what to do.
type Invariant struct {
	Verdict string   `json:"verdict"` // recovered, "contained, not recovered", "not contained", declined or abandoned
	Clauses []Clause `json:"clauses"`
	// Inventory is what happened to the inventory file, if anything.
	Inventory *InventoryChange `json:"inventory,omitempty"`
}

// Holds reports whether every clause holds.
func (v *Invariant) Holds() bool { return v != nil && v.Verdict == Recovered }

// Failing returns the clauses that do not hold.
func (v *Invariant) Failing() []Clause {
	var out []Clause
	for _, c := range v.Clauses {
		if !c.Holds {
			out = append(out, c)
		}
	}
	return out
}

// Clause is one part of the invariant.
type Clause struct {
	Name   string `json:"name"`
	Holds  bool   `json:"holds"`
	Detail string `json:"detail"` // what is true, or what is not and what to do
}

// InventoryChange is the inventory edit that records the replacement.
type InventoryChange struct {
	File       string `json:"file,omitempty"`
	Credential string `json:"credential,omitempty"`
	From       string `json:"from,omitempty"` // the key_id (or key_name) the credential named
	To         string `json:"to,omitempty"`   // the replacement's key_id
	Changed    bool   `json:"changed"`
	Error      string `json:"error,omitempty"`
}

// invariant judges the response. It runs after the other sections are
// built, and only for leaked-key and rotation incidents.
func (b *builder) invariant() {
	r := b.r
	if r.Incident.Kind == "generic" || r.Incident.DryRun {
		return
	}
	if r.Key == nil && b.declares(kindIdentify) && b.firstOK(kindIdentify) == nil {
		// The key was never identified (a mistyped ID, a run stopped
		// before it): nothing was done to judge, and which key it is
		// is not known.
		return
	}
	resume := b.resumeHint()
	inv := &Invariant{}
	add := func(name string, holds bool, detail string, args ...any) {
		inv.Clauses = append(inv.Clauses, Clause{Name: name, Holds: holds, Detail: fmt.Sprintf(detail, args...)})
	}
	key, deadClause := "the leaked key", ClauseDead
	if r.Incident.Kind == "rotation" {
		key, deadClause = "the old key", ClauseOldDead
	}
	if r.Key != nil && r.Key.ID != "" {
		key += " " + r.Key.ID
	}

	// The leaked key is dead: revoked (or found gone) and proven dead.
	provenDead, how := false, ""
	var answer string // what the provider answered the key, as checked
	for _, v := range r.Verifications {
		if v.Expect == "dead" && v.Passed {
			provenDead, how = true, v.Method
			answer = ""
			if v.StatusCode != 0 {
				answer = strings.TrimSpace(fmt.Sprintf("%d %s", v.StatusCode, v.Code))
			}
		}
	}
	switch {
	case r.Summary.Contained && provenDead && answer != "" && !(r.Key != nil && r.Key.Deactivated):
		add(deadClause, true, "%s is revoked and answers %s", firstUpper(key), answer)
	case r.Summary.Contained && provenDead && r.Key != nil && r.Key.Deactivated:
		add(deadClause, true, "%s is deactivated and proven dead (%s)", firstUpper(key), how)
	case r.Summary.Contained && provenDead:
		add(deadClause, true, "%s is revoked and gone from its %s", firstUpper(key), orDefault(scopeKind(r), "project"))
	case r.Summary.Contained:
		add(deadClause, false, "%s is revoked but not yet proven dead; %s checks it again", firstUpper(key), resume)
	default:
		add(deadClause, false, "%s is not revoked and may still work: run %s, or revoke it %s now", firstUpper(key), resume, r.advice().Console)
	}

	// Where it is deployed: did the inventory know?
	matched, targetsRead := true, false
	credential := ""
	if t := b.lastOK(kindTargets); t != nil {
		targetsRead = true
		matched = boolean(t.evidence, "matched")
		credential = str(t.evidence, "credential")
	}
	rep := b.lastOK(kindReplace)
	noTargets := targetsRead && (!matched || len(b.targetIDs) == 0)

	// Exactly one live replacement.
	replacedEarlier := ""
	if t := b.lastOK(kindTargets); t != nil {
		replacedEarlier = str(t.evidence, "replaced_earlier")
	}
	switch {
	case noTargets && !matched && replacedEarlier != "":
		add(ClauseOneLive, false, "an earlier response replaced %s: credential %s; this incident made no replacement and did not check that one: "+
			"`respond audit` shows whether it works and is everywhere", key, replacedEarlier)
	case noTargets && !matched && !r.Summary.Contained:
		add(ClauseOneLive, false, "no credential in the inventory names %s, so no replacement would be made: "+
			"add the key (key_id) and every place it is deployed to the inventory before it is revoked, then run %s", key, resume)
	case noTargets && !matched:
		add(ClauseOneLive, false, "no credential in the inventory names %s, so no replacement was made: whatever used the key is failing now; "+
			"add the key (key_id) and every place it is deployed to the inventory, then run %s", key, resume)
	case noTargets:
		add(ClauseOneLive, false, "credential %s lists no place that holds the key, so no replacement was made: add its targets to the inventory, then run %s", credential, resume)
	case rep == nil:
		add(ClauseOneLive, false, "no replacement was created yet: run %s", resume)
	case r.Replacement == nil || !r.Replacement.Verified:
		add(ClauseOneLive, false, "replacement %s was not proven to work: run %s", r.Replacement.KeyID, resume)
	default:
		add(ClauseOneLive, true, "replacement %s (%s) works", r.Replacement.KeyID, shortRedacted(r.Replacement.Redacted))
	}

	// Every target holds it.
	var stale []string
	checked := 0
	for _, t := range r.Targets {
		if t.Removed {
			continue
		}
		checked++
		switch {
		case t.HoldsReplacement:
		case t.Unlisted:
			stale = append(stale, t.ID+" (no longer in the inventory, and it holds an earlier replacement: put it back to write the new one there, "+
				"or, once nothing uses what it holds, delete that key by hand)")
		default:
			stale = append(stale, t.ID)
		}
	}
	switch {
	case !targetsRead:
		add(ClauseTargets, false, "not known yet: the run stopped before it found where the key is deployed; run %s", resume)
	case noTargets:
		add(ClauseTargets, false, "no known target")
	case len(stale) == 0 && r.Replacement != nil:
		add(ClauseTargets, true, "all %d target(s) hold replacement %s", checked, r.Replacement.KeyID)
	default:
		add(ClauseTargets, false, "%d of %d target(s) do not hold the replacement: %s; fix the cause and run %s",
			len(stale), checked, strings.Join(stale, ", "), resume)
	}

	// Every workflow that deploys it ran after the last write.
	var lastWrite time.Time
	for _, t := range r.Targets {
		if t.At != nil && t.At.After(lastWrite) {
			lastWrite = *t.At
		}
	}
	var late []string
	runs := 0
	listed := 0 // workflows the inventory lists for the credential
	if t := b.lastOK(kindTargets); t != nil {
		listed = integer(t.evidence, "workflows")
	}
	for _, in := range b.ofKind(kindDispatch) {
		if in.status == journal.StatusSkipped {
			continue
		}
		runs++
		what := b.targetOf(in)
		switch {
		case in.status != journal.StatusOK:
			late = append(late, what+" (not run)")
		case in.lastStarted == nil || in.lastStarted.Before(lastWrite):
			late = append(late, what+" (ran before the last secret write)")
		case rep != nil && str(in.evidence, "deploys") != "" && r.Replacement != nil && str(in.evidence, "deploys") != r.Replacement.KeyID:
			late = append(late, what+" (deployed an earlier replacement)")
		case str(in.evidence, "conclusion") != "" && str(in.evidence, "conclusion") != "success":
			late = append(late, fmt.Sprintf("%s (its run concluded %s)", what, str(in.evidence, "conclusion")))
		}
	}
	// A ✓ only for what was checked: the workflows the inventory lists
	// must each have run; none listed is only known once the targets
	// were read.
	switch {
	case !targetsRead:
		add(ClauseRedeploys, false, "not known yet: the run stopped before it found which workflows deploy the key; run %s", resume)
	case noTargets && runs == 0:
		add(ClauseRedeploys, false, "nothing was deployed")
	case len(late) > 0:
		add(ClauseRedeploys, false, "%s; run %s", strings.Join(late, "; "), resume)
	case runs < listed:
		add(ClauseRedeploys, false, "%d of %d workflow(s) to re-run did not run: the run stopped before it re-ran them; run %s", listed-runs, listed, resume)
	case runs == 0:
		add(ClauseRedeploys, true, "no workflow to re-run: the inventory lists none for the key")
	default:
		add(ClauseRedeploys, true, "%d workflow(s) ran after the last secret write", runs)
	}

	// The inventory names it.
	ic := b.inventoryChange()
	inv.Inventory = ic
	switch {
	case noTargets:
		add(ClauseInventory, false, "the inventory names no replacement")
	case ic == nil:
		if b.declares(kindRecord) {
			add(ClauseInventory, false, "the inventory was not updated yet: run %s", resume)
		} else {
			to := "the replacement's ID"
			if r.Replacement != nil {
				to = r.Replacement.KeyID
			}
			add(ClauseInventory, false, "the playbook does not record the replacement in the inventory: set key_id: %s under the credential by hand", to)
		}
	case ic.Error != "":
		add(ClauseInventory, false, "%s", ic.Error)
	case r.Replacement != nil && ic.To != r.Replacement.KeyID:
		add(ClauseInventory, false, "the inventory names %s, an earlier replacement: run %s", ic.To, resume)
	default:
		add(ClauseInventory, true, "%s: credential %s names %s", ic.File, ic.Credential, ic.To)
	}

	// Nothing left over.
	leftover := false
	for _, in := range b.ofKind(kindReplace) {
		if in.open || in.status == journal.StatusFailed || in.status == "retrying" {
			leftover = true
		}
	}
	created := "one service account"
	if r.Replacement != nil && r.Replacement.PrincipalType != "service_account" && r.Replacement.PrincipalType != "" {
		created = "one key"
	}
	// Earlier replacements kept live while the new one went out (make
	// before break) must be gone once it is everywhere.
	var superseded []string
	if rep != nil {
		var cr evidence.Created
		evidence.Decode(rep.evidence, &cr)
		discarded := map[string]bool{}
		for _, in := range b.ofKind(kindDiscard) {
			if in.status == journal.StatusOK {
				for _, id := range strList(in.evidence, "deleted") {
					discarded[id] = true
				}
			}
		}
		for _, o := range cr.Superseded {
			id := o.KeyID
			if id == "" {
				id = o.Principal.ID
			}
			if !o.Adopted && !discarded[id] {
				superseded = append(superseded, id)
			}
		}
	}
	byPerson := false
	if r.Key != nil {
		if s, ok := specOf(r.Key.Provider); ok && s.Caps.Replace == provider.ByPerson {
			byPerson = true // respond creates nothing: a person makes the replacement
		}
	}
	switch {
	case leftover && byPerson && len(superseded) == 0:
		add(ClauseLeftovers, true, "respond created nothing: a person makes the replacement")
	case leftover:
		add(ClauseLeftovers, false, "creating the replacement was interrupted or failed; what it created may be left over: run %s, which deletes it", resume)
	case len(superseded) > 0 && !b.declares(kindDiscard):
		add(ClauseLeftovers, false, "the earlier replacement(s) %s are still live, and the playbook has no key.discard step to delete them: "+
			"delete them by hand once nothing uses them, and add the step to the playbook (docs/playbooks.md, key.discard)", strings.Join(superseded, ", "))
	case len(superseded) > 0:
		add(ClauseLeftovers, false, "the earlier replacement(s) %s stay live until the new one is on every target, redeployed and verified: "+
			"fix what failed and run %s, whose discard step deletes them", strings.Join(superseded, ", "), resume)
	case r.Key != nil && r.Key.Deactivated && !r.Key.Retired:
		add(ClauseLeftovers, false, "%s is deactivated but not %sd: run %s, which %ss it once recovery is verified", firstUpper(key), retireVerb(r), resume, retireVerb(r))
	case rep != nil:
		n := len(strList(rep.evidence, "deleted_leftovers"))
		switch {
		case n > 0 && created == "one service account":
			add(ClauseLeftovers, true, "%d service account(s) of this incident that could no longer be used were deleted", n)
		case n > 0:
			add(ClauseLeftovers, true, "%d key(s) of this incident that could no longer be used were deleted", n)
		case r.Replacement != nil && r.Replacement.Adopted && r.Key != nil && r.Key.Retired:
			add(ClauseLeftovers, true, "respond created nothing (a person made the replacement), and %sd the deactivated leaked key", retireVerb(r))
		case r.Replacement != nil && r.Replacement.Adopted:
			add(ClauseLeftovers, true, "respond created nothing: a person made the replacement")
		case r.Key != nil && r.Key.Retired:
			add(ClauseLeftovers, true, "respond created %s and kept it, and %sd the deactivated leaked key", created, retireVerb(r))
		default:
			add(ClauseLeftovers, true, "respond created %s and kept it", created)
		}
	default:
		add(ClauseLeftovers, true, "respond created nothing")
	}

	inv.Verdict = Recovered
	switch {
	case r.Incident.Status == StatusAbandoned:
		inv.Verdict = Abandoned
	case !inv.Clauses[0].Holds && r.Incident.Status == "declined":
		inv.Verdict = Declined
	case !inv.Clauses[0].Holds:
		inv.Verdict = NotContained
	case len(inv.Failing()) > 0:
		inv.Verdict = ContainedNotRecovered
	}
	r.Invariant = inv
	// Recovered when the last clause came to hold: the last deploy, check,
	// dispatch or inventory record.
	if inv.Verdict != Recovered {
		r.Metrics.RecoveredAt, r.Metrics.TimeToRecover = nil, nil
		return
	}
	at := time.Time{}
	if r.Metrics.RecoveredAt != nil {
		at = *r.Metrics.RecoveredAt
	}
	for _, kind := range []string{kindDispatch, kindRecord, kindRetire} {
		for _, in := range b.ofKind(kind) {
			if in.status == journal.StatusOK && in.finished != nil && in.finished.After(at) {
				at = *in.finished
			}
		}
	}
	if !at.IsZero() {
		r.Metrics.RecoveredAt = &at
		r.Metrics.TimeToRecover = spanPtr(r.Incident.Started, at)
	}
}

// inventoryChange reads the inventory.update step.
func (b *builder) inventoryChange() *InventoryChange {
	ins := b.ofKind(kindRecord)
	if len(ins) == 0 {
		return nil
	}
	in := ins[len(ins)-1]
	switch in.status {
	case journal.StatusOK:
		ev := in.evidence
		from := str(ev, "old_key_id")
		if from == "" && str(ev, "old_key_name") != "" {
			from = "key_name " + str(ev, "old_key_name")
		}
		return &InventoryChange{File: str(ev, "file"), Credential: str(ev, "credential"), From: from, To: str(ev, "key_id"), Changed: boolean(ev, "changed")}
	case journal.StatusFailed, "retrying":
		return &InventoryChange{Error: in.errMsg}
	}
	return nil
}

// lastOK is the last instance of kind that finished ok.
func (b *builder) lastOK(kind string) *instance {
	var last *instance
	for _, in := range b.ofKind(kind) {
		if in.status == journal.StatusOK {
			last = in
		}
	}
	return last
}

func firstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// resumeHint is how a person continues the incident: `respond resume ID`,
// or, once it was closed as abandoned (resume refuses it), a new
// response.
func (b *builder) resumeHint() string {
	if b.r.Incident.Status == StatusAbandoned {
		return "a new response (this incident was closed as abandoned)"
	}
	if rep := b.lastOK(kindReplace); rep == nil && b.declares(kindReplace) {
		// A replacement a person makes is pasted when the resume asks.
		if s, ok := specOf(b.keyProvider()); ok && s.Caps.Replace == provider.ByPerson {
			return fmt.Sprintf("`respond resume %s --replacement-stdin` (or at a terminal)", b.r.Incident.ID)
		}
	}
	return fmt.Sprintf("`respond resume %s`", b.r.Incident.ID)
}

// keyProvider is the name of the incident key's provider ("" unknown).
func (b *builder) keyProvider() string {
	if b.r.Key != nil && b.r.Key.Provider != "" {
		return b.r.Key.Provider
	}
	return b.r.provider
}

// retireVerb is what the key's provider does to retire a deactivated key
// ("delete", "archive").
func retireVerb(r *Report) string {
	if r.Key != nil {
		if s, ok := specOf(r.Key.Provider); ok {
			return s.Caps.Retire()
		}
	}
	return "delete"
}
