package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/sim/spec"
)

// What respond watch and the GitHub-token provider need of the simulator,
// end to end through go-github against a running simulator: tokens as
// credentials, alert validity that follows the key, conditional alert
// reads, signed webhooks with redelivery, and POST /_sim/leak.

// hookReceiver is a webhook endpoint on a loopback port that keeps every
// delivery.
type hookReceiver struct {
	srv *httptest.Server
	got chan delivered
}

type delivered struct {
	header http.Header
	body   []byte
}

// request rebuilds the delivery as the request the receiver got, for
// go-github's ValidatePayload.
func (d delivered) request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(d.body))
	r.Header = d.header.Clone()
	return r
}

func newReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	rc := &hookReceiver{got: make(chan delivered, 256)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.got <- delivered{header: r.Header.Clone(), body: b}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next waits for the next delivery of event (and action, when given),
// skipping others.
func (rc *hookReceiver) next(t *testing.T, event, action string) delivered {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case d := <-rc.got:
			if d.header.Get("X-GitHub-Event") != event {
				continue
			}
			if action != "" {
				var p struct{ Action string }
				_ = json.Unmarshal(d.body, &p)
				if p.Action != action {
					continue
				}
			}
			return d
		case <-timeout.C:
			t.Fatalf("no %s %s delivery arrived", event, action)
			return delivered{}
		}
	}
}

// plainGitHub is a go-github client for the simulator's enterprise URLs
// (webhooks are not in the spec subset, so no spec checking).
func plainGitHub(t *testing.T, s *Sim, token string) *github.Client {
	t.Helper()
	c := github.NewClient(nil)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	c, err := c.WithEnterpriseURLs(s.URL()+"/api/v3/", s.URL()+"/api/uploads/")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// postLeak sends POST /_sim/leak.
func postLeak(t *testing.T, s *Sim, body string) LeakedAlert {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/_sim/leak", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_sim/leak %s: %d %s", body, resp.StatusCode, b)
	}
	var out LeakedAlert
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// alertsWith lists a repository's alerts with a validity filter (go-github
// v60 has no validity option) and returns their numbers and validities.
func alertsWith(t *testing.T, gh *github.Client, repo, validity string) map[int]string {
	t.Helper()
	req, err := gh.NewRequest(http.MethodGet, "repos/"+repo+"/secret-scanning/alerts?state=open&validity="+validity, nil)
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Number   int    `json:"number"`
		Validity string `json:"validity"`
	}
	if _, err := gh.Do(t.Context(), req, &list); err != nil {
		t.Fatalf("list %s alerts with validity %s: %v", repo, validity, err)
	}
	out := map[int]string{}
	for _, a := range list {
		out[a.Number] = a.Validity
	}
	return out
}

func TestGitHubTokenCheckAndRevoke(t *testing.T) {
	s := start(t, Options{GitHub: GitHubLimits{RevokeLimit: 4}})
	ctx := t.Context()
	info := s.Scenario()

	ki, ok := s.KeyIssuerFor(githubsim.SecretTypePAT)
	if !ok {
		t.Fatal("no key issuer for github_personal_access_token")
	}
	leaked, err := ki.IssueKey(simapi.IssueRequest{Scope: "dana", Name: "laptop deploys", Attrs: map[string]string{"kind": githubsim.TokenClassic}})
	if err != nil {
		t.Fatal(err)
	}
	// The simulator's own ID of the token (the API names it by none).
	leaked.ID, _, _ = ki.KeyStatus(leaked.Value, s.now())
	if !regexp.MustCompile(`^ghp_[A-Za-z0-9]{36}$`).MatchString(leaked.Value) {
		t.Errorf("classic token %q is not ghp_ and 36 alphanumerics", leaked.Value)
	}
	fine, err := ki.IssueKey(simapi.IssueRequest{Scope: "dana", Attrs: map[string]string{"kind": githubsim.TokenFineGrained}})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$`).MatchString(fine.Value) {
		t.Errorf("fine-grained token %q has not GitHub's format", fine.Value)
	}

	// The token works: GET /user answers its user, in GitHub's shape.
	dana, _ := ghClient(t, s, "/api/v3/", leaked.Value)
	u, _, err := dana.Users.Get(ctx, "")
	if err != nil || u.GetLogin() != "dana" {
		t.Fatalf("GET /user with the leaked token: %v, %v", u.GetLogin(), err)
	}

	// The token is leaked into a repository: its alert is active.
	la, err := s.LeakKey(LeakRequest{KeyID: leaked.ID, Repo: "web", Path: "deploy.sh", Line: 4})
	if err != nil {
		t.Fatal(err)
	}
	if la.SecretType != githubsim.SecretTypePAT || la.Validity != githubsim.ValidityActive || !la.NewAlert {
		t.Fatalf("leaked token's alert: %+v, want a new active github_personal_access_token alert", la)
	}

	// Revoke it the normal way: unauthenticated, among unknown tokens.
	hc, ct := checked(t, spec.GitHub, nil)
	anon, err := github.NewClient(hc).WithEnterpriseURLs(s.URL()+"/api/v3/", s.URL()+"/api/uploads/")
	if err != nil {
		t.Fatal(err)
	}
	revoke := func(c *github.Client, creds []string) (*github.Response, error) {
		req, err := c.NewRequest(http.MethodPost, "credentials/revoke", map[string]any{"credentials": creds})
		if err != nil {
			t.Fatal(err)
		}
		return c.Do(ctx, req, nil)
	}
	resp, err := revoke(anon, []string{leaked.Value, "ghp_" + strings.Repeat("x", 36)})
	var accepted *github.AcceptedError
	if !errors.As(err, &accepted) || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("revoke: %v (status %d), want 202 Accepted", err, resp.StatusCode)
	}
	if resp.Header.Get("X-RateLimit-Limit") != "4" || resp.Header.Get("X-RateLimit-Remaining") != "3" {
		t.Errorf("revoke rate-limit headers: limit %q remaining %q, want 4 and 3",
			resp.Header.Get("X-RateLimit-Limit"), resp.Header.Get("X-RateLimit-Remaining"))
	}

	// Dead: GET /user is 401 Bad credentials, the issuer says so, the
	// alert is inactive, and the owner was told (without the value).
	_, resp, err = dana.Users.Get(ctx, "")
	if resp == nil || resp.StatusCode != http.StatusUnauthorized || !strings.Contains(err.Error(), "Bad credentials") {
		t.Fatalf("GET /user with the revoked token: %v, want 401 Bad credentials", err)
	}
	if _, live, known := ki.KeyStatus(leaked.Value, s.Now()); live || !known {
		t.Errorf("KeyStatus of the revoked token: live %v known %v", live, known)
	}
	if _, live, _ := ki.KeyStatus(fine.Value, s.Now()); !live {
		t.Error("the fine-grained token, not listed, was revoked too")
	}
	gh, _ := ghClient(t, s, "/api/v3/", s.Env()["GITHUB_TOKEN"])
	if got := alertsWith(t, gh, info.Org+"/web", "inactive"); got[la.Number] != githubsim.ValidityInactive {
		t.Errorf("the revoked token's alert is not inactive: %v", got)
	}
	st := s.GitHub().Snapshot()
	var notes []githubsim.Notification
	for _, n := range st.Notifications {
		if n.Login == "dana" {
			notes = append(notes, n)
		}
	}
	if len(notes) != 1 || notes[0].Kind != "token.revoked" || strconv.FormatInt(notes[0].TokenID, 10) != leaked.ID {
		t.Errorf("dana's notifications: %+v, want one token.revoked for token %s", notes, leaked.ID)
	}
	if b, _ := json.Marshal(notes); bytes.Contains(b, []byte(leaked.Value)) {
		t.Error("the notification shows the token's value")
	}

	// An authenticated request is refused (403) and not counted; more
	// than 1,000 credentials is 422; past the limit, 403 with
	// x-ratelimit-remaining 0.
	admin, err := github.NewClient(hc).WithAuthToken(s.Env()["GITHUB_TOKEN"]).WithEnterpriseURLs(s.URL()+"/api/v3/", s.URL()+"/api/uploads/")
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := revoke(admin, []string{fine.Value}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("authenticated revoke: %d, want 403", resp.StatusCode)
	}
	many := make([]string, githubsim.MaxRevokeCredentials+1)
	for i := range many {
		many[i] = "ghp_unknown" + strconv.Itoa(i)
	}
	// (Through a client that does not check requests: this one is
	// invalid on purpose.)
	if resp, _ := revoke(plainGitHub(t, s, ""), many); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("revoking 1,001 credentials: %d, want 422", resp.StatusCode)
	}
	for range 2 {
		if resp, _ := revoke(anon, []string{"ghp_unknown"}); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("revoke within the limit: %d", resp.StatusCode)
		}
	}
	resp, _ = revoke(anon, []string{fine.Value})
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("revoke past the limit: %d remaining %q, want 403 and 0", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	if _, live, _ := ki.KeyStatus(fine.Value, s.Now()); !live {
		t.Error("a refused revoke revoked the token")
	}
	if ct.Checked() == 0 { // its errors are reported by checked's cleanup
		t.Error("no revoke response was validated against the spec")
	}
}

func TestAlertValidityFollowsTheKey(t *testing.T) {
	s := start(t, Options{})
	ctx := t.Context()
	info := s.Scenario()
	gh := plainGitHub(t, s, s.Env()["GITHUB_TOKEN"])
	recv := newReceiver(t)
	if _, _, err := gh.Organizations.CreateHook(ctx, info.Org, &github.Hook{
		Config: &github.HookConfig{URL: github.String(recv.srv.URL), ContentType: github.String("json"), Secret: github.String("s3cret")},
		Events: []string{"secret_scanning_alert"}, Active: github.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	recv.next(t, "ping", "")

	if got := alertsWith(t, gh, info.AlertRepo, "active"); got[info.AlertNumber] != "active" {
		t.Fatalf("the live leaked key's alert is not listed as active: %v", got)
	}
	if got := alertsWith(t, gh, info.AlertRepo, "inactive"); len(got) != 0 {
		t.Fatalf("inactive alerts before the revoke: %v", got)
	}

	// Revoke the key through the OpenAI Admin API, as respond does.
	oa, _ := oaClient(t, s)
	if _, err := oa.Admin.Organization.Projects.APIKeys.Delete(ctx, info.ProjectID, info.LeakedKeyID); err != nil {
		t.Fatal(err)
	}
	if got := alertsWith(t, gh, info.AlertRepo, "inactive"); got[info.AlertNumber] != "inactive" {
		t.Errorf("after the revoke the alert is not listed as inactive: %v", got)
	}
	if got := alertsWith(t, gh, info.AlertRepo, "active"); len(got) != 0 {
		t.Errorf("active alerts after the revoke: %v", got)
	}
	if got := alertsWith(t, gh, info.AlertRepo, "active,inactive"); len(got) != 1 {
		t.Errorf("validity=active,inactive: %v, want the alert", got)
	}
	req, _ := gh.NewRequest(http.MethodGet, "repos/"+info.AlertRepo+"/secret-scanning/alerts?validity=revoked", nil)
	if resp, _ := gh.Do(ctx, req, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("validity=revoked: %d, want 422", resp.StatusCode)
	}

	// The validated webhook says so, signed.
	d := recv.next(t, "secret_scanning_alert", "validated")
	if _, err := github.ValidatePayload(d.request(), []byte("s3cret")); err != nil {
		t.Fatalf("validated delivery: %v", err)
	}
	var p struct {
		Alert struct {
			Number   int    `json:"number"`
			Validity string `json:"validity"`
		} `json:"alert"`
	}
	if err := json.Unmarshal(d.body, &p); err != nil || p.Alert.Number != info.AlertNumber || p.Alert.Validity != "inactive" {
		t.Errorf("validated payload: %+v %v, want alert %d inactive", p, err, info.AlertNumber)
	}
	for _, a := range s.GitHub().Snapshot().Alerts {
		if a.Repo+"#"+strconv.Itoa(a.Number) == strings.TrimPrefix(info.Alert, info.Org+"/") && a.Validity != "inactive" {
			t.Errorf("/_sim/state shows the alert %s", a.Validity)
		}
	}

	// No provider knows the type: unknown.
	la, err := s.LeakKey(LeakRequest{Secret: "acme-internal-0123456789", SecretType: "acme_internal_token", Repo: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if la.Validity != githubsim.ValidityUnknown {
		t.Errorf("an alert of a type no provider knows is %s, want unknown", la.Validity)
	}
}

func TestConditionalAlertReadsDoNotCount(t *testing.T) {
	s := start(t, Options{})
	ctx := t.Context()
	info := s.Scenario()
	owner, repo, _ := cutRepo(info.AlertRepo)
	gh := plainGitHub(t, s, s.Env()["GITHUB_TOKEN"])

	_, resp, err := gh.SecretScanning.ListAlertsForRepo(ctx, owner, repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	etag, before := resp.Header.Get("ETag"), resp.Rate.Remaining
	if !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("list ETag %q, want a weak ETag", etag)
	}
	conditional := func(path, tag string) *github.Response {
		t.Helper()
		req, err := gh.NewRequest(http.MethodGet, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("If-None-Match", tag)
		resp, _ := gh.Do(ctx, req, nil)
		return resp
	}
	listPath := "repos/" + info.AlertRepo + "/secret-scanning/alerts"
	for i := range 3 {
		r := conditional(listPath, etag)
		if r.StatusCode != http.StatusNotModified || r.ContentLength > 0 {
			t.Fatalf("conditional list %d: %d (length %d), want 304 with no body", i, r.StatusCode, r.ContentLength)
		}
		if r.Rate.Remaining != before {
			t.Errorf("conditional list %d: x-ratelimit-remaining %d, want %d (a 304 does not count)", i, r.Rate.Remaining, before)
		}
	}
	_, resp, err = gh.SecretScanning.ListAlertsForRepo(ctx, owner, repo, nil)
	if err != nil || resp.Rate.Remaining != before-1 {
		t.Errorf("the next full list: remaining %d, %v; want %d", resp.Rate.Remaining, err, before-1)
	}

	// A single alert, through the spec-checking client: 304 is declared.
	checkedGH, _ := ghClient(t, s, "/api/v3/", s.Env()["GITHUB_TOKEN"])
	_, resp, err = checkedGH.SecretScanning.GetAlert(ctx, owner, repo, int64(info.AlertNumber))
	if err != nil {
		t.Fatal(err)
	}
	alertTag := resp.Header.Get("ETag")
	req, _ := checkedGH.NewRequest(http.MethodGet, "repos/"+info.AlertRepo+"/secret-scanning/alerts/"+strconv.Itoa(info.AlertNumber), nil)
	req.Header.Set("If-None-Match", alertTag)
	if r, _ := checkedGH.Do(ctx, req, nil); r.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET of the alert: %d, want 304", r.StatusCode)
	}

	// When the alert changes, so does the ETag: the same conditional
	// request gets the new list.
	if _, _, err := gh.SecretScanning.UpdateAlert(ctx, owner, repo, int64(info.AlertNumber), &github.SecretScanningAlertUpdateOptions{
		State: "resolved", Resolution: github.String("revoked")}); err != nil {
		t.Fatal(err)
	}
	if r := conditional(listPath, etag); r.StatusCode != http.StatusOK || r.Header.Get("ETag") == etag {
		t.Errorf("conditional list after a change: %d with ETag %q, want 200 and a new ETag", r.StatusCode, r.Header.Get("ETag"))
	}
	if r := conditional("repos/"+info.AlertRepo+"/secret-scanning/alerts/"+strconv.Itoa(info.AlertNumber), alertTag); r.StatusCode != http.StatusOK {
		t.Errorf("conditional GET of the changed alert: %d, want 200", r.StatusCode)
	}
}

func TestWebhooksSignedDeliveriesAndRedelivery(t *testing.T) {
	s := start(t, Options{})
	ctx := t.Context()
	info := s.Scenario()
	gh := plainGitHub(t, s, s.Env()["GITHUB_TOKEN"])
	recv := newReceiver(t)
	const secret = "It's a Secret to Everybody"

	h, resp, err := gh.Organizations.CreateHook(ctx, info.Org, &github.Hook{
		Config: &github.HookConfig{URL: github.String(recv.srv.URL), ContentType: github.String("json"), Secret: github.String(secret)},
		Events: []string{"secret_scanning_alert", "secret_scanning_alert_location"}, Active: github.Bool(true),
	})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create the organization hook: %v", err)
	}
	if h.GetConfig().GetSecret() != "********" || h.GetConfig().GetURL() != recv.srv.URL {
		t.Errorf("the hook shows config %+v, want the URL and a masked secret", h.GetConfig())
	}

	// The ping, signed; go-github parses it.
	ping := recv.next(t, "ping", "")
	payload, err := github.ValidatePayload(ping.request(), []byte(secret))
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	ev, err := github.ParseWebHook(github.WebHookType(ping.request()), payload)
	if pe, ok := ev.(*github.PingEvent); err != nil || !ok || pe.GetHookID() != h.GetID() {
		t.Fatalf("ping parsed as %T %v, want a PingEvent for hook %d", ev, err, h.GetID())
	}

	// A leak into a repository without an alert on the key: created.
	la := postLeak(t, s, `{"repo":"web","path":"app/settings.py","line":7}`)
	if !la.NewAlert || la.Repo != info.Org+"/web" || !strings.HasSuffix(la.HTMLURL, "/"+info.Org+"/web/security/secret-scanning/"+strconv.Itoa(la.Number)) {
		t.Fatalf("/_sim/leak answered %+v, want a new alert in %s/web with its html_url", la, info.Org)
	}
	created := recv.next(t, "secret_scanning_alert", "created")
	payload, err = github.ValidatePayload(created.request(), []byte(secret))
	if err != nil {
		t.Fatalf("created delivery: %v", err)
	}
	if _, err := github.ValidatePayload(created.request(), []byte("another secret")); err == nil {
		t.Error("the delivery validates with the wrong secret")
	}
	sha1Only := created.request()
	sha1Only.Header.Del(github.SHA256SignatureHeader)
	if _, err := github.ValidatePayload(sha1Only, []byte(secret)); err != nil {
		t.Errorf("the legacy X-Hub-Signature (sha1): %v", err)
	}
	ev, err = github.ParseWebHook(github.WebHookType(created.request()), payload)
	if err != nil {
		t.Fatal(err)
	}
	sa, ok := ev.(*github.SecretScanningAlertEvent)
	if !ok || sa.GetAction() != "created" || sa.GetAlert().GetNumber() != la.Number ||
		sa.GetAlert().GetSecretType() != "openai_api_key" || sa.GetAlert().GetHTMLURL() != la.HTMLURL ||
		sa.GetRepo().GetFullName() != la.Repo || sa.GetOrganization().GetLogin() != info.Org || sa.GetSender().GetLogin() == "" {
		t.Errorf("created event: %+v", sa)
	}
	if sa.GetAlert().Secret != nil || bytes.Contains(created.body, []byte(s.LeakedKeyValue())) {
		t.Error("the payload carries the secret; real payloads do not")
	}
	hd := created.header
	wantHeaders := map[string]string{
		"X-GitHub-Hook-ID":                       strconv.FormatInt(h.GetID(), 10),
		"X-GitHub-Hook-Installation-Target-Type": "organization",
		"Content-Type":                           "application/json",
	}
	for k, v := range wantHeaders {
		if hd.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, hd.Get(k), v)
		}
	}
	if !strings.HasPrefix(hd.Get("User-Agent"), "GitHub-Hookshot/") ||
		!regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(hd.Get("X-GitHub-Delivery")) ||
		hd.Get("X-GitHub-Hook-Installation-Target-ID") == "" {
		t.Errorf("delivery headers: %v", hd)
	}

	// The same key again into the alert's repository: a location, not
	// an alert.
	loc := postLeak(t, s, `{"key":"leaked","path":"ops/rotate.sh","line":3}`)
	if loc.NewAlert || loc.Number != info.AlertNumber {
		t.Fatalf("/_sim/leak into the alert's repository: %+v, want a location on alert %d", loc, info.AlertNumber)
	}
	ld := recv.next(t, "secret_scanning_alert_location", "created")
	if _, err := github.ValidatePayload(ld.request(), []byte(secret)); err != nil {
		t.Fatal(err)
	}
	var lp struct {
		Alert    struct{ Number int }
		Location struct {
			Type    string
			Details struct{ Path string }
		}
	}
	if err := json.Unmarshal(ld.body, &lp); err != nil || lp.Alert.Number != info.AlertNumber || lp.Location.Type != "commit" || lp.Location.Details.Path != "ops/rotate.sh" {
		t.Errorf("location payload: %+v %v", lp, err)
	}
	owner, repo, _ := cutRepo(info.AlertRepo)
	locs, _, err := gh.SecretScanning.ListLocationsForAlert(ctx, owner, repo, int64(info.AlertNumber), nil)
	if err != nil || !slices.ContainsFunc(locs, func(l *github.SecretScanningAlertLocation) bool { return l.GetDetails().GetPath() == "ops/rotate.sh" }) {
		t.Errorf("the alert's locations lack the new one: %v", err)
	}

	// Redelivery: the same GUID and body again, listed as a redelivery.
	if err := s.GitHub().WaitForDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	list, _, err := gh.Organizations.ListHookDeliveries(ctx, info.Org, h.GetID(), &github.ListCursorOptions{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	var orig *github.HookDelivery
	for _, d := range list {
		if d.GetGUID() == created.header.Get("X-GitHub-Delivery") {
			orig = d
		}
	}
	if orig == nil || orig.GetEvent() != "secret_scanning_alert" || orig.GetAction() != "created" || orig.GetStatusCode() != http.StatusNoContent || orig.GetRedelivery() {
		t.Fatalf("deliveries %v lack the created one (GUID %s)", list, created.header.Get("X-GitHub-Delivery"))
	}
	_, resp, err = gh.Organizations.RedeliverHookDelivery(ctx, info.Org, h.GetID(), orig.GetID())
	var accepted *github.AcceptedError
	if !errors.As(err, &accepted) || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("redeliver: %v, want 202", err)
	}
	again := recv.next(t, "secret_scanning_alert", "created")
	if again.header.Get("X-GitHub-Delivery") != created.header.Get("X-GitHub-Delivery") || !bytes.Equal(again.body, created.body) {
		t.Errorf("the redelivery has GUID %s and %d bytes, want %s and the same body",
			again.header.Get("X-GitHub-Delivery"), len(again.body), created.header.Get("X-GitHub-Delivery"))
	}
	if _, err := github.ValidatePayload(again.request(), []byte(secret)); err != nil {
		t.Errorf("the redelivery: %v", err)
	}
	if err := s.GitHub().WaitForDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	list, _, err = gh.Organizations.ListHookDeliveries(ctx, info.Org, h.GetID(), &github.ListCursorOptions{PerPage: 100})
	if err != nil || len(list) == 0 {
		t.Fatal(err)
	}
	newest := list[0]
	if !newest.GetRedelivery() || newest.GetGUID() != orig.GetGUID() || newest.GetID() == orig.GetID() {
		t.Errorf("the newest delivery %v, want a redelivery of %d with its GUID", newest, orig.GetID())
	}
	full, _, err := gh.Organizations.GetHookDelivery(ctx, info.Org, h.GetID(), newest.GetID())
	if err != nil || full.GetRequest().GetHeaders()["X-GitHub-Delivery"] != orig.GetGUID() || full.GetResponse() == nil {
		t.Errorf("GET the redelivery: %v %v", full, err)
	}
}
