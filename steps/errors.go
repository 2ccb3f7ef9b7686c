package steps

import "errors"

// ErrBadInput is wrapped by errors caused by what the responder gave (an
// unknown or ambiguous key, a malformed alert reference): retrying cannot
// help and the CLI exits with code 2.
var ErrBadInput = errors.New("bad input")
