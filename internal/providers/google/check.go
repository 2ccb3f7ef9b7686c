package google

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/respondhq/respond/internal/secret"
)

// KeyState is what a call with a key showed.
type KeyState string

// Key states.
const (
	// StateLive: the call succeeded; the key works.
	StateLive KeyState = "live"
	// StateDead: Google refused the key itself (API_KEY_INVALID,
	// API_KEY_EXPIRED): it is deleted, or was never a key.
	StateDead KeyState = "dead"
	// StateRestricted: the key exists but its restrictions forbid this
	// call (API_KEY_*_BLOCKED). It is alive: tell dead from alive with
	// LookupKey and GetKey instead.
	StateRestricted KeyState = "restricted"
)

// Check is the outcome of CheckKey.
type Check struct {
	State  KeyState
	Status int    // the HTTP status
	Reason string // the google.rpc.ErrorInfo reason, if refused
}

// CheckKey calls the Generative Language API's models list with the key
// (in the x-goog-api-key header, never in the URL) and tells what the
// answer shows. Other answers (429 or 5xx after retries, 401, …) are
// errors: they say nothing of the key.
func (c *Client) CheckKey(ctx context.Context, value secret.Value) (Check, error) {
	if value.IsZero() {
		return Check{}, errors.New("google: checking a key: no key string given")
	}
	var out Check
	const op = "checking a key against the Generative Language API"
	err := c.retry(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.glURL+"/v1beta/models?pageSize=1", nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-Goog-Api-Key", value.Reveal())
		req.Header.Set("User-Agent", "respond")
		res, err := c.hc.Do(req)
		if err != nil {
			err = apiError(op, err)
			if e := (*APIError)(nil); errors.As(err, &e) {
				e.urlEnv = EnvGenerativeLanguageURL // not the API Keys API's
			}
			return err
		}
		defer drain(res.Body)
		if res.StatusCode == http.StatusOK {
			out = Check{State: StateLive, Status: res.StatusCode}
			return nil
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		e := newAPIError(op, res.StatusCode, res.Header, body)
		switch {
		case e.Reason == "API_KEY_INVALID" || e.Reason == "API_KEY_EXPIRED":
			out = Check{State: StateDead, Status: res.StatusCode, Reason: e.Reason}
			return nil
		case res.StatusCode == http.StatusForbidden && strings.HasPrefix(e.Reason, "API_KEY_") && strings.HasSuffix(e.Reason, "_BLOCKED"):
			out = Check{State: StateRestricted, Status: res.StatusCode, Reason: e.Reason}
			return nil
		}
		return e
	})
	if err != nil {
		return Check{}, err
	}
	return out, nil
}
