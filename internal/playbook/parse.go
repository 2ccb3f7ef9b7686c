package playbook

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/step"
)

// Field names, in the order they are documented.
var (
	topFields   = []string{"name", "description", "strategy", "inputs", "steps"}
	inputFields = []string{"type", "required", "default", "description"}
	stepFields  = []string{"id", "name", "uses", "with", "when", "foreach", "concurrency", "retry", "timeout", "confirm", "continue_on_error"}
	retryFields = []string{"attempts", "backoff", "max_backoff"}
	inputTypes  = []step.Type{step.String, step.Int, step.Bool, step.Duration, step.List, step.Any, step.Secret}
)

// Formats of names.
var (
	nameRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	stepIDRe    = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]*$`)
	inputNameRe = regexp.MustCompile(`^[a-z_][a-z0-9_-]*$`)
)

// Limits of step settings.
const (
	MaxRetryAttempts = 20
	MaxBackoff       = time.Hour
	DefaultBackoff   = time.Second
	DefaultMaxDelay  = 30 * time.Second
	MaxConcurrency   = 64
	MaxTimeout       = 24 * time.Hour
)

// incidentFields are the names incident.NAME may use.
var incidentFields = []string{"id", "dir", "playbook", "started"}

// Digest is "sha256:" followed by the hex SHA-256 of the playbook's source,
// identifying exactly which text a run followed.
func (pb *Playbook) Digest() string {
	sum := sha256.Sum256(pb.Source)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Input returns the named input.
func (pb *Playbook) Input(name string) (*Input, bool) {
	for i := range pb.Inputs {
		if pb.Inputs[i].Name == name {
			return &pb.Inputs[i], true
		}
	}
	return nil, false
}

// Step returns the step with the given ID.
func (pb *Playbook) Step(id string) (*Step, bool) {
	for i := range pb.Steps {
		if pb.Steps[i].ID == id {
			return &pb.Steps[i], true
		}
	}
	return nil, false
}

// parseState holds what Parse learns as it goes.
type parseState struct {
	file  string
	src   []byte
	lines []string // source lines without line endings
	cat   step.Catalog
	diags diag.Diagnostics
	pb    *Playbook

	inputs  map[string]int // input name -> index in pb.Inputs
	stepIdx map[string]int // step ID -> index of its first definition
	specs   []*step.Spec   // per step; nil when the kind is unknown
	uses    []*usage       // every template, checked once all steps are known
}

// usage is one template with the context it is used in.
type usage struct {
	t       *Template
	step    int    // index of the step it belongs to
	field   string // "with", "when", "confirm", "foreach"
	param   *step.Param
	nested  bool // inside a list or mapping of a parameter
	kind    string
	foreach bool // the step has foreach: item is in scope
}

// Parse parses and validates a playbook. file names the source in
// diagnostics. It returns every problem found; the Playbook is nil when
// there is any error.
func Parse(file string, src []byte, cat step.Catalog) (*Playbook, diag.Diagnostics) {
	p := &parseState{
		file:    file,
		src:     src,
		lines:   diag.SplitLines(string(src)),
		cat:     cat,
		pb:      &Playbook{File: file, Source: src, Pos: diag.Pos{File: file, Line: 1, Col: 1}},
		inputs:  map[string]int{},
		stepIdx: map[string]int{},
	}
	body := p.parseYAML()
	if body != nil {
		p.playbook(body)
		p.checkUses()
	}
	p.diags.Sort()
	if p.diags.HasErrors() {
		return nil, p.diags
	}
	return p.pb, p.diags
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

// parseYAML parses the source and returns the document's top node.
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
		p.errorf(pos, 0, "fix the YAML syntax; a playbook is one YAML mapping (see docs/playbooks.md)", "invalid YAML: %s", msg)
		return nil
	}
	var docs []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	if len(docs) == 0 {
		p.errorf(diag.Pos{File: p.file, Line: 1, Col: 1}, 0, "start with `name:` and `steps:` (see docs/playbooks.md)", "the playbook is empty")
		return nil
	}
	if len(docs) > 1 {
		p.errAt(docs[1], "put one playbook in each file", "a playbook file holds one YAML document, this one has %d", len(docs))
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
			p.errAt(x, "write the value out in full", "YAML aliases (*name) are not supported in playbooks")
			return nil
		default:
			return n
		}
	}
}

// entries returns the key/value pairs of a mapping, or reports what was
// expected instead.
func (p *parseState) entries(n ast.Node, what string) ([]*ast.MappingValueNode, bool) {
	switch m := p.unwrap(n).(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	case nil:
		return nil, false
	case *ast.NullNode:
		p.errAt(m, fmt.Sprintf("give %s as a mapping (key: value)", what), "%s is empty", what)
		return nil, false
	default:
		p.errAt(m, fmt.Sprintf("give %s as a mapping (key: value)", what), "%s must be a mapping, not %s", what, describe(m))
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
	for _, kv := range kvs {
		k := keyText(kv)
		if first, dup := out[k]; dup {
			p.errAt(kv.Key, "remove one of them", "duplicate key %q in %s (first at line %d)", k, where, p.pos(first).Line)
			continue
		}
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

func (p *parseState) boolField(n ast.Node, what string) (bool, bool) {
	switch v := p.unwrap(n).(type) {
	case *ast.BoolNode:
		return v.Value, true
	case nil:
		return false, false
	default:
		p.errAt(v, fmt.Sprintf("write %s: true or %s: false", what, what), "%s must be true or false, not %s", what, describe(v))
		return false, false
	}
}

func (p *parseState) intField(n ast.Node, what string, lo, hi int) (int, bool) {
	v := p.unwrap(n)
	in, ok := v.(*ast.IntegerNode)
	if !ok {
		if v != nil {
			p.errAt(v, fmt.Sprintf("give %s as a whole number from %d to %d", what, lo, hi), "%s must be a whole number, not %s", what, describe(v))
		}
		return 0, false
	}
	i, ok := intValue(in)
	if !ok || i < lo || i > hi {
		p.errAt(v, fmt.Sprintf("use a value from %d to %d", lo, hi), "%s %s is out of range", what, in.GetToken().Value)
		return 0, false
	}
	return i, true
}

func intValue(n *ast.IntegerNode) (int, bool) {
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

func (p *parseState) durationField(n ast.Node, what string, lo, hi time.Duration) (time.Duration, bool) {
	v := p.unwrap(n)
	s, ok := v.(*ast.StringNode)
	if !ok {
		if v != nil {
			p.errAt(v, "write a duration such as 30s, 2m or 1h30m", "%s must be a duration, not %s", what, describe(v))
		}
		return 0, false
	}
	d, err := time.ParseDuration(s.Value)
	if err != nil {
		p.errAt(v, "write a duration such as 30s, 2m or 1h30m (units: ms, s, m, h)", "%s %q is not a duration", what, s.Value)
		return 0, false
	}
	if d < lo || d > hi {
		p.errAt(v, fmt.Sprintf("use a duration from %s to %s", fmtDur(lo), fmtDur(hi)), "%s %s is out of range", what, s.Value)
		return 0, false
	}
	return d, true
}

func fmtDur(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}

// playbook checks the top-level mapping.
func (p *parseState) playbook(body ast.Node) {
	kvs, ok := p.entries(body, "the playbook")
	if !ok {
		return
	}
	f := p.fields(kvs, topFields, "the playbook")
	pb := p.pb
	pb.Pos = p.pos(body)
	if kv, ok := f["name"]; ok {
		if s, ok := p.scalarText(kv.Value, "name"); ok {
			if !nameRe.MatchString(s) {
				p.errAt(kv.Value, "use lower-case letters, digits and hyphens, starting with a letter or digit (e.g. rotate-key)", "invalid playbook name %q", s)
			}
			pb.Name = s
		}
	} else {
		p.errorf(pb.Pos, 0, "add a line such as `name: rotate-key`", "the playbook has no name")
	}
	if kv, ok := f["description"]; ok {
		pb.Description, _ = p.scalarText(kv.Value, "description")
	}
	if kv, ok := f["strategy"]; ok {
		pb.Strategy, _ = p.scalarText(kv.Value, "strategy")
	}
	if kv, ok := f["inputs"]; ok {
		if _, null := p.unwrap(kv.Value).(*ast.NullNode); !null {
			p.parseInputs(kv.Value)
		}
	}
	kv, ok := f["steps"]
	if !ok {
		p.errorf(pb.Pos, 0, "add `steps:` with at least one step (see docs/playbooks.md)", "the playbook has no steps")
		return
	}
	p.parseSteps(kv)
}

func (p *parseState) parseInputs(n ast.Node) {
	kvs, ok := p.entries(n, "inputs")
	if !ok {
		return
	}
	for _, kv := range kvs {
		name := keyText(kv)
		kpos, kend := p.span(kv.Key)
		if i, dup := p.inputs[name]; dup {
			p.errorf(kpos, kend, "rename or remove one of them", "duplicate input %q (first at line %d)", name, p.pb.Inputs[i].Pos.Line)
			continue
		}
		in := Input{Name: name, Pos: kpos}
		if !inputNameRe.MatchString(name) {
			p.errorf(kpos, kend, "use lower-case letters, digits, _ and -, starting with a letter or _ (e.g. target_file)", "invalid input name %q", name)
		}
		p.parseInput(&in, kv.Value)
		p.inputs[name] = len(p.pb.Inputs)
		p.pb.Inputs = append(p.pb.Inputs, in)
	}
}

func (p *parseState) parseInput(in *Input, n ast.Node) {
	where := fmt.Sprintf("input %q", in.Name)
	kvs, ok := p.entries(n, where)
	if !ok {
		return
	}
	f := p.fields(kvs, inputFields, where)
	if kv, ok := f["description"]; ok {
		in.Description, _ = p.scalarText(kv.Value, "description")
	}
	if kv, ok := f["required"]; ok {
		in.Required, _ = p.boolField(kv.Value, "required")
	}
	kv, ok := f["type"]
	if !ok {
		p.errorf(in.Pos, 0, "add a type: "+joinTypes(inputTypes), "input %q has no type", in.Name)
		return
	}
	t, ok := p.scalarText(kv.Value, "type")
	if !ok {
		return
	}
	if !slices.Contains(inputTypes, step.Type(t)) {
		p.errAt(kv.Value, suggest(t, typeNames(inputTypes), "Input types"), "unknown input type %q", t)
		return
	}
	in.Type = step.Type(t)
	dkv, ok := f["default"]
	if !ok {
		return
	}
	if in.Type == step.Secret {
		p.errAt(dkv.Key, "remove the default: secrets are read from standard input or a prompt when the playbook runs", "secret input %q cannot have a default", in.Name)
		return
	}
	if in.Required {
		p.warnf(in.Pos, 0, "remove `required: true` or the default", "input %q is required but has a default, which is then never used", in.Name)
	}
	in.Default = p.literalOf(dkv.Value, in.Type, fmt.Sprintf("the default of input %q", in.Name))
}

// literalOf converts a literal YAML value to Go per type t, reporting a
// mismatch. It returns nil on error.
func (p *parseState) literalOf(n ast.Node, t step.Type, what string) any {
	v := p.unwrap(n)
	if v == nil {
		return nil
	}
	bad := func(hint string) any {
		p.errAt(v, hint, "%s must be %s, not %s", what, typeArticle(t), describe(v))
		return nil
	}
	switch t {
	case step.String, step.Secret:
		s, ok := p.scalarText(v, what)
		if !ok {
			return nil
		}
		return s
	case step.Int:
		in, ok := v.(*ast.IntegerNode)
		if !ok {
			return bad("write a whole number such as 3")
		}
		i, ok := intValue(in)
		if !ok {
			p.errAt(v, "use a smaller number", "%s %s is too large", what, in.GetToken().Value)
			return nil
		}
		return i
	case step.Bool:
		b, ok := v.(*ast.BoolNode)
		if !ok {
			return bad("write true or false")
		}
		return b.Value
	case step.Duration:
		s, ok := v.(*ast.StringNode)
		if !ok {
			return bad("write a duration such as 30s, 2m or 1h30m")
		}
		d, err := time.ParseDuration(s.Value)
		if err != nil {
			p.errAt(v, "write a duration such as 30s, 2m or 1h30m (units: ms, s, m, h)", "%s %q is not a duration", what, s.Value)
			return nil
		}
		return d
	case step.List:
		seq, ok := v.(*ast.SequenceNode)
		if !ok {
			return bad("write a list such as [a, b] or one `- item` per line")
		}
		out := []string{}
		for _, e := range seq.Values {
			s, ok := p.scalarText(e, "each item of "+what)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	case step.Map:
		kvs, ok := p.entries(v, what)
		if !ok {
			return nil
		}
		out := map[string]string{}
		for _, kv := range kvs {
			s, ok := p.scalarText(kv.Value, "each value of "+what)
			if !ok {
				return nil
			}
			out[keyText(kv)] = s
		}
		return out
	}
	return nil
}

func typeArticle(t step.Type) string {
	switch t {
	case step.Int:
		return "a whole number"
	case step.Bool:
		return "true or false"
	case step.Duration:
		return "a duration"
	case step.List:
		return "a list of strings"
	case step.Map:
		return "a mapping of strings"
	case step.Secret:
		return "a secret"
	case step.Any:
		return "a value"
	}
	return "a string"
}

func typeNames(ts []step.Type) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func joinTypes(ts []step.Type) string { return strings.Join(typeNames(ts), ", ") }

func (p *parseState) parseSteps(kv *ast.MappingValueNode) {
	v := p.unwrap(kv.Value)
	seq, ok := v.(*ast.SequenceNode)
	if !ok {
		if v != nil {
			p.errAt(kv.Key, "write steps as a list: one `- id: …` entry per step", "steps must be a list, not %s", describe(v))
		}
		return
	}
	if len(seq.Values) == 0 {
		p.errAt(kv.Key, "add at least one step", "the playbook has no steps")
		return
	}
	for _, n := range seq.Values {
		p.parseStep(n)
	}
}

func (p *parseState) parseStep(n ast.Node) {
	idx := len(p.pb.Steps)
	p.pb.Steps = append(p.pb.Steps, Step{Pos: p.pos(n), Concurrency: 1})
	p.specs = append(p.specs, nil)
	st := &p.pb.Steps[idx]
	kvs, ok := p.entries(n, fmt.Sprintf("step %d", idx+1))
	if !ok {
		return
	}
	where := fmt.Sprintf("step %d", idx+1)
	if kv, ok := fieldByKey(kvs, "id"); ok {
		if id, ok := p.scalarText(kv.Value, "id"); ok {
			where = fmt.Sprintf("step %q", id)
		}
	}
	f := p.fields(kvs, stepFields, where)

	if kv, ok := f["id"]; ok {
		if id, ok := p.scalarText(kv.Value, "id"); ok {
			st.ID = id
			pos, end := p.span(kv.Value)
			switch {
			case !stepIDRe.MatchString(id):
				p.errorf(pos, end, "use lower-case letters, digits, _ and - (e.g. create_key)", "invalid step id %q", id)
			case hasKey(p.stepIdx, id):
				p.errorf(pos, end, "give each step its own id", "duplicate step id %q (first at line %d)", id, p.pb.Steps[p.stepIdx[id]].Pos.Line)
			default:
				p.stepIdx[id] = idx
			}
		}
	} else {
		p.errorf(st.Pos, 0, "add an id such as `id: create_key`; later steps refer to its outputs with steps.ID.outputs.NAME", "%s has no id", where)
	}
	if kv, ok := f["name"]; ok {
		st.Name, _ = p.scalarText(kv.Value, "name")
	}

	var spec *step.Spec
	if kv, ok := f["uses"]; ok {
		if k, ok := p.scalarText(kv.Value, "uses"); ok {
			st.Uses = k
			if kind, found := p.lookup(k); found {
				s := kind.Spec()
				spec = &s
				p.specs[idx] = spec
				if kv, ok := f["retry"]; ok {
					if _, decides := kind.(step.IdempotencyDecider); !s.Idempotent && !decides {
						p.warnf(p.pos(kv.Key), 0, "remove retry, or use a kind that can safely run twice", "retry has no effect: %q steps are not idempotent, so they are never retried", k)
					}
				}
			} else {
				p.errAt(kv.Value, suggest(k, p.kindNames(), "Known kinds"), "unknown step kind %q", k)
			}
		}
	} else {
		p.errorf(st.Pos, 0, "add `uses:` with one of: "+strings.Join(p.kindNames(), ", "), "%s has no `uses:` (the kind of step)", where)
	}

	_, hasForeach := f["foreach"]
	if kv, ok := f["foreach"]; ok {
		st.Foreach = p.condTemplate(kv.Value, "foreach")
		if st.Foreach != nil {
			p.uses = append(p.uses, &usage{t: st.Foreach, step: idx, field: "foreach", kind: st.Uses})
		}
	}
	if kv, ok := f["concurrency"]; ok {
		if c, ok := p.intField(kv.Value, "concurrency", 1, MaxConcurrency); ok {
			st.Concurrency = c
			if !hasForeach {
				p.errAt(kv.Key, "remove concurrency, or add foreach: it sets how many items run at once", "concurrency needs foreach")
			}
		}
	}
	if kv, ok := f["when"]; ok {
		st.When = p.condTemplate(kv.Value, "when")
		if st.When != nil {
			p.uses = append(p.uses, &usage{t: st.When, step: idx, field: "when", kind: st.Uses, foreach: hasForeach})
		}
	}
	if kv, ok := f["confirm"]; ok {
		if t := p.textTemplate(kv.Value, "confirm"); t != nil {
			st.Confirm = t
			p.uses = append(p.uses, &usage{t: t, step: idx, field: "confirm", kind: st.Uses, foreach: hasForeach})
		}
	}
	if kv, ok := f["timeout"]; ok {
		st.Timeout, _ = p.durationField(kv.Value, "timeout", time.Millisecond, MaxTimeout)
	}
	if kv, ok := f["continue_on_error"]; ok {
		st.ContinueOnError, _ = p.boolField(kv.Value, "continue_on_error")
	}
	if kv, ok := f["retry"]; ok {
		st.Retry = p.parseRetry(kv.Value)
	}
	var with *ast.MappingValueNode
	if kv, ok := f["with"]; ok {
		with = kv
	}
	p.parseWith(st, idx, spec, with, hasForeach)
}

func hasKey[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

func fieldByKey(kvs []*ast.MappingValueNode, k string) (*ast.MappingValueNode, bool) {
	for _, kv := range kvs {
		if keyText(kv) == k {
			return kv, true
		}
	}
	return nil, false
}

func (p *parseState) lookup(kind string) (step.Kind, bool) {
	if p.cat == nil {
		return nil, false
	}
	return p.cat.Lookup(kind)
}

func (p *parseState) kindNames() []string {
	if p.cat == nil {
		return nil
	}
	var out []string
	for _, k := range p.cat.Kinds() {
		out = append(out, k.Spec().Kind)
	}
	return out
}

func (p *parseState) parseRetry(n ast.Node) *Retry {
	kvs, ok := p.entries(n, "retry")
	if !ok {
		return nil
	}
	f := p.fields(kvs, retryFields, "retry")
	r := &Retry{Attempts: 3, Backoff: DefaultBackoff, MaxBackoff: DefaultMaxDelay}
	if kv, ok := f["attempts"]; ok {
		r.Attempts, _ = p.intField(kv.Value, "retry attempts", 1, MaxRetryAttempts)
	}
	if kv, ok := f["backoff"]; ok {
		r.Backoff, _ = p.durationField(kv.Value, "retry backoff", 0, MaxBackoff)
	}
	if kv, ok := f["max_backoff"]; ok {
		if d, ok := p.durationField(kv.Value, "retry max_backoff", 0, MaxBackoff); ok {
			r.MaxBackoff = d
			if d < r.Backoff {
				p.errAt(kv.Value, "make max_backoff at least as long as backoff", "retry max_backoff %s is shorter than backoff %s", d, r.Backoff)
			}
		}
	}
	return r
}

// condTemplate parses `when:` or `foreach:`: a bare expression, one
// ${{ expression }}, or (when:) a literal true/false.
func (p *parseState) condTemplate(n ast.Node, field string) *Template {
	if tag, ok := n.(*ast.TagNode); ok && tag.Start != nil && !strings.HasPrefix(tag.Start.Value, "!!") {
		p.errAt(tag, fmt.Sprintf("write %s: ${{ %s }}, or quote the expression", field, tag.Start.Value),
			"YAML reads %q as a tag, not as the operator !", tag.Start.Value)
		return nil
	}
	v := p.unwrap(n)
	switch x := v.(type) {
	case *ast.BoolNode:
		if field == "when" {
			return &Template{Source: x.GetToken().Value, Pos: p.pos(x), parts: []tmplPart{{e: &expr{kind: exprBool, b: x.Value}, src: x.GetToken().Value, pos: p.pos(x)}}}
		}
	case *ast.StringNode, *ast.LiteralNode:
		return p.compile(x, true)
	case nil:
		return nil
	}
	hint := "write a condition such as `inputs.force == false` or `${{ steps.check.outputs.exit_code != 0 }}`"
	if field == "foreach" {
		hint = "write an expression that gives a list, such as `${{ inputs.files }}`"
	}
	p.errAt(v, hint, "%s must be an expression, not %s", field, describe(v))
	return nil
}

// textTemplate parses a string field that may contain ${{ }}.
func (p *parseState) textTemplate(n ast.Node, field string) *Template {
	v := p.unwrap(n)
	switch x := v.(type) {
	case *ast.StringNode, *ast.LiteralNode:
		return p.compile(x, false)
	case nil:
		return nil
	}
	p.errAt(v, fmt.Sprintf("give %s as text (quote it if needed)", field), "%s must be a string, not %s", field, describe(v))
	return nil
}

// compile parses a string scalar as a template, reporting syntax errors at
// their file position.
func (p *parseState) compile(n ast.Node, bare bool) *Template {
	val, loc := p.locatorFor(n)
	t, errs := compileTemplate(val, bare, loc)
	for _, e := range errs {
		if e.pos.File == "" {
			e.pos = p.pos(n)
		}
		p.errorf(e.pos, 0, "expressions are written ${{ … }} and may use inputs.NAME, steps.ID.outputs.NAME, item, incident.id, quoted strings, numbers, true/false, == != && || ! and parentheses", "invalid expression: %s", e.msg)
	}
	if len(errs) > 0 {
		return nil
	}
	t.Pos = p.pos(n)
	return t
}

// locatorFor returns the value of a string scalar and a locator mapping
// offsets in the value to file positions, as exactly as its style allows.
func (p *parseState) locatorFor(n ast.Node) (string, locator) {
	start := p.pos(n)
	switch x := n.(type) {
	case *ast.LiteralNode:
		val := x.Value.Value
		if x.Start == nil || !strings.HasPrefix(x.Start.Value, "|") {
			return val, p.searchLocator(val, start)
		}
		indent := -1
		for l := start.Line; l < len(p.lines); l++ { // lines after the header
			if s := p.lines[l]; strings.TrimSpace(s) != "" {
				indent = len(s) - len(strings.TrimLeft(s, " "))
				break
			}
		}
		if indent < 0 {
			return val, nil
		}
		return val, func(off int) (diag.Pos, bool) {
			off = min(max(off, 0), len(val))
			k := strings.Count(val[:off], "\n")
			ls := strings.LastIndexByte(val[:off], '\n') + 1
			return diag.Pos{File: p.file, Line: start.Line + 1 + k, Col: indent + 1 + utf8.RuneCountInString(val[ls:off])}, true
		}
	case *ast.StringNode:
		val := x.Value
		tk := x.Token
		o := strings.TrimSpace(tk.Origin)
		if strings.ContainsAny(o, "\n\r") || strings.Contains(val, "\n") {
			return val, p.searchLocator(val, start)
		}
		switch tk.Type {
		case token.SingleQuoteType:
			if o != "'"+val+"'" {
				return val, p.searchLocator(val, start)
			}
			start.Col++
		case token.DoubleQuoteType:
			if o != `"`+val+`"` {
				return val, p.searchLocator(val, start)
			}
			start.Col++
		default:
			if o != val {
				return val, p.searchLocator(val, start)
			}
		}
		return val, linearLocator(start, val)
	}
	return "", nil
}

// searchLocator finds the text at each offset of a value in the source,
// from the scalar's start on; it is used where escapes or line folding
// make the value differ from the text as written.
func (p *parseState) searchLocator(val string, start diag.Pos) locator {
	return func(off int) (diag.Pos, bool) {
		if off < 0 || off >= len(val) {
			return start, false
		}
		needle := val[off:]
		if i := strings.IndexByte(needle, '\n'); i >= 0 {
			needle = needle[:i]
		}
		if len(needle) > 24 {
			needle = needle[:24]
			for !utf8.ValidString(needle) && len(needle) > 0 {
				needle = needle[:len(needle)-1]
			}
		}
		if needle == "" {
			return start, false
		}
		for l := start.Line - 1; l >= 0 && l < len(p.lines) && l < start.Line+200; l++ {
			line := p.lines[l]
			from := 0
			if l == start.Line-1 {
				from = byteCol(line, start.Col)
			}
			if i := strings.Index(line[from:], needle); i >= 0 {
				// The text from here on reads as in the value, at least
				// for the length of the needle.
				return diag.Pos{File: p.file, Line: l + 1, Col: utf8.RuneCountInString(line[:from+i]) + 1}, true
			}
		}
		return start, false
	}
}

// byteCol converts a 1-based character column of line to a byte offset.
func byteCol(line string, col int) int {
	n := 1
	for i := range line {
		if n >= col {
			return i
		}
		n++
	}
	return len(line)
}

// parseWith checks a step's `with:` against its kind's parameters.
func (p *parseState) parseWith(st *Step, idx int, spec *step.Spec, kv *ast.MappingValueNode, foreach bool) {
	st.With = map[string]Value{}
	var kvs []*ast.MappingValueNode
	if kv != nil {
		if _, null := p.unwrap(kv.Value).(*ast.NullNode); !null {
			var ok bool
			if kvs, ok = p.entries(kv.Value, "with"); !ok {
				return
			}
		}
	}
	given := map[string]*ast.MappingValueNode{}
	for _, e := range kvs {
		name := keyText(e)
		if first, dup := given[name]; dup {
			p.errAt(e.Key, "remove one of them", "duplicate parameter %q (first at line %d)", name, p.pos(first).Line)
			continue
		}
		given[name] = e
		var param *step.Param
		if spec != nil {
			pr, ok := spec.Param(name)
			if !ok {
				p.errAt(e.Key, suggest(name, paramNames(spec), "Parameters of "+spec.Kind), "unknown parameter %q for %q steps", name, spec.Kind)
				continue
			}
			param = &pr
		}
		v := p.value(e.Value, idx, st.Uses, param, false, foreach)
		st.With[name] = v
		if param != nil {
			p.checkParamType(*param, v)
		}
	}
	if spec == nil {
		return
	}
	for _, pr := range spec.Params {
		if pr.Required && !hasKey(given, pr.Name) {
			pos := st.Pos
			end := 0
			if kv != nil {
				pos, end = p.span(kv.Key)
			}
			p.errorf(pos, end, fmt.Sprintf("add `%s:` under `with:` (%s)", pr.Name, strings.TrimSuffix(pr.Description, ".")), "missing required parameter %q for %q steps", pr.Name, spec.Kind)
		}
	}
}

func paramNames(s *step.Spec) []string {
	out := make([]string, len(s.Params))
	for i, pr := range s.Params {
		out[i] = pr.Name
	}
	return out
}

// value converts a YAML node of `with:` to a Value, registering templates.
func (p *parseState) value(n ast.Node, idx int, kind string, param *step.Param, nested, foreach bool) Value {
	v := p.unwrap(n)
	pos := p.pos(n)
	if v != nil {
		pos = p.pos(v)
	}
	switch x := v.(type) {
	case *ast.SequenceNode:
		out := Value{Kind: ListValue, Pos: pos, List: []Value{}}
		for _, e := range x.Values {
			out.List = append(out.List, p.value(e, idx, kind, param, true, foreach))
		}
		return out
	case *ast.MappingNode, *ast.MappingValueNode:
		out := Value{Kind: MapValue, Pos: pos, Map: map[string]Value{}}
		kvs, _ := p.entries(x, "a mapping")
		for _, kv := range kvs {
			k := keyText(kv)
			if _, dup := out.Map[k]; dup {
				p.errAt(kv.Key, "remove one of them", "duplicate key %q", k)
				continue
			}
			out.Map[k] = p.value(kv.Value, idx, kind, param, true, foreach)
		}
		return out
	case *ast.StringNode, *ast.LiteralNode:
		val, _ := p.locatorFor(x)
		if strings.Contains(val, "${{") {
			t := p.compile(x, false)
			if t == nil {
				return Value{Kind: ScalarValue, Pos: pos, Literal: val, Text: val}
			}
			p.uses = append(p.uses, &usage{t: t, step: idx, field: "with", param: param, nested: nested, kind: kind, foreach: foreach})
			return Value{Kind: TemplateValue, Template: t, Pos: pos}
		}
		return Value{Kind: ScalarValue, Pos: pos, Literal: val, Text: val}
	case *ast.IntegerNode:
		var lit any = x.Value
		if i, ok := intValue(x); ok {
			lit = i
		}
		return Value{Kind: ScalarValue, Pos: pos, Literal: lit, Text: x.GetToken().Value}
	case *ast.FloatNode:
		return Value{Kind: ScalarValue, Pos: pos, Literal: x.Value, Text: x.GetToken().Value}
	case *ast.BoolNode:
		return Value{Kind: ScalarValue, Pos: pos, Literal: x.Value, Text: x.GetToken().Value}
	case *ast.InfinityNode:
		return Value{Kind: ScalarValue, Pos: pos, Literal: x.Value, Text: x.GetToken().Value}
	case *ast.NanNode:
		return Value{Kind: ScalarValue, Pos: pos, Literal: math.NaN(), Text: x.GetToken().Value}
	}
	return Value{Kind: ScalarValue, Pos: pos} // null, or an alias already reported
}

// checkParamType reports a literal value that cannot have the parameter's
// type. Templates are checked with the references they use.
func (p *parseState) checkParamType(pr step.Param, v Value) {
	bad := func(at Value, hint string) {
		p.errorf(at.Pos, p.endOf(at), hint, "parameter %q must be %s, not %s", pr.Name, typeArticle(pr.Type), valueKindName(at))
	}
	switch pr.Type {
	case step.Any:
		return
	case step.String, step.Secret:
		if v.Kind == ListValue || v.Kind == MapValue {
			bad(v, "give one string (quote it if needed)")
		} else if v.Kind == ScalarValue && v.Literal != nil && len(pr.Enum) > 0 {
			if s := fmt.Sprint(v.Literal); !slices.Contains(pr.Enum, s) {
				p.errorf(v.Pos, p.endOf(v), suggest(s, pr.Enum, "Allowed values"), "parameter %q does not accept %q", pr.Name, s)
			}
		}
	case step.Int:
		if v.Kind == ScalarValue {
			if _, ok := v.Literal.(int); !ok {
				bad(v, "write a whole number such as 3")
			}
		} else if v.Kind != TemplateValue {
			bad(v, "write a whole number such as 3")
		}
	case step.Bool:
		if v.Kind == ScalarValue {
			if _, ok := v.Literal.(bool); !ok {
				bad(v, "write true or false")
			}
		} else if v.Kind != TemplateValue {
			bad(v, "write true or false")
		}
	case step.Duration:
		if v.Kind == ScalarValue {
			s, ok := v.Literal.(string)
			if !ok {
				bad(v, "write a duration such as 30s, 2m or 1h30m")
			} else if d, err := time.ParseDuration(s); err != nil || d < 0 {
				p.errorf(v.Pos, p.endOf(v), "write a duration such as 30s, 2m or 1h30m (units: ms, s, m, h)", "parameter %q: %q is not a duration", pr.Name, s)
			}
		} else if v.Kind != TemplateValue {
			bad(v, "write a duration such as 30s, 2m or 1h30m")
		}
	case step.List:
		switch v.Kind {
		case ListValue:
			for _, e := range v.List {
				if e.Kind == ListValue || e.Kind == MapValue || (e.Kind == ScalarValue && e.Literal == nil) {
					p.errorf(e.Pos, 0, "give each item as a string", "each item of parameter %q must be a string, not %s", pr.Name, valueKindName(e))
				}
			}
		case ScalarValue:
			hint := "write a list such as [a, b] or one `- item` per line"
			if pr.Name == "command" || pr.Name == "unless" {
				hint = "write the command as a list, program first: [./script.sh, arg]; it is never run through a shell"
			}
			bad(v, hint)
		case MapValue:
			bad(v, "write a list such as [a, b]")
		}
	case step.Map:
		switch v.Kind {
		case MapValue:
			for k, e := range v.Map {
				if e.Kind == ListValue || e.Kind == MapValue || (e.Kind == ScalarValue && e.Literal == nil) {
					p.errorf(e.Pos, 0, "give each value as a string", "value %q of parameter %q must be a string, not %s", k, pr.Name, valueKindName(e))
				}
			}
		case ScalarValue, ListValue:
			bad(v, "write a mapping such as {NAME: value}")
		}
	}
}

// endOf returns the column just after a scalar value written as is on one
// line, or 0.
func (p *parseState) endOf(v Value) int {
	if v.Kind != ScalarValue || v.Text == "" || v.Pos.Line < 1 || v.Pos.Line > len(p.lines) {
		return 0
	}
	line := p.lines[v.Pos.Line-1]
	i := byteCol(line, v.Pos.Col)
	if !strings.HasPrefix(line[i:], v.Text) {
		return 0
	}
	return v.Pos.Col + utf8.RuneCountInString(v.Text)
}

func valueKindName(v Value) string {
	switch v.Kind {
	case ListValue:
		return "a list"
	case MapValue:
		return "a mapping"
	case TemplateValue:
		return "text"
	}
	switch l := v.Literal.(type) {
	case nil:
		return "nothing (null)"
	case string:
		return fmt.Sprintf("the string %q", l)
	case bool:
		return "true/false"
	case int, int64, uint64:
		return "a number"
	case float64:
		return "a decimal number"
	}
	return "a value"
}

// suggest returns a hint naming the closest of known to s, then the list.
func suggest(s string, known []string, label string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	if len(known) == 0 {
		return label + ": none."
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
