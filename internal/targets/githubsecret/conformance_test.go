package githubsecret_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"
	"github.com/respondhq/respond/internal/targets/githubsecret"
)

// TestConformance runs the target conformance suite for github-actions
// and github-dependabot against the simulator's GitHub, whose state holds
// every secret decrypted as GitHub would (the world), with the read-only
// token as credentials that may not write. A repository or environment
// secret is planned without asking GitHub (BlindPlan); an organization
// secret's plan reads its audience.
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name, typ string
		place     map[string]any // without secret
		denied    map[string]any
		blind     bool
	}{
		{"actions repository", githubsecret.Actions, map[string]any{"repo": "acme/api"},
			map[string]any{"repo": "acme/missing"}, true},
		{"actions environment", githubsecret.Actions, map[string]any{"repo": "acme/api", "environment": "production"},
			map[string]any{"repo": "acme/api", "environment": "missing"}, true},
		{"actions organization", githubsecret.Actions, map[string]any{"org": "acme", "visibility": "selected", "repos": []string{"api", "docs"}},
			map[string]any{"org": "acme", "visibility": "selected", "repos": []string{"api", "missing"}}, false},
		{"dependabot repository", githubsecret.Dependabot, map[string]any{"repo": "acme/web"},
			map[string]any{"repo": "acme/missing"}, true},
		{"dependabot organization", githubsecret.Dependabot, map[string]any{"org": "acme", "visibility": "all"},
			map[string]any{"org": "missing"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, srv := ghWorld(t, githubsim.Options{})
			admin, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
			read, _ := ghProviders(t, srv, ghRead, githubapi.Limits{})
			spec, _ := target.Lookup(tc.typ)
			with := func(fields map[string]any, name string) target.Target {
				tg := target.New(tc.typ, fields)
				return tg.With("secret", name)
			}
			conformance.Run(t, conformance.Harness{
				Spec:         spec,
				Writer:       spec.New(admin),
				Place:        func(t testing.TB, name string) target.Target { return with(tc.place, name) },
				Holds:        func(t testing.TB, tg target.Target) (string, bool) { return ghHolds(sim, tg) },
				World:        func(t testing.TB) map[string]string { return ghWorldState(sim) },
				Denied:       func(t testing.TB, name string) target.Target { return with(tc.denied, name) },
				DeniedWriter: spec.New(read),
				BlindPlan:    tc.blind,
				Secrets:      []string{ghAdmin, ghRead},
			})
		})
	}
}

// ghHolds is what the simulator holds at the secret tg names.
func ghHolds(sim *githubsim.Server, tg target.Target) (string, bool) {
	level, where := githubsim.LevelRepo, tg.Str("repo")
	switch {
	case tg.Type == githubsecret.Dependabot:
		level = githubsim.LevelDependabot
	case tg.Str("environment") != "":
		level = githubsim.LevelEnvironment
	case tg.Str("org") != "":
		level = githubsim.LevelOrg
	}
	if o := tg.Str("org"); o != "" {
		where = o
	}
	if e := tg.Str("environment"); e != "" {
		where += "@" + e
	}
	st, ok := ghSecret(sim, level, where, strings.ToUpper(tg.Str("secret")))
	return st.Value, ok
}

// ghWorldState is every secret the simulator holds, named with an
// organization secret's audience (a write that changed the audience
// removes a place and adds another).
func ghWorldState(sim *githubsim.Server) map[string]string {
	w := map[string]string{}
	for _, st := range sim.Snapshot().Secrets {
		k := fmt.Sprintf("%s %s %s/%s@%s %s", st.Level, st.Org, st.Owner, st.Repo, st.Environment, st.Name)
		if st.Org != "" {
			k += fmt.Sprintf(" (visible to %s %v)", st.Visibility, st.SelectedRepositoryIDs)
		}
		w[k] = st.Value
	}
	return w
}
