package googlesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// googleError is an error in Google's JSON shape:
// {"error": {"code", "message", "status", "details"}}.
type googleError struct {
	code    int
	status  string // google.rpc.Code name: NOT_FOUND, PERMISSION_DENIED, …
	message string
	details []any
}

func (e *googleError) Error() string { return fmt.Sprintf("%d %s: %s", e.code, e.status, e.message) }

// body is the error as JSON.
func (e *googleError) body() map[string]any {
	inner := map[string]any{"code": e.code, "message": e.message, "status": e.status}
	if len(e.details) > 0 {
		inner["details"] = e.details
	}
	return map[string]any{"error": inner}
}

// errorInfo is a google.rpc.ErrorInfo detail.
func errorInfo(reason, domain string, metadata map[string]string) map[string]any {
	d := map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain}
	if len(metadata) > 0 {
		d["metadata"] = metadata
	}
	return d
}

// localizedMessage is a google.rpc.LocalizedMessage detail.
func localizedMessage(msg string) map[string]any {
	return map[string]any{"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": msg}
}

func invalidArgument(format string, args ...any) *googleError {
	return &googleError{code: http.StatusBadRequest, status: "INVALID_ARGUMENT", message: fmt.Sprintf(format, args...)}
}

func failedPrecondition(format string, args ...any) *googleError {
	return &googleError{code: http.StatusBadRequest, status: "FAILED_PRECONDITION", message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *googleError {
	return &googleError{code: http.StatusNotFound, status: "NOT_FOUND", message: fmt.Sprintf(format, args...)}
}

func alreadyExists(format string, args ...any) *googleError {
	return &googleError{code: http.StatusConflict, status: "ALREADY_EXISTS", message: fmt.Sprintf(format, args...)}
}

func aborted(format string, args ...any) *googleError {
	return &googleError{code: http.StatusConflict, status: "ABORTED", message: fmt.Sprintf(format, args...)}
}

// permissionDenied is Google's IAM refusal: the same whether or not the
// resource exists, so a caller learns nothing of a project it may not use.
func permissionDenied(permission, resource string) *googleError {
	return &googleError{code: http.StatusForbidden, status: "PERMISSION_DENIED",
		message: fmt.Sprintf("Permission '%s' denied on resource '%s' (or it may not exist).", permission, resource),
		details: []any{errorInfo("IAM_PERMISSION_DENIED", "iam.googleapis.com",
			map[string]string{"permission": permission, "resource": resource})}}
}

// unauthenticated answers a request without a valid access token.
func unauthenticated(missing bool) *googleError {
	msg := "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	reason := "ACCESS_TOKEN_TYPE_UNSUPPORTED"
	if missing {
		msg = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
		reason = "CREDENTIALS_MISSING"
	}
	return &googleError{code: http.StatusUnauthorized, status: "UNAUTHENTICATED", message: msg,
		details: []any{errorInfo(reason, "googleapis.com", map[string]string{"service": "apikeys.googleapis.com"})}}
}

// statusNames are the google.rpc.Code names of HTTP statuses, for faults.
var statusNames = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
	409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
	503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

// WriteError answers an injected fault in Google's error shape
// (simapi.ErrorWriter); a 429 carries Retry-After in whole seconds.
func (s *Server) WriteError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	name := statusNames[status]
	if name == "" {
		name = "UNKNOWN"
		if status >= 500 {
			name = "INTERNAL"
		}
	}
	msg := http.StatusText(status)
	if status == http.StatusTooManyRequests {
		secs := int((retryAfter + time.Second - 1) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		msg = "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service 'apikeys.googleapis.com'."
	}
	writeError(w, &googleError{code: status, status: name, message: msg})
}

func writeError(w http.ResponseWriter, e *googleError) { writeJSON(w, e.code, e.body()) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
