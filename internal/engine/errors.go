package engine

import (
	"errors"
	"fmt"
)

// ErrNeedsYes: the plan changes things, standard input is not a terminal,
// and --yes was not given.
var ErrNeedsYes = errors.New("this playbook changes things and there is no terminal to confirm on: review the plan (run with --dry-run), then run again with --yes to apply it")

// ErrCancelled: the responder declined at a prompt. Nothing more was done.
var ErrCancelled = errors.New("cancelled: the responder declined")

// InterruptedError: the run was stopped (Ctrl-C, SIGTERM) and can be resumed.
type InterruptedError struct {
	Incident string
	Cause    error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted (%v); the incident is saved: continue it with `respond resume %s`", e.Cause, e.Incident)
}

func (e *InterruptedError) Unwrap() error { return e.Cause }

// StepError: a step failed and the run stopped there.
type StepError struct {
	Incident string
	Step     string
	Item     string
	Err      error
}

func (e *StepError) Error() string {
	where := "step " + e.Step
	if e.Item != "" {
		where += " [" + e.Item + "]"
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
	return fmt.Sprintf("finished with %d failed step(s): %v; fix them, then run `respond resume %s` to retry", len(e.Failed), e.Failed, e.Incident)
}

// UnknownOutcomeError: a step started in an earlier run and never recorded
// its end, and respond cannot ask the world whether it took effect.
type UnknownOutcomeError struct {
	Incident string
	Step     string
	Item     string
}

func (e *UnknownOutcomeError) Error() string {
	where := e.Step
	if e.Item != "" {
		where += " [" + e.Item + "]"
	}
	return fmt.Sprintf("step %s started in an earlier run and never recorded its end, and it is not idempotent, so respond will not repeat it blindly: check whether it took effect, then run `respond resume %s --assume-done %s` if it did, or `--rerun %s` if it did not (a step that declares how to check its effect, such as exec's `creates:` or `unless:`, lets respond decide by itself)", where, e.Incident, e.Step, e.Step)
}
