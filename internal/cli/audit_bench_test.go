package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/cli"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/sim"
)

// BenchmarkAudit measures `respond audit` on the simulator's audit
// scenario with N more repositories (100; 1,000 with RESPOND_BENCH_1000=1,
// make bench-1000), at GitHub's real secondary limits (900 points in any
// sliding minute, reads 1 point) and 20 ms a response. It runs the real
// command through cli.Run and reads the figures from the simulator's
// request log:
//
//   - gh-requests and gh-points: every GitHub request and point;
//   - gh-requests/repo: per repository of the organization;
//   - s-whole: the whole audit, from cli.Run to its end;
//   - points-floor-s: the points at 900 a minute for a client that starts
//     with a whole minute's budget (the last request leaves after
//     ⌈points/900⌉ − 1 minutes), plus one round trip;
//   - limit-responses: 403/429 answers from GitHub (the benchmark fails
//     unless 0).
func BenchmarkAudit(b *testing.B) {
	sizes := []int{100}
	if os.Getenv("RESPOND_BENCH_1000") != "" {
		sizes = append(sizes, 1000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("repos=%d", n), func(b *testing.B) { benchAudit(b, n, 20*time.Millisecond) })
	}
}

func benchAudit(b *testing.B, extra int, latency time.Duration) {
	var whole time.Duration
	var requests, points, limited, repos int
	for range b.N {
		b.StopTimer()
		s, err := sim.Start(context.Background(), sim.Options{Scenario: "audit", Seed: 1, Latency: latency, Repos: extra})
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		inv := filepath.Join(dir, "respond.yaml")
		if err := s.WriteInventory(inv); err != nil {
			b.Fatal(err)
		}
		var since int64
		if before := s.Requests(0); len(before) > 0 {
			since = before[len(before)-1].Seq
		}
		ios, _, out, errOut := iostreams.Test()
		f := cli.NewFactory(ios)
		env := s.Env()
		f.UseEnv(func(k string) string { return env[k] })
		b.StartTimer()
		start := time.Now()
		code := cli.Run(context.Background(), f, []string{"audit", "--output", "json", "--inventory", inv, "--state-dir", filepath.Join(dir, "state")})
		whole += time.Since(start)
		b.StopTimer()
		if code != cli.ExitOK {
			b.Fatalf("respond audit: exit %d\n%s", code, errOut)
		}
		if !strings.Contains(out.String(), `"findings"`) {
			b.Fatalf("no findings in the output")
		}
		for _, r := range s.Requests(since) {
			if r.API != sim.APIGitHub {
				continue
			}
			requests++
			if r.Method == http.MethodGet {
				points++
			} else {
				points += 5
			}
			if r.Status == http.StatusForbidden || r.Status == http.StatusTooManyRequests {
				limited++
			}
		}
		repos = len(s.GitHub().Snapshot().Repos)
		_ = s.Close()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(requests)/n, "gh-requests")
	b.ReportMetric(float64(points)/n, "gh-points")
	b.ReportMetric(float64(requests)/n/float64(repos), "gh-requests/repo")
	b.ReportMetric(whole.Seconds()/n, "s-whole")
	p := points / b.N
	b.ReportMetric(float64((p+899)/900-1)*60+latency.Seconds(), "points-floor-s")
	b.ReportMetric(float64(limited)/n, "limit-responses")
	if limited > 0 {
		b.Fatalf("%d rate-limit responses", limited)
	}
}
