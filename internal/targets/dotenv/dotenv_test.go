package dotenv

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/dotenv"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// canary returns a fresh secret-looking value unique to the test.
func canary(t *testing.T) string {
	t.Helper()
	return "sk-proj-CANARY" + strings.ReplaceAll(t.Name(), "/", "_") + "x9Q7wZ"
}

func TestDotenvWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	tg := target.New("dotenv", map[string]any{"path": path, "var": "OPENAI_API_KEY"})
	value := secret.New(canary(t))
	w := Writer{}

	if err := w.Check(ctx, tg); err != nil {
		t.Fatalf("Check: %v", err)
	}
	ch, err := w.Plan(ctx, tg)
	if err != nil || ch.Action != step.Create || ch.Target != tg.ID() || !strings.Contains(ch.Effect, "create "+path) {
		t.Errorf("Plan of a missing file = %+v, %v", ch, err)
	}
	res, err := w.Write(ctx, tg, value)
	if err != nil || !res.Created || !strings.Contains(res.Detail, "added OPENAI_API_KEY") {
		t.Fatalf("first Write = %+v, %v", res, err)
	}
	ch, _ = w.Plan(ctx, tg)
	if ch.Action != step.Update || !strings.Contains(ch.Effect, "replace the value of OPENAI_API_KEY in "+path) {
		t.Errorf("Plan of an existing variable = %+v", ch)
	}
	res, err = w.Write(ctx, tg, value)
	if err != nil || res.Created || !strings.Contains(res.Detail, "replaced OPENAI_API_KEY") {
		t.Errorf("second Write = %+v, %v", res, err)
	}
	if got, _, _ := dotenv.Lookup(path, "OPENAI_API_KEY"); got != value.Reveal() {
		t.Error("the file does not hold the value")
	}
	if strings.Contains(res.Detail, value.Reveal()) {
		t.Error("the detail holds the value")
	}

	bad := target.New("dotenv", map[string]any{"path": filepath.Join(dir, "no", "such", ".env"), "var": "A"})
	if err := w.Check(ctx, bad); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Check of a missing directory = %v", err)
	}
}
