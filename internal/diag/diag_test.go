package diag

import (
	"bytes"
	"strings"
	"testing"
)

func TestPosString(t *testing.T) {
	tests := map[Pos]string{
		{File: "a.yaml", Line: 3, Col: 7}: "a.yaml:3:7",
		{File: "a.yaml", Line: 3}:         "a.yaml:3",
		{File: "a.yaml"}:                  "a.yaml",
		{Line: 1, Col: 2}:                 "<input>:1:2",
	}
	for p, want := range tests {
		if got := p.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", p, got, want)
		}
	}
}

func TestErr(t *testing.T) {
	var d Diagnostics
	if d.HasErrors() || d.Err() != nil {
		t.Fatal("empty diagnostics report an error")
	}
	d = append(d, Warningf(Pos{File: "p.yaml", Line: 1, Col: 1}, "", "just a warning"))
	if d.HasErrors() || d.Err() != nil {
		t.Fatal("a warning is not an error")
	}
	d = append(d,
		Errorf(Pos{File: "p.yaml", Line: 9, Col: 2}, "fix it", "second %s", "problem"),
		Errorf(Pos{File: "p.yaml", Line: 2, Col: 5}, "", "first problem"),
	)
	err := d.Err()
	if err == nil {
		t.Fatal("no error")
	}
	want := "p.yaml:2:5: first problem\np.yaml:9:2: second problem"
	if err.Error() != want {
		t.Errorf("Err() = %q, want %q", err, want)
	}
	got, ok := AsDiagnostics(err)
	if !ok || len(got) != 3 {
		t.Errorf("AsDiagnostics = %v, %v", got, ok)
	}
	if d[1].Summary != "second problem" {
		t.Error("Err must not reorder the receiver")
	}
}

func TestRender(t *testing.T) {
	src := []byte("name: x\nsteps:\n  - id: a\n    uses: exex\n\tx: ü é\n")
	d := Diagnostics{
		{Severity: Warning, Pos: Pos{File: "playbook.yaml", Line: 5, Col: 6}, EndCol: 7, Summary: "after a tab", Detail: "line one\nline two"},
		{Severity: Error, Pos: Pos{File: "playbook.yaml", Line: 4, Col: 11}, EndCol: 15, Summary: `unknown step kind "exex"`, Detail: `did you mean "exec"? Known kinds: approve, exec, note.`},
		{Severity: Error, Pos: Pos{File: "other.yaml", Line: 1, Col: 1}, Summary: "no source"},
	}
	var b bytes.Buffer
	d.Render(&b, map[string][]byte{"playbook.yaml": src}, false)
	want := `other.yaml:1:1: error: no source

playbook.yaml:4:11: error: unknown step kind "exex"
    4 |     uses: exex
      |           ^^^^
   hint: did you mean "exec"? Known kinds: approve, exec, note.

playbook.yaml:5:6: warning: after a tab
    5 | 	x: ü é
      | 	    ^
   hint: line one
         line two
`
	if b.String() != want {
		t.Errorf("Render:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	d.Render(&b, nil, true)
	if !strings.Contains(b.String(), "\x1b[1;31merror\x1b[0m") || !strings.Contains(b.String(), "\x1b[1;33mwarning") {
		t.Errorf("no colour in %q", b.String())
	}
	b.Reset()
	d.Render(&b, map[string][]byte{"playbook.yaml": src}, false)
	if strings.Contains(b.String(), "\x1b") {
		t.Error("colour without color=true")
	}
}

func TestRenderOutOfRange(t *testing.T) {
	d := Diagnostics{{Pos: Pos{File: "f", Line: 99, Col: 3}, Summary: "past the end"}, {Pos: Pos{File: "f", Line: 1, Col: 40}, Summary: "past the line"}}
	var b bytes.Buffer
	d.Render(&b, map[string][]byte{"f": []byte("short\n")}, false)
	if !strings.Contains(b.String(), "f:99:3: error: past the end\n") || !strings.Contains(b.String(), "    1 | short\n      | "+strings.Repeat(" ", 39)+"^\n") {
		t.Errorf("got:\n%s", b.String())
	}
}

func TestSplitLines(t *testing.T) {
	got := SplitLines("a\r\nb\rc\n\nd\n")
	want := []string{"a", "b", "c", "", "d"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("SplitLines = %q, want %q", got, want)
	}
	var b bytes.Buffer
	Diagnostics{{Pos: Pos{File: "f", Line: 3, Col: 2}, Summary: "x"}}.Render(&b, map[string][]byte{"f": []byte("a\rb\r\ncd")}, false)
	if !strings.Contains(b.String(), "    3 | cd\n      |  ^\n") {
		t.Errorf("got:\n%s", b.String())
	}
}
