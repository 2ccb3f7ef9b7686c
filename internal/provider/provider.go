// Package provider is the contract between respond's core and a provider
// of keys (OpenAI, AWS IAM, Google Cloud API keys, …): what a provider
// declares about itself (Spec: its name, the shapes of its keys and key
// IDs, its scope field, its credential environment variables, its GitHub
// secret-scanning types, its capabilities) and what it does at run time
// (Provider: find a key, contain it, check it, create a replacement, read
// its use, retire it).
//
// A provider is one package under internal/providers that registers its
// Spec in an init function, and one line in internal/plugins that imports
// it. Everything else — inventory validation, key recognition on the
// command line, the key picker, masking, child-environment scrubbing, the
// report's words, the docs' tables — reads the registry. No code outside a
// provider's package checks its name.
package provider

import (
	"context"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Provider is a provider of keys at run time, built by Spec.New from the
// plug-in environment. The generic key.* step kinds hold the flow (checks
// with backoff, a key already gone, plans, messages); a Provider holds its
// API. Methods that a capability rules out (Replace for a provider whose
// replacements are made by a person) are still implemented, to say so.
type Provider interface {
	// FindByID finds a key by ID, in scope or (scope "") in every scope
	// it can see. nil, nil: no scope lists it.
	FindByID(ctx context.Context, scope, id string) (*KeyInfo, error)
	// FindByName finds a key by its name in scope (providers whose keys
	// have names, Spec.KeyNames).
	FindByName(ctx context.Context, scope, name string) (*KeyInfo, error)
	// FindByValue finds the key of a credential; nil, nil: none lists it;
	// several possible keys: a step.BadInputf error that lists them.
	FindByValue(ctx context.Context, scope string, c secret.Credential) (*KeyInfo, error)
	// Matches reports whether a credential can be the key k (its redacted
	// form, its access key ID), to catch a value and an ID that disagree.
	Matches(k KeyInfo, c secret.Credential) bool

	// Scopes lists where keys live that respond's credentials can see
	// (OpenAI projects, the AWS account), for a person picking a key.
	Scopes(ctx context.Context) ([]KeyScope, error)
	// ListKeys lists the keys of a scope, never their values, for a
	// person picking one.
	ListKeys(ctx context.Context, scope string) ([]KeyInfo, error)

	// Check asks the provider whether a credential works.
	Check(ctx context.Context, c secret.Credential) (KeyCheck, error)
	// Listed reports whether a key is still listed (a check by ID, for a
	// key whose value is not known).
	Listed(ctx context.Context, k KeyInfo) (bool, error)
	// PlanRevoke says what Revoke would do, reading only.
	PlanRevoke(ctx context.Context, k KeyInfo) (step.Change, error)
	// Revoke contains the key (deletes or deactivates it, as
	// Capabilities.Contain says); a key already gone is contained.
	Revoke(ctx context.Context, k KeyInfo, log func(string, ...any)) (evidence.Revoked, error)

	// CanReplace checks, reading only, that a replacement can be created in
	// scope (preflight), or for a replacement made by a person, that the
	// person's key can be checked.
	CanReplace(ctx context.Context, scope string, old *KeyInfo) error
	// PlanReplace says what Replace would do, reading only. For a
	// replacement made by a person, its Effect says exactly where and how
	// the person makes it.
	PlanReplace(ctx context.Context, r ReplaceRequest) (step.Change, error)
	// Replace creates the replacement: the credential (its value shown
	// this once) and what was created. What an earlier attempt of the same
	// request created, that no place holds and that can no longer be used
	// (r.Previous, and anything bearing r.Name but r.Keep) is deleted
	// first; r.Keep stays live. A provider whose replacements are
	// made by a person (Capabilities.Replace == ByPerson) answers
	// ErrByPerson.
	Replace(ctx context.Context, r ReplaceRequest, log func(string, ...any)) (secret.Credential, evidence.Created, error)
	// Adopt takes a replacement a person made and pasted (cred): it finds
	// the key it is, checks that it works and that it is not the old key,
	// and says what was adopted. Providers that replace by API may adopt
	// too (a person who made the replacement by hand).
	Adopt(ctx context.Context, r ReplaceRequest, cred secret.Credential) (evidence.Created, error)
	// Reconcile deletes what an interrupted Replace of r may have created
	// (its value died with the process); it returns what it deleted.
	Reconcile(ctx context.Context, r ReplaceRequest, log func(string, ...any)) ([]string, error)
	// Discard deletes a replacement this incident created and no longer
	// needs (the one an earlier run made, once a newer one is deployed and
	// verified everywhere). Gone already is fine.
	Discard(ctx context.Context, created evidence.Created, log func(string, ...any)) error

	// Usage reads what the key was used for from since to until.
	Usage(ctx context.Context, k KeyInfo, since, until time.Time, log func(string, ...any)) (evidence.Usage, error)
	// LastUsed is the key's last use (nil if never or unknown: see
	// Capabilities.LastUsed); step.ErrNotFound when the key is gone.
	LastUsed(ctx context.Context, k KeyInfo) (*time.Time, error)
	// Retire finishes containment once recovery is verified: a key that
	// was only deactivated is deleted. Nothing to do is not an error.
	Retire(ctx context.Context, k KeyInfo) (evidence.Retired, error)
}

// KeyInfo is a key as its provider describes it (never its value).
type KeyInfo struct {
	Provider  string
	ID        string
	Name      string
	Scope     string // project, account
	ScopeName string
	Owner     evidence.Owner
	Redacted  string
	Created   time.Time
	LastUsed  *time.Time
	// Status is the provider's word for the key's state ("active",
	// "inactive"), when it has one.
	Status string
	// Attrs are provider-specific facts the provider needs again later
	// (a Google key's restrictions, say), as the journal keeps them:
	// never a secret.
	Attrs map[string]string
	// Advice, when set, is the provider's advice for this key in place of
	// its declared one: a Google key that already has application and API
	// restrictions needs no advice to add them.
	Advice *evidence.Advice
	// Credential is the key's value when the step has it (key.revoke's
	// `key`, identify's credential): for a provider that acts on a key by
	// its value (GitHub revokes a token by the token). Zero otherwise;
	// never journaled.
	Credential secret.Credential
}

// KeyScope is where keys live at a provider: an OpenAI project, an AWS
// account.
type KeyScope struct {
	ID, Name string
}

// KeyState is what a provider says about a key.
type KeyState string

const (
	// KeyLive: the key works.
	KeyLive KeyState = "live"
	// KeyDead: the provider refuses the key as invalid, revoked or
	// inactive.
	KeyDead KeyState = "dead"
	// KeyRestricted: the key works but lacks scopes (alive, never dead).
	KeyRestricted KeyState = "restricted"
	// KeyDenied: the key authenticates but may not do what was asked
	// (alive, never dead).
	KeyDenied KeyState = "denied"
)

// KeyCheck is the evidence of a key check.
type KeyCheck struct {
	State      KeyState
	StatusCode int
	Code       string // the error code, if any
	Method     string // how it was checked: "GET /v1/models", "sts:GetCallerIdentity"
	Detail     string // e.g. the identity a live AWS key authenticates as
	CheckedAt  time.Time
}

// ReplaceRequest is a replacement to create.
type ReplaceRequest struct {
	Scope    string
	Name     string  // unique to the incident; leftovers are found by it
	Incident string  // the incident ID
	Old      KeyInfo // the key being replaced (its owner, for providers that replace in place)
	// Previous is what an earlier apply of the same step created whose
	// value was not kept and that no place holds: a leftover nobody uses,
	// which Replace deletes first.
	Previous *evidence.Created
	// Keep are earlier replacements of this incident that places still
	// hold (their values were not kept): Replace must leave them live and
	// untouched, and a leftover search must not take them for leftovers.
	// key.discard deletes them (Discard) once the new replacement is on
	// every target, redeployed and verified: make before break. A
	// provider that cannot make another key while these live (AWS: two
	// access keys a user) says so in an error and changes nothing.
	Keep []evidence.Created
	// Since is when an interrupted attempt began (Reconcile).
	Since time.Time
	// Checkpoint records, in the journal, what a provider needs to find
	// later what this attempt created (for AWS, the user's keys before
	// the create): call it before the create. Never a secret.
	Checkpoint func(map[string]any) error
	// Checkpointed is what the interrupted attempt recorded with
	// Checkpoint (Reconcile); nil when it recorded nothing, so created
	// nothing that needs it.
	Checkpointed map[string]any
}
