package openaisim

import (
	"fmt"
	"net/http"
)

// apiError is an error response in OpenAI's ErrorResponse shape:
// {"error":{"message","type","param","code"}}, all four fields present.
type apiError struct {
	status  int
	message string
	typ     string
	param   *string
	code    *string
}

func (e *apiError) body() any {
	return map[string]any{"error": map[string]any{
		"message": e.message,
		"type":    e.typ,
		"param":   e.param,
		"code":    e.code,
	}}
}

func strp(s string) *string { return &s }

// invalidRequest is a 400 invalid_request_error about param (may be "").
func invalidRequest(param, format string, args ...any) *apiError {
	e := &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", message: fmt.Sprintf(format, args...)}
	if param != "" {
		e.param = strp(param)
	}
	return e
}

// notFound is a 404. The spec describes no 404 body for the admin
// endpoints; the simulator uses ErrorResponse with type
// invalid_request_error, code null and a message naming the object.
func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, typ: "invalid_request_error", message: fmt.Sprintf(format, args...)}
}

// invalidURL is what OpenAI answers for a path or method it does not serve.
func invalidURL(method, path string) *apiError {
	return &apiError{status: http.StatusNotFound, typ: "invalid_request_error",
		message: fmt.Sprintf("Invalid URL (%s %s)", method, path)}
}

// noKey: no bearer token at all (401, code null, as OpenAI answers).
func noKey() *apiError {
	return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error",
		message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys."}
}

// incorrectKey: unknown, deleted, revoked or expired key (401,
// code invalid_api_key). The key is shown masked: first 8 … last 4.
func incorrectKey(value string) *apiError {
	return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error", code: strp("invalid_api_key"),
		message: "Incorrect API key provided: " + maskForMessage(value) + ". You can find your API key at https://platform.openai.com/account/api-keys."}
}

// missingScopes: a live key that may not do this (code null). OpenAI sends
// 401 for a restricted key on the model endpoints (API-NOTES §7 pitfall).
func missingScopes(status int, scope string) *apiError {
	return &apiError{status: status, typ: "invalid_request_error",
		message: "You have insufficient permissions for this operation. Missing scopes: " + scope + ". Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes."}
}
