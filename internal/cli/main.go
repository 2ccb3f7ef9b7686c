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
	"github.com/respondhq/respond/steps"
)

// Main runs respond with the process's arguments and streams and returns
// the exit code.
func Main() int {
	if len(os.Args) > 1 && os.Args[1] == steps.SupervisorArg {
		return steps.Supervise(os.Args[2:])
	}
	harden(os.Args[0])
	ios := iostreams.System()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, NewFactory(ios), os.Args[1:])
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
