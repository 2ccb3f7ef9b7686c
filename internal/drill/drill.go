package drill

import (
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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/githubsim"
)

// Run is one run of respond that a drill makes itself: the teammate's
// response, the ideal run, the automatic demonstration. The command line
// (internal/cli) carries it out, exactly as `respond leaked-key` or
// `respond resume` would in a trainee's shell with these exports.
type Run struct {
	// Env holds OPENAI_BASE_URL, OPENAI_ADMIN_KEY, GITHUB_API_URL and
	// GITHUB_TOKEN: the person's credentials on the simulator.
	Env       map[string]string
	StateDir  string
	Inventory string
	// Person is who runs it (the journal's responder); Drill marks the
	// incident as a drill's.
	Person string
	Drill  map[string]any
	// leaked-key's options.
	Alert, KeyID, Project string
	Force                 bool
	// Resume, when set, resumes that incident instead.
	Resume string
	// Stop, when set, is called before each step starts (the teammate is
	// stuck there).
	Stop func(step string)
	// Out and ErrOut get its output (nil: discarded). Interactive asks at
	// decisions on the terminal instead of answering yes.
	Out, ErrOut io.Writer
	Interactive bool
}

// Responder carries out a Run and returns the incident's ID ("" when none
// was created).
type Responder func(ctx context.Context, r Run) (string, error)

// Mode is how a drill is played.
type Mode int

const (
	// Live: trainees play in their own terminals; timed injects fire on
	// the clock.
	Live Mode = iota
	// Played: the drill plays its scenario's ideal steps itself (the ideal
	// run, the automatic demonstration): only the injects at 0s fire by
	// themselves; the others when a step fires them.
	Played
)

// Config configure a drill.
type Config struct {
	Scenario *Scenario
	// Source is the scenario's YAML, kept in the drill's directory.
	Source []byte
	// Dir is the drill's directory (created; must not hold a drill).
	Dir string
	// ID is the drill's ID (default NewID).
	ID string
	// Addr is where the simulator listens (default a free loopback
	// port).
	Addr string
	Mode Mode
	// Facilitator names who started it: the control API's controller.
	Facilitator string
	// ControlToken is the facilitator's credential on the control API
	// (default: a new random one). A live drill keeps it in its
	// facilitator directory (FacilitatorDir, mode 0700).
	ControlToken secret.Value
	Responder    Responder
	// Ideal plays the ideal run when the drill ends, for the debrief: it
	// is not on disk, nor anywhere a trainee can read, while they play.
	Ideal bool
	// Tick is the live world's step (default 100ms).
	Tick time.Duration
	// Latency is added to every simulated API response.
	Latency time.Duration
	// Watcher runs respond watch beside the trainees of a live drill
	// whose scenario asks for it (Scenario.Watch), on a twin of its world.
	Watcher Watcher

	// twin: this drill is the twin world of another, where watch runs.
	twin bool
}

// Trainee is someone playing the drill.
type Trainee struct {
	Name   string    `json:"name"`
	Login  string    `json:"login"`
	Joined time.Time `json:"joined"`
	creds  sim.Credentials
}

// FiredInject is an inject that happened.
type FiredInject struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Description string    `json:"description,omitempty"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
	Detail      string    `json:"detail"`
}

// Drill is a running drill.
type Drill struct {
	cfg     Config
	sc      *Scenario
	s       *sim.Sim
	id      string
	dir     string
	created time.Time // when it was set up (before a teammate started)
	started time.Time // when the clock started
	info    sim.ScenarioInfo
	rec     *Record

	ctx    context.Context
	cancel context.CancelFunc

	// facilitator is the control API's controller, by name.
	facilitator string

	mu           sync.Mutex
	trainees     []*Trainee
	readOnly     []string
	fired        []FiredInject
	pending      []*pendingInject
	leaked       []secret.Value // every leaked value: the scenario's, and second leaks
	lastInc      string
	result       *Result
	ending       bool
	endedCh      chan struct{}
	stopTimeline chan struct{} // closed to stop the timed injects

	tm *teammateRun

	// watch is respond watch beside the trainees (Scenario.Watch).
	watch *watchBeside
}

type pendingInject struct {
	in      *Inject
	condAt  *time.Time
	stopped bool
}

// NewID returns a drill ID: DRILL-20261127-161200-ab12.
func NewID(t time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return "DRILL-" + t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// Start seeds the scenario's world, starts the simulator with its live
// world and the control API /_drill/ (both the facilitator's: the
// control token is the facilitator's, and a live drill keeps it in its
// facilitator directory, mode 0700), writes the drill's directory and
// (for a teammate scenario) starts the teammate's response. It returns
// once the drill can be joined.
//
// While a live drill runs, nothing a trainee can read holds the answer:
// the scenario (its notes), the full inventory and the ideal run are
// written when it ends, and the simulator's control API asks for the
// facilitator's token.
func Start(ctx context.Context, cfg Config) (d *Drill, err error) {
	sc := cfg.Scenario
	if sc == nil {
		return nil, errors.New("no drill scenario")
	}
	if cfg.Responder == nil {
		return nil, errors.New("a drill needs a responder to run respond")
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, RecordFile)); err == nil {
		return nil, fmt.Errorf("%s holds a drill already: give a new directory", cfg.Dir)
	}
	for _, sub := range []string{"", WorkDir, StateDir} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("create the drill's directory: %w", err)
		}
	}
	token := cfg.ControlToken
	if token.IsZero() {
		if token, err = NewControlToken(); err != nil {
			return nil, err
		}
	}
	facilitator := strings.TrimSpace(cfg.Facilitator)
	if facilitator == "" {
		facilitator = "facilitator"
	}
	opts := sc.Options()
	opts.Addr = cfg.Addr
	opts.Latency = cfg.Latency
	s, err := sim.Start(context.WithoutCancel(ctx), opts)
	if err != nil {
		return nil, fmt.Errorf("start the simulator: %w", err)
	}
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var tm **teammateRun
	defer func() {
		if err != nil {
			if tm != nil && *tm != nil {
				(*tm).leave()
				(*tm).wait()
			}
			cancel()
			_ = s.Close()
		}
	}()
	d = &Drill{cfg: cfg, sc: sc, s: s, dir: cfg.Dir, info: s.Scenario(), ctx: dctx, cancel: cancel, facilitator: facilitator,
		endedCh: make(chan struct{}), stopTimeline: make(chan struct{}), readOnly: slices.Clone(sc.World.ReadOnly)}
	tm = &d.tm
	if abs, err := filepath.Abs(d.dir); err == nil {
		d.dir = abs
	}
	d.created = s.Now().UTC()
	d.id = cfg.ID
	if d.id == "" {
		d.id = NewID(d.created)
	}
	if err := s.SetController(sim.Controller{Name: facilitator, Token: token, Title: "the drill's facilitator"}); err != nil {
		return nil, err
	}
	s.LockReset(fmt.Sprintf("drill %s is running: a reset would wipe the world it scores; the facilitator ends the drill first (respond drill end)", d.id))
	if cfg.Mode == Live && !cfg.twin {
		if err := writeControlToken(d.dir, token); err != nil {
			return nil, err
		}
	}
	if v := s.LeakedKeyValue(); v != "" {
		d.leaked = append(d.leaked, secret.New(v))
	}
	if err := writeFile(filepath.Join(d.dir, WorkDir, InventoryFile), TeamInventory(d.info), 0o644); err != nil {
		return nil, err
	}
	if cfg.Mode == Played {
		// The player (the ideal run, the demonstration) knows
		// everything; a live drill writes these when it ends.
		if err := d.writeAnswer(); err != nil {
			return nil, err
		}
	}
	if err := s.Mount("/_drill/", d.Handler()); err != nil {
		return nil, err
	}

	// The teammate starts before the clock: they have been on it for a
	// while.
	if sc.Teammate != nil {
		if err := d.startTeammate(); err != nil {
			return nil, err
		}
	}
	d.started = s.Now().UTC()
	if err := s.StartLive(sim.LiveOptions{Attacker: sc.Attacker, Tick: cfg.Tick, Consumers: d.consumers()}); err != nil {
		return nil, err
	}
	d.rec = &Record{ID: d.id, Scenario: sc.Name, Title: sc.Title, URL: s.URL(), PID: os.Getpid(), Dir: d.dir,
		StateDir: filepath.Join(d.dir, StateDir), WorkDir: filepath.Join(d.dir, WorkDir),
		Inventory: filepath.Join(d.dir, WorkDir, InventoryFile), Started: d.started, Facilitator: facilitator,
		TimeLimitSeconds: sc.TimeLimit.Seconds(), Trainees: []string{}, Injects: []FiredInject{}}
	if err := writeRecord(d.dir, d.rec); err != nil {
		return nil, err
	}
	// Injects: those at 0s are the world as it starts; the others wait
	// for their time (live) or for a step that fires them (played).
	for i := range sc.Injects {
		in := &sc.Injects[i]
		switch {
		case in.Timed && in.At == 0 && in.When == "":
			if _, err := d.Inject(in.Name, "scenario"); err != nil {
				return nil, err
			}
		case in.Timed && cfg.Mode == Live:
			d.pending = append(d.pending, &pendingInject{in: in})
		}
	}
	go d.runTimeline()
	if cfg.Mode == Live && !cfg.twin && sc.Watch != nil && cfg.Watcher != nil {
		d.startWatch()
	}
	return d, nil
}

// writeAnswer writes what only the facilitator may read while a drill
// runs: the scenario as it started (its notes, its twist) and the
// inventory that lists every target.
func (d *Drill) writeAnswer() error {
	if len(d.cfg.Source) > 0 {
		if err := writeFile(filepath.Join(d.dir, ScenarioFile), d.cfg.Source, 0o644); err != nil {
			return fmt.Errorf("keep the scenario in the drill's directory: %w", err)
		}
	}
	return d.s.WriteFullInventory(filepath.Join(d.dir, FullInventory))
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// consumers are the scenario's consumers with its interval.
func (d *Drill) consumers() []sim.Consumer {
	cs := sim.DefaultConsumers(d.info)
	for i := range cs {
		cs[i].Interval = d.sc.Consumers.Interval
	}
	return cs
}

// ID is the drill's ID.
func (d *Drill) ID() string { return d.id }

// Dir is the drill's directory.
func (d *Drill) Dir() string { return d.dir }

// Sim is the drill's simulator.
func (d *Drill) Sim() *sim.Sim { return d.s }

// Info describes the seeded world.
func (d *Drill) Info() sim.ScenarioInfo { return d.info }

// Scenario is the drill's scenario.
func (d *Drill) Scenario() *Scenario { return d.sc }

// Record is the drill's record.
func (d *Drill) Record() Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := *d.rec
	r.Trainees = slices.Clone(r.Trainees)
	r.Injects = slices.Clone(r.Injects)
	return r
}

// Ended is closed once the drill has ended (End).
func (d *Drill) Ended() <-chan struct{} { return d.endedCh }

// Close ends the drill if it has not (scoring it), and stops the
// simulator.
func (d *Drill) Close() error {
	if _, err := d.End("shutdown"); err != nil && !errors.Is(err, errEnding) {
		_ = d.s.Close()
		return err
	}
	return d.s.Close()
}

// mark is the drill's mark in a journal.
func (d *Drill) mark(person string, teammate bool) map[string]any {
	m := map[string]any{"id": d.id, "scenario": d.sc.Name, "title": d.sc.Title, "trainee": person}
	if teammate {
		m["teammate"] = true
	}
	return m
}

// Joined is what a trainee gets on joining: the briefing and their
// exports.
type Joined struct {
	Trainee   string   `json:"trainee"`
	Title     string   `json:"title"`
	Briefing  Briefing `json:"briefing"`
	Exports   []Export `json:"exports"`
	Inventory string   `json:"inventory"`
	WorkDir   string   `json:"work_dir"`
	GHHint    string   `json:"gh_hint"`
}

// Export is one shell export. Values are the simulated world's own
// credentials.
type Export struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Join adds a trainee with their own GitHub token and OpenAI admin key,
// so the request log attributes their calls to them.
func (d *Drill) Join(name string) (*Joined, error) {
	name = strings.TrimSpace(name)
	if sim.Login(name) == "" {
		return nil, fmt.Errorf("a trainee's name needs a letter or digit: give --name NAME")
	}
	d.mu.Lock()
	if d.ending {
		d.mu.Unlock()
		return nil, errEnded
	}
	for _, t := range d.trainees {
		if strings.EqualFold(t.Name, name) || t.Login == sim.Login(name) {
			d.mu.Unlock()
			return nil, fmt.Errorf("%q has joined already; choose another --name", name)
		}
	}
	ro := slices.Clone(d.readOnly)
	d.mu.Unlock()
	c, err := d.s.AddPerson(name, ro)
	if err != nil {
		return nil, err
	}
	t := &Trainee{Name: name, Login: c.Login, Joined: d.s.Now().UTC(), creds: c}
	d.mu.Lock()
	d.trainees = append(d.trainees, t)
	d.rec.Trainees = append(d.rec.Trainees, name)
	err = writeRecord(d.dir, d.rec)
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	d.s.LogEvent(sim.RequestRecord{Method: "JOIN", Path: "/_drill/join", Actor: name, Detail: name + " joined the drill"})
	return d.joined(t), nil
}

func (d *Drill) joined(t *Trainee) *Joined {
	env := d.s.EnvFor(t.creds)
	j := &Joined{Trainee: t.Name, Title: d.sc.Title, Briefing: d.Briefing(), Inventory: filepath.Join(d.dir, WorkDir, InventoryFile), WorkDir: filepath.Join(d.dir, WorkDir)}
	for _, k := range []string{"OPENAI_BASE_URL", "OPENAI_ADMIN_KEY", "GITHUB_API_URL", "GITHUB_TOKEN"} {
		j.Exports = append(j.Exports, Export{k, env[k]})
	}
	j.Exports = append(j.Exports,
		Export{"RESPOND_STATE_DIR", filepath.Join(d.dir, StateDir)},
		Export{EnvDrill, d.dir},
		Export{EnvTrainee, t.Name})
	j.GHHint = "GH_HOST=github.localhost GH_TOKEN=$GITHUB_TOKEN HTTP_PROXY=" + d.s.URL()
	return j
}

// Trainees lists who has joined.
func (d *Drill) Trainees() []Trainee {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Trainee, len(d.trainees))
	for i, t := range d.trainees {
		out[i] = *t
	}
	return out
}

var (
	errEnded  = errors.New("the drill has ended: start a new one with `respond drill start`")
	errEnding = errors.New("the drill is ending")
)

// Inject fires an inject: one the scenario declares, or any inject kind
// with its defaults. by names who fired it.
func (d *Drill) Inject(name, by string) (*FiredInject, error) {
	in := d.sc.FindInject(name)
	if in == nil {
		var names []string
		for _, x := range d.sc.Injects {
			names = append(names, x.Name)
		}
		names = append(names, injectKindNames()...)
		return nil, fmt.Errorf("no inject %q in scenario %s: injects are %s", name, d.sc.Name, strings.Join(uniq(names), ", "))
	}
	d.mu.Lock()
	if d.result != nil {
		d.mu.Unlock()
		return nil, errEnded
	}
	d.mu.Unlock()
	if by == "" {
		by = d.facilitator
	}
	detail, err := d.apply(in)
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", name, err)
	}
	f := FiredInject{Name: in.Name, Kind: in.Kind, Description: in.Description, At: d.s.Now().UTC(), By: by, Detail: detail}
	d.mu.Lock()
	d.fired = append(d.fired, f)
	for _, p := range d.pending {
		if p.in.Name == in.Name {
			p.stopped = true // fired by hand: the timeline does not fire it again
		}
	}
	var werr error
	if d.rec != nil {
		d.rec.Injects = append(d.rec.Injects, f)
		werr = writeRecord(d.dir, d.rec)
	}
	d.mu.Unlock()
	if werr != nil {
		return nil, fmt.Errorf("inject %s fired, but the drill's record could not be written: %w", name, werr)
	}
	d.s.LogEvent(sim.RequestRecord{Method: "INJECT", Path: "/_drill/inject/" + in.Name, Actor: by, Detail: detail})
	d.mirror(in.Name, by)
	return &f, nil
}

func uniq(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// apply changes the world as the inject says and describes what it did.
func (d *Drill) apply(in *Inject) (string, error) {
	s := d.s
	orDefault := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	retry := sim.Duration(in.RetryAfter)
	if retry == 0 {
		retry = sim.Duration(time.Second)
	}
	switch in.Kind {
	case KindRateLimit:
		f := sim.Fault{Method: "PUT", Path: "/repos/**/secrets/*", RateLimit: sim.RateLimitSecondary, Count: orDefault(in.Count, 3), RetryAfter: retry}
		if in.Path != "" {
			f.Path = in.Path
		}
		if in.RateLimit != "" {
			f.RateLimit = in.RateLimit
		}
		f, err := s.AddFault(f)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("GitHub answers the next %d secret writes with a %s rate limit (retry after %s; fault %d)", f.Count, f.RateLimit, time.Duration(retry), f.ID), nil
	case KindServerErrors:
		n := orDefault(in.Count, 4)
		gh, err := s.AddFault(sim.Fault{Path: "/repos/**", Status: orDefault(in.Status, 502), Count: n})
		if err != nil {
			return "", err
		}
		oa, err := s.AddFault(sim.Fault{Path: "/v1/**", Status: 503, Count: n})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("a 5xx storm: the next %d GitHub repository requests answer %d (fault %d) and the next %d OpenAI requests 503 (fault %d)", n, gh.Status, gh.ID, n, oa.ID), nil
	case KindFailingTarget:
		f := sim.Fault{Method: "PUT", Path: "/repos/*/*/environments/*/secrets/*", Status: orDefault(in.Status, 502), Count: in.Count}
		if in.Path != "" {
			f.Path = in.Path
		}
		f, err := s.AddFault(f)
		if err != nil {
			return "", err
		}
		until := "until GitHub recovers"
		if f.Count > 0 {
			until = fmt.Sprintf("%d times", f.Count)
		}
		return fmt.Sprintf("writes to %s answer %d %s (fault %d)", f.Path, f.Status, until, f.ID), nil
	case KindFault:
		f := sim.Fault{Method: in.Method, Path: in.Path, Status: in.Status, RateLimit: in.RateLimit, Count: in.Count, Delay: sim.Duration(in.Delay)}
		if in.RateLimit != "" {
			f.RetryAfter = retry
		}
		f, err := s.AddFault(f)
		if err != nil {
			return "", err
		}
		what := fmt.Sprintf("status %d", f.Status)
		if f.RateLimit != "" {
			what = f.RateLimit + " rate limit"
		} else if f.Status == 0 {
			what = "a delay of " + time.Duration(f.Delay).String()
		}
		n := "every"
		if f.Count > 0 {
			n = fmt.Sprintf("the next %d", f.Count)
		}
		return fmt.Sprintf("%s %s %s request(s) get %s (fault %d)", n, orAny(f.Method), f.Path, what, f.ID), nil
	case KindRecover:
		n := len(s.Faults())
		s.ClearFaults()
		return fmt.Sprintf("GitHub and OpenAI recover: %d fault(s) cleared", n), nil
	case KindProviderRevoke:
		var ids []string
		for _, v := range d.leakedValues() {
			k, ok := s.OpenAI().KeyByValue(v.Reveal())
			if !ok || !k.Live {
				continue
			}
			if err := s.OpenAI().RevokeKey(k.ID); err != nil {
				return "", err
			}
			ids = append(ids, k.ID)
		}
		if len(ids) == 0 {
			return "OpenAI looked for the leaked key to disable it: it was already dead", nil
		}
		return "OpenAI disabled the leaked key " + strings.Join(ids, ", ") + " itself: whatever still holds it breaks", nil
	case KindNewAlert:
		repo := d.alertRepo(in.Repo, true)
		v := d.leakedValues()
		if len(v) == 0 {
			return "", errors.New("the scenario has no leaked key to find")
		}
		n := d.addAlert(repo, v[0], "config/production.env")
		if n == 0 {
			return "", fmt.Errorf("repository %s does not exist", repo)
		}
		return fmt.Sprintf("GitHub secret scanning opened alert %s#%d on the leaked key", repo, n), nil
	case KindSecondLeak:
		val, id := d.replacement()
		if val == "" {
			return "", errors.New("no replacement is deployed yet, so none can leak: fire it once a target holds one")
		}
		v := secret.New(val)
		repo := d.alertRepo(in.Repo, false)
		n := d.addAlert(repo, v, "debug/settings.py")
		if n == 0 {
			return "", fmt.Errorf("repository %s does not exist", repo)
		}
		d.mu.Lock()
		d.leaked = append(d.leaked, v)
		d.mu.Unlock()
		s.Leak(v, fmt.Sprintf("pushed to %s, alert %s#%d", repo, repo, n))
		return fmt.Sprintf("the replacement %s leaked: pushed to %s (alert %s#%d), and the attacker uses it", id, repo, repo, n), nil
	case KindGrantAccess:
		d.mu.Lock()
		was := d.readOnly
		d.readOnly = nil
		people := slices.Clone(d.trainees)
		d.mu.Unlock()
		for _, t := range people {
			if err := s.RestrictPerson(t.creds, nil); err != nil {
				return "", err
			}
		}
		if d.tm != nil {
			_ = s.RestrictPerson(d.tm.creds, nil)
		}
		if len(was) == 0 {
			return "every token could already write everywhere", nil
		}
		return "the trainees' tokens can now write to " + strings.Join(was, ", "), nil
	case KindTeammateLeaves:
		if d.tm == nil {
			return "", errors.New("this scenario has no teammate")
		}
		if !d.tm.leave() {
			return d.tm.name + " had left already", nil
		}
		id := d.tm.wait()
		return fmt.Sprintf("%s stopped: their response %s is interrupted before step %s and can be resumed", d.tm.name, id, d.sc.Teammate.Step), nil
	}
	return "", fmt.Errorf("unknown inject kind %q", in.Kind)
}

func orAny(m string) string {
	if m == "" {
		return "any"
	}
	return m
}

// alertRepo picks the repository of a new alert: the one named (a name
// in the organization, or OWNER/NAME), else an unlisted repository
// (preferUnlisted), else a listed one other than the first alert's.
func (d *Drill) alertRepo(name string, preferUnlisted bool) string {
	switch {
	case strings.Contains(name, "/"):
		return name
	case name != "":
		return d.info.Org + "/" + name
	case preferUnlisted && len(d.info.UnlistedRepos) > 0:
		return d.info.UnlistedRepos[0]
	}
	for _, r := range d.info.Repos {
		if r != d.info.AlertRepo {
			return r
		}
	}
	return d.info.AlertRepo
}

func (d *Drill) addAlert(repo string, v secret.Value, path string) int {
	owner, name, _ := strings.Cut(repo, "/")
	line := "OPENAI_API_KEY=" + v.Reveal()
	loc := githubsim.Location{Path: path, StartLine: 7, EndLine: 7, StartColumn: 16, EndColumn: len(line) + 1,
		BlobSHA: fakeSHA(repo + path + "blob"), CommitSHA: fakeSHA(repo + path + "commit")}
	return d.s.GitHub().AddAlert(owner, name, "openai_api_key", v.Reveal(), d.s.Now(), []githubsim.Location{loc})
}

func fakeSHA(s string) string {
	h := secret.Fingerprint(s) // sha256:hex
	return strings.TrimPrefix(h, "sha256:")[:40]
}

func (d *Drill) leakedValues() []secret.Value {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.leaked)
}

// replacement is the key most targets hold now, when it is live and not
// leaked: its value and ID.
func (d *Drill) replacement() (string, string) {
	vals := d.s.ConsumerValues()
	leaked := map[string]bool{}
	for _, v := range d.leakedValues() {
		leaked[v.Reveal()] = true
	}
	return pickReplacement(d.s, vals, leaked)
}

func pickReplacement(s *sim.Sim, vals map[string]string, leaked map[string]bool) (string, string) {
	count := map[string]int{}
	for _, v := range vals {
		if v != "" && !leaked[v] {
			count[v]++
		}
	}
	best, bestN, bestID := "", 0, ""
	keys := make([]string, 0, len(count))
	for v := range count {
		keys = append(keys, v)
	}
	slices.Sort(keys)
	for _, v := range keys {
		k, ok := s.OpenAI().KeyByValue(v)
		if !ok || !k.Live {
			continue
		}
		if count[v] > bestN {
			best, bestN, bestID = v, count[v], k.ID
		}
	}
	return best, bestID
}

// runTimeline fires timed injects when their time comes (live drills).
func (d *Drill) runTimeline() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-d.stopTimeline:
			return
		case <-t.C:
		}
		now := d.s.Now().UTC()
		if limit := d.sc.TimeLimit; d.cfg.Mode == Live && limit > 0 && !now.Before(d.started.Add(limit)) {
			// The time limit: the drill ends by itself, as the
			// briefing said it would.
			_, _ = d.End("the clock (time limit " + fmtSeconds(limit.Seconds()) + ")")
			return
		}
		// Conditions are checked without the lock (they read the
		// world); the pending injects are read and marked under it.
		d.mu.Lock()
		var conds []string
		for _, p := range d.pending {
			if !p.stopped && p.in.When != "" && p.condAt == nil && !slices.Contains(conds, p.in.When) {
				conds = append(conds, p.in.When)
			}
		}
		d.mu.Unlock()
		holding := map[string]bool{}
		for _, c := range conds {
			holding[c] = d.holds(c)
		}
		var due []string
		d.mu.Lock()
		for _, p := range d.pending {
			if p.stopped {
				continue
			}
			base := d.started
			if p.in.When != "" {
				if p.condAt == nil && holding[p.in.When] {
					t := now
					p.condAt = &t
				}
				if p.condAt == nil {
					continue
				}
				base = *p.condAt
			}
			if !now.Before(base.Add(p.in.At)) {
				p.stopped = true
				due = append(due, p.in.Name)
			}
		}
		d.mu.Unlock()
		for _, name := range due {
			if _, err := d.Inject(name, "timeline"); err != nil {
				d.s.LogEvent(sim.RequestRecord{Method: "INJECT", Path: "/_drill/inject/" + name, Actor: "timeline", Status: http.StatusConflict, Detail: err.Error()})
			}
		}
	}
}

// holds reports whether an inject's condition holds now.
func (d *Drill) holds(cond string) bool {
	switch cond {
	case "contained":
		st := d.s.LiveState()
		return !st.Attacker.Active
	case "replaced":
		v, _ := d.replacement()
		return v != ""
	}
	return false
}

// Status is the drill as `respond drill status` shows it.
type Status struct {
	ID             string    `json:"id"`
	Scenario       string    `json:"scenario"`
	Title          string    `json:"title"`
	Started        time.Time `json:"started"`
	ElapsedSeconds float64   `json:"elapsed_seconds"`
	// TimeLimitSeconds: the drill ends by itself then.
	TimeLimitSeconds float64 `json:"time_limit_seconds"`
	Ended            bool    `json:"ended"`
	// Contained: no key the attacker holds works.
	Contained       bool             `json:"contained"`
	ExposureSeconds float64          `json:"exposure_seconds"`
	AttackerCostUSD float64          `json:"attacker_cost_usd"`
	AttackerActive  bool             `json:"attacker_active"`
	Consumers       []StatusConsumer `json:"consumers"`
	// TargetsReplaced of Targets hold the live replacement: as the score
	// counts them (every target not left stale).
	Targets         int           `json:"targets"`
	TargetsReplaced int           `json:"targets_replaced"`
	Replacement     string        `json:"replacement,omitempty"` // its key ID
	AlertsOpen      int           `json:"alerts_open"`
	Injects         []FiredInject `json:"injects"`
	Trainees        []string      `json:"trainees"`
	Score           *float64      `json:"score,omitempty"`
}

// StatusConsumer is one consumer in the status.
type StatusConsumer struct {
	Name            string  `json:"name"`
	Up              bool    `json:"up"`
	DowntimeSeconds float64 `json:"downtime_seconds"`
}

// Status returns the drill now. Its counts come from the same judgement
// of every target as the score (judgeTargets), so they agree: while the
// drill runs, a target the inventory forgot counts once its service has
// gone down or someone has changed its key (a team hears of it then);
// once the drill has ended, every target counts.
func (d *Drill) Status() Status {
	d.s.StepLive()
	w := d.world()
	live := w.live
	d.mu.Lock()
	ended := d.result != nil
	d.mu.Unlock()
	st := Status{ID: d.id, Scenario: d.sc.Name, Title: d.sc.Title, Started: d.started, ElapsedSeconds: live.ElapsedSeconds,
		AttackerActive: live.Attacker.Active, Contained: !live.Attacker.Active, AttackerCostUSD: live.Attacker.CostUSD,
		TimeLimitSeconds: d.sc.TimeLimit.Seconds(), Consumers: []StatusConsumer{}, Injects: []FiredInject{}, Trainees: []string{}}
	for _, k := range live.Attacker.Keys {
		st.ExposureSeconds += k.ExposureSeconds
	}
	targets, rid := d.judgeTargets(w)
	for _, c := range targets {
		if !ended && !c.visible(d.info.LeakedKeyID) {
			continue
		}
		st.Targets++
		if !c.Stale {
			st.TargetsReplaced++
		}
		st.Consumers = append(st.Consumers, StatusConsumer{Name: c.Name, Up: c.Up, DowntimeSeconds: c.DowntimeSeconds})
	}
	st.Replacement = rid
	for _, a := range d.s.GitHub().Snapshot().Alerts {
		if a.State == "open" && w.leaked[a.Secret] {
			st.AlertsOpen++
		}
	}
	d.mu.Lock()
	st.Injects = append(st.Injects, d.fired...)
	for _, t := range d.trainees {
		st.Trainees = append(st.Trainees, t.Name)
	}
	if d.result != nil {
		st.Ended = true
		s := d.result.Score.Total
		st.Score = &s
	}
	d.mu.Unlock()
	return st
}

// Result is how a drill ended: its score, the ideal run's, and the
// debrief's files.
type Result struct {
	Score      Score  `json:"score"`
	Ideal      *Score `json:"ideal,omitempty"`
	IdealError string `json:"ideal_error,omitempty"`
	// Watch is the score of respond watch's twin world, when it ran
	// beside the trainees (WatchError: why it did not, or not fully).
	Watch      *Score   `json:"watch,omitempty"`
	WatchError string   `json:"watch_error,omitempty"`
	Debrief    []string `json:"debrief"`
}

// End freezes the world, scores it, writes what was the facilitator's
// alone while the drill ran (the scenario, the full inventory), plays
// the ideal run when one was asked for, and writes the debrief. Ending an
// ended drill returns the same result.
func (d *Drill) End(by string) (*Result, error) {
	d.mu.Lock()
	if d.result != nil {
		r := d.result
		d.mu.Unlock()
		return r, nil
	}
	if d.ending {
		d.mu.Unlock()
		<-d.endedCh
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.result == nil {
			return nil, errEnding
		}
		return d.result, nil
	}
	d.ending = true
	d.mu.Unlock()
	close(d.stopTimeline)
	if d.tm != nil {
		d.tm.leave()
		d.tm.wait()
	}
	d.s.FreezeLive()
	ended := d.s.Now().UTC()
	if by == "" {
		by = d.facilitator
	}
	d.s.LogEvent(sim.RequestRecord{Method: "END", Path: "/_drill/end", Actor: by, Detail: "the drill ended"})
	score := d.score()
	res := &Result{Score: score}
	res.Watch, res.WatchError = d.endWatch()
	var err error
	if d.cfg.Mode == Live {
		err = d.writeAnswer()
	}
	if d.cfg.Ideal {
		ideal, ierr := IdealRun(d.ctx, d.sc, filepath.Join(d.dir, IdealDir), d.cfg.Responder)
		res.Ideal = ideal
		if ierr != nil {
			res.IdealError = ierr.Error()
		} else if ferr := Feasible(ideal); ferr != nil {
			res.IdealError = ferr.Error()
		}
	}
	deb := d.debrief(res, ended, by)
	paths, derr := writeDebrief(d.dir, deb)
	res.Debrief = paths
	if err == nil {
		err = derr
	}
	d.cancel()
	d.mu.Lock()
	d.result = res
	d.rec.Ended = &ended
	d.rec.Debrief = paths
	total := score.Total
	d.rec.Score = &total
	werr := writeRecord(d.dir, d.rec)
	d.mu.Unlock()
	// The token drives nothing once the drill has ended.
	_ = os.Remove(filepath.Join(d.dir, FacilitatorDir, TokenFile))
	close(d.endedCh)
	if err == nil {
		err = werr
	}
	return res, err
}

// InjectInfo is one inject the drill can fire, as the facilitator's
// `respond drill inject --list` shows it.
type InjectInfo struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	When        string `json:"when"`
	Description string `json:"description"`
	Fired       bool   `json:"fired,omitempty"`
}

// Plan is what the facilitator sees of the drill ahead: the scenario's
// notes (its twist) and the injects it can fire. It is the
// facilitator's: GET /_drill/injects needs their token.
type Plan struct {
	Scenario string       `json:"scenario"`
	Notes    string       `json:"notes,omitempty"`
	Injects  []InjectInfo `json:"injects"`
}

// Plan returns the drill's notes and injects.
func (d *Drill) Plan() Plan {
	p := Plan{Scenario: d.sc.Name, Notes: strings.TrimSpace(Expand(d.sc.Notes, d.info, teammateOf(d.sc))), Injects: []InjectInfo{}}
	d.mu.Lock()
	fired := map[string]bool{}
	for _, f := range d.fired {
		fired[f.Name] = true
	}
	d.mu.Unlock()
	for _, in := range d.sc.Injects {
		when := "when fired"
		switch {
		case in.When != "":
			when = fmt.Sprintf("%s after %s", in.At, in.When)
		case in.Timed:
			when = "at " + in.At.String()
		}
		p.Injects = append(p.Injects, InjectInfo{Name: in.Name, Kind: in.Kind, When: when, Description: in.Description, Fired: fired[in.Name]})
	}
	for _, k := range InjectKinds {
		if !slices.ContainsFunc(d.sc.Injects, func(in Inject) bool { return in.Name == k.Kind }) {
			p.Injects = append(p.Injects, InjectInfo{Name: k.Kind, Kind: k.Kind, When: "when fired", Description: k.What, Fired: fired[k.Kind]})
		}
	}
	return p
}

// controlHandler serves the drill's control API under /_drill/.
type controlHandler struct{ d *Drill }

// Handler serves the control API under /_drill/, behind the simulator's
// guard: GET status (any trainee), POST join {name} (anyone who reaches
// it: how a trainee gets credentials), and the facilitator's GET injects,
// POST inject {name, by} and POST end {by}. An inject or an end is
// attributed to whoever sent it; by renames the facilitator (a
// co-facilitator at their keyboard).
func (d *Drill) Handler() http.Handler { return controlHandler{d} }

func drillRoute(r *http.Request) string {
	return strings.Trim(strings.TrimPrefix(r.URL.Path, "/_drill"), "/")
}

// ControlAccess implements sim.AccessRuler: the live view is every
// trainee's, joining is open, the rest is the facilitator's.
func (h controlHandler) ControlAccess(r *http.Request) sim.Access {
	switch route := drillRoute(r); {
	case (route == "" || route == "status") && r.Method == http.MethodGet:
		return sim.AccessParticipant
	case route == "join" && r.Method == http.MethodPost:
		return sim.AccessOpen
	}
	return sim.AccessController
}

func (h controlHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := h.d
	route := drillRoute(r)
	caller := sim.CallerOf(r.Context())
	var body struct{ Name, By string }
	if r.Method == http.MethodPost {
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "invalid JSON: " + err.Error()})
			return
		}
	}
	by := caller.Name
	if caller.Role == sim.RoleController && strings.TrimSpace(body.By) != "" {
		by = strings.TrimSpace(body.By)
	}
	fail := func(err error) {
		status := http.StatusBadRequest
		if errors.Is(err, errEnded) {
			status = http.StatusGone
		}
		writeJSON(w, status, map[string]string{"message": err.Error()})
	}
	switch {
	case (route == "" || route == "status") && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, d.Status())
	case route == "join" && r.Method == http.MethodPost:
		j, err := d.Join(body.Name)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, j)
	case route == "injects" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, d.Plan())
	case route == "inject" && r.Method == http.MethodPost:
		f, err := d.Inject(body.Name, by)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, f)
	case route == "end" && r.Method == http.MethodPost:
		res, err := d.End(by)
		if err != nil && res == nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, res)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": fmt.Sprintf("unknown drill endpoint %s %s: the drill's control API has GET /_drill/status, POST /_drill/join, and the facilitator's GET /_drill/injects, POST /_drill/inject and POST /_drill/end", r.Method, r.URL.Path)})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"the drill failed to encode its answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func teammateOf(sc *Scenario) string {
	if sc.Teammate != nil {
		return sc.Teammate.Name
	}
	return ""
}
