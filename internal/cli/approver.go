package cli

import (
	"context"
	"errors"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/prompt"
	"github.com/respondhq/respond/internal/step"
)

// approver is the one place the confirmation policy lives: --yes approves,
// a terminal asks, anything else refuses with ErrNeedsYes.
type approver struct {
	f    *Factory
	user string
	// before is called before a prompt, so progress output can pause.
	before func()
}

func (a *approver) Approve(ctx context.Context, question string) (step.Approval, error) {
	if a.f.Yes {
		return step.Approval{Approved: true, By: a.user, How: "--yes"}, nil
	}
	if !a.f.IO.CanPrompt() {
		return step.Approval{}, engine.ErrNeedsYes
	}
	if a.before != nil {
		a.before()
	}
	ok, err := a.f.Prompter().Confirm(ctx, question, false)
	if ctx.Err() != nil {
		// A hang-up or SIGTERM during the question: an interruption, not
		// an answer.
		return step.Approval{}, ctx.Err()
	}
	if err != nil {
		if errors.Is(err, prompt.ErrInterrupted) {
			// Ctrl-C typed at the question: a no, said with a key.
			return step.Approval{Approved: false, By: a.user, How: "Ctrl-C at the prompt"}, step.ErrDeclined
		}
		return step.Approval{}, err
	}
	if !ok {
		return step.Approval{Approved: false, By: a.user, How: "prompt"}, step.ErrDeclined
	}
	return step.Approval{Approved: true, By: a.user, How: "prompt"}, nil
}

var _ step.Chooser = (*approver)(nil)

// Choose implements step.Chooser: a terminal asks (no option is
// preselected); --yes or no terminal answers step.ErrNoChoice, so the step
// says which input decides instead.
func (a *approver) Choose(ctx context.Context, question string, options []string) (int, error) {
	if a.f.Yes || !a.f.IO.CanPrompt() {
		return -1, step.ErrNoChoice
	}
	if a.before != nil {
		a.before()
	}
	i, err := a.f.Prompter().Select(ctx, question, options, -1)
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	if err != nil {
		if errors.Is(err, prompt.ErrInterrupted) {
			return -1, engine.ErrCancelled
		}
		return -1, err
	}
	return i, nil
}
