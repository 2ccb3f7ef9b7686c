package githubsim

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
	limit, used, reset := s.rateOf(c.token)
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
// (dispatching needs write access) is push; anything else is pull only.
func (c *call) fullRepoJSON(rp *repo) map[string]any {
	m := c.repoJSON(rp)
	admin := c.perms.SecretsWrite || c.perms.SecretScanning
	push := admin || c.perms.Actions
	m["permissions"] = map[string]any{
		"admin": admin, "maintain": admin, "push": push, "triage": push, "pull": true,
	}
	return m
}

// listOrgRepos serves GET /orgs/{org}/repos ordered by full name (GitHub's
// default sort for this endpoint is created; all simulated repositories
// share the seed creation time).
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
		if rp.owner != o.acct || typ == "public" && rp.private || typ == "private" && !rp.private {
			continue
		}
		list = append(list, rp)
	}
	start, end := c.paginate(w, r, len(list))
	out := make([]map[string]any, 0, end-start)
	for _, rp := range list[start:end] {
		out = append(out, c.repoJSON(rp))
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

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	wfs := slices.Clone(rp.workflows)
	slices.SortFunc(wfs, func(a, b *workflow) int { return cmp.Compare(a.id, b.id) })
	start, end := c.paginate(w, r, len(wfs))
	out := make([]map[string]any, 0, end-start)
	for _, wf := range wfs[start:end] {
		id := strconv.FormatInt(wf.id, 10)
		out = append(out, map[string]any{
			"id":         wf.id,
			"node_id":    nodeID("W", wf.id),
			"name":       strings.TrimSuffix(strings.TrimSuffix(wf.file, ".yml"), ".yaml"),
			"path":       ".github/workflows/" + wf.file,
			"state":      "active",
			"created_at": ts(seedEpoch),
			"updated_at": ts(seedEpoch),
			"url":        c.base + "/repos/" + rp.fullName() + "/actions/workflows/" + id,
			"html_url":   c.web + "/" + rp.fullName() + "/blob/main/.github/workflows/" + wf.file,
			"badge_url":  c.web + "/" + rp.fullName() + "/workflows/" + wf.file + "/badge.svg",
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(wfs), "workflows": out})
}

// maxDispatchInputs is the current limit on workflow_dispatch inputs.
const maxDispatchInputs = 25

// dispatchWorkflow records a workflow_dispatch event: 204, or 200 with run
// details when return_run_details is true; 404 for an unknown workflow; 422
// without a ref or with too many inputs.
func (s *Server) dispatchWorkflow(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	if !c.perms.Actions {
		c.forbidden(w)
		return
	}
	wf := rp.workflowByRef(r.PathValue("workflow_id"))
	if wf == nil {
		c.notFound(w)
		return
	}
	var body struct {
		Ref              any            `json:"ref"`
		Inputs           map[string]any `json:"inputs"`
		ReturnRunDetails bool           `json:"return_run_details"`
	}
	if !c.decodeBody(w, r, &body) {
		return
	}
	ref, _ := body.Ref.(string)
	if body.Ref == nil || ref == "" {
		c.unprocessable(w, msgNotSupplied, "ref")
		return
	}
	if len(body.Inputs) > maxDispatchInputs {
		c.unprocessable(w, "Invalid request.\n\nNo more than %d properties are allowed; %d were supplied.", maxDispatchInputs, len(body.Inputs))
		return
	}
	s.w.dispatches = append(s.w.dispatches, &dispatch{at: s.now(), repo: rp, workflow: wf, ref: ref,
		inputs: body.Inputs, actor: c.user.login, workflowID: wf.id})
	if !body.ReturnRunDetails {
		writeNoContent(w)
		return
	}
	run := s.w.nextRunID
	s.w.nextRunID++
	id := strconv.FormatInt(run, 10)
	writeJSON(w, http.StatusOK, map[string]any{
		"workflow_run_id": run,
		"run_url":         c.base + "/repos/" + rp.fullName() + "/actions/runs/" + id,
		"html_url":        c.web + "/" + rp.fullName() + "/actions/runs/" + id,
	})
}
