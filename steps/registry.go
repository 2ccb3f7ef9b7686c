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
	"sort"

	"github.com/respondhq/respond/internal/step"
)

// all lists every kind respond knows: the one place kinds are registered.
// Provider kinds share p, so every step uses the same clients (and GitHub's
// rate limiter is one per token). The aliases providers declare
// (openai.identify_key, …) are added from the provider registry.
func all(p *Providers) []step.Kind {
	writers := p.Targets
	keys := p.Keys
	generic := map[string]func(alias, fixed string) step.Kind{
		keyIdentifyKind: func(alias, fixed string) step.Kind { return KeyIdentify{P: p, Keys: keys, alias: alias, fixed: fixed} },
		keyRevokeKind:   func(alias, fixed string) step.Kind { return KeyRevoke{Keys: keys, alias: alias, fixed: fixed} },
		keyVerifyKind:   func(alias, fixed string) step.Kind { return KeyVerify{Keys: keys, alias: alias, fixed: fixed} },
		keyReplaceKind: func(alias, fixed string) step.Kind {
			return KeyReplace{Keys: keys, Writers: writers, alias: alias, fixed: fixed}
		},
		keyUsageKind: func(alias, fixed string) step.Kind {
			return KeyUsageStep{Keys: keys, Now: p.Now, alias: alias, fixed: fixed}
		},
		keyQuietKind:   func(alias, fixed string) step.Kind { return KeyAwaitQuiet{Keys: keys, alias: alias, fixed: fixed} },
		keyRetireKind:  func(alias, fixed string) step.Kind { return KeyRetire{Keys: keys, fixed: fixed} },
		keyDiscardKind: func(alias, fixed string) step.Kind { return KeyDiscard{Keys: keys, fixed: fixed} },
	}
	kinds := []step.Kind{
		Approve{},
		Exec{},
		Note{},
		InventoryTargets{},
		InventoryUpdate{},
		LockKey{},
		Preflight{P: p, Writers: writers},
		Deploy{Writers: writers},
		GitHubDispatchWorkflow{P: p},
		GitHubResolveAlert{P: p},
	}
	for _, name := range []string{keyIdentifyKind, keyRevokeKind, keyVerifyKind, keyReplaceKind, keyUsageKind, keyQuietKind, keyRetireKind, keyDiscardKind} {
		kinds = append(kinds, generic[name]("", ""))
	}
	return append(kinds, aliasKinds(generic)...)
}

// Catalog returns every kind respond knows, sorted by name, with no
// provider configured: enough to validate playbooks and print the schema.
func Catalog() step.Catalog { return CatalogWith(NewProviders(nil)) }

// CatalogWith returns every kind, with provider steps using p's clients.
func CatalogWith(p *Providers) step.Catalog {
	if p == nil {
		p = NewProviders(nil)
	}
	kinds := all(p)
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
