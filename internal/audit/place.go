package audit

import "strings"

// Place is a place a key can be stored that the audit compares with the
// inventory: a GitHub secret, say. The core finds places (listing
// GitHub's secrets); a target type says which places its targets are
// (target.Placer), so that a place no target names is reported as drift.
type Place struct {
	// Store is the kind of store ("github-actions", "github-dependabot").
	Store string
	// Container is where in the store ("acme/api", "org acme").
	Container string
	// Name is the secret's or variable's name.
	Name string
}

// String is "github-actions acme/api OPENAI_API_KEY".
func (p Place) String() string { return p.Store + " " + p.Container + " " + p.Name }

// GitHubRepoSecret is a repository's secret of app ("actions",
// "dependabot"). GitHub's names are case-insensitive.
func GitHubRepoSecret(app, owner, repo, name string) Place {
	return Place{Store: "github-" + app, Container: strings.ToLower(owner + "/" + repo), Name: strings.ToUpper(name)}
}

// GitHubEnvSecret is an environment's secret.
func GitHubEnvSecret(owner, repo, env, name string) Place {
	return Place{Store: "github-actions", Container: strings.ToLower(owner+"/"+repo) + " environment " + strings.ToLower(env), Name: strings.ToUpper(name)}
}

// GitHubOrgSecret is an organization's secret of app.
func GitHubOrgSecret(app, org, name string) Place {
	return Place{Store: "github-" + app, Container: "org " + strings.ToLower(org), Name: strings.ToUpper(name)}
}
