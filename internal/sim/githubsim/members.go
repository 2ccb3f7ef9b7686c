package githubsim

import (
	"net/http"
	"strconv"
)

// getMembership serves GET /user/memberships/orgs/{org}: the token's user's
// membership of an organization, as GitHub's org-membership. The simulator
// has no membership lists: every token's user is an active member of every
// organization it knows, an owner (role "admin") when the token has
// Permissions.SecretsWrite — the permission that lets it manage
// organization secrets — and a plain member otherwise. An unknown
// organization is a 404, as GitHub answers for an organization the user is
// not a member of.
func (s *Server) getMembership(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrg(r)
	if o == nil {
		c.notFound(w)
		return
	}
	role := "member"
	if c.perms.SecretsWrite {
		role = "admin"
	}
	orgURL := c.base + "/orgs/" + o.acct.login
	writeJSON(w, http.StatusOK, map[string]any{
		"url":              orgURL + "/memberships/" + c.user.login,
		"state":            "active",
		"role":             role,
		"organization_url": orgURL,
		"organization":     c.orgSimpleJSON(o.acct),
		"user":             c.userJSON(c.user),
		"permissions":      map[string]any{"can_create_repository": role == "admin"},
	})
}

// orgSimpleJSON renders an organization as GitHub's organization-simple.
func (c *call) orgSimpleJSON(a *account) map[string]any {
	api := c.base + "/orgs/" + a.login
	return map[string]any{
		"login":              a.login,
		"id":                 a.id,
		"node_id":            nodeID("O", a.id),
		"url":                api,
		"repos_url":          api + "/repos",
		"events_url":         api + "/events",
		"hooks_url":          api + "/hooks",
		"issues_url":         api + "/issues",
		"members_url":        api + "/members{/member}",
		"public_members_url": api + "/public_members{/member}",
		"avatar_url":         c.web + "/avatars/u/" + strconv.FormatInt(a.id, 10),
		"description":        nil,
	}
}
