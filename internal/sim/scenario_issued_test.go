package sim

import (
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/providers/anthropic/anthropicsim"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
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
