package playbook

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/diag"
)

// FuzzParse feeds arbitrary text to Parse and renders the result: it must
// never panic, must return a playbook exactly when there is no error, and
// every diagnostic must carry a position inside the file.
func FuzzParse(f *testing.F) {
	f.Add(example)
	if b, err := os.ReadFile(filepath.Join("testdata", "broken.yaml")); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"", "name: a", "name: a\nsteps:\n  - id: a\n    uses: note\n    with: {message: \"${{ inputs.x }}\"}\n",
		"- a\n- b", "a: &x [1]\nb: *x\n", "name: a\nsteps: [{id: a, uses: exec, foreach: '${{ inputs.l }}', with: {command: [x]}}]",
		"name: a\nsteps:\n  - id: a\n    uses: note\n    with:\n      message: >\n        folded ${{ item\n        }} text\n",
		"steps:\n- id: a\n  uses: exec\n  with: {command: [\"${{ 'a''b' == \\\"c\\\" }}\"], env: {A: !!str 1}}\n",
		"name: a\ninputs: {x: {type: list, default: [a, [b]]}}\nsteps: [{id: a, uses: note, when: '((inputs.x', with: {message: x}}]",
		"%YAML 1.2\n---\nname: a\n...\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		pb, d := Parse("f.yaml", []byte(src), catalog)
		if (pb == nil) != d.HasErrors() {
			t.Fatalf("playbook %v with diagnostics %v", pb != nil, d)
		}
		lines := len(diag.SplitLines(src))
		for _, x := range d {
			if x.Pos.File != "f.yaml" || x.Pos.Line < 1 || x.Pos.Line > lines+1 || x.Pos.Col < 1 {
				t.Errorf("bad position %v for %q", x.Pos, x.Summary)
			}
			if x.Summary == "" {
				t.Errorf("empty summary at %v", x.Pos)
			}
		}
		d.Render(io.Discard, map[string][]byte{"f.yaml": []byte(src)}, true)
		if pb != nil {
			for i := range pb.Steps {
				_ = pb.Steps[i].OutputRefs()
			}
			if pb.Digest() == "" {
				t.Fatal("no digest")
			}
		}
	})
}

// FuzzExpr parses and evaluates arbitrary templates: no panic, and an
// error position within the text.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		"${{ inputs.name }}", "a ${{ !inputs.force && (inputs.n == 3 || 'x' != \"y\") }} b",
		"${{ steps.gen.outputs.secret }}", "${{ item.repo }}", "${{ 'it''s' }}", "${{", "}}", "${{ (((",
		"${{ inputs.files == inputs.files }}", "${{ 99999999999999999999 }}", "${{ \"\\q\" }}",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, bare bool) {
		parse := ParseTemplate
		if bare {
			parse = ParseExpression
		}
		tmpl, err := parse(src)
		if err != nil {
			te, ok := err.(*templateError)
			if !ok {
				t.Fatalf("error of type %T", err)
			}
			if te.pos.Line != 1 || te.pos.Col < 1 || te.pos.Col > utf8.RuneCountInString(src)+1 {
				t.Fatalf("error position %v outside %q", te.pos, src)
			}
			return
		}
		s := testScope()
		s.HasItem, s.Item = true, map[string]any{"repo": "o/r"}
		if _, err := tmpl.Eval(s); err == nil {
			_, _ = tmpl.Truthy(s)
		}
		if tmpl.String() != src {
			t.Fatalf("String() = %q, want %q", tmpl.String(), src)
		}
	})
}
