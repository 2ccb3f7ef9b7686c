package playbook

import (
	"fmt"
	"strconv"
	"strings"
)

// The expression language of ${{ … }}: references (inputs.NAME,
// steps.ID.outputs.NAME, item, item.FIELD, incident.NAME), string literals
// in single or double quotes, integers, true and false, the operators
// == != && || ! and parentheses. It is parsed by hand so that every node
// keeps its offset in the expression, which validation maps to a file
// column, and so that references can be checked for secret taint.

type exprKind int

const (
	exprRef exprKind = iota
	exprString
	exprInt
	exprBool
	exprNot
	exprAnd
	exprOr
	exprEq
	exprNe
)

// expr is a node of a parsed expression. Off and End are byte offsets in
// the expression source.
type expr struct {
	kind     exprKind
	off, end int
	path     []string // exprRef: the dotted segments, e.g. [steps gen outputs secret]
	str      string   // exprString
	num      int64    // exprInt
	b        bool     // exprBool
	x, y     *expr    // operands (y nil for exprNot)
}

// refs appends every reference in e to out, in source order.
func (e *expr) refs(out []*expr) []*expr {
	if e == nil {
		return out
	}
	if e.kind == exprRef {
		return append(out, e)
	}
	out = e.x.refs(out)
	return e.y.refs(out)
}

// exprError is a syntax error at a byte offset of the expression.
type exprError struct {
	off int
	msg string
}

func (e *exprError) Error() string { return e.msg }

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tDot
	tLParen
	tRParen
	tNot
	tAnd
	tOr
	tEq
	tNe
)

type tok struct {
	kind     tokKind
	off, end int
	text     string // identifier, or the unquoted string
}

func (k tokKind) String() string {
	return [...]string{"end of expression", "name", "string", "number", `"."`, `"("`, `")"`, `"!"`, `"&&"`, `"||"`, `"=="`, `"!="`}[k]
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isNameByte reports whether c may appear in a name segment. Hyphens are
// allowed (step IDs such as open-issue) because the language has no minus.
func isNameByte(c byte) bool {
	return isIdentStart(c) || '0' <= c && c <= '9' || c == '-'
}

// lex splits src into tokens. After a dot, a name segment may start with a
// digit (step IDs may).
func lex(src string) ([]tok, error) {
	var toks []tok
	i := 0
	for {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
			i++
		}
		if i >= len(src) {
			return append(toks, tok{kind: tEOF, off: i, end: i}), nil
		}
		c := src[i]
		start := i
		afterDot := len(toks) > 0 && toks[len(toks)-1].kind == tDot
		switch {
		case afterDot && isNameByte(c), isIdentStart(c):
			for i < len(src) && isNameByte(src[i]) {
				i++
			}
			toks = append(toks, tok{kind: tIdent, off: start, end: i, text: src[start:i]})
		case '0' <= c && c <= '9':
			for i < len(src) && '0' <= src[i] && src[i] <= '9' {
				i++
			}
			if i < len(src) && isIdentStart(src[i]) {
				return nil, &exprError{start, fmt.Sprintf("invalid number %q", src[start:min(i+1, len(src))])}
			}
			toks = append(toks, tok{kind: tInt, off: start, end: i, text: src[start:i]})
		case c == '\'' || c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(src) {
				ch := src[i]
				if ch == c {
					// '' inside single quotes is a quote, as in YAML.
					if c == '\'' && i+1 < len(src) && src[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				if c == '"' && ch == '\\' && i+1 < len(src) {
					switch src[i+1] {
					case '"', '\\':
						b.WriteByte(src[i+1])
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					default:
						return nil, &exprError{i, fmt.Sprintf(`unknown escape "\%c" in string`, src[i+1])}
					}
					i += 2
					continue
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, &exprError{start, "unterminated string"}
			}
			toks = append(toks, tok{kind: tString, off: start, end: i, text: b.String()})
		case c == '.':
			i++
			toks = append(toks, tok{kind: tDot, off: start, end: i})
		case c == '(':
			i++
			toks = append(toks, tok{kind: tLParen, off: start, end: i})
		case c == ')':
			i++
			toks = append(toks, tok{kind: tRParen, off: start, end: i})
		case c == '!' && i+1 < len(src) && src[i+1] == '=':
			i += 2
			toks = append(toks, tok{kind: tNe, off: start, end: i})
		case c == '!':
			i++
			toks = append(toks, tok{kind: tNot, off: start, end: i})
		case c == '=' && i+1 < len(src) && src[i+1] == '=':
			i += 2
			toks = append(toks, tok{kind: tEq, off: start, end: i})
		case c == '&' && i+1 < len(src) && src[i+1] == '&':
			i += 2
			toks = append(toks, tok{kind: tAnd, off: start, end: i})
		case c == '|' && i+1 < len(src) && src[i+1] == '|':
			i += 2
			toks = append(toks, tok{kind: tOr, off: start, end: i})
		case c == '=':
			return nil, &exprError{start, `unexpected "="; use "==" to compare`}
		case c == '&' || c == '|':
			return nil, &exprError{start, fmt.Sprintf("unexpected %q; use %q", c, strings.Repeat(string(c), 2))}
		default:
			r := src[start:]
			if n := len([]rune(r)); n > 0 {
				r = string([]rune(r)[:1])
			}
			return nil, &exprError{start, fmt.Sprintf("unexpected character %q", r)}
		}
	}
}

// maxExprDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxExprDepth = 100

type exprParser struct {
	toks  []tok
	i     int
	depth int
}

// parseExpr parses a whole expression.
func parseExpr(src string) (*expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, &exprError{0, "empty expression"}
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &exprError{t.off, fmt.Sprintf("unexpected %s after a complete expression; combine with && or ||", t.kind)}
	}
	return e, nil
}

func (p *exprParser) peek() tok { return p.toks[p.i] }
func (p *exprParser) next() tok { t := p.toks[p.i]; p.i++; return t }

func (p *exprParser) or() (*expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		x = &expr{kind: exprOr, off: x.off, end: y.end, x: x, y: y}
	}
	return x, nil
}

func (p *exprParser) and() (*expr, error) {
	x, err := p.cmp()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		p.next()
		y, err := p.cmp()
		if err != nil {
			return nil, err
		}
		x = &expr{kind: exprAnd, off: x.off, end: y.end, x: x, y: y}
	}
	return x, nil
}

func (p *exprParser) cmp() (*expr, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	if k := p.peek().kind; k == tEq || k == tNe {
		p.next()
		y, err := p.unary()
		if err != nil {
			return nil, err
		}
		kind := exprEq
		if k == tNe {
			kind = exprNe
		}
		x = &expr{kind: kind, off: x.off, end: y.end, x: x, y: y}
		if k := p.peek().kind; k == tEq || k == tNe {
			return nil, &exprError{p.peek().off, "comparisons cannot be chained; use parentheses and && or ||"}
		}
	}
	return x, nil
}

func (p *exprParser) unary() (*expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		return nil, &exprError{p.peek().off, "expression nested too deeply"}
	}
	t := p.next()
	switch t.kind {
	case tNot:
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &expr{kind: exprNot, off: t.off, end: x.end, x: x}, nil
	case tLParen:
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		c := p.next()
		if c.kind != tRParen {
			return nil, &exprError{c.off, fmt.Sprintf(`expected ")" to close the "(" at offset %d, found %s`, t.off+1, c.kind)}
		}
		return x, nil
	case tString:
		return &expr{kind: exprString, off: t.off, end: t.end, str: t.text}, nil
	case tInt:
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, &exprError{t.off, fmt.Sprintf("number %s is too large", t.text)}
		}
		return &expr{kind: exprInt, off: t.off, end: t.end, num: n}, nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return &expr{kind: exprBool, off: t.off, end: t.end, b: t.text == "true"}, nil
		}
		e := &expr{kind: exprRef, off: t.off, end: t.end, path: []string{t.text}}
		for p.peek().kind == tDot {
			p.next()
			n := p.next()
			if n.kind != tIdent {
				return nil, &exprError{n.off, fmt.Sprintf("expected a name after %q, found %s", strings.Join(e.path, ".")+".", n.kind)}
			}
			e.path = append(e.path, n.text)
			e.end = n.end
		}
		return e, nil
	case tEOF:
		return nil, &exprError{t.off, "expression ends too early: expected a value"}
	default:
		return nil, &exprError{t.off, fmt.Sprintf("unexpected %s: expected a value (a reference, string, number, true or false)", t.kind)}
	}
}
