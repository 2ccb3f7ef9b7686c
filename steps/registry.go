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

// all lists every kind respond knows. Register new kinds here.
func all() []step.Kind {
	return []step.Kind{
		Approve{},
		Exec{},
		Note{},
	}
}

// Catalog returns every kind respond knows, sorted by name.
func Catalog() step.Catalog {
	c, err := NewCatalog(all()...)
	if err != nil {
		// all() is static and TestCatalog checks it; fall back to a
		// catalog without the duplicates rather than failing.
		return newCatalog(all())
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
