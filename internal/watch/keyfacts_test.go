package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"

	_ "github.com/respondhq/respond/internal/plugins"
)

// startSim starts the simulator and returns it with a GitHub client and
// the providers of its world.
func startSim(t *testing.T, opts sim.Options) (*sim.Sim, *githubapi.Client, *provider.Set) {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	s, err := sim.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	env := s.Env()
	getenv := func(k string) string { return env[k] }
	penv := plugin.New(getenv, secret.NewRegistry(), func() string { return t.TempDir() })
	gh, err := githubapi.Shared(penv)
	if err != nil {
		t.Fatal(err)
	}
	return s, gh, provider.NewSet(penv)
}

func loadInv(t *testing.T, path string) func() (*inventory.Inventory, error) {
	return func() (*inventory.Inventory, error) {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		inv, diags := inventory.Parse(path, src)
		if diags.HasErrors() {
			t.Fatalf("inventory: %v", diags.Err())
		}
		return inv, nil
	}
}

// The inventory names the scenario's leaked key (by project and key name,
// found from the alert's value through the provider), and names no key
// made afterwards; the policy sees which.
func TestKeyFactsInInventory(t *testing.T) {
	s, gh, ps := startSim(t, sim.Options{})
	inv := filepath.Join(t.TempDir(), "respond.yaml")
	if err := s.WriteInventory(inv); err != nil {
		t.Fatal(err)
	}
	k := &KeyFacts{Inventory: loadInv(t, inv), Providers: ps}
	info := s.Scenario()
	r, _ := ParseRef(info.Alert)
	a, err := gh.AlertState(t.Context(), r.Owner, r.Repo, r.Number)
	if err != nil {
		t.Fatal(err)
	}
	named, cred, err := k.InInventory(t.Context(), a)
	if err != nil || !named || cred != "openai-production" {
		t.Fatalf("InInventory(scenario's alert) = %v, %q, %v; want true, openai-production", named, cred, err)
	}
	f := k.Facts(a)
	if f.Provider != "openai" || f.Repo != info.AlertRepo || f.Validity != "active" {
		t.Fatalf("facts = %+v", f)
	}
	title, red := k.Describe(a)
	if title != "OpenAI API key" || red == "" || len(red) > 20 || red == a.Secret.Reveal() {
		t.Fatalf("Describe = %q, %q", title, red)
	}

	// A key no credential names.
	st := s.OpenAI().Snapshot()
	owner := ""
	for _, key := range st.Keys {
		if key.ID == info.LeakedKeyID {
			owner = key.OwnerID
		}
	}
	other, err := s.OpenAI().AddUserKey(info.ProjectID, "laptop", owner, time.Now().Add(-time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	la, err := s.LeakKey(sim.LeakRequest{KeyID: other.ID, Repo: "web"})
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := ParseRef(la.Alert)
	a2, err := gh.AlertState(t.Context(), r2.Owner, r2.Repo, r2.Number)
	if err != nil {
		t.Fatal(err)
	}
	if named, cred, err := k.InInventory(t.Context(), a2); err != nil || named {
		t.Fatalf("InInventory(another key) = %v, %q, %v; want false", named, cred, err)
	}
}
