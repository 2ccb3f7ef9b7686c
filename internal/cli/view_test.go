package cli

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
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

// bigFanOut is the plan of a deploy to n repository secrets of acme, an
// environment's secret and an organization's, as the engine gives it
// (each row with its target's mapping).
func bigFanOut(n int) (*engine.Plan, []string) {
	p := &engine.Plan{Incident: "INC-1", Playbook: "leaked-key"}
	var ids []string
	add := func(m map[string]any) {
		t, err := target.FromMap(m)
		if err != nil {
			panic(err)
		}
		id := t.ID()
		ids = append(ids, id)
		p.Rows = append(p.Rows, engine.Row{Step: "deploy", Item: id, Action: step.Update, Target: id, Effect: "create or replace Actions secret OPENAI_API_KEY in " + fmt.Sprint(m["repo"]),
			Mutates: true, State: engine.RowPending, Value: t.Map()})
	}
	for i := range n {
		add(map[string]any{"type": "github-actions", "repo": fmt.Sprintf("acme/service-%03d", i), "secret": "OPENAI_API_KEY"})
	}
	add(map[string]any{"type": "github-actions", "repo": "acme/api", "environment": "production", "secret": "OPENAI_API_KEY"})
	add(map[string]any{"type": "github-actions", "org": "acme", "secret": "OPENAI_API_KEY"})
	return p, ids
}

// A fan-out to many alike targets is one plan line and one summary line,
// not one per target (issue 16: 1,003 targets printed over 2,000 lines):
// its targets are named by their group ("1,000 Actions secrets
// OPENAI_API_KEY in acme (service-000 … service-999)"), each exception
// (a failure, a target unlike the others) on its own line, and with
// --verbose every target is listed as before.
func TestLargeFanOutShowsAlikeTargetsTogether(t *testing.T) {
	p, ids := bigFanOut(1000)
	var out bytes.Buffer
	v := &textView{width: 100, out: &out, err: &bytes.Buffer{}}
	v.Planned(p)
	plan := out.String()
	if !strings.Contains(plan, "1,000 Actions secrets OPENAI_API_KEY in acme (service-000 … service-999)") {
		t.Errorf("the plan does not show the repository secrets as one line:\n%s", plan)
	}
	for _, id := range ids[1000:] {
		if !strings.Contains(plan, id) {
			t.Errorf("the plan does not name %s, unlike the others, on its own line:\n%s", id, plan)
		}
	}
	if n := strings.Count(plan, "\n"); n > 20 {
		t.Errorf("the plan of 1,002 targets has %d lines:\n%s", n, plan)
	}

	// The run: every repository secret updated but service-500, which
	// failed; the organization secret never reached (interrupted).
	var steps []engine.StepOutcome
	for i, id := range ids[:1001] {
		in := engine.Instance{Step: "deploy", Item: id, Of: len(ids), Attempt: 1}
		o := engine.StepOutcome{Instance: in, Status: "ok", Summary: "updated " + id, Duration: time.Millisecond}
		if i == 500 {
			o.Status, o.Summary, o.Error = "failed", "", id+": GitHub: 502 Bad Gateway"
		}
		v.StepStarted(in)
		v.StepFinished(in, o)
		steps = append(steps, o)
	}
	out.Reset()
	v.width = 0 // piped: each item on one line
	v.summary(&engine.Outcome{Plan: p, Steps: steps})
	sum := out.String()
	for _, want := range []string{
		`1,002 items: 1,000 ok, 1 failed, 1 not done`,
		`(?m)^    1,000 Actions secrets OPENAI_API_KEY in acme \(service-000 … service-999\) +999 of 1,000 updated in \d`,
		`(?m)^  ✗ github-actions:acme/service-500:OPENAI_API_KEY +failed: GitHub: 502 Bad Gateway`,
		`(?m)^  ✓ github-actions:acme/api@production:OPENAI_API_KEY +updated`,
		`(?m)^  · github-actions:org/acme:OPENAI_API_KEY +not done: the run stopped before it`,
	} {
		if !regexp.MustCompile(want).MatchString(sum) {
			t.Errorf("the summary lacks %q:\n%s", want, sum)
		}
	}
	if strings.Contains(sum, "✓ 1,000 Actions") {
		t.Errorf("a ✓ on a group one of whose targets failed:\n%s", sum)
	}
	if n := strings.Count(sum, "\n"); n > 10 {
		t.Errorf("the summary of 1,002 targets has %d lines:\n%s", n, sum)
	}

	// --verbose: every target, as before.
	out.Reset()
	v = &textView{width: 100, out: &out, err: &bytes.Buffer{}, verbose: true}
	v.Planned(p)
	if n := strings.Count(out.String(), "github-actions:acme/service-"); n != 1000 {
		t.Errorf("with --verbose the plan names %d repository secrets, want 1000", n)
	}
}

// The summary of a fan-out the run did not finish counts what is not done
// (issue 16: after Ctrl-C with 1 of 6 targets written it said "8 deploy
// ok") and names each target not reached.
func TestSummaryCountsWhatIsNotDone(t *testing.T) {
	p, ids := bigFanOut(4)
	in := engine.Instance{Step: "deploy", Item: ids[0], Of: len(ids), Attempt: 1}
	ok := engine.StepOutcome{Instance: in, Status: "ok", Summary: "updated " + ids[0]}
	var out bytes.Buffer
	v := &textView{out: &out, err: &bytes.Buffer{}}
	v.Planned(p)
	out.Reset()
	v.summary(&engine.Outcome{Plan: p, Steps: []engine.StepOutcome{ok}})
	s := out.String()
	if !strings.Contains(s, "deploy  6 items: 1 ok, 5 not done") {
		t.Errorf("the heading does not count what is not done:\n%s", s)
	}
	for _, id := range ids[1:] {
		if !regexp.MustCompile(`(?m)^  · ` + regexp.QuoteMeta(id) + ` +not done: the run stopped before it$`).MatchString(s) {
			t.Errorf("%s is not listed as not done:\n%s", id, s)
		}
	}
}

// TestIncidentsFitTheWidth: the incidents list fits 80 columns, with every
// incident's ID, playbook, status, key and credential; a wide terminal
// gets the table.
func TestIncidentsFitTheWidth(t *testing.T) {
	ttc := 412 * time.Millisecond
	list := []incident.Summary{
		{ID: "INC-20261207-224038-6334", Playbook: "leaked-key", Status: "contained, not recovered", Started: time.Date(2026, 12, 7, 22, 40, 38, 0, time.UTC),
			TimeToContain: &ttc, Key: "projects/123456789012/locations/global/keys/8c3e1f2a-5b6d-4e7f-9a0b-1c2d3e4f5a6b", Credential: "gemini-production"},
		{ID: "INC-20261207-224246-f0dc", Playbook: "rotate-key", Status: "recovered", Started: time.Date(2026, 12, 7, 22, 42, 46, 0, time.UTC),
			Key: "key_HFUOEgh8jFievlAH", Credential: "openai-production"},
	}
	var narrow bytes.Buffer
	if err := writeIncidents(&narrow, list, 80); err != nil {
		t.Fatal(err)
	}
	if w := ui.MaxWidth(narrow.String()); w > 80 {
		t.Errorf("the list is %d columns wide at 80:\n%s", w, narrow.String())
	}
	if !strings.Contains(narrow.String(), "key projects/123456789012/locations/g…/8c3e") || !strings.Contains(narrow.String(), "9a0b-1c2d3e4f5a6b") {
		t.Errorf("a key too long for the width is not cut in its middle:\n%s", narrow.String())
	}
	list[0].Key = "key_short"
	narrow.Reset()
	if err := writeIncidents(&narrow, list, 80); err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		for _, v := range []string{s.ID, s.Playbook, s.Status, s.Key, s.Credential} {
			if !strings.Contains(narrow.String(), v) {
				t.Errorf("the list at 80 columns lacks %q:\n%s", v, narrow.String())
			}
		}
	}
	if !strings.Contains(narrow.String(), "time to contain 412ms") {
		t.Errorf("the list lacks the time to contain:\n%s", narrow.String())
	}
	var wide bytes.Buffer
	if err := writeIncidents(&wide, list, 250); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(wide.String(), "TIME TO CONTAIN") {
		t.Errorf("a 250-column terminal does not get the table:\n%s", wide.String())
	}
}

// TestWrapWords: the outcome's words wrap at spaces within the width on a
// terminal, and stay one line elsewhere.
func TestWrapWords(t *testing.T) {
	text := "the earlier replacement(s) key_DeMUvK2Oxl8IF8dJ stay live until the new one is on every target, redeployed and verified"
	lines := wrapWords(text, 45)
	if len(lines) < 3 || strings.Join(lines, " ") != text {
		t.Errorf("wrapWords(…, 45) = %q", lines)
	}
	for _, l := range lines {
		if ui.StringWidth(l) > 45 {
			t.Errorf("line %q is wider than 45", l)
		}
	}
	if got := wrapWords(text, 0); len(got) != 1 || got[0] != text {
		t.Errorf("wrapWords(…, 0) = %q; want the text whole", got)
	}
}
