package githubsim

import (
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Rate limiting follows GitHub's documentation (API-NOTES §5):
//
//   - Primary: each token has Options.PrimaryLimit requests per hour, and
//     each client address Options.AnonymousLimit requests without
//     credentials. The window starts at the first request and resets an
//     hour later.
//     Every response to an authenticated request carries x-ratelimit-limit,
//     -remaining, -used, -reset (Unix seconds) and -resource ("core"). When
//     the budget is spent the answer is 403 (or 429) with
//     x-ratelimit-remaining: 0 and "API rate limit exceeded for user ID …".
//     GET /rate_limit is served even then and costs nothing.
//   - Secondary: a token may have at most Options.MaxConcurrent requests in
//     flight (time in the handler, including Options.Latency, counts) and
//     spend at most Options.PointsPerMinute points in any sliding minute
//     (reads 1 point, writes 5 by default). Past either, the answer is 403
//     (or 429) with retry-after and a documentation_url ending in
//     "secondary-rate-limits", which go-github recognises.
//   - Retry-after is an order: after a secondary-limit rejection the token
//     is refused (every endpoint) until the retry-after it was given has
//     passed. A request that arrives while the token must wait is refused
//     too, and, as GitHub warns that continuing to send while limited may
//     get an integration banned, each one that arrives more than a grace
//     period after the first refusal (the smaller of a second and half the
//     retry-after: requests already in flight when the limit was hit do not
//     count) makes the token wait a further Options.RetryAfter. LimitStats
//     counts these early retries.
//
// Rejected requests consume neither budget.

const (
	headerRequestID = "X-GitHub-Request-Id"
	headerLimit     = "X-RateLimit-Limit"
	headerRemaining = "X-RateLimit-Remaining"
	headerUsed      = "X-RateLimit-Used"
	headerReset     = "X-RateLimit-Reset"
	headerResource  = "X-RateLimit-Resource"

	docsRoot           = "https://docs.github.com/rest"
	docsPrimaryLimit   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limits"
	docsSecondaryLimit = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// tokenRate is the rate-limit accounting of one token. Guarded by
// Server.rlMu.
type tokenRate struct {
	reset    time.Time // end of the primary window; zero before the first request
	used     int
	inflight int
	points   []pointSpend // oldest first

	blockedSince time.Time // first secondary refusal of the current block
	blockedUntil time.Time // the token is refused until then (retry-after)
}

// LimitStats counts the secondary-limit refusals of every token since the
// server was created (or Reset).
type LimitStats struct {
	// Secondary counts secondary-limit refusals: over the concurrency or
	// points budget, or sent while the token had to wait.
	Secondary int
	// EarlyRetries counts requests that arrived while their token had been
	// told to wait (retry-after) for longer than the grace period; each
	// made the token wait longer.
	EarlyRetries int
}

// LimitStats returns the secondary-limit counters.
func (s *Server) LimitStats() LimitStats {
	s.rlMu.Lock()
	defer s.rlMu.Unlock()
	return s.limitStats
}

// retryGrace is how long after a first refusal requests are taken to have
// been in flight already rather than sent in defiance of retry-after.
func (s *Server) retryGrace() time.Duration {
	return min(time.Second, s.opts.RetryAfter/2)
}

type pointSpend struct {
	at   time.Time
	cost int
}

// admit applies the primary and secondary limits to a request of tok. If
// the request may proceed it sets the rate-limit headers and returns a
// release func to call when the request is done; otherwise it has written
// the rejection.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, p principal) (release func(), ok bool) {
	now := s.now()
	free := r.Method == http.MethodGet && r.URL.Path == "/rate_limit"
	cost := s.opts.WritePoints
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		cost = s.opts.ReadPoints
	}

	s.rlMu.Lock()
	tr := s.rates[p.key]
	if tr == nil {
		tr = &tokenRate{}
		s.rates[p.key] = tr
	}
	if !now.Before(tr.reset) {
		tr.reset, tr.used = now.Add(time.Hour), 0
	}
	limit := p.limit
	if !free && tr.used >= limit {
		reset := tr.reset
		s.rlMu.Unlock()
		if p.user == nil {
			writeAnonymousLimit(w, s.opts.PrimaryStatus, p.ip, limit, reset)
		} else {
			WritePrimaryLimit(w, s.opts.PrimaryStatus, p.user.id, limit, reset, now)
		}
		return nil, false
	}

	// Told to wait: refused, and for longer if the client keeps sending.
	if now.Before(tr.blockedUntil) {
		if now.Sub(tr.blockedSince) > s.retryGrace() {
			tr.blockedUntil = tr.blockedUntil.Add(s.opts.RetryAfter)
			s.limitStats.EarlyRetries++
		}
		s.limitStats.Secondary++
		used, reset, wait := tr.used, tr.reset, tr.blockedUntil.Sub(now)
		s.rlMu.Unlock()
		setRateHeaders(w.Header(), limit, used, reset)
		WriteSecondaryLimit(w, s.opts.SecondaryStatus, wait)
		return nil, false
	}

	// Sliding minute: drop spends older than a minute.
	cutoff := now.Add(-time.Minute)
	i := 0
	for i < len(tr.points) && !tr.points[i].at.After(cutoff) {
		i++
	}
	tr.points = tr.points[i:]
	spent := 0
	for _, p := range tr.points {
		spent += p.cost
	}
	if (s.opts.MaxConcurrent >= 0 && tr.inflight >= s.opts.MaxConcurrent) ||
		(s.opts.PointsPerMinute >= 0 && spent+cost > s.opts.PointsPerMinute) {
		tr.blockedSince, tr.blockedUntil = now, now.Add(s.opts.RetryAfter)
		s.limitStats.Secondary++
		used, reset := tr.used, tr.reset
		s.rlMu.Unlock()
		setRateHeaders(w.Header(), limit, used, reset)
		WriteSecondaryLimit(w, s.opts.SecondaryStatus, s.opts.RetryAfter)
		return nil, false
	}
	tr.inflight++
	tr.points = append(tr.points, pointSpend{at: now, cost: cost})
	if !free {
		tr.used++
	}
	setRateHeaders(w.Header(), limit, tr.used, tr.reset)
	s.rlMu.Unlock()

	return func() {
		s.rlMu.Lock()
		tr.inflight--
		s.rlMu.Unlock()
	}, true
}

// rateOf returns the used budget and reset time of the rate-limit bucket
// key (a token or an anonymous client's address) for GET /rate_limit.
func (s *Server) rateOf(key string) (used int, reset time.Time) {
	s.rlMu.Lock()
	defer s.rlMu.Unlock()
	if tr := s.rates[key]; tr != nil {
		return tr.used, tr.reset
	}
	return 0, s.now().Add(time.Hour)
}

func setRateHeaders(h http.Header, limit, used int, reset time.Time) {
	h.Set(headerLimit, strconv.Itoa(limit))
	h.Set(headerRemaining, strconv.Itoa(max(limit-used, 0)))
	h.Set(headerUsed, strconv.Itoa(used))
	h.Set(headerReset, strconv.FormatInt(reset.Unix(), 10))
	h.Set(headerResource, "core")
}

// WritePrimaryLimit writes GitHub's primary rate-limit rejection: status
// (403 or 429) with x-ratelimit-remaining 0, the reset time, and the message
// "API rate limit exceeded for user ID <userID>. …" naming the request ID
// (taken from the X-GitHub-Request-Id header already set on w, or a new one)
// and now as the timestamp.
func WritePrimaryLimit(w http.ResponseWriter, status int, userID int64, limit int, reset, now time.Time) {
	h := w.Header()
	setRateHeaders(h, limit, limit, reset)
	msg := fmt.Sprintf("API rate limit exceeded for user ID %d. If you reach out to GitHub Support for help, please include the request ID %s and timestamp %s.",
		userID, requestID(h), now.UTC().Format("2006-01-02 15:04:05 MST"))
	writeError(w, status, msg, docsPrimaryLimit)
}

// writeAnonymousLimit writes GitHub's answer to an address that spent its
// budget of requests without credentials.
func writeAnonymousLimit(w http.ResponseWriter, status int, ip string, limit int, reset time.Time) {
	setRateHeaders(w.Header(), limit, limit, reset)
	msg := "API rate limit exceeded for " + ip + ". (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	writeError(w, status, msg, docsPrimaryLimit)
}

// WriteSecondaryLimit writes GitHub's secondary rate-limit rejection:
// status (403 or 429) with retry-after (whole seconds, rounded up, at least
// 1) and the documented message naming the request ID (taken from the
// X-GitHub-Request-Id header already set on w, or a new one).
func WriteSecondaryLimit(w http.ResponseWriter, status int, retryAfter time.Duration) {
	h := w.Header()
	secs := int64((retryAfter + time.Second - 1) / time.Second)
	h.Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	msg := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID " + requestID(h) + "."
	writeError(w, status, msg, docsSecondaryLimit)
}

// requestID returns the request ID header of h, setting a new one if unset.
func requestID(h http.Header) string {
	id := h.Get(headerRequestID)
	if id == "" {
		id = newRequestID()
		h.Set(headerRequestID, id)
	}
	return id
}

var requestSeq atomic.Uint64

// newRequestID returns an ID shaped like GitHub's ("C0DE:1A2B:3C4D5E:6F7A8B:65A1B2C3"),
// from a process-wide counter so it needs no randomness.
func newRequestID() string {
	n := requestSeq.Add(1)
	return fmt.Sprintf("5153:%04X:%06X:%06X:%08X", n>>40&0xFFFF, n>>20&0xFFFFF, n&0xFFFFF, n)
}
