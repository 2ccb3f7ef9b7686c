package sim

import (
	"net/http"
	"slices"
	"time"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// Alert validity follows the key (F4): a secret-scanning alert is active
// while its secret works, inactive once it does not, unknown when no
// simulated provider knows its secret type. The GitHub half checks its own
// tokens; for every other type it asks secretValidity, which asks the
// provider that issues that type: the OpenAI half for openai_api_key, and
// any simapi.KeyIssuer service for its SecretTypes.
//
// The GitHub half checks when an alert opens and before every read of
// alerts. The simulator makes it check again after every request to
// another API that may have revoked a key (any request other than GET,
// HEAD or OPTIONS), and every validityInterval, so that a key revoked
// from a drill's control or a Go method is seen too; each change fires
// the "validated" webhook.

// validityInterval is how often open alerts are checked in the background.
const validityInterval = time.Second

// secretTypeOpenAI is the secret-scanning type of OpenAI keys.
const secretTypeOpenAI = "openai_api_key"

// secretValidity is the GitHub half's ValidityOracle.
func (s *Sim) secretValidity(secretType, value string, now time.Time) string {
	live, known := false, false
	if secretType == secretTypeOpenAI {
		_, live, _ = s.openai.KeyStatus(value, now)
		known = true
	} else {
		for _, ki := range s.KeyIssuers() {
			if slices.Contains(ki.SecretTypes(), secretType) {
				_, live, _ = ki.KeyStatus(value, now)
				known = true
				break
			}
		}
	}
	switch {
	case !known:
		return githubsim.ValidityUnknown
	case live:
		return githubsim.ValidityActive
	}
	return githubsim.ValidityInactive
}

// mayRevoke reports whether a request of this method may have revoked a
// key.
func mayRevoke(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// startValidityChecks checks open alerts every validityInterval until
// stopValidityChecks.
func (s *Sim) startValidityChecks() {
	stop, done := make(chan struct{}), make(chan struct{})
	s.serveMu.Lock()
	s.validityStop, s.validityDone = stop, done
	s.serveMu.Unlock()
	go func() {
		defer close(done)
		t := time.NewTicker(validityInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.world.RLock()
				s.github.RefreshValidity()
				s.world.RUnlock()
			}
		}
	}()
}

// stopValidityChecks ends the background checks (idempotent).
func (s *Sim) stopValidityChecks() {
	s.serveMu.Lock()
	stop, done := s.validityStop, s.validityDone
	s.validityStop = nil
	s.serveMu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}
