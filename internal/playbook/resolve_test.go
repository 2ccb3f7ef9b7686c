package playbook

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

func TestResolve(t *testing.T) {
	src := `name: t
inputs:
  dir: {type: string, default: /srv}
  files: {type: list}
  wait: {type: duration, default: 2s}
  tries: {type: int}
steps:
  - id: gen
    uses: exec
    with: {command: [gen], secret_stdout: true}
  - id: use
    uses: exec
    with:
      command: [./store.sh, "${{ inputs.dir }}/key", 7]
      stdin: ${{ steps.gen.outputs.secret }}
      env: {TARGET: "${{ inputs.dir }}", N: 3}
      unless: ${{ inputs.files }}
  - id: f
    uses: fetch
    with: {url: "u", wait: "${{ inputs.wait }}", tries: "${{ inputs.tries }}", token: plain, headers: {A: b}}
  - id: d
    uses: dyn
    with: {data: {a: [1, "${{ inputs.dir }}"], b: true}}
`
	pb := mustParse(t, src)
	key := secret.New("sk-new-abcdefghijklmnopqrstuvwxyz")
	s := &Scope{
		Inputs: map[string]any{"dir": "/srv", "files": []string{"a", "b"}, "wait": 2 * time.Second, "tries": 4},
		Steps:  map[string]map[string]any{"gen": {"secret": key}},
	}
	use, _ := pb.Step("use")
	got, err := use.Resolve(catalog["exec"].Spec(), s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"command":       []string{"./store.sh", "/srv/key", "7"},
		"stdin":         key,
		"env":           map[string]string{"TARGET": "/srv", "N": "3"},
		"unless":        []string{"a", "b"},
		"secret_stdout": false,
		"idempotent":    false,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve = %#v\nwant %#v", got, want)
	}
	if _, ok := got["stdin"].(secret.Value); !ok {
		t.Errorf("stdin must stay a secret.Value, got %T", got["stdin"])
	}

	f, _ := pb.Step("f")
	got, err = f.Resolve(catalog["fetch"].Spec(), s)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"url": "u", "wait": 2 * time.Second, "tries": 4, "token": "plain", "mode": "fast", "headers": map[string]string{"A": "b"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve = %#v\nwant %#v", got, want)
	}

	d, _ := pb.Step("d")
	got, err = d.Resolve(catalog["dyn"].Spec(), s)
	if err != nil {
		t.Fatal(err)
	}
	wantAny := map[string]any{"a": []any{1, "/srv"}, "b": true}
	if !reflect.DeepEqual(got["data"], wantAny) {
		t.Errorf("data = %#v", got["data"])
	}

	// Run-time type errors are reported with the step and parameter.
	s.Inputs["tries"] = "many"
	if _, err := f.Resolve(catalog["fetch"].Spec(), s); err == nil || !strings.Contains(err.Error(), `step "f", parameter "tries": "many" is not a whole number`) {
		t.Errorf("err = %v", err)
	}
	// A secret reaching a parameter that does not accept it is refused at
	// run time too (defence in depth), without showing the value.
	s.Inputs["dir"] = key
	_, err = use.Resolve(catalog["exec"].Spec(), s)
	if err == nil || strings.Contains(err.Error(), key.Reveal()) {
		t.Errorf("err = %v", err)
	}
}

func TestOutputRefs(t *testing.T) {
	src := `name: t
steps:
  - id: a
    uses: exec
    with: {command: [x]}
  - id: b
    uses: approve
    with: {message: ok}
  - id: c
    uses: exec
    when: steps.a.outputs.exit_code == 0
    confirm: "as ${{ steps.b.outputs.approved_by }}?"
    with:
      command: [x, "${{ steps.a.outputs.stdout }}", "${{ steps.a.outputs.stdout }}"]
      stdin: ${{ steps.a.outputs.secret }}
`
	pb := mustParse(t, src)
	c, _ := pb.Step("c")
	got := c.OutputRefs()
	want := []OutputRef{{"a", "exit_code"}, {"b", "approved_by"}, {"a", "stdout"}, {"a", "secret"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OutputRefs = %v, want %v", got, want)
	}
	a, _ := pb.Step("a")
	if len(a.OutputRefs()) != 0 {
		t.Errorf("a has refs %v", a.OutputRefs())
	}
}

func TestResolveInputs(t *testing.T) {
	pb := &Playbook{Name: "p", Inputs: []Input{
		{Name: "target", Type: step.String, Required: true},
		{Name: "n", Type: step.Int, Default: 3},
		{Name: "force", Type: step.Bool, Default: false},
		{Name: "wait", Type: step.Duration},
		{Name: "files", Type: step.List, Default: []string{"x"}},
		{Name: "token", Type: step.Secret, Required: true},
	}}
	tok := secret.New("sk-proj-abcdefghijklmnopqrstuvwxyz")
	got, err := ResolveInputs(pb, map[string]string{"target": "t", "force": "true", "wait": "1m", "files": " a, b ,,c "}, map[string]secret.Value{"token": tok})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"target": "t", "n": 3, "force": true, "wait": time.Minute, "files": []string{"a", "b", "c"}, "token": tok}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	// The default is copied, not shared; optional inputs get zero values.
	got, _ = ResolveInputs(pb, map[string]string{"target": "t"}, map[string]secret.Value{"token": tok})
	if got["wait"] != time.Duration(0) {
		t.Errorf("wait = %#v, want 0s", got["wait"])
	}
	got["files"].([]string)[0] = "changed"
	if pb.Inputs[4].Default.([]string)[0] != "x" {
		t.Error("ResolveInputs shares the default list")
	}

	tests := []struct {
		set     map[string]string
		secrets map[string]secret.Value
		want    []string
	}{
		{map[string]string{"target": "t", "token": "sk-proj-abcdefghijklmnopqrstuvwxyz"}, nil, []string{"secrets are never taken as command-line arguments"}},
		{map[string]string{"taget": "t"}, map[string]secret.Value{"token": tok}, []string{`unknown input "taget"`, "its inputs are: target, n, force, wait, files, token", `input "target" is required`}},
		{map[string]string{"target": "t", "n": "x", "force": "maybe", "wait": "soon"}, map[string]secret.Value{"token": tok}, []string{`input "n": "x" is not a whole number`, `"maybe" is not true or false`, `"soon" is not a duration`}},
		{map[string]string{"target": "t"}, nil, []string{`secret input "token" is required`}},
		{map[string]string{}, map[string]secret.Value{"token": tok, "target": tok}, []string{`input "target" is not a secret`}},
	}
	for i, tt := range tests {
		_, err := ResolveInputs(pb, tt.set, tt.secrets)
		if err == nil {
			t.Errorf("%d: no error", i)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%d: %q does not contain %q", i, err, w)
			}
		}
		if strings.Contains(err.Error(), "abcdefghijklmnop") {
			t.Errorf("%d: error leaks a secret: %v", i, err)
		}
	}
}
