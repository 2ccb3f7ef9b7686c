package openaiapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/respondhq/respond/internal/step"
	"net/http"
	"regexp"
	"strings"

	"github.com/openai/openai-go/v3"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
)

// APIError is an error answer of the OpenAI API, or a failure to get one.
// A 404 unwraps to step.ErrNotFound.
type APIError struct {
	// Op is what respond was doing, e.g. "deleting key key_abc of OpenAI
	// project proj_abc".
	Op string
	// StatusCode is the HTTP status, 0 if no answer arrived.
	StatusCode int
	// Code and Message are the body's error.code and error.message. Anything
	// in Message that looks like an API key is shown redacted.
	Code, Message string
	// Hint says what to do next.
	Hint string
	err  error
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("openai: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.StatusCode == http.StatusNotFound:
		b.WriteString("not found")
	case e.StatusCode != 0:
		fmt.Fprintf(&b, "OpenAI answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
		if e.Code != "" {
			fmt.Fprintf(&b, " (%s)", e.Code)
		}
		if e.Message != "" {
			fmt.Fprintf(&b, ": %q", e.Message)
		}
	case e.err != nil:
		b.WriteString(e.err.Error())
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns step.ErrNotFound for a 404, or the transport error.
func (e *APIError) Unwrap() error { return e.err }

// keyLike matches things in API messages that look like API keys (OpenAI
// masks keys in its messages itself; this masks anything it did not).
var keyLike = regexp.MustCompile(`sk-[A-Za-z0-9_\-*.…]{12,}`)

// scrub makes an API message safe to show.
func scrub(msg string) string {
	msg = keyLike.ReplaceAllStringFunc(textsafe.Text(msg), secret.Redact)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// apiError turns an SDK error into an *APIError that says what happened
// and what to do.
func apiError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("openai: %s: %w", op, err)
	}
	var ae *openai.Error
	if !errors.As(err, &ae) {
		return &APIError{Op: op, err: err,
			Hint: "could not reach OpenAI; check the network and " + EnvBaseURL}
	}
	e := &APIError{Op: op, StatusCode: ae.StatusCode, Code: ae.Code, Message: scrub(ae.Message)}
	e.Hint = hintFor(e.StatusCode)
	if e.StatusCode == http.StatusNotFound {
		e.err = step.ErrNotFound
	} else {
		e.err = errors.New(http.StatusText(e.StatusCode))
	}
	return e
}

// hintFor says what to do about an admin API status.
func hintFor(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "check that " + EnvAdminKey + " holds a live OpenAI admin key (sk-admin-…)"
	case status == http.StatusForbidden:
		return "the admin key lacks permission for this; use an admin key with write access to the organization"
	case status == http.StatusTooManyRequests:
		return "OpenAI is rate limiting respond even after retries; wait a minute, then resume the incident"
	case status >= 500:
		return "OpenAI failed even after retries; try again shortly (see status.openai.com), then resume the incident"
	}
	return ""
}
