// Package report turns an incident's journal into its post-incident
// report: a model built only from what respond did and observed (the
// journal and the evidence the providers returned), rendered as Markdown,
// self-contained HTML or JSON from the templates in templates/.
//
// Every time in the report is a journal timestamp or a time a provider
// reported, unchanged; every duration is computed from two of those times.
// Nothing is typed in by hand, so a report regenerated later is identical.
//
// The model is keyed on step kinds (`uses:`), read from the copy of the
// playbook kept in the incident directory, so custom playbooks that use the
// openai.* and deploy kinds get a full report too; generic playbooks get the
// timeline, actions, approvals and notes.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
)

// SchemaVersion is the version of the JSON model (report.schema.json).
// It changes only when a field changes meaning or disappears.
const SchemaVersion = 1

// Report is a post-incident report. Its JSON form is documented in
// docs/reports.md and templates/report.schema.json.
type Report struct {
	SchemaVersion int            `json:"schema_version"`
	Incident      Incident       `json:"incident"`
	Summary       Summary        `json:"summary"`
	Invariant     *Invariant     `json:"invariant,omitempty"`
	Key           *Key           `json:"key,omitempty"`
	Detection     Detection      `json:"detection"`
	Exposure      *Exposure      `json:"exposure,omitempty"`
	Metrics       Metrics        `json:"metrics"`
	Replacement   *Replacement   `json:"replacement,omitempty"`
	Targets       []Target       `json:"targets"`
	Actions       []Action       `json:"actions"`
	Verifications []Verification `json:"verifications"`
	Alert         *AlertOutcome  `json:"alert,omitempty"`
	Usage         *Usage         `json:"usage,omitempty"`
	Responders    []Responder    `json:"responders"`
	Approvals     []Approval     `json:"approvals"`
	Notes         []Note         `json:"notes"`
	Timeline      []Event        `json:"timeline"`
	Failures      []Failure      `json:"failures"`
	Remaining     []string       `json:"remaining"`
	FollowUps     []FollowUp     `json:"follow_ups"`

	// provider is the run's provider input, when the key was never
	// identified (so no evidence says whose it is).
	provider string
}

// Incident identifies the run.
type Incident struct {
	ID       string     `json:"id"`
	Playbook string     `json:"playbook"`
	Digest   string     `json:"digest,omitempty"`
	Strategy string     `json:"strategy,omitempty"`
	Kind     string     `json:"kind"`   // leaked-key, rotation or generic
	Status   string     `json:"status"` // completed, partial, failed, interrupted, declined, refused, abandoned, planned, running
	DryRun   bool       `json:"dry_run,omitempty"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	// Message is the journal's last word on the run (why it stopped).
	Message string `json:"message,omitempty"`
	// Drill is set when the incident was a training drill's, on a
	// simulator: nothing real was touched.
	Drill *Drill `json:"drill,omitempty"`
	// Closed is set when a responder closed the incident as abandoned
	// (`respond incidents close`): who, when and why.
	Closed *Closure `json:"closed,omitempty"`
}

// Closure is how an abandoned incident was closed.
type Closure struct {
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason"`
}

// Drill identifies the training drill an incident belonged to.
type Drill struct {
	ID       string `json:"id,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	Title    string `json:"title,omitempty"`
	Trainee  string `json:"trainee,omitempty"`
}

// Summary is the report at a glance.
type Summary struct {
	Headline       string `json:"headline"`
	Severity       string `json:"severity"` // critical, high, medium, low, or "" (not assessed)
	SeverityReason string `json:"severity_reason"`
	Outcome        string `json:"outcome"`
	Contained      bool   `json:"contained"`
	Recovered      bool   `json:"recovered"`
}

// Key is the leaked (or rotated) key, as the provider described it.
type Key struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Provider issued the key ("openai", "aws"); ProviderTitle names it
	// for people.
	Provider      string `json:"provider,omitempty"`
	ProviderTitle string `json:"provider_title,omitempty"`
	// Scope is where the key lives at its provider (an OpenAI project, an
	// AWS account); ScopeKind says which ("project", "account").
	Scope     string `json:"scope,omitempty"`
	ScopeKind string `json:"scope_kind,omitempty"`
	ScopeName string `json:"scope_name,omitempty"`
	// Project and ProjectName repeat an OpenAI key's scope (schema 1).
	Project     string `json:"project,omitempty"`
	ProjectName string `json:"project_name,omitempty"`
	Redacted    string `json:"redacted,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	OwnerType   string `json:"owner_type,omitempty"`
	OwnerNoun   string `json:"owner_noun,omitempty"`
	OwnerID     string `json:"owner_id,omitempty"`
	OwnerName   string `json:"owner_name,omitempty"`
	OwnerEmail  string `json:"owner_email,omitempty"`
	// Created and LastUsed are as the provider reported them (RFC 3339).
	Created  string `json:"created,omitempty"`
	LastUsed string `json:"last_used,omitempty"`
	// LastUseUnknown: the provider does not report a key's last use.
	LastUseUnknown bool `json:"last_use_unknown,omitempty"`
	// AlreadyDisabled: the provider had disabled the key before respond
	// revoked it.
	AlreadyDisabled bool `json:"already_disabled"`
	// Deactivated: respond contained the key by deactivating it (AWS), to
	// be deleted once recovery is verified; Retired: it was then deleted.
	Deactivated bool `json:"deactivated,omitempty"`
	Retired     bool `json:"retired,omitempty"`
	// Credential is the inventory credential that held the key.
	Credential string `json:"credential,omitempty"`
	// FromInventory: the provider no longer knew the key (it had disabled
	// it), so its ID and scope are the ones the credential names.
	FromInventory bool `json:"from_inventory,omitempty"`

	// advice is the provider's advice, from key.identify's evidence.
	advice *evidence.Advice
}

// Owner describes the key's owner in words, as its provider names the
// kind of owner (Noun), else from its type ("service_account": service
// account).
func (k *Key) Owner() string {
	noun := k.OwnerNoun
	if noun == "" {
		noun = ownerNoun(k.OwnerType)
	}
	who := orDefault(k.OwnerName, k.OwnerID)
	switch {
	case noun == "" && who == "":
		return "unknown"
	case noun == "":
		noun = "owner"
	case who == "":
		return noun
	}
	detail := k.OwnerEmail
	if detail == "" && k.OwnerID != "" && k.OwnerID != who {
		detail = k.OwnerID
	}
	if detail != "" && detail != who {
		return fmt.Sprintf("%s %s (%s)", noun, who, detail)
	}
	return noun + " " + who
}

// ownerNoun words an owner type: "iam_user" is an IAM user, others read
// as written with spaces.
func ownerNoun(typ string) string {
	if typ == "iam_user" {
		return "IAM user"
	}
	return strings.ReplaceAll(typ, "_", " ")
}

// Holder describes who holds the replacement, in words.
func (r *Replacement) Holder() string {
	who := orDefault(r.PrincipalName, r.PrincipalID)
	switch {
	case r.PrincipalType == "" && who == "":
		return "unknown"
	case r.PrincipalType == "":
		return who
	case r.PrincipalType == "service_account" && r.PrincipalName != "" && r.PrincipalID != "" && r.PrincipalName != r.PrincipalID:
		return fmt.Sprintf("service account %s (%s)", r.PrincipalName, r.PrincipalID)
	}
	return ownerNoun(r.PrincipalType) + " " + who
}

// ScopeLabel names the key's scope kind for a table row ("Project").
func (k *Key) ScopeLabel() string {
	if k.ScopeKind == "" {
		return "Project"
	}
	return strings.ToUpper(k.ScopeKind[:1]) + k.ScopeKind[1:]
}

// Detection says how the leak came to respond.
type Detection struct {
	// Source is "github-secret-scanning" or "responder".
	Source string `json:"source"`
	// Alert is OWNER/REPO#N for a secret-scanning alert.
	Alert string `json:"alert,omitempty"`
	// AlertURL is the alert's web page, when the run resolved it.
	AlertURL string `json:"alert_url,omitempty"`
	// ExposedSince is when the alert first saw the key (RFC 3339).
	ExposedSince string `json:"exposed_since,omitempty"`
	// LeakSource is where: file and line in a commit.
	LeakSource string `json:"leak_source,omitempty"`
	// Responder is who started the incident.
	Responder string `json:"responder,omitempty"`
}

// Exposure is the window in which the key was exposed and worked.
type Exposure struct {
	Start time.Time `json:"start"`
	// StartKnown is false when nothing said when the leak happened; Start
	// is then the incident's start, so the window is a lower bound.
	StartKnown bool       `json:"start_known"`
	End        *time.Time `json:"end,omitempty"` // the revocation; nil if not revoked
	Duration   *Span      `json:"duration,omitempty"`
	Open       bool       `json:"open"` // not revoked
	Note       string     `json:"note,omitempty"`
}

// Metrics are the incident's durations, computed from journal timestamps.
type Metrics struct {
	// ContainedAt is when the revocation was verified (or, without a
	// verification, when the revocation step finished).
	ContainedAt   *time.Time `json:"contained_at,omitempty"`
	TimeToContain *Span      `json:"time_to_contain,omitempty"`
	// RecoveredAt is when every target held a verified replacement.
	RecoveredAt   *time.Time `json:"recovered_at,omitempty"`
	TimeToRecover *Span      `json:"time_to_recover,omitempty"`
	// Elapsed is from the start to the journal's last record.
	Elapsed *Span `json:"elapsed,omitempty"`
}

// Replacement is the key that replaced the leaked one (never its value).
type Replacement struct {
	KeyID string `json:"key_id"`
	// Principal is who holds it: a new service account (OpenAI), the IAM
	// user of the leaked key (AWS).
	PrincipalType string `json:"principal_type,omitempty"`
	PrincipalID   string `json:"principal_id,omitempty"`
	PrincipalName string `json:"principal_name,omitempty"`
	// ServiceAccountID and ServiceAccountName repeat an OpenAI
	// replacement's principal (schema 1).
	ServiceAccountID   string `json:"service_account_id,omitempty"`
	ServiceAccountName string `json:"service_account_name,omitempty"`
	Redacted           string `json:"redacted,omitempty"`
	Fingerprint        string `json:"fingerprint,omitempty"`
	Created            string `json:"created,omitempty"`
	Verified           bool   `json:"verified"`
	// PermissionsHint says how to narrow the replacement's permissions.
	PermissionsHint string `json:"permissions_hint,omitempty"`
	// Adopted: a person made the replacement and pasted it; respond did
	// not create it.
	Adopted bool `json:"adopted,omitempty"`
}

// Target is one place the key lives, and what happened to it.
type Target struct {
	ID     string `json:"id"`
	Type   string `json:"type,omitempty"`
	Status string `json:"status"` // updated, created, failed, pending
	// HoldsReplacement: the last write put the incident's (last)
	// replacement there, per the fingerprint of the value written.
	HoldsReplacement bool   `json:"holds_replacement"`
	Detail           string `json:"detail,omitempty"`
	// Rollback, when the place keeps versions, says how to make the value
	// before the write current again (a command); never a secret.
	Rollback string `json:"rollback,omitempty"`
	Error    string `json:"error,omitempty"`
	// At is when the write finished (or failed).
	At *time.Time `json:"at,omitempty"`
	// Removed: the inventory no longer names it and no write reached it
	// (Status "removed"): it is out of the final check.
	Removed bool `json:"removed,omitempty"`
	// Unlisted: the inventory no longer names it, and an earlier run
	// wrote it: it holds a key, so it stays in the final check.
	Unlisted bool `json:"unlisted,omitempty"`
}

// Action is one step (or one item of a foreach step) as it ran.
type Action struct {
	Step     string     `json:"step"`
	Name     string     `json:"name,omitempty"`
	Kind     string     `json:"kind,omitempty"` // the step kind (uses)
	Item     string     `json:"item,omitempty"`
	Target   string     `json:"target,omitempty"`
	Status   string     `json:"status"` // ok, failed, skipped, unfinished
	Attempts int        `json:"attempts"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	Duration *Span      `json:"duration,omitempty"`
	Summary  string     `json:"summary,omitempty"`
	Error    string     `json:"error,omitempty"`
}

// Verification is a check of a key (old: dead; replacement: live).
type Verification struct {
	Step       string     `json:"step"`
	Subject    string     `json:"subject"` // "leaked key" or "replacement"
	Expect     string     `json:"expect"`
	Passed     bool       `json:"passed"`
	State      string     `json:"state,omitempty"`
	StatusCode int        `json:"status_code,omitempty"`
	Code       string     `json:"code,omitempty"`
	Method     string     `json:"method,omitempty"`
	Checks     int        `json:"checks,omitempty"`
	At         *time.Time `json:"at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// AlertOutcome is what became of the secret-scanning alert.
type AlertOutcome struct {
	Alert           string     `json:"alert"`
	State           string     `json:"state,omitempty"`
	Resolution      string     `json:"resolution,omitempty"`
	AlreadyResolved bool       `json:"already_resolved"`
	URL             string     `json:"url,omitempty"`
	At              *time.Time `json:"at,omitempty"`
	Error           string     `json:"error,omitempty"`
}

// Responder is a person who ran the incident.
type Responder struct {
	User  string    `json:"user"`
	Hosts []string  `json:"hosts,omitempty"`
	Runs  int       `json:"runs"`
	First time.Time `json:"first"`
}

// Approval is a human decision the run asked for.
type Approval struct {
	At       time.Time `json:"at"`
	Step     string    `json:"step,omitempty"`
	Question string    `json:"question"`
	Approved bool      `json:"approved"`
	By       string    `json:"by,omitempty"`
	How      string    `json:"how,omitempty"`
}

// Note is a timeline entry written by the playbook (the note step).
type Note struct {
	At      time.Time `json:"at"`
	Step    string    `json:"step,omitempty"`
	Message string    `json:"message"`
}

// Event is one line of the timeline.
type Event struct {
	At     time.Time `json:"at"`
	Offset Span      `json:"offset"` // from the incident's start (negative before it)
	Kind   string    `json:"kind"`   // milestone, step, failure, approval, note, run
	Title  string    `json:"title"`
	Detail string    `json:"detail,omitempty"`
}

// Failure is a step that failed, and its error.
type Failure struct {
	At    time.Time `json:"at"`
	Step  string    `json:"step"`
	Item  string    `json:"item,omitempty"`
	Error string    `json:"error"`
}

// FollowUp is a recommended action after the incident.
type FollowUp struct {
	ID       string `json:"id"`       // stable: keys-out-of-code, least-privilege, …
	Priority string `json:"priority"` // high, medium, low
	Title    string `json:"title"`
	Detail   string `json:"detail"`
}

// Span is a computed duration: milliseconds and the same in words.
type Span struct {
	MS   int64  `json:"ms"`
	Text string `json:"text"`
}

// SpanOf is the span from a to b.
func SpanOf(a, b time.Time) Span {
	d := b.Sub(a)
	return Span{MS: d.Milliseconds(), Text: FormatDuration(d)}
}

func spanPtr(a, b time.Time) *Span {
	s := SpanOf(a, b)
	return &s
}

// Duration returns the span as a time.Duration.
func (s Span) Duration() time.Duration { return time.Duration(s.MS) * time.Millisecond }

// FormatDuration writes d for people: "850ms", "3.215s", "2m05s",
// "1h02m", "3d04h"; negative durations get a leading "-".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		ms := d.Milliseconds()
		if ms%1000 == 0 {
			return fmt.Sprintf("%ds", ms/1000)
		}
		return fmt.Sprintf("%d.%03ds", ms/1000, ms%1000)
	case d < time.Hour:
		s := int64(d / time.Second)
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case d < 24*time.Hour:
		m := int64(d / time.Minute)
		return fmt.Sprintf("%dh%02dm", m/60, m%60)
	}
	h := int64(d / time.Hour)
	return fmt.Sprintf("%dd%02dh", h/24, h%24)
}

// Usage is the key's usage around its exposure, from the Usage API.
type Usage struct {
	// Available is false when the usage step failed or did not run; Error
	// then says why.
	Available bool   `json:"available"`
	Error     string `json:"error,omitempty"`
	// Source says where the counts come from (the OpenAI Usage API, AWS
	// CloudTrail). Counted is false when the provider could not count
	// the key's requests: the totals then say nothing, and LastUsed is
	// what is known. Tokens: the source counts tokens.
	Source      string     `json:"source,omitempty"`
	Counted     bool       `json:"counted"`
	Tokens      bool       `json:"tokens"`
	LastUsed    string     `json:"last_used,omitempty"`
	WindowStart string     `json:"window_start,omitempty"`
	WindowEnd   string     `json:"window_end,omitempty"`
	Exposed     string     `json:"exposed_since,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	// Hours are the non-empty hourly buckets the API returned, each
	// labelled baseline, exposure or after-revocation.
	Hours    []UsageHour `json:"hours"`
	Baseline UsageTotals `json:"baseline"`
	Exposure UsageTotals `json:"exposure"`
	After    UsageTotals `json:"after_revocation"`
	// Abnormal follows the rule in docs/reports.md; Assessment says it in
	// a sentence.
	Abnormal   bool   `json:"abnormal"`
	Assessment string `json:"assessment"`
	// Spend controls of the scope, when the provider has them
	// (SpendControlsApplicable).
	SpendControlsApplicable bool   `json:"spend_controls_applicable"`
	SpendControlsKnown      bool   `json:"spend_controls_known"`
	SpendControlsError      string `json:"spend_controls_error,omitempty"`
	HasSpendLimit           bool   `json:"has_spend_limit"`
	SpendLimit              string `json:"spend_limit,omitempty"` // e.g. "100.00 USD per month"
	SpendAlerts             int    `json:"spend_alerts"`
}

// UsageHour is one hourly bucket.
type UsageHour struct {
	Start        string `json:"start"` // as the API reported it (RFC 3339)
	Phase        string `json:"phase"` // baseline, exposure, after-revocation
	Requests     int64  `json:"requests"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
}

// UsageTotals sum a phase.
type UsageTotals struct {
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	ActiveHours  int     `json:"active_hours"` // hours with any use
	Hours        float64 `json:"hours"`        // length of the phase
	PerHour      float64 `json:"requests_per_hour"`
}

// MarshalJSON keeps PerHour and Hours to two decimals, so the JSON report
// is stable across platforms.
func (t UsageTotals) MarshalJSON() ([]byte, error) {
	type plain UsageTotals
	p := plain(t)
	p.PerHour = round2(p.PerHour)
	p.Hours = round2(p.Hours)
	return json.Marshal(p)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
