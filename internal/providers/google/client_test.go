package google

import (
	"errors"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/secret"
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

type world struct {
	sim  *sim.Sim
	fake *googlesim.Server
	c    *Client
}

// startWorld runs a simulator with googlesim and a Client pointed at it
// the way respond will be: endpoints and credentials from its exports.
func startWorld(t *testing.T) *world {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	s, err := sim.Start(t.Context(), sim.Options{Seed: 1, Now: c.now, Anchor: c.t, Services: []simapi.Factory{googlesim.New}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	env := s.Env()
	cl, err := New(t.Context(), Config{Endpoint: env[EnvAPIKeysURL], GenerativeLanguageURL: env[EnvGenerativeLanguageURL],
		CredentialsFile: env["GOOGLE_APPLICATION_CREDENTIALS"]})
	if err != nil {
		t.Fatal(err)
	}
	cl.backoff, cl.maxBackoff = 10*time.Millisecond, 40*time.Millisecond
	return &world{sim: s, fake: s.Service("google").(*googlesim.Server), c: cl}
}

// count counts the logged requests to the fake with method and a path
// starting with prefix (below /google).
func (w *world) count(method, prefix string) int {
	n := 0
	for _, r := range w.sim.Requests(0) {
		if r.API == "google" && r.Method == method && strings.HasPrefix(r.Path, "/google"+prefix) {
			n++
		}
	}
	return n
}

func TestRestrictionsRoundTripThroughGetAndCreate(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	targets := "generativelanguage.googleapis.com=ListModels|Get*,translate.googleapis.com"
	for i, attrs := range []map[string]string{
		{"referrers": "https://app.example.com/*,*.example.org/*", "api_targets": targets},
		{"ips": "10.0.0.1,192.168.0.0/16,2001:db8::/32"},
		{"android_apps": "com.example.a=DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09,com.example.b=0123456789abcdef0123456789abcdef01234567", "api_targets": targets},
		{"ios_bundle_ids": "com.example.ios,com.example.ios.beta"},
		{"api_targets": targets},
		{},
	} {
		leaked, err := w.fake.IssueKey(simapi.IssueRequest{Name: "leaked", Attrs: attrs})
		if err != nil {
			t.Fatal(err)
		}
		old, err := w.c.GetKey(t.Context(), leaked.ID)
		if err != nil {
			t.Fatal(err)
		}
		id := "replacement-" + string(rune('a'+i))
		made, err := w.c.CreateKey(t.Context(), old.Project, id, old.DisplayName+" (rotated)", old.Restrictions, map[string]string{"respond/replaces": old.UID})
		if err != nil {
			t.Fatal(err)
		}
		if !googlesim.KeyPattern.MatchString(made.KeyString.Reveal()) || made.KeyString.Equal(secret.New(leaked.Value)) {
			t.Errorf("%v: the new key's string is %s", attrs, made.KeyString)
		}
		again, err := w.c.GetKey(t.Context(), made.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again.Restrictions, old.Restrictions) {
			t.Errorf("%v: restrictions changed on the way:\nleaked      %+v\nreplacement %+v", attrs, old.Restrictions, again.Restrictions)
		}
		if len(attrs) > 0 && again.Restrictions.IsZero() {
			t.Errorf("%v: the replacement has no restrictions", attrs)
		}
		if again.ID != id || again.Annotations["respond/replaces"] != old.UID || !again.KeyString.IsZero() {
			t.Errorf("replacement = %+v", again)
		}
		v, err := w.c.GetKeyString(t.Context(), made.Name)
		if err != nil || !v.Equal(made.KeyString) {
			t.Errorf("GetKeyString = %s, %v", v, err)
		}
	}
	if w.count("GET", "/v2/operations/") == 0 {
		t.Errorf("CreateKey never polled its operation")
	}
	// Android fingerprints come back as the API writes them (no colons,
	// upper case): the replacement got exactly what Google stores.
	k, _ := w.c.ListKeys(t.Context(), googlesim.DefaultProject, false)
	for _, key := range k {
		if key.Restrictions.Android != nil && key.Restrictions.Android.AllowedApplications[0].SHA1Fingerprint != "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709" {
			t.Errorf("fingerprint %q", key.Restrictions.Android.AllowedApplications[0].SHA1Fingerprint)
		}
	}
}

func TestCreateIsSentOnceAndReconcilable(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	if _, err := w.c.CreateKey(ctx, googlesim.DefaultProject, "first", "first", Restrictions{}, nil); err != nil {
		t.Fatal(err)
	}
	posts := w.count("POST", "/v2/projects/")
	_, err := w.c.CreateKey(ctx, googlesim.DefaultProject, "first", "again", Restrictions{}, nil)
	var ae *APIError
	if !errors.Is(err, ErrAlreadyExists) || !errors.As(err, &ae) || ae.StatusCode != 409 {
		t.Fatalf("second create with the same keyId: %v, want 409 ErrAlreadyExists", err)
	}
	if k, err := w.c.GetKey(ctx, KeyName(googlesim.DefaultProject, "first")); err != nil || k.DisplayName != "first" {
		t.Errorf("reconciling by name: %+v, %v", k, err)
	}
	// A 503 on create is not retried.
	if _, err := w.sim.AddFault(sim.Fault{Method: "POST", Path: "/google/v2/**", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.CreateKey(ctx, googlesim.DefaultProject, "second", "second", Restrictions{}, nil); err == nil {
		t.Fatal("create through a 503 succeeded")
	}
	if got := w.count("POST", "/v2/projects/"); got != posts+2 {
		t.Errorf("%d create requests after the first, want 2 (one each, never retried)", got-posts)
	}
	// Refused before anything is sent.
	if _, err := w.c.CreateKey(ctx, googlesim.DefaultProject, "Bad_ID", "", Restrictions{}, nil); err == nil {
		t.Errorf("a key ID the API refuses was accepted")
	}
	if _, err := w.c.CreateKey(ctx, googlesim.DefaultProject, "two-kinds", "", Restrictions{
		Browser: &BrowserRestriction{AllowedReferrers: []string{"a"}}, Server: &ServerRestriction{AllowedIPs: []string{"1.2.3.4"}}}, nil); err == nil {
		t.Errorf("two kinds of application restriction were accepted")
	}
	if _, err := w.c.GetKey(ctx, "projects/x/locations/global/keys/../../../v2/keys"); err == nil {
		t.Errorf("a name with dot segments was accepted")
	}
}

func TestDeleteUndeleteAndEtags(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	leaked, _ := w.fake.IssueKey(simapi.IssueRequest{Name: "leaked"})
	k, err := w.c.GetKey(ctx, leaked.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.c.DeleteKey(ctx, k.Name, `W/"stale=="`)
	if !errors.Is(err, ErrEtagMismatch) {
		t.Fatalf("delete with a stale etag: %v, want ErrEtagMismatch", err)
	}
	d, err := w.c.DeleteKey(ctx, k.Name, k.Etag)
	if err != nil || !d.IsDeleted() {
		t.Fatalf("delete: %+v, %v", d, err)
	}
	if _, live, _ := w.fake.KeyStatus(leaked.Value, time.Now()); live {
		t.Errorf("the world still has the key live")
	}
	// Deleting again is not an error: the key is deleted.
	if d2, err := w.c.DeleteKey(ctx, k.Name, ""); err != nil || !d2.IsDeleted() {
		t.Errorf("second delete: %+v, %v", d2, err)
	}
	if keys, _ := w.c.ListKeys(ctx, googlesim.DefaultProject, false); len(keys) != 0 {
		t.Errorf("ListKeys without deleted = %d keys", len(keys))
	}
	if keys, _ := w.c.ListKeys(ctx, googlesim.DefaultProject, true); len(keys) != 1 || !keys[0].IsDeleted() {
		t.Errorf("ListKeys with deleted = %+v", keys)
	}
	u, err := w.c.UndeleteKey(ctx, k.Name)
	if err != nil || u.IsDeleted() {
		t.Fatalf("undelete: %+v, %v", u, err)
	}
	if _, live, _ := w.fake.KeyStatus(leaked.Value, time.Now()); !live {
		t.Errorf("the world has the undeleted key dead")
	}
	if _, err := w.c.UndeleteKey(ctx, k.Name); !errors.Is(err, ErrFailedPrecondition) {
		t.Errorf("undeleting a live key: %v, want ErrFailedPrecondition", err)
	}
}

func TestLookupListAndErrors(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	var issued []simapi.IssuedKey
	for i := 0; i < 5; i++ {
		k, _ := w.fake.IssueKey(simapi.IssueRequest{Scope: "payments-prod", Name: "k"})
		issued = append(issued, k)
	}
	project, name, err := w.c.LookupKey(ctx, secret.New(issued[2].Value))
	if err != nil || name != issued[2].ID || !strings.HasPrefix(name, "projects/"+project+"/") {
		t.Errorf("LookupKey = %q %q %v, want %s", project, name, err, issued[2].ID)
	}
	if _, _, err := w.c.LookupKey(ctx, secret.New("AIza"+strings.Repeat("x", 35))); !errors.Is(err, ErrNotFound) {
		t.Errorf("LookupKey(unknown) = %v, want ErrNotFound", err)
	}

	w.c.pageSize = 2
	keys, err := w.c.ListKeys(ctx, "payments-prod", false)
	if err != nil || len(keys) != 5 {
		t.Fatalf("ListKeys = %d keys, %v; want 5", len(keys), err)
	}
	if n := w.count("GET", "/v2/projects/payments-prod/locations/global/keys?"); n != 3 {
		t.Errorf("%d list requests, want 3 pages", n)
	}
	if _, err := w.c.GetKey(ctx, KeyName("payments-prod", "nope")); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetKey(unknown) = %v, want ErrNotFound", err)
	}
	w.fake.DenyProject("payments-prod", true)
	_, err = w.c.GetKey(ctx, issued[0].ID)
	if !errors.Is(err, ErrPermission) || !strings.Contains(err.Error(), "roles/serviceusage.apiKeysAdmin") {
		t.Errorf("GetKey(denied) = %v, want ErrPermission with what to do", err)
	}
	if _, err := w.c.ListKeys(ctx, "payments-prod", false); !errors.Is(err, ErrPermission) {
		t.Errorf("ListKeys(denied) = %v", err)
	}
	w.fake.DenyProject("payments-prod", false)

	// GETs are retried through 503s and a 429, then succeed.
	before := w.count("GET", "/v2/projects/")
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/google/v2/**", Status: 503, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/google/v2/**", RateLimit: "429", RetryAfter: sim.Duration(time.Second), Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.GetKey(ctx, issued[0].ID); err != nil {
		t.Errorf("GetKey through two 503s and a 429: %v", err)
	}
	if n := w.count("GET", "/v2/projects/") - before; n != 4 {
		t.Errorf("%d GET requests, want 4 (three refused, one answered)", n)
	}
	// A lookup that keeps failing says so without the key string.
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/google/v2/keys:lookupKey", Status: 500, Count: 10}); err != nil {
		t.Fatal(err)
	}
	_, _, err = w.c.LookupKey(ctx, secret.New(issued[1].Value))
	if err == nil || strings.Contains(err.Error(), issued[1].Value) {
		t.Errorf("failing lookup: %v", err)
	}
}

func TestCheckKey(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ctx := t.Context()
	issue := func(attrs map[string]string) secret.Value {
		k, err := w.fake.IssueKey(simapi.IssueRequest{Name: "k", Attrs: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return secret.New(k.Value)
	}
	for _, c := range []struct {
		attrs  map[string]string
		state  KeyState
		reason string
	}{
		{nil, StateLive, ""},
		{map[string]string{"api_targets": "generativelanguage.googleapis.com"}, StateLive, ""},
		{map[string]string{"api_targets": "maps-backend.googleapis.com"}, StateRestricted, "API_KEY_SERVICE_BLOCKED"},
		{map[string]string{"referrers": "https://example.com/*"}, StateRestricted, "API_KEY_HTTP_REFERRER_BLOCKED"},
		{map[string]string{"deleted": "2026-11-01T00:00:00Z"}, StateDead, "API_KEY_INVALID"},
	} {
		got, err := w.c.CheckKey(ctx, issue(c.attrs))
		if err != nil || got.State != c.state || got.Reason != c.reason {
			t.Errorf("%v: %+v, %v; want %s %s", c.attrs, got, err, c.state, c.reason)
		}
	}
	for _, r := range w.sim.Requests(0) {
		if strings.Contains(r.Path, "AIza") {
			t.Errorf("a key string is in a URL: %s", r.Path)
		}
	}
}

// A check that reaches nobody names the variable of the Generative
// Language API's address, not the API Keys API's.
func TestCheckKeyUnreachableNamesItsURL(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.c.glURL = "http://" + ln.Addr().String()
	ln.Close() // nobody listens there now
	w.c.retries = 0
	_, err = w.c.CheckKey(t.Context(), secret.New("AIza"+strings.Repeat("x", 35)))
	if err == nil || !strings.Contains(err.Error(), "could not reach Google; check the network and "+EnvGenerativeLanguageURL) {
		t.Errorf("CheckKey with nobody listening: %v; want it to name %s", err, EnvGenerativeLanguageURL)
	}
}

func TestConfigRefusesPlainHTTPAway(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://apikeys.example.com/", "ftp://127.0.0.1/", "https://user:pw@example.com/"} {
		if _, err := New(t.Context(), Config{Endpoint: u}); err == nil {
			t.Errorf("endpoint %s accepted", u)
		}
	}
}
