package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/step"
)

// ErrNeedsYes: the plan changes things, standard input is not a terminal,
// and --yes was not given.
var ErrNeedsYes = errors.New("this playbook changes things and there is no terminal to confirm on: review the plan (run with --dry-run), then run again with --yes to apply it")

// ErrCancelled: the responder declined at a prompt. Nothing more was done.
// A run returns it as a *DeclinedError, which says what was declined.
var ErrCancelled = errors.New("declined at the prompt")

// DeclinedError: the responder answered no (or Ctrl-C) to a question of
// the run: the plan's approval, a destructive change, a step's confirm: or
// approve step. Nothing after the question was done; the incident can be
// resumed (which asks again) or closed.
type DeclinedError struct {
	Incident string
	Step     string // "" for the plan's questions
}

func (e *DeclinedError) Error() string {
	what := "the plan was not applied"
	if e.Step != "" {
		what = "step " + e.Step + " was declined"
	}
	return fmt.Sprintf("declined: %s, and nothing after the question was done; `respond resume %s` shows the plan and asks again, "+
		"`respond incidents close %s --reason TEXT` ends the incident", what, e.Incident, e.Incident)
}

// Is makes a decline match ErrCancelled.
func (e *DeclinedError) Is(target error) bool { return target == ErrCancelled }

// InterruptedError: the run was stopped (Ctrl-C, SIGTERM, a hang-up) and
// can be resumed.
type InterruptedError struct {
	Incident string
	Cause    error // why: the signal, when the CLI says so
	DryRun   bool  // a dry run keeps no incident
}

func (e *InterruptedError) Error() string {
	why := "interrupted"
	if e.Cause != nil && e.Cause != context.Canceled {
		why = e.Cause.Error()
	}
	if e.DryRun {
		return why + "; this was a dry run: nothing was changed or saved"
	}
	return fmt.Sprintf("%s; the incident is saved: continue it with `respond resume %s`", why, e.Incident)
}

func (e *InterruptedError) Unwrap() error { return e.Cause }

// StepError: a step failed and the run stopped there.
type StepError struct {
	Incident string
	Step     string
	Item     string
	Err      error
	DryRun   bool // a dry run keeps no incident to resume
}

func (e *StepError) Error() string {
	where := "step " + e.Step
	if e.Item != "" {
		where += " [" + e.Item + "]"
	}
	if e.DryRun {
		return fmt.Sprintf("%s failed: %v\nthis was a dry run: nothing was changed; fix the cause and run it again", where, e.Err)
	}
	if errors.Is(e.Err, step.ErrLocked) {
		// Refused: the error names the responder who holds the key and
		// their incident, the one to wait for or resume, not this one.
		return fmt.Sprintf("%s failed: %v", where, e.Err)
	}
	return fmt.Sprintf("%s failed: %v\nfix the cause, then continue with `respond resume %s`", where, e.Err, e.Incident)
}

func (e *StepError) Unwrap() error { return e.Err }

// PartialError: the run reached the end, but steps marked
// continue_on_error failed; `respond resume` retries them.
type PartialError struct {
	Incident string
	Failed   []string
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("finished with %d failed step(s): %s; fix them, then run `respond resume %s` to retry", len(e.Failed), strings.Join(e.Failed, ", "), e.Incident)
}

// UnknownOutcomeError: steps started in an earlier run and never recorded
// their end, and respond cannot ask the world whether they took effect.
// Resume stops before changing anything until the responder decides each.
type UnknownOutcomeError struct {
	Incident string
	// Steps are the undecided instances, "step" or "step [item]".
	Steps []string
	// Step and Item: a single one found while running.
	Step, Item string
	DryRun     bool
}

func (e *UnknownOutcomeError) Error() string {
	steps := e.Steps
	if len(steps) == 0 {
		where := e.Step
		if e.Item != "" {
			where += " [" + e.Item + "]"
		}
		steps = []string{where}
	}
	ids := make([]string, 0, len(steps))
	seen := map[string]bool{}
	for _, s := range steps {
		id, _, _ := strings.Cut(s, " [")
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	list := strings.Join(ids, ",")
	what := "step " + strings.Join(steps, ", ")
	if len(steps) > 1 {
		what = "steps " + strings.Join(steps, ", ")
	}
	return fmt.Sprintf("%s started in an earlier run and never recorded an end, and respond cannot check whether it took effect, "+
		"so nothing was done: check by hand, then run `respond resume %s --assume-done %s` for what took effect, or `--rerun %s` for what did not "+
		"(a step that declares how to check its effect, such as exec's `creates:` or `unless:`, lets respond decide by itself)", what, e.Incident, list, list)
}
