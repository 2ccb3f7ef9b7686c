package cli

import (
	"bytes"
	"fmt"
	"regexp"
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
	if !strings.Contains(out, "To do: 1 change and 1 read; 1 already done or skipped.") {
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

// fanOutPlan is the leaked-key plan with a deploy to ten repositories, an
// environment and an organization secret whose change is destructive.
func fanOutPlan() (*engine.Plan, []string) {
	p := &engine.Plan{Incident: "INC-1", Playbook: "leaked-key", Rows: []engine.Row{
		{Step: "identify", Action: step.Read, Target: "-", Effect: `done while planning: key_HFUOEgh8jFievlAH "prod-backend" in Production (proj_pzDfHDetccqcSoxUF86uKEy1), owned by user sofia@acme.example`, State: engine.RowDone},
		{Step: "contain", Action: step.Delete, Target: "OpenAI key key_HFUOEgh8jFievlAH (prod-backend)", Effect: "revoke: delete the project API key", Mutates: true, State: engine.RowPending},
	}}
	var targets []string
	for _, repo := range []string{"api", "web", "worker", "billing", "ingest", "notifier", "search", "admin-console", "mobile-backend", "analytics"} {
		targets = append(targets, "github-actions:acme/"+repo+":OPENAI_API_KEY")
	}
	targets = append(targets, "github-actions:acme/api@production:OPENAI_API_KEY", "github-actions:org/acme:OPENAI_API_KEY")
	for _, t := range targets {
		r := engine.Row{Step: "deploy", Item: t, Action: step.Update, Target: t, Effect: "replace the value of Actions secret OPENAI_API_KEY in " + strings.Split(t, ":")[1], Mutates: true, State: engine.RowPending}
		if strings.Contains(t, "org/acme") {
			r.Effect, r.Destructive = "acme/worker loses access to organization secret OPENAI_API_KEY", true
		}
		p.Rows = append(p.Rows, r)
	}
	p.Rows = append(p.Rows, engine.Row{Step: "close-alert", Action: step.Update, Target: "alert acme/api#1", Effect: `resolve as revoked with comment "Revoked and replaced by respond, incident INC-20261129-124526-b0a9."`, Mutates: true, State: engine.RowPending})
	return p, targets
}

// At 80 and 120 columns and piped (0), every target is named whole at the
// start of its line, no line is wider than the terminal, the fan-out's
// step is named once, and the destructive row is marked.
func TestPlanFitsTheTerminal(t *testing.T) {
	p, targets := fanOutPlan()
	for _, width := range []int{80, 120, 0} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			var out bytes.Buffer
			v := &textView{width: width, out: &out, err: &bytes.Buffer{}}
			v.Planned(p)
			s := out.String()
			for _, l := range strings.Split(s, "\n") {
				if width > 0 && ui.StringWidth(l) > width {
					t.Errorf("line wider than %d: %q", width, l)
				}
				if strings.Contains(l, "…") {
					t.Errorf("a cut cell: %q", l)
				}
			}
			for _, target := range targets {
				mark := " "
				if strings.Contains(target, "org/acme") {
					mark = "!"
				}
				if !regexp.MustCompile(`(?m)^  ` + mark + ` ` + regexp.QuoteMeta(target) + `( |$)`).MatchString(s) {
					t.Errorf("target %s is not whole (marked %q) at the start of a line:\n%s", target, mark, s)
				}
			}
			if !strings.Contains(strings.Join(strings.Fields(s), " "), "acme/worker loses access to organization secret OPENAI_API_KEY") {
				t.Errorf("the destructive effect is missing:\n%s", s)
			}
			if n := strings.Count(s, "deploy"); n != 1 {
				t.Errorf("the step deploy is named %d times, want once:\n%s", n, s)
			}
			if !strings.Contains(s, "12 items, pending, 1 destructive") {
				t.Errorf("the fan-out's heading does not count its items:\n%s", s)
			}
			if !strings.Contains(s, "! 1 destructive change: it takes away something") {
				t.Errorf("no warning about the destructive change:\n%s", s)
			}
		})
	}
}

// With colour, the destructive row is red; without, there are no escapes
// but the marker stays.
func TestPlanDestructiveColour(t *testing.T) {
	p, _ := fanOutPlan()
	for _, colour := range []bool{true, false} {
		var out bytes.Buffer
		v := &textView{width: 80, out: &out, err: &bytes.Buffer{}, p: ui.Palette{Enabled: colour}}
		v.Planned(p)
		red := regexp.MustCompile(`(?m)^  \x1b\[31m!\x1b\[0m \x1b\[31mgithub-actions:org/acme:OPENAI_API_KEY`)
		if got := red.MatchString(out.String()); got != colour {
			t.Errorf("colour=%v: destructive row in red = %v:\n%q", colour, got, out.String())
		}
		if !colour && (strings.Contains(out.String(), esc) || !strings.Contains(out.String(), "  ! github-actions:org/acme:OPENAI_API_KEY")) {
			t.Errorf("without colour: escapes, or no marker:\n%s", out.String())
		}
	}
}

// The summary groups a fan-out under its step, in the plan's order
// whatever order its items finished in, names each item's target from the
// plan, and marks what failed.
func TestSummaryGroupsFanOut(t *testing.T) {
	p, targets := fanOutPlan()
	var steps []engine.StepOutcome
	for i := len(targets) - 1; i >= 0; i-- { // finished in reverse
		o := engine.StepOutcome{Instance: engine.Instance{Step: "deploy", Item: targets[i], Of: len(targets)}, Status: "ok", Summary: "updated " + targets[i], Duration: 3 * time.Millisecond}
		if i == 3 {
			o.Status, o.Summary, o.Error = "failed", "", targets[i]+": GitHub: 502 Bad Gateway"
		}
		steps = append(steps, o)
	}
	steps = append([]engine.StepOutcome{{Instance: engine.Instance{Step: "contain"}, Status: "ok", Summary: "revoked key_HFUOEgh8jFievlAH"}}, steps...)
	for _, width := range []int{80, 0} {
		var out bytes.Buffer
		v := &textView{width: width, out: &out, err: &bytes.Buffer{}}
		v.Planned(p)
		out.Reset()
		v.summary(&engine.Outcome{Plan: p, Steps: steps})
		s := out.String()
		if !strings.Contains(s, "3  deploy   11 ok, 1 failed") {
			t.Errorf("width %d: no heading counting the fan-out, numbered as in the plan:\n%s", width, s)
		}
		if !strings.Contains(s, "  ✓ OpenAI key key_HFUOEgh8jFievlAH (prod-backend)") {
			t.Errorf("width %d: the single step does not name its target:\n%s", width, s)
		}
		last := -1
		for i, target := range targets {
			mark := "✓"
			if i == 3 {
				mark = "✗"
			}
			loc := regexp.MustCompile(`(?m)^  ` + mark + ` ` + regexp.QuoteMeta(target) + `( |$)`).FindStringIndex(s)
			if loc == nil {
				t.Fatalf("width %d: %s is not listed whole with %s:\n%s", width, target, mark, s)
			}
			if loc[0] < last {
				t.Errorf("width %d: %s is out of the plan's order:\n%s", width, target, s)
			}
			last = loc[0]
		}
		if strings.Contains(s, "updated github-actions") || strings.Contains(s, "failed: github-actions") {
			t.Errorf("width %d: the result repeats the target beside it:\n%s", width, s)
		}
		if !strings.Contains(s, "failed: GitHub: 502 Bad Gateway") {
			t.Errorf("width %d: the failure is not shown:\n%s", width, s)
		}
	}
}
