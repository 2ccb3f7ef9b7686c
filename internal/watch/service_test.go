package watch

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
)

// countingResponder stands in for the playbooks (internal/cli runs them;
// the end-to-end scripts check those): it records what it was asked.
type countingResponder struct {
	mu    sync.Mutex
	asked []Request
}

func (c *countingResponder) Respond(_ context.Context, req Request) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, req)
	return Result{Incident: "INC-TEST", Outcome: "recovered", Contained: true, ContainedAt: time.Now()}
}

func (c *countingResponder) Resume(context.Context, string) Result {
	return Result{Outcome: "recovered"}
}

func (c *countingResponder) alerts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.asked {
		out = append(out, r.Alert)
	}
	return out
}

type testService struct {
	*Service
	sim    *sim.Sim
	resp   *countingResponder
	store  *Store
	logs   *bytes.Buffer
	logw   *syncWriter
	cancel context.CancelFunc
	done   chan struct{}
}

const hookSecret = "test-hook-secret"

func newTestService(t *testing.T, s *sim.Sim, gh GitHub, storeDir string, mutate func(*Config)) *testService {
	t.Helper()
	store, err := OpenStore(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	logs := &bytes.Buffer{}
	logw := &syncWriter{w: logs}
	resp := &countingResponder{}
	cfg := Config{
		Policy: mustPolicy(t, "rules:\n  - name: openai\n    match: {provider: openai}\n    action: respond\n"),
		GitHub: gh, Responder: resp, Keys: &KeyFacts{}, Store: store,
		Log: slog.New(slog.NewJSONHandler(logw, nil)), WebhookSecret: secret.New(hookSecret),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testService{Service: svc, sim: s, resp: resp, store: store, logs: logs, logw: logw}
}

// logText is what the service has logged so far (safe while it runs).
func (ts *testService) logText() string {
	ts.logw.mu.Lock()
	defer ts.logw.mu.Unlock()
	return ts.logs.String()
}

// run leads until the test ends (no listener: the tests call Handler).
func (ts *testService) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel, ts.done = cancel, make(chan struct{})
	go func() { defer close(ts.done); _ = ts.Run(ctx, nil) }()
	t.Cleanup(ts.stop)
	waitFor(t, "the service leads", ts.Leader)
}

// runFollower runs until the test ends, without waiting to lead.
func (ts *testService) runFollower(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel, ts.done = cancel, make(chan struct{})
	go func() { defer close(ts.done); _ = ts.Run(ctx, nil) }()
	t.Cleanup(ts.stop)
	waitFor(t, "the service is ready", ts.ready.Load)
}

func (ts *testService) stop() {
	if ts.cancel != nil {
		ts.cancel()
		<-ts.done
		ts.cancel = nil
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func deliver(t *testing.T, h http.Handler, event, id, body, sig, contentType string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	if sig != "" {
		req.Header.Set(SignatureHeader, sig)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// The webhook intake: signatures, replays, pings, events it ignores, form
// payloads, health and readiness; a follower answers and leaves the alert
// to the leader.
func TestWebhookIntake(t *testing.T) {
	s, gh, _ := startSim(t, sim.Options{})
	ts := newTestService(t, s, gh, t.TempDir(), nil)
	h := ts.Handler()
	get := func(p string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		return rec.Code
	}
	if get("/healthz") != 200 || get("/readyz") != 503 {
		t.Fatalf("before start: healthz %d, readyz %d", get("/healthz"), get("/readyz"))
	}
	ts.run(t)
	if get("/readyz") != 200 || get("/webhook") != http.StatusMethodNotAllowed {
		t.Fatalf("after start: readyz %d, GET /webhook %d", get("/readyz"), get("/webhook"))
	}
	info := s.Scenario()
	r, _ := ParseRef(info.Alert)
	body := `{"action":"created","alert":{"number":` + strconv.Itoa(r.Number) + `},"repository":{"full_name":"` + info.AlertRepo + `"}}`
	key := []byte(hookSecret)

	if rec := deliver(t, h, "secret_scanning_alert", "d-forged", body, Sign([]byte("wrong"), []byte(body)), "application/json"); rec.Code != 401 {
		t.Fatalf("forged: %d", rec.Code)
	}
	if rec := deliver(t, h, "secret_scanning_alert", "d-unsigned", body, "", "application/json"); rec.Code != 401 {
		t.Fatalf("unsigned: %d", rec.Code)
	}
	if rec := deliver(t, h, "ping", "d-ping", `{}`, Sign(key, []byte(`{}`)), "application/json"); rec.Code != 200 {
		t.Fatalf("ping: %d", rec.Code)
	}
	if rec := deliver(t, h, "push", "d-push", `{}`, Sign(key, []byte(`{}`)), "application/json"); rec.Code != 202 {
		t.Fatalf("push: %d", rec.Code)
	}
	resolved := strings.Replace(body, "created", "resolved", 1)
	if rec := deliver(t, h, "secret_scanning_alert", "d-resolved", resolved, Sign(key, []byte(resolved)), "application/json"); rec.Code != 202 {
		t.Fatalf("resolved: %d", rec.Code)
	}
	// Nothing reached the responder so far.
	time.Sleep(50 * time.Millisecond)
	if got := ts.resp.alerts(); len(got) != 0 {
		t.Fatalf("responses after refused and ignored deliveries: %v", got)
	}

	if rec := deliver(t, h, "secret_scanning_alert", "d-1", body, Sign(key, []byte(body)), "application/json"); rec.Code != 202 {
		t.Fatalf("created: %d %s", rec.Code, rec.Body)
	}
	// The same delivery again (a replay): dropped.
	if rec := deliver(t, h, "secret_scanning_alert", "d-1", body, Sign(key, []byte(body)), "application/json"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "dropped") {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	// A new delivery on the same alert, as a form: no second response.
	form := "payload=" + url.QueryEscape(strings.Replace(body, "created", "reopened", 1))
	if rec := deliver(t, h, "secret_scanning_alert", "d-2", form, Sign(key, []byte(form)), "application/x-www-form-urlencoded"); rec.Code != 202 {
		t.Fatalf("form: %d", rec.Code)
	}
	waitFor(t, "one response", func() bool { return len(ts.resp.alerts()) == 1 })
	ts.stop()
	if got := ts.resp.alerts(); len(got) != 1 || got[0] != info.Alert {
		t.Fatalf("responses: %v", got)
	}
	m := ts.Metrics()
	for reason, want := range map[string]float64{"bad_signature": 1, "unsigned": 1, "replay": 1} {
		if got := testutil.ToFloat64(m.Refused.WithLabelValues(reason)); got != want {
			t.Errorf("refused %s = %v, want %v", reason, got, want)
		}
	}
	if got := testutil.ToFloat64(m.Alerts.WithLabelValues(SourceWebhook, "respond")); got != 1 {
		t.Errorf("alerts decided = %v", got)
	}
	if strings.Contains(ts.logs.String(), s.LeakedKeyValue()) {
		t.Fatal("the leaked key is in the logs")
	}

	// A follower answers and acts on nothing.
	f := newTestService(t, s, gh, t.TempDir(), nil)
	f.ready.Store(true)
	if rec := deliver(t, f.Handler(), "secret_scanning_alert", "d-3", body, Sign(key, []byte(body)), "application/json"); rec.Code != 202 || !strings.Contains(rec.Body.String(), "follower") {
		t.Fatalf("follower: %d %s", rec.Code, rec.Body)
	}
	if len(f.resp.alerts()) != 0 {
		t.Fatal("a follower responded")
	}
}

// blockingResponder holds each response until released, and says whether
// its context was cancelled meanwhile.
type blockingResponder struct {
	started   chan struct{}
	release   chan struct{}
	cancelled chan bool
}

func (b *blockingResponder) Respond(ctx context.Context, req Request) Result {
	close(b.started)
	<-b.release
	b.cancelled <- ctx.Err() != nil
	return Result{Incident: "INC-TEST", Outcome: "recovered", Contained: true}
}

func (b *blockingResponder) Resume(context.Context, string) Result { return Result{} }

// SIGTERM (the service's context ending) lets a running response finish
// within the grace period: its context is not cancelled, and Run returns
// only once it has ended.
func TestShutdownLetsResponsesFinish(t *testing.T) {
	s, gh, _ := startSim(t, sim.Options{})
	br := &blockingResponder{started: make(chan struct{}), release: make(chan struct{}), cancelled: make(chan bool, 1)}
	ts := newTestService(t, s, gh, t.TempDir(), func(c *Config) { c.Responder = br; c.ShutdownGrace = time.Minute })
	ts.run(t)
	info := s.Scenario()
	r, _ := ParseRef(info.Alert)
	body := `{"action":"created","alert":{"number":` + strconv.Itoa(r.Number) + `},"repository":{"full_name":"` + info.AlertRepo + `"}}`
	if rec := deliver(t, ts.Handler(), "secret_scanning_alert", "d-1", body, Sign([]byte(hookSecret), []byte(body)), "application/json"); rec.Code != 202 {
		t.Fatalf("delivery: %d", rec.Code)
	}
	<-br.started
	ts.cancel()
	select {
	case <-ts.done:
		t.Fatal("Run returned while a response was running")
	case <-time.After(100 * time.Millisecond):
	}
	close(br.release)
	if <-br.cancelled {
		t.Fatal("the running response's context was cancelled at SIGTERM")
	}
	<-ts.done
	ts.cancel = nil
	if rec, _ := ts.store.Alert(info.Alert); rec.Status != StatusDone {
		t.Fatalf("the response's end was not recorded: %+v", rec)
	}
}

// A delivery is answered only once its alert is recorded as received, and
// the mark stays until the alert is decided: a replica that could not read
// the alert (or died first) leaves it to the next start, which decides it
// though GitHub never sends the answered delivery again.
func TestAnsweredDeliverySurvivesRestart(t *testing.T) {
	s, gh, _ := startSim(t, sim.Options{})
	dir := t.TempDir()
	info := s.Scenario()
	r, _ := ParseRef(info.Alert)
	// GitHub cannot show the alert: the delivery is accepted, nothing is
	// decided.
	if _, err := s.AddFault(sim.Fault{Method: "GET", Path: "/repos/" + info.AlertRepo + "/secret-scanning/alerts/*", Status: 500}); err != nil {
		t.Fatal(err)
	}
	first := newTestService(t, s, gh, dir, nil)
	first.run(t)
	body := `{"action":"created","alert":{"number":` + strconv.Itoa(r.Number) + `},"repository":{"full_name":"` + info.AlertRepo + `"}}`
	if rec := deliver(t, first.Handler(), "secret_scanning_alert", "d-1", body, Sign([]byte(hookSecret), []byte(body)), "application/json"); rec.Code != 202 {
		t.Fatalf("delivery: %d %s", rec.Code, rec.Body)
	}
	waitFor(t, "the alert read fails", func() bool { return strings.Contains(first.logText(), "could not read the alert") })
	first.stop()
	if rec, ok := first.store.Alert(info.Alert); !ok || rec.Received.IsZero() {
		t.Fatalf("after the answered delivery the store holds %+v (found %v), want the alert marked received", rec, ok)
	}
	if len(first.resp.alerts()) != 0 {
		t.Fatalf("responses without reading the alert: %v", first.resp.alerts())
	}
	_ = first.store.Close()

	// The next start decides it and clears the mark.
	s.ClearFaults()
	second := newTestService(t, s, gh, dir, nil)
	second.run(t)
	waitFor(t, "the response to the received alert", func() bool { return len(second.resp.alerts()) == 1 })
	second.stop()
	if got := second.resp.alerts(); got[0] != info.Alert {
		t.Fatalf("responded to %v, want %s", got, info.Alert)
	}
	if rec, _ := second.store.Alert(info.Alert); !rec.Received.IsZero() || rec.Status != StatusDone {
		t.Fatalf("after the restart the record is %+v, want done with the mark cleared", rec)
	}
}
