// Package cli is respond's command line: thin cobra commands that parse
// flags, build options and call the engine.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/respondhq/respond/internal/iostreams"
)

// Main runs respond with the process's arguments and streams and returns
// the exit code.
//
// Ctrl-C, SIGTERM, a hang-up (SIGHUP: the terminal or SSH session went
// away) and a closed output pipe (SIGPIPE: `respond … | head`) all stop a
// run the same way: the step in flight is left open in the journal, the
// report is written, and `respond resume` continues. The exit code is
// 128 + the signal's number (130 for Ctrl-C).
func Main() int {
	ios := iostreams.System()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
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

// Run executes one command line. No panic escapes: it is reported as a bug
// without a stack trace on the terminal (the trace goes to a file).
func Run(ctx context.Context, f *Factory, args []string) (code int) {
	ios := f.IO
	defer ios.Flush()
	defer func() {
		if r := recover(); r != nil {
			// The panic value may quote a secret: it is masked on the
			// terminal and in the crash file, which users attach to reports.
			msg := ios.Secrets.MaskString(fmt.Sprint(r))
			path := writeCrash(msg)
			fmt.Fprintf(ios.ErrOut, "respond: internal error: %v\nThis is a bug in respond. Details were written to %s; please attach them to a bug report.\nIf an incident was running, continue it with `respond resume ID` (see `respond incidents`).\n", msg, path)
			code = ExitFailed
		}
	}()
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var se *SilentError
	if !errors.As(err, &se) {
		fmt.Fprintln(ios.ErrOut, "respond: "+ios.Secrets.MaskString(err.Error()))
	}
	return ExitCode(err)
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
