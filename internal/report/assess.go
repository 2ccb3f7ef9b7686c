package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/journal"
)

// Abnormal usage rule (documented in docs/reports.md): the key's hourly
// request rate during the exposure (requests from the exposure's start to
// the revocation, or to the end of the usage read, divided by those hours,
// at least 1) is compared with its rate in the baseline week before the
// exposure. Usage is abnormal when
//   - the key made requests during the exposure but none in the baseline, or
//   - the exposure rate is at least AbnormalFactor times the baseline rate
//     and at least AbnormalMinRequests requests were made during it, or
//   - any request was made after the revocation.
const (
	AbnormalFactor      = 3.0
	AbnormalMinRequests = 10
)

// usage fills the usage section from the openai.key_usage evidence.
func (b *builder) usage() {
	ins := b.ofKind(kindUsage)
	if len(ins) == 0 {
		switch {
		case b.r.Incident.Kind == "generic":
		case b.declares(kindUsage):
			b.r.Usage = &Usage{Hours: []UsageHour{}, RevokedAt: b.revokedAt, Error: "the run did not reach the usage step"}
		default:
			b.r.Usage = &Usage{Hours: []UsageHour{}, RevokedAt: b.revokedAt, Error: "the playbook has no key.usage step"}
		}
		return
	}
	in := ins[len(ins)-1]
	u := &Usage{Hours: []UsageHour{}, RevokedAt: b.revokedAt}
	b.r.Usage = u
	switch in.status {
	case journal.StatusOK:
	case journal.StatusSkipped:
		u.Error = "the usage step was skipped"
		return
	case journal.StatusFailed, "retrying":
		u.Error = in.errMsg
		return
	default:
		u.Error = "the run stopped before the usage was read"
		return
	}
	var ev evidence.Usage
	evidence.Decode(in.evidence, &ev)
	provider := ev.Provider
	if provider == "" && b.r.Key != nil {
		provider = b.r.Key.Provider
	}
	u.Available = true
	u.WindowStart, u.WindowEnd, u.Exposed = ev.WindowStart, ev.WindowEnd, ev.ExposedSince
	u.Source, u.Counted, u.LastUsed = ev.Source, !ev.NotCounted, ev.LastUsed
	if u.Source == "" {
		u.Source = evidence.LegacyUsageSource
	}
	u.Tokens = countsTokens(provider)
	u.SpendControlsApplicable = ev.SpendControls != "" || ev.SpendControlsError != "" || b.r.advice().SpendControls
	u.SpendControlsKnown = ev.SpendControls == "read"
	u.SpendControlsError = ev.SpendControlsError
	u.HasSpendLimit = ev.HasSpendLimit
	u.SpendLimit = ev.SpendLimitText
	u.SpendAlerts = ev.SpendAlerts
	if !u.Counted {
		u.Assessment = fmt.Sprintf("respond could not count the key's requests (%s); only its last use is known.", strings.TrimSuffix(u.Source, "."))
		switch lu, err := time.Parse(time.RFC3339, u.LastUsed); {
		case u.LastUsed == "" && ev.LastUseUnknown:
			// Nothing is known: neither count nor last use (Google).
			u.Assessment = fmt.Sprintf("respond could not count the key's requests (%s), and the provider does not report a key's last use either: review its logs for the window.", strings.TrimSuffix(u.Source, "."))
		case u.LastUsed == "":
			u.Assessment += " The provider has no record of the key being used."
		case b.r.Exposure == nil || !b.r.Exposure.StartKnown:
			u.Assessment += fmt.Sprintf(" The key was last used at %s; when it leaked is not known (no alert), so whose use that was cannot be told from here: review the provider's logs.", u.LastUsed)
		case err == nil && b.r.Exposure != nil && !lu.Before(b.r.Exposure.Start):
			u.Assessment += fmt.Sprintf(" The key was last used at %s, during the exposure: review the provider's logs for the window to tell whose use it was.", u.LastUsed)
		default:
			u.Assessment += fmt.Sprintf(" The key was last used at %s, before the exposure.", u.LastUsed)
		}
		return
	}
	for _, bk := range ev.Buckets {
		if bk.InputTokens != 0 || bk.OutputTokens != 0 {
			u.Tokens = true
		}
	}

	ws, _ := time.Parse(time.RFC3339, u.WindowStart)
	we, _ := time.Parse(time.RFC3339, u.WindowEnd)
	exp, _ := time.Parse(time.RFC3339, u.Exposed)
	// The exposure as the report knows it may start earlier than what the
	// step was given; the report's own window wins.
	if b.r.Exposure != nil && b.r.Exposure.StartKnown {
		exp = b.r.Exposure.Start
	}
	expHour := exp.Truncate(time.Hour)
	for _, bk := range ev.Buckets {
		h := UsageHour{Start: bk.Start, Requests: bk.Requests, InputTokens: bk.InputTokens, OutputTokens: bk.OutputTokens}
		t, err := time.Parse(time.RFC3339, h.Start)
		if err != nil {
			continue
		}
		tot := &u.Baseline
		h.Phase = "baseline"
		switch {
		// The hour in which the key was revoked counts as exposure: the
		// API's buckets are hourly, so uses in it may precede revocation.
		case b.revokedAt != nil && !t.Before(b.revokedAt.Truncate(time.Hour).Add(time.Hour)):
			h.Phase, tot = "after-revocation", &u.After
		case !t.Before(expHour):
			h.Phase, tot = "exposure", &u.Exposure
		}
		tot.Requests += h.Requests
		tot.InputTokens += h.InputTokens
		tot.OutputTokens += h.OutputTokens
		tot.ActiveHours++
		u.Hours = append(u.Hours, h)
	}
	expEnd := we
	if b.revokedAt != nil && b.revokedAt.Before(we) {
		expEnd = b.revokedAt.Truncate(time.Hour).Add(time.Hour)
	}
	if !ws.IsZero() && !exp.IsZero() {
		u.Baseline.Hours = hoursBetween(ws, expHour)
		u.Exposure.Hours = max(hoursBetween(expHour, expEnd), 1)
		if b.revokedAt != nil && expEnd.Before(we) {
			u.After.Hours = hoursBetween(expEnd, we)
		}
	}
	for _, t := range []*UsageTotals{&u.Baseline, &u.Exposure, &u.After} {
		if t.Hours > 0 {
			t.PerHour = float64(t.Requests) / t.Hours
		}
	}
	u.Abnormal, u.Assessment = assessUsage(u)
}

func hoursBetween(a, b time.Time) float64 {
	if !b.After(a) {
		return 0
	}
	return b.Sub(a).Hours()
}

// assessUsage applies the abnormal-usage rule and says it in a sentence.
func assessUsage(u *Usage) (bool, string) {
	base, exp := u.Baseline, u.Exposure
	var s string
	abnormal := false
	switch {
	case exp.Requests == 0:
		s = "No requests were made with the key during the exposure: nothing suggests anyone used it."
	case base.Requests == 0:
		abnormal = true
		s = fmt.Sprintf("The key made %d requests during the exposure but none in the %s before it: treat them as use by someone else.",
			exp.Requests, FormatDuration(time.Duration(base.Hours*float64(time.Hour))))
	default:
		ratio := exp.PerHour / base.PerHour
		if ratio >= AbnormalFactor && exp.Requests >= AbnormalMinRequests {
			abnormal = true
			s = fmt.Sprintf("Abnormal: the key made %.1f requests an hour during the exposure, %.1f times its rate in the week before (%.1f an hour); treat the difference as use by someone else.",
				exp.PerHour, ratio, base.PerHour)
		} else {
			s = fmt.Sprintf("Usage during the exposure (%.1f requests an hour) is in line with the key's rate in the week before (%.1f an hour): nothing suggests use by someone else, though it cannot be ruled out.",
				exp.PerHour, base.PerHour)
		}
	}
	if u.After.Requests > 0 {
		abnormal = true
		s += fmt.Sprintf(" %d requests were made after the revocation: check that the revoked key is really dead and which key made them.", u.After.Requests)
	}
	return abnormal, s
}

// summary writes the headline, severity and outcome.
func (b *builder) summary() {
	r := b.r
	s := &r.Summary
	keyName := "key (not identified)"
	if r.Key != nil {
		keyName = "key " + r.Key.ID
		if r.Key.Name != "" {
			keyName = fmt.Sprintf("key %q (%s)", r.Key.Name, r.Key.ID)
		}
		if r.Key.Scope != "" {
			keyName += fmt.Sprintf(" in %s %s", orDefault(r.Key.ScopeKind, "project"), r.Key.Scope)
		}
	}
	title := r.title()
	switch r.Incident.Kind {
	case "leaked-key":
		s.Headline = "Leaked " + title + " " + keyName
		if r.Detection.Alert != "" {
			s.Headline += ", found by GitHub secret scanning (" + r.Detection.Alert + ")"
		}
	case "rotation":
		s.Headline = "Planned rotation of " + title + " " + keyName
	default:
		s.Headline = "Run of playbook " + r.Incident.Playbook
	}

	// Severity (docs/reports.md): critical when the key may still work or
	// was used abnormally while exposed; high when it leaked publicly (a
	// secret-scanning alert: it was in a repository); medium for other
	// leaks; low for planned rotations; not assessed for other playbooks.
	abnormal := r.Usage != nil && r.Usage.Available && r.Usage.Abnormal
	switch {
	case r.Incident.Kind == "generic":
		s.Severity, s.SeverityReason = "", "not assessed: the playbook does not handle a leaked key"
	case r.Incident.Kind == "leaked-key" && !s.Contained:
		s.Severity, s.SeverityReason = "critical", "the key was not revoked: it may still work"
	case abnormal:
		s.Severity, s.SeverityReason = "critical", "the key's usage while exposed was abnormal, see Usage"
	case r.Incident.Kind == "rotation":
		s.Severity, s.SeverityReason = "low", "a planned rotation, not a leak"
	case r.Detection.Source == "github-secret-scanning":
		s.Severity, s.SeverityReason = "high", "the key was exposed in a repository, per GitHub secret scanning"
	case r.Usage != nil && r.Usage.Available && !r.Usage.Counted:
		s.Severity, s.SeverityReason = "medium", "a leaked key, contained; its use during the exposure could not be counted"
	default:
		s.Severity, s.SeverityReason = "medium", "a leaked key, contained, with no sign of abnormal use"
	}

	failed := 0
	for _, t := range r.Targets {
		if t.Status == "failed" || t.Status == "pending" {
			failed++
		}
	}
	var o []string
	switch {
	case r.Incident.Kind == "generic":
		o = append(o, fmt.Sprintf("The run %s.", statusWords(r.Incident.Status)))
	case s.Contained && r.Key != nil && r.Key.AlreadyDisabled:
		o = append(o, fmt.Sprintf("Contained: the provider had already disabled the key; respond confirmed it at %s, %s.", clock(*r.Metrics.ContainedAt), fmtOffset(SpanOf(r.Incident.Started, *r.Metrics.ContainedAt))))
	case s.Contained:
		how := "revoked"
		if r.Key != nil && r.Key.Deactivated {
			how = "deactivated"
		}
		o = append(o, fmt.Sprintf("Contained: the key was %s at %s, %s, and proven dead at %s.", how, clock(*b.revokedAt), fmtOffset(SpanOf(r.Incident.Started, *b.revokedAt)), fmtOffset(SpanOf(r.Incident.Started, *r.Metrics.ContainedAt))))
	case r.Incident.Status == "declined":
		o = append(o, "Declined: the responder did not approve the plan, so the key was not revoked and may still work.")
	default:
		o = append(o, "Not contained: the key was not revoked.")
	}
	if c := r.Incident.Closed; c != nil {
		o = append([]string{fmt.Sprintf("Abandoned: %s closed the incident at %s: %s.", lit(orDefault(c.By, "a responder")), clock(c.At), lit(strings.TrimSuffix(c.Reason, ".")))}, o...)
	}
	if r.Invariant != nil {
		s.Recovered = r.Invariant.Holds()
	}
	switch {
	case r.Incident.Kind == "generic":
	case s.Recovered:
		o = append(o, fmt.Sprintf("Recovered: all %d targets hold the verified replacement, and the inventory names it.", len(r.Targets)))
	case r.Invariant != nil && s.Contained:
		var why []string
		for _, c := range r.Invariant.Failing() {
			why = append(why, c.Name)
		}
		o = append(o, "Not recovered: "+strings.Join(why, ", ")+" (see Outcome).")
	case r.Replacement != nil && failed > 0:
		o = append(o, fmt.Sprintf("Not fully recovered: %d of %d targets do not hold the replacement.", failed, len(r.Targets)))
	case r.Replacement != nil:
		o = append(o, "Not fully recovered: the replacement was not verified.")
	case b.declares(kindReplace):
		o = append(o, "Not recovered: no replacement was created.")
	}
	switch st := r.Incident.Status; st {
	case "interrupted", "running":
		o = append(o, fmt.Sprintf("The run was interrupted; `respond resume %s` continues.", r.Incident.ID))
	case "declined":
		if s.Contained {
			o = append(o, "The responder declined the plan of the last run.")
		}
		o = append(o, fmt.Sprintf("`respond resume %s` shows the plan again.", r.Incident.ID))
	}
	s.Outcome = strings.Join(o, " ")
}

func statusWords(s string) string {
	switch s {
	case "completed":
		return "completed"
	case "partial":
		return "completed with failed steps"
	case "failed":
		return "failed"
	case "interrupted", "running":
		return "was interrupted"
	case "declined", "cancelled":
		return "was declined by the responder"
	case "abandoned":
		return "was closed as abandoned"
	case "refused":
		return "was refused: another responder was on the key"
	case "planned":
		return "was a dry run"
	}
	return "ended with status " + s
}

// followUps tailors the key-hygiene checklist to the incident.
func (b *builder) followUps() {
	r := b.r
	if r.Incident.Kind == "generic" {
		return
	}
	var f []FollowUp
	add := func(id, prio, title, detail string) {
		f = append(f, FollowUp{ID: id, Priority: prio, Title: title, Detail: detail})
	}
	for _, t := range r.Targets {
		// Only a contained key breaks what reads a target that lacks the
		// replacement; before the revoke, resuming does it all.
		if r.Summary.Contained && (t.Status == "failed" || t.Status == "pending") {
			add("update-target", "high", "Update "+lit(t.ID),
				fmt.Sprintf("It does not hold the replacement, so whatever reads it fails with the revoked key. Fix the cause (%s) and run %s.",
					orDefault(t.Error, "the run did not reach it"), b.resumeHint()))
		}
	}
	if r.Usage != nil && r.Usage.Available && r.Usage.Abnormal {
		add("review-usage", "high", "Review the usage and costs of the exposure",
			"The key was used abnormally while exposed (see Usage). "+r.advice().Review)
	}
	if r.Incident.Kind == "leaked-key" {
		if r.Detection.LeakSource != "" {
			add("keys-out-of-code", "high", "Remove the key from the code and its history",
				fmt.Sprintf("It leaked at %s. Delete it from the file and the repository history, load keys from environment variables or a secret store instead, and turn on GitHub push protection so the next one is blocked before it lands.", lit(r.Detection.LeakSource)))
		} else {
			add("keys-out-of-code", "medium", "Find how the key leaked and keep keys out of code",
				"Keys belong in environment variables or a secret store, never in code, tickets or chat. Turn on GitHub secret scanning and push protection for the repositories that use "+r.title()+".")
		}
	}
	if rp := r.Replacement; rp != nil {
		// What the replacement may do is its provider's to say: how to
		// narrow it (key permissions, an IAM policy, API restrictions).
		if hint := orDefault(rp.PermissionsHint, r.narrowAdvice()); hint != "" {
			add("least-privilege", "medium", "Restrict the replacement's permissions",
				fmt.Sprintf("Narrow the replacement %s, held by %s, to what the application uses: %s. Keep one key per application.",
					lit(rp.KeyID), lit(rp.Holder()), hint))
		}
	}
	age := ""
	if r.Key != nil && r.Key.Created != "" {
		if c, err := time.Parse(time.RFC3339, r.Key.Created); err == nil && r.Incident.Started.After(c) {
			age = fmt.Sprintf(" The key was %s old.", FormatDuration(r.Incident.Started.Sub(c)))
		}
	}
	add("rotation-schedule", "medium", "Rotate keys on a schedule",
		"Run `respond rotate` regularly (for example every 90 days) so that any copy of a key stops working on its own, and so the rotation is practised before the next leak."+age)
	switch {
	case !r.advice().SpendControls:
	case r.Usage == nil || !r.Usage.Available:
		add("spend-controls", "medium", "Set a spend limit and spend alerts on the project",
			"respond could not read the project's spend controls during this incident. Check that the project has a hard spend limit and spend alerts, so abuse of a leaked key is capped and noticed.")
	case !r.Usage.SpendControlsKnown:
		add("spend-controls", "medium", "Check the project's spend limit and spend alerts",
			"respond could not read them ("+orDefault(r.Usage.SpendControlsError, "unknown error")+"). A hard spend limit caps what a leaked key can cost; spend alerts make abuse visible.")
	case !r.Usage.HasSpendLimit && r.Usage.SpendAlerts == 0:
		add("spend-controls", "high", "Set a spend limit and spend alerts on "+projectOf(r),
			"The project has neither a hard spend limit nor a spend alert, so nothing capped or flagged what the leaked key could spend.")
	case !r.Usage.HasSpendLimit:
		add("spend-controls", "medium", "Set a hard spend limit on "+projectOf(r),
			fmt.Sprintf("The project has %d spend alert(s) but no hard limit, so a leaked key's spending is noticed but not capped.", r.Usage.SpendAlerts))
	case r.Usage.SpendAlerts == 0:
		add("spend-controls", "low", "Add spend alerts on "+projectOf(r),
			"The project has a hard spend limit ("+r.Usage.SpendLimit+") but no spend alert, so abuse is capped but nobody is told before the cap is hit.")
	}
	// What the plan suggested about the targets as a whole (an
	// organization secret instead of many repository copies), with its
	// figures.
	for _, n := range b.planFollowUps() {
		add(n.id, "low", n.title, n.text)
	}
	if a := r.advice(); a.AllowList != "" {
		add("ip-allowlist", "low", orDefault(a.AllowListTitle, "Allow-list the IP addresses that may use the "+orDefault(scopeKind(r), "project")+"'s keys"), a.AllowList)
	}
	if r.Incident.Kind != "generic" && len(r.Targets) == 0 && r.Replacement != nil {
		add("inventory", "medium", "List where the key is deployed in respond.yaml",
			"No deployment target was known for this key, so the replacement was not deployed anywhere. Describe its targets in the inventory so the next response deploys it automatically.")
	}
	r.FollowUps = f
}

// planFollowUp is a note of the plan that asks to become a follow-up.
type planFollowUp struct{ id, title, text string }

// planFollowUps returns the notes of the incident's plans that carry a
// follow-up title (journaled as data.notes of plan.recorded), once each:
// the first plan's, which covered every target, come first.
func (b *builder) planFollowUps() []planFollowUp {
	var out []planFollowUp
	seen := map[string]bool{}
	for _, rec := range b.recs {
		if rec.Type != journal.PlanRecorded {
			continue
		}
		notes, _ := rec.Data["notes"].([]any)
		for _, raw := range notes {
			n, _ := raw.(map[string]any)
			id, _ := n["id"].(string)
			title, _ := n["follow_up"].(string)
			text, _ := n["text"].(string)
			if title == "" || text == "" || seen[id+"\x00"+title] {
				continue
			}
			seen[id+"\x00"+title] = true
			out = append(out, planFollowUp{id: orDefault(id, "plan-note"), title: title, text: text})
		}
	}
	return out
}

func scopeKind(r *Report) string {
	if r.Key != nil {
		return r.Key.ScopeKind
	}
	return ""
}

func projectOf(r *Report) string {
	if r.Key != nil && r.Key.Project != "" {
		return "project " + r.Key.Project
	}
	return "the project"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
