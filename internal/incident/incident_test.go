package incident

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/owned"
	"github.com/respondhq/respond/internal/step"
)

func TestCreateOpenAndLock(t *testing.T) {
	store := NewStore(t.TempDir())
	now := time.Date(2026, 11, 27, 16, 12, 0, 0, time.UTC)
	inc, err := store.Create(now)
	if err != nil {
		t.Fatal(err)
	}
	if !idPattern.MatchString(inc.ID) || !strings.HasPrefix(inc.ID, "INC-20261127-161200-") {
		t.Errorf("ID = %s", inc.ID)
	}
	if info, _ := os.Stat(inc.Dir); info.Mode().Perm() != 0o700 {
		t.Errorf("incident dir mode = %v, want 0700", info.Mode().Perm())
	}
	if _, err := store.Open(inc.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("an incident without a journal should not open: %v", err)
	}
	if err := os.WriteFile(inc.JournalPath(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{inc.ID, inc.ID[len(inc.ID)-4:], "INC-20261127"} {
		got, err := store.Open(q)
		if err != nil || got.ID != inc.ID {
			t.Errorf("Open(%q) = %v, %v", q, got, err)
		}
	}

	holder := Me("respond run x")
	l1, err := inc.Lock(holder)
	if err != nil {
		t.Fatal(err)
	}
	// flock is per open file description: a second open in the same
	// process conflicts just as another process would.
	_, err = inc.Lock(Me("respond resume"))
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: %v, want LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.Command != "respond run x" || !strings.Contains(le.Error(), "pid") {
		t.Errorf("holder = %+v, message %q", le.Holder, le.Error())
	}
	if err := l1.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := inc.Lock(holder)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
}

func TestOpenAmbiguousAndUnknown(t *testing.T) {
	store := NewStore(t.TempDir())
	for _, id := range []string{"INC-20261127-161200-aaaa", "INC-20261127-161201-bbbb"} {
		dir := filepath.Join(store.Root, id)
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, journal.FileName), nil, 0o600)
	}
	if _, err := store.Open("INC-2026"); err == nil || !strings.Contains(err.Error(), "matches 2 incidents") {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := store.Open("zzzz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	ids, _ := store.IDs()
	if len(ids) != 2 {
		t.Errorf("IDs = %v", ids)
	}
}

// Any unique part of an ID opens its incident, the middle included, in
// any case; a part that matches several lists them.
func TestOpenByAnyUniquePart(t *testing.T) {
	store := NewStore(t.TempDir())
	for _, id := range []string{"INC-20261127-161200-aaaa", "INC-20261127-171500-bbbb", "INC-20261128-090000-cccc"} {
		dir := filepath.Join(store.Root, id)
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, journal.FileName), nil, 0o600)
	}
	for q, want := range map[string]string{
		"1715":            "INC-20261127-171500-bbbb", // a middle part
		"20261128":        "INC-20261128-090000-cccc",
		"161200-aa":       "INC-20261127-161200-aaaa",
		"CCCC":            "INC-20261128-090000-cccc",
		"inc-20261127-16": "INC-20261127-161200-aaaa",
	} {
		got, err := store.Open(q)
		if err != nil || got.ID != want {
			t.Errorf("Open(%q) = %v, %v; want %s", q, got, err, want)
		}
	}
	_, err := store.Open("20261127")
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "matches 2 incidents") ||
		!strings.Contains(err.Error(), "INC-20261127-161200-aaaa") || !strings.Contains(err.Error(), "INC-20261127-171500-bbbb") {
		t.Errorf("an ambiguous middle part: %v; want the two matches listed", err)
	}
	// A partial match needs a journal, as a full ID does.
	os.MkdirAll(filepath.Join(store.Root, "INC-20261129-100000-dddd"), 0o700)
	if _, err := store.Open("dddd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an incident without a journal opened: %v", err)
	}
}

func TestSummarize(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 16, 12, 0, 0, time.UTC)
	recs := []journal.Record{
		{Type: journal.IncidentStarted, Time: t0, Data: map[string]any{"playbook": "leaked-key"}},
		{Type: journal.StepFinished, Time: t0.Add(2 * time.Second), Status: journal.StatusOK},
		{Type: journal.StepFinished, Time: t0.Add(3500 * time.Millisecond), Status: journal.StatusOK, Evidence: map[string]any{"contained": true}},
		{Type: journal.StepFinished, Time: t0.Add(5 * time.Second), Status: journal.StatusFailed},
		{Type: journal.IncidentFinished, Time: t0.Add(6 * time.Second), Status: "partial"},
	}
	s := Summarize("INC-x", recs)
	if s.Playbook != "leaked-key" || s.Status != "partial" || s.Steps != 2 || s.Failed != 1 {
		t.Errorf("summary = %+v", s)
	}
	if s.TimeToContain == nil || *s.TimeToContain != 3500*time.Millisecond {
		t.Errorf("time to contain = %v, want 3.5s (computed from the journal)", s.TimeToContain)
	}
}

func TestKeyLocks(t *testing.T) {
	dir := t.TempDir()
	a := NewKeyLocks(dir, Holder{PID: 1, User: "alice", Host: "h", Incident: "INC-A"})
	b := NewKeyLocks(dir, Holder{PID: 2, User: "bob", Host: "h", Incident: "INC-B"})
	if err := a.Lock(context.Background(), []string{"openai/key_1", "alert/acme/api#1"}); err != nil {
		t.Fatal(err)
	}
	// Taking a name again in the same process is fine.
	if err := a.Lock(context.Background(), []string{"openai/key_1"}); err != nil {
		t.Fatal(err)
	}
	err := b.Lock(context.Background(), []string{"sha256:x", "alert/acme/api#1"})
	var le *KeyLockedError
	if !errors.As(err, &le) || !errors.Is(err, step.ErrLocked) {
		t.Fatalf("second responder: %v, want a KeyLockedError", err)
	}
	for _, want := range []string{"alert acme/api#1", "alice", "INC-A"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
	// All or nothing: b took none, so a third responder can take sha256:x.
	c := NewKeyLocks(dir, Holder{PID: 3, User: "carol", Host: "h"})
	if err := c.Lock(context.Background(), []string{"sha256:x"}); err != nil {
		t.Fatalf("sha256:x should be free: %v", err)
	}
	a.Release()
	if err := b.Lock(context.Background(), []string{"openai/key_1", "alert/acme/api#1"}); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestHeld(t *testing.T) {
	s := NewStore(t.TempDir())
	inc, err := s.Create(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if inc.Held() {
		t.Fatal("a new incident is held")
	}
	l, err := inc.Lock(Holder{PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !inc.Held() {
		t.Fatal("a locked incident is not held")
	}
	l.Release()
	if inc.Held() {
		t.Fatal("a released incident is held")
	}
}

// TestJournalKey: the state directory's key is created once (0600,
// outside the incident directories), read back the same, never created
// when it must exist, and refused when others may read it.
func TestJournalKey(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	s := NewStore(state)
	if _, err := s.JournalKey(false); !errors.Is(err, ErrNoJournalKey) {
		t.Fatalf("JournalKey(false) without a key = %v, want ErrNoJournalKey", err)
	}
	k1, err := s.JournalKey(true)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := s.JournalKey(false)
	if err != nil || !bytes.Equal(k1.Bytes(), k2.Bytes()) {
		t.Fatalf("the key read back differs (%v)", err)
	}
	path := filepath.Join(state, JournalKeyFile)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := s.JournalKey(false); !errors.Is(err, owned.ErrNotTrusted) {
		t.Errorf("a group-readable key: %v, want it refused", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// A key a crash cut short sealed nothing: a new one replaces it; a
	// damaged whole one is never replaced.
	if err := os.WriteFile(path, []byte("0123"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.JournalKey(false); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a cut key, not creating: %v", err)
	}
	if k, err := s.JournalKey(true); err != nil || bytes.Equal(k.Bytes(), k1.Bytes()) {
		t.Errorf("a cut key, creating: %v", err)
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("zz", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.JournalKey(true); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a damaged key was replaced: %v", err)
	}
}

// TestStoreRefusesStateNotOwned: issue #17 item 3. A state directory,
// incidents directory or incident directory that others may write is
// refused when incidents are listed, opened or created.
func TestStoreRefusesStateNotOwned(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	s := NewStore(state)
	inc, err := s.Create(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inc.JournalPath(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{state, s.Root, inc.Dir} {
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		_, errIDs := s.IDs()
		_, errOpen := s.Open(inc.ID)
		for what, err := range map[string]error{"IDs": errIDs, "Open": errOpen} {
			if dir == inc.Dir && what == "IDs" {
				continue // listing does not open each incident
			}
			if !errors.Is(err, owned.ErrNotTrusted) || !strings.Contains(err.Error(), "chmod go-w "+dir) {
				t.Errorf("%s with %s 0777: %v", what, dir, err)
			}
		}
		if dir != inc.Dir {
			if _, err := s.Create(time.Now()); !errors.Is(err, owned.ErrNotTrusted) {
				t.Errorf("Create with %s 0777: %v", dir, err)
			}
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// An incident directory that is a link is not followed.
	elsewhere := filepath.Join(t.TempDir(), "planted")
	if err := os.Mkdir(elsewhere, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "journal.jsonl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	id := "INC-20261127-161200-ab12"
	if err := os.Symlink(elsewhere, filepath.Join(s.Root, id)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(id); !errors.Is(err, owned.ErrNotTrusted) {
		t.Errorf("Open(linked incident) = %v", err)
	}
	// Locks: a locks directory others may write is refused.
	kl := NewKeyLocks(state, Holder{PID: 1})
	if err := kl.Lock(context.Background(), []string{"openai/key_a"}); err != nil {
		t.Fatal(err)
	}
	kl.Release()
	if err := os.Chmod(filepath.Join(state, "locks"), 0o770); err != nil {
		t.Fatal(err)
	}
	if err := kl.Lock(context.Background(), []string{"openai/key_a"}); !errors.Is(err, owned.ErrNotTrusted) {
		t.Errorf("Lock with locks/ 0770: %v", err)
	}
}
