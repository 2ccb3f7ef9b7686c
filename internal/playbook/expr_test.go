package playbook

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

func testScope() *Scope {
	return &Scope{
		Inputs: map[string]any{
			"name": "prod", "n": 3, "force": false, "files": []string{"a", "b"},
			"wait": 5 * time.Second, "token": secret.New("sk-proj-abcdefghijklmnopqrstuvwxyz"),
			"empty": "",
		},
		Steps: map[string]map[string]any{
			"gen": {"secret": secret.New("sk-new-abcdefghijklmnopqrstuvwxyz"), "stdout": "ok\n", "exit_code": 0},
		},
		Incident: map[string]any{"id": "INC-1", "dir": "/tmp/inc"},
	}
}

func TestEval(t *testing.T) {
	s := testScope()
	tests := []struct {
		src  string
		bare bool
		want any
	}{
		{"plain text", false, "plain text"},
		{"${{ inputs.name }}", false, "prod"},
		{"${{ inputs.files }}", false, []string{"a", "b"}},
		{"${{ inputs.n }}", false, 3},
		{"n=${{ inputs.n }} w=${{ inputs.wait }} f=${{ inputs.force }}", false, "n=3 w=5s f=false"},
		{"${{ incident.id }}/${{ incident.dir }}", false, "INC-1//tmp/inc"},
		{"${{ 'it''s' }} ${{ \"a \\\"q\\\" }}\" }}", false, `it's a "q" }}`},
		{"inputs.n == 3", true, true},
		{"inputs.n == '3'", true, true},
		{"inputs.n != 3", true, false},
		{"${{ !inputs.force }}", true, true},
		{"!inputs.force && inputs.name == 'prod'", true, true},
		{"inputs.force || inputs.name == 'dev'", true, false},
		{"!(inputs.force || inputs.n == 3)", true, false},
		{"inputs.wait == '5s'", true, true},
		{"steps.gen.outputs.exit_code == 0", true, true},
		{"true && !false", true, true},
		{"inputs.empty", true, ""},
		{"inputs.force == false", true, true},
	}
	for _, tt := range tests {
		parse := ParseTemplate
		if tt.bare {
			parse = ParseExpression
		}
		tmpl, err := parse(tt.src)
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		got, err := tmpl.Eval(s)
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q = %#v, want %#v", tt.src, got, tt.want)
		}
		if tmpl.String() != tt.src {
			t.Errorf("String() = %q", tmpl.String())
		}
	}
}

func TestEvalSecretsStayWhole(t *testing.T) {
	s := testScope()
	tmpl, _ := ParseTemplate("${{ steps.gen.outputs.secret }}")
	v, err := tmpl.Eval(s)
	if err != nil {
		t.Fatal(err)
	}
	sv, ok := v.(secret.Value)
	if !ok || sv.Reveal() != "sk-new-abcdefghijklmnopqrstuvwxyz" {
		t.Fatalf("got %T", v)
	}
	for _, src := range []string{"Bearer ${{ inputs.token }}", "${{ inputs.token == 'x' }}", "${{ !inputs.token }}"} {
		tmpl, err := ParseTemplate(src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tmpl.Eval(s)
		if err == nil || !strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: err = %v, want a refusal", src, err)
		}
		if err != nil && strings.Contains(err.Error(), "abcdefghijklmnop") {
			t.Errorf("%q: error leaks the secret: %v", src, err)
		}
	}
}

func TestTruthy(t *testing.T) {
	s := testScope()
	tests := map[string]bool{
		"inputs.force": false, "inputs.name": true, "inputs.empty": false, "inputs.files": true,
		"inputs.n": true, "steps.gen.outputs.exit_code": false, "${{ inputs.n == 3 }}": true,
	}
	for src, want := range tests {
		tmpl, err := ParseExpression(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tmpl.Truthy(s)
		if err != nil || got != want {
			t.Errorf("Truthy(%q) = %v, %v; want %v", src, got, err, want)
		}
	}
	var nilT *Template
	if ok, err := nilT.Truthy(s); !ok || err != nil {
		t.Errorf("a missing condition must be true")
	}
}

func TestEvalErrors(t *testing.T) {
	s := testScope()
	tests := map[string]string{
		"${{ inputs.missing }}":         "no such input",
		"${{ steps.other.outputs.x }}":  "has not produced outputs",
		"${{ steps.gen.outputs.nope }}": "did not produce output",
		"${{ item }}":                   "only defined inside a foreach",
		"files: ${{ inputs.files }}":    "cannot be rendered into text",
		"${{ inputs.files == 'a' }}":    "cannot be compared",
		"${{ incident.started }}":       "not known in this run",
		"${{ foo.bar }}":                "unknown reference",
	}
	for src, want := range tests {
		tmpl, err := ParseTemplate(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		_, err = tmpl.Eval(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

func TestItem(t *testing.T) {
	s := &Scope{HasItem: true, Item: map[string]any{"repo": "o/r"}}
	tmpl, _ := ParseTemplate("${{ item.repo }}:${{ item.repo == 'o/r' }}")
	got, err := tmpl.Eval(s)
	if err != nil || got != "o/r:true" {
		t.Errorf("got %v, %v", got, err)
	}
	tmpl, _ = ParseTemplate("${{ item.nope }}")
	if _, err := tmpl.Eval(s); err == nil || !strings.Contains(err.Error(), `no field "nope"`) {
		t.Errorf("err = %v", err)
	}
}

func TestExprSyntax(t *testing.T) {
	tests := []struct {
		src  string
		col  int // 1-based column in src
		want string
	}{
		{"${{ }}", 4, "empty expression"},
		{"${{ a = b }}", 7, `unexpected "="`},
		{"${{ a & b }}", 7, `use "&&"`},
		{"${{ a == }}", 10, "ends too early"},
		{"${{ (a }}", 8, `expected ")"`},
		{"${{ a b }}", 7, "after a complete expression"},
		{"${{ 'abc }}", 5, "unterminated string"},
		{"${{ inputs. }}", 13, "expected a name"},
		{"${{ 1 == 2 == 3 }}", 12, "cannot be chained"},
		{"${{ 12ab }}", 5, "invalid number"},
		{"${{ a # }}", 7, "unexpected character"},
		{"text ${{ a", 6, "not closed"},
		{"${{ \"\\z\" }}", 6, "unknown escape"},
		{"${{ 99999999999999999999 }}", 5, "too large"},
		{"${{ " + strings.Repeat("!", 200) + "a }}", 105, "nested too deeply"},
	}
	for _, tt := range tests {
		_, err := ParseTemplate(tt.src)
		if err == nil {
			t.Errorf("%q: no error", tt.src)
			continue
		}
		te := err.(*templateError)
		if te.pos.Col != tt.col || !strings.Contains(te.msg, tt.want) {
			t.Errorf("%q: error at col %d %q, want col %d %q", tt.src, te.pos.Col, te.msg, tt.col, tt.want)
		}
	}
	if _, err := ParseExpression("${{ a }} and text"); err == nil {
		t.Error("a bare expression with text around ${{ }} must be refused")
	}
}

// TestSecretFlow checks the secret rules of validation: a secret flows only
// whole into a parameter that accepts secrets.
func TestSecretFlow(t *testing.T) {
	const head = "name: t\ninputs:\n  token: {type: secret}\n  files: {type: list}\nsteps:\n  - id: gen\n    uses: exec\n    with: {command: [gen], secret_stdout: true}\n"
	tests := []struct {
		name, step string
		want       string // "" means valid
	}{
		{"whole into stdin", "with: {command: [x], stdin: \"${{ steps.gen.outputs.secret }}\"}", ""},
		{"input whole into stdin", "with: {command: [x], stdin: \"${{ inputs.token }}\"}", ""},
		{"whole into secret param", "uses: fetch\n    with: {url: x, token: \"${{ inputs.token }}\"}", ""},
		{"non-secret output anywhere", "with: {command: [x, \"v=${{ steps.gen.outputs.stdout }}\"]}", ""},
		{"rendered into text", "with: {command: [x], stdin: \"Bearer ${{ inputs.token }}\"}", "secret inputs.token is rendered into text"},
		{"into command list", "with: {command: [x, \"${{ steps.gen.outputs.secret }}\"]}", "secret steps.gen.outputs.secret is inside a list or mapping"},
		{"into env", "with: {command: [x], env: {KEY: \"${{ steps.gen.outputs.secret }}\"}}", "is inside a list or mapping"},
		{"param refuses", "with: {command: [x], dir: \"${{ inputs.token }}\"}", `parameter "dir" of "exec" steps does not accept secrets`},
		{"note message", "uses: note\n    with: {message: \"${{ inputs.token }}\"}", `parameter "message" of "note" steps does not accept secrets`},
		{"in when", "when: ${{ inputs.token }}\n    with: {command: [x]}", "secret inputs.token cannot be used in when"},
		{"compared", "when: inputs.token == 'x'\n    with: {command: [x]}", "secret inputs.token cannot be used in an expression"},
		{"negated in stdin", "with: {command: [x], stdin: \"${{ !inputs.token }}\"}", "cannot be used in an expression"},
		{"in confirm", "confirm: \"Use ${{ inputs.token }}?\"\n    with: {command: [x]}", "secret inputs.token cannot be used in confirm"},
		{"in foreach", "foreach: ${{ inputs.token }}\n    with: {command: [x]}", "secret inputs.token cannot be used in foreach"},
		{"unknown kind still refuses text", "uses: exex\n    with: {message: \"a ${{ inputs.token }}\"}", "is rendered into text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.step
			if !strings.HasPrefix(body, "uses:") {
				body = "uses: exec\n    " + body
			}
			src := head + "  - id: use\n    " + body + "\n"
			_, d := Parse("pb.yaml", []byte(src), catalog)
			var b strings.Builder
			d.Render(&b, map[string][]byte{"pb.yaml": []byte(src)}, false)
			if tt.want == "" {
				if d.HasErrors() {
					t.Fatalf("unexpected errors:\n%s", b.String())
				}
				return
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Fatalf("want %q in:\n%s", tt.want, b.String())
			}
			if !strings.Contains(b.String(), "hint: a secret may only be passed whole") {
				t.Errorf("no secret hint in:\n%s", b.String())
			}
		})
	}
}

// A credential (an AWS pair, say) is a secret like a secret.Value: it is
// passed whole, never rendered into text, compared or used as a condition,
// and a secret parameter receives it unchanged.
func TestCredentialIsASecret(t *testing.T) {
	cred := secret.NewCredential("aws", secret.PlainPart("access_key_id", "AKIAEXAMPLE"), secret.SecretPart("secret_access_key", secret.New("canary-credential-value")))
	s := &Scope{Steps: map[string]map[string]any{"replace": {"credential": cred}}}
	for src, want := range map[string]string{
		"key: ${{ steps.replace.outputs.credential }}":   "cannot be rendered into text",
		"${{ steps.replace.outputs.credential == 'x' }}": "cannot be compared",
		"${{ !steps.replace.outputs.credential }}":       "cannot be used as a condition",
	} {
		tmpl, err := ParseTemplate(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tmpl.Eval(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
	tmpl, _ := ParseTemplate("${{ steps.replace.outputs.credential }}")
	v, err := tmpl.Eval(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := coerce(step.Param{Name: "key", Type: step.Secret}, v)
	if c, ok := got.(secret.Credential); err != nil || !ok || c.Fingerprint() != cred.Fingerprint() {
		t.Errorf("a secret parameter got %T, %v; want the credential", got, err)
	}
	if _, err := coerce(step.Param{Name: "name", Type: step.String}, v); err == nil {
		t.Error("a string parameter accepted a credential")
	}
}
