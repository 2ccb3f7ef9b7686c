package githubapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
)

var repoScope = SecretScope{App: "actions", Owner: "acme", Repo: "api"}

// limitedEnv is newEnv with a fake clock in the limiter, so waits for
// retry-after, resets and backoff take no real time.
func limitedEnv(t *testing.T, lim Limits) (*env, *fakeClock) {
	clk := &fakeClock{t: time.Now()}
	lim.clock = clk
	return newEnv(t, githubsim.Options{}, adminToken, lim), clk
}

func secondary403(w http.ResponseWriter) {
	githubsim.WriteSecondaryLimit(w, http.StatusForbidden, 3*time.Second)
}

func secondary429(w http.ResponseWriter) {
	githubsim.WriteSecondaryLimit(w, http.StatusTooManyRequests, 3*time.Second)
}

func serverError(w http.ResponseWriter) {
	githubsim.WriteError(w, http.StatusBadGateway, "Server Error")
}

func TestIdempotentRequestsAreRetried(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		write     func(http.ResponseWriter)
		n         int
		secondary int64
		minSlept  time.Duration
	}{
		{"secondary 403", secondary403, 2, 2, 6 * time.Second},
		{"429", secondary429, 1, 1, 3 * time.Second},
		{"502", serverError, 2, 0, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, clk := limitedEnv(t, Limits{})
			pk, err := e.c.PublicKey(ctx, repoScope)
			if err != nil {
				t.Fatal(err)
			}
			e.faults.add("PUT", "/actions/secrets/OPENAI_API_KEY", tc.n, tc.write)
			created, err := e.c.PutSecret(ctx, repoScope, "OPENAI_API_KEY", seal(t, pk, "v-after-retry"), OrgSecretOptions{})
			if err != nil || !created {
				t.Fatalf("PUT: %v %v", created, err)
			}
			if st, _ := sealedIn(e.sim, githubsim.LevelRepo, "acme/api", "OPENAI_API_KEY"); st.Value != "v-after-retry" {
				t.Fatalf("value %q", st.Value)
			}
			s := e.c.Stats()
			if s.Retries != int64(tc.n) || s.Secondary != tc.secondary || s.Requests != int64(tc.n)+2 {
				t.Errorf("stats %+v", s)
			}
			if clk.total() < tc.minSlept {
				t.Errorf("waited %s, want at least %s", clk.total(), tc.minSlept)
			}
			// A GET too.
			e.faults.add("GET", "/repos/acme/api", 1, tc.write)
			if _, err := e.c.RepoPermissions(ctx, "acme", "api"); err != nil {
				t.Errorf("GET after a fault: %v", err)
			}
		})
	}
}

func TestServerErrorsGiveUpAfterThreeAttempts(t *testing.T) {
	e, _ := limitedEnv(t, Limits{})
	e.faults.add("GET", "/repos/acme/api", 5, serverError)
	_, err := e.c.RepoPermissions(context.Background(), "acme", "api")
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != http.StatusBadGateway || !strings.Contains(err.Error(), "retry in a few minutes") {
		t.Fatalf("err %v", err)
	}
	if s := e.c.Stats(); s.Requests != 3 || s.Retries != 2 || s.ServerError != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestNonIdempotentRequestsAreNotRetried(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, kind string
		write      func(http.ResponseWriter)
	}{
		{"secondary 403", "secondary", secondary403},
		{"429", "429", secondary429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := limitedEnv(t, Limits{})
			e.faults.add("POST", "/dispatches", 1, tc.write)
			_, err := e.c.DispatchWorkflow(ctx, "acme", "api", "deploy.yml", "main", nil)
			var le *LimitError
			if !errors.As(err, &le) || le.Kind != tc.kind || le.Method != "POST" ||
				!strings.Contains(err.Error(), "dispatch workflow deploy.yml of acme/api") ||
				!strings.Contains(err.Error(), "not idempotent") || !strings.Contains(err.Error(), "rate limit") && tc.kind != "429" {
				t.Fatalf("err %v", err)
			}
			noSecrets(t, err)
			if s := e.c.Stats(); s.Requests != 1 || s.Retries != 0 || s.RateLimited != 1 {
				t.Errorf("stats %+v", s)
			}
			if n := len(e.sim.Snapshot().Dispatches); n != 0 {
				t.Errorf("%d dispatches", n)
			}
			// The next request waits out the pause and goes through.
			if _, err := e.c.DispatchWorkflow(ctx, "acme", "api", "deploy.yml", "main", nil); err != nil {
				t.Fatal(err)
			}
			if s := e.c.Stats(); s.Waits == 0 {
				t.Errorf("the request after a limit did not wait: %+v", s)
			}
		})
	}
}

func primaryLimit(reset time.Time) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		githubsim.WritePrimaryLimit(w, http.StatusForbidden, 42, 5000, reset, time.Now())
	}
}

func TestPrimaryExhaustionWaitsForReset(t *testing.T) {
	e, clk := limitedEnv(t, Limits{})
	reset := time.Now().Add(30 * time.Second)
	e.faults.add("GET", "/repos/acme/api", 1, primaryLimit(reset))
	if _, err := e.c.RepoPermissions(context.Background(), "acme", "api"); err != nil {
		t.Fatal(err)
	}
	if s := e.c.Stats(); s.Primary != 1 || s.Retries != 1 {
		t.Errorf("stats %+v", s)
	}
	if !clk.Now().After(reset) {
		t.Errorf("retried at %s, before the reset %s", clk.Now(), reset)
	}
}

func TestPrimaryExhaustionTooFarIsAnError(t *testing.T) {
	e, _ := limitedEnv(t, Limits{MaxWait: time.Minute})
	reset := time.Now().Add(40 * time.Minute)
	e.faults.add("GET", "/repos/acme/api", 1, primaryLimit(reset))
	_, err := e.c.RepoPermissions(context.Background(), "acme", "api")
	var le *LimitError
	if !errors.As(err, &le) || le.Kind != "primary" || !strings.Contains(err.Error(), "lifts at "+reset.Add(time.Second).UTC().Format("15:04:05")) ||
		!strings.Contains(err.Error(), "read repository acme/api") {
		t.Fatalf("err %v", err)
	}
	if s := e.c.Stats(); s.Requests != 1 {
		t.Errorf("stats %+v", s)
	}
	// Later requests are refused without being sent until the reset.
	if _, err := e.c.User(context.Background()); !errors.As(err, &le) || !strings.Contains(err.Error(), "did not send") {
		t.Errorf("later request: %v", err)
	}
	if s := e.c.Stats(); s.Requests != 1 {
		t.Errorf("stats after the later request %+v", s)
	}
}

// The simulator's own primary budget: the response that spends the last
// request carries x-ratelimit-remaining 0. go-github would then refuse
// every later call locally; the limiter hides that header so the next call
// reaches it and fails with a LimitError naming the reset.
func TestSimulatorPrimaryBudget(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	e := newEnv(t, githubsim.Options{PrimaryLimit: 2}, adminToken, Limits{MaxWait: time.Minute, clock: clk})
	ctx := context.Background()
	for range 2 {
		if _, err := e.c.User(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.c.User(ctx)
	var le *LimitError
	if !errors.As(err, &le) || le.Kind != "primary" || le.Wait < 59*time.Minute {
		t.Fatalf("err %v", err)
	}
	if e.rec.count("GET /user") != 2 {
		t.Errorf("%d requests sent, want 2 (the third is refused locally)", e.rec.count("GET /user"))
	}
	if !strings.Contains(err.Error(), "did not send") || !strings.Contains(err.Error(), "primary rate limit") {
		t.Errorf("err %v", err)
	}
}

func TestWaitsRespectTheContext(t *testing.T) {
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{}) // real clock
	e.faults.add("GET", "/user", 1, func(w http.ResponseWriter) {
		githubsim.WriteSecondaryLimit(w, http.StatusForbidden, 30*time.Second)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := e.c.User(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	// The pause holds for the next request too, until its context ends.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := e.c.User(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second: %v", err)
	}
	if s := e.c.Stats(); s.Requests > 1 {
		t.Errorf("the paused request was sent: %+v", s)
	}
}

// The concurrency cap holds under load: with the simulator enforcing the
// same cap, no request is rejected and the cap is reached.
func TestConcurrencyCap(t *testing.T) {
	const limit = 4
	e := newEnv(t, githubsim.Options{Latency: 20 * time.Millisecond, MaxConcurrent: limit, PointsPerMinute: -1},
		adminToken, Limits{MaxConcurrent: limit})
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if _, err := e.c.User(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s := e.c.Stats()
	if s.RateLimited != 0 || s.Requests != 40 || s.MaxInFlight != limit {
		t.Errorf("stats %+v", s)
	}
}

// countingTransport answers 200 at once and records, on the limiter's fake
// clock, when each request was sent and what it cost.
type countingTransport struct {
	clk   *fakeClock
	mu    sync.Mutex
	sent  []time.Time
	costs []int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.sent = append(c.sent, c.clk.Now())
	cost := 5
	if req.Method == http.MethodGet {
		cost = 1
	}
	c.costs = append(c.costs, cost)
	c.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
}

// The points budget holds in every sliding minute, and requests are paced
// rather than failed.
func TestPointsBudget(t *testing.T) {
	clk := &fakeClock{t: t0}
	ct := &countingTransport{clk: clk}
	lim := newLimiter(ct, Limits{PointsPerMinute: 100, clock: clk})
	for i := range 250 {
		method := http.MethodPut
		if i%5 == 4 {
			method = http.MethodGet
		}
		req, _ := http.NewRequest(method, "http://127.0.0.1/x/"+strconv.Itoa(i), nil)
		resp, err := lim.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	total := 0
	for i, at := range ct.sent {
		total += ct.costs[i]
		window := 0
		for j := i; j < len(ct.sent) && ct.sent[j].Sub(at) < time.Minute; j++ {
			window += ct.costs[j]
		}
		if window > 100 {
			t.Fatalf("%d points in the minute from request %d (budget 100)", window, i)
		}
	}
	// 1050 points at 100 a minute: ten minutes hold 1000, so the last
	// request goes out in the eleventh.
	if got := ct.sent[len(ct.sent)-1].Sub(t0); total != 1050 || got < 10*time.Minute || got > 11*time.Minute {
		t.Errorf("%d points, the last sent after %s, want within the eleventh minute", total, got)
	}
	// The first 99 points (23 requests) went out at once; the next waited.
	if !ct.sent[22].Equal(t0) || ct.sent[23].Equal(t0) {
		t.Errorf("the budget was not spent at once: %s, %s", ct.sent[22].Sub(t0), ct.sent[23].Sub(t0))
	}
	if s := lim.stats(); s.Points != int64(total) || s.RateLimited != 0 || s.Waits == 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestLimitsDefaults(t *testing.T) {
	l := Limits{}.withDefaults()
	if l.MaxConcurrent != 50 || l.PointsPerMinute != 900 || l.WritePoints != 5 || l.ReadPoints != 1 ||
		l.MaxWait != 2*time.Minute || l.MaxAttempts != 3 {
		t.Errorf("defaults %+v", l)
	}
	if l := (Limits{PointsPerMinute: 3}).withDefaults(); l.PointsPerMinute != 5 {
		t.Errorf("a budget below one write: %+v", l)
	}
	lim := newLimiter(nil, Limits{BaseBackoff: time.Second, MaxBackoff: 10 * time.Second})
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second} {
		if d := lim.backoff(n); d < want*3/4 || d > want*5/4 {
			t.Errorf("backoff(%d) = %s", n, d)
		}
	}
	if d := lim.backoff(30); d > 10*time.Second {
		t.Errorf("backoff not capped: %s", d)
	}
}

// RequestTimeout bounds each attempt, and its error says so.
func TestRequestTimeout(t *testing.T) {
	e := newEnv(t, githubsim.Options{Latency: 300 * time.Millisecond}, adminToken, Limits{RequestTimeout: 30 * time.Millisecond, MaxAttempts: 1})
	_, err := e.c.User(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer within 30ms") || !strings.Contains(err.Error(), "check the network") {
		t.Fatalf("err %v", err)
	}
	noSecrets(t, err)
	if s := e.c.Stats(); s.MaxInFlight != 1 {
		t.Errorf("stats %+v", s)
	}
}

// slowSim serves requests with the simulator in the test's goroutine, on
// the fake clock: each answer comes a latency after the request left (5 s
// for reads, 1 s for writes), and the simulator counts the request when it
// arrives, just before answering (the latest moment GitHub could count
// it).
type slowSim struct {
	h    http.Handler
	clk  *fakeClock
	puts *[]time.Duration // when each PUT left, from t0
}

func (s slowSim) RoundTrip(req *http.Request) (*http.Response, error) {
	latency := 5 * time.Second
	if req.Method == http.MethodPut {
		*s.puts = append(*s.puts, s.clk.Now().Sub(t0))
		latency = time.Second
	}
	_ = s.clk.Sleep(req.Context(), latency)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// The limiter spends the whole of GitHub's budget and never more, even
// though GitHub counts a request when it arrives, not when it leaves: the
// client counts a request's points until a minute after its answer. With
// the key read counted 5 s after it left and the writes 1 s after, a
// client that counted from sending would send the fourth write a minute
// after the key read left (+60 s), when GitHub still counts the key read
// (it arrived at +5 s), and be refused.
func TestPointsBudgetCountsUntilTheAnswer(t *testing.T) {
	clk := &fakeClock{t: t0}
	sim := githubsim.New(githubsim.Options{Now: clk.Now, PointsPerMinute: 20, RetryAfter: time.Second})
	world(t, sim)
	var puts []time.Duration
	c, err := New(Config{BaseURL: "http://127.0.0.1/", Token: secret.New(adminToken),
		HTTPClient: &http.Client{Transport: slowSim{h: sim, clk: clk, puts: &puts}},
		Limits:     Limits{PointsPerMinute: 20, MaxAttempts: 1, LimitRetries: 1, clock: clk}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pk, err := c.PublicKey(ctx, repoScope)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if _, err := c.PutSecret(ctx, repoScope, "OPENAI_API_KEY", seal(t, pk, fmt.Sprintf("v%d", i)), OrgSecretOptions{}); err != nil {
			t.Fatalf("write %d at +%s: %v", i, clk.Now().Sub(t0), err)
		}
	}
	if st := sim.LimitStats(); st.Secondary != 0 {
		t.Fatalf("the simulator refused %d request(s)", st.Secondary)
	}
	if s := c.Stats(); s.RateLimited != 0 || s.Points != 41 {
		t.Errorf("stats %+v", s)
	}
	// The key read and three writes fit in the budget (16 points); the
	// fourth write waits for the key read's minute to end (answered at
	// +5 s), the next ones for the writes' (answered at +6 s, +7 s, …),
	// and the eighth for the fourth's (answered at +66 s).
	want := []time.Duration{5, 6, 7, 65, 66, 67, 68, 126}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(puts, want) {
		t.Errorf("writes sent at %v, want %v", puts, want)
	}
}

// hookClock is a fakeClock that runs onWait the first time a request
// waits for points.
type hookClock struct {
	fakeClock
	once   sync.Once
	onWait func()
}

func (c *hookClock) Wait(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	c.once.Do(c.onWait)
	return c.fakeClock.Wait(ctx, d, wake)
}

// A request that waited for points does not go out while a limit another
// request hit meanwhile is pending: it waits for the retry-after too.
func TestPointsWaitThenPause(t *testing.T) {
	clk := &hookClock{fakeClock: fakeClock{t: t0}}
	ct := &countingTransport{clk: &clk.fakeClock}
	lim := newLimiter(ct, Limits{PointsPerMinute: 10, clock: clk})
	clk.onWait = func() { lim.pause(t0.Add(2*time.Minute), "secondary") }
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodPut, "http://127.0.0.1/x/"+strconv.Itoa(i), nil)
		resp, err := lim.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := ct.sent[2].Sub(t0); got < 2*time.Minute {
		t.Errorf("the third write went out %s after the start, before the pause set while it waited for points ended (2m0s)", got)
	}
}

// A secondary limit without retry-after: GitHub asks for at least a
// minute, and the token sends nothing meanwhile.
func TestSecondaryWithoutRetryAfterWaitsAMinute(t *testing.T) {
	e, clk := limitedEnv(t, Limits{})
	e.faults.add("GET", "/user", 1, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`)
	})
	if _, err := e.c.User(context.Background()); err != nil {
		t.Fatal(err)
	}
	if clk.total() < time.Minute {
		t.Errorf("waited %s, want at least a minute", clk.total())
	}
	if s := e.c.Stats(); s.Requests != 2 || s.Secondary != 1 {
		t.Errorf("stats %+v", s)
	}
}
