// Package steps holds respond's step kinds (`uses:` in a playbook) and the
// one place they are registered: Catalog.
//
// The generic kinds are exec (run a program; a secret reaches it only on
// standard input), approve (a human gate) and note (a timeline entry).
// Kinds know nothing of cobra, terminals or the journal: everything they
// need arrives in a step.Call.
package steps

import (
	"fmt"
	"github.com/respondhq/respond/internal/target"
	"sort"

	"github.com/respondhq/respond/internal/step"
)

// all lists every kind respond knows: the one place kinds are registered.
// Provider kinds share p, so every step uses the same clients (and GitHub's
// rate limiter is one per token).
func all(p *Providers) []step.Kind {
	writers := map[string]TargetWriter{
		target.Dotenv:            DotenvWriter{},
		target.Exec:              ExecTargetWriter{},
		target.GitHubActions:     GitHubSecretWriter{P: p},
		target.GitHubDependabot:  GitHubSecretWriter{P: p},
		target.AWSSecretsManager: AWSSecretsManagerWriter{P: p},
		target.AWSSSM:            AWSSSMWriter{P: p},
	}
	keys := keyProviders(p)
	return []step.Kind{
		KeyIdentify{P: p, Keys: keys},
		KeyRevoke{Keys: keys},
		KeyVerify{Keys: keys},
		KeyReplace{Keys: keys},
		KeyUsageStep{Keys: keys},
		KeyAwaitQuiet{Keys: keys},
		KeyRetire{Keys: keys},
		Approve{},
		Exec{},
		Note{},
		InventoryTargets{},
		InventoryUpdate{},
		LockKey{},
		Preflight{P: p, Writers: writers},
		Deploy{Writers: writers},
		IdentifyKey{P: p},
		RevokeKey{P: p},
		VerifyKey{P: p},
		AwaitQuiet{P: p},
		CreateReplacement{P: p},
		KeyUsage{P: p},
		GitHubDispatchWorkflow{P: p},
		GitHubResolveAlert{P: p},
	}
}

// keyProviders lists every provider of keys respond knows: the one place
// a provider is registered.
func keyProviders(p *Providers) KeyProviders {
	return KeyProviders{
		"openai": openAIProvider{P: p},
		"aws":    awsProvider{P: p},
	}
}

// Catalog returns every kind respond knows, sorted by name, with no
// provider configured: enough to validate playbooks and print the schema.
func Catalog() step.Catalog { return CatalogWith(Providers{}) }

// CatalogWith returns every kind, with provider steps using p's clients.
func CatalogWith(p Providers) step.Catalog {
	kinds := all(&p)
	c, err := NewCatalog(kinds...)
	if err != nil {
		// all() is static and TestCatalog checks it; fall back to a
		// catalog without the duplicates rather than failing.
		return newCatalog(kinds)
	}
	return c
}

// NewCatalog returns a catalog of the given kinds (for example to test an
// engine with kinds of its own). Kind names must be non-empty and unique.
func NewCatalog(kinds ...step.Kind) (step.Catalog, error) {
	seen := map[string]bool{}
	for _, k := range kinds {
		name := k.Spec().Kind
		if name == "" {
			return nil, fmt.Errorf("step kind %T has no name (Spec().Kind is empty)", k)
		}
		if seen[name] {
			return nil, fmt.Errorf("step kind %q is registered twice", name)
		}
		seen[name] = true
	}
	return newCatalog(kinds), nil
}

// catalog implements step.Catalog.
type catalog struct {
	kinds  []step.Kind
	byName map[string]step.Kind
}

// newCatalog builds a catalog; of two kinds with the same name, the first
// wins.
func newCatalog(kinds []step.Kind) *catalog {
	c := &catalog{byName: make(map[string]step.Kind, len(kinds))}
	for _, k := range kinds {
		name := k.Spec().Kind
		if _, dup := c.byName[name]; dup {
			continue
		}
		c.byName[name] = k
		c.kinds = append(c.kinds, k)
	}
	sort.Slice(c.kinds, func(i, j int) bool { return c.kinds[i].Spec().Kind < c.kinds[j].Spec().Kind })
	return c
}

// Lookup implements step.Catalog.
func (c *catalog) Lookup(kind string) (step.Kind, bool) {
	k, ok := c.byName[kind]
	return k, ok
}

// Kinds implements step.Catalog. The slice is a copy.
func (c *catalog) Kinds() []step.Kind { return append([]step.Kind(nil), c.kinds...) }

// KeyProvidersFor returns every key provider, using p's clients (for the
// CLI's key picker).
func KeyProvidersFor(p Providers) KeyProviders { return keyProviders(&p) }
