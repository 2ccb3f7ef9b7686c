package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/ui"
)

// textView shows a run to a person: the plan on stdout, progress on
// stderr, and a summary at the end. The plan and summary fit the terminal's
// width, wrapping rather than cutting; piped, nothing is wrapped or cut.
type textView struct {
	width int // terminal width to fit the plan and summary to; 0: no limit
	// mask masks secret values in text before it is wrapped: the masking
	// writer under err cannot see a value a wrap has split across lines.
	mask func(string) string
	mu   sync.Mutex
	done map[string]int // finished items of a fan-out, by step
	out  io.Writer
	err  io.Writer
	p    ui.Palette
	json bool // machine output: the plan and summary go out as JSON at the end instead
	// number is each step's number in the plan, so the summary numbers
	// steps alike.
	number map[string]int
	// verbose shows every item of a large fan-out (--verbose); otherwise
	// alike targets show as one line (see groupAbove).
	verbose bool
	// startedAt and finishedAt are when each (step, item) started and
	// last finished in this run, for a group's time.
	startedAt, finishedAt map[[2]string]time.Time
}

// planGroups lays the plan out as one group per step, in order: a heading
// (number, step, action, state) and beneath it each of its instances,
// target first, then what happens to it. A fan-out to a hundred targets
// is one heading and a hundred short lines.
func planGroups(p *engine.Plan, pal ui.Palette, verbose bool) []ui.Group {
	var groups []ui.Group
	steps := groupRows(p.Rows)
	digits := len(fmt.Sprint(len(steps)))
	for n, rows := range steps {
		var actions, states []string
		destructive := 0
		for _, r := range rows {
			actions = appendNew(actions, string(r.Action))
			states = appendNew(states, r.State)
			if r.Destructive {
				destructive++
			}
		}
		g := ui.Group{Heading: []string{fmt.Sprintf("%*d", digits, n+1), rows[0].Step, strings.Join(actions, "/"), stateText(rows, states, destructive)}, Style: pal.Bold}
		if !verbose && len(rows) > groupAbove {
			// A large fan-out: alike targets as one line, the others
			// (unlike their like, or alone of their kind) each on theirs.
			var alone []engine.Row
			for _, a := range partition(rows) {
				if a.group.Key == "" {
					alone = append(alone, a.rows...)
					continue
				}
				effect := a.rows[0].Effect
				if len(states) > 1 {
					effect += " (" + a.rows[0].State + ")"
				}
				g.Items = append(g.Items, ui.Item{Target: a.title(), Detail: fmt.Sprintf("%s, and likewise for the other %s", effect, count(len(a.rows)-1))})
			}
			rows = alone
		}
		for _, r := range rows {
			target := r.Target
			if target == "-" || target == "" {
				target = r.Item
			} else if r.Item != "" && !strings.Contains(target, r.Item) {
				target += " [" + r.Item + "]"
			}
			effect := r.Effect
			if len(states) > 1 {
				effect += " (" + r.State + ")"
			}
			for _, c := range splitChanges(target, effect) {
				it := ui.Item{Target: c[0], Detail: c[1]}
				if r.Destructive {
					it.Mark, it.MarkStyle, it.Style = "!", pal.Red, pal.Red
				}
				g.Items = append(g.Items, it)
			}
		}
		groups = append(groups, g)
	}
	return groups
}

// groupRows splits rows into runs of the same step.
func groupRows(rows []engine.Row) [][]engine.Row {
	var out [][]engine.Row
	for i, r := range rows {
		if i == 0 || r.Step != rows[i-1].Step {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], r)
	}
	return out
}

// stateText is a step's state in its heading: "pending", or for a
// fan-out "13 items, pending" or "13 items: 10 pending, 3 done".
func stateText(rows []engine.Row, states []string, destructive int) string {
	var s string
	switch {
	case len(rows) == 1:
		s = rows[0].State
	case len(states) == 1:
		s = fmt.Sprintf("%s items, %s", count(len(rows)), states[0])
	default:
		counts := map[string]int{}
		for _, r := range rows {
			counts[r.State]++
		}
		parts := make([]string, len(states))
		for i, st := range states {
			parts[i] = count(counts[st]) + " " + st
		}
		s = fmt.Sprintf("%s items: %s", count(len(rows)), strings.Join(parts, ", "))
	}
	if destructive > 0 {
		s += fmt.Sprintf(", %d destructive", destructive)
	}
	return s
}

// splitChanges undoes the engine's joining of a row's several changes
// ("a; b" and "do a; do b") so that each target sits by its own effect.
// Rows whose parts do not pair up stay whole.
func splitChanges(target, effect string) [][2]string {
	ts, es := strings.Split(target, "; "), strings.Split(effect, "; ")
	if len(ts) == 1 || len(ts) != len(es) {
		return [][2]string{{target, effect}}
	}
	out := make([][2]string, len(ts))
	for i := range ts {
		out[i] = [2]string{ts[i], es[i]}
	}
	return out
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func (v *textView) Planned(p *engine.Plan) {
	if v.json {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.number = map[string]int{}
	for n, rows := range groupRows(p.Rows) {
		v.number[rows[0].Step] = n + 1
	}
	fmt.Fprintf(v.out, "%s\n", v.p.Bold("Plan for playbook "+p.Playbook+":"))
	_ = ui.Groups(v.out, v.width, planGroups(p, v.p, v.verbose))
	changes, reads, done, destructive := 0, 0, 0, 0
	for _, r := range p.Rows {
		switch {
		case r.State == engine.RowDone || r.State == engine.RowSkip:
			done++
		case r.Mutates:
			changes++
		default:
			reads++
		}
		if r.Destructive && r.State != engine.RowDone && r.State != engine.RowSkip {
			destructive++
		}
	}
	fmt.Fprintf(v.out, "To do: %s and %s; %d already done or skipped.\n", plural(changes, "change"), plural(reads, "read"), done)
	for _, n := range p.Notes {
		step := n.Step
		if num, ok := v.number[n.Step]; ok {
			step = fmt.Sprintf("%d %s", num, n.Step)
		}
		for _, l := range ui.Wrap("Note ("+step+"): "+n.Text, v.width, 2) {
			fmt.Fprintln(v.out, l)
		}
	}
	if destructive > 0 {
		it, takes := "them", "they take"
		if destructive == 1 {
			it, takes = "it", "it takes"
		}
		msg := fmt.Sprintf("! %s: %s away something the inventory did not ask to remove. Read %s before you confirm.",
			plural(destructive, "destructive change"), takes, it)
		for _, l := range ui.Wrap(msg, v.width, 2) {
			fmt.Fprintln(v.out, v.p.Red(l))
		}
	}
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
	if v.startedAt == nil {
		v.startedAt = map[[2]string]time.Time{}
	}
	if k := [2]string{in.Step, in.Item}; v.startedAt[k].IsZero() {
		v.startedAt[k] = time.Now()
	}
	if v.grouped(in.Of) {
		return // a large fan-out shows its progress, not each item
	}
	v.progress(v.p.Dim("→"), v.label(in))
}

// progress prints a progress line: a coloured mark, then text from the
// run (cleaned of control characters), wrapped to the terminal with its
// further lines under the text; piped, one line whole.
func (v *textView) progress(mark, text string) {
	lines := ui.Wrap(v.masked(text), max(v.width-2, 0), 0)
	for i, l := range lines {
		if i == 0 {
			fmt.Fprintf(v.err, "%s %s\n", mark, l)
			continue
		}
		fmt.Fprintf(v.err, "  %s\n", l)
	}
}

// masked is text with the secret values respond knows masked.
func (v *textView) masked(text string) string {
	if v.mask == nil {
		return text
	}
	return v.mask(text)
}

func (v *textView) StepLog(in engine.Instance, line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(line, "\n"), "\n") {
		for i, w := range ui.Wrap(v.masked(v.label(in)+" | "+l), max(v.width-2, 0), 2) {
			if i == 0 {
				label, rest, _ := strings.Cut(w, " | ")
				fmt.Fprintf(v.err, "  %s %s\n", v.p.Dim(label+" |"), rest)
				continue
			}
			fmt.Fprintf(v.err, "  %s\n", w)
		}
	}
}

func (v *textView) StepFinished(in engine.Instance, o engine.StepOutcome) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.finishedAt == nil {
		v.finishedAt = map[[2]string]time.Time{}
	}
	v.finishedAt[[2]string{in.Step, in.Item}] = time.Now()
	if in.Of > 1 && !o.Earlier {
		if v.done == nil {
			v.done = map[string]int{}
		}
		v.done[in.Step]++
		// Progress every tenth of a long fan-out, and at its end.
		if n := v.done[in.Step]; n == in.Of || n%max(1, in.Of/10) == 0 {
			defer func() {
				for _, l := range ui.Wrap(fmt.Sprintf("%s: %d of %d done", in.Step, n, in.Of), max(v.width-2, 0), 2) {
					fmt.Fprintf(v.err, "  %s\n", v.p.Dim(l))
				}
			}()
		}
	}
	if v.grouped(in.Of) && (o.Earlier || o.Status == "ok") {
		return // counted in the progress; failures show one by one
	}
	switch {
	case o.Earlier:
		v.progress(v.p.Dim("✓"), v.label(in)+" done in an earlier run")
	case o.Status == "ok":
		extra := o.Summary
		if o.Reconciled {
			extra += " (reconciled)"
		}
		if d := o.Duration.Round(time.Millisecond); d > 0 {
			extra += " " + d.String()
		}
		v.progress(v.p.Green("✓"), v.label(in)+" "+extra)
	case o.Status == "skipped":
		v.progress(v.p.Yellow("-"), v.label(in)+" skipped: "+o.Summary)
	default:
		v.progress(v.p.Red("✗"), v.label(in)+" failed: "+o.Error)
		// The last line of the run then need not repeat it.
		if s, ok := v.err.(interface{ errorShown(string) }); ok {
			s.errorShown(o.Error)
		}
	}
}

// summary prints every step instance and how it ended, grouped by step
// as in the plan (and numbered alike). What the run amounts to as a whole
// is for the caller to print after it.
func (v *textView) summary(o *engine.Outcome) {
	if v.json || o == nil || len(o.Steps) == 0 {
		return
	}
	fmt.Fprintf(v.out, "\n%s\n", v.p.Bold("Summary:"))
	_ = ui.Groups(v.out, v.width, v.summaryGroups(o))
}

// summaryGroups: one group per step, in the order steps first finished;
// each instance under it with its target (from the plan), result and
// duration. A fan-out's items the run never reached are counted and
// listed as not done; a large fan-out shows alike targets as one line
// (see groupAbove), each failure on its own.
func (v *textView) summaryGroups(o *engine.Outcome) []ui.Group {
	targets := map[[2]string]string{}
	pos := map[[2]string]int{}
	planned := map[string][]engine.Row{}
	if o.Plan != nil {
		for i, r := range o.Plan.Rows {
			k := [2]string{r.Step, r.Item}
			pos[k] = i + 1
			if r.Target != "-" {
				targets[k] = r.Target
			}
			if r.Item != "" {
				planned[r.Step] = append(planned[r.Step], r)
			}
		}
	}
	var order []string
	byStep := map[string][]engine.StepOutcome{}
	for _, s := range o.Steps {
		if _, ok := byStep[s.Step]; !ok {
			order = append(order, s.Step)
		}
		byStep[s.Step] = append(byStep[s.Step], s)
	}
	digits := len(fmt.Sprint(max(len(order), len(v.number))))
	var groups []ui.Group
	for i, id := range order {
		// A fan-out's items finish in any order: show them in the plan's.
		outs := byStep[id]
		// (Items the plan did not list go last, in the order they finished.)
		at := func(o engine.StepOutcome) int {
			if p := pos[[2]string{o.Step, o.Item}]; p > 0 {
				return p
			}
			return len(pos) + 1
		}
		slices.SortStableFunc(outs, func(a, b engine.StepOutcome) int { return at(a) - at(b) })
		byItem := map[string]engine.StepOutcome{}
		for _, s := range outs {
			byItem[s.Item] = s
		}
		var notDone []engine.Row
		for _, r := range planned[id] {
			if _, ok := byItem[r.Item]; !ok {
				notDone = append(notDone, r)
			}
		}
		num := v.number[id]
		if num == 0 && len(v.number) == 0 {
			num = i + 1
		}
		numText := fmt.Sprintf("%*s", digits, "")
		if num > 0 {
			numText = fmt.Sprintf("%*d", digits, num)
		}
		status := statusText(outs)
		if len(planned[id]) > 1 && len(outs) == 1 {
			status = "1 " + status // one of a fan-out's items
		}
		if len(notDone) > 0 {
			status = fmt.Sprintf("%s items: %s, %s not done", count(len(planned[id])), status, count(len(notDone)))
		}
		g := ui.Group{Heading: []string{numText, id, status}, Style: v.p.Bold}
		targetOf := func(step, item string) string {
			target := targets[[2]string{step, item}]
			if target == "" {
				target = item
			} else if item != "" && !strings.Contains(target, item) {
				target += " [" + item + "]"
			}
			return target
		}
		shown := map[string]bool{}
		if v.grouped(len(planned[id])) {
			for _, a := range partition(planned[id]) {
				if a.group.Key == "" {
					continue
				}
				detail, all := v.groupOutcome(a, byItem)
				var missing []string
				for _, it := range a.items {
					if s, ok := byItem[it]; ok && s.Status == "ok" {
						shown[it] = true
					} else if !ok {
						missing = append(missing, it)
						shown[it] = true
					}
				}
				if detail != "" {
					it := ui.Item{Target: a.title(), Detail: detail}
					if all {
						it.Mark, it.MarkStyle = "✓", v.p.Green
					}
					g.Items = append(g.Items, it)
				}
				if len(missing) == 1 {
					shown[missing[0]] = false // shown alone, below
				}
				if len(missing) > 1 {
					rest := &alike{group: a.group}
					for _, r := range a.rows {
						if slices.Contains(missing, r.Item) {
							rest.items, rest.rows = append(rest.items, r.Item), append(rest.rows, r)
						}
					}
					g.Items = append(g.Items, ui.Item{Mark: "·", Target: rest.title(), Detail: "not done: the run stopped before them"})
				}
			}
		}
		for _, s := range outs {
			if shown[s.Item] {
				continue
			}
			if s.Status == "failed" {
				g.Style = v.p.Red
			}
			g.Items = append(g.Items, v.outcomeItem(targetOf(s.Step, s.Item), s))
		}
		for _, r := range notDone {
			if shown[r.Item] {
				continue
			}
			g.Items = append(g.Items, ui.Item{Mark: "·", Target: targetOf(r.Step, r.Item), Detail: "not done: the run stopped before it"})
		}
		groups = append(groups, g)
	}
	return groups
}

// statusText: "ok", "failed", or for a fan-out "12 ok, 1 failed".
func statusText(outs []engine.StepOutcome) string {
	if len(outs) == 1 {
		return outs[0].Status
	}
	var statuses []string
	counts := map[string]int{}
	for _, s := range outs {
		statuses = appendNew(statuses, s.Status)
		counts[s.Status]++
	}
	parts := make([]string, len(statuses))
	for i, st := range statuses {
		parts[i] = count(counts[st]) + " " + st
	}
	return strings.Join(parts, ", ")
}

func (v *textView) outcomeItem(target string, s engine.StepOutcome) ui.Item {
	// "updated TARGET" or "TARGET: 502 Bad Gateway" beside TARGET says it
	// twice.
	detail, err := s.Summary, s.Error
	if target != "" {
		detail, err = strings.TrimSuffix(detail, " "+target), strings.TrimPrefix(err, target+": ")
	}
	if err != "" {
		detail = "failed: " + err
	}
	if s.Reconciled {
		detail += " (reconciled)"
	}
	if s.Earlier {
		detail += " (earlier run)"
	}
	if d := s.Duration.Round(time.Millisecond); d > 0 {
		detail += " " + d.String()
	}
	it := ui.Item{Target: target, Detail: strings.TrimSpace(detail)}
	switch s.Status {
	case "ok":
		it.Mark, it.MarkStyle = "✓", v.p.Green
	case "skipped":
		it.Mark, it.MarkStyle = "-", v.p.Yellow
	default:
		it.Mark, it.MarkStyle, it.Style = "✗", v.p.Red, v.p.Red
	}
	return it
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > n {
		return string([]rune(s)[:n-1]) + "…"
	}
	return s
}
