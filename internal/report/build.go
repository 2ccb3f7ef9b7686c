package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/playbook"
)

// PlaybookCopy is the playbook copy kept in an incident directory (the CLI
// writes it; see internal/cli.PlaybookCopy).
const PlaybookCopy = "playbook.yaml"

// Step kinds the report understands: the generic key.* kinds, whatever
// the provider behind them.
const (
	kindIdentify  = "key.identify"
	kindTargets   = "inventory.targets"
	kindPreflight = "preflight"
	kindRevoke    = "key.revoke"
	kindVerify    = "key.verify"
	kindReplace   = "key.replace"
	kindRetire    = "key.retire"
	kindDiscard   = "key.discard"
	kindDeploy    = "deploy"
	kindDispatch  = "github.dispatch_workflow"
	kindResolve   = "github.resolve_alert"
	kindUsage     = "key.usage"
)

// kindAliases are older names of the key.* kinds (the openai.* kinds
// of playbooks written before the provider interface).
var kindAliases = map[string]string{
	"openai.identify_key":       kindIdentify,
	"openai.revoke_key":         kindRevoke,
	"openai.verify_key":         kindVerify,
	"openai.create_replacement": kindReplace,
	"openai.key_usage":          kindUsage,
	"openai.await_quiet":        "key.await_quiet",
}

// canonicalKind is the report's name of a step kind.
func canonicalKind(uses string) string {
	if k, ok := kindAliases[uses]; ok {
		return k
	}
	return uses
}

// evidenceKinds are the step kinds that record each evidence type.
var evidenceKinds = map[string]string{
	evidence.KeyIdentified:     kindIdentify,
	evidence.KeyRevoked:        kindRevoke,
	evidence.KeyChecked:        kindVerify,
	evidence.KeyCreated:        kindReplace,
	evidence.KeyUsage:          kindUsage,
	evidence.KeyRetired:        kindRetire,
	evidence.TargetWritten:     kindDeploy,
	evidence.InventoryRecorded: kindRecord,
	evidence.WorkflowRun:       kindDispatch,
	evidence.AlertResolved:     kindResolve,
	evidence.TargetsFound:      kindTargets,
	evidence.Preflight:         kindPreflight,
}

// Build reads an incident's journal and playbook copy and builds its
// report. It works for incidents in any state: running, interrupted,
// failed or completed.
func Build(inc *incident.Incident) (*Report, error) {
	recs, err := journal.ReadFile(inc.JournalPath())
	if err != nil {
		return nil, fmt.Errorf("read the journal of incident %s: %w", inc.ID, err)
	}
	pb, err := os.ReadFile(filepath.Join(inc.Dir, PlaybookCopy))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read the playbook copy of incident %s: %w", inc.ID, err)
	}
	return FromJournal(inc.ID, recs, pb)
}

// stepInfo is what the playbook says about a step.
type stepInfo struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	Uses string `yaml:"uses"`
}

// parsePlaybook reads the steps' ids, names and kinds from a playbook.
// A playbook that does not parse yields nothing: kinds are then inferred
// from the evidence.
func parsePlaybook(src []byte) (name string, steps []stepInfo) {
	var pb struct {
		Name  string     `yaml:"name"`
		Steps []stepInfo `yaml:"steps"`
	}
	if len(src) == 0 || yaml.Unmarshal(src, &pb) != nil {
		return "", nil
	}
	return pb.Name, pb.Steps
}

// inferKind guesses a step's kind from its evidence, for incidents whose
// playbook copy is missing: its type, or (journals written before evidence
// had types) its fields.
func inferKind(ev map[string]any) string {
	if k, ok := evidenceKinds[evidence.TypeOf(ev)]; ok {
		return k
	}
	has := func(k string) bool { _, ok := ev[k]; return ok }
	switch {
	case has("contained"):
		return kindRevoke
	case has("buckets"):
		return kindUsage
	case has("expect") && has("state"):
		return kindVerify
	case has("deleted_leftovers"):
		return kindReplace
	case has("value_fingerprint"):
		return kindDeploy
	case has("already_gone") || has("exposed_since"):
		return kindIdentify
	case has("resolution") || has("already_resolved"):
		return kindResolve
	case has("dispatched_at"):
		return kindDispatch
	case has("matched"):
		return kindTargets
	case has("checked") && has("problems"):
		return kindPreflight
	}
	return ""
}

// instance is one (step, item) as the journal tells it.
type instance struct {
	step, item  string
	attempts    int
	started     *time.Time // first attempt
	lastStarted *time.Time // latest attempt
	finished    *time.Time // last record
	status      string     // ok, failed, skipped, unfinished
	summary     string
	errMsg      string
	evidence    map[string]any
	outputs     map[string]any
	open        bool // an attempt started and never finished
}

// builder holds the state of one Build.
type builder struct {
	r          *Report
	recs       []journal.Record
	steps      []stepInfo
	kinds      map[string]string // step id → kind
	names      map[string]string
	order      []*instance
	byKey      map[string]*instance
	last       time.Time
	revokedAt  *time.Time
	replacedAt *time.Time // when the (last) replacement was created
	// targetIDs are the inventory's targets in order: a foreach over them
	// journals its items as "#0", "#1", ….
	targetIDs []string
}

// FromJournal builds a report from journal records and the playbook's
// source (nil if unknown).
func FromJournal(id string, recs []journal.Record, playbookSrc []byte) (*Report, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("incident %s has an empty journal: there is nothing to report", id)
	}
	b := &builder{
		r: &Report{
			SchemaVersion: SchemaVersion,
			Incident:      Incident{ID: id},
			Targets:       []Target{},
			Actions:       []Action{},
			Verifications: []Verification{},
			Responders:    []Responder{},
			Approvals:     []Approval{},
			Notes:         []Note{},
			Timeline:      []Event{},
			Failures:      []Failure{},
			Remaining:     []string{},
			FollowUps:     []FollowUp{},
		},
		recs:  recs,
		kinds: map[string]string{},
		names: map[string]string{},
		byKey: map[string]*instance{},
	}
	pbName, steps := parsePlaybook(playbookSrc)
	b.steps = steps
	for _, s := range steps {
		b.kinds[s.ID], b.names[s.ID] = canonicalKind(s.Uses), s.Name
	}
	b.r.Incident.Playbook = pbName
	b.scan()
	for _, in := range b.order {
		if b.kinds[in.step] == "" {
			if k := inferKind(in.evidence); k != "" {
				b.kinds[in.step] = k
			}
		}
	}
	// The targets the inventory names now: a resume reads it again.
	if t := b.lastOK(kindTargets); t != nil {
		b.targetIDs = strList(t.evidence, "targets")
	}
	b.incidentKind()
	b.keyAndDetection()
	b.actions()
	b.containment()
	b.keyFromCredential()
	b.replacementAndTargets()
	b.verifications()
	b.alert()
	b.usage()
	b.metrics()
	b.invariant()
	b.remaining()
	b.summary()
	b.followUps()
	b.timeline()
	return b.r, nil
}

// scan reads the records in order.
func (b *builder) scan() {
	r := b.r
	responders := map[string]*Responder{}
	var who []string
	for _, rec := range b.recs {
		if rec.Time.After(b.last) {
			b.last = rec.Time
		}
		switch rec.Type {
		case journal.IncidentStarted:
			r.Incident.Started = rec.Time
			if p := str(rec.Data, "playbook"); p != "" {
				r.Incident.Playbook = p
			}
			r.Incident.Digest = str(rec.Data, "digest")
			r.Incident.Strategy = str(rec.Data, "strategy")
			if in, ok := rec.Data["inputs"].(map[string]any); ok {
				r.provider = str(in, "provider")
			}
			r.Incident.DryRun = boolean(rec.Data, "dry_run")
			if d, ok := rec.Data["drill"].(map[string]any); ok {
				r.Incident.Drill = &Drill{ID: str(d, "id"), Scenario: str(d, "scenario"), Title: str(d, "title"), Trainee: str(d, "trainee")}
			}
			r.Detection.Responder = str(rec.Data, "responder")
			r.Incident.Status = "running"
		case journal.RunStarted:
			r.Incident.Status = "running"
			u := str(rec.Data, "user")
			if u == "" {
				u = "unknown"
			}
			p := responders[u]
			if p == nil {
				p = &Responder{User: u, First: rec.Time}
				responders[u] = p
				who = append(who, u)
			}
			p.Runs++
			if h := str(rec.Data, "host"); h != "" && !contains(p.Hosts, h) {
				p.Hosts = append(p.Hosts, h)
			}
		case journal.Approved:
			a := Approval{At: rec.Time, Step: rec.Step, Question: rec.Message, Approved: boolean(rec.Data, "approved"),
				By: str(rec.Data, "by"), How: str(rec.Data, "how")}
			r.Approvals = append(r.Approvals, a)
		case journal.NoteAdded:
			r.Notes = append(r.Notes, Note{At: rec.Time, Step: rec.Step, Message: rec.Message})
		case journal.StepStarted:
			in := b.inst(rec.Step, rec.Item)
			if in.started == nil {
				t := rec.Time
				in.started = &t
			}
			ls := rec.Time
			in.lastStarted = &ls
			in.attempts = max(in.attempts, rec.Attempt, 1)
			in.open = true
			in.status = "unfinished"
		case journal.StepFinished:
			in := b.inst(rec.Step, rec.Item)
			t := rec.Time
			in.finished = &t
			if in.started == nil {
				// Skipped steps, and steps reported as done earlier.
				in.started = &t
			}
			in.open = false
			in.attempts = max(in.attempts, rec.Attempt)
			in.status = rec.Status
			if rec.Status == journal.StatusFailed && boolean(rec.Data, "retrying") {
				in.status = "retrying"
			}
			in.errMsg = rec.Error
			if rec.Status == journal.StatusOK {
				in.errMsg = ""
				in.summary = rec.Message
				in.evidence = rec.Evidence
				in.outputs = rec.Outputs
			} else if rec.Status == journal.StatusSkipped {
				in.summary = skipWords(rec.Message)
			} else if rec.Evidence != nil {
				in.evidence = rec.Evidence
			}
			if rec.Status == journal.StatusFailed && !boolean(rec.Data, "retrying") {
				r.Failures = append(r.Failures, Failure{At: rec.Time, Step: rec.Step, Item: rec.Item, Error: rec.Error})
			}
		case journal.RunInterrupted:
			r.Incident.Status = "interrupted"
			r.Incident.Message = rec.Message
		case journal.IncidentFinished:
			r.Incident.Status = rec.Status
			if rec.Status == "cancelled" {
				// Journals written before "declined": the engine said
				// cancelled only when the responder declined.
				r.Incident.Status = "declined"
			}
			t := rec.Time
			r.Incident.Finished = &t
			r.Incident.Message = rec.Message
			if rec.Status == StatusAbandoned {
				r.Incident.Closed = &Closure{At: rec.Time, By: str(rec.Data, "by"), Reason: orDefault(str(rec.Data, "reason"), rec.Message)}
			}
		}
	}
	for _, u := range who {
		r.Responders = append(r.Responders, *responders[u])
	}
	if r.Incident.Status == "" {
		r.Incident.Status = "running"
	}
	if r.Incident.Started.IsZero() {
		r.Incident.Started = b.recs[0].Time
	}
}

func (b *builder) inst(step, item string) *instance {
	k := step + "\x00" + item
	in := b.byKey[k]
	if in == nil {
		in = &instance{step: step, item: item}
		b.byKey[k] = in
		b.order = append(b.order, in)
	}
	return in
}

// ofKind returns the instances of steps of a kind, in journal order.
func (b *builder) ofKind(kind string) []*instance {
	var out []*instance
	for _, in := range b.order {
		if b.kinds[in.step] == kind {
			out = append(out, in)
		}
	}
	return out
}

// firstOK is the first instance of kind that finished ok.
func (b *builder) firstOK(kind string) *instance {
	for _, in := range b.ofKind(kind) {
		if in.status == journal.StatusOK {
			return in
		}
	}
	return nil
}

// incidentKind says whether this was a leak, a rotation or something else.
func (b *builder) incidentKind() {
	k := "generic"
	hasRevoke := false
	for _, kind := range b.kinds {
		if kind == kindRevoke {
			hasRevoke = true
		}
	}
	if hasRevoke || b.firstOK(kindIdentify) != nil {
		k = "leaked-key"
		if b.r.Incident.Strategy == "rotate-first" || strings.Contains(b.r.Incident.Playbook, "rotate") {
			k = "rotation"
		}
	}
	b.r.Incident.Kind = k
}

func (b *builder) keyAndDetection() {
	r := b.r
	id := b.firstOK(kindIdentify)
	if id == nil {
		if b.r.Incident.Kind != "generic" {
			r.Detection.Source = "responder"
		}
		return
	}
	ev := id.evidence
	var k evidence.Identified
	evidence.Decode(ev, &k)
	k.Normalize()
	if s, ok := specOf(k.Provider); ok && k.Provider == "" {
		k.Provider = s.Name // a journal from before evidence named its provider
	}
	r.Key = &Key{
		ID: k.KeyID, Name: k.KeyName, Provider: k.Provider, ProviderTitle: orDefault(k.Title, providerTitle(k.Provider)),
		Scope: k.Scope, ScopeKind: k.ScopeKind, ScopeName: k.ScopeName,
		Redacted: k.Redacted, Fingerprint: k.Fingerprint,
		OwnerType: k.Owner.Type, OwnerNoun: k.Owner.Noun, OwnerID: k.Owner.ID, OwnerName: k.Owner.Name, OwnerEmail: k.Owner.Email,
		Created: k.Created, LastUsed: k.LastUsed, LastUseUnknown: k.LastUseUnknown,
		AlreadyDisabled: k.AlreadyGone,
		advice:          k.Advice,
	}
	if r.Key.ScopeName == r.Key.Scope {
		r.Key.ScopeName = ""
	}
	if k.ScopeKind == "project" {
		r.Key.Project, r.Key.ProjectName = k.Scope, r.Key.ScopeName
	}
	r.Detection.Source = "responder"
	if a := str(ev, "alert"); a != "" {
		r.Detection.Source = "github-secret-scanning"
		r.Detection.Alert = a
		r.Detection.ExposedSince = str(ev, "exposed_since")
		r.Detection.LeakSource = str(ev, "leak_source")
	}
}

// keyFromCredential completes the key from the inventory's credential
// that held it: its name always, and, when the provider no longer knew
// the key (already disabled, found by the alert), its ID and scope as the
// credential names them, said so in Key.FromInventory.
func (b *builder) keyFromCredential() {
	r := b.r
	t := b.firstOK(kindTargets)
	if t == nil || r.Key == nil || !boolean(t.evidence, "matched") {
		return
	}
	r.Key.Credential = str(t.evidence, "credential")
	if r.Key.ID != "" {
		return
	}
	id := orDefault(str(t.outputs, "key_id"), str(t.outputs, "credential_key_id"))
	if id == "" {
		return
	}
	r.Key.ID, r.Key.FromInventory = id, true
	if r.Key.Scope == "" {
		r.Key.Scope = orDefault(str(t.outputs, "scope"), str(t.outputs, "project"))
	}
	if r.Key.ScopeKind == "" {
		r.Key.ScopeKind = scopeKindOf(r.Key.Provider)
	}
	if r.Key.ScopeKind == "project" && r.Key.Project == "" {
		r.Key.Project = r.Key.Scope
	}
}

// actions lists every step instance.
func (b *builder) actions() {
	for _, in := range b.order {
		a := Action{
			Step: in.step, Name: b.names[in.step], Kind: b.uses(in.step), Item: in.item,
			Status: in.status, Attempts: in.attempts, Started: in.started, Finished: in.finished,
			Summary: in.summary, Error: in.errMsg, Target: b.targetOf(in),
		}
		if a.Status == "retrying" {
			// The last record was a failed attempt about to be retried:
			// the retry never recorded its start, so the run stopped here.
			a.Status = "unfinished"
		}
		if in.started != nil && in.finished != nil && !in.open {
			a.Duration = spanPtr(*in.started, *in.finished)
		}
		if in.open {
			a.Finished = nil
		}
		b.r.Actions = append(b.r.Actions, a)
	}
	// Steps of the playbook the journal never mentions: the run stopped
	// before them.
	for _, st := range b.steps {
		if !b.ran(st.ID) {
			b.r.Actions = append(b.r.Actions, Action{Step: st.ID, Name: st.Name, Kind: st.Uses, Status: "not-run"})
		}
	}
}

// uses is a step's kind as the playbook names it (Action.Kind), else as
// inferred.
func (b *builder) uses(stepID string) string {
	for _, s := range b.steps {
		if s.ID == stepID {
			return s.Uses
		}
	}
	return b.kinds[stepID]
}

// ran reports whether the journal mentions a step.
func (b *builder) ran(stepID string) bool {
	for _, in := range b.order {
		if in.step == stepID {
			return true
		}
	}
	return false
}

// declares reports whether the playbook (or the journal) has a step of kind.
func (b *builder) declares(kind string) bool {
	for _, k := range b.kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// targetOf names what a step acted on.
func (b *builder) targetOf(in *instance) string {
	ev := in.evidence
	if t := str(ev, "target"); t != "" {
		return t
	}
	switch b.kinds[in.step] {
	case kindDeploy:
		return b.deployTarget(in)
	case kindRevoke, kindUsage, kindRetire:
		if k := str(ev, "key_id"); k != "" {
			scope := orDefault(str(ev, "scope"), str(ev, "project"))
			if scope == "" {
				return fmt.Sprintf("%s key %s", b.titleOf(ev), k)
			}
			return fmt.Sprintf("%s key %s (%s)", b.titleOf(ev), k, scope)
		}
	case kindIdentify:
		if k := str(ev, "key_id"); k != "" {
			return b.titleOf(ev) + " key " + k
		}
	case kindVerify:
		if str(ev, "expect") == "live" {
			return "the replacement key"
		}
		if str(ev, "expect") == "dead" {
			return "the leaked key"
		}
	case kindReplace:
		var c evidence.Created
		evidence.Decode(ev, &c)
		c.Normalize()
		if c.Principal.ID != "" {
			return (&Replacement{PrincipalType: c.Principal.Type, PrincipalID: c.Principal.ID, PrincipalName: c.Principal.Name}).Holder()
		}
	case kindResolve:
		if a := str(ev, "alert"); a != "" {
			return "alert " + a
		}
	case kindDispatch:
		if repo := str(ev, "repo"); repo != "" {
			return fmt.Sprintf("workflow %s in %s@%s", str(ev, "workflow"), repo, str(ev, "ref"))
		}
	case kindTargets:
		if c := str(ev, "credential"); c != "" {
			return "inventory credential " + c
		}
	case kindRecord:
		if f := str(ev, "file"); f != "" {
			return f
		}
	}
	return in.item
}

// titleOf names the provider of a step's evidence: as key.identify named
// it, else from its name.
func (b *builder) titleOf(ev map[string]any) string {
	if t := str(ev, "provider_title"); t != "" {
		return t
	}
	if k := b.r.Key; k != nil && k.ProviderTitle != "" && k.Provider == str(ev, "provider") {
		return k.ProviderTitle
	}
	return providerTitle(str(ev, "provider"))
}

// containment finds the revocation and its verification.
func (b *builder) containment() {
	r := b.r
	rev := b.firstOK(kindRevoke)
	if rev != nil {
		t := *rev.finished
		b.revokedAt = &t
		if r.Key != nil && boolean(rev.evidence, "already_disabled") {
			r.Key.AlreadyDisabled = true
		}
		if r.Key == nil {
			var k evidence.Revoked
			evidence.Decode(rev.evidence, &k)
			scope := orDefault(k.Scope, k.LegacyProject)
			r.Key = &Key{ID: k.KeyID, Provider: k.Provider, ProviderTitle: providerTitle(k.Provider), Scope: scope, AlreadyDisabled: k.AlreadyDisabled}
			if kind := scopeKindOf(k.Provider); kind != "" {
				r.Key.ScopeKind = kind
				if kind == "project" {
					r.Key.Project = scope
				}
			}
		}
		if boolean(rev.evidence, "reversible") {
			r.Key.Deactivated = true
		}
		r.Key.Retired = r.Key.Deactivated && b.lastOK(kindRetire) != nil
	}
	var contained *time.Time
	if rev != nil {
		contained = b.revokedAt
		for _, v := range b.ofKind(kindVerify) {
			if v.status == journal.StatusOK && str(v.evidence, "expect") == "dead" && v.finished.After(*rev.started) {
				t := *v.finished
				contained = &t
				break
			}
		}
	} else if r.Key != nil && r.Key.AlreadyDisabled {
		// Identify found the key gone and confirmed dead.
		id := b.firstOK(kindIdentify)
		t := *id.finished
		contained = &t
	}
	if contained != nil {
		r.Metrics.ContainedAt = contained
		r.Metrics.TimeToContain = spanPtr(r.Incident.Started, *contained)
		r.Summary.Contained = true
	}

	if r.Incident.Kind == "generic" {
		return
	}
	ex := &Exposure{Start: r.Incident.Started, Open: b.revokedAt == nil}
	if s := r.Detection.ExposedSince; s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			ex.Start, ex.StartKnown = t.UTC(), true
		}
	}
	if !ex.StartKnown {
		ex.Note = "When the key leaked is unknown (no secret-scanning alert), so the window starts when respond started: it is a lower bound."
	}
	if b.revokedAt != nil {
		ex.End = b.revokedAt
		ex.Duration = spanPtr(ex.Start, *b.revokedAt)
		if r.Key != nil && r.Key.AlreadyDisabled {
			ex.Note = strings.TrimSpace(ex.Note + " The provider had already disabled the key when respond revoked it; it stopped working at some earlier time the provider did not report, so the window is an upper bound.")
		}
	} else if r.Key != nil && r.Key.AlreadyDisabled && contained != nil {
		ex.End = contained
		ex.Duration = spanPtr(ex.Start, *contained)
		ex.Open = false
		ex.Note = strings.TrimSpace(ex.Note + " The provider had already disabled the key; the window ends when respond confirmed it dead, an upper bound.")
	}
	r.Exposure = ex
}

// replacementAndTargets reads the replacement and each target's fate.
func (b *builder) replacementAndTargets() {
	r := b.r
	if rep := b.lastOK(kindReplace); rep != nil {
		b.replacedAt = rep.finished
		var c evidence.Created
		evidence.Decode(rep.evidence, &c)
		c.Normalize()
		r.Replacement = &Replacement{
			KeyID: c.KeyID, PrincipalType: c.Principal.Type, PrincipalID: c.Principal.ID, PrincipalName: c.Principal.Name,
			Redacted: c.Redacted, Fingerprint: c.Fingerprint, Created: c.CreatedAt, PermissionsHint: c.PermissionsHint, Adopted: c.Adopted,
		}
		if c.Principal.Type == "service_account" {
			r.Replacement.ServiceAccountID, r.Replacement.ServiceAccountName = c.Principal.ID, c.Principal.Name
		}
	}
	seen := map[string]int{}
	for _, id := range b.targetIDs {
		seen[id] = len(r.Targets)
		r.Targets = append(r.Targets, Target{ID: id, Type: typeOf(id), Status: "pending"})
	}
	for _, in := range b.ofKind(kindDeploy) {
		id := b.deployTarget(in)
		i, ok := seen[id]
		if !ok {
			seen[id] = len(r.Targets)
			i = len(r.Targets)
			r.Targets = append(r.Targets, Target{ID: id, Type: typeOf(id), Status: "pending"})
		}
		t := &r.Targets[i]
		if ty := str(in.evidence, "type"); ty != "" {
			t.Type = ty
		}
		switch in.status {
		case journal.StatusOK:
			t.Status = "updated"
			if boolean(in.evidence, "created") {
				t.Status = "created"
			}
			t.Detail = str(in.evidence, "detail")
			t.Rollback = str(in.evidence, "rollback")
			t.At = in.finished
			t.Error = ""
			t.HoldsReplacement = r.Replacement != nil && r.Replacement.Fingerprint != "" &&
				str(in.evidence, "value_fingerprint") == r.Replacement.Fingerprint
		case journal.StatusFailed, "retrying":
			t.Status = "failed"
			t.Error = in.errMsg
			t.At = in.finished
		case "unfinished":
			t.Status = "pending"
		}
	}
	// A target the inventory no longer names, that no write ever reached
	// (a misnamed environment, fixed since), is not a place that holds
	// the key: it leaves the final check, and the report says so. One an
	// earlier run wrote stays: it holds a key.
	listed := map[string]bool{}
	for _, id := range b.targetIDs {
		listed[id] = true
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		switch {
		case listed[t.ID] || len(b.targetIDs) == 0:
		case t.At != nil && t.Status == "failed":
			t.Status, t.Removed = "removed", true
		case t.Status == "updated" || t.Status == "created":
			t.Unlisted = true
		}
	}
}

// deployTarget names the target of a deploy instance: from its evidence,
// else from its item ("#2" is the inventory's third target).
func (b *builder) deployTarget(in *instance) string {
	if id := str(in.evidence, "target"); id != "" {
		return id
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(in.item, "#")); err == nil && strings.HasPrefix(in.item, "#") && n >= 0 && n < len(b.targetIDs) {
		return b.targetIDs[n]
	}
	return in.item
}

// typeOf reads the type from a target ID ("dotenv:deploy/.env#KEY").
func typeOf(id string) string {
	if t, _, ok := strings.Cut(id, ":"); ok {
		return t
	}
	return ""
}

func (b *builder) verifications() {
	r := b.r
	for _, in := range b.ofKind(kindVerify) {
		ev := in.evidence
		v := Verification{Step: in.step, Expect: str(ev, "expect"), State: str(ev, "state"), StatusCode: integer(ev, "status_code"),
			Code: str(ev, "code"), Method: str(ev, "method"), Checks: integer(ev, "checks"), Passed: in.status == journal.StatusOK}
		if in.status != journal.StatusOK && in.status != journal.StatusFailed && in.status != "retrying" {
			continue
		}
		if v.Expect == "" {
			// A failed check journals no evidence: the playbook's order
			// says which key it was.
			v.Expect = b.expectOf(in.step)
		}
		v.Subject = "leaked key"
		if v.Expect == "live" {
			v.Subject = "replacement"
		}
		v.At = in.finished
		if !v.Passed {
			v.Error = in.errMsg
		}
		r.Verifications = append(r.Verifications, v)
		// Only a check of this replacement counts: after a resume made a new
		// one, an earlier check proved the earlier one.
		if v.Expect == "live" && v.Passed && r.Replacement != nil && (b.replacedAt == nil || v.At == nil || !v.At.Before(*b.replacedAt)) {
			r.Replacement.Verified = true
		}
	}
}

// expectOf guesses a verify step's expectation from its place: after a
// create_replacement it checks the replacement, otherwise the old key.
func (b *builder) expectOf(stepID string) string {
	replaced := false
	for _, s := range b.steps {
		if s.ID == stepID {
			break
		}
		if canonicalKind(s.Uses) == kindReplace {
			replaced = true
		}
	}
	if replaced && !strings.Contains(stepID, "contain") {
		return "live"
	}
	return "dead"
}

func (b *builder) alert() {
	r := b.r
	for _, in := range b.ofKind(kindResolve) {
		if in.status == journal.StatusSkipped {
			continue
		}
		ev := in.evidence
		a := &AlertOutcome{Alert: str(ev, "alert"), State: str(ev, "state"), Resolution: str(ev, "resolution"),
			AlreadyResolved: boolean(ev, "already_resolved"), URL: str(ev, "html_url"), At: in.finished}
		if a.Alert == "" {
			a.Alert = r.Detection.Alert
		}
		if in.status != journal.StatusOK {
			a.Error = in.errMsg
			if in.status == "unfinished" {
				a.Error = "the run stopped while resolving the alert"
			}
		}
		if a.URL != "" {
			r.Detection.AlertURL = a.URL
		}
		r.Alert = a
	}
}

// metrics computes time to recover and the elapsed time.
func (b *builder) metrics() {
	r := b.r
	r.Metrics.Elapsed = spanPtr(r.Incident.Started, b.last)
	if r.Replacement == nil || !r.Replacement.Verified {
		return
	}
	var at time.Time
	for _, t := range r.Targets {
		if t.Status != "updated" && t.Status != "created" {
			return
		}
		if t.At.After(at) {
			at = *t.At
		}
	}
	for _, v := range r.Verifications {
		if v.Expect == "live" && v.Passed && v.At.After(at) {
			at = *v.At
		}
	}
	r.Metrics.RecoveredAt = &at
	r.Metrics.TimeToRecover = spanPtr(r.Incident.Started, at)
	r.Summary.Recovered = true
}

// remaining lists what is left to do.
func (b *builder) remaining() {
	r := b.r
	next := b.resumeHint()
	var out []string
	if r.Incident.Kind != "generic" && !r.Summary.Contained {
		k := "the key"
		if r.Key != nil && r.Key.ID != "" {
			k = "key " + lit(r.Key.ID)
		}
		out = append(out, fmt.Sprintf("Revoke %s now: it may still work. Run %s, or revoke it %s.", k, next, r.advice().Console))
	}
	if r.Key != nil && r.Key.Deactivated && !r.Key.Retired {
		out = append(out, fmt.Sprintf("Delete the leaked key %s, which is deactivated but not deleted; run %s.", lit(r.Key.ID), next))
	}
	var pending []string
	for _, t := range r.Targets {
		switch t.Status {
		case "failed":
			out = append(out, fmt.Sprintf("Deploy the replacement to %s, which failed; fix the cause and run %s.", lit(t.ID), next))
		case "pending":
			pending = append(pending, t.ID)
		}
	}
	switch {
	case len(pending) > 1 && r.Replacement == nil:
		// Nothing was deployed anywhere yet: one line, not one per target.
		out = append(out, fmt.Sprintf("Deploy a replacement to the %d targets (the Targets section lists them); run %s.", len(pending), next))
	default:
		for _, id := range pending {
			out = append(out, fmt.Sprintf("Deploy the replacement to %s, which was not reached; run %s.", lit(id), next))
		}
	}
	if r.Replacement != nil && !r.Replacement.Verified {
		out = append(out, fmt.Sprintf("Verify that the replacement %s works; run %s.", lit(r.Replacement.KeyID), next))
	}
	if r.Replacement == nil && r.Incident.Kind != "generic" && b.declares(kindReplace) {
		out = append(out, fmt.Sprintf("Create the replacement key; run %s.", next))
	}
	for _, in := range b.ofKind(kindDispatch) {
		if in.status == journal.StatusFailed || in.status == "retrying" {
			out = append(out, fmt.Sprintf("Re-run the deployment %s by hand: dispatching it failed.", lit(b.targetOf(in))))
		}
	}
	if r.Alert != nil && r.Alert.Error != "" {
		out = append(out, fmt.Sprintf("Resolve alert %s as revoked on GitHub.", lit(r.Alert.Alert)))
	} else if r.Alert == nil && r.Detection.Alert != "" && b.declares(kindResolve) {
		out = append(out, fmt.Sprintf("Resolve alert %s as revoked (the run did not reach that step).", lit(r.Detection.Alert)))
	}
	switch r.Incident.Status {
	case "interrupted", "running":
		out = append(out, fmt.Sprintf("The run was interrupted: %s continues where it stopped.", next))
	case "planned":
		out = append(out, "This was a dry run: nothing was changed.")
	case "declined":
		out = append(out, fmt.Sprintf("The responder declined the plan: nothing after the decline was changed. %s shows it again; `respond incidents close %s --reason TEXT` ends the incident.", firstUpper(next), r.Incident.ID))
	case StatusAbandoned:
		out = append(out, "The incident was closed as abandoned: respond will not resume it. What is listed here was not done by it.")
	}
	r.Remaining = append(r.Remaining, out...)
}

// timeline builds the ordered events.
func (b *builder) timeline() {
	r := b.r
	start := r.Incident.Started
	var ev []Event
	add := func(t time.Time, kind, title, detail string) {
		ev = append(ev, Event{At: t, Offset: SpanOf(start, t), Kind: kind, Title: title, Detail: detail})
	}
	if r.Exposure != nil && r.Exposure.StartKnown {
		add(r.Exposure.Start, "milestone", "Key exposed", "first seen by alert "+lit(r.Detection.Alert)+where(lit(r.Detection.LeakSource)))
	}
	add(start, "milestone", "Incident started", fmt.Sprintf("playbook %s, by %s", lit(r.Incident.Playbook), lit(orUnknown(r.Detection.Responder))))
	for _, rec := range b.recs {
		if rec.Type == journal.RunStarted && boolean(rec.Data, "resume") {
			add(rec.Time, "run", "Resumed", "by "+lit(orUnknown(str(rec.Data, "user"))))
		}
		if rec.Type == journal.RunInterrupted {
			add(rec.Time, "run", "Interrupted", rec.Message)
		}
	}
	for _, a := range r.Approvals {
		verdict := "Approved"
		if !a.Approved {
			verdict = "Declined"
		}
		add(a.At, "approval", verdict+": "+a.Question, fmt.Sprintf("by %s (%s)", lit(orUnknown(a.By)), a.How))
	}
	for _, n := range r.Notes {
		add(n.At, "note", "Note", n.Message)
	}
	foreachDone := map[string]bool{}
	for _, in := range b.order {
		if in.finished == nil || in.open {
			continue
		}
		kind := b.kinds[in.step]
		title := b.milestone(in, kind)
		switch {
		case in.status == journal.StatusFailed:
			add(*in.finished, "failure", "Failed: "+b.label(in), in.errMsg)
		case in.status == journal.StatusOK && title != "":
			add(*in.finished, "milestone", title, in.summary)
		case in.status == journal.StatusOK && in.item != "":
			if !foreachDone[in.step] {
				foreachDone[in.step] = true
				last := b.lastOf(in.step)
				ok, total := b.countOK(in.step)
				add(*last, "step", fmt.Sprintf("%s: %d of %d done", b.label(&instance{step: in.step}), ok, total), "")
			}
		case in.status == journal.StatusOK:
			add(*in.finished, "step", b.label(in), in.summary)
		}
	}
	if f := r.Incident.Finished; f != nil {
		add(*f, "milestone", "Incident "+r.Incident.Status, r.Incident.Message)
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	r.Timeline = ev
}

// milestone is the timeline title of a step that marks a phase, or "".
func (b *builder) milestone(in *instance, kind string) string {
	switch kind {
	case kindRevoke:
		if boolean(in.evidence, "already_disabled") {
			return "Key found already disabled by the provider"
		}
		if boolean(in.evidence, "reversible") {
			return "Key deactivated"
		}
		return "Key revoked"
	case kindRetire:
		if boolean(in.evidence, "deleted") {
			return "Deactivated key deleted"
		}
		return ""
	case kindVerify:
		if str(in.evidence, "expect") == "live" {
			return "Replacement verified"
		}
		return "Revocation verified"
	case kindReplace:
		return "Replacement created"
	case kindResolve:
		return "Alert resolved"
	case kindIdentify:
		return "Key identified"
	}
	return ""
}

func (b *builder) label(in *instance) string {
	l := in.step
	if n := b.names[in.step]; n != "" {
		l = n
	}
	if in.item != "" {
		l += " (" + in.item + ")"
	}
	return l
}

func (b *builder) lastOf(step string) *time.Time {
	var last *time.Time
	for _, in := range b.order {
		if in.step == step && in.finished != nil && (last == nil || in.finished.After(*last)) {
			last = in.finished
		}
	}
	return last
}

func (b *builder) countOK(step string) (ok, total int) {
	for _, in := range b.order {
		if in.step == step {
			total++
			if in.status == journal.StatusOK {
				ok++
			}
		}
	}
	return ok, total
}

func where(s string) string {
	if s == "" {
		return ""
	}
	return " at " + s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Getters over journal maps (JSON numbers are float64).

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func boolean(m map[string]any, k string) bool {
	v, _ := m[k].(bool)
	return v
}

func integer(m map[string]any, k string) int {
	switch v := m[k].(type) {
	case float64:
		return int(v)
	case int:
		return v
	case int64:
		return int(v)
	}
	return 0
}

func strList(m map[string]any, k string) []string {
	var out []string
	switch v := m[k].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, v...)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// skipWords rewords the reason a journal of an earlier version gave for a
// skipped step ("when ${{ … }} is false") the way respond says it now, in
// words: no template text reaches a person.
func skipWords(msg string) string {
	cond, ok := strings.CutPrefix(msg, "when ")
	if !ok {
		return msg
	}
	cond, ok = strings.CutSuffix(cond, " is false")
	if !ok {
		return msg
	}
	t, err := playbook.ParseExpression(cond)
	if err != nil {
		return msg
	}
	return "it runs only when " + t.Words()
}
