package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/prompt"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/ui"
)

// approver is the one place the confirmation policy lives: --yes approves,
// a terminal asks, anything else refuses with ErrNeedsYes.
type approver struct {
	f    *Factory
	user string
	// before is called before a prompt, so progress output can pause.
	before func()
	// replacementStdin: the secret a person gives (a replacement key) is
	// read from standard input, once.
	replacementStdin bool
	stdinRead        bool
}

var _ step.SecretAsker = (*approver)(nil)

// CanAsk implements step.SecretAsker: a replacement given on standard
// input (--replacement-stdin), or a terminal and no --yes.
func (a *approver) CanAsk() bool {
	if a.replacementStdin {
		return !a.stdinRead
	}
	return !a.f.Yes && a.f.IO.CanPrompt()
}

// AskSecret implements step.SecretAsker: it reads --replacement-stdin, or
// says where to make the key (detail) and asks for it without echo.
func (a *approver) AskSecret(ctx context.Context, question, detail string) (secret.Value, error) {
	if a.replacementStdin {
		if a.stdinRead {
			return secret.Value{}, fmt.Errorf("standard input was read already: %w", step.ErrNobodyToAsk)
		}
		a.stdinRead = true
		v, err := readSecret(a.f.IO.In, "the replacement")
		if err != nil {
			return secret.Value{}, err
		}
		a.f.IO.Secrets.Add(v)
		return v, nil
	}
	if !a.CanAsk() {
		return secret.Value{}, step.ErrNobodyToAsk
	}
	if a.before != nil {
		a.before()
	}
	fmt.Fprintf(a.f.IO.ErrOut, "\n%s\n", strings.Join(ui.Wrap(a.f.IO.Secrets.MaskString(detail), 78, 0), "\n"))
	s, err := a.f.Prompter().Password(ctx, question)
	if ctx.Err() != nil {
		return secret.Value{}, ctx.Err()
	}
	if err != nil {
		if errors.Is(err, prompt.ErrInterrupted) {
			return secret.Value{}, engine.ErrCancelled
		}
		return secret.Value{}, err
	}
	v := secret.New(strings.TrimSpace(s))
	a.f.IO.Secrets.Add(v)
	if v.IsZero() {
		return secret.Value{}, &UsageError{errors.New("nothing was pasted: run `respond resume` again and paste the new key at the prompt")}
	}
	return v, nil
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
