package textsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineAndText(t *testing.T) {
	for _, tc := range []struct{ in, line, text string }{
		{"prod-backend", "prod-backend", "prod-backend"},
		{"évite ☃", "évite ☃", "évite ☃"},
		{"a\x1b]0;pwned\x07b\x1b[2Jc", "a]0;pwnedb[2Jc", "a]0;pwnedb[2Jc"},
		{"x\u009b31my", "x31my", "x31my"},
		{"one\ntwo\tthree", "one two three", "one\ntwo\tthree"},
		{"crlf\r\nnext\rover", "crlf  next over", "crlf\nnext\nover"},
		{"safe\u202egnp.exe", "safegnp.exe", "safegnp.exe"},
		{"bad\xffbyte", "bad\ufffdbyte", "bad\ufffdbyte"},
		{"del\x7f", "del", "del"},
	} {
		if got := Line(tc.in); got != tc.line {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.line)
		}
		if got := Text(tc.in); got != tc.text {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.text)
		}
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "a\x1b[31mb", "\u009b\u202e\r\n", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Line(s), Text(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
			}
			for _, r := range out {
				if r != '\n' && r != '\t' && dangerous(r) {
					t.Fatalf("control %U kept from %q", r, s)
				}
			}
		}
		if strings.ContainsAny(Line(s), "\n\t") {
			t.Fatalf("Line kept a newline or tab: %q", s)
		}
		if Line(Line(s)) != Line(s) || Text(Text(s)) != Text(s) {
			t.Fatalf("not idempotent on %q", s)
		}
	})
}

func TestWriterKeepsColourDropsOtherEscapes(t *testing.T) {
	in := "\x1b[1;32m✓\x1b[0m step \x1b]0;pwned\x07title\x1b[2J\u009b1m\u202eok\r\n"
	want := "\x1b[1;32m✓\x1b[0m step ]0;pwnedtitle[2J1mok\r\n"
	for chunk := 1; chunk <= len(in); chunk++ {
		var b strings.Builder
		w := NewWriter(&b)
		for i := 0; i < len(in); i += chunk {
			w.Write([]byte(in[i:min(len(in), i+chunk)]))
		}
		w.Flush()
		if b.String() != want {
			t.Fatalf("writes of %d: got %q, want %q", chunk, b.String(), want)
		}
	}
}

func FuzzWriter(f *testing.F) {
	f.Add("a\x1b[31mb\x1b]0;x\x07", 3)
	f.Fuzz(func(t *testing.T, s string, chunk int) {
		if chunk <= 0 || chunk > 64 {
			chunk = 5
		}
		var b strings.Builder
		w := NewWriter(&b)
		for i := 0; i < len(s); i += chunk {
			w.Write([]byte(s[i:min(len(s), i+chunk)]))
		}
		w.Flush()
		out := b.String()
		// Every ESC left starts a colour sequence.
		for i := 0; i < len(out); i++ {
			if out[i] == 0x1b {
				if n, _ := sgrLen([]byte(out[i:])); n == 0 {
					t.Fatalf("escape kept in %q (from %q)", out, s)
				}
			} else if out[i] < 0x20 && out[i] != '\n' && out[i] != '\t' && out[i] != '\r' {
				t.Fatalf("control %#x kept in %q", out[i], out)
			}
		}
	})
}
