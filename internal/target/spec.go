package target

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/step"
)

// Spec is what a type of target declares about itself, as data: its
// fields (each with its own validation), how to name a target of it, an
// example for errors and docs, and how to build its writer. Inventory
// validation, the docs' tables and `inventory show` read it; nothing in
// the core knows a type by name.
type Spec struct {
	// Type is the name inventories use ("github-actions"): lower case
	// letters, digits and '-'.
	Type string
	// Title names it for people ("GitHub Actions secret").
	Title string
	// Summary is one line for the docs' table.
	Summary string
	// Fields are its fields, in the order the docs list them. The core
	// adds `part` to every type that holds the credential, and `keys` to
	// those that are MultiPart.
	Fields []Field
	// Example is one inventory line: "- dotenv: {path: deploy/.env, var: OPENAI_API_KEY}".
	Example string
	// Holds: a target of this type holds the credential (a secret store).
	// false: it is a deployment to re-run once every holder has the new
	// value (github-workflow); the deploy step leaves it out.
	Holds bool
	// MultiPart: it may take `keys:`, several parts of a credential
	// written at once (one JSON secret holding an AWS key's ID and secret).
	MultiPart bool
	// Validate checks the fields together (exactly one of repo or org,
	// say), after each field passed its own checks. Each problem names the
	// field it is about ("" for the target as a whole).
	Validate func(t Target) []Problem
	// ID names a target of this type uniquely and readably
	// ("dotenv:deploy/.env:OPENAI_API_KEY"). It must not change between
	// releases: journals and reports hold IDs.
	ID func(t Target) string
	// Describe says where the target is, what it is called there, and
	// anything worth a note, for `respond inventory show`; short shortens
	// a file path for display.
	Describe func(t Target, short func(string) string) (where, name, notes string)
	// Group places a target among its like, so that a fan-out to many
	// targets of one kind in one place shows as one line ("100 Actions
	// secrets OPENAI_API_KEY in acme (api … worker)"): kind
	// names them in the plural, where is where they all are, member is
	// this one's name among them. nil: targets of the type are alike when
	// Describe gives them the same where, each named by Describe's name.
	Group func(t Target) (kind, where, member string)
	// Env are the environment variables its writer reads (VAULT_TOKEN);
	// secret ones are masked and kept from child processes.
	Env []EnvVar
	// Docs is its docs page (docs/targets/TYPE.md), "" for types
	// documented in docs/inventory.md.
	Docs string
	// Fake builds the simulated API its tests and drills use (a
	// simapi.SecretStore, so scenarios can seed it and drills read what it
	// holds); nil for types written to this machine or tested elsewhere.
	Fake simapi.Factory
	// New builds its writer from the plug-in environment. It must not
	// fail or make requests.
	New func(env *plugin.Env) Writer
	// Sample is how the target conformance suite
	// (internal/target/conformance) makes targets of this type at its
	// Fake. With a Fake and a Sample, internal/plugins runs the suite for
	// the type against the simulator: registering is all it takes.
	Sample *Sample
	// FakeElsewhere, for a type without a Fake (written to this machine,
	// or tested against another implementation of its API), says where
	// its conformance suite runs ("moto, in internal/targets/awsstores's
	// tests"). The package that builds its writer must call
	// conformance.Run from its tests: internal/plugins checks that it
	// does.
	FakeElsewhere string
}

// Sample makes targets of a type at its Fake, a simapi.SecretStore, for
// the conformance suite.
type Sample struct {
	// Place returns the fields of a target naming the place name in one
	// container of the Fake that every name shares (a key of one
	// Kubernetes Secret, a field of one Vault secret): name, as given, is
	// the value of one of its Names fields. Storing a value at any place
	// of the container (SecretStore.PutSecret) creates the container; the
	// suite does so for a neighbour that every write must keep as it is.
	// For a MultiPart type, a target holding several parts is Place's
	// fields without that field and with keys naming the places.
	Place func(name string) map[string]any
	// Ref is the Fake's SecretStore ref (PutSecret, SecretValue) of the
	// place t names: what the suite reads to tell what t holds.
	Ref func(t Target) string
	// Denied returns the fields of a target at the Fake whose container
	// does not exist, which the writer's preflight check must refuse;
	// nil when there is none.
	Denied func(name string) map[string]any
}

// EnvVar is an environment variable a target type's writer reads.
type EnvVar struct {
	Name   string
	Secret bool // masked in every output, kept from child processes
	Doc    string
}

// Kind is the kind of a field's value.
type Kind string

const (
	String   Kind = "string"
	Bool     Kind = "bool"
	List     Kind = "list"     // a list of strings
	Map      Kind = "map"      // a mapping of strings to strings
	Duration Kind = "duration" // a Go duration, kept as written ("30s")
)

// Field is one field of a type of target.
type Field struct {
	Name     string
	Kind     Kind
	Required bool
	// Doc is one line for the docs and hints.
	Doc string
	// Check validates one value (a string, bool, []string or
	// map[string]string as Kind says; a Duration's string). Its error is
	// the message; use Invalid to give a hint with it.
	Check func(v any) error
	// Warn returns a warning about a valid value that may be wrong ("",
	// "" when none).
	Warn func(v any) (msg, hint string)
	// Path: a file path, resolved against the inventory's directory; the
	// directory is kept as the target's root (a symbolic link at the path
	// may not lead out of it).
	Path bool
	// Program: a command (a list, program first) whose program is a path
	// when it holds a slash, resolved like Path.
	Program bool
	// Names: the value names the place in its store (a variable, a
	// secret's name). A place named like an identifier part of the
	// credential (AWS_ACCESS_KEY_ID) that would get the secret part is
	// warned about.
	Names bool
	// MaxDuration bounds a Duration field (0: no bound); a duration must
	// be above zero.
	MaxDuration string
}

// Problem is one problem Validate found.
type Problem struct {
	Field   string // the field it is about, "" for the target
	Msg     string
	Hint    string
	Warning bool
	// Missing names a required field the target does not give (Field is
	// then "" when there is nothing in the file to point at).
	Missing string
}

// fieldError is a field's problem with a hint.
type fieldError struct{ msg, hint string }

func (e *fieldError) Error() string { return e.msg }

// Invalid returns the error of a field's Check: what is wrong and what to
// write instead.
func Invalid(hint, format string, args ...any) error {
	return &fieldError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// HintOf returns the hint of an Invalid error ("" for others).
func HintOf(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.hint
	}
	return ""
}

// Core fields every type gets as its Spec says.
const (
	// PartField is which part of the credential a holding target gets
	// ("access_key_id"); empty: the main secret part.
	PartField = "part"
	// KeysField maps, for a MultiPart target, each key of the place to
	// the credential part it holds.
	KeysField = "keys"
	// RootField is the directory a Path field's symbolic link may lead
	// into (the inventory's directory); the inventory sets it.
	RootField = "root"
	// FollowSymlinksField allows a Path field's link to lead anywhere.
	FollowSymlinksField = "follow_symlinks"
)

// AllFields returns the type's fields with the core ones it gets.
func (s *Spec) AllFields() []Field {
	out := append([]Field(nil), s.Fields...)
	if s.Holds && !s.has(PartField) {
		out = append(out, Field{Name: PartField, Kind: String, Names: false,
			Doc: "which part of the credential the place holds (an AWS key's access_key_id); default the secret part"})
	}
	if s.MultiPart && !s.has(KeysField) {
		out = append(out, Field{Name: KeysField, Kind: Map,
			Doc: "several parts at once: each key of the place mapped to the part it holds"})
	}
	return out
}

func (s *Spec) has(name string) bool {
	for _, f := range s.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Field returns the named field (core ones included).
func (s *Spec) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	switch {
	case name == PartField && s.Holds:
		return Field{Name: PartField, Kind: String}, true
	case name == KeysField && s.MultiPart:
		return Field{Name: KeysField, Kind: Map}, true
	}
	return Field{}, false
}

// FieldNames lists the fields' names (core ones included), in order.
func (s *Spec) FieldNames() []string {
	var out []string
	for _, f := range s.AllFields() {
		out = append(out, f.Name)
	}
	return out
}

// WriteResult is the evidence of a write.
type WriteResult struct {
	Created bool   // false: an existing value was replaced
	Detail  string // e.g. "201 Created", "replaced line 4"
	// Rollback, when set, says how to bring the previous value back
	// ("vault kv rollback -mount=secret -version=3 app/prod"), for the
	// report. Never a secret.
	Rollback string
	// FollowUp, when set, is something a person should fix about the
	// place, found while writing it (a .env file others may read): the
	// summary names it and the report lists it. Never a secret.
	FollowUp string
	// Warning, when set, is what the responder must know although the
	// write succeeded (a public key respond had was wrong): shown,
	// journaled and reported. Never a secret.
	Warning string
}

// Writer writes a credential to targets of one type. Writes must be
// idempotent: writing the same value twice leaves the same state. A type
// that does not hold the credential (Spec.Holds false) implements Check
// and Plan; its Write says it holds nothing.
type Writer interface {
	// Check says whether the target can be written, without writing
	// (preflight). The error says what is missing and what to do; wrap
	// step.ErrPreflight (Preflightf) for missing access or a missing
	// container.
	Check(ctx context.Context, t Target) error
	// Plan says what Write would do (create or update), without writing.
	Plan(ctx context.Context, t Target) (step.Change, error)
	// Write stores the value.
	Write(ctx context.Context, t Target, v secret.Value) (WriteResult, error)
}

// BatchChecker is a Writer that checks many targets at once with fewer
// requests than one per target (preflight uses it when a writer has it).
// errs[i] is ts[i]'s problem, nil when it passed.
type BatchChecker interface {
	CheckAll(ctx context.Context, ts []Target) (errs []error)
}

// Noter is a Writer with something to say about many of its targets
// together: what writing them costs at the provider's limits, or a
// cheaper way to hold them (the deploy step's plan notes).
type Noter interface {
	PlanNotes(ctx context.Context, ts []Target) []step.Note
}

// MultiPartWriter is a Writer that writes several parts of a credential
// in one write (Spec.MultiPart).
type MultiPartWriter interface {
	WriteParts(ctx context.Context, t Target, values map[string]secret.Value) (WriteResult, error)
}

// Reader is a Writer whose targets can be read back safely (a file, a
// secret store): a resume may recover the value a target holds, checked
// against the fingerprint respond journaled, instead of creating a new
// replacement. part names the credential part wanted, for a target that
// holds several (keys:); otherwise the one value the target holds is read.
// step.ErrNotFound when the place holds nothing.
type Reader interface {
	Read(ctx context.Context, t Target, part string) (secret.Value, error)
}

// Preflightf returns a problem a preflight check found: it wraps
// step.ErrPreflight (exit code 4) and cause, and reads as its message.
func Preflightf(cause error, format string, args ...any) error {
	return step.Permanent(&preflightError{msg: fmt.Sprintf(format, args...), cause: cause})
}

type preflightError struct {
	msg   string
	cause error
}

func (e *preflightError) Error() string { return e.msg }

func (e *preflightError) Unwrap() []error {
	if e.cause != nil {
		return []error{step.ErrPreflight, e.cause}
	}
	return []error{step.ErrPreflight}
}

var (
	regMu sync.RWMutex
	specs = map[string]*Spec{}
)

var typeRe = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// Register adds a type of target. It is called from the type's package's
// init function; an invalid Spec or a type registered twice panics at
// start.
func Register(s Spec) {
	switch {
	case !typeRe.MatchString(s.Type):
		panic(fmt.Sprintf("target.Register: type %q: use lower case letters, digits and -", s.Type))
	case s.Title == "" || s.ID == nil || s.New == nil || s.Example == "":
		panic("target.Register: type " + s.Type + " needs Title, Example, ID and New")
	case s.Sample != nil && (s.Fake == nil || s.Sample.Place == nil || s.Sample.Ref == nil):
		panic("target.Register: type " + s.Type + "'s Sample needs a Fake, Place and Ref")
	}
	seen := map[string]bool{}
	for _, f := range s.AllFields() {
		if seen[f.Name] {
			panic("target.Register: type " + s.Type + " declares field " + f.Name + " twice")
		}
		seen[f.Name] = true
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := specs[s.Type]; dup {
		panic("target.Register: type " + s.Type + " is registered twice")
	}
	for _, v := range s.Env {
		if v.Secret {
			plugin.DeclareEnv(v.Name, true)
		}
	}
	c := s
	specs[s.Type] = &c
}

// Specs returns every registered type's Spec, sorted by type.
func Specs() []*Spec {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]*Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Types lists the registered types, sorted.
func Types() []string {
	var out []string
	for _, s := range Specs() {
		out = append(out, s.Type)
	}
	return out
}

// Lookup returns a type's Spec.
func Lookup(typ string) (*Spec, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	s, ok := specs[typ]
	return s, ok
}

// SecretEnv lists the environment variables target types declare secret.
func SecretEnv() []string {
	var out []string
	for _, s := range Specs() {
		for _, v := range s.Env {
			if v.Secret {
				out = append(out, v.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Set is the writers of one run, built lazily from one plug-in
// environment.
type Set struct {
	env     *plugin.Env
	mu      sync.Mutex
	writers map[string]Writer
}

// NewSet returns the writers built from env.
func NewSet(env *plugin.Env) *Set {
	if env == nil {
		env = plugin.New(nil, nil, nil)
	}
	return &Set{env: env, writers: map[string]Writer{}}
}

// Writer returns the writer of a type, or an error naming the types
// respond knows.
func (ws *Set) Writer(typ string) (*Spec, Writer, error) {
	s, ok := Lookup(typ)
	if !ok {
		return nil, nil, step.Errorf("respond knows no %q targets; it knows %s", typ, strings.Join(Types(), ", "))
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ws.writers[typ]
	if w == nil {
		w = s.New(ws.env)
		ws.writers[typ] = w
	}
	return s, w, nil
}

// ProblemList is every problem one check found; preflight reports each on
// its own. It wraps its problems: a list of preflight problems is one
// (errors.Is(l, step.ErrPreflight)).
type ProblemList []error

func (l ProblemList) Error() string {
	texts := make([]string, len(l))
	for i, e := range l {
		texts[i] = e.Error()
	}
	return strings.Join(texts, "; ")
}

// Unwrap returns the problems.
func (l ProblemList) Unwrap() []error { return l }

// PreflightProblems is the preflight error of a target's problems, each
// message naming the target (nil for none): one problem alone, several as
// a ProblemList, which preflight reports one by one.
func PreflightProblems(id string, messages []string) error {
	switch len(messages) {
	case 0:
		return nil
	case 1:
		return Preflightf(nil, "%s: %s", id, messages[0])
	}
	list := make(ProblemList, len(messages))
	for i, m := range messages {
		list[i] = Preflightf(nil, "%s: %s", id, m)
	}
	return Preflightf(list, "%s", list.Error())
}
