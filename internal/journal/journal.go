// Package journal is an incident's append-only record: JSON lines, one per
// event, each fsync'd before the next action and sealed with a MAC chained
// to the one before (seal.go). It is the single source for resume and
// reports. It never holds a secret value: secrets are written as
// fingerprints, and every line is also passed through the run's secret
// registry as a last line of defence.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/owned"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// FileName is the journal's name inside an incident directory.
const FileName = "journal.jsonl"

// Record types.
const (
	IncidentStarted = "incident.started" // Data: playbook, digest, inputs, responder
	RunStarted      = "run.started"      // each invocation (first run or resume): pid, host, user
	PlanRecorded    = "plan"             // Plan: the rows shown to the responder
	Approved        = "approval"         // Message: question; Data: by, how, approved
	StepStarted     = "step.started"     // intent: Step, Item, Attempt, Plan
	StepFinished    = "step.finished"    // Status ok|failed|skipped; Outputs, Evidence, DurationMS, Error
	// StepCheckpoint: what a step recorded during an attempt, before an
	// action whose result could be lost with the process (the access keys
	// a user had before respond created one). Data; never secrets.
	StepCheckpoint = "step.checkpoint"
	// StepRecovered: a resume recovered the secret outputs of a completed
	// step (the replacement, read back from a place that holds it) instead
	// of applying it again. Message: from where; Evidence.
	StepRecovered    = "step.recovered"
	NoteAdded        = "note"              // Message
	RunInterrupted   = "run.interrupted"   // Message: why (signal, error)
	IncidentFinished = "incident.finished" // Status: completed|failed|partial|cancelled|refused|planned
	// OutcomeRecorded: after each run, the response judged against the
	// invariant. Status: recovered, "contained, not recovered" or "not
	// contained"; Message: the promises that do not hold.
	OutcomeRecorded = "outcome"
)

// Step statuses.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Record is one line of the journal.
type Record struct {
	Seq        int            `json:"seq"`
	Time       time.Time      `json:"time"`
	Type       string         `json:"type"`
	Step       string         `json:"step,omitempty"`
	Item       string         `json:"item,omitempty"`
	Attempt    int            `json:"attempt,omitempty"`
	Status     string         `json:"status,omitempty"`
	Message    string         `json:"message,omitempty"`
	Error      string         `json:"error,omitempty"`
	DurationMS int64          `json:"duration_ms,omitempty"`
	Plan       []step.Change  `json:"plan,omitempty"`
	Outputs    map[string]any `json:"outputs,omitempty"`
	Evidence   map[string]any `json:"evidence,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

// SecretRef is how a secret output is journaled.
type SecretRef struct {
	Secret      bool   `json:"secret"`
	Fingerprint string `json:"fingerprint"`
	Redacted    string `json:"redacted"`
}

// Sanitize returns m with every secret.Value replaced by a SecretRef, so a
// map can be journaled. Nested maps and slices are walked.
func Sanitize(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = sanitize(v)
	}
	return out
}

func sanitize(v any) any {
	switch x := v.(type) {
	case secret.Value:
		return SecretRef{Secret: true, Fingerprint: x.Fingerprint(), Redacted: x.Redacted()}
	case secret.Credential:
		return x.Ref()
	case map[string]any:
		return Sanitize(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = sanitize(x[i])
		}
		return out
	}
	return v
}

// Writer appends records to a journal file.
type Writer struct {
	mu      sync.Mutex
	f       *os.File
	seq     int
	key     Key
	prev    []byte // the MAC of the last record
	secrets *secret.Registry
	now     func() time.Time
}

// Open opens (creating if needed) the journal at path for appending, its
// records sealed with key (the incident's: Key.For). The records already
// there must pass their seals (a *TamperError otherwise: nothing is
// appended to a journal someone changed); the sequence and the seal chain
// continue from them. A torn last line (a write cut short by a crash) is
// cut off first, so the next record starts on a line of its own. The file
// is opened without following a symbolic link, and refused unless it is
// the user's and nobody else may write it (internal/owned).
func Open(path string, key Key, secrets *secret.Registry) (*Writer, error) {
	if key.IsZero() || key.incident == "" {
		return nil, fmt.Errorf("open journal %s: no key to seal it with", path)
	}
	_, statErr := os.Lstat(path)
	f, err := owned.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600, "journal", false)
	if err != nil {
		if errors.Is(err, owned.ErrNotTrusted) {
			return nil, err
		}
		return nil, fmt.Errorf("open journal: %w", err)
	}
	w, err := resumeWriter(f, path, key)
	if err != nil {
		f.Close()
		return nil, err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// A new journal's directory entry must survive a crash too.
		syncDir(filepath.Dir(path))
	}
	if secrets == nil {
		secrets = secret.NewRegistry()
	}
	w.secrets, w.now = secrets, time.Now
	return w, nil
}

// resumeWriter checks the records already in f, cuts a torn last line
// off, and returns a writer that continues their sequence and seals.
func resumeWriter(f *os.File, path string, key Key) (*Writer, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read journal %s: %w", path, err)
	}
	complete, last, err := verify(path, data, key)
	if err != nil {
		return nil, err
	}
	if complete < len(data) {
		if err := f.Truncate(int64(complete)); err != nil {
			return nil, fmt.Errorf("repair the torn last line of journal %s: %w", path, err)
		}
	}
	w := &Writer{f: f, key: key, prev: last}
	if recs, err := Read(bytes.NewReader(data[:complete])); err != nil {
		return nil, fmt.Errorf("read journal %s: %w", path, err)
	} else if n := len(recs); n > 0 {
		w.seq = recs[n-1].Seq
	}
	return w, nil
}

// SetClock replaces the clock (tests).
func (w *Writer) SetClock(now func() time.Time) { w.now = now }

// Append stamps r with the next sequence number and the time (unless set),
// writes it as one line and fsyncs. It returns the record as written.
func (w *Writer) Append(r Record) (Record, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	r.Seq = w.seq
	if r.Time.IsZero() {
		r.Time = w.now().UTC()
	}
	r.Outputs = Sanitize(r.Outputs)
	r.Evidence = Sanitize(r.Evidence)
	r.Data = Sanitize(r.Data)
	b, err := json.Marshal(r)
	if err != nil {
		w.seq--
		return r, fmt.Errorf("journal record %q: %w", r.Type, err)
	}
	b = w.secrets.Mask(b)
	line, mac := w.key.seal(w.prev, b)
	line = append(line, '\n')
	if _, err := w.f.Write(line); err != nil {
		return r, fmt.Errorf("write journal %s: %w", w.f.Name(), err)
	}
	if err := w.f.Sync(); err != nil {
		return r, fmt.Errorf("sync journal %s: %w", w.f.Name(), err)
	}
	w.prev = mac
	return r, nil
}

// syncDir fsyncs a directory, where the platform allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

// ReadFile reads every complete record of a journal. A final line without
// a newline (a write cut short by a crash) is ignored. Seals are not
// checked (ReadSealed does): reports and listings read it as it is. The
// file is opened without following a symbolic link, and refused unless it
// is the user's and nobody else may write it (internal/owned).
func ReadFile(path string) ([]Record, error) {
	f, err := owned.OpenFile(path, os.O_RDONLY, 0, "journal", false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// ReadSealed reads a journal as ReadFile does, after checking every
// complete record against its seal with key (the incident's): a
// *TamperError says where the chain breaks. A torn last line is not
// tampering: it is left out, as ReadFile does.
func ReadSealed(path string, key Key) ([]Record, error) {
	f, err := owned.OpenFile(path, os.O_RDONLY, 0, "journal", false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	complete, _, err := verify(path, data, key)
	if err != nil {
		return nil, err
	}
	return Read(bytes.NewReader(data[:complete]))
}

// Read parses journal lines from r.
func Read(r io.Reader) ([]Record, error) {
	var recs []Record
	br := bufio.NewReader(r)
	line := 0
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 && b[len(b)-1] == '\n' {
			line++
			b = bytes.TrimSpace(b)
			if len(b) > 0 {
				var rec Record
				if err := json.Unmarshal(b, &rec); err != nil {
					return recs, fmt.Errorf("journal line %d: %w", line, err)
				}
				recs = append(recs, rec)
			}
		}
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
	}
}
