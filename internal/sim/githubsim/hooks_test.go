package githubsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// receiver is a webhook endpoint on a loopback port: it keeps every
// delivery and answers with status (204 when zero), or blocks until the
// delivery gives up when block is set.
type receiver struct {
	srv    *httptest.Server
	got    chan hookRequest
	status int
	block  bool
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func (h hookRequest) request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(h.body))
	r.Header = h.header.Clone()
	return r
}

func (h hookRequest) action() string {
	var p struct{ Action string }
	_ = json.Unmarshal(h.body, &p)
	return p.Action
}

func newReceiver(t *testing.T, status int, block bool) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan hookRequest, 64), status: status, block: block}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.got <- hookRequest{header: r.Header.Clone(), body: b}
		if rc.block {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(max(rc.status, http.StatusNoContent))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next returns the next delivery (waiting at most 10 s).
func (rc *receiver) next(t *testing.T) hookRequest {
	t.Helper()
	select {
	case d := <-rc.got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived")
		return hookRequest{}
	}
}

// none checks that nothing was delivered once deliveries are done.
func (rc *receiver) none(t *testing.T, sim *githubsim.Server) {
	t.Helper()
	if err := sim.WaitForDeliveries(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-rc.got:
		t.Errorf("unexpected delivery %s %s", d.header.Get("X-GitHub-Event"), d.action())
	default:
	}
}

func repoHook(t *testing.T, c *github.Client, url, contentType, secret string, events ...string) *github.Hook {
	t.Helper()
	cfg := &github.HookConfig{URL: github.String(url), Secret: github.String(secret)}
	if contentType != "" {
		cfg.ContentType = github.String(contentType)
	}
	h, _, err := c.Repositories.CreateHook(context.Background(), "acme", "api", &github.Hook{Config: cfg, Events: events})
	if err != nil {
		t.Fatalf("create hook: %v", err)
	}
	return h
}

func TestHooksAreManagedAsOnGitHub(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	c, _ := newClient(t, srv, adminToken, true)
	ro, _ := newClient(t, srv, readToken, true)
	rc := newReceiver(t, 0, false)
	ctx := context.Background()

	for name, cfg := range map[string]*github.HookConfig{
		"no URL":           {ContentType: github.String("json")},
		"not loopback":     {URL: github.String("http://192.0.2.10/hook")},
		"not http":         {URL: github.String("ftp://127.0.0.1/hook")},
		"bad content type": {URL: github.String(rc.srv.URL), ContentType: github.String("xml")},
		"bad insecure_ssl": {URL: github.String(rc.srv.URL), InsecureSSL: github.String("2")},
	} {
		if _, _, err := c.Repositories.CreateHook(ctx, "acme", "api", &github.Hook{Config: cfg}); errStatus(err) != http.StatusUnprocessableEntity {
			t.Errorf("%s: %v, want 422", name, err)
		}
	}
	if _, _, err := c.Repositories.CreateHook(ctx, "acme", "api", &github.Hook{Config: &github.HookConfig{URL: github.String(rc.srv.URL)}, Events: []string{"Push!"}}); errStatus(err) != http.StatusUnprocessableEntity {
		t.Errorf("a bad event name: %v, want 422", err)
	}
	if _, _, err := ro.Repositories.CreateHook(ctx, "acme", "api", &github.Hook{Config: &github.HookConfig{URL: github.String(rc.srv.URL)}}); errStatus(err) != http.StatusForbidden {
		t.Errorf("a read-only token: %v, want 403", err)
	}
	if _, _, err := c.Repositories.CreateHook(ctx, "acme", "nope", &github.Hook{Config: &github.HookConfig{URL: github.String(rc.srv.URL)}}); errStatus(err) != http.StatusNotFound {
		t.Errorf("an unknown repository: %v, want 404", err)
	}
	if _, _, err := ro.Organizations.ListHooks(ctx, "acme", nil); errStatus(err) != http.StatusForbidden {
		t.Errorf("organization hooks with a read-only token: %v, want 403", err)
	}

	h := repoHook(t, c, rc.srv.URL, "", "shh")
	if h.GetType() != "Repository" || h.GetName() != "web" || !h.GetActive() || h.GetConfig().GetContentType() != "form" ||
		h.GetConfig().GetInsecureSSL() != "0" || h.GetConfig().GetSecret() != "********" || len(h.Events) != 1 || h.Events[0] != "push" ||
		h.GetPingURL() != srv.URL+"/api/v3/repos/acme/api/hooks/"+strconv.FormatInt(h.GetID(), 10)+"/pings" {
		t.Errorf("created hook: %+v, want GitHub's defaults (form, push, active) and a masked secret", h)
	}
	if _, _, err := c.Repositories.CreateHook(ctx, "acme", "api", &github.Hook{Config: &github.HookConfig{URL: github.String(rc.srv.URL)}}); errStatus(err) != http.StatusUnprocessableEntity {
		t.Errorf("a second hook with the same URL: %v, want 422", err)
	}
	list, _, err := c.Repositories.ListHooks(ctx, "acme", "api", nil)
	if err != nil || len(list) != 1 || list[0].GetID() != h.GetID() {
		t.Fatalf("list: %v %v", list, err)
	}

	// A new config without a secret keeps the secret; events and active
	// change.
	e, _, err := c.Repositories.EditHook(ctx, "acme", "api", h.GetID(), &github.Hook{
		Config: &github.HookConfig{URL: github.String(rc.srv.URL + "/v2"), ContentType: github.String("json")},
		Events: []string{"secret_scanning_alert"}, Active: github.Bool(false)})
	if err != nil || e.GetConfig().GetURL() != rc.srv.URL+"/v2" || e.GetConfig().GetSecret() != "********" || e.GetActive() || e.Events[0] != "secret_scanning_alert" {
		t.Fatalf("edit: %+v %v", e, err)
	}
	cfg, _, err := c.Repositories.EditHookConfiguration(ctx, "acme", "api", h.GetID(), &github.HookConfig{ContentType: github.String("form")})
	if err != nil || cfg.GetContentType() != "form" || cfg.GetURL() != rc.srv.URL+"/v2" {
		t.Fatalf("edit config: %+v %v", cfg, err)
	}
	if got, _, err := c.Repositories.GetHookConfiguration(ctx, "acme", "api", h.GetID()); err != nil || got.GetContentType() != "form" {
		t.Errorf("get config: %+v %v", got, err)
	}
	st := sim.Snapshot()
	if len(st.Hooks) != 1 || !st.Hooks[0].SecretSet || st.Hooks[0].Active || st.Hooks[0].Owner != "acme/api" {
		t.Errorf("/_sim/state hooks: %+v", st.Hooks)
	}
	if _, err := c.Repositories.DeleteHook(ctx, "acme", "api", h.GetID()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Repositories.GetHook(ctx, "acme", "api", h.GetID()); errStatus(err) != http.StatusNotFound {
		t.Errorf("get after delete: %v, want 404", err)
	}
	// The ping of the creation went out before the hook was deleted.
	if d := rc.next(t); d.header.Get("X-GitHub-Event") != "ping" {
		t.Errorf("the new hook got %s, want ping", d.header.Get("X-GitHub-Event"))
	}
}

func TestFormDeliveriesValidateWithGoGitHub(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	c, _ := newClient(t, srv, adminToken, true)
	rc := newReceiver(t, 0, false)
	h := repoHook(t, c, rc.srv.URL, "form", "form-secret", "secret_scanning_alert")
	for _, d := range []hookRequest{rc.next(t), func() hookRequest {
		if _, err := c.Repositories.PingHook(context.Background(), "acme", "api", h.GetID()); err != nil {
			t.Fatal(err)
		}
		return rc.next(t)
	}()} {
		if ct := d.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("content type %q, want form", ct)
		}
		payload, err := github.ValidatePayload(d.request(), []byte("form-secret"))
		if err != nil {
			t.Fatalf("ValidatePayload: %v", err)
		}
		ev, err := github.ParseWebHook("ping", payload)
		if pe, ok := ev.(*github.PingEvent); err != nil || !ok || pe.GetHookID() != h.GetID() || pe.GetZen() == "" || pe.GetHook().GetID() != h.GetID() {
			t.Errorf("ping: %+v %v", ev, err)
		}
		if d.header.Get("X-GitHub-Hook-Installation-Target-Type") != "repository" ||
			d.header.Get("X-GitHub-Hook-Installation-Target-ID") != strconv.FormatInt(apiRepoID, 10) {
			t.Errorf("target headers: %v", d.header)
		}
	}
	rc.none(t, sim)
}

func TestAlertChangesFireEvents(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	c, _ := newClient(t, srv, adminToken, false)
	rc := newReceiver(t, 0, false)
	oh, _, err := c.Organizations.CreateHook(context.Background(), "acme", &github.Hook{
		Config: &github.HookConfig{URL: github.String(rc.srv.URL), ContentType: github.String("json"), Secret: github.String("k")},
		Events: []string{"secret_scanning_alert", "secret_scanning_alert_location"}})
	if err != nil || oh.GetType() != "Organization" {
		t.Fatalf("create an organization hook: %+v %v", oh, err)
	}
	rc.next(t) // ping

	if _, err = patchAlert(t, c, 1, map[string]any{"state": "resolved", "resolution": "revoked"}); err != nil {
		t.Fatal(err)
	}
	d := rc.next(t)
	payload, err := github.ValidatePayload(d.request(), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := github.ParseWebHook(github.WebHookType(d.request()), payload)
	sa, ok := ev.(*github.SecretScanningAlertEvent)
	if err != nil || !ok || sa.GetAction() != "resolved" || sa.GetAlert().GetResolution() != "revoked" || sa.GetSender().GetLogin() != "alice" {
		t.Fatalf("resolved event: %+v %v", ev, err)
	}
	if _, err := patchAlert(t, c, 1, map[string]any{"state": "open"}); err != nil {
		t.Fatal(err)
	}
	if d := rc.next(t); d.action() != "reopened" {
		t.Errorf("after reopening: %s, want reopened", d.action())
	}
	if _, err := patchAlert(t, c, 1, map[string]any{"validity": "inactive"}); err != nil {
		t.Fatal(err)
	}
	if d := rc.next(t); d.action() != "validated" || !bytes.Contains(d.body, []byte(`"validity":"inactive"`)) {
		t.Errorf("after a validity override: %s %s, want validated inactive", d.action(), d.body)
	}

	// A public repository: a second push of the same secret makes both
	// alerts publicly leaked.
	res, err := sim.PlantSecret(githubsim.Leak{Owner: "acme", Repo: "web", SecretType: "openai_api_key", Secret: "sk-proj-leaked", Path: "index.js", Line: 2, Pusher: "mallory"})
	if err != nil || !res.NewAlert || !res.PubliclyLeaked {
		t.Fatalf("plant into a public repository: %+v %v", res, err)
	}
	got := map[string]string{}
	for range 3 {
		d := rc.next(t)
		var p struct {
			Action     string
			Repository struct{ Name string }
			Alert      struct {
				PubliclyLeaked bool `json:"publicly_leaked"`
			}
			Sender struct{ Login string }
		}
		_ = json.Unmarshal(d.body, &p)
		got[p.Repository.Name+" "+p.Action] = p.Sender.Login
		if p.Action == "publicly_leaked" && !p.Alert.PubliclyLeaked {
			t.Error("a publicly_leaked payload shows publicly_leaked false")
		}
	}
	for _, k := range []string{"web created", "web publicly_leaked", "api publicly_leaked"} {
		if got[k] != "mallory" {
			t.Errorf("events %v lack %q sent by the pusher", got, k)
		}
	}
	// Once is enough: a third push adds a location and no further
	// publicly_leaked.
	if res, err := sim.PlantSecret(githubsim.Leak{Owner: "acme", Repo: "web", SecretType: "openai_api_key", Secret: "sk-proj-leaked"}); err != nil || res.NewAlert {
		t.Fatalf("a second push into web: %+v %v", res, err)
	}
	if d := rc.next(t); d.header.Get("X-GitHub-Event") != "secret_scanning_alert_location" {
		t.Errorf("second push: %s, want a location", d.header.Get("X-GitHub-Event"))
	}
	rc.none(t, sim)

	// An inactive hook hears nothing.
	if _, _, err := c.Organizations.EditHook(context.Background(), "acme", oh.GetID(), &github.Hook{Active: github.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := patchAlert(t, c, 1, map[string]any{"state": "resolved", "resolution": "wont_fix"}); err != nil {
		t.Fatal(err)
	}
	rc.none(t, sim)
}

func TestFailedDeliveriesAreRecorded(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{HookTimeout: 100 * time.Millisecond})
	c, _ := newClient(t, srv, adminToken, true)
	ctx := context.Background()
	slow := newReceiver(t, 0, true)
	broken := newReceiver(t, http.StatusInternalServerError, false)
	hs := repoHook(t, c, slow.srv.URL, "json", "")
	hb := repoHook(t, c, broken.srv.URL, "json", "")
	if err := sim.WaitForDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		h      *github.Hook
		code   int
		status string
	}{{hs, 0, "timed out"}, {hb, 500, "Invalid HTTP Response: 500"}} {
		list, _, err := c.Repositories.ListHookDeliveries(ctx, "acme", "api", tc.h.GetID(), nil)
		if err != nil || len(list) != 1 {
			t.Fatalf("deliveries: %v %v", list, err)
		}
		if list[0].GetStatusCode() != tc.code || list[0].GetStatus() != tc.status || list[0].GetEvent() != "ping" {
			t.Errorf("delivery %+v, want status %d %q", list[0], tc.code, tc.status)
		}
		h, _, _ := c.Repositories.GetHook(ctx, "acme", "api", tc.h.GetID())
		if h.LastResponse["code"] != float64(tc.code) && !(tc.code == 0 && h.LastResponse["code"] == float64(0)) {
			t.Errorf("last_response %v, want code %d", h.LastResponse, tc.code)
		}
	}
	// A secretless hook's deliveries carry no signature.
	if d := broken.next(t); d.header.Get("X-Hub-Signature-256") != "" || d.header.Get("X-Hub-Signature") != "" {
		t.Errorf("a hook without a secret got signatures: %v", d.header)
	}
}

func TestDeliveriesArePagedByCursor(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	c, _ := newClient(t, srv, adminToken, true)
	ctx := context.Background()
	rc := newReceiver(t, 0, false)
	h := repoHook(t, c, rc.srv.URL, "json", "")
	for range 2 {
		if _, err := c.Repositories.PingHook(ctx, "acme", "api", h.GetID()); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.WaitForDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	first, resp, err := c.Repositories.ListHookDeliveries(ctx, "acme", "api", h.GetID(), &github.ListCursorOptions{PerPage: 2})
	if err != nil || len(first) != 2 || resp.Cursor == "" || first[0].GetID() < first[1].GetID() {
		t.Fatalf("first page: %v cursor %q %v, want the 2 newest and a cursor", first, resp.Cursor, err)
	}
	rest, resp, err := c.Repositories.ListHookDeliveries(ctx, "acme", "api", h.GetID(), &github.ListCursorOptions{PerPage: 2, Cursor: resp.Cursor})
	if err != nil || len(rest) != 1 || resp.Cursor != "" || rest[0].GetID() >= first[1].GetID() {
		t.Fatalf("second page: %v cursor %q %v, want the oldest and no cursor", rest, resp.Cursor, err)
	}
	one, _, err := c.Repositories.GetHookDelivery(ctx, "acme", "api", h.GetID(), rest[0].GetID())
	if err != nil || one.GetGUID() != rest[0].GetGUID() || one.GetRequest().GetHeaders()["X-GitHub-Event"] != "ping" {
		t.Errorf("get delivery: %+v %v", one, err)
	}
	var p map[string]any
	if err := json.Unmarshal(*one.GetRequest().RawPayload, &p); err != nil || p["hook_id"] != float64(h.GetID()) {
		t.Errorf("the recorded payload: %v %v", p, err)
	}
	if _, _, err := c.Repositories.GetHookDelivery(ctx, "acme", "api", h.GetID(), 12345); errStatus(err) != http.StatusNotFound {
		t.Errorf("an unknown delivery: %v, want 404", err)
	}
}

// BenchmarkLeakToDelivery measures from a push that opens an alert to the
// signed created delivery at a loopback receiver (what bounds respond
// watch's time to contain by webhook).
func BenchmarkLeakToDelivery(b *testing.B) {
	sim := githubsim.New(githubsim.Options{Rand: seededRand(1)})
	defer sim.Close()
	if err := sim.AddOrg("acme", orgID); err != nil {
		b.Fatal(err)
	}
	if err := sim.AddRepo("acme", "api", apiRepoID, true); err != nil {
		b.Fatal(err)
	}
	sim.AddToken(adminToken, "alice", githubsim.AllPermissions)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	got := make(chan struct{}, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-GitHub-Event") == "secret_scanning_alert" {
			got <- struct{}{}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	c := github.NewClient(nil).WithAuthToken(adminToken)
	c, _ = c.WithEnterpriseURLs(srv.URL+"/api/v3/", srv.URL+"/api/uploads/")
	if _, _, err := c.Organizations.CreateHook(context.Background(), "acme", &github.Hook{
		Config: &github.HookConfig{URL: github.String(recv.URL), ContentType: github.String("json"), Secret: github.String("s")},
		Events: []string{"secret_scanning_alert"}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := sim.PlantSecret(githubsim.Leak{Owner: "acme", Repo: "api", SecretType: "openai_api_key", Secret: "sk-proj-" + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}
