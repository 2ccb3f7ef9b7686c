package step

import (
	"errors"
	"fmt"
)

// ErrNotFound is wrapped by errors of clients and plug-ins when the object
// asked for does not exist (or no longer does): a key, a secret, a
// repository.
var ErrNotFound = errors.New("not found")

// ErrBadInput is wrapped by errors caused by what the responder gave (an
// unknown or ambiguous key, a malformed alert reference): retrying cannot
// help and the CLI exits with code 2.
var ErrBadInput = errors.New("bad input")

// badInput is an error caused by what the responder gave: its message is
// the sentence alone, and it wraps ErrBadInput.
type badInput struct{ msg string }

func (e *badInput) Error() string { return e.msg }
func (e *badInput) Unwrap() error { return ErrBadInput }

// BadInputf formats an error caused by what the responder gave: it wraps
// ErrBadInput (exit code 2) and is permanent (not worth retrying).
func BadInputf(format string, args ...any) error {
	return Permanent(&badInput{msg: fmt.Sprintf(format, args...)})
}

// BadInputMessage returns the sentence of a BadInputf error and true, or
// "" and false for any other error.
func BadInputMessage(err error) (string, bool) {
	var bi *badInput
	if errors.As(err, &bi) {
		return bi.msg, true
	}
	return "", false
}
