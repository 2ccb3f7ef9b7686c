package steps_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/openaiapi"
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
	p := &steps.Providers{OpenAI: func() (steps.OpenAI, error) {
		return openaiapi.New(openaiapi.Config{BaseURL: ts.URL + "/v1", AdminKey: admin.Value})
	}}
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

	k := steps.KeyUsage{P: p, Now: func() time.Time { return now }}
	res, err := k.Apply(context.Background(), &step.Call{StepID: "usage", Secrets: secret.NewRegistry(), Params: map[string]any{
		"project": "proj_main", "key_id": key.ID, "since": since.Format(time.RFC3339),
	}})
	if err != nil {
		t.Fatal(err)
	}
	ev := res.Evidence
	if got := ev["during"].(map[string]any)["requests"]; got != int64(120) {
		t.Errorf("during requests = %v, want 120", got)
	}
	if got := ev["before"].(map[string]any)["requests"]; got != int64(10) {
		t.Errorf("before requests = %v, want 10", got)
	}
	if got := ev["during"].(map[string]any)["input_tokens"]; got != int64(1200) {
		t.Errorf("during input tokens = %v", got)
	}
	buckets := ev["buckets"].([]any)
	if len(buckets) != 4 {
		t.Fatalf("buckets = %v", buckets)
	}
	first := buckets[0].(map[string]any)
	if first["start"] != "2026-11-26T04:00:00Z" || first["end"] != "2026-11-26T05:00:00Z" || first["requests"] != int64(4) {
		t.Errorf("first bucket %v", first)
	}
	if ev["window_start"] != "2026-11-20T10:00:00Z" || ev["window_end"] != "2026-11-27T17:00:00Z" || ev["baseline_hours"] != 168 {
		t.Errorf("window %v to %v, baseline %v", ev["window_start"], ev["window_end"], ev["baseline_hours"])
	}
	if ev["has_spend_limit"] != true || ev["spend_alerts"] != 0 || ev["spend_limit_text"] != "100.00 USD per month" {
		t.Errorf("spend controls %v %v %v", ev["has_spend_limit"], ev["spend_alerts"], ev["spend_limit_text"])
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
	k := steps.KeyUsage{P: p, Now: func() time.Time { return now }}
	call := func(params map[string]any) *step.Call {
		return &step.Call{StepID: "usage", Secrets: secret.NewRegistry(), Params: params}
	}
	// No since: a week ago; no usage, no spend controls.
	res, err := k.Apply(context.Background(), call(map[string]any{"project": "proj_main", "key_id": key.ID}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Evidence["exposed_since"] != "2026-11-20T16:30:00Z" || res.Evidence["since_given"] != false {
		t.Errorf("default since %v", res.Evidence["exposed_since"])
	}
	if res.Evidence["has_spend_limit"] != false || len(res.Evidence["buckets"].([]any)) != 0 {
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
	_, err = steps.KeyUsage{P: &steps.Providers{}}.Apply(context.Background(), call(map[string]any{"project": "proj_main", "key_id": key.ID}))
	if err == nil || !strings.Contains(err.Error(), "OPENAI_ADMIN_KEY") {
		t.Errorf("unconfigured: %v", err)
	}
}
