package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/atomicfile"
)

// StoreFile is watch's state, in <state dir>/watch/.
const StoreFile = "watch.json"

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
	Alerts     map[string]AlertRecord `json:"alerts"`
	Deliveries map[string]time.Time   `json:"deliveries"`
	Cursors    map[string]Cursor      `json:"cursors"`
}

// Store is watch's state: the decision on every alert, recent delivery
// IDs and the polling cursors, in one file written atomically on every
// change. A Store with no directory keeps everything in memory (a dry run
// must not change what a later real run does).
type Store struct {
	path string
	mu   sync.Mutex
	st   storeState
}

// OpenStore reads (or starts) the store in dir; dir "" keeps it in memory.
func OpenStore(dir string) (*Store, error) {
	s := &Store{st: storeState{Alerts: map[string]AlertRecord{}, Deliveries: map[string]time.Time{}, Cursors: map[string]Cursor{}}}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create watch's state directory %s: %w (set --state-dir to a writable directory)", dir, err)
	}
	s.path = filepath.Join(dir, StoreFile)
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("read watch's state %s: %w", s.path, err)
	}
	if err := json.Unmarshal(b, &s.st); err != nil {
		return nil, fmt.Errorf("watch's state %s is not valid JSON (%v): move it aside to start afresh (alerts already handled may then be handled again)", s.path, err)
	}
	if s.st.Alerts == nil {
		s.st.Alerts = map[string]AlertRecord{}
	}
	if s.st.Deliveries == nil {
		s.st.Deliveries = map[string]time.Time{}
	}
	if s.st.Cursors == nil {
		s.st.Cursors = map[string]Cursor{}
	}
	return s, nil
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.Deliveries[id]; ok {
		return true, nil
	}
	s.st.Deliveries[id] = now.UTC()
	if len(s.st.Deliveries) > maxDeliveries {
		type kv struct {
			id string
			at time.Time
		}
		all := make([]kv, 0, len(s.st.Deliveries))
		for k, v := range s.st.Deliveries {
			all = append(all, kv{k, v})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
		for _, x := range all[:len(all)-maxDeliveries] {
			delete(s.st.Deliveries, x.id)
		}
	}
	return false, s.save()
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
