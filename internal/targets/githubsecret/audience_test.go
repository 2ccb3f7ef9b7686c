package githubsecret

import (
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/githubapi"

	"github.com/respondhq/respond/internal/target"
)

func TestPlanOrgSecretAudience(t *testing.T) {
	org := func(vis string, repos ...string) target.Target {
		return target.New("github-actions", map[string]any{"org": "acme", "secret": "K", "visibility": vis, "repos": repos})
	}
	for _, tc := range []struct {
		name        string
		t           target.Target
		now         githubapi.OrgSecretState
		want        []string
		destructive bool
	}{
		{"unset keeps it", org(""), githubapi.OrgSecretState{Exists: true, Visibility: "selected", Repos: []string{"web", "worker"}},
			[]string{"audience stays selected repositories web, worker"}, false},
		{"same", org("selected", "worker", "web"), githubapi.OrgSecretState{Exists: true, Visibility: "selected", Repos: []string{"web", "worker"}},
			[]string{"audience stays"}, false},
		{"a repository loses access", org("selected", "web"), githubapi.OrgSecretState{Exists: true, Visibility: "selected", Repos: []string{"web", "worker"}},
			[]string{"worker lose(s) access", "the inventory lists web"}, true},
		{"a repository gains access", org("selected", "web", "worker", "api"), githubapi.OrgSecretState{Exists: true, Visibility: "selected", Repos: []string{"web", "worker"}},
			[]string{"api gain(s) access"}, false},
		{"all to selected narrows", org("selected", "web"), githubapi.OrgSecretState{Exists: true, Visibility: "all"},
			[]string{"from all repositories to selected repositories web", "outside that lose access"}, true},
		{"all to private narrows", org("private"), githubapi.OrgSecretState{Exists: true, Visibility: "all"},
			[]string{"from all repositories to private and internal repositories"}, true},
		{"selected to all widens", org("all"), githubapi.OrgSecretState{Exists: true, Visibility: "selected", Repos: []string{"web"}},
			[]string{"from selected repositories web to all repositories"}, false},
		{"new secret", org(""), githubapi.OrgSecretState{}, []string{"create Actions secret K", "visible to private and internal repositories"}, false},
	} {
		c := planOrgSecret(tc.t, "Actions secret", tc.now)
		for _, w := range tc.want {
			if !strings.Contains(c.Effect, w) {
				t.Errorf("%s: effect %q lacks %q", tc.name, c.Effect, w)
			}
		}
		if c.Destructive != tc.destructive {
			t.Errorf("%s: destructive %v, want %v (%s)", tc.name, c.Destructive, tc.destructive, c.Effect)
		}
	}
}
