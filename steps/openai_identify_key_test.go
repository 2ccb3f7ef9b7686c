package steps_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/openaiapi"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

func TestIdentifyKeyByID(t *testing.T) {
	w := newOAIWorld(t, nil)
	k := (w.p).Kind("openai.identify_key")
	ctx := context.Background()

	for _, project := range []string{"proj_prod", ""} {
		c := w.call(map[string]any{"project": project, "key_id": w.alice.ID})
		res, err := k.Apply(ctx, c)
		w.noLeak(t, k, res, err)
		if err != nil {
			t.Fatalf("project %q: %v", project, err)
		}
		want := map[string]any{
			"project": "proj_prod", "project_name": "Production", "key_id": w.alice.ID, "key_name": "prod-backend",
			"redacted": w.alice.Redacted, "owner_type": "user", "owner_id": "user_alice", "owner_name": "Alice",
			"owner_email": "alice@example.com", "service_account_id": "", "created": "2026-03-01T10:00:00Z",
			"last_used": "2026-03-03T09:00:00Z", "fingerprint": "", "alert": "", "exposed_since": "",
			"leak_source": "", "already_gone": false,
		}
		for name, v := range want {
			if res.Outputs[name] != v {
				t.Errorf("project %q: output %s = %#v, want %#v", project, name, res.Outputs[name], v)
			}
		}
		var ev evidence.Identified
		if !evidence.Decode(res.Evidence, &ev) || ev.Scope != "proj_prod" || ev.ScopeName != "Production" || ev.KeyID != w.alice.ID ||
			ev.Owner.Email != "alice@example.com" || ev.Provider != "openai" || ev.ScopeKind != "project" || ev.AlreadyGone {
			t.Errorf("project %q: evidence %+v", project, ev)
		}
		if v, ok := res.Outputs["key"].(secret.Value); !ok || !v.IsZero() {
			t.Errorf("the key output should be an empty secret when no value was given: %#v", res.Outputs["key"])
		}
		for _, frag := range []string{w.alice.ID, `"prod-backend"`, "Production (proj_prod)", "user alice@example.com", "last used 2026-03-03T09:00:00Z"} {
			if !strings.Contains(res.Summary, frag) {
				t.Errorf("summary %q lacks %q", res.Summary, frag)
			}
		}
	}

	// A never-used service-account key.
	c := w.call(map[string]any{"project": "proj_prod", "key_id": w.saKey.ID})
	res, err := k.Apply(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["owner_type"] != "service_account" || res.Outputs["service_account_id"] != w.sa.ID ||
		res.Outputs["last_used"] != "" || !strings.Contains(res.Summary, "never used") {
		t.Errorf("service account key: %v, %q", res.Outputs, res.Summary)
	}

	// Unknown key and unknown project.
	_, err = k.Apply(ctx, w.call(map[string]any{"project": "proj_prod", "key_id": "key_typo"}))
	oaiWantBadInput(t, err, "key_typo", "proj_prod", "--key-stdin")
	_, err = k.Apply(ctx, w.call(map[string]any{"key_id": w.bob.ID, "project": "proj_nope"}))
	oaiWantBadInput(t, err, "proj_nope")

	plan, err := k.Plan(ctx, w.call(map[string]any{"key_id": w.alice.ID}))
	if err != nil || len(plan) != 1 || plan[0] != (step.Change{Action: step.Read, Target: "OpenAI keys", Effect: "find the leaked key"}) {
		t.Errorf("plan: %+v, %v", plan, err)
	}
}

func TestIdentifyKeyByValue(t *testing.T) {
	w := newOAIWorld(t, nil)
	k := (w.p).Kind("openai.identify_key")
	ctx := context.Background()

	c := w.call(map[string]any{"key": w.bob.Value})
	res, err := k.Apply(ctx, c)
	w.noLeak(t, k, res, err)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["key_id"] != w.bob.ID || res.Outputs["project"] != "proj_dev" || res.Outputs["owner_email"] != "bob@example.com" {
		t.Errorf("outputs: %v", res.Outputs)
	}
	if v, ok := res.Outputs["key"].(secret.Value); !ok || !v.Equal(w.bob.Value) {
		t.Errorf("the key output is not the leaked value")
	}
	if res.Outputs["fingerprint"] != w.bob.Value.Fingerprint() || res.Evidence["fingerprint"] != w.bob.Value.Fingerprint() {
		t.Errorf("fingerprint %v", res.Outputs["fingerprint"])
	}
	if !c.Secrets.Contains(w.bob.Value.Reveal()) {
		t.Error("the leaked value was not registered for masking")
	}

	// A plain string (a value piped on stdin) works too, in one project.
	res, err = k.Apply(ctx, w.call(map[string]any{"key": w.saKey.Value.Reveal(), "project": "proj_prod"}))
	w.noLeak(t, k, res, err)
	if err != nil || res.Outputs["key_id"] != w.saKey.ID || res.Outputs["service_account_id"] != w.sa.ID {
		t.Errorf("service account key by value: %v, %v", res, err)
	}

	// The value and the ID must agree.
	_, err = k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value, "key_id": w.saKey.ID, "project": "proj_prod"}))
	oaiWantBadInput(t, err, w.saKey.ID, "is not key")
	w.noLeak(t, k, nil, err)
	res, err = k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value, "key_id": w.alice.ID}))
	if err != nil || res.Outputs["key_id"] != w.alice.ID || res.Outputs["fingerprint"] != w.alice.Value.Fingerprint() {
		t.Errorf("value with its ID: %v, %v", res, err)
	}

	// Bad input.
	_, err = k.Apply(ctx, w.call(map[string]any{}))
	oaiWantBadInput(t, err, "--key-id", "--alert", "--key-stdin")
	_, err = k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value, "alert": "acme/api#1"}))
	oaiWantBadInput(t, err, "both")
	_, err = k.Apply(ctx, w.call(map[string]any{"alert": "acme/api/1"}))
	oaiWantBadInput(t, err, "OWNER/REPO#N")
	_, err = k.Plan(ctx, w.call(map[string]any{"project": "proj_prod"}))
	oaiWantBadInput(t, err)
}

func TestIdentifyKeyAmbiguous(t *testing.T) {
	w := newOAIWorld(t, oaiSameTailRand{})
	twin, err := w.sim.AddUserKey("proj_dev", "twin", "user_bob", oaiT0.Add(5*time.Hour), nil)
	oaiCheck(t, err)
	w.secrets = append(w.secrets, twin.Value)
	if twin.Redacted != w.alice.Redacted || twin.Value.Equal(w.alice.Value) {
		t.Fatalf("the crafted keys do not share a redacted value: %s, %s", twin.Redacted, w.alice.Redacted)
	}
	k := (w.p).Kind("openai.identify_key")
	res, err := k.Apply(context.Background(), w.call(map[string]any{"key": w.alice.Value}))
	w.noLeak(t, k, res, err)
	oaiWantBadInput(t, err, "matches 3 keys", w.alice.ID, twin.ID, w.bob.ID, "prod-backend", "twin", "proj_prod", "proj_dev", "--key-id")
	if strings.Contains(err.Error(), "bad input") {
		t.Errorf("the message ends in the sentinel's text: %v", err)
	}

	// In one project, or with its ID, it is not ambiguous.
	res, err = k.Apply(context.Background(), w.call(map[string]any{"key": w.alice.Value, "project": "proj_prod"}))
	if err != nil || res.Outputs["key_id"] != w.alice.ID {
		t.Errorf("in proj_prod: %v, %v", res, err)
	}
}

func TestIdentifyKeyNoMatch(t *testing.T) {
	w := newOAIWorld(t, nil)
	k := (w.p).Kind("openai.identify_key")
	ctx := context.Background()
	stranger := secret.New("sk-proj-" + strings.Repeat("Z", 148) + "QQQQ")

	// Unknown and not working: already gone, though nobody knows its ID
	// (the inventory may know its fingerprint).
	res, err := k.Apply(ctx, w.call(map[string]any{"key": stranger}))
	w.noLeak(t, k, res, err, stranger)
	if err != nil || res.Outputs["already_gone"] != true || res.Outputs["key_id"] != "" || res.Outputs["fingerprint"] != stranger.Fingerprint() ||
		!strings.Contains(res.Summary, "already revoked or disabled") {
		t.Fatalf("a dead unknown value: %v, %+v", err, res)
	}

	// The provider disabled the key: it is no longer listed, and dead.
	oaiCheck(t, w.sim.RevokeKey(w.alice.ID))
	res, err = k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value}))
	if err != nil || res.Outputs["already_gone"] != true {
		t.Fatalf("a disabled key by value: %v, %+v", err, res)
	}
	res, err = k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value, "key_id": w.alice.ID, "project": "proj_prod"}))
	w.noLeak(t, k, res, err)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["already_gone"] != true || res.Evidence["already_gone"] != true || res.Outputs["key_id"] != w.alice.ID ||
		res.Outputs["project"] != "proj_prod" || res.Outputs["fingerprint"] != w.alice.Value.Fingerprint() ||
		res.Outputs["redacted"] != w.alice.Redacted {
		t.Errorf("already gone: %v", res.Outputs)
	}
	if !strings.Contains(res.Summary, "already revoked or disabled") {
		t.Errorf("summary %q", res.Summary)
	}

	// Re-applied by the engine after its own revocation: the earlier
	// identification stands.
	first, err := k.Apply(ctx, w.call(map[string]any{"key": w.bob.Value}))
	oaiCheck(t, err)
	oaiCheck(t, w.client.DeleteProjectKey(ctx, "proj_dev", w.bob.ID))
	c := w.call(map[string]any{"key": w.bob.Value})
	c.Previous = first
	res, err = k.Apply(ctx, c)
	w.noLeak(t, k, res, err)
	if err != nil || res.Outputs["key_id"] != w.bob.ID || res.Outputs["key_name"] != "laptop" || res.Outputs["already_gone"] != false {
		t.Errorf("re-applied: %v, %v", res, err)
	}
	if v, ok := res.Outputs["key"].(secret.Value); !ok || !v.Equal(w.bob.Value) {
		t.Error("re-applied: no key output")
	}
}

func TestIdentifyKeyByAlert(t *testing.T) {
	w := newOAIWorld(t, nil)
	gs := githubsim.New(githubsim.Options{})
	oaiCheck(t, gs.AddOrg("acme", 9001))
	oaiCheck(t, gs.AddRepo("acme", "api", 1001, true))
	const tok = "ghp_openai_steps_token_0000000000000000"
	gs.AddToken(tok, "alice", githubsim.AllPermissions)
	created := oaiT0.Add(72 * time.Hour)
	n := gs.AddAlert("acme", "api", "openai_api_key", w.alice.Value.Reveal(), created, []githubsim.Location{
		{Path: "deploy/.env", StartLine: 4, EndLine: 4, StartColumn: 16, EndColumn: 180, BlobSHA: "b10b", CommitSHA: "c0ffee"},
	})
	other := gs.AddAlert("acme", "api", "github_personal_access_token", "ghp_not_an_openai_key_000000000000000", created, nil)
	gsrv := httptest.NewServer(gs)
	t.Cleanup(gsrv.Close)
	gh, err := githubapi.New(githubapi.Config{BaseURL: gsrv.URL, Token: secret.New(tok)})
	oaiCheck(t, err)
	w.p.Env.Provide(githubapi.SharedKey, gh)
	w.secrets = append(w.secrets, secret.New(tok))

	k := (w.p).Kind("openai.identify_key")
	c := w.call(map[string]any{"alert": "acme/api#" + strconv.Itoa(n)})
	res, err := k.Apply(context.Background(), c)
	w.noLeak(t, k, res, err)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["key_id"] != w.alice.ID || res.Outputs["alert"] != "acme/api#"+strconv.Itoa(n) ||
		res.Outputs["exposed_since"] != "2026-03-04T09:00:00Z" || res.Outputs["fingerprint"] != w.alice.Value.Fingerprint() {
		t.Errorf("outputs: %v", res.Outputs)
	}
	if src, _ := res.Outputs["leak_source"].(string); !strings.Contains(src, "deploy/.env:4") || !strings.Contains(src, "c0ffee") {
		t.Errorf("leak_source %q", src)
	}
	if v, ok := res.Outputs["key"].(secret.Value); !ok || !v.Equal(w.alice.Value) {
		t.Error("the key output is not the alert's secret")
	}
	if !c.Secrets.Contains(w.alice.Value.Reveal()) {
		t.Error("the alert's secret was not registered for masking")
	}
	if !strings.Contains(res.Summary, "alert acme/api#"+strconv.Itoa(n)) {
		t.Errorf("summary %q", res.Summary)
	}

	_, err = k.Apply(context.Background(), w.call(map[string]any{"alert": "acme/api#" + strconv.Itoa(other)}))
	oaiWantBadInput(t, err, "github_personal_access_token")
	_, err = k.Apply(context.Background(), w.call(map[string]any{"alert": "acme/api#99"}))
	oaiWantBadInput(t, err, "acme/api#99", "not found")

	// Without GitHub configured, the error says what to set.
	k = steps.ProvidersWith(nil, map[string]any{openaiapi.SharedKey: w.client}).Kind("openai.identify_key")
	_, err = k.Apply(context.Background(), w.call(map[string]any{"alert": "acme/api#1"}))
	if err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Errorf("no GitHub: %v", err)
	}
}

func TestOpenAINotConfigured(t *testing.T) {
	for _, k := range []step.Kind{steps.NewProviders(nil).Kind("openai.identify_key"), steps.NewProviders(nil).Kind("openai.revoke_key"), steps.NewProviders(nil).Kind("openai.verify_key"), steps.NewProviders(nil).Kind("openai.create_replacement")} {
		c := &step.Call{Incident: oaiIncident, Params: map[string]any{
			"key_id": "key_x", "project": "proj_x", "expect": "dead", "name": "respond-x-" + oaiIncident,
		}, Secrets: secret.NewRegistry()}
		_, err := k.Apply(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), "OPENAI_ADMIN_KEY") || !step.IsPermanent(err) {
			t.Errorf("%s without OpenAI: %v", k.Spec().Kind, err)
		}
	}
}
