package githubsecret

import (
	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/target"
)

var _ target.Placer = Writer{}

// Places implements target.Placer: a GitHub secret target is the secret it
// names, which `respond audit` also finds by listing GitHub's secrets.
func (Writer) Places(t target.Target) []audit.Place {
	s, name := ScopeOf(t), t.Str("secret")
	switch {
	case s.Org != "":
		return []audit.Place{audit.GitHubOrgSecret(s.App, s.Org, name)}
	case s.Environment != "":
		return []audit.Place{audit.GitHubEnvSecret(s.Owner, s.Repo, s.Environment, name)}
	}
	return []audit.Place{audit.GitHubRepoSecret(s.App, s.Owner, s.Repo, name)}
}
