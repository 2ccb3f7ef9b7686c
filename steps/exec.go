package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Limits on what exec keeps of a child's output.
const (
	// stderrTail is how much of the end of a child's standard error goes
	// into the error message when the command fails.
	stderrTail = 4 << 10
	// maxStdout bounds the standard output kept in memory.
	maxStdout = 1 << 20
	// defaultWaitDelay is how long a child has to exit after SIGTERM before
	// it is killed.
	defaultWaitDelay = 5 * time.Second
)

// respondSecretWords mark a RESPOND_* variable as holding a secret.
var respondSecretWords = []string{"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSPHRASE", "CREDENTIAL"}

// isCredentialVar reports whether the environment variable name holds one
// of respond's credentials.
func isCredentialVar(name string) bool {
	if slices.Contains(CredentialEnv(), name) {
		return true
	}
	if rest, ok := strings.CutPrefix(name, "RESPOND_"); ok {
		for _, w := range respondSecretWords {
			if strings.Contains(rest, w) {
				return true
			}
		}
	}
	return false
}

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
	if err := checkArgv("command", argv, registry(c)); err != nil {
		return nil, err
	}
	if u := c.List("unless"); len(u) > 0 {
		if err := checkArgv("unless", u, registry(c)); err != nil {
			return nil, err
		}
	}
	if err := checkEnv(c.Map("env"), registry(c)); err != nil {
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
		skip = append(skip, "`"+displayArgv(u)+"` succeeds")
	}
	if len(skip) > 0 {
		effect += " (skipped if " + strings.Join(skip, " or ") + ")"
	}
	return []step.Change{{Action: step.Run, Target: displayArgv(argv), Effect: effect}}, nil
}

// Reconcile implements step.Reconciler. With `creates` or `unless` it checks
// whether the effect is in place. Without them, an idempotent step may simply
// run again (done=false); for any other step respond cannot tell whether the
// interrupted run took effect, and says so with a permanent error.
func (e Exec) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	argv := c.List("command")
	if err := checkArgv("command", argv, registry(c)); err != nil {
		return nil, false, err
	}
	if c.String("creates") == "" && len(c.List("unless")) == 0 {
		if c.Bool("idempotent") {
			return nil, false, nil
		}
		// The engine turns this into a message that tells the responder how
		// to settle it (--assume-done or --rerun).
		return nil, false, fmt.Errorf("exec: %s: %w", displayArgv(argv), step.ErrUnknownOutcome)
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
	if err := checkArgv("command", argv, reg); err != nil {
		return nil, err
	}
	if err := checkEnv(c.Map("env"), reg); err != nil {
		return nil, err
	}
	if res, err := e.alreadyDone(ctx, c); err != nil || res != nil {
		return res, err
	}

	var stdin *secret.Value
	evidence := map[string]any{"command": displayArgv(argv)}
	if c.Has("stdin") {
		v, _ := c.Secret("stdin")
		stdin = &v
		if _, isSecret := c.Params["stdin"].(secret.Value); isSecret {
			reg.Add(v)
			evidence["stdin_fingerprint"] = v.Fingerprint()
		}
	}
	secretOut := c.Bool("secret_stdout")
	r, err := e.run(ctx, c, argv, runOpts{stdin: stdin, captureStdout: true, deferStderr: secretOut})
	if err != nil {
		return nil, err
	}
	evidence["exit_code"] = r.exitCode
	evidence["duration_ms"] = r.duration.Milliseconds()
	if r.stdoutTruncated {
		evidence["stdout_truncated"] = true
	}
	shown := displayArgv(argv)
	out := strings.TrimSuffix(r.stdout, "\n")
	if r.stdoutTruncated && !secretOut {
		// Cut at maxStdout: a secret at the cut would not match whole.
		out = reg.MaskCut(r.stdout)
	}
	outputs := map[string]any{"stdout": "", "exit_code": r.exitCode}
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
	case r.exitCode != 0 || r.stdoutTruncated:
		// No secret output; whatever was printed may still be (part of)
		// one, so it is masked in what is logged and reported.
		mask = reg.With(secret.New(out))
	default:
		v := secret.New(out)
		reg.Add(v) // before anything that could print it
		if v.IsZero() {
			r.flushStderr(mask)
			return res, fmt.Errorf("exec: %s printed nothing on standard output, but secret_stdout expects the secret there; check the program", shown)
		}
		outputs["secret"] = v
		evidence["secret_fingerprint"] = v.Fingerprint()
	}
	r.flushStderr(mask)

	if r.exitCode != 0 {
		return res, fmt.Errorf("exec: %s %s%s", shown, describeExit(r), stderrSuffix(r, mask.MaskString))
	}
	if secretOut && r.stdoutTruncated {
		return res, fmt.Errorf("exec: %s printed more than %d bytes on standard output, too much for a secret (secret_stdout); the output was discarded", shown, maxStdout)
	}
	return res, nil
}

// alreadyDone checks `creates` and `unless`. It returns a Result describing
// the skip when the effect is already in place, nil when the command must
// run.
func (e Exec) alreadyDone(ctx context.Context, c *step.Call) (*step.Result, error) {
	if p := c.String("creates"); p != "" {
		_, err := os.Stat(resolve(c.Dir, p))
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
		if err := checkArgv("unless", u, registry(c)); err != nil {
			return nil, err
		}
		r, err := e.run(ctx, c, u, runOpts{})
		if err != nil {
			return nil, fmt.Errorf("exec: checking `unless` of step %q: %w", c.StepID, err)
		}
		if r.exitCode == 0 {
			return &step.Result{
				Outputs:  map[string]any{"stdout": "", "exit_code": 0},
				Evidence: map[string]any{"skipped": "unless", "unless": displayArgv(u)},
				Summary:  "already done (unless command succeeded)",
			}, nil
		}
		c.Logf("unless command %s exited with code %d: running the step", displayArgv(u), r.exitCode)
	}
	return nil, nil
}

// runOpts says how to run one command.
type runOpts struct {
	stdin         *secret.Value // nil: no standard input
	captureStdout bool          // keep stdout (otherwise discarded)
	deferStderr   bool          // log stderr only after the run (flushStderr)
}

// runResult is what one run of a command produced.
type runResult struct {
	exitCode        int
	state           *os.ProcessState
	duration        time.Duration
	stdout          string
	stdoutTruncated bool
	stderr          *lineLog
}

// flushStderr masks and logs the standard error held back by
// deferStderr, with reg (which by now knows any secret the command printed
// on stdout).
func (r *runResult) flushStderr(reg *secret.Registry) {
	if r.stderr == nil {
		return
	}
	r.stderr.finish(reg, true)
}

// run runs argv under ctx. A non-zero exit is not an error (see
// runResult.exitCode); failing to start, or being stopped by ctx, is.
func (e Exec) run(ctx context.Context, c *step.Call, argv []string, o runOpts) (*runResult, error) {
	reg := registry(c)
	shown := displayArgv(argv)
	prog, err := resolveProgram(c.Dir, argv[0])
	if err != nil {
		return nil, err
	}
	workDir := c.Dir
	if d := c.String("dir"); d != "" {
		workDir = resolve(c.Dir, d)
	}
	if workDir != "" {
		if fi, err := os.Stat(workDir); err != nil || !fi.IsDir() {
			return nil, step.Errorf("exec: working directory %s for %s is not a directory; check `dir`", workDir, shown)
		}
	}

	cmd := exec.CommandContext(ctx, prog)
	cmd.Args = append([]string(nil), argv...)
	cmd.Dir = workDir
	cmd.Env = childEnv(os.Environ(), reg, c.Map("env"))
	cmd.WaitDelay = e.WaitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = defaultWaitDelay
	}
	setProcessGroup(cmd)
	if o.stdin != nil {
		cmd.Stdin = strings.NewReader(o.stdin.Reveal())
	}
	stdout := &cappedBuffer{max: maxStdout}
	if o.captureStdout {
		cmd.Stdout = stdout
	}
	stderr := newLineLog(reg, c.Logf, o.deferStderr)
	cmd.Stderr = stderr

	start := time.Now()
	if err := cmd.Start(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("exec: %s was not started: %w", shown, ctxErr)
		}
		return nil, step.Errorf("exec: could not start %s: %v", shown, err)
	}
	waitErr := cmd.Wait()
	if ctx.Err() != nil || errors.Is(waitErr, exec.ErrWaitDelay) {
		// Whatever the child left behind (descendants that ignored SIGTERM
		// or kept its output open) goes too.
		killProcessGroup(cmd)
	}
	stderr.flush()
	r := &runResult{
		state:           cmd.ProcessState,
		duration:        time.Since(start),
		stdout:          stdout.String(),
		stdoutTruncated: stdout.truncated,
		stderr:          stderr,
	}
	if cmd.ProcessState != nil {
		r.exitCode = cmd.ProcessState.ExitCode()
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		stderr.finish(reg, false)
		return nil, fmt.Errorf("exec: %s was stopped after %s: %w%s", shown, r.duration.Round(time.Millisecond), ctxErr, stderrSuffix(r, reg.MaskString))
	}
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil, errors.As(waitErr, &exitErr):
	case errors.Is(waitErr, exec.ErrWaitDelay):
		// The command exited, but something it started kept its output
		// open; it was killed with the process group.
		c.Logf("exec: %s exited but left a process holding its output open; it was stopped", shown)
	default:
		return nil, fmt.Errorf("exec: running %s: %v", shown, waitErr)
	}
	if r.stdoutTruncated && !o.deferStderr {
		c.Logf("exec: %s printed more than %d bytes on standard output; only the first %d are kept", shown, maxStdout, maxStdout)
	}
	return r, nil
}

// describeExit says how a command ended: "exited with code 3" or "was
// stopped (signal: killed)".
func describeExit(r *runResult) string {
	if r.exitCode >= 0 || r.state == nil {
		return fmt.Sprintf("exited with code %d", r.exitCode)
	}
	return fmt.Sprintf("was stopped (%s)", r.state.String())
}

// stderrSuffix is the end of what the command printed on standard error,
// masked, for an error message ("" if nothing).
func stderrSuffix(r *runResult, mask func(string) string) string {
	if r == nil || r.stderr == nil {
		return ""
	}
	s, dropped := r.stderr.tailString()
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	prefix := ""
	if dropped {
		prefix = "…"
	}
	return "; it printed:\n" + prefix + mask(s)
}

// registry returns the call's secret registry, creating one if the engine
// did not provide it so that secrets are still registered and checked.
func registry(c *step.Call) *secret.Registry {
	if c.Secrets == nil {
		c.Secrets = secret.NewRegistry()
	}
	return c.Secrets
}

// checkArgv refuses an empty command and any argument holding a secret.
func checkArgv(param string, argv []string, reg *secret.Registry) error {
	if len(argv) == 0 || argv[0] == "" {
		return step.Errorf("exec: `%s` is empty: give the program and its arguments as a list, e.g. [./scripts/store-key.sh, --env, prod]", param)
	}
	for i, a := range argv {
		if reg.Contains(a) {
			return step.Errorf("exec: argument %d of `%s` holds a secret; refusing to run it, since arguments are visible to every user of the machine: pass the secret on `stdin` instead", i, param)
		}
	}
	return nil
}

// checkEnv refuses `env:` entries that are malformed or hold a secret.
func checkEnv(env map[string]string, reg *secret.Registry) error {
	for _, k := range sortedKeys(env) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return step.Errorf("exec: environment variable name %q in `env` is not valid", k)
		}
		if reg.Contains(env[k]) {
			return step.Errorf("exec: environment variable %s in `env` holds a secret; refusing to run the command, since a child's environment is readable by other processes: pass the secret on `stdin` instead", k)
		}
	}
	return nil
}

// childEnv is base without respond's credentials and without any variable
// holding a registered secret, plus extra (which wins over base).
func childEnv(base []string, reg *secret.Registry, extra map[string]string) []string {
	env := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || isCredentialVar(k) || reg.Contains(v) {
			continue
		}
		if _, overridden := extra[k]; overridden {
			continue
		}
		env = append(env, kv)
	}
	for _, k := range sortedKeys(extra) {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// resolveProgram finds the program to run: a name containing a slash is a
// path, relative to dir; any other name is looked up in PATH.
func resolveProgram(dir, name string) (string, error) {
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		p, err := filepath.Abs(resolve(dir, name))
		if err != nil {
			return "", step.Errorf("exec: cannot resolve program %s: %v", name, err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return "", step.Errorf("exec: program %s not found (looked for %s); check `command`", name, p)
		}
		if fi.IsDir() {
			return "", step.Errorf("exec: program %s is a directory (%s); check `command`", name, p)
		}
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", step.Errorf("exec: program %s not found in PATH; install it or give its path (with a slash, e.g. ./%s)", name, name)
	}
	return p, nil
}

// resolve makes p relative to dir unless it is absolute.
func resolve(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// displayArgv shows a command line, quoting only the arguments that need it.
func displayArgv(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = displayArg(a)
	}
	return strings.Join(parts, " ")
}

func displayArg(a string) string {
	if a == "" {
		return `""`
	}
	for _, r := range a {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("_-+=:,./@%^", r):
		default:
			return strconv.Quote(a)
		}
	}
	return a
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	buf       bytes.Buffer
	max       int
	truncated bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.max - b.buf.Len()
	if len(p) > room {
		b.truncated = true
		b.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *cappedBuffer) String() string { return b.buf.String() }

// lineLog receives a child's standard error. Unless deferred, the stream
// is masked as it arrives (secret.Writer holds back a possible partial
// match until the next write settles it), then each complete line is
// logged and the last stderrTail bytes are kept for error messages: the
// tail is cut from masked text, so it never holds part of a secret.
//
// Deferred (secret_stdout), the raw stream is kept (up to maxStderr) until
// the secret printed on stdout is known, then masked whole by finish.
type lineLog struct {
	reg      *secret.Registry
	log      func(format string, args ...any)
	deferred bool

	mu       sync.Mutex
	masker   *secret.Writer // not deferred: masks into sink
	sink     lineSink
	raw      cappedBuffer // deferred: the stream as received
	finished bool
}

// maxStderr bounds the standard error a deferred lineLog keeps.
const maxStderr = 1 << 20

var _ io.Writer = (*lineLog)(nil)

func newLineLog(reg *secret.Registry, log func(string, ...any), deferred bool) *lineLog {
	l := &lineLog{reg: reg, log: log, deferred: deferred, raw: cappedBuffer{max: maxStderr}}
	l.sink.log = log
	l.masker = secret.NewWriter(&l.sink, reg)
	return l
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.deferred {
		return l.raw.Write(p)
	}
	return l.masker.Write(p)
}

// flush writes what the masker held back and logs an incomplete last line
// (not deferred).
func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.deferred {
		return
	}
	_ = l.masker.Flush()
	l.sink.flushPartial()
}

// finish masks a deferred stream with reg (which by now may know the
// secret the command printed on stdout) and, when log is true, logs its
// lines. It runs once; later calls do nothing. When the stream was cut at
// maxStderr, bytes held back at the cut (possibly the start of a secret)
// are dropped rather than written.
func (l *lineLog) finish(reg *secret.Registry, log bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.deferred || l.finished {
		return
	}
	l.finished = true
	if !log {
		l.sink.log = nil
	}
	w := secret.NewWriter(&l.sink, reg)
	_, _ = w.Write(l.raw.buf.Bytes())
	if !l.raw.truncated {
		_ = w.Flush()
	} else {
		l.sink.dropped = true
	}
	l.sink.flushPartial()
	l.raw = cappedBuffer{}
}

// tailString is the end of the (masked) stream, and whether earlier bytes
// were dropped.
func (l *lineLog) tailString() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.sink.tail), l.sink.dropped
}

// lineSink receives masked text: it logs complete lines and keeps the
// last stderrTail bytes.
type lineSink struct {
	log     func(format string, args ...any)
	partial []byte // an incomplete last line
	tail    []byte // the last stderrTail bytes
	dropped bool   // tail lost earlier bytes
}

func (l *lineSink) Write(p []byte) (int, error) {
	l.tail = append(l.tail, p...)
	if over := len(l.tail) - stderrTail; over > 0 {
		l.tail = append(l.tail[:0], l.tail[over:]...)
		l.dropped = true
	}
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.emit(l.partial[:i])
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > stderrTail { // a very long line: log what we have
		l.emit(l.partial)
		l.partial = nil
	}
	return len(p), nil
}

func (l *lineSink) flushPartial() {
	if len(l.partial) > 0 {
		l.emit(l.partial)
		l.partial = nil
	}
}

func (l *lineSink) emit(line []byte) {
	if l.log != nil {
		l.log("%s", strings.TrimSuffix(string(line), "\r"))
	}
}
