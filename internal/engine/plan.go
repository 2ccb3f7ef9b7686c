package engine

import (
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/step"
)

// Row states in a plan.
const (
	RowPending     = "pending"     // will run
	RowDone        = "done"        // done in an earlier run of this incident
	RowRerun       = "rerun"       // done before, runs again (its secret output is needed again)
	RowSkip        = "skip"        // its `when:` is false
	RowConditional = "conditional" // its `when:` is decided at run time
	RowLater       = "later"       // its details are known only after earlier steps
	RowUndecided   = "undecided"   // started in an earlier run, outcome unknown: --assume-done or --rerun
)

// Row is one line of a plan.
type Row struct {
	Step    string      `json:"step"`
	Name    string      `json:"name,omitempty"`
	Item    string      `json:"item,omitempty"`
	Kind    string      `json:"uses"`
	Action  step.Action `json:"action"`
	Target  string      `json:"target"`
	Effect  string      `json:"effect"`
	Mutates bool        `json:"mutates"`
	State   string      `json:"state"`
	// Destructive: the row takes something away the inventory did not ask
	// to remove (see step.Change); it needs its own confirmation.
	Destructive bool `json:"destructive,omitempty"`
	// Value is the item of a foreach row as the playbook gave it (a
	// target's mapping, say), for a view that groups alike items; it is
	// not journaled.
	Value any `json:"-"`
}

// Plan is what a run will do, in order.
type Plan struct {
	Incident string `json:"incident"`
	Playbook string `json:"playbook"`
	Rows     []Row  `json:"rows"`
	// Notes are remarks of fan-out steps on their items as a whole (what
	// they cost at a provider's limits; see step.Noter).
	Notes []Note `json:"notes,omitempty"`
}

// Note is a step's remark on the plan.
type Note struct {
	Step string `json:"step"`
	step.Note
}

// Mutates reports whether anything that will run changes the world.
func (p *Plan) Mutates() bool {
	for _, r := range p.Rows {
		if r.Mutates && r.State != RowDone && r.State != RowSkip {
			return true
		}
	}
	return false
}

// destructiveQuestion is the confirmation the plan's destructive rows need
// on top of the plan's, or "" when it has none.
func (p *Plan) destructiveQuestion() string {
	var what []string
	for _, r := range p.Rows {
		if r.Destructive && r.State != RowDone && r.State != RowSkip {
			what = append(what, r.Effect)
		}
	}
	if len(what) == 0 {
		return ""
	}
	return fmt.Sprintf("The plan takes something away that the inventory did not ask to remove:\n  - %s\nApply it anyway?", strings.Join(what, "\n  - "))
}

// Changes returns the rows as step.Changes (for the journal).
func (p *Plan) Changes() []step.Change {
	out := make([]step.Change, 0, len(p.Rows))
	for _, r := range p.Rows {
		target := r.Step
		if r.Item != "" {
			target += "[" + r.Item + "]"
		}
		out = append(out, step.Change{Action: r.Action, Target: target + ": " + r.Target, Effect: r.Effect + " (" + r.State + ")"})
	}
	return out
}
