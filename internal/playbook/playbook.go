// Package playbook parses, validates and renders respond playbooks: YAML
// procedures of typed inputs and ordered steps. Every node keeps its source
// position so that every problem is reported as file:line:col.
package playbook

import (
	"time"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/step"
)

// Playbook is a parsed, validated playbook.
type Playbook struct {
	Name        string
	Description string
	Strategy    string // a label, e.g. "contain-first"
	Inputs      []Input
	Steps       []Step
	File        string // as given to Parse (used in diagnostics)
	Source      []byte // the YAML as read
	Pos         diag.Pos
}

// Input is a typed playbook input.
type Input struct {
	Name        string
	Type        step.Type // string, int, bool, duration, list or secret
	Description string
	Required    bool
	Default     any // typed per Type (int, bool, time.Duration, []string, string); nil if none
	Pos         diag.Pos
}

// Retry is a step's retry policy. Only idempotent steps are retried.
type Retry struct {
	Attempts   int           // total attempts, >= 1
	Backoff    time.Duration // first delay; doubles each time, with jitter
	MaxBackoff time.Duration // cap on one delay (0: 30s)
}

// Step is one step of a playbook.
type Step struct {
	ID              string
	Name            string // optional display name
	Uses            string // step kind
	With            map[string]Value
	When            *Template // nil: always
	Retry           *Retry    // nil: one attempt
	Timeout         time.Duration
	Confirm         *Template // question asked before the step runs; nil: none
	ContinueOnError bool
	Foreach         *Template // must evaluate to a list; nil: not a fan-out
	Concurrency     int       // foreach parallelism, >= 1 (default 1)
	Pos             diag.Pos
}

// Value is a parameter value as written: a literal, a template string, or a
// list or mapping of Values.
type Value struct {
	Literal  any       // a YAML scalar (string, int, bool, float64) when not templated; nil for null
	Text     string    // the scalar as written (ScalarValue), e.g. "007" for the int 7
	Template *Template // a string containing ${{ … }}
	List     []Value
	Map      map[string]Value
	Kind     ValueKind
	Pos      diag.Pos
}

// ValueKind says which field of a Value is set.
type ValueKind int

const (
	ScalarValue ValueKind = iota
	TemplateValue
	ListValue
	MapValue
)

// Scope is what templates can reference at run time.
type Scope struct {
	Inputs   map[string]any            // by input name; secrets as secret.Value
	Steps    map[string]map[string]any // outputs by step id, then output name
	Item     any                       // the current foreach item
	HasItem  bool
	Incident map[string]any // id, dir, playbook, started
}

// Template is a string with ${{ expression }} parts, or a bare expression
// (in `when:` and `foreach:`). Parse, ParseTemplate and ParseExpression
// fill it in; the zero Template evaluates to nil.
type Template struct {
	Source string   // as written in the playbook
	Pos    diag.Pos // of the scalar holding it
	parts  []tmplPart
}
