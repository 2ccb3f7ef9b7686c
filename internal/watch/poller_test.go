package watch

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/respondhq/respond/internal/sim"
)

// pollOnce runs one poll of acme with a fresh dispatcher over store, and
// waits for the responses it started.
func pollOnce(t *testing.T, ts *testService) {
	t.Helper()
	d := newDispatcher(ts.cfg, context.Background())
	(&Poller{cfg: ts.cfg, disp: d}).Poll(context.Background(), "acme")
	d.Wait()
}

// Polling: the first poll takes up the open alerts; an unchanged list costs
// a 304 and repeats nothing; a new alert is handled once; and a restart
// (the store opened again) neither repeats an alert nor misses one created
// while watch was down. The simulator's request log shows the 304s.
func TestPollerCursor(t *testing.T) {
	s, gh, _ := startSim(t, sim.Options{})
	dir := t.TempDir()
	ts := newTestService(t, s, gh, dir, func(c *Config) { c.Orgs, c.PollInterval = []string{"acme"}, time.Hour })
	info := s.Scenario()

	pollOnce(t, ts)
	if got := ts.resp.alerts(); !slices.Equal(got, []string{info.Alert}) {
		t.Fatalf("first poll responded to %v, want the open alert %s", got, info.Alert)
	}
	before := len(s.Requests(0))
	pollOnce(t, ts)
	if got := ts.resp.alerts(); len(got) != 1 {
		t.Fatalf("an unchanged list repeated an alert: %v", got)
	}
	reqs := s.Requests(0)[before:]
	if len(reqs) != 1 || reqs[0].Status != 304 || !strings.Contains(reqs[0].Path, "/orgs/acme/secret-scanning/alerts") {
		t.Fatalf("an unchanged poll sent %+v, want one 304", reqs)
	}
	if got := testutil.ToFloat64(ts.Metrics().Polls.WithLabelValues("not_modified")); got != 1 {
		t.Fatalf("polls not modified = %v", got)
	}

	la, err := s.LeakKey(sim.LeakRequest{Key: "leaked", Repo: "web"})
	if err != nil {
		t.Fatal(err)
	}
	pollOnce(t, ts)
	// The new alert is on the key already answered: it is resolved as
	// covered by that response, and not responded to again.
	if got := ts.resp.alerts(); len(got) != 1 {
		t.Fatalf("responses: %v", got)
	}
	if r, ok := ts.store.Alert(la.Alert); !ok || r.Primary != info.Alert || r.Incident != "INC-TEST" {
		t.Fatalf("the new alert on the same key: %+v %v", r, ok)
	}

	// Down: the store is closed; a new key leaks meanwhile.
	_ = ts.store.Close()
	other := newKey(t, s)
	la2, err := s.LeakKey(sim.LeakRequest{KeyID: other, Repo: "worker"})
	if err != nil {
		t.Fatal(err)
	}
	ts2 := newTestService(t, s, gh, dir, func(c *Config) { c.Orgs, c.PollInterval = []string{"acme"}, time.Hour })
	pollOnce(t, ts2)
	pollOnce(t, ts2)
	if got := ts2.resp.alerts(); !slices.Equal(got, []string{la2.Alert}) {
		t.Fatalf("after the restart the polls responded to %v, want only %s", got, la2.Alert)
	}
}

// newKey makes a live key in the scenario's project that no inventory
// names.
func newKey(t *testing.T, s *sim.Sim) string {
	t.Helper()
	info := s.Scenario()
	owner := ""
	for _, k := range s.OpenAI().Snapshot().Keys {
		if k.ID == info.LeakedKeyID {
			owner = k.OwnerID
		}
	}
	k, err := s.OpenAI().AddUserKey(info.ProjectID, "laptop", owner, time.Now().Add(-time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}
