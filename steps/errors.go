package steps

import (
	"errors"
	"fmt"

	"github.com/respondhq/respond/internal/step"
)

// ErrBadInput is wrapped by errors caused by what the responder gave (an
// unknown or ambiguous key, a malformed alert reference): retrying cannot
// help and the CLI exits with code 2.
var ErrBadInput = errors.New("bad input")

// badInput is an error caused by what the responder gave: its message is
// the sentence alone, and it wraps ErrBadInput (exit code 2) and is
// permanent (not worth retrying).
type badInput struct{ msg string }

func (e *badInput) Error() string { return e.msg }
func (e *badInput) Unwrap() error { return ErrBadInput }

// badInputf formats a badInput error.
func badInputf(format string, args ...any) error {
	return step.Permanent(&badInput{msg: fmt.Sprintf(format, args...)})
}
