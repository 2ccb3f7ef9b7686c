package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
)

// ErrNotFound: 404 (no key with that ID).
var ErrNotFound = errors.New("not found")

// APIError is an error answer of Anthropic's API, or a failure to get one.
type APIError struct {
	// Op is what respond was doing ("setting API key apikey_… inactive").
	Op string
	// StatusCode is the HTTP status, 0 if no answer arrived.
	StatusCode int
	// Type and Message are the body's error.type and error.message (made
	// safe to show); RequestID is the request-id header.
	Type, Message, RequestID string
	err                      error
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("anthropic: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.StatusCode == 0 {
		b.WriteString(e.err.Error())
		b.WriteString(" (could not reach Anthropic; check the network and " + EnvBaseURL + ")")
		return b.String()
	}
	fmt.Fprintf(&b, "Anthropic answered %d", e.StatusCode)
	if e.Type != "" {
		fmt.Fprintf(&b, " %s", e.Type)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		b.WriteString(": check that " + EnvAdminKey + " holds a live admin key (sk-ant-admin01-…)")
	case e.StatusCode == http.StatusForbidden:
		b.WriteString(": the admin key may not do this; use an admin key of an organization admin")
	case e.StatusCode == http.StatusTooManyRequests:
		b.WriteString(": Anthropic is rate limiting respond even after retries; wait a minute, then resume the incident")
	case e.StatusCode >= 500:
		b.WriteString(": Anthropic failed even after retries; try again shortly, then resume the incident")
	}
	return b.String()
}

// Unwrap returns ErrNotFound for a 404, or the transport error.
func (e *APIError) Unwrap() error { return e.err }

// keyLike matches Anthropic keys in messages.
var keyLike = regexp.MustCompile(`sk-ant-[A-Za-z0-9_\-]{12,}`)

func scrub(msg string) string {
	msg = keyLike.ReplaceAllStringFunc(textsafe.Line(msg), secret.Redact)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

func apiError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("anthropic: %s: %w", op, err)
	}
	var ae *sdk.Error
	if !errors.As(err, &ae) {
		msg := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			msg = ue.Op + ": " + ue.Err.Error()
		}
		return &APIError{Op: op, err: errors.New(scrub(msg))}
	}
	e := &APIError{Op: op, StatusCode: ae.StatusCode, Type: string(ae.Type()), Message: scrub(ae.Message), RequestID: textsafe.Line(ae.RequestID)}
	if ae.StatusCode == http.StatusNotFound {
		e.err = ErrNotFound
	} else {
		e.err = errors.New(http.StatusText(ae.StatusCode))
	}
	return e
}
