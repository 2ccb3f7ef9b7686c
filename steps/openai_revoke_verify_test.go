package steps_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/openaiapi"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

func TestRevokeUserKey(t *testing.T) {
	w := newOAIWorld(t, nil)
	k := (w.p).Kind("openai.revoke_key")
	ctx := context.Background()
	params := map[string]any{"project": "proj_prod", "key_id": w.alice.ID, "owner_type": "user"}

	plan, err := k.Plan(ctx, w.call(params))
	want := step.Change{Action: step.Delete, Target: "OpenAI key " + w.alice.ID + " (prod-backend)", Effect: "revoke: delete the project API key"}
	if err != nil || len(plan) != 1 || plan[0] != want {
		t.Errorf("plan: %+v, %v; want %+v", plan, err, want)
	}
	if !w.sim.IsLive(w.alice.Value.Reveal()) {
		t.Fatal("planning revoked the key")
	}

	res, err := k.Apply(ctx, w.call(params))
	w.noLeak(t, k, res, err)
	if err != nil {
		t.Fatal(err)
	}
	if res.Evidence["contained"] != true || res.Evidence["already_disabled"] != false || res.Evidence["method"] != "delete project key" ||
		res.Evidence["revoked_at"] == "" || res.Outputs["already_disabled"] != false {
		t.Errorf("evidence %v, outputs %v", res.Evidence, res.Outputs)
	}
	if st := w.keyState(w.alice.ID); st.Status != "revoked" || st.RevokedReason != "deleted" {
		t.Errorf("the key is %s (%s), want revoked (deleted)", st.Status, st.RevokedReason)
	}
	// GET /v1/models with the old key: 401 invalid_api_key.
	kc, err := w.client.CheckKey(ctx, w.alice.Value)
	if err != nil || kc.State != openaiapi.KeyDead || kc.Code != "invalid_api_key" {
		t.Errorf("after revoke: %+v, %v", kc, err)
	}
	if !w.sim.IsLive(w.saKey.Value.Reveal()) || !w.sim.IsLive(w.bob.Value.Reveal()) {
		t.Error("revoking one key killed another")
	}

	// Applying again: already gone counts as contained.
	res, err = k.Apply(ctx, w.call(params))
	w.noLeak(t, k, res, err)
	if err != nil || res.Evidence["already_disabled"] != true || res.Evidence["contained"] != true ||
		!strings.Contains(res.Summary, "was already revoked or disabled") {
		t.Errorf("again: %v, %v", res, err)
	}
}

func TestRevokeServiceAccountKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params func(w *oaiWorld) map[string]any
	}{
		{"as identified", func(w *oaiWorld) map[string]any {
			return map[string]any{"project": "proj_prod", "key_id": w.saKey.ID, "owner_type": "service_account", "service_account_id": w.sa.ID}
		}},
		{"owner looked up", func(w *oaiWorld) map[string]any {
			return map[string]any{"project": "proj_prod", "key_id": w.saKey.ID}
		}},
		{"mistaken for a user's (400, then lookup)", func(w *oaiWorld) map[string]any {
			return map[string]any{"project": "proj_prod", "key_id": w.saKey.ID, "owner_type": "user"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newOAIWorld(t, nil)
			k := (w.p).Kind("openai.revoke_key")
			params := tc.params(w)
			plan, err := k.Plan(context.Background(), w.call(params))
			if err != nil || len(plan) != 1 || plan[0].Effect != "revoke: delete service account "+w.sa.ID+" and its keys" {
				t.Errorf("plan: %+v, %v", plan, err)
			}
			res, err := k.Apply(context.Background(), w.call(params))
			w.noLeak(t, k, res, err)
			if err != nil {
				t.Fatal(err)
			}
			var ev evidence.Revoked
			if !evidence.Decode(res.Evidence, &ev) || ev.Method != "delete service account" || ev.Principal != w.sa.ID ||
				ev.AlreadyDisabled || !ev.Contained {
				t.Errorf("evidence %+v", ev)
			}
			if len(w.serviceAccounts("proj_prod", "deployer")) != 0 {
				t.Error("the service account still exists")
			}
			if w.sim.IsLive(w.saKey.Value.Reveal()) {
				t.Error("the service account's key still works")
			}
			if !strings.Contains(res.Summary, w.sa.ID) {
				t.Errorf("summary %q", res.Summary)
			}
		})
	}
}

func TestRevokeAlreadyDisabled(t *testing.T) {
	w := newOAIWorld(t, nil)
	oaiCheck(t, w.sim.RevokeKey(w.alice.ID))
	k := (w.p).Kind("openai.revoke_key")
	for _, params := range []map[string]any{
		{"project": "proj_prod", "key_id": w.alice.ID, "owner_type": "user"},
		{"project": "proj_prod", "key_id": w.alice.ID},
	} {
		plan, err := k.Plan(context.Background(), w.call(params))
		if err != nil || len(plan) != 1 || plan[0].Action != step.NoOp {
			t.Errorf("plan of a gone key: %+v, %v", plan, err)
		}
		res, err := k.Apply(context.Background(), w.call(params))
		w.noLeak(t, k, res, err)
		if err != nil {
			t.Fatal(err)
		}
		if res.Evidence["already_disabled"] != true || res.Evidence["contained"] != true || res.Outputs["already_disabled"] != true ||
			!strings.Contains(res.Summary, "was already revoked or disabled") {
			t.Errorf("%v: %v, %q", params, res.Evidence, res.Summary)
		}
	}
	// Known to be gone (identify found its value dead and unlisted),
	// even without an ID: nothing is deleted.
	before := len(w.sim.Snapshot().Keys)
	res0, err := k.Apply(context.Background(), w.call(map[string]any{"already_gone": true}))
	if err != nil || res0.Evidence["already_disabled"] != true || !strings.Contains(res0.Summary, "the leaked key was already revoked or disabled") {
		t.Errorf("already_gone without an ID: %+v, %v", res0, err)
	}
	if after := len(w.sim.Snapshot().Keys); after != before {
		t.Errorf("keys changed: %d -> %d", before, after)
	}
	// A gone service account too.
	oaiCheck(t, w.sim.DeleteServiceAccount(w.sa.ID, time.Now()))
	res, err := k.Apply(context.Background(), w.call(map[string]any{
		"project": "proj_prod", "key_id": w.saKey.ID, "owner_type": "service_account", "service_account_id": w.sa.ID}))
	if err != nil || res.Evidence["already_disabled"] != true || res.Evidence["method"] != "delete service account" {
		t.Errorf("gone service account: %v, %v", res, err)
	}

	_, err = k.Apply(context.Background(), w.call(map[string]any{"project": "proj_prod"}))
	oaiWantBadInput(t, err, "key_id")
	_, err = k.Apply(context.Background(), w.call(map[string]any{"project": "proj_prod", "key_id": "key_x", "owner_type": "Robot Owner"}))
	oaiWantBadInput(t, err, "Robot Owner")
}

func TestVerifyKey(t *testing.T) {
	w := newOAIWorld(t, nil)
	k := (w.p).Kind("openai.verify_key")
	ctx := context.Background()

	// A live key, expected live.
	res, err := k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value, "expect": "live", "within": time.Second}))
	w.noLeak(t, k, res, err)
	var cev evidence.Checked
	if err != nil || !evidence.Decode(res.Evidence, &cev) || cev.State != "live" || cev.StatusCode != 200 || cev.Checks != 1 ||
		cev.Method != "GET /v1/models" || cev.VerifiedAt == "" {
		t.Fatalf("live: %v, %v", res, err)
	}

	// A live key expected dead: keeps checking until within, then fails.
	began := time.Now()
	res, err = k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value, "expect": "dead", "within": 700 * time.Millisecond}))
	w.noLeak(t, k, res, err)
	if err == nil || !strings.Contains(err.Error(), "still works after 700ms") || !strings.Contains(err.Error(), "respond resume") {
		t.Errorf("live key expected dead: %v", err)
	}
	// It must not give up early; how late it gives up depends on the
	// machine, so only the lower bound is checked.
	if d := time.Since(began); d < 700*time.Millisecond {
		t.Errorf("gave up after %v; within was 700ms", d)
	}
	if !strings.Contains(err.Error(), "checks") || strings.Contains(err.Error(), "(1 checks") {
		t.Errorf("it did not check more than once: %v", err)
	}

	// Revocation propagates while the step waits.
	go func() {
		time.Sleep(400 * time.Millisecond)
		_ = w.sim.RevokeKey(w.alice.ID)
	}()
	res, err = k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value, "expect": "dead", "within": 10 * time.Second}))
	w.noLeak(t, k, res, err)
	if err != nil {
		t.Fatal(err)
	}
	var dev evidence.Checked
	evidence.Decode(res.Evidence, &dev)
	if dev.State != "dead" || dev.Code != "invalid_api_key" || dev.StatusCode != 401 {
		t.Errorf("dead: %v", res.Evidence)
	}
	if dev.Checks < 2 {
		t.Errorf("dead after %d checks; the key was revoked after 400ms", dev.Checks)
	}

	// A dead key expected live fails at once when within is 0.
	_, err = k.Apply(ctx, w.call(map[string]any{"key": w.alice.Value, "expect": "live", "within": time.Duration(0)}))
	if err == nil || !strings.Contains(err.Error(), "does not work") || !strings.Contains(err.Error(), "invalid_api_key") {
		t.Errorf("dead key expected live: %v", err)
	}
	w.noLeak(t, k, nil, err)

	// A restricted key is live, never dead.
	oaiCheck(t, w.sim.SetRestricted(w.bob.ID))
	res, err = k.Apply(ctx, w.call(map[string]any{"key": w.bob.Value, "expect": "live", "within": time.Second}))
	if err != nil || res.Evidence["state"] != "restricted" || !strings.Contains(res.Summary, "restricted") {
		t.Errorf("restricted expected live: %v, %v", res, err)
	}
	_, err = k.Apply(ctx, w.call(map[string]any{"key": w.bob.Value, "expect": "dead", "within": 300 * time.Millisecond}))
	if err == nil || !strings.Contains(err.Error(), "still works") {
		t.Errorf("restricted expected dead: %v", err)
	}
	w.noLeak(t, k, nil, err)

	// Without the value: look the key up.
	res, err = k.Apply(ctx, w.call(map[string]any{"project": "proj_prod", "key_id": w.alice.ID, "expect": "dead"}))
	var lev evidence.Checked
	if err != nil || !evidence.Decode(res.Evidence, &lev) || lev.Method != "key lookup" || lev.State != "dead" {
		t.Errorf("lookup of a revoked key: %v, %v", res, err)
	}
	_, err = k.Apply(ctx, w.call(map[string]any{"project": "proj_dev", "key_id": w.bob.ID, "expect": "dead", "within": 300 * time.Millisecond}))
	if err == nil || !strings.Contains(err.Error(), "still listed") {
		t.Errorf("lookup of a live key expected dead: %v", err)
	}

	// Plans.
	plan, err := k.Plan(ctx, w.call(map[string]any{"key": w.alice.Value, "expect": "dead"}))
	if err != nil || plan[0] != (step.Change{Action: step.Read, Target: "GET /v1/models with the old key", Effect: "expect 401 invalid_api_key"}) {
		t.Errorf("plan: %+v, %v", plan, err)
	}
	plan, err = k.Plan(ctx, w.call(map[string]any{"key": w.alice.Value, "expect": "live"}))
	if err != nil || plan[0] != (step.Change{Action: step.Read, Target: "GET /v1/models with the new key", Effect: "expect 200"}) {
		t.Errorf("plan: %+v, %v", plan, err)
	}
	_, err = k.Plan(ctx, w.call(map[string]any{"expect": "dead"}))
	oaiWantBadInput(t, err, "key_id")
	_, err = k.Plan(ctx, w.call(map[string]any{"key": w.alice.Value, "expect": "alive"}))
	oaiWantBadInput(t, err, "alive")
}

// With the key's name and owner from identify, the plan names the key
// without asking OpenAI again: one round trip less before the revoke.
func TestRevokePlanWithoutRead(t *testing.T) {
	w := newOAIWorld(t, nil)
	var asked atomic.Int64
	counting, err := openaiapi.New(openaiapi.Config{BaseURL: w.url, AdminKey: w.admin.Value, HTTPClient: &http.Client{
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			asked.Add(1)
			return http.DefaultTransport.RoundTrip(r)
		})}})
	oaiCheck(t, err)
	p := steps.ProvidersWith(nil, map[string]any{openaiapi.SharedKey: counting})
	ctx := context.Background()
	for _, tc := range []struct {
		params map[string]any
		want   step.Change
	}{
		{map[string]any{"project": "proj_prod", "key_id": w.alice.ID, "owner_type": "user", "key_name": "prod-backend"},
			step.Change{Action: step.Delete, Target: "OpenAI key " + w.alice.ID + " (prod-backend)", Effect: "revoke: delete the project API key"}},
		{map[string]any{"project": "proj_prod", "key_id": w.saKey.ID, "owner_type": "service_account", "service_account_id": w.sa.ID, "key_name": "deployer-key"},
			step.Change{Action: step.Delete, Target: "OpenAI key " + w.saKey.ID + " (deployer-key)", Effect: "revoke: delete service account " + w.sa.ID + " and its keys"}},
	} {
		plan, err := (p).Kind("openai.revoke_key").Plan(ctx, w.call(tc.params))
		if err != nil || len(plan) != 1 || plan[0] != tc.want {
			t.Errorf("plan %+v, %v; want %+v", plan, err, tc.want)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("the plan sent %d request(s) to OpenAI", n)
	}
	// Without the name it still reads the key.
	if _, err := (p).Kind("openai.revoke_key").Plan(ctx, w.call(map[string]any{"project": "proj_prod", "key_id": w.alice.ID, "owner_type": "user"})); err != nil || asked.Load() != 1 {
		t.Errorf("without key_name: %d request(s), %v", asked.Load(), err)
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
