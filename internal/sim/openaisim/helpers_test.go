package openaisim

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/sim/spec"
)

// t0 is the seeded world's reference time; the clock stands at now.
var (
	t0  = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
)

// seededRand is a deterministic Options.Rand, as the composition uses.
func seededRand(seed uint64) io.Reader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

// world is a small seeded organization.
type world struct {
	srv      *Server
	admin    Key
	alice    Key // user key in proj_main
	bob      Key // user key in proj_main
	sa       ServiceAccount
	saKey    Key
	other    Key // user key in proj_other
	projects []string
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newWorld(t *testing.T, seed uint64) *world {
	t.Helper()
	srv := New(Options{Now: func() time.Time { return now }, Rand: seededRand(seed)})
	w := &world{srv: srv}
	var err error
	for i, p := range []struct{ id, name string }{{"proj_main", "Main"}, {"proj_other", "Other"}, {"proj_c", "C"}, {"proj_d", "D"}, {"proj_e", "E"}} {
		_, err := srv.AddProject(p.id, p.name, t0.Add(time.Duration(i)*time.Hour))
		mustNil(t, err)
		w.projects = append(w.projects, p.id)
	}
	mustNil(t, srv.AddUser("user_alice", "Alice", "alice@example.com", "owner"))
	mustNil(t, srv.AddUser("user_bob", "Bob", "bob@example.com", "member"))
	w.admin, err = srv.AddAdminKey("ops admin", t0)
	mustNil(t, err)
	used := t0.Add(48 * time.Hour)
	w.alice, err = srv.AddUserKey("proj_main", "alice-laptop", "user_alice", t0.Add(time.Hour), &used)
	mustNil(t, err)
	w.bob, err = srv.AddUserKey("proj_main", "prod-backend", "user_bob", t0.Add(2*time.Hour), nil)
	mustNil(t, err)
	w.sa, w.saKey, err = srv.AddServiceAccount("proj_main", "deployer", t0.Add(3*time.Hour))
	mustNil(t, err)
	w.other, err = srv.AddUserKey("proj_other", "other", "user_alice", t0.Add(4*time.Hour), nil)
	mustNil(t, err)
	return w
}

// client makes raw HTTP requests and validates every JSON response body
// against the OpenAI spec.
type client struct {
	t    *testing.T
	base string
	spec *spec.Spec

	mu      sync.Mutex
	checked int
}

func newClient(t *testing.T, h http.Handler) *client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	sp, err := spec.OpenAI()
	mustNil(t, err)
	c := &client{t: t, base: ts.URL, spec: sp}
	t.Cleanup(func() {
		if !t.Failed() && c.checked == 0 {
			t.Error("no response was validated against the spec")
		}
	})
	return c
}

// do sends a request with a bearer key (none if empty) and returns the
// status and decoded JSON body.
func (c *client) do(method, pathAndQuery, key string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+pathAndQuery, rd)
	mustNil(c.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	mustNil(c.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	mustNil(c.t, err)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Errorf("%s %s: Content-Type %q", method, pathAndQuery, ct)
	}
	path, _, _ := strings.Cut(pathAndQuery, "?")
	if c.spec.HasOperation(method, path) {
		if err := c.spec.ValidateResponse(method, path, resp.StatusCode, out); err != nil {
			c.t.Errorf("%s %s → %d does not conform: %v\nbody: %s", method, pathAndQuery, resp.StatusCode, err, out)
		}
		c.mu.Lock()
		c.checked++
		c.mu.Unlock()
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		c.t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, pathAndQuery, err, out)
	}
	return resp.StatusCode, m
}

// errorOf returns the "error" object of an error body.
func errorOf(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %v", m)
	}
	return e
}

// ids returns the "id" of each item of a list body's data.
func ids(t *testing.T, m map[string]any) []string {
	t.Helper()
	data, ok := m["data"].([]any)
	if !ok {
		t.Fatalf("no data array in %v", m)
	}
	out := []string{}
	for _, d := range data {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}
