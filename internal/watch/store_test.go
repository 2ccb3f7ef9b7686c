package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The store survives a restart (another OpenStore of the directory),
// forgets the oldest delivery IDs past its bound, and an in-memory store
// writes nothing.
func TestStore(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if seen, err := s.SeenDelivery("d1", t0); seen || err != nil {
		t.Fatalf("first delivery seen=%v err=%v", seen, err)
	}
	if err := s.PutAlert("acme/api#1", AlertRecord{Action: Respond, Status: StatusDone, Fingerprint: "sha256:ab", Contained: true, Incident: "INC-1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCursor("acme", Cursor{ETag: `W/"x"`, Updated: t0, Alerts: []string{"acme/api#1"}}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, StoreFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("store file: %v %v", fi, err)
	}

	s2, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if seen, _ := s2.SeenDelivery("d1", t0); !seen {
		t.Fatal("a delivery ID was forgotten across a restart")
	}
	if r, ok := s2.Alert("acme/api#1"); !ok || r.Incident != "INC-1" {
		t.Fatalf("alert record: %+v %v", r, ok)
	}
	if ref, _, ok := s2.ContainedBy("sha256:ab"); !ok || ref != "acme/api#1" {
		t.Fatalf("ContainedBy = %q %v", ref, ok)
	}
	if c := s2.Cursor("acme"); c.ETag != `W/"x"` || !c.Updated.Equal(t0) {
		t.Fatalf("cursor: %+v", c)
	}

	for i := range maxDeliveries + 10 {
		if _, err := s2.SeenDelivery(fmt.Sprintf("n%d", i), t0.Add(time.Duration(i+1)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	_ = s2.Close()
	s3, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if seen, _ := s3.SeenDelivery(fmt.Sprintf("n%d", maxDeliveries+9), t0); !seen {
		t.Fatal("a recent delivery ID was forgotten across a restart")
	}
	if seen, _ := s3.SeenDelivery("d1", t0.Add(time.Hour)); seen {
		t.Fatal("the oldest delivery ID was kept past the bound")
	}

	mem, _ := OpenStore("")
	_ = mem.PutAlert("x/y#1", AlertRecord{})
	if mem.Path() != "" {
		t.Fatal("an in-memory store has a file")
	}

	// A corrupt file is an error that says what to do, not a fresh start.
	if err := os.WriteFile(filepath.Join(dir, StoreFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(dir); err == nil {
		t.Fatal("a corrupt store opened")
	}
}

// Two replicas share a state directory: the one that becomes the leader
// reloads it and sees what the other recorded after it started (a
// response left running, a cursor, delivery IDs).
func TestStoreReload(t *testing.T) {
	dir := t.TempDir()
	leader, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer leader.Close()
	follower, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Close()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := leader.PutAlert("acme/api#1", AlertRecord{Action: Respond, Status: StatusRunning}); err != nil {
		t.Fatal(err)
	}
	if err := leader.PutCursor("acme", Cursor{Updated: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := leader.SeenDelivery("d-leader", t0); err != nil {
		t.Fatal(err)
	}
	if _, ok := follower.Alert("acme/api#1"); ok {
		t.Fatal("the follower saw the record before reloading")
	}
	if err := follower.Reload(); err != nil {
		t.Fatal(err)
	}
	if r, ok := follower.Alert("acme/api#1"); !ok || r.Status != StatusRunning {
		t.Fatalf("after the reload: %+v %v", r, ok)
	}
	if c := follower.Cursor("acme"); !c.Updated.Equal(t0) {
		t.Fatalf("cursor after the reload: %+v", c)
	}
	if seen, _ := follower.SeenDelivery("d-leader", t0); !seen {
		t.Fatal("the leader's delivery ID was not seen after the reload")
	}
}
