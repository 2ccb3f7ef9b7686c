package yamlsrc

import (
	"io"
	"testing"

	"github.com/goccy/go-yaml/ast"

	"github.com/respondhq/respond/internal/diag"
)

// visitor calls f on every node of a tree.
type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	v(n)
	return v
}

// FuzzParse parses arbitrary text and reads every node of it: nothing may
// panic, a nil document must come with an error, and every position (of a
// node or a diagnostic) must lie inside the file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "a: b", "a: [b\n", "- a\n- b\n", "a: &x [1]\nb: *x\n", "a: !!str 1\nb: !t {c: d}\n",
		"a: 'it''s'\nb: \"é\\tx\"\nc: |\n  lit\n  eral\nd: >-\n  folded\n", "a: 1\na: 2\n---\nb: 3\n",
		"%YAML 1.2\n---\na: b\n...\n", "? complex\n: key\n", "a:\n  - {b: c, d: [e, {f: g}]}\n",
		"a: .inf\nb: .nan\nc: ~\nd: 0x1F\ne: 99999999999999999999\nf: 1.5e3\n", "\ta: b\n", "a: b\r\nc: d\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d := New("f.yaml", []byte(src), Kind{Name: "doc", Article: "a", Plural: "docs", RepeatedUnknownIsDuplicate: len(src)%2 == 0})
		body := d.Parse()
		if body == nil && !d.Diags.HasErrors() {
			t.Fatalf("no document and no error: %v", d.Diags)
		}
		lines := len(d.Lines)
		inFile := func(p diag.Pos) bool {
			return p.File == "f.yaml" && p.Line >= 1 && p.Line <= lines+1 && p.Col >= 1
		}
		if body != nil {
			// The text of a block scalar (|, >) is read through its
			// LiteralNode, never located on its own.
			blockText := map[ast.Node]bool{}
			ast.Walk(visitor(func(n ast.Node) {
				if l, ok := n.(*ast.LiteralNode); ok && l.Value != nil {
					blockText[l.Value] = true
				}
				if blockText[n] {
					return
				}
				pos, end := d.Span(n)
				if !inFile(pos) {
					t.Errorf("node %T at %v, outside the file", n, pos)
				}
				if end != 0 && end <= pos.Col {
					t.Errorf("node %T at %v ends at column %d", n, pos, end)
				}
				_ = Describe(n)
				if mv, ok := n.(*ast.MappingValueNode); ok {
					_ = KeyText(mv)
				}
				v := d.Unwrap(n)
				switch v.(type) {
				case *ast.MappingNode, *ast.MappingValueNode:
					if kvs, ok := d.Entries(v, "it", ""); ok {
						d.Fields(kvs, []string{"a", "b"}, "it")
					}
				case *ast.SequenceNode:
					d.StringList(v, "it", "a list")
				default:
					d.ScalarText(v, "it")
					d.Bool(v, "it")
					d.Int(v, "it", -10, 10)
					d.Duration(v, "it", DurationRange{Max: 1 << 62})
				}
			}), body)
		}
		for _, x := range d.Diags {
			if !inFile(x.Pos) || x.Summary == "" {
				t.Errorf("diagnostic %q at %v", x.Summary, x.Pos)
			}
		}
		d.Diags.Render(io.Discard, map[string][]byte{"f.yaml": []byte(src)}, true)
	})
}
