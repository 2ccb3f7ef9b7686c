package playbook

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// OutputRef names one output of one step.
type OutputRef struct{ Step, Output string }

// OutputRefs returns every steps.X.outputs.Y referenced anywhere in the
// step (with, when, confirm, foreach), each once, in a stable order.
func (st *Step) OutputRefs() []OutputRef {
	var out []OutputRef
	add := func(t *Template) {
		if t == nil {
			return
		}
		for _, part := range t.exprParts() {
			for _, r := range part.e.refs(nil) {
				if len(r.path) == 4 && r.path[0] == "steps" && r.path[2] == "outputs" {
					ref := OutputRef{Step: r.path[1], Output: r.path[3]}
					if !slices.Contains(out, ref) {
						out = append(out, ref)
					}
				}
			}
		}
	}
	add(st.Foreach)
	add(st.When)
	add(st.Confirm)
	var walk func(v Value)
	walk = func(v Value) {
		switch v.Kind {
		case TemplateValue:
			add(v.Template)
		case ListValue:
			for _, e := range v.List {
				walk(e)
			}
		case MapValue:
			for _, k := range sortedKeys(v.Map) {
				walk(v.Map[k])
			}
		}
	}
	for _, k := range sortedKeys(st.With) {
		walk(st.With[k])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Resolve renders every `with` value in scope s, applies Param.Default for
// absent parameters, and converts each value to its parameter's declared
// type: string, int, bool, time.Duration, []string, map[string]string,
// secret.Value (a secret parameter given a plain string keeps the string)
// or, for Any, plain Go values (map[string]any, []any, scalars). A secret
// reaches only parameters that accept secrets.
func (st *Step) Resolve(spec step.Spec, s *Scope) (map[string]any, error) {
	out := map[string]any{}
	var errs []error
	for _, name := range sortedKeys(st.With) {
		if _, ok := spec.Param(name); !ok {
			errs = append(errs, fmt.Errorf("step %q: %q steps have no parameter %q", st.ID, spec.Kind, name))
		}
	}
	for _, pr := range spec.Params {
		v, given := st.With[pr.Name]
		if !given {
			if pr.Default != nil {
				out[pr.Name] = copyDefault(pr.Default)
			} else if pr.Required {
				errs = append(errs, fmt.Errorf("step %q: required parameter %q is missing", st.ID, pr.Name))
			}
			continue
		}
		raw, err := v.render(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("step %q, parameter %q: %w", st.ID, pr.Name, err))
			continue
		}
		c, err := coerce(pr, raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("step %q, parameter %q: %w", st.ID, pr.Name, err))
			continue
		}
		out[pr.Name] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// render evaluates a value to plain Go values.
func (v Value) render(s *Scope) (any, error) {
	switch v.Kind {
	case TemplateValue:
		return v.Template.Eval(s)
	case ListValue:
		out := make([]any, len(v.List))
		for i, e := range v.List {
			r, err := e.render(s)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case MapValue:
		out := make(map[string]any, len(v.Map))
		for k, e := range v.Map {
			r, err := e.render(s)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v.Literal, nil
}

// coerce converts a rendered value to the parameter's type.
func coerce(pr step.Param, v any) (any, error) {
	if secret.Is(v) {
		if pr.AcceptsSecret || pr.Type == step.Secret {
			return v, nil
		}
		return nil, errors.New("this parameter does not accept secrets")
	}
	switch pr.Type {
	case step.String:
		s, err := scalarString(v)
		if err != nil {
			return nil, err
		}
		if len(pr.Enum) > 0 && !slices.Contains(pr.Enum, s) {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(pr.Enum, ", "))
		}
		return s, nil
	case step.Secret:
		return scalarString(v)
	case step.Int:
		if n, ok := toInt64(v); ok && n >= math.MinInt && n <= math.MaxInt {
			return int(n), nil
		}
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f), nil
		}
		if s, ok := v.(string); ok {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("%q is not a whole number", s)
			}
			return n, nil
		}
	case step.Bool:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			switch strings.TrimSpace(b) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return nil, fmt.Errorf("%q is not true or false", b)
		}
	case step.Duration:
		switch d := v.(type) {
		case time.Duration:
			return d, nil
		case string:
			x, err := time.ParseDuration(strings.TrimSpace(d))
			if err != nil {
				return nil, fmt.Errorf("%q is not a duration such as 30s or 2m", d)
			}
			return x, nil
		}
	case step.List:
		switch l := v.(type) {
		case []string:
			return slices.Clone(l), nil
		case []any:
			out := make([]string, len(l))
			for i, e := range l {
				s, err := scalarString(e)
				if err != nil {
					return nil, fmt.Errorf("item %d: %w", i+1, err)
				}
				out[i] = s
			}
			return out, nil
		}
	case step.Map:
		switch m := v.(type) {
		case map[string]string:
			out := make(map[string]string, len(m))
			for k, e := range m {
				out[k] = e
			}
			return out, nil
		case map[string]any:
			out := make(map[string]string, len(m))
			for k, e := range m {
				s, err := scalarString(e)
				if err != nil {
					return nil, fmt.Errorf("key %q: %w", k, err)
				}
				out[k] = s
			}
			return out, nil
		}
	case step.Any:
		return v, nil
	}
	return nil, fmt.Errorf("expected %s, got %s", typeArticle(pr.Type), typeName(v))
}

// scalarString formats a scalar as text; lists, mappings and secrets are
// refused.
func scalarString(v any) (string, error) {
	if secret.Is(v) {
		return "", errors.New("a secret cannot be used here")
	}
	switch v := v.(type) {
	case nil:
		return "", nil
	case []string, []any, map[string]string, map[string]any:
		return "", fmt.Errorf("expected a string, got a %s", typeName(v))
	}
	return renderText(v)
}

// ResolveInputs builds the input values of a run: values given with
// --set name=value, parsed per the input's type (a list is
// comma-separated), secret values (read from standard input or a prompt,
// never from the command line), and defaults. An optional input with no
// value and no default gets its type's zero value ("", 0, false, 0s, an
// empty list); an optional secret input gets an empty secret. Every problem is
// reported at once.
func ResolveInputs(pb *Playbook, set map[string]string, secrets map[string]secret.Value) (map[string]any, error) {
	var errs []error
	names := make([]string, len(pb.Inputs))
	for i, in := range pb.Inputs {
		names[i] = in.Name
	}
	known := "this playbook has no inputs"
	if len(names) > 0 {
		known = "its inputs are: " + strings.Join(names, ", ")
	}
	for _, k := range sortedKeys(set) {
		if _, ok := pb.Input(k); !ok {
			errs = append(errs, fmt.Errorf("unknown input %q for playbook %q; %s", k, pb.Name, known))
		}
	}
	for _, k := range sortedKeys(secrets) {
		if _, ok := pb.Input(k); !ok {
			errs = append(errs, fmt.Errorf("unknown secret input %q for playbook %q; %s", k, pb.Name, known))
		}
	}
	out := map[string]any{}
	for _, in := range pb.Inputs {
		raw, fromSet := set[in.Name]
		sv, fromSecrets := secrets[in.Name]
		if in.Type == step.Secret {
			if fromSet {
				errs = append(errs, fmt.Errorf("input %q: secrets are never taken as command-line arguments (they would end up in shell history and process lists); give it on standard input or at the prompt instead of --set", in.Name))
				continue
			}
			switch {
			case fromSecrets:
				out[in.Name] = sv
			case in.Required:
				errs = append(errs, fmt.Errorf("secret input %q is required: give it on standard input or at the prompt", in.Name))
			default:
				out[in.Name] = secret.Value{} // empty: steps treat it as not given
			}
			continue
		}
		if fromSecrets {
			errs = append(errs, fmt.Errorf("input %q is not a secret: give it with --set %s=VALUE", in.Name, in.Name))
			continue
		}
		if !fromSet {
			switch {
			case in.Default != nil:
				out[in.Name] = copyDefault(in.Default)
			case in.Required:
				errs = append(errs, fmt.Errorf("input %q is required: add --set %s=VALUE (%s)", in.Name, in.Name, typeArticle(in.Type)))
			default:
				out[in.Name] = zeroValue(in.Type)
			}
			continue
		}
		v, err := parseInputValue(in.Type, raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("input %q: %w", in.Name, err))
			continue
		}
		out[in.Name] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// zeroValue is the value of an optional input that was not given, so that
// conditions such as `when: inputs.x` can test it.
func zeroValue(t step.Type) any {
	switch t {
	case step.Int:
		return 0
	case step.Bool:
		return false
	case step.Duration:
		return time.Duration(0)
	case step.List:
		return []string{}
	case step.Any:
		return []any{}
	}
	return ""
}

// copyDefault copies list and map defaults so that a run cannot change
// the declaration.
func copyDefault(v any) any {
	switch v := v.(type) {
	case []string:
		return slices.Clone(v)
	case map[string]string:
		out := make(map[string]string, len(v))
		for k, e := range v {
			out[k] = e
		}
		return out
	}
	return v
}

// parseInputValue parses a command-line value per type.
func parseInputValue(t step.Type, raw string) (any, error) {
	switch t {
	case step.Int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", raw)
		}
		return n, nil
	case step.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", raw)
		}
		return b, nil
	case step.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as 30s, 2m or 1h30m", raw)
		}
		return d, nil
	case step.List:
		out := []string{}
		for _, e := range strings.Split(raw, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
		return out, nil
	case step.Any:
		// Structured values (lists, mappings) come as JSON; anything else
		// is a string.
		if t := strings.TrimSpace(raw); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
			var v any
			if err := json.Unmarshal([]byte(t), &v); err != nil {
				return nil, fmt.Errorf("%q is not valid JSON: %v", raw, err)
			}
			return v, nil
		}
		return raw, nil
	}
	return raw, nil
}
