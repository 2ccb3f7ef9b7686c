package githubsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// GitHub tokens as credentials (API-NOTES "GitHub tokens"): every token
// the simulator knows authenticates as its user until it is revoked; a
// revoked or unknown token gets 401 "Bad credentials" everywhere, GET
// /user included. Leaked tokens are seeded through TokenIssuer (a
// simapi.KeyIssuer) in GitHub's documented formats, and revoked through
// POST /credentials/revoke, which GitHub means to be called without
// authentication:
//
//   - the body is {"credentials": [...]} with 1 to 1,000 strings, else 422
//     (validation-error-simple);
//   - every listed token the simulator knows is revoked; unknown ones are
//     ignored, as GitHub does, and the answer is 202 {} either way;
//   - a request that carries a valid token is refused with 403 (the
//     description: "Any authenticated requests will return a 403"); an
//     invalid one gets 401 as everywhere;
//   - each client IP may send Options.RevokeLimit requests an hour (60 by
//     default, GitHub's documented limit). Answers carry x-ratelimit-*
//     headers; past the limit the answer is Options.PrimaryStatus (403 or
//     429) with x-ratelimit-remaining 0 and GitHub's unauthenticated
//     message. A refused request does not count.
//   - the token's owner is told: a Notification (Kind
//     "token.revoked") in their list (Notifications, /_sim/state), as
//     GitHub e-mails the owner. It names the token by ID, kind and note,
//     never by value.
//
// Alerts whose secret is a revoked token turn inactive at once (and fire
// "validated").

// Token kinds, as TokenIssuer's IssueRequest.Attrs["kind"] names them,
// and the prefixes GitHub gives them.
const (
	TokenClassic     = "classic"      // ghp_ + 36 alphanumerics
	TokenFineGrained = "fine-grained" // github_pat_ + 22 alphanumerics + _ + 59 alphanumerics
	TokenOAuth       = "oauth"        // gho_ + 36 alphanumerics
	TokenAppUser     = "app-user"     // ghu_ + 36 alphanumerics
)

// GitHub secret-scanning types of tokens (github/docs pattern data).
// GitHub lists no separate type for GitHub App user-to-server tokens
// (ghu_); the simulator reports them as OAuth access tokens, which is what
// they are.
const (
	SecretTypePAT   = "github_personal_access_token"
	SecretTypeOAuth = "github_oauth_access_token"
)

// DefaultRevokeLimit is Options.RevokeLimit's default.
const DefaultRevokeLimit = 60

// MaxRevokeCredentials is the most credentials one revoke request may
// list.
const MaxRevokeCredentials = 1000

const (
	revokePath = "/credentials/revoke"
	docsRevoke = "https://docs.github.com/rest/credentials/revoke#revoke-a-list-of-credentials"
)

// tokenKind tells a token's kind by its prefix ("" for none of GitHub's).
func tokenKind(value string) string {
	switch {
	case strings.HasPrefix(value, "ghp_"):
		return TokenClassic
	case strings.HasPrefix(value, "github_pat_"):
		return TokenFineGrained
	case strings.HasPrefix(value, "gho_"):
		return TokenOAuth
	case strings.HasPrefix(value, "ghu_"):
		return TokenAppUser
	}
	return ""
}

// TokenSecretType is the secret-scanning type of a token value of one of
// GitHub's formats, or "".
func TokenSecretType(value string) string {
	switch tokenKind(value) {
	case TokenClassic, TokenFineGrained:
		return SecretTypePAT
	case TokenOAuth, TokenAppUser:
		return SecretTypeOAuth
	}
	return ""
}

func isTokenType(secretType string) bool {
	return secretType == SecretTypePAT || secretType == SecretTypeOAuth
}

// kindName is how a notification names a token kind.
func kindName(kind string) string {
	switch kind {
	case TokenClassic:
		return "personal access token (classic)"
	case TokenFineGrained:
		return "fine-grained personal access token"
	case TokenOAuth:
		return "OAuth app access token"
	case TokenAppUser:
		return "GitHub App user access token"
	}
	return "token"
}

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randAlnum reads n alphanumerics from Options.Rand. Callers hold s.mu.
func (s *Server) randAlnum(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.opts.Rand, b); err != nil {
		return "", fmt.Errorf("generate a token: %w", err)
	}
	for i := range b {
		b[i] = tokenAlphabet[int(b[i])%len(tokenAlphabet)]
	}
	return string(b), nil
}

// newTokenValue makes a token of kind in GitHub's format. Callers hold
// s.mu.
func (s *Server) newTokenValue(kind string) (string, error) {
	switch kind {
	case TokenClassic, TokenOAuth, TokenAppUser:
		body, err := s.randAlnum(36)
		prefix := map[string]string{TokenClassic: "ghp_", TokenOAuth: "gho_", TokenAppUser: "ghu_"}[kind]
		return prefix + body, err
	case TokenFineGrained:
		a, err := s.randAlnum(22)
		if err != nil {
			return "", err
		}
		b, err := s.randAlnum(59)
		return "github_pat_" + a + "_" + b, err
	}
	return "", fmt.Errorf("token kind %q is not %s, %s, %s or %s", kind, TokenClassic, TokenFineGrained, TokenOAuth, TokenAppUser)
}

// Notification is something a user was told: that a token of theirs was
// revoked (Kind "token.revoked"), as GitHub e-mails a token's owner. It
// names the token by ID, kind and note, never by value.
type Notification struct {
	At        string `json:"at"`
	Login     string `json:"login"`
	Kind      string `json:"kind"`
	TokenID   int64  `json:"token_id,omitempty"`
	TokenKind string `json:"token_kind,omitempty"`
	TokenName string `json:"token_name,omitempty"`
	Detail    string `json:"detail"`
}

// Notifications returns what the user login was told, oldest first.
func (s *Server) Notifications(login string) []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Notification{}
	for _, n := range s.w.notifications {
		if strings.EqualFold(n.Login, login) {
			out = append(out, n)
		}
	}
	return out
}

// RevokeTokens revokes every token among values that the simulator knows
// and that still works, as POST /credentials/revoke does, notifies each
// owner, and returns how many it revoked. Alerts on them turn inactive.
func (s *Server) RevokeTokens(values []string, at time.Time) int {
	s.mu.Lock()
	n := s.revokeTokens(values, at.UTC(), "through the credentials revocation API")
	s.mu.Unlock()
	if n > 0 {
		s.RefreshValidity()
	}
	return n
}

// revokeTokens is RevokeTokens under s.mu.
func (s *Server) revokeTokens(values []string, at time.Time, how string) int {
	n := 0
	for _, v := range values {
		t := s.w.tokens[v]
		if t == nil || !t.revoked.IsZero() {
			continue
		}
		t.revoked = at
		n++
		kind := t.kind
		if kind == "" {
			kind = tokenKind(t.value)
		}
		what := "A " + kindName(kind)
		if t.name != "" {
			what += fmt.Sprintf(" (%q)", t.name)
		}
		s.w.notifications = append(s.w.notifications, Notification{
			At: ts(at), Login: t.user.login, Kind: "token.revoked", TokenID: t.id, TokenKind: kind, TokenName: t.name,
			Detail: what + " of " + t.user.login + " was revoked " + how + ": it no longer works; create a new one if it is still needed.",
		})
	}
	return n
}

// tokenRuntime is the revoke endpoint's per-IP rate limit.
type tokenRuntime struct {
	mu  sync.Mutex
	ips map[string]*ipWindow
}

type ipWindow struct {
	reset time.Time
	used  int
}

func (t *tokenRuntime) init() {
	t.mu.Lock()
	t.ips = map[string]*ipWindow{}
	t.mu.Unlock()
}

// clientIP is the host part of the request's remote address.
func clientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// admitRevoke applies the per-IP limit to a revoke request: it sets the
// rate-limit headers and reports whether the request may proceed, having
// written the refusal otherwise.
func (s *Server) admitRevoke(w http.ResponseWriter, r *http.Request) bool {
	limit := s.opts.RevokeLimit
	if limit < 0 {
		return true
	}
	ip := clientIP(r)
	now := s.now()
	s.tk.mu.Lock()
	win := s.tk.ips[ip]
	if win == nil || !now.Before(win.reset) {
		win = &ipWindow{reset: now.Add(time.Hour)}
		s.tk.ips[ip] = win
	}
	if win.used >= limit {
		reset := win.reset
		s.tk.mu.Unlock()
		setRateHeaders(w.Header(), limit, limit, reset)
		msg := "API rate limit exceeded for " + ip + ". (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
		writeError(w, s.opts.PrimaryStatus, msg, docsPrimaryLimit)
		return false
	}
	win.used++
	setRateHeaders(w.Header(), limit, win.used, win.reset)
	s.tk.mu.Unlock()
	return true
}

// serveRevoke serves POST /credentials/revoke (see the top of this file).
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request, c *call) {
	c.doc = docsRevoke
	if r.Method != http.MethodPost {
		c.notFound(w)
		return
	}
	if tok, ok := bearer(r.Header.Get("Authorization")); ok {
		s.mu.Lock()
		t := s.w.tokens[tok]
		valid := t != nil && t.revoked.IsZero()
		s.mu.Unlock()
		if !valid {
			writeError(w, http.StatusUnauthorized, "Bad credentials", docsRoot)
			return
		}
		writeError(w, http.StatusForbidden, "This endpoint does not accept authenticated requests: send it without an Authorization header.", docsRevoke)
		return
	}
	if !s.admitRevoke(w, r) {
		return
	}
	var body map[string]json.RawMessage
	if !c.decodeBody(w, r, &body) {
		return
	}
	var creds []string
	raw, ok := body["credentials"]
	switch {
	case !ok:
		c.invalidSimple(w, `"credentials" wasn't supplied.`)
		return
	case json.Unmarshal(raw, &creds) != nil:
		c.invalidSimple(w, `"credentials" must be an array of strings.`)
		return
	case len(creds) == 0:
		c.invalidSimple(w, `"credentials" must list at least one credential.`)
		return
	case len(creds) > MaxRevokeCredentials:
		c.invalidSimple(w, fmt.Sprintf(`"credentials" lists %d credentials; at most %d may be revoked a request.`, len(creds), MaxRevokeCredentials))
		return
	}
	s.mu.Lock()
	n := s.revokeTokens(slices.Compact(slices.Sorted(slices.Values(creds))), s.now(), "through the credentials revocation API")
	s.mu.Unlock()
	if n > 0 {
		s.RefreshValidity()
	}
	writeJSON(w, http.StatusAccepted, map[string]any{})
}

// invalidSimple writes 422 as GitHub's validation-error-simple.
func (c *call) invalidSimple(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Invalid request.\n\n" + msg, "documentation_url": c.doc, "errors": []string{msg}, "status": "422",
	})
}

// TokenIssuer is the simulator's GitHub tokens as a simapi.KeyIssuer:
// scenarios seed leaked tokens with IssueKey, and the live world and
// alert validity ask KeyStatus whether a token works. Get it with
// Server.Tokens.
//
// The GitHub half is not one of internal/sim's Options.Services: it is
// served at the root and under /api/v3, so Prefix reports "/" and Env
// only the API URL (its tokens are the world's credentials, handed out by
// the scenario).
type TokenIssuer struct{ s *Server }

var _ simapi.KeyIssuer = (*TokenIssuer)(nil)

// Tokens returns the server's tokens as a simapi.KeyIssuer.
func (s *Server) Tokens() *TokenIssuer { return &TokenIssuer{s: s} }

// Name is "github".
func (*TokenIssuer) Name() string { return "github" }

// Prefix is "/": the GitHub half is served at the root.
func (*TokenIssuer) Prefix() string { return "/" }

// ServeHTTP serves the GitHub API.
func (t *TokenIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) { t.s.ServeHTTP(w, r) }

// Reset empties the world (Server.Reset).
func (t *TokenIssuer) Reset() { t.s.Reset() }

// Snapshot is Server.Snapshot.
func (t *TokenIssuer) Snapshot() any { return t.s.Snapshot() }

// Env points a client at the API: GITHUB_API_URL (base/api/v3).
func (*TokenIssuer) Env(base, _ string) (map[string]string, error) {
	return map[string]string{"GITHUB_API_URL": base + enterprisePrefix}, nil
}

// SecretTypes are github_personal_access_token and
// github_oauth_access_token.
func (*TokenIssuer) SecretTypes() []string { return []string{SecretTypePAT, SecretTypeOAuth} }

// IssueKey creates a token, as a scenario seeds a leaked one, and returns
// it without an ID (see KeyStatus for the simulator's). Scope is
// the owner's login (a user, created if needed; default "octocat"), Name
// the token's note, Created when it was made (default now). Attrs:
//
//   - "kind": classic (default), fine-grained, oauth or app-user;
//   - "permissions": what the token may do in the simulated world: ""
//     (default: read only), "all", or a comma list of secrets_write,
//     secret_scanning and actions (see Permissions).
func (t *TokenIssuer) IssueKey(req simapi.IssueRequest) (simapi.IssuedKey, error) {
	s := t.s
	kind := req.Attrs["kind"]
	if kind == "" {
		kind = TokenClassic
	}
	var perms Permissions
	switch p := req.Attrs["permissions"]; p {
	case "":
	case "all":
		perms = AllPermissions
	default:
		for name := range strings.SplitSeq(p, ",") {
			switch strings.TrimSpace(name) {
			case "secrets_write":
				perms.SecretsWrite = true
			case "secret_scanning":
				perms.SecretScanning = true
			case "actions":
				perms.Actions = true
			default:
				return simapi.IssuedKey{}, fmt.Errorf("issue a GitHub token: permission %q is not all, secrets_write, secret_scanning or actions", name)
			}
		}
	}
	login := req.Scope
	if login == "" {
		login = "octocat"
	}
	created := req.Created
	if created.IsZero() {
		created = s.now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.w.accounts[strings.ToLower(login)]; a != nil && a.org {
		return simapi.IssuedKey{}, fmt.Errorf("issue a GitHub token for %s: it is an organization, and tokens belong to users", login)
	}
	value, err := s.newTokenValue(kind)
	if err != nil {
		return simapi.IssuedKey{}, fmt.Errorf("issue a GitHub token: %w", err)
	}
	tk := &token{value: value, user: s.w.accountFor(login), perms: perms, id: s.w.nextTokenID, kind: kind, name: req.Name, created: created.UTC()}
	s.w.nextTokenID++
	s.w.tokens[value] = tk
	// No ID: GitHub's API names a token by none (GET /user says whose it
	// is, not which), and IssuedKey.ID is the ID "as the API names it".
	// The simulator's own numeric ID is KeyStatus's, for /_sim/leak and
	// /_sim/state.
	return simapi.IssuedKey{Scope: tk.user.login, Name: tk.name, Value: value, SecretType: TokenSecretType(value)}, nil
}

// KeyStatus reports which token value is (its ID) and whether it works.
func (t *TokenIssuer) KeyStatus(value string, _ time.Time) (id string, live, known bool) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	tk := t.s.w.tokens[value]
	if tk == nil {
		return "", false, false
	}
	return tokenID(tk), tk.revoked.IsZero(), true
}

// UseKey records n uses of the token at now (its last use) and reports
// whether it works.
func (t *TokenIssuer) UseKey(value string, now time.Time, n int) bool {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	tk := t.s.w.tokens[value]
	if tk == nil || !tk.revoked.IsZero() {
		return false
	}
	if n > 0 {
		tk.lastUsed = now.UTC()
	}
	return true
}

// TokenByID returns the value of the token with ID id (as KeyStatus and
// /_sim/state name it).
func (t *TokenIssuer) TokenByID(id string) (string, bool) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	for v, tk := range t.s.w.tokens {
		if tokenID(tk) == id {
			return v, true
		}
	}
	return "", false
}

// tokenID names a token by its numeric ID.
func tokenID(tk *token) string { return strconv.FormatInt(tk.id, 10) }
