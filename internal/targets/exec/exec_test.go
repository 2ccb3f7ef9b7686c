package exec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/childproc/childtest"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"

	// OPENAI_ADMIN_KEY is respond's credential once the OpenAI provider
	// is registered.
	_ "github.com/respondhq/respond/internal/providers/openai"
)

func TestMain(m *testing.M) { childtest.Main(m) }

// script writes an executable shell script into dir and returns its path.
// (The target runs it directly, never through a shell of respond's own.)
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// canary returns a fresh secret-looking value unique to the test.
func canary(t *testing.T) string {
	t.Helper()
	return "sk-proj-CANARY" + strings.ReplaceAll(t.Name(), "/", "_") + "x9Q7wZ"
}

func TestExecTargetWriterStdinOnly(t *testing.T) {
	value := canary(t)
	admin := "sk-admin-ADMINKEY-for-exec-target-0123"
	t.Setenv("OPENAI_ADMIN_KEY", admin)
	t.Setenv(childtest.DumpVar, "dump") // the child is the test binary in dump mode
	out := filepath.Join(t.TempDir(), "dump.json")
	tg := target.New("exec", map[string]any{"command": []string{childtest.Binary(t), out, "--target", "prod"}})

	w := Writer{}
	if err := w.Check(context.Background(), tg); err != nil {
		t.Fatalf("Check: %v", err)
	}
	res, err := w.Write(context.Background(), tg, secret.New(value))
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if res.Created || !strings.Contains(res.Detail, "exited 0") {
		t.Errorf("result %+v", res)
	}
	d := childtest.ReadDump(t, out)
	if d.Stdin != value {
		t.Errorf("child read %q on stdin, want the value", d.Stdin)
	}
	for _, where := range []struct{ name, text string }{
		{"argv", strings.Join(d.Args, "\n")},
		{"environment", strings.Join(d.Env, "\n")},
		{"/proc/self/cmdline", d.ProcCmd},
		{"/proc/self/environ", d.ProcEnv},
	} {
		for _, s := range []string{value, admin} {
			if strings.Contains(where.text, s) {
				t.Errorf("the child's %s holds a secret (%.12s…)", where.name, s)
			}
		}
	}
}

func TestExecTargetWriterFailures(t *testing.T) {
	dir := t.TempDir()
	value := canary(t)
	w := Writer{WaitDelay: 100 * time.Millisecond}

	// A failing command: its standard error is quoted with the value masked.
	fail := script(t, dir, "fail.sh", "read v\necho \"vault refused $v\" >&2\nexit 3\n")
	_, err := w.Write(context.Background(), target.New("exec", map[string]any{"command": []string{fail}}), secret.New(value))
	if err == nil || !strings.Contains(err.Error(), "exited with code 3") || !strings.Contains(err.Error(), "vault refused") {
		t.Fatalf("Write of a failing command = %v", err)
	}
	if strings.Contains(err.Error(), value) {
		t.Errorf("the error holds the value: %v", err)
	}

	// The timeout stops the command.
	slow := script(t, dir, "slow.sh", "sleep 20\n")
	start := time.Now()
	_, err = w.Write(context.Background(), target.New("exec", map[string]any{"command": []string{slow}, "timeout": "200ms"}), secret.New(value))
	if err == nil || !strings.Contains(err.Error(), "timeout of 200ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Write of a slow command = %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("the slow command ran %s despite a 200ms timeout", el)
	}

	// An argument holding the value is refused before anything runs.
	_, err = w.Write(context.Background(), target.New("exec", map[string]any{"command": []string{fail, value}}), secret.New(value))
	if err == nil || !step.IsPermanent(err) || strings.Contains(err.Error(), value) {
		t.Errorf("Write with the value in argv = %v", err)
	}
}

func TestExecTargetWriterCheckAndPlan(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ok := script(t, dir, "store.sh", "cat >/dev/null\n")
	noexec := filepath.Join(dir, "noexec.sh")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	w := Writer{}
	for _, tc := range []struct {
		cmd     []string
		timeout string
		want    string // "" for no problem
	}{
		{[]string{ok, "--flag"}, "", ""},
		{[]string{"sh"}, "1m", ""},
		{[]string{filepath.Join(dir, "missing.sh")}, "", "does not exist"},
		{[]string{noexec}, "", "is not executable"},
		{[]string{dir + "/"}, "", "is a directory"},
		{[]string{"respond-no-such-program-xyz"}, "", "is not in PATH"},
		{[]string{ok}, "soon", "not a positive duration"},
	} {
		err := w.Check(ctx, target.New("exec", map[string]any{"command": tc.cmd, "timeout": tc.timeout}))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%v) = %v", tc.cmd, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Check(%v, %q) = %v, want %q", tc.cmd, tc.timeout, err, tc.want)
		}
	}
	ch, err := w.Plan(ctx, target.New("exec", map[string]any{"command": []string{ok, "a b"}}))
	if err != nil || ch.Action != step.Update || ch.Effect != "run "+ok+` "a b" with the new value on stdin (timeout 30s)` {
		t.Errorf("Plan = %+v, %v", ch, err)
	}
}
