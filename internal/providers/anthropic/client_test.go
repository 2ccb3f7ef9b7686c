package anthropic

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/providers/anthropic/anthropicsim"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

type world struct {
	sim  *sim.Sim
	fake *anthropicsim.Server
	c    *Client
}

// startWorld runs a simulator with anthropicsim and a Client configured
// from its exports, as respond will be.
func startWorld(t *testing.T) *world {
	t.Helper()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s, err := sim.Start(t.Context(), sim.Options{Seed: 1, Now: func() time.Time { return now }, Anchor: now,
		Services: []simapi.Factory{anthropicsim.New}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	env := s.Env()
	c, err := New(Config{BaseURL: env[EnvBaseURL], AdminKey: secret.New(env[EnvAdminKey])})
	if err != nil {
		t.Fatal(err)
	}
	return &world{sim: s, fake: s.Service("anthropic").(*anthropicsim.Server), c: c}
}

func (w *world) count(method, prefix string) int {
	n := 0
	for _, r := range w.sim.Requests(0) {
		if r.API == "anthropic" && r.Method == method && strings.HasPrefix(r.Path, "/anthropic"+prefix) {
			n++
		}
	}
	return n
}

func TestListGetRenameAndRevoke(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	var made []simapi.IssuedKey
	for i := 0; i < 5; i++ {
		k, err := w.fake.IssueKey(simapi.IssueRequest{Name: "k", Created: time.Date(2026, 11, i+1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, k)
	}
	ws, _ := w.fake.IssueKey(simapi.IssueRequest{Scope: "payments", Name: "payments", Created: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)})

	w.c.pageSize = 2
	keys, err := w.c.ListKeys(ctx, Filter{})
	if err != nil || len(keys) != 6 || keys[0].ID != made[4].ID || keys[5].ID != ws.ID {
		t.Fatalf("ListKeys = %+v, %v; want 6 keys, newest first", keys, err)
	}
	if n := w.count("GET", "/v1/organizations/api_keys?"); n != 3 {
		t.Errorf("%d list requests, want 3 pages", n)
	}
	if keys[0].CreatedBy.Type != "user" || keys[0].WorkspaceID == "" || !strings.HasPrefix(keys[0].PartialKeyHint, "sk-ant-api03-") {
		t.Errorf("key = %+v", keys[0])
	}
	if byWS, err := w.c.ListKeys(ctx, Filter{WorkspaceID: ws.Scope}); err != nil || len(byWS) != 1 || byWS[0].ID != ws.ID {
		t.Errorf("ListKeys(workspace) = %+v, %v", byWS, err)
	}

	k, err := w.c.Rename(ctx, made[0].ID, "leaked — revoked by respond")
	if err != nil || k.Name != "leaked — revoked by respond" {
		t.Errorf("Rename = %+v, %v", k, err)
	}
	k, err = w.c.SetStatus(ctx, made[0].ID, StatusInactive)
	if err != nil || k.Status != StatusInactive {
		t.Fatalf("SetStatus(inactive) = %+v, %v", k, err)
	}
	if _, live, _ := w.fake.KeyStatus(made[0].Value, time.Now()); live {
		t.Errorf("the world has the revoked key live")
	}
	if inactive, _ := w.c.ListKeys(ctx, Filter{Status: StatusInactive}); len(inactive) != 1 || inactive[0].ID != made[0].ID {
		t.Errorf("ListKeys(inactive) = %+v", inactive)
	}
	if _, err := w.c.SetStatus(ctx, made[0].ID, "deleted"); err == nil {
		t.Errorf("a status the API does not have was sent")
	}
	if _, err := w.c.GetKey(ctx, "apikey_01doesnotexist"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetKey(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := w.c.GetKey(ctx, "apikey_01/../../models"); err == nil {
		t.Errorf("an ID with a path in it was accepted")
	}
	if _, err := w.c.SetStatus(ctx, made[1].ID, StatusArchived); err != nil {
		t.Fatal(err)
	}
	_, err = w.c.SetStatus(ctx, made[1].ID, StatusActive)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Type != "invalid_request_error" || ae.RequestID == "" {
		t.Errorf("reactivating an archived key: %v", err)
	}
}

func TestStatusUpdatesAreRetriedAndGetsHonourRetryAfter(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	k, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "k"})
	if _, err := w.sim.AddFault(sim.Fault{Method: "POST", Path: "/anthropic/v1/organizations/api_keys/*", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if got, err := w.c.SetStatus(ctx, k.ID, StatusInactive); err != nil || got.Status != StatusInactive {
		t.Fatalf("SetStatus through a 503: %+v, %v", got, err)
	}
	if n := w.count("POST", "/v1/organizations/api_keys/"); n != 2 {
		t.Errorf("%d update requests, want 2 (one refused, one retried)", n)
	}
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/anthropic/v1/organizations/api_keys/*", RateLimit: "429", RetryAfter: sim.Duration(time.Second), Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.GetKey(ctx, k.ID); err != nil {
		t.Errorf("GetKey through a 429: %v", err)
	}
	// Past the retries: an error that says what happened and what to do.
	w.c.retries = 1
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/anthropic/v1/organizations/api_keys/*", Status: 500, Count: 2}); err != nil {
		t.Fatal(err)
	}
	_, err := w.c.GetKey(ctx, k.ID)
	if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "try again shortly") {
		t.Errorf("GetKey through two 500s with one retry: %v", err)
	}
}

func TestCheckKey(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	live, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "live"})
	archived, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "archived", Attrs: map[string]string{"status": "archived"}})
	for _, c := range []struct {
		value string
		live  bool
	}{{live.Value, true}, {archived.Value, false}, {"sk-ant-api03-" + strings.Repeat("Q", 93) + "AA", false}} {
		got, err := w.c.CheckKey(ctx, secret.New(c.value))
		if err != nil || got.Live != c.live {
			t.Errorf("CheckKey(%s) = %+v, %v; want live %v", secret.Redact(c.value), got, err, c.live)
		}
	}
	// The check sent the checked key: the world counted a use of it.
	if !strings.Contains(snapshotJSON(t, w.fake), `"uses":1`) {
		t.Errorf("the live key's check is not a use of it: %s", snapshotJSON(t, w.fake))
	}
	w.c.retries = 1
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/anthropic/v1/models", Status: 529, Count: 10}); err != nil {
		t.Fatal(err)
	}
	got, err := w.c.CheckKey(ctx, secret.New(live.Value))
	if err == nil || strings.Contains(err.Error(), live.Value) {
		t.Errorf("CheckKey while overloaded = %+v, %v; want an error without the key", got, err)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}); err == nil {
		t.Errorf("no admin key accepted")
	}
	for _, u := range []string{"http://api.example.com", "ftp://127.0.0.1", "https://u:p@api.anthropic.com"} {
		if _, err := New(Config{BaseURL: u, AdminKey: secret.New("sk-ant-admin01-x")}); err == nil {
			t.Errorf("base URL %s accepted", u)
		}
	}
}

func snapshotJSON(t *testing.T, f *anthropicsim.Server) string {
	t.Helper()
	b, err := json.Marshal(f.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
