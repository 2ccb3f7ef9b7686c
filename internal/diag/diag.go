// Package diag reports problems in user-written files (playbooks,
// inventories) with their source position, all at once.
//
// Functions that check a file return Diagnostics rather than stopping at
// the first problem; callers check HasErrors or Err, and show the problems
// to a human with Render.
package diag

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Severity says whether a diagnostic stops the file from being used.
type Severity int

const (
	// Error: the file cannot be used until it is fixed.
	Error Severity = iota
	// Warning: the file can be used, but probably does not mean what it says.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Pos is a position in a source file. Line and Col are 1-based; Col counts
// characters (Unicode code points), as editors do. A zero Line means the
// position is the whole file.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// String returns "file:line:col", omitting the parts that are unknown.
func (p Pos) String() string {
	s := p.File
	if s == "" {
		s = "<input>"
	}
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
		if p.Col > 0 {
			s += ":" + strconv.Itoa(p.Col)
		}
	}
	return s
}

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Pos      Pos      `json:"pos"`
	// EndCol is the column just after the offending text on Pos.Line, or 0
	// when only the start is known (one caret is drawn).
	EndCol  int    `json:"end_col,omitempty"`
	Summary string `json:"summary"` // what is wrong, one line, lower case, no final period
	Detail  string `json:"hint"`    // what to do about it (shown as "hint:")
}

// MarshalText writes "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String returns "file:line:col: severity: summary".
func (d Diagnostic) String() string {
	return d.Pos.String() + ": " + d.Severity.String() + ": " + d.Summary
}

// Errorf returns an error diagnostic at pos, with a summary formatted from
// format and args and detail saying what to do.
func Errorf(pos Pos, detail string, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Error, Pos: pos, Summary: fmt.Sprintf(format, args...), Detail: detail}
}

// Warningf is Errorf for a warning.
func Warningf(pos Pos, detail string, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Warning, Pos: pos, Summary: fmt.Sprintf(format, args...), Detail: detail}
}

// Diagnostics is a list of problems.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if x.Severity == Error {
			return true
		}
	}
	return false
}

// Sort orders the diagnostics by file, line and column, keeping the
// original order of diagnostics at the same position.
func (d Diagnostics) Sort() {
	slices.SortStableFunc(d, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
		)
	})
}

type diagError struct{ d Diagnostics }

func (e *diagError) Error() string {
	var b strings.Builder
	n := 0
	for _, x := range e.d {
		if x.Severity != Error {
			continue
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		n++
		b.WriteString(x.Pos.String())
		b.WriteString(": ")
		b.WriteString(x.Summary)
	}
	return b.String()
}

// Diagnostics returns every diagnostic, warnings included.
func (e *diagError) Diagnostics() Diagnostics { return e.d }

// Err returns nil if there is no error among d, and otherwise an error whose
// message lists the errors, one "file:line:col: summary" per line, sorted.
// The error's Diagnostics method (see AsDiagnostics) returns them all.
func (d Diagnostics) Err() error {
	if !d.HasErrors() {
		return nil
	}
	c := slices.Clone(d)
	c.Sort()
	return &diagError{d: c}
}

// AsDiagnostics returns the diagnostics carried by an error from Err, so a
// caller can Render them; ok is false for other errors.
func AsDiagnostics(err error) (Diagnostics, bool) {
	e, ok := err.(*diagError)
	if !ok {
		return nil, false
	}
	return e.d, true
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiCyan   = "\x1b[36m"
	ansiBlue   = "\x1b[1;34m"
)

// Render writes every diagnostic for a human, sorted by file, line and
// column, as
//
//	playbook.yaml:12:11: error: unknown step kind "exex"
//	   12 |     uses: exex
//	      |           ^^^^
//	   hint: did you mean "exec"? Known kinds: approve, exec, note.
//
// The source line is shown when sources holds the file. ANSI colour is used
// only when color is true. Blocks are separated by a blank line.
func (d Diagnostics) Render(w io.Writer, sources map[string][]byte, color bool) {
	c := slices.Clone(d)
	c.Sort()
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	var b bytes.Buffer
	for i, x := range c {
		if i > 0 {
			b.WriteByte('\n')
		}
		sev := paint(ansiRed, "error")
		if x.Severity == Warning {
			sev = paint(ansiYellow, "warning")
		}
		fmt.Fprintf(&b, "%s: %s: %s\n", paint(ansiBold, x.Pos.String()), sev, paint(ansiBold, x.Summary))
		if line, ok := sourceLine(sources[x.Pos.File], x.Pos.Line); ok {
			col, end := x.Pos.Col, x.EndCol
			line, col, end = clip(line, col, end)
			x.Pos.Col, x.EndCol = col, end
			num := strconv.Itoa(x.Pos.Line)
			gutter := max(5, len(num)+3)
			fmt.Fprintf(&b, "%*s %s %s\n", gutter, num, paint(ansiBlue, "|"), line)
			if x.Pos.Col > 0 {
				fmt.Fprintf(&b, "%*s %s %s\n", gutter, "", paint(ansiBlue, "|"), paint(ansiRed, caret(line, x.Pos.Col, x.EndCol)))
			}
		}
		if x.Detail != "" {
			hint := strings.ReplaceAll(x.Detail, "\n", "\n         ")
			fmt.Fprintf(&b, "   %s %s\n", paint(ansiCyan, "hint:"), hint)
		}
	}
	w.Write(b.Bytes())
}

// maxShown is the most characters of a source line a diagnostic shows.
const maxShown = 160

// clip shortens a long line to a window of maxShown characters around col
// (a hostile file can hold a line of a megabyte), with … where it was cut,
// and moves col and end to match.
func clip(line string, col, end int) (string, int, int) {
	r := []rune(line)
	if len(r) <= maxShown {
		return line, col, end
	}
	start := max(0, min(col-1-maxShown/2, len(r)-maxShown))
	stop := min(len(r), start+maxShown)
	out := string(r[start:stop])
	shift := start
	if start > 0 {
		out = "…" + out
		shift--
	}
	if stop < len(r) {
		out += "…"
	}
	if end > col {
		end = min(end-shift, stop-shift+1)
	}
	return out, col - shift, end
}

// sourceLine returns line n (1-based) of src without its line ending.
// Lines end with "\n", "\r\n" or a lone "\r", as in YAML.
func sourceLine(src []byte, n int) (string, bool) {
	if src == nil || n < 1 {
		return "", false
	}
	lines := SplitLines(string(src))
	if n > len(lines) {
		return "", false
	}
	s := lines[n-1]
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s, true
}

// SplitLines splits s into lines ending with "\n", "\r\n" or a lone "\r",
// without the line endings. A final line ending does not start a line.
func SplitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

// caret returns the marker line for columns [col, end) of line: the prefix
// keeps the line's tabs so that the carets line up, and at least one caret
// is drawn.
func caret(line string, col, end int) string {
	var b strings.Builder
	n := 1
	for _, r := range line {
		if n >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		n++
	}
	for n < col { // past the end of the line
		b.WriteByte(' ')
		n++
	}
	width := 1
	if end > col {
		width = end - col
	}
	b.WriteString(strings.Repeat("^", width))
	return b.String()
}
