package google

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
)

// Errors an *APIError unwraps to.
var (
	// ErrNotFound: 404 NOT_FOUND (no such key, or it was purged).
	ErrNotFound = errors.New("not found")
	// ErrPermission: 403 PERMISSION_DENIED (the credentials may not do this
	// on the project, or the project does not exist).
	ErrPermission = errors.New("permission denied")
	// ErrAlreadyExists: 409 ALREADY_EXISTS (a key with that keyId exists).
	ErrAlreadyExists = errors.New("already exists")
	// ErrEtagMismatch: 409 ABORTED (the key changed since its etag was read).
	ErrEtagMismatch = errors.New("the key changed since it was read")
	// ErrFailedPrecondition: 400 FAILED_PRECONDITION (the key is not in a
	// state that allows this: already deleted, not deleted, used lately).
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrUnauthenticated: 401 UNAUTHENTICATED (no or bad credentials).
	ErrUnauthenticated = errors.New("unauthenticated")
)

// APIError is an error answer of a Google API, or a failure to get one.
type APIError struct {
	// Op is what respond was doing ("deleting key projects/…/keys/abc").
	Op string
	// StatusCode is the HTTP status, 0 if no answer arrived.
	StatusCode int
	// Status is the google.rpc code name (NOT_FOUND, PERMISSION_DENIED, …);
	// Reason is the first ErrorInfo's reason (API_KEY_INVALID, …).
	Status, Reason string
	// Message is the error's message, made safe to show (key-like strings
	// redacted, control characters removed).
	Message string
	// RetryAfter is the server's Retry-After, if any.
	RetryAfter time.Duration
	err        error
	// urlEnv is the variable that names the API's address, for a request
	// that got no answer (EnvAPIKeysURL when empty).
	urlEnv string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("google: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.StatusCode == 0 {
		b.WriteString(e.err.Error())
		b.WriteString(" (could not reach Google; check the network and ")
		b.WriteString(cmp.Or(e.urlEnv, EnvAPIKeysURL))
		b.WriteString(")")
		return b.String()
	}
	fmt.Fprintf(&b, "Google answered %d", e.StatusCode)
	if e.Status != "" {
		fmt.Fprintf(&b, " %s", e.Status)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Message)
	}
	if h := hintFor(e); h != "" {
		b.WriteString(": ")
		b.WriteString(h)
	}
	return b.String()
}

// Unwrap returns the sentinel for the status (ErrNotFound, …) or the
// transport error.
func (e *APIError) Unwrap() error { return e.err }

func hintFor(e *APIError) string {
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return "the credentials were refused; check GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`"
	case e.StatusCode == http.StatusForbidden && e.Status == "PERMISSION_DENIED" && e.Reason == "IAM_PERMISSION_DENIED":
		return "grant the credentials' principal the API Keys Admin role (roles/serviceusage.apiKeysAdmin) on the project, or check the project ID"
	case e.StatusCode == http.StatusTooManyRequests:
		return "Google is rate limiting respond even after retries; wait a minute, then resume the incident"
	case e.StatusCode >= 500:
		return "Google failed even after retries; try again shortly, then resume the incident"
	}
	return ""
}

// keyLike matches Google API keys in messages.
var keyLike = regexp.MustCompile(`AIza[0-9A-Za-z_\-]{20,}`)

// scrub makes a message from an API safe to show.
func scrub(msg string) string {
	msg = keyLike.ReplaceAllStringFunc(textsafe.Line(msg), secret.Redact)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// scrubErr is an error's text without any URL (lookupKey's URL holds the
// key string).
func scrubErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + scrub(ue.Err.Error())
	}
	return scrub(err.Error())
}

// errorBody is Google's error shape.
type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type   string `json:"@type"`
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
}

// newAPIError builds an APIError from an HTTP status and body.
func newAPIError(op string, status int, header http.Header, body []byte) *APIError {
	e := &APIError{Op: op, StatusCode: status, RetryAfter: retryAfter(header)}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Status, e.Message = eb.Error.Status, scrub(eb.Error.Message)
		for _, d := range eb.Error.Details {
			if strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") && d.Reason != "" {
				e.Reason = d.Reason
				break
			}
		}
	}
	e.err = sentinel(status, e.Status)
	return e
}

func sentinel(status int, name string) error {
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusForbidden && (name == "PERMISSION_DENIED" || name == ""):
		return ErrPermission
	case status == http.StatusUnauthorized:
		return ErrUnauthenticated
	case name == "ALREADY_EXISTS":
		return ErrAlreadyExists
	case name == "ABORTED":
		return ErrEtagMismatch
	case name == "FAILED_PRECONDITION":
		return ErrFailedPrecondition
	}
	return errors.New(http.StatusText(status))
}

// retryAfter reads Retry-After (seconds or an HTTP date).
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// apiError turns a Google client error into an *APIError.
func apiError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("google: %s: %w", op, err)
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return newAPIError(op, ge.Code, ge.Header, []byte(ge.Body))
	}
	return &APIError{Op: op, err: errors.New(scrubErr(err))}
}

// operationError is a failed operation's google.rpc.Status.
func operationError(op string, code int64, message string) error {
	status := rpcCodeNames[code]
	return &APIError{Op: op, StatusCode: httpStatusOf[status], Status: status, Message: scrub(message),
		err: sentinel(httpStatusOf[status], status)}
}

// rpcCodeNames are google.rpc.Code names by number.
var rpcCodeNames = map[int64]string{
	1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
	6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
	10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
	15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}

// httpStatusOf maps google.rpc code names to HTTP statuses (as Google's
// HTTP mapping does).
var httpStatusOf = map[string]int{
	"CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504, "NOT_FOUND": 404,
	"ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429, "FAILED_PRECONDITION": 400,
	"ABORTED": 409, "OUT_OF_RANGE": 400, "UNIMPLEMENTED": 501, "INTERNAL": 500, "UNAVAILABLE": 503,
	"DATA_LOSS": 500, "UNAUTHENTICATED": 401,
}
