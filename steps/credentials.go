package steps

import (
	"github.com/respondhq/respond/internal/plugin"
)

// SecretEnv lists every environment variable that holds one of respond's
// secrets, as the GitHub client and the registered plug-ins declare them:
// masked in every output from the start, whether or not a client is ever
// built.
func SecretEnv() []string { return plugin.SecretEnv() }

// CredentialEnv lists every environment variable that is part of
// respond's credentials, secret or not: none reaches a child process.
func CredentialEnv() []string { return plugin.CredentialEnv() }

// isCredentialVar reports whether the environment variable name holds one
// of respond's credentials.
func isCredentialVar(name string) bool { return plugin.IsCredentialEnv(name) }
