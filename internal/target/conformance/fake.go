package conformance

import (
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/target"
)

// neighbour is the place FakeHarness seeds in the container of every
// Place, which writes must keep.
const neighbour = "RESPOND_CONFORMANCE_NEIGHBOUR"

// RefLister is a Fake (a simapi.SecretStore) that can list where it
// holds values: with it, FakeHarness's world is the whole fake, so that a
// write to a place the suite did not name is seen.
type RefLister interface {
	// SecretRefs returns the ref of every place that holds a value now.
	SecretRefs() []string
}

// FakeHarness is the Harness of a type with a Fake and a Sample: store is
// its Fake as the simulator serves it, env the plug-in environment that
// points its writer at the simulator. The world is what store holds at
// every place it lists (RefLister), else at the places the suite named
// (the neighbour the harness seeds among them); the type's secret
// variables are the credentials that must not leak.
func FakeHarness(t testing.TB, spec *target.Spec, store simapi.SecretStore, env *plugin.Env) Harness {
	t.Helper()
	sample := spec.Sample
	if sample == nil || sample.Place == nil || sample.Ref == nil {
		t.Fatalf("%s declares a Fake but no Sample with Place and Ref: the suite cannot make its targets", spec.Type)
	}
	var (
		mu     sync.Mutex
		seeded bool
		refs   = map[string]bool{}
	)
	ref := func(tg target.Target) string {
		r := sample.Ref(tg)
		mu.Lock()
		refs[r] = true
		mu.Unlock()
		return r
	}
	h := Harness{Spec: spec, Writer: spec.New(env)}
	h.Place = func(t testing.TB, name string) target.Target {
		t.Helper()
		mu.Lock()
		seed := !seeded
		seeded = true
		mu.Unlock()
		if seed {
			r := ref(target.New(spec.Type, sample.Place(neighbour)))
			if err := store.PutSecret(r, "kept-"+randomHex(8)); err != nil {
				t.Fatalf("seed the container's neighbour %s at the fake: %v", r, err)
			}
		}
		tg := target.New(spec.Type, sample.Place(name))
		ref(tg)
		return tg
	}
	h.Holds = func(t testing.TB, tg target.Target) (string, bool) {
		return store.SecretValue(ref(tg))
	}
	h.World = func(t testing.TB) map[string]string {
		mu.Lock()
		rs := make([]string, 0, len(refs))
		for r := range refs {
			rs = append(rs, r)
		}
		mu.Unlock()
		if l, ok := store.(RefLister); ok {
			rs = append(rs, l.SecretRefs()...)
		}
		w := map[string]string{}
		for _, r := range rs {
			if v, ok := store.SecretValue(r); ok {
				w[r] = v
			}
		}
		return w
	}
	if sample.Denied != nil {
		h.Denied = func(t testing.TB, name string) target.Target {
			tg := target.New(spec.Type, sample.Denied(name))
			ref(tg)
			return tg
		}
	}
	for _, v := range spec.Env {
		if v.Secret && env.Getenv(v.Name) != "" {
			h.Secrets = append(h.Secrets, env.Getenv(v.Name))
		}
	}
	return h
}
