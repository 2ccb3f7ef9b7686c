// Package plugins is where respond's plug-ins are registered: providers of
// keys (internal/providers/…) and types of target (internal/targets/…).
// Each is one line below: importing a plug-in's package registers it (its
// init function calls provider.Register or target.Register). Adding one
// touches its own package, its docs page, and one line here.
package plugins

import (
	// Providers of keys.
	"github.com/respondhq/respond/internal/provider"
	_ "github.com/respondhq/respond/internal/providers/anthropic"
	_ "github.com/respondhq/respond/internal/providers/aws"
	_ "github.com/respondhq/respond/internal/providers/githubtoken"
	_ "github.com/respondhq/respond/internal/providers/google"
	_ "github.com/respondhq/respond/internal/providers/openai"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/target"

	// Types of target.
	_ "github.com/respondhq/respond/internal/targets/awsstores"
	_ "github.com/respondhq/respond/internal/targets/dotenv"
	_ "github.com/respondhq/respond/internal/targets/exec"
	_ "github.com/respondhq/respond/internal/targets/githubsecret"
	_ "github.com/respondhq/respond/internal/targets/githubworkflow"
	_ "github.com/respondhq/respond/internal/targets/kubernetes"
	_ "github.com/respondhq/respond/internal/targets/vaultkv"
)

// Fakes are the simulated APIs the registered plug-ins declare, for the
// simulator to serve beside OpenAI and GitHub.
func Fakes() []simapi.Factory {
	var out []simapi.Factory
	for _, s := range provider.Specs() {
		if s.Fake != nil {
			out = append(out, s.Fake)
		}
	}
	for _, s := range target.Specs() {
		if s.Fake != nil {
			out = append(out, s.Fake)
		}
	}
	return out
}
