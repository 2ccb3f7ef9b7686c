package inventory

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/target"
)

func TestParseAWSTargets(t *testing.T) {
	src := `credentials:
  - name: openai-prod
    provider: openai
    project: proj_abc123
    key_id: key_1
    targets:
      - aws-secretsmanager: {secret: prod/api, key: OPENAI_API_KEY, region: eu-west-1}
      - aws-secretsmanager: {secret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/whole-AbCdEf"}
      - aws-ssm: {name: /prod/api/openai-key, region: eu-west-1, kms_key_id: alias/prod}
      - aws-ssm: {name: openai-key}
`
	inv, d := Parse("respond.yaml", []byte(src))
	if inv == nil || len(d) != 0 {
		t.Fatalf("rejected:\n%s", list(d))
	}
	got := inv.Credentials[0].Targets
	want := []target.Target{
		target.New("aws-secretsmanager", map[string]any{"secret": "prod/api", "key": "OPENAI_API_KEY", "region": "eu-west-1"}),
		target.New("aws-secretsmanager", map[string]any{"secret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/whole-AbCdEf"}),
		target.New("aws-ssm", map[string]any{"name": "/prod/api/openai-key", "region": "eu-west-1", "kms_key_id": "alias/prod"}),
		target.New("aws-ssm", map[string]any{"name": "openai-key"}),
	}
	ids := []string{
		"aws-secretsmanager:eu-west-1:prod/api#OPENAI_API_KEY",
		"aws-secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/whole-AbCdEf",
		"aws-ssm:eu-west-1:/prod/api/openai-key",
		"aws-ssm:openai-key",
	}
	for i := range want {
		g := got[i]
		if g.Type != want[i].Type || !reflect.DeepEqual(g.Fields, want[i].Fields) {
			t.Errorf("target %d = %+v, want %+v", i, g, want[i])
		}
		if g.ID() != ids[i] {
			t.Errorf("target %d ID %q, want %q", i, g.ID(), ids[i])
		}
		if !g.Holds() {
			t.Errorf("%s is not a secret store", g.ID())
		}
		back, err := target.FromMap(g.Map())
		if err != nil || back.Type != g.Type || !reflect.DeepEqual(back.Fields, g.Fields) {
			t.Errorf("%s does not round-trip through Map: %+v %v", g.ID(), back, err)
		}
	}
}

func TestParseAWSTargetProblems(t *testing.T) {
	head := "credentials:\n  - name: a\n    provider: openai\n    project: proj_1\n    key_id: key_1\n    targets:\n"
	for _, tc := range []struct {
		name, line string
		want       problem
	}{
		{"no secret", "      - aws-secretsmanager: {key: K}", problem{7, 9, "secret is required"}},
		{"bad secret", "      - aws-secretsmanager: {secret: 'prod api'}", problem{7, 38, `invalid Secrets Manager secret "prod api"`}},
		{"empty key", "      - aws-secretsmanager: {secret: prod/api, key: ''}", problem{7, 53, "key is empty"}},
		{"bad region", "      - aws-secretsmanager: {secret: prod/api, region: Europe}", problem{7, 56, `region "Europe" is not an AWS region`}},
		{"arn region", "      - aws-secretsmanager: {secret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf', region: eu-west-1}",
			problem{7, 111, "differs from the region of the ARN (us-east-1)"}},
		{"github field", "      - aws-secretsmanager: {secret: prod/api, var: X}", problem{7, 48, `unknown field "var" in an aws-secretsmanager target`}},
		{"no name", "      - aws-ssm: {region: eu-west-1}", problem{7, 9, "name is required"}},
		{"bad name", "      - aws-ssm: {name: '/prod//key'}", problem{7, 25, `invalid SSM parameter name "/prod//key"`}},
		{"reserved name", "      - aws-ssm: {name: /aws/key}", problem{7, 25, `invalid SSM parameter name "/aws/key"`}},
		{"bad kms", "      - aws-ssm: {name: /prod/key, kms_key_id: my key}", problem{7, 48, `invalid KMS key "my key"`}},
		{"ssm secret field", "      - aws-ssm: {name: /prod/key, secret: x}", problem{7, 36, `unknown field "secret" in an aws-ssm target`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, d := Parse("inv.yaml", []byte(head+tc.line+"\n"))
			if inv != nil || !d.HasErrors() {
				t.Fatalf("want errors, got %v", d)
			}
			for _, x := range d {
				if x.Pos.Line == tc.want.line && x.Pos.Col == tc.want.col && strings.Contains(x.Summary, tc.want.summary) {
					return
				}
			}
			t.Errorf("no diagnostic %d:%d %q among:\n%s", tc.want.line, tc.want.col, tc.want.summary, list(d))
		})
	}
}

// TestDocsExample: the inventory at the top of docs/inventory.md, which
// shows every target type, parses without a problem.
func TestDocsExample(t *testing.T) {
	b, err := os.ReadFile("../../docs/inventory.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	src, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/inventory.md has no ```yaml block")
	}
	inv, d := Parse("respond.yaml", []byte(src))
	if inv == nil || len(d) != 0 {
		t.Fatalf("the docs' example is rejected:\n%s", list(d))
	}
	seen := map[string]bool{}
	for _, tg := range inv.Credentials[0].Targets {
		seen[tg.Type] = true
	}
	for _, typ := range target.Types() {
		if !seen[typ] {
			t.Errorf("the docs' example has no %s target", typ)
		}
	}
}
