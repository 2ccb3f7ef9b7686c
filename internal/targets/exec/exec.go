// Package exec is respond's `exec` target type: a command that stores the
// credential where respond has no writer of its own (a script that puts it
// in a vault, say). The command runs as respond runs every program
// (internal/childproc): never through a shell; the value on its standard
// input only, never in its argv or environment; respond's own credentials
// removed from its environment; in its own process group, stopped when the
// target's timeout (default 30s) passes. docs/inventory.md documents it.
package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/childproc"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// Type is the target type's name.
const Type = "exec"

// DefaultTimeout is how long the command may run when the target gives no
// timeout; MaxTimeout bounds the one it gives.
const (
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = time.Hour
)

func init() { target.Register(Spec()) }

// Spec is what the exec target type declares.
func Spec() target.Spec {
	return target.Spec{
		Type:    Type,
		Title:   "command",
		Summary: "a command that stores the value it gets on standard input (never in its arguments or environment)",
		Fields: []target.Field{
			{Name: "command", Kind: target.List, Required: true, Program: true,
				Doc: "the program first, then its arguments: [./scripts/store-key.sh, --env, prod]; it is never run through a shell"},
			{Name: "timeout", Kind: target.Duration, MaxDuration: MaxTimeout.String(),
				Doc: "how long it may run (default 30s, at most 1h)"},
		},
		Example: "- exec: {command: [./scripts/store-key.sh], timeout: 30s}",
		Holds:   true,
		ID:      func(t target.Target) string { return Type + ":" + strings.Join(t.List("command"), " ") },
		Describe: func(t target.Target, short func(string) string) (string, string, string) {
			cmd := t.List("command")
			cmd = append([]string{short(cmd[0])}, cmd[1:]...)
			timeout := t.Str("timeout")
			if timeout == "" {
				timeout = DefaultTimeout.String()
			}
			return strings.Join(cmd, " "), "-", "value on stdin; timeout " + timeout
		},
		New:           func(*plugin.Env) target.Writer { return Writer{} },
		FakeElsewhere: "a recording child program (internal/childproc/childtest), in internal/targets/exec's tests",
	}
}

// Writer hands a credential to a command. It runs in respond's working
// directory. A program containing a slash is a path (the inventory makes it
// absolute); any other is looked up in PATH. The command must be safe to
// run twice with the same value: deploys are retried and re-applied on
// resume.
type Writer struct {
	// WaitDelay is how long the command has to exit after SIGTERM. Zero
	// means 5s.
	WaitDelay time.Duration
}

var _ target.Writer = Writer{}

// timeout is the target's timeout, or the default.
func timeout(t target.Target) (time.Duration, error) {
	s := t.Str("timeout")
	if s == "" {
		return DefaultTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, step.Errorf("exec target %s: timeout %q is not a positive duration; write e.g. 30s or 2m", t.ID(), s)
	}
	return d, nil
}

// Check implements target.Writer: the program exists and is executable,
// and the timeout is valid.
func (Writer) Check(_ context.Context, t target.Target) error {
	if _, err := timeout(t); err != nil {
		return err
	}
	prog := t.List("command")[0]
	if !strings.ContainsAny(prog, `/\`) {
		if _, err := osexec.LookPath(prog); err != nil {
			return target.Preflightf(nil, "program %s is not in PATH; install it, or give its path (with a slash, e.g. ./%s)", prog, prog)
		}
		return nil
	}
	abs, err := filepath.Abs(prog)
	if err != nil {
		return fmt.Errorf("cannot resolve program %s: %v", prog, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return target.Preflightf(nil, "program %s does not exist; fix the command's path", abs)
	case err != nil:
		return fmt.Errorf("cannot inspect program %s: %v", abs, err)
	case fi.IsDir():
		return target.Preflightf(nil, "program %s is a directory; fix the command's path", abs)
	}
	if _, err := osexec.LookPath(abs); err != nil {
		return target.Preflightf(nil, "program %s is not executable; make it so (chmod +x %s)", abs, abs)
	}
	return nil
}

// Plan implements target.Writer.
func (Writer) Plan(_ context.Context, t target.Target) (step.Change, error) {
	d, err := timeout(t)
	if err != nil {
		return step.Change{}, err
	}
	return step.Change{Action: step.Update, Target: t.ID(),
		Effect: fmt.Sprintf("run %s with the new value on stdin (timeout %s)", childproc.DisplayArgv(t.List("command")), d)}, nil
}

// Write implements target.Writer. A non-zero exit is an error that quotes
// the end of the command's standard error, with any secret masked.
func (w Writer) Write(ctx context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	d, err := timeout(t)
	if err != nil {
		return target.WriteResult{}, err
	}
	// The value is registered so that it is masked in whatever the command
	// prints and kept out of its environment, and no argument may hold it;
	// so is every other secret of the run (the admin key, tokens, the
	// leaked key), whatever variable holds it in respond's environment.
	reg := secret.FromContext(ctx)
	if reg == nil {
		reg = secret.NewRegistry()
	}
	reg.Add(v)
	argv := t.List("command")
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	shown := childproc.DisplayArgv(argv)
	r, err := childproc.Run(ctx, argv, childproc.Options{Stdin: &v, Secrets: reg, Scrub: plugin.IsCredentialEnv, WaitDelay: w.WaitDelay})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return target.WriteResult{}, fmt.Errorf("exec target %s did not finish within its timeout of %s and was stopped; raise `timeout` in the inventory or fix the command: %w", shown, d, err)
		}
		return target.WriteResult{}, err
	}
	if r.ExitCode != 0 {
		return target.WriteResult{}, fmt.Errorf("exec target %s %s%s", shown, r.DescribeExit(), r.StderrSuffix(reg.MaskString))
	}
	return target.WriteResult{Detail: fmt.Sprintf("%s exited 0 in %s", shown, r.Duration.Round(time.Millisecond))}, nil
}
