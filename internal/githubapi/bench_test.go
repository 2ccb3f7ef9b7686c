package githubapi_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/steps"
)

// BenchmarkDeployFanOut writes one repository secret to each of N
// repositories of a simulator that answers every request after 50 ms,
// through the real client (rate limiter included) and GitHubSecretWriter,
// with MaxConcurrent workers. Each write is two requests: the public key
// (GET, 1 point) and the secret (PUT, 5 points).
//
// Metrics: s/fanout (the measured time of one fan-out), floor-s
// (⌈N/concurrency⌉ × 2 × latency), points-floor-s (the whole minutes the
// points budget makes the last write wait: ⌊(6N−1)/budget⌋ × 60), seq-est-s (N × 2 × latency, a loop
// writing one secret after another), seq-measured-s (that loop, measured,
// for N=100), limit-responses (403/429 rate-limit answers from the
// simulator; the benchmark fails unless 0), max-points/min (the most
// points the simulator admitted in any sliding minute) and budget/min (the
// limiter's budget).
//
// At N=1000 the fan-out needs 6,000 points, over six minutes at GitHub's
// 900 a minute (the limiter's default 800: seven and a half). To finish in
// about a minute and still make the points budget bind, that case scales
// both budgets by 4: the simulator allows 3,600 points a minute and the
// limiter spends at most 3,200, so the fan-out spends its first 3,200
// points at once, then waits for them to come back a minute later.
// Concurrency, latency and costs are GitHub's.
func BenchmarkDeployFanOut(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("repos=%d", n), func(b *testing.B) { benchFanOut(b, n) })
	}
}

const benchLatency = 50 * time.Millisecond

var seqOnce sync.Once
var seqSeconds float64

func benchFanOut(b *testing.B, n int) {
	scale := 1
	if n >= 1000 {
		scale = 4
	}
	simBudget := githubsim.DefaultPointsPerMinute * scale
	lim := githubapi.Limits{PointsPerMinute: githubapi.DefaultPointsPerMinute * scale}
	if n == 100 {
		b.StopTimer()
		seqOnce.Do(func() {
			w := newBenchWorld(b, n, simBudget)
			seqSeconds = w.fanOut(b, 1, lim).Seconds()
		})
		b.StartTimer()
		b.ReportMetric(seqSeconds, "seq-measured-s")
	}
	var total time.Duration
	var worst int
	var limited int64
	for range b.N {
		b.StopTimer()
		w := newBenchWorld(b, n, simBudget)
		b.StartTimer()
		total += w.fanOut(b, githubapi.DefaultMaxConcurrent, lim)
		b.StopTimer()
		worst = max(worst, w.maxPointsPerMinute())
		limited += w.limited()
		b.StartTimer()
	}
	if limited != 0 {
		b.Fatalf("the simulator sent %d rate-limit responses", limited)
	}
	if worst > simBudget {
		b.Fatalf("the simulator admitted %d points in a minute (budget %d)", worst, simBudget)
	}
	conc := float64(githubapi.DefaultMaxConcurrent)
	b.ReportMetric(total.Seconds()/float64(b.N), "s/fanout")
	b.ReportMetric(math.Ceil(float64(n)/conc)*2*benchLatency.Seconds(), "floor-s")
	b.ReportMetric(float64(n)*2*benchLatency.Seconds(), "seq-est-s")
	// The points budget alone: the last of the 6·N points cannot be spent
	// before this many whole minutes have passed.
	b.ReportMetric(float64((6*n-1)/lim.PointsPerMinute)*60, "points-floor-s")
	b.ReportMetric(float64(limited), "limit-responses")
	b.ReportMetric(float64(worst), "max-points/min")
	b.ReportMetric(float64(lim.PointsPerMinute), "budget/min")
}

// benchWorld is a simulator with n repositories behind a recorder of what
// it admitted.
type benchWorld struct {
	srv     *httptest.Server
	targets []target.Target

	mu       sync.Mutex
	admitted []admitted
	rejected int64
}

type admitted struct {
	at     time.Time
	points int
}

func newBenchWorld(b *testing.B, n, pointsPerMinute int) *benchWorld {
	b.Helper()
	var seed [32]byte
	sim := githubsim.New(githubsim.Options{Latency: benchLatency, PointsPerMinute: pointsPerMinute, Rand: rand.NewChaCha8(seed)})
	if err := sim.AddOrg("acme", 1); err != nil {
		b.Fatal(err)
	}
	w := &benchWorld{}
	for i := range n {
		name := fmt.Sprintf("svc-%04d", i)
		if err := sim.AddRepo("acme", name, int64(1000+i), true); err != nil {
			b.Fatal(err)
		}
		w.targets = append(w.targets, target.Target{Type: target.GitHubActions, Repo: "acme/" + name, Secret: "OPENAI_API_KEY"})
	}
	sim.AddToken("ghp_bench_token_0000000000000000000000", "deployer", githubsim.AllPermissions)
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		at := time.Now()
		rec := &statusRecorder{ResponseWriter: rw, code: 200}
		sim.ServeHTTP(rec, r)
		w.mu.Lock()
		defer w.mu.Unlock()
		if rec.code == http.StatusForbidden || rec.code == http.StatusTooManyRequests {
			w.rejected++
			return
		}
		p := 5
		if r.Method == http.MethodGet {
			p = 1
		}
		w.admitted = append(w.admitted, admitted{at, p})
	}))
	b.Cleanup(w.srv.Close)
	return w
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// fanOut writes a new value to every target with workers goroutines and
// returns how long it took.
func (w *benchWorld) fanOut(b *testing.B, workers int, lim githubapi.Limits) time.Duration {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	c, err := githubapi.New(githubapi.Config{BaseURL: w.srv.URL, Token: secret.New("ghp_bench_token_0000000000000000000000"),
		HTTPClient: &http.Client{Transport: tr}, Limits: lim})
	if err != nil {
		b.Fatal(err)
	}
	writer := steps.GitHubSecretWriter{P: &steps.Providers{GitHub: func() (steps.GitHub, error) { return c, nil }}}
	v := secret.New("sk-svcacct-benchmark-replacement-value-0000")
	jobs := make(chan target.Target)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for t := range jobs {
				if _, err := writer.Write(context.Background(), t, v); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, t := range w.targets {
		jobs <- t
	}
	close(jobs)
	wg.Wait()
	d := time.Since(start)
	if s := c.Stats(); s.RateLimited != 0 {
		b.Errorf("the client saw %d rate-limit responses", s.RateLimited)
	}
	return d
}

// maxPointsPerMinute is the most points admitted in any sliding minute.
func (w *benchWorld) maxPointsPerMinute() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := slices.Clone(w.admitted)
	slices.SortFunc(a, func(x, y admitted) int { return x.at.Compare(y.at) })
	best, sum, lo := 0, 0, 0
	for _, x := range a {
		sum += x.points
		for x.at.Sub(a[lo].at) >= time.Minute {
			sum -= a[lo].points
			lo++
		}
		best = max(best, sum)
	}
	return best
}

func (w *benchWorld) limited() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rejected
}
