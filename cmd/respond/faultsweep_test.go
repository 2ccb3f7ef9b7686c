package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/sim"
)

// The fault sweep (issue #16, item 7): every mutating request of a
// leaked-key response against the simulator, with each kind of fault in
// turn; then the faults clear and `respond resume` runs until the
// incident is done, at most three times. For every case the world must
// end as PRODUCT §8 promises (the leaked key dead, exactly one live
// replacement, every target holding it, the alert resolved, the
// inventory naming it), and no service that ran on a working replacement
// may ever have been switched to a dead key (the live world's consumers).
// docs/incidents.md holds the table this test prints (-update-sweep
// rewrites it).

var updateSweep = flag.Bool("update-sweep", false, "rewrite the fault sweep's table in docs/incidents.md")

// sweepKind is a kind of fault.
type sweepKind struct {
	Name  string
	fault func(method, path string) sim.Fault
	// kill: SIGKILL respond once the server acted on the request.
	kill bool
	// aws is the same fault for an AWS operation (awsFault's kind), made
	// by the proxy between respond and moto (TestFaultSweepAWS).
	aws string
}

var sweepKinds = []sweepKind{
	{Name: "5xx before the server acts", aws: awsFail, fault: func(m, p string) sim.Fault {
		return sim.Fault{Method: m, Path: p, Status: 503, Count: 1}
	}},
	{Name: "answer lost after the server acted", aws: awsDrop, fault: func(m, p string) sim.Fault {
		return sim.Fault{Method: m, Path: p, Drop: true, Count: 1}
	}},
	{Name: "SIGKILL after the request is sent", kill: true, aws: awsHold, fault: func(m, p string) sim.Fault {
		// The server acts at once and holds the answer while respond is
		// killed.
		return sim.Fault{Method: m, Path: p, Drop: true, Delay: sim.Duration(30 * time.Second), Count: 1}
	}},
}

// sweepPoint is a mutating request of the response.
type sweepPoint struct{ Method, Path string }

func (p sweepPoint) String() string { return p.Method + " " + p.Path }

func TestFaultSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault sweep runs the whole response dozens of times")
	}
	bin := respondCommand(t)
	points := sweepPoints(t, bin)
	if len(points) < 8 {
		t.Fatalf("a clean response made %d mutating request(s): %v; the sweep expects the revoke, the create, the secret writes, the dispatch and the alert", len(points), points)
	}
	var (
		mu      sync.Mutex
		results []sweepResult
	)
	sem := make(chan struct{}, 3)
	t.Run("cases", func(t *testing.T) {
		for _, p := range points {
			for _, k := range sweepKinds {
				t.Run(p.String()+"/"+k.Name, func(t *testing.T) {
					t.Parallel()
					sem <- struct{}{}
					defer func() { <-sem }()
					runs, err := sweepCase(t, bin, p, k)
					r := sweepResult{row: normalizePath(p.String()), kind: k.Name, runs: runs}
					if err != nil {
						r.err = err.Error()
						t.Error(err)
					}
					mu.Lock()
					results = append(results, r)
					mu.Unlock()
				})
			}
		}
	})
	var rows []string
	for _, p := range points {
		rows = append(rows, normalizePath(p.String()))
	}
	sweepReport(t, "fault-sweep", "TestFaultSweep", rows, results)
}

// sweepResult is how one case ended.
type sweepResult struct {
	row, kind string // the request, the kind of fault
	runs      int    // the runs it took
	err       string // what went wrong; "" when it converged
}

// sweepReport logs the table of a sweep: its rows (requests) × the kinds
// of fault, each cell "converged" or not; with every case converged, it
// checks the table in docs/incidents.md between the marker comments
// (-update-sweep rewrites it).
func sweepReport(t *testing.T, marker, test string, rows []string, results []sweepResult) {
	var b strings.Builder
	b.WriteString("| request | " + strings.Join(kindNames(), " | ") + " |\n|---|" + strings.Repeat("---|", len(sweepKinds)) + "\n")
	failed := 0
	for _, row := range rows {
		b.WriteString("| `" + row + "` |")
		for _, k := range sweepKinds {
			cell := "not run"
			for _, r := range results {
				if r.row == row && r.kind == k.Name {
					cell = "converged"
					if r.err != "" {
						cell, failed = "**did not converge**", failed+1
					}
				}
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	runs := map[int]int{}
	for _, r := range results {
		runs[r.runs]++
	}
	t.Logf("fault sweep: %d request(s) × %d fault kind(s) = %d case(s), %d did not converge; runs it took: %v\n%s", len(rows), len(sweepKinds), len(results), failed, runs, b.String())
	if failed == 0 && len(results) == len(rows)*len(sweepKinds) {
		checkSweepDoc(t, marker, test, len(results), b.String())
	}
}

func kindNames() []string {
	var out []string
	for _, k := range sweepKinds {
		out = append(out, k.Name)
	}
	return out
}

// idSegment is a path segment that holds an ID (the same on every run of
// a seeded simulator, but not worth reading in a table).
var idSegment = regexp.MustCompile(`/(proj|key|svc_acct)_[A-Za-z0-9]+`)

func normalizePath(s string) string { return idSegment.ReplaceAllString(s, "/$1_…") }

// checkSweepDoc compares the sweep table in docs/incidents.md between
// <!-- marker --> and <!-- /marker --> with this run's.
func checkSweepDoc(t *testing.T, marker, test string, cases int, table string) {
	path := filepath.Join("..", "..", "docs", "incidents.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)<!-- ` + marker + ` -->\n(.*?)<!-- /` + marker + ` -->`)
	want := fmt.Sprintf("%d cases, all converged:\n\n%s", cases, table)
	m := re.FindSubmatchIndex(doc)
	if m == nil {
		t.Fatalf("%s has no <!-- %s --> section", path, marker)
	}
	if string(doc[m[2]:m[3]]) == want {
		return
	}
	if *updateSweep {
		out := append(append(append([]byte{}, doc[:m[2]]...), want...), doc[m[3]:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the fault sweep table in %s is out of date: run go test ./cmd/respond -run '%s$' -update-sweep", path, test)
}

// respondCommand is a command named respond that runs this test binary
// as respond (testscript.Main dispatches on the program's name).
func respondCommand(t *testing.T) string {
	dir := t.TempDir()
	link := filepath.Join(dir, "respond")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// sweepWorld is one case's simulator, directory and environment.
type sweepWorld struct {
	s      *sim.Sim
	dir    string
	env    []string
	leaked string
	held   map[string]bool // the secrets that held the leaked key
}

// newSweepWorld starts a simulator for a case, with its live world (the
// consumers of the OpenAI key's targets) when live is set.
func newSweepWorld(t *testing.T, live bool) *sweepWorld {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sim.Start(ctx, sim.Options{Seed: 1, Repos: 3, RunDuration: 100 * time.Millisecond})
	if err != nil {
		cancel()
		t.Fatalf("start the simulator: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = s.Close() })
	if live {
		if err := s.StartLive(sim.LiveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	w := &sweepWorld{s: s, dir: t.TempDir(), leaked: s.LeakedKeyValue(), held: map[string]bool{}}
	if err := s.WriteInventory(filepath.Join(w.dir, "respond.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RESPOND_") && !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "OPENAI_") && !strings.HasPrefix(kv, "AWS_") {
			w.env = append(w.env, kv)
		}
	}
	for k, v := range s.Env() {
		w.env = append(w.env, k+"="+v)
	}
	w.env = append(w.env, "RESPOND_STATE_DIR="+filepath.Join(w.dir, "state"), "NO_COLOR=1")
	for _, sec := range s.GitHub().Snapshot().Secrets {
		if sec.Value == w.leaked {
			w.held[secretKey(sec)] = true
		}
	}
	return w
}

func (w *sweepWorld) command(ctx context.Context, bin string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = w.dir, w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// sweepPoints runs a clean response and lists its mutating requests.
func sweepPoints(t *testing.T, bin string) []sweepPoint {
	w := newSweepWorld(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd, out := w.command(ctx, bin, "leaked-key", "--alert", w.s.Scenario().Alert, "--yes")
	if err := cmd.Run(); err != nil {
		t.Fatalf("a clean response failed (%v):\n%s", err, out)
	}
	if problems := w.problems(); len(problems) > 0 {
		t.Fatalf("a clean response left the world wrong: %v", problems)
	}
	var points []sweepPoint
	seen := map[sweepPoint]bool{}
	for _, q := range w.s.Requests(0) {
		path, _, _ := strings.Cut(q.Path, "?")
		p := sweepPoint{q.Method, path}
		if q.Method == "GET" || q.Method == "HEAD" || strings.HasPrefix(path, "/_") || strings.HasSuffix(path, "/token") || seen[p] {
			continue
		}
		seen[p] = true
		points = append(points, p)
	}
	// The deploy's writes run at once, in any order: the table (and the
	// docs) list the requests by path.
	sort.Slice(points, func(i, j int) bool {
		if points[i].Path != points[j].Path {
			return points[i].Path < points[j].Path
		}
		return points[i].Method < points[j].Method
	})
	return points
}

// sweepCase runs one case: the response with the fault, then resumes.
// It returns how many runs it took.
func sweepCase(t *testing.T, bin string, p sweepPoint, k sweepKind) (int, error) {
	w := newSweepWorld(t, true)
	if _, err := w.s.AddFault(k.fault(p.Method, p.Path)); err != nil {
		return 0, err
	}
	acted := func() bool {
		for _, f := range w.s.Faults() {
			if f.Acted > 0 {
				return true
			}
		}
		return false
	}
	runs, err := sweepRuns(w, bin, []string{"leaked-key", "--alert", w.s.Scenario().Alert, "--yes"}, k.kill, acted, w.s.ClearFaults)
	if err != nil {
		return runs, err
	}
	if problems := w.problems(); len(problems) > 0 {
		return runs, fmt.Errorf("after %d run(s) the world is wrong:\n  %s", runs, strings.Join(problems, "\n  "))
	}
	return runs, nil
}

// sweepRuns runs respond with args while a fault is set (SIGKILLing it,
// with kill, once acted says the server acted on the faulted request),
// clears the faults, then resumes the incident until it is done, at most
// three times. It returns how many runs it took.
func sweepRuns(w *sweepWorld, bin string, args []string, kill bool, acted func() bool, clear func()) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd, out := w.command(ctx, bin, args...)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	if kill {
		for !acted() {
			select {
			case err = <-done:
				return 1, fmt.Errorf("respond ended before the faulted request was acted on (%v): %s", err, out)
			case <-time.After(5 * time.Millisecond):
			}
		}
		_ = cmd.Process.Kill()
		<-done
	} else {
		err = <-done
		if c := exitCode(err); c != 0 && c != 5 && c != 1 {
			return 1, fmt.Errorf("the first run exited %d:\n%s", c, out)
		}
	}
	clear()
	runs := 1
	if exitCode(err) != 0 || kill {
		id, ierr := w.incident()
		if ierr != nil {
			return runs, ierr
		}
		for runs < 4 {
			runs++
			cmd, out := w.command(ctx, bin, "resume", id, "--yes")
			rerr := cmd.Run()
			if exitCode(rerr) == 0 {
				break
			}
			if runs == 4 {
				return runs, fmt.Errorf("resume did not finish in three runs (exit %d):\n%s", exitCode(rerr), out)
			}
		}
	}
	return runs, nil
}

// incident is the one incident of the case.
func (w *sweepWorld) incident() (string, error) {
	ents, err := os.ReadDir(filepath.Join(w.dir, "state", "incidents"))
	if err != nil {
		return "", err
	}
	var ids []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "INC-") {
			ids = append(ids, e.Name())
		}
	}
	if len(ids) != 1 {
		return "", fmt.Errorf("want one incident, found %v", ids)
	}
	return ids[0], nil
}

// problems checks the world against PRODUCT §8, and the live world's
// consumers against make before break.
func (w *sweepWorld) problems() []string {
	var out []string
	st := w.s.OpenAI().Snapshot()
	for _, k := range st.Keys {
		if k.Value == w.leaked && k.Status == "live" {
			out = append(out, "the leaked key "+k.ID+" is still live")
		}
	}
	accounts := map[string]bool{}
	for _, a := range st.ServiceAccounts {
		if strings.HasPrefix(a.Name, "respond-") && a.DeletedAt == "" {
			accounts[a.ID] = true
		}
	}
	var live []string
	replID := ""
	for _, k := range st.Keys {
		if accounts[k.OwnerID] && k.Status == "live" {
			live, replID = append(live, k.Value), k.ID
		}
	}
	if len(accounts) != 1 || len(live) != 1 {
		return append(out, fmt.Sprintf("want exactly one live replacement, found %d service account(s) and %d live key(s) of respond's", len(accounts), len(live)))
	}
	repl := live[0]
	for _, sec := range w.s.GitHub().Snapshot().Secrets {
		if w.held[secretKey(sec)] && sec.Value != repl {
			out = append(out, secretKey(sec)+" does not hold the replacement")
		}
	}
	info := w.s.Scenario()
	for _, a := range w.s.GitHub().Snapshot().Alerts {
		if a.Owner+"/"+a.Repo == info.AlertRepo && a.Number == info.AlertNumber && (a.State != "resolved" || a.Resolution == nil || *a.Resolution != "revoked") {
			out = append(out, "the alert is not resolved as revoked")
		}
	}
	src, err := os.ReadFile(filepath.Join(w.dir, "respond.yaml"))
	if err == nil {
		inv, diags := inventory.Parse("respond.yaml", src)
		if diags.HasErrors() || len(inv.Credentials) != 1 || inv.Credentials[0].KeyID != replID {
			out = append(out, "the inventory does not name the replacement "+replID)
		}
	}
	w.s.StepLive()
	for _, c := range w.s.LiveState().Consumers {
		if c.Broken > 0 {
			out = append(out, fmt.Sprintf("%s went down %d time(s) after it ran on a replacement", c.Name, c.Broken))
		}
		if c.Listed && !c.Up {
			out = append(out, c.Name+" is down")
		}
	}
	return out
}
