// Package drill runs training drills: a live simulated incident on
// respond's simulator, played by trainees with the ordinary commands,
// scored by outcomes and debriefed.
//
// A scenario (YAML, this file) declares the world (a seeded simulator
// scenario, repositories the inventory forgets, repositories the trainees'
// tokens may only read, a teammate already responding), the attacker, the
// consumers, the injects (timed, or fired by the facilitator), the rubric
// and the ideal run. The built-in catalog is embedded (scenarios/). A
// Drill (drill.go) is the running controller: the simulator with its live
// world, the trainees, the inject timeline, its state on disk in the
// drill's directory and a control API under /_drill/ on the simulator's
// server. End freezes the world, scores it (score.go) beside the ideal run
// (ideal.go) and writes the debrief (debrief.go). docs/drills.md is the
// facilitator's guide.
package drill

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/yamlsrc"
)

// Scenario is a parsed drill scenario.
type Scenario struct {
	File  string `json:"-"`
	Name  string `json:"name"`
	Title string `json:"title"`
	// Skills are what the drill trains (shown by --list).
	Skills []string `json:"skills"`
	// Briefing is what the trainees know when the clock starts; ${…}
	// placeholders are filled from the seeded world (see Expand).
	Briefing string `json:"briefing"`
	Goal     string `json:"goal"`
	// Notes are for the facilitator: the twist. They are not in --list
	// nor in the briefing; the debrief shows them.
	Notes string `json:"notes,omitempty"`
	// TimeLimit is how long a live drill may run: it ends by itself then
	// (the briefing says when). Default DefaultTimeLimit.
	TimeLimit time.Duration `json:"time_limit"`
	World     World         `json:"world"`
	Attacker  sim.Attacker  `json:"attacker"`
	Consumers Consumers     `json:"consumers"`
	Teammate  *Teammate     `json:"teammate,omitempty"`
	// Watch runs respond watch beside the trainees of a live drill, on a
	// twin of its world; the debrief compares its containment with
	// theirs.
	Watch   *Watch      `json:"watch,omitempty"`
	Injects []Inject    `json:"injects"`
	Rubric  Rubric      `json:"rubric"`
	Ideal   []IdealStep `json:"ideal"`
}

// World is the simulated world a scenario seeds.
type World struct {
	// Base is the simulator scenario: leaked-key, provider-disabled or
	// service-account-leak.
	Base  string `json:"base"`
	Seed  int64  `json:"seed"`
	Repos int    `json:"repos"`
	// RunDuration is how long a run of the deploy workflow takes.
	RunDuration time.Duration `json:"run_duration"`
	// Unlisted are repositories (names) that hold the key but that the
	// trainees' inventory does not list.
	Unlisted []string `json:"unlisted,omitempty"`
	// ReadOnly are repositories (OWNER/NAME) the trainees' tokens may only
	// read, until the grant-access inject.
	ReadOnly []string `json:"read_only,omitempty"`
}

// Consumers configure the services that use the key.
type Consumers struct {
	// Interval is the time between a consumer's calls.
	Interval time.Duration `json:"interval"`
}

// Teammate is someone already responding when the drill starts: their
// response runs in the drill's own process, as that person, and stays
// stuck before Step (holding the key's locks) until the teammate-leaves
// inject, when it is interrupted and can be resumed.
type Teammate struct {
	Name string `json:"name"`
	// Step is where their response is stuck (a step ID of the leaked-key
	// playbook). Default deploy.
	Step string `json:"step"`
}

// Watch is respond watch running beside a live drill's trainees: on a
// twin of the drill's world (the same seed, the same injects at the same
// times, its own simulator), under a policy that answers every alert with
// Action, taking alerts by webhook and by polling every Poll. The ideal
// run and the demonstration have no watch beside them.
type Watch struct {
	// Action is what its policy does with every alert: respond (the
	// whole leaked-key playbook) or contain (revoke only).
	Action string `json:"action"`
	// Poll is how often it polls the organization's open alerts (it
	// polls at once when it starts). Default DefaultWatchPoll.
	Poll time.Duration `json:"poll"`
}

// DefaultWatchPoll is how often the watch beside a drill polls, unless
// the scenario says otherwise.
const DefaultWatchPoll = 30 * time.Second

// WatchActions are the actions the watch beside a drill can take.
var WatchActions = []string{"respond", "contain"}

// Inject is trouble the drill can add: at a time, when a condition
// holds, or when the facilitator fires it by name.
type Inject struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Description says what happens, for the facilitator and the debrief.
	Description string `json:"description,omitempty"`
	// At fires it this long after the drill starts (or after When holds);
	// Timed says At was given.
	At    time.Duration `json:"at,omitempty"`
	Timed bool          `json:"timed,omitempty"`
	// When is a condition: "contained" (every leaked key is dead) or
	// "replaced" (a target holds a live replacement).
	When string `json:"when,omitempty"`
	// Parameters of the kinds that take them.
	Method     string        `json:"method,omitempty"`
	Path       string        `json:"path,omitempty"`
	Status     int           `json:"status,omitempty"`
	RateLimit  string        `json:"rate_limit,omitempty"`
	Count      int           `json:"count,omitempty"`
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	Delay      time.Duration `json:"delay,omitempty"`
	// Repo is where new-alert and second-leak open their alert (a
	// repository name or OWNER/NAME).
	Repo string `json:"repo,omitempty"`

	Pos diag.Pos `json:"-"`
}

// DefaultTimeLimit is how long a live drill runs at most when its
// scenario says nothing.
const DefaultTimeLimit = 30 * time.Minute

// Measures of the rubric, in the order a score shows them.
const (
	MeasureContain      = "contain"
	MeasureAttackerCost = "attacker_cost"
	MeasureDowntime     = "downtime"
	MeasureStale        = "stale_targets"
	MeasureOrphans      = "orphaned_keys"
	MeasureAlert        = "alert"
	MeasureReport       = "report"
)

// Measures lists the rubric's measures.
var Measures = []string{MeasureContain, MeasureAttackerCost, MeasureDowntime, MeasureStale, MeasureOrphans, MeasureAlert, MeasureReport}

// Rubric weighs the measures.
type Rubric map[string]Weight

// Weight is one measure's weight and scale.
type Weight struct {
	Weight float64 `json:"weight"`
	// HalfLife (contain, downtime): the time that halves the points.
	HalfLife time.Duration `json:"half_life,omitempty"`
	// HalfCost (attacker_cost): the dollars that halve the points.
	HalfCost float64 `json:"half_cost,omitempty"`
}

// DefaultRubric is the rubric of a scenario that gives none; a scenario's
// rubric changes only the measures it names.
func DefaultRubric() Rubric {
	return Rubric{
		MeasureContain:      {Weight: 30, HalfLife: 3 * time.Minute},
		MeasureAttackerCost: {Weight: 15, HalfCost: 5},
		MeasureDowntime:     {Weight: 15, HalfLife: 2 * time.Minute},
		MeasureStale:        {Weight: 15},
		MeasureOrphans:      {Weight: 10},
		MeasureAlert:        {Weight: 10},
		MeasureReport:       {Weight: 5},
	}
}

// IdealStep is one step of the ideal run: what a responder who knew
// everything would do, compressed in time (timed injects fire when the
// ideal run reaches them).
type IdealStep struct {
	// Do is "respond" (respond leaked-key), "inject" (fire Inject) or
	// "resume" (respond resume of Incident: "last" or "teammate").
	Do string `json:"do"`
	// Respond's options: Force (--force), Alert ("first", the
	// scenario's alert, or "latest", the newest open one), KeyID
	// (--key-id and --project of the leaked key, as an e-mail from the
	// provider names them).
	Force    bool     `json:"force,omitempty"`
	Alert    string   `json:"alert,omitempty"`
	KeyID    bool     `json:"key_id,omitempty"`
	Inject   string   `json:"inject,omitempty"`
	Incident string   `json:"incident,omitempty"`
	Pos      diag.Pos `json:"-"`
}

// Inject kinds.
const (
	KindRateLimit      = "rate-limit"
	KindServerErrors   = "server-errors"
	KindSecondLeak     = "second-leak"
	KindProviderRevoke = "provider-revoke"
	KindFailingTarget  = "failing-target"
	KindNewAlert       = "new-alert"
	KindRecover        = "recover"
	KindGrantAccess    = "grant-access"
	KindTeammateLeaves = "teammate-leaves"
	KindFault          = "fault"
)

// InjectKinds describes every kind, for messages and docs.
var InjectKinds = []struct{ Kind, What string }{
	{KindRateLimit, "GitHub answers secret writes with secondary rate limits (count, retry_after)"},
	{KindServerErrors, "a 5xx storm: GitHub and OpenAI answer 502 and 503 (count per API, status)"},
	{KindSecondLeak, "the replacement leaks too: the attacker uses it and a new secret-scanning alert opens (repo)"},
	{KindProviderRevoke, "OpenAI disables the leaked key itself: whatever still holds it breaks"},
	{KindFailingTarget, "one target keeps failing: its secret writes answer 502 until recover (path, status)"},
	{KindNewAlert, "a new secret-scanning alert on the leaked key opens in another repository (repo)"},
	{KindRecover, "GitHub and OpenAI recover: every fault is cleared"},
	{KindGrantAccess, "the trainees' tokens get write access where they could only read"},
	{KindTeammateLeaves, "the teammate stops: their response is interrupted and can be resumed"},
	{KindFault, "any simulator fault (method, path, status or rate_limit, count, delay, retry_after)"},
}

func injectKindNames() []string {
	out := make([]string, len(InjectKinds))
	for i, k := range InjectKinds {
		out[i] = k.Kind
	}
	return out
}

// BaseWorlds are the simulator scenarios a drill can start from.
var BaseWorlds = []string{"leaked-key", "provider-disabled", "service-account-leak"}

var (
	nameRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	repoNameRe  = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	ownerRepoRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

	topFields      = []string{"name", "title", "skills", "briefing", "goal", "notes", "time_limit", "world", "attacker", "consumers", "teammate", "watch", "injects", "rubric", "ideal"}
	worldFields    = []string{"base", "seed", "repos", "run_duration", "unlisted", "read_only"}
	attackerFields = []string{"requests_per_second", "input_tokens", "output_tokens", "model"}
	injectFields   = []string{"name", "kind", "description", "at", "when", "method", "path", "status", "rate_limit", "count", "retry_after", "delay", "repo"}
	weightFields   = map[string][]string{
		MeasureContain: {"weight", "half_life"}, MeasureAttackerCost: {"weight", "half_cost"}, MeasureDowntime: {"weight", "half_life"},
		MeasureStale: {"weight"}, MeasureOrphans: {"weight"}, MeasureAlert: {"weight"}, MeasureReport: {"weight"},
	}
	idealKinds = []string{"respond", "inject", "resume"}
)

var docKind = yamlsrc.Kind{
	Name:       "drill scenario",
	Article:    "a",
	Plural:     "drill scenarios",
	SyntaxHint: "fix the YAML syntax; a drill scenario is one YAML mapping with name, title, briefing, world … (see docs/drills.md)",
	EmptyHint:  "start with `name:`, `title:`, `briefing:` and `world:` (see docs/drills.md, or `respond drill schema`)",

	RepeatedUnknownIsDuplicate: true,
}

// Parse parses and checks a drill scenario; every problem is reported with
// its file:line:col. The scenario is nil when there is any error.
func Parse(file string, src []byte) (*Scenario, diag.Diagnostics) {
	d := yamlsrc.New(file, src, docKind)
	sc := &Scenario{File: file, Rubric: DefaultRubric(), Attacker: sim.DefaultAttacker, TimeLimit: DefaultTimeLimit,
		World:     World{Base: sim.DefaultScenario, Seed: 1, Repos: sim.DefaultRepos, RunDuration: 3 * time.Second},
		Consumers: Consumers{Interval: 5 * time.Second}}
	if body := d.Parse(); body != nil {
		p := &parser{d}
		p.scenario(sc, body)
	}
	d.Diags.Sort()
	if d.Diags.HasErrors() {
		return nil, d.Diags
	}
	return sc, d.Diags
}

type parser struct{ *yamlsrc.Doc }

func (p *parser) text(f map[string]*ast.MappingValueNode, k string) (string, *ast.MappingValueNode) {
	kv, ok := f[k]
	if !ok {
		return "", nil
	}
	s, _ := p.ScalarText(kv.Value, k)
	return s, kv
}

func (p *parser) scenario(sc *Scenario, body ast.Node) {
	kvs, ok := p.Entries(body, "the drill scenario", "")
	if !ok {
		return
	}
	f := p.Fields(kvs, topFields, "the drill scenario")
	top := p.Pos(body)
	var kv *ast.MappingValueNode
	sc.Name, kv = p.text(f, "name")
	switch {
	case kv == nil:
		p.Errorf(top, 0, "add a line such as `name: plain-leak` (lower case, digits and -)", "the scenario has no name")
	case sc.Name != "" && !nameRe.MatchString(sc.Name):
		p.ErrAt(kv.Value, "use lower-case letters, digits and -, starting with a letter or digit", "invalid scenario name %q", sc.Name)
	}
	sc.Title, kv = p.text(f, "title")
	switch {
	case kv == nil:
		p.Errorf(top, 0, "add `title:`, one line a trainee reads first", "the scenario has no title")
	case strings.TrimSpace(sc.Title) == "":
		p.ErrAt(kv.Value, "write one line a trainee reads first", "the scenario's title is empty")
	}
	if kv, ok := f["skills"]; ok {
		sc.Skills, _ = p.StringList(kv.Value, "skills", "list what the drill trains, e.g. [containing first, finding every target]")
	}
	sc.Briefing, kv = p.text(f, "briefing")
	switch {
	case kv == nil:
		p.Errorf(top, 0, "add `briefing: |` with what the trainees know when the clock starts", "the scenario has no briefing")
	case strings.TrimSpace(sc.Briefing) == "":
		p.ErrAt(kv.Value, "write what the trainees know when the clock starts", "the scenario's briefing is empty")
	default:
		p.placeholders(kv.Value, sc.Briefing)
	}
	sc.Goal, kv = p.text(f, "goal")
	if kv != nil {
		p.placeholders(kv.Value, sc.Goal)
	}
	sc.Notes, _ = p.text(f, "notes")
	if kv, ok := f["time_limit"]; ok {
		if d, _, ok := p.Duration(kv.Value, "time_limit", yamlsrc.DurationRange{Min: time.Minute, Max: 8 * time.Hour}); ok {
			sc.TimeLimit = d
		}
	}
	if kv, ok := f["world"]; ok {
		p.world(&sc.World, kv.Value)
	}
	if kv, ok := f["attacker"]; ok {
		p.attacker(&sc.Attacker, kv.Value)
	}
	if kv, ok := f["consumers"]; ok {
		if ckvs, ok := p.Entries(kv.Value, "consumers", "give `consumers: {interval: 5s}`"); ok {
			cf := p.Fields(ckvs, []string{"interval"}, "consumers")
			if ikv, ok := cf["interval"]; ok {
				if d, _, ok := p.Duration(ikv.Value, "consumers.interval", yamlsrc.DurationRange{Min: 100 * time.Millisecond, Max: time.Hour}); ok {
					sc.Consumers.Interval = d
				}
			}
		}
	}
	if kv, ok := f["teammate"]; ok {
		p.teammate(sc, kv.Value)
	}
	if kv, ok := f["watch"]; ok {
		p.watch(sc, kv.Value)
	}
	if kv, ok := f["injects"]; ok {
		p.injects(sc, kv.Value)
	}
	if kv, ok := f["rubric"]; ok {
		p.rubric(sc.Rubric, kv.Value)
	}
	if kv, ok := f["ideal"]; ok {
		p.ideal(sc, kv.Value)
	} else {
		sc.Ideal = []IdealStep{{Do: "respond", Alert: "first", Pos: top}}
	}
	p.checkIdeal(sc)
}

// placeholderRe finds ${name} in texts.
var placeholderRe = regexp.MustCompile(`\$\{([^}]*)\}`)

// Placeholders are the names a briefing or goal can use.
var Placeholders = []string{"alert", "alert_repo", "org", "key_id", "key_name", "key_redacted", "project", "project_name", "leaked_at", "teammate"}

func (p *parser) placeholders(n ast.Node, text string) {
	for _, m := range placeholderRe.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(Placeholders, m[1]) {
			p.ErrAt(n, yamlsrc.Suggest(m[1], Placeholders, "Placeholders"), "unknown placeholder ${%s}", m[1])
		}
	}
}

func (p *parser) world(w *World, n ast.Node) {
	kvs, ok := p.Entries(n, "world", "give `world: {base: leaked-key, seed: 1}`")
	if !ok {
		return
	}
	f := p.Fields(kvs, worldFields, "world")
	if s, kv := p.text(f, "base"); kv != nil {
		if !slices.Contains(BaseWorlds, s) {
			p.ErrAt(kv.Value, yamlsrc.Suggest(s, BaseWorlds, "Base worlds"), "unknown base world %q", s)
		} else {
			w.Base = s
		}
	}
	if kv, ok := f["seed"]; ok {
		if v, ok := p.Int(kv.Value, "world.seed", 0, math.MaxInt32); ok {
			w.Seed = int64(v)
		}
	}
	if kv, ok := f["repos"]; ok {
		if v, ok := p.Int(kv.Value, "world.repos", 1, 200); ok {
			w.Repos = v
		}
	}
	if kv, ok := f["run_duration"]; ok {
		if d, _, ok := p.Duration(kv.Value, "world.run_duration", yamlsrc.DurationRange{Min: 0, Max: 10 * time.Minute}); ok {
			w.RunDuration = d
		}
	}
	if kv, ok := f["unlisted"]; ok {
		items, _ := p.StringList(kv.Value, "world.unlisted", "list repository names, e.g. [billing-legacy]")
		for _, it := range items {
			if !repoNameRe.MatchString(it) {
				p.ErrAt(kv.Value, "give repository names without the owner, e.g. billing-legacy", "invalid repository name %q in world.unlisted", it)
				continue
			}
			w.Unlisted = append(w.Unlisted, it)
		}
	}
	if kv, ok := f["read_only"]; ok {
		items, _ := p.StringList(kv.Value, "world.read_only", "list repositories as OWNER/NAME, e.g. [acme/billing]")
		for _, it := range items {
			if !ownerRepoRe.MatchString(it) {
				p.ErrAt(kv.Value, "give repositories as OWNER/NAME, e.g. acme/billing", "invalid repository %q in world.read_only", it)
				continue
			}
			w.ReadOnly = append(w.ReadOnly, it)
		}
	}
}

func (p *parser) attacker(a *sim.Attacker, n ast.Node) {
	kvs, ok := p.Entries(n, "attacker", "give `attacker: {requests_per_second: 3, model: gpt-4o}`")
	if !ok {
		return
	}
	f := p.Fields(kvs, attackerFields, "attacker")
	if kv, ok := f["requests_per_second"]; ok {
		if v, ok := p.number(kv.Value, "attacker.requests_per_second", 0, 1000); ok {
			a.RequestsPerSecond = v
		}
	}
	if kv, ok := f["input_tokens"]; ok {
		if v, ok := p.Int(kv.Value, "attacker.input_tokens", 0, 1000000); ok {
			a.InputTokens = v
		}
	}
	if kv, ok := f["output_tokens"]; ok {
		if v, ok := p.Int(kv.Value, "attacker.output_tokens", 0, 1000000); ok {
			a.OutputTokens = v
		}
	}
	if s, kv := p.text(f, "model"); kv != nil && s != "" {
		a.Model = s
	}
}

// number reads a number (integer or decimal) from lo to hi.
func (p *parser) number(n ast.Node, what string, lo, hi float64) (float64, bool) {
	v := p.Unwrap(n)
	var f float64
	switch x := v.(type) {
	case *ast.IntegerNode:
		i, ok := yamlsrc.IntValue(x)
		if !ok {
			p.ErrAt(v, fmt.Sprintf("use a value from %g to %g", lo, hi), "%s is out of range", what)
			return 0, false
		}
		f = float64(i)
	case *ast.FloatNode:
		f = x.Value
	case nil:
		return 0, false
	default:
		p.ErrAt(v, fmt.Sprintf("give %s as a number from %g to %g", what, lo, hi), "%s must be a number, not %s", what, yamlsrc.Describe(v))
		return 0, false
	}
	if math.IsNaN(f) || f < lo || f > hi {
		p.ErrAt(v, fmt.Sprintf("use a value from %g to %g", lo, hi), "%s %s is out of range", what, v.GetToken().Value)
		return 0, false
	}
	return f, true
}

func (p *parser) teammate(sc *Scenario, n ast.Node) {
	kvs, ok := p.Entries(n, "teammate", "give `teammate: {name: Sam Patel, step: deploy}`")
	if !ok {
		return
	}
	f := p.Fields(kvs, []string{"name", "step"}, "teammate")
	t := &Teammate{Step: "deploy"}
	var kv *ast.MappingValueNode
	t.Name, kv = p.text(f, "name")
	if kv == nil || sim.Login(t.Name) == "" {
		p.ErrAt(n, "add `name:`, the teammate's name", "the teammate has no name")
	}
	if s, kv := p.text(f, "step"); kv != nil {
		if !slices.Contains(teammateSteps, s) {
			p.ErrAt(kv.Value, yamlsrc.Suggest(s, teammateSteps, "Steps of leaked-key after the revoke"), "the teammate cannot be stuck at %q", s)
		} else {
			t.Step = s
		}
	}
	sc.Teammate = t
}

func (p *parser) watch(sc *Scenario, n ast.Node) {
	kvs, ok := p.Entries(n, "watch", "give `watch: {action: respond}` (or contain)")
	if !ok {
		return
	}
	f := p.Fields(kvs, []string{"action", "poll"}, "watch")
	w := &Watch{Action: "respond", Poll: DefaultWatchPoll}
	if s, kv := p.text(f, "action"); kv != nil {
		if !slices.Contains(WatchActions, s) {
			p.ErrAt(kv.Value, yamlsrc.Suggest(s, WatchActions, "Actions of the watch beside a drill"), "watch cannot %q beside a drill", s)
		} else {
			w.Action = s
		}
	}
	if kv, ok := f["poll"]; ok {
		if d, _, ok := p.Duration(kv.Value, "watch.poll", yamlsrc.DurationRange{Min: time.Second, Max: time.Hour}); ok {
			w.Poll = d
		}
	}
	sc.Watch = w
}

// teammateSteps are the steps of leaked-key a teammate can be stuck
// before: after the key is revoked, so the drill starts contained.
var teammateSteps = []string{"replace", "deploy", "verify-replacement", "record", "redeploy", "close-alert"}

func (p *parser) injects(sc *Scenario, n ast.Node) {
	v := p.Unwrap(n)
	seq, ok := v.(*ast.SequenceNode)
	if !ok {
		if v != nil {
			p.ErrAt(v, "list the injects, one `- name: …` each", "injects must be a list, not %s", yamlsrc.Describe(v))
		}
		return
	}
	seen := map[string]diag.Pos{}
	for _, e := range seq.Values {
		in, ok := p.inject(e)
		if !ok {
			continue
		}
		if first, dup := seen[in.Name]; dup {
			p.Errorf(in.Pos, 0, "give each inject a unique name", "duplicate inject name %q (first at line %d)", in.Name, first.Line)
			continue
		}
		seen[in.Name] = in.Pos
		sc.Injects = append(sc.Injects, in)
	}
}

func (p *parser) inject(n ast.Node) (Inject, bool) {
	in := Inject{Pos: p.Pos(n)}
	kvs, ok := p.Entries(n, "an inject", "give each inject as a mapping: name, kind, at …")
	if !ok {
		return in, false
	}
	f := p.Fields(kvs, injectFields, "an inject")
	var kv *ast.MappingValueNode
	in.Name, kv = p.text(f, "name")
	switch {
	case kv == nil:
		p.Errorf(in.Pos, 0, "add `name:`, what the facilitator types after `respond drill inject`", "the inject has no name")
		return in, false
	case !nameRe.MatchString(in.Name):
		p.ErrAt(kv.Value, "use lower-case letters, digits and -", "invalid inject name %q", in.Name)
		return in, false
	}
	in.Kind, kv = p.text(f, "kind")
	switch {
	case kv == nil:
		if slices.Contains(injectKindNames(), in.Name) {
			in.Kind = in.Name
		} else {
			p.Errorf(in.Pos, 0, yamlsrc.Suggest("", injectKindNames(), "Kinds"), "inject %q has no kind", in.Name)
			return in, false
		}
	case !slices.Contains(injectKindNames(), in.Kind):
		p.ErrAt(kv.Value, yamlsrc.Suggest(in.Kind, injectKindNames(), "Kinds"), "unknown inject kind %q", in.Kind)
		return in, false
	}
	in.Description, _ = p.text(f, "description")
	if kv, ok := f["at"]; ok {
		if d, _, ok := p.Duration(kv.Value, "at", yamlsrc.DurationRange{Min: 0, Max: 24 * time.Hour}); ok {
			in.At, in.Timed = d, true
		}
	}
	if s, kv := p.text(f, "when"); kv != nil {
		switch s {
		case "contained", "replaced":
			in.When = s
			in.Timed = true
		default:
			p.ErrAt(kv.Value, `use "contained" (every leaked key is dead) or "replaced" (a target holds a live replacement)`, "unknown condition %q", s)
		}
	}
	in.Method, _ = p.text(f, "method")
	in.Path, kv = p.text(f, "path")
	if kv != nil && !strings.HasPrefix(in.Path, "/") {
		p.ErrAt(kv.Value, `give a path glob starting with /, e.g. "/repos/*/*/actions/secrets/*"`, "invalid path %q", in.Path)
	}
	if kv, ok := f["status"]; ok {
		if v, ok := p.Int(kv.Value, "status", 100, 599); ok {
			in.Status = v
		}
	}
	if s, kv := p.text(f, "rate_limit"); kv != nil {
		switch s {
		case sim.RateLimitSecondary, sim.RateLimitPrimary, sim.RateLimit429:
			in.RateLimit = s
		default:
			p.ErrAt(kv.Value, `use "secondary", "primary" or "429"`, "unknown rate limit %q", s)
		}
	}
	if kv, ok := f["count"]; ok {
		if v, ok := p.Int(kv.Value, "count", 0, 100000); ok {
			in.Count = v
		}
	}
	if kv, ok := f["retry_after"]; ok {
		if d, _, ok := p.Duration(kv.Value, "retry_after", yamlsrc.DurationRange{Min: 0, Max: time.Hour}); ok {
			in.RetryAfter = d
		}
	}
	if kv, ok := f["delay"]; ok {
		if d, _, ok := p.Duration(kv.Value, "delay", yamlsrc.DurationRange{Min: 0, Max: time.Minute}); ok {
			in.Delay = d
		}
	}
	in.Repo, kv = p.text(f, "repo")
	if kv != nil && !repoNameRe.MatchString(in.Repo) && !ownerRepoRe.MatchString(in.Repo) {
		p.ErrAt(kv.Value, "give a repository name (api) or OWNER/NAME", "invalid repository %q", in.Repo)
	}
	if in.Kind == KindFault {
		switch {
		case in.Path == "":
			p.Errorf(in.Pos, 0, `add path: a glob such as "/repos/*/*/actions/secrets/*"`, "fault inject %q has no path", in.Name)
		case in.Status == 0 && in.RateLimit == "" && in.Delay == 0:
			p.Errorf(in.Pos, 0, "add status, rate_limit or delay", "fault inject %q does nothing", in.Name)
		case in.Status != 0 && in.RateLimit != "":
			p.Errorf(in.Pos, 0, "keep one of them", "fault inject %q gives both status and rate_limit", in.Name)
		}
	}
	return in, true
}

func (p *parser) rubric(r Rubric, n ast.Node) {
	kvs, ok := p.Entries(n, "rubric", "give each measure's weight, e.g. `rubric: {contain: {weight: 40, half_life: 2m}}`")
	if !ok {
		return
	}
	f := p.Fields(kvs, Measures, "rubric")
	for _, m := range Measures {
		kv, ok := f[m]
		if !ok {
			continue
		}
		w := r[m]
		switch v := p.Unwrap(kv.Value).(type) {
		case *ast.IntegerNode, *ast.FloatNode:
			if x, ok := p.number(v, "rubric."+m, 0, 1000); ok {
				w.Weight = x
			}
		default:
			wkvs, ok := p.Entries(v, "rubric."+m, fmt.Sprintf("give `%s: {weight: 10}` or just `%s: 10`", m, m))
			if !ok {
				continue
			}
			wf := p.Fields(wkvs, weightFields[m], "rubric."+m)
			if x, ok := wf["weight"]; ok {
				if v, ok := p.number(x.Value, "rubric."+m+".weight", 0, 1000); ok {
					w.Weight = v
				}
			}
			if x, ok := wf["half_life"]; ok {
				if d, _, ok := p.Duration(x.Value, "rubric."+m+".half_life", yamlsrc.DurationRange{Min: time.Second, Max: 24 * time.Hour}); ok {
					w.HalfLife = d
				}
			}
			if x, ok := wf["half_cost"]; ok {
				if v, ok := p.number(x.Value, "rubric."+m+".half_cost", 0.01, 1e6); ok {
					w.HalfCost = v
				}
			}
		}
		r[m] = w
	}
	total := 0.0
	for _, w := range r {
		total += w.Weight
	}
	switch {
	case total <= 0:
		p.ErrAt(n, "give at least one measure a weight above 0", "the rubric weighs nothing")
	case math.Abs(total-100) > 1e-9:
		var parts []string
		for _, m := range Measures {
			if x, ok := scaleWeights(r)[m]; ok {
				parts = append(parts, fmt.Sprintf("%s %s", m, fmtPoints(x)))
			}
		}
		p.Warnf(p.Pos(n), 0, "make the weights (with the defaults of the measures it leaves out: "+defaultWeights()+") add up to 100",
			"the rubric's weights add up to %s, not 100: the score scales them to %s", fmtPoints(total), strings.Join(parts, ", "))
	}
}

// defaultWeights lists the default rubric's weights, for messages.
func defaultWeights() string {
	r := DefaultRubric()
	var parts []string
	for _, m := range Measures {
		parts = append(parts, fmt.Sprintf("%s %s", m, fmtPoints(r[m].Weight)))
	}
	return strings.Join(parts, ", ")
}

func (p *parser) ideal(sc *Scenario, n ast.Node) {
	v := p.Unwrap(n)
	seq, ok := v.(*ast.SequenceNode)
	if !ok {
		if v != nil {
			p.ErrAt(v, "list the steps, e.g. `- respond: {force: true}`, `- inject: recover`, `- resume: last`", "ideal must be a list, not %s", yamlsrc.Describe(v))
		}
		return
	}
	for _, e := range seq.Values {
		st := IdealStep{Pos: p.Pos(e)}
		kvs, ok := p.Entries(e, "an ideal step", "write `- respond: {…}`, `- inject: NAME` or `- resume: last`")
		if !ok {
			continue
		}
		if len(kvs) != 1 {
			p.ErrAt(e, "write one action per step: respond, inject or resume", "an ideal step has one key, this one has %d", len(kvs))
			continue
		}
		kv := kvs[0]
		st.Do = yamlsrc.KeyText(kv)
		switch st.Do {
		case "respond":
			st.Alert = "first"
			if _, null := p.Unwrap(kv.Value).(*ast.NullNode); null {
				break
			}
			rkvs, ok := p.Entries(kv.Value, "respond", "give `respond: {force: true, alert: latest}` or `respond: {}`")
			if !ok {
				continue
			}
			rf := p.Fields(rkvs, []string{"force", "alert", "key_id"}, "respond")
			if x, ok := rf["force"]; ok {
				st.Force, _ = p.Bool(x.Value, "force")
			}
			if x, ok := rf["key_id"]; ok {
				st.KeyID, _ = p.Bool(x.Value, "key_id")
			}
			if s, x := p.text(rf, "alert"); x != nil {
				if s != "first" && s != "latest" {
					p.ErrAt(x.Value, `use "first" (the scenario's alert) or "latest" (the newest open alert)`, "unknown alert %q", s)
				} else {
					st.Alert = s
				}
			}
		case "inject":
			st.Inject, _ = p.ScalarText(kv.Value, "inject")
		case "resume":
			st.Incident, _ = p.ScalarText(kv.Value, "resume")
			if st.Incident != "last" && st.Incident != "teammate" {
				p.ErrAt(kv.Value, `use "last" (the last incident) or "teammate" (the teammate's)`, "cannot resume %q", st.Incident)
			}
		default:
			p.ErrAt(kv.Key, yamlsrc.Suggest(st.Do, idealKinds, "Actions"), "unknown ideal action %q", st.Do)
			continue
		}
		sc.Ideal = append(sc.Ideal, st)
	}
	if len(sc.Ideal) == 0 {
		p.ErrAt(n, "list at least one step, e.g. `- respond: {}`", "the ideal run is empty")
	}
}

// checkIdeal checks references between parts: the ideal's injects exist,
// a teammate's scenario resumes theirs.
func (p *parser) checkIdeal(sc *Scenario) {
	for _, st := range sc.Ideal {
		switch {
		case st.Do == "inject" && sc.FindInject(st.Inject) == nil:
			var names []string
			for _, in := range sc.Injects {
				names = append(names, in.Name)
			}
			p.Errorf(st.Pos, 0, yamlsrc.Suggest(st.Inject, append(names, injectKindNames()...), "Injects"), "the ideal run fires inject %q, which the scenario does not declare and which is no inject kind", st.Inject)
		case st.Do == "resume" && st.Incident == "teammate" && sc.Teammate == nil:
			p.Errorf(st.Pos, 0, "declare `teammate:`, or resume the last incident", "the ideal run resumes the teammate's incident, but the scenario has no teammate")
		}
	}
	for _, in := range sc.Injects {
		if in.Kind == KindTeammateLeaves && sc.Teammate == nil {
			p.Errorf(in.Pos, 0, "declare `teammate:`", "inject %q makes the teammate leave, but the scenario has no teammate", in.Name)
		}
		if in.Kind == KindGrantAccess && len(sc.World.ReadOnly) == 0 {
			p.Warnf(in.Pos, 0, "list repositories under world.read_only", "inject %q grants access, but no repository is read-only", in.Name)
		}
	}
}

// FindInject returns the scenario's inject of that name, or one of the
// inject kinds with its defaults (facilitators can fire any kind by name).
func (sc *Scenario) FindInject(name string) *Inject {
	for i := range sc.Injects {
		if sc.Injects[i].Name == name {
			return &sc.Injects[i]
		}
	}
	if slices.Contains(injectKindNames(), name) {
		return &Inject{Name: name, Kind: name}
	}
	return nil
}

// Options are the simulator options of the scenario's world.
func (sc *Scenario) Options() sim.Options {
	rd := sc.World.RunDuration
	if rd == 0 {
		rd = -1 // runs complete as soon as they are dispatched
	}
	return sim.Options{Scenario: sc.World.Base, Seed: sc.World.Seed, Repos: sc.World.Repos, RunDuration: rd, UnlistedRepos: sc.World.Unlisted}
}

// Expand fills the ${…} placeholders of a text from the seeded world.
func Expand(text string, i sim.ScenarioInfo, teammate string) string {
	return placeholderRe.ReplaceAllStringFunc(text, func(m string) string {
		switch m[2 : len(m)-1] {
		case "alert":
			return i.Alert
		case "alert_repo":
			return i.AlertRepo
		case "org":
			return i.Org
		case "key_id":
			return i.LeakedKeyID
		case "key_name":
			return i.LeakedKeyName
		case "key_redacted":
			return i.LeakedKeyRedacted
		case "project":
			return i.ProjectID
		case "project_name":
			return i.ProjectName
		case "leaked_at":
			return i.LeakedAt
		case "teammate":
			return teammate
		}
		return m
	})
}
