package steps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/dotenv"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// localWriters are the writers of the registered target types, with no
// client configured: enough for targets on this machine (.env files,
// commands).
func localWriters() *target.Set { return target.NewSet(nil) }

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

func TestDeployDotenv(t *testing.T) {
	value := canary(t)
	// A relative path, as a playbook may give it, resolves against the
	// playbook's directory (c.Dir).
	c, _ := newCall(t, map[string]any{
		"target": map[string]any{"type": "dotenv", "path": "deploy/.env", "var": "OPENAI_API_KEY"},
		"value":  secret.New(value),
	})
	os.Mkdir(filepath.Join(c.Dir, "deploy"), 0o755)
	path := filepath.Join(c.Dir, "deploy", ".env")
	os.WriteFile(path, []byte("# prod\nOPENAI_API_KEY=old\nOTHER=1\n"), 0o640)
	d := Deploy{Writers: localWriters()}

	changes, err := d.Plan(context.Background(), c)
	if err != nil || len(changes) != 1 || changes[0].Action != step.Update || changes[0].Target != "dotenv:"+path+":OPENAI_API_KEY" {
		t.Fatalf("Plan = %+v, %v", changes, err)
	}
	res, err := d.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "# prod\nOPENAI_API_KEY="+value+"\nOTHER=1\n" {
		t.Errorf("file = %q", b)
	}
	// The file was readable by its group (0640): it keeps its mode, and the
	// summary names the follow-up.
	if !strings.HasPrefix(res.Summary, "updated dotenv:"+path+":OPENAI_API_KEY; follow-up: ") || !strings.Contains(res.Summary, "chmod 600 "+path) {
		t.Errorf("summary %q", res.Summary)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %04o, want 0640 kept", fi.Mode().Perm())
	}
	ev := res.Evidence
	if ev["target"] != "dotenv:"+path+":OPENAI_API_KEY" || ev["type"] != "dotenv" || ev["created"] != false ||
		ev["value_fingerprint"] != secret.Fingerprint(value) || !strings.Contains(ev["detail"].(string), "replaced") {
		t.Errorf("evidence %v", ev)
	}
	if res.Outputs["created"] != false || res.Outputs["target"] != ev["target"] {
		t.Errorf("outputs %v", res.Outputs)
	}
	if s := evidenceJSON(t, res); strings.Contains(s, value) {
		t.Errorf("evidence holds the value: %s", s)
	}
	if !c.Secrets.Contains(value) {
		t.Error("the value was not registered")
	}

	// A new variable in a new file: created.
	c2, _ := newCall(t, map[string]any{
		"target": map[string]any{"type": "dotenv", "path": filepath.Join(c.Dir, "new.env"), "var": "K"},
		"value":  secret.New(value),
	})
	res, err = d.Apply(context.Background(), c2)
	if err != nil || res.Evidence["created"] != true || !strings.HasPrefix(res.Summary, "created dotenv:") {
		t.Errorf("Apply to a new file = %+v, %v", res, err)
	}
	if v, _, _ := dotenv.Lookup(filepath.Join(c.Dir, "new.env"), "K"); v != value {
		t.Error("the new file does not hold the value")
	}
}

func TestDeployExec(t *testing.T) {
	value := canary(t)
	dir := t.TempDir()
	got := filepath.Join(dir, "stored")
	script(t, dir, "store.sh", "cat > \""+got+"\"\n")
	c, _ := newCall(t, map[string]any{
		"target": target.New("exec", map[string]any{"command": []string{"./store.sh"}}).Map(),
		"value":  secret.New(value),
	})
	c.Dir = dir
	res, err := Deploy{Writers: localWriters()}.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if b, _ := os.ReadFile(got); string(b) != value {
		t.Errorf("the command stored %q", b)
	}
	if res.Summary != "updated exec:"+filepath.Join(dir, "store.sh") {
		t.Errorf("summary %q", res.Summary)
	}
}

func TestDeployRefuses(t *testing.T) {
	value := secret.New(canary(t))
	for _, tc := range []struct {
		name   string
		target any
		value  any
		want   string
	}{
		{"workflow", map[string]any{"type": "github-workflow", "repo": "acme/api", "workflow": "deploy.yml", "ref": "main"}, value, "is a deployment to re-run, not a place that holds the credential"},
		{"no client", map[string]any{"type": "github-actions", "repo": "acme/api", "secret": "K"}, value, "github-actions:acme/api:K: GitHub is not configured"},
		{"unknown type", map[string]any{"type": "gitlab"}, value, `unknown target type "gitlab"`},
		{"invalid", map[string]any{"type": "dotenv", "path": ".env"}, value, "var is required"},
		{"not a mapping", "dotenv:.env:K", value, "is a string, not a target mapping"},
		{"missing target", nil, value, `parameter "target" is missing`},
		{"empty value", map[string]any{"type": "dotenv", "path": ".env", "var": "K"}, secret.Value{}, "value to write to dotenv:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := map[string]any{"value": tc.value}
			if tc.target != nil {
				params["target"] = tc.target
			}
			c, _ := newCall(t, params)
			_, err := Deploy{Writers: localWriters()}.Apply(context.Background(), c)
			if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Apply = %v; want a permanent error containing %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), value.Reveal()) {
				t.Errorf("the error holds the value")
			}
		})
	}
}

func TestDeployWriteErrorIsWrapped(t *testing.T) {
	dir := t.TempDir()
	c, _ := newCall(t, map[string]any{
		"target": map[string]any{"type": "exec", "command": []any{script(t, dir, "f.sh", "exit 7\n")}},
		"value":  secret.New(canary(t)),
	})
	_, err := Deploy{Writers: localWriters()}.Apply(context.Background(), c)
	if err == nil || !strings.HasPrefix(err.Error(), "deploy to exec:") || !strings.Contains(err.Error(), "exited with code 7") {
		t.Errorf("Apply = %v", err)
	}
	if errors.Is(err, step.ErrPreflight) {
		t.Error("a write failure is not a preflight problem")
	}
}
