package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/ui"
)

const esc = "\x1b["

// renderRun shows a small run through a textView with the palette on or
// off and returns what went to stdout and stderr.
func renderRun(colour bool) (string, string) {
	var out, errOut bytes.Buffer
	v := &textView{out: &out, err: &errOut, p: ui.Palette{Enabled: colour}}
	plan := &engine.Plan{Incident: "INC-1", Playbook: "leaked-key", Rows: []engine.Row{
		{Step: "identify", Action: step.Read, Target: "openai:proj_1", Effect: "find the key", State: engine.RowPending},
		{Step: "revoke", Action: step.Delete, Target: "openai:key_1", Effect: "revoke the leaked key", Mutates: true, State: engine.RowPending},
		{Step: "deploy", Item: "acme/api", Action: step.Update, Target: "github-actions:acme/api:OPENAI_API_KEY", Effect: "store the replacement", Mutates: true, State: engine.RowDone},
	}}
	v.Planned(plan)
	in := engine.Instance{Step: "revoke", Attempt: 1}
	v.StepStarted(in)
	v.StepLog(in, "deleting key_1")
	ok := engine.StepOutcome{Instance: in, Status: "ok", Summary: "revoked", Duration: time.Second}
	v.StepFinished(in, ok)
	skip := engine.StepOutcome{Instance: engine.Instance{Step: "close-alert"}, Status: "skipped", Summary: "no alert"}
	v.StepFinished(skip.Instance, skip)
	bad := engine.StepOutcome{Instance: engine.Instance{Step: "verify"}, Status: "failed", Error: "still live"}
	v.StepFinished(bad.Instance, bad)
	v.summary(&engine.Outcome{Steps: []engine.StepOutcome{ok, skip, bad}})
	return out.String(), errOut.String()
}

func TestTextViewNoColourHasNoEscapes(t *testing.T) {
	out, errOut := renderRun(false)
	if !strings.Contains(out, "Plan for playbook leaked-key:") || !strings.Contains(out, "revoke the leaked key") {
		t.Fatalf("the plan is missing from stdout:\n%s", out)
	}
	if strings.Contains(out, esc) || strings.Contains(errOut, esc) {
		t.Errorf("ANSI escapes with colour off:\nstdout: %q\nstderr: %q", out, errOut)
	}
	if !strings.Contains(out, "1 step(s) change things, 1 do not, 1 already done or skipped.") {
		t.Errorf("the plan's count line is wrong:\n%s", out)
	}
}

func TestTextViewColourHasEscapes(t *testing.T) {
	out, errOut := renderRun(true)
	if !strings.Contains(out, esc) || !strings.Contains(errOut, esc) {
		t.Errorf("no ANSI escapes with colour on:\nstdout: %q\nstderr: %q", out, errOut)
	}
}

// Through the command: output that is not a terminal (iostreams.Test) is
// plain; only when colour is enabled do escapes appear.
func TestLeakedKeyPlanColour(t *testing.T) {
	t.Parallel()
	e := startSim(t)
	for _, colour := range []bool{false, true} {
		f, out, errOut := e.factory(t, false, nil)
		f.IO.SetColorEnabled(colour)
		code := Run(t.Context(), f, e.args("leaked-key", "--key-id", e.info.LeakedKeyID, "--project", e.info.ProjectID, "--dry-run"))
		if code != ExitOK {
			t.Fatalf("colour=%v: exit %d\nstdout:\n%s\nstderr:\n%s", colour, code, out, errOut)
		}
		if !strings.Contains(out.String(), "Plan for playbook") {
			t.Fatalf("colour=%v: no plan on stdout:\n%s", colour, out)
		}
		if got := strings.Contains(out.String()+errOut.String(), esc); got != colour {
			t.Errorf("colour=%v: ANSI escapes in the output = %v\nstdout: %q\nstderr: %q", colour, got, out, errOut)
		}
	}
	e.assertOnlyReads(t)
}
