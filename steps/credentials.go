package steps

import (
	"slices"
	"sort"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/provider"
)

// SecretEnv lists every environment variable that holds one of respond's
// secrets: GitHub tokens, and whatever the registered providers declare
// secret. They are masked in every output from the start, whether or not
// a client is ever built.
func SecretEnv() []string {
	return union(githubapi.TokenEnv, provider.SecretEnv())
}

// CredentialEnv lists every environment variable that is part of
// respond's credentials, secret or not: none reaches a child process.
func CredentialEnv() []string {
	return union(githubapi.TokenEnv, provider.CredentialEnv())
}

func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, v := range l {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return out
}
