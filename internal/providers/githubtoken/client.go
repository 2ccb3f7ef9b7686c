package githubtoken

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
)

// EnvAPIURL is the GitHub API's base URL variable (GitHub Enterprise
// Server, the simulator); default https://api.github.com.
const EnvAPIURL = "GITHUB_API_URL"

// DefaultAPIURL is GitHub.com's API.
const DefaultAPIURL = "https://api.github.com/"

// MaxRevoke is how many credentials one POST /credentials/revoke may list.
const MaxRevoke = 1000

const requestTimeout = 30 * time.Second

// Client calls the two endpoints a leaked token needs, through go-github:
// GET /user with the token itself (whose it is, its scopes, whether it
// works) and POST /credentials/revoke without any token (GitHub refuses
// authenticated calls there). It never sends respond's own GitHub token.
type Client struct {
	hc   *http.Client
	base *url.URL
}

// NewClient returns a client of the API at base ("" for GitHub.com). Plain
// http:// is allowed only to a loopback address (the simulator).
func NewClient(base string) (*Client, error) {
	base = strings.TrimSpace(base)
	if base == "" {
		base = DefaultAPIURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("GitHub API URL %q is not an http(s) URL: set %s to e.g. https://api.github.com or https://HOST/api/v3", base, EnvAPIURL)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("refusing to send a GitHub token over plain http to %s: use https (plain http only for loopback addresses, such as the simulator)", u.Host)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return &Client{hc: &http.Client{Timeout: requestTimeout, CheckRedirect: netsafe.CheckRedirect}, base: u}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// gh is a go-github client of the API, authenticated with token when it
// is not zero.
func (c *Client) gh(token secret.Value) *github.Client {
	g := github.NewClient(c.hc)
	if !token.IsZero() {
		g = g.WithAuthToken(token.Reveal())
	}
	g.BaseURL, g.UploadURL = c.base, c.base
	return g
}

// WebURL is the web address of the API's host: https://github.com for
// api.github.com, the host itself for GitHub Enterprise Server (/api/v3).
func (c *Client) WebURL() string {
	u := *c.base
	if strings.EqualFold(u.Host, "api.github.com") {
		u.Host = "github.com"
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3")
	return strings.TrimSuffix(u.String(), "/")
}

// Owner is what GET /user says of a token.
type Owner struct {
	// Live: the token authenticated (200); false: GitHub refused it (401).
	Live   bool
	Status int
	Login  string
	// Scopes are a classic or OAuth token's scopes (X-OAuth-Scopes);
	// ScopesKnown is false for a token whose answers carry none
	// (fine-grained tokens and GitHub App user tokens have permissions,
	// not scopes).
	Scopes      []string
	ScopesKnown bool
	// Expires is when the token expires (GitHub-Authentication-Token-
	// Expiration), "" when it does not say.
	Expires string
}

// User calls GET /user with token: whose it is, and whether it works.
func (c *Client) User(ctx context.Context, token secret.Value) (Owner, error) {
	u, resp, err := c.gh(token).Users.Get(ctx, "")
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnauthorized {
			return Owner{Status: http.StatusUnauthorized}, nil
		}
		return Owner{}, apiError("GET /user with the token", err)
	}
	o := Owner{Live: true, Status: resp.StatusCode, Login: textsafe.Line(u.GetLogin())}
	if h, ok := resp.Header[http.CanonicalHeaderKey("X-OAuth-Scopes")]; ok {
		o.ScopesKnown = true
		for _, s := range strings.Split(strings.Join(h, ","), ",") {
			if s = textsafe.Line(strings.TrimSpace(s)); s != "" {
				o.Scopes = append(o.Scopes, s)
			}
		}
	}
	o.Expires = textsafe.Line(resp.Header.Get("GitHub-Authentication-Token-Expiration"))
	return o, nil
}

// RateLimitError is GitHub refusing a revoke for the rate limit of the
// credentials revocation API (60 requests an hour per address).
type RateLimitError struct {
	Limit int
	// Reset is when the limit resets (zero if GitHub did not say).
	Reset  time.Time
	Status int
}

func (e *RateLimitError) Error() string {
	limit := "its limit"
	if e.Limit > 0 {
		limit = fmt.Sprintf("its limit of %d requests an hour from this address", e.Limit)
	}
	reset := "later"
	if !e.Reset.IsZero() {
		reset = "after " + e.Reset.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("GitHub's credential revocation API answered %d: %s is used up; it resets %s", e.Status, limit, reset)
}

// Revoke revokes tokens through POST /credentials/revoke, sent without
// any token, MaxRevoke a request. GitHub answers 202 whether or not it
// knew them; it notifies each token's owner.
func (c *Client) Revoke(ctx context.Context, tokens []secret.Value) error {
	for start := 0; start < len(tokens); start += MaxRevoke {
		batch := tokens[start:min(len(tokens), start+MaxRevoke)]
		vals := make([]string, len(batch))
		for i, t := range batch {
			vals[i] = t.Reveal()
		}
		if err := c.revoke(ctx, vals); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) revoke(ctx context.Context, vals []string) error {
	g := c.gh(secret.Value{})
	body := struct {
		Credentials []string `json:"credentials"`
	}{vals}
	req, err := g.NewRequest(http.MethodPost, "credentials/revoke", body)
	if err != nil {
		return err
	}
	resp, err := g.Do(ctx, req, nil)
	var accepted *github.AcceptedError
	if err == nil || errors.As(err, &accepted) {
		return nil // 202 Accepted, which go-github reports as an error
	}
	if rl := rateLimited(resp, err); rl != nil {
		return rl
	}
	return apiError("POST /credentials/revoke", err)
}

// rateLimited reads a rate-limit refusal: go-github's RateLimitError (403
// with no requests remaining), or a 403/429 carrying x-ratelimit-remaining
// 0 or retry-after.
func rateLimited(resp *github.Response, err error) *RateLimitError {
	var rle *github.RateLimitError
	if errors.As(err, &rle) {
		out := &RateLimitError{Limit: rle.Rate.Limit, Reset: rle.Rate.Reset.Time, Status: http.StatusForbidden}
		if rle.Response != nil {
			out.Status = rle.Response.StatusCode
		}
		return out
	}
	if resp == nil || resp.Response == nil {
		return nil
	}
	h := resp.Header
	if resp.StatusCode != http.StatusTooManyRequests && !(resp.StatusCode == http.StatusForbidden && h.Get("X-RateLimit-Remaining") == "0") {
		return nil
	}
	out := &RateLimitError{Status: resp.StatusCode}
	out.Limit, _ = strconv.Atoi(h.Get("X-RateLimit-Limit"))
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil && s > 0 {
		out.Reset = time.Unix(s, 0)
	} else if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil {
		out.Reset = time.Now().Add(time.Duration(s) * time.Second)
	}
	return out
}

// apiError words a failed call: what, GitHub's answer (made safe to show,
// tokens redacted) or the transport's error.
func apiError(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("GitHub: %s: %w", op, err)
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return fmt.Errorf("GitHub: %s: GitHub answered %d %q", op, er.Response.StatusCode, scrub(er.Message))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("GitHub: %s: %s (check the network and %s)", op, scrub(ue.Err.Error()), EnvAPIURL)
	}
	return fmt.Errorf("GitHub: %s: %s", op, scrub(err.Error()))
}

// scrub makes a message safe to show: one line, no token in it.
func scrub(msg string) string {
	msg = tokenLike.ReplaceAllStringFunc(textsafe.Line(msg), secret.Redact)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}
