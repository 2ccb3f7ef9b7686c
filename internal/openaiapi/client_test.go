package openaiapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/respondhq/respond/internal/step"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/sim/spec"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// world is a seeded simulator with the keys the tests use.
type world struct {
	sim                 *openaisim.Server
	admin               openaisim.Key
	alice, bob, saKey   openaisim.Key
	sa                  openaisim.ServiceAccount
	aliceUsed           time.Time
	proxy               *recorder
	url                 string
	conformance         *spec.CheckingTransport
	conformanceDisabled bool
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := openaisim.New(openaisim.Options{})
	w := &world{sim: s, aliceUsed: t0.Add(48 * time.Hour)}
	_, err := s.AddProject("proj_main", "Main", t0)
	check(t, err)
	_, err = s.AddProject("proj_other", "Other", t0.Add(time.Hour))
	check(t, err)
	check(t, s.AddUser("user_alice", "Alice", "alice@example.com", "owner"))
	check(t, s.AddUser("user_bob", "Bob", "bob@example.com", "member"))
	w.admin, err = s.AddAdminKey("ops", t0)
	check(t, err)
	w.alice, err = s.AddUserKey("proj_main", "alice-laptop", "user_alice", t0.Add(time.Hour), &w.aliceUsed)
	check(t, err)
	w.bob, err = s.AddUserKey("proj_main", "prod-backend", "user_bob", t0.Add(2*time.Hour), nil)
	check(t, err)
	w.sa, w.saKey, err = s.AddServiceAccount("proj_main", "deployer", t0.Add(3*time.Hour))
	check(t, err)
	w.proxy = &recorder{h: s}
	ts := httptest.NewServer(w.proxy)
	t.Cleanup(ts.Close)
	w.url = ts.URL + "/v1"
	return w
}

// client returns a Client for the world whose responses are validated
// against the OpenAI spec (except when faults are injected).
func (w *world) client(t *testing.T) *Client {
	t.Helper()
	sp, err := spec.OpenAI()
	if err != nil {
		t.Fatal(err)
	}
	w.conformance = spec.NewCheckingTransport(sp, nil)
	t.Cleanup(func() {
		if w.conformanceDisabled {
			return
		}
		for _, err := range w.conformance.Errors() {
			t.Errorf("conformance: %v", err)
		}
	})
	c, err := New(Config{BaseURL: w.url, AdminKey: w.admin.Value, HTTPClient: &http.Client{Transport: w.conformance}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fault makes matching requests fail.
type fault struct {
	method, pathSuffix string
	status             int
	retryAfter         string
	body               string
	left               int
}

// recorder wraps the simulator: it logs requests and injects faults.
type recorder struct {
	h      http.Handler
	mu     sync.Mutex
	log    []string // "METHOD /path?query"
	faults []*fault
	header []http.Header
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.log = append(r.log, req.Method+" "+req.URL.RequestURI())
	r.header = append(r.header, req.Header.Clone())
	var hit *fault
	for _, f := range r.faults {
		if f.left > 0 && f.method == req.Method && strings.HasSuffix(req.URL.Path, f.pathSuffix) {
			f.left--
			hit = f
			break
		}
	}
	r.mu.Unlock()
	if hit == nil {
		r.h.ServeHTTP(w, req)
		return
	}
	if hit.retryAfter != "" {
		w.Header().Set("Retry-After", hit.retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(hit.status)
	body := hit.body
	if body == "" {
		body = `{"error":{"message":"injected","type":"server_error","param":null,"code":null}}`
	}
	fmt.Fprint(w, body)
}

func (r *recorder) inject(f fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, &f)
}

// requests returns the logged requests whose "METHOD /path" starts with
// prefix.
func (r *recorder) requests(prefix string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.log {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// noSecret fails if any of the values appears in s.
func noSecret(t *testing.T, s string, values ...secret.Value) {
	t.Helper()
	for _, v := range values {
		if !v.IsZero() && strings.Contains(s, v.Reveal()) {
			t.Errorf("a secret value appears in %q", secret.Redact(s))
		}
	}
}

func TestBaseURLRules(t *testing.T) {
	key := secret.New("sk-admin-TESTKEYxxxxxxxxxxxxxxxxxxxx")
	for _, tc := range []struct {
		base, want, err string
	}{
		{"", DefaultBaseURL, ""},
		{"https://api.openai.com/v1/", "https://api.openai.com/v1", ""},
		{"http://127.0.0.1:8787/v1", "http://127.0.0.1:8787/v1", ""},
		{"http://127.9.8.7/v1", "http://127.9.8.7/v1", ""},
		{"http://[::1]:8787/v1", "http://[::1]:8787/v1", ""},
		{"http://localhost:8787/v1", "http://localhost:8787/v1", ""},
		{"http://LOCALHOST/v1", "http://LOCALHOST/v1", ""},
		{"http://api.openai.com/v1", "", "refusing to send the admin key over plain http:// to api.openai.com"},
		{"http://10.0.0.1/v1", "", "plain http://"},
		{"http://localhost.evil.example/v1", "", "plain http://"},
		{"http://128.0.0.1/v1", "", "plain http://"},
		{"ftp://127.0.0.1/v1", "", `scheme "ftp"`},
		{"127.0.0.1:8787", "", "is not a URL"},
		{"https://user:pw@api.openai.com/v1", "", "must not carry credentials"},
	} {
		c, err := New(Config{BaseURL: tc.base, AdminKey: key})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%q): error %v, want one containing %q", tc.base, err, tc.err)
			}
			if err != nil {
				noSecret(t, err.Error(), key)
				if strings.Contains(err.Error(), "pw@") {
					t.Errorf("New(%q): error shows the URL's password: %v", tc.base, err)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tc.base, err)
			continue
		}
		if c.base != tc.want {
			t.Errorf("New(%q): base %q, want %q", tc.base, c.base, tc.want)
		}
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), EnvAdminKey) {
		t.Errorf("New without a key: %v, want an error naming %s", err, EnvAdminKey)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvAdminKey, "")
	t.Setenv(EnvBaseURL, "")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "OPENAI_ADMIN_KEY is not set") {
		t.Errorf("FromEnv without a key: %v", err)
	}
	t.Setenv(EnvAdminKey, "sk-admin-ENVKEYxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	c, err := FromEnv()
	if err != nil || c.base != DefaultBaseURL {
		t.Fatalf("FromEnv: %v, base %v", err, c)
	}
	t.Setenv(EnvBaseURL, "http://sim.example.com:8787/v1")
	_, err = FromEnv()
	if err == nil || !strings.Contains(err.Error(), EnvBaseURL) || !strings.Contains(err.Error(), "plain http://") {
		t.Errorf("FromEnv with a remote http URL: %v", err)
	}
	noSecret(t, fmt.Sprint(err), secret.New("sk-admin-ENVKEYxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))
}

// TestEnvironmentIsIgnored: the SDK's client reads OPENAI_ORG_ID and
// friends; this package must send only what it was given.
func TestEnvironmentIsIgnored(t *testing.T) {
	w := newWorld(t)
	t.Setenv("OPENAI_ORG_ID", "org_from_env")
	t.Setenv("OPENAI_PROJECT_ID", "proj_from_env")
	t.Setenv("OPENAI_CUSTOM_HEADERS", "X-Leak: yes")
	t.Setenv("OPENAI_ADMIN_KEY", "sk-admin-WRONGxxxxxxxxxxxxxxxxxxxxxxxxxx")
	c := w.client(t)
	if _, err := c.ListProjects(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.proxy.mu.Lock()
	defer w.proxy.mu.Unlock()
	for _, h := range w.proxy.header {
		for _, name := range []string{"OpenAI-Organization", "OpenAI-Project", "X-Leak"} {
			if h.Get(name) != "" {
				t.Errorf("request carried %s from the environment", name)
			}
		}
		if got := h.Get("Authorization"); got != "Bearer "+w.admin.Value.Reveal() {
			t.Errorf("request not authenticated with the configured admin key")
		}
	}
}

func TestProjectsAndKeys(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	ctx := context.Background()

	ps, err := c.ListProjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].ID != "proj_main" || ps[0].Name != "Main" || ps[0].Status != "active" || ps[1].ID != "proj_other" {
		t.Errorf("projects: %+v", ps)
	}

	keys, err := c.ListProjectKeys(ctx, "proj_main")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ProjectKey{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	if len(keys) != 3 {
		t.Fatalf("keys: %+v", keys)
	}
	a := byID[w.alice.ID]
	if a.Name != "alice-laptop" || a.OwnerType != "user" || a.OwnerID != "user_alice" || a.OwnerEmail != "alice@example.com" ||
		a.OwnerName != "Alice" || a.RedactedValue != w.alice.Redacted || !a.Created.Equal(t0.Add(time.Hour)) {
		t.Errorf("alice's key: %+v", a)
	}
	if a.LastUsed == nil || !a.LastUsed.Equal(w.aliceUsed) {
		t.Errorf("alice's key last used %v, want %v", a.LastUsed, w.aliceUsed)
	}
	if b := byID[w.bob.ID]; b.LastUsed != nil {
		t.Errorf("bob's key was never used but LastUsed is %v (null must map to nil)", b.LastUsed)
	}
	if s := byID[w.saKey.ID]; s.OwnerType != "service_account" || s.OwnerID != w.sa.ID || s.OwnerName != "deployer" || s.OwnerEmail != "" {
		t.Errorf("service account key: %+v", s)
	}
	if got := w.proxy.requests("GET /v1/organization/projects/proj_main/api_keys?"); len(got) != 1 || !strings.Contains(got[0], "owner_project_access=any") {
		t.Errorf("key list requests %v, want one with owner_project_access=any", got)
	}

	// owner_project_access=any: a key whose owner lost access is listed.
	if err := w.sim.SetOwnerProjectAccess(w.bob.ID, false); err != nil {
		t.Fatal(err)
	}
	keys, err = c.ListProjectKeys(ctx, "proj_main")
	if err != nil || len(keys) != 3 {
		t.Errorf("after bob lost access: %d keys, %v; want 3", len(keys), err)
	}

	k, err := c.GetProjectKey(ctx, "proj_main", w.bob.ID)
	if err != nil || k.ID != w.bob.ID || k.OwnerEmail != "bob@example.com" {
		t.Errorf("GetProjectKey: %+v, %v", k, err)
	}
	_, err = c.GetProjectKey(ctx, "proj_main", "key_nope")
	if !errors.Is(err, step.ErrNotFound) || !strings.Contains(err.Error(), "key_nope") || !strings.Contains(err.Error(), "proj_main") {
		t.Errorf("GetProjectKey of an unknown key: %v; want ErrNotFound naming the key and project", err)
	}
	_, err = c.ListProjectKeys(ctx, "proj_nope")
	if !errors.Is(err, step.ErrNotFound) || !strings.Contains(err.Error(), "proj_nope") {
		t.Errorf("ListProjectKeys of an unknown project: %v", err)
	}
}

func TestKeyPagination(t *testing.T) {
	w := newWorld(t)
	for i := range 120 {
		if _, err := w.sim.AddUserKey("proj_other", fmt.Sprintf("k%03d", i), "user_alice", t0.Add(time.Duration(i)*time.Minute), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 103 {
		if _, _, err := w.sim.AddServiceAccount("proj_other", fmt.Sprintf("sa%03d", i), t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	c := w.client(t)
	keys, err := c.ListProjectKeys(context.Background(), "proj_other")
	if err != nil {
		t.Fatal(err)
	}
	// 120 user keys and 103 service-account keys.
	if len(keys) != 223 {
		t.Errorf("%d keys, want 223", len(keys))
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.ID] {
			t.Errorf("key %s listed twice", k.ID)
		}
		seen[k.ID] = true
	}
	if got := w.proxy.requests("GET /v1/organization/projects/proj_other/api_keys"); len(got) != 3 || !strings.Contains(got[1], "after=") {
		t.Errorf("key list requests: %v; want 3 pages", got)
	}
	sas, err := c.ListServiceAccounts(context.Background(), "proj_other")
	if err != nil || len(sas) != 103 {
		t.Errorf("%d service accounts, %v; want 103", len(sas), err)
	}
	if got := w.proxy.requests("GET /v1/organization/projects/proj_other/service_accounts"); len(got) != 2 {
		t.Errorf("service account list requests: %v; want 2 pages", got)
	}
}

func TestDeleteKeysAndServiceAccounts(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	ctx := context.Background()

	if err := c.DeleteProjectKey(ctx, "proj_main", w.alice.ID); err != nil {
		t.Fatal(err)
	}
	if w.sim.IsLive(w.alice.Value.Reveal()) {
		t.Error("alice's key still works after DeleteProjectKey")
	}
	err := c.DeleteProjectKey(ctx, "proj_main", w.alice.ID)
	if !errors.Is(err, step.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}

	// A service account's key cannot be deleted through the key endpoint.
	err = c.DeleteProjectKey(ctx, "proj_main", w.saKey.ID)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || errors.Is(err, step.ErrNotFound) {
		t.Errorf("deleting a service account's key: %v, want a 400 APIError", err)
	}
	if !w.sim.IsLive(w.saKey.Value.Reveal()) {
		t.Error("the service account key died from a refused delete")
	}

	if err := c.DeleteServiceAccount(ctx, "proj_main", w.sa.ID); err != nil {
		t.Fatal(err)
	}
	if w.sim.IsLive(w.saKey.Value.Reveal()) {
		t.Error("the service account's key still works after DeleteServiceAccount")
	}
	if err := c.DeleteServiceAccount(ctx, "proj_main", w.sa.ID); !errors.Is(err, step.ErrNotFound) || !strings.Contains(err.Error(), w.sa.ID) {
		t.Errorf("deleting it again: %v, want ErrNotFound naming it", err)
	}
}

func TestCreateServiceAccount(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	ctx := context.Background()
	sa, key, err := c.CreateServiceAccount(ctx, "proj_main", "respond-prod-backend-INC-1")
	if err != nil {
		t.Fatal(err)
	}
	if sa.Name != "respond-prod-backend-INC-1" || !strings.HasPrefix(sa.ID, "svc_acct_") || sa.Created.IsZero() {
		t.Errorf("service account: %+v", sa)
	}
	if !strings.HasPrefix(key.ID, "key_") || !strings.HasPrefix(key.Value.Reveal(), "sk-svcacct-") {
		t.Errorf("key: %+v", key)
	}
	if !w.sim.IsLive(key.Value.Reveal()) {
		t.Error("the new key does not work")
	}
	noSecret(t, fmt.Sprintf("%v %+v %#v", key, key, key), key.Value)
	sas, err := c.ListServiceAccounts(ctx, "proj_main")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range sas {
		found = found || a.ID == sa.ID
	}
	if !found {
		t.Errorf("the new service account is not listed: %+v", sas)
	}
}

func TestUsagePagination(t *testing.T) {
	w := newWorld(t)
	start := t0
	// 200 hours: more than one page of 168 hourly buckets.
	for h := range 200 {
		if err := w.sim.AddUsage("proj_main", w.alice.ID, "gpt-4o", start.Add(time.Duration(h)*time.Hour+time.Minute), 2, 10, 5); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.sim.AddUsage("proj_main", w.bob.ID, "gpt-4o", start.Add(time.Hour), 7, 70, 35); err != nil {
		t.Fatal(err)
	}
	c := w.client(t)
	buckets, err := c.Usage(context.Background(), "proj_main", []string{w.alice.ID}, start, start.Add(210*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var req, in, out int64
	for _, b := range buckets {
		if b.KeyID != w.alice.ID {
			t.Errorf("bucket of key %q; only %s was asked for", b.KeyID, w.alice.ID)
		}
		if b.End.Sub(b.Start) != time.Hour {
			t.Errorf("bucket %v–%v is not an hour", b.Start, b.End)
		}
		req, in, out = req+b.Requests, in+b.InputTokens, out+b.OutputTokens
	}
	if req != 400 || in != 2000 || out != 1000 {
		t.Errorf("totals: %d requests, %d in, %d out; want 400, 2000, 1000", req, in, out)
	}
	pages := w.proxy.requests("GET /v1/organization/usage/completions")
	if len(pages) != 2 || !strings.Contains(pages[1], "page=") {
		t.Errorf("usage requests %v, want two pages", pages)
	}
	if !strings.Contains(pages[0], "bucket_width=1h") || !strings.Contains(pages[0], "group_by") {
		t.Errorf("usage request %q lacks bucket_width=1h or group_by", pages[0])
	}
	if _, err := c.Usage(context.Background(), "", nil, start, start); err == nil {
		t.Error("an empty time range was accepted")
	}
}

func TestRetriesIdempotentRequests(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	w.conformanceDisabled = true
	ctx := context.Background()

	w.proxy.inject(fault{method: "GET", pathSuffix: "/api_keys", status: 429, retryAfter: "1", left: 1,
		body: `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`})
	began := time.Now()
	keys, err := c.ListProjectKeys(ctx, "proj_main")
	if err != nil || len(keys) != 3 {
		t.Fatalf("ListProjectKeys after a 429: %d keys, %v", len(keys), err)
	}
	if d := time.Since(began); d < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", d)
	}
	if got := w.proxy.requests("GET /v1/organization/projects/proj_main/api_keys"); len(got) != 2 {
		t.Errorf("requests %v, want the 429 then a success", got)
	}

	w.proxy.inject(fault{method: "DELETE", pathSuffix: "/api_keys/" + w.bob.ID, status: 503, retryAfter: "0", left: 1})
	if err := c.DeleteProjectKey(ctx, "proj_main", w.bob.ID); err != nil {
		t.Fatalf("DeleteProjectKey after a 503: %v", err)
	}
	if got := w.proxy.requests("DELETE /v1/organization/projects/proj_main/api_keys/" + w.bob.ID); len(got) != 2 {
		t.Errorf("requests %v, want the 503 then a success", got)
	}

	// Retries run out: the error says what to do.
	w.proxy.inject(fault{method: "GET", pathSuffix: "/projects", status: 500, retryAfter: "0", left: 100})
	_, err = c.ListProjects(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 500 || !strings.Contains(err.Error(), "try again") {
		t.Errorf("ListProjects with OpenAI down: %v", err)
	}
	if got := w.proxy.requests("GET /v1/organization/projects?"); len(got) != 1+defaultRetries {
		t.Errorf("%d requests, want %d", len(got), 1+defaultRetries)
	}
}

func TestCreateIsNeverRetried(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	w.conformanceDisabled = true
	for _, status := range []int{500, 429, 409} {
		w.proxy.inject(fault{method: "POST", pathSuffix: "/service_accounts", status: status, retryAfter: "0", left: 1})
		before := len(w.proxy.requests("POST "))
		_, _, err := c.CreateServiceAccount(context.Background(), "proj_main", "respond-x")
		if err == nil {
			t.Fatalf("create with an injected %d succeeded", status)
		}
		if n := len(w.proxy.requests("POST ")) - before; n != 1 {
			t.Errorf("create with an injected %d: %d POSTs, want exactly 1", status, n)
		}
	}
	if n := len(w.sim.Snapshot().ServiceAccounts); n != 1 {
		t.Errorf("%d service accounts exist, want only the seeded one", n)
	}
}

func TestCheckKey(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	ctx := context.Background()

	kc, err := c.CheckKey(ctx, w.alice.Value)
	if err != nil || kc.State != KeyLive || kc.StatusCode != 200 || kc.CheckedAt.IsZero() {
		t.Errorf("live key: %+v, %v", kc, err)
	}
	if err := w.sim.SetRestricted(w.bob.ID); err != nil {
		t.Fatal(err)
	}
	kc, err = c.CheckKey(ctx, w.bob.Value)
	if err != nil || kc.State != KeyRestricted || kc.StatusCode != 401 || kc.Code != "" {
		t.Errorf("restricted key: %+v, %v", kc, err)
	}
	if err := w.sim.RevokeKey(w.alice.ID); err != nil {
		t.Fatal(err)
	}
	kc, err = c.CheckKey(ctx, w.alice.Value)
	if err != nil || kc.State != KeyDead || kc.StatusCode != 401 || kc.Code != "invalid_api_key" {
		t.Errorf("revoked key: %+v, %v", kc, err)
	}
	kc, err = c.CheckKey(ctx, secret.New("sk-proj-neverexistedxxxxxxxxxxxxxxxxxxxxxxxxxx"))
	if err != nil || kc.State != KeyDead {
		t.Errorf("unknown key: %+v, %v", kc, err)
	}
	// The check authenticates with the checked key, not the admin key.
	w.proxy.mu.Lock()
	last := w.proxy.header[len(w.proxy.header)-1].Get("Authorization")
	w.proxy.mu.Unlock()
	if last != "Bearer sk-proj-neverexistedxxxxxxxxxxxxxxxxxxxxxxxxxx" {
		t.Errorf("GET /v1/models was not sent with the checked key")
	}
	if _, err := c.CheckKey(ctx, secret.Value{}); err == nil {
		t.Error("an empty key was checked")
	}
}

func TestCheckKeyRetriesAndErrors(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	w.conformanceDisabled = true
	ctx := context.Background()

	w.proxy.inject(fault{method: "GET", pathSuffix: "/models", status: 429, retryAfter: "1", left: 1})
	began := time.Now()
	kc, err := c.CheckKey(ctx, w.alice.Value)
	if err != nil || kc.State != KeyLive {
		t.Fatalf("after a 429: %+v, %v", kc, err)
	}
	if d := time.Since(began); d < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", d)
	}
	if got := w.proxy.requests("GET /v1/models"); len(got) != 2 {
		t.Errorf("requests %v, want 2", got)
	}

	// An answer that is neither live nor dead is an error, not retried,
	// and the key is not in it even if the server echoes it.
	leaked := w.bob.Value.Reveal()
	w.proxy.inject(fault{method: "GET", pathSuffix: "/models", status: 403, left: 1,
		body: `{"error":{"message":"Country not supported for key ` + leaked + `","type":"invalid_request_error","param":null,"code":"unsupported_country_region_territory"}}`})
	_, err = c.CheckKey(ctx, w.bob.Value)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "unsupported_country_region_territory") {
		t.Errorf("403: %v", err)
	}
	noSecret(t, fmt.Sprint(err), w.bob.Value, w.admin.Value)

	// Cancellation stops the retries.
	w.proxy.inject(fault{method: "GET", pathSuffix: "/models", status: 503, retryAfter: "10", left: 10})
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	began = time.Now()
	if _, err := c.CheckKey(cctx, w.alice.Value); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled check: %v", err)
	}
	if time.Since(began) > 3*time.Second {
		t.Error("the check did not stop when its context ended")
	}
}

func TestAdminErrorsSayWhatToDo(t *testing.T) {
	w := newWorld(t)
	c, err := New(Config{BaseURL: w.url, AdminKey: secret.New("sk-admin-WRONGKEYxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListProjects(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !strings.Contains(err.Error(), EnvAdminKey) {
		t.Errorf("wrong admin key: %v", err)
	}
	noSecret(t, err.Error(), secret.New("sk-admin-WRONGKEYxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))

	// A project key is not an admin key.
	c, _ = New(Config{BaseURL: w.url, AdminKey: w.alice.Value})
	_, err = c.ListProjects(context.Background())
	if !errors.As(err, &ae) || ae.StatusCode != 403 || !strings.Contains(err.Error(), "admin key") {
		t.Errorf("project key as admin key: %v", err)
	}
	noSecret(t, err.Error(), w.alice.Value)

	// Nothing listening.
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	c, _ = New(Config{BaseURL: url + "/v1", AdminKey: w.admin.Value})
	c.retries = 0
	_, err = c.ListProjects(context.Background())
	if err == nil || !strings.Contains(err.Error(), "could not reach OpenAI") {
		t.Errorf("unreachable: %v", err)
	}
}

// TestAPIStringsAreCleaned: names from the API lose control characters at
// the boundary (a terminal escape in a project or key name never reaches a
// step, a log or a terminal).
func TestAPIStringsAreCleaned(t *testing.T) {
	w := newWorld(t)
	check(t, w.sim.Rename("proj_main", "Main\x1b]0;pwned\x07\x1b[2J"))
	check(t, w.sim.Rename(w.bob.ID, "prod\u009b31m-backend\u202e"))
	check(t, w.sim.Rename("user_bob", "Bob\r\nInjected: line"))
	c := w.client(t)
	ctx := context.Background()
	projects, err := c.ListProjects(ctx)
	check(t, err)
	for _, p := range projects {
		if p.ID == "proj_main" && p.Name != "Main]0;pwned[2J" {
			t.Errorf("project name %q", p.Name)
		}
	}
	k, err := c.GetProjectKey(ctx, "proj_main", w.bob.ID)
	check(t, err)
	if k.Name != "prod31m-backend" || k.OwnerName != "Bob  Injected: line" {
		t.Errorf("key name %q, owner %q", k.Name, k.OwnerName)
	}
}
