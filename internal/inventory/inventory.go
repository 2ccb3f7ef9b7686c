// Package inventory reads respond's inventory: data, not procedure. It
// lists the credentials that exist and every place each one is deployed
// (its targets), so that a playbook can revoke a leaked key, replace it
// and write the replacement everywhere the old one was.
//
//	# respond.yaml
//	credentials:
//	  - name: openai-prod
//	    provider: openai
//	    project: proj_abc123
//	    key_name: prod-backend        # or key_id: key_…
//	    targets:
//	      - github-actions: {repo: acme/api, secret: OPENAI_API_KEY}
//	      - dotenv: {path: deploy/.env, var: OPENAI_API_KEY}
//	      - exec: {command: [./scripts/store-key.sh], timeout: 30s}
//	      - github-workflow: {repo: acme/api, workflow: deploy.yml, ref: main}
//
// Parse reports every problem at once, each with its position. Relative
// paths (dotenv.path, exec.command[0] when it contains a slash) are
// resolved against the inventory file's directory. docs/inventory.md is the
// user guide.
package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/yamlsrc"
)

// Inventory is a parsed inventory file.
type Inventory struct {
	File        string // the file's name as given (for messages)
	Credentials []Credential
}

// Credential is one credential and every place it is deployed.
type Credential struct {
	Name     string
	Provider string // a registered provider's name ("openai")
	// Scope is where the key lives at its provider (an OpenAI project, an
	// AWS account), given in the field the provider names (ScopeField:
	// "project", "account"); "" when the provider finds it.
	Scope      string
	ScopeField string
	KeyName    string // the key's name, or
	KeyID      string // its ID (key_…, AKIA…)
	// Fingerprint is the sha256 fingerprint of the live key's value, which
	// respond records when it deploys a replacement, so that it can
	// recognise the key from its value alone (when the provider has
	// disabled it and no listing shows its ID any more).
	Fingerprint string
	// RotateEvery is how old its key may grow before `respond rotate
	// --due` replaces it (0: never due).
	RotateEvery time.Duration
	Targets     []target.Target
	Pos         diag.Pos
}

// MaxRotateEvery bounds rotate_every.
const MaxRotateEvery = 10 * 365 * 24 * time.Hour

var (
	topFields     = []string{"credentials"}
	credentialFix = []string{"name", "provider", "key_name", "key_id", "fingerprint", "rotate_every", "targets"}

	credNameRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	fingerprintRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// credentialFields are the fields a credential may have: the fixed ones
// and every registered provider's scope field.
func credentialFields() []string {
	return append(append([]string(nil), credentialFix...), provider.ScopeFields()...)
}

// firstExample is the shortest example of a registered type that holds
// the credential, for hints about targets in general.
func firstExample() string {
	best := "- TYPE: {field: value}"
	for _, s := range target.Specs() {
		if s.Holds && (best == "- TYPE: {field: value}" || len(s.Example) < len(best)) {
			best = s.Example
		}
	}
	return best
}

// docKind words the messages about an inventory's YAML as a whole.
var docKind = yamlsrc.Kind{
	Name:       "inventory",
	Article:    "an",
	Plural:     "inventories",
	SyntaxHint: "fix the YAML syntax; an inventory is one YAML mapping with `credentials:` (see docs/inventory.md)",
	EmptyHint:  "start with `credentials:` and list each credential with its targets (see docs/inventory.md)",
	// A key repeated in a mapping is a duplicate, known or not.
	RepeatedUnknownIsDuplicate: true,
}

// parseState holds what Parse learns as it goes: the source and its
// diagnostics, read with positions (see yamlsrc.Doc).
type parseState struct {
	*yamlsrc.Doc
}

// ReadFile reads an inventory file, refusing one too large to be one
// (see yamlsrc.ReadFile).
func ReadFile(path string) ([]byte, error) { return yamlsrc.ReadFile(path, docKind) }

// Parse parses and validates an inventory. file names the source in
// diagnostics and is the base of relative paths. It returns every problem
// found; the Inventory is nil when there is any error.
func Parse(file string, src []byte) (*Inventory, diag.Diagnostics) {
	p := &parseState{yamlsrc.New(file, src, docKind)}
	inv := &Inventory{File: file}
	if body := p.Parse(); body != nil {
		p.inventory(inv, body, baseDir(file))
	}
	p.Diags.Sort()
	if p.Diags.HasErrors() {
		return nil, p.Diags
	}
	return inv, p.Diags
}

// baseDir is the absolute directory of file, against which relative paths
// in it resolve.
func baseDir(file string) string {
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

func (p *parseState) inventory(inv *Inventory, body ast.Node, dir string) {
	kvs, ok := p.Entries(body, "the inventory", "start with `credentials:` and list each credential with its targets (see docs/inventory.md)")
	if !ok {
		return
	}
	f := p.Fields(kvs, topFields, "the inventory")
	kv, ok := f["credentials"]
	if !ok {
		p.Errorf(p.Pos(body), 0, "add `credentials:` with one entry per credential (see docs/inventory.md)", "the inventory has no credentials")
		return
	}
	v := p.Unwrap(kv.Value)
	seq, ok := v.(*ast.SequenceNode)
	switch {
	case v == nil:
		return
	case !ok:
		if _, null := v.(*ast.NullNode); null {
			p.ErrAt(kv.Key, "list each credential under `credentials:` as `- name: …`", "the inventory lists no credentials")
		} else {
			p.ErrAt(v, "list each credential under `credentials:` as `- name: …`", "credentials must be a list, not %s", yamlsrc.Describe(v))
		}
		return
	case len(seq.Values) == 0:
		p.ErrAt(kv.Key, "list each credential under `credentials:` as `- name: …`", "the inventory lists no credentials")
		return
	}
	names := map[string]diag.Pos{}
	owners := map[string]string{} // target ID -> credential name
	for _, n := range seq.Values {
		c, ok := p.credential(n, dir)
		if !ok {
			continue
		}
		if c.Name != "" {
			if first, dup := names[c.Name]; dup {
				p.Errorf(c.Pos, 0, "give each credential a unique name", "duplicate credential name %q (first at line %d)", c.Name, first.Line)
			} else {
				names[c.Name] = c.Pos
			}
		}
		for _, t := range c.Targets {
			if !t.Holds() {
				continue
			}
			if other, dup := owners[t.ID()]; dup && other != c.Name {
				p.Warnf(t.Pos, t.Pos.Col+len(t.Type), "two credentials written to the same place overwrite each other; keep the target under one credential",
					"target %s is also listed under credential %q", t.ID(), other)
			} else {
				owners[t.ID()] = c.Name
			}
		}
		inv.Credentials = append(inv.Credentials, c)
	}
}

// credential parses one entry of `credentials:`.
func (p *parseState) credential(n ast.Node, dir string) (Credential, bool) {
	c := Credential{Pos: p.Pos(n)}
	kvs, ok := p.Entries(n, "a credential", "give each credential as a mapping: name, provider, where its key lives, key_name or key_id, targets")
	if !ok {
		return c, false
	}
	f := p.Fields(kvs, credentialFields(), "a credential")
	text := func(k string) (string, *ast.MappingValueNode) {
		kv, ok := f[k]
		if !ok {
			return "", nil
		}
		s, _ := p.ScalarText(kv.Value, k)
		return s, kv
	}
	var kv *ast.MappingValueNode
	c.Name, kv = text("name")
	label := "the credential"
	switch {
	case kv == nil:
		p.Errorf(c.Pos, 0, "add a line such as `name: openai-prod`", "the credential has no name")
	case c.Name == "":
	case !credNameRe.MatchString(c.Name):
		p.ErrAt(kv.Value, "use letters, digits, _, . and -, starting with a letter or digit (e.g. openai-prod)", "invalid credential name %q", c.Name)
	default:
		label = fmt.Sprintf("credential %q", c.Name)
	}
	var spec *provider.Spec
	c.Provider, kv = text("provider")
	switch {
	case kv == nil:
		p.Errorf(c.Pos, 0, "add `provider: NAME`, one of "+strings.Join(provider.Names(), ", "), "%s has no provider", label)
	case c.Provider == "":
	default:
		s, ok := provider.Lookup(c.Provider)
		if !ok {
			p.ErrAt(kv.Value, yamlsrc.Suggest(c.Provider, provider.Names(), "Supported providers"), "unsupported provider %q", c.Provider)
		}
		spec = s
	}
	p.scope(&c, f, spec, label)
	var nameKV, idKV *ast.MappingValueNode
	c.KeyName, nameKV = text("key_name")
	c.KeyID, idKV = text("key_id")
	noun := "the key's"
	if spec != nil {
		noun = spec.KeyTitle() + "'s"
	}
	switch {
	case spec != nil && !spec.KeyNames && nameKV != nil:
		p.ErrAt(nameKV.Key, fmt.Sprintf("%s keys have no names: give the key's ID, e.g. `key_id: %s`", spec.Title, spec.KeyID.Example), "%s names %s by key_name", label, article(spec.KeyTitle()))
	case nameKV == nil && idKV == nil && (spec == nil || spec.KeyID.Pattern != nil || spec.KeyNames):
		p.Errorf(c.Pos, 0, keyHint(spec), "%s says neither key_name nor key_id", label)
	case nameKV != nil && idKV != nil:
		p.ErrAt(idKV.Key, "keep one: key_id if you know it, else key_name", "%s gives both key_name and key_id", label)
	case idKV != nil && c.KeyID != "" && !target.ValidSegment(c.KeyID) && (spec == nil || spec.KeyID.Pattern == nil || !spec.KeyID.Owns(c.KeyID)):
		// An ID the provider declares (a Google key's resource name has
		// slashes) is the provider's to put into requests, escaped.
		p.ErrAt(idKV.Value, fmt.Sprintf("give %s ID, e.g. %s", noun, exampleID(spec)), "invalid key_id %q: it would not name one key in a request path", c.KeyID)
	case spec != nil && idKV != nil && c.KeyID != "" && spec.KeyID.Pattern != nil && !spec.KeyID.Owns(c.KeyID):
		p.WarnAt(idKV.Value, fmt.Sprintf("%s IDs look like %s", spec.KeyTitle(), spec.KeyID.Example), "key_id %q does not look like %s ID", c.KeyID, article(spec.KeyTitle()))
	}
	if fkv, ok := f["fingerprint"]; ok {
		c.Fingerprint, _ = p.ScalarText(fkv.Value, "fingerprint")
		if c.Fingerprint != "" && !fingerprintRe.MatchString(c.Fingerprint) {
			p.ErrAt(fkv.Value, "respond writes this field itself (sha256: and 64 hex digits); remove it if in doubt", "fingerprint %q is not a sha256 fingerprint", c.Fingerprint)
		}
	}
	if rkv, ok := f["rotate_every"]; ok {
		c.RotateEvery, _ = p.rotateEvery(rkv.Value)
	}
	kv, ok = f["targets"]
	if !ok {
		p.Warnf(c.Pos, 0, "add `targets:` listing every place the key is deployed, so that the replacement reaches them", "%s has no targets: the replacement would be deployed nowhere", label)
		return c, true
	}
	v := p.Unwrap(kv.Value)
	seq, isSeq := v.(*ast.SequenceNode)
	switch {
	case v == nil:
		return c, true
	case !isSeq:
		if _, null := v.(*ast.NullNode); null {
			p.WarnAt(kv.Key, "list every place the key is deployed, so that the replacement reaches them", "%s has no targets: the replacement would be deployed nowhere", label)
		} else {
			p.ErrAt(v, "list the targets, one `- TYPE: {…}` per line", "targets must be a list, not %s", yamlsrc.Describe(v))
		}
		return c, true
	}
	ids := map[string]diag.Pos{}
	for _, e := range seq.Values {
		t, ok := p.target(e, dir, spec)
		if !ok {
			continue
		}
		if first, dup := ids[t.ID()]; dup {
			p.Errorf(t.Pos, t.Pos.Col+len(t.Type), "remove one of them", "duplicate target %s (first at line %d)", t.ID(), first.Line)
			continue
		}
		ids[t.ID()] = t.Pos
		c.Targets = append(c.Targets, t)
	}
	if len(seq.Values) == 0 {
		p.WarnAt(kv.Key, "list every place the key is deployed, so that the replacement reaches them", "%s has no targets: the replacement would be deployed nowhere", label)
	}
	return c, true
}

// scope reads where the credential's key lives, in the field its provider
// names: the provider's own is checked by it, another provider's is an
// error at its key.
func (p *parseState) scope(c *Credential, f map[string]*ast.MappingValueNode, spec *provider.Spec, label string) {
	for _, field := range provider.ScopeFields() {
		kv, ok := f[field]
		if !ok {
			continue
		}
		if spec == nil {
			continue
		}
		if field != spec.Scope.Field {
			p.ErrAt(kv.Key, fmt.Sprintf("%s belongs to %s: give `%s:` instead%s", article(spec.KeyTitle()), article(spec.Scope.Kind), spec.Scope.Field, optional(spec)),
				"%s is %s: it has no %s", label, article(spec.KeyTitle()), field)
			continue
		}
		c.ScopeField = field
		c.Scope, _ = p.ScalarText(kv.Value, field)
		switch {
		case c.Scope == "":
		case spec.Scope.Check != nil:
			if err := spec.Scope.Check(c.Scope); err != nil {
				p.ErrAt(kv.Value, err.Error(), "invalid %s %q", field, c.Scope)
			} else if spec.Scope.Warn != nil {
				if w := spec.Scope.Warn(c.Scope); w != "" {
					p.WarnAt(kv.Value, w, "%s %q does not look like %s %s ID", field, c.Scope, article(spec.Title), spec.Scope.Kind)
				}
			}
		case !target.ValidSegment(c.Scope):
			p.ErrAt(kv.Value, fmt.Sprintf("give the %s's ID, e.g. %s", spec.Scope.Kind, spec.Scope.Example), "invalid %s %q: it would not name one %s in a request path", field, c.Scope, spec.Scope.Kind)
		}
	}
	if spec != nil && spec.Scope.Required && c.ScopeField == "" {
		p.Errorf(c.Pos, 0, fmt.Sprintf("add the %s %s the key belongs to, e.g. `%s: %s`", spec.Title, spec.Scope.Kind, spec.Scope.Field, spec.Scope.Example),
			"%s has no %s", label, spec.Scope.Field)
	}
	if spec != nil && c.ScopeField == "" {
		c.ScopeField = spec.Scope.Field
	}
}

func optional(s *provider.Spec) string {
	if s.Scope.Required {
		return ""
	}
	return ", or leave it out: respond finds it"
}

// keyHint says how to name a credential's key.
func keyHint(s *provider.Spec) string {
	switch {
	case s == nil:
		return "add `key_name:` (the key's name) or `key_id:` (its ID)"
	case !s.KeyNames:
		return fmt.Sprintf("add `key_id:` (the key's ID, e.g. %s)", s.KeyID.Example)
	}
	return fmt.Sprintf("add `key_name:` (the key's name in the %s) or `key_id:` (%s)", s.Scope.Kind, s.KeyID.Shape)
}

func exampleID(s *provider.Spec) string {
	if s != nil && s.KeyID.Example != "" {
		return s.KeyID.Example
	}
	return "key_abc123"
}

// rotateEvery reads rotate_every: a duration in days (90d), weeks (12w)
// or hours and less (2160h).
func (p *parseState) rotateEvery(n ast.Node) (time.Duration, bool) {
	s, ok := p.ScalarText(n, "rotate_every")
	if !ok {
		return 0, false
	}
	d, err := ParseAge(s)
	if err != nil || d <= 0 || d > MaxRotateEvery {
		p.ErrAt(n, "write how often the key is rotated, e.g. 90d, 12w or 720h", "rotate_every %q is not a duration from 1h to 10 years", s)
		return 0, false
	}
	return d, true
}

// ParseAge reads a duration that may be given in days (90d) or weeks
// (12w) as well as Go's units (720h, 30m).
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return 0, fmt.Errorf("%q is not a number of %s", n, map[string]string{"d": "days", "w": "weeks"}[suffix])
			}
			return time.Duration(v * float64(unit)), nil
		}
	}
	return time.ParseDuration(s)
}

// target parses one entry of `targets:`: a mapping with one key, the type,
// whose value holds the type's fields. Each field is read by its kind and
// checked by its type's own rules, each problem at its position.
func (p *parseState) target(n ast.Node, dir string, prov *provider.Spec) (target.Target, bool) {
	t := target.Target{Fields: map[string]any{}, FieldPos: map[string]diag.Pos{}}
	hint := "write each target as `- TYPE: {field: value, …}`, e.g. " + firstExample() + "; types: " + strings.Join(target.Types(), ", ")
	v := p.Unwrap(n)
	var kvs []*ast.MappingValueNode
	switch m := v.(type) {
	case nil:
		return t, false
	case *ast.MappingNode:
		kvs = m.Values
	case *ast.MappingValueNode:
		kvs = []*ast.MappingValueNode{m}
	default:
		p.ErrAt(m, hint, "a target must be a mapping of its type to its fields, not %s", yamlsrc.Describe(m))
		return t, false
	}
	if len(kvs) == 0 {
		p.ErrAt(v, hint, "the target is empty")
		return t, false
	}
	if len(kvs) != 1 {
		keys := make([]string, len(kvs))
		for i, kv := range kvs {
			keys[i] = yamlsrc.KeyText(kv)
		}
		if slices.Contains(keys, "type") {
			hint = "write the type as the key instead of `type:`, e.g. " + firstExample()
		}
		p.ErrAt(kvs[0].Key, hint, "a target is a mapping with one key, its type; this one has %d (%s)", len(kvs), strings.Join(keys, ", "))
		return t, false
	}
	kv := kvs[0]
	t.Type = yamlsrc.KeyText(kv)
	var typeEnd int
	t.Pos, typeEnd = p.Span(kv.Key)
	spec, ok := target.Lookup(t.Type)
	if !ok {
		p.ErrAt(kv.Key, yamlsrc.Suggest(t.Type, target.Types(), "Target types"), "unknown target type %q", t.Type)
		return t, false
	}
	where := article(t.Type) + " target"
	fkvs, ok := p.Entries(kv.Value, where, "give its fields, e.g. "+spec.Example)
	if !ok {
		return t, false
	}
	before := len(p.Diags)
	f := p.Fields(fkvs, spec.FieldNames(), where)
	// A target with an unknown or duplicate field is left out, so that it
	// is not also reported as a duplicate of a target it only resembles.
	bad := p.Diags[before:].HasErrors()
	unknownFields := bad
	nodes := map[string]*ast.MappingValueNode{}
	for _, fld := range spec.AllFields() {
		fkv, present := f[fld.Name]
		if !present {
			continue
		}
		nodes[fld.Name] = fkv
		t.FieldPos[fld.Name] = p.Pos(fkv.Value)
		val, good := p.fieldValue(fld, fkv)
		if !good {
			bad = true
			continue
		}
		t.Fields[fld.Name] = val
	}
	if unknownFields {
		return t, false
	}
	// A value that did not parse (a timeout too long, say) is reported
	// with every other field's problem, not alone: the checks of the
	// fields that parsed run too, but not those of the target as a whole.
	valuesBad := bad
	// The parts of the credential a target holds are the provider's.
	if prov != nil && !p.checkParts(t, nodes, prov) {
		bad = true
	}
	for _, pr := range t.Problems() {
		if valuesBad && skipAfterBadValue(pr, nodes, t) {
			continue
		}
		at, known := nodes[pr.Field]
		hint := pr.Hint
		if hint == "" {
			hint = "see docs/inventory.md for the fields of each target type, e.g. " + spec.Example
		}
		switch {
		case pr.Warning && known:
			p.WarnAt(at.Value, hint, "%s", pr.Msg)
		case pr.Warning:
			p.Warnf(t.Pos, typeEnd, hint, "%s", pr.Msg)
		case known:
			p.ErrAt(at.Value, hint, "%s", problemMsg(t, pr))
			bad = true
		default:
			p.Errorf(t.Pos, typeEnd, hint, "%s target: %s", t.Type, pr.Msg)
			bad = true
		}
	}
	if bad {
		return t, false
	}
	if prov != nil {
		p.warnIdentifierNames(t, nodes, spec, prov)
	}
	return target.Resolve(t, dir), true
}

// skipAfterBadValue: with a value that did not parse, a problem of that
// field (it reads as missing) or of the target as a whole (its checks
// read every field) is not reported; a required field that is really
// missing is.
func skipAfterBadValue(pr target.Problem, nodes map[string]*ast.MappingValueNode, t target.Target) bool {
	if pr.Field != "" {
		return nodes[pr.Field] != nil && t.Fields[pr.Field] == nil
	}
	return pr.Missing == "" || nodes[pr.Missing] != nil
}

// problemMsg words a field's problem: "invalid secret name …" as the
// type's check says it.
func problemMsg(t target.Target, pr target.Problem) string {
	return pr.Msg
}

// fieldValue reads one field's value by its kind.
func (p *parseState) fieldValue(fld target.Field, kv *ast.MappingValueNode) (any, bool) {
	switch fld.Kind {
	case target.Bool:
		return p.Bool(kv.Value, fld.Name)
	case target.List:
		hint := "give " + fld.Name + " as a list"
		if fld.Doc != "" {
			hint += ": " + fld.Doc
		}
		l, ok := p.StringList(kv.Value, fld.Name, hint)
		if ok && fld.Program && len(l) > 0 && l[0] == "" {
			p.ErrAt(kv.Value, "name the program first", "the program of the command is empty")
			return nil, false
		}
		return l, ok
	case target.Map:
		hint := "give " + fld.Name + " as a mapping"
		if fld.Doc != "" {
			hint += ": " + fld.Doc
		}
		ikvs, ok := p.Entries(kv.Value, fld.Name, hint)
		if !ok {
			return nil, false
		}
		m := map[string]string{}
		for _, ikv := range ikvs {
			s, good := p.ScalarText(ikv.Value, fld.Name+" "+yamlsrc.KeyText(ikv))
			if !good {
				return nil, false
			}
			m[yamlsrc.KeyText(ikv)] = s
		}
		return m, true
	}
	if fld.Kind == target.Duration {
		r := yamlsrc.DurationRange{AboveMin: true, Max: 100 * 365 * 24 * time.Hour, Examples: "30s, 2m or 1m30s"}
		if m, err := time.ParseDuration(fld.MaxDuration); err == nil && m > 0 {
			r.Max, r.Hint = m, fmt.Sprintf("use a duration above 0 and at most %s", yamlsrc.FormatDuration(m))
		}
		_, s, ok := p.Duration(kv.Value, fld.Name, r)
		return s, ok
	}
	s, ok := p.ScalarText(kv.Value, fld.Name)
	return s, ok
}

// checkParts checks that part: and keys: name parts the credential's
// provider has.
func (p *parseState) checkParts(t target.Target, nodes map[string]*ast.MappingValueNode, prov *provider.Spec) bool {
	parts := prov.PartNames()
	ok := true
	check := func(part string, at ast.Node) {
		if part == "" || slices.Contains(parts, part) {
			return
		}
		p.ErrAt(at, yamlsrc.Suggest(part, parts, "The parts of "+article(prov.Title)+" credential"),
			"%s credential has no part %q", article(prov.Title), part)
		ok = false
	}
	if kv := nodes[target.PartField]; kv != nil {
		check(t.Part(), kv.Value)
	}
	if kv := nodes[target.KeysField]; kv != nil {
		if m, isMap := p.Unwrap(kv.Value).(*ast.MappingNode); isMap {
			for _, ikv := range m.Values {
				check(t.Keys()[yamlsrc.KeyText(ikv)], ikv.Value)
			}
		} else {
			for _, v := range t.Keys() {
				check(v, kv.Value)
			}
		}
	}
	return ok
}

// warnIdentifierNames warns about a place named like an identifier part
// of a credential of several parts (AWS_ACCESS_KEY_ID) that would get the
// secret part, because the target says no part.
func (p *parseState) warnIdentifierNames(t target.Target, nodes map[string]*ast.MappingValueNode, spec *target.Spec, prov *provider.Spec) {
	if len(prov.Parts) < 2 || t.Part() != "" || len(t.Keys()) > 0 {
		return
	}
	var ids []string
	for _, pt := range prov.Parts {
		if !pt.Secret {
			ids = append(ids, strings.ToUpper(pt.Name))
		}
	}
	main := prov.MainPart()
	for _, fld := range spec.Fields {
		kv := nodes[fld.Name]
		if !fld.Names || kv == nil {
			continue
		}
		v := strings.ToUpper(t.Str(fld.Name))
		named := strings.Contains(v, "KEY_ID")
		for _, id := range ids {
			named = named || strings.Contains(v, id)
		}
		if named && len(ids) > 0 {
			p.WarnAt(kv.Value, "add `part: "+strings.ToLower(ids[0])+"` if it holds the key's ID; without part: it gets the secret part, "+main,
				"%s %q looks like it holds the key's ID, but it will get the secret (%s)", fld.Name, t.Str(fld.Name), main)
		}
	}
}

// ErrNotFound is returned (wrapped) by Find when no inventory exists in
// any of the places it looks.
var ErrNotFound = errors.New("no inventory found")

// DefaultName is the inventory file looked for in the current directory.
const DefaultName = "respond.yaml"

// Find returns the path of the inventory to use: explicit if given (the
// --inventory flag or a command's argument), else ./respond.yaml, else
// $XDG_CONFIG_HOME/respond/inventory.yaml (or
// ~/.config/respond/inventory.yaml). When none exists the error wraps
// ErrNotFound and names every place looked at.
func Find(explicit string) (path string, err error) {
	if explicit != "" {
		fi, err := os.Stat(explicit)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("inventory %s does not exist; check the path", explicit)
		case err != nil:
			return "", fmt.Errorf("cannot read inventory %s: %w", explicit, err)
		case fi.IsDir():
			return "", fmt.Errorf("inventory %s is a directory; give the inventory file, e.g. %s", explicit, filepath.Join(explicit, DefaultName))
		}
		return explicit, nil
	}
	looked := []string{"./" + DefaultName}
	candidates := []string{DefaultName}
	if cfg := configPath(); cfg != "" {
		looked = append(looked, cfg)
		candidates = append(candidates, cfg)
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w: looked for %s; write one (see docs/inventory.md) or name it with --inventory FILE", ErrNotFound, strings.Join(looked, " and "))
}

// configPath is $XDG_CONFIG_HOME/respond/inventory.yaml, or
// ~/.config/respond/inventory.yaml ("" if neither can be known).
func configPath() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "respond", "inventory.yaml")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".config", "respond", "inventory.yaml")
}

// Load finds (see Find), reads and parses the inventory. err is set when
// no file could be found or read; problems in the file are in diags (the
// Inventory is nil when any is an error). src is returned for rendering
// the diagnostics.
func Load(explicit string) (inv *Inventory, src []byte, diags diag.Diagnostics, err error) {
	path, err := Find(explicit)
	if err != nil {
		return nil, nil, nil, err
	}
	src, err = yamlsrc.ReadFile(path, docKind)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cannot read inventory %s: %w", path, err)
	}
	inv, diags = Parse(path, src)
	return inv, src, diags, nil
}

// TargetCount is the number of targets of every credential.
func (inv *Inventory) TargetCount() int {
	n := 0
	for _, c := range inv.Credentials {
		n += len(c.Targets)
	}
	return n
}

// Credential returns the credential with the given name.
func (inv *Inventory) Credential(name string) (*Credential, bool) {
	for i := range inv.Credentials {
		if inv.Credentials[i].Name == name {
			return &inv.Credentials[i], true
		}
	}
	return nil, false
}

// Match finds the credential of a key: the one whose key_id is keyID (in
// scope, when both say one), else the one in scope whose key_name is
// keyName. No match is an error listing the credentials; several matches
// are an error naming them.
func (inv *Inventory) Match(scope, keyID, keyName string) (*Credential, error) {
	var found []*Credential
	if keyID != "" {
		for i := range inv.Credentials {
			c := &inv.Credentials[i]
			if c.KeyID == keyID && (scope == "" || c.Scope == "" || c.Scope == scope) {
				found = append(found, c)
			}
		}
	}
	if len(found) == 0 && keyName != "" && scope != "" {
		for i := range inv.Credentials {
			c := &inv.Credentials[i]
			if c.KeyName == keyName && c.Scope == scope {
				found = append(found, c)
			}
		}
	}
	what := describeKey(scope, keyID, keyName)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		var list []string
		for _, c := range inv.Credentials {
			list = append(list, "  - "+c.describe())
		}
		add := "key_id: " + keyID
		if keyID == "" {
			add = "key_name: " + keyName
		}
		where := ""
		if scope != "" {
			where = "in " + scope + ", "
		}
		return nil, fmt.Errorf("no credential in %s is %s; it lists:\n%s\nadd the key to the inventory (%s%s) with the places it is deployed, or name the right key",
			inv.File, what, strings.Join(list, "\n"), where, add)
	}
	var names []string
	for _, c := range found {
		names = append(names, c.describe())
	}
	return nil, fmt.Errorf("%d credentials in %s match %s: %s; give each key one credential (prefer key_id) and run again",
		len(found), inv.File, what, strings.Join(names, "; "))
}

func describeKey(scope, keyID, keyName string) string {
	var parts []string
	if keyID != "" {
		parts = append(parts, keyID)
	}
	if keyName != "" {
		parts = append(parts, fmt.Sprintf("named %q", keyName))
	}
	if scope != "" {
		parts = append(parts, "in "+scope)
	}
	if len(parts) == 0 {
		return "the key"
	}
	return "key " + strings.Join(parts, " ")
}

// describe is "openai-prod (proj_abc, key_name prod-backend, line 3)".
func (c *Credential) describe() string {
	k := "key_id " + c.KeyID
	if c.KeyID == "" {
		k = "key_name " + c.KeyName
	}
	where := c.Scope
	if where == "" {
		where = c.Provider
	}
	return fmt.Sprintf("%s (%s, %s, line %d)", c.Name, where, k, c.Pos.Line)
}

// SecretTargets returns the targets that hold the credential, in
// inventory order.
func (c *Credential) SecretTargets() []target.Target {
	var out []target.Target
	for _, t := range c.Targets {
		if t.Holds() {
			out = append(out, t)
		}
	}
	return out
}

// Workflows returns the targets that hold nothing: deployments to re-run
// once the credential changed, in inventory order.
func (c *Credential) Workflows() []target.Target {
	var out []target.Target
	for _, t := range c.Targets {
		if !t.Holds() {
			out = append(out, t)
		}
	}
	return out
}

// Map converts the credential to the plain mapping playbooks carry (see
// target.Target.Map): name, provider, scope (and the same value under the
// provider's field, "project"), key_name or key_id, and targets as a list
// of target mappings.
func (c *Credential) Map() map[string]any {
	m := map[string]any{"name": c.Name, "provider": c.Provider, "scope": c.Scope}
	if c.ScopeField != "" {
		m[c.ScopeField] = c.Scope
	}
	if c.KeyName != "" {
		m["key_name"] = c.KeyName
	}
	if c.KeyID != "" {
		m["key_id"] = c.KeyID
	}
	if c.Fingerprint != "" {
		m["fingerprint"] = c.Fingerprint
	}
	if c.RotateEvery > 0 {
		m["rotate_every"] = c.RotateEvery.String()
	}
	targets := make([]any, 0, len(c.Targets))
	for _, t := range c.Targets {
		targets = append(targets, t.Map())
	}
	m["targets"] = targets
	return m
}

// Maps returns every credential as a plain mapping (Credential.Map), for a
// playbook input such as inventory.targets' `credentials`.
func (inv *Inventory) Maps() []any {
	out := make([]any, 0, len(inv.Credentials))
	for i := range inv.Credentials {
		out = append(out, inv.Credentials[i].Map())
	}
	return out
}

// article puts "a" or "an" before a word.
func article(w string) string {
	if w != "" && strings.ContainsRune("AEIOUaeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}
