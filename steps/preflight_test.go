package steps

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/step"
)

func TestPreflightReportsEveryProblemAtOnce(t *testing.T) {
	dir := t.TempDir()
	store := script(t, dir, "store.sh", "cat >/dev/null\n")
	c, _ := newCall(t, map[string]any{
		"project": "proj_abc",
		"targets": []any{
			map[string]any{"type": "dotenv", "path": filepath.Join(dir, ".env"), "var": "K"},               // fine
			map[string]any{"type": "dotenv", "path": filepath.Join(dir, "gone", ".env"), "var": "K"},       // missing directory
			map[string]any{"type": "exec", "command": []any{store}},                                        // fine
			map[string]any{"type": "exec", "command": []any{"./missing.sh"}},                               // relative to c.Dir, missing
			map[string]any{"type": "dotenv", "path": ".env"},                                               // invalid: no var
			map[string]any{"type": "github-actions", "repo": "acme/api", "secret": "OPENAI_API_KEY"},       // no writer here
			map[string]any{"type": "github-workflow", "repo": "acme/api", "workflow": "d.yml", "ref": "m"}, // GitHub not configured
		},
	})
	p := Preflight{
		P:       NewProviders(nil),
		Writers: localWriters(),
	}
	res, err := p.Apply(context.Background(), c)
	if err == nil {
		t.Fatal("Apply succeeded despite problems")
	}
	if !errors.Is(err, step.ErrPreflight) || !step.IsPermanent(err) {
		t.Errorf("the error must wrap ErrPreflight and be permanent: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"preflight found 6 problem(s); nothing was changed:\n  - ",
		"OpenAI project proj_abc: OpenAI is not configured: export OPENAI_ADMIN_KEY",
		"dotenv:" + filepath.Join(dir, "gone", ".env") + ":K: directory " + filepath.Join(dir, "gone") + " does not exist",
		"exec:" + filepath.Join(c.Dir, "missing.sh") + ": program " + filepath.Join(c.Dir, "missing.sh") + " does not exist",
		"target 5: dotenv target: var is required",
		"github-actions:acme/api:OPENAI_API_KEY: GitHub is not configured",
		"github-workflow:acme/api:d.yml@m: GitHub is not configured",
		"\nfix them and run again, or pass --force to go ahead anyway",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
	if res == nil || res.Evidence["checked"] != 7 || len(res.Evidence["problems"].([]string)) != 6 {
		t.Errorf("evidence %v", res)
	}
	// The problems keep the order of the checks: the project first, then the
	// targets in the order given.
	if i, j := strings.Index(msg, "OpenAI project"), strings.Index(msg, "dotenv:"+filepath.Join(dir, "gone")); i > j {
		t.Errorf("problems out of order:\n%s", msg)
	}

	// --force: the same problems are a warning, and the step succeeds.
	c.Params["force"] = true
	res, err = p.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply with force: %v", err)
	}
	if !strings.HasPrefix(res.Summary, "WARNING: preflight found 6 problem(s); going ahead anyway (--force):\n  - ") || res.Evidence["forced"] != true {
		t.Errorf("forced result %+v", res)
	}
}

func TestPreflightAllGood(t *testing.T) {
	dir := t.TempDir()
	var targets []any
	for i := range 20 { // more than the concurrency bound
		targets = append(targets, map[string]any{"type": "dotenv", "path": filepath.Join(dir, fmt.Sprintf("%d.env", i)), "var": "K"})
	}
	c, _ := newCall(t, map[string]any{"targets": targets})
	p := Preflight{Writers: localWriters()}
	ch, err := p.Plan(context.Background(), c)
	if err != nil || len(ch) != 1 || ch[0].Action != step.Read || ch[0].Target != "20 target(s)" {
		t.Errorf("Plan = %+v, %v", ch, err)
	}
	res, err := p.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if res.Summary != "all 20 check(s) passed" || res.Outputs["checked"] != 20 || len(res.Outputs["problems"].([]string)) != 0 {
		t.Errorf("result %+v", res)
	}
	if !p.Spec().Reads || p.Spec().Mutates || !p.Spec().Idempotent {
		t.Error("preflight must read only, and be idempotent")
	}
}

func TestPreflightOpenAINotConfigured(t *testing.T) {
	c, _ := newCall(t, map[string]any{"project": "proj_x"})
	_, err := Preflight{}.Apply(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "OpenAI is not configured: export OPENAI_ADMIN_KEY") {
		t.Errorf("Apply = %v", err)
	}
}

func TestPreflightStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, _ := newCall(t, map[string]any{"targets": []any{map[string]any{"type": "dotenv", "path": "a", "var": "K"}}})
	_, err := Preflight{Writers: localWriters()}.Apply(ctx, c)
	if !errors.Is(err, context.Canceled) || errors.Is(err, step.ErrPreflight) {
		t.Errorf("Apply with a cancelled context = %v", err)
	}
}

func TestPreflightProblemOrder(t *testing.T) {
	c, _ := newCall(t, map[string]any{"targets": []any{
		map[string]any{"type": "dotenv", "path": "/nonexistent-dir-respond/a/.env", "var": "A"},
		map[string]any{"type": "dotenv", "path": ".env"},
		map[string]any{"type": "dotenv", "path": "/nonexistent-dir-respond/b/.env", "var": "B"},
	}})
	_, err := Preflight{Writers: localWriters()}.Apply(context.Background(), c)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	a, b, inv := strings.Index(msg, "/a/.env:A"), strings.Index(msg, "/b/.env:B"), strings.Index(msg, "target 2:")
	if a < 0 || b < 0 || inv < 0 || !(a < inv && inv < b) {
		t.Errorf("problems are not in target order:\n%s", msg)
	}
}
