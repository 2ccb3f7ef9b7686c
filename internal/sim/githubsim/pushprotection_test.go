package githubsim_test

import (
	"context"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// Push protection is shown as GitHub shows it: security_and_analysis, to an
// administrator of the repository only, on a repository and in an
// organization's list, and validated against GitHub's description.
func TestPushProtectionInSecurityAndAnalysis(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	if err := sim.SetPushProtection("acme", "docs", false); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetPushProtection("acme", "ghost", false); err == nil {
		t.Error("push protection of a repository that does not exist was set")
	}
	ctx := context.Background()
	admin, ct := newClient(t, srv, adminToken, false)
	status := func(r *github.Repository) string {
		sa := r.GetSecurityAndAnalysis()
		if sa == nil || sa.SecretScanningPushProtection == nil {
			return "hidden"
		}
		return sa.SecretScanningPushProtection.GetStatus()
	}
	docs, _, err := admin.Repositories.Get(ctx, "acme", "docs")
	if err != nil {
		t.Fatal(err)
	}
	if got := status(docs); got != "disabled" {
		t.Errorf("acme/docs to an administrator: %s, want disabled", got)
	}
	list, _, err := admin.Repositories.ListByOrg(ctx, "acme", &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range list {
		got[r.GetName()] = status(r)
	}
	if got["docs"] != "disabled" || got["api"] != "enabled" || got["web"] != "enabled" {
		t.Errorf("organization list: %v", got)
	}
	assertConformant(t, ct)
	reader, _ := newClient(t, srv, readToken, false)
	docs, _, err = reader.Repositories.Get(ctx, "acme", "docs")
	if err != nil {
		t.Fatal(err)
	}
	if got := status(docs); got != "hidden" {
		t.Errorf("acme/docs to a reader: %s, want it hidden", got)
	}
	for _, r := range sim.Snapshot().Repos {
		want := "enabled"
		if r.Name == "docs" {
			want = "disabled"
		}
		if r.PushProtection != want {
			t.Errorf("state of %s/%s: push_protection %s, want %s", r.Owner, r.Name, r.PushProtection, want)
		}
	}
}
