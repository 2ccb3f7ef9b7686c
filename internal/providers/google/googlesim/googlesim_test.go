package googlesim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	apikeys "google.golang.org/api/apikeys/v2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// clock is a settable clock for the simulated world.
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

// world is a simulator serving the fake, its fake and its clock.
type world struct {
	sim   *sim.Sim
	fake  *googlesim.Server
	clock *clock
	env   map[string]string
}

func startWorld(t *testing.T, seed int64, factory simapi.Factory) *world {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	s, err := sim.Start(t.Context(), sim.Options{Seed: seed, Now: c.now, Anchor: c.t, Services: []simapi.Factory{factory}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	fake, ok := s.Service("google").(*googlesim.Server)
	if !ok {
		t.Fatalf("the simulator has no google service")
	}
	return &world{sim: s, fake: fake, clock: c, env: s.Env()}
}

// client is the official REST client, pointed at the fake, with the
// service account key file the fake wrote (ADC's file, given explicitly
// so tests can run in parallel).
func (w *world) client(t *testing.T) *apikeys.Service {
	t.Helper()
	svc, err := apikeys.NewService(t.Context(),
		option.WithEndpoint(w.env[googlesim.EnvAPIKeysURL]),
		option.WithAuthCredentialsFile(option.ServiceAccount, w.env[googlesim.EnvCredentials]))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// requests are the simulator's logged requests to the fake matching
// method and a path prefix (below /google).
func (w *world) requests(method, prefix string) []sim.RequestRecord {
	var out []sim.RequestRecord
	for _, r := range w.sim.Requests(0) {
		if r.API == "google" && r.Method == method && strings.HasPrefix(r.Path, "/google"+prefix) {
			out = append(out, r)
		}
	}
	return out
}

// gerr asserts err is a Google API error with code and status.
func gerr(t *testing.T, err error, code int, status string) *googleapi.Error {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error %v is not a googleapi.Error (want %d %s)", err, code, status)
	}
	var body struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	_ = json.Unmarshal([]byte(ge.Body), &body)
	if ge.Code != code || body.Error.Status != status {
		t.Fatalf("error = %d %s (%s), want %d %s", ge.Code, body.Error.Status, ge.Message, code, status)
	}
	return ge
}

// waitOp polls an operation with the official client until it is done.
func waitOp(t *testing.T, svc *apikeys.Service, op *apikeys.Operation) *apikeys.V2Key {
	t.Helper()
	for i := 0; !op.Done; i++ {
		if i > 200 {
			t.Fatalf("operation %s never finished", op.Name)
		}
		time.Sleep(20 * time.Millisecond)
		var err error
		if op, err = svc.Operations.Get(op.Name).Do(); err != nil {
			t.Fatal(err)
		}
	}
	if op.Error != nil {
		t.Fatalf("operation failed: %d %s", op.Error.Code, op.Error.Message)
	}
	var k apikeys.V2Key
	if err := json.Unmarshal(op.Response, &k); err != nil {
		t.Fatal(err)
	}
	return &k
}

func TestOfficialClientCreateGetListAndStrings(t *testing.T) {
	t.Parallel()
	w := startWorld(t, 1, googlesim.New)
	svc := w.client(t)
	const parent = "projects/" + googlesim.DefaultProject + "/locations/global"

	restr := &apikeys.V2Restrictions{
		BrowserKeyRestrictions: &apikeys.V2BrowserKeyRestrictions{AllowedReferrers: []string{"https://app.example.com/*"}},
		ApiTargets:             []*apikeys.V2ApiTarget{{Service: "generativelanguage.googleapis.com", Methods: []string{"List*"}}},
	}
	op, err := svc.Projects.Locations.Keys.Create(parent, &apikeys.V2Key{DisplayName: "web app", Restrictions: restr,
		Annotations: map[string]string{"team": "web"}}).KeyId("web-app").Do()
	if err != nil {
		t.Fatal(err)
	}
	if op.Done {
		t.Errorf("the create operation was done at once; the fake should make the client poll")
	}
	created := waitOp(t, svc, op)
	if len(w.requests("GET", "/v2/operations/")) == 0 {
		t.Errorf("the client never polled the operation")
	}
	if !strings.HasPrefix(created.KeyString, "AIza") || len(created.KeyString) != 39 {
		t.Errorf("created key string %q is not AIza + 35 characters", created.KeyString)
	}
	number := w.snapshot(t).Projects[0].Number
	wantName := "projects/" + number + "/locations/global/keys/web-app"
	if created.Name != wantName {
		t.Errorf("name = %q, want %q (with the project number)", created.Name, wantName)
	}

	got, err := svc.Projects.Locations.Keys.Get(created.Name).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyString != "" {
		t.Errorf("GetKey returned the key string")
	}
	if got.DisplayName != "web app" || got.Annotations["team"] != "web" || got.Etag == "" || got.Uid == "" || got.CreateTime == "" {
		t.Errorf("GetKey = %+v", got)
	}
	if got.Restrictions == nil || got.Restrictions.BrowserKeyRestrictions == nil ||
		got.Restrictions.BrowserKeyRestrictions.AllowedReferrers[0] != "https://app.example.com/*" ||
		got.Restrictions.ApiTargets[0].Methods[0] != "List*" {
		t.Errorf("restrictions came back as %+v", got.Restrictions)
	}
	// The project by ID or by number names the same key.
	if _, err := svc.Projects.Locations.Keys.Get("projects/" + googlesim.DefaultProject + "/locations/global/keys/web-app").Do(); err != nil {
		t.Errorf("get by project ID: %v", err)
	}

	ks, err := svc.Projects.Locations.Keys.GetKeyString(created.Name).Do()
	if err != nil || ks.KeyString != created.KeyString {
		t.Errorf("GetKeyString = %v, %v; want the created string", ks, err)
	}
	lk, err := svc.Keys.LookupKey().KeyString(created.KeyString).Do()
	if err != nil || lk.Name != created.Name || lk.Parent != "projects/"+number {
		t.Errorf("LookupKey = %+v, %v", lk, err)
	}

	// A second create with the same keyId: 409 ALREADY_EXISTS, at once.
	_, err = svc.Projects.Locations.Keys.Create(parent, &apikeys.V2Key{DisplayName: "again"}).KeyId("web-app").Do()
	gerr(t, err, 409, "ALREADY_EXISTS")

	// Pagination: 5 more keys, pages of 2.
	for i := 0; i < 5; i++ {
		if _, err := w.fake.IssueKey(simapi.IssueRequest{Name: "seeded"}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	err = svc.Projects.Locations.Keys.List(parent).PageSize(2).Pages(t.Context(), func(r *apikeys.V2ListKeysResponse) error {
		pages++
		for _, k := range r.Keys {
			names = append(names, k.Name)
			if k.KeyString != "" {
				t.Errorf("ListKeys returned a key string")
			}
		}
		return nil
	})
	if err != nil || pages != 3 || len(names) != 6 || names[0] != created.Name {
		t.Errorf("list: %d pages, %d keys (%v), %v; want 3 pages of 6 keys, web-app first", pages, len(names), names, err)
	}
	_, err = svc.Projects.Locations.Keys.List(parent).PageToken("bogus").Do()
	gerr(t, err, 400, "INVALID_ARGUMENT")
}

// snap is the part of the fake's snapshot tests read.
type snap struct {
	Projects []struct {
		ID, Number string
	} `json:"projects"`
	Keys []struct {
		Name       string `json:"name"`
		State      string `json:"state"`
		KeyString  string `json:"keyString"`
		DeleteTime string `json:"deleteTime"`
		Uses       int    `json:"uses"`
	} `json:"keys"`
}

func (w *world) snapshot(t *testing.T) snap {
	t.Helper()
	b, err := json.Marshal(w.fake.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s snap
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOfficialClientDeleteUndeletePatchAndPurge(t *testing.T) {
	t.Parallel()
	w := startWorld(t, 2, googlesim.NewWithConfig(googlesim.Config{OperationDelay: -1}))
	svc := w.client(t)
	k, err := w.fake.IssueKey(simapi.IssueRequest{Name: "server", Attrs: map[string]string{"ips": "10.0.0.1,192.168.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Projects.Locations.Keys.Get(k.ID).Do()
	if err != nil {
		t.Fatal(err)
	}

	// Patch with a mask changes only what the mask names.
	op, err := svc.Projects.Locations.Keys.Patch(k.ID, &apikeys.V2Key{DisplayName: "renamed",
		Annotations: map[string]string{"ignored": "yes"}}).UpdateMask("displayName").Do()
	if err != nil {
		t.Fatal(err)
	}
	patched := waitOp(t, svc, op)
	if patched.DisplayName != "renamed" || len(patched.Annotations) != 0 || patched.Restrictions.ServerKeyRestrictions == nil {
		t.Errorf("patched key = %+v", patched)
	}
	if patched.Etag == got.Etag {
		t.Errorf("the etag did not change with the key")
	}
	_, err = svc.Projects.Locations.Keys.Patch(k.ID, &apikeys.V2Key{Restrictions: &apikeys.V2Restrictions{
		BrowserKeyRestrictions: &apikeys.V2BrowserKeyRestrictions{AllowedReferrers: []string{"a"}},
		IosKeyRestrictions:     &apikeys.V2IosKeyRestrictions{AllowedBundleIds: []string{"b"}},
	}}).UpdateMask("restrictions").Do()
	gerr(t, err, 400, "INVALID_ARGUMENT")
	_, err = svc.Projects.Locations.Keys.Patch(k.ID, &apikeys.V2Key{DisplayName: strings.Repeat("x", 64)}).Do()
	gerr(t, err, 400, "INVALID_ARGUMENT")

	// Delete with the etag read before the patch: 409 ABORTED, nothing deleted.
	_, err = svc.Projects.Locations.Keys.Delete(k.ID).Etag(got.Etag).Do()
	gerr(t, err, 409, "ABORTED")
	if s := w.snapshot(t); s.Keys[0].State != "live" {
		t.Fatalf("a refused delete deleted the key: %+v", s.Keys[0])
	}
	op, err = svc.Projects.Locations.Keys.Delete(k.ID).Etag(patched.Etag).Do()
	if err != nil {
		t.Fatal(err)
	}
	deleted := waitOp(t, svc, op)
	if deleted.DeleteTime == "" {
		t.Errorf("the deleted key has no deleteTime")
	}
	_, err = svc.Projects.Locations.Keys.Delete(k.ID).Do()
	gerr(t, err, 400, "FAILED_PRECONDITION")

	parent := "projects/" + googlesim.DefaultProject + "/locations/global"
	if l, err := svc.Projects.Locations.Keys.List(parent).Do(); err != nil || len(l.Keys) != 0 {
		t.Errorf("list without showDeleted = %+v, %v; want no keys", l, err)
	}
	if l, err := svc.Projects.Locations.Keys.List(parent).ShowDeleted(true).Do(); err != nil || len(l.Keys) != 1 || l.Keys[0].DeleteTime == "" {
		t.Errorf("list with showDeleted = %+v, %v; want the deleted key", l, err)
	}
	_, err = svc.Projects.Locations.Keys.Patch(k.ID, &apikeys.V2Key{DisplayName: "x"}).Do()
	gerr(t, err, 400, "FAILED_PRECONDITION")

	op, err = svc.Projects.Locations.Keys.Undelete(k.ID, &apikeys.V2UndeleteKeyRequest{}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if u := waitOp(t, svc, op); u.DeleteTime != "" {
		t.Errorf("undeleted key still has deleteTime %s", u.DeleteTime)
	}
	_, err = svc.Projects.Locations.Keys.Undelete(k.ID, &apikeys.V2UndeleteKeyRequest{}).Do()
	gerr(t, err, 400, "FAILED_PRECONDITION")

	// Deleted for 30 days: purged. Get is 404; lookup names only the project.
	if _, err = svc.Projects.Locations.Keys.Delete(k.ID).Do(); err != nil {
		t.Fatal(err)
	}
	w.clock.add(29 * 24 * time.Hour)
	op, err = svc.Projects.Locations.Keys.Undelete(k.ID, &apikeys.V2UndeleteKeyRequest{}).Do()
	if err != nil {
		t.Fatalf("undelete on day 29: %v", err)
	}
	waitOp(t, svc, op)
	if _, err = svc.Projects.Locations.Keys.Delete(k.ID).Do(); err != nil {
		t.Fatal(err)
	}
	w.clock.add(30 * 24 * time.Hour)
	_, err = svc.Projects.Locations.Keys.Get(k.ID).Do()
	gerr(t, err, 404, "NOT_FOUND")
	_, err = svc.Projects.Locations.Keys.Undelete(k.ID, &apikeys.V2UndeleteKeyRequest{}).Do()
	gerr(t, err, 404, "NOT_FOUND")
	lk, err := svc.Keys.LookupKey().KeyString(k.Value).Do()
	if err != nil || lk.Name != "" || lk.Parent == "" {
		t.Errorf("lookup of a purged key = %+v, %v; want its parent and no name", lk, err)
	}
	if s := w.snapshot(t); s.Keys[0].State != "purged" {
		t.Errorf("snapshot state = %q, want purged", s.Keys[0].State)
	}
}

func TestOfficialClientErrors(t *testing.T) {
	t.Parallel()
	w := startWorld(t, 3, googlesim.New)
	svc := w.client(t)
	k, err := w.fake.IssueKey(simapi.IssueRequest{Scope: "locked-project", Name: "locked"})
	if err != nil {
		t.Fatal(err)
	}

	_, err = svc.Projects.Locations.Keys.Get("projects/" + googlesim.DefaultProject + "/locations/global/keys/nope").Do()
	gerr(t, err, 404, "NOT_FOUND")
	_, err = svc.Keys.LookupKey().KeyString("AIza" + strings.Repeat("0", 35)).Do()
	gerr(t, err, 404, "NOT_FOUND")
	_, err = svc.Projects.Locations.Keys.List("projects/no-such-project/locations/global").Do()
	gerr(t, err, 403, "PERMISSION_DENIED")
	_, err = svc.Projects.Locations.Keys.List("projects/" + googlesim.DefaultProject + "/locations/us-east1").Do()
	gerr(t, err, 400, "INVALID_ARGUMENT")
	_, err = svc.Projects.Locations.Keys.Create("projects/"+googlesim.DefaultProject+"/locations/global", &apikeys.V2Key{}).
		KeyId("0123abcd-0000-4000-8000-000000000000").Do()
	gerr(t, err, 400, "INVALID_ARGUMENT")

	w.fake.DenyProject("locked-project", true)
	_, err = svc.Projects.Locations.Keys.Get(k.ID).Do()
	ge := gerr(t, err, 403, "PERMISSION_DENIED")
	if !strings.Contains(ge.Body, "IAM_PERMISSION_DENIED") {
		t.Errorf("403 body has no ErrorInfo: %s", ge.Body)
	}
	_, err = svc.Keys.LookupKey().KeyString(k.Value).Do()
	gerr(t, err, 403, "PERMISSION_DENIED")
	w.fake.DenyProject("locked-project", false)
	if _, err = svc.Projects.Locations.Keys.Get(k.ID).Do(); err != nil {
		t.Errorf("after access came back: %v", err)
	}

	// No token, a made-up token: 401 UNAUTHENTICATED.
	for _, h := range []string{"", "Bearer ya29.made-up"} {
		req, _ := http.NewRequest("GET", w.env[googlesim.EnvAPIKeysURL]+"v2/"+k.ID, nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 401 || !strings.Contains(string(b), `"UNAUTHENTICATED"`) {
			t.Errorf("with Authorization %q: %d %s", h, res.StatusCode, b)
		}
	}

	// Injected faults answer in Google's shape; the request log names the API.
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/google/v2/**", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Projects.Locations.Keys.Get(k.ID).Do()
	gerr(t, err, 503, "UNAVAILABLE")
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/google/v2/**", RateLimit: "429", RetryAfter: sim.Duration(3 * time.Second), Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Projects.Locations.Keys.Get(k.ID).Do()
	ge = gerr(t, err, 429, "RESOURCE_EXHAUSTED")
	if ge.Header.Get("Retry-After") != "3" {
		t.Errorf("429 Retry-After = %q, want 3", ge.Header.Get("Retry-After"))
	}
	faulted := 0
	for _, r := range w.requests("GET", "/v2/") {
		if r.Fault != 0 {
			faulted++
		}
	}
	if faulted != 2 {
		t.Errorf("%d faulted google requests in the log, want 2", faulted)
	}
}

func TestApplicationDefaultCredentials(t *testing.T) {
	// Not parallel: ADC reads the environment.
	w := startWorld(t, 4, googlesim.New)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", w.env[googlesim.EnvCredentials])
	svc, err := apikeys.NewService(context.Background(), option.WithEndpoint(w.env[googlesim.EnvAPIKeysURL]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Projects.Locations.Keys.List("projects/" + googlesim.DefaultProject + "/locations/global").Do(); err != nil {
		t.Fatalf("list with ADC: %v", err)
	}
	if n := len(w.requests("POST", "/token")); n != 1 {
		t.Errorf("%d token requests, want 1 (ADC exchanges the service account's JWT once)", n)
	}
	// A JWT signed by another key is refused as Google refuses it.
	res, err := http.PostForm(strings.TrimSuffix(w.env[googlesim.EnvAPIKeysURL], "/")+"/token", map[string][]string{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || !strings.Contains(string(b), "invalid_grant") {
		t.Errorf("forged assertion: %d %s", res.StatusCode, b)
	}
}

func TestSameSeedSameWorld(t *testing.T) {
	t.Parallel()
	build := func(seed int64) []byte {
		w := startWorld(t, seed, googlesim.NewWithConfig(googlesim.Config{OperationDelay: -1}))
		svc := w.client(t)
		for _, attrs := range []map[string]string{nil, {"referrers": "*.example.com/*"}, {"api_targets": "translate.googleapis.com"}} {
			if _, err := w.fake.IssueKey(simapi.IssueRequest{Name: "seeded", Attrs: attrs}); err != nil {
				t.Fatal(err)
			}
		}
		op, err := svc.Projects.Locations.Keys.Create("projects/"+googlesim.DefaultProject+"/locations/global",
			&apikeys.V2Key{DisplayName: "through the API"}).Do()
		if err != nil {
			t.Fatal(err)
		}
		waitOp(t, svc, op)
		b, err := json.Marshal(w.fake.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.sim.Reset(); err != nil {
			t.Fatal(err)
		}
		if s := w.snapshot(t); len(s.Keys) != 0 {
			t.Errorf("Reset left %d keys", len(s.Keys))
		}
		return b
	}
	a, b, c := build(7), build(7), build(8)
	if string(a) != string(b) {
		t.Errorf("same seed, different worlds:\n%s\n%s", a, b)
	}
	if string(a) == string(c) {
		t.Errorf("different seeds, same world")
	}
}
