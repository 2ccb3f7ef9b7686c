package dotenv

import (
	"strings"
	"testing"
)

// FuzzUpdate feeds arbitrary files and values to the parser and to update:
// neither may panic, every assignment's offsets must be in order and in
// range, and a successful update must read back as the new value while
// every other variable keeps its value and the bytes outside replaced
// values are kept.
func FuzzUpdate(f *testing.F) {
	for _, s := range []string{
		"", "A=1\n", "export A='x' # c\r\nB=\"y\\\"z\"\n", "A=\"multi\nline\"\nB=2", "A=\"open\nB=2\n",
		"# c\n\n  A = b #x\n=1\nexport\nexport =1\n", "A='a\nb'\n", "A=\\\nB=\"\\\\\"",
		"\ufeffA=1\nB=2\n", "A='oops\n", "\ufeff\r\nA=\"x\"\r\n",
	} {
		f.Add(s, "A", "new value")
		f.Add(s, "B", "sk-proj-abc_DEF-123")
	}
	f.Fuzz(func(t *testing.T, src, name, value string) {
		as := parse(src)
		prev := 0
		for _, a := range as {
			if a.valStart < prev || a.valEnd < a.valStart || a.valEnd > len(src) || a.line < 1 {
				t.Fatalf("bad assignment %+v in %q", a, src)
			}
			prev = a.valEnd
		}
		if !ValidName(name) || value == "" {
			return
		}
		out, lines, err := update(src, name, value)
		if err != nil {
			return
		}
		for _, a := range as {
			if a.unterminated {
				t.Fatalf("a file with an unterminated quote was rewritten: %q -> %q", src, out)
			}
		}
		if strings.HasPrefix(src, bom) && !strings.HasPrefix(out, bom) {
			t.Fatalf("the byte order mark was lost: %q -> %q", src, out)
		}
		after := lastValues(parse(out))
		if after[name] != value {
			t.Fatalf("%s reads back %q, want %q\nsrc %q\nout %q", name, after[name], value, src, out)
		}
		for k, v := range lastValues(as) {
			if k != name && after[k] != v {
				t.Fatalf("%s changed from %q to %q", k, v, after[k])
			}
		}
		if len(lines) == 0 && (len(out) < len(src) || out[:len(src)] != src) {
			t.Fatalf("appending changed the existing bytes: %q -> %q", src, out)
		}
	})
}
