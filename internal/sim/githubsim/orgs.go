package githubsim

import (
	"net/http"
	"slices"
	"strings"
)

// getRoot serves GET /: the API root, GitHub's map of URL templates
// (meta/root), pointing at the simulator.
func (s *Server) getRoot(w http.ResponseWriter, _ *http.Request, c *call) {
	api, web := c.base, c.web
	writeJSON(w, http.StatusOK, map[string]any{
		"current_user_url":                     api + "/user",
		"current_user_authorizations_html_url": web + "/settings/connections/applications{/client_id}",
		"authorizations_url":                   api + "/authorizations",
		"code_search_url":                      api + "/search/code?q={query}{&page,per_page,sort,order}",
		"commit_search_url":                    api + "/search/commits?q={query}{&page,per_page,sort,order}",
		"emails_url":                           api + "/user/emails",
		"emojis_url":                           api + "/emojis",
		"events_url":                           api + "/events",
		"feeds_url":                            api + "/feeds",
		"followers_url":                        api + "/user/followers",
		"following_url":                        api + "/user/following{/target}",
		"gists_url":                            api + "/gists{/gist_id}",
		"hub_url":                              api + "/hub",
		"issue_search_url":                     api + "/search/issues?q={query}{&page,per_page,sort,order}",
		"issues_url":                           api + "/issues",
		"keys_url":                             api + "/user/keys",
		"label_search_url":                     api + "/search/labels?q={query}&repository_id={repository_id}{&page,per_page}",
		"notifications_url":                    api + "/notifications",
		"organization_url":                     api + "/orgs/{org}",
		"organization_repositories_url":        api + "/orgs/{org}/repos{?type,page,per_page,sort}",
		"organization_teams_url":               api + "/orgs/{org}/teams",
		"public_gists_url":                     api + "/gists/public",
		"rate_limit_url":                       api + "/rate_limit",
		"repository_url":                       api + "/repos/{owner}/{repo}",
		"repository_search_url":                api + "/search/repositories?q={query}{&page,per_page,sort,order}",
		"current_user_repositories_url":        api + "/user/repos{?type,page,per_page,sort}",
		"starred_url":                          api + "/user/starred{/owner}{/repo}",
		"starred_gists_url":                    api + "/gists/starred",
		"topic_search_url":                     api + "/search/topics?q={query}{&page,per_page}",
		"user_url":                             api + "/users/{user}",
		"user_organizations_url":               api + "/user/orgs",
		"user_repositories_url":                api + "/users/{user}/repos{?type,page,per_page,sort}",
		"user_search_url":                      api + "/search/users?q={query}{&page,per_page,sort,order}",
	})
}

// getOrg serves GET /orgs/{org} as GitHub's organization-full. An
// organization's owner (Permissions.SecretsWrite, as for
// GET /user/memberships/orgs/{org}) also gets the private counts and plan
// GitHub shows its owners; anyone else, and anonymous requests, the public
// fields. A user's login is a 404, as on GitHub.
func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrg(r)
	if o == nil {
		c.notFound(w)
		return
	}
	public, private := 0, 0
	for _, rp := range s.w.repos {
		if rp.owner == o.acct {
			if rp.private {
				private++
			} else {
				public++
			}
		}
	}
	m := c.orgSimpleJSON(o.acct)
	for k, v := range map[string]any{
		"name": o.acct.login, "twitter_username": nil, "is_verified": false,
		"has_organization_projects": true, "has_repository_projects": true,
		"public_repos": public, "public_gists": 0, "followers": 0, "following": 0,
		"html_url": c.web + "/" + o.acct.login, "type": "Organization",
		"created_at": ts(seedEpoch), "updated_at": ts(seedEpoch), "archived_at": nil,
	} {
		m[k] = v
	}
	if !c.anonymous() && c.perms.SecretsWrite {
		for k, v := range map[string]any{
			"total_private_repos": private, "owned_private_repos": private, "private_gists": 0,
			"disk_usage": 0, "collaborators": 0, "billing_email": nil,
			"default_repository_permission": "read", "members_can_create_repositories": true,
			"two_factor_requirement_enabled": true, "members_allowed_repository_creation_type": "all",
			"plan": map[string]any{"name": "team", "space": 976562499, "private_repos": 999999,
				"filled_seats": len(s.w.tokens), "seats": len(s.w.tokens)},
		} {
			m[k] = v
		}
	}
	writeJSON(w, http.StatusOK, m)
}

// listUserRepos serves GET /user/repos: the repositories the token's user
// can reach, as GitHub's repository objects with its permissions. The
// simulator's users own their repositories and belong to every
// organization (see getMembership), so that is every repository the user
// owns and every organization repository. It honours visibility (all,
// public, private), type (all, owner, public, private, member) and
// affiliation (owner, organization_member; collaborator adds nothing), and
// sorts by full name (GitHub's default sort, full_name, ascending).
func (s *Server) listUserRepos(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	visibility, typ := q.Get("visibility"), q.Get("type")
	if visibility != "" && typ != "" {
		c.unprocessable(w, "If you specify visibility or affiliation, you cannot specify type.")
		return
	}
	affiliation := splitList(q.Get("affiliation"))
	if len(affiliation) == 0 {
		affiliation = []string{"owner", "collaborator", "organization_member"}
	}
	var list []*repo
	for _, rp := range sortedValues(s.w.repos) {
		owned := rp.owner == c.user
		member := rp.owner.org
		keep := owned && slices.Contains(affiliation, "owner") || member && slices.Contains(affiliation, "organization_member")
		switch typ {
		case "owner":
			keep = owned
		case "member":
			keep = member
		case "public":
			keep = keep && !rp.private
		case "private":
			keep = keep && rp.private
		}
		switch visibility {
		case "public":
			keep = keep && !rp.private
		case "private":
			keep = keep && rp.private
		}
		if keep {
			list = append(list, rp)
		}
	}
	slices.SortStableFunc(list, func(a, b *repo) int {
		return strings.Compare(strings.ToLower(a.fullName()), strings.ToLower(b.fullName()))
	})
	if q.Get("direction") == "desc" {
		slices.Reverse(list)
	}
	start, end := c.paginate(w, r, len(list))
	out := make([]map[string]any, 0, end-start)
	for _, rp := range list[start:end] {
		out = append(out, c.fullRepoJSON(rp))
	}
	writeJSON(w, http.StatusOK, out)
}
