package plugins_test

import (
	"context"
	"testing"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/plugins"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/provider/conformance"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/steps"
)

// TestProvidersConform runs the conformance suite for every registered
// provider whose keys the simulator issues (its Fake, or the simulator's
// own OpenAI and GitHub halves). A provider tested against another fake
// runs the suite from its own package (AWS, against moto); a provider
// with neither fails here.
func TestProvidersConform(t *testing.T) {
	for _, spec := range provider.Specs() {
		t.Run(spec.Name, func(t *testing.T) {
			s, err := sim.Start(context.Background(), sim.Options{Seed: 5, Services: plugins.Fakes()})
			if err != nil {
				t.Fatalf("start the simulator: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			var issuer interface{}
			for _, typ := range spec.AlertTypes {
				if ki, ok := s.KeyIssuerFor(typ); ok {
					issuer = ki
					h := conformance.Harness{Spec: spec, Issuer: ki, Now: s.Now}
					env := s.Env()
					h.Providers = steps.NewProviders(plugin.New(func(k string) string { return env[k] }, nil, nil))
					h.Alert = func(t testing.TB, value, secretType string) string {
						a, err := s.LeakKey(sim.LeakRequest{Secret: value, SecretType: secretType})
						if err != nil {
							t.Fatalf("leak the key into an alert: %v", err)
						}
						return a.Alert
					}
					conformance.Run(t, h)
					break
				}
			}
			if issuer == nil {
				if spec.FakeElsewhere != "" {
					t.Skipf("%s runs the suite against %s", spec.Title, spec.FakeElsewhere)
				}
				t.Fatalf("the simulator issues no %s keys: give the provider a Fake (simapi.KeyIssuer) for its secret types %v", spec.Title, spec.AlertTypes)
			}
		})
	}
}
