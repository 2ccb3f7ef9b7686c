package sim

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// Conformance with gh (Debian's 2.23; .ci/run installs it): gh talks to the
// simulator as to a GitHub Enterprise host over HTTPS, and every claim is
// checked in the simulated world, not in gh's output.

// settableClock is a clock the test moves by hand.
type settableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settableClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *settableClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ghSim is a simulator served over HTTPS with gh pointed at it.
type ghSim struct {
	*Sim
	clock *settableClock
	env   []string
}

// startGH starts a simulator for gh, or skips when gh is not installed
// (fails in CI, where .ci/run installs it).
func startGH(t *testing.T) *ghSim {
	t.Helper()
	if _, err := exec.LookPath("gh"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("gh is not installed, and CI is set: install it (Debian: apt-get install -y gh; .ci/run does it)")
		}
		t.Skip("gh is not installed (Debian: apt-get install -y gh)")
	}
	clk := &settableClock{t: fixedNow}
	s := start(t, Options{TLSSelfSigned: true, Now: clk.Now, RunDuration: 10 * time.Minute})
	dir := t.TempDir()
	ca := filepath.Join(dir, "sim-ca.pem")
	if err := os.WriteFile(ca, s.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	host := "localhost:" + u.Port()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GH_CONFIG_DIR=" + filepath.Join(dir, "gh"),
		"GH_HOST=" + host, "GH_ENTERPRISE_TOKEN=" + s.Env()["GITHUB_TOKEN"], "SSL_CERT_FILE=" + ca,
		"GH_NO_UPDATE_NOTIFIER=1", "GH_PROMPT_DISABLED=1", "NO_COLOR=1", "GH_PAGER=cat"}
	return &ghSim{Sim: s, clock: clk, env: env}
}

// gh runs gh with args and returns its output and exit code.
func (g *ghSim) gh(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := g.command(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("gh %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

func (g *ghSim) command(args ...string) *exec.Cmd {
	cmd := exec.Command("gh", args...)
	cmd.Env = g.env
	return cmd
}

// mustGH runs gh and fails the test unless it exits 0.
func (g *ghSim) mustGH(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := g.gh(t, args...)
	if code != 0 {
		t.Fatalf("gh %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// runsOf returns the runs of the scenario's deploy workflow, oldest first.
func (g *ghSim) runsOf(workflow string) []githubsim.RunState {
	var out []githubsim.RunState
	for _, r := range g.GitHub().Runs() {
		if r.Workflow == workflow {
			out = append(out, r)
		}
	}
	return out
}

// requestsTo counts the logged requests whose path contains part.
func (g *ghSim) requestsTo(part string) int {
	n := 0
	for _, r := range g.Requests(0) {
		if strings.Contains(r.Path, part) {
			n++
		}
	}
	return n
}

// F1: `gh run watch --exit-status` follows a run that will fail until it
// completes, then exits non-zero; it does not give up at once (which it
// did, exiting 0, while the run's jobs were a 404). `gh run view` shows the
// run's job and the failure's annotation.
func TestGHRunWatchFailingRun(t *testing.T) {
	g := startGH(t)
	failure := githubsim.ConclusionFailure
	if _, err := g.ConfigureWorkflow(WorkflowRequest{Repo: "acme/api", Workflow: "deploy.yml", Conclusion: &failure}); err != nil {
		t.Fatal(err)
	}
	g.mustGH(t, "workflow", "run", "deploy.yml", "-R", "acme/api", "--ref", "main")
	runs := g.runsOf("deploy.yml")
	if len(runs) != 1 {
		t.Fatalf("runs after the dispatch: %+v", runs)
	}
	id := itoa64(runs[0].ID)
	g.clock.Add(5 * time.Second) // started, far from done

	cmd := g.command("run", "watch", id, "-R", "acme/api", "--exit-status", "--interval", "1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// gh polls the run and its jobs while the run is in progress.
	jobsPath := "/actions/runs/" + id + "/jobs"
	deadline := time.Now().Add(30 * time.Second)
	for g.requestsTo(jobsPath) < 2 {
		select {
		case err := <-done:
			t.Fatalf("gh run watch exited (%v) while the run was in progress:\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gh run watch did not poll the run's jobs twice within 30s:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, _ := g.GitHub().Run(runs[0].ID); st.Status != "in_progress" {
		t.Fatalf("the run is %s while gh watches it", st.Status)
	}

	g.clock.Add(10 * time.Minute) // the run completes, failed
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("gh run watch did not exit within 30s of the run completing:\n%s", out.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("gh run watch --exit-status exited %v for a failed run, want non-zero:\n%s", err, out.String())
	}
	if st, _ := g.GitHub().Run(runs[0].ID); st.Status != "completed" || st.Conclusion != githubsim.ConclusionFailure {
		t.Fatalf("the run in the world: %+v", st)
	}

	view := g.mustGH(t, "run", "view", id, "-R", "acme/api")
	for _, want := range []string{"JOBS", "deploy", "ANNOTATIONS", "Process completed with exit code 1."} {
		if !strings.Contains(view, want) {
			t.Errorf("gh run view lacks %q:\n%s", want, view)
		}
	}
	if _, _, code := g.gh(t, "run", "view", id, "-R", "acme/api", "--exit-status"); code == 0 {
		t.Error("gh run view --exit-status exited 0 for a failed run")
	}
}

// F6: the GraphQL queries gh 2.23 sends. `gh workflow run` without --ref
// reads the default branch; `gh secret set --org --repos` maps repository
// names to IDs.
func TestGHGraphQL(t *testing.T) {
	g := startGH(t)
	g.mustGH(t, "workflow", "run", "deploy.yml", "-R", "acme/api")
	runs := g.runsOf("deploy.yml")
	if len(runs) != 1 || runs[0].HeadBranch != "main" || runs[0].Ref != "main" {
		t.Fatalf("the run of a dispatch without --ref: %+v", runs)
	}
	if g.requestsTo("/api/graphql") == 0 {
		t.Error("gh did not ask GraphQL for the default branch")
	}

	g.mustGH(t, "secret", "set", "FIDELITY_SECRET", "--org", "acme", "--visibility", "selected", "--repos", "web,worker", "--body", "selected-value")
	st := g.GitHub().Snapshot()
	ids := map[string]int64{}
	for _, r := range st.Repos {
		ids[r.Name] = r.ID
	}
	var found bool
	for _, sec := range st.Secrets {
		if sec.Level == githubsim.LevelOrg && sec.Org == "acme" && sec.Name == "FIDELITY_SECRET" {
			found = true
			got := slices.Clone(sec.SelectedRepositoryIDs)
			slices.Sort(got)
			want := []int64{ids["web"], ids["worker"]}
			slices.Sort(want)
			if sec.Value != "selected-value" || sec.Visibility != "selected" || !slices.Equal(got, want) {
				t.Errorf("the organization secret in the world: %+v, want value selected-value, selected %v", sec, want)
			}
		}
	}
	if !found {
		t.Fatal("gh secret set --repos did not create the organization secret")
	}

	// A repository that does not exist: GitHub's NOT_FOUND reaches gh.
	if _, errOut, code := g.gh(t, "secret", "set", "X", "--org", "acme", "--visibility", "selected", "--repos", "nope", "--body", "v"); code == 0 ||
		!strings.Contains(errOut, "Could not resolve to a Repository with the name 'acme/nope'") {
		t.Errorf("gh secret set --repos nope: exit %d, %s", code, errOut)
	}
}

// F7: gh cancels and re-runs runs and disables and enables workflows.
func TestGHRunCancelRerunDisable(t *testing.T) {
	g := startGH(t)
	g.mustGH(t, "workflow", "run", "deploy.yml", "-R", "acme/api", "--ref", "main")
	run := g.runsOf("deploy.yml")[0]
	id := itoa64(run.ID)

	g.mustGH(t, "run", "cancel", id, "-R", "acme/api")
	if st, _ := g.GitHub().Run(run.ID); st.Status != "completed" || st.Conclusion != githubsim.ConclusionCancelled {
		t.Fatalf("the cancelled run in the world: %+v", st)
	}
	if _, errOut, code := g.gh(t, "run", "cancel", id, "-R", "acme/api"); code == 0 || !strings.Contains(errOut, "Cannot cancel a workflow run that is completed") {
		t.Errorf("cancelling a completed run: exit %d, %s", code, errOut)
	}

	g.mustGH(t, "run", "rerun", id, "-R", "acme/api")
	st, _ := g.GitHub().Run(run.ID)
	if st.RunAttempt != 2 || st.Status == "completed" {
		t.Fatalf("the re-run in the world: %+v", st)
	}
	if _, errOut, code := g.gh(t, "run", "rerun", id, "-R", "acme/api"); code == 0 || !strings.Contains(errOut, "cannot be rerun") {
		t.Errorf("re-running a run in progress: exit %d, %s", code, errOut)
	}

	g.mustGH(t, "workflow", "disable", "deploy.yml", "-R", "acme/api")
	if state := workflowState(t, g.Sim, "deploy.yml"); state != "disabled_manually" {
		t.Fatalf("the disabled workflow's state in the world: %q", state)
	}
	g.mustGH(t, "workflow", "enable", "deploy.yml", "-R", "acme/api")
	if state := workflowState(t, g.Sim, "deploy.yml"); state != "active" {
		t.Fatalf("the enabled workflow's state in the world: %q", state)
	}
}

func workflowState(t *testing.T, s *Sim, file string) string {
	t.Helper()
	for _, wf := range s.Workflows() {
		if wf.Repo == "acme/api" && wf.File == file {
			return wf.State
		}
	}
	t.Fatalf("no workflow %s in acme/api", file)
	return ""
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
