package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/dotenv"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// DefaultExecTargetTimeout is how long an exec target's command may run
// when the target gives no timeout.
const DefaultExecTargetTimeout = 30 * time.Second

var (
	_ TargetWriter = DotenvWriter{}
	_ TargetWriter = ExecTargetWriter{}
)

// DotenvWriter writes a credential to a .env file (dotenv targets): it
// replaces the variable's value and keeps every other line, the file's
// mode and owner, and writes atomically (see internal/dotenv). Paths are
// used as given; the inventory makes them absolute.
type DotenvWriter struct{}

func checkType(t target.Target, want string) error {
	if t.Type != want {
		return step.Errorf("%s target writer was given a %s target (%s); this is a bug in respond", want, t.Type, t.ID())
	}
	return t.Validate()
}

// resolveDotenv follows the links of t's path and refuses one that leads
// out of the directory tree the inventory names (its own directory, or for
// a path outside it, the path's directory) unless the target says
// follow_symlinks: true: a link in a repository could otherwise point a
// secret at any file the user can write.
func resolveDotenv(t target.Target) (dotenv.Resolved, error) {
	r, err := dotenv.Resolve(t.Path)
	if err != nil || !r.Link || t.FollowSymlinks {
		return r, err
	}
	root := t.Root
	if root == "" || !(dotenv.Resolved{Real: r.Path}).Within(root) {
		root = filepath.Dir(r.Path)
	}
	if !r.Within(root) {
		return r, step.Errorf("%s is a symbolic link to %s, outside %s; respond does not write a secret through a link that leaves the inventory's directory tree: fix the link, give the real path, or add `follow_symlinks: true` to the target", t.Path, r.Real, root)
	}
	return r, nil
}

// exposedError says that a file is readable by others.
func exposedError(t target.Target, r dotenv.Resolved) error {
	return fmt.Errorf("%s is readable by its group or others (mode %04o); writing a secret there exposes it: restrict it (chmod 600 %s), or pass --force to write it anyway", t.Path, r.Mode, r.Real)
}

// Check implements TargetWriter: the path does not lead out of the
// inventory's tree through a link, the file is not readable by its group
// or others, the directory exists and is writable, and the file, if
// present, can be read and written.
func (DotenvWriter) Check(_ context.Context, t target.Target) error {
	if err := checkType(t, target.Dotenv); err != nil {
		return err
	}
	r, err := resolveDotenv(t)
	if err != nil {
		return err
	}
	if r.Exposed() {
		return exposedError(t, r)
	}
	return dotenv.Check(t.Path)
}

// Plan implements TargetWriter. It reads the file to tell whether the
// variable is added or replaced.
func (DotenvWriter) Plan(_ context.Context, t target.Target) (step.Change, error) {
	if err := checkType(t, target.Dotenv); err != nil {
		return step.Change{}, err
	}
	shown := t.Path
	r, err := resolveDotenv(t)
	if err != nil {
		return step.Change{}, err
	}
	if r.Link {
		shown = fmt.Sprintf("%s (a symbolic link to %s)", t.Path, r.Real)
	}
	ch := step.Change{Action: step.Update, Target: t.ID(), Effect: fmt.Sprintf("write the new value to %s (%s)", shown, t.Var)}
	has, err := dotenv.Has(t.Path, t.Var)
	switch {
	case err != nil:
		// Not readable now; the write (or preflight) says why.
	case !has:
		ch.Action = step.Create
		if _, statErr := os.Stat(t.Path); errors.Is(statErr, fs.ErrNotExist) {
			ch.Effect = fmt.Sprintf("create %s (mode 0600) with %s set to the new value", shown, t.Var)
		} else {
			ch.Effect = fmt.Sprintf("add %s with the new value to %s", t.Var, shown)
		}
	default:
		ch.Effect = fmt.Sprintf("replace the value of %s in %s", t.Var, shown)
	}
	if r.Exposed() {
		ch.Effect += fmt.Sprintf("; WARNING: the file is readable by its group or others (mode %04o)", r.Mode)
	}
	return ch, nil
}

// Write implements TargetWriter. Writing the same value twice leaves the
// same file.
func (DotenvWriter) Write(_ context.Context, t target.Target, v secret.Value) (WriteResult, error) {
	if err := checkType(t, target.Dotenv); err != nil {
		return WriteResult{}, err
	}
	// A link out of the tree is refused even with --force; a readable file
	// was refused by preflight unless --force, and is noted here.
	r, err := resolveDotenv(t)
	if err != nil {
		return WriteResult{}, err
	}
	created, err := dotenv.Set(t.Path, t.Var, v)
	if err != nil {
		return WriteResult{}, err
	}
	where := t.Path
	if r.Link {
		where = fmt.Sprintf("%s (through the link %s)", r.Real, t.Path)
	}
	note := ""
	if r.Exposed() {
		note = fmt.Sprintf("; warning: the file is readable by its group or others (mode %04o)", r.Mode)
	}
	if created {
		return WriteResult{Created: true, Detail: fmt.Sprintf("added %s to %s%s", t.Var, where, note)}, nil
	}
	return WriteResult{Detail: fmt.Sprintf("replaced %s in %s%s", t.Var, where, note)}, nil
}

// ExecTargetWriter hands a credential to a command (exec targets), such as
// a script that stores it in a vault. The command runs as the exec step
// runs programs: never through a shell; the value on its standard input
// only, never in its argv or environment; respond's own credentials
// removed from its environment; in its own process group, stopped when
// the target's timeout (default 30s) passes. It runs in respond's working
// directory. A program containing a slash is a path (the inventory makes
// it absolute); any other is looked up in PATH.
//
// The command must be safe to run twice with the same value: deploys are
// retried and re-applied on resume.
type ExecTargetWriter struct {
	// WaitDelay is how long the command has to exit after SIGTERM. Zero
	// means 5s.
	WaitDelay time.Duration
}

// timeout is the target's timeout, or the default.
func execTimeout(t target.Target) (time.Duration, error) {
	if t.Timeout == "" {
		return DefaultExecTargetTimeout, nil
	}
	d, err := time.ParseDuration(t.Timeout)
	if err != nil || d <= 0 {
		return 0, step.Errorf("exec target %s: timeout %q is not a positive duration; write e.g. 30s or 2m", t.ID(), t.Timeout)
	}
	return d, nil
}

// Check implements TargetWriter: the program exists and is executable, and
// the timeout is valid.
func (ExecTargetWriter) Check(_ context.Context, t target.Target) error {
	if err := checkType(t, target.Exec); err != nil {
		return err
	}
	if _, err := execTimeout(t); err != nil {
		return err
	}
	prog := t.Command[0]
	if !strings.ContainsAny(prog, `/\`) {
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Errorf("program %s is not in PATH; install it, or give its path (with a slash, e.g. ./%s)", prog, prog)
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
		return fmt.Errorf("program %s does not exist; fix the command's path", abs)
	case err != nil:
		return fmt.Errorf("cannot inspect program %s: %v", abs, err)
	case fi.IsDir():
		return fmt.Errorf("program %s is a directory; fix the command's path", abs)
	}
	if _, err := exec.LookPath(abs); err != nil {
		return fmt.Errorf("program %s is not executable; make it so (chmod +x %s)", abs, abs)
	}
	return nil
}

// Plan implements TargetWriter.
func (ExecTargetWriter) Plan(_ context.Context, t target.Target) (step.Change, error) {
	if err := checkType(t, target.Exec); err != nil {
		return step.Change{}, err
	}
	d, err := execTimeout(t)
	if err != nil {
		return step.Change{}, err
	}
	return step.Change{Action: step.Update, Target: t.ID(),
		Effect: fmt.Sprintf("run %s with the new value on stdin (timeout %s)", displayArgv(t.Command), d)}, nil
}

// Write implements TargetWriter. A non-zero exit is an error that quotes
// the end of the command's standard error, with any secret masked.
func (w ExecTargetWriter) Write(ctx context.Context, t target.Target, v secret.Value) (WriteResult, error) {
	if err := checkType(t, target.Exec); err != nil {
		return WriteResult{}, err
	}
	d, err := execTimeout(t)
	if err != nil {
		return WriteResult{}, err
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
	if err := checkArgv("command", t.Command, reg); err != nil {
		return WriteResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	call := &step.Call{Params: map[string]any{}, Secrets: reg}
	shown := displayArgv(t.Command)
	r, err := Exec(w).run(ctx, call, t.Command, runOpts{stdin: &v})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return WriteResult{}, fmt.Errorf("exec target %s did not finish within its timeout of %s and was stopped; raise `timeout` in the inventory or fix the command: %w", shown, d, err)
		}
		return WriteResult{}, err
	}
	if r.exitCode != 0 {
		return WriteResult{}, fmt.Errorf("exec target %s %s%s", shown, describeExit(r), stderrSuffix(r, reg.MaskString))
	}
	return WriteResult{Detail: fmt.Sprintf("%s exited 0 in %s", shown, r.duration.Round(time.Millisecond))}, nil
}
