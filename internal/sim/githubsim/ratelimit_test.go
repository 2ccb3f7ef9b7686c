package githubsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/spec"
)

// barrier holds every RoundTrip until n of them are waiting (or a timeout
// passes), so a burst of requests really leaves the client together.
type barrier struct {
	next    http.RoundTripper
	n       int
	mu      sync.Mutex
	waiting int
	release chan struct{}
}

func (b *barrier) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.waiting++
	if b.waiting == b.n {
		close(b.release)
	}
	b.mu.Unlock()
	select {
	case <-b.release:
	case <-time.After(5 * time.Second):
	}
	return b.next.RoundTrip(r)
}

// burstResult is what a burst of concurrent go-github calls came back with.
type burstResult struct {
	ok, canceled int
	abuse        []*github.AbuseRateLimitError
	other        []error
}

// burst sends n concurrent GetRepoPublicKey calls through c (all leaving the
// client together, see barrier) and calls onAbuse after each secondary-limit
// error with the count so far.
func burst(ctx context.Context, c *github.Client, n int, onAbuse func(int)) burstResult {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		res burstResult
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "api")
			mu.Lock()
			defer mu.Unlock()
			var are *github.AbuseRateLimitError
			switch {
			case err == nil:
				res.ok++
			case errors.As(err, &are):
				res.abuse = append(res.abuse, are)
				if onAbuse != nil {
					onAbuse(len(res.abuse))
				}
			case errors.Is(err, context.Canceled):
				res.canceled++
			default:
				res.other = append(res.other, err)
			}
		}()
	}
	wg.Wait()
	return res
}

// burstClient returns a client whose transport holds n idle connections to
// srv (opened by n simultaneous requests with an unknown token, refused at
// once at no cost), so a burst does not wait on dialling.
func burstClient(t *testing.T, srv *httptest.Server, n int) (*github.Client, *spec.CheckingTransport) {
	t.Helper()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = n
	warm := &barrier{next: tr, n: n, release: make(chan struct{})}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", srv.URL+"/user", nil)
			req.Header.Set("Authorization", "token warm-up")
			if resp, err := warm.RoundTrip(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	return newClientOver(t, srv, adminToken, false, &barrier{next: tr, n: n, release: make(chan struct{})})
}

func checkAbuse(t *testing.T, abuse []*github.AbuseRateLimitError, retry time.Duration) {
	t.Helper()
	for _, are := range abuse {
		if are.RetryAfter == nil || *are.RetryAfter != retry || are.Response.StatusCode != http.StatusForbidden ||
			are.Response.Header.Get("Retry-After") != strconv.Itoa(int(retry/time.Second)) ||
			!strings.HasPrefix(are.Message, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ") {
			t.Fatalf("secondary-limit error: status %d retry-after %v message %q", are.Response.StatusCode, are.RetryAfter, are.Message)
		}
	}
}

// TestSecondaryLimitConcurrentBurst: 150 concurrent requests at 50 ms
// latency overlap, so the ones past 100 in flight are refused with
// retry-after and go-github reports *github.AbuseRateLimitError. On a
// heavily loaded machine the requests may not all arrive within 50 ms; the
// burst is then retried, and under the race detector (several times slower)
// the latency is 1 s. The exact 100/50 split is proven deterministically by
// TestSecondaryLimitHoldsHundredInFlight.
func TestSecondaryLimitConcurrentBurst(t *testing.T) {
	const n = 150
	latency := 50 * time.Millisecond
	if raceEnabled {
		latency = time.Second
	}
	for attempt := 1; ; attempt++ {
		_, srv, _ := newSim(t, githubsim.Options{Latency: latency, RetryAfter: 2 * time.Second})
		c, ct := burstClient(t, srv, n)
		start := time.Now()
		res := burst(context.Background(), c, n, nil)
		if len(res.other) != 0 || res.canceled != 0 {
			t.Fatalf("unexpected errors: %v", res.other)
		}
		if res.ok < 100 || res.ok+len(res.abuse) != n {
			t.Fatalf("%d OK, %d refused: at least 100 must be served", res.ok, len(res.abuse))
		}
		checkAbuse(t, res.abuse, 2*time.Second)
		assertConformant(t, ct)
		if len(res.abuse) > 0 {
			t.Logf("attempt %d: %d served, %d refused in %v", attempt, res.ok, len(res.abuse), time.Since(start))
			return
		}
		if attempt == 3 {
			t.Fatalf("no request was refused in 3 bursts of %d: the latency is not counted as in flight", n)
		}
		t.Logf("attempt %d: the requests did not overlap (slow machine?); retrying", attempt)
	}
}

// TestSecondaryLimitHoldsHundredInFlight makes the overlap certain: with a
// long latency the first 100 requests stay in flight while the other 50
// are refused; cancelling the clients then frees the slots.
func TestSecondaryLimitHoldsHundredInFlight(t *testing.T) {
	const n = 150
	sim, srv, clk := newSim(t, githubsim.Options{Latency: time.Minute, RetryAfter: time.Second})
	c, ct := burstClient(t, srv, n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := burst(ctx, c, n, func(refused int) {
		if refused == n-100 {
			// Give stragglers a moment to prove no 101st request is served,
			// then release the 100 waiting ones.
			time.AfterFunc(200*time.Millisecond, cancel)
		}
	})
	if len(res.other) != 0 || res.ok != 0 || len(res.abuse) != 50 || res.canceled != 100 {
		t.Fatalf("got %d served, %d refused, %d cancelled, errors %v; want 0, 50, 100", res.ok, len(res.abuse), res.canceled, res.other)
	}
	checkAbuse(t, res.abuse, time.Second)
	for _, err := range ct.Errors() {
		t.Errorf("spec violation: %v", err)
	}
	if ct.Checked() < 50 {
		t.Errorf("only %d responses validated", ct.Checked())
	}

	// The cancelled requests left the in-flight count: once the
	// retry-after has passed, a request is served.
	sim.SetLatency(0)
	clk.Add(1100 * time.Millisecond)
	c2, ct2 := newClient(t, srv, adminToken, false)
	if _, _, err := c2.Users.Get(context.Background(), ""); err != nil {
		t.Fatalf("in-flight slots never released: %v", err)
	}
	assertConformant(t, ct2)
	if st := sim.LimitStats(); st.Secondary != 50 || st.EarlyRetries != 0 {
		t.Errorf("limit stats %+v, want 50 refusals and no early retry", st)
	}
}

// TestSecondaryLimitRetryAfterIsEnforced: after a refusal the token is
// refused until retry-after has passed, on every endpoint; requests in the
// grace period (already in flight) only wait, but one sent later makes
// the token wait a further retry-after, and says so in its retry-after.
func TestSecondaryLimitRetryAfterIsEnforced(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{PointsPerMinute: 2, RetryAfter: 10 * time.Second})
	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for range 2 {
		if resp := get("/user"); resp.StatusCode != http.StatusOK {
			t.Fatalf("within budget: %d", resp.StatusCode)
		}
	}
	if resp := get("/user"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") != "10" {
		t.Fatalf("over budget: %d retry-after %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Still in the grace period (a request already in flight): refused,
	// with the time left, and no penalty.
	clk.Add(500 * time.Millisecond)
	if resp := get("/repos/acme/api"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") != "10" {
		t.Fatalf("in the grace period: %d retry-after %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st := sim.LimitStats(); st.EarlyRetries != 0 || st.Secondary != 2 {
		t.Fatalf("stats %+v", st)
	}
	// Sent again while told to wait: refused for longer.
	clk.Add(4 * time.Second)
	resp := get("/user")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") != "16" {
		t.Fatalf("early retry: %d retry-after %q, want 16 (5.5 s left plus 10)", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st := sim.LimitStats(); st.EarlyRetries != 1 || st.Secondary != 3 {
		t.Fatalf("stats %+v", st)
	}
	// Past the (extended) wait, and the minute: served again.
	clk.Add(61 * time.Second)
	if resp := get("/user"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the wait: %d", resp.StatusCode)
	}
}

func TestSecondaryLimitPointsPerMinute(t *testing.T) {
	// Writes cost 5 points: two fit in 10, the third is refused until the
	// oldest spend leaves the sliding minute.
	sim, srv, clk := newSim(t, githubsim.Options{PointsPerMinute: 10, RetryAfter: time.Second})
	_ = sim
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	del := func() error {
		_, err := c.Actions.DeleteRepoSecret(ctx, "acme", "api", "NOPE") // 404, still costs points
		if errStatus(err) == 404 {
			return nil
		}
		return err
	}
	if err := del(); err != nil {
		t.Fatal(err)
	}
	clk.Add(30 * time.Second)
	if err := del(); err != nil {
		t.Fatal(err)
	}
	var are *github.AbuseRateLimitError
	if err := del(); !errors.As(err, &are) {
		t.Fatalf("third write in a minute: %v, want *github.AbuseRateLimitError", err)
	}
	// go-github now refuses locally until RetryAfter passes (1s real time).
	time.Sleep(1100 * time.Millisecond)
	clk.Add(31 * time.Second) // the first spend is now older than a minute
	if err := del(); err != nil {
		t.Fatalf("after the window slid: %v", err)
	}
	assertConformant(t, ct)
}

func TestSecondaryLimitAs429(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{PointsPerMinute: 3, SecondaryStatus: http.StatusTooManyRequests})
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	for range 3 {
		if _, _, err := c.Users.Get(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, resp, err := c.Users.Get(ctx, "")
	var are *github.AbuseRateLimitError
	var er *github.ErrorResponse
	if errors.As(err, &are) || !errors.As(err, &er) || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("429 mode: %T %v, want a plain *github.ErrorResponse with 429", err, err)
	}
	if resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("retry-after %q, want the default 60", resp.Header.Get("Retry-After"))
	}
	assertConformant(t, ct)
}

func TestPrimaryLimit(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{PrimaryLimit: 3})
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	for i := range 3 {
		_, resp, err := c.Users.Get(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Rate.Limit != 3 || resp.Rate.Remaining != 2-i || resp.Header.Get("X-RateLimit-Used") != string(rune('1'+i)) ||
			resp.Header.Get("X-RateLimit-Resource") != "core" || !resp.Rate.Reset.Time.Equal(t0.Add(time.Hour)) {
			t.Fatalf("request %d rate: %+v used %q", i, resp.Rate, resp.Header.Get("X-RateLimit-Used"))
		}
	}
	_, resp, err := c.Users.Get(ctx, "")
	var rle *github.RateLimitError
	if !errors.As(err, &rle) {
		t.Fatalf("4th request: %T %v, want *github.RateLimitError", err, err)
	}
	if resp.StatusCode != 403 || rle.Rate.Remaining != 0 || rle.Rate.Limit != 3 ||
		!strings.HasPrefix(rle.Message, "API rate limit exceeded for user ID ") {
		t.Fatalf("primary limit: status %d rate %+v message %q", resp.StatusCode, rle.Rate, rle.Message)
	}
	var uid int64
	for _, u := range sim.Snapshot().Users {
		if u.Login == "alice" {
			uid = u.ID
		}
	}
	if !strings.Contains(rle.Message, "user ID "+jsonNum(uid)+".") {
		t.Fatalf("message %q does not name user ID %d", rle.Message, uid)
	}
	// GET /rate_limit still answers and costs nothing (go-github bypasses
	// its local check for it).
	limits, _, err := c.RateLimit.Get(ctx)
	if err != nil || limits.GetCore().Remaining != 0 || limits.GetCore().Limit != 3 {
		t.Fatalf("rate_limit: %+v %v", limits.GetCore(), err)
	}
	// Another token has its own budget.
	c2, ct2 := newClient(t, srv, readToken, false)
	if _, _, err := c2.Users.Get(ctx, ""); err != nil {
		t.Fatalf("other token: %v", err)
	}
	// An hour later the window resets.
	clk.Add(time.Hour)
	c3, ct3 := newClient(t, srv, adminToken, false) // fresh client: no local memory of the limit
	if _, resp, err := c3.Users.Get(ctx, ""); err != nil || resp.Rate.Remaining != 2 {
		t.Fatalf("after reset: %v %+v", err, resp)
	}
	assertConformant(t, ct)
	assertConformant(t, ct2)
	assertConformant(t, ct3)
}

func jsonNum(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestWriteHelpers(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("X-GitHub-Request-Id", "ABCD:1234:5678:9ABC:DEF0")
	githubsim.WriteSecondaryLimit(rec, http.StatusForbidden, 1500*time.Millisecond)
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 403 || rec.Header().Get("Retry-After") != "2" ||
		body["message"] != "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ABCD:1234:5678:9ABC:DEF0." ||
		body["documentation_url"] != "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" ||
		body["status"] != "403" {
		t.Fatalf("secondary: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}

	rec = httptest.NewRecorder()
	githubsim.WritePrimaryLimit(rec, http.StatusTooManyRequests, 42, 5000, t0.Add(time.Hour), t0)
	body = nil
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	id := rec.Header().Get("X-GitHub-Request-Id")
	if rec.Code != 429 || rec.Header().Get("X-RateLimit-Remaining") != "0" || rec.Header().Get("X-RateLimit-Limit") != "5000" ||
		rec.Header().Get("X-RateLimit-Reset") != jsonNum(t0.Add(time.Hour).Unix()) || id == "" ||
		body["message"] != "API rate limit exceeded for user ID 42. If you reach out to GitHub Support for help, please include the request ID "+id+" and timestamp 2025-03-01 12:00:00 UTC." {
		t.Fatalf("primary: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}

	rec = httptest.NewRecorder()
	githubsim.WriteError(rec, http.StatusNotFound, "Not Found")
	if rec.Code != 404 || strings.TrimSpace(rec.Body.String()) != `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}` {
		t.Fatalf("error: %d %s", rec.Code, rec.Body)
	}
}

func TestLatencyRespectsCancellation(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{Latency: 10 * time.Second, MaxConcurrent: 1})
	c, _ := newClient(t, srv, adminToken, false)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := c.Users.Get(ctx, ""); err == nil {
		t.Fatal("request did not time out")
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("cancellation did not end the wait")
	}
	// The cancelled request left the in-flight count: with MaxConcurrent 1
	// the next request is admitted (it then waits the latency, so a short
	// client timeout ends it); a 403 would mean the slot leaked. A leaked
	// slot stays leaked: the server is given 10 s to see the cancellation
	// (under -race on a loaded machine it has taken over 2 s).
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", srv.URL+"/user", nil)
		req.Header.Set("Authorization", "token "+adminToken)
		hc := &http.Client{Timeout: 200 * time.Millisecond}
		resp, err := hc.Do(req)
		if err != nil {
			break // admitted and waiting: the slot was free
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || time.Now().After(deadline) {
			t.Fatalf("after cancellation: status %d, want an admitted request", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
