package cli

import (
	"errors"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/prompt"
)

// Exit codes: one table, mirrored in docs/exit-codes.md.
const (
	ExitOK          = 0   // done
	ExitFailed      = 1   // failed
	ExitUsage       = 2   // bad usage, or an invalid playbook or inventory
	ExitCancelled   = 3   // declined at a prompt (no, or Ctrl-C typed at the question)
	ExitPreflight   = 4   // preflight found missing access; nothing was changed
	ExitPartial     = 5   // contained but not fully recovered; `respond resume` finishes
	ExitLocked      = 6   // another responder holds the incident
	ExitFindings    = 7   // respond audit found findings as severe as --fail-on
	ExitInterrupted = 130 // stopped by Ctrl-C (SIGINT); `respond resume` continues
	ExitHangup      = 129 // stopped by SIGHUP (the terminal went away); `respond resume` continues
	ExitSigpipe     = 141 // stopped by SIGPIPE (the reader of its output went away); `respond resume` continues
	ExitTerminated  = 143 // stopped by SIGTERM; `respond resume` continues
)

// UsageError is bad input from the user: exit 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// SilentError has already been reported; only its exit code matters.
type SilentError struct{ Code int }

func (e *SilentError) Error() string { return "" }

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	var (
		se *SilentError
		ue *UsageError
		le *incident.LockedError
		ie *engine.InterruptedError
		pa *engine.PartialError
		oe *OutcomeError
		fe *FindingsError
		de *DueError
		st *StoppedError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &se):
		return se.Code
	case errors.As(err, &oe):
		return oe.ExitCode()
	case errors.As(err, &fe):
		return ExitFindings
	case errors.As(err, &de):
		return max(de.Code, ExitFailed)
	case errors.As(err, &ue), errors.Is(err, engine.ErrNeedsYes), errors.Is(err, steps.ErrBadInput):
		return ExitUsage
	case errors.Is(err, engine.ErrCancelled), errors.Is(err, prompt.ErrInterrupted):
		return ExitCancelled
	case errors.Is(err, step.ErrPreflight): // missing access found before any change
		return ExitPreflight
	case errors.As(err, &pa):
		return ExitPartial
	case errors.As(err, &le), errors.Is(err, step.ErrLocked):
		return ExitLocked
	case errors.As(err, &ie), errors.As(err, &st):
		return ExitInterrupted
	}
	return ExitFailed
}
