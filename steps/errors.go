package steps

import (
	"github.com/respondhq/respond/internal/step"
)

// ErrBadInput is step.ErrBadInput: errors caused by what the responder gave.
var ErrBadInput = step.ErrBadInput

// badInputf is step.BadInputf.
func badInputf(format string, args ...any) error { return step.BadInputf(format, args...) }
