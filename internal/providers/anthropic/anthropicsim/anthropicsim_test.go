package anthropicsim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/respondhq/respond/internal/providers/anthropic/anthropicsim"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type world struct {
	sim   *sim.Sim
	fake  *anthropicsim.Server
	clock *clock
	env   map[string]string
}

func startWorld(t *testing.T, seed int64) *world {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	s, err := sim.Start(t.Context(), sim.Options{Seed: seed, Now: c.now, Anchor: c.t, Services: []simapi.Factory{anthropicsim.New}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &world{sim: s, fake: s.Service("anthropic").(*anthropicsim.Server), clock: c, env: s.Env()}
}

// client is the official SDK pointed at the fake with the exported admin
// key, nothing from the environment.
func (w *world) client(key string) sdk.Client {
	return sdk.NewClient(option.WithoutEnvironmentDefaults(), option.WithBaseURL(w.env[anthropicsim.EnvBaseURL]+"/"),
		option.WithAPIKey(key), option.WithMaxRetries(0))
}

// raw sends a request as curl would (x-api-key, explicit version).
func (w *world) raw(t *testing.T, method, path, key, version string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.env[anthropicsim.EnvBaseURL]+path, rd)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	if version != "" {
		req.Header.Set("anthropic-version", version)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, res.Header, out
}

// errType is the Anthropic error type of a body.
func errType(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	if body["type"] != "error" || e == nil {
		return ""
	}
	s, _ := e["type"].(string)
	return s
}

func TestSDKListsGetsAndUpdatesKeys(t *testing.T) {
	t.Parallel()
	w := startWorld(t, 1)
	var made []simapi.IssuedKey
	for i := 0; i < 5; i++ {
		k, err := w.fake.IssueKey(simapi.IssueRequest{Name: "key", Created: w.clock.now().Add(time.Duration(i-10) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, k)
	}
	other, _ := w.fake.IssueKey(simapi.IssueRequest{Scope: "payments", Name: "payments", Attrs: map[string]string{"created_by": "svac_01robot"}})
	if _, err := w.fake.IssueKey(simapi.IssueRequest{Name: "an admin key", Attrs: map[string]string{"kind": "admin"}}); err != nil {
		t.Fatal(err)
	}
	c := w.client(w.env[anthropicsim.EnvAdminKey])
	ctx := t.Context()

	// All pages, newest first; admin keys are not listed.
	var ids []string
	it := c.Organization.APIKeys.ListAutoPaging(ctx, sdk.OrganizationAPIKeyListParams{Limit: sdk.Int(2)})
	for it.Next() {
		k := it.Current()
		ids = append(ids, k.ID)
		if k.Type != "api_key" || !strings.HasPrefix(k.PartialKeyHint, "sk-ant-api03-") || !strings.Contains(k.PartialKeyHint, "...") {
			t.Errorf("key %+v", k)
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{other.ID, made[4].ID, made[3].ID, made[2].ID, made[1].ID, made[0].ID}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("listed %v, want %v", ids, want)
	}
	pages := 0
	for _, r := range w.sim.Requests(0) {
		if r.API == "anthropic" && strings.HasPrefix(r.Path, "/anthropic/v1/organizations/api_keys?") {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d list requests, want 3 pages of 2", pages)
	}
	// Paging backwards.
	back, err := c.Organization.APIKeys.List(ctx, sdk.OrganizationAPIKeyListParams{BeforeID: sdk.String(made[1].ID), Limit: sdk.Int(2)})
	if err != nil || len(back.Data) != 2 || back.Data[0].ID != made[3].ID || !back.HasMore {
		t.Errorf("before_id page = %+v, %v", back, err)
	}

	// Filters.
	page, err := c.Organization.APIKeys.List(ctx, sdk.OrganizationAPIKeyListParams{WorkspaceID: sdk.String(other.Scope)})
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != other.ID || page.Data[0].CreatedBy.Type != "service_account" {
		t.Errorf("workspace filter = %+v, %v", page, err)
	}
	page, err = c.Organization.APIKeys.List(ctx, sdk.OrganizationAPIKeyListParams{CreatedByUserID: sdk.String(anthropicsim.DefaultUser)})
	if err != nil || len(page.Data) != 5 {
		t.Errorf("created_by_user_id filter = %d keys, %v", len(page.Data), err)
	}

	got, err := c.Organization.APIKeys.Get(ctx, made[0].ID)
	if err != nil || got.ID != made[0].ID || got.Status != "active" || got.Scope.Type != "workspace" || got.Scope.WorkspaceID == "" ||
		got.CreatedAt.IsZero() || got.JSON.ExpiresAt.Raw() != "null" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	var legacy struct {
		WorkspaceID *string `json:"workspace_id"`
	}
	_ = json.Unmarshal([]byte(got.RawJSON()), &legacy)
	if legacy.WorkspaceID != nil {
		t.Errorf("a default-workspace key has workspace_id %q, want null", *legacy.WorkspaceID)
	}

	up, err := c.Organization.APIKeys.Update(ctx, made[0].ID, sdk.OrganizationAPIKeyUpdateParams{Status: "inactive"})
	if err != nil || up.Status != "inactive" {
		t.Fatalf("deactivate: %+v, %v", up, err)
	}
	if _, live, _ := w.fake.KeyStatus(made[0].Value, w.clock.now()); live {
		t.Errorf("an inactive key is live in the world")
	}
	page, _ = c.Organization.APIKeys.List(ctx, sdk.OrganizationAPIKeyListParams{Status: "inactive"})
	if len(page.Data) != 1 || page.Data[0].ID != made[0].ID {
		t.Errorf("status filter = %+v", page.Data)
	}
	up, err = c.Organization.APIKeys.Update(ctx, made[0].ID, sdk.OrganizationAPIKeyUpdateParams{Name: sdk.String("renamed"), Status: "archived"})
	if err != nil || up.Status != "archived" || up.Name != "renamed" {
		t.Fatalf("archive: %+v, %v", up, err)
	}
	_, err = c.Organization.APIKeys.Update(ctx, made[0].ID, sdk.OrganizationAPIKeyUpdateParams{Status: "active"})
	var ae *sdk.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Type() != "invalid_request_error" || ae.RequestID == "" {
		t.Errorf("reactivating an archived key: %v, want 400 invalid_request_error with a request ID", err)
	}
	_, err = c.Organization.APIKeys.Get(ctx, "apikey_01nope")
	if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Type() != "not_found_error" {
		t.Errorf("Get(unknown) = %v, want 404 not_found_error", err)
	}
}

func TestSDKChecksKeysWithModels(t *testing.T) {
	t.Parallel()
	w := startWorld(t, 2)
	ctx := t.Context()
	active, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "active"})
	inactive, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "inactive", Attrs: map[string]string{"status": "inactive"}})
	archived, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "archived", Attrs: map[string]string{"status": "archived"}})
	expiring, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "expiring", Attrs: map[string]string{"expires_at": "2026-12-02T10:00:00Z"}})

	for _, c := range []struct {
		value string
		live  bool
	}{
		{active.Value, true}, {expiring.Value, true}, {inactive.Value, false}, {archived.Value, false},
		{"sk-ant-api03-" + strings.Repeat("x", 93) + "AA", false}, {w.env[anthropicsim.EnvAdminKey], false},
	} {
		cl := w.client(c.value)
		page, err := cl.Models.List(ctx, sdk.ModelListParams{})
		var ae *sdk.Error
		switch {
		case c.live && (err != nil || len(page.Data) == 0):
			t.Errorf("%s: %v, want models", c.value[:16], err)
		case !c.live && (!errors.As(err, &ae) || ae.StatusCode != 401 || ae.Type() != "authentication_error" || ae.Message != "invalid x-api-key"):
			t.Errorf("%s: %v, want 401 authentication_error invalid x-api-key", c.value[:16], err)
		}
	}
	w.clock.add(25 * time.Hour)
	exp := w.client(expiring.Value)
	if _, err := exp.Models.List(ctx, sdk.ModelListParams{}); err == nil {
		t.Errorf("an expired key still works")
	}
	admin := w.client(w.env[anthropicsim.EnvAdminKey])
	got, _ := admin.Organization.APIKeys.Get(ctx, expiring.ID)
	if got == nil || got.Status != "expired" {
		t.Errorf("expired key shows status %v", got)
	}
}

func TestHeadersAndRoutesAsTheRealAPI(t *testing.T) {
	t.Parallel()
	w := startWorld(t, 3)
	admin := w.env[anthropicsim.EnvAdminKey]
	k, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "k"})

	for _, c := range []struct {
		name, method, path, key, version string
		status                           int
		typ                              string
	}{
		{"no version", "GET", "/v1/organizations/api_keys", admin, "", 400, "invalid_request_error"},
		{"bad version", "GET", "/v1/organizations/api_keys", admin, "2099-01-01", 400, "invalid_request_error"},
		{"no key", "GET", "/v1/organizations/api_keys", "", "2023-06-01", 401, "authentication_error"},
		{"API key on admin route", "GET", "/v1/organizations/api_keys", k.Value, "2023-06-01", 401, "authentication_error"},
		{"x-api-key, 2023-06-01", "GET", "/v1/organizations/api_keys", admin, "2023-06-01", 200, ""},
		{"x-api-key, 2026-10-21", "GET", "/v1/organizations/api_keys/" + k.ID, admin, "2026-10-21", 200, ""},
		{"no create", "POST", "/v1/organizations/api_keys", admin, "2023-06-01", 404, "not_found_error"},
		{"no delete", "DELETE", "/v1/organizations/api_keys/" + k.ID, admin, "2023-06-01", 404, "not_found_error"},
		{"unknown route", "GET", "/v1/organizations/api_keyz", admin, "2023-06-01", 404, "not_found_error"},
		{"limit 0", "GET", "/v1/organizations/api_keys?limit=0", admin, "2023-06-01", 400, "invalid_request_error"},
		{"bad status", "POST", "/v1/organizations/api_keys/" + k.ID, admin, "2023-06-01", 400, "invalid_request_error"},
	} {
		var body any
		if c.name == "bad status" {
			body = map[string]string{"status": "deleted"}
		}
		status, h, out := w.raw(t, c.method, c.path, c.key, c.version, body)
		if status != c.status || (c.typ != "" && errType(out) != c.typ) {
			t.Errorf("%s: %d %v, want %d %s", c.name, status, out, c.status, c.typ)
		}
		if h.Get("request-id") == "" {
			t.Errorf("%s: no request-id header", c.name)
		}
	}

	// The Console stand-in makes a key; the API then lists it.
	status, _, out := w.raw(t, "POST", "/_console/keys", "", "", map[string]string{"name": "replacement", "workspace_id": "payments"})
	value, _ := out["value"].(string)
	if status != 201 || !anthropicsim.APIKeyPattern.MatchString(value) {
		t.Fatalf("console create: %d %v", status, out)
	}
	if _, live, known := w.fake.KeyStatus(value, w.clock.now()); !live || !known {
		t.Errorf("the Console's key is not live in the world")
	}
	made, err := w.fake.ConsoleCreateKey("", "by Go")
	if err != nil || !anthropicsim.APIKeyPattern.MatchString(made.Value) || made.SecretType != "anthropic_api_key" {
		t.Errorf("ConsoleCreateKey = %+v, %v", made, err)
	}
	// A workspace is named by its ID too, as the plan gives it.
	byID, err := w.fake.ConsoleCreateKey(made.Scope, "by ID")
	if err != nil || byID.Scope != made.Scope {
		t.Errorf("ConsoleCreateKey(%s) = %+v, %v; want a key in that workspace", made.Scope, byID, err)
	}
	if _, err := w.fake.ConsoleCreateKey("wrkspc_01nosuchworkspaceXXXXXX", "nowhere"); err == nil {
		t.Error("ConsoleCreateKey in a workspace ID nobody has succeeded")
	}

	// Faults answer in Anthropic's shape.
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/anthropic/v1/**", RateLimit: "429", RetryAfter: sim.Duration(2 * time.Second), Count: 1}); err != nil {
		t.Fatal(err)
	}
	status, h, out := w.raw(t, "GET", "/v1/organizations/api_keys", admin, "2023-06-01", nil)
	if status != 429 || errType(out) != "rate_limit_error" || h.Get("retry-after") != "2" {
		t.Errorf("rate-limit fault: %d %v retry-after %q", status, out, h.Get("retry-after"))
	}
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/anthropic/v1/**", Status: 529, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if status, _, out := w.raw(t, "GET", "/v1/organizations/api_keys", admin, "2023-06-01", nil); status != 529 || errType(out) != "overloaded_error" {
		t.Errorf("overloaded fault: %d %v", status, out)
	}
}

func TestSameSeedSameWorld(t *testing.T) {
	t.Parallel()
	build := func(seed int64) string {
		w := startWorld(t, seed)
		for _, s := range []string{"", "payments"} {
			if _, err := w.fake.IssueKey(simapi.IssueRequest{Scope: s, Name: "k"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.fake.ConsoleCreateKey("", "console"); err != nil {
			t.Fatal(err)
		}
		c := w.client(w.env[anthropicsim.EnvAdminKey])
		page, err := c.Organization.APIKeys.List(t.Context(), sdk.OrganizationAPIKeyListParams{})
		if err != nil || len(page.Data) != 3 {
			t.Fatalf("list: %v", err)
		}
		if _, err := c.Organization.APIKeys.Update(t.Context(), page.Data[1].ID, sdk.OrganizationAPIKeyUpdateParams{Status: "inactive"}); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(w.fake.Snapshot())
		if err := w.sim.Reset(); err != nil {
			t.Fatal(err)
		}
		after, _ := json.Marshal(w.fake.Snapshot())
		if strings.Contains(string(after), `"kind"`) {
			t.Errorf("Reset left keys: %s", after)
		}
		return string(b)
	}
	a, b, c := build(7), build(7), build(8)
	if a != b {
		t.Errorf("same seed, different worlds:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same world")
	}
}
