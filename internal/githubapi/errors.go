package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/textsafe"
)

// Error is an error answer from GitHub to one operation.
type Error struct {
	Op      string // what the client was doing, e.g. "write secret X to acme/api"
	Status  int    // HTTP status
	Message string // GitHub's message
	Hint    string // what to do
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("GitHub: %s: %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Message != "" && e.Message != http.StatusText(e.Status) {
		msg += ": " + e.Message
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// StatusCode returns the HTTP status of the answer.
func (e *Error) StatusCode() int { return e.Status }

// Unwrap makes a 404 match step.ErrNotFound.
func (e *Error) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return step.ErrNotFound
	}
	return nil
}

// fail turns an error of go-github (or of the limiter under it) into one
// for people: what was being done, GitHub's answer, and what to do.
// Client errors (4xx) are marked step.Permanent: retrying cannot fix them.
func (c *Client) fail(err error, format string, args ...any) error {
	op := fmt.Sprintf(format, args...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("GitHub: %s: %w", op, err)
	}
	var lerr *LimitError
	if errors.As(err, &lerr) {
		return fmt.Errorf("GitHub: %s: %w", op, lerr)
	}
	// go-github's own rate-limit errors; the limiter keeps them from
	// happening, but say what they mean if they do.
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("GitHub: %s: the token's primary rate limit is exhausted until %s: wait until then or use another token",
			op, rl.Rate.Reset.UTC().Format("15:04:05 MST"))
	}
	var ab *github.AbuseRateLimitError
	if errors.As(err, &ab) {
		return fmt.Errorf("GitHub: %s: GitHub's secondary rate limit was hit: wait a few minutes, then run the step again", op)
	}
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// Keep the cause, drop the URL (it is long and says nothing the
			// operation does not).
			err = uerr.Err
		}
		return fmt.Errorf("GitHub: %s: cannot reach %s: %w (check the network and GITHUB_API_URL, then retry)", op, c.host, err)
	}
	e := &Error{Op: op, Status: er.Response.StatusCode, Message: textsafe.Text(strings.TrimSpace(er.Message))}
	switch s := e.Status; {
	case s == http.StatusUnauthorized:
		e.Hint = "the token was rejected: check that GITHUB_TOKEN (or GH_TOKEN) holds a valid, unexpired token for this GitHub host"
	case s == http.StatusForbidden:
		e.Hint = forbiddenHint(op)
	case s == http.StatusNotFound:
		e.Hint = "it does not exist, or the token cannot see it: check the name and the token's access"
	case s == http.StatusUnprocessableEntity || s == http.StatusBadRequest:
		e.Hint = "GitHub rejected the request"
	case s >= 500:
		e.Hint = "GitHub had a server error: retry in a few minutes"
		return e
	}
	if e.Status >= 400 && e.Status < 500 {
		return step.Permanent(e)
	}
	return e
}

// forbiddenHint says which permission an operation needs.
func forbiddenHint(op string) string {
	switch {
	case strings.Contains(op, "secret-scanning"):
		return "the token cannot manage secret-scanning alerts: use a token of a repository administrator with the repo or security_events scope (classic) or Secret scanning alerts: write (fine-grained)"
	case strings.Contains(op, "dispatch"):
		return "the token cannot run workflows: use a token with the repo scope (classic) or Actions: write (fine-grained)"
	case strings.Contains(op, "membership"):
		return "the token cannot read its organization membership: use a token with the read:org or admin:org scope (classic) or the Members: read organization permission (fine-grained)"
	case strings.Contains(op, "organization"):
		return "the token cannot manage the organization's secrets: use a token of an organization owner with the admin:org scope (classic) or Organization secrets: write (fine-grained)"
	case strings.Contains(op, "secret"), strings.Contains(op, "key"):
		return "the token cannot manage these secrets: use a token of a repository administrator with the repo scope (classic) or Secrets: write (fine-grained)"
	}
	return "the token lacks a permission this needs: use a token with the repo scope (classic) or the matching fine-grained permission"
}
