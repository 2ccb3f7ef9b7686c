// Package githubapi is respond's client of the GitHub REST API, over go-github v60: the token's
// identity and repository permissions, Actions and Dependabot secrets at
// repository, environment and organization level, workflows (their files,
// refs, dispatch and runs) and secret-scanning alerts.
//
// Where go-github v60 lags the current API the requests are built by hand
// (API-NOTES §1, §3): environment secrets use the current
// /repos/{owner}/{repo}/environments/{env}/secrets paths rather than v60's
// deprecated /repositories/{id}/… ones, and resolving an alert sends
// resolution_comment, which v60's options lack; a workflow dispatch sends
// return_run_details, which v60's request lacks.
//
// # Rate limits
//
// Every request of a Client goes through one rate limiter, an
// http.RoundTripper under go-github shared by all goroutines using the
// client (one token, one limiter). It keeps the token inside GitHub's
// documented secondary limits rather than reacting to them (see Limits):
//
//   - at most MaxConcurrent requests in flight (default 50 of GitHub's 100);
//   - at most PointsPerMinute points in any sliding minute (default
//     GitHub's 900; GET, HEAD and OPTIONS cost 1, other methods 5). A
//     request's points count until a minute after its answer arrived, so
//     the client's minute never ends before GitHub's, and the whole budget
//     can be spent with no limit response. Requests wait for points, in
//     the order they asked; they do not fail.
//
// When GitHub answers with a limit anyway, the limiter pauses every request
// of the token until it lifts, then retries idempotent requests (GET, HEAD,
// OPTIONS, PUT, DELETE):
//
//   - secondary limit (403 whose documentation_url names secondary rate
//     limits or abuse) or 429: wait retry-after, or a minute when there is
//     none (GitHub's advice), and send nothing meanwhile: a request that
//     was waiting for points checks again before it goes;
//   - primary exhaustion (403 or 429 with x-ratelimit-remaining 0): wait
//     until x-ratelimit-reset if that is within MaxWait (default 2 min),
//     else fail with a *LimitError saying when the budget resets;
//   - 5xx: retry with backoff, three attempts in all.
//
// POST and PATCH requests that hit a limit are not repeated here (the
// transport cannot know whether repeating them is safe; the step that sent
// them decides): they fail with a *LimitError naming the limit. All waits end when the request's context does. go-github v60
// never sees a limit response: it does not recognise 429s, and after a 403
// limit or a response with x-ratelimit-remaining 0 it would refuse every
// later call locally instead of waiting; the limiter hides that header and
// keeps the budget itself. Stats exposes its counters.
//
// # Fewer requests
//
// ReposPermissions checks many repositories with an organization's
// repository list (100 a page) instead of a request each; public keys are
// read once per scope and, with Config.KeyCache, kept across runs
// (keycache.go); an alert is read once per run.
//
// Errors say what the client was doing, to which repository, secret or
// alert, and what to do; they never contain the token or a secret value.
package githubapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/textsafe"
)

// DefaultBaseURL is GitHub's REST API. GitHub Enterprise Server is
// https://HOST/api/v3.
const DefaultBaseURL = "https://api.github.com"

// Config configures a Client.
type Config struct {
	// BaseURL is the REST API root (default DefaultBaseURL). Plain http://
	// is refused unless the host is loopback (the simulator).
	BaseURL string
	// Token authenticates every request.
	Token secret.Value
	// HTTPClient supplies the transport the limiter sends through (default
	// http.DefaultTransport). Its Timeout, if set and Limits.RequestTimeout
	// is not, bounds each attempt; waits for the rate limiter never count
	// against it.
	HTTPClient *http.Client
	// Limits configure the rate limiter; zero fields take the defaults.
	Limits Limits
	// KeyCache, if set, is a file where the secret scopes' public keys are
	// kept across runs (see keycache.go), so that writing a secret whose
	// scope was written before costs the write alone. respond keeps it in
	// its state directory.
	KeyCache string
	// Warn, if set, receives what the client wants the user to know
	// without failing: a key cache it does not trust.
	Warn func(string)
}

// Client is a GitHub REST client for one token. It is safe for concurrent
// use; all goroutines share its rate limiter and caches.
type Client struct {
	gh   *github.Client
	lim  *limiter
	host string

	keysMu  sync.Mutex
	keys    map[string]*keyEntry // public keys by scope
	keyFile *keyFile             // public keys kept across runs; nil without Config.KeyCache

	idsMu sync.Mutex
	ids   map[string]int64 // repository IDs by lower-cased owner/name
	orgs  map[string]bool  // owners (lower-cased) known to be organizations (true) or not (false)

	alertsMu sync.Mutex
	alerts   map[string]Alert // alerts read by GetAlert, by owner/repo#n
}

type keyEntry struct {
	done chan struct{}
	key  PublicKey
	err  error
}

// FromEnv builds a Client from GITHUB_TOKEN (or GH_TOKEN) and
// GITHUB_API_URL (default https://api.github.com; for GitHub Enterprise
// Server https://HOST/api/v3).
func FromEnv() (*Client, error) {
	tok := os.Getenv("GITHUB_TOKEN")
	if tok == "" {
		tok = os.Getenv("GH_TOKEN")
	}
	if tok == "" {
		return nil, errors.New("GITHUB_TOKEN is not set: export a GitHub token that can manage the repositories' secrets " +
			"(classic: repo scope; fine-grained: Secrets read/write, Actions write, Secret scanning alerts read/write), " +
			"or GH_TOKEN, e.g. GITHUB_TOKEN=$(gh auth token)")
	}
	return New(Config{BaseURL: os.Getenv("GITHUB_API_URL"), Token: secret.New(tok)})
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Token.IsZero() {
		return nil, errors.New("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)")
	}
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("GitHub API URL %q is not an http(s) URL: set GITHUB_API_URL to e.g. https://api.github.com or https://HOST/api/v3", base)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("refusing to send the GitHub token over plain http to %s: use https (plain http is allowed only for loopback addresses, such as the simulator)", u.Host)
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	hc := &http.Client{} // no overall timeout: the limiter bounds each attempt
	next := http.DefaultTransport
	limits := cfg.Limits
	if cfg.HTTPClient != nil {
		hc.Jar = cfg.HTTPClient.Jar
		if cfg.HTTPClient.Transport != nil {
			next = cfg.HTTPClient.Transport
		}
		if limits.RequestTimeout == 0 {
			limits.RequestTimeout = cfg.HTTPClient.Timeout
		}
	}
	lim := newLimiter(next, limits)
	hc.Transport = lim
	// Never follow a redirect that changes the scheme, host or port with
	// the token.
	hc.CheckRedirect = netsafe.CheckRedirect
	gh := github.NewClient(hc).WithAuthToken(cfg.Token.Reveal())
	gh.BaseURL, gh.UploadURL = u, u
	return &Client{gh: gh, lim: lim, host: u.Host, keys: map[string]*keyEntry{}, ids: map[string]int64{},
		keyFile: newKeyFile(cfg.KeyCache, strings.ToLower(u.Host+strings.TrimSuffix(u.Path, "/")), cfg.Warn)}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Stats returns the rate limiter's counters.
func (c *Client) Stats() Stats { return c.lim.stats() }

// Limits returns the limits in force (defaults filled in).
func (c *Client) Limits() Limits { l := c.lim.lim; l.clock = nil; return l }

// User returns the token's login.
func (c *Client) User(ctx context.Context) (string, error) {
	u, _, err := c.gh.Users.Get(ctx, "")
	if err != nil {
		return "", c.fail(err, "check the token (GET /user)")
	}
	return textsafe.Line(u.GetLogin()), nil
}

// RepoPermissions returns the token's role on owner/repo.
func (c *Client) RepoPermissions(ctx context.Context, owner, repo string) (RepoPermissions, error) {
	r, err := c.getRepo(ctx, owner, repo)
	if err != nil {
		return RepoPermissions{}, err
	}
	c.idsMu.Lock()
	c.ids[strings.ToLower(owner+"/"+repo)] = r.GetID()
	c.idsMu.Unlock()
	return permissionsOf(r), nil
}

// getRepo reads owner/repo (GET /repos/{owner}/{repo}).
func (c *Client) getRepo(ctx context.Context, owner, repo string) (*github.Repository, error) {
	p, err := apiPath("repos/", seg{"owner", owner}, "/", seg{"repository", repo})
	if err != nil {
		return nil, err
	}
	var r github.Repository
	if _, err := c.do(ctx, http.MethodGet, p, nil, &r); err != nil {
		return nil, c.fail(err, "read repository %s/%s", owner, repo)
	}
	return &r, nil
}

// do sends a request to path (made by apiPath) and decodes the answer
// into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) (*github.Response, error) {
	req, err := c.gh.NewRequest(method, path, body)
	if err != nil {
		return nil, err
	}
	return c.gh.Do(ctx, req, out)
}

// ScopeName names a secret scope for messages: "acme/api",
// "acme/api environment production", "organization acme", with
// " (Dependabot)" for Dependabot scopes.
func ScopeName(s SecretScope) string {
	var n string
	switch {
	case s.Org != "":
		n = "organization " + s.Org
	case s.Environment != "":
		n = s.Owner + "/" + s.Repo + " environment " + s.Environment
	default:
		n = s.Owner + "/" + s.Repo
	}
	if s.App == "dependabot" {
		n += " (Dependabot)"
	}
	return n
}

func checkScope(s SecretScope) error {
	switch {
	case s.App != "actions" && s.App != "dependabot":
		return step.Errorf("secret scope %s: app %q must be actions or dependabot", ScopeName(s), s.App)
	case s.Org == "" && (s.Owner == "" || s.Repo == ""):
		return step.Errorf("secret scope: give a repository (owner/name) or an organization")
	case s.Org != "" && s.Repo != "":
		return step.Errorf("secret scope %s: give a repository or an organization, not both", ScopeName(s))
	case s.Environment != "" && (s.App != "actions" || s.Org != ""):
		return step.Errorf("secret scope %s: only repository Actions secrets have environments", ScopeName(s))
	}
	_, err := scopePath(s)
	return err
}

// scopePath is the collection path of a scope's secrets, relative to the
// base URL, every name escaped as one segment (apiPath). Environments use
// the current documented path.
func scopePath(s SecretScope) (string, error) {
	switch {
	case s.Org != "":
		return apiPath("orgs/", seg{"organization", s.Org}, "/"+s.App+"/secrets")
	case s.Environment != "":
		return apiPath("repos/", seg{"owner", s.Owner}, "/", seg{"repository", s.Repo}, "/environments/", seg{"environment", s.Environment}, "/secrets")
	}
	return apiPath("repos/", seg{"owner", s.Owner}, "/", seg{"repository", s.Repo}, "/"+s.App+"/secrets")
}

// secretsPath is scopePath for a scope checkScope accepted.
func secretsPath(s SecretScope) string {
	p, _ := scopePath(s)
	return p
}

// secretPath is the path of the named secret of scope s.
func secretPath(s SecretScope, name string, more ...string) (string, error) {
	base, err := scopePath(s)
	if err != nil {
		return "", err
	}
	return apiPath(base+"/", seg{"secret", name}, strings.Join(more, ""))
}

// PublicKey returns the scope's sealed-box public key. Keys are cached for
// the life of the client (one request per scope, even when many goroutines
// ask at once) and, with Config.KeyCache, across runs; a PUT rejected with
// 422 drops the cached key.
func (c *Client) PublicKey(ctx context.Context, s SecretScope) (PublicKey, error) {
	if err := checkScope(s); err != nil {
		return PublicKey{}, err
	}
	k := strings.ToLower(secretsPath(s))
	c.keysMu.Lock()
	e, ok := c.keys[k]
	if !ok {
		e = &keyEntry{done: make(chan struct{})}
		c.keys[k] = e
		if pk, cached := c.keyFile.get(k); cached {
			e.key = pk
			close(e.done)
			ok = true
		}
	}
	c.keysMu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.key, e.err
		case <-ctx.Done():
			return PublicKey{}, ctx.Err()
		}
	}
	e.key, e.err = c.fetchKey(ctx, s)
	if e.err != nil {
		c.dropKey(s, e)
	} else {
		c.keyFile.put(k, e.key)
	}
	close(e.done)
	return e.key, e.err
}

// KnowsPublicKey reports whether PublicKey would answer s without a
// request: its key was fetched in this run, or is in the key cache.
func (c *Client) KnowsPublicKey(s SecretScope) bool {
	if checkScope(s) != nil {
		return false
	}
	k := strings.ToLower(secretsPath(s))
	c.keysMu.Lock()
	e, ok := c.keys[k]
	c.keysMu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.err == nil
		default:
			return true // being fetched: one request, already counted
		}
	}
	_, cached := c.keyFile.get(k)
	return cached
}

// dropKey forgets s's key (e, or whatever is cached when e is nil), in
// this run and in the key cache: GitHub refused it, or fetching it failed.
func (c *Client) dropKey(s SecretScope, e *keyEntry) {
	k := strings.ToLower(secretsPath(s))
	c.keysMu.Lock()
	if e == nil || c.keys[k] == e {
		delete(c.keys, k)
	}
	c.keysMu.Unlock()
	if e == nil {
		c.keyFile.drop(k)
	}
}

func (c *Client) fetchKey(ctx context.Context, s SecretScope) (PublicKey, error) {
	req, err := c.gh.NewRequest(http.MethodGet, secretsPath(s)+"/public-key", nil)
	if err != nil {
		return PublicKey{}, err
	}
	var pk github.PublicKey // accepts numeric key IDs (some GHES versions)
	if _, err := c.gh.Do(ctx, req, &pk); err != nil {
		return PublicKey{}, c.fail(err, "read the public key of %s's secrets", ScopeName(s))
	}
	raw, err := base64.StdEncoding.DecodeString(pk.GetKey())
	if err != nil || len(raw) != 32 || pk.GetKeyID() == "" {
		return PublicKey{}, fmt.Errorf("GitHub returned an unusable public key for %s's secrets (want a base64 32-byte key and a key_id): report this, or retry later", ScopeName(s))
	}
	out := PublicKey{ID: pk.GetKeyID()}
	copy(out.Key[:], raw)
	return out, nil
}

// SecretExists reports whether the named secret exists in the scope.
func (c *Client) SecretExists(ctx context.Context, s SecretScope, name string) (bool, error) {
	if err := checkScope(s); err != nil {
		return false, err
	}
	_, err := c.getSecret(ctx, s, name)
	if errors.Is(err, step.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// OrgSecret reads an organization secret's visibility and, when it is
// selected, the names of the repositories that may use it.
func (c *Client) OrgSecret(ctx context.Context, s SecretScope, name string) (OrgSecretState, error) {
	if err := checkScope(s); err != nil {
		return OrgSecretState{}, err
	}
	if s.Org == "" {
		return OrgSecretState{}, step.Errorf("read the audience of secret %s of %s: not an organization secret", name, ScopeName(s))
	}
	if _, err := secretPath(s, name); err != nil {
		return OrgSecretState{}, err
	}
	// The secret and its selected repositories at once (the plan reads
	// them before the revoke); the list is used only if the secret turns
	// out to be visible to selected repositories.
	type listed struct {
		repos []*github.Repository
		err   error
	}
	sel := make(chan listed, 1)
	go func() {
		repos, err := c.selectedRepos(ctx, s, name)
		sel <- listed{repos, err}
	}()
	sec, err := c.getSecret(ctx, s, name)
	l := <-sel
	if errors.Is(err, step.ErrNotFound) {
		return OrgSecretState{}, nil
	}
	if err != nil {
		return OrgSecretState{}, err
	}
	st := OrgSecretState{Exists: true, Visibility: sec.Visibility}
	if sec.Visibility != "selected" {
		return st, nil
	}
	repos, err := l.repos, l.err
	if err != nil {
		return OrgSecretState{}, err
	}
	for _, r := range repos {
		n := r.GetName()
		if owner := r.GetOwner().GetLogin(); owner != "" && !strings.EqualFold(owner, s.Org) {
			n = owner + "/" + n
		}
		st.Repos = append(st.Repos, n)
	}
	return st, nil
}

func (c *Client) getSecret(ctx context.Context, s SecretScope, name string) (*github.Secret, error) {
	p, err := secretPath(s, name)
	if err != nil {
		return nil, err
	}
	var sec github.Secret
	if _, err := c.do(ctx, http.MethodGet, p, nil, &sec); err != nil {
		return nil, c.fail(err, "read secret %s of %s", name, ScopeName(s))
	}
	return &sec, nil
}

// putBody is the body of every secret PUT. Dependabot organization secrets
// take selected repository IDs as strings (as go-github and gh send them);
// Actions ones as integers.
type putBody struct {
	EncryptedValue string `json:"encrypted_value"`
	KeyID          string `json:"key_id"`
	Visibility     string `json:"visibility,omitempty"`
	SelectedIDs    any    `json:"selected_repository_ids,omitempty"`
}

// PutSecret stores an encrypted secret; created is true for 201 and false
// for 204. For organization scopes, org.Visibility "" keeps the existing
// secret's visibility and selected repositories (a new secret gets
// "private"); SelectedRepos are repository names of the organization
// (or owner/name), resolved to IDs once per client. A 422 drops the cached
// public key, so the caller can fetch the current key, seal again and
// retry.
func (c *Client) PutSecret(ctx context.Context, s SecretScope, name string, sealed Sealed, org OrgSecretOptions) (bool, error) {
	if err := checkScope(s); err != nil {
		return false, err
	}
	if name == "" {
		return false, step.Errorf("write a secret to %s: the secret name is empty", ScopeName(s))
	}
	p, err := secretPath(s, name)
	if err != nil {
		return false, err
	}
	body := putBody{EncryptedValue: sealed.EncryptedValue, KeyID: sealed.KeyID}
	if s.Org != "" {
		vis, ids, err := c.orgVisibility(ctx, s, name, org)
		if err != nil {
			return false, err
		}
		body.Visibility = vis
		if vis == "selected" {
			if s.App == "dependabot" {
				strs := make([]string, len(ids))
				for i, id := range ids {
					strs[i] = strconv.FormatInt(id, 10)
				}
				body.SelectedIDs = strs
			} else {
				body.SelectedIDs = ids
			}
		}
	}
	resp, err := c.do(ctx, http.MethodPut, p, body, nil)
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnprocessableEntity {
			c.dropKey(s, nil)
		}
		return false, c.fail(err, "write secret %s to %s", name, ScopeName(s))
	}
	return resp.StatusCode == http.StatusCreated, nil
}

// orgVisibility works out the visibility and selected repository IDs of an
// organization secret write.
func (c *Client) orgVisibility(ctx context.Context, s SecretScope, name string, o OrgSecretOptions) (string, []int64, error) {
	vis := o.Visibility
	switch vis {
	case "all", "private":
		if len(o.SelectedRepos) > 0 {
			return "", nil, step.Errorf("write secret %s to %s: selected repositories need visibility selected, not %s", name, ScopeName(s), vis)
		}
		return vis, nil, nil
	case "selected":
		ids := make([]int64, 0, len(o.SelectedRepos))
		for _, r := range o.SelectedRepos {
			id, err := c.repoID(ctx, s.Org, r)
			if err != nil {
				return "", nil, err
			}
			ids = append(ids, id)
		}
		return vis, ids, nil
	case "":
		// Keep what the secret has; a new secret is private.
		sec, err := c.getSecret(ctx, s, name)
		if errors.Is(err, step.ErrNotFound) {
			return "private", nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		if sec.Visibility != "selected" {
			return sec.Visibility, nil, nil
		}
		ids, err := c.selectedIDs(ctx, s, name)
		return "selected", ids, err
	}
	return "", nil, step.Errorf("write secret %s to %s: visibility %q must be all, private or selected", name, ScopeName(s), vis)
}

func (c *Client) selectedIDs(ctx context.Context, s SecretScope, name string) ([]int64, error) {
	repos, err := c.selectedRepos(ctx, s, name)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(repos))
	for _, r := range repos {
		ids = append(ids, r.GetID())
	}
	return ids, nil
}

func (c *Client) selectedRepos(ctx context.Context, s SecretScope, name string) ([]*github.Repository, error) {
	p, err := secretPath(s, name, "/repositories")
	if err != nil {
		return nil, err
	}
	var repos []*github.Repository
	page := 0
	for {
		q := url.Values{"per_page": {"100"}}
		if page > 0 {
			q.Set("page", strconv.Itoa(page))
		}
		var list github.SelectedReposList
		resp, err := c.do(ctx, http.MethodGet, withQuery(p, q), nil, &list)
		if err != nil {
			return nil, c.fail(err, "list the repositories selected for secret %s of %s", name, ScopeName(s))
		}
		repos = append(repos, list.Repositories...)
		if resp.NextPage == 0 {
			return repos, nil
		}
		page = resp.NextPage
	}
}

// repoID resolves a repository name of org (or owner/name) to its ID.
func (c *Client) repoID(ctx context.Context, org, name string) (int64, error) {
	owner, repo, ok := strings.Cut(name, "/")
	if !ok {
		owner, repo = org, name
	}
	k := strings.ToLower(owner + "/" + repo)
	c.idsMu.Lock()
	id, ok := c.ids[k]
	c.idsMu.Unlock()
	if ok {
		return id, nil
	}
	r, err := c.getRepo(ctx, owner, repo)
	if err != nil {
		return 0, fmt.Errorf("look up repository %s/%s (selected for an organization secret): %w", owner, repo, err)
	}
	c.idsMu.Lock()
	c.ids[k] = r.GetID()
	c.idsMu.Unlock()
	return r.GetID(), nil
}

// GetAlert returns secret-scanning alert number of owner/repo with its
// commit locations (in the order GitHub lists them).
func (c *Client) GetAlert(ctx context.Context, owner, repo string, number int) (Alert, error) {
	if _, err := alertPath(owner, repo, number); err != nil {
		return Alert{}, err
	}
	// An alert and its locations are read once per client (one run):
	// identification and the plan both need it, on the way to containment.
	// ResolveAlert always reads afresh before it changes anything.
	key := strings.ToLower(fmt.Sprintf("%s/%s#%d", owner, repo, number))
	c.alertsMu.Lock()
	cached, ok := c.alerts[key]
	c.alertsMu.Unlock()
	if ok {
		return cached, nil
	}
	out, err := c.getAlert(ctx, owner, repo, number)
	if err == nil {
		c.alertsMu.Lock()
		if c.alerts == nil {
			c.alerts = map[string]Alert{}
		}
		c.alerts[key] = out
		c.alertsMu.Unlock()
	}
	return out, err
}

// forgetAlert drops a cached alert once respond changed it.
func (c *Client) forgetAlert(owner, repo string, number int) {
	c.alertsMu.Lock()
	delete(c.alerts, strings.ToLower(fmt.Sprintf("%s/%s#%d", owner, repo, number)))
	c.alertsMu.Unlock()
}

// alertPath is the path of alert number of owner/repo.
func alertPath(owner, repo string, number int) (string, error) {
	return apiPath("repos/", seg{"owner", owner}, "/", seg{"repository", repo}, "/secret-scanning/alerts/"+strconv.Itoa(number))
}

// readAlert reads alert number of owner/repo.
func (c *Client) readAlert(ctx context.Context, owner, repo string, number int) (*github.SecretScanningAlert, error) {
	p, err := alertPath(owner, repo, number)
	if err != nil {
		return nil, err
	}
	var a github.SecretScanningAlert
	if _, err := c.do(ctx, http.MethodGet, p, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func (c *Client) getAlert(ctx context.Context, owner, repo string, number int) (Alert, error) {
	ap, err := alertPath(owner, repo, number)
	if err != nil {
		return Alert{}, err
	}
	// The alert and the first page of its locations at once: both are on
	// the way to containment, and neither needs the other.
	type page struct {
		locs []*github.SecretScanningAlertLocation
		resp *github.Response
		err  error
	}
	locations := func(n int) page {
		q := url.Values{"per_page": {"100"}}
		if n > 0 {
			q.Set("page", strconv.Itoa(n))
		}
		var locs []*github.SecretScanningAlertLocation
		resp, err := c.do(ctx, http.MethodGet, withQuery(ap+"/locations", q), nil, &locs)
		return page{locs, resp, err}
	}
	first := make(chan page, 1)
	go func() { first <- locations(0) }()
	a, err := c.readFullAlert(ctx, owner, repo, number)
	p := <-first
	if err != nil {
		return Alert{}, c.fail(err, "read secret-scanning alert %s/%s#%d", owner, repo, number)
	}
	out := alertOf(&a.SecretScanningAlert)
	out.Validity, out.PubliclyLeaked = textsafe.Line(a.Validity), a.PubliclyLeaked
	out.Updated = a.GetUpdatedAt().Time
	for {
		if p.err != nil {
			return Alert{}, c.fail(p.err, "list the locations of secret-scanning alert %s/%s#%d", owner, repo, number)
		}
		for _, l := range p.locs {
			if l.GetType() != "" && l.GetType() != "commit" || l.Details == nil {
				continue
			}
			d := l.Details
			// Anyone who can push chooses file names: cleaned here.
			out.Locations = append(out.Locations, AlertLocation{
				Path: textsafe.Line(d.GetPath()), StartLine: d.GetStartline(), CommitSHA: textsafe.Line(d.GetCommitSHA()),
				CommitURL: textsafe.Line(d.GetCommitURL()), BlobURL: textsafe.Line(d.GetBlobURL()),
			})
		}
		if p.resp.NextPage == 0 {
			return out, nil
		}
		p = locations(p.resp.NextPage)
	}
}

func alertOf(a *github.SecretScanningAlert) Alert {
	return Alert{
		Number: a.GetNumber(), State: textsafe.Line(a.GetState()), Resolution: textsafe.Line(a.GetResolution()),
		Comment: textsafe.Text(a.GetResolutionComment()), SecretType: textsafe.Line(a.GetSecretType()),
		Secret: secret.New(a.GetSecret()), Created: a.GetCreatedAt().Time, HTMLURL: textsafe.Line(a.GetHTMLURL()),
	}
}

// ResolveAlert resolves the alert with resolution and comment. An alert
// already resolved with that resolution is left alone and returned as is:
// GitHub answers 400 to a PATCH that changes nothing.
func (c *Client) ResolveAlert(ctx context.Context, owner, repo string, number int, resolution, comment string) (Alert, error) {
	path, err := alertPath(owner, repo, number)
	if err != nil {
		return Alert{}, err
	}
	defer c.forgetAlert(owner, repo, number)
	cur, err := c.readAlert(ctx, owner, repo, number)
	if err != nil {
		return Alert{}, c.fail(err, "read secret-scanning alert %s/%s#%d", owner, repo, number)
	}
	if cur.GetState() == "resolved" && cur.GetResolution() == resolution {
		return alertOf(cur), nil
	}
	body := map[string]any{"state": "resolved", "resolution": resolution}
	if comment != "" {
		body["resolution_comment"] = comment
	}
	var a github.SecretScanningAlert
	if _, err := c.do(ctx, http.MethodPatch, path, body, &a); err != nil {
		// Someone (or an earlier attempt whose answer was lost) may have
		// resolved it meanwhile: then it is done.
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && (er.Response.StatusCode == 400 || er.Response.StatusCode == 422) {
			if now, gerr := c.readAlert(ctx, owner, repo, number); gerr == nil &&
				now.GetState() == "resolved" && now.GetResolution() == resolution {
				return alertOf(now), nil
			}
		}
		return Alert{}, c.fail(err, "resolve secret-scanning alert %s/%s#%d as %s", owner, repo, number, resolution)
	}
	return alertOf(&a), nil
}
