// Package githubsim is an in-process simulator of the GitHub REST API
// endpoints respond and the clients it is checked against (go-github, gh)
// use: Actions secrets (repository, environment and organization, with
// selected repositories), Dependabot secrets, secret scanning alerts and
// their locations, environments, repositories, their branches, tags and
// workflow files, workflows, their dispatch, enabling and disabling, runs,
// their jobs, artifacts and annotations, cancelling and re-running them,
// the API root, organizations, the authenticated user, its repositories
// and organization memberships, rate limits, and the GraphQL queries gh
// sends (graphql.go).
//
// The simulator is an http.Handler. Every path is served both at the root
// (like https://api.github.com) and under /api/v3 (like GitHub Enterprise
// Server), so go-github with either BaseURL or WithEnterpriseURLs, curl and
// gh can all talk to it. URLs in responses point back at the simulator: the
// scheme and host come from the request (r.TLS, r.Host) and the /api/v3
// prefix is kept when the request used it.
//
// Response bodies follow the official OpenAPI description
// (github-rest-subset.json); the conformance tests validate every body they
// receive against it. The one exception is GET
// /user/memberships/orgs/{org}, which the subset does not describe: it
// follows GitHub's documented org-membership shape ({url, state, role,
// organization_url, organization, user}), and its conformance test checks
// that shape itself and skips spec validation. Where GitHub's behaviour is
// not documented the choice is written next to the code; the main ones are:
//
//   - Authentication: "Authorization: token X" and "Authorization: Bearer X"
//     are both accepted; an unknown token is a 401 "Bad credentials" on
//     every endpoint. Requests without credentials get GitHub's public
//     reads at Options.AnonymousLimit an hour per client address, and 401
//     "Requires authentication" elsewhere (access.go).
//     X-GitHub-Api-Version is optional; an unsupported version is a 400
//     with GitHub's message.
//   - Permissions: reads of secrets (lists, metadata, public keys) need only
//     a valid token, as for a read-only collaborator; creating, updating or
//     deleting a secret and changing an organization secret's selected
//     repositories need Permissions.SecretsWrite; every secret-scanning
//     endpoint (GitHub requires a repository or organization administrator)
//     needs Permissions.SecretScanning; dispatching, cancelling and
//     re-running workflows and enabling or disabling them need
//     Permissions.Actions. What a token that falls short gets depends on
//     its kind, classic or fine-grained, as on GitHub; so do the
//     X-OAuth-Scopes, X-Accepted-OAuth-Scopes and
//     X-Accepted-GitHub-Permissions headers (access.go).
//   - Organization membership: the simulator keeps no member lists. The
//     token's user is an active member of every organization the
//     simulator knows, with role "admin" (owner) when the token has
//     Permissions.SecretsWrite and "member" otherwise; an unknown
//     organization is a 404.
//   - GET /repos/{owner}/{repo} (and /repositories/{id}) carries the
//     token's role as `permissions`, as GitHub's full-repository does for
//     authenticated requests: SecretsWrite or SecretScanning make the token
//     admin (and so maintain, push, triage, pull), Actions alone push, and
//     anything else pull only.
//   - Workflows: a dispatch is checked as GitHub checks it (the ref
//     exists, the workflow declares workflow_dispatch, its inputs are
//     declared and required ones given; 422 with GitHub's messages) and
//     creates a run that follows the clock (Options.Now): queued for the
//     first quarter of the workflow's run duration (at most a second), in
//     progress until the duration has passed, then completed with the
//     workflow's conclusion. When a run starts it records the Actions
//     secrets it can see (the organization's visible to the repository,
//     the repository's, its environment's); every change to secrets first
//     settles the runs that have started, so a run records the values in
//     force at its start. Every workflow file is on every branch and tag.
//   - Public keys can be rotated with RotateRepoKey; a PUT sealed for the
//     old key_id is then a 422, as on GitHub.
//   - Secret names are case-insensitive and stored upper-cased, as GitHub
//     does.
//   - Rate limits: see Options and ratelimit.go. Requests rejected by a
//     limit do not consume the primary budget or secondary points; GET
//     /rate_limit does not consume the primary budget (as documented). A
//     secondary limit's retry-after is enforced: the token is refused until
//     it passes, and for longer if it keeps sending.
//
// The simulator may hold and show plaintext secret values in Snapshot (it
// is a fake world), but it never logs them and never echoes them in error
// messages.
package githubsim

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
)

// Defaults for Options fields left at their zero value.
const (
	DefaultPrimaryLimit    = 5000
	DefaultAnonymousLimit  = 60
	DefaultMaxConcurrent   = 100
	DefaultPointsPerMinute = 900
	DefaultReadPoints      = 1
	DefaultWritePoints     = 5
	DefaultRetryAfter      = 60 * time.Second
)

// Options configures a Server. The zero value is usable: every zero field
// takes the default documented on it.
type Options struct {
	// Now returns the current time; it stamps secret updates, alert
	// resolutions, dispatches and drives the rate-limit windows. Default
	// time.Now.
	Now func() time.Time
	// RunDuration is how long a workflow run takes, from dispatch to
	// completion, for workflows that do not set their own (Workflow,
	// ConfigureWorkflow). Default 0: runs complete as soon as they are
	// dispatched.
	RunDuration time.Duration
	// Rand supplies key material and key IDs. Default crypto/rand.Reader.
	// The server serializes its reads, so a non-concurrent reader (such as a
	// math/rand/v2 ChaCha8) is fine.
	Rand io.Reader

	// Latency is added to every admitted request while it counts as in
	// flight for the secondary rate limit, so concurrent requests overlap
	// like they do against a slow API. The wait ends early if the request's
	// context is cancelled. Default 0. See also Server.SetLatency.
	Latency time.Duration

	// PrimaryLimit is each token's request budget per hour. Default 5000.
	PrimaryLimit int
	// AnonymousLimit is the hourly budget of requests without credentials,
	// per client address. Default 60, GitHub's.
	AnonymousLimit int
	// PrimaryStatus is the status of a primary-limit rejection: 403
	// (default, what go-github v60 recognises) or 429 (which GitHub also
	// documents).
	PrimaryStatus int

	// MaxConcurrent is the number of requests a token may have in flight;
	// the next one is rejected by the secondary limit. Default 100; a
	// negative value disables the check.
	MaxConcurrent int
	// PointsPerMinute is each token's secondary budget in any sliding
	// minute. Default 900; a negative value disables the check.
	PointsPerMinute int
	// ReadPoints is the cost of a GET, HEAD or OPTIONS request. Default 1.
	ReadPoints int
	// WritePoints is the cost of any other request. Default 5.
	WritePoints int
	// RetryAfter is sent as the retry-after header (whole seconds, rounded
	// up) of secondary-limit rejections, and the token is refused until it
	// has passed (longer if it keeps sending; see ratelimit.go). Default
	// 60s.
	RetryAfter time.Duration
	// SecondaryStatus is the status of a secondary-limit rejection: 403
	// (default) or 429. go-github v60 surfaces the 403 form as
	// *github.AbuseRateLimitError and the 429 form as a plain
	// *github.ErrorResponse.
	SecondaryStatus int

	// RevokeLimit is how many POST /credentials/revoke requests one client
	// IP may send an hour; the endpoint is meant to be called without
	// authentication, and GitHub documents 60 an hour. Default 60; a
	// negative value disables the limit. Past it the answer is
	// PrimaryStatus (403 or 429) with x-ratelimit-remaining 0.
	RevokeLimit int
	// HookTimeout ends a webhook delivery that takes longer, as GitHub
	// ends one after 10 seconds. Default 10s.
	HookTimeout time.Duration
	// HookAnyHost lets webhooks deliver to any host. By default a hook's
	// URL must name a loopback address (127.0.0.0/8, ::1 or localhost):
	// the simulator is a test server and must not send requests into
	// the network it runs in.
	HookAnyHost bool
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.PrimaryLimit <= 0 {
		o.PrimaryLimit = DefaultPrimaryLimit
	}
	if o.AnonymousLimit <= 0 {
		o.AnonymousLimit = DefaultAnonymousLimit
	}
	if o.PrimaryStatus != http.StatusTooManyRequests {
		o.PrimaryStatus = http.StatusForbidden
	}
	if o.MaxConcurrent == 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.PointsPerMinute == 0 {
		o.PointsPerMinute = DefaultPointsPerMinute
	}
	if o.ReadPoints <= 0 {
		o.ReadPoints = DefaultReadPoints
	}
	if o.WritePoints <= 0 {
		o.WritePoints = DefaultWritePoints
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.SecondaryStatus != http.StatusTooManyRequests {
		o.SecondaryStatus = http.StatusForbidden
	}
	if o.RevokeLimit == 0 {
		o.RevokeLimit = DefaultRevokeLimit
	}
	if o.HookTimeout <= 0 {
		o.HookTimeout = DefaultHookTimeout
	}
	return o
}

// Permissions are what a token may do beyond reading (see the package
// documentation for the exact rules).
type Permissions struct {
	// SecretsWrite allows creating, updating and deleting Actions and
	// Dependabot secrets at every level, and changing the selected
	// repositories of organization secrets.
	SecretsWrite bool
	// SecretScanning allows listing, reading and updating secret-scanning
	// alerts and their locations.
	SecretScanning bool
	// Actions allows dispatching workflows.
	Actions bool
}

// AllPermissions grants everything the simulator checks.
var AllPermissions = Permissions{SecretsWrite: true, SecretScanning: true, Actions: true}

// Server simulates the GitHub REST API. Create it with New; it is safe for
// concurrent use.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	graphql *graphql.Schema
	latency atomic.Int64 // time.Duration

	mu sync.Mutex // guards the world below and reads of opts.Rand
	w  *world

	rlMu       sync.Mutex // guards rates and limitStats
	rates      map[string]*tokenRate
	limitStats LimitStats

	tk tokenRuntime    // tokens.go: the revoke endpoint's rate limit
	vd validityRuntime // validity.go: the oracle
	hk hookRuntime     // deliveries.go: deliveries in flight
}

// New returns a Server with an empty world.
func New(opts Options) *Server {
	s := &Server{opts: opts.withDefaults(), w: newWorld(), rates: map[string]*tokenRate{}}
	s.latency.Store(int64(s.opts.Latency))
	s.tk.init()
	s.hk.init(s.opts)
	s.graphql = newGraphQL(s)
	s.routes()
	return s
}

// SetLatency changes Options.Latency for requests admitted from now on.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Reset empties the world: organizations, repositories, tokens, secrets,
// alerts, workflows, dispatches and rate-limit accounting. Key material for
// later seeding keeps coming from Options.Rand.
func (s *Server) Reset() {
	s.mu.Lock()
	s.w = newWorld()
	old := s.hk.restart()
	s.mu.Unlock()
	old.stop() // deliveries of the old world end
	s.rlMu.Lock()
	s.rates = map[string]*tokenRate{}
	s.limitStats = LimitStats{}
	s.rlMu.Unlock()
	s.tk.init()
}

// call is what the middleware learned about a request, handed to handlers.
type call struct {
	origin   string // scheme://host the request was sent to, for Link
	web      string // scheme://host of the web pages, for html_url
	base     string // scheme://host[/api/v3], for API URLs
	origPath string // request path as received (with any /api/v3 prefix)
	token    string
	user     *account
	perms    Permissions
	// readOnly are the repositories (lower-cased OWNER/NAME) where the
	// token may only read (Server.RestrictToken).
	readOnly map[string]bool
	doc      string // documentation_url for errors of this route
	access   routeAccess
	// rateKey and rateLimit are the primary rate-limit bucket and budget:
	// the token's, or the client address's for anonymous requests.
	rateKey   string
	rateLimit int
}

// readOnlyOn reports whether the token may only read rp.
func (c *call) readOnlyOn(rp *repo) bool {
	return rp != nil && c.readOnly[strings.ToLower(rp.fullName())]
}

type callKey struct{}

// GitHub Enterprise Server serves the REST API under /api/v3 and GraphQL
// at /api/graphql.
const (
	enterprisePrefix  = "/api/v3"
	enterpriseGraphQL = "/api/graphql"
)

// apiVersions are the REST API versions GitHub serves (X-GitHub-Api-Version;
// none means the oldest).
var apiVersions = []string{"2022-11-28", "2026-03-10"}

// msgBadAPIVersion is GitHub's answer to an unsupported
// X-GitHub-Api-Version (reported in update-nix-fetchgit#79, with the
// versions of its day).
const msgBadAPIVersion = `The version you specified in the "X-GitHub-API-Version" request header, %q, is not a supported version. The following versions are currently supported: "2026-03-10" (most recent), "2022-11-28".`

const docsAPIVersions = "https://docs.github.com/rest/about-the-rest-api/api-versions"

// principal is who a request counts against for the primary rate limit: a
// token, or for anonymous requests the client's address.
type principal struct {
	key   string
	limit int
	user  *account // nil when anonymous
	ip    string
}

// clientAddr is the address of the request's client, without the port.
func clientAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// ServeHTTP serves one request: authentication, rate limiting, latency, then
// the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	reqID := h.Get(headerRequestID)
	if reqID == "" {
		reqID = newRequestID()
		h.Set(headerRequestID, reqID)
	}
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")

	c := &call{origPath: r.URL.Path, doc: docsRoot}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	c.origin = scheme + "://" + r.Host
	c.web, c.base = c.origin, c.origin
	switch p := r.URL.Path; {
	case p == enterpriseGraphQL:
		c.base += enterprisePrefix
		r = replacePrefix(r, enterpriseGraphQL, "/graphql")
	case p == enterprisePrefix || strings.HasPrefix(p, enterprisePrefix+"/"):
		c.base += enterprisePrefix
		r = replacePrefix(r, enterprisePrefix, "")
	default:
		// The API of api.github.com (and of api.github.localhost, gh's
		// plain-HTTP host) links to the web host without "api.".
		if host, ok := strings.CutPrefix(r.Host, "api."); ok {
			c.web = scheme + "://" + host
		}
	}

	if v := r.Header.Get("X-GitHub-Api-Version"); v != "" && !slices.Contains(apiVersions, v) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(msgBadAPIVersion, v), docsAPIVersions)
		return
	}

	if r.URL.Path == revokePath { // meant to be called without a token (tokens.go)
		s.serveRevoke(w, r, c)
		return
	}

	p := principal{key: "ip:" + clientAddr(r), limit: s.opts.AnonymousLimit, ip: clientAddr(r)}
	if strings.TrimSpace(r.Header.Get("Authorization")) != "" {
		tok, ok := bearer(r.Header.Get("Authorization"))
		var t *token
		if ok {
			s.mu.Lock()
			t = s.w.tokens[tok]
			if t != nil && !t.revoked.IsZero() {
				t = nil // a revoked token is answered as an unknown one
			}
			if t != nil {
				t.lastUsed = s.now()
				c.token, c.user, c.perms, c.readOnly = tok, t.user, t.perms, t.readOnly
			}
			s.mu.Unlock()
		}
		if t == nil {
			writeError(w, http.StatusUnauthorized, "Bad credentials", docsRoot)
			return
		}
		p = principal{key: tok, limit: s.opts.PrimaryLimit, user: c.user}
	}
	c.rateKey, c.rateLimit = p.key, p.limit

	release, admitted := s.admit(w, r, p)
	if !admitted {
		return
	}
	defer release()

	if d := time.Duration(s.latency.Load()); d > 0 {
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return
		}
	}

	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
}

// replacePrefix returns a shallow copy of r whose URL path has prefix
// replaced by repl ("/" when nothing is left).
func replacePrefix(r *http.Request, prefix, repl string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = repl + strings.TrimPrefix(u.Path, prefix)
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawPath != "" {
		u.RawPath = repl + strings.TrimPrefix(u.RawPath, prefix)
	}
	r2.URL = &u
	return r2
}

// bearer extracts the token of an "Authorization: token X" or
// "Authorization: Bearer X" header (scheme case-insensitive).
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return "", false
	}
	switch strings.ToLower(scheme) {
	case "token", "bearer":
		tok = strings.TrimSpace(tok)
		return tok, tok != ""
	}
	return "", false
}

// handlerFunc is an endpoint: it gets the request's call from the middleware.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call)

// handle registers an endpoint under a net/http pattern with the
// documentation URL its errors carry.
func (s *Server) handle(pattern, doc string, h handlerFunc) {
	access := accessOf(pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(callKey{}).(*call)
		if c == nil { // only reachable if the mux is used without ServeHTTP
			c = &call{}
		}
		if doc != "" {
			c.doc = doc
		}
		c.access = access
		c.setAccessHeaders(w.Header())
		if !s.admitted(w, r, c) {
			return
		}
		h(w, r, c)
	})
}

// now reads the configured clock in UTC.
func (s *Server) now() time.Time { return s.opts.Now().UTC() }
