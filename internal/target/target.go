// Package target is the contract between respond's core and a type of
// target: a place a credential is deployed (a GitHub Actions secret, a
// .env file, a Kubernetes Secret, …) or a deployment to re-run once it
// changed (a workflow). A type is one package under internal/targets that
// registers its Spec (its fields, each with its own validation; its ID;
// its writer) in an init function, and one line in internal/plugins.
//
// A Target is a type and the values of its fields, as the inventory gives
// them; playbooks pass targets to steps as plain mappings (Map, FromMap).
package target

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/textsafe"
)

// Target is one place a credential lives (or a deployment to re-run).
type Target struct {
	Type string
	// Fields hold the values of the type's fields by name: a string, a
	// bool, a []string or a map[string]string, as the field's Kind says.
	Fields map[string]any
	// Pos is where the target is written in the inventory; FieldPos where
	// each field's value is.
	Pos      diag.Pos
	FieldPos map[string]diag.Pos
}

// New returns a target of typ with the given fields.
func New(typ string, fields map[string]any) Target {
	t := Target{Type: typ, Fields: map[string]any{}}
	for k, v := range fields {
		t.Fields[k] = v
	}
	return t
}

// Spec returns the target's type's Spec.
func (t Target) Spec() (*Spec, bool) { return Lookup(t.Type) }

// Str returns a string field ("" when absent).
func (t Target) Str(name string) string { s, _ := t.Fields[name].(string); return s }

// Bool returns a bool field.
func (t Target) Bool(name string) bool { b, _ := t.Fields[name].(bool); return b }

// List returns a list field.
func (t Target) List(name string) []string { l, _ := t.Fields[name].([]string); return l }

// StrMap returns a mapping field.
func (t Target) StrMap(name string) map[string]string {
	m, _ := t.Fields[name].(map[string]string)
	return m
}

// Has reports whether a field is given.
func (t Target) Has(name string) bool { _, ok := t.Fields[name]; return ok }

// Part is which part of the credential the target holds ("" for the main
// secret part).
func (t Target) Part() string { return t.Str(PartField) }

// Keys maps, for a target holding several parts at once, each key of the
// place to the part it holds.
func (t Target) Keys() map[string]string { return t.StrMap(KeysField) }

// Root is the directory a symbolic link at the target's path may lead
// into.
func (t Target) Root() string { return t.Str(RootField) }

// With returns a copy of t with a field set (nil removes it).
func (t Target) With(name string, v any) Target {
	c := t
	c.Fields = make(map[string]any, len(t.Fields)+1)
	for k, x := range t.Fields {
		c.Fields[k] = x
	}
	if v == nil {
		delete(c.Fields, name)
	} else {
		c.Fields[name] = v
	}
	return c
}

// Holds reports whether the target holds the credential (a secret store),
// not a deployment to re-run. A target of an unknown type holds it: it is
// refused where it would be written.
func (t Target) Holds() bool {
	if s, ok := t.Spec(); ok {
		return s.Holds
	}
	return true
}

// ID names the target uniquely and readably, as its type words it:
// "github-actions:acme/api:OPENAI_API_KEY", "dotenv:deploy/.env:KEY".
func (t Target) ID() string {
	if s, ok := t.Spec(); ok {
		return s.ID(t)
	}
	return t.Type
}

// String is ID.
func (t Target) String() string { return t.ID() }

// Map converts the target to the plain mapping playbooks carry: its
// type, its id, and its fields (lists as []any and mappings as
// map[string]any, so it round-trips through the journal).
func (t Target) Map() map[string]any {
	m := map[string]any{"type": t.Type}
	for k, v := range t.Fields {
		switch x := v.(type) {
		case string:
			if x != "" {
				m[k] = x
			}
		case bool:
			if x {
				m[k] = x
			}
		case []string:
			if len(x) > 0 {
				l := make([]any, len(x))
				for i := range x {
					l[i] = x[i]
				}
				m[k] = l
			}
		case map[string]string:
			if len(x) > 0 {
				mm := make(map[string]any, len(x))
				for k2, v2 := range x {
					mm[k2] = v2
				}
				m[k] = mm
			}
		}
	}
	m["id"] = t.ID()
	return m
}

// FromMap is the inverse of Map: it reads each field by its type's Spec,
// and checks the target (Validate).
func FromMap(m map[string]any) (Target, error) {
	typ, _ := m["type"].(string)
	t := Target{Type: typ, Fields: map[string]any{}}
	s, ok := Lookup(typ)
	if !ok {
		return t, t.Validate()
	}
	kinds := map[string]Kind{RootField: String}
	for _, f := range s.AllFields() {
		kinds[f.Name] = f.Kind
	}
	for k, v := range m {
		if k == "type" || k == "id" {
			continue
		}
		kind, known := kinds[k]
		if !known {
			continue
		}
		switch kind {
		case String, Duration:
			if x, ok := v.(string); ok {
				t.Fields[k] = x
			}
		case Bool:
			if x, ok := v.(bool); ok {
				t.Fields[k] = x
			}
		case List:
			switch x := v.(type) {
			case []string:
				t.Fields[k] = append([]string(nil), x...)
			case []any:
				l := make([]string, 0, len(x))
				for _, e := range x {
					l = append(l, fmt.Sprint(e))
				}
				t.Fields[k] = l
			}
		case Map:
			switch x := v.(type) {
			case map[string]string:
				c := make(map[string]string, len(x))
				for k2, v2 := range x {
					c[k2] = v2
				}
				t.Fields[k] = c
			case map[string]any:
				c := make(map[string]string, len(x))
				for k2, v2 := range x {
					c[k2] = fmt.Sprint(v2)
				}
				t.Fields[k] = c
			}
		}
	}
	return t, t.Validate()
}

// Validate checks a target as its type declares: required fields, each
// field's own Check, then the type's Validate. Every problem is in the
// error, which names the type.
func (t Target) Validate() error {
	var problems []string
	for _, p := range t.Problems() {
		if !p.Warning {
			problems = append(problems, p.text())
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("%s target: %s", t.Type, strings.Join(problems, "; "))
}

func (p Problem) text() string {
	if p.Field != "" && !strings.Contains(p.Msg, p.Field) {
		return p.Field + ": " + p.Msg
	}
	return p.Msg
}

// Problems checks a target as Validate does and returns every problem,
// warnings included, each naming its field.
func (t Target) Problems() []Problem {
	s, ok := t.Spec()
	switch {
	case t.Type == "":
		return []Problem{{Msg: "the target type is missing; use one of " + strings.Join(Types(), ", ")}}
	case !ok:
		return []Problem{{Msg: fmt.Sprintf("unknown target type %q; use one of %s", t.Type, strings.Join(Types(), ", "))}}
	}
	var out []Problem
	bad := false
	for _, f := range s.AllFields() {
		v, given := t.Fields[f.Name]
		switch {
		case (!given || isEmpty(v)) && f.Required:
			hint := fmt.Sprintf("add %s (%s), e.g. %s", f.Name, f.Doc, s.Example)
			if f.Doc == "" {
				hint = "add " + f.Name + ", e.g. " + s.Example
			}
			at := f.Name
			if !given {
				at = "" // nothing to point at but the target
			}
			out = append(out, Problem{Field: at, Msg: f.Name + " is required", Hint: hint, Missing: f.Name})
			bad = true
			continue
		case !given:
			continue
		case isEmpty(v) && f.Kind != String:
			continue // an empty list or mapping is as good as none
		}
		if unsafe, shown := unsafeText(v); unsafe {
			out = append(out, Problem{Field: f.Name, Msg: fmt.Sprintf("%s %s holds a control character, an escape or a bidirectional control", f.Name, shown),
				Hint: "write it as plain text: names, paths and commands in an inventory cannot hold control characters"})
			bad = true
			continue
		}
		if f.Kind == Duration {
			if err := checkDuration(v, f.MaxDuration); err != nil {
				out = append(out, Problem{Field: f.Name, Msg: err.Error(), Hint: HintOf(err)})
				bad = true
				continue
			}
		}
		if f.Check != nil {
			if err := f.Check(v); err != nil {
				out = append(out, Problem{Field: f.Name, Msg: err.Error(), Hint: HintOf(err)})
				bad = true
				continue
			}
		}
		if f.Warn != nil {
			if msg, hint := f.Warn(v); msg != "" {
				out = append(out, Problem{Field: f.Name, Msg: msg, Hint: hint, Warning: true})
			}
		}
	}
	if keys := t.Keys(); len(keys) > 0 && t.Part() != "" {
		out = append(out, Problem{Field: KeysField, Msg: "keys (each key → the part it holds) replaces part: give one or the other"})
		bad = true
	}
	if !bad && s.Validate != nil {
		out = append(out, s.Validate(t)...)
	}
	return out
}

// unsafeText reports whether a field's value (a string, a list's element,
// a mapping's key) holds what must never reach a terminal, a log or a
// report as it is: a control character (tab and newline too), an escape,
// a bidirectional control or invalid UTF-8; shown is the offending
// string, quoted. Mapping values (a workflow's inputs) are free text.
func unsafeText(v any) (bad bool, shown string) {
	var ss []string
	switch x := v.(type) {
	case string:
		ss = []string{x}
	case []string:
		ss = x
	case map[string]string:
		for k := range x {
			ss = append(ss, k)
		}
		sort.Strings(ss)
	}
	for _, s := range ss {
		if textsafe.Line(s) != s {
			return true, strconv.Quote(s)
		}
	}
	return false, ""
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	case map[string]string:
		return len(x) == 0
	}
	return false
}

// checkDuration checks a Duration field: a Go duration above zero, and
// at most max when max is set.
func checkDuration(v any, max string) error {
	s, _ := v.(string)
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return Invalid("write e.g. 30s, 2m or 1m30s", "%q is not a duration above zero", s)
	}
	if max != "" {
		if m, err := time.ParseDuration(max); err == nil && d > m {
			return Invalid(fmt.Sprintf("use a duration above 0 and at most %s", m), "%s is longer than %s", d, m)
		}
	}
	return nil
}

// Resolve makes a target's relative paths (Path fields, a Program's
// program when it holds a slash) absolute against dir, and records dir as
// the target's root when it has a Path field. Absolute paths are kept.
func Resolve(t Target, dir string) Target {
	s, ok := t.Spec()
	if !ok {
		return t
	}
	out := t
	for _, f := range s.Fields {
		switch {
		case f.Path:
			if p := t.Str(f.Name); p != "" {
				out = out.With(f.Name, resolve(dir, p))
				if out.Root() == "" {
					out = out.With(RootField, dir)
				}
			}
		case f.Program:
			if cmd := t.List(f.Name); len(cmd) > 0 && strings.ContainsAny(cmd[0], `/\`) {
				c := append([]string(nil), cmd...)
				c[0] = resolve(dir, c[0])
				out = out.With(f.Name, c)
			}
		}
	}
	return out
}

// resolve makes p absolute against dir, and clean.
func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// ValidSegment reports whether s can stand as one segment of a request
// path: not empty, not . or .. (which collapse the path), and no /, \, ?,
// #, % or control character.
func ValidSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\?#%`, r) {
			return false
		}
	}
	return true
}
