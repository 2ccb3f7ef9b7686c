package githubsim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// GET /repos/{o}/{r} carries the calling token's permissions, as GitHub's
// full-repository does for authenticated requests.
func TestRepositoryPermissions(t *testing.T) {
	s, srv, _ := newSim(t, githubsim.Options{})
	s.AddToken("ghp_actions_only_token", "carol", githubsim.Permissions{Actions: true})
	ctx := context.Background()
	for _, tc := range []struct {
		token                         string
		admin, maintain, push, triage bool
	}{
		{adminToken, true, true, true, true},
		{readToken, false, false, false, false},
		{"ghp_actions_only_token", false, false, true, true},
	} {
		c, ct := newClient(t, srv, tc.token, false)
		repo, _, err := c.Repositories.Get(ctx, "acme", "api")
		if err != nil {
			t.Fatalf("%s: %v", tc.token, err)
		}
		p := repo.GetPermissions()
		if p["admin"] != tc.admin || p["maintain"] != tc.maintain || p["push"] != tc.push ||
			p["triage"] != tc.triage || !p["pull"] || len(p) != 5 {
			t.Errorf("%s: permissions %v", tc.token, p)
		}
		byID, _, err := c.Repositories.GetByID(ctx, apiRepoID)
		if err != nil || byID.GetPermissions()["admin"] != tc.admin {
			t.Errorf("%s: by ID: %v %v", tc.token, byID.GetPermissions(), err)
		}
		assertConformant(t, ct, "GET /repositories/")
	}
}

// GET /orgs/{org}/repos lists the organization's repositories, 100 a page
// at most, with a Link header to the last page, each with the calling
// token's permissions (so one request tells a client its access to 100
// repositories); a user's login is not an organization (404).
func TestOrgReposCarryPermissions(t *testing.T) {
	s, srv, _ := newSim(t, githubsim.Options{})
	for i := range 150 {
		if err := s.AddRepo("acme", fmt.Sprintf("svc-%03d", i), 5000+int64(i), true); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		token string
		admin bool
	}{{adminToken, true}, {readToken, false}} {
		c, ct := newClient(t, srv, tc.token, false)
		opts := &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 100}}
		first, resp, err := c.Repositories.ListByOrg(ctx, "acme", opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 100 || resp.LastPage != 2 || resp.NextPage != 2 {
			t.Fatalf("%s: first page %d repositories, last page %d, next %d", tc.token, len(first), resp.LastPage, resp.NextPage)
		}
		opts.Page = 2
		second, resp, err := c.Repositories.ListByOrg(ctx, "acme", opts)
		if err != nil || len(second) != 53 || resp.NextPage != 0 {
			t.Fatalf("%s: second page %d repositories, next %d, %v", tc.token, len(second), resp.NextPage, err)
		}
		seen := map[string]bool{}
		for _, r := range append(first, second...) {
			p := r.GetPermissions()
			if p["admin"] != tc.admin || !p["pull"] || len(p) != 5 || r.GetOwner().GetLogin() != "acme" {
				t.Errorf("%s: %s permissions %v", tc.token, r.GetFullName(), p)
			}
			seen[r.GetFullName()] = true
		}
		if len(seen) != 153 || !seen["acme/api"] || !seen["acme/svc-149"] || seen["alice/tools"] {
			t.Errorf("%s: listed %d distinct repositories", tc.token, len(seen))
		}
		if _, _, err := c.Repositories.ListByOrg(ctx, "alice", nil); errStatus(err) != http.StatusNotFound {
			t.Errorf("%s: a user's repositories as an organization's: %v", tc.token, err)
		}
		assertConformant(t, ct)
	}
}

// RotateRepoKey makes a PUT sealed for the old key a 422 and keeps stored
// values; the new key works.
func TestRotateRepoKey(t *testing.T) {
	s, srv, _ := newSim(t, githubsim.Options{})
	c, _ := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	old, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "api")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetRepoSecret("acme", "api", "KEEP", "kept-value", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateRepoKey("acme", "api", "actions"); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateRepoKey("acme", "api", "codespaces"); err == nil {
		t.Error("unknown app accepted")
	}
	if err := s.RotateRepoKey("acme", "nope", "actions"); err == nil {
		t.Error("unknown repository accepted")
	}
	_, err = c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{
		Name: "NEW", KeyID: old.GetKeyID(), EncryptedValue: seal(t, old, "v1")})
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("PUT with the old key: %v", err)
	}
	cur, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "api")
	if err != nil || cur.GetKeyID() == old.GetKeyID() {
		t.Fatalf("key after rotation: %v %v", cur.GetKeyID(), err)
	}
	if _, err := c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{
		Name: "NEW", KeyID: cur.GetKeyID(), EncryptedValue: seal(t, cur, "v1")}); err != nil {
		t.Fatalf("PUT with the new key: %v", err)
	}
	found := 0
	for _, sec := range s.Snapshot().Secrets {
		if sec.Owner == "acme" && sec.Repo == "api" && sec.Level == githubsim.LevelRepo &&
			(sec.Name == "KEEP" && sec.Value == "kept-value" || sec.Name == "NEW" && sec.Value == "v1") {
			found++
		}
	}
	if found != 2 {
		t.Errorf("secrets after rotation: %+v", s.Snapshot().Secrets)
	}
	// Dependabot rotates separately.
	dOld, _, _ := c.Dependabot.GetRepoPublicKey(ctx, "acme", "api")
	if err := s.RotateRepoKey("acme", "api", "dependabot"); err != nil {
		t.Fatal(err)
	}
	dNew, _, _ := c.Dependabot.GetRepoPublicKey(ctx, "acme", "api")
	if dOld.GetKeyID() == dNew.GetKeyID() {
		t.Error("dependabot key not rotated")
	}
}
