package playbook

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/secret"
)

// tmplPart is literal text or one ${{ expression }}.
type tmplPart struct {
	text string // literal text, when e is nil
	e    *expr
	src  string   // the expression's source (between ${{ and }})
	pos  diag.Pos // position of src's first byte in the file
	// exact: columns in src advance one by one from pos (the scalar style
	// keeps the text as written); otherwise every offset maps to pos.
	exact bool
}

// posOf returns the file position of byte offset off in the expression.
func (p *tmplPart) posOf(off int) diag.Pos {
	pos := p.pos
	if p.exact && off > 0 && off <= len(p.src) && !strings.ContainsAny(p.src[:off], "\r\n") {
		pos.Col += utf8.RuneCountInString(p.src[:off])
	}
	return pos
}

// whole reports whether the template is exactly one expression with no
// text around it, so that Eval returns the referenced value unchanged.
func (t *Template) whole() bool {
	return len(t.parts) == 1 && t.parts[0].e != nil
}

// exprs returns the parsed expressions of the template.
func (t *Template) exprParts() []*tmplPart {
	var out []*tmplPart
	for i := range t.parts {
		if t.parts[i].e != nil {
			out = append(out, &t.parts[i])
		}
	}
	return out
}

// String returns the template's source text.
func (t *Template) String() string {
	if t == nil {
		return ""
	}
	return t.Source
}

// ParseTemplate parses a string that may contain ${{ expression }} parts.
// The returned template has no file position; Parse fills positions in for
// templates in a playbook.
func ParseTemplate(src string) (*Template, error) {
	t, errs := compileTemplate(src, false, linearLocator(diag.Pos{Line: 1, Col: 1}, src))
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return t, nil
}

// ParseExpression parses a condition as written in `when:`: either a bare
// expression (inputs.force == false) or one ${{ expression }}.
func ParseExpression(src string) (*Template, error) {
	t, errs := compileTemplate(src, true, linearLocator(diag.Pos{Line: 1, Col: 1}, src))
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return t, nil
}

// locator maps a byte offset in a scalar's value to a file position, and
// says whether the text from there on is laid out as in the value.
type locator func(off int) (diag.Pos, bool)

// linearLocator is the locator of a one-line scalar value whose first
// character is at start and which is written without escapes.
func linearLocator(start diag.Pos, value string) locator {
	return func(off int) (diag.Pos, bool) {
		p := start
		if off > 0 && off <= len(value) {
			p.Col += utf8.RuneCountInString(value[:off])
		}
		return p, true
	}
}

// templateError is a syntax error in a template, with its position.
type templateError struct {
	pos diag.Pos
	msg string
}

func (e *templateError) Error() string {
	if e.pos.Line == 0 {
		return e.msg
	}
	return fmt.Sprintf("%d:%d: %s", e.pos.Line, e.pos.Col, e.msg)
}

// compileTemplate splits src into text and expressions and parses each
// expression. A bare template (when:, foreach:) is one expression, written
// with or without ${{ }}. loc may be nil (positions are then unknown).
func compileTemplate(src string, bare bool, loc locator) (*Template, []*templateError) {
	at := func(off int) (diag.Pos, bool) {
		if loc == nil {
			return diag.Pos{}, false
		}
		return loc(off)
	}
	t := &Template{Source: src}
	t.Pos, _ = at(0)
	var errs []*templateError
	addPart := func(exprSrc string, off int) {
		pos, exact := at(off)
		p := tmplPart{src: exprSrc, pos: pos, exact: exact}
		e, err := parseExpr(exprSrc)
		if err != nil {
			var ee *exprError
			if errors.As(err, &ee) {
				errs = append(errs, &templateError{pos: p.posOf(ee.off), msg: ee.msg})
			} else {
				errs = append(errs, &templateError{pos: pos, msg: err.Error()})
			}
			return
		}
		p.e = e
		t.parts = append(t.parts, p)
	}
	if bare && !strings.Contains(src, "${{") {
		addPart(src, 0)
		return t, errs
	}
	rest, off := src, 0
	for rest != "" {
		i := strings.Index(rest, "${{")
		if i < 0 {
			t.parts = append(t.parts, tmplPart{text: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{text: rest[:i]})
		}
		body := rest[i+3:]
		j := closingBraces(body)
		if j < 0 {
			pos, _ := at(off + i)
			errs = append(errs, &templateError{pos: pos, msg: `"${{" is not closed by "}}"`})
			return t, errs
		}
		addPart(body[:j], off+i+3)
		adv := i + 3 + j + 2
		rest, off = rest[adv:], off+adv
	}
	if bare && !t.whole() && len(errs) == 0 {
		pos, _ := at(0)
		errs = append(errs, &templateError{pos: pos, msg: "expected one expression, not text around ${{ }}"})
	}
	return t, errs
}

// closingBraces returns the index of the "}}" that ends an expression body,
// skipping quoted strings, or -1.
func closingBraces(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			return i
		}
	}
	// An unterminated string: end at the first "}}" so that the expression
	// parser reports the string.
	return strings.Index(s, "}}")
}

// Eval evaluates the template. A template that is exactly one expression
// returns the value unchanged (a secret.Value stays a secret.Value, a list
// stays a []string); a template with text returns a string, and refuses to
// render secrets or lists into it.
func (t *Template) Eval(s *Scope) (any, error) {
	if t == nil {
		return nil, nil
	}
	if t.whole() {
		return evalExpr(t.parts[0].e, s)
	}
	var b strings.Builder
	for i := range t.parts {
		p := &t.parts[i]
		if p.e == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := evalExpr(p.e, s)
		if err != nil {
			return nil, err
		}
		str, err := renderText(v)
		if err != nil {
			return nil, fmt.Errorf("${{ %s }}: %w", strings.TrimSpace(p.src), err)
		}
		b.WriteString(str)
	}
	return b.String(), nil
}

// Truthy evaluates the template as a condition: false, "", 0, an empty list
// and a missing value are false; anything else is true. Secrets cannot be
// tested.
func (t *Template) Truthy(s *Scope) (bool, error) {
	if t == nil {
		return true, nil
	}
	v, err := t.Eval(s)
	if err != nil {
		return false, err
	}
	return truthy(v)
}

// renderText formats a value for a string with text around it.
func renderText(v any) (string, error) {
	if secret.Is(v) {
		return "", errors.New("a secret cannot be rendered into text")
	}
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case time.Duration:
		return v.String(), nil
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return fmt.Sprint(v), nil
	case fmt.Stringer:
		return v.String(), nil
	default:
		return "", fmt.Errorf("a %s cannot be rendered into text; pass it as the whole value", typeName(v))
	}
}

func typeName(v any) string {
	switch v.(type) {
	case []string, []any:
		return "list"
	case map[string]string, map[string]any:
		return "mapping"
	}
	return fmt.Sprintf("%T", v)
}

func truthy(v any) (bool, error) {
	if secret.Is(v) {
		return false, errors.New("a secret cannot be used as a condition")
	}
	switch v := v.(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		return v != "", nil
	case secret.Value:
		return false, errors.New("a secret cannot be used as a condition")
	case []string:
		return len(v) > 0, nil
	case []any:
		return len(v) > 0, nil
	case map[string]string:
		return len(v) > 0, nil
	case map[string]any:
		return len(v) > 0, nil
	case time.Duration:
		return v != 0, nil
	}
	if n, ok := toInt64(v); ok {
		return n != 0, nil
	}
	return true, nil
}

func toInt64(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint:
		return int64(v), v <= 1<<63-1
	case uint64:
		return int64(v), v <= 1<<63-1
	}
	return 0, false
}

func evalExpr(e *expr, s *Scope) (any, error) {
	switch e.kind {
	case exprString:
		return e.str, nil
	case exprInt:
		return e.num, nil
	case exprBool:
		return e.b, nil
	case exprRef:
		return lookup(e.path, s)
	case exprNot:
		v, err := evalExpr(e.x, s)
		if err != nil {
			return nil, err
		}
		b, err := truthy(v)
		return !b, err
	case exprAnd, exprOr:
		v, err := evalExpr(e.x, s)
		if err != nil {
			return nil, err
		}
		b, err := truthy(v)
		if err != nil {
			return nil, err
		}
		if (e.kind == exprAnd) != b { // short-circuit
			return b, nil
		}
		w, err := evalExpr(e.y, s)
		if err != nil {
			return nil, err
		}
		return truthy(w)
	case exprEq, exprNe:
		a, err := evalExpr(e.x, s)
		if err != nil {
			return nil, err
		}
		b, err := evalExpr(e.y, s)
		if err != nil {
			return nil, err
		}
		eq, err := equal(a, b)
		if err != nil {
			return nil, err
		}
		return eq == (e.kind == exprEq), nil
	}
	return nil, fmt.Errorf("unknown expression")
}

// equal compares two scalars. Numbers compare with numbers (a string that
// holds an integer counts as one), durations compare by their text.
func equal(a, b any) (bool, error) {
	na, err := normalize(a)
	if err != nil {
		return false, err
	}
	nb, err := normalize(b)
	if err != nil {
		return false, err
	}
	if x, ok := na.(int64); ok {
		if y, ok := nb.(string); ok {
			n, err := strconv.ParseInt(y, 10, 64)
			return err == nil && n == x, nil
		}
	}
	if x, ok := nb.(int64); ok {
		if y, ok := na.(string); ok {
			n, err := strconv.ParseInt(y, 10, 64)
			return err == nil && n == x, nil
		}
	}
	return na == nb, nil
}

func normalize(v any) (any, error) {
	if secret.Is(v) {
		return nil, errors.New("a secret cannot be compared")
	}
	switch v := v.(type) {
	case nil, string, bool:
		return v, nil
	case secret.Value:
		return nil, errors.New("a secret cannot be compared")
	case time.Duration:
		return v.String(), nil
	case float64:
		if v == float64(int64(v)) {
			return int64(v), nil
		}
		return v, nil
	}
	if n, ok := toInt64(v); ok {
		return n, nil
	}
	return nil, fmt.Errorf("a %s cannot be compared", typeName(v))
}

// lookup resolves a reference path in the scope.
func lookup(path []string, s *Scope) (any, error) {
	if s == nil {
		s = &Scope{}
	}
	ref := strings.Join(path, ".")
	switch path[0] {
	case "inputs":
		if len(path) != 2 {
			break
		}
		v, ok := s.Inputs[path[1]]
		if !ok {
			return nil, fmt.Errorf("%s: no such input in this run", ref)
		}
		return v, nil
	case "steps":
		if len(path) != 4 || path[2] != "outputs" {
			break
		}
		outs, ok := s.Steps[path[1]]
		if !ok {
			return nil, fmt.Errorf("%s: step %q has not produced outputs (it was skipped or has not run)", ref, path[1])
		}
		v, ok := outs[path[3]]
		if !ok {
			return nil, fmt.Errorf("%s: step %q did not produce output %q", ref, path[1], path[3])
		}
		return v, nil
	case "item":
		if !s.HasItem {
			return nil, fmt.Errorf("%s: item is only defined inside a foreach step", ref)
		}
		if len(path) == 1 {
			return s.Item, nil
		}
		if len(path) != 2 {
			break
		}
		switch m := s.Item.(type) {
		case map[string]any:
			if v, ok := m[path[1]]; ok {
				return v, nil
			}
		case map[string]string:
			if v, ok := m[path[1]]; ok {
				return v, nil
			}
		default:
			return nil, fmt.Errorf("%s: the item is a %s, not a mapping", ref, typeName(s.Item))
		}
		return nil, fmt.Errorf("%s: the item has no field %q", ref, path[1])
	case "incident":
		if len(path) != 2 {
			break
		}
		v, ok := s.Incident[path[1]]
		if !ok {
			return nil, fmt.Errorf("%s: not known in this run", ref)
		}
		return v, nil
	}
	return nil, fmt.Errorf("%s: unknown reference", ref)
}
