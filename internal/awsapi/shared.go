package awsapi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
// key picker offers AWS only then; the SDK's chain may find more): a
// variable of the chain, or a default profile in the shared files
// (~/.aws/credentials, ~/.aws/config, or the files AWS_SHARED_CREDENTIALS_FILE
// and AWS_CONFIG_FILE name), as the AWS CLI reads them without AWS_PROFILE.
// An EC2 instance role is found only by asking the instance's metadata
// service, which this must not do: name it with a profile
// (credential_source = Ec2InstanceMetadata) and AWS_PROFILE.
func Configured(getenv func(string) string) bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if getenv(k) != "" {
			return true
		}
	}
	return hasDefaultProfile(sharedFile(getenv, "AWS_SHARED_CREDENTIALS_FILE", "credentials"), "default") ||
		hasDefaultProfile(sharedFile(getenv, "AWS_CONFIG_FILE", "config"), "default", "profile default")
}

// sharedFile is the shared file the variable names, else ~/.aws/NAME.
func sharedFile(getenv func(string) string, variable, name string) string {
	if p := getenv(variable); p != "" {
		return p
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".aws", name)
	}
	return ""
}

// hasDefaultProfile reports whether the INI file at path has a section
// named one of names ("default", "profile default").
func hasDefaultProfile(path string, names ...string) bool {
	if path == "" {
		return false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
			continue
		}
		section := strings.Join(strings.Fields(line[1:len(line)-1]), " ")
		for _, n := range names {
			if section == n {
				return true
			}
		}
	}
	return false
}
