package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/ui"
)

// textView shows a run to a person: the plan as a table on stdout,
// progress on stderr, and a summary table at the end.
type textView struct {
	width int // terminal width to fit tables to; 0: no limit
	mu    sync.Mutex
	done  map[string]int // finished items of a fan-out, by step
	out   io.Writer
	err   io.Writer
	p     ui.Palette
	json  bool // machine output: the plan and summary go out as JSON at the end instead
}

// planRows renders the plan. On a terminal the target and effect columns
// share what the fixed columns leave of its width.
func planRows(p *engine.Plan, width int) [][]string {
	targetW, effectW := 60, 70
	if width > 0 {
		// #, step, action, state and the borders take about 57 columns.
		room := max(width-57, 40)
		targetW, effectW = room*45/100, room*55/100
	}
	rows := make([][]string, 0, len(p.Rows))
	for i, r := range p.Rows {
		stepName := r.Step
		if r.Item != "" && r.Item != r.Target {
			stepName += " [" + r.Item + "]"
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), oneLine(stepName, 30), string(r.Action), oneLine(r.Target, targetW), oneLine(r.Effect, effectW), r.State})
	}
	return rows
}

func (v *textView) Planned(p *engine.Plan) {
	if v.json {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.out, "%s\n", v.p.Bold("Plan for playbook "+p.Playbook+":"))
	_ = ui.Table(v.out, []string{"#", "STEP", "ACTION", "TARGET", "EFFECT", "STATE"}, planRows(p, v.width))
	changes, reads, done := 0, 0, 0
	for _, r := range p.Rows {
		switch {
		case r.State == engine.RowDone || r.State == engine.RowSkip:
			done++
		case r.Mutates:
			changes++
		default:
			reads++
		}
	}
	fmt.Fprintf(v.out, "%d step(s) change things, %d do not, %d already done or skipped.\n", changes, reads, done)
}

func (v *textView) label(in engine.Instance) string {
	s := in.Step
	if in.Item != "" {
		s += " [" + in.Item + "]"
	}
	if in.Attempt > 1 {
		s += fmt.Sprintf(" (attempt %d)", in.Attempt)
	}
	return s
}

func (v *textView) StepStarted(in engine.Instance) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.err, "%s %s\n", v.p.Dim("→"), v.label(in))
}

func (v *textView) StepLog(in engine.Instance, line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(line, "\n"), "\n") {
		fmt.Fprintf(v.err, "  %s %s\n", v.p.Dim(v.label(in)+" |"), l)
	}
}

func (v *textView) StepFinished(in engine.Instance, o engine.StepOutcome) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if in.Of > 1 && !o.Earlier {
		if v.done == nil {
			v.done = map[string]int{}
		}
		v.done[in.Step]++
		// Progress every tenth of a long fan-out, and at its end.
		if n := v.done[in.Step]; n == in.Of || n%max(1, in.Of/10) == 0 {
			defer fmt.Fprintf(v.err, "  %s\n", v.p.Dim(fmt.Sprintf("%s: %d of %d done", in.Step, n, in.Of)))
		}
	}
	switch {
	case o.Earlier:
		fmt.Fprintf(v.err, "%s %s %s\n", v.p.Dim("✓"), v.label(in), v.p.Dim("done in an earlier run"))
	case o.Status == "ok":
		extra := o.Summary
		if o.Reconciled {
			extra += " (reconciled)"
		}
		fmt.Fprintf(v.err, "%s %s %s %s\n", v.p.Green("✓"), v.label(in), extra, v.p.Dim(o.Duration.Round(time.Millisecond).String()))
	case o.Status == "skipped":
		fmt.Fprintf(v.err, "%s %s skipped: %s\n", v.p.Yellow("-"), v.label(in), o.Summary)
	default:
		fmt.Fprintf(v.err, "%s %s failed: %s\n", v.p.Red("✗"), v.label(in), o.Error)
	}
}

// summary prints the table of every step instance and its result.
func (v *textView) summary(o *engine.Outcome) {
	if v.json || o == nil || len(o.Steps) == 0 {
		return
	}
	rows := [][]string{}
	for _, s := range o.Steps {
		name := s.Step
		if s.Item != "" {
			name += " [" + s.Item + "]"
		}
		result := s.Summary
		if s.Error != "" {
			result = s.Error
		}
		status := s.Status
		if s.Earlier {
			status += " (earlier run)"
		}
		if s.Reconciled {
			status += " (reconciled)"
		}
		rows = append(rows, []string{name, status, s.Duration.Round(time.Millisecond).String(), oneLine(result, 100)})
	}
	fmt.Fprintf(v.out, "\n%s\n", v.p.Bold("Summary:"))
	_ = ui.Table(v.out, []string{"STEP", "STATUS", "DURATION", "RESULT"}, rows)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > n {
		return string([]rune(s)[:n-1]) + "…"
	}
	return s
}
