package cli

import (
	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/steps"

	// Every provider and target type respond knows, registered.
	"github.com/respondhq/respond/internal/plugins"
	"github.com/respondhq/respond/internal/sim"
)

// Every simulator respond starts serves the APIs the plug-ins fake.
func init() { sim.DefaultServices = plugins.Fakes }

// providerSet is the plug-in environment of a command: the configuration
// it reads (the process environment, or a drill's), and the clients built
// from it, once each: every step shares one client per provider, so
// GitHub's rate limiter is one per token as GitHub counts it.
type providerSet struct {
	getenv func(string) string
	env    *plugin.Env
	steps  *steps.Providers
}

func newProviderSet(getenv func(string) string, secrets *secret.Registry, stateDir func() string, warn func(string)) *providerSet {
	env := plugin.New(getenv, secrets, stateDir)
	env.Warn = warn
	return &providerSet{getenv: getenv, env: env, steps: steps.NewProviders(env)}
}

func (p *providerSet) providers() *steps.Providers { return p.steps }

// GitHubKeyCacheFile is the GitHub client's public-key cache, in the state
// directory: secrets of a repository written before cost one request.
const GitHubKeyCacheFile = githubapi.KeyCacheFile

// registerEnvSecrets masks respond's own credentials in every output from
// the start, whether or not a client is ever built: GitHub tokens and
// every variable a registered plug-in declares secret.
func registerEnvSecrets(getenv func(string) string, reg *secret.Registry) {
	for _, k := range steps.SecretEnv() {
		if v := getenv(k); v != "" {
			reg.Add(secret.New(v))
		}
	}
}
