package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/atomicfile"
)

// StoreFile is watch's state, in <state dir>/watch/.
const StoreFile = "watch.json"

// DeliveriesFile lists the delivery IDs received, one a line ("ID TIME"),
// appended as they come (a delivery costs one short write, not a rewrite
// of the state); it is compacted when it opens.
const DeliveriesFile = "deliveries.log"

// maxDeliveries bounds the delivery IDs kept for replay detection.
const maxDeliveries = 20000

// Alert statuses in the store.
const (
	// StatusDecided: the policy decided; nothing is running for it (ignore,
	// notify, or a dry run).
	StatusDecided = "decided"
	// StatusRunning: a response was started and has not ended (after a
	// restart: resume it).
	StatusRunning = "running"
	// StatusDone: the response ended (Outcome says how).
	StatusDone = "done"
	// StatusAttached: another alert's response covers this alert's key
	// (Primary); it is resolved when that response contains the key.
	StatusAttached = "attached"
)

// AlertRecord is what watch decided and did about one alert.
type AlertRecord struct {
	Action Action `json:"action"`
	Rule   string `json:"rule"`
	Status string `json:"status"`
	// Incident is the response's incident, once known.
	Incident string `json:"incident,omitempty"`
	// Fingerprint is the sha256 fingerprint of the alert's secret (never
	// the secret), for one response per key.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Primary is the alert whose response covers this one (attached).
	Primary string `json:"primary,omitempty"`
	// Outcome is the response's verdict (recovered, "contained, not
	// recovered", …).
	Outcome string `json:"outcome,omitempty"`
	// Contained: the response contained the key.
	Contained bool `json:"contained,omitempty"`
	// Received is when a delivery named the alert, set before the
	// delivery is answered and cleared once the alert is decided: GitHub
	// does not send an answered delivery again, so an alert whose
	// replica died in between is decided after the restart from this.
	Received time.Time `json:"received,omitzero"`
	// AlertCreated and AlertUpdated are the alert's times when decided.
	AlertCreated time.Time `json:"alert_created"`
	AlertUpdated time.Time `json:"alert_updated"`
	DecidedAt    time.Time `json:"decided_at"`
}

// Cursor is where polling of one organization got to.
type Cursor struct {
	// ETag of the first page of open alerts (most recently updated
	// first): unchanged, it costs a free 304.
	ETag string `json:"etag,omitempty"`
	// Updated is the newest updated_at seen; Alerts, the alerts seen with
	// exactly that time (so an alert is neither missed nor repeated when
	// several share a second).
	Updated time.Time `json:"updated"`
	Alerts  []string  `json:"alerts,omitempty"`
}

type storeState struct {
	Alerts  map[string]AlertRecord `json:"alerts"`
	Cursors map[string]Cursor      `json:"cursors"`
}

// Store is watch's state: the decision on every alert, recent delivery
// IDs and the polling cursors, in one file written atomically on every
// change. A Store with no directory keeps everything in memory (a dry run
// must not change what a later real run does).
type Store struct {
	path       string
	mu         sync.Mutex
	st         storeState
	deliveries map[string]time.Time
	order      []string // delivery IDs, oldest first
	dlog       *os.File // DeliveriesFile, appended
}

// OpenStore reads (or starts) the store in dir; dir "" keeps it in memory.
func OpenStore(dir string) (*Store, error) {
	s := &Store{st: storeState{Alerts: map[string]AlertRecord{}, Cursors: map[string]Cursor{}}, deliveries: map[string]time.Time{}}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create watch's state directory %s: %w (set --state-dir to a writable directory)", dir, err)
	}
	s.path = filepath.Join(dir, StoreFile)
	st, err := readState(s.path)
	if err != nil {
		return nil, err
	}
	s.st = st
	if err := s.openDeliveries(filepath.Join(dir, DeliveriesFile)); err != nil {
		return nil, err
	}
	return s, nil
}

// readState reads the state file (an empty state when there is none).
func readState(path string) (storeState, error) {
	st := storeState{}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return st, fmt.Errorf("read watch's state %s: %w", path, err)
	default:
		if err := json.Unmarshal(b, &st); err != nil {
			return st, fmt.Errorf("watch's state %s is not valid JSON (%v): move it aside to start afresh (alerts already handled may then be handled again)", path, err)
		}
	}
	if st.Alerts == nil {
		st.Alerts = map[string]AlertRecord{}
	}
	if st.Cursors == nil {
		st.Cursors = map[string]Cursor{}
	}
	return st, nil
}

// Reload reads the state file again: a replica that has just become the
// leader takes up what the previous leader recorded in the shared state
// directory (its decisions, the responses it left running, its cursors),
// not what this replica read when it started. The delivery IDs other
// replicas appended are read too.
func (s *Store) Reload() error {
	if s.path == "" {
		return nil
	}
	st, err := readState(s.path)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(s.path), DeliveriesFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read watch's deliveries: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
	s.rememberLines(string(b))
	return nil
}

// rememberLines records the delivery IDs of a deliveries file's lines;
// callers hold s.mu (or own s).
func (s *Store) rememberLines(text string) int {
	lines := strings.Split(text, "\n")
	for _, l := range lines {
		id, at, ok := strings.Cut(strings.TrimSpace(l), " ")
		if !ok || id == "" {
			continue
		}
		t, _ := time.Parse(time.RFC3339Nano, at)
		s.remember(id, t)
	}
	return len(lines)
}

// openDeliveries reads the delivery IDs kept, rewrites the file with the
// newest maxDeliveries when it holds more, and opens it for appending.
func (s *Store) openDeliveries(path string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read watch's deliveries %s: %w", path, err)
	}
	if n := s.rememberLines(string(b)); n > maxDeliveries+1 {
		var buf strings.Builder
		for _, id := range s.order {
			fmt.Fprintf(&buf, "%s %s\n", id, s.deliveries[id].Format(time.RFC3339Nano))
		}
		var old fs.FileInfo
		if fi, err := os.Stat(path); err == nil {
			old = fi
		}
		if err := atomicfile.WriteMode(path, []byte(buf.String()), 0o600, old); err != nil {
			return fmt.Errorf("compact watch's deliveries %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open watch's deliveries %s: %w", path, err)
	}
	s.dlog = f
	return nil
}

// remember records a delivery ID, forgetting the oldest past
// maxDeliveries; callers hold s.mu (or own s).
func (s *Store) remember(id string, at time.Time) {
	if _, ok := s.deliveries[id]; ok {
		return
	}
	s.deliveries[id] = at
	s.order = append(s.order, id)
	for len(s.order) > maxDeliveries {
		delete(s.deliveries, s.order[0])
		s.order = s.order[1:]
	}
}

// Close closes the deliveries file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dlog == nil {
		return nil
	}
	err := s.dlog.Close()
	s.dlog = nil
	return err
}

// Path is the store's file ("" in memory).
func (s *Store) Path() string { return s.path }

// save writes the state; callers hold s.mu.
func (s *Store) save() error {
	if s.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(s.st, "", " ")
	if err != nil {
		return err
	}
	var old fs.FileInfo
	if fi, err := os.Stat(s.path); err == nil {
		old = fi
	}
	if err := atomicfile.WriteMode(s.path, append(b, '\n'), 0o600, old); err != nil {
		return fmt.Errorf("save watch's state %s: %w", s.path, err)
	}
	return nil
}

// SeenDelivery records a delivery ID and reports whether it was seen
// before (a replay). The oldest IDs are forgotten past maxDeliveries.
func (s *Store) SeenDelivery(id string, now time.Time) (bool, error) {
	id = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.deliveries[id]; ok {
		return true, nil
	}
	s.remember(id, now.UTC())
	if s.dlog != nil {
		if _, err := fmt.Fprintf(s.dlog, "%s %s\n", id, now.UTC().Format(time.RFC3339Nano)); err != nil {
			return false, fmt.Errorf("record delivery %s: %w", id, err)
		}
	}
	return false, nil
}

// Alert returns the record of an alert (OWNER/REPO#N).
func (s *Store) Alert(ref string) (AlertRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.Alerts[ref]
	return r, ok
}

// PutAlert records an alert.
func (s *Store) PutAlert(ref string, r AlertRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Alerts[ref] = r
	return s.save()
}

// UpdateAlert changes an alert's record under the store's lock.
func (s *Store) UpdateAlert(ref string, change func(*AlertRecord)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.Alerts[ref]
	change(&r)
	s.st.Alerts[ref] = r
	return s.save()
}

// MarkReceived records that a delivery named the alert and it is yet to
// be decided.
func (s *Store) MarkReceived(ref string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.Alerts[ref]
	r.Received = at.UTC()
	s.st.Alerts[ref] = r
	return s.save()
}

// ClearReceived records that the alert a delivery named was decided (or
// needs nothing): a record that held nothing else goes.
func (s *Store) ClearReceived(ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.Alerts[ref]
	if !ok || r.Received.IsZero() {
		return nil
	}
	r.Received = time.Time{}
	if r == (AlertRecord{}) {
		delete(s.st.Alerts, ref)
	} else {
		s.st.Alerts[ref] = r
	}
	return s.save()
}

// Alerts returns a copy of every alert's record.
func (s *Store) Alerts() map[string]AlertRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]AlertRecord, len(s.st.Alerts))
	for k, v := range s.st.Alerts {
		out[k] = v
	}
	return out
}

// ContainedBy returns the alert whose response contained the key with
// fingerprint fp, if one did.
func (s *Store) ContainedBy(fp string) (string, AlertRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ref, r := range s.st.Alerts {
		if fp != "" && r.Fingerprint == fp && r.Status == StatusDone && r.Contained {
			return ref, r, true
		}
	}
	return "", AlertRecord{}, false
}

// Cursor returns an organization's polling cursor.
func (s *Store) Cursor(org string) Cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Cursors[org]
}

// PutCursor records an organization's polling cursor.
func (s *Store) PutCursor(org string, c Cursor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Cursors[org] = c
	return s.save()
}
