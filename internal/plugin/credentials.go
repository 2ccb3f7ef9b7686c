package plugin

import (
	"sort"
	"strings"
	"sync"
)

// The environment variables that hold respond's own credentials, declared
// by whoever reads them (a provider, a target type, the GitHub client):
// every one is kept out of child processes' environments, and the secret
// ones are masked in every output from the start.

var (
	credMu   sync.RWMutex
	credVars = map[string]bool{} // name -> secret
)

// DeclareEnv declares an environment variable that is part of respond's
// credentials; secret ones are also masked.
func DeclareEnv(name string, secret bool) {
	credMu.Lock()
	defer credMu.Unlock()
	credVars[name] = credVars[name] || secret
}

// CredentialEnv lists every declared credential variable, sorted.
func CredentialEnv() []string { return listEnv(false) }

// SecretEnv lists the declared credential variables that hold secrets,
// sorted.
func SecretEnv() []string { return listEnv(true) }

func listEnv(secretOnly bool) []string {
	credMu.RLock()
	defer credMu.RUnlock()
	var out []string
	for n, s := range credVars {
		if s || !secretOnly {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// respondSecretWords mark a RESPOND_* variable as holding a secret.
var respondSecretWords = []string{"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSPHRASE", "CREDENTIAL"}

// IsCredentialEnv reports whether an environment variable holds one of
// respond's credentials: a declared one, or a RESPOND_* variable whose name
// says it holds a secret (RESPOND_WEBHOOK_SECRET).
func IsCredentialEnv(name string) bool {
	credMu.RLock()
	_, ok := credVars[name]
	credMu.RUnlock()
	if ok {
		return true
	}
	if rest, ok := strings.CutPrefix(name, "RESPOND_"); ok {
		for _, w := range respondSecretWords {
			if strings.Contains(rest, w) {
				return true
			}
		}
	}
	return false
}
