package githubsim

import (
	"net/http"
	"slices"
	"strings"
)

// Who may call what, and what GitHub says when they may not.
//
// Anonymous requests (no Authorization header) are served at
// Options.AnonymousLimit an hour per client address, as GitHub serves them
// at 60: the API root, rate limits, organizations and their repository
// lists (public repositories only), and the public reads of a public
// repository (the repository, its workflows, runs, jobs, artifacts,
// annotations, branches, refs, files and environments). A private
// repository does not exist for them (404). Everything else answers 401
// "Requires authentication" (GraphQL: "This endpoint requires you to be
// authenticated.").
//
// Tokens are classic (every token that does not start with github_pat_:
// ghp_, gho_, ghu_, …) or fine-grained (github_pat_). A classic token's
// responses carry X-OAuth-Scopes (its scopes, derived from its
// Permissions: repo and read:org always, admin:org with SecretsWrite,
// workflow with Actions, security_events with SecretScanning) and
// X-Accepted-OAuth-Scopes (what the endpoint accepts); a fine-grained
// token's carry X-Accepted-GitHub-Permissions (permission=access, "; "
// between alternative sets), as GitHub documents. A missing permission is,
// for a fine-grained token, 403 "Resource not accessible by personal access
// token"; for a classic token it is the user's role that falls short, and
// GitHub answers 403 "Must have admin rights to Repository." for
// repository secrets and Actions writes (seen for workflow dispatches in
// client projects' issues) and 403 "Must have admin rights to
// Organization." for organization secrets; secret scanning, which needs an
// administrator, is answered the same way (the simulator's choice: GitHub
// does not document that answer). The fine-grained permission
// names follow GitHub's App permission keys; the ones for environment
// secrets (secrets) and environments (actions) are the simulator's choice.

// routeAccess is what an endpoint allows and says about access.
type routeAccess struct {
	// public: anonymous requests are served (on a public repository).
	public bool
	// scopes is X-Accepted-OAuth-Scopes for classic tokens.
	scopes string
	// permissions is X-Accepted-GitHub-Permissions for fine-grained tokens
	// ("" sends none).
	permissions string
	// denyStatus and denyMessage answer a classic token that may not
	// (Permissions fall short); fine-grained tokens get 403 "Resource not
	// accessible by personal access token".
	denyStatus  int
	denyMessage string
	// authMessage and authDoc replace "Requires authentication" and the
	// route's documentation in the 401 to an anonymous request.
	authMessage, authDoc string
}

const (
	msgRequiresAuth     = "Requires authentication"
	msgNotAccessiblePAT = "Resource not accessible by personal access token"
	msgAdminRepo        = "Must have admin rights to Repository."
	msgAdminOrg         = "Must have admin rights to Organization."
	fineGrainedPrefix   = "github_pat_"
)

// accessOf derives a route's access from its pattern ("METHOD /path").
// Patterns it does not know need authentication and send no accepted
// scopes or permissions.
func accessOf(pattern string) routeAccess {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	read := method == http.MethodGet
	level := func(p string) string {
		if read {
			return p + "=read"
		}
		return p + "=write"
	}
	repoDenied := routeAccess{denyStatus: http.StatusForbidden, denyMessage: msgAdminRepo}
	switch {
	case path == "/" || path == "/{$}" || path == "/rate_limit":
		return routeAccess{public: true}
	case path == "/graphql":
		return routeAccess{scopes: "repo", authMessage: msgGraphQLAuth, authDoc: docsGraphQLAuth}
	case path == "/user":
		return routeAccess{}
	case path == "/user/repos":
		return routeAccess{scopes: "repo"}
	case strings.HasPrefix(path, "/user/memberships/orgs/"):
		return routeAccess{scopes: "admin:org, read:org, repo, user, write:org", permissions: "members=read"}
	case strings.Contains(path, "/secret-scanning/"):
		a := routeAccess{scopes: "repo, security_events", permissions: level("secret_scanning_alerts"),
			denyStatus: http.StatusForbidden, denyMessage: msgAdminRepo}
		if strings.HasPrefix(path, "/orgs/") {
			a.denyMessage = msgAdminOrg
		}
		return a
	case strings.HasPrefix(path, "/orgs/{org}/actions/secrets"):
		return routeAccess{scopes: "admin:org", permissions: level("organization_secrets"),
			denyStatus: http.StatusForbidden, denyMessage: msgAdminOrg}
	case strings.HasPrefix(path, "/orgs/{org}/dependabot/secrets"):
		return routeAccess{scopes: "admin:org", permissions: level("organization_dependabot_secrets"),
			denyStatus: http.StatusForbidden, denyMessage: msgAdminOrg}
	case strings.Contains(path, "/dependabot/secrets"):
		repoDenied.scopes, repoDenied.permissions = "repo", level("dependabot_secrets")
		return repoDenied
	case strings.Contains(path, "secrets"):
		repoDenied.scopes, repoDenied.permissions = "repo", level("secrets")
		return repoDenied
	case path == "/orgs/{org}" || path == "/orgs/{org}/repos":
		return routeAccess{public: read, permissions: "metadata=read"}
	case strings.Contains(path, "/actions/"):
		repoDenied.public, repoDenied.scopes, repoDenied.permissions = read, "repo", level("actions")
		return repoDenied
	case strings.Contains(path, "/check-runs/"):
		return routeAccess{public: read, scopes: "repo", permissions: level("checks")}
	case strings.Contains(path, "/environments"):
		return routeAccess{public: read, scopes: "repo", permissions: level("actions")}
	case strings.Contains(path, "/branches/") || strings.Contains(path, "/git/") || strings.Contains(path, "/contents/"):
		return routeAccess{public: read, scopes: "repo", permissions: level("contents")}
	case path == "/repos/{owner}/{repo}" || path == "/repositories/{repository_id}":
		return routeAccess{public: read, scopes: "repo", permissions: "metadata=read"}
	}
	return routeAccess{}
}

// fineGrained reports whether the request's token is a fine-grained
// personal access token.
func (c *call) fineGrained() bool { return strings.HasPrefix(c.token, fineGrainedPrefix) }

// anonymous reports whether the request carried no credentials.
func (c *call) anonymous() bool { return c.user == nil }

// oauthScopes are the scopes of a classic token with perms, sorted, as
// X-OAuth-Scopes lists them.
func oauthScopes(perms Permissions) string {
	scopes := []string{"read:org", "repo"}
	if perms.SecretsWrite {
		scopes = append(scopes, "admin:org")
	}
	if perms.Actions {
		scopes = append(scopes, "workflow")
	}
	if perms.SecretScanning {
		scopes = append(scopes, "security_events")
	}
	slices.Sort(scopes)
	return strings.Join(scopes, ", ")
}

// setAccessHeaders sets the scope or permission headers GitHub sends for
// the request's kind of token.
func (c *call) setAccessHeaders(h http.Header) {
	switch {
	case c.anonymous():
	case c.fineGrained():
		if c.access.permissions != "" {
			h.Set("X-Accepted-GitHub-Permissions", c.access.permissions)
		}
	default:
		h.Set("X-OAuth-Scopes", oauthScopes(c.perms))
		h.Set("X-Accepted-OAuth-Scopes", c.access.scopes)
	}
}

// admitted applies the route's access to an anonymous request: a private
// repository it names is a 404, and a route that needs authentication a
// 401. It reports whether the handler may run.
func (s *Server) admitted(w http.ResponseWriter, r *http.Request, c *call) bool {
	if !c.anonymous() {
		return true
	}
	s.mu.Lock()
	rp := s.lookupRepo(r)
	if rp == nil {
		rp = s.lookupRepoID(r)
	}
	hidden := rp != nil && rp.private
	s.mu.Unlock()
	switch {
	case hidden:
		c.notFound(w)
		return false
	case !c.access.public:
		msg, doc := msgRequiresAuth, c.doc
		if c.access.authMessage != "" {
			msg, doc = c.access.authMessage, c.access.authDoc
		}
		writeError(w, http.StatusUnauthorized, msg, doc)
		return false
	}
	return true
}

// forbidden answers a token whose permissions fall short, as GitHub answers
// its kind of token (see routeAccess).
func (c *call) forbidden(w http.ResponseWriter) {
	if c.fineGrained() || c.access.denyStatus == 0 {
		writeError(w, http.StatusForbidden, msgNotAccessiblePAT, c.doc)
		return
	}
	writeError(w, c.access.denyStatus, c.access.denyMessage, c.doc)
}
