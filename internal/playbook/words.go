package playbook

import (
	"fmt"
	"strconv"
	"strings"
)

// Words says in words what a condition (a `when:`) requires, for people:
// a skipped step says "it runs only when the output key_id of step
// targets is set", never the expression's source. A template with text
// around its expressions (not a condition) is quoted without its ${{ }}.
func (t *Template) Words() string {
	if t == nil {
		return "always"
	}
	if t.whole() {
		if e := t.parts[0].e; e.kind == exprRef {
			return e.cond()
		}
		return t.parts[0].e.words()
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.e == nil {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(p.e.words())
	}
	return strconv.Quote(b.String())
}

// words describes a node: references by what they name, comparisons with
// the empty string as set or empty, the operators as not, and, or.
func (e *expr) words() string {
	switch e.kind {
	case exprString:
		return strconv.Quote(e.str)
	case exprInt:
		return strconv.FormatInt(e.num, 10)
	case exprBool:
		return strconv.FormatBool(e.b)
	case exprRef:
		return refWords(e.path)
	case exprNot:
		switch x := e.x; x.kind {
		case exprRef:
			return refWords(x.path) + " is false or empty"
		case exprEq:
			return (&expr{kind: exprNe, x: x.x, y: x.y}).words()
		case exprNe:
			return (&expr{kind: exprEq, x: x.x, y: x.y}).words()
		}
		return "not (" + e.x.words() + ")"
	case exprAnd, exprOr:
		op := " and "
		if e.kind == exprOr {
			op = " or "
		}
		return e.x.cond() + op + e.y.cond()
	case exprEq, exprNe:
		x, y := e.x, e.y
		if x.kind != exprRef && y.kind == exprRef {
			x, y = y, x
		}
		is := " is "
		if e.kind == exprNe {
			is = " is not "
		}
		switch {
		case y.kind == exprString && y.str == "" && e.kind == exprNe:
			return x.words() + " is set"
		case y.kind == exprString && y.str == "":
			return x.words() + " is empty"
		}
		return x.words() + is + y.words()
	}
	return "?"
}

// cond is words for an operand of and/or: a bare reference reads as a
// condition, a nested and/or in parentheses.
func (e *expr) cond() string {
	switch e.kind {
	case exprRef:
		return refWords(e.path) + " is true or set"
	case exprAnd, exprOr:
		return "(" + e.words() + ")"
	}
	return e.words()
}

// refWords names what a reference refers to.
func refWords(path []string) string {
	switch {
	case len(path) == 4 && path[0] == "steps" && path[2] == "outputs":
		return fmt.Sprintf("the output %s of step %s", path[3], path[1])
	case len(path) == 2 && path[0] == "inputs":
		return "the input " + path[1]
	case len(path) == 1 && path[0] == "item":
		return "the item"
	case len(path) == 2 && path[0] == "item":
		return "the item's " + path[1]
	case len(path) == 2 && path[0] == "incident":
		return "the incident's " + path[1]
	}
	return strings.Join(path, ".")
}
