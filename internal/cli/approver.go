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
	ok, err := a.f.Prompter().Confirm(question, false)
	if err != nil {
		if errors.Is(err, prompt.ErrInterrupted) {
			return step.Approval{}, engine.ErrCancelled
		}
		return step.Approval{}, err
	}
	if !ok {
		return step.Approval{Approved: false, By: a.user, How: "prompt"}, step.ErrDeclined
	}
	return step.Approval{Approved: true, By: a.user, How: "prompt"}, nil
}
