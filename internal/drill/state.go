package drill

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/atomicfile"
	"github.com/respondhq/respond/internal/secret"
)

// Files in a drill's directory.
const (
	RecordFile    = "drill.json"    // the Record
	ScenarioFile  = "scenario.yaml" // the scenario as it started
	WorkDir       = "work"          // the trainees' working directory
	InventoryFile = "respond.yaml"  // in WorkDir: the team's inventory
	FullInventory = "inventory-full.yaml"
	StateDir      = "state" // the trainees' RESPOND_STATE_DIR
	IdealDir      = "ideal" // the ideal run
	DebriefName   = "debrief"
	// FacilitatorDir (mode 0700) holds what is the facilitator's alone
	// while a live drill runs: TokenFile, their control token.
	FacilitatorDir = "facilitator"
	TokenFile      = "token"
)

// Environment a drill's exports set, read by respond in the trainees'
// shells: RESPOND_DRILL is the drill's directory, RESPOND_DRILL_TRAINEE
// the trainee's name.
const (
	EnvDrill   = "RESPOND_DRILL"
	EnvTrainee = "RESPOND_DRILL_TRAINEE"
)

// Record is what a drill's directory says about it: how other terminals
// find the drill (its control API's URL) and what it was. It holds no
// credential.
type Record struct {
	ID        string    `json:"id"`
	Scenario  string    `json:"scenario"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	PID       int       `json:"pid"`
	Dir       string    `json:"dir"`
	StateDir  string    `json:"state_dir"`
	WorkDir   string    `json:"work_dir"`
	Inventory string    `json:"inventory"`
	Started   time.Time `json:"started"`
	// Facilitator is who runs the drill and holds its control API.
	Facilitator string `json:"facilitator,omitempty"`
	// TimeLimitSeconds: the drill ends by itself this long after it
	// started.
	TimeLimitSeconds float64    `json:"time_limit_seconds,omitempty"`
	Ended            *time.Time `json:"ended,omitempty"`
	Trainees         []string   `json:"trainees"`
	// Injects is the inject timeline so far.
	Injects []FiredInject `json:"injects"`
	Debrief []string      `json:"debrief,omitempty"`
	Score   *float64      `json:"score,omitempty"`
}

// ReadRecord reads the record of the drill in dir.
func ReadRecord(dir string) (*Record, error) {
	b, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a drill's directory (no %s): give the directory `respond drill start` printed, with --drill DIR", dir, RecordFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read the drill in %s: %w", dir, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("the drill record %s is damaged: %w", filepath.Join(dir, RecordFile), err)
	}
	return &r, nil
}

func writeRecord(dir string, r *Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, RecordFile), append(b, '\n'), nil)
}

// NewControlToken returns a new random control token for a drill's
// facilitator.
func NewControlToken() (secret.Value, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return secret.Value{}, fmt.Errorf("generate the drill's control token: %w", err)
	}
	return secret.New("respond-drill-" + hex.EncodeToString(b)), nil
}

// writeControlToken keeps the facilitator's control token in the drill's
// facilitator directory, readable by its owner only.
func writeControlToken(dir string, token secret.Value) error {
	fdir := filepath.Join(dir, FacilitatorDir)
	if err := os.MkdirAll(fdir, 0o700); err != nil {
		return fmt.Errorf("create the facilitator's directory: %w", err)
	}
	if err := os.Chmod(fdir, 0o700); err != nil {
		return fmt.Errorf("make the facilitator's directory private: %w", err)
	}
	return atomicfile.WriteMode(filepath.Join(fdir, TokenFile), []byte(token.Reveal()+"\n"), 0o600, nil)
}

// ReadControlToken reads the facilitator's control token of the drill in
// dir. It is there while the drill runs, for the facilitator's own
// commands (respond drill inject, end) in another terminal.
func ReadControlToken(dir string) (secret.Value, error) {
	b, err := os.ReadFile(filepath.Join(dir, FacilitatorDir, TokenFile))
	if err != nil {
		return secret.Value{}, err
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return secret.Value{}, fmt.Errorf("%s is empty", filepath.Join(dir, FacilitatorDir, TokenFile))
	}
	return secret.New(t), nil
}

// Client talks to a running drill's control API (/_drill/). Credential
// is who it speaks for: the facilitator's control token, or a trainee's
// own GitHub token (then the facilitator's routes refuse it, and the
// refusal is in the debrief).
type Client struct {
	URL        string
	HTTP       *http.Client
	Credential secret.Value
}

// NewClient returns a client of the drill a record describes.
func NewClient(r *Record) *Client {
	return &Client{URL: strings.TrimSuffix(r.URL, "/"), HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// ErrNotRunning: the drill's server does not answer (it ended, or its
// process is gone).
var ErrNotRunning = errors.New("the drill is not running")

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+"/_drill/"+path, body)
	if err != nil {
		return err
	}
	// The control API takes JSON on every write, and asks who is calling.
	req.Header.Set("Content-Type", "application/json")
	if !c.Credential.IsZero() {
		req.Header.Set("Authorization", "Bearer "+c.Credential.Reveal())
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s does not answer (%v); `respond drill start` serves it until `respond drill end`", ErrNotRunning, c.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read the drill's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			if resp.StatusCode == http.StatusGone {
				return fmt.Errorf("%w: %s", ErrNotRunning, e.Message)
			}
			return errors.New(e.Message)
		}
		return fmt.Errorf("the drill answered %s", resp.Status)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("the drill's answer is not what respond expects: %w", err)
		}
	}
	return nil
}

// Status returns the drill's live status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodGet, "status", nil, &s)
}

// Join adds a trainee and returns their exports.
func (c *Client) Join(ctx context.Context, name string) (*Joined, error) {
	var j Joined
	return &j, c.do(ctx, http.MethodPost, "join", map[string]string{"name": name}, &j)
}

// Plan returns the scenario's notes and the injects the drill can fire
// (the facilitator's).
func (c *Client) Plan(ctx context.Context) (*Plan, error) {
	var p Plan
	return &p, c.do(ctx, http.MethodGet, "injects", nil, &p)
}

// Inject fires an inject by name.
func (c *Client) Inject(ctx context.Context, name, by string) (*FiredInject, error) {
	var f FiredInject
	return &f, c.do(ctx, http.MethodPost, "inject", map[string]string{"name": name, "by": by}, &f)
}

// End ends the drill: the world freezes, the score and the debrief are
// written.
func (c *Client) End(ctx context.Context, by string) (*Result, error) {
	var r Result
	return &r, c.do(ctx, http.MethodPost, "end", map[string]string{"by": by}, &r)
}

func filepathJoin(elem ...string) string { return filepath.Join(elem...) }
