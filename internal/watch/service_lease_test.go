package watch

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/sim"
)

// Two services on one Lease: exactly one leads and acts; a delivery to the
// follower is answered and left alone; when the leader stops (SIGTERM) it
// finishes, releases the Lease, and the other takes over and acts.
func TestServiceLeaderElection(t *testing.T) {
	s, gh, _ := startSim(t, sim.Options{})
	client := leaseAPI(t)
	lease := func(id string) func(*Config) {
		return func(c *Config) {
			c.Lease = &LeaseConfig{Client: client, Namespace: "respond", Name: "respond-watch", Identity: id,
				LeaseDuration: time.Second, RenewDeadline: 600 * time.Millisecond, RetryPeriod: 100 * time.Millisecond}
		}
	}
	a := newTestService(t, s, gh, t.TempDir(), lease("watch-a"))
	b := newTestService(t, s, gh, t.TempDir(), lease("watch-b"))
	a.run(t)
	b.runFollower(t)
	if b.Leader() {
		t.Fatal("both replicas lead")
	}
	info := s.Scenario()
	r, _ := ParseRef(info.Alert)
	body := `{"action":"created","alert":{"number":` + strconv.Itoa(r.Number) + `},"repository":{"full_name":"` + info.AlertRepo + `"}}`
	sig := Sign([]byte(hookSecret), []byte(body))
	if rec := deliver(t, b.Handler(), "secret_scanning_alert", "d-b", body, sig, "application/json"); rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), "follower") {
		t.Fatalf("follower: %d %s", rec.Code, rec.Body)
	}
	if rec := deliver(t, a.Handler(), "secret_scanning_alert", "d-a", body, sig, "application/json"); rec.Code != http.StatusAccepted {
		t.Fatalf("leader: %d %s", rec.Code, rec.Body)
	}
	waitFor(t, "the leader responds", func() bool { return len(a.resp.alerts()) == 1 })
	a.stop()
	waitFor(t, "watch-b takes over", b.Leader)
	if rec := deliver(t, b.Handler(), "secret_scanning_alert", "d-b2", strings.Replace(body, "created", "reopened", 1),
		Sign([]byte(hookSecret), []byte(strings.Replace(body, "created", "reopened", 1))), "application/json"); rec.Code != http.StatusAccepted || strings.Contains(rec.Body.String(), "follower") {
		t.Fatalf("new leader: %d %s", rec.Code, rec.Body)
	}
	waitFor(t, "the new leader responds", func() bool { return len(b.resp.alerts()) == 1 })
	if len(a.resp.alerts()) != 1 {
		t.Fatalf("the old leader acted after it stopped: %v", a.resp.alerts())
	}
}
