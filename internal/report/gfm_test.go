package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/report/gfmtest"
)

// hostileNames are names anyone who can name a key, a project, a service
// account or a file could choose, aimed at the Markdown report as GitHub
// renders it: the first is issue #17's (a code span whose | ends the table
// cell, so the next cell holds raw HTML).
var hostileNames = []string{
	"a`|<img src=https://evil.example/px.png><a href=https://evil.example/login>Click to re-auth</a>`b",
	"``|<img src=x>`` x ` | <img src=y>",
	"x | <script>alert(1)</script> | y",
	"[click](https://evil.example) ![p](https://evil.example/p.png) https://evil.example www.evil.example <https://evil.example>",
	"\\`|<img src=x>\\` \\\\`|<img src=z>`",
	"</td><td><img src=x onerror=alert(1)>",
	"&lt;img src=x&gt; &#60;b&#62; ~~del~~ **b** _i_ <details open>",
	"`a|b` trailing \\",
	"`",
}

// TestReportRendersNoForeignMarkup renders the Markdown report of every
// fixture journal with hostile names where the APIs put names (the key,
// its project and owner, the replacement's service account, every target
// and alert location), as GitHub would (goldmark with its GFM
// extensions), and finds no element respond did not write, and every name
// whole in one cell, item or paragraph.
func TestReportRendersNoForeignMarkup(t *testing.T) {
	pb, err := os.ReadFile(filepath.Join("testdata", "leaked-key.playbook.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fixture := range fixtures {
		raw, err := os.ReadFile(filepath.Join("testdata", fixture+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range hostileNames {
			// JSON-escaped, as the journal holds it.
			q, _ := json.Marshal(name)
			esc := string(q[1 : len(q)-1])
			src := strings.NewReplacer(
				`"prod-backend"`, `"`+esc+`"`, // the key's name
				"(prod-backend)", "("+esc+")",
				`"Bob Smith"`, `"`+esc+` owner"`,
				`"Acme production"`, `"`+esc+` project"`,
				"acme/api", "acme/"+esc,
				".env", esc+".env",
			).Replace(string(raw))
			recs, err := journal.Read(strings.NewReader(src))
			if err != nil {
				t.Fatalf("%s with name %d: %v", fixture, i, err)
			}
			r, err := FromJournal(fixtureID, recs, pb)
			if err != nil {
				t.Fatal(err)
			}
			md := render(t, r, Markdown)
			var want []string
			if strings.Contains(string(raw), `"Bob Smith"`) {
				want = append(want, name+" owner")
			}
			if r.Key != nil && r.Key.Name != "" {
				want = append(want, name)
			}
			for _, p := range gfmtest.Check(md, want...) {
				t.Errorf("%s with name %q: %s", fixture, name, p)
			}
		}
	}
}

// TestEveryFieldRendersNoForeignMarkup sets every string of a report (the
// model's every field, whatever the template does with it) to each
// hostile name in turn: the template has no field through which markup
// gets out.
func TestEveryFieldRendersNoForeignMarkup(t *testing.T) {
	for _, fixture := range fixtures {
		for _, name := range hostileNames {
			_, r := loadFixture(t, fixture)
			setStrings(reflect.ValueOf(r), name)
			for _, p := range gfmtest.Check(render(t, r, Markdown), name) {
				t.Errorf("%s, every string %q: %s", fixture, name, p)
			}
		}
	}
}

// setStrings sets every settable string reachable from v to s.
func setStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			setStrings(v.Elem(), s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				setStrings(v.Field(i), s)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			setStrings(v.Index(i), s)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(s)
		}
	}
}

// TestCodeSpansInTables: a value with | is a code span that stays in its
// cell, in a table as in a paragraph, and reads the same.
func TestCodeSpansInTables(t *testing.T) {
	for _, v := range []string{"a|b", "|x|", "a`|`b", "||"} {
		md := "| k | v |\n|---|---|\n| x | " + mdCode(v) + " |\n\n" + mdCode(v) + "\n"
		out, err := gfmtest.Render([]byte(md))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range gfmtest.Check([]byte(md)) {
			t.Errorf("%q: %s", v, p)
		}
		// The cell and the paragraph both hold exactly v as text.
		cells := strings.Count(out, "<td>")
		if cells != 2 {
			t.Errorf("%q: %d cells in the row, want 2:\n%s", v, cells, out)
		}
		if problems := gfmtest.Check([]byte(md), v); len(problems) > 0 {
			t.Errorf("%q: %v\n%s", v, problems, out)
		}
	}
}

// TestSpansAndLit: respond's sentences mark code with backticks; a value
// written with lit cannot open or close a span.
func TestSpansAndLit(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"run `respond resume X` now", "run `respond resume X` now"},
		{"key " + lit("a`|<img>`b") + " failed; run `respond resume X`", "key a\\`\\|\\<img\\>\\`b failed; run `respond resume X`"},
		{"path " + lit(`C:\dir\`) + " then `code`", `path C:\\dir\\ then ` + "`code`"},
		{"unmatched ` tick", "unmatched \\` tick"},
		{"empty `` span", "empty  span"},
	} {
		if got := mdInline(tc.in); got != tc.want {
			t.Errorf("mdInline(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := string(inlineCode("key " + lit("a`b") + " `x<y`")); got != "key a`b <code>x&lt;y</code>" {
		t.Errorf("inlineCode = %q", got)
	}
}
