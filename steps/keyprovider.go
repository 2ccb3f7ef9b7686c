package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// KeyProvider is what the key.* steps need of a key's issuer (OpenAI, AWS
// IAM, …): find a key, contain it, check it, create a replacement, clean up
// after an interrupted create, read its use, and retire it once recovery is
// verified. The generic kinds hold the flow (checks with backoff, a key
// already gone, plans, messages); a provider holds its API. Adding one is
// a file of its own and a line in keyProviders (registry.go).
type KeyProvider interface {
	// Name is the provider's name in inventories and playbooks ("openai").
	Name() string
	// Title names it for people ("OpenAI").
	Title() string
	// ScopeKind names what holds its keys ("project", "account").
	ScopeKind() string

	// OwnsKeyID reports whether a key ID has this provider's shape
	// (key_…, AKIA…).
	OwnsKeyID(id string) bool
	// AlertTypes are the GitHub secret-scanning secret types of its keys.
	AlertTypes() []string
	// Credential turns a pasted or alerted value into a credential
	// (an AWS pair needs both parts: "ID SECRET" or the alert's pair).
	Credential(value secret.Value, keyID string) (secret.Credential, error)

	// FindByID finds a key by ID, in scope or (scope "") in every scope
	// it can see. nil, nil: no scope lists it.
	FindByID(ctx context.Context, scope, id string) (*KeyInfo, error)
	// FindByName finds a key by its name in scope.
	FindByName(ctx context.Context, scope, name string) (*KeyInfo, error)
	// FindByValue finds the key of a credential; nil, nil: none lists it;
	// several possible keys: an error that lists them.
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
	// Revoke contains the key (deletes or deactivates it); a key already
	// gone is contained.
	Revoke(ctx context.Context, k KeyInfo, log func(string, ...any)) (evidence.Revoked, error)

	// CanReplace checks, reading only, that a replacement can be created in
	// scope (preflight).
	CanReplace(ctx context.Context, scope string, old *KeyInfo) error
	// PlanReplace says what Replace would do, reading only.
	PlanReplace(ctx context.Context, r ReplaceRequest) (step.Change, error)
	// Replace creates the replacement: the credential (its value shown
	// this once) and what was created. What an earlier attempt of the same
	// request created and can no longer be used is deleted first, so that
	// exactly one replacement remains.
	Replace(ctx context.Context, r ReplaceRequest, log func(string, ...any)) (secret.Credential, evidence.Created, error)
	// Reconcile deletes what an interrupted Replace of r may have created
	// (its value died with the process); it returns what it deleted.
	Reconcile(ctx context.Context, r ReplaceRequest, log func(string, ...any)) ([]string, error)

	// Usage reads what the key was used for from since to until.
	Usage(ctx context.Context, k KeyInfo, since, until time.Time, log func(string, ...any)) (evidence.Usage, error)
	// LastUsed is the key's last use (nil if never); ErrNotFound when the
	// key is gone.
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
}

// KeyScope is where keys live at a provider: an OpenAI project, an AWS
// account.
type KeyScope struct {
	ID, Name string
}

// KeyDenied is a key that authenticates but may not do what was asked:
// alive, never dead.
const KeyDenied KeyState = "denied"

// ReplaceRequest is a replacement to create.
type ReplaceRequest struct {
	Scope    string
	Name     string  // unique to the incident; leftovers are found by it
	Incident string  // the incident ID
	Old      KeyInfo // the key being replaced (its owner, for providers that replace in place)
	// Previous is what an earlier apply of the same step created (its
	// value was not kept): it is deleted first.
	Previous *evidence.Created
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

// KeyProviders looks providers up by name.
type KeyProviders map[string]KeyProvider

// Get returns the named provider, or an error listing the known ones.
func (kp KeyProviders) Get(kind, name string) (KeyProvider, error) {
	if p, ok := kp[name]; ok && p != nil {
		return p, nil
	}
	return nil, badInputf("%s: unknown provider %q; respond knows %s", kind, name, strings.Join(kp.Names(), ", "))
}

// Names lists the providers, sorted.
func (kp KeyProviders) Names() []string {
	var out []string
	for n := range kp {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ForKeyID returns the provider whose key IDs look like id.
func (kp KeyProviders) ForKeyID(id string) (KeyProvider, bool) {
	for _, n := range kp.Names() {
		if kp[n].OwnsKeyID(id) {
			return kp[n], true
		}
	}
	return nil, false
}

// ForAlertType returns the provider whose keys GitHub reports as secretType.
func (kp KeyProviders) ForAlertType(secretType string) (KeyProvider, bool) {
	for _, n := range kp.Names() {
		for _, t := range kp[n].AlertTypes() {
			if t == secretType {
				return kp[n], true
			}
		}
	}
	return nil, false
}

// provider resolves the provider of a call: the `provider` parameter, else
// the shape of `key_id`, else defaultName.
func (kp KeyProviders) provider(kind string, c *step.Call, defaultName string) (KeyProvider, error) {
	if name := strings.TrimSpace(c.String("provider")); name != "" {
		return kp.Get(kind, name)
	}
	if id := strings.TrimSpace(c.String("key_id")); id != "" {
		if p, ok := kp.ForKeyID(id); ok {
			return p, nil
		}
	}
	if defaultName != "" {
		return kp.Get(kind, defaultName)
	}
	return nil, badInputf("%s: say which provider issued the key (`provider`: %s)", kind, strings.Join(kp.Names(), ", "))
}

// credentialParam reads a key parameter: a secret.Value (one part, or a
// pasted pair the provider splits) or a secret.Credential.
func credentialParam(c *step.Call, name string, p KeyProvider, keyID string) (secret.Credential, error) {
	switch v := c.Params[name].(type) {
	case secret.Credential:
		return v, nil
	case secret.Value:
		if v.IsZero() {
			return secret.Credential{}, nil
		}
		return p.Credential(v, keyID)
	case string:
		if v == "" {
			return secret.Credential{}, nil
		}
		return p.Credential(secret.New(v), keyID)
	case nil:
		return secret.Credential{}, nil
	}
	return secret.Credential{}, step.Errorf("parameter %s is %T, not a key", name, c.Params[name])
}

// registerCredential registers a credential's secret parts for masking.
func registerCredential(c *step.Call, cred secret.Credential) {
	for _, v := range cred.Secrets() {
		registry(c).Add(v)
	}
}

// keyLabel names a key for messages: "OpenAI key key_abc".
func keyLabel(p KeyProvider, id string) string {
	if id == "" {
		return "the leaked " + p.Title() + " key"
	}
	return fmt.Sprintf("%s key %s", p.Title(), id)
}
