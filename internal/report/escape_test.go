package report

import (
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/report/gfmtest"
)

func TestMarkdownEscaping(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"prod-backend key_abc_def", "prod-backend key_abc_def"},
		{"# Heading\n- item", `\# Heading - item`},
		{"[click](https://evil.example/x)", `\[click\](https\://evil.example/x)`},
		{"![](https://evil.example/p.png)", `\!\[\](https\://evil.example/p.png)`},
		{"<img src=x onerror=alert(1)>", `\<img src=x onerror=alert(1)\>`},
		{"a|b `c` *d* _e_ ~f~ &amp; www.evil.example bob@x.example", `a\|b \` + "`" + `c\` + "`" + ` \*d\* \_e\_ \~f\~ \&amp; www\.evil.example bob\@x.example`},
		{"back\\slash", `back\\slash`},
		{"esc\x1b]0;t\x07", `esc\]0;t`},
	} {
		if got := mdText(tc.in); got != tc.want {
			t.Errorf("mdText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"key_abc", "`key_abc`"},
		{"a`b", "``a`b``"},
		{"`x`", "`` `x` ``"},
		{"", "—"},
		{"two\nlines", "`two lines`"},
	} {
		if got := mdCode(tc.in); got != tc.want {
			t.Errorf("mdCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got, want := mdInline("run `respond resume X` at <b>"), "run `respond resume X` at \\<b\\>"; got != want {
		t.Errorf("mdInline = %q, want %q", got, want)
	}
	if got := mermaidText("a: b; c # {d} `e` %%{init}%% <br>\nnext"); strings.ContainsAny(got, ":;#{}`%<>\n") {
		t.Errorf("mermaidText kept syntax: %q", got)
	}
}

func FuzzMarkdownEscaping(f *testing.F) {
	f.Add("[a](b) <c> ![d](e) `f` \\ # g")
	f.Add("a`|<img src=https://evil.example/px.png><a href=https://evil.example/login>Click</a>`b")
	f.Add("\\`|<img src=x>\\` ``|<b>``")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{mdText(s), mdInline(s), cell(s)} {
			if strings.ContainsAny(out, "\n\r\x1b") {
				t.Fatalf("line break or escape kept: %q -> %q", s, out)
			}
			// Outside code spans, every <, [ and ! is escaped.
			plain := out
			if i := strings.IndexByte(out, '`'); i >= 0 && out != mdText(s) {
				plain = out[:i]
			}
			for i := 0; i < len(plain); i++ {
				if plain[i] == '\\' {
					i++
					continue
				}
				if strings.IndexByte("<[]!|", plain[i]) >= 0 {
					t.Fatalf("unescaped %q in %q (from %q)", plain[i], out, s)
				}
			}
		}
		c := mdCode(s)
		if strings.ContainsAny(c, "\n\r") {
			t.Fatalf("code span spans lines: %q", c)
		}
		// As GitHub renders them, in a table cell and in a paragraph: no
		// element respond did not write.
		for _, out := range []string{val(s), cell(s), c, mdInline(s)} {
			md := "| k | v | w |\n|---|---|---|\n| x | " + out + " | y |\n\n" + out + "\n"
			if p := gfmtest.Check([]byte(md)); len(p) > 0 {
				t.Fatalf("%q -> %q: %v", s, out, p)
			}
		}
	})
}
