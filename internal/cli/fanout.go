package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/internal/target"
)

// groupAbove: a fan-out to more items than this shows alike targets as
// one line in the plan, the progress and the summary ("100 Actions
// secrets OPENAI_API_KEY in acme (api … worker): all updated in 2.1s"),
// each exception (a failure, a change unlike the others) on its own line.
// --verbose shows every item; the report always lists every one.
const groupAbove = 20

// alike is a run of a fan-out's items that show as one line: targets of
// one group (target.GroupOf) in the same state.
type alike struct {
	group target.Group
	items []string // item keys, in plan order
	rows  []engine.Row
}

// members says which targets a group holds: all of them when they are
// few, else the first and the last ("api … worker").
func (a *alike) members() string {
	var names []string
	for _, r := range a.rows {
		g, _ := groupOfRow(r)
		names = append(names, g.Member)
	}
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return names[0] + " … " + names[len(names)-1]
}

// title is the group's line: "100 Actions secrets OPENAI_API_KEY in acme
// (api … worker)".
func (a *alike) title() string {
	s := fmt.Sprintf("%s %s", count(len(a.rows)), a.group.Kind)
	if a.group.Where != "" {
		s += " in " + a.group.Where
	}
	return s + " (" + a.members() + ")"
}

// count writes n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// groupOfRow is the group of a row's item, when the item is a target.
func groupOfRow(r engine.Row) (target.Group, bool) {
	m, ok := r.Value.(map[string]any)
	if !ok {
		return target.Group{}, false
	}
	t, err := target.FromMap(m)
	if err != nil {
		return target.Group{}, false
	}
	return target.GroupOf(t)
}

// partition splits one step's rows into runs shown as one line (alike,
// two or more) and rows shown alone (nil group), in plan order: a group
// takes its place at its first member. Rows that differ from their like
// (destructive, another action or state) stand alone.
func partition(rows []engine.Row) []*alike {
	type key struct{ group, state, action string }
	byKey := map[key]*alike{}
	var order []*alike
	for _, r := range rows {
		g, ok := groupOfRow(r)
		if !ok || r.Destructive {
			order = append(order, &alike{items: []string{r.Item}, rows: []engine.Row{r}})
			continue
		}
		k := key{g.Key, r.State, string(r.Action)}
		a := byKey[k]
		if a == nil {
			a = &alike{group: g}
			byKey[k] = a
			order = append(order, a)
		}
		a.items = append(a.items, r.Item)
		a.rows = append(a.rows, r)
	}
	// A group of one is a row alone.
	for _, a := range order {
		if len(a.rows) == 1 {
			a.group = target.Group{}
		}
	}
	return order
}

// grouped reports whether a fan-out of n items shows alike items as one
// line.
func (v *textView) grouped(n int) bool { return !v.verbose && n > groupAbove }

// groupOutcome is the summary line of a group: how its members ended,
// and how long they took from the first start to the last end, when this
// run ran them.
func (v *textView) groupOutcome(a *alike, outs map[string]engine.StepOutcome) (detail string, ok bool) {
	n := len(a.items)
	done, earlier := 0, 0
	verbs := []string{}
	var first, last time.Time
	for _, it := range a.items {
		o, found := outs[it]
		if !found || o.Status != "ok" {
			continue
		}
		done++
		if o.Earlier {
			earlier++
			continue
		}
		if w, _, _ := strings.Cut(o.Summary, " "); strings.HasSuffix(w, "ed") {
			verbs = appendNew(verbs, w)
		}
		if t, ok := v.startedAt[[2]string{o.Step, it}]; ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
		if t, ok := v.finishedAt[[2]string{o.Step, it}]; ok && t.After(last) {
			last = t
		}
	}
	verb := strings.Join(verbs, " or ")
	if verb == "" {
		verb = "done"
	}
	if done == earlier && earlier > 0 {
		verb = "done in an earlier run"
	}
	switch {
	case done == n:
		detail = "all " + verb
	case done == 0:
		return "", false
	default:
		detail = fmt.Sprintf("%s of %s %s", count(done), count(n), verb)
	}
	if !first.IsZero() && last.After(first) && done > earlier {
		detail += " in " + report.FormatDuration(last.Sub(first))
	}
	return detail, done == n
}
