package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
)

// Watcher runs respond watch beside a live drill's trainees (internal/cli
// provides it): the real service, with the policy, credentials, state
// directory and inventory of w, until stop is called.
type Watcher func(ctx context.Context, w WatchRun) (stop func(), err error)

// WatchRun is what the watch beside a drill runs with: the twin world's
// credentials and directories.
type WatchRun struct {
	// Env holds OPENAI_BASE_URL, OPENAI_ADMIN_KEY, GITHUB_API_URL and
	// GITHUB_TOKEN: watch's own credentials on the twin's simulator.
	Env       map[string]string
	StateDir  string
	Inventory string
	// Person names watch in the journals (WatchPerson); Drill marks its
	// incidents as the twin's.
	Person string
	Drill  map[string]any
	// Org is the organization it polls; Action what its policy does with
	// every alert; Poll how often it polls.
	Org    string
	Action string
	Poll   time.Duration
	// Log is the file its JSON log lines go to.
	Log string
	// Hook points the twin's GitHub organization hook at url: the
	// secret-scanning events, signed with secret.
	Hook func(url string, secret secret.Value) error
}

// WatchPerson names respond watch in the twin's journals and timeline.
const WatchPerson = "respond watch"

// WatchDir is the twin world's drill directory, in the facilitator's
// directory: what watch does there is the facilitator's to see until the
// debrief.
const WatchDir = "watch"

// WatchLog is watch's log in the twin's directory.
const WatchLog = "watch.log"

// watchBeside is respond watch running beside the trainees.
type watchBeside struct {
	twin *Drill
	stop func()
	err  error // why it could not run
}

// startWatch starts the twin world (the same scenario and seed, its own
// simulator, a live clock) and respond watch on it. Whatever fails is
// kept for the debrief; the drill goes on without it.
func (d *Drill) startWatch() {
	w := &watchBeside{}
	defer func() {
		d.mu.Lock()
		d.watch = w
		d.mu.Unlock()
	}()
	twin, err := Start(d.ctx, Config{Scenario: d.sc, Dir: filepath.Join(d.dir, FacilitatorDir, WatchDir), ID: d.id + "-watch",
		Mode: Live, Facilitator: "the drill", Responder: d.cfg.Responder, Tick: d.cfg.Tick, Latency: d.cfg.Latency, twin: true})
	if err != nil {
		w.err = fmt.Errorf("the twin world did not start: %w", err)
		return
	}
	w.twin = twin
	if _, err := twin.Join(WatchPerson); err != nil {
		w.err = fmt.Errorf("respond watch could not join the twin world: %w", err)
		return
	}
	var creds map[string]string
	twin.mu.Lock()
	for _, t := range twin.trainees {
		if t.Name == WatchPerson {
			creds = twin.s.EnvFor(t.creds)
		}
	}
	twin.mu.Unlock()
	stop, err := d.cfg.Watcher(d.ctx, WatchRun{
		Env: creds, StateDir: filepath.Join(twin.dir, StateDir), Inventory: filepath.Join(twin.dir, WorkDir, InventoryFile),
		Person: WatchPerson, Drill: twin.mark(WatchPerson, false), Org: twin.info.Org, Action: d.sc.Watch.Action, Poll: d.sc.Watch.Poll,
		Log: filepath.Join(twin.dir, WatchLog), Hook: twin.hook,
	})
	if err != nil {
		w.err = fmt.Errorf("respond watch did not start: %w", err)
		return
	}
	w.stop = stop
}

// hook creates the organization hook that sends the twin's
// secret-scanning events to url, as the organization's owner would.
func (d *Drill) hook(url string, sec secret.Value) error {
	body, _ := json.Marshal(map[string]any{"name": "web", "active": true,
		"events": []string{"secret_scanning_alert", "secret_scanning_alert_location"},
		"config": map[string]any{"url": url, "content_type": "json", "secret": sec.Reveal(), "insecure_ssl": "0"}})
	env := d.s.Env()
	req, err := http.NewRequest(http.MethodPost, env["GITHUB_API_URL"]+"/orgs/"+d.info.Org+"/hooks", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+env["GITHUB_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("create the organization hook: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("create the organization hook: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// mirror fires on the twin an inject a person fired here (timed injects
// fire on the twin's own clock, conditional ones when its world meets
// their condition).
func (d *Drill) mirror(name, by string) {
	d.mu.Lock()
	w := d.watch
	d.mu.Unlock()
	if w == nil || w.twin == nil || by == "timeline" || by == "scenario" {
		return
	}
	if _, err := w.twin.Inject(name, by); err != nil && !errors.Is(err, errEnded) {
		w.twin.s.LogEvent(sim.RequestRecord{Method: "INJECT", Path: "/_drill/inject/" + name, Actor: by, Status: http.StatusConflict,
			Detail: "not fired on the twin world: " + err.Error()})
	}
}

// endWatch stops watch, ends the twin world and scores it.
func (d *Drill) endWatch() (*Score, string) {
	d.mu.Lock()
	w := d.watch
	d.mu.Unlock()
	if w == nil {
		return nil, ""
	}
	if w.stop != nil {
		w.stop()
	}
	if w.twin == nil {
		return nil, w.err.Error()
	}
	defer w.twin.s.Close()
	res, err := w.twin.End("the drill's end")
	if res == nil {
		if err == nil {
			err = errors.New("no score")
		}
		return nil, fmt.Sprintf("the twin world could not be scored: %v", err)
	}
	if w.err != nil {
		return &res.Score, w.err.Error()
	}
	return &res.Score, ""
}

// Twin is the twin world where respond watch runs beside the trainees
// (nil when it does not).
func (d *Drill) Twin() *Drill {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.watch == nil {
		return nil
	}
	return d.watch.twin
}
