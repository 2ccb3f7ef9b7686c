package steps

import (
	"context"

	"github.com/respondhq/respond/internal/step"
)

// Note is the `note` step kind: it adds an entry to the incident timeline
// and changes nothing else.
type Note struct{}

// Spec implements step.Kind.
func (Note) Spec() step.Spec {
	return step.Spec{
		Kind:        "note",
		Summary:     "Add an entry to the incident timeline",
		Description: "Records `message` in the incident timeline (journal and report). Changes nothing outside respond.",
		Mutates:     false,
		Idempotent:  true,
		Params: []step.Param{
			{Name: "message", Type: step.String, Required: true,
				Description: "the timeline entry"},
		},
	}
}

// Plan implements step.Kind.
func (Note) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	msg, err := message("note", c)
	if err != nil {
		return nil, err
	}
	return []step.Change{{Action: step.Record, Target: "incident timeline", Effect: msg}}, nil
}

// Apply implements step.Kind.
func (Note) Apply(_ context.Context, c *step.Call) (*step.Result, error) {
	msg, err := message("note", c)
	if err != nil {
		return nil, err
	}
	return &step.Result{Note: msg, Summary: msg}, nil
}
