package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/respondhq/respond/internal/step"
)

// Error is an error answer from AWS to one operation.
type Error struct {
	Service string // "IAM", "Secrets Manager", …
	Op      string // what respond was doing, e.g. "deactivating access key AKIA… of user alice"
	Action  string // the IAM action the operation needs, e.g. "iam:UpdateAccessKey"
	Code    string // AWS's error code, e.g. "AccessDenied" ("" when the answer could not be read)
	Message string // AWS's message, cleaned
	Status  int    // HTTP status
	Hint    string // what to do
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "AWS %s: %s: ", e.Service, e.Op)
	switch {
	case e.Code != "" && e.Status != 0:
		fmt.Fprintf(&b, "%s (HTTP %d)", e.Code, e.Status)
	case e.Code != "":
		b.WriteString(e.Code)
	default:
		fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// StatusCode is the HTTP status of the answer.
func (e *Error) StatusCode() int { return e.Status }

// Unwrap makes a missing object match step.ErrNotFound, and a missing
// permission ErrAccessDenied.
func (e *Error) Unwrap() []error {
	switch {
	case isNotFound(e.Code):
		return []error{step.ErrNotFound}
	case isDenied(e.Code, e.Status):
		return []error{ErrAccessDenied}
	}
	return nil
}

func isNotFound(code string) bool {
	switch code {
	case "NoSuchEntity", "ResourceNotFoundException", "ParameterNotFound", "ParameterVersionNotFound":
		return true
	}
	return false
}

// isDenied: AccessDenied and its kin, or a 403 whose answer had no code
// (moto sends JSON services an XML AccessDenied the SDK cannot read).
func isDenied(code string, status int) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess":
		return true
	case "":
		return status == http.StatusForbidden
	}
	return false
}

func isThrottle(code string, status int) bool {
	switch code {
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
		"TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException":
		return true
	}
	return status == http.StatusTooManyRequests
}

// op describes an operation for errors: what respond was doing, the
// service, and the IAM action it needs.
type op struct {
	service string
	what    string
	action  string
}

// apiCode returns the AWS error code and HTTP status of err (either may
// be empty).
func apiCode(err error) (code string, status int) {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	return code, status
}

// fail turns an SDK error into one for people: what was being done, AWS's
// answer, and what to do. Client errors (4xx but throttling) are
// permanent: retrying cannot fix them.
func (c *Client) fail(o op, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("AWS %s: %s: %w", o.service, o.what, err)
	}
	var refused *refusedError
	if errors.As(err, &refused) {
		return permanent(fmt.Errorf("%s: %s", o.what, refused.msg))
	}
	var se *v4.SigningError
	if errors.As(err, &se) {
		return permanent(fmt.Errorf("AWS %s: %s: no usable AWS credentials (%v): set AWS_PROFILE to a configured profile, "+
			"or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them", o.service, o.what, clean(se.Error(), 300)))
	}
	code, status := apiCode(err)
	if code == "" && status == 0 {
		return fmt.Errorf("AWS %s: %s: cannot reach AWS%s: %v (check the network, the region and AWS_ENDPOINT_URL, then retry)",
			o.service, o.what, endpointNote(), clean(rootCause(err), 300))
	}
	e := &Error{Service: o.service, Op: o.what, Action: o.action, Code: code, Status: status}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Message = clean(ae.ErrorMessage(), 300)
	}
	switch {
	case isDenied(code, status):
		e.Hint = deniedHint(o.action)
	case isNotFound(code):
		e.Hint = "it does not exist: check the name, the region and the account"
	case code == "InvalidClientTokenId" || code == "UnrecognizedClientException":
		e.Hint = "the access key respond uses is not valid in this account: check AWS_PROFILE or AWS_ACCESS_KEY_ID"
	case code == "SignatureDoesNotMatch" || code == "InvalidSignatureException":
		e.Hint = "the secret access key respond uses does not match its key ID: check AWS_SECRET_ACCESS_KEY or the profile"
	case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired":
		e.Hint = "the session expired: refresh the credentials (e.g. aws sso login) and run again"
	case isThrottle(code, status):
		e.Hint = "AWS is throttling the requests: wait a minute and run again"
		return e
	case status >= 500:
		e.Hint = "AWS had a server error: retry in a few minutes"
		return e
	}
	if status >= 400 && status < 500 {
		return markPermanent(e)
	}
	return e
}

// deniedHint says which permission is missing.
func deniedHint(action string) string {
	if action == "" {
		return "the credentials respond uses lack a permission this needs: check their IAM policies"
	}
	return "the credentials respond uses need the IAM permission " + action + " on this resource: add it to their policy, or use credentials that have it"
}

// rootCause is the innermost error's message (the SDK wraps send errors
// several times, repeating the operation).
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// clean makes text from AWS (or from whatever answered in its place) safe
// to show: one line, no control characters, at most max bytes.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func markPermanent(err error) error { return step.Permanent(err) }
