// Package iostreams holds the process's standard streams, what is known
// about them (terminal or not, colour or not) and the secret masking that
// wraps every output.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // masked
	ErrOut io.Writer // masked

	Secrets *secret.Registry

	stdinTTY, stdoutTTY, stderrTTY bool
	colorEnabled                   bool
	neverPrompt                    bool
	flushers                       []flusher
	stdoutFd                       int
	width                          int
}

type flusher interface{ Flush() error }

// System returns streams over the process's stdin, stdout and stderr, with
// every output masked through a new secret registry, then cleaned of any
// control character or escape sequence but respond's own colours (the last
// line of defence against terminal escapes in data from an API: the API
// clients clean what they receive).
func System() *IOStreams {
	reg := secret.NewRegistry()
	safeOut, safeErr := textsafe.NewWriter(os.Stdout), textsafe.NewWriter(os.Stderr)
	out := secret.NewWriter(safeOut, reg)
	errOut := secret.NewWriter(safeErr, reg)
	s := &IOStreams{
		In: os.Stdin, Out: out, ErrOut: errOut, Secrets: reg,
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		flushers:  []flusher{out, errOut, safeOut, safeErr},
		stdoutFd:  int(os.Stdout.Fd()),
	}
	s.colorEnabled = s.stdoutTTY && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	return s
}

// Test returns streams over buffers, none a terminal.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	reg := secret.NewRegistry()
	o, e := secret.NewWriter(out, reg), secret.NewWriter(errOut, reg)
	return &IOStreams{In: in, Out: o, ErrOut: e, Secrets: reg, flushers: []flusher{o, e}, stdoutFd: -1}, in, out, errOut
}

// Flush writes out anything the masking writers held back.
func (s *IOStreams) Flush() {
	for _, f := range s.flushers {
		_ = f.Flush()
	}
}

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetTTY overrides terminal detection (tests).
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// ColorEnabled: only on a terminal, and never with NO_COLOR set.
func (s *IOStreams) ColorEnabled() bool { return s.colorEnabled }

// SetColorEnabled overrides colour detection.
func (s *IOStreams) SetColorEnabled(v bool) { s.colorEnabled = v }

// SetNeverPrompt forbids prompts (--yes, --output json).
func (s *IOStreams) SetNeverPrompt(v bool) { s.neverPrompt = v }

// CanPrompt: prompts only when both stdin and stdout are terminals.
func (s *IOStreams) CanPrompt() bool {
	return !s.neverPrompt && s.stdinTTY && s.stdoutTTY
}

// TerminalWidth is the width of the terminal on stdout, or 0 when stdout
// is not a terminal (output then is not fitted to any width).
func (s *IOStreams) TerminalWidth() int {
	if !s.stdoutTTY || s.stdoutFd < 0 {
		return s.width
	}
	if w, _, err := term.GetSize(s.stdoutFd); err == nil && w > 0 {
		return w
	}
	return 120
}

// SetTerminalWidth overrides the width (tests).
func (s *IOStreams) SetTerminalWidth(w int) { s.width = w; s.stdoutFd = -1 }
