package steps_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

// usageWorld is a simulator with one key and hand-placed usage, and the
// real client pointed at it.
func usageWorld(t *testing.T, now time.Time) (*openaisim.Server, openaisim.Key, *steps.Providers, *[]string) {
	t.Helper()
	s := openaisim.New(openaisim.Options{Now: func() time.Time { return now }})
	created := now.Add(-60 * 24 * time.Hour)
	if _, err := s.AddProject("proj_main", "Main", created); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser("user_bob", "Bob", "bob@example.com", "owner"); err != nil {
		t.Fatal(err)
	}
	admin, err := s.AddAdminKey("ops", created)
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.AddUserKey("proj_main", "prod-backend", "user_bob", created, nil)
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods = append(methods, r.Method)
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	p := steps.NewProviders(plugin.New(func(k string) string {
		return map[string]string{"OPENAI_BASE_URL": ts.URL + "/v1", "OPENAI_ADMIN_KEY": admin.Value.Reveal()}[k]
	}, nil, nil))
	return s, key, p, &methods
}

func TestKeyUsageAgainstSimulator(t *testing.T) {
	now := time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC)
	s, key, p, methods := usageWorld(t, now)
	since := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	add := func(at time.Time, n int) {
		t.Helper()
		if err := s.AddUsage("proj_main", key.ID, "gpt-4o", at, n, 10*n, 2*n); err != nil {
			t.Fatal(err)
		}
	}
	add(since.Add(-30*time.Hour), 4)              // baseline
	add(since.Add(-2*time.Hour+5*time.Minute), 6) // baseline
	add(since.Add(10*time.Minute), 50)            // exposure
	add(since.Add(3*time.Hour+time.Minute), 70)   // exposure
	add(since.Add(-10*24*time.Hour), 999)         // before the window: not read
	if err := s.SetSpendLimit("proj_main", 10000); err != nil {
		t.Fatal(err)
	}

	k := steps.WithClock(p, func() time.Time { return now }).Kind("openai.key_usage")
	res, err := k.Apply(context.Background(), &step.Call{StepID: "usage", Secrets: secret.NewRegistry(), Params: map[string]any{
		"project": "proj_main", "key_id": key.ID, "since": since.Format(time.RFC3339),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var ev evidence.Usage
	if !evidence.Decode(res.Evidence, &ev) || evidence.TypeOf(res.Evidence) != evidence.KeyUsage {
		t.Fatalf("evidence %v", res.Evidence)
	}
	if len(ev.Buckets) != 4 {
		t.Fatalf("buckets = %v", ev.Buckets)
	}
	if first := ev.Buckets[0]; first.Start != "2026-11-26T04:00:00Z" || first.Requests != 4 || first.InputTokens != 40 {
		t.Errorf("first bucket %+v", first)
	}
	if ev.WindowStart != "2026-11-20T10:00:00Z" || ev.WindowEnd != "2026-11-27T17:00:00Z" || ev.ExposedSince != since.Format(time.RFC3339) {
		t.Errorf("window %v to %v, exposed since %v", ev.WindowStart, ev.WindowEnd, ev.ExposedSince)
	}
	if !ev.HasSpendLimit || ev.SpendAlerts != 0 || ev.SpendLimitText != "100.00 USD per month" || ev.Provider != "openai" {
		t.Errorf("spend controls %+v", ev)
	}
	if res.Outputs["requests_before"] != 10 {
		t.Errorf("requests before = %v, want 10", res.Outputs["requests_before"])
	}
	if res.Outputs["requests_during"] != 120 || res.Outputs["has_spend_limit"] != true {
		t.Errorf("outputs %v", res.Outputs)
	}
	for _, m := range *methods {
		if m != http.MethodGet {
			t.Errorf("openai.key_usage sent a %s request", m)
		}
	}
	if sp := k.Spec(); !sp.Reads || !sp.Idempotent || sp.Mutates {
		t.Errorf("spec flags %+v", sp)
	}
}

func TestKeyUsageDefaultsAndErrors(t *testing.T) {
	now := time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC)
	_, key, p, _ := usageWorld(t, now)
	k := steps.WithClock(p, func() time.Time { return now }).Kind("openai.key_usage")
	call := func(params map[string]any) *step.Call {
		return &step.Call{StepID: "usage", Secrets: secret.NewRegistry(), Params: params}
	}
	// No since: a week ago; no usage, no spend controls.
	res, err := k.Apply(context.Background(), call(map[string]any{"project": "proj_main", "key_id": key.ID}))
	if err != nil {
		t.Fatal(err)
	}
	var ev evidence.Usage
	if !evidence.Decode(res.Evidence, &ev) || ev.ExposedSince != "2026-11-20T16:30:00Z" {
		t.Errorf("default since %v", ev.ExposedSince)
	}
	if ev.HasSpendLimit || len(ev.Buckets) != 0 {
		t.Errorf("evidence %v", res.Evidence)
	}
	if want := "proj_main has no spend limit and no spend alerts"; !strings.Contains(res.Summary, want) {
		t.Errorf("summary %q lacks %q", res.Summary, want)
	}

	// Bad input is permanent and says what to give.
	_, err = k.Apply(context.Background(), call(map[string]any{"project": "proj_main", "key_id": key.ID, "since": "yesterday"}))
	if !errors.Is(err, steps.ErrBadInput) || !step.IsPermanent(err) || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("bad since: %v", err)
	}
	_, err = k.Apply(context.Background(), call(map[string]any{"key_id": key.ID}))
	if !errors.Is(err, steps.ErrBadInput) {
		t.Errorf("no project: %v", err)
	}
	// Not configured.
	_, err = steps.NewProviders(nil).Kind("openai.key_usage").Apply(context.Background(), call(map[string]any{"project": "proj_main", "key_id": key.ID}))
	if err == nil || !strings.Contains(err.Error(), "OPENAI_ADMIN_KEY") {
		t.Errorf("unconfigured: %v", err)
	}
}
