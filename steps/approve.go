package steps

import (
	"context"
	"fmt"

	"github.com/respondhq/respond/internal/step"
)

// Approve is the `approve` step kind: a human gate. It asks the responder
// (through the engine's Approver: a terminal prompt, or --yes) and fails with
// step.ErrDeclined if they say no.
type Approve struct{}

// Spec implements step.Kind.
func (Approve) Spec() step.Spec {
	return step.Spec{
		Kind:    "approve",
		Summary: "Ask the responder to approve before going on",
		Description: "Asks `message` and waits for an answer. Approval (at the prompt, or with --yes) " +
			"is recorded with who gave it and how; declining stops the run.",
		Mutates:    false,
		Idempotent: true,
		Params: []step.Param{
			{Name: "message", Type: step.String, Required: true,
				Description: "the question to ask, e.g. \"Revoke the leaked key now?\""},
		},
		Outputs: []step.Output{
			{Name: "approved_by", Type: step.String, Description: "who approved"},
		},
	}
}

// Plan implements step.Kind.
func (Approve) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	msg, err := message("approve", c)
	if err != nil {
		return nil, err
	}
	return []step.Change{{Action: step.Ask, Target: "responder", Effect: msg}}, nil
}

// Apply implements step.Kind.
func (Approve) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	msg, err := message("approve", c)
	if err != nil {
		return nil, err
	}
	if c.Approver == nil {
		return nil, step.Errorf("approve: nobody can be asked %q: no approver is available; run respond interactively or pass --yes", msg)
	}
	a, err := c.Approver.Approve(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("approve: asking %q: %w", msg, err)
	}
	who := describeApproval(a)
	if !a.Approved {
		return nil, step.Permanent(fmt.Errorf("approve: %q was %w%s", msg, step.ErrDeclined, who))
	}
	return &step.Result{
		Outputs:  map[string]any{"approved_by": a.By},
		Evidence: map[string]any{"by": a.By, "how": a.How},
		Summary:  "approved" + who,
	}, nil
}

// describeApproval is " by alice (prompt)", leaving out what is unknown.
func describeApproval(a step.Approval) string {
	s := ""
	if a.By != "" {
		s += " by " + a.By
	}
	if a.How != "" {
		s += " (" + a.How + ")"
	}
	return s
}

// message returns the required `message` parameter.
func message(kind string, c *step.Call) (string, error) {
	msg := c.String("message")
	if msg == "" {
		return "", step.Errorf("%s: `message` is empty; step %q needs one", kind, c.StepID)
	}
	return msg, nil
}
