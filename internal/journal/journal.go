// Package journal is an incident's append-only record: JSON lines, one per
// event, each fsync'd before the next action. It is the single source for
// resume and reports. It never holds a secret value: secrets are written as
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
	secrets *secret.Registry
	now     func() time.Time
}

// Open opens (creating if needed) the journal at path for appending. The
// sequence continues from the records already there. A torn last line (a
// write cut short by a crash) is cut off first, so the next record starts
// on a line of its own.
func Open(path string, secrets *secret.Registry) (*Writer, error) {
	if err := dropTornTail(path); err != nil {
		return nil, err
	}
	seq := 0
	if recs, err := ReadFile(path); err == nil {
		if n := len(recs); n > 0 {
			seq = recs[n-1].Seq
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// A new journal's directory entry must survive a crash too.
		syncDir(filepath.Dir(path))
	}
	if secrets == nil {
		secrets = secret.NewRegistry()
	}
	return &Writer{f: f, seq: seq, secrets: secrets, now: time.Now}, nil
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
	b = append(b, '\n')
	if _, err := w.f.Write(b); err != nil {
		return r, fmt.Errorf("write journal %s: %w", w.f.Name(), err)
	}
	if err := w.f.Sync(); err != nil {
		return r, fmt.Errorf("sync journal %s: %w", w.f.Name(), err)
	}
	return r, nil
}

// syncDir fsyncs a directory, where the platform allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

func dropTornTail(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || len(b) == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read journal %s: %w", path, err)
	}
	if b[len(b)-1] == '\n' {
		return nil
	}
	if err := os.Truncate(path, int64(bytes.LastIndexByte(b, '\n')+1)); err != nil {
		return fmt.Errorf("repair the torn last line of journal %s: %w", path, err)
	}
	return nil
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

// ReadFile reads every complete record of a journal. A final line without
// a newline (a write cut short by a crash) is ignored.
func ReadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
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
