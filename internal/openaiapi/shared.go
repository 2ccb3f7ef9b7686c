package openaiapi

import (
	"errors"
	"fmt"

	"github.com/respondhq/respond/internal/plugin"
)

// ErrNotConfigured is returned by Shared when no admin key is set.
var ErrNotConfigured = errors.New("OpenAI is not configured: export OPENAI_ADMIN_KEY with an admin key (sk-admin-…) of the organization that owns the project (and OPENAI_BASE_URL to reach another server); for practice without one, run `respond drill`")

// Shared returns the environment's OpenAI Admin API client, built once:
// OPENAI_ADMIN_KEY and OPENAI_BASE_URL.
func Shared(env *plugin.Env) (*Client, error) {
	v, err := env.Shared(SharedKey, Build(env))
	if err != nil {
		return nil, err
	}
	c, ok := v.(*Client)
	if !ok {
		return nil, fmt.Errorf("the environment's OpenAI client is a %T, not a *openaiapi.Client", v)
	}
	return c, nil
}

// SharedKey names the OpenAI client among an Env's shared clients; a test
// may Provide its own under it.
const SharedKey = "openai"

// Build builds the environment's OpenAI client (see Shared).
func Build(env *plugin.Env) func() (any, error) {
	return func() (any, error) {
		key := env.Secret(EnvAdminKey)
		if key.IsZero() {
			return nil, ErrNotConfigured
		}
		base := env.Getenv(EnvBaseURL)
		if base == "" {
			base = DefaultBaseURL
		}
		return New(Config{BaseURL: base, AdminKey: key})
	}
}
