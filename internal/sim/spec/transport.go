package spec

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// CheckingTransport is an http.RoundTripper that validates every request
// body and response body passing through it against a Spec and records what
// does not conform. Wrap the transport of a go-github or openai-go client
// with it in tests, run the scenario, then assert that Errors is empty and
// Checked is non-zero.
//
// Requests whose method and path match no operation are recorded as errors
// wrapping ErrUnknownOperation: a client calling an undocumented endpoint is
// worth knowing about. Transport errors from next are returned unchanged and
// not recorded.
type CheckingTransport struct {
	spec *Spec
	next http.RoundTripper

	mu      sync.Mutex
	errs    []error
	checked int
}

// NewCheckingTransport returns a CheckingTransport validating against s and
// sending requests through next (http.DefaultTransport when nil).
func NewCheckingTransport(s *Spec, next http.RoundTripper) *CheckingTransport {
	if next == nil {
		next = http.DefaultTransport
	}
	return &CheckingTransport{spec: s, next: next}
}

// RoundTrip implements http.RoundTripper. The response body is read in full,
// validated and replaced by an equivalent reader, so callers see it intact.
func (c *CheckingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	path := req.URL.EscapedPath()
	if !c.spec.HasOperation(req.Method, path) {
		c.record(fmt.Errorf("request: %w", c.spec.unknown(req.Method, path)))
		return c.next.RoundTrip(req)
	}

	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("checking transport: read request body of %s %s: %w", req.Method, path, err)
		}
		// RoundTrippers must not modify the caller's request: clone it
		// with a fresh body.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
		if err := c.spec.ValidateRequest(req.Method, path, body); err != nil {
			c.record(err)
		}
	} else if err := c.spec.ValidateRequest(req.Method, path, nil); err != nil {
		c.record(err)
	}

	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("checking transport: read response body of %s %s: %w", req.Method, path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if req.Method == http.MethodHead || resp.StatusCode == http.StatusNotModified {
		// No body by definition; nothing to validate.
		return resp, nil
	}
	verr := c.spec.ValidateResponse(req.Method, path, resp.StatusCode, body)
	c.mu.Lock()
	c.checked++
	if verr != nil {
		c.errs = append(c.errs, verr)
	}
	c.mu.Unlock()
	return resp, nil
}

func (c *CheckingTransport) record(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

// Errors returns the conformance errors recorded so far, in the order they
// occurred.
func (c *CheckingTransport) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// Checked returns the number of responses validated so far.
func (c *CheckingTransport) Checked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checked
}
