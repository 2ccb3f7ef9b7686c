package anthropic

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/step"
)

// adapterOf is the provider configured from the simulator's exports, as
// respond builds it.
func adapterOf(w *world) *adapter {
	env := w.sim.Env()
	return &adapter{env: plugin.New(func(k string) string { return env[k] }, nil, nil)}
}

func cred(v string) secret.Credential {
	return secret.NewCredential(Name, secret.SecretPart("key", secret.New(v)))
}

// status is the key's status in the fake's world.
func status(t *testing.T, w *world, id string) string {
	t.Helper()
	snap := w.fake.Snapshot()
	b, _ := jsonOf(snap)
	for _, k := range b.Keys {
		if k.ID == id {
			return k.Status
		}
	}
	t.Fatalf("the fake has no key %s", id)
	return ""
}

func TestPasteAndHints(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	k, err := w.fake.IssueKey(simapi.IssueRequest{Name: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "ops", Attrs: map[string]string{"kind": "admin"}})

	for _, raw := range []string{k.Value, "ANTHROPIC_API_KEY=" + k.Value, "export ANTHROPIC_API_KEY='" + k.Value + "'\n"} {
		p, ok, err := paste(raw)
		if !ok || err != nil {
			t.Fatalf("paste(%s…) = %v, %v; want an Anthropic key", raw[:16], ok, err)
		}
		if m, _ := p.Credential.Main(); m.Value().Reveal() != k.Value {
			t.Errorf("pasted the wrong value")
		}
	}
	_, ok, err := paste(admin.Value)
	if !ok || err == nil || !strings.Contains(err.Error(), "admin key") || !strings.Contains(err.Error(), "Admin keys") {
		t.Errorf("an admin key pasted = %v, %v; want it refused as an admin key, saying where to delete it", ok, err)
	}
	if _, ok, _ := paste("sk-proj-" + strings.Repeat("a", 40)); ok {
		t.Errorf("an OpenAI key is taken for Anthropic's")
	}
	if _, ok, err := paste(k.Value[:40] + " " + k.Value[40:]); !ok || err == nil {
		t.Errorf("a wrapped key = %v, %v; want it refused with what to paste", ok, err)
	}
	// Redaction reads as the Console shows the key.
	b, _ := jsonOf(w.fake.Snapshot())
	if got := Spec().Redact(secret.New(k.Value)); got != b.Keys[0].Hint {
		t.Errorf("Redact = %q, the fake's partial_key_hint %q", got, b.Keys[0].Hint)
	}
	if !hintMatches(k.Value, b.Keys[0].Hint) || hintMatches(admin.Value, b.Keys[0].Hint) {
		t.Errorf("hintMatches does not tell the key from another")
	}
}

func TestContainAndRetireChangeTheWorld(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	a := adapterOf(w)
	k, _ := w.fake.IssueKey(simapi.IssueRequest{Scope: "payments", Name: "prod"})

	info, err := a.FindByValue(ctx, "", cred(k.Value))
	if err != nil || info == nil || info.ID != k.ID || info.Scope != k.Scope || info.Owner.Type != "user" {
		t.Fatalf("FindByValue = %+v, %v; want %s in %s, made by a user", info, err, k.ID, k.Scope)
	}
	ch, _ := a.PlanRevoke(ctx, *info)
	if ch.Action != step.Update || !strings.Contains(ch.Effect, "inactive") {
		t.Errorf("PlanRevoke = %+v", ch)
	}
	ev, err := a.Revoke(ctx, *info, t.Logf)
	if err != nil || !ev.Reversible || ev.AlreadyDisabled {
		t.Fatalf("Revoke = %+v, %v", ev, err)
	}
	if got := status(t, w, k.ID); got != StatusInactive {
		t.Fatalf("after Revoke the fake's key is %s, want inactive", got)
	}
	// Inactive keys are still found by their value (a second responder,
	// a resume) and by ID, but are not "listed" as working.
	if again, err := a.FindByValue(ctx, "", cred(k.Value)); err != nil || again == nil || again.Status != StatusInactive {
		t.Errorf("FindByValue of the inactive key = %+v, %v", again, err)
	}
	if listed, err := a.Listed(ctx, *info); err != nil || listed {
		t.Errorf("Listed(inactive) = %v, %v; want false", listed, err)
	}
	if kc, err := a.Check(ctx, cred(k.Value)); err != nil || kc.State != provider.KeyDead || kc.StatusCode != 401 {
		t.Errorf("Check(inactive) = %+v, %v; want dead, 401", kc, err)
	}
	if lu, err := a.LastUsed(ctx, *info); err != nil || lu != nil {
		t.Errorf("LastUsed = %v, %v; want unknown (nil) without error", lu, err)
	}

	ret, err := a.Retire(ctx, *info)
	if err != nil || !strings.HasPrefix(ret.Method, "archived") {
		t.Fatalf("Retire = %+v, %v", ret, err)
	}
	if got := status(t, w, k.ID); got != StatusArchived {
		t.Fatalf("after Retire the fake's key is %s, want archived", got)
	}
	updates := w.count("POST", "/v1/organizations/api_keys/")
	if ret, err := a.Retire(ctx, *info); err != nil || !strings.Contains(ret.Method, "archived already") {
		t.Errorf("Retire again = %+v, %v", ret, err)
	}
	// An archived key cannot be changed: revoking it again is contained.
	if ev, err := a.Revoke(ctx, *info, t.Logf); err != nil || !ev.AlreadyDisabled || ev.Reversible {
		t.Errorf("Revoke(archived) = %+v, %v; want already disabled, not reversible", ev, err)
	}
	if n := w.count("POST", "/v1/organizations/api_keys/"); n != updates+1 {
		t.Errorf("%d updates after the second retire and revoke, want 1 (the refused revoke)", n-updates)
	}
	if _, err := a.LastUsed(ctx, provider.KeyInfo{ID: "apikey_01Unknown"}); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("LastUsed(unknown) = %v; want step.ErrNotFound", err)
	}
}

func TestAdminKeysAreNeverTakenForAPIKeys(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	a := adapterOf(w)
	admin, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "ops", Attrs: map[string]string{"kind": "admin"}})
	before := len(w.sim.Requests(0))
	for name, err := range map[string]error{
		"FindByValue": func() error { _, err := a.FindByValue(t.Context(), "", cred(admin.Value)); return err }(),
		"Check":       func() error { _, err := a.Check(t.Context(), cred(admin.Value)); return err }(),
		"Adopt": func() error {
			_, err := a.Adopt(t.Context(), provider.ReplaceRequest{Scope: admin.Scope}, cred(admin.Value))
			return err
		}(),
	} {
		if err == nil || !strings.Contains(err.Error(), "admin key") {
			t.Errorf("%s(admin key) = %v; want it refused as an admin key", name, err)
		}
	}
	if n := len(w.sim.Requests(0)) - before; n != 0 {
		t.Errorf("%d requests sent with an admin key as a key to find or check; want none", n)
	}
}

func TestAdoptAndPlanReplace(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	a := adapterOf(w)
	old, _ := w.fake.IssueKey(simapi.IssueRequest{Scope: "payments", Name: "prod"})
	other, _ := w.fake.IssueKey(simapi.IssueRequest{Scope: "research", Name: "elsewhere"})
	off, _ := w.fake.IssueKey(simapi.IssueRequest{Scope: "payments", Name: "off", Attrs: map[string]string{"status": "inactive"}})
	r := provider.ReplaceRequest{Scope: old.Scope, Name: "respond-prod-INC-1", Old: provider.KeyInfo{ID: old.ID, Scope: old.Scope}}

	ch, err := a.PlanReplace(ctx, r)
	if err != nil || ch.Action != step.Create {
		t.Fatalf("PlanReplace = %+v, %v", ch, err)
	}
	for _, want := range []string{ConsoleKeys, old.Scope, `"respond-prod-INC-1"`, `"prod"`, "same workspace"} {
		if !strings.Contains(ch.Effect, want) {
			t.Errorf("the plan does not say %s: %s", want, ch.Effect)
		}
	}
	for name, tc := range map[string]struct {
		value, want string
	}{
		"the old key":         {old.Value, "the key being replaced"},
		"another workspace's": {other.Value, "not an active key of workspace"},
		"an inactive key":     {off.Value, "not an active key of workspace"},
		"a key nobody made":   {"sk-ant-api03-" + strings.Repeat("x", 93) + "AA", "not an active key"},
	} {
		if _, err := a.Adopt(ctx, r, cred(tc.value)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Adopt(%s) = %v; want %q", name, err, tc.want)
		}
	}
	made, err := w.fake.ConsoleCreateKey("payments", "respond-prod-INC-1")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := a.Adopt(ctx, r, cred(made.Value))
	if err != nil || ev.KeyID != made.ID || !ev.Adopted || ev.Scope != old.Scope || ev.Fingerprint != secret.New(made.Value).Fingerprint() {
		t.Fatalf("Adopt(the person's key) = %+v, %v; want %s adopted", ev, err, made.ID)
	}
	if _, live, _ := w.fake.KeyStatus(made.Value, time.Now()); !live {
		t.Errorf("the adopted key does not work in the fake's world")
	}
	if _, _, err := a.Replace(ctx, r, t.Logf); err == nil || !step.IsPermanent(err) {
		t.Errorf("Replace = %v; want a permanent error: the API cannot create keys", err)
	}
}

type snapshot struct {
	Keys []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Hint   string `json:"partial_key_hint"`
	} `json:"keys"`
}

func jsonOf(v any) (snapshot, error) {
	var s snapshot
	b, err := json.Marshal(v)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}
