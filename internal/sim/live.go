package sim

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// The live world: when a drill asks for it (StartLive), the simulator
// gains time. An attacker uses every leaked key it holds while the key
// lives, so requests, tokens and dollars accrue in the Usage and Costs
// APIs every second; and consumers, one per deployed target, call the API
// every few seconds with the key their target holds, so a consumer
// holding a dead key is down and its downtime accrues. Both run on the
// simulator's clock (Options.Now) and are visible through the ordinary
// APIs (usage, costs, a key's last_used_at) and GET /_sim/world.

// Attacker is who abuses a leaked key.
type Attacker struct {
	// RequestsPerSecond is the attacker's rate with each key it holds.
	// Zero: no attacker.
	RequestsPerSecond float64 `json:"requests_per_second"`
	// InputTokens and OutputTokens are per request.
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	// Model is what it calls (priced as the Costs API prices it).
	Model string `json:"model"`
}

// DefaultAttacker is a credential-stuffing reseller: three requests a
// second with long prompts on an expensive model.
var DefaultAttacker = Attacker{RequestsPerSecond: 3, InputTokens: 1800, OutputTokens: 600, Model: "gpt-4o"}

// Pickup is how a consumer gets the key its target holds.
const (
	// PickupRead: the value is read at each use (a repository secret
	// that CI jobs read): a new value is picked up at once.
	PickupRead = "read"
	// PickupWorkflow: a service deployed by a workflow runs with the
	// value its last successful run saw; it picks up a new value only
	// when a run of the workflow completes successfully.
	PickupWorkflow = "workflow"
	// PickupStore: the value is read at each use from a place of a
	// simulated secret store (Service, Ref): an application that reads a
	// Vault secret whenever it needs the key.
	PickupStore = "store"
	// PickupServed: the service runs with what a place of a simulated
	// secret store held when it was last deployed (Service, Ref, Via;
	// simapi.ServedStore): the pods of a Kubernetes Deployment read the
	// Secret as it was when the Deployment's last rollout completed.
	PickupServed = "served"
)

// Consumer is a service that uses the key a target holds.
type Consumer struct {
	// Name is what people call it: "acme/web CI".
	Name string `json:"name"`
	// Target is the inventory target it stands for (its ID, e.g.
	// github-actions:acme/web:OPENAI_API_KEY).
	Target string `json:"target"`
	// Pickup is PickupRead (Secret), PickupWorkflow (Repo, Workflow,
	// SecretName), PickupStore (Service, Ref) or PickupServed (Service,
	// Ref, Via).
	Pickup     string              `json:"pickup"`
	Secret     githubsim.SecretRef `json:"secret"`
	Repo       string              `json:"repo,omitempty"`     // OWNER/NAME of the workflow
	Workflow   string              `json:"workflow,omitempty"` // its file
	SecretName string              `json:"secret_name,omitempty"`
	// Service names the simulated secret store ("vault", "kubernetes"),
	// Ref the place in its SecretStore form ("secret/app/prod#API_KEY"),
	// and Via, for PickupServed, what serves it ("deployment/api").
	Service string `json:"service,omitempty"`
	Ref     string `json:"ref,omitempty"`
	Via     string `json:"via,omitempty"`
	// Interval is the time between its calls. Default 5s.
	Interval time.Duration `json:"interval"`
	// Listed: the scenario's inventory lists the target. A consumer the
	// inventory forgot is Listed false.
	Listed bool `json:"listed"`
}

// LiveOptions configure the live world.
type LiveOptions struct {
	Attacker Attacker
	// Consumers default to DefaultConsumers of the scenario.
	Consumers []Consumer
	// Tick is how often the world advances (wall time). Default 100ms.
	Tick time.Duration
}

// LiveState is the live world as GET /_sim/world shows it. It holds key
// IDs, never key values.
type LiveState struct {
	Running bool   `json:"running"`
	Frozen  bool   `json:"frozen"`
	Started string `json:"started,omitempty"`
	Now     string `json:"now,omitempty"`
	// ElapsedSeconds is simulated time since the world started (until it
	// froze).
	ElapsedSeconds float64         `json:"elapsed_seconds"`
	Attacker       AttackerState   `json:"attacker"`
	Consumers      []ConsumerState `json:"consumers"`
	Events         []LiveEvent     `json:"events"`
}

// AttackerState is what the attacker did.
type AttackerState struct {
	Attacker
	// Active: it holds a key that still works.
	Active       bool        `json:"active"`
	Keys         []AttackKey `json:"keys"`
	Requests     int64       `json:"requests"`
	InputTokens  int64       `json:"input_tokens"`
	OutputTokens int64       `json:"output_tokens"`
	CostUSD      float64     `json:"cost_usd"`
}

// AttackKey is one key the attacker held.
type AttackKey struct {
	KeyID string `json:"key_id"`
	// Since is when the attacker got it (the world's start for the
	// scenario's leak); DeadAt when it stopped working, if it did.
	Since  string `json:"since"`
	DeadAt string `json:"dead_at,omitempty"`
	Live   bool   `json:"live"`
	// ExposureSeconds is from Since to DeadAt (or now).
	ExposureSeconds float64 `json:"exposure_seconds"`
	Requests        int64   `json:"requests"`
	CostUSD         float64 `json:"cost_usd"`
	Why             string  `json:"why,omitempty"`
}

// ConsumerState is a consumer now.
type ConsumerState struct {
	Consumer
	// KeyID is the key it holds ("" when the target holds no known key).
	KeyID string `json:"key_id"`
	Up    bool   `json:"up"`
	// DownSince is when it last went down, while it is down.
	DownSince       string  `json:"down_since,omitempty"`
	DowntimeSeconds float64 `json:"downtime_seconds"`
	Outages         int     `json:"outages"`
	// Broken counts the times it went down while it held a key other than
	// the one it started with: it ran on a replacement, and was then
	// switched to a dead key (or its replacement was deleted under it).
	// Make before break says this never happens.
	Broken int   `json:"broken"`
	Calls  int64 `json:"calls"`
}

// LiveEvent is something that happened in the live world.
type LiveEvent struct {
	At     string `json:"at"`
	Kind   string `json:"kind"` // attack.started, key.dead, consumer.down, consumer.up, leak
	Detail string `json:"detail"`
}

// live is the running world.
type live struct {
	mu       sync.Mutex
	opts     LiveOptions
	started  time.Time
	last     time.Time
	frozen   bool
	frozenAt time.Time
	stop     chan struct{}
	stopOnce sync.Once // FreezeLive may run from Reset, Close and the context at once
	done     chan struct{}

	keys      []*attackKey
	consumers []*consumerRun
	attack    AttackerState
	events    []LiveEvent
}

type attackKey struct {
	value  secret.Value
	keyID  string
	since  time.Time
	deadAt *time.Time
	acc    float64 // fractional requests not yet made
	reqs   int64
	cost   float64
	why    string
}

type consumerRun struct {
	c         Consumer
	initial   string // what a workflow-deployed service ran with before any run
	keyID     string
	up        bool
	seen      bool
	downSince time.Time
	downtime  time.Duration
	outages   int
	broken    int
	firstKey  string // the key it held when first seen
	calls     int64
	next      time.Time
}

// DefaultConsumers are the consumers of a seeded world: one per target of
// its full inventory. A repository, organization or Dependabot secret is
// read at each use; the environment secret is deployed by the scenario's
// workflow, whose service picks up a new value when a run succeeds.
func DefaultConsumers(i ScenarioInfo) []Consumer {
	var out []Consumer
	unlisted := map[string]bool{}
	for _, r := range i.UnlistedRepos {
		unlisted[r] = true
	}
	owner := func(full string) (string, string) {
		o, n, _ := cutRepo(full)
		return o, n
	}
	for _, r := range append(slices.Clone(i.Repos), i.UnlistedRepos...) {
		o, n := owner(r)
		out = append(out, Consumer{Name: r + " CI", Target: "github-actions:" + r + ":" + i.SecretName, Pickup: PickupRead,
			Secret: githubsim.SecretRef{Level: githubsim.LevelRepo, Owner: o, Repo: n, Name: i.SecretName}, Listed: !unlisted[r]})
	}
	if len(i.OrgSecretRepos) > 0 {
		out = append(out, Consumer{Name: i.Org + " organization secret (" + joinNames(i.OrgSecretRepos) + ")", Target: "github-actions:org/" + i.Org + ":" + i.SecretName,
			Pickup: PickupRead, Secret: githubsim.SecretRef{Level: githubsim.LevelOrg, Org: i.Org, Name: i.SecretName}, Listed: true})
	}
	if i.DependabotRepo != "" {
		o, n := owner(i.DependabotRepo)
		out = append(out, Consumer{Name: i.DependabotRepo + " Dependabot", Target: "github-dependabot:" + i.DependabotRepo + ":" + i.SecretName, Pickup: PickupRead,
			Secret: githubsim.SecretRef{Level: githubsim.LevelDependabot, Owner: o, Repo: n, Name: i.SecretName}, Listed: true})
	}
	if i.Workflow != "" {
		o, n := owner(i.EnvironmentRepo)
		name := i.WorkflowRepo + " service (" + i.Workflow + ")"
		if i.Environment != "" {
			name = i.WorkflowRepo + " " + i.Environment + " service (" + i.Workflow + ")"
		}
		c := Consumer{Name: name,
			Target: "github-workflow:" + i.WorkflowRepo + ":" + i.Workflow + "@" + i.WorkflowRef, Pickup: PickupWorkflow,
			Repo: i.WorkflowRepo, Workflow: i.Workflow, SecretName: i.SecretName, Listed: true}
		if i.Environment != "" {
			c.Secret = githubsim.SecretRef{Level: githubsim.LevelEnvironment, Owner: o, Repo: n, Environment: i.Environment, Name: i.SecretName}
		}
		out = append(out, c)
	}
	for _, p := range i.Stores {
		c := Consumer{Name: p.Consumer, Target: p.Target, Pickup: PickupStore, Service: p.Service, Ref: p.Ref, Listed: true}
		if p.Via != "" {
			c.Pickup, c.Via = PickupServed, p.Via
		}
		out = append(out, c)
	}
	return out
}

func joinNames(ns []string) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

func cutRepo(full string) (string, string, bool) {
	for i := 0; i < len(full); i++ {
		if full[i] == '/' {
			return full[:i], full[i+1:], i > 0 && i < len(full)-1
		}
	}
	return "", "", false
}

// StartLive starts the live world. The attacker holds the scenario's
// leaked key from now (if it still works). It is an error to start it
// twice.
func (s *Sim) StartLive(opts LiveOptions) error {
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	if opts.Consumers == nil {
		opts.Consumers = DefaultConsumers(s.Scenario())
	}
	for i := range opts.Consumers {
		c := &opts.Consumers[i]
		if c.Interval <= 0 {
			c.Interval = 5 * time.Second
		}
		switch c.Pickup {
		case PickupRead, PickupWorkflow:
		case PickupStore, PickupServed:
			if err := s.checkStoreConsumer(*c); err != nil {
				return err
			}
		default:
			return fmt.Errorf("consumer %q: pickup %q is not %q, %q, %q or %q", c.Name, c.Pickup, PickupRead, PickupWorkflow, PickupStore, PickupServed)
		}
	}
	s.mu.Lock()
	if s.live != nil {
		s.mu.Unlock()
		return fmt.Errorf("the live world is already running")
	}
	now := s.now().UTC()
	l := &live{opts: opts, started: now, last: now, stop: make(chan struct{}), done: make(chan struct{})}
	l.attack.Attacker = opts.Attacker
	s.live = l
	leaked := s.seeded.leaked
	s.mu.Unlock()

	for _, c := range opts.Consumers {
		cr := &consumerRun{c: c, next: now}
		if c.Pickup == PickupWorkflow {
			cr.initial = s.workflowInitial(c)
		}
		l.consumers = append(l.consumers, cr)
	}
	if opts.Attacker.RequestsPerSecond > 0 && !leaked.IsZero() {
		s.Leak(leaked, "the leaked key")
	}
	l.mu.Lock()
	s.stepLocked(l, now)
	l.mu.Unlock()
	go s.runLive(l)
	return nil
}

// workflowInitial is the value a workflow-deployed service was running
// with when the world started: what a run would see now.
func (s *Sim) workflowInitial(c Consumer) string {
	if c.Secret.Name != "" {
		if v, ok := s.github.SecretValue(c.Secret); ok {
			return v
		}
	}
	owner, name, _ := cutRepo(c.Repo)
	if v, ok := s.github.SecretValue(githubsim.SecretRef{Level: githubsim.LevelRepo, Owner: owner, Repo: name, Name: c.SecretName}); ok {
		return v
	}
	return ""
}

func (s *Sim) runLive(l *live) {
	defer close(l.done)
	t := time.NewTicker(l.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			s.world.RLock()
			l.mu.Lock()
			if !l.frozen {
				s.stepLocked(l, s.now().UTC())
			}
			l.mu.Unlock()
			s.world.RUnlock()
		}
	}
}

// Leak gives the attacker a key (the scenario's leak, or a second leak of
// a replacement): from now it uses it while it works. why says how it got
// it. A value the attacker holds already, that is no key or that no
// longer works is ignored (ok false).
func (s *Sim) Leak(value secret.Value, why string) (keyID string, ok bool) {
	s.mu.Lock()
	l := s.live
	s.mu.Unlock()
	if l == nil || value.IsZero() {
		return "", false
	}
	now := s.now().UTC()
	id, live, found := s.openai.KeyStatus(value.Reveal(), now)
	if !found {
		return "", false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.keys {
		if k.keyID == id {
			return id, false
		}
	}
	if !live {
		return id, false // a dead key is worth nothing to an attacker
	}
	k := &attackKey{value: value, keyID: id, since: now, why: why}
	l.keys = append(l.keys, k)
	l.event(now, "leak", fmt.Sprintf("the attacker holds %s (%s)", id, why))
	return id, true
}

func (l *live) event(at time.Time, kind, detail string) {
	l.events = append(l.events, LiveEvent{At: at.UTC().Format(time.RFC3339Nano), Kind: kind, Detail: detail})
}

// stepLocked advances the world to now. Callers hold l.mu.
func (s *Sim) stepLocked(l *live, now time.Time) {
	dt := now.Sub(l.last).Seconds()
	if dt < 0 {
		dt = 0
	}
	l.last = now
	a := l.opts.Attacker
	for _, k := range l.keys {
		if k.deadAt != nil {
			continue
		}
		_, live, _ := s.openai.KeyStatus(k.value.Reveal(), now)
		if !live {
			t := now
			k.deadAt = &t
			l.event(now, "key.dead", fmt.Sprintf("%s stopped working: the attacker used it for %s and spent $%.2f", k.keyID, roundDur(now.Sub(k.since)), k.cost))
			continue
		}
		k.acc += a.RequestsPerSecond * dt
		n := int(math.Floor(k.acc))
		if n <= 0 {
			continue
		}
		k.acc -= float64(n)
		if _, ok := s.openai.UseKey(k.value.Reveal(), a.Model, now, n, n*a.InputTokens, n*a.OutputTokens); !ok {
			continue
		}
		cost := openaisim.CostUSD(a.Model, int64(n*a.InputTokens), int64(n*a.OutputTokens))
		k.reqs += int64(n)
		k.cost += cost
		l.attack.Requests += int64(n)
		l.attack.InputTokens += int64(n * a.InputTokens)
		l.attack.OutputTokens += int64(n * a.OutputTokens)
		l.attack.CostUSD += cost
	}
	// What happened to consumers in this step, folded by key: one event
	// says that five services went down with the revoked key.
	var fold eventFold
	for _, c := range l.consumers {
		value := s.consumerValue(c)
		id, live, _ := s.keyStatus(value, now)
		prevKey := c.keyID
		c.keyID = id
		switch {
		case !c.seen:
			c.seen, c.up, c.firstKey = true, live, id
			if !live {
				c.downSince = now
				c.outages++
				fold.add("consumer.down", keyName(id), c.c.Name)
			}
		case c.up && !live:
			c.up, c.downSince = false, now
			c.outages++
			if prevKey != "" && prevKey != c.firstKey {
				c.broken++
			}
			fold.add("consumer.down", keyName(id), c.c.Name)
		case !c.up && live:
			c.up = true
			c.downtime += now.Sub(c.downSince)
			fold.add("consumer.up", id, fmt.Sprintf("%s (down %s)", c.c.Name, roundDur(now.Sub(c.downSince))))
		case c.up && live && prevKey != id:
			fold.add("consumer.switched", id, c.c.Name)
		}
		if live && !now.Before(c.next) {
			if s.useKey(value, now) {
				c.calls++
			}
			c.next = now.Add(c.c.Interval)
		}
	}
	for _, g := range fold {
		one := len(g.names) == 1
		var what string
		switch g.kind {
		case "consumer.down":
			what = fmt.Sprintf("%s %s down: %s %s, which does not work", joinNames(g.names), pick(one, "is", "are"), pick(one, "it holds", "they hold"), g.key)
		case "consumer.up":
			what = fmt.Sprintf("%s %s up again with %s", joinNames(g.names), pick(one, "is", "are"), g.key)
		default:
			what = fmt.Sprintf("%s %s %s", joinNames(g.names), pick(one, "now uses", "now use"), g.key)
		}
		l.event(now, g.kind, what)
	}
}

// eventFold gathers the consumers an event of a kind happened to, by key,
// in order.
type eventFold []*foldGroup

type foldGroup struct {
	kind, key string
	names     []string
}

func (f *eventFold) add(kind, key, name string) {
	for _, g := range *f {
		if g.kind == kind && g.key == key {
			g.names = append(g.names, name)
			return
		}
	}
	*f = append(*f, &foldGroup{kind: kind, key: key, names: []string{name}})
}

func pick(one bool, a, b string) string {
	if one {
		return a
	}
	return b
}

func keyName(id string) string {
	if id == "" {
		return "no known key"
	}
	return id
}

// checkStoreConsumer checks that a consumer of a simulated secret store
// names a service that holds secrets (and, for PickupServed, serves
// them).
func (s *Sim) checkStoreConsumer(c Consumer) error {
	sv := s.Service(c.Service)
	switch {
	case sv == nil:
		return fmt.Errorf("consumer %q: the simulator serves no %q", c.Name, c.Service)
	case c.Ref == "":
		return fmt.Errorf("consumer %q: no ref names the place it reads", c.Name)
	}
	if _, ok := sv.(simapi.SecretStore); !ok {
		return fmt.Errorf("consumer %q: %s holds no secrets", c.Name, c.Service)
	}
	if _, ok := sv.(simapi.ServedStore); c.Pickup == PickupServed && (!ok || c.Via == "") {
		return fmt.Errorf("consumer %q: pickup %q needs via, and a service that deploys (%s does not, or via is empty)", c.Name, c.Pickup, c.Service)
	}
	return nil
}

// keyStatus asks whoever issued value whether it works now: the OpenAI
// half, GitHub's tokens, or a service that issues keys. known is false
// when nobody knows it.
func (s *Sim) keyStatus(value string, now time.Time) (id string, live, known bool) {
	if value == "" {
		return "", false, false
	}
	if id, live, known := s.openai.KeyStatus(value, now); known {
		return id, live, true
	}
	for _, ki := range append([]simapi.KeyIssuer{s.github.Tokens()}, s.KeyIssuers()...) {
		if id, live, known := ki.KeyStatus(value, now); known {
			return id, live, true
		}
	}
	return "", false, false
}

// useKey records a consumer's call with value at its issuer, and reports
// whether it worked.
func (s *Sim) useKey(value string, now time.Time) bool {
	if _, _, known := s.openai.KeyStatus(value, now); known {
		_, ok := s.openai.UseKey(value, "gpt-4o-mini", now, 1, 400, 120)
		return ok
	}
	for _, ki := range append([]simapi.KeyIssuer{s.github.Tokens()}, s.KeyIssuers()...) {
		if _, _, known := ki.KeyStatus(value, now); known {
			return ki.UseKey(value, now, 1)
		}
	}
	return false
}

// consumerValue is the key value a consumer holds now.
func (s *Sim) consumerValue(c *consumerRun) string {
	switch c.c.Pickup {
	case PickupStore:
		if st, ok := s.Service(c.c.Service).(simapi.SecretStore); ok {
			v, _ := st.SecretValue(c.c.Ref)
			return v
		}
		return ""
	case PickupServed:
		if st, ok := s.Service(c.c.Service).(simapi.ServedStore); ok {
			v, _ := st.ServedValue(c.c.Ref, c.c.Via)
			return v
		}
		return ""
	}
	if c.c.Pickup == PickupWorkflow {
		owner, name, _ := cutRepo(c.c.Repo)
		if rn, ok := s.github.LastSuccessfulRun(owner, name, c.c.Workflow); ok {
			if v, ok := rn.Secret(c.c.SecretName); ok {
				return v
			}
			return ""
		}
		return c.initial
	}
	v, _ := s.github.SecretValue(c.c.Secret)
	return v
}

// FreezeLive stops the live world: nothing accrues from now, and
// LiveState keeps showing the world as it was. It is safe to call when
// the world is not running, and more than once.
func (s *Sim) FreezeLive() {
	s.mu.Lock()
	l := s.live
	s.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	if !l.frozen {
		now := s.now().UTC()
		s.stepLocked(l, now)
		l.frozen, l.frozenAt = true, now
	}
	l.mu.Unlock()
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
}

// StepLive advances the live world to the simulator's now at once (tests,
// and readers that want the freshest state).
func (s *Sim) StepLive() {
	s.mu.Lock()
	l := s.live
	s.mu.Unlock()
	if l == nil {
		return
	}
	s.world.RLock()
	defer s.world.RUnlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.frozen {
		s.stepLocked(l, s.now().UTC())
	}
}

// stepLiveHeld is StepLive for a caller that holds s.world.
func (s *Sim) stepLiveHeld() {
	s.mu.Lock()
	l := s.live
	s.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.frozen {
		s.stepLocked(l, s.now().UTC())
	}
}

// LiveState returns the live world now (Running false when it was never
// started).
func (s *Sim) LiveState() LiveState {
	s.mu.Lock()
	l := s.live
	s.mu.Unlock()
	st := LiveState{Consumers: []ConsumerState{}, Events: []LiveEvent{}}
	st.Attacker.Keys = []AttackKey{}
	if l == nil {
		return st
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := s.now().UTC()
	if l.frozen {
		now = l.frozenAt
	}
	st.Running, st.Frozen = !l.frozen, l.frozen
	st.Started, st.Now = rfc3339nano(l.started), rfc3339nano(now)
	st.ElapsedSeconds = now.Sub(l.started).Seconds()
	st.Attacker = l.attack
	st.Attacker.Keys = []AttackKey{}
	for _, k := range l.keys {
		ak := AttackKey{KeyID: k.keyID, Since: rfc3339nano(k.since), Live: k.deadAt == nil, Requests: k.reqs, CostUSD: round2(k.cost), Why: k.why}
		end := now
		if k.deadAt != nil {
			ak.DeadAt = rfc3339nano(*k.deadAt)
			end = *k.deadAt
		}
		ak.ExposureSeconds = math.Max(0, end.Sub(k.since).Seconds())
		st.Attacker.Active = st.Attacker.Active || ak.Live
		st.Attacker.Keys = append(st.Attacker.Keys, ak)
	}
	st.Attacker.CostUSD = round2(st.Attacker.CostUSD)
	for _, c := range l.consumers {
		cs := ConsumerState{Consumer: c.c, KeyID: c.keyID, Up: c.up, DowntimeSeconds: c.downtime.Seconds(), Outages: c.outages, Broken: c.broken, Calls: c.calls}
		if !c.up && c.seen {
			cs.DownSince = rfc3339nano(c.downSince)
			cs.DowntimeSeconds += now.Sub(c.downSince).Seconds()
		}
		st.Consumers = append(st.Consumers, cs)
	}
	st.Events = slices.Clone(l.events)
	if st.Events == nil {
		st.Events = []LiveEvent{}
	}
	return st
}

// ConsumerValues returns the key value each consumer holds now, by
// consumer name (for scoring: a target that holds a dead key, or a key
// the attacker holds, is stale).
func (s *Sim) ConsumerValues() map[string]string {
	s.mu.Lock()
	l := s.live
	s.mu.Unlock()
	out := map[string]string{}
	if l == nil {
		return out
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.consumers {
		out[c.c.Name] = s.consumerValue(c)
	}
	return out
}

// AttackerHolds reports whether the attacker ever held the key with this
// ID.
func (s *Sim) AttackerHolds(keyID string) bool {
	s.mu.Lock()
	l := s.live
	s.mu.Unlock()
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.keys {
		if k.keyID == keyID {
			return true
		}
	}
	return false
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func roundDur(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

func rfc3339nano(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
