package inventory

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/respondhq/respond/internal/diag"
)

// The helpers below read the YAML AST with positions, the way
// internal/playbook does (its helpers are unexported), so that every
// problem is reported with file:line:col.

// parseState holds what Parse learns as it goes.
type parseState struct {
	file  string
	src   []byte
	diags diag.Diagnostics
}

func (p *parseState) errorf(pos diag.Pos, endCol int, hint, format string, args ...any) {
	d := diag.Errorf(pos, hint, format, args...)
	if endCol > pos.Col {
		d.EndCol = endCol
	}
	p.diags = append(p.diags, d)
}

func (p *parseState) warnf(pos diag.Pos, endCol int, hint, format string, args ...any) {
	d := diag.Warningf(pos, hint, format, args...)
	if endCol > pos.Col {
		d.EndCol = endCol
	}
	p.diags = append(p.diags, d)
}

// errAt reports an error spanning node n.
func (p *parseState) errAt(n ast.Node, hint, format string, args ...any) {
	pos, end := p.span(n)
	p.errorf(pos, end, hint, format, args...)
}

// warnAt reports a warning spanning node n.
func (p *parseState) warnAt(n ast.Node, hint, format string, args ...any) {
	pos, end := p.span(n)
	p.warnf(pos, end, hint, format, args...)
}

// parseYAML parses the source and returns the document's top node, or nil
// after reporting why there is none.
func (p *parseState) parseYAML() (body ast.Node) {
	var f *ast.File
	var err error
	func() {
		// The YAML library is third-party code fed user input: a panic in it
		// becomes a diagnostic, not a crash.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the YAML parser failed on this file: %v", r)
			}
		}()
		f, err = parser.ParseBytes(p.src, 0, parser.AllowDuplicateMapKey())
	}()
	if err != nil {
		pos := diag.Pos{File: p.file, Line: 1, Col: 1}
		msg := err.Error()
		var se *yaml.SyntaxError
		if errors.As(err, &se) {
			msg = se.GetMessage()
			if tk := se.GetToken(); tk != nil && tk.Position != nil {
				pos.Line, pos.Col = max(tk.Position.Line, 1), max(tk.Position.Column, 1)
			}
		} else if i := strings.Index(msg, "\n"); i >= 0 {
			msg = msg[:i]
		}
		p.errorf(pos, 0, "fix the YAML syntax; an inventory is one YAML mapping with `credentials:` (see docs/inventory.md)", "invalid YAML: %s", msg)
		return nil
	}
	var docs []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	if len(docs) == 0 {
		p.errorf(diag.Pos{File: p.file, Line: 1, Col: 1}, 0, "start with `credentials:` and list each credential with its targets (see docs/inventory.md)", "the inventory is empty")
		return nil
	}
	if len(docs) > 1 {
		p.errAt(docs[1], "put one inventory in each file", "an inventory file holds one YAML document, this one has %d", len(docs))
	}
	return docs[0]
}

// pos returns the position of node n's first character.
func (p *parseState) pos(n ast.Node) diag.Pos {
	pos := diag.Pos{File: p.file, Line: 1, Col: 1}
	if n == nil {
		return pos
	}
	var tk *token.Token
	switch n := n.(type) {
	case *ast.MappingNode:
		if len(n.Values) > 0 {
			return p.pos(n.Values[0])
		}
		tk = n.Start
	case *ast.MappingValueNode:
		return p.pos(n.Key)
	case *ast.SequenceNode:
		tk = n.Start
	case *ast.LiteralNode:
		tk = n.Start
	case *ast.AnchorNode:
		tk = n.Start
	case *ast.AliasNode:
		tk = n.Start
	case *ast.TagNode:
		tk = n.Start
	default:
		tk = n.GetToken()
	}
	if tk != nil && tk.Position != nil {
		pos.Line, pos.Col = max(tk.Position.Line, 1), max(tk.Position.Column, 1)
	}
	return pos
}

// span returns node n's position and, for a scalar written on one line, the
// column just after it.
func (p *parseState) span(n ast.Node) (diag.Pos, int) {
	pos := p.pos(n)
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode,
		*ast.InfinityNode, *ast.NanNode, *ast.MappingKeyNode:
	default:
		return pos, 0
	}
	tk := n.GetToken()
	if tk == nil {
		return pos, 0
	}
	o := strings.TrimSpace(tk.Origin)
	if o == "" || strings.ContainsAny(o, "\r\n") {
		return pos, 0
	}
	switch tk.Type {
	case token.SingleQuoteType:
		o = "'" + strings.TrimSuffix(strings.TrimPrefix(o, "'"), "'") + "'"
	case token.DoubleQuoteType:
		o = `"` + strings.TrimSuffix(strings.TrimPrefix(o, `"`), `"`) + `"`
	}
	return pos, pos.Col + utf8.RuneCountInString(o)
}

// unwrap returns the value under anchors and tags; aliases are refused
// because the position of what they refer to would be misleading.
func (p *parseState) unwrap(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.AliasNode:
			p.errAt(x, "write the value out in full", "YAML aliases (*name) are not supported in inventories")
			return nil
		default:
			return n
		}
	}
}

// entries returns the key/value pairs of a mapping, or reports what was
// expected instead.
func (p *parseState) entries(n ast.Node, what, hint string) ([]*ast.MappingValueNode, bool) {
	switch m := p.unwrap(n).(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	case nil:
		return nil, false
	case *ast.NullNode:
		p.errAt(m, hint, "%s is empty", what)
		return nil, false
	default:
		p.errAt(m, hint, "%s must be a mapping, not %s", what, describe(m))
		return nil, false
	}
}

// describe names the kind of a YAML node for messages.
func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.IntegerNode:
		return "a number"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a decimal number"
	case *ast.BoolNode:
		return "true/false"
	case *ast.NullNode:
		return "nothing (null)"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	}
	return "a " + strings.ToLower(n.Type().String())
}

func keyText(mv *ast.MappingValueNode) string {
	k := ast.Node(mv.Key)
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		k = mk.Value
	}
	if k == nil {
		return ""
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// fields indexes a mapping by key, reporting unknown and duplicate keys.
func (p *parseState) fields(kvs []*ast.MappingValueNode, known []string, where string) map[string]*ast.MappingValueNode {
	out := map[string]*ast.MappingValueNode{}
	seen := map[string]*ast.MappingValueNode{}
	for _, kv := range kvs {
		k := keyText(kv)
		if first, dup := seen[k]; dup {
			p.errAt(kv.Key, "remove one of them", "duplicate key %q in %s (first at line %d)", k, where, p.pos(first).Line)
			continue
		}
		seen[k] = kv
		if !slices.Contains(known, k) {
			p.errAt(kv.Key, suggest(k, known, "Known fields"), "unknown field %q in %s", k, where)
			continue
		}
		out[k] = kv
	}
	return out
}

// scalarText returns a scalar's text, or reports what was expected.
func (p *parseState) scalarText(n ast.Node, what string) (string, bool) {
	switch v := p.unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, true
	case nil:
		return "", false
	default:
		p.errAt(v, fmt.Sprintf("give %s as text", what), "%s must be a string, not %s", what, describe(v))
		return "", false
	}
}

// stringList returns a list of scalars, or reports what was expected.
func (p *parseState) stringList(n ast.Node, what, hint string) ([]string, bool) {
	v := p.unwrap(n)
	seq, ok := v.(*ast.SequenceNode)
	if !ok {
		if v != nil {
			p.errAt(v, hint, "%s must be a list, not %s", what, describe(v))
		}
		return nil, false
	}
	out := make([]string, 0, len(seq.Values))
	good := true
	for _, e := range seq.Values {
		s, ok := p.scalarText(e, "each item of "+what)
		if !ok {
			good = false
			continue
		}
		out = append(out, s)
	}
	return out, good
}

// duration returns the text of a Go duration in (0, hi], or reports what
// is wrong with it.
func (p *parseState) duration(n ast.Node, what string, hi time.Duration) (string, bool) {
	v := p.unwrap(n)
	s, ok := v.(*ast.StringNode)
	if !ok {
		if v != nil {
			p.errAt(v, "write a duration such as 30s, 2m or 1m30s", "%s must be a duration, not %s", what, describe(v))
		}
		return "", false
	}
	d, err := time.ParseDuration(s.Value)
	if err != nil {
		p.errAt(v, "write a duration such as 30s, 2m or 1m30s (units: ms, s, m, h)", "%s %q is not a duration", what, s.Value)
		return "", false
	}
	if d <= 0 || d > hi {
		p.errAt(v, fmt.Sprintf("use a duration above 0 and at most %s", hi), "%s %s is out of range", what, s.Value)
		return "", false
	}
	return s.Value, true
}

// suggest returns a hint naming the closest of known to s, then the list.
func suggest(s string, known []string, label string) string {
	if len(known) == 0 {
		return label + ": none."
	}
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	list := label + ": " + strings.Join(known, ", ") + "."
	if best != "" && bestD <= max(2, len(s)/3) && bestD < len(s) {
		return fmt.Sprintf("did you mean %q? %s", best, list)
	}
	return list
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
