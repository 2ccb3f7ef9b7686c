// Package yamlsrc reads a YAML source document with the position of every
// node, so that what reads it can report each problem at its
// file:line:col. A Doc holds the file's name, its source and the
// diagnostics found so far; its methods parse the source (syntax errors
// become diagnostics, not failures) and read the AST, each reporting what
// was expected when a node has the wrong shape.
//
// The playbook and inventory readers share it:
//
//	d := yamlsrc.New(file, src, yamlsrc.Kind{Name: "inventory", Article: "an", Plural: "inventories", …})
//	if body := d.Parse(); body != nil {
//		kvs, ok := d.Entries(body, "the inventory", "")
//		…
//	}
//	d.Diags.Sort()
package yamlsrc

import (
	"errors"
	"fmt"
	"math"
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

// Kind describes the sort of document a Doc holds, for the messages Parse
// and Unwrap write, and how Fields treats repeated keys.
type Kind struct {
	// Name is the document's sort, as in "the playbook is empty".
	Name string
	// Article goes before Name: "a" or "an".
	Article string
	// Plural is Name's plural, as in "not supported in playbooks".
	Plural string
	// SyntaxHint is the hint of an "invalid YAML" error.
	SyntaxHint string
	// EmptyHint is the hint of the error for a document with no content.
	EmptyHint string
	// RepeatedUnknownIsDuplicate makes Fields report the second and later
	// occurrences of an unknown key as duplicates; otherwise each one is
	// reported as an unknown field.
	RepeatedUnknownIsDuplicate bool
}

// Doc is one YAML source document and the diagnostics found in it.
type Doc struct {
	File  string   // the file's name, as shown in diagnostics
	Src   []byte   // the source
	Lines []string // the source's lines, without line endings
	Kind  Kind
	Diags diag.Diagnostics // every problem reported so far, in report order
}

// New returns a Doc for src, read from file, with no diagnostics yet.
func New(file string, src []byte, kind Kind) *Doc {
	return &Doc{File: file, Src: src, Lines: diag.SplitLines(string(src)), Kind: kind}
}

// Errorf reports an error at pos. endCol, when after pos.Col, is the
// column just after the text in error (on pos's line); 0 marks only pos.
func (d *Doc) Errorf(pos diag.Pos, endCol int, hint, format string, args ...any) {
	x := diag.Errorf(pos, hint, format, args...)
	if endCol > pos.Col {
		x.EndCol = endCol
	}
	d.Diags = append(d.Diags, x)
}

// Warnf reports a warning at pos; endCol is as for Errorf.
func (d *Doc) Warnf(pos diag.Pos, endCol int, hint, format string, args ...any) {
	x := diag.Warningf(pos, hint, format, args...)
	if endCol > pos.Col {
		x.EndCol = endCol
	}
	d.Diags = append(d.Diags, x)
}

// ErrAt reports an error spanning node n (see Span).
func (d *Doc) ErrAt(n ast.Node, hint, format string, args ...any) {
	pos, end := d.Span(n)
	d.Errorf(pos, end, hint, format, args...)
}

// WarnAt reports a warning spanning node n (see Span).
func (d *Doc) WarnAt(n ast.Node, hint, format string, args ...any) {
	pos, end := d.Span(n)
	d.Warnf(pos, end, hint, format, args...)
}

// Parse parses the source and returns the top node of its document, or nil
// after reporting why there is none: invalid YAML, or no document. A
// second document is reported and ignored. Duplicate mapping keys are
// allowed by the parser so that Fields can report them with positions.
func (d *Doc) Parse() ast.Node {
	if !d.checkLimits() {
		return nil
	}
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
		f, err = parser.ParseBytes(d.Src, 0, parser.AllowDuplicateMapKey())
	}()
	if err != nil {
		pos := diag.Pos{File: d.File, Line: 1, Col: 1}
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
		d.Errorf(pos, 0, d.Kind.SyntaxHint, "invalid YAML: %s", msg)
		return nil
	}
	var docs []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc.Body)
		}
	}
	if len(docs) == 0 {
		d.Errorf(diag.Pos{File: d.File, Line: 1, Col: 1}, 0, d.Kind.EmptyHint, "the %s is empty", d.Kind.Name)
		return nil
	}
	if len(docs) > 1 {
		d.ErrAt(docs[1], fmt.Sprintf("put one %s in each file", d.Kind.Name),
			"%s %s file holds one YAML document, this one has %d", d.Kind.Article, d.Kind.Name, len(docs))
	}
	return docs[0]
}

// Pos returns the position of node n's first character (1:1 for nil). A
// mapping is at its first key.
func (d *Doc) Pos(n ast.Node) diag.Pos {
	pos := diag.Pos{File: d.File, Line: 1, Col: 1}
	if n == nil {
		return pos
	}
	var tk *token.Token
	switch n := n.(type) {
	case *ast.MappingNode:
		if len(n.Values) > 0 {
			return d.Pos(n.Values[0])
		}
		tk = n.Start
	case *ast.MappingValueNode:
		return d.Pos(n.Key)
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

// Span returns node n's position and, for a scalar written on one line, the
// column just after it (quotes included); otherwise 0.
func (d *Doc) Span(n ast.Node) (diag.Pos, int) {
	pos := d.Pos(n)
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

// Unwrap returns the value under anchors and tags. An alias is reported and
// gives nil, because the position of what it refers to would be
// misleading.
func (d *Doc) Unwrap(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.AliasNode:
			d.ErrAt(x, "write the value out in full", "YAML aliases (*name) are not supported in %s", d.Kind.Plural)
			return nil
		default:
			return n
		}
	}
}

// Entries returns the key/value pairs of the mapping n, or reports that
// what (e.g. "the inventory") is empty or not a mapping, with hint; an
// empty hint means "give WHAT as a mapping (key: value)".
func (d *Doc) Entries(n ast.Node, what, hint string) ([]*ast.MappingValueNode, bool) {
	if hint == "" {
		hint = fmt.Sprintf("give %s as a mapping (key: value)", what)
	}
	switch m := d.Unwrap(n).(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	case nil:
		return nil, false
	case *ast.NullNode:
		d.ErrAt(m, hint, "%s is empty", what)
		return nil, false
	default:
		d.ErrAt(m, hint, "%s must be a mapping, not %s", what, Describe(m))
		return nil, false
	}
}

// Fields indexes a mapping's pairs by key, reporting unknown keys (those
// not in known, with a did-you-mean hint) and repeated ones; where names
// the mapping in messages. Only the first pair of each known key is kept.
func (d *Doc) Fields(kvs []*ast.MappingValueNode, known []string, where string) map[string]*ast.MappingValueNode {
	out := map[string]*ast.MappingValueNode{}
	var seen map[string]*ast.MappingValueNode // every key so far, unknown ones too
	if d.Kind.RepeatedUnknownIsDuplicate {
		seen = map[string]*ast.MappingValueNode{}
	}
	for _, kv := range kvs {
		k := KeyText(kv)
		first, dup := out[k]
		if seen != nil {
			first, dup = seen[k]
		}
		if dup {
			d.ErrAt(kv.Key, "remove one of them", "duplicate key %q in %s (first at line %d)", k, where, d.Pos(first).Line)
			continue
		}
		if seen != nil {
			seen[k] = kv
		}
		if !slices.Contains(known, k) {
			d.ErrAt(kv.Key, Suggest(k, known, "Known fields"), "unknown field %q in %s", k, where)
			continue
		}
		out[k] = kv
	}
	return out
}

// ScalarText returns the text of the scalar n, or reports that what must
// be a string. Numbers and booleans give their text as written.
func (d *Doc) ScalarText(n ast.Node, what string) (string, bool) {
	switch v := d.Unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, true
	case nil:
		return "", false
	default:
		d.ErrAt(v, fmt.Sprintf("give %s as text", what), "%s must be a string, not %s", what, Describe(v))
		return "", false
	}
}

// StringList returns the texts of the list of scalars n, or reports that
// what must be a list (with hint) or which items are not scalars. The
// returned slice holds the good items even when ok is false.
func (d *Doc) StringList(n ast.Node, what, hint string) (items []string, ok bool) {
	v := d.Unwrap(n)
	seq, isSeq := v.(*ast.SequenceNode)
	if !isSeq {
		if v != nil {
			d.ErrAt(v, hint, "%s must be a list, not %s", what, Describe(v))
		}
		return nil, false
	}
	items = make([]string, 0, len(seq.Values))
	ok = true
	for _, e := range seq.Values {
		s, good := d.ScalarText(e, "each item of "+what)
		if !good {
			ok = false
			continue
		}
		items = append(items, s)
	}
	return items, ok
}

// Bool returns the value of the boolean n, or reports that what must be
// true or false.
func (d *Doc) Bool(n ast.Node, what string) (bool, bool) {
	switch v := d.Unwrap(n).(type) {
	case *ast.BoolNode:
		return v.Value, true
	case nil:
		return false, false
	default:
		d.ErrAt(v, fmt.Sprintf("write %s: true or %s: false", what, what), "%s must be true or false, not %s", what, Describe(v))
		return false, false
	}
}

// Int returns the value of the integer n, or reports that what must be a
// whole number from lo to hi.
func (d *Doc) Int(n ast.Node, what string, lo, hi int) (int, bool) {
	v := d.Unwrap(n)
	in, ok := v.(*ast.IntegerNode)
	if !ok {
		if v != nil {
			d.ErrAt(v, fmt.Sprintf("give %s as a whole number from %d to %d", what, lo, hi), "%s must be a whole number, not %s", what, Describe(v))
		}
		return 0, false
	}
	i, ok := IntValue(in)
	if !ok || i < lo || i > hi {
		d.ErrAt(v, fmt.Sprintf("use a value from %d to %d", lo, hi), "%s %s is out of range", what, in.GetToken().Value)
		return 0, false
	}
	return i, true
}

// IntValue returns an integer node's value as an int, or false when it
// does not fit.
func IntValue(n *ast.IntegerNode) (int, bool) {
	switch x := n.Value.(type) {
	case int64:
		if x >= math.MinInt && x <= math.MaxInt {
			return int(x), true
		}
	case uint64:
		if x <= math.MaxInt {
			return int(x), true
		}
	}
	return 0, false
}

// DurationRange bounds what Duration accepts and words its hints.
type DurationRange struct {
	Min, Max time.Duration
	// AboveMin excludes Min itself.
	AboveMin bool
	// Examples follows "write a duration such as" in hints; empty means
	// "30s, 2m or 1h30m".
	Examples string
	// Hint is the hint when the duration is out of range; empty means
	// "use a duration from MIN to MAX" (see FormatDuration).
	Hint string
}

// Duration returns the Go duration (time.ParseDuration) written as the
// string n, and its text, or reports that what is not a duration or not in
// r.
func (d *Doc) Duration(n ast.Node, what string, r DurationRange) (time.Duration, string, bool) {
	examples := r.Examples
	if examples == "" {
		examples = "30s, 2m or 1h30m"
	}
	v := d.Unwrap(n)
	s, ok := v.(*ast.StringNode)
	if !ok {
		if v != nil {
			d.ErrAt(v, "write a duration such as "+examples, "%s must be a duration, not %s", what, Describe(v))
		}
		return 0, "", false
	}
	dur, err := time.ParseDuration(s.Value)
	if err != nil {
		d.ErrAt(v, "write a duration such as "+examples+" (units: ms, s, m, h)", "%s %q is not a duration", what, s.Value)
		return 0, "", false
	}
	if dur < r.Min || (r.AboveMin && dur == r.Min) || dur > r.Max {
		hint := r.Hint
		if hint == "" {
			hint = fmt.Sprintf("use a duration from %s to %s", FormatDuration(r.Min), FormatDuration(r.Max))
		}
		d.ErrAt(v, hint, "%s %s is out of range", what, s.Value)
		return 0, "", false
	}
	return dur, s.Value, true
}

// FormatDuration writes d without trailing zero units: 1h, 1h30m, 10m,
// 1m30s, 0s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Describe names the kind of a YAML node for messages: "a mapping", "a
// list", "a number", "nothing (null)", ….
func Describe(n ast.Node) string {
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

// KeyText returns the text of a mapping pair's key ("" when it has none).
func KeyText(mv *ast.MappingValueNode) string {
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

// Suggest returns a hint listing known under label, preceded by "did you
// mean …?" when one of them is close to s:
//
//	did you mean "when"? Known fields: id, name, uses, when.
func Suggest(s string, known []string, label string) string {
	if len(known) == 0 {
		return label + ": none."
	}
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := EditDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	list := label + ": " + strings.Join(known, ", ") + "."
	if best != "" && bestD <= max(2, len(s)/3) && bestD < len(s) {
		return fmt.Sprintf("did you mean %q? %s", best, list)
	}
	return list
}

// EditDistance is the Levenshtein distance between a and b, by bytes. For
// strings longer than 64 bytes it is 0 when they are equal and the longer
// length otherwise, to bound the work.
func EditDistance(a, b string) int {
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
