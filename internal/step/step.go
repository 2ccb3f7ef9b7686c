// Package step is the contract between the engine and the kinds of step a
// playbook can use (`uses: exec`). A kind declares its parameters, outputs
// and whether it mutates anything; it can Plan (read-only: say exactly what
// it would change) and Apply (do it, idempotently where it can).
//
// Kinds know nothing of cobra, terminals or the journal: everything they need
// arrives in a Call, and everything they learn leaves in a Result.
package step

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/respondhq/respond/internal/secret"
)

// Type is the type of a parameter or output value.
type Type string

const (
	String   Type = "string"
	Int      Type = "int"
	Bool     Type = "bool"
	Duration Type = "duration" // Go syntax: 1m30s
	List     Type = "list"     // a list of strings
	Map      Type = "map"      // a mapping of strings to strings
	Any      Type = "any"      // any YAML value (lists of mappings, …)
	Secret   Type = "secret"   // a secret.Value; only whole-value references
)

// Param describes one entry of a step's `with:`.
type Param struct {
	Name        string
	Type        Type
	Required    bool
	Default     any // used when the parameter is absent
	Description string
	// AcceptsSecret: the parameter may receive a secret (a whole-value
	// reference such as "${{ steps.gen.outputs.value }}"). A secret flowing
	// into any other parameter is a validation error.
	AcceptsSecret bool
	// Enum lists the allowed values of a string parameter, if restricted.
	Enum []string
}

// Output describes one value a step produces.
type Output struct {
	Name        string
	Type        Type
	Secret      bool // the value is a secret.Value; journaled as a fingerprint only
	Description string
}

// Spec declares a kind of step.
type Spec struct {
	Kind        string // the name used in `uses:`
	Summary     string // one line
	Description string
	Mutates     bool // changes something outside respond
	// Reads: the kind only queries the world (no side effect), so the engine
	// may run it while planning, in dry runs too. Leading steps that read run
	// before the plan is shown, so the plan can name what they found.
	Reads bool
	// Idempotent: applying twice has the effect of applying once, so the
	// engine may retry it and may re-apply it on resume. Kinds whose
	// idempotency depends on their parameters implement IdempotencyDecider.
	Idempotent bool
	Params     []Param
	Outputs    []Output
	// DynamicOutputs: outputs are named by parameters (validation accepts
	// any output name).
	DynamicOutputs bool
	// Evidence is the type of evidence the kind records (see
	// internal/evidence): the journal carries it, and the report reads
	// evidence by type, not by kind.
	Evidence string
	// Holds: the kind takes something the process holds until it exits (a
	// lock), so it runs again in every run of an incident, resume
	// included, even though an earlier run finished it.
	Holds bool
	// Follows: the kind acts on what the steps before it changed (a
	// redeploy picks up the secrets the deploys wrote), so once done it
	// runs again in a later run that has changes to make before it (a
	// deploy item retried on resume): its effect must follow the last
	// change.
	Follows bool
}

// Param returns the named parameter's declaration.
func (s Spec) Param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Output returns the named output's declaration.
func (s Spec) Output(name string) (Output, bool) {
	for _, o := range s.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

// Kind is a kind of step.
type Kind interface {
	Spec() Spec
	// Plan says what Apply would change, with no side effect.
	Plan(ctx context.Context, c *Call) ([]Change, error)
	// Apply does the work.
	Apply(ctx context.Context, c *Call) (*Result, error)
}

// Reconciler is implemented by kinds that can find out, after a crash,
// whether an attempt that started but never recorded its end took effect.
// done=true means the effect is in place and res describes it; done=false
// means it did not happen and Apply may run.
type Reconciler interface {
	Reconcile(ctx context.Context, c *Call) (res *Result, done bool, err error)
}

// ReconcileDecider is implemented by Reconcilers that can decide only
// with some parameters (exec: `creates:` or `unless:`). CanReconcile false
// means Reconcile would answer ErrUnknownOutcome, so the engine asks the
// responder before anything runs.
type ReconcileDecider interface {
	CanReconcile(c *Call) bool
}

// IdempotencyDecider is implemented by kinds whose idempotency depends on
// their parameters (exec: `idempotent: true`, `creates:` or `unless:`).
type IdempotencyDecider interface {
	Idempotent(c *Call) bool
}

// Recoverer is implemented by kinds whose secret outputs may be recovered
// after a resume instead of applying the step again (secrets are never
// journaled): key.replace reads the replacement back from a place that
// holds it, checks its fingerprint against the journal and that it still
// works. The engine calls Recover, before the plan, for a completed step
// whose secret output a step still to run needs; ok false (with a reason
// for the plan, or an error) means the step runs again. The result's
// outputs replace the step's; its summary says where the value came from.
// Recover must change nothing in the world.
type Recoverer interface {
	Recover(ctx context.Context, c *Call) (res *Result, ok bool, why string, err error)
}

// Recorded is a step instance that finished ok, or that started and never
// ended (Open), in the incident's journal order (earlier runs first), as
// Call.History gives it.
type Recorded struct {
	Seq      int    // the journal record's sequence number
	Step     string // the step's ID
	Item     string // its foreach item, if any
	Kind     string // the step kind it used
	Evidence map[string]any
	Outputs  map[string]any // secrets as journal.SecretRef maps
	// Open: the instance started (at Seq) and never recorded an end: it
	// may or may not have had its effect (a write the process died in).
	// Evidence and Outputs are then nil.
	Open bool
}

// Catalog looks up kinds by name.
type Catalog interface {
	Lookup(kind string) (Kind, bool)
	Kinds() []Kind // sorted by name
}

// Action is what a change does, for plans and summaries.
type Action string

const (
	Create Action = "create"
	Update Action = "update" // create or update, when not known before
	Delete Action = "delete"
	Run    Action = "run"    // run a command or trigger something
	Ask    Action = "ask"    // a human decision
	Record Action = "record" // respond's own timeline; no outside effect
	Read   Action = "read"
	NoOp   Action = "no-op"
)

// Change is one line of a plan: what will happen, to what, with what effect.
type Change struct {
	Action Action `json:"action"`
	Target string `json:"target"`
	Effect string `json:"effect"`
	// Destructive: the change takes something away that the inventory
	// did not ask to remove (a repository losing access to an
	// organization secret, say). Plans flag it and it needs its own
	// confirmation.
	Destructive bool `json:"destructive,omitempty"`
}

// Note is a remark on all the items of a fan-out at once, which the plan
// shows under the step: what the items cost at a provider's rate limits,
// say, or a cheaper way to hold what they write.
type Note struct {
	// ID names the kind of note, stably (github-cost, github-org-secret).
	ID string `json:"id"`
	// Text is one paragraph for people; no secrets.
	Text string `json:"text"`
	// FollowUp, when set, is the title of the follow-up a report makes of
	// the note (its detail is Text).
	FollowUp string `json:"follow_up,omitempty"`
	// Figures back Text with numbers (requests, points, seconds…), for
	// machines and tests.
	Figures map[string]float64 `json:"figures,omitempty"`
}

// Noter is implemented by kinds with something to say about all the
// items of a fan-out together. The engine calls PlanNotes, with no side
// effect expected, after planning the items that will run; calls holds
// one call per such item.
type Noter interface {
	PlanNotes(ctx context.Context, calls []*Call) []Note
}

// Result is what Apply (or Reconcile) learnt.
type Result struct {
	// Outputs by name; secret outputs hold secret.Value.
	Outputs map[string]any
	// Evidence: non-secret facts for the journal and the report (status
	// codes, IDs, created-or-updated, …). Never put a secret here.
	Evidence map[string]any
	// Summary is one line for the run summary ("wrote deploy/.env").
	Summary string
	// Note, if set, is a timeline entry (the note step).
	Note string
}

// Approval is the answer of a human gate.
type Approval struct {
	Approved bool   `json:"approved"`
	By       string `json:"by"`  // who answered
	How      string `json:"how"` // "prompt" or "--yes"
}

// Approver asks a human. The engine provides it; it prompts on a terminal,
// approves on --yes, and refuses otherwise.
type Approver interface {
	Approve(ctx context.Context, question string) (Approval, error)
}

// Chooser asks a human to pick one of several options (on a terminal).
// Approvers that can also ask this implement it; without a terminal Choose
// returns ErrNoChoice, and the kind says which input decides instead.
type Chooser interface {
	Choose(ctx context.Context, question string, options []string) (int, error)
}

// ErrNoChoice: nobody can be asked to choose (no terminal, or --yes).
var ErrNoChoice = errors.New("no terminal to choose on")

// SecretAsker asks a person for a secret: a replacement key a person made
// in a provider's console, which no API can create. Approvers that can ask
// implement it (a hidden prompt on a terminal, or standard input given for
// it); kinds find it by asserting Call.Approver.
type SecretAsker interface {
	// CanAsk reports whether a person can be asked now.
	CanAsk() bool
	// AskSecret asks for a secret: question is the prompt, detail says
	// where and how to make it. ErrNobodyToAsk when nobody can answer.
	AskSecret(ctx context.Context, question, detail string) (secret.Value, error)
}

// ErrNobodyToAsk: a secret a person must give was needed, and nobody can
// be asked (no terminal, or --yes, and no --replacement-stdin).
var ErrNobodyToAsk = errors.New("nobody to ask for it")

// CanAsk reports whether the call's approver can ask a person for a secret.
func (c *Call) CanAsk() bool {
	a, ok := c.Approver.(SecretAsker)
	return ok && a.CanAsk()
}

// Locker takes named locks (a leaked key, an alert) until the process
// exits, so that one response per key runs at a time. A name another
// responder holds gives an error that says who and in which incident, and
// wraps ErrLocked.
type Locker interface {
	Lock(ctx context.Context, names []string) error
}

// ErrLocked is wrapped by errors saying another responder holds a lock.
var ErrLocked = errors.New("held by another responder")

// Call is one invocation of a step (one item of a foreach).
type Call struct {
	Incident string // incident ID
	StepID   string
	Item     string // foreach item key, "" outside foreach
	Params   map[string]any
	Approver Approver
	// Locker takes locks for the rest of the run (nil: locking is not
	// available, e.g. in a dry run).
	Locker Locker
	// Secrets registers secret values produced by the step, so every
	// output writer masks them. Kinds call it as soon as a value exists.
	Secrets *secret.Registry
	// Dir is the directory relative paths are resolved against.
	Dir string
	// Previous is the result of an earlier completed apply of this step in
	// the same incident, when the engine re-applies it (for example because
	// a secret output is needed again after a resume). Nil otherwise.
	Previous *Result
	// Interrupted is when an earlier attempt of this instance started and
	// never recorded its end (a crash or a kill), as the journal says; zero
	// otherwise. Reconcile uses it to look for what that attempt did (a
	// workflow run dispatched after it, say).
	Interrupted time.Time
	// Checkpoint records data in the journal during this attempt (never a
	// secret), before an action whose result could die with the process;
	// when the attempt is interrupted, the next run's Reconcile gets it back
	// as InterruptedCheckpoint. Nil when nothing journals (tests).
	Checkpoint func(data map[string]any) error
	// InterruptedCheckpoint is the last checkpoint of the interrupted
	// attempt (see Interrupted), or nil.
	InterruptedCheckpoint map[string]any
	// Log writes a progress line for humans (masked, may be discarded).
	Log func(format string, args ...any)
	// History lists every step instance of the incident that finished ok,
	// in journal order, this run's so far included: what an earlier run
	// wrote where (deploy's evidence), for recovery and clean-up. Nil
	// outside the engine.
	History func() []Recorded
}

// Recorded returns c.History(), or nil outside the engine.
func (c *Call) Recorded() []Recorded {
	if c == nil || c.History == nil {
		return nil
	}
	return c.History()
}

// Has reports whether the parameter was given (or has a default).
func (c *Call) Has(name string) bool { _, ok := c.Params[name]; return ok }

// String returns a string parameter ("" when absent).
func (c *Call) String(name string) string { s, _ := c.Params[name].(string); return s }

// Bool returns a bool parameter.
func (c *Call) Bool(name string) bool { b, _ := c.Params[name].(bool); return b }

// Int returns an int parameter.
func (c *Call) Int(name string) int { i, _ := c.Params[name].(int); return i }

// Duration returns a duration parameter.
func (c *Call) Duration(name string) time.Duration {
	d, _ := c.Params[name].(time.Duration)
	return d
}

// List returns a list parameter.
func (c *Call) List(name string) []string { l, _ := c.Params[name].([]string); return l }

// Map returns a map parameter.
func (c *Call) Map(name string) map[string]string {
	m, _ := c.Params[name].(map[string]string)
	return m
}

// Secret returns a secret parameter. A plain string given to a parameter
// that accepts secrets is returned wrapped.
func (c *Call) Secret(name string) (secret.Value, bool) {
	switch v := c.Params[name].(type) {
	case secret.Value:
		return v, true
	case string:
		return secret.New(v), true
	}
	return secret.Value{}, false
}

// Logf logs through c.Log if set.
func (c *Call) Logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

// ErrUnknownOutcome is returned by Reconcile when the kind cannot tell
// whether an interrupted attempt took effect and repeating it is not safe:
// the engine then stops and asks the responder.
var ErrUnknownOutcome = errors.New("the outcome of the interrupted attempt is unknown")

// ErrPreflight is wrapped by errors of checks that found missing access
// before any change (exit code 4).
var ErrPreflight = errors.New("preflight found problems")

// ErrDeclined is returned when a human declined an approval.
var ErrDeclined = errors.New("declined")

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying (bad input, missing access).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Errorf is fmt.Errorf marked Permanent.
func Errorf(format string, args ...any) error { return Permanent(fmt.Errorf(format, args...)) }
