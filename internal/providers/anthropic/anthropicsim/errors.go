package anthropicsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// apiError is an error in Anthropic's shape:
// {"type":"error","error":{"type","message"}}.
type apiError struct {
	status  int
	typ     string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.typ, e.message) }

func invalidRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "invalid_request_error", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "not_found_error", fmt.Sprintf(format, args...)}
}

func authError(msg string) *apiError {
	return &apiError{http.StatusUnauthorized, "authentication_error", msg}
}

// errorTypes are Anthropic's error types by HTTP status.
var errorTypes = map[int]string{
	400: "invalid_request_error", 401: "authentication_error", 402: "billing_error", 403: "permission_error",
	404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
	504: "timeout_error", 529: "overloaded_error",
}

var errorMessages = map[int]string{
	429: "Number of requests has exceeded your rate limit. Please try again later.",
	500: "Internal server error",
	529: "Overloaded",
}

// WriteError answers an injected fault in Anthropic's error shape
// (simapi.ErrorWriter); a 429 carries retry-after in whole seconds.
func (s *Server) WriteError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	typ := errorTypes[status]
	if typ == "" {
		typ = "api_error"
	}
	msg := errorMessages[status]
	if msg == "" {
		msg = http.StatusText(status)
	}
	if status == http.StatusTooManyRequests {
		secs := max(1, int((retryAfter+time.Second-1)/time.Second))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	s.writeError(w, &apiError{status, typ, msg})
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	s.writeJSON(w, e.status, map[string]any{"type": "error", "error": map[string]any{"type": e.typ, "message": e.message}})
}

// writeJSON answers v with a request-id header, as every answer of the API
// has one.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", s.requestID())
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// requestID numbers answers (not drawn from the world's random stream, so
// that the number of requests does not change the world).
func (s *Server) requestID() string {
	s.mu.Lock()
	s.reqSeq++
	n := s.reqSeq
	s.mu.Unlock()
	return fmt.Sprintf("req_011CSim%014d", n)
}
