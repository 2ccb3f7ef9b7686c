package inventory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/respondhq/respond/internal/diag"
)

// FuzzParse feeds arbitrary text to Parse and renders the result: it must
// never panic, must return an inventory exactly when there is no error,
// every diagnostic must carry a position inside the file, and every target
// of a returned inventory must be valid.
func FuzzParse(f *testing.F) {
	f.Add(example)
	if b, err := os.ReadFile(filepath.Join("testdata", "broken.yaml")); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"", "credentials:", "credentials: [a, [b], {c: d}]", "- a\n- b", "a: &x [1]\nb: *x\n",
		"credentials:\n- name: a\n  targets:\n  - exec: {command: [x], timeout: !!str 1s}\n  - dotenv: {path: [a]}\n",
		"credentials: [{name: a, provider: openai, project: p, key_id: k, targets: [{github-workflow: {repo: a/b, workflow: 1, ref: m, inputs: {a: [1]}}}]}]",
		"credentials: [{name: a, provider: openai, project: p, key_id: k, targets: [{aws-secretsmanager: {secret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf', key: K, region: eu-west-1}}, {aws-ssm: {name: /a/b, kms_key_id: alias/k}}]}]",
		"%YAML 1.2\n---\ncredentials: []\n...\n", "credentials:\n  - name: \"\\u00e9\"\n    targets:\n      - \"dotenv\": {\"path\": x, \"var\": A}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		inv, d := Parse("f.yaml", []byte(src))
		if (inv == nil) != d.HasErrors() {
			t.Fatalf("inventory %v with diagnostics %v", inv != nil, d)
		}
		lines := len(diag.SplitLines(src))
		for _, x := range d {
			if x.Pos.File != "f.yaml" || x.Pos.Line < 1 || x.Pos.Line > lines+1 || x.Pos.Col < 1 {
				t.Errorf("bad position %v for %q", x.Pos, x.Summary)
			}
		}
		d.Render(discard{}, map[string][]byte{"f.yaml": []byte(src)}, true)
		if inv == nil {
			return
		}
		for _, c := range inv.Credentials {
			for _, tg := range c.Targets {
				if err := tg.Validate(); err != nil {
					t.Errorf("returned an invalid target %s: %v", tg.ID(), err)
				}
			}
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
