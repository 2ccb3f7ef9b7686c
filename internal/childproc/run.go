// Package childproc runs the programs respond starts (exec steps, exec
// targets, scripts a playbook names): never through a shell, under a
// supervisor that dies with respond, in their own process group, with a
// secret on standard input only, respond's credentials and every
// registered secret kept out of their environment and arguments, and what
// they print on standard error masked before it is logged or quoted.
package childproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Limits on what is kept of a child's output.
const (
	// stderrTail is how much of the end of a child's standard error goes
	// into the error message when the command fails.
	stderrTail = 4 << 10
	// MaxStdout bounds the standard output kept in memory.
	MaxStdout = 1 << 20
	// defaultWaitDelay is how long a child has to exit after SIGTERM before
	// it is killed.
	defaultWaitDelay = 5 * time.Second
)

// Options say how to run one command.
type Options struct {
	// Dir is the directory a program path with a slash is relative to,
	// and the working directory unless WorkDir is set.
	Dir string
	// WorkDir is the command's working directory (relative to Dir).
	WorkDir string
	// Env is added to the child's environment (and wins over respond's).
	Env map[string]string
	// Stdin is the child's standard input; nil: none.
	Stdin *secret.Value
	// CaptureStdout keeps standard output (otherwise discarded).
	CaptureStdout bool
	// DeferStderr logs standard error only after the run (FlushStderr),
	// once the secret the command prints on stdout is known.
	DeferStderr bool
	// Secrets masks what the child prints, and keeps any variable holding
	// one of them out of its environment. Required.
	Secrets *secret.Registry
	// Scrub reports whether a variable of respond's environment holds one
	// of respond's credentials: it never reaches the child.
	Scrub func(name string) bool
	// Log writes a progress line (the child's standard error, masked).
	Log func(format string, args ...any)
	// WaitDelay is how long the command has to exit after SIGTERM before
	// it is killed; zero is 5s.
	WaitDelay time.Duration
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		o.Log(format, args...)
	}
}

// Result is what one run of a command produced.
type Result struct {
	ExitCode        int
	State           *os.ProcessState
	Duration        time.Duration
	Stdout          string
	StdoutTruncated bool
	stderr          *lineLog
}

// FlushStderr masks and logs the standard error held back by
// deferStderr, with reg (which by now knows any secret the command printed
// on stdout).
func (r *Result) FlushStderr(reg *secret.Registry) {
	if r.stderr == nil {
		return
	}
	r.stderr.finish(reg, true)
}

// Run runs argv under ctx, never through a shell. A non-zero exit is not
// an error (see Result.ExitCode); failing to start, or being stopped by
// ctx, is.
func Run(ctx context.Context, argv []string, o Options) (*Result, error) {
	reg := o.Secrets
	if reg == nil {
		reg = secret.NewRegistry()
	}
	if err := CheckArgv("command", argv, reg); err != nil {
		return nil, err
	}
	shown := DisplayArgv(argv)
	prog, err := ResolveProgram(o.Dir, argv[0])
	if err != nil {
		return nil, err
	}
	workDir := o.Dir
	if o.WorkDir != "" {
		workDir = resolve(o.Dir, o.WorkDir)
	}
	if workDir != "" {
		if fi, err := os.Stat(workDir); err != nil || !fi.IsDir() {
			return nil, step.Errorf("exec: working directory %s for %s is not a directory; check `dir`", workDir, shown)
		}
	}

	cmd := exec.CommandContext(ctx, prog)
	cmd.Args = append([]string(nil), argv...)
	cmd.Dir = workDir
	cmd.Env = ChildEnv(os.Environ(), reg, o.Env, o.Scrub)
	cmd.WaitDelay = o.WaitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = defaultWaitDelay
	}
	setProcessGroup(cmd)
	if o.Stdin != nil {
		cmd.Stdin = strings.NewReader(o.Stdin.Reveal())
	}
	stdout := &cappedBuffer{max: MaxStdout}
	if o.CaptureStdout {
		cmd.Stdout = stdout
	}
	stderr := newLineLog(reg, o.logf, o.DeferStderr)
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
	r := &Result{
		State:           cmd.ProcessState,
		Duration:        time.Since(start),
		Stdout:          stdout.String(),
		StdoutTruncated: stdout.truncated,
		stderr:          stderr,
	}
	if cmd.ProcessState != nil {
		r.ExitCode = cmd.ProcessState.ExitCode()
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		stderr.finish(reg, false)
		return nil, fmt.Errorf("exec: %s was stopped after %s: %w%s", shown, r.Duration.Round(time.Millisecond), ctxErr, r.StderrSuffix(reg.MaskString))
	}
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil, errors.As(waitErr, &exitErr):
	case errors.Is(waitErr, exec.ErrWaitDelay):
		// The command exited, but something it started kept its output
		// open; it was killed with the process group.
		o.logf("exec: %s exited but left a process holding its output open; it was stopped", shown)
	default:
		return nil, fmt.Errorf("exec: running %s: %v", shown, waitErr)
	}
	if r.StdoutTruncated && !o.DeferStderr {
		o.logf("exec: %s printed more than %d bytes on standard output; only the first %d are kept", shown, MaxStdout, MaxStdout)
	}
	return r, nil
}

// DescribeExit says how a command ended: "exited with code 3" or "was
// stopped (signal: killed)".
func (r *Result) DescribeExit() string {
	if r.ExitCode >= 0 || r.State == nil {
		return fmt.Sprintf("exited with code %d", r.ExitCode)
	}
	return fmt.Sprintf("was stopped (%s)", r.State.String())
}

// StderrSuffix is the end of what the command printed on standard error,
// masked, for an error message ("" if nothing).
func (r *Result) StderrSuffix(mask func(string) string) string {
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

// CheckArgv refuses an empty command and any argument holding a secret.
func CheckArgv(param string, argv []string, reg *secret.Registry) error {
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

// CheckEnv refuses `env:` entries that are malformed or hold a secret.
func CheckEnv(env map[string]string, reg *secret.Registry) error {
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

// ChildEnv is base without respond's credentials (scrub) and without any
// variable holding a registered secret, plus extra (which wins over base).
func ChildEnv(base []string, reg *secret.Registry, extra map[string]string, scrub func(string) bool) []string {
	env := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || (scrub != nil && scrub(k)) || reg.Contains(v) {
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

// ResolveProgram finds the program to run: a name containing a slash is a
// path, relative to dir; any other name is looked up in PATH.
func ResolveProgram(dir, name string) (string, error) {
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

// DisplayArgv shows a command line, quoting only the arguments that need it.
func DisplayArgv(argv []string) string {
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
