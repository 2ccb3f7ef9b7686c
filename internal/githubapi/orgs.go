package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/textsafe"
)

// OrgRole returns the token's user's role in org, from GET
// /user/memberships/orgs/{org}: "admin" for an organization owner, "member"
// otherwise (GitHub also has "billing_manager"). A user who is not a
// member, or an organization that does not exist or that the token cannot
// see, is an error matching step.ErrNotFound; so is a membership still
// pending (an invitation not yet accepted), which grants nothing. Reading
// one's membership needs read:org (classic tokens; admin:org includes it)
// or the Members organization permission (fine-grained).
func (c *Client) OrgRole(ctx context.Context, org string) (string, error) {
	if strings.TrimSpace(org) == "" {
		return "", step.Errorf("read the token's organization membership: the organization name is empty")
	}
	p, err := apiPath("user/memberships/orgs/", seg{"organization", org})
	if err != nil {
		return "", err
	}
	var m github.Membership
	if _, err := c.do(ctx, http.MethodGet, p, nil, &m); err != nil {
		return "", c.fail(err, "read the token's membership of organization %s", org)
	}
	if st := textsafe.Line(m.GetState()); st != "" && st != "active" {
		return "", step.Permanent(fmt.Errorf("GitHub: organization %s: the token's user's membership is %s, not active "+
			"(accept the invitation to the organization, or use a token of an active owner): %w", org, st, step.ErrNotFound))
	}
	role := textsafe.Line(m.GetRole())
	if role == "" {
		return "", fmt.Errorf("GitHub returned the token's membership of organization %s without a role: report this, or retry later", org)
	}
	return role, nil
}
