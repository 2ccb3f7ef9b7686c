package steps

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/childproc"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// evidenceJSON marshals a result's evidence, as the journal would.
func evidenceJSON(t *testing.T, res *step.Result) string {
	t.Helper()
	b, err := json.Marshal(res.Evidence)
	if err != nil {
		t.Fatalf("marshal evidence: %v", err)
	}
	return string(b)
}

func TestExecSecretReachesChildOnlyOnStdin(t *testing.T) {
	value := canary(t)
	admin := "sk-admin-ADMINKEYVALUE0123456789"
	ghToken := "ghp_GITHUBTOKENVALUE0123456789abcd"
	t.Setenv("OPENAI_ADMIN_KEY", admin)
	t.Setenv("GITHUB_TOKEN", ghToken)
	t.Setenv("GH_TOKEN", ghToken)
	t.Setenv("RESPOND_API_TOKEN", "respond-own-token-value")
	t.Setenv("STEPS_TEST_HOLDS_CANARY", "prefix:"+value+":suffix")
	t.Setenv("STEPS_TEST_PASSTHROUGH", "kept")

	out := filepath.Join(t.TempDir(), "dump.json")
	c, logs := newCall(t, map[string]any{
		"command": []string{testBinary(t), out, "--flag", "plain arg"},
		"stdin":   secret.New(value),
		"env":     map[string]string{childModeVar: "dump", "EXTRA": "yes"},
	})
	c.Secrets.Add(secret.New(value))

	res, err := Exec{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	d := readDump(t, out)
	if d.Stdin != value {
		t.Errorf("child read %q on stdin, want the secret", d.Stdin)
	}
	wantArgs := []string{testBinary(t), out, "--flag", "plain arg"}
	if strings.Join(d.Args, "\x00") != strings.Join(wantArgs, "\x00") {
		t.Errorf("child argv = %q, want %q", d.Args, wantArgs)
	}
	for _, where := range []struct{ name, text string }{
		{"argv", strings.Join(d.Args, "\n")},
		{"environment", strings.Join(d.Env, "\n")},
		{"/proc/self/cmdline", d.ProcCmd},
		{"/proc/self/environ", d.ProcEnv},
	} {
		for _, s := range []string{value, admin, ghToken, "respond-own-token-value"} {
			if strings.Contains(where.text, s) {
				t.Errorf("child %s contains secret %s", where.name, secret.Redact(s))
			}
		}
	}
	env := map[string]string{}
	for _, kv := range d.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, k := range []string{"OPENAI_ADMIN_KEY", "GITHUB_TOKEN", "GH_TOKEN", "RESPOND_API_TOKEN", "STEPS_TEST_HOLDS_CANARY"} {
		if _, ok := env[k]; ok {
			t.Errorf("child environment has %s", k)
		}
	}
	if env["STEPS_TEST_PASSTHROUGH"] != "kept" || env["EXTRA"] != "yes" || env["PATH"] == "" {
		t.Errorf("child environment lost ordinary variables: PASSTHROUGH=%q EXTRA=%q PATH=%q",
			env["STEPS_TEST_PASSTHROUGH"], env["EXTRA"], env["PATH"])
	}

	ev := evidenceJSON(t, res)
	if strings.Contains(ev, value) {
		t.Errorf("evidence contains the secret: %s", ev)
	}
	if res.Evidence["stdin_fingerprint"] != secret.Fingerprint(value) {
		t.Errorf("stdin_fingerprint = %v, want %s", res.Evidence["stdin_fingerprint"], secret.Fingerprint(value))
	}
	if res.Evidence["exit_code"] != 0 || res.Outputs["exit_code"] != 0 {
		t.Errorf("exit_code evidence/output = %v/%v, want 0", res.Evidence["exit_code"], res.Outputs["exit_code"])
	}
	if _, ok := res.Evidence["duration_ms"].(int64); !ok {
		t.Errorf("duration_ms = %#v, want an int64", res.Evidence["duration_ms"])
	}
	if !strings.Contains(res.Evidence["command"].(string), `"plain arg"`) {
		t.Errorf("command evidence = %q, want the argv with the spaced argument quoted", res.Evidence["command"])
	}
	if strings.Contains(logs.String(), value) {
		t.Errorf("log contains the secret: %s", logs)
	}
}

func TestExecPlainStdinHasNoFingerprint(t *testing.T) {
	c, _ := newCall(t, map[string]any{"command": []string{"cat"}, "stdin": "hello\n"})
	res, err := Exec{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := res.Outputs["stdout"]; got != "hello" {
		t.Errorf("stdout = %q, want %q (one trailing newline trimmed)", got, "hello")
	}
	if _, ok := res.Evidence["stdin_fingerprint"]; ok {
		t.Errorf("stdin_fingerprint set for a plain (non-secret) stdin")
	}
}

func TestExecSecretStdout(t *testing.T) {
	value := canary(t)
	// The program prints the secret on stdout and, carelessly, on stderr
	// too: stderr is logged only once the secret is registered. The secret
	// comes from a script so that it is in no argv either.
	c, logs := newCall(t, map[string]any{"command": []string{"./gen.sh"}, "secret_stdout": true})
	script := "#!/bin/sh\nprintf '%s\\n' '" + value + "'\necho \"made '" + value + "'\" >&2\n"
	if err := os.WriteFile(filepath.Join(c.Dir, "gen.sh"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}

	res, err := Exec{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	v, ok := res.Outputs["secret"].(secret.Value)
	if !ok {
		t.Fatalf("secret output is %T, want secret.Value", res.Outputs["secret"])
	}
	if v.Reveal() != value {
		t.Errorf("secret output holds %s, want the printed value with the newline trimmed", v.Redacted())
	}
	if !c.Secrets.Contains(value) {
		t.Errorf("the secret output was not registered")
	}
	if res.Outputs["stdout"] != "" {
		t.Errorf("stdout output = %q, want empty with secret_stdout", res.Outputs["stdout"])
	}
	if ev := evidenceJSON(t, res); strings.Contains(ev, value) {
		t.Errorf("evidence contains the secret: %s", ev)
	}
	whole, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(whole), value) {
		t.Errorf("marshalled result contains the secret: %s", whole)
	}
	if strings.Contains(logs.String(), value) {
		t.Errorf("log contains the secret: %s", logs)
	}
	if !strings.Contains(logs.String(), "made '[REDACTED") {
		t.Errorf("stderr not logged (masked) after the run: %q", logs)
	}
}

func TestExecSecretStdoutEmptyFails(t *testing.T) {
	c, _ := newCall(t, map[string]any{"command": []string{"true"}, "secret_stdout": true})
	_, err := Exec{}.Apply(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "printed nothing") {
		t.Fatalf("Apply = %v, want an error saying the program printed nothing", err)
	}
}

func TestExecStdoutHoldingKnownSecretIsMasked(t *testing.T) {
	value := canary(t)
	c, _ := newCall(t, map[string]any{"command": []string{"cat"}, "stdin": secret.New(value)})
	res, err := Exec{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	out, _ := res.Outputs["stdout"].(string)
	if strings.Contains(out, value) || !strings.Contains(out, "[REDACTED") {
		t.Errorf("stdout output = %q, want the echoed secret redacted", out)
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: trust kill(0)
	}
	// pid (comm) state ...
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

func TestExecContextStopsChildAndGrandchild(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
	}{
		{"term", `sleep 30 & echo $! > "$1"; wait`},
		// The child and its grandchild ignore SIGTERM: they are killed
		// WaitDelay later.
		{"ignores-term", `trap '' TERM; sh -c 'trap "" TERM; sleep 30' & echo $! > "$1"; wait`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			c, _ := newCall(t, map[string]any{"command": []string{"sh", "-c", tc.script, "sh", pidFile}})
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := Exec{WaitDelay: 300 * time.Millisecond}.Apply(ctx, c)
			elapsed := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Apply = %v, want an error wrapping context.DeadlineExceeded", err)
			}
			if step.IsPermanent(err) {
				t.Errorf("a timeout is marked permanent: %v", err)
			}
			if !strings.Contains(err.Error(), "sh -c") {
				t.Errorf("error does not name the command: %v", err)
			}
			if elapsed > 5*time.Second {
				t.Errorf("Apply took %s after a 500ms timeout", elapsed)
			}
			b, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatalf("the child never started its grandchild: %v", err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(3 * time.Second)
			for alive(pid) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if alive(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("grandchild %d still running after the context was done", pid)
			}
		})
	}
}

func TestExecNonZeroExit(t *testing.T) {
	value := canary(t)
	c, logs := newCall(t, map[string]any{
		"command": []string{"sh", "-c", `echo "bad key: $(cat)" >&2; exit 3`},
		"stdin":   secret.New(value),
	})
	res, err := Exec{}.Apply(context.Background(), c)
	if err == nil {
		t.Fatal("Apply succeeded, want an error for exit code 3")
	}
	msg := err.Error()
	for _, want := range []string{"sh -c", "exited with code 3", "bad key: [REDACTED"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, value) {
		t.Errorf("error contains the secret: %q", msg)
	}
	if strings.Contains(logs.String(), value) {
		t.Errorf("log contains the secret: %q", logs)
	}
	if !strings.Contains(logs.String(), "bad key: [REDACTED") {
		t.Errorf("stderr was not logged line by line: %q", logs)
	}
	if step.IsPermanent(err) {
		t.Errorf("a non-zero exit is marked permanent (the engine decides retries): %v", err)
	}
	if res == nil || res.Evidence["exit_code"] != 3 {
		t.Errorf("result evidence = %v, want exit_code 3", res)
	}
}

func TestExecCreates(t *testing.T) {
	c, _ := newCall(t, map[string]any{
		"command": []string{"touch", "done/marker"},
		"creates": "done/marker",
	})
	e := Exec{}
	if !e.Idempotent(c) {
		t.Error("Idempotent = false with creates")
	}
	if err := os.Mkdir(filepath.Join(c.Dir, "done"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, done, err := e.Reconcile(context.Background(), c)
	if err != nil || done || res != nil {
		t.Fatalf("Reconcile before = %v, %v, %v; want nil, false, nil", res, done, err)
	}
	// Runs, relative to Call.Dir, and creates the file.
	res, err = e.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, ok := res.Evidence["skipped"]; ok {
		t.Fatalf("first Apply skipped: %v", res.Evidence)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "done/marker")); err != nil {
		t.Fatalf("command did not run in Call.Dir: %v", err)
	}
	res, done, err = e.Reconcile(context.Background(), c)
	if err != nil || !done || res.Evidence["skipped"] != "creates" {
		t.Fatalf("Reconcile after = %v, %v, %v; want done with skipped=creates", res, done, err)
	}
	// A second Apply skips: make the command fail if it runs.
	c.Params["command"] = []string{"false"}
	res, err = e.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("second Apply ran the command: %v", err)
	}
	if res.Summary != "already done (done/marker exists)" || res.Evidence["skipped"] != "creates" {
		t.Errorf("second Apply = %q %v", res.Summary, res.Evidence)
	}
}

func TestExecUnless(t *testing.T) {
	c, _ := newCall(t, map[string]any{
		"command": []string{"sh", "-c", "echo ran >> log"},
		"unless":  []string{"test", "-s", "log"},
	})
	e := Exec{}
	if !e.Idempotent(c) {
		t.Error("Idempotent = false with unless")
	}
	if _, done, err := e.Reconcile(context.Background(), c); err != nil || done {
		t.Fatalf("Reconcile before = %v, %v; want not done", done, err)
	}
	for i := 0; i < 2; i++ {
		if _, err := e.Apply(context.Background(), c); err != nil {
			t.Fatalf("Apply %d: %v", i, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(c.Dir, "log"))
	if err != nil || string(b) != "ran\n" {
		t.Fatalf("log = %q, %v; want the command to have run exactly once", b, err)
	}
	res, done, err := e.Reconcile(context.Background(), c)
	if err != nil || !done || res.Evidence["skipped"] != "unless" || res.Summary != "already done (unless command succeeded)" {
		t.Fatalf("Reconcile after = %v, %v, %v; want done, skipped=unless", res, done, err)
	}
}

func TestExecReconcileWithoutCheck(t *testing.T) {
	c, _ := newCall(t, map[string]any{"command": []string{"true"}})
	_, _, err := Exec{}.Reconcile(context.Background(), c)
	if !errors.Is(err, step.ErrUnknownOutcome) {
		t.Errorf("Reconcile of a non-idempotent exec = %v, want step.ErrUnknownOutcome", err)
	}
	c.Params["idempotent"] = true
	if res, done, err := (Exec{}).Reconcile(context.Background(), c); err != nil || done || res != nil {
		t.Errorf("Reconcile of an idempotent exec = %v, %v, %v; want nil, false, nil", res, done, err)
	}
}

func TestExecIdempotent(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   bool
	}{
		{map[string]any{"command": []string{"x"}}, false},
		{map[string]any{"command": []string{"x"}, "idempotent": false}, false},
		{map[string]any{"command": []string{"x"}, "idempotent": true}, true},
		{map[string]any{"command": []string{"x"}, "creates": "f"}, true},
		{map[string]any{"command": []string{"x"}, "unless": []string{"true"}}, true},
	} {
		if got := (Exec{}).Idempotent(&step.Call{Params: tc.params}); got != tc.want {
			t.Errorf("Idempotent(%v) = %v, want %v", tc.params, got, tc.want)
		}
	}
}

func TestExecPlan(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]any
		target string
		effect string
	}{
		{"secret stdin", map[string]any{"command": []string{"./scripts/store-key.sh", "--env", "prod"}, "stdin": secret.New("sk-proj-abcdefghijklmnopqrstuv")},
			"./scripts/store-key.sh --env prod", "run, with a secret on stdin"},
		{"quoted", map[string]any{"command": []string{"echo", "two words", ""}},
			`echo "two words" ""`, "run"},
		{"creates", map[string]any{"command": []string{"make", "deploy"}, "creates": "deploy/done", "dir": "app"},
			"make deploy", "run in app (skipped if deploy/done exists)"},
		{"unless+secret_stdout", map[string]any{"command": []string{"vault", "read"}, "unless": []string{"test", "-f", "x"}, "secret_stdout": true},
			"vault read", "run, keeping its output as a secret (skipped if `test -f x` succeeds)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newCall(t, tc.params)
			changes, err := Exec{}.Plan(context.Background(), c)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			want := step.Change{Action: step.Run, Target: tc.target, Effect: tc.effect}
			if len(changes) != 1 || changes[0] != want {
				t.Errorf("Plan = %+v, want [%+v]", changes, want)
			}
		})
	}
}

func TestExecPlanRunsNothing(t *testing.T) {
	c, _ := newCall(t, map[string]any{
		"command": []string{"touch", "by-command"},
		"unless":  []string{"touch", "by-unless"},
	})
	if _, err := (Exec{}).Plan(context.Background(), c); err != nil {
		t.Fatalf("Plan: %v", err)
	}
	for _, f := range []string{"by-command", "by-unless"} {
		if _, err := os.Stat(filepath.Join(c.Dir, f)); err == nil {
			t.Errorf("Plan ran something: %s exists", f)
		}
	}
}

func TestExecRefusesSecrets(t *testing.T) {
	value := canary(t)
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"env", map[string]any{"command": []string{"touch", "ran"}, "env": map[string]string{"KEY": "x" + value}}, "KEY in `env` holds a secret"},
		{"argv", map[string]any{"command": []string{"touch", "ran", value}}, "argument 2 of `command` holds a secret"},
		{"unless argv", map[string]any{"command": []string{"touch", "ran"}, "unless": []string{"test", value}}, "argument 1 of `unless` holds a secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newCall(t, tc.params)
			c.Secrets.Add(secret.New(value))
			for _, f := range []struct {
				name string
				run  func() error
			}{
				{"Apply", func() error { _, err := Exec{}.Apply(context.Background(), c); return err }},
				{"Plan", func() error { _, err := Exec{}.Plan(context.Background(), c); return err }},
			} {
				err := f.run()
				if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s = %v, want a permanent error containing %q", f.name, err, tc.want)
					continue
				}
				if strings.Contains(err.Error(), value) {
					t.Errorf("%s error contains the secret: %v", f.name, err)
				}
			}
			if _, err := os.Stat(filepath.Join(c.Dir, "ran")); err == nil {
				t.Error("the command ran")
			}
		})
	}
}

func TestExecProgramResolution(t *testing.T) {
	c, _ := newCall(t, nil)
	if err := os.MkdirAll(filepath.Join(c.Dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(c.Dir, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.Dir, "bin", "where.sh"), []byte("#!/bin/sh\npwd\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The program is resolved against Call.Dir; `dir` sets the working
	// directory.
	c.Params = map[string]any{"command": []string{"./bin/where.sh"}, "dir": "work"}
	res, err := Exec{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	wantDir, _ := filepath.EvalSymlinks(filepath.Join(c.Dir, "work"))
	gotDir, _ := filepath.EvalSymlinks(res.Outputs["stdout"].(string))
	if gotDir != wantDir {
		t.Errorf("ran in %q, want %q", gotDir, wantDir)
	}

	for _, tc := range []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"missing path", map[string]any{"command": []string{"./bin/nope.sh"}}, "not found"},
		{"missing in PATH", map[string]any{"command": []string{"respond-no-such-program-xyz"}}, "not found in PATH"},
		{"empty", map[string]any{"command": []string{}}, "`command` is empty"},
		{"bad dir", map[string]any{"command": []string{"true"}, "dir": "nope"}, "not a directory"},
		{"bad env name", map[string]any{"command": []string{"true"}, "env": map[string]string{"A=B": "x"}}, "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.Params = tc.params
			_, err := Exec{}.Apply(context.Background(), c)
			if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Apply = %v, want a permanent error containing %q", err, tc.want)
			}
		})
	}
}

func TestExecLongStderrIsBounded(t *testing.T) {
	c, _ := newCall(t, map[string]any{
		"command": []string{"sh", "-c", `i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done >&2; exit 1`},
	})
	_, err := Exec{}.Apply(context.Background(), c)
	if err == nil {
		t.Fatal("Apply succeeded, want exit 1")
	}
	msg := err.Error()
	if len(msg) > 4<<10+500 {
		t.Errorf("error is %d bytes long, want at most about %d", len(msg), 4<<10)
	}
	if !strings.Contains(msg, "line 1999") || strings.Contains(msg, "line 0\n") {
		t.Errorf("error does not keep the end of stderr: %q…", msg[:min(200, len(msg))])
	}
}

func TestExecRelativeCallDir(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, d := range []string{"rel/bin", "rel/work"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile("rel/bin/where.sh", []byte("#!/bin/sh\npwd\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, _ := newCall(t, map[string]any{"command": []string{"./bin/where.sh"}, "dir": "work"})
	c.Dir = "rel"
	res, err := Exec{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply with a relative Call.Dir: %v", err)
	}
	if got := res.Outputs["stdout"].(string); !strings.HasSuffix(got, "/rel/work") {
		t.Errorf("ran in %q, want …/rel/work", got)
	}
}

func TestExecContextDoneBeforeStart(t *testing.T) {
	c, _ := newCall(t, map[string]any{"command": []string{"touch", "ran"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Exec{}.Apply(ctx, c)
	if !errors.Is(err, context.Canceled) || step.IsPermanent(err) {
		t.Errorf("Apply = %v, want a retryable error wrapping context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "ran")); err == nil {
		t.Error("the command ran")
	}
}

func TestExecSecretStdoutFailureMasksOutput(t *testing.T) {
	value := canary(t)
	c, logs := newCall(t, map[string]any{"command": []string{"./gen.sh"}, "secret_stdout": true})
	script := "#!/bin/sh\necho '" + value + "'\necho \"half-made '" + value + "'\" >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(c.Dir, "gen.sh"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	res, err := Exec{}.Apply(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "exited with code 1") {
		t.Fatalf("Apply = %v, want exit code 1", err)
	}
	if strings.Contains(err.Error(), value) || strings.Contains(logs.String(), value) {
		t.Errorf("the printed value leaked: error %q, log %q", err, logs)
	}
	if _, ok := res.Outputs["secret"]; ok {
		t.Error("a failed run produced a secret output")
	}
}

// hasRun reports whether s holds 12 or more characters of secret in a row.
func hasRun(s, secret string) bool {
	for i := 0; i+12 <= len(secret); i++ {
		if strings.Contains(s, secret[i:i+12]) {
			return true
		}
	}
	return false
}

// TestStderrTailNeverHoldsPartOfSecret cuts the kept tail of standard
// error at every offset of a secret (finding 1: the tail was masked after
// the cut, so a cut secret no longer matched), with the stream arriving in
// writes of several sizes.
func TestExecStdoutCutKeepsNoPartOfSecret(t *testing.T) {
	key := "sk-svcacct-" + strings.Repeat("Wq7_", 39)
	c, _ := newCall(t, map[string]any{
		"command": []string{"sh", "-c", `head -c ` + strconv.Itoa(childproc.MaxStdout-40) + ` /dev/zero | tr '\0' y; cat; echo`},
		"stdin":   secret.New(key),
	})
	res, err := Exec{}.Apply(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := res.Outputs["stdout"].(string)
	if hasRun(out, key) || !strings.HasSuffix(out, "y") {
		t.Fatalf("stdout keeps part of the key at the cut: …%q", out[max(0, len(out)-60):])
	}
}

// TestSupervisorEndsAsTheCommand: under the supervisor (as every test here
// runs) respond still sees the command's exit code and the signal that
// stopped it.
func TestSupervisorEndsAsTheCommand(t *testing.T) {
	if !childproc.SupervisorEnabled() {
		t.Skip("no supervisor on this platform")
	}
	for _, tc := range []struct {
		script, want string
	}{
		{"exit 7", "exited with code 7"},
		{"kill -TERM $$", "was stopped (signal: terminated)"},
		{"kill -KILL $$", "was stopped (signal: killed)"},
		{"kill -SEGV $$", "exited with code 139"},
	} {
		c, _ := newCall(t, map[string]any{"command": []string{"sh", "-c", tc.script}})
		_, err := Exec{}.Apply(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.script, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "goroutine") {
			t.Errorf("%s: the supervisor printed a stack: %v", tc.script, err)
		}
	}
}

// TestExecStdoutCutKeepsNoPartOfSecret: standard output is kept up to
// childproc.MaxStdout; a secret straddling the cut leaves no part in the output.
