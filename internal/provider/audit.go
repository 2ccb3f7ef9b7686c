package provider

import (
	"context"
	"time"

	"github.com/respondhq/respond/internal/audit"
)

// Auditor is a Provider that takes part in `respond audit` beyond what
// the core checks of every provider (key age against rotate_every, unused
// keys where the provider knows last use, keys no credential names,
// credentials whose key is gone). It implements its own checks (declared
// with audit.Register in its package) and may list its keys more cheaply
// than Scopes and ListKeys would (AWS's credential report). It only
// reads: an audit never changes anything.
type Auditor interface {
	Audit(ctx context.Context, r AuditRequest) (AuditResult, error)
}

// AuditRequest is what an Auditor is asked.
type AuditRequest struct {
	// Now is the audit's clock.
	Now time.Time
	// Credentials are the inventory's credentials of the provider.
	Credentials []AuditCredential
	// Report adds a finding (safe for concurrent use).
	Report func(audit.Finding)
	// Log says what the auditor is doing, for people.
	Log func(format string, args ...any)
}

// AuditCredential is an inventory credential as an auditor sees it.
type AuditCredential struct {
	Name        string
	Scope       string
	KeyID       string
	KeyName     string
	RotateEvery time.Duration // 0: the audit's default
	// Targets is how many targets hold it.
	Targets int
	// Key is the credential's key as the core found it (nil when it was
	// not found).
	Key *KeyInfo
}

// AuditResult is what an Auditor found beyond its findings.
type AuditResult struct {
	// Keys, when set, is every key respond's credentials can see at the
	// provider, for the core's checks; nil: the core lists them with
	// Scopes and ListKeys.
	Keys []KeyInfo
	// Requests is how many requests the auditor sent (the audit's cost).
	Requests int
	// Skipped says what it could not check, and why (a permission
	// missing), one sentence each.
	Skipped []string
}

// KeyLister is an Auditor that lists keys for the core's checks before
// its own checks run (Audit then receives each credential's Key).
type KeyLister interface {
	AuditKeys(ctx context.Context, now time.Time) (keys []KeyInfo, requests int, err error)
}
