package openaiapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
)

// Backoff of CheckKey's retries when the server gives no Retry-After.
const (
	checkBackoff    = 500 * time.Millisecond
	maxRetryAfter   = 30 * time.Second
	maxErrorBodyLen = 64 << 10
)

// CheckKey calls GET /v1/models with key and classifies the answer
// (API-NOTES §7): 200 is live; 401 with code invalid_api_key is dead; a 401
// with any other code is restricted (the key authenticates but lacks the
// model scopes, so it is alive). Anything else is an error. 429 and 5xx are
// retried first, honouring Retry-After. The key never appears in errors.
func (c *Client) CheckKey(ctx context.Context, key secret.Value) (KeyCheck, error) {
	const op = "checking a key with GET /v1/models"
	if key.IsZero() {
		return KeyCheck{}, fmt.Errorf("openai: %s: the key is empty", op)
	}
	for attempt := 0; ; attempt++ {
		kc, retryAfter, err := c.checkOnce(ctx, key)
		if err == nil {
			return kc, nil
		}
		if retryAfter < 0 || attempt >= c.retries {
			return KeyCheck{}, err
		}
		if retryAfter == 0 {
			retryAfter = checkBackoff << attempt
		}
		t := time.NewTimer(retryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return KeyCheck{}, fmt.Errorf("openai: %s: %w", op, ctx.Err())
		case <-t.C:
		}
	}
}

// checkOnce makes one request. retryAfter is negative when retrying cannot
// help, 0 for "retry with backoff", or the server's Retry-After.
func (c *Client) checkOnce(ctx context.Context, key secret.Value) (kc KeyCheck, retryAfter time.Duration, err error) {
	const op = "checking a key with GET /v1/models"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/models", nil)
	if err != nil {
		return kc, -1, fmt.Errorf("openai: %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	req.Header.Set("Accept", "application/json")
	res, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return kc, -1, fmt.Errorf("openai: %s: %w", op, ctx.Err())
		}
		// *url.Error names the URL, which holds no secret.
		return kc, 0, &APIError{Op: op, err: err, Hint: "could not reach OpenAI; check the network and " + EnvBaseURL}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBodyLen))
	var eb struct {
		Error struct {
			Code    *string `json:"code"`
			Message string  `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &eb) // a body that is not an error object has no code
	code := ""
	if eb.Error.Code != nil {
		code = textsafe.Line(*eb.Error.Code)
	}
	kc = KeyCheck{StatusCode: res.StatusCode, Code: code, CheckedAt: time.Now().UTC()}
	switch {
	case res.StatusCode == http.StatusOK:
		kc.State = KeyLive
		return kc, 0, nil
	case res.StatusCode == http.StatusUnauthorized && code == "invalid_api_key":
		kc.State = KeyDead
		return kc, 0, nil
	case res.StatusCode == http.StatusUnauthorized:
		kc.State = KeyRestricted
		return kc, 0, nil
	}
	e := &APIError{Op: op, StatusCode: res.StatusCode, Code: code, Message: scrub(eb.Error.Message), err: errors.New(http.StatusText(res.StatusCode))}
	switch {
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		e.Hint = "OpenAI did not answer the check even after retries; check again shortly"
		return kc, parseRetryAfter(res.Header.Get("Retry-After")), e
	default:
		e.Hint = "the answer says neither live nor revoked; check the key by hand on the OpenAI dashboard"
		return kc, -1, e
	}
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date),
// capped at maxRetryAfter; 0 if absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		d = time.Duration(s * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}
