// Package plugins is where respond's plug-ins are registered: providers of
// keys (internal/providers/…) and types of target (internal/targets/…).
// Each is one line below: importing a plug-in's package registers it (its
// init function calls provider.Register or target.Register). Adding one
// touches its own package, its docs page, and one line here.
package plugins

import (
	// Providers of keys.
	_ "github.com/respondhq/respond/internal/providers/aws"
	_ "github.com/respondhq/respond/internal/providers/openai"

	// Types of target.
	_ "github.com/respondhq/respond/internal/targets/awsstores"
	_ "github.com/respondhq/respond/internal/targets/dotenv"
	_ "github.com/respondhq/respond/internal/targets/exec"
	_ "github.com/respondhq/respond/internal/targets/githubsecret"
	_ "github.com/respondhq/respond/internal/targets/githubworkflow"
)
