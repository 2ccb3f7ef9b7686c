package watch

import (
	"context"
	"time"
)

// Request is one unattended response: the leaked-key playbook on an alert
// (Respond), or its containment alone (Contain).
type Request struct {
	Alert  string // OWNER/REPO#N
	Action Action // Respond or Contain
}

// Result is how a response ended.
type Result struct {
	// Incident is its ID ("" when none was created).
	Incident string
	// Outcome is the verdict against the invariant ("recovered",
	// "contained, not recovered", "not contained"), or, without one, the
	// run's status ("refused", "failed", "interrupted").
	Outcome string
	// Contained: the leaked key is dead; ContainedAt is when the response
	// proved it.
	Contained   bool
	ContainedAt time.Time
	// Failing lists what does not hold ("one live replacement: …").
	Failing []string
	// Next says what a person must do ("" when nothing).
	Next string
	// Err is the run's error, masked (nil when recovered).
	Err error
}

// Recovered reports whether the invariant holds.
func (r Result) Recovered() bool { return r.Outcome == "recovered" }

// Responder runs unattended responses: the same playbooks, key lock,
// journal, report and outcome as `respond leaked-key`. It must be safe for
// concurrent use.
type Responder interface {
	Respond(ctx context.Context, req Request) Result
	// Resume continues an interrupted incident.
	Resume(ctx context.Context, incident string) Result
}
