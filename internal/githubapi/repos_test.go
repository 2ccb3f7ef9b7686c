package githubapi

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/respondhq/respond/internal/step"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// ReposPermissions lists an organization's repositories (pages after the
// first at once, responses as GitHub's description has them), reads a
// repository outside the list on its own, and remembers the IDs it saw,
// so writing an organization secret for selected repositories needs no
// further read.
func TestReposPermissions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	var asked []string
	for i := range 230 {
		if err := e.sim.AddRepo("acme", fmt.Sprintf("svc-%03d", i), 40000+int64(i), true); err != nil {
			t.Fatal(err)
		}
		asked = append(asked, fmt.Sprintf("acme/svc-%03d", i))
	}
	asked = append(asked, "ACME/Api", "acme/gone", "nobody/thing", "acme/web")
	got := e.c.ReposPermissions(ctx, asked)
	if len(got) != len(asked) {
		t.Fatalf("%d entries for %d repositories", len(got), len(asked))
	}
	for _, r := range asked {
		a := got[r]
		switch r {
		case "acme/gone", "nobody/thing":
			if !errors.Is(a.Err, step.ErrNotFound) {
				t.Errorf("%s: %+v, want not found", r, a)
			}
		default:
			if a.Err != nil || !a.Perms.Admin || a.Perms.ID == 0 {
				t.Errorf("%s: %+v", r, a)
			}
		}
	}
	// 233 repositories: 3 pages, and a fourth fetched with them in case
	// there were more (an empty page), all at once.
	if n := e.rec.count("GET /orgs/acme/repos"); n != 4 {
		t.Errorf("%d pages, want 4", n)
	}
	if n := len(e.rec.reqs); n != 6 {
		t.Errorf("%d requests, want 4 pages and the 2 repositories outside the list: %v", n, e.rec.reqs)
	}
	if isOrg, known := e.c.KnownOrganization("Acme"); !isOrg || !known {
		t.Errorf("acme: organization %v, known %v", isOrg, known)
	}
	if _, known := e.c.KnownOrganization("nobody"); known {
		t.Error("nobody was not listed, so it is not known")
	}
	e.conformant(t)

	// The IDs are known: an organization secret for selected repositories
	// is the key and the write.
	before := len(e.rec.reqs)
	s := SecretScope{App: "actions", Org: "acme"}
	pk, err := e.c.PublicKey(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.PutSecret(ctx, s, "K", seal(t, pk, "v"), OrgSecretOptions{Visibility: "selected", SelectedRepos: []string{"svc-001", "svc-229"}}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.rec.reqs) - before; n != 2 {
		t.Errorf("%d requests for the organization secret, want 2: %v", n, e.rec.reqs[before:])
	}
}
