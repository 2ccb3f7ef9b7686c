package cli_test

// Benchmarks for the performance figures of PRODUCT.md §9: the whole
// leaked-key response (time to contain, whole response, requests and
// points per target), startup of `respond version`, and memory for 1,000
// targets. docs/BENCHMARKS.md records what they measure and what they gave.
// None of them asserts a wall time: they fail only when the run itself
// fails (a non-zero exit, no containment in the journal, rate-limit
// responses).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/cli"
	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/openaiapi"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/playbooks"
	"github.com/respondhq/respond/steps"
)

// ---------------------------------------------------------------------------
// The whole response

// BenchmarkResponse runs the whole `respond leaked-key --alert OWNER/REPO#N
// --yes` response through cli.Run (the real command, playbook, engine,
// steps and clients, GitHub's rate limiter included), from the alert to
// the outcome and the report, against a fresh in-process simulator
// (scenario leaked-key, seed 1) at GitHub's real secondary limits (100
// concurrent requests, 900 points a minute, reads 1 point, writes 5) with
// latency on every response. The organization has N repositories holding
// the leaked key as a repository secret, plus an environment, an
// organization and a Dependabot secret (N+3 deploy targets) and a
// workflow to re-run, whose runs complete as soon as they are dispatched
// (a real workflow's own duration is the user's, not respond's).
//
// Cases: 6 and 100 repositories at 20 and 50 ms. The 1,000-repository
// cases take minutes by nature (GitHub's budget makes the deploy's 5,000
// write points take five minutes and more), so they run only with
// RESPOND_BENCH_1000=1 (make bench-1000): at 20 ms, with a cold public-key
// cache (a first response) and a warm one (the cache an earlier incident
// left in the state directory, filled beforehand with the scenario's
// read-only token, which has its own budget).
//
// Metrics, averaged over the iterations:
//
//   - s-to-contain: the journal's time to contain (from the incident's
//     start to the proof the old key is dead), preflight and plan included;
//   - contain-floor-s: the sequential round trips a contain-first response
//     cannot avoid (containFloorTrips) × the latency;
//   - contain-round-trips: the round trips on the critical path to
//     containment (maximal groups of overlapping requests count once);
//   - requests-to-contain: requests before the key was proven dead;
//   - s-whole: from the incident's start to its end (outcome decided,
//     report written);
//   - deploy-floor-s: the deploy's write points at 900 a minute, plus one
//     round trip; whole/deploy-floor is their ratio; deploy-burst-floor-s
//     is the tighter floor of a client that starts with a whole minute's
//     budget: the last write leaves after ⌈points/900⌉ − 1 minutes;
//   - points/target and requests/target: GitHub requests to the deploy
//     targets' secret scopes (and reads of their repositories), per
//     target, from the simulator's request log; max-points/target is the
//     costliest target;
//   - gh-points: every GitHub point the run spent; max-points/min: the
//     most the simulator received in any sliding minute (GitHub's budget
//     is 900);
//   - limit-responses: secondary-limit refusals by the simulator (the
//     benchmark fails unless 0), early-retries: requests sent while told
//     to wait.
//
// ns/op is the same whole run measured from the call to cli.Run.
func BenchmarkResponse(b *testing.B) {
	type bcase struct {
		repos   int
		latency time.Duration
		warm    bool
	}
	cases := []bcase{{6, 20 * time.Millisecond, false}, {6, 50 * time.Millisecond, false},
		{100, 20 * time.Millisecond, false}, {100, 50 * time.Millisecond, false}}
	if os.Getenv("RESPOND_BENCH_1000") != "" {
		cases = append(cases, bcase{1000, 20 * time.Millisecond, false}, bcase{1000, 20 * time.Millisecond, true})
	}
	for _, c := range cases {
		name := fmt.Sprintf("repos=%d/latency=%s", c.repos, c.latency)
		if c.warm {
			name += "/warm-cache"
		}
		b.Run(name, func(b *testing.B) { benchResponse(b, c.repos, c.latency, c.warm) })
	}
}

// containFloorTrips are the sequential round trips between an alert and
// a dead key that a contain-first response cannot avoid: the alert (and
// its locations, at once), the projects, the project's keys, the access
// checks (OpenAI admin key, GitHub token, organizations, workflows, at
// once), the organization secret's audience (whether a repository loses
// access, which the plan must say), the revoke and the proof.
const containFloorTrips = 7

func benchResponse(b *testing.B, repos int, latency time.Duration, warm bool) {
	var sum responseRun
	var last responseRun
	for range b.N {
		b.StopTimer()
		w := newContainWorld(b, latency, repos)
		if warm {
			w.warmKeys(b)
		}
		b.StartTimer()
		r := w.run(b)
		b.StopTimer()
		sum.add(r)
		last = r
		w.close()
		b.StartTimer()
	}
	b.Logf("requests before containment (last run): %s", strings.Join(last.requests, "; "))
	b.Logf("steps (last run, from the incident's start): %s", strings.Join(last.steps, "; "))
	n := float64(b.N)
	sec := func(d time.Duration) float64 { return d.Seconds() / n }
	b.ReportMetric(sec(sum.toContain), "s-to-contain")
	b.ReportMetric(containFloorTrips*latency.Seconds(), "contain-floor-s")
	b.ReportMetric(float64(sum.sequential)/n, "contain-round-trips")
	b.ReportMetric(float64(sum.roundTrips)/n, "requests-to-contain")
	b.ReportMetric(sec(sum.whole), "s-whole")
	floor := float64(last.writePoints)/900*60 + latency.Seconds()
	b.ReportMetric(floor, "deploy-floor-s")
	// With a full minute's budget at the start, the last write can leave
	// after ⌈points/900⌉ − 1 minutes.
	b.ReportMetric(float64((last.writePoints+899)/900-1)*60+latency.Seconds(), "deploy-burst-floor-s")
	b.ReportMetric(sec(sum.whole)/floor, "whole/deploy-floor")
	b.ReportMetric(float64(sum.targetPoints)/float64(sum.targets), "points/target")
	b.ReportMetric(float64(sum.targetRequests)/float64(sum.targets), "requests/target")
	b.ReportMetric(float64(last.maxTargetPoints), "max-points/target")
	b.ReportMetric(float64(sum.ghPoints)/n, "gh-points")
	b.ReportMetric(float64(last.maxMinute), "max-points/min")
	b.ReportMetric(float64(sum.limited)/n, "limit-responses")
	b.ReportMetric(float64(sum.early)/n, "early-retries")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// responseRun is what one leaked-key run measured.
type responseRun struct {
	toContain, whole             time.Duration
	roundTrips, sequential       int
	targets                      int
	targetPoints, targetRequests int
	maxTargetPoints              int
	writePoints, ghPoints        int
	maxMinute                    int // most GitHub points in any sliding minute (by arrival)
	limited, early               int
	// requests lists the requests before containment, "METHOD path
	// (start ms)", for the log; steps, each step's span from the
	// incident's start.
	requests, steps []string
}

func (c *responseRun) add(o responseRun) {
	c.toContain += o.toContain
	c.whole += o.whole
	c.roundTrips += o.roundTrips
	c.sequential += o.sequential
	c.targets += o.targets
	c.targetPoints += o.targetPoints
	c.targetRequests += o.targetRequests
	c.ghPoints += o.ghPoints
	c.limited += o.limited
	c.early += o.early
}

// containWorld is a fresh simulator, state directory and inventory.
type containWorld struct {
	s        *sim.Sim
	stateDir string
	invPath  string
	since    int64 // the request log before it is setup
}

func newContainWorld(b *testing.B, latency time.Duration, repos int) *containWorld {
	b.Helper()
	s, err := sim.Start(context.Background(), sim.Options{Seed: 1, Latency: latency, Repos: repos, RunDuration: -1})
	if err != nil {
		b.Fatalf("start the simulator: %v", err)
	}
	dir, err := os.MkdirTemp("", "respond-bench-*")
	if err != nil {
		b.Fatal(err)
	}
	w := &containWorld{s: s, stateDir: filepath.Join(dir, "state"), invPath: filepath.Join(dir, "respond.yaml")}
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := s.WriteInventory(w.invPath); err != nil {
		b.Fatal(err)
	}
	return w
}

func (w *containWorld) close() { _ = w.s.Close() }

// warmKeys fills the state directory's public-key cache with every
// target's key, as an earlier incident would have left it, reading them
// with the scenario's read-only token (its own points budget), then marks
// the request log so the run is measured alone.
func (w *containWorld) warmKeys(b *testing.B) {
	b.Helper()
	info := w.s.Scenario()
	env := w.s.Env()
	c, err := githubapi.New(githubapi.Config{BaseURL: env["GITHUB_API_URL"], Token: secret.New(info.ReadOnlyToken),
		KeyCache: filepath.Join(w.stateDir, cli.GitHubKeyCacheFile)})
	if err != nil {
		b.Fatal(err)
	}
	scopes := []githubapi.SecretScope{{App: "actions", Org: info.Org}}
	for _, r := range info.Repos {
		owner, name, _ := strings.Cut(r, "/")
		scopes = append(scopes, githubapi.SecretScope{App: "actions", Owner: owner, Repo: name})
	}
	owner, name, _ := strings.Cut(info.EnvironmentRepo, "/")
	scopes = append(scopes, githubapi.SecretScope{App: "actions", Owner: owner, Repo: name, Environment: info.Environment})
	owner, name, _ = strings.Cut(info.DependabotRepo, "/")
	scopes = append(scopes, githubapi.SecretScope{App: "dependabot", Owner: owner, Repo: name})
	var wg sync.WaitGroup
	errs := make(chan error, len(scopes))
	for _, s := range scopes {
		wg.Go(func() {
			if _, err := c.PublicKey(context.Background(), s); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("warm the public-key cache: %v", err)
	}
	reqs := w.s.Requests(0)
	w.since = reqs[len(reqs)-1].Seq
}

// run executes leaked-key on the world and reads the figures back from
// the journal and the simulator's request log.
func (w *containWorld) run(b *testing.B) responseRun {
	b.Helper()
	ios, _, _, errOut := iostreams.Test()
	f := cli.NewFactory(ios)
	env := w.s.Env()
	f.UseEnv(func(k string) string { return env[k] })
	args := []string{"leaked-key", "--alert", w.s.Scenario().Alert, "--yes",
		"--inventory", w.invPath, "--state-dir", w.stateDir}
	invoked := time.Now()
	if code := cli.Run(context.Background(), f, args); code != cli.ExitOK {
		b.Fatalf("respond %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	recs := onlyJournal(b, w.stateDir)
	sum := incident.Summarize("", recs)
	if sum.TimeToContain == nil || sum.Finished == nil {
		b.Fatalf("the journal shows no containment or no end (status %s)", sum.Status)
	}
	contained := sum.Started.Add(*sum.TimeToContain)
	if !verifiedDeadAt(recs, contained) {
		b.Fatalf("time to contain does not end at verify-contained: %s after the start", sum.TimeToContain)
	}
	out := responseRun{toContain: *sum.TimeToContain, whole: sum.Finished.Sub(sum.Started)}
	out.steps = stepSpans(recs, sum.Started)
	var ivs []interval
	perTarget := map[string][2]int{} // points, requests
	type arrival struct {
		at  time.Time
		pts int
	}
	var arrivals []arrival
	info := w.s.Scenario()
	for _, r := range w.s.Requests(w.since) {
		start, err := time.Parse(time.RFC3339Nano, r.Start)
		if err != nil {
			b.Fatalf("request log: start %q: %v", r.Start, err)
		}
		if start.Before(invoked) {
			b.Fatalf("request %s %s before respond was invoked", r.Method, r.Path)
		}
		path, _, _ := strings.Cut(r.Path, "?")
		if r.API == sim.APIGitHub {
			pts := 5
			if r.Method == http.MethodGet {
				pts = 1
			}
			out.ghPoints += pts
			arrivals = append(arrivals, arrival{start, pts})
			if t := targetOf(info, path, r.Method); t != "" {
				c := perTarget[t]
				perTarget[t] = [2]int{c[0] + pts, c[1] + 1}
				if r.Method == http.MethodPut {
					out.writePoints += pts
				}
			}
		}
		if start.After(contained) {
			continue
		}
		end := start.Add(time.Duration(r.DurationMS * float64(time.Millisecond)))
		if end.After(contained) {
			end = contained
		}
		ivs = append(ivs, interval{start, end})
		out.requests = append(out.requests, fmt.Sprintf("%s %s %s (+%.1f ms)", r.API, r.Method, path, ms(start.Sub(sum.Started))))
	}
	_, out.sequential = union(ivs, sum.Started)
	slices.SortFunc(arrivals, func(x, y arrival) int { return x.at.Compare(y.at) })
	for i, j, in := 0, 0, 0; j < len(arrivals); j++ {
		in += arrivals[j].pts
		for !arrivals[i].at.After(arrivals[j].at.Add(-time.Minute)) {
			in -= arrivals[i].pts
			i++
		}
		out.maxMinute = max(out.maxMinute, in)
	}
	out.roundTrips = len(ivs)
	for _, c := range perTarget {
		out.targets++
		out.targetPoints += c[0]
		out.targetRequests += c[1]
		out.maxTargetPoints = max(out.maxTargetPoints, c[0])
	}
	if want := len(info.Repos) + 3; out.targets != want {
		b.Fatalf("the request log shows %d targets written, want %d", out.targets, want)
	}
	st := w.s.GitHub().LimitStats()
	out.limited, out.early = st.Secondary, st.EarlyRetries
	if st.Secondary != 0 {
		b.Fatalf("the simulator refused %d request(s) for rate limits (%d sent while told to wait)", st.Secondary, st.EarlyRetries)
	}
	return out
}

// stepSpans is each step's span, "step +start–end ms" from t0, in the
// order the steps started.
func stepSpans(recs []journal.Record, t0 time.Time) []string {
	type span struct{ start, end time.Time }
	spans := map[string]*span{}
	var order []string
	for _, r := range recs {
		if r.Step == "" || (r.Type != journal.StepStarted && r.Type != journal.StepFinished) {
			continue
		}
		sp := spans[r.Step]
		if sp == nil {
			sp = &span{start: r.Time, end: r.Time}
			spans[r.Step] = sp
			order = append(order, r.Step)
		}
		if r.Time.After(sp.end) {
			sp.end = r.Time
		}
	}
	out := make([]string, 0, len(order))
	for _, id := range order {
		out = append(out, fmt.Sprintf("%s +%.0f–%.0f ms", id, ms(spans[id].start.Sub(t0)), ms(spans[id].end.Sub(t0))))
	}
	return out
}

// targetOf names the deploy target a GitHub request is for (its secret
// scope: its public key, its write, an organization secret's audience),
// or "". Preflight's reads (an organization's repository lists) are for
// all targets at once and are not counted here.
func targetOf(info sim.ScenarioInfo, path, method string) string {
	path = strings.TrimPrefix(path, "/api/v3")
	switch {
	case strings.HasPrefix(path, "/orgs/"+info.Org+"/actions/secrets"):
		return "org"
	case strings.HasPrefix(path, "/repos/"+info.EnvironmentRepo+"/environments/"+info.Environment+"/secrets"):
		return "env"
	case strings.HasPrefix(path, "/repos/"+info.DependabotRepo+"/dependabot/secrets"):
		return "dependabot"
	case strings.HasPrefix(path, "/repos/") && strings.Contains(path, "/actions/secrets"):
		return strings.TrimSuffix(strings.SplitAfter(path, "/actions/secrets")[0], "/actions/secrets")
	}
	return ""
}

// onlyJournal reads the journal of the one incident in stateDir.
func onlyJournal(b *testing.B, stateDir string) []journal.Record {
	b.Helper()
	st := incident.NewStore(stateDir)
	ids, err := st.IDs()
	if err != nil || len(ids) != 1 {
		b.Fatalf("state directory %s: want one incident, have %v (%v)", stateDir, ids, err)
	}
	inc, err := st.Open(ids[0])
	if err != nil {
		b.Fatal(err)
	}
	recs, err := journal.ReadFile(inc.JournalPath())
	if err != nil {
		b.Fatal(err)
	}
	return recs
}

// verifiedDeadAt reports whether verify-contained finished, ok, at t.
func verifiedDeadAt(recs []journal.Record, t time.Time) bool {
	for _, r := range recs {
		if r.Type == journal.StepFinished && r.Step == "verify-contained" && r.Status == journal.StatusOK {
			return r.Time.Equal(t)
		}
	}
	return false
}

type interval struct{ start, end time.Time }

// union returns the total time covered by ivs from notBefore on and the
// number of disjoint groups they form.
func union(ivs []interval, notBefore time.Time) (time.Duration, int) {
	slices.SortFunc(ivs, func(x, y interval) int { return x.start.Compare(y.start) })
	var total time.Duration
	groups := 0
	var cur interval
	for i, iv := range ivs {
		if iv.start.Before(notBefore) {
			iv.start = notBefore
		}
		if i == 0 || iv.start.After(cur.end) {
			if i > 0 {
				total += cur.end.Sub(cur.start)
			}
			cur, groups = iv, groups+1
			continue
		}
		if iv.end.After(cur.end) {
			cur.end = iv.end
		}
	}
	if groups > 0 {
		total += cur.end.Sub(cur.start)
	}
	return total, groups
}

// TestUnion checks the interval arithmetic the time-to-contain figures
// rest on.
func TestUnion(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	at := func(msec int) time.Time { return t0.Add(time.Duration(msec) * time.Millisecond) }
	ivs := []interval{{at(30), at(40)}, {at(0), at(10)}, {at(5), at(20)}, {at(35), at(50)}, {at(60), at(61)}}
	total, groups := union(ivs, t0)
	if total != 41*time.Millisecond || groups != 3 {
		t.Errorf("union = %s in %d groups, want 41ms in 3", total, groups)
	}
	if total, groups := union(nil, t0); total != 0 || groups != 0 {
		t.Errorf("union of nothing = %s in %d groups", total, groups)
	}
	// An interval that began before notBefore counts from notBefore.
	if total, _ := union([]interval{{at(0), at(10)}}, at(4)); total != 6*time.Millisecond {
		t.Errorf("clipped union = %s, want 6ms", total)
	}
}

// ---------------------------------------------------------------------------
// Startup

// BenchmarkStartup builds cmd/respond once (as `make build` does, with
// -trimpath) and a Go program that does nothing, then runs `respond
// version` and the empty program b.N times each through os/exec.
//
// Metrics: ms/op (one `respond version`, fork and exec included). The
// empty-program sub-benchmark is the floor of process start on the
// machine. The parent logs the package initializers that took the most
// time (GODEBUG=inittrace=1), so anything heavy at init shows up.
func BenchmarkStartup(b *testing.B) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command on PATH to build respond with")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "respond")
	build := exec.Command(gobin, "build", "-trimpath", "-o", bin, "../../cmd/respond")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build ./cmd/respond: %v\n%s", err, out)
	}
	empty := filepath.Join(dir, "empty")
	src := filepath.Join(dir, "emptysrc")
	if err := os.MkdirAll(src, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	build = exec.Command(gobin, "build", "-trimpath", "-o", empty, "main.go")
	build.Dir = src
	build.Env = append(os.Environ(), "GO111MODULE=off")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build an empty program: %v\n%s", err, out)
	}
	logInit(b, bin)

	// A clean environment: no credentials, state in the temporary
	// directory, so nothing outside it is read.
	env := []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "RESPOND_STATE_DIR=" + filepath.Join(dir, "state")}
	b.Run("respond-version", func(b *testing.B) { benchExec(b, env, bin, "version") })
	b.Run("empty-program", func(b *testing.B) { benchExec(b, env, empty) })
}

func benchExec(b *testing.B, env []string, name string, args ...string) {
	for range b.N {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
		}
		if len(args) > 0 && !strings.HasPrefix(out.String(), "respond ") {
			b.Fatalf("respond version printed %q", out.String())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}

// initLine is one line of GODEBUG=inittrace=1 output:
// "init net/http @2.3 ms, 0.12 ms clock, 10432 bytes, 120 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock, (\d+) bytes, (\d+) allocs`)

// logInit runs `respond version` with GODEBUG=inittrace=1 and logs the
// total initialization cost and the most expensive packages.
func logInit(b *testing.B, bin string) {
	b.Helper()
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("respond version: %v\n%s", err, stderr.String())
	}
	type pkgInit struct {
		pkg   string
		ms    float64
		bytes int64
	}
	var inits []pkgInit
	var totalMS float64
	var totalBytes int64
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		clock, _ := strconv.ParseFloat(m[2], 64)
		n, _ := strconv.ParseInt(m[3], 10, 64)
		inits = append(inits, pkgInit{m[1], clock, n})
		totalMS += clock
		totalBytes += n
	}
	if len(inits) == 0 {
		b.Fatalf("GODEBUG=inittrace=1 printed no init lines:\n%s", stderr.String())
	}
	sort.Slice(inits, func(i, j int) bool { return inits[i].ms > inits[j].ms })
	var top []string
	for _, p := range inits[:min(8, len(inits))] {
		top = append(top, fmt.Sprintf("%s %.3f ms %d B", p.pkg, p.ms, p.bytes))
	}
	b.Logf("package init: %d packages, %.2f ms, %d bytes allocated; slowest: %s",
		len(inits), totalMS, totalBytes, strings.Join(top, "; "))
	var own []string
	for _, p := range inits {
		if strings.HasPrefix(p.pkg, "github.com/respondhq/respond") {
			own = append(own, fmt.Sprintf("%s %.3f ms %d B", p.pkg, p.ms, p.bytes))
		}
	}
	b.Logf("respond's own packages with init work: %s", strings.Join(own, "; "))
}

// ---------------------------------------------------------------------------
// Memory for 1,000 targets

// memRepos is the simulated organization's size for BenchmarkMemory1000:
// 1,000 repositories hold the leaked key as a repository secret, plus the
// scenario's environment, organization and Dependabot secrets (1,004
// deploy targets in all).
const memRepos = 1000

// memScale multiplies GitHub's points budget (900 a minute, in the
// simulator and the client's limiter) so the run is not held up for
// minutes by the budget: see docs/BENCHMARKS.md.
const memScale = 20

// BenchmarkMemory1000 runs the leaked-key playbook, all of it, against a
// simulator (no added latency) whose organization has 1,000 repositories
// holding the leaked key, and samples the process's heap every 2 ms.
//
// It drives the engine as `respond leaked-key --yes` does (same playbook,
// catalog, steps, journal and report), but builds the GitHub client
// itself so its points budget can be scaled with the simulator's
// (memScale): through cli.Run the client keeps GitHub's 900 points a
// minute and the run takes six minutes and more at any latency
// (BenchmarkResponse measures that).
//
// The simulator lives in the same process, so the heap includes its
// world. Metrics: peak-heap-MB (the largest heap in use seen, simulator
// included), baseline-heap-MB (heap in use after the simulator is seeded
// and a GC, before respond starts), respond-heap-MB (peak − baseline: the
// upper bound of what respond itself held), peak-runtime-MB (all memory
// the Go runtime had mapped, the closest figure to the process's
// resident size), live-after-MB (heap still live after the run and a GC,
// simulator included), gh-requests (requests the GitHub client sent),
// targets (deploy targets) and ms-to-contain (the journal's time to
// contain at 1,000 targets, no added latency).
//
// Skipped with -short.
func BenchmarkMemory1000(b *testing.B) {
	if testing.Short() {
		b.Skip("the 1,000-target run takes tens of seconds; skipped with -short")
	}
	var peak, base, runtimeMax, liveAfter uint64
	var requests int64
	var targets int
	var toContain time.Duration
	for range b.N {
		b.StopTimer()
		w := newMemWorld(b)
		b.StartTimer()
		r := w.run(b)
		b.StopTimer()
		peak, base = max(peak, r.peak), max(base, r.baseline)
		runtimeMax, liveAfter = max(runtimeMax, r.runtimeMax), max(liveAfter, r.liveAfter)
		requests, targets = r.requests, r.targets
		toContain += r.toContain
		w.close()
		b.StartTimer()
	}
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	b.ReportMetric(mb(peak), "peak-heap-MB")
	b.ReportMetric(mb(base), "baseline-heap-MB")
	b.ReportMetric(mb(peak-min(peak, base)), "respond-heap-MB")
	b.ReportMetric(mb(runtimeMax), "peak-runtime-MB")
	b.ReportMetric(mb(liveAfter), "live-after-MB")
	b.ReportMetric(float64(requests), "gh-requests")
	b.ReportMetric(float64(targets), "targets")
	b.ReportMetric(ms(toContain)/float64(b.N), "ms-to-contain")
}

type memWorld struct {
	s        *sim.Sim
	dir      string
	stateDir string
	invPath  string
}

func newMemWorld(b *testing.B) *memWorld {
	b.Helper()
	s, err := sim.Start(context.Background(), sim.Options{Seed: 1, Repos: memRepos,
		GitHub: sim.GitHubLimits{PointsPerMinute: 900 * memScale}})
	if err != nil {
		b.Fatalf("start the simulator: %v", err)
	}
	dir, err := os.MkdirTemp("", "respond-bench-*")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	w := &memWorld{s: s, dir: dir, stateDir: filepath.Join(dir, "state"), invPath: filepath.Join(dir, "respond.yaml")}
	if err := s.WriteInventory(w.invPath); err != nil {
		b.Fatal(err)
	}
	return w
}

func (w *memWorld) close() { _ = w.s.Close() }

type memRun struct {
	peak, baseline, runtimeMax, liveAfter uint64
	requests                              int64
	targets                               int
	toContain                             time.Duration
}

// heapSampler records the largest heap in use (objects plus the unused
// parts of their spans, runtime.MemStats.HeapInuse) and the largest total
// the runtime mapped, read through runtime/metrics, which does not stop
// the world.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
	tot  uint64
}

func startHeapSampler(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/total:bytes"},
	}
	read := func() {
		metrics.Read(samples)
		h.peak = max(h.peak, samples[0].Value.Uint64()+samples[1].Value.Uint64())
		h.tot = max(h.tot, samples[2].Value.Uint64())
	}
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			read()
			select {
			case <-h.stop:
				read()
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Stop ends sampling and returns the peaks.
func (h *heapSampler) Stop() (heap, total uint64) {
	close(h.stop)
	<-h.done
	return h.peak, h.tot
}

func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// run executes leaked-key on the world through the engine as the CLI's
// execute does, sampling the heap.
func (w *memWorld) run(b *testing.B) memRun {
	b.Helper()
	ctx := context.Background()
	runtime.GC()
	base := heapInuse()
	h := startHeapSampler(2 * time.Millisecond)

	env := w.s.Env()
	reg := secret.NewRegistry()
	admin, token := secret.New(env["OPENAI_ADMIN_KEY"]), secret.New(env["GITHUB_TOKEN"])
	reg.Add(admin)
	reg.Add(token)
	oa, err := openaiapi.New(openaiapi.Config{BaseURL: env["OPENAI_BASE_URL"], AdminKey: admin})
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	gh, err := githubapi.New(githubapi.Config{BaseURL: env["GITHUB_API_URL"], Token: token,
		HTTPClient: &http.Client{Transport: tr},
		Limits:     githubapi.Limits{PointsPerMinute: githubapi.DefaultPointsPerMinute * memScale}})
	if err != nil {
		b.Fatal(err)
	}
	cat := steps.CatalogWith(steps.ProvidersWith(nil, map[string]any{openaiapi.SharedKey: oa, githubapi.SharedKey: gh}))
	src, ok := playbooks.Source("leaked-key")
	if !ok {
		b.Fatal("no built-in leaked-key playbook")
	}
	pb, diags := playbook.Parse("playbooks/leaked-key.yaml", src, cat)
	if diags.HasErrors() {
		b.Fatalf("parse leaked-key: %v", diags)
	}
	invSrc, err := os.ReadFile(w.invPath)
	if err != nil {
		b.Fatal(err)
	}
	inv, diags := inventory.Parse(w.invPath, invSrc)
	if diags.HasErrors() {
		b.Fatalf("parse the simulator's inventory: %v", diags)
	}
	inputs, err := playbook.ResolveInputs(pb, map[string]string{"alert": w.s.Scenario().Alert}, nil)
	if err != nil {
		b.Fatal(err)
	}
	creds, targets := credentials(inv)
	inputs["credentials"] = creds
	inputs["inventory"] = w.invPath // the record step names the replacement there

	inc, err := incident.NewStore(w.stateDir).Create(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	jw, err := journal.Open(inc.JournalPath(), journal.GenerateKey().For(inc.ID), reg)
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.New(engine.Options{
		Playbook: pb, Catalog: cat, Inputs: inputs, Incident: inc.ID, Dir: inc.Dir, WorkDir: w.dir,
		Journal: jw, Secrets: reg, Observer: nopObserver{}, Approver: yes{},
		Command: "respond leaked-key --alert … --yes (BenchmarkMemory1000)",
	})
	if err != nil {
		b.Fatal(err)
	}
	out, runErr := eng.Run(ctx)
	_ = jw.Close()
	if _, err := report.WriteIncident(inc); err != nil {
		b.Errorf("write the report: %v", err)
	}
	peak, total := h.Stop()
	if runErr != nil {
		b.Fatalf("leaked-key on %d repositories: %v", memRepos, runErr)
	}
	if out.Status != "completed" {
		b.Fatalf("leaked-key on %d repositories ended %s", memRepos, out.Status)
	}
	st := gh.Stats()
	if st.RateLimited != 0 {
		b.Fatalf("the GitHub client saw %d rate-limit responses", st.RateLimited)
	}
	recs, err := journal.ReadFile(inc.JournalPath())
	if err != nil {
		b.Fatal(err)
	}
	if n := deployed(recs); n != targets {
		b.Fatalf("deploy finished ok on %d targets, want %d", n, targets)
	}
	sum := incident.Summarize(inc.ID, recs)
	if sum.TimeToContain == nil {
		b.Fatal("the journal shows no containment")
	}
	runtime.GC()
	return memRun{peak: peak, baseline: base, runtimeMax: total, liveAfter: heapInuse(),
		requests: st.Requests, targets: targets, toContain: *sum.TimeToContain}
}

// credentials turns the inventory into the playbook's credentials input,
// as `respond leaked-key` does, and counts the targets.
func credentials(inv *inventory.Inventory) ([]any, int) {
	out := []any{}
	n := 0
	for _, c := range inv.Credentials {
		ts := []any{}
		for _, t := range c.Targets {
			ts = append(ts, t.Map())
			if t.Type != "github-workflow" {
				n++
			}
		}
		out = append(out, map[string]any{
			"name": c.Name, "provider": c.Provider, "project": c.Scope, "scope": c.Scope,
			"key_id": c.KeyID, "key_name": c.KeyName, "targets": ts,
		})
	}
	return out, n
}

// deployed counts the deploy items that finished ok in the journal.
func deployed(recs []journal.Record) int {
	n := 0
	for _, r := range recs {
		if r.Type == journal.StepFinished && r.Step == "deploy" && r.Item != "" && r.Status == journal.StatusOK {
			n++
		}
	}
	return n
}

type nopObserver struct{}

func (nopObserver) Planned(*engine.Plan)                             {}
func (nopObserver) StepStarted(engine.Instance)                      {}
func (nopObserver) StepLog(engine.Instance, string)                  {}
func (nopObserver) StepFinished(engine.Instance, engine.StepOutcome) {}

// yes approves everything, as --yes does.
type yes struct{}

func (yes) Approve(context.Context, string) (step.Approval, error) {
	return step.Approval{Approved: true, By: "benchmark", How: "--yes"}, nil
}
