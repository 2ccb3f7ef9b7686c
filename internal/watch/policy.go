package watch

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/yamlsrc"
)

// Action is what watch does with an alert.
type Action string

// The actions a rule may choose, from the least to the most it does.
const (
	// Ignore: nothing, but a log line.
	Ignore Action = "ignore"
	// Notify: tell people (the default when no rule matches).
	Notify Action = "notify"
	// Contain: revoke the key and prove it dead; a person does the rest.
	Contain Action = "contain"
	// Respond: the whole leaked-key playbook, unattended.
	Respond Action = "respond"
)

// Actions lists every action, from the least to the most it does.
var Actions = []Action{Ignore, Notify, Contain, Respond}

// rank orders actions: a later decision on the same alert acts only when
// it asks for more than an earlier one did.
func (a Action) rank() int { return slices.Index(Actions, a) }

// Acts reports whether the action changes the world (contain, respond).
func (a Action) Acts() bool { return a == Contain || a == Respond }

// Validities are the values of an alert's validity.
var Validities = []string{"active", "inactive", "unknown"}

// Policy is a parsed watch policy: ordered rules, the first that matches
// an alert decides, else Default.
type Policy struct {
	File    string
	Rules   []Rule
	Default Action
}

// Rule is one rule of a policy.
type Rule struct {
	Name   string
	Match  Match
	Action Action
	Pos    diag.Pos
}

// Match is what a rule matches; every condition given must hold, and a
// list holds when any of its items does. An empty Match matches every
// alert.
type Match struct {
	SecretTypes    []string // GitHub secret types
	Providers      []string // registered providers' names
	Repositories   []string // globs over OWNER/NAME (or NAME alone)
	Validity       []string // active, inactive, unknown
	PubliclyLeaked *bool
	InInventory    *bool
}

// Facts are what a policy decides on, about one alert.
type Facts struct {
	Repo           string `json:"repository"` // OWNER/NAME
	SecretType     string `json:"secret_type"`
	Provider       string `json:"provider"` // the provider whose keys GitHub reports as SecretType; "" when respond knows none
	Validity       string `json:"validity"`
	PubliclyLeaked bool   `json:"publicly_leaked"`
}

// InventoryLookup says whether the inventory names the alert's key, and
// which credential; it is asked only when a rule needs to know.
type InventoryLookup func() (named bool, credential string, err error)

// Decision is what a policy decided for an alert.
type Decision struct {
	Action Action `json:"action"`
	// Rule names the rule that matched ("default" when none did).
	Rule string `json:"rule"`
	// Index is the rule's position in the policy (from 1; 0 for the
	// default).
	Index int `json:"index"`
	// Credential is the inventory credential that names the key, when a
	// rule asked.
	Credential string `json:"credential,omitempty"`
	// Trace is how each rule up to the deciding one judged the alert.
	Trace []RuleTrace `json:"trace"`
}

// RuleTrace is how one rule judged an alert.
type RuleTrace struct {
	Rule    string   `json:"rule"`
	Index   int      `json:"index"`
	Pos     string   `json:"pos"`
	Matched bool     `json:"matched"`
	Action  Action   `json:"action"`
	Reasons []string `json:"reasons"` // each condition, held or not
}

// DefaultPolicy notifies about every alert.
func DefaultPolicy() *Policy {
	return &Policy{File: "(built-in: notify on every alert)", Default: Notify}
}

// Decide applies the policy to an alert: the first rule whose conditions
// all hold decides; with none, the default. inInventory is called at most
// once, and only when a rule asks whether the inventory names the key; an
// error from it makes that condition fail (and is in the trace).
func (p *Policy) Decide(f Facts, inInventory InventoryLookup) Decision {
	var (
		asked      bool
		named      bool
		credential string
		lookupErr  error
	)
	lookup := func() (bool, error) {
		if !asked {
			asked = true
			if inInventory == nil {
				lookupErr = fmt.Errorf("no inventory")
			} else {
				named, credential, lookupErr = inInventory()
			}
		}
		return named, lookupErr
	}
	d := Decision{Action: p.Default, Rule: "default"}
	for i, r := range p.Rules {
		ok, reasons := r.Match.eval(f, lookup)
		d.Trace = append(d.Trace, RuleTrace{Rule: r.Name, Index: i + 1, Pos: r.Pos.String(), Matched: ok, Action: r.Action, Reasons: reasons})
		if ok {
			d.Action, d.Rule, d.Index = r.Action, r.Name, i+1
			break
		}
	}
	if named {
		d.Credential = credential
	}
	return d
}

// eval judges every condition of m against f and says why.
func (m Match) eval(f Facts, inInventory func() (bool, error)) (bool, []string) {
	ok := true
	var reasons []string
	check := func(held bool, format string, args ...any) {
		mark := "✓ "
		if !held {
			mark, ok = "✗ ", false
		}
		reasons = append(reasons, mark+fmt.Sprintf(format, args...))
	}
	if len(m.SecretTypes) > 0 {
		check(slices.Contains(m.SecretTypes, f.SecretType), "secret type %s %s %s", f.SecretType, inOrNot(slices.Contains(m.SecretTypes, f.SecretType)), strings.Join(m.SecretTypes, ", "))
	}
	if len(m.Providers) > 0 {
		p := f.Provider
		if p == "" {
			p = "(none respond knows)"
		}
		check(slices.Contains(m.Providers, f.Provider), "provider %s %s %s", p, inOrNot(slices.Contains(m.Providers, f.Provider)), strings.Join(m.Providers, ", "))
	}
	if len(m.Repositories) > 0 {
		hit := ""
		for _, g := range m.Repositories {
			if RepoMatches(g, f.Repo) {
				hit = g
				break
			}
		}
		if hit != "" {
			check(true, "repository %s matches %s", f.Repo, hit)
		} else {
			check(false, "repository %s matches none of %s", f.Repo, strings.Join(m.Repositories, ", "))
		}
	}
	if len(m.Validity) > 0 {
		v := f.Validity
		if v == "" {
			v = "unknown"
		}
		check(slices.Contains(m.Validity, v), "validity %s %s %s", v, inOrNot(slices.Contains(m.Validity, v)), strings.Join(m.Validity, ", "))
	}
	if m.PubliclyLeaked != nil {
		check(f.PubliclyLeaked == *m.PubliclyLeaked, "publicly leaked is %v (wanted %v)", f.PubliclyLeaked, *m.PubliclyLeaked)
	}
	if m.InInventory != nil {
		if !ok {
			// Asking costs requests: not when the rule already failed.
			reasons = append(reasons, "· in_inventory not checked (the rule already does not match)")
		} else if named, err := inInventory(); err != nil {
			check(false, "whether the inventory names the key is not known: %v", err)
		} else {
			check(named == *m.InInventory, "the inventory %s the key (wanted in_inventory: %v)", map[bool]string{true: "names", false: "does not name"}[named], *m.InInventory)
		}
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "✓ no conditions: matches every alert")
	}
	return ok, reasons
}

func inOrNot(in bool) string {
	if in {
		return "is in"
	}
	return "is not in"
}

// RepoMatches reports whether the glob (path.Match syntax, case
// insensitive) matches the repository OWNER/NAME; a glob without '/'
// matches the repository's name under any owner.
func RepoMatches(glob, repo string) bool {
	glob, repo = strings.ToLower(glob), strings.ToLower(repo)
	if !strings.Contains(glob, "/") {
		_, name, _ := strings.Cut(repo, "/")
		ok, _ := path.Match(glob, name)
		return ok
	}
	ok, _ := path.Match(glob, repo)
	return ok
}

// policyKind words the messages about a policy's YAML as a whole.
var policyKind = yamlsrc.Kind{
	Name:                       "watch policy",
	Article:                    "a",
	Plural:                     "watch policies",
	SyntaxHint:                 "fix the YAML syntax; a watch policy is one YAML mapping with `rules:` (see docs/watch.md)",
	EmptyHint:                  "start with `rules:` and list each rule with `match:` and `action:` (see docs/watch.md)",
	RepeatedUnknownIsDuplicate: true,
}

var (
	policyFields = []string{"rules", "default"}
	ruleFields   = []string{"name", "match", "action"}
	matchFields  = []string{"secret_type", "provider", "repository", "validity", "publicly_leaked", "in_inventory"}
)

// ReadPolicyFile reads a policy file, refusing one too large to be one.
func ReadPolicyFile(file string) ([]byte, error) { return yamlsrc.ReadFile(file, policyKind) }

// ParsePolicy parses and checks a policy, returning every problem with
// its file:line:col; the Policy is nil when there is any error.
func ParsePolicy(file string, src []byte) (*Policy, diag.Diagnostics) {
	d := yamlsrc.New(file, src, policyKind)
	p := &Policy{File: file, Default: Notify}
	if body := d.Parse(); body != nil {
		parsePolicy(d, p, body)
	}
	d.Diags.Sort()
	if d.Diags.HasErrors() {
		return nil, d.Diags
	}
	return p, d.Diags
}

func parsePolicy(d *yamlsrc.Doc, p *Policy, body ast.Node) {
	kvs, ok := d.Entries(body, "the watch policy", "start with `rules:` (see docs/watch.md)")
	if !ok {
		return
	}
	f := d.Fields(kvs, policyFields, "the watch policy")
	if kv, ok := f["default"]; ok {
		if a, ok := action(d, kv.Value, "default"); ok {
			p.Default = a
		}
	}
	kv, ok := f["rules"]
	if !ok {
		if _, hasDefault := f["default"]; !hasDefault {
			d.Errorf(d.Pos(body), 0, "add `rules:` with one entry per rule, or `default:` alone (see docs/watch.md)", "the watch policy has no rules")
		}
		return
	}
	v := d.Unwrap(kv.Value)
	seq, isSeq := v.(*ast.SequenceNode)
	if !isSeq {
		if _, null := v.(*ast.NullNode); !null && v != nil {
			d.ErrAt(v, "list each rule under `rules:` as `- name: …`", "rules must be a list, not %s", yamlsrc.Describe(v))
		}
		return
	}
	names := map[string]int{}
	for i, n := range seq.Values {
		r, ok := parseRule(d, n, i+1)
		if first, dup := names[r.Name]; dup {
			d.Errorf(r.Pos, 0, "give each rule a unique name", "duplicate rule name %q (first at line %d)", r.Name, first)
		} else {
			names[r.Name] = r.Pos.Line
		}
		if ok {
			p.Rules = append(p.Rules, r)
		}
	}
	// A rule after one that matches every alert can never match.
	for i, r := range p.Rules {
		if r.Match.empty() && i < len(p.Rules)-1 {
			d.Warnf(p.Rules[i+1].Pos, 0, "move the catch-all rule last, or give it conditions",
				"rule %q can never match: rule %q before it matches every alert", p.Rules[i+1].Name, r.Name)
			break
		}
	}
}

func (m Match) empty() bool {
	return len(m.SecretTypes) == 0 && len(m.Providers) == 0 && len(m.Repositories) == 0 && len(m.Validity) == 0 &&
		m.PubliclyLeaked == nil && m.InInventory == nil
}

func action(d *yamlsrc.Doc, n ast.Node, what string) (Action, bool) {
	s, ok := d.ScalarText(n, what)
	if !ok {
		return "", false
	}
	names := make([]string, len(Actions))
	for i, a := range Actions {
		names[i] = string(a)
		if s == string(a) {
			return a, true
		}
	}
	d.ErrAt(n, yamlsrc.Suggest(s, names, "Actions"), "%s %q is not an action: use respond, contain, notify or ignore", what, s)
	return "", false
}

func parseRule(d *yamlsrc.Doc, n ast.Node, index int) (Rule, bool) {
	r := Rule{Pos: d.Pos(n), Name: fmt.Sprintf("rule %d", index)}
	kvs, ok := d.Entries(n, fmt.Sprintf("rule %d", index), "give each rule `name:`, `match:` and `action:`")
	if !ok {
		return r, false
	}
	f := d.Fields(kvs, ruleFields, fmt.Sprintf("rule %d", index))
	good := true
	if kv, ok := f["name"]; ok {
		if s, ok := d.ScalarText(kv.Value, "a rule's name"); ok && strings.TrimSpace(s) != "" {
			r.Name = s
		} else if ok {
			d.ErrAt(kv.Value, "say what the rule is for, e.g. name: production keys", "a rule's name is empty")
			good = false
		}
	}
	kv, ok := f["action"]
	if !ok {
		d.Errorf(r.Pos, 0, "add `action: respond`, `contain`, `notify` or `ignore`", "rule %q has no action", r.Name)
		good = false
	} else if a, ok := action(d, kv.Value, "action"); ok {
		r.Action = a
	} else {
		good = false
	}
	if kv, ok := f["match"]; ok {
		if m, ok := parseMatch(d, kv.Value, r); ok {
			r.Match = m
		} else {
			good = false
		}
	}
	return r, good
}

func parseMatch(d *yamlsrc.Doc, n ast.Node, r Rule) (Match, bool) {
	var m Match
	if _, null := d.Unwrap(n).(*ast.NullNode); null {
		return m, true // match: (empty) matches everything
	}
	kvs, ok := d.Entries(n, "match", "give the conditions as a mapping, e.g. match: {provider: openai, validity: active}")
	if !ok {
		return m, false
	}
	f := d.Fields(kvs, matchFields, fmt.Sprintf("the match of rule %q", r.Name))
	good := true
	list := func(key string) ([]string, ast.Node) {
		kv, ok := f[key]
		if !ok {
			return nil, nil
		}
		v := d.Unwrap(kv.Value)
		if _, isSeq := v.(*ast.SequenceNode); !isSeq {
			s, ok := d.ScalarText(v, key)
			if !ok {
				good = false
				return nil, nil
			}
			return []string{s}, v
		}
		items, ok := d.StringList(v, key, fmt.Sprintf("give %s as one value or a list", key))
		if !ok {
			good = false
		}
		if len(items) == 0 && ok {
			d.ErrAt(v, fmt.Sprintf("list at least one value, or leave out %s", key), "%s is an empty list: it would match nothing", key)
			good = false
		}
		return items, v
	}
	boolField := func(key string) *bool {
		kv, ok := f[key]
		if !ok {
			return nil
		}
		b, ok := d.Bool(kv.Value, key)
		if !ok {
			good = false
			return nil
		}
		return &b
	}
	var at ast.Node
	m.SecretTypes, at = list("secret_type")
	if r.Action.Acts() {
		for _, t := range m.SecretTypes {
			if _, ok := provider.ForAlertType(t); !ok {
				d.WarnAt(at, "respond can act only on the keys of providers it knows (`respond leaked-key --help` lists them); such alerts are notified",
					"no provider respond knows issues secret type %q, so rule %q cannot %s it", t, r.Name, r.Action)
			}
		}
	}
	m.Providers, at = list("provider")
	for _, p := range m.Providers {
		if _, ok := provider.Lookup(p); !ok {
			d.ErrAt(at, yamlsrc.Suggest(p, provider.Names(), "Providers"), "unknown provider %q (respond knows %s)", p, strings.Join(provider.Names(), ", "))
			good = false
		}
	}
	m.Repositories, at = list("repository")
	for _, g := range m.Repositories {
		if _, err := path.Match(g, ""); err != nil || strings.Count(g, "/") > 1 || g == "" {
			d.ErrAt(at, "write OWNER/NAME with * and ? wildcards (acme/*, acme/api-?), or NAME alone for any owner", "repository pattern %q is not a valid glob", g)
			good = false
		}
	}
	m.Validity, at = list("validity")
	for _, v := range m.Validity {
		if !slices.Contains(Validities, v) {
			d.ErrAt(at, yamlsrc.Suggest(v, Validities, "Validities"), "validity %q is not active, inactive or unknown", v)
			good = false
		}
	}
	m.PubliclyLeaked = boolField("publicly_leaked")
	m.InInventory = boolField("in_inventory")
	return m, good
}
