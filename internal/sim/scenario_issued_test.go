package sim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/providers/anthropic/anthropicsim"
	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
	"github.com/respondhq/respond/internal/targets/vaultkv/vaultsim"
)

// The scenarios whose leaked key another simulated API issues: the key is
// live, planted in every repository's secret and in the alert, and the
// inventory names it the way its provider does.
func TestIssuedScenarios(t *testing.T) {
	for _, tc := range []struct {
		scenario, secretType, provider, want string
	}{
		{"anthropic-key", "anthropic_api_key", "anthropic", "    workspace: wrkspc_"},
		{"github-token", "github_personal_access_token", "github-token", "    account: ci-bot\n    key_id: token_"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			s := start(t, Options{Scenario: tc.scenario, Repos: 3, Services: []simapi.Factory{anthropicsim.New}})
			info := s.Scenario()
			value := s.LeakedKeyValue()
			ki, ok := s.KeyIssuerFor(tc.secretType)
			if !ok {
				t.Fatalf("no issuer of %s", tc.secretType)
			}
			if _, live, known := ki.KeyStatus(value, fixedNow); !live || !known {
				t.Fatalf("the leaked key is not a live key of its issuer (live %v, known %v)", live, known)
			}
			held := 0
			for _, sec := range s.GitHub().Snapshot().Secrets {
				if sec.Name == info.SecretName && sec.Value == value {
					held++
				}
			}
			if held != len(info.Repos) || held != 3 {
				t.Errorf("%d secrets hold the leaked key, want one in each of %d repositories", held, len(info.Repos))
			}
			var alert githubsim.AlertState
			for _, a := range s.GitHub().Snapshot().Alerts {
				if a.Owner+"/"+a.Repo == info.AlertRepo && a.Number == info.AlertNumber {
					alert = a
				}
			}
			if alert.SecretType != tc.secretType || alert.Secret != value || alert.Validity != "active" {
				t.Errorf("alert %s: %+v; want an active %s alert on the leaked key", info.Alert, alert, tc.secretType)
			}
			inv := string(info.InventoryYAML(InventoryOptions{}))
			for _, want := range []string{"    provider: " + tc.provider + "\n", tc.want, "      - github-actions: {repo: acme/web, secret: " + info.SecretName + "}",
				"      - github-workflow: {repo: acme/api, workflow: deploy.yml, ref: main}"} {
				if !strings.Contains(inv, want) {
					t.Errorf("the inventory lacks %q:\n%s", want, inv)
				}
			}
			if info.LeakedFingerprint != secret.New(value).Fingerprint() {
				t.Errorf("LeakedFingerprint is not the leaked value's")
			}
			if strings.Contains(inv, value) {
				t.Errorf("the inventory holds the leaked value")
			}
		})
	}
	// Without the fake that issues its key, the scenario says so.
	if _, err := Start(t.Context(), Options{Scenario: "anthropic-key", Services: []simapi.Factory{}}); err == nil || !strings.Contains(err.Error(), "anthropic_api_key") {
		t.Errorf("anthropic-key without anthropicsim: %v; want an error naming the missing issuer", err)
	}
}

// The google-api-key scenario: the leaked key is a live Google key with
// real restrictions, held by every repository's secret, by a key of a
// Kubernetes Secret that a Deployment's pods read and by a field of a
// Vault secret, each beside a value a write must keep; the inventory
// lists all of them and parses; the live world's consumers of the stores
// run on the leaked key.
func TestGoogleAPIKeyScenario(t *testing.T) {
	services := []simapi.Factory{googlesim.New, k8ssim.New, vaultsim.New}
	s := start(t, Options{Scenario: "google-api-key", Repos: 2, Services: services})
	info := s.Scenario()
	value := s.LeakedKeyValue()
	fake := s.Service("google").(*googlesim.Server)
	if id, live, known := fake.KeyStatus(value, fixedNow); !live || !known || id != info.LeakedKeyID {
		t.Fatalf("the leaked key: %s live %v known %v; want the live key %s", id, live, known, info.LeakedKeyID)
	}
	if !strings.HasPrefix(info.LeakedKeyID, "projects/") || info.Provider != "google" || info.SecretType != googlesim.SecretType {
		t.Errorf("scenario info: key %s, provider %s, secret type %s", info.LeakedKeyID, info.Provider, info.SecretType)
	}
	// Its restrictions are real: API targets with methods, and a server
	// restriction.
	b, _ := json.Marshal(fake.Snapshot())
	var world struct {
		Keys []struct {
			Name         string                  `json:"name"`
			DisplayName  string                  `json:"displayName"`
			Restrictions *googlesim.Restrictions `json:"restrictions"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &world); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range world.Keys {
		if k.Name != info.LeakedKeyID {
			continue
		}
		found = true
		r := k.Restrictions
		if k.DisplayName != "Gemini backend" || r == nil || len(r.APITargets) != 2 || len(r.APITargets[0].Methods) != 2 ||
			r.ServerKeyRestrictions == nil || len(r.ServerKeyRestrictions.AllowedIps) != 3 {
			t.Errorf("the leaked key %q has restrictions %+v; want two API targets (one with two methods) and three IP ranges", k.DisplayName, r)
		}
	}
	if !found || len(world.Keys) != 3 {
		t.Errorf("the fake holds %d keys (the leaked one found: %v), want the leaked key and two others", len(world.Keys), found)
	}

	// The stores: the key beside a kept value, the Deployment serving it,
	// Vault at version 2.
	if len(info.Stores) != 2 {
		t.Fatalf("stores: %+v", info.Stores)
	}
	for _, p := range info.Stores {
		st := s.Service(p.Service).(simapi.SecretStore)
		if v, ok := st.SecretValue(p.Ref); !ok || v != value {
			t.Errorf("%s %s does not hold the leaked key", p.Service, p.Ref)
		}
		if v, ok := st.SecretValue(p.KeptRef); !ok || v != p.KeptValue {
			t.Errorf("%s %s holds %q, want %q", p.Service, p.KeptRef, v, p.KeptValue)
		}
		if p.Via != "" {
			if v, ok := st.(simapi.ServedStore).ServedValue(p.Ref, p.Via); !ok || v != value {
				t.Errorf("%s does not serve the leaked key from %s", p.Via, p.Ref)
			}
		}
	}
	if v := s.Service("vault").(*vaultsim.Server).Version("secret", "app/prod"); v != 2 {
		t.Errorf("secret/app/prod is at version %d, want 2", v)
	}

	// The inventory: the key by its name, GitHub's secrets, the workflow
	// and both stores; it parses.
	raw := info.InventoryYAML(InventoryOptions{Header: "# google-api-key\n"})
	inv := string(raw)
	for _, want := range []string{"    provider: google\n", "    key_id: " + info.LeakedKeyID + "\n",
		"      - github-actions: {repo: acme/web, secret: GEMINI_API_KEY}\n",
		"      - kubernetes-secret: {context: sim, namespace: prod, secret: app-keys, key: GEMINI_API_KEY, restart: [deployment/api]}\n",
		"      - vault-kv: {path: app/prod, field: GEMINI_API_KEY}\n"} {
		if !strings.Contains(inv, want) {
			t.Errorf("the inventory lacks %q:\n%s", want, inv)
		}
	}
	if strings.Contains(inv, value) {
		t.Errorf("the inventory holds the leaked value")
	}
	parsed, diags := inventory.Parse("respond.yaml", raw)
	if diags.HasErrors() {
		t.Fatalf("the inventory does not parse: %v\n%s", diags.Err(), inv)
	}
	if n := len(parsed.Credentials[0].Targets); n != 2+1+2 {
		t.Errorf("the inventory has %d targets, want 5 (two repositories, the workflow, two stores)", n)
	}

	// The live world's default consumers include the stores', up on the
	// leaked key.
	if err := s.StartLive(LiveOptions{Tick: time.Hour}); err != nil {
		t.Fatal(err)
	}
	s.StepLive()
	var stores int
	for _, c := range s.LiveState().Consumers {
		if !c.Up || c.KeyID != info.LeakedKeyID {
			t.Errorf("consumer %s: up %v on %q, want up on the leaked key", c.Name, c.Up, c.KeyID)
		}
		if c.Service != "" {
			stores++
		}
		if strings.Contains(c.Name, "  ") || strings.HasPrefix(c.Name, " ") {
			t.Errorf("consumer %q: its name has a hole where an environment would go", c.Name)
		}
	}
	if stores != 2 {
		t.Errorf("%d consumers of the stores, want 2", stores)
	}

	// Without the fake cluster, the scenario says what is missing.
	if _, err := Start(t.Context(), Options{Scenario: "google-api-key", Services: []simapi.Factory{googlesim.New, vaultsim.New}}); err == nil ||
		!strings.Contains(err.Error(), `"kubernetes"`) {
		t.Errorf("google-api-key without the fake cluster: %v; want an error naming it", err)
	}
}
