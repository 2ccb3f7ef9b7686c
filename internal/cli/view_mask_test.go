package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/ui"
)

// A progress line wrapped to a narrow terminal is masked before it wraps:
// a value wider than a line, split across lines, would pass the masking
// writer under it in pieces.
func TestProgressMasksBeforeWrapping(t *testing.T) {
	val := "sk-proj-" + strings.Repeat("A1b2C3d4", 12)
	reg := secret.NewRegistry()
	reg.Add(secret.New(val))
	var errOut bytes.Buffer
	w := secret.NewWriter(&errOut, reg)
	v := &textView{width: 40, mask: reg.MaskString, out: &bytes.Buffer{}, err: w, p: ui.Palette{}}
	v.StepFinished(engine.Instance{Step: "replace"}, engine.StepOutcome{Status: "failed", Error: "the API echoed " + val + " back"})
	v.StepLog(engine.Instance{Step: "deploy"}, "wrote "+val)
	_ = w.Flush()
	got := errOut.String()
	if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(got, "\n", ""), " ", ""), val[8:40]) {
		t.Fatalf("a wrapped piece of the secret reached the terminal:\n%s", got)
	}
	if !strings.Contains(got, "failed") || !strings.Contains(got, "deploy |") {
		t.Fatalf("the progress lines are missing:\n%s", got)
	}
}
