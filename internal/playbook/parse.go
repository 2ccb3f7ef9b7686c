package playbook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/yamlsrc"
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
var incidentFields = []string{"id", "dir", "playbook", "started", "failed"}

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

// docKind words the messages about a playbook's YAML as a whole.
var docKind = yamlsrc.Kind{
	Name:       "playbook",
	Article:    "a",
	Plural:     "playbooks",
	SyntaxHint: "fix the YAML syntax; a playbook is one YAML mapping (see docs/playbooks.md)",
	EmptyHint:  "start with `name:` and `steps:` (see docs/playbooks.md)",
}

// parseState holds what Parse learns as it goes: the source and its
// diagnostics, read with positions (see yamlsrc.Doc), and the playbook
// built so far.
type parseState struct {
	*yamlsrc.Doc
	cat step.Catalog
	pb  *Playbook

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

// ReadFile reads a playbook file, refusing one too large to be one (see
// yamlsrc.ReadFile).
func ReadFile(path string) ([]byte, error) { return yamlsrc.ReadFile(path, docKind) }

// Parse parses and validates a playbook. file names the source in
// diagnostics. It returns every problem found; the Playbook is nil when
// there is any error.
func Parse(file string, src []byte, cat step.Catalog) (*Playbook, diag.Diagnostics) {
	p := &parseState{
		Doc:     yamlsrc.New(file, src, docKind),
		cat:     cat,
		pb:      &Playbook{File: file, Source: src, Pos: diag.Pos{File: file, Line: 1, Col: 1}},
		inputs:  map[string]int{},
		stepIdx: map[string]int{},
	}
	body := p.Parse()
	if body != nil {
		p.playbook(body)
		p.checkUses()
	}
	p.Diags.Sort()
	if p.Diags.HasErrors() {
		return nil, p.Diags
	}
	return p.pb, p.Diags
}

// playbook checks the top-level mapping.
func (p *parseState) playbook(body ast.Node) {
	kvs, ok := p.Entries(body, "the playbook", "")
	if !ok {
		return
	}
	f := p.Fields(kvs, topFields, "the playbook")
	pb := p.pb
	pb.Pos = p.Pos(body)
	if kv, ok := f["name"]; ok {
		if s, ok := p.ScalarText(kv.Value, "name"); ok {
			if !nameRe.MatchString(s) {
				p.ErrAt(kv.Value, "use lower-case letters, digits and hyphens, starting with a letter or digit (e.g. rotate-key)", "invalid playbook name %q", s)
			}
			pb.Name = s
		}
	} else {
		p.Errorf(pb.Pos, 0, "add a line such as `name: rotate-key`", "the playbook has no name")
	}
	if kv, ok := f["description"]; ok {
		pb.Description, _ = p.ScalarText(kv.Value, "description")
	}
	if kv, ok := f["strategy"]; ok {
		pb.Strategy, _ = p.ScalarText(kv.Value, "strategy")
	}
	if kv, ok := f["inputs"]; ok {
		if _, null := p.Unwrap(kv.Value).(*ast.NullNode); !null {
			p.parseInputs(kv.Value)
		}
	}
	kv, ok := f["steps"]
	if !ok {
		p.Errorf(pb.Pos, 0, "add `steps:` with at least one step (see docs/playbooks.md)", "the playbook has no steps")
		return
	}
	p.parseSteps(kv)
}

func (p *parseState) parseInputs(n ast.Node) {
	kvs, ok := p.Entries(n, "inputs", "")
	if !ok {
		return
	}
	for _, kv := range kvs {
		name := yamlsrc.KeyText(kv)
		kpos, kend := p.Span(kv.Key)
		if i, dup := p.inputs[name]; dup {
			p.Errorf(kpos, kend, "rename or remove one of them", "duplicate input %q (first at line %d)", name, p.pb.Inputs[i].Pos.Line)
			continue
		}
		in := Input{Name: name, Pos: kpos}
		if !inputNameRe.MatchString(name) {
			p.Errorf(kpos, kend, "use lower-case letters, digits, _ and -, starting with a letter or _ (e.g. target_file)", "invalid input name %q", name)
		}
		p.parseInput(&in, kv.Value)
		p.inputs[name] = len(p.pb.Inputs)
		p.pb.Inputs = append(p.pb.Inputs, in)
	}
}

func (p *parseState) parseInput(in *Input, n ast.Node) {
	where := fmt.Sprintf("input %q", in.Name)
	kvs, ok := p.Entries(n, where, "")
	if !ok {
		return
	}
	f := p.Fields(kvs, inputFields, where)
	if kv, ok := f["description"]; ok {
		in.Description, _ = p.ScalarText(kv.Value, "description")
	}
	if kv, ok := f["required"]; ok {
		in.Required, _ = p.Bool(kv.Value, "required")
	}
	kv, ok := f["type"]
	if !ok {
		p.Errorf(in.Pos, 0, "add a type: "+joinTypes(inputTypes), "input %q has no type", in.Name)
		return
	}
	t, ok := p.ScalarText(kv.Value, "type")
	if !ok {
		return
	}
	if !slices.Contains(inputTypes, step.Type(t)) {
		p.ErrAt(kv.Value, yamlsrc.Suggest(t, typeNames(inputTypes), "Input types"), "unknown input type %q", t)
		return
	}
	in.Type = step.Type(t)
	dkv, ok := f["default"]
	if !ok {
		return
	}
	if in.Type == step.Secret {
		p.ErrAt(dkv.Key, "remove the default: secrets are read from standard input or a prompt when the playbook runs", "secret input %q cannot have a default", in.Name)
		return
	}
	if in.Required {
		p.Warnf(in.Pos, 0, "remove `required: true` or the default", "input %q is required but has a default, which is then never used", in.Name)
	}
	in.Default = p.literalOf(dkv.Value, in.Type, fmt.Sprintf("the default of input %q", in.Name))
}

// literalOf converts a literal YAML value to Go per type t, reporting a
// mismatch. It returns nil on error.
func (p *parseState) literalOf(n ast.Node, t step.Type, what string) any {
	v := p.Unwrap(n)
	if v == nil {
		return nil
	}
	bad := func(hint string) any {
		p.ErrAt(v, hint, "%s must be %s, not %s", what, typeArticle(t), yamlsrc.Describe(v))
		return nil
	}
	switch t {
	case step.String, step.Secret:
		s, ok := p.ScalarText(v, what)
		if !ok {
			return nil
		}
		return s
	case step.Int:
		in, ok := v.(*ast.IntegerNode)
		if !ok {
			return bad("write a whole number such as 3")
		}
		i, ok := yamlsrc.IntValue(in)
		if !ok {
			p.ErrAt(v, "use a smaller number", "%s %s is too large", what, in.GetToken().Value)
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
			p.ErrAt(v, "write a duration such as 30s, 2m or 1h30m (units: ms, s, m, h)", "%s %q is not a duration", what, s.Value)
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
			s, ok := p.ScalarText(e, "each item of "+what)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	case step.Map:
		kvs, ok := p.Entries(v, what, "")
		if !ok {
			return nil
		}
		out := map[string]string{}
		for _, kv := range kvs {
			s, ok := p.ScalarText(kv.Value, "each value of "+what)
			if !ok {
				return nil
			}
			out[yamlsrc.KeyText(kv)] = s
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
	v := p.Unwrap(kv.Value)
	seq, ok := v.(*ast.SequenceNode)
	if !ok {
		if v != nil {
			p.ErrAt(kv.Key, "write steps as a list: one `- id: …` entry per step", "steps must be a list, not %s", yamlsrc.Describe(v))
		}
		return
	}
	if len(seq.Values) == 0 {
		p.ErrAt(kv.Key, "add at least one step", "the playbook has no steps")
		return
	}
	for _, n := range seq.Values {
		p.parseStep(n)
	}
}

func (p *parseState) parseStep(n ast.Node) {
	idx := len(p.pb.Steps)
	p.pb.Steps = append(p.pb.Steps, Step{Pos: p.Pos(n), Concurrency: 1})
	p.specs = append(p.specs, nil)
	st := &p.pb.Steps[idx]
	kvs, ok := p.Entries(n, fmt.Sprintf("step %d", idx+1), "")
	if !ok {
		return
	}
	where := fmt.Sprintf("step %d", idx+1)
	if kv, ok := fieldByKey(kvs, "id"); ok {
		if id, ok := p.ScalarText(kv.Value, "id"); ok {
			where = fmt.Sprintf("step %q", id)
		}
	}
	f := p.Fields(kvs, stepFields, where)

	if kv, ok := f["id"]; ok {
		if id, ok := p.ScalarText(kv.Value, "id"); ok {
			st.ID = id
			pos, end := p.Span(kv.Value)
			switch {
			case !stepIDRe.MatchString(id):
				p.Errorf(pos, end, "use lower-case letters, digits, _ and - (e.g. create_key)", "invalid step id %q", id)
			case hasKey(p.stepIdx, id):
				p.Errorf(pos, end, "give each step its own id", "duplicate step id %q (first at line %d)", id, p.pb.Steps[p.stepIdx[id]].Pos.Line)
			default:
				p.stepIdx[id] = idx
			}
		}
	} else {
		p.Errorf(st.Pos, 0, "add an id such as `id: create_key`; later steps refer to its outputs with steps.ID.outputs.NAME", "%s has no id", where)
	}
	if kv, ok := f["name"]; ok {
		st.Name, _ = p.ScalarText(kv.Value, "name")
	}

	var spec *step.Spec
	if kv, ok := f["uses"]; ok {
		if k, ok := p.ScalarText(kv.Value, "uses"); ok {
			st.Uses = k
			if kind, found := p.lookup(k); found {
				s := kind.Spec()
				spec = &s
				p.specs[idx] = spec
				if kv, ok := f["retry"]; ok {
					if _, decides := kind.(step.IdempotencyDecider); !s.Idempotent && !decides {
						p.Warnf(p.Pos(kv.Key), 0, "remove retry, or use a kind that can safely run twice", "retry has no effect: %q steps are not idempotent, so they are never retried", k)
					}
				}
			} else {
				p.ErrAt(kv.Value, yamlsrc.Suggest(k, p.kindNames(), "Known kinds"), "unknown step kind %q", k)
			}
		}
	} else {
		p.Errorf(st.Pos, 0, "add `uses:` with one of: "+strings.Join(p.kindNames(), ", "), "%s has no `uses:` (the kind of step)", where)
	}

	_, hasForeach := f["foreach"]
	if kv, ok := f["foreach"]; ok {
		st.Foreach = p.condTemplate(kv.Value, "foreach")
		if st.Foreach != nil {
			p.uses = append(p.uses, &usage{t: st.Foreach, step: idx, field: "foreach", kind: st.Uses})
		}
	}
	if kv, ok := f["concurrency"]; ok {
		if c, ok := p.Int(kv.Value, "concurrency", 1, MaxConcurrency); ok {
			st.Concurrency = c
			if !hasForeach {
				p.ErrAt(kv.Key, "remove concurrency, or add foreach: it sets how many items run at once", "concurrency needs foreach")
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
		st.Timeout, _, _ = p.Duration(kv.Value, "timeout", yamlsrc.DurationRange{Min: time.Millisecond, Max: MaxTimeout})
	}
	if kv, ok := f["continue_on_error"]; ok {
		st.ContinueOnError, _ = p.Bool(kv.Value, "continue_on_error")
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
		if yamlsrc.KeyText(kv) == k {
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
	kvs, ok := p.Entries(n, "retry", "")
	if !ok {
		return nil
	}
	f := p.Fields(kvs, retryFields, "retry")
	r := &Retry{Attempts: 3, Backoff: DefaultBackoff, MaxBackoff: DefaultMaxDelay}
	if kv, ok := f["attempts"]; ok {
		r.Attempts, _ = p.Int(kv.Value, "retry attempts", 1, MaxRetryAttempts)
	}
	if kv, ok := f["backoff"]; ok {
		r.Backoff, _, _ = p.Duration(kv.Value, "retry backoff", yamlsrc.DurationRange{Max: MaxBackoff})
	}
	if kv, ok := f["max_backoff"]; ok {
		if d, _, ok := p.Duration(kv.Value, "retry max_backoff", yamlsrc.DurationRange{Max: MaxBackoff}); ok {
			r.MaxBackoff = d
			if d < r.Backoff {
				p.ErrAt(kv.Value, "make max_backoff at least as long as backoff", "retry max_backoff %s is shorter than backoff %s", d, r.Backoff)
			}
		}
	}
	return r
}

// condTemplate parses `when:` or `foreach:`: a bare expression, one
// ${{ expression }}, or (when:) a literal true/false.
func (p *parseState) condTemplate(n ast.Node, field string) *Template {
	if tag, ok := n.(*ast.TagNode); ok && tag.Start != nil && !strings.HasPrefix(tag.Start.Value, "!!") {
		p.ErrAt(tag, fmt.Sprintf("write %s: ${{ %s }}, or quote the expression", field, tag.Start.Value),
			"YAML reads %q as a tag, not as the operator !", tag.Start.Value)
		return nil
	}
	v := p.Unwrap(n)
	switch x := v.(type) {
	case *ast.BoolNode:
		if field == "when" {
			return &Template{Source: x.GetToken().Value, Pos: p.Pos(x), parts: []tmplPart{{e: &expr{kind: exprBool, b: x.Value}, src: x.GetToken().Value, pos: p.Pos(x)}}}
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
	p.ErrAt(v, hint, "%s must be an expression, not %s", field, yamlsrc.Describe(v))
	return nil
}

// textTemplate parses a string field that may contain ${{ }}.
func (p *parseState) textTemplate(n ast.Node, field string) *Template {
	v := p.Unwrap(n)
	switch x := v.(type) {
	case *ast.StringNode, *ast.LiteralNode:
		return p.compile(x, false)
	case nil:
		return nil
	}
	p.ErrAt(v, fmt.Sprintf("give %s as text (quote it if needed)", field), "%s must be a string, not %s", field, yamlsrc.Describe(v))
	return nil
}

// compile parses a string scalar as a template, reporting syntax errors at
// their file position.
func (p *parseState) compile(n ast.Node, bare bool) *Template {
	val, loc := p.locatorFor(n)
	t, errs := compileTemplate(val, bare, loc)
	for _, e := range errs {
		if e.pos.File == "" {
			e.pos = p.Pos(n)
		}
		p.Errorf(e.pos, 0, "expressions are written ${{ … }} and may use inputs.NAME, steps.ID.outputs.NAME, item, incident.id, quoted strings, numbers, true/false, == != && || ! and parentheses", "invalid expression: %s", e.msg)
	}
	if len(errs) > 0 {
		return nil
	}
	t.Pos = p.Pos(n)
	return t
}

// locatorFor returns the value of a string scalar and a locator mapping
// offsets in the value to file positions, as exactly as its style allows.
func (p *parseState) locatorFor(n ast.Node) (string, locator) {
	start := p.Pos(n)
	switch x := n.(type) {
	case *ast.LiteralNode:
		val := x.Value.Value
		if x.Start == nil || !strings.HasPrefix(x.Start.Value, "|") {
			return val, p.searchLocator(val, start)
		}
		indent := -1
		for l := start.Line; l < len(p.Lines); l++ { // lines after the header
			if s := p.Lines[l]; strings.TrimSpace(s) != "" {
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
			return diag.Pos{File: p.File, Line: start.Line + 1 + k, Col: indent + 1 + utf8.RuneCountInString(val[ls:off])}, true
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
		for l := start.Line - 1; l >= 0 && l < len(p.Lines) && l < start.Line+200; l++ {
			line := p.Lines[l]
			from := 0
			if l == start.Line-1 {
				from = byteCol(line, start.Col)
			}
			if i := strings.Index(line[from:], needle); i >= 0 {
				// The text from here on reads as in the value, at least
				// for the length of the needle.
				return diag.Pos{File: p.File, Line: l + 1, Col: utf8.RuneCountInString(line[:from+i]) + 1}, true
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
		if _, null := p.Unwrap(kv.Value).(*ast.NullNode); !null {
			var ok bool
			if kvs, ok = p.Entries(kv.Value, "with", ""); !ok {
				return
			}
		}
	}
	given := map[string]*ast.MappingValueNode{}
	for _, e := range kvs {
		name := yamlsrc.KeyText(e)
		if first, dup := given[name]; dup {
			p.ErrAt(e.Key, "remove one of them", "duplicate parameter %q (first at line %d)", name, p.Pos(first).Line)
			continue
		}
		given[name] = e
		var param *step.Param
		if spec != nil {
			pr, ok := spec.Param(name)
			if !ok {
				p.ErrAt(e.Key, yamlsrc.Suggest(name, paramNames(spec), "Parameters of "+spec.Kind), "unknown parameter %q for %q steps", name, spec.Kind)
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
				pos, end = p.Span(kv.Key)
			}
			p.Errorf(pos, end, fmt.Sprintf("add `%s:` under `with:` (%s)", pr.Name, strings.TrimSuffix(pr.Description, ".")), "missing required parameter %q for %q steps", pr.Name, spec.Kind)
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
	v := p.Unwrap(n)
	pos := p.Pos(n)
	if v != nil {
		pos = p.Pos(v)
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
		kvs, _ := p.Entries(x, "a mapping", "")
		for _, kv := range kvs {
			k := yamlsrc.KeyText(kv)
			if _, dup := out.Map[k]; dup {
				p.ErrAt(kv.Key, "remove one of them", "duplicate key %q", k)
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
		if i, ok := yamlsrc.IntValue(x); ok {
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
		p.Errorf(at.Pos, p.endOf(at), hint, "parameter %q must be %s, not %s", pr.Name, typeArticle(pr.Type), valueKindName(at))
	}
	switch pr.Type {
	case step.Any:
		return
	case step.String, step.Secret:
		if v.Kind == ListValue || v.Kind == MapValue {
			bad(v, "give one string (quote it if needed)")
		} else if v.Kind == ScalarValue && v.Literal != nil && len(pr.Enum) > 0 {
			if s := fmt.Sprint(v.Literal); !slices.Contains(pr.Enum, s) {
				p.Errorf(v.Pos, p.endOf(v), yamlsrc.Suggest(s, pr.Enum, "Allowed values"), "parameter %q does not accept %q", pr.Name, s)
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
				p.Errorf(v.Pos, p.endOf(v), "write a duration such as 30s, 2m or 1h30m (units: ms, s, m, h)", "parameter %q: %q is not a duration", pr.Name, s)
			}
		} else if v.Kind != TemplateValue {
			bad(v, "write a duration such as 30s, 2m or 1h30m")
		}
	case step.List:
		switch v.Kind {
		case ListValue:
			for _, e := range v.List {
				if e.Kind == ListValue || e.Kind == MapValue || (e.Kind == ScalarValue && e.Literal == nil) {
					p.Errorf(e.Pos, 0, "give each item as a string", "each item of parameter %q must be a string, not %s", pr.Name, valueKindName(e))
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
					p.Errorf(e.Pos, 0, "give each value as a string", "value %q of parameter %q must be a string, not %s", k, pr.Name, valueKindName(e))
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
	if v.Kind != ScalarValue || v.Text == "" || v.Pos.Line < 1 || v.Pos.Line > len(p.Lines) {
		return 0
	}
	line := p.Lines[v.Pos.Line-1]
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
