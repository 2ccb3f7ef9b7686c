package steps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/evidence"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

const oaiReplacementName = "respond-prod-backend-" + oaiIncident

func TestCreateReplacement(t *testing.T) {
	w := newOAIWorld(t, nil)
	k := (w.p).Kind("openai.create_replacement")
	ctx := context.Background()
	params := map[string]any{"project": "proj_prod", "name": oaiReplacementName}

	plan, err := k.Plan(ctx, w.call(params))
	want := step.Change{Action: step.Create, Target: "OpenAI project proj_prod service account " + oaiReplacementName,
		Effect: "create a service account; its key is the replacement"}
	if err != nil || len(plan) != 1 || plan[0] != want {
		t.Errorf("plan %+v, %v", plan, err)
	}

	c := w.call(params)
	res, err := k.Apply(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := res.Outputs["key"].(secret.Value)
	if !ok || key.IsZero() {
		t.Fatalf("no key output: %v", res.Outputs)
	}
	w.noLeak(t, k, res, err, key)
	if !c.Secrets.Contains(key.Reveal()) {
		t.Error("the new key was not registered for masking")
	}
	if !w.sim.IsLive(key.Reveal()) || !strings.HasPrefix(key.Reveal(), "sk-svcacct-") {
		t.Error("the replacement key does not work")
	}
	sas := w.serviceAccounts("proj_prod", oaiReplacementName)
	if len(sas) != 1 || res.Outputs["service_account_id"] != sas[0].ID || res.Outputs["service_account_name"] != oaiReplacementName {
		t.Fatalf("service accounts %+v, outputs %v", sas, res.Outputs)
	}
	if kid, _ := res.Outputs["key_id"].(string); w.keyState(kid).OwnerID != sas[0].ID {
		t.Errorf("key_id %q is not the service account's key", kid)
	}
	var ev evidence.Created
	if !evidence.Decode(res.Evidence, &ev) || len(ev.DeletedLeftovers) != 0 || ev.CreatedAt == "" || ev.Principal.ID != sas[0].ID ||
		ev.Principal.Type != "service_account" || ev.Fingerprint != key.Fingerprint() {
		t.Errorf("evidence %+v", ev)
	}

	// Re-applied (the value is not kept across runs): the earlier account
	// goes, and so does a leftover of a crashed attempt; one remains.
	_, leftoverKey, err := w.sim.AddServiceAccount("proj_prod", oaiReplacementName, time.Now())
	oaiCheck(t, err)
	_, unrelatedKey, err := w.sim.AddServiceAccount("proj_prod", "respond-prod-backend-INC-OTHER", time.Now())
	oaiCheck(t, err)
	c2 := w.call(params)
	c2.Previous = res
	res2, err := k.Apply(ctx, c2)
	if err != nil {
		t.Fatal(err)
	}
	key2 := res2.Outputs["key"].(secret.Value)
	w.noLeak(t, k, res2, err, key, key2, leftoverKey.Value, unrelatedKey.Value)
	if w.sim.IsLive(key.Reveal()) || w.sim.IsLive(leftoverKey.Value.Reveal()) {
		t.Error("an earlier replacement still works")
	}
	if !w.sim.IsLive(key2.Reveal()) || !w.sim.IsLive(unrelatedKey.Value.Reveal()) || !w.sim.IsLive(w.saKey.Value.Reveal()) {
		t.Error("the new replacement, or an unrelated service account, does not work")
	}
	sas = w.serviceAccounts("proj_prod", oaiReplacementName)
	if len(sas) != 1 || sas[0].ID != res2.Outputs["service_account_id"] {
		t.Errorf("service accounts named %s: %+v", oaiReplacementName, sas)
	}
	var ev2 evidence.Created
	if !evidence.Decode(res2.Evidence, &ev2) || len(ev2.DeletedLeftovers) != 2 {
		t.Errorf("deleted leftovers %v, want 2", ev2.DeletedLeftovers)
	}
}

func TestCreateReplacementReconcile(t *testing.T) {
	w := newOAIWorld(t, nil)
	k := (w.p).Kind("openai.create_replacement")
	ctx := context.Background()
	params := map[string]any{"project": "proj_prod", "name": oaiReplacementName}
	var lost []secret.Value
	for range 2 {
		_, key, err := w.sim.AddServiceAccount("proj_prod", oaiReplacementName, time.Now())
		oaiCheck(t, err)
		lost = append(lost, key.Value)
	}
	res, done, err := k.(step.Reconciler).Reconcile(ctx, w.call(params))
	if err != nil || done || res != nil {
		t.Fatalf("Reconcile: %v, %v, %v; want not done", res, done, err)
	}
	if n := len(w.serviceAccounts("proj_prod", oaiReplacementName)); n != 0 {
		t.Errorf("%d leftovers remain", n)
	}
	for _, v := range lost {
		if w.sim.IsLive(v.Reveal()) {
			t.Error("a leftover key still works")
		}
	}
	if !w.sim.IsLive(w.saKey.Value.Reveal()) {
		t.Error("Reconcile deleted an unrelated service account")
	}
	res, err = k.Apply(ctx, w.call(params))
	if err != nil {
		t.Fatal(err)
	}
	w.noLeak(t, k, res, err, append(lost, res.Outputs["key"].(secret.Value))...)
	if n := len(w.serviceAccounts("proj_prod", oaiReplacementName)); n != 1 {
		t.Errorf("%d service accounts after Apply, want 1", n)
	}
}

func TestCreateReplacementName(t *testing.T) {
	w := newOAIWorld(t, nil)
	k := (w.p).Kind("openai.create_replacement")
	ctx := context.Background()

	_, err := k.Apply(ctx, w.call(map[string]any{"project": "proj_prod", "name": "respond-replacement"}))
	oaiWantBadInput(t, err, oaiIncident, "incident")
	_, err = k.Plan(ctx, w.call(map[string]any{"name": oaiReplacementName}))
	oaiWantBadInput(t, err, "project")
	if n := len(w.serviceAccounts("proj_prod", "")); n != 1 {
		t.Errorf("%d service accounts; refused calls must create nothing", n)
	}

	long := "respond-" + strings.Repeat("very-long-key-name-", 6) + oaiIncident
	res, err := k.Apply(ctx, w.call(map[string]any{"project": "proj_prod", "name": long}))
	if err != nil {
		t.Fatal(err)
	}
	w.noLeak(t, k, res, err, res.Outputs["key"].(secret.Value))
	name, _ := res.Outputs["service_account_name"].(string)
	if len(name) > 64 || !strings.HasSuffix(name, oaiIncident) || !strings.HasPrefix(name, "respond-very-long") {
		t.Errorf("long name became %q", name)
	}
}
