package watch

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/sim"
)

// Two services on one Lease of the simulator's Kubernetes API: exactly one
// leads and acts; a delivery to the follower is answered and left alone;
// when the leader stops (SIGTERM) it finishes, releases the Lease, and the
// other takes over and acts.
func TestServiceLeaderElection(t *testing.T) {
	s, gh, _ := startSim(t, sim.Options{})
	api := startLeaseAPI(t)
	lease := func(id string) func(*Config) {
		return func(c *Config) {
			lc := testLease(api.client(t, nil), id)
			c.Lease = &lc
		}
	}
	a := newTestService(t, s, gh, t.TempDir(), lease("watch-a"))
	b := newTestService(t, s, gh, t.TempDir(), lease("watch-b"))
	a.run(t)
	b.runFollower(t)
	if b.Leader() {
		t.Fatal("both replicas lead")
	}
	if l, _ := api.lease(t, leaseNamespace, leaseName); l.Holder != "watch-a" {
		t.Fatalf("the Lease: %+v, want held by watch-a", l)
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
	if l, _ := api.lease(t, leaseNamespace, leaseName); l.Holder != "watch-b" {
		t.Fatalf("the Lease after the handover: %+v", l)
	}
	reopened := strings.Replace(body, "created", "reopened", 1)
	if rec := deliver(t, b.Handler(), "secret_scanning_alert", "d-b2", reopened, Sign([]byte(hookSecret), []byte(reopened)), "application/json"); rec.Code != http.StatusAccepted || strings.Contains(rec.Body.String(), "follower") {
		t.Fatalf("new leader: %d %s", rec.Code, rec.Body)
	}
	waitFor(t, "the new leader responds", func() bool { return len(b.resp.alerts()) == 1 })
	if len(a.resp.alerts()) != 1 {
		t.Fatalf("the old leader acted after it stopped: %v", a.resp.alerts())
	}
}
