package githubsim

import (
	"net/http"
	"net/url"
	"time"
)

// getUser serves GET /user as a private-user (the token's own account).
func (s *Server) getUser(w http.ResponseWriter, _ *http.Request, c *call) {
	s.mu.Lock()
	u := c.userJSON(c.user)
	owned, total := 0, 0
	for _, rp := range s.w.repos {
		if rp.owner == c.user {
			total++
			if rp.private {
				owned++
			}
		}
	}
	s.mu.Unlock()
	u["user_view_type"] = "private"
	for k, v := range map[string]any{
		"name": c.user.login, "company": nil, "blog": "", "location": nil, "email": nil,
		"notification_email": nil, "hireable": nil, "bio": nil, "twitter_username": nil,
		"public_repos": total - owned, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": ts(seedEpoch), "updated_at": ts(seedEpoch),
		"private_gists": 0, "total_private_repos": owned, "owned_private_repos": owned,
		"disk_usage": 0, "collaborators": 0, "two_factor_authentication": true,
		"plan": map[string]any{"name": "pro", "space": 976562499, "collaborators": 0, "private_repos": 9999},
	} {
		u[k] = v
	}
	writeJSON(w, http.StatusOK, u)
}

// getRateLimit serves GET /rate_limit for the token; it costs nothing.
func (s *Server) getRateLimit(w http.ResponseWriter, _ *http.Request, c *call) {
	limit := c.rateLimit
	used, reset := s.rateOf(c.rateKey)
	core := map[string]any{"limit": limit, "remaining": max(limit-used, 0), "used": used,
		"reset": reset.Unix(), "resource": "core"}
	res := func(name string, l int) map[string]any {
		return map[string]any{"limit": l, "remaining": l, "used": 0, "reset": s.now().Add(time.Minute).Unix(), "resource": name}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resources": map[string]any{
			"core":        core,
			"search":      res("search", 30),
			"graphql":     res("graphql", 5000),
			"code_search": res("code_search", 10),
		},
		"rate": core,
	})
}

func (s *Server) getRepo(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, c.fullRepoJSON(rp))
}

func (s *Server) getRepoByID(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepoID(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, c.fullRepoJSON(rp))
}

// fullRepoJSON is repoJSON plus the calling token's permissions, which
// GitHub adds to a full-repository for authenticated requests. The
// simulator maps token permissions to roles: SecretsWrite or SecretScanning
// (both need a repository administrator on GitHub) is admin; Actions alone
// (dispatching needs write access) is push; anything else is pull only. A
// repository the token is restricted on (RestrictToken) is pull only.
func (c *call) fullRepoJSON(rp *repo) map[string]any {
	m := c.repoJSON(rp)
	if !c.anonymous() {
		perms := c.permissionsJSON(rp)
		m["permissions"] = perms
		// GitHub shows security_and_analysis only to a repository's
		// administrators (and the organization's owners and security
		// managers).
		if perms["admin"] == true {
			m["security_and_analysis"] = securityAndAnalysisJSON(rp)
		}
	}
	return m
}

// securityAndAnalysisJSON is a repository's security-and-analysis: secret
// scanning is on, and so is push protection unless SetPushProtection
// turned it off.
func securityAndAnalysisJSON(rp *repo) map[string]any {
	status := func(on bool) map[string]any {
		if on {
			return map[string]any{"status": "enabled"}
		}
		return map[string]any{"status": "disabled"}
	}
	return map[string]any{
		"secret_scanning":                 status(true),
		"secret_scanning_push_protection": status(!rp.pushProtectionOff),
	}
}

// permissionsJSON is the calling token's role on rp.
func (c *call) permissionsJSON(rp *repo) map[string]any {
	admin := (c.perms.SecretsWrite || c.perms.SecretScanning) && !c.readOnlyOn(rp)
	push := admin || c.perms.Actions && !c.readOnlyOn(rp)
	return map[string]any{"admin": admin, "maintain": admin, "push": push, "triage": push, "pull": true}
}

// listOrgRepos serves GET /orgs/{org}/repos ordered by full name (GitHub's
// default sort for this endpoint is created; all simulated repositories
// share the seed creation time). Each minimal-repository carries the
// calling token's permissions, as GitHub's do for authenticated requests,
// so one page tells a client its access to 100 repositories. Without
// credentials it lists the public repositories, without permissions.
func (s *Server) listOrgRepos(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrg(r)
	if o == nil {
		c.notFound(w)
		return
	}
	typ := r.URL.Query().Get("type")
	var list []*repo
	for _, rp := range sortedValues(s.w.repos) {
		if rp.owner != o.acct || typ == "public" && rp.private || typ == "private" && !rp.private ||
			c.anonymous() && rp.private {
			continue
		}
		list = append(list, rp)
	}
	start, end := c.paginate(w, r, len(list))
	out := make([]map[string]any, 0, end-start)
	for _, rp := range list[start:end] {
		out = append(out, c.fullRepoJSON(rp))
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *call) environmentJSON(rp *repo, e *environment) map[string]any {
	return map[string]any{
		"id":                       e.id,
		"node_id":                  nodeID("EN", e.id),
		"name":                     e.name,
		"url":                      c.base + "/repos/" + rp.fullName() + "/environments/" + url.PathEscape(e.name),
		"html_url":                 c.web + "/" + rp.fullName() + "/deployments/activity_log?environments_filter=" + url.QueryEscape(e.name),
		"created_at":               ts(seedEpoch),
		"updated_at":               ts(seedEpoch),
		"protection_rules":         []any{},
		"deployment_branch_policy": nil,
	}
}

func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	envs := sortedValues(rp.envs)
	start, end := c.paginate(w, r, len(envs))
	out := make([]map[string]any, 0, end-start)
	for _, e := range envs[start:end] {
		out = append(out, c.environmentJSON(rp, e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(envs), "environments": out})
}

func (s *Server) getEnvironment(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	e := rp.env(r.PathValue("env"))
	if e == nil {
		c.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, c.environmentJSON(rp, e))
}
