package tables_test

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	xhtml "golang.org/x/net/html"

	"github.com/respondhq/respond/internal/plugins/tables"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/target"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the docs' tables generated from the registry")

// TestDocsTablesFromRegistry: the docs' tables of providers and target
// types are what the registry gives, so registering a plug-in is what
// puts it there (`go test ./internal/plugins -update-docs` rewrites them).
func TestDocsTablesFromRegistry(t *testing.T) {
	inv := readDoc(t, "../../../docs/inventory.md")
	sections := headingAnchors(inv)
	var missing []string
	section := func(typ string) string {
		for _, h := range sections {
			if strings.HasPrefix(h, typ+"-") {
				return "#" + h
			}
		}
		missing = append(missing, typ)
		return ""
	}
	tables := []struct{ file, name, text string }{
		{"../../../docs/providers.md", "provider-matrix", tables.ProviderMatrix()},
		{"../../../docs/inventory.md", "credential-fields", tables.CredentialTable()},
		{"../../../docs/inventory.md", "target-types", tables.TargetTable(section)},
	}
	if len(missing) > 0 {
		t.Errorf("docs/inventory.md has no section for the target type(s) %v: add a heading \"### `TYPE`: …\" with its fields", missing)
	}
	for _, tb := range tables {
		checkTable(t, tb.name, tb.text)
		doc := readDoc(t, tb.file)
		begin, end := "<!-- generated:"+tb.name+" -->\n", "<!-- /generated:"+tb.name+" -->"
		i, j := strings.Index(doc, begin), strings.Index(doc, end)
		if i < 0 || j < i {
			t.Errorf("%s has no %q … %q block for the table %s", tb.file, strings.TrimSpace(begin), end, tb.name)
			continue
		}
		got := doc[i+len(begin) : j]
		if got == tb.text {
			continue
		}
		if *updateDocs {
			doc = doc[:i+len(begin)] + tb.text + doc[j:]
			if err := os.WriteFile(tb.file, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s: the table %s is not what the registry gives; run `go test ./internal/plugins/tables -run TestDocsTablesFromRegistry -update-docs`\ngot:\n%s\nwant:\n%s", tb.file, tb.name, got, tb.text)
	}
}

// TestProviderMatrixNamesEveryProvider: every registered provider is a
// column, and what it declares is in it (not a case per name).
func TestProviderMatrixNamesEveryProvider(t *testing.T) {
	m := tables.ProviderMatrix()
	header := strings.SplitN(m, "\n", 2)[0]
	for _, s := range provider.Specs() {
		if !strings.Contains(header, "| "+s.Title+" |") {
			t.Errorf("the matrix's header has no column for %s: %s", s.Title, header)
		}
		for _, typ := range s.AlertTypes {
			if !strings.Contains(m, "`"+typ+"`") {
				t.Errorf("the matrix does not list %s's secret type %s", s.Title, typ)
			}
		}
		if s.Caps.Undo != "" && !strings.Contains(m, s.Caps.Undo) {
			t.Errorf("the matrix does not say how %s's containment is undone (%q)", s.Title, s.Caps.Undo)
		}
	}
	tt := tables.TargetTable(func(string) string { return "" })
	for _, s := range target.Specs() {
		if !strings.Contains(tt, "`"+s.Type+"`") {
			t.Errorf("the target table does not list %s", s.Type)
		}
	}
}

// checkTable renders a generated table as GitHub does and checks that it
// is one table whose every row has the header's number of cells: a '|'
// or a newline in a value would cut a row or end the table.
func checkTable(t *testing.T, name, md string) {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		t.Fatalf("%s: render: %v", name, err)
	}
	doc, err := xhtml.Parse(&out)
	if err != nil {
		t.Fatalf("%s: parse: %v", name, err)
	}
	var tables int
	var rows [][]int // per row: the number of cells
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.Data {
			case "table":
				tables++
			case "tr":
				cells := 0
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == xhtml.ElementNode && (c.Data == "td" || c.Data == "th") {
						cells++
					}
				}
				rows = append(rows, []int{cells})
			case "img", "script", "style":
				t.Errorf("%s: the table renders a <%s>", name, n.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	lines := strings.Count(strings.TrimSpace(md), "\n") + 1
	if tables != 1 || len(rows) != lines-1 {
		t.Fatalf("%s renders as %d table(s) of %d row(s); want one of %d:\n%s", name, tables, len(rows), lines-1, md)
	}
	for i, r := range rows {
		if r[0] != rows[0][0] {
			t.Errorf("%s: row %d has %d cells, the header %d", name, i, r[0], rows[0][0])
		}
	}
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var headingRe = regexp.MustCompile("(?m)^#{2,4} (.+)$")

// headingAnchors gives the GitHub anchors of a Markdown file's headings.
func headingAnchors(doc string) []string {
	var out []string
	for _, m := range headingRe.FindAllStringSubmatch(doc, -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		out = append(out, b.String())
	}
	return out
}
