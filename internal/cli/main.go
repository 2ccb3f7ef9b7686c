// Package cli is respond's command line: thin cobra commands that parse
// flags, build options and call the engine.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/respondhq/respond/internal/childproc"
	"github.com/respondhq/respond/internal/ui"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/secret"
)

// Main runs respond with the process's arguments and streams and returns
// the exit code.
//
// Ctrl-C, SIGTERM, a hang-up (SIGHUP: the terminal or SSH session went
// away) and a closed output pipe (SIGPIPE with nobody reading standard
// output or standard error: `respond … | head`; outputGone) all stop a
// run the same way: the step in flight is left open in the journal, the
// report is written, and `respond resume` continues. The exit code is
// 128 + the signal's number (130 for Ctrl-C).
func Main() int {
	if len(os.Args) > 1 && os.Args[1] == childproc.SupervisorArg {
		return childproc.Supervise(os.Args[2:])
	}
	harden(os.Args[0])
	ios := iostreams.System()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGPIPE && !outputGone() {
				// A socket's peer went away, not respond's reader: the
				// write that raised it fails with EPIPE on its own.
				continue
			}
			cancel(&SignalError{Signal: sig})
		}
	}()
	code := Run(ctx, NewFactory(ios), os.Args[1:])
	var se *SignalError
	if code == ExitInterrupted && errors.As(context.Cause(ctx), &se) {
		return se.ExitCode()
	}
	return code
}

// SignalError is why a run stopped when a signal stopped it.
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string {
	switch e.Signal {
	case os.Interrupt:
		return "interrupted (Ctrl-C)"
	case syscall.SIGTERM:
		return "stopped by SIGTERM"
	case syscall.SIGHUP:
		return "stopped by SIGHUP (the terminal or SSH session went away)"
	case syscall.SIGPIPE:
		return "stopped by SIGPIPE (the program reading respond's output went away)"
	}
	return "stopped by " + e.Signal.String()
}

// Is makes a signal count as a cancellation.
func (e *SignalError) Is(target error) bool { return target == context.Canceled }

// ExitCode is 128 + the signal's number, as shells report it.
func (e *SignalError) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return ExitInterrupted
}

// printError writes the run's error: at a terminal (width > 0) each of
// its lines wraps under itself; elsewhere as it is, for grep and logs.
func printError(w io.Writer, msg string, width int) {
	if width <= 0 {
		fmt.Fprintln(w, msg)
		return
	}
	for _, line := range strings.Split(msg, "\n") {
		rest := strings.TrimLeft(line, " ")
		lead := line[:len(line)-len(rest)] // the line's own indent, kept
		if rest == "" {
			fmt.Fprintln(w)
			continue
		}
		for _, l := range ui.Wrap(keepCode(rest), max(width-len(lead), 20), 2) {
			fmt.Fprintln(w, lead+strings.ReplaceAll(l, codeSpace, " "))
		}
	}
}

// codeSpace stands for a space inside a `command` while an error wraps, so
// that a command to copy stays whole on one line (when it fits one).
const codeSpace = "\uE000"

// keepCode joins the words of each backquoted span of s with codeSpace.
func keepCode(s string) string {
	parts := strings.Split(s, "`")
	for i := 1; i < len(parts); i += 2 {
		if i < len(parts)-1 { // a closed span
			parts[i] = strings.ReplaceAll(parts[i], " ", codeSpace)
		}
	}
	return strings.Join(parts, "`")
}

// signalled words an error that is only the context's cancellation by a
// signal (a prompt, a listing, a request cut short) as that signal, with
// the interrupted exit code (128 + the signal's number, from main): not
// "context canceled" and exit 1.
func signalled(ctx context.Context, err error) error {
	var se *SignalError
	if !errors.Is(err, context.Canceled) || !errors.As(context.Cause(ctx), &se) || ExitCode(err) != ExitFailed {
		return err
	}
	return &StoppedError{Signal: se}
}

// StoppedError is a command stopped by a signal outside a response (a
// prompt before the plan, a listing): the signal's words, and the
// interrupted exit code.
type StoppedError struct{ Signal *SignalError }

func (e *StoppedError) Error() string { return e.Signal.Error() }
func (e *StoppedError) Unwrap() error { return e.Signal }

// Run executes one command line. No panic escapes: it is reported as a bug
// without a stack trace on the terminal (the trace goes to a file).
func Run(ctx context.Context, f *Factory, args []string) (code int) {
	ios := f.IO
	defer ios.Flush()
	es := &errStream{Writer: ios.ErrOut, secrets: ios.Secrets}
	ios.ErrOut = es
	defer func() { ios.ErrOut = es.Writer }()
	defer func() {
		if r := recover(); r != nil {
			// The panic value may quote a secret: it is masked on the
			// terminal and in the crash file, which users attach to reports.
			msg := ios.Secrets.MaskString(fmt.Sprint(r))
			path := writeCrash(msg)
			fmt.Fprintf(ios.ErrOut, "respond: internal error: %v\nThis is a bug in respond. Details were written to %s; please attach them to a bug report.\nIf an incident was running, continue it with `respond resume ID` (see `respond incidents`).\n", msg, path)
			code = ExitFailed
			if f.JSON() && !f.wroteJSON {
				_ = writeJSON(f, jsonError{Error: "internal error (a bug in respond): " + msg + "; details in " + path, ExitCode: code})
			}
		}
	}()
	if err := refuseSecretArgs(args); err != nil {
		fmt.Fprintln(ios.ErrOut, "respond: "+err.Error())
		return ExitCode(err)
	}
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	err = signalled(ctx, err)
	code = ExitCode(err)
	msg := ""
	var se *SilentError
	if !errors.As(err, &se) {
		msg = ios.Secrets.MaskString(err.Error())
		printError(ios.ErrOut, "respond: "+ios.Secrets.MaskString(es.unrepeated(err)), ios.TerminalWidth())
	}
	if (f.JSON() || (f.Output == "text" && wantsJSON(root, args))) && !f.wroteJSON {
		// Programs read stdout: they get the error too, once.
		if msg == "" {
			msg = "the problems are listed on standard error"
		}
		_ = writeJSON(f, jsonError{Error: msg, ExitCode: code})
	}
	return code
}

// errStream is standard error for one command line. The run's view tells
// it which step errors it has shown in full, so that the final message
// does not print them a second time.
type errStream struct {
	io.Writer
	secrets *secret.Registry
	mu      sync.Mutex
	shown   map[string]bool // masked messages
}

// Unwrap is the stream beneath the masking writer (a terminal, for
// prompts), as for the masking writer itself.
func (s *errStream) Unwrap() io.Writer { return unwrapWriter(s.Writer) }

// errorShown records that msg (masked) was shown in full.
func (s *errStream) errorShown(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown == nil {
		s.shown = map[string]bool{}
	}
	s.shown[msg] = true
}

// unrepeated is err's message for the last line, without the cause of a
// failed step when it is already on the screen: "step preflight failed
// (see above)" and what to do next.
func (s *errStream) unrepeated(err error) string {
	msg := err.Error()
	var stepErr *engine.StepError
	if !errors.As(err, &stepErr) || stepErr.Err == nil {
		return msg
	}
	s.mu.Lock()
	shown := s.shown[s.secrets.MaskString(stepErr.Err.Error())]
	s.mu.Unlock()
	if !shown {
		return msg
	}
	return strings.Replace(msg, " failed: "+stepErr.Err.Error(), " failed (see above)", 1)
}

// jsonError is what stdout holds under --output json when a command fails
// before writing its own result.
type jsonError struct {
	Error    string `json:"error"`
	ExitCode int    `json:"exit_code"`
}

// wantsJSON finds --output json on a command line whose flags were not
// all parsed (a bad flag before it stops parsing), unless the command has
// an --output of its own (`respond report -o FILE`).
func wantsJSON(root *cobra.Command, args []string) bool {
	if cmd, _, err := root.Find(args); err == nil && cmd != nil {
		if fl := cmd.LocalNonPersistentFlags().Lookup("output"); fl != nil {
			return false
		}
	}
	for i, a := range args {
		next := ""
		if i+1 < len(args) {
			next = args[i+1]
		}
		switch {
		case a == "--":
			return false
		case a == "--output" || a == "-o":
			if next == "json" {
				return true
			}
		case a == "--output=json" || a == "-o=json" || a == "-ojson":
			return true
		}
	}
	return false
}

func writeCrash(r any) string {
	f, err := os.CreateTemp("", "respond-crash-*.txt")
	if err != nil {
		return "(could not write crash file)"
	}
	defer f.Close()
	// The stack holds no secret values: secrets live behind pointers in
	// secret.Value, which stack traces print as addresses.
	fmt.Fprintf(f, "panic: %v\n\n%s", r, debug.Stack())
	return f.Name()
}
