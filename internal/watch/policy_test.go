package watch

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"
)

const examplePolicy = `# yaml-language-server: $schema=./watch-policy.schema.json
rules:
  - name: sandbox repositories
    match: {repository: ["acme/sandbox-*", "playground"]}
    action: ignore
  - name: production keys
    match:
      provider: openai
      validity: [active, unknown]
      in_inventory: true
    action: respond
  - name: public leaks
    match: {publicly_leaked: true}
    action: contain
  - name: AWS
    match: {secret_type: aws_access_key_id}
    action: respond
default: notify
`

func mustPolicy(t *testing.T, src string) *Policy {
	t.Helper()
	p, diags := ParsePolicy("watch.yaml", []byte(src))
	if p == nil {
		t.Fatalf("policy does not parse: %v", diags.Err())
	}
	return p
}

func TestPolicyDecides(t *testing.T) {
	p := mustPolicy(t, examplePolicy)
	named := func(v bool) InventoryLookup {
		return func() (bool, string, error) { return v, map[bool]string{true: "openai-prod"}[v], nil }
	}
	asked := 0
	counting := func() (bool, string, error) { asked++; return true, "openai-prod", nil }
	for _, c := range []struct {
		name  string
		facts Facts
		inv   InventoryLookup
		want  Action
		rule  string
	}{
		{"sandbox by glob", Facts{Repo: "acme/sandbox-7", Provider: "openai", Validity: "active"}, named(true), Ignore, "sandbox repositories"},
		{"name alone, any owner", Facts{Repo: "other/Playground", Provider: "openai"}, named(true), Ignore, "sandbox repositories"},
		{"production", Facts{Repo: "acme/api", Provider: "openai", Validity: "active"}, named(true), Respond, "production keys"},
		{"validity empty is unknown", Facts{Repo: "acme/api", Provider: "openai"}, named(true), Respond, "production keys"},
		{"not in the inventory, public", Facts{Repo: "acme/api", Provider: "openai", Validity: "active", PubliclyLeaked: true}, named(false), Contain, "public leaks"},
		{"inventory lookup fails", Facts{Repo: "acme/api", Provider: "openai", Validity: "active"}, func() (bool, string, error) { return false, "", errors.New("boom") }, Notify, "default"},
		{"secret type", Facts{Repo: "acme/api", SecretType: "aws_access_key_id", Provider: "aws"}, named(false), Respond, "AWS"},
		{"default", Facts{Repo: "acme/api", SecretType: "slack_api_token", Validity: "inactive"}, named(false), Notify, "default"},
	} {
		d := p.Decide(c.facts, c.inv)
		if d.Action != c.want || d.Rule != c.rule {
			t.Errorf("%s: decided %s by %q, want %s by %q\n%+v", c.name, d.Action, d.Rule, c.want, c.rule, d.Trace)
		}
	}
	// The inventory is asked only when a rule needs it and its other
	// conditions hold, and at most once.
	p.Decide(Facts{Repo: "acme/sandbox-1", Provider: "openai"}, counting)
	p.Decide(Facts{Repo: "acme/api", Provider: "aws", Validity: "active"}, counting)
	if asked != 0 {
		t.Fatalf("the inventory was asked %d times for alerts no rule needed it for", asked)
	}
	d := p.Decide(Facts{Repo: "acme/api", Provider: "openai", Validity: "active"}, counting)
	if asked != 1 || d.Credential != "openai-prod" {
		t.Fatalf("asked %d times, credential %q", asked, d.Credential)
	}
	// The trace says why.
	if len(d.Trace) != 2 || d.Trace[0].Matched || !strings.Contains(strings.Join(d.Trace[0].Reasons, "\n"), "✗ repository acme/api matches none of acme/sandbox-*, playground") {
		t.Fatalf("trace: %+v", d.Trace)
	}
}

func TestPolicyErrorsAllAtOnce(t *testing.T) {
	src := `rules:
  - name: a
    match: {provider: [openai, gcp], repository: "acme/[", validity: []}
    action: respond
  - name: a
    match: {publicly_leaked: "yes", colour: red}
    action: page
  - match: nil
default: 3
extra: true
`
	p, diags := ParsePolicy("w.yaml", []byte(src))
	if p != nil {
		t.Fatal("a broken policy parsed")
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.Pos.String()+": "+d.Summary)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`w.yaml:3:23: unknown provider "gcp"`,
		`w.yaml:3:50: repository pattern "acme/[" is not a valid glob`,
		`w.yaml:3:70: validity is an empty list`,
		`w.yaml:5:5: duplicate rule name "a"`,
		`w.yaml:6:30: publicly_leaked must be true or false`,
		`w.yaml:6:37: unknown field "colour"`,
		`w.yaml:7:13: action "page" is not an action`,
		`w.yaml:8:5: rule "rule 3" has no action`,
		`w.yaml:8:12: match must be a mapping`,
		`w.yaml:9:10: default "3" is not an action`,
		`w.yaml:10:1: unknown field "extra"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
}

func TestPolicyWarnsUnreachableRule(t *testing.T) {
	p, diags := ParsePolicy("w.yaml", []byte("rules:\n  - name: all\n    action: notify\n  - name: never\n    match: {provider: openai}\n    action: respond\n"))
	if p == nil || len(diags) != 1 || !strings.Contains(diags[0].Summary, `rule "never" can never match`) {
		t.Fatalf("diags: %v", diags)
	}
}

// The schema accepts every policy ParsePolicy accepts that the docs show,
// and refuses what is plainly wrong.
func TestSchema(t *testing.T) {
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	check := func(src string) error {
		var v any
		if err := yaml.Unmarshal([]byte(src), &v); err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(v)
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(string(j)))
		return sch.Validate(inst)
	}
	if err := check(examplePolicy); err != nil {
		t.Fatalf("the example policy fails the schema: %v", err)
	}
	for _, bad := range []string{"rules: [{match: {provider: gcp}, action: respond}]", "rules: [{action: revoke}]", "default: page", "rules: [{action: notify, match: {repo: x}}]"} {
		if check(bad) == nil {
			t.Errorf("the schema accepts %q", bad)
		}
	}
}

func TestRepoMatches(t *testing.T) {
	for _, c := range []struct {
		glob, repo string
		want       bool
	}{
		{"acme/*", "acme/api", true}, {"acme/*", "other/api", false}, {"ACME/api-?", "acme/API-1", true},
		{"api", "acme/api", true}, {"api", "acme/web", false}, {"*/*", "a/b", true}, {"acme/*", "acme/a/b", false},
	} {
		if got := RepoMatches(c.glob, c.repo); got != c.want {
			t.Errorf("RepoMatches(%q, %q) = %v", c.glob, c.repo, got)
		}
	}
}
