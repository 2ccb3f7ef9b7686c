// Package evidence defines what steps record about what they did, as
// typed facts: a key identified, revoked, checked, created, used; a target
// written; a workflow run; an alert resolved; the inventory updated. Steps
// of every provider record the same types, and the report reads them,
// whatever the provider: adding a provider adds no case to the report.
//
// In the journal evidence is a JSON object (step.Result.Evidence) with
// the type under Field; Map makes one from a typed value and Decode reads
// it back.
package evidence

import (
	"encoding/json"
)

// Field is the key of an evidence object that holds its type.
const Field = "evidence"

// Types of evidence.
const (
	KeyIdentified     = "key.identified"     // Identified
	KeyRevoked        = "key.revoked"        // Revoked
	KeyChecked        = "key.checked"        // Checked
	KeyCreated        = "key.created"        // Created
	KeyUsage          = "key.usage"          // Usage
	KeyQuiet          = "key.quiet"          // Quiet
	KeyRetired        = "key.retired"        // Retired
	KeyDiscarded      = "key.discarded"      // Discarded
	TargetsFound      = "inventory.targets"  // Targets
	TargetWritten     = "target.written"     // Written
	InventoryRecorded = "inventory.recorded" // Recorded
	WorkflowRun       = "workflow.run"       // Run
	AlertResolved     = "alert.resolved"     // Resolved
	Preflight         = "preflight"          // Checks
	Locked            = "locked"             // Lock
)

// Map turns typed evidence into the object a step records, with its type.
func Map(typ string, v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return map[string]any{Field: typ, "error": err.Error()}
	}
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	m[Field] = typ
	return m
}

// Decode reads evidence recorded as m into v (a pointer to one of the
// types here). Fields it does not know are ignored.
func Decode(m map[string]any, v any) bool {
	if m == nil {
		return false
	}
	b, err := json.Marshal(m)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// TypeOf returns the type an evidence object declares ("" for none).
func TypeOf(m map[string]any) string {
	s, _ := m[Field].(string)
	return s
}

// Owner is who owns a key: a user, a service account, an IAM user.
type Owner struct {
	Type string `json:"owner_type,omitempty"` // user, service_account, iam_user, …
	// Noun is what the provider calls this type of owner, for people
	// ("IAM user"); empty: the type with spaces.
	Noun  string `json:"owner_noun,omitempty"`
	ID    string `json:"owner_id,omitempty"`
	Name  string `json:"owner_name,omitempty"`
	Email string `json:"owner_email,omitempty"`
}

// Identified is a key found at its provider.
type Identified struct {
	Provider string `json:"provider"`
	// Title names the provider for people ("OpenAI", "AWS").
	Title   string `json:"provider_title,omitempty"`
	KeyID   string `json:"key_id"`
	KeyName string `json:"key_name,omitempty"`
	// Scope is where the key lives at its provider: an OpenAI project, an
	// AWS account; ScopeKind says which ("project", "account").
	Scope     string `json:"scope,omitempty"`
	ScopeKind string `json:"scope_kind,omitempty"`
	ScopeName string `json:"scope_name,omitempty"`
	Owner
	Redacted    string `json:"redacted,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Created     string `json:"created,omitempty"`   // RFC 3339
	LastUsed    string `json:"last_used,omitempty"` // RFC 3339
	// LastUseUnknown: the provider does not report a key's last use.
	LastUseUnknown bool `json:"last_use_unknown,omitempty"`
	// AlreadyGone: no listing shows the key and its value no longer works.
	AlreadyGone bool `json:"already_gone"`
	// From a secret-scanning alert.
	Alert        string   `json:"alert,omitempty"`
	ExposedSince string   `json:"exposed_since,omitempty"`
	LeakSource   string   `json:"leak_source,omitempty"`
	LeakRepo     string   `json:"leak_repo,omitempty"`
	LeakPaths    []string `json:"leak_paths,omitempty"`

	// Advice is the provider's guidance for the report (where to revoke
	// by hand, what hygiene applies).
	Advice *Advice `json:"advice,omitempty"`

	// Legacy fields of journals written before the provider interface.
	LegacyProject     string `json:"project,omitempty"`
	LegacyProjectName string `json:"project_name,omitempty"`
}

// Normalize fills generic fields from legacy ones.
func (i *Identified) Normalize() {
	if i.Scope == "" && i.LegacyProject != "" {
		i.Scope, i.ScopeKind = i.LegacyProject, "project"
	}
	if i.ScopeName == "" {
		i.ScopeName = i.LegacyProjectName
	}

}

// Advice is what a provider tells a person after an incident on one of
// its keys: the report's words and follow-ups come from it, so the report
// has no case per provider.
type Advice struct {
	// Console is where a person revokes a key by hand ("on the OpenAI
	// dashboard (API keys)").
	Console string `json:"console"`
	// Review says where to review the key's use and costs.
	Review string `json:"review"`
	// AllowList says how to make a leaked key useless from elsewhere;
	// empty: nothing to add (the key is already restricted).
	AllowList string `json:"allow_list"`
	// AllowListTitle is that follow-up's title, in the provider's words
	// ("Set rate and spend limits on the workspace"); empty: allow-list
	// the IP addresses that may use the scope's keys.
	AllowListTitle string `json:"allow_list_title,omitempty"`
	// Narrow says how to narrow a replacement to what the application
	// uses ("key permissions on the OpenAI dashboard"); empty: nothing to
	// narrow.
	Narrow string `json:"narrow,omitempty"`
	// SpendControls: the provider has spend limits and alerts per scope
	// (read by the usage step).
	SpendControls bool `json:"spend_controls,omitempty"`
}

// LegacyUsageSource is the source of usage evidence written before the
// evidence named one.
const LegacyUsageSource = "OpenAI Usage API (completions, hourly)"

// Revoked is a key contained: revoked, deactivated, or found already gone.
type Revoked struct {
	Provider  string `json:"provider,omitempty"`
	KeyID     string `json:"key_id,omitempty"`
	Scope     string `json:"scope,omitempty"`
	Contained bool   `json:"contained"`
	// AlreadyDisabled: the key was already revoked or disabled.
	AlreadyDisabled bool   `json:"already_disabled"`
	Method          string `json:"method,omitempty"` // "delete project key", "deactivate access key", …
	// Principal is what was deleted with the key (a service account).
	Principal string `json:"principal,omitempty"`
	// Reversible: the key is deactivated, not deleted (AWS), and is
	// retired once recovery is verified.
	Reversible bool   `json:"reversible,omitempty"`
	RevokedAt  string `json:"revoked_at,omitempty"`

	LegacyProject string `json:"project,omitempty"`
}

// Checked is a key checked against the provider: dead or live.
type Checked struct {
	Provider   string `json:"provider,omitempty"`
	KeyID      string `json:"key_id,omitempty"`
	Expect     string `json:"expect"` // dead or live
	State      string `json:"state"`  // dead, live, restricted, denied
	StatusCode int    `json:"status_code,omitempty"`
	Code       string `json:"code,omitempty"`
	Method     string `json:"method,omitempty"` // how: "GET /v1/models", "sts:GetCallerIdentity", …
	Checks     int    `json:"checks,omitempty"`
	Within     string `json:"within,omitempty"`
	VerifiedAt string `json:"verified_at,omitempty"`
}

// Principal is who holds a replacement: a service account, an IAM user.
type Principal struct {
	Type string `json:"principal_type,omitempty"`
	ID   string `json:"principal_id,omitempty"`
	Name string `json:"principal_name,omitempty"`
}

// Created is a replacement key created.
type Created struct {
	Provider string `json:"provider,omitempty"`
	KeyID    string `json:"key_id"`
	Scope    string `json:"scope,omitempty"`
	Principal
	Redacted    string `json:"redacted,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	CreatedAt   string `json:"created_at,omitempty"`
	// Parts names the parts of the credential ("key"; "access_key_id",
	// "secret_access_key"), with identifiers' values.
	Parts map[string]string `json:"parts,omitempty"`
	// DeletedLeftovers are what an earlier attempt left and this one
	// deleted (service accounts, access keys).
	DeletedLeftovers []string `json:"deleted_leftovers"`
	// Hint says how to narrow the replacement's permissions, for the
	// report's follow-ups.
	PermissionsHint string `json:"permissions_hint,omitempty"`
	// Adopted: a person made the replacement and pasted it; respond did
	// not create it (and never deletes it).
	Adopted bool `json:"adopted,omitempty"`
	// Superseded are the earlier replacements of this incident that places
	// still held when this one was made (their values were not kept):
	// they stay live until this one is on every target, redeployed and
	// verified, and key.discard deletes them then. Make before break.
	Superseded []Created `json:"superseded,omitempty"`
	// RecoveredFrom names the place a resume read this replacement back
	// from (its fingerprint checked against the journal) instead of
	// making a new one.
	RecoveredFrom string `json:"recovered_from,omitempty"`

	LegacyProject            string `json:"project,omitempty"`
	LegacyServiceAccountID   string `json:"service_account_id,omitempty"`
	LegacyServiceAccountName string `json:"service_account_name,omitempty"`
}

// Normalize fills generic fields from legacy ones.
func (c *Created) Normalize() {
	if c.Scope == "" {
		c.Scope = c.LegacyProject
	}
	if c.Principal.ID == "" && c.LegacyServiceAccountID != "" {
		c.Principal = Principal{Type: "service_account", ID: c.LegacyServiceAccountID, Name: c.LegacyServiceAccountName}
	}
}

// UsageBucket is one hour (or other span) of a key's use.
type UsageBucket struct {
	Start        string `json:"start"`
	Requests     int64  `json:"requests"`
	InputTokens  int64  `json:"input_tokens,omitempty"`
	OutputTokens int64  `json:"output_tokens,omitempty"`
}

// Usage is what a key was used for around its exposure.
type Usage struct {
	Provider     string        `json:"provider,omitempty"`
	KeyID        string        `json:"key_id,omitempty"`
	Source       string        `json:"source,omitempty"` // "OpenAI Usage API", "AWS CloudTrail", …
	WindowStart  string        `json:"window_start"`
	WindowEnd    string        `json:"window_end"`
	ExposedSince string        `json:"exposed_since,omitempty"`
	Buckets      []UsageBucket `json:"buckets"`
	// NotCounted: the provider could not count the key's requests (AWS
	// CloudTrail did not answer); Buckets is then empty and says nothing,
	// and Source says why. LastUsed still holds.
	NotCounted bool   `json:"not_counted,omitempty"`
	LastUsed   string `json:"last_used,omitempty"`
	// LastUseUnknown: the provider does not report a key's last use (an
	// empty LastUsed then says nothing, not "never").
	LastUseUnknown bool `json:"last_use_unknown,omitempty"`
	// Spend controls of the scope, when the provider has them.
	SpendControls      string `json:"spend_controls,omitempty"` // "read" when known
	SpendControlsError string `json:"spend_controls_error,omitempty"`
	HasSpendLimit      bool   `json:"has_spend_limit"`
	SpendLimitText     string `json:"spend_limit_text,omitempty"`
	SpendAlerts        int    `json:"spend_alerts"`
}

// Quiet is a key watched before it is revoked.
type Quiet struct {
	Watched  string `json:"watched"`
	LastUsed string `json:"last_used,omitempty"`
	Quiet    bool   `json:"quiet"`
	Gone     bool   `json:"gone,omitempty"`
}

// Retired is a contained key deleted once recovery was verified (a
// deactivated AWS access key), or nothing to do.
type Retired struct {
	Provider string `json:"provider,omitempty"`
	KeyID    string `json:"key_id,omitempty"`
	Deleted  bool   `json:"deleted"`
	Method   string `json:"method,omitempty"`
}

// Discarded is what key.discard did with the earlier replacements of an
// incident: those deleted, and those kept because a place still holds
// them.
type Discarded struct {
	Provider    string   `json:"provider,omitempty"`
	Replacement string   `json:"replacement,omitempty"` // the replacement in use
	Deleted     []string `json:"deleted"`
	Kept        []Kept   `json:"kept,omitempty"`
}

// Kept is an earlier replacement key.discard did not delete, and why.
type Kept struct {
	KeyID  string   `json:"key_id"`
	Places []string `json:"places,omitempty"` // places whose latest write is it
	Why    string   `json:"why"`
}

// Written is a credential written to a target.
type Written struct {
	Target  string `json:"target"`
	Type    string `json:"type"`
	Created bool   `json:"created"`
	Detail  string `json:"detail,omitempty"`
	// ValueFingerprint is the fingerprint of the credential written (its
	// main secret part), by which the report tells which replacement a
	// target holds.
	ValueFingerprint string `json:"value_fingerprint"`
	// Parts are the parts written there.
	Parts []string `json:"parts,omitempty"`
	// Rollback says how to bring the value before the write back, where
	// the place keeps versions; FollowUp is something a person should fix
	// about the place (a .env file others may read).
	Rollback string `json:"rollback,omitempty"`
	FollowUp string `json:"follow_up,omitempty"`
	// Place is the target as the deploy step had it (target.Target.Map:
	// its type and fields, never a secret), so a resume can read the
	// value back from it or check it again.
	Place map[string]any `json:"place,omitempty"`
}
