package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/childproc"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

var (
	_ step.Kind               = Exec{}
	_ step.Reconciler         = Exec{}
	_ step.IdempotencyDecider = Exec{}
)

// Exec is the `exec` step kind: it runs a program, never through a shell.
//
// A secret reaches the child only on its standard input (`stdin:`): never in
// its argv or environment. The child's environment is respond's, minus
// respond's own credentials (OPENAI_ADMIN_KEY, OPENAI_API_KEY, GITHUB_TOKEN,
// GH_TOKEN, GH_ENTERPRISE_TOKEN, GITHUB_ENTERPRISE_TOKEN, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN and RESPOND_*
// variables named like a secret) and minus every variable whose value
// contains a registered secret, plus `env:`.
//
// The child runs in its own process group. When the context is done the
// group gets SIGTERM, and whatever is still running WaitDelay later is
// killed.
//
// The zero Exec is ready to use.
type Exec struct {
	// WaitDelay is how long the child has to exit after SIGTERM, and how
	// long respond waits for descendants holding its output open after it
	// exits. Zero means 5s.
	WaitDelay time.Duration
}

// Spec implements step.Kind.
func (Exec) Spec() step.Spec {
	return step.Spec{
		Kind:    "exec",
		Summary: "Run a program (never through a shell); a secret can reach it only on standard input",
		Description: "Runs `command` (program first) with the working directory `dir`. " +
			"A program containing a slash is resolved against the playbook's directory; " +
			"any other is looked up in PATH. The value of `stdin` (which may be a secret) is written " +
			"to the program's standard input: this is the only way a secret reaches a child. " +
			"The environment is respond's, without respond's own credentials and without any variable " +
			"holding a known secret, plus `env`. A non-zero exit fails the step. " +
			"The step is retried and re-applied on resume only when `idempotent` is true or " +
			"`creates`/`unless` say how to tell that its effect is already in place.",
		Mutates:    true,
		Idempotent: false,
		Params: []step.Param{
			{Name: "command", Type: step.List, Required: true,
				Description: "the program and its arguments; the program is resolved against the playbook directory if it contains a slash, otherwise looked up in PATH"},
			{Name: "stdin", Type: step.String, AcceptsSecret: true,
				Description: "written to the program's standard input; the only way to hand a secret to a program"},
			{Name: "dir", Type: step.String,
				Description: "working directory, relative to the playbook directory (default: the playbook directory)"},
			{Name: "env", Type: step.Map,
				Description: "extra environment variables; they cannot hold a secret (use stdin)"},
			{Name: "secret_stdout", Type: step.Bool, Default: false,
				Description: "the program prints a secret on standard output: it becomes the `secret` output (one trailing newline trimmed) and `stdout` is empty"},
			{Name: "idempotent", Type: step.Bool, Default: false,
				Description: "running the command twice has the effect of running it once, so it may be retried and re-run on resume"},
			{Name: "creates", Type: step.String,
				Description: "a path, relative to the playbook directory, that exists once the command has taken effect; if it exists the command is not run"},
			{Name: "unless", Type: step.List,
				Description: "a command (same rules as `command`) that exits 0 when the effect is already in place; then the command is not run"},
		},
		Outputs: []step.Output{
			{Name: "stdout", Type: step.String, Description: "standard output, one trailing newline trimmed (empty with secret_stdout)"},
			{Name: "secret", Type: step.Secret, Secret: true, Description: "standard output as a secret, one trailing newline trimmed (only with secret_stdout)"},
			{Name: "exit_code", Type: step.Int, Description: "the program's exit code"},
		},
	}
}

// Idempotent implements step.IdempotencyDecider: an exec step is idempotent
// when it says so, or when `creates` or `unless` tell whether its effect is
// already in place.
func (Exec) Idempotent(c *step.Call) bool {
	return c.Bool("idempotent") || c.String("creates") != "" || len(c.List("unless")) > 0
}

// Plan implements step.Kind. It runs nothing, not even `unless`.
func (e Exec) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	argv := c.List("command")
	if err := childproc.CheckArgv("command", argv, registry(c)); err != nil {
		return nil, err
	}
	if u := c.List("unless"); len(u) > 0 {
		if err := childproc.CheckArgv("unless", u, registry(c)); err != nil {
			return nil, err
		}
	}
	if err := childproc.CheckEnv(c.Map("env"), registry(c)); err != nil {
		return nil, err
	}
	effect := "run"
	if dir := c.String("dir"); dir != "" {
		effect += " in " + dir
	}
	if c.Has("stdin") {
		if _, isSecret := c.Params["stdin"].(secret.Value); isSecret {
			effect += ", with a secret on stdin"
		} else {
			effect += ", with input on stdin"
		}
	}
	if c.Bool("secret_stdout") {
		effect += ", keeping its output as a secret"
	}
	var skip []string
	if p := c.String("creates"); p != "" {
		skip = append(skip, p+" exists")
	}
	if u := c.List("unless"); len(u) > 0 {
		skip = append(skip, "`"+childproc.DisplayArgv(u)+"` succeeds")
	}
	if len(skip) > 0 {
		effect += " (skipped if " + strings.Join(skip, " or ") + ")"
	}
	return []step.Change{{Action: step.Run, Target: childproc.DisplayArgv(argv), Effect: effect}}, nil
}

// Reconcile implements step.Reconciler. With `creates` or `unless` it checks
// whether the effect is in place. Without them, an idempotent step may simply
// run again (done=false); for any other step respond cannot tell whether the
// interrupted run took effect, and says so with a permanent error.
func (e Exec) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	argv := c.List("command")
	if err := childproc.CheckArgv("command", argv, registry(c)); err != nil {
		return nil, false, err
	}
	if c.String("creates") == "" && len(c.List("unless")) == 0 {
		if c.Bool("idempotent") {
			return nil, false, nil
		}
		// The engine turns this into a message that tells the responder how
		// to settle it (--assume-done or --rerun).
		return nil, false, fmt.Errorf("exec: %s: %w", childproc.DisplayArgv(argv), step.ErrUnknownOutcome)
	}
	res, err := e.alreadyDone(ctx, c)
	if err != nil {
		return nil, false, err
	}
	return res, res != nil, nil
}

// Apply implements step.Kind.
func (e Exec) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	reg := registry(c)
	argv := c.List("command")
	if err := childproc.CheckArgv("command", argv, reg); err != nil {
		return nil, err
	}
	if err := childproc.CheckEnv(c.Map("env"), reg); err != nil {
		return nil, err
	}
	if res, err := e.alreadyDone(ctx, c); err != nil || res != nil {
		return res, err
	}

	var stdin *secret.Value
	evidence := map[string]any{"command": childproc.DisplayArgv(argv)}
	if c.Has("stdin") {
		v, _ := c.Secret("stdin")
		stdin = &v
		if _, isSecret := c.Params["stdin"].(secret.Value); isSecret {
			reg.Add(v)
			evidence["stdin_fingerprint"] = v.Fingerprint()
		}
	}
	secretOut := c.Bool("secret_stdout")
	r, err := e.run(ctx, c, argv, childproc.Options{Stdin: stdin, CaptureStdout: true, DeferStderr: secretOut})
	if err != nil {
		return nil, err
	}
	evidence["exit_code"] = r.ExitCode
	evidence["duration_ms"] = r.Duration.Milliseconds()
	if r.StdoutTruncated {
		evidence["stdout_truncated"] = true
	}
	shown := childproc.DisplayArgv(argv)
	out := strings.TrimSuffix(r.Stdout, "\n")
	if r.StdoutTruncated && !secretOut {
		// Cut at childproc.MaxStdout: a secret at the cut would not match whole.
		out = reg.MaskCut(r.Stdout)
	}
	outputs := map[string]any{"stdout": "", "exit_code": r.ExitCode}
	res := &step.Result{Outputs: outputs, Evidence: evidence, Summary: "ran " + shown}
	// mask is reg, plus what the command printed on stdout when that may
	// be (part of) a secret that was not kept.
	mask := reg

	switch {
	case !secretOut:
		if reg.Contains(out) {
			c.Logf("exec: %s printed a known secret on standard output; it is redacted in the stdout output (use secret_stdout to capture a secret)", shown)
			out = reg.MaskString(out)
		}
		outputs["stdout"] = out
	case r.ExitCode != 0 || r.StdoutTruncated:
		// No secret output; whatever was printed may still be (part of)
		// one, so it is masked in what is logged and reported.
		mask = reg.With(secret.New(out))
	default:
		v := secret.New(out)
		reg.Add(v) // before anything that could print it
		if v.IsZero() {
			r.FlushStderr(mask)
			return res, fmt.Errorf("exec: %s printed nothing on standard output, but secret_stdout expects the secret there; check the program", shown)
		}
		outputs["secret"] = v
		evidence["secret_fingerprint"] = v.Fingerprint()
	}
	r.FlushStderr(mask)

	if r.ExitCode != 0 {
		return res, fmt.Errorf("exec: %s %s%s", shown, r.DescribeExit(), r.StderrSuffix(mask.MaskString))
	}
	if secretOut && r.StdoutTruncated {
		return res, fmt.Errorf("exec: %s printed more than %d bytes on standard output, too much for a secret (secret_stdout); the output was discarded", shown, childproc.MaxStdout)
	}
	return res, nil
}

// alreadyDone checks `creates` and `unless`. It returns a Result describing
// the skip when the effect is already in place, nil when the command must
// run.
func (e Exec) alreadyDone(ctx context.Context, c *step.Call) (*step.Result, error) {
	if p := c.String("creates"); p != "" {
		_, err := os.Stat(resolvePath(c.Dir, p))
		switch {
		case err == nil:
			return &step.Result{
				Outputs:  map[string]any{"stdout": "", "exit_code": 0},
				Evidence: map[string]any{"skipped": "creates", "creates": p},
				Summary:  "already done (" + p + " exists)",
			}, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, step.Errorf("exec: cannot tell whether %s exists (creates): %v", p, err)
		}
	}
	if u := c.List("unless"); len(u) > 0 {
		if err := childproc.CheckArgv("unless", u, registry(c)); err != nil {
			return nil, err
		}
		r, err := e.run(ctx, c, u, childproc.Options{})
		if err != nil {
			return nil, fmt.Errorf("exec: checking `unless` of step %q: %w", c.StepID, err)
		}
		if r.ExitCode == 0 {
			return &step.Result{
				Outputs:  map[string]any{"stdout": "", "exit_code": 0},
				Evidence: map[string]any{"skipped": "unless", "unless": childproc.DisplayArgv(u)},
				Summary:  "already done (unless command succeeded)",
			}, nil
		}
		c.Logf("unless command %s exited with code %d: running the step", childproc.DisplayArgv(u), r.ExitCode)
	}
	return nil, nil
}

// run runs argv for the call: relative to its directory (and `dir`), with
// its `env`, its secrets masked and kept from the child, and respond's
// credentials scrubbed from the child's environment.
func (e Exec) run(ctx context.Context, c *step.Call, argv []string, o childproc.Options) (*childproc.Result, error) {
	o.Dir, o.WorkDir, o.Env = c.Dir, c.String("dir"), c.Map("env")
	o.Secrets, o.Scrub, o.Log, o.WaitDelay = registry(c), isCredentialVar, c.Logf, e.WaitDelay
	return childproc.Run(ctx, argv, o)
}

// registry returns the call's secret registry, creating one if the engine
// did not provide it so that secrets are still registered and checked.
func registry(c *step.Call) *secret.Registry {
	if c.Secrets == nil {
		c.Secrets = secret.NewRegistry()
	}
	return c.Secrets
}

// resolvePath makes p relative to dir unless it is absolute.
func resolvePath(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}
