package githubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Limits fields left at zero. They keep one token inside
// GitHub's documented secondary limits (API-NOTES §5: 100 concurrent
// requests, 900 points a minute, reads 1 point and writes 5): half the
// concurrency, and the whole points budget, which the limiter can spend
// without ever exceeding it because it counts a request's points until a
// minute after its answer came back (GitHub counted them at some moment
// between sending and answering).
const (
	DefaultMaxConcurrent   = 50
	DefaultPointsPerMinute = 900
	DefaultReadPoints      = 1
	DefaultWritePoints     = 5
	DefaultMaxWait         = 2 * time.Minute
	DefaultRequestTimeout  = 60 * time.Second
	DefaultMaxAttempts     = 3
	DefaultLimitRetries    = 5
	DefaultBaseBackoff     = time.Second
	DefaultMaxBackoff      = 60 * time.Second
)

// Limits configure the rate limiter that every request of a Client goes
// through. One Client (one token) has one limiter, shared by all its
// goroutines. Zero fields take the defaults above.
type Limits struct {
	// MaxConcurrent caps the requests in flight. A slot is held from
	// sending the request until its response body is closed.
	MaxConcurrent int
	// PointsPerMinute is the most points the client spends in any sliding
	// minute, the way GitHub counts its secondary limit. It works as a
	// token bucket of PointsPerMinute points in which every point spent
	// comes back one minute after the request's answer arrived (GitHub
	// counts the request at some moment between sending and answering, so
	// the client's minute always ends after GitHub's): a fan-out may spend
	// the whole budget at once, and then proceeds at the pace points come
	// back. Requests wait for points in the order they asked; they never
	// fail for lack of them.
	PointsPerMinute int
	// ReadPoints is the cost of GET, HEAD and OPTIONS; WritePoints of any
	// other method.
	ReadPoints, WritePoints int
	// MaxWait is the longest the client waits for a rate limit to lift
	// (a primary-limit reset or a retry-after); beyond it the request
	// fails with a *LimitError saying when to retry.
	MaxWait time.Duration
	// MaxAttempts is how many times an idempotent request (GET, HEAD,
	// OPTIONS, PUT, DELETE) is sent when the server answers 5xx.
	MaxAttempts int
	// LimitRetries is how many times an idempotent request is retried after
	// rate-limit responses.
	LimitRetries int
	// RequestTimeout bounds one attempt, from sending the request to the
	// end of its response body; time spent waiting for the limiter does
	// not count. Default 60 s.
	RequestTimeout time.Duration
	// BaseBackoff and MaxBackoff bound the exponential backoff (with
	// jitter) used after a 5xx, or after a secondary rate limit that names
	// no retry-after (then at least a minute, as GitHub advises).
	BaseBackoff, MaxBackoff time.Duration

	// clock replaces the real clock in tests.
	clock clock
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxConcurrent, DefaultMaxConcurrent)
	def(&l.PointsPerMinute, DefaultPointsPerMinute)
	def(&l.ReadPoints, DefaultReadPoints)
	def(&l.WritePoints, DefaultWritePoints)
	l.PointsPerMinute = max(l.PointsPerMinute, l.ReadPoints, l.WritePoints)
	def(&l.MaxAttempts, DefaultMaxAttempts)
	def(&l.LimitRetries, DefaultLimitRetries)
	defD(&l.MaxWait, DefaultMaxWait)
	defD(&l.RequestTimeout, DefaultRequestTimeout)
	defD(&l.BaseBackoff, DefaultBaseBackoff)
	defD(&l.MaxBackoff, DefaultMaxBackoff)
	if l.clock == nil {
		l.clock = realClock{}
	}
	return l
}

// Stats counts what the limiter did. All fields are totals since the client
// was created.
type Stats struct {
	Requests    int64         // requests sent to the server, retries included
	Retries     int64         // requests sent again after a rate limit or a 5xx
	Waits       int64         // times a request waited (pacing, a limit, backoff)
	WaitTime    time.Duration // total time requests spent waiting
	RateLimited int64         // rate-limit responses received (403 or 429)
	Secondary   int64         // of which secondary limits (or 429 without remaining 0)
	Primary     int64         // of which primary exhaustion (remaining 0)
	ServerError int64         // 5xx responses received
	Points      int64         // points spent, by the limiter's accounting
	MaxInFlight int64         // the most requests in flight at once
}

// LimitError is returned when a request hit a GitHub rate limit and the
// client would not (non-idempotent request) or could not (the wait is too
// long) retry it. It never contains the token.
type LimitError struct {
	Kind   string        // "primary", "secondary" or "429"
	Method string        // request method
	Path   string        // request path
	Status int           // 403 or 429
	Until  time.Time     // when the limit lifts, if known
	Wait   time.Duration // how long that is from when it was hit
	Reason string        // why the client did not retry
}

// StatusCode returns the HTTP status of the limit answer: the request was
// refused, so it took no effect.
func (e *LimitError) StatusCode() int { return e.Status }

func (e *LimitError) Error() string {
	what := map[string]string{
		"primary":   "GitHub's primary rate limit (the token's hourly request budget) is exhausted",
		"secondary": "GitHub's secondary rate limit was hit",
		"429":       "GitHub answered 429 Too Many Requests",
	}[e.Kind]
	msg := fmt.Sprintf("%s %s: %s (%d)", e.Method, e.Path, what, e.Status)
	if !e.Until.IsZero() {
		msg += fmt.Sprintf("; it lifts at %s (in %s)", e.Until.UTC().Format("15:04:05 MST"), e.Wait.Round(time.Second))
	}
	if e.Reason != "" {
		msg += "; " + e.Reason
	}
	return msg
}

// clock is time, replaceable in tests.
type clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
	// Wait waits for d (forever when d < 0), or until wake is signalled
	// or ctx is done (then it returns ctx.Err()).
	Wait(ctx context.Context, d time.Duration, wake <-chan struct{}) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Wait(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return nil
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limiter is the http.RoundTripper that applies Limits. See Limits and the
// package documentation for the policy.
type limiter struct {
	next  http.RoundTripper
	lim   Limits
	clock clock
	slots chan struct{}

	mu          sync.Mutex
	spent       []*spend  // points still in the window: in flight, or answered less than a minute ago
	used        int       // the points of spent
	queue       []*waiter // requests waiting for points, in the order they asked
	pausedUntil time.Time // every request waits until then (a limit was hit)
	pausedKind  string    // the limit that set pausedUntil

	inflight                                  atomic.Int64
	requests, retries, waits, waitNanos       atomic.Int64
	limited, secondary, primary, serverErrors atomic.Int64
	points, maxInFlight                       atomic.Int64
}

func newLimiter(next http.RoundTripper, l Limits) *limiter {
	l = l.withDefaults()
	return &limiter{
		next:  next,
		lim:   l,
		clock: l.clock,
		slots: make(chan struct{}, l.MaxConcurrent),
	}
}

func (t *limiter) stats() Stats {
	return Stats{
		Requests: t.requests.Load(), Retries: t.retries.Load(), Waits: t.waits.Load(),
		WaitTime: time.Duration(t.waitNanos.Load()), RateLimited: t.limited.Load(),
		Secondary: t.secondary.Load(), Primary: t.primary.Load(), ServerError: t.serverErrors.Load(),
		Points: t.points.Load(), MaxInFlight: t.maxInFlight.Load(),
	}
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (t *limiter) cost(method string) int {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return t.lim.ReadPoints
	}
	return t.lim.WritePoints
}

// RoundTrip sends req within the limits, retrying as the package
// documentation describes. Responses that hit a rate limit never reach the
// caller: they are retried or turned into a *LimitError.
func (t *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	canRetry := idempotent(req.Method) && (req.Body == nil || req.Body == http.NoBody || req.GetBody != nil)
	cost := t.cost(req.Method)
	limitRetries, serverAttempts := 0, 1
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			t.retries.Add(1)
		}
		r := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.send(r, cost)
		if err != nil {
			return nil, err
		}
		kind, wait, until := t.classify(resp)
		switch kind {
		case "":
			return resp, nil
		case "server":
			if !canRetry || serverAttempts >= t.lim.MaxAttempts {
				return resp, nil
			}
			serverAttempts++
			drain(resp)
			if err := t.sleep(ctx, t.backoff(serverAttempts-1)); err != nil {
				return nil, err
			}
			continue
		}
		// A rate limit: every request of the token pauses until it lifts.
		t.pause(until, kind)
		lerr := &LimitError{Kind: kind, Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Until: until, Wait: wait}
		drain(resp)
		switch {
		case !canRetry:
			lerr.Reason = "the request is not idempotent, so respond did not repeat it: run the step again once the limit lifts"
			return nil, lerr
		case wait > t.lim.MaxWait:
			lerr.Reason = fmt.Sprintf("that is longer than respond waits (%s): run the step again then, or use another token", t.lim.MaxWait)
			return nil, lerr
		case limitRetries >= t.lim.LimitRetries:
			lerr.Reason = fmt.Sprintf("still limited after %d retries: wait a few minutes, then run the step again", limitRetries)
			return nil, lerr
		}
		limitRetries++
	}
}

// send waits for any pause, a concurrency slot and the request's points,
// then (once more) for any pause a limit set meanwhile, and sends it: it
// never sends while a limit is pending. The slot is released when the
// response body is closed.
func (t *limiter) send(req *http.Request, cost int) (*http.Response, error) {
	ctx := req.Context()
	if err := t.waitPause(req); err != nil {
		return nil, err
	}
	select {
	case t.slots <- struct{}{}:
	default:
		start := t.clock.Now()
		t.waits.Add(1)
		select {
		case t.slots <- struct{}{}:
			t.waitNanos.Add(int64(t.clock.Now().Sub(start)))
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	sp, err := t.take(ctx, cost)
	if err != nil {
		<-t.slots
		return nil, err
	}
	// Waiting for points can take a minute, and another request may have
	// hit a limit meanwhile: wait for it to lift too.
	if err := t.waitPause(req); err != nil {
		t.unspend(sp)
		<-t.slots
		return nil, err
	}
	// The attempt's own timeout starts now: waiting for the limiter does
	// not count against it.
	actx, cancel := context.WithTimeout(ctx, t.lim.RequestTimeout)
	release := sync.OnceFunc(func() { cancel(); t.inflight.Add(-1); <-t.slots })
	n := t.inflight.Add(1)
	for {
		m := t.maxInFlight.Load()
		if n <= m || t.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	t.requests.Add(1)
	t.points.Add(int64(cost))
	resp, err := t.next.RoundTrip(req.WithContext(actx))
	// GitHub counted the request by now, if it did: its points come back
	// a minute from here.
	t.answered(sp)
	if err != nil {
		timedOut := ctx.Err() == nil && actx.Err() == context.DeadlineExceeded
		release()
		if timedOut {
			return nil, fmt.Errorf("%s %s: no answer within %s", req.Method, req.URL.Path, t.lim.RequestTimeout)
		}
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// spend is the points of one request in the window: in flight while done
// is zero, then until a minute after done.
type spend struct {
	cost int
	done time.Time
}

// waiter is a request waiting for points; wake is signalled when it may
// have become able to go (it reached the head of the queue, or points came
// back).
type waiter struct{ wake chan struct{} }

// take waits until cost points fit in the budget and every request that
// asked before has gone, then records them as spent (in flight). Waiting
// requests go out one after another, in order, as points come back,
// rather than all at once; a write waiting for 5 points is not overtaken
// by reads.
func (t *limiter) take(ctx context.Context, cost int) (*spend, error) {
	w := &waiter{wake: make(chan struct{}, 1)}
	t.mu.Lock()
	t.queue = append(t.queue, w)
	var start time.Time
	for {
		now := t.clock.Now()
		t.expire(now)
		head := t.queue[0] == w
		if head && t.used+cost <= t.lim.PointsPerMinute {
			t.queue = t.queue[1:]
			sp := &spend{cost: cost}
			t.spent = append(t.spent, sp)
			t.used += cost
			t.wakeHead()
			t.mu.Unlock()
			if !start.IsZero() {
				t.waitNanos.Add(int64(t.clock.Now().Sub(start)))
			}
			return sp, nil
		}
		d := time.Duration(-1) // until woken
		if head {
			d = t.untilFree(now, cost)
		}
		t.mu.Unlock()
		if start.IsZero() {
			start = now
			t.waits.Add(1)
		}
		err := t.clock.Wait(ctx, d, w.wake)
		t.mu.Lock()
		if err != nil {
			for i, q := range t.queue {
				if q == w {
					t.queue = append(t.queue[:i], t.queue[i+1:]...)
					break
				}
			}
			t.wakeHead()
			t.mu.Unlock()
			return nil, err
		}
	}
}

// expire forgets the spends whose minute has passed. Callers hold t.mu.
func (t *limiter) expire(now time.Time) {
	keep := t.spent[:0]
	for _, sp := range t.spent {
		if !sp.done.IsZero() && !sp.done.Add(time.Minute).After(now) {
			t.used -= sp.cost
			continue
		}
		keep = append(keep, sp)
	}
	clear(t.spent[len(keep):])
	t.spent = keep
}

// untilFree is how long from now until enough answered spends leave the
// window for cost more points to fit, or -1 if that depends on requests
// still in flight. Callers hold t.mu.
func (t *limiter) untilFree(now time.Time, cost int) time.Duration {
	var done []spend
	for _, sp := range t.spent {
		if !sp.done.IsZero() {
			done = append(done, *sp)
		}
	}
	slices.SortFunc(done, func(a, b spend) int { return a.done.Compare(b.done) })
	used := t.used
	for _, sp := range done {
		used -= sp.cost
		if used+cost <= t.lim.PointsPerMinute {
			return max(sp.done.Add(time.Minute).Sub(now), 0)
		}
	}
	return -1
}

// wakeHead signals the first waiting request. Callers hold t.mu.
func (t *limiter) wakeHead() {
	if len(t.queue) > 0 {
		select {
		case t.queue[0].wake <- struct{}{}:
		default:
		}
	}
}

// answered records that sp's request got its answer (or failed): its
// points leave the window a minute from now.
func (t *limiter) answered(sp *spend) {
	t.mu.Lock()
	sp.done = t.clock.Now()
	t.wakeHead()
	t.mu.Unlock()
}

// unspend gives back the points of a request that was not sent.
func (t *limiter) unspend(sp *spend) {
	t.mu.Lock()
	for i, x := range t.spent {
		if x == sp {
			t.spent = append(t.spent[:i], t.spent[i+1:]...)
			t.used -= sp.cost
			break
		}
	}
	t.wakeHead()
	t.mu.Unlock()
}

func (t *limiter) pause(until time.Time, kind string) {
	t.mu.Lock()
	if until.After(t.pausedUntil) {
		t.pausedUntil, t.pausedKind = until, kind
	}
	t.mu.Unlock()
}

// waitPause waits while the token is paused by a limit. A pause longer
// than MaxWait fails the request without sending it, as GitHub asks
// clients not to keep sending while limited.
func (t *limiter) waitPause(req *http.Request) error {
	ctx := req.Context()
	for {
		t.mu.Lock()
		now := t.clock.Now()
		until, kind := t.pausedUntil, t.pausedKind
		t.mu.Unlock()
		d := until.Sub(now)
		if d <= 0 {
			return ctx.Err()
		}
		if d > t.lim.MaxWait {
			return &LimitError{Kind: kind, Method: req.Method, Path: req.URL.Path, Status: http.StatusForbidden,
				Until: until, Wait: d,
				Reason: fmt.Sprintf("respond did not send the request, as that is longer than it waits (%s): run the step again then, or use another token", t.lim.MaxWait)}
		}
		if err := t.sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (t *limiter) sleep(ctx context.Context, d time.Duration) error {
	t.waits.Add(1)
	t.waitNanos.Add(int64(d))
	return t.clock.Sleep(ctx, d)
}

// backoff is the n-th (from 1) exponential backoff: BaseBackoff·2ⁿ⁻¹ with
// ±25 % jitter, capped at MaxBackoff.
func (t *limiter) backoff(n int) time.Duration {
	d := t.lim.BaseBackoff << min(n-1, 20)
	if d <= 0 || d > t.lim.MaxBackoff {
		d = t.lim.MaxBackoff
	}
	d = time.Duration(float64(d) * (0.75 + rand.Float64()/2))
	return min(d, t.lim.MaxBackoff)
}

// classify says whether resp is a rate limit ("primary", "secondary",
// "429"), a server error ("server") or neither (""); for limits it returns
// how long to wait and until when.
func (t *limiter) classify(resp *http.Response) (kind string, wait time.Duration, until time.Time) {
	now := t.clock.Now()
	h := resp.Header
	switch {
	case resp.StatusCode >= 500:
		t.serverErrors.Add(1)
		return "server", 0, time.Time{}
	case resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests:
		if h.Get("X-RateLimit-Remaining") == "0" {
			// The budget is spent by this very request. Pause later
			// requests until the reset (waitPause only waits when that is
			// within MaxWait), and hide the headers from go-github: its
			// own check would fail every later request locally instead of
			// letting this transport wait or report the reset.
			if reset, ok := parseReset(h); ok && reset.After(now) {
				t.pause(reset.Add(time.Second), "primary")
			}
			h.Del("X-RateLimit-Remaining")
			h.Del("X-RateLimit-Reset")
		}
		return "", 0, time.Time{}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		t.limited.Add(1)
		t.primary.Add(1)
		// x-ratelimit-reset has whole seconds; wait a second past it so
		// the retry does not arrive just before the window turns.
		reset, ok := parseReset(h)
		if ok {
			reset = reset.Add(time.Second)
		}
		if !ok || !reset.After(now) {
			reset = now.Add(t.backoff(1))
		}
		return "primary", reset.Sub(now), reset
	}
	secondary := resp.StatusCode == http.StatusTooManyRequests
	if !secondary {
		// A 403 is a secondary limit only if its documentation_url says so;
		// otherwise it is a permission error for the caller.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var e struct {
			DocumentationURL string `json:"documentation_url"`
		}
		_ = json.Unmarshal(body, &e)
		secondary = strings.Contains(e.DocumentationURL, "secondary-rate-limits") || strings.Contains(e.DocumentationURL, "abuse")
		if !secondary {
			return "", 0, time.Time{}
		}
	}
	t.limited.Add(1)
	t.secondary.Add(1)
	kind = "secondary"
	if resp.StatusCode == http.StatusTooManyRequests {
		kind = "429"
	}
	if d, ok := parseRetryAfter(h, now); ok {
		wait = d
	} else {
		// GitHub: "wait for at least one minute before retrying".
		wait = max(time.Minute, t.backoff(int(t.secondary.Load())))
	}
	return kind, wait, now.Add(wait)
}

func parseReset(h http.Header) (time.Time, bool) {
	s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}, false
	}
	return time.Unix(s, 0), true
}

// parseRetryAfter reads retry-after as seconds or an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
}

// releaseBody releases the concurrency slot when the body is closed or
// fully read.
type releaseBody struct {
	io.ReadCloser
	release func()
}

func (b *releaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.release()
	}
	return n, err
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
