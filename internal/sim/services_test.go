package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// echoService is a minimal simapi.Service: it answers with the path it
// was given and counts its resets.
type echoService struct {
	mu     sync.Mutex
	resets int
	seen   []string
	rnd    []byte
}

func (e *echoService) Name() string   { return "echo" }
func (e *echoService) Prefix() string { return "/echo/" }
func (e *echoService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.seen = append(e.seen, r.URL.Path)
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path})
}
func (e *echoService) Reset() {
	e.mu.Lock()
	e.resets++
	e.mu.Unlock()
}
func (e *echoService) Snapshot() any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return map[string]any{"seen": append([]string{}, e.seen...), "rand": e.rnd}
}
func (e *echoService) Env(base, dir string) (map[string]string, error) {
	f := filepath.Join(dir, "echo.conf")
	if err := os.WriteFile(f, []byte(base), 0o600); err != nil {
		return nil, err
	}
	return map[string]string{"ECHO_URL": base, "ECHO_CONF": f}, nil
}
func (e *echoService) WriteError(w http.ResponseWriter, status int, _ time.Duration) {
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"echo_error":true}`)
}

func TestServicesAreServedUnderTheirPrefix(t *testing.T) {
	svc := &echoService{}
	s := start(t, Options{Services: []simapi.Factory{func(o simapi.Options) simapi.Service {
		svc.rnd = make([]byte, 4)
		_, _ = io.ReadFull(o.Rand, svc.rnd)
		return svc
	}}})

	resp, err := http.Get(s.URL() + "/echo/v1/things?x=1")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if got["path"] != "/v1/things" {
		t.Errorf("the service saw path %q, want /v1/things (its prefix stripped)", got["path"])
	}
	reqs := s.Requests(0)
	if len(reqs) != 1 || reqs[0].API != "echo" || reqs[0].Path != "/echo/v1/things?x=1" {
		t.Errorf("request log = %+v, want one echo request with the full path", reqs)
	}

	env := s.Env()
	if env["ECHO_URL"] != s.URL()+"/echo" {
		t.Errorf("ECHO_URL = %q, want %q", env["ECHO_URL"], s.URL()+"/echo")
	}
	if b, err := os.ReadFile(env["ECHO_CONF"]); err != nil || string(b) != s.URL()+"/echo" {
		t.Errorf("the service's file: %q, %v", b, err)
	}

	if _, err := s.AddFault(Fault{Method: "GET", Path: "/echo/v1/*", Status: 503}); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(s.URL() + "/echo/v1/things")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "echo_error") {
		t.Errorf("faulted request: %d %s, want 503 in the service's error shape", resp.StatusCode, body)
	}

	st, err := s.StateJSON()
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Services map[string]json.RawMessage `json:"services"`
	}
	if err := json.Unmarshal(st, &state); err != nil || state.Services["echo"] == nil {
		t.Errorf("/_sim/state has no echo service: %v %s", err, st)
	}

	before := svc.resets
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if svc.resets != before+1 {
		t.Errorf("Reset reset the service %d times, want 1", svc.resets-before)
	}
	conf := env["ECHO_CONF"]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(conf); !os.IsNotExist(err) {
		t.Errorf("the service's file outlived the simulator: %v", err)
	}
}

func TestServicesMayNotTakeTheSimulatorsPaths(t *testing.T) {
	for _, prefix := range []string{"/v1/", "/_sim/", "/api/v3/", "/repos/", "nope"} {
		_, err := newSim(Options{Services: []simapi.Factory{func(simapi.Options) simapi.Service { return prefixed{prefix} }}})
		if err == nil {
			t.Errorf("prefix %q was accepted", prefix)
		}
	}
}

type prefixed struct{ p string }

func (p prefixed) Name() string                                { return "p" }
func (p prefixed) Prefix() string                              { return p.p }
func (prefixed) ServeHTTP(http.ResponseWriter, *http.Request)  {}
func (prefixed) Reset()                                        {}
func (prefixed) Snapshot() any                                 { return nil }
func (prefixed) Env(string, string) (map[string]string, error) { return nil, nil }

// streamService holds every request open until CloseStreams, as a
// Kubernetes watch does.
type streamService struct {
	prefixed
	mu      sync.Mutex
	closed  chan struct{}
	started chan struct{}
}

func newStreamService() *streamService {
	return &streamService{prefixed: prefixed{"/stream/"}, closed: make(chan struct{}), started: make(chan struct{}, 10)}
}

func (s *streamService) Name() string { return "stream" }
func (s *streamService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	http.NewResponseController(w).Flush()
	s.started <- struct{}{}
	select {
	case <-closed:
	case <-r.Context().Done():
	}
}
func (s *streamService) CloseStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
}
func (s *streamService) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = make(chan struct{})
}

func TestStreamsEndBeforeResetAndShutdown(t *testing.T) {
	svc := newStreamService()
	s := start(t, Options{Services: []simapi.Factory{func(simapi.Options) simapi.Service { return svc }}})

	open := func() chan error {
		done := make(chan error, 1)
		go func() {
			resp, err := http.Get(s.URL() + "/stream/watch")
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			done <- err
		}()
		<-svc.started
		return done
	}
	ended := func(what string, done chan error) {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: the stream ended with %v", what, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the stream is still open", what)
		}
	}

	done := open()
	resetDone := make(chan error, 1)
	go func() { resetDone <- s.Reset() }()
	ended("reset", done)
	select {
	case err := <-resetDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Reset is held up by an open stream")
	}

	done = open() // Reset reopened streams
	closeDone := make(chan error, 1)
	go func() { closeDone <- s.Close() }()
	ended("close", done)
	select {
	case err := <-closeDone:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close is held up by an open stream")
	}
}

// secretPathService takes a secret in its query, and says how to log it.
type secretPathService struct{ echoService }

func (s *secretPathService) LogPath(r *http.Request) string {
	q := r.URL.Query()
	if q.Has("token") {
		q.Set("token", "REDACTED")
	}
	return r.URL.Path + "?" + q.Encode()
}

func TestServicesKeepSecretsOutOfTheRequestLog(t *testing.T) {
	svc := &secretPathService{}
	s := start(t, Options{Services: []simapi.Factory{func(simapi.Options) simapi.Service { return svc }}})
	resp, err := http.Get(s.URL() + "/echo/v1/lookup?token=sk-secret-in-the-query-0000&x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	reqs := s.Requests(0)
	if len(reqs) != 1 || strings.Contains(reqs[0].Path, "sk-secret") || !strings.Contains(reqs[0].Path, "token=REDACTED") {
		t.Errorf("request log = %+v, want the path as the service logs it", reqs)
	}
}

// TestDropFaultActsAndLosesTheAnswer: a drop fault lets the server act
// and closes the connection without the answer.
func TestDropFaultActsAndLosesTheAnswer(t *testing.T) {
	svc := &echoService{}
	s := start(t, Options{Services: []simapi.Factory{func(simapi.Options) simapi.Service { return svc }}})
	if _, err := s.AddFault(Fault{Method: "POST", Path: "/echo/v1/things", Drop: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.URL()+"/echo/v1/things", "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer (%s); want the connection closed", resp.Status)
	}
	svc.mu.Lock()
	seen := append([]string(nil), svc.seen...)
	svc.mu.Unlock()
	if len(seen) != 1 || seen[0] != "/v1/things" {
		t.Errorf("the service saw %v; a drop fault must let it act", seen)
	}
	if reqs := s.Requests(0); len(reqs) != 1 || reqs[0].Status != 499 || reqs[0].Fault == 0 {
		t.Errorf("request log = %+v, want the request logged as dropped (499) by the fault", reqs)
	}
	// Count 1: the next one is answered.
	resp, err = http.Post(s.URL()+"/echo/v1/things", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
