package playbook

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/step"
)

const example = `# yaml-language-server: $schema=./playbook.schema.json
name: exec-rotate
description: Rotate a credential with your own scripts
strategy: rotate-first
inputs:
  target_file: {type: string, required: true, description: "where"}
  attempts: {type: int, default: 3}
  force: {type: bool, default: false}
  wait: {type: duration, default: 5s}
  files: {type: list, default: [a, b]}
  token: {type: secret, description: "read from stdin or a prompt, never a flag"}
steps:
  - id: generate
    name: Generate the new key
    uses: exec
    with:
      command: [./gen.sh]
      secret_stdout: true
  - id: store
    uses: exec
    foreach: ${{ inputs.files }}
    concurrency: 4
    when: ${{ !inputs.force }}
    retry: {attempts: 3, backoff: 1s, max_backoff: 10s}
    timeout: 30s
    confirm: "Write the new key to ${{ item }}?"
    continue_on_error: false
    with:
      command: [./store.sh, "${{ item }}"]
      stdin: ${{ steps.generate.outputs.secret }}
      idempotent: true
  - id: tell
    uses: note
    when: inputs.force == false && inputs.attempts != 0
    with:
      message: |
        Stored the key in ${{ inputs.target_file }}
        (incident ${{ incident.id }})
`

func mustParse(t *testing.T, src string) *Playbook {
	t.Helper()
	pb, d := Parse("pb.yaml", []byte(src), catalog)
	if d.HasErrors() {
		var b strings.Builder
		d.Render(&b, map[string][]byte{"pb.yaml": []byte(src)}, false)
		t.Fatalf("unexpected diagnostics:\n%s", b.String())
	}
	return pb
}

func TestParseExample(t *testing.T) {
	pb := mustParse(t, example)
	if pb.Name != "exec-rotate" || pb.Strategy != "rotate-first" || pb.Description == "" {
		t.Errorf("header = %q %q %q", pb.Name, pb.Strategy, pb.Description)
	}
	wantDefaults := map[string]any{"target_file": nil, "attempts": 3, "force": false, "wait": 5 * time.Second, "files": []string{"a", "b"}, "token": nil}
	if len(pb.Inputs) != len(wantDefaults) {
		t.Fatalf("got %d inputs", len(pb.Inputs))
	}
	for _, in := range pb.Inputs {
		if !reflect.DeepEqual(in.Default, wantDefaults[in.Name]) {
			t.Errorf("input %s default = %#v, want %#v", in.Name, in.Default, wantDefaults[in.Name])
		}
	}
	if in, _ := pb.Input("target_file"); !in.Required || in.Type != step.String || in.Pos.Line != 6 || in.Pos.Col != 3 {
		t.Errorf("target_file = %+v", in)
	}
	store, ok := pb.Step("store")
	if !ok {
		t.Fatal("no step store")
	}
	if store.Concurrency != 4 || store.Timeout != 30*time.Second || store.Foreach == nil || store.When == nil || store.Confirm == nil {
		t.Errorf("store = %+v", store)
	}
	if *store.Retry != (Retry{Attempts: 3, Backoff: time.Second, MaxBackoff: 10 * time.Second}) {
		t.Errorf("retry = %+v", *store.Retry)
	}
	if store.Pos != (diag.Pos{File: "pb.yaml", Line: 19, Col: 5}) {
		t.Errorf("store.Pos = %v", store.Pos)
	}
	if got := store.With["stdin"]; got.Kind != TemplateValue || got.Template.String() != "${{ steps.generate.outputs.secret }}" {
		t.Errorf("stdin = %+v", got)
	}
	if gen, _ := pb.Step("generate"); gen.Name != "Generate the new key" || gen.Concurrency != 1 || gen.Retry != nil {
		t.Errorf("generate = %+v", gen)
	}
	if !strings.HasPrefix(pb.Digest(), "sha256:") || len(pb.Digest()) != 71 {
		t.Errorf("digest = %q", pb.Digest())
	}
}

// problem is an expected diagnostic: "line:col" (or "" to skip the
// position) and a substring of the summary.
type problem struct{ at, summary string }

func TestParseErrors(t *testing.T) {
	const head = "name: t\ninputs:\n  token: {type: secret}\n  files: {type: list}\n  n: {type: int}\n  s: {type: string}\nsteps:\n"
	// Line numbers in `at` count from the first step line (8).
	tests := []struct {
		name  string
		steps string
		want  []problem
		hints []string
	}{
		{"unknown kind", "  - id: a\n    uses: exex\n", []problem{{"9:11", `unknown step kind "exex"`}}, []string{`did you mean "exec"? Known kinds: approve, dyn, exec, fetch, note.`}},
		{"unknown step field", "  - id: a\n    uses: note\n    wen: true\n    with: {message: hi}\n", []problem{{"10:5", `unknown field "wen" in step "a"`}}, []string{`did you mean "when"?`}},
		{"missing id and uses", "  - name: x\n", []problem{{"8:5", "has no id"}, {"8:5", "has no `uses:`"}}, nil},
		{"bad id", "  - id: Bad!\n    uses: note\n    with: {message: x}\n", []problem{{"8:9", `invalid step id "Bad!"`}}, nil},
		{"duplicate id", "  - id: a\n    uses: note\n    with: {message: x}\n  - id: a\n    uses: note\n    with: {message: y}\n", []problem{{"11:9", `duplicate step id "a" (first at line 8)`}}, nil},
		{"unknown param", "  - id: a\n    uses: exec\n    with: {command: [x], stdn: y}\n", []problem{{"10:26", `unknown parameter "stdn" for "exec" steps`}}, []string{`did you mean "stdin"?`}},
		{"missing param", "  - id: a\n    uses: exec\n    with: {dir: x}\n", []problem{{"10:5", `missing required parameter "command"`}}, nil},
		{"missing with", "  - id: a\n    uses: note\n", []problem{{"8:5", `missing required parameter "message"`}}, nil},
		{"command as string", "  - id: a\n    uses: exec\n    with: {command: ./x.sh}\n", []problem{{"10:21", `parameter "command" must be a list of strings, not the string "./x.sh"`}}, []string{"never run through a shell"}},
		{"bool param", "  - id: a\n    uses: exec\n    with: {command: [x], secret_stdout: yes}\n", []problem{{"10:41", `parameter "secret_stdout" must be true or false`}}, nil},
		{"duration param", "  - id: a\n    uses: fetch\n    with: {url: x, wait: 5 minutes}\n", []problem{{"10:26", `parameter "wait": "5 minutes" is not a duration`}}, nil},
		{"int param", "  - id: a\n    uses: fetch\n    with: {url: x, tries: many}\n", []problem{{"10:27", `parameter "tries" must be a whole number`}}, nil},
		{"enum param", "  - id: a\n    uses: fetch\n    with: {url: x, mode: fsat}\n", []problem{{"10:26", `parameter "mode" does not accept "fsat"`}}, []string{`did you mean "fast"?`}},
		{"map param", "  - id: a\n    uses: exec\n    with: {command: [x], env: [A]}\n", []problem{{"10:31", `parameter "env" must be a mapping of strings`}}, nil},
		{"list item", "  - id: a\n    uses: exec\n    with: {command: [x, [y]]}\n", []problem{{"10:25", `each item of parameter "command" must be a string`}}, nil},
		{"unknown input", "  - id: a\n    uses: note\n    with: {message: \"${{ inputs.fils }}\"}\n", []problem{{"10:26", `unknown input "fils"`}}, []string{`did you mean "files"?`}},
		{"unknown step", "  - id: a\n    uses: note\n    with: {message: \"${{ steps.nope.outputs.x }}\"}\n", []problem{{"10:26", `unknown step "nope"`}}, nil},
		{"later step", "  - id: a\n    uses: note\n    with: {message: \"${{ steps.b.outputs.stdout }}\"}\n  - id: b\n    uses: exec\n    with: {command: [x]}\n", []problem{{"10:26", `step "b" runs later (line 11)`}}, nil},
		{"own outputs", "  - id: a\n    uses: exec\n    with: {command: [x, \"${{ steps.a.outputs.stdout }}\"]}\n", []problem{{"10:30", `step "a" refers to its own outputs`}}, nil},
		{"unknown output", "  - id: a\n    uses: exec\n    with: {command: [x]}\n  - id: b\n    uses: note\n    with: {message: \"${{ steps.a.outputs.stout }}\"}\n", []problem{{"13:26", `step "a" (exec) has no output "stout"`}}, []string{`did you mean "stdout"?`}},
		{"no outputs", "  - id: a\n    uses: note\n    with: {message: x}\n  - id: b\n    uses: note\n    with: {message: \"${{ steps.a.outputs.x }}\"}\n", []problem{{"13:26", `step "a" (note) has no output "x"`}}, []string{`"note" steps have no outputs`}},
		{"item outside foreach", "  - id: a\n    uses: note\n    with: {message: \"${{ item }}\"}\n", []problem{{"10:26", "item is only defined in a foreach step"}}, nil},
		{"item in foreach", "  - id: a\n    uses: note\n    foreach: ${{ item }}\n    with: {message: x}\n", []problem{{"10:18", "item is not defined in foreach itself"}}, nil},
		{"foreach outputs", "  - id: a\n    uses: exec\n    foreach: ${{ inputs.files }}\n    with: {command: [x, \"${{ item }}\"]}\n  - id: b\n    uses: note\n    with: {message: \"${{ steps.a.outputs.stdout }}\"}\n", []problem{{"14:26", `outputs of foreach step "a" cannot be referenced`}}, nil},
		{"foreach of string", "  - id: a\n    uses: note\n    foreach: ${{ inputs.s }}\n    with: {message: x}\n", []problem{{"10:18", "foreach needs a list, but inputs.s is a string"}}, nil},
		{"expression syntax", "  - id: a\n    uses: note\n    when: inputs.n = 3\n    with: {message: x}\n", []problem{{"10:20", `invalid expression: unexpected "="; use "==" to compare`}}, nil},
		{"expression syntax quoted", "  - id: a\n    uses: note\n    with: {message: \"x ${{ inputs.n == }}\"}\n", []problem{{"10:40", "invalid expression: expression ends too early"}}, nil},
		{"unclosed", "  - id: a\n    uses: note\n    with: {message: \"x ${{ inputs.n\"}\n", []problem{{"10:24", `"${{" is not closed`}}, nil},
		{"list rendered", "  - id: a\n    uses: note\n    with: {message: \"files: ${{ inputs.files }}\"}\n", []problem{{"10:33", "inputs.files is a list and cannot be rendered into text"}}, nil},
		{"list into string param", "  - id: a\n    uses: exec\n    with: {command: [x], dir: \"${{ inputs.files }}\"}\n", []problem{{"10:36", `inputs.files is a list of strings, but parameter "dir" takes a string`}}, nil},
		{"retry range", "  - id: a\n    uses: fetch\n    retry: {attempts: 0, backoff: -1s, max_backoff: 2h}\n    with: {url: x}\n", []problem{{"10:23", "retry attempts 0 is out of range"}, {"10:35", "retry backoff -1s is out of range"}, {"10:53", "retry max_backoff 2h is out of range"}}, nil},
		{"timeout range", "  - id: a\n    uses: note\n    timeout: 48h\n    with: {message: x}\n", []problem{{"10:14", "timeout 48h is out of range"}}, nil},
		{"timeout syntax", "  - id: a\n    uses: note\n    timeout: soon\n    with: {message: x}\n", []problem{{"10:14", `timeout "soon" is not a duration`}}, nil},
		{"concurrency", "  - id: a\n    uses: note\n    foreach: ${{ inputs.files }}\n    concurrency: 100\n    with: {message: x}\n", []problem{{"11:18", "concurrency 100 is out of range"}}, nil},
		{"concurrency without foreach", "  - id: a\n    uses: note\n    concurrency: 2\n    with: {message: x}\n", []problem{{"10:5", "concurrency needs foreach"}}, nil},
		{"unknown root", "  - id: a\n    uses: note\n    when: force\n    with: {message: x}\n", []problem{{"10:11", `unknown name "force" in expression`}}, nil},
		{"incident field", "  - id: a\n    uses: note\n    with: {message: \"${{ incident.name }}\"}\n", []problem{{"10:26", `unknown reference "incident.name"`}}, nil},
		{"steps shape", "  - id: a\n    uses: exec\n    with: {command: [x]}\n  - id: b\n    uses: note\n    with: {message: \"${{ steps.a.stdout }}\"}\n", []problem{{"13:26", `invalid reference "steps.a.stdout"`}}, nil},
		{"alias", "  - id: a\n    uses: note\n    with: {message: &m x}\n  - id: b\n    uses: note\n    with: {message: *m}\n", []problem{{"13:21", "YAML aliases (*name) are not supported"}}, nil},
		{"literal block column", "  - id: a\n    uses: note\n    with:\n      message: |\n        first line\n        second ${{ inputs.nope }}\n", []problem{{"13:20", `unknown input "nope"`}}, nil},
		{"duplicate with key", "  - id: a\n    uses: note\n    with:\n      message: a\n      message: b\n", []problem{{"12:7", `duplicate parameter "message" (first at line 11)`}}, nil},
		{"tag in when", "  - id: a\n    uses: note\n    when: !inputs.force\n    with: {message: x}\n", []problem{{"8:5", "missing required parameter"}, {"10:11", `YAML reads "!inputs.force" as a tag`}}, []string{"write when: ${{ !inputs.force }}, or quote"}},
		{"unicode column", "  - {id: ü, uses: note, with: {message: \"é ${{ inputs.nope }}\"}}\n", []problem{{"8:10", `invalid step id "ü"`}, {"8:48", `unknown input "nope"`}}, nil},
		{"escaped double quotes", "  - id: a\n    uses: note\n    with: {message: \"a\\tb ${{ inputs.nope }}\"}\n", []problem{{"10:31", `unknown input "nope"`}}, nil},
		{"folded block", "  - id: a\n    uses: note\n    with:\n      message: >-\n        first\n        then ${{ inputs.nope }}\n", []problem{{"13:18", `unknown input "nope"`}}, nil},
		{"multi-line plain", "  - id: a\n    uses: note\n    with:\n      message: first\n        then ${{ inputs.nope == }}\n", []problem{{"12:33", "ends too early"}}, nil},
		{"continue_on_error type", "  - id: a\n    uses: note\n    continue_on_error: 1\n    with: {message: x}\n", []problem{{"10:24", "continue_on_error must be true or false"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + tt.steps
			_, d := Parse("pb.yaml", []byte(src), catalog)
			checkDiags(t, src, d, tt.want, tt.hints)
		})
	}
}

func checkDiags(t *testing.T, src string, d diag.Diagnostics, want []problem, hints []string) {
	t.Helper()
	var rendered strings.Builder
	d.Render(&rendered, map[string][]byte{"pb.yaml": []byte(src)}, false)
	var errs []diag.Diagnostic
	for _, x := range d {
		if x.Severity == diag.Error {
			errs = append(errs, x)
		}
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(errs), len(want), rendered.String())
	}
	for i, w := range want {
		got := errs[i]
		if w.at != "" && fmt.Sprintf("%d:%d", got.Pos.Line, got.Pos.Col) != w.at {
			t.Errorf("error %d at %d:%d, want %s:\n%s", i, got.Pos.Line, got.Pos.Col, w.at, rendered.String())
		}
		if !strings.Contains(got.Summary, w.summary) {
			t.Errorf("error %d = %q, want it to contain %q", i, got.Summary, w.summary)
		}
		if got.Pos.File != "pb.yaml" {
			t.Errorf("error %d file = %q", i, got.Pos.File)
		}
	}
	for _, h := range hints {
		if !strings.Contains(rendered.String(), h) {
			t.Errorf("no hint containing %q in:\n%s", h, rendered.String())
		}
	}
}

func TestParseTopLevel(t *testing.T) {
	tests := []struct {
		name, src string
		want      []problem
	}{
		{"syntax", "name: x\nsteps: [a\nfoo: b\n", []problem{{"", "invalid YAML"}}},
		{"empty", "", []problem{{"1:1", "the playbook is empty"}}},
		{"not a mapping", "- a\n- b\n", []problem{{"1:1", "the playbook must be a mapping, not a list"}}},
		{"two documents", "name: a\nsteps: [{id: a, uses: note, with: {message: x}}]\n---\nname: b\n", []problem{{"4:1", "one YAML document, this one has 2"}}},
		{"unknown top field", "name: a\nsetps: []\n", []problem{{"1:1", "has no steps"}, {"2:1", `unknown field "setps" in the playbook`}}},
		{"missing name", "steps: [{id: a, uses: note, with: {message: x}}]\n", []problem{{"1:1", "the playbook has no name"}}},
		{"bad name", "name: Rotate Key\nsteps: [{id: a, uses: note, with: {message: x}}]\n", []problem{{"1:7", `invalid playbook name "Rotate Key"`}}},
		{"empty steps", "name: a\nsteps: []\n", []problem{{"2:1", "the playbook has no steps"}}},
		{"steps mapping", "name: a\nsteps: {a: b}\n", []problem{{"2:1", "steps must be a list, not a mapping"}}},
		{"duplicate top key", "name: a\nname: b\nsteps: [{id: a, uses: note, with: {message: x}}]\n", []problem{{"2:1", `duplicate key "name" in the playbook (first at line 1)`}}},
		{"inputs", "name: a\ninputs:\n  n: {type: integer}\n  d: {type: duration, default: 5 minutes}\n  i: {type: int, default: x}\n  s: {type: secret, default: x}\n  l: {type: list, default: a}\n  n: {type: int}\n  u: {type: string, requird: true}\n  'Bad Name': {type: string}\n  m: string\n  t: {required: true}\nsteps: [{id: a, uses: note, with: {message: x}}]\n",
			[]problem{
				{"3:13", `unknown input type "integer"`},
				{"4:32", `the default of input "d" "5 minutes" is not a duration`},
				{"5:27", `the default of input "i" must be a whole number`},
				{"6:21", `secret input "s" cannot have a default`},
				{"7:28", `the default of input "l" must be a list of strings`},
				{"8:3", `duplicate input "n" (first at line 3)`},
				{"9:21", `unknown field "requird" in input "u"`},
				{"10:3", `invalid input name "Bad Name"`},
				{"11:6", `input "m" must be a mapping, not a string`},
				{"12:3", `input "t" has no type`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := Parse("pb.yaml", []byte(tt.src), catalog)
			checkDiags(t, tt.src, d, tt.want, nil)
		})
	}
}

func TestWarnings(t *testing.T) {
	src := "name: a\ninputs:\n  x: {type: string, required: true, default: y}\nsteps:\n  - id: a\n    uses: note\n    retry: {attempts: 2}\n    with: {message: x}\n  - id: b\n    uses: exec\n    retry: {attempts: 2}\n    with: {command: [x]}\n"
	pb, d := Parse("pb.yaml", []byte(src), catalog)
	if pb == nil || d.HasErrors() {
		t.Fatalf("warnings must not stop parsing: %v", d)
	}
	if len(d) != 2 || d[0].Pos.Line != 3 || !strings.Contains(d[0].Summary, "required but has a default") ||
		d[1].Pos.Line != 7 || !strings.Contains(d[1].Summary, `"note" steps are not idempotent`) {
		t.Errorf("warnings = %v", d)
	}
}
