package kubernetes

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
)

// Errors that errors.Is finds in this package's errors.
var (
	// ErrNotFound: the namespace, Secret, key or Deployment does not exist.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the context's user may not do it (403).
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthorized: the API server did not accept the credentials (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrConflict: the object changed under us (409).
	ErrConflict = errors.New("conflict")
	// ErrBadInput: a name or key that cannot be sent.
	ErrBadInput = errors.New("bad input")
	// ErrRolloutFailed: the rollout cannot complete (its progress deadline
	// passed, or the Deployment is paused or was deleted).
	ErrRolloutFailed = errors.New("rollout failed")
	// ErrRolloutTimeout: the rollout did not complete within the wait.
	ErrRolloutTimeout = errors.New("rollout not complete in time")
)

// Error is an error answer of the API server to one operation.
type Error struct {
	// Context is the kubeconfig context, Op what respond was doing
	// ("setting key OPENAI_API_KEY of secret prod/api-keys").
	Context, Op string
	// Status is the HTTP status (0 when respond found the problem in an
	// answer), Reason the metav1.Status reason ("Forbidden"), Message the
	// server's message (control characters stripped, no secret value).
	Status  int
	Reason  string
	Message string
	// Hint says what to do.
	Hint string
	kind error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kubernetes (context %s): %s", e.Context, e.Op)
	switch {
	case e.Reason != "":
		fmt.Fprintf(&b, ": %s (HTTP %d)", e.Reason, e.Status)
	case e.Status != 0:
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Unwrap lets errors.Is find ErrNotFound, ErrForbidden, ErrUnauthorized
// or ErrConflict.
func (e *Error) Unwrap() error { return e.kind }

// wrap turns a client-go error into an Error (or a plain error for a
// failure without an answer), scrubbed of the values.
func (c *Client) wrap(op string, err error, values ...secret.Value) error {
	if err == nil {
		return nil
	}
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return fmt.Errorf("kubernetes (context %s, %s): %s: %s", c.context, c.server, op, scrub(err.Error(), values))
	}
	s := st.Status()
	e := &Error{Context: c.context, Op: op, Status: int(s.Code), Reason: string(s.Reason), Message: scrub(s.Message, values)}
	switch {
	case apierrors.IsNotFound(err):
		e.kind = ErrNotFound
	case apierrors.IsForbidden(err):
		e.kind = ErrForbidden
		e.Hint = "the context's user needs that permission: ask the cluster's admin for an RBAC Role, or use another context"
	case apierrors.IsUnauthorized(err):
		e.kind = ErrUnauthorized
		e.Hint = "the context's credentials were refused: log in again (kubectl get ns tells the same)"
	case apierrors.IsConflict(err), apierrors.IsAlreadyExists(err):
		e.kind = ErrConflict
	}
	return e
}

// scrub removes secret values (in clear and in base64, as a Secret's data
// is sent) and control characters from a message.
func scrub(msg string, values []secret.Value) string {
	for _, v := range values {
		if v.IsZero() {
			continue
		}
		raw := v.Reveal()
		for _, form := range []string{raw, base64.StdEncoding.EncodeToString([]byte(raw)), base64.RawStdEncoding.EncodeToString([]byte(raw))} {
			msg = strings.ReplaceAll(msg, form, "[REDACTED]")
		}
	}
	return textsafe.Line(msg)
}
