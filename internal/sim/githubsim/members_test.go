package githubsim_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/spec"
)

// GET /user/memberships/orgs/{org} through go-github v60: owners (tokens
// with SecretsWrite) are "admin", everyone else "member", unknown
// organizations 404. The operation is not in the spec subset, so the
// checking transport may only report it as unknown; the body's shape is
// checked here against GitHub's documented org-membership instead.
func TestOrgMembership(t *testing.T) {
	s, srv, _ := newSim(t, githubsim.Options{})
	s.AddToken("ghp_scanning_only_token", "carol", githubsim.Permissions{SecretScanning: true, Actions: true})
	ctx := context.Background()
	for _, tc := range []struct {
		token, login, role string
		enterprise         bool
	}{
		{adminToken, "alice", "admin", false},
		{adminToken, "alice", "admin", true},
		{readToken, "bob", "member", false},
		{readToken, "bob", "member", true},
		{"ghp_scanning_only_token", "carol", "member", false},
	} {
		name := tc.login
		base := srv.URL
		if tc.enterprise {
			name += " (enterprise)"
			base += "/api/v3"
		}
		c, ct := newClient(t, srv, tc.token, tc.enterprise)
		m, _, err := c.Organizations.GetOrgMembership(ctx, "", "acme")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.GetRole() != tc.role || m.GetState() != "active" {
			t.Errorf("%s: role %q state %q, want %q active", name, m.GetRole(), m.GetState(), tc.role)
		}
		if m.GetURL() != base+"/orgs/acme/memberships/"+tc.login || m.GetOrganizationURL() != base+"/orgs/acme" {
			t.Errorf("%s: url %q organization_url %q", name, m.GetURL(), m.GetOrganizationURL())
		}
		if o := m.GetOrganization(); o.GetLogin() != "acme" || o.GetID() != orgID || o.GetURL() != base+"/orgs/acme" {
			t.Errorf("%s: organization %v", name, o)
		}
		if u := m.GetUser(); u.GetLogin() != tc.login || u.GetType() != "User" {
			t.Errorf("%s: user %v", name, u)
		}
		// The organization name is case-insensitive.
		if m, _, err := c.Organizations.GetOrgMembership(ctx, "", "ACME"); err != nil || m.GetRole() != tc.role {
			t.Errorf("%s: ACME: %v %v", name, m.GetRole(), err)
		}
		_, _, err = c.Organizations.GetOrgMembership(ctx, "", "nope")
		if errStatus(err) != http.StatusNotFound || errMessage(err) != "Not Found" {
			t.Errorf("%s: unknown organization: %v", name, err)
		}
		onlyUnknownOperation(t, ct)
	}
}

// The body has every field GitHub's org-membership and its
// organization-simple and simple-user parts require.
func TestOrgMembershipShape(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, readToken, false)
	var m map[string]any
	if _, err := doRaw(t, c, http.MethodGet, "user/memberships/orgs/acme", nil, &m); err != nil {
		t.Fatal(err)
	}
	requireKeys(t, "org-membership", m, "url", "state", "role", "organization_url", "organization", "user")
	org, _ := m["organization"].(map[string]any)
	requireKeys(t, "organization-simple", org, "login", "url", "id", "node_id", "repos_url", "events_url",
		"hooks_url", "issues_url", "members_url", "public_members_url", "avatar_url", "description")
	user, _ := m["user"].(map[string]any)
	requireKeys(t, "simple-user", user, "login", "id", "node_id", "avatar_url", "gravatar_id", "url", "html_url",
		"followers_url", "following_url", "gists_url", "starred_url", "subscriptions_url", "organizations_url",
		"repos_url", "events_url", "received_events_url", "type", "site_admin")
	for k, want := range map[string]any{"state": "active", "role": "member"} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	onlyUnknownOperation(t, ct)
}

func requireKeys(t *testing.T, schema string, m map[string]any, keys ...string) {
	t.Helper()
	if m == nil {
		t.Errorf("%s: missing or not an object", schema)
		return
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: required field %q missing", schema, k)
		}
	}
}

// onlyUnknownOperation fails on any conformance error other than the
// operation being absent from the spec subset; should the subset come to
// describe it, its responses are validated like any other.
func onlyUnknownOperation(t *testing.T, ct *spec.CheckingTransport) {
	t.Helper()
	for _, err := range ct.Errors() {
		if !errors.Is(err, spec.ErrUnknownOperation) {
			t.Errorf("spec violation: %v", err)
		}
	}
}
