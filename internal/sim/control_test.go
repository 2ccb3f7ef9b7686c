package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/secret"
)

// controlDo sends one request to the simulator with the given Host,
// headers and body, and returns the status and body.
func controlDo(t *testing.T, s *Sim, method, path, host string, hdr map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var jsonCT = map[string]string{"Content-Type": "application/json"}

// A web page cannot drive the control API (issue #17, item 5): a Host
// that is not the simulator (DNS rebinding) and another origin are
// refused, and so is a write that is not JSON (a page's simple POST),
// while the simulator's own names, localhost and github.localhost (gh
// through the simulator as a proxy) are answered. The API paths are not
// the guard's: their tokens protect them.
func TestControlRefusesWebPages(t *testing.T) {
	s := start(t, Options{Seed: 3})
	u, _ := url.Parse(s.URL())
	port := u.Port()
	for _, path := range []string{"/_sim/state", "/_sim/scenario", "/_sim/requests", "/_sim/world"} {
		code, _, body := controlDo(t, s, "GET", path, "attacker.example:"+port, nil, "")
		if code != http.StatusForbidden || !strings.Contains(body, `Host \"attacker.example:`+port+`\"`) {
			t.Errorf("GET %s with Host attacker.example: %d %s", path, code, body)
		}
		if strings.Contains(body, "sk-") {
			t.Errorf("GET %s with a foreign Host answered the world: %s", path, body)
		}
	}
	for _, host := range []string{"", "localhost:" + port, "github.localhost", "api.github.localhost", "[::1]:" + port} {
		if code, _, body := controlDo(t, s, "GET", "/_sim/scenario", host, nil, ""); code != http.StatusOK {
			t.Errorf("GET /_sim/scenario with Host %q: %d %s", host, code, body)
		}
	}
	// The GitHub API behind a foreign Host still answers: its token is
	// what protects it, and gh sends Host api.github.localhost.
	tok := map[string]string{"Authorization": "token " + s.Env()["GITHUB_TOKEN"]}
	if code, _, body := controlDo(t, s, "GET", "/api/v3/user", "attacker.example", tok, ""); code != http.StatusOK {
		t.Errorf("GET /api/v3/user with another Host: %d %s", code, body)
	}

	// Another origin, or a page of another site.
	for _, h := range []map[string]string{{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": "http://localhost:1"}, {"Sec-Fetch-Site": "cross-site"}} {
		if code, _, body := controlDo(t, s, "GET", "/_sim/state", "", h, ""); code != http.StatusForbidden || !strings.Contains(body, "web page") {
			t.Errorf("GET /_sim/state with %v: %d %s", h, code, body)
		}
	}
	if code, _, _ := controlDo(t, s, "GET", "/_sim/scenario", "", map[string]string{"Origin": s.URL(), "Sec-Fetch-Site": "same-origin"}, ""); code != http.StatusOK {
		t.Errorf("the simulator's own origin: %d", code)
	}

	// Writes need JSON: a page's text/plain or form POST is refused and
	// changes nothing.
	names := `{"key_name":"renamed"}`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		code, _, body := controlDo(t, s, "POST", "/_sim/names", "", map[string]string{"Content-Type": ct}, names)
		if code != http.StatusUnsupportedMediaType || !strings.Contains(body, "application/json") {
			t.Errorf("POST /_sim/names as %q: %d %s", ct, code, body)
		}
	}
	if k, _ := s.OpenAI().KeyByValue(s.LeakedKeyValue()); k.Name == "renamed" {
		t.Fatal("a refused POST renamed the key")
	}
	if code, _, body := controlDo(t, s, "DELETE", "/_sim/faults", "", nil, ""); code != http.StatusUnsupportedMediaType {
		t.Errorf("DELETE /_sim/faults without JSON: %d %s", code, body)
	}
	if code, _, body := controlDo(t, s, "POST", "/_sim/names", "", map[string]string{"Content-Type": "application/json; charset=utf-8"}, names); code != http.StatusOK {
		t.Errorf("POST /_sim/names as JSON: %d %s", code, body)
	}
	// Without a controller nothing is logged: the log is the APIs'.
	for _, q := range s.Requests(0) {
		if q.API == APIControl {
			t.Errorf("a control request logged without a controller: %+v", q)
		}
	}
}

// openHandler is a mounted control API with one open route, one for
// participants, and the rest the controller's.
type openHandler struct{}

func (openHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, CallerOf(r.Context()), false)
}

func (openHandler) ControlAccess(r *http.Request) Access {
	switch r.URL.Path {
	case "/_x/open":
		return AccessOpen
	case "/_x/people":
		return AccessParticipant
	}
	return AccessController
}

// With a controller, the control API is the controller's: no credential
// is 401, a person's is 403, the controller's token passes; a mounted
// handler opens the routes it says, and a prefix mounted without saying
// anything is the controller's. Every control request, allowed or
// refused, is logged with who sent it, never with a credential.
func TestControlNeedsTheController(t *testing.T) {
	s := start(t, Options{Seed: 4})
	tok := secret.New("ctl-" + strings.Repeat("x", 28))
	if err := s.SetController(Controller{Name: "carol", Token: tok, Title: "the drill's facilitator"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Mount("/_x/", openHandler{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Mount("/_later/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })); err != nil {
		t.Fatal(err)
	}
	bob, err := s.AddPerson("bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	asBob := map[string]string{"Authorization": "Bearer " + bob.GitHubToken.Reveal()}
	asCarol := map[string]string{"Authorization": "Bearer " + tok.Reveal()}
	with := func(h map[string]string, extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		method, path string
		hdr          map[string]string
		want         int
	}{
		{"GET", "/_sim/state", nil, 401},
		{"GET", "/_sim/state", map[string]string{"Authorization": "Bearer nope-not-a-token"}, 401},
		{"GET", "/_sim/state", asBob, 403},
		{"GET", "/_sim/world", asBob, 403},
		{"GET", "/_sim/scenario", asBob, 403},
		{"POST", "/_sim/reset", with(asBob, jsonCT), 403},
		{"GET", "/_sim/scenario", asCarol, 200},
		{"GET", "/_x/open", nil, 200},
		{"GET", "/_x/people", nil, 401},
		{"GET", "/_x/people", asBob, 200},
		{"GET", "/_x/people", asCarol, 200},
		{"GET", "/_x/other", asBob, 403},
		{"GET", "/_later/anything", asBob, 403},
		{"GET", "/_later/anything", asCarol, http.StatusTeapot},
		{"GET", "/_nothing/here", asBob, 403},
		{"GET", "/_nothing/here", asCarol, 404},
	}
	for _, c := range cases {
		code, hdr, body := controlDo(t, s, c.method, c.path, "", c.hdr, "")
		if code != c.want {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, code, c.want, body)
		}
		if code == 401 && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s %s: 401 without WWW-Authenticate", c.method, c.path)
		}
		if code == 403 && !strings.Contains(body, "the drill's facilitator") {
			t.Errorf("%s %s: the refusal does not say whose it is: %s", c.method, c.path, body)
		}
	}
	// Who the mounted handler was told it is.
	_, _, body := controlDo(t, s, "GET", "/_x/people", "", asBob, "")
	var c Caller
	if err := json.Unmarshal([]byte(body), &c); err != nil || c != (Caller{Name: "bob", Role: RoleParticipant}) {
		t.Errorf("caller %s (%v)", body, err)
	}

	var control []RequestRecord
	for _, q := range s.Requests(0) {
		if q.API == APIControl {
			control = append(control, q)
		}
	}
	if len(control) != len(cases)+1 {
		t.Fatalf("%d control requests logged, want %d: %+v", len(control), len(cases)+1, control)
	}
	for i, c := range cases {
		q := control[i]
		if q.Method != c.method || !strings.HasPrefix(q.Path, c.path) || q.Status != c.want || q.Refused != (c.want == 401 || c.want == 403) {
			t.Errorf("log entry %d: %+v, want %s %s %d", i, q, c.method, c.path, c.want)
		}
		if q.Refused && q.Detail == "" {
			t.Errorf("a refusal logged without its reason: %+v", q)
		}
	}
	if control[3].Actor != "bob" || control[6].Actor != "carol" || control[0].Actor != "anonymous" {
		t.Errorf("actors: %q %q %q", control[3].Actor, control[6].Actor, control[0].Actor)
	}
	b, _ := json.Marshal(s.Requests(0))
	if strings.Contains(string(b), tok.Reveal()) || strings.Contains(string(b), bob.GitHubToken.Reveal()) {
		t.Error("a credential is in the request log")
	}
}

// A reset while a drill runs is refused, even to the controller, and
// changes nothing: the world, its log and its faults stay.
func TestResetLocked(t *testing.T) {
	s := start(t, Options{Seed: 5})
	tok := secret.New(strings.Repeat("t", 32))
	if err := s.SetController(Controller{Name: "carol", Token: tok}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFault(Fault{Path: "/v1/**", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	s.LockReset("a drill is running: a reset would wipe what it scores")
	if err := s.Reset(); !errors.Is(err, ErrResetLocked) {
		t.Fatalf("Reset while locked: %v", err)
	}
	code, _, body := controlDo(t, s, "POST", "/_sim/reset", "", map[string]string{"Authorization": "Bearer " + tok.Reveal(), "Content-Type": "application/json"}, "")
	if code != http.StatusConflict || !strings.Contains(body, "wipe what it scores") {
		t.Errorf("POST /_sim/reset while locked: %d %s", code, body)
	}
	if len(s.Faults()) != 1 {
		t.Error("a refused reset cleared the faults")
	}
	last := s.Requests(0)
	if q := last[len(last)-1]; q.API != APIControl || q.Status != http.StatusConflict || !q.Refused || q.Actor != "carol" {
		t.Errorf("the refused reset is logged as %+v", q)
	}
	s.UnlockReset()
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
}

// gh reaches github.localhost through the simulator as an HTTP proxy
// (absolute-form requests, Host api.github.localhost): the GitHub API
// answers it, and the control API, reached the same way, still asks for
// the controller's token.
func TestControlThroughTheProxy(t *testing.T) {
	s := start(t, Options{Seed: 6})
	if err := s.SetController(Controller{Name: "carol", Token: secret.New(strings.Repeat("c", 32))}); err != nil {
		t.Fatal(err)
	}
	proxy, _ := url.Parse(s.URL())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
	get := func(u string) int {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", u, nil)
		req.Header.Set("Authorization", "token "+s.Env()["GITHUB_TOKEN"])
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("http://api.github.localhost/orgs/acme/repos"); code != http.StatusOK {
		t.Errorf("GitHub through the proxy: %d", code)
	}
	if code := get("http://api.github.localhost/_sim/state"); code != http.StatusForbidden {
		t.Errorf("the control API through the proxy with a GitHub token: %d", code)
	}
	if code := get("http://attacker.example/_sim/state"); code != http.StatusForbidden {
		t.Errorf("the control API through the proxy for another host: %d", code)
	}
}
