package target

import (
	"context"
	"time"

	"github.com/respondhq/respond/internal/audit"
)

// Auditor is a Writer whose targets `respond audit` checks beyond whether
// their container exists (which Check and BatchChecker tell): a .env file
// others can read, say. Its checks are declared with audit.Register in
// its package. It only reads.
type Auditor interface {
	Audit(ctx context.Context, r AuditRequest) error
}

// AuditRequest is what an Auditor is asked: its targets, each with the
// credential that holds it.
type AuditRequest struct {
	Now     time.Time
	Targets []AuditTarget
	// Report adds a finding (safe for concurrent use).
	Report func(audit.Finding)
}

// AuditTarget is a target and the inventory credential it belongs to.
type AuditTarget struct {
	Target     Target
	Credential string
}

// Placer is a Writer whose targets are places the audit finds on its own
// (GitHub secrets): it says which, so that a place that holds a key but
// that no target names is reported as inventory drift.
type Placer interface {
	Places(t Target) []audit.Place
}
