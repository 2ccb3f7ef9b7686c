package awsapi

import (
	"context"
	"fmt"

	"github.com/respondhq/respond/internal/plugin"
)

// Shared returns the environment's AWS client, built once from the
// standard configuration chain (environment, profiles, SSO, roles;
// AWS_REGION). It makes no request: missing credentials are reported by
// the first call.
func Shared(env *plugin.Env) (*Client, error) {
	v, err := env.Shared(SharedKey, Build(env))
	if err != nil {
		return nil, err
	}
	c, ok := v.(*Client)
	if !ok {
		return nil, fmt.Errorf("the environment's AWS client is a %T, not a *awsapi.Client", v)
	}
	return c, nil
}

// SharedKey names the AWS client among an Env's shared clients; a test may
// Provide its own under it.
const SharedKey = "aws"

// Build builds the environment's AWS client (see Shared).
func Build(env *plugin.Env) func() (any, error) {
	return func() (any, error) {
		env.Secret("AWS_SECRET_ACCESS_KEY")
		env.Secret("AWS_SESSION_TOKEN")
		return FromEnv(context.Background())
	}
}

// Configured reports whether the environment names AWS credentials (the
// key picker offers AWS only then; the SDK's chain may find more).
func Configured(getenv func(string) string) bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}
