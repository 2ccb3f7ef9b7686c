package githubsim

import (
	"sync"
	"time"
)

// A secret-scanning alert's validity follows its secret, as GitHub's
// validity checks do: "active" while the secret works, "inactive" once it
// does not, "unknown" when no simulated provider knows the secret type.
//
// The truth comes from the providers. GitHub tokens are checked against
// the simulator's own tokens (tokens.go); every other type is asked of the
// ValidityOracle the simulator is given (SetValidityOracle: internal/sim
// answers from the OpenAI half and its services), so this package imports
// no other provider. A PATCH that sets validity overrides the check until
// a PATCH sets it back to null.
//
// Validity is checked when an alert is opened, before every read of
// alerts (lists, a single alert, Snapshot), and whenever RefreshValidity
// is called (internal/sim calls it after every request that may revoke a
// key, and every second). When an alert's validity changes its
// updated_at moves and the secret_scanning_alert "validated" event fires.

// Validity values.
const (
	ValidityActive   = "active"
	ValidityInactive = "inactive"
	ValidityUnknown  = "unknown"
)

// validityRuntime holds the oracle.
type validityRuntime struct {
	mu     sync.Mutex // guards oracle
	oracle ValidityOracle
	// refresh makes one RefreshValidity run at a time, so that an older
	// answer never overwrites a newer one.
	refresh sync.Mutex
}

// ValidityOracle answers whether value, a secret of the GitHub
// secret-scanning type secretType, works at now: ValidityActive,
// ValidityInactive, or ValidityUnknown when no simulated provider knows
// the type. It is called without any lock of the Server held, and must
// not call back into the Server's world-changing methods.
type ValidityOracle func(secretType, value string, now time.Time) string

// SetValidityOracle sets the oracle that checks secrets of types other
// than GitHub's own tokens; nil makes them all unknown. Call it before
// seeding: alerts opened before it was set keep their validity until the
// next check.
func (s *Server) SetValidityOracle(o ValidityOracle) {
	s.vd.mu.Lock()
	s.vd.oracle = o
	s.vd.mu.Unlock()
}

// checkValidity is the validity of a secret now. Callers do not hold s.mu.
func (s *Server) checkValidity(secretType, value string, now time.Time) string {
	if isTokenType(secretType) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := s.w.tokens[value]
		if t == nil || !t.revoked.IsZero() {
			return ValidityInactive // GitHub answers 401 for it
		}
		return ValidityActive
	}
	s.vd.mu.Lock()
	o := s.vd.oracle
	s.vd.mu.Unlock()
	if o == nil {
		return ValidityUnknown
	}
	switch v := o(secretType, value, now); v {
	case ValidityActive, ValidityInactive:
		return v
	}
	return ValidityUnknown
}

// RefreshValidity checks the secret of every open alert again and fires
// the "validated" event for each alert whose validity changed. It is safe
// to call at any time and from any goroutine.
func (s *Server) RefreshValidity() {
	s.vd.refresh.Lock()
	defer s.vd.refresh.Unlock()

	type check struct {
		rp       *repo
		a        *alert
		typ, val string
		validity string
	}
	s.mu.Lock()
	w := s.w
	var checks []check
	for _, rp := range w.repos {
		for _, a := range rp.alerts {
			if a.state == "open" {
				checks = append(checks, check{rp: rp, a: a, typ: a.secretType, val: a.secret})
			}
		}
	}
	s.mu.Unlock()
	if len(checks) == 0 {
		return
	}
	now := s.now()
	for i := range checks {
		checks[i].validity = s.checkValidity(checks[i].typ, checks[i].val, now)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != w { // reset meanwhile: these alerts are gone
		return
	}
	for _, ch := range checks {
		s.setValidity(ch.rp, ch.a, ch.validity, now)
	}
}

// setValidity records a check's answer; when the alert's validity changes
// it moves updated_at and fires "validated". Callers hold s.mu.
func (s *Server) setValidity(rp *repo, a *alert, validity string, now time.Time) {
	if a.validity == validity {
		return
	}
	before := a.effectiveValidity()
	a.validity = validity
	if a.effectiveValidity() != before {
		a.updated = now
		s.emitAlert(rp, a, "validated", nil)
	}
}
