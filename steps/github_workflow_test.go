package steps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/steps"
)

func TestGitHubDispatchWorkflow(t *testing.T) {
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	k := steps.GitHubDispatchWorkflow{P: p}
	spec := k.Spec()
	if spec.Kind != "github.dispatch_workflow" || !spec.Mutates || !spec.Idempotent || spec.Reads {
		t.Fatalf("spec %+v", spec)
	}

	// From an inventory target (as inventory.targets outputs it), with an
	// input added by the step.
	tg := target.New("github-workflow", map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "inputs": map[string]string{"environment": "production"}})
	c := ghCall(map[string]any{"target": tg.Map(), "inputs": map[string]string{"reason": "rotation"}})
	changes, err := k.Plan(ctx, c)
	if err != nil || len(changes) != 1 || changes[0].Action != step.Run || changes[0].Target != "github-workflow:acme/api:deploy.yml@main" ||
		changes[0].Effect != "run workflow deploy.yml of acme/api on main with inputs [environment reason]" {
		t.Fatalf("plan %+v %v", changes, err)
	}
	before := time.Now().UTC().Add(-time.Second)
	res, err := k.Apply(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	ev := res.Evidence
	at, perr := time.Parse(time.RFC3339, ev["dispatched_at"].(string))
	if ev["repo"] != "acme/api" || ev["workflow"] != "deploy.yml" || ev["ref"] != "main" || perr != nil || at.Before(before) ||
		res.Outputs["dispatched_at"] != ev["dispatched_at"] || !strings.Contains(res.Summary, "dispatched deploy.yml of acme/api on main") {
		t.Fatalf("result %+v", res)
	}
	// From repo/workflow/ref, by workflow ID; applying again dispatches again.
	c2 := ghCall(map[string]any{"repo": "acme/api", "workflow": "7001", "ref": "v2"})
	for range 2 {
		if _, err := k.Apply(ctx, c2); err != nil {
			t.Fatal(err)
		}
	}
	d := sim.Snapshot().Dispatches
	if len(d) != 3 || d[0].Inputs["environment"] != "production" || d[0].Inputs["reason"] != "rotation" ||
		d[1].WorkflowID != 7001 || d[1].Ref != "v2" || len(d[1].Inputs) != 0 {
		t.Fatalf("dispatches %+v", d)
	}
}

func TestGitHubDispatchWorkflowErrors(t *testing.T) {
	ctx := context.Background()
	_, srv := ghWorld(t, githubsim.Options{})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	read, _ := ghProviders(t, srv, ghRead, githubapi.Limits{})
	k := steps.GitHubDispatchWorkflow{P: p}
	for _, tc := range []struct {
		name   string
		kind   steps.GitHubDispatchWorkflow
		params map[string]any
		want   string
	}{
		{"nothing", k, map[string]any{}, "repo is required"},
		{"both", k, map[string]any{"target": map[string]any{"type": "github-workflow", "repo": "a/b", "workflow": "w", "ref": "r"}, "repo": "a/b"}, "not both"},
		{"wrong target type", k, map[string]any{"target": map[string]any{"type": "dotenv", "path": ".env", "var": "K"}}, "needs a github-workflow target"},
		{"bad repo", k, map[string]any{"repo": "acme", "workflow": "w.yml", "ref": "main"}, `invalid repository "acme"`},
		{"unknown workflow", k, map[string]any{"repo": "acme/api", "workflow": "nope.yml", "ref": "main"}, "dispatch workflow nope.yml of acme/api on main: 404"},
		{"no permission", steps.GitHubDispatchWorkflow{P: read}, map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main"}, "403"},
		{"not configured", steps.GitHubDispatchWorkflow{P: &steps.Providers{}}, map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main"}, "GITHUB_TOKEN"},
	} {
		_, err := tc.kind.Apply(ctx, ghCall(tc.params))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !step.IsPermanent(err) {
			t.Errorf("%s: %v (want %q, permanent)", tc.name, err, tc.want)
		}
	}
}

// ghActions is a token of bob that may dispatch workflows: someone else.
const ghActions = "ghp_steps_bob_actions_token_33333333"

func ptrTo[T any](v T) *T { return &v }

// logOf collects a call's progress lines.
func logOf(c *step.Call) *[]string {
	var lines []string
	c.Log = func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	return &lines
}

func TestGitHubDispatchWorkflowWait(t *testing.T) {
	defer steps.FastDispatchTiming()()
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	if _, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", githubsim.WorkflowConfig{RunDuration: ptrTo(300 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	k := steps.GitHubDispatchWorkflow{P: p}
	c := ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": true, "wait_timeout": time.Minute, "deploys": "key_new"})
	logs := logOf(c)
	changes, err := k.Plan(ctx, c)
	if err != nil || len(changes) != 1 || !strings.Contains(changes[0].Effect, "to deploy key_new, then wait for the run to finish (at most 1m0s)") {
		t.Fatalf("plan %+v %v", changes, err)
	}
	res, err := k.Apply(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	runs := sim.Runs()
	if len(runs) != 1 || runs[0].Status != "completed" {
		t.Fatalf("runs: %+v", runs)
	}
	ev := res.Evidence
	if ev["run_id"] != runs[0].ID || ev["status"] != "completed" || ev["conclusion"] != "success" || ev["deploys"] != "key_new" ||
		ev["run_found"] != "from the dispatch's answer" || !strings.HasSuffix(ev["html_url"].(string), "/acme/api/actions/runs/"+fmt.Sprint(runs[0].ID)) ||
		ev["started_at"] != runs[0].StartedAt || ev["completed_at"] != runs[0].CompletedAt || ev["dispatched_at"] == nil {
		t.Fatalf("evidence %+v, run %+v", ev, runs[0])
	}
	if res.Outputs["conclusion"] != "success" || res.Outputs["run_id"] != int(runs[0].ID) || !strings.Contains(res.Summary, "succeeded") {
		t.Fatalf("result %+v", res)
	}
	if !slices.ContainsFunc(*logs, func(l string) bool { return strings.HasSuffix(l, "is completed") }) {
		t.Errorf("no progress logged: %q", *logs)
	}
}

func TestGitHubDispatchWorkflowWaitFails(t *testing.T) {
	defer steps.FastDispatchTiming()()
	ctx := context.Background()
	sim, srv := ghWorld(t, githubsim.Options{})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	k := steps.GitHubDispatchWorkflow{P: p}

	// A run that fails fails the step, saying what to do.
	if _, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", githubsim.WorkflowConfig{Conclusion: ptrTo("failure")}); err != nil {
		t.Fatal(err)
	}
	res, err := k.Apply(ctx, ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": true}))
	id := sim.Runs()[0].ID
	if err == nil || !step.IsPermanent(err) || res == nil || res.Evidence["conclusion"] != "failure" || res.Outputs["conclusion"] != "failure" {
		t.Fatalf("failed run: %v %+v", err, res)
	}
	for _, want := range []string{fmt.Sprintf("run %d of workflow deploy.yml of acme/api on main concluded failure", id), "/acme/api/actions/runs/", "fix the workflow", "respond resume inc_gh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}

	// A run that does not finish in time.
	if _, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", githubsim.WorkflowConfig{RunDuration: ptrTo(time.Hour), Conclusion: ptrTo("success")}); err != nil {
		t.Fatal(err)
	}
	res, err = k.Apply(ctx, ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": true, "wait_timeout": 100 * time.Millisecond}))
	if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "has not finished after 100ms (it is queued: http") || res.Evidence["status"] != "queued" {
		t.Fatalf("slow run: %v %+v", err, res)
	}
	if _, err := k.Apply(ctx, ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": true, "wait_timeout": -time.Second})); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative wait_timeout: %v", err)
	}
	// GitHub refusing the dispatch is reported at once, without looking
	// for a run.
	_, err = k.Apply(ctx, ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "nope", "wait": true}))
	if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "No ref found for: nope") || strings.Contains(err.Error(), "no run of") {
		t.Errorf("unknown ref: %v", err)
	}
}

// proxy puts a handler in front of the simulator.
func proxy(t *testing.T, sim *githubsim.Server, h func(w http.ResponseWriter, r *http.Request, next http.Handler)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, sim) }))
	t.Cleanup(srv.Close)
	return srv
}

// dispatchAs starts deploy.yml on main with another token.
func dispatchAs(t *testing.T, srv *httptest.Server, tok string) {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{BaseURL: srv.URL, Token: secret.New(tok), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DispatchWorkflow(context.Background(), "acme", "api", "deploy.yml", "main", nil); err != nil {
		t.Fatal(err)
	}
}

// A server that ignores return_run_details answers 204: the step finds the
// run by listing, and takes neither an older run of the same user nor a
// run someone else started at the same time.
func TestGitHubDispatchWorkflowFindsTheRun(t *testing.T) {
	defer steps.FastDispatchTiming()()
	ctx := context.Background()
	sim, direct := ghWorld(t, githubsim.Options{})
	sim.AddToken(ghActions, "bob", githubsim.Permissions{Actions: true})
	dispatchAs(t, direct, ghAdmin) // alice's earlier run, seconds ago
	older := sim.Runs()[0].ID
	srv := proxy(t, sim, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/dispatches") {
			dispatchAs(t, direct, ghActions) // bob, at the same moment
			var body map[string]any
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				t.Error(err)
			}
			delete(body, "return_run_details") // an older server
			b, _ := json.Marshal(body)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		next.ServeHTTP(w, r)
	})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	res, err := steps.GitHubDispatchWorkflow{P: p}.Apply(ctx, ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": true}))
	if err != nil {
		t.Fatal(err)
	}
	var mine int64
	for _, r := range sim.Runs() {
		if r.ID != older && r.Actor == "alice" {
			mine = r.ID
		}
	}
	if len(sim.Runs()) != 3 || mine == 0 || res.Evidence["run_id"] != mine || res.Evidence["run_found"] != "by listing the workflow's runs" || res.Evidence["conclusion"] != "success" {
		t.Fatalf("picked %v (mine %d, older %d): %+v, runs %+v", res.Evidence["run_id"], mine, older, res.Evidence, sim.Runs())
	}
	// Without wait, a 204 is enough: no run is looked for.
	res, err = steps.GitHubDispatchWorkflow{P: p}.Apply(ctx, ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main"}))
	if err != nil || res.Outputs["run_id"] != 0 || res.Evidence["run_id"] != nil {
		t.Fatalf("without wait: %v %+v", err, res)
	}
}

// A dispatch whose answer is lost (a 502 or a reset connection after
// GitHub started the run) is not reported as failed when the run exists,
// so a retry does not run the workflow twice; when no run appeared, it is
// a retryable failure.
func TestGitHubDispatchWorkflowLostResponse(t *testing.T) {
	defer steps.FastDispatchTiming()()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		forward bool // GitHub got the request and started the run
		answer  func(w http.ResponseWriter)
		ok      bool
	}{
		{"502 after the run started", true, func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) }, true},
		{"reset after the run started", true, hangUp, true},
		{"502, no run", false, func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, _ := ghWorld(t, githubsim.Options{})
			srv := proxy(t, sim, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				if r.Method != http.MethodPost {
					next.ServeHTTP(w, r)
					return
				}
				if tc.forward {
					next.ServeHTTP(httptest.NewRecorder(), r)
				}
				tc.answer(w)
			})
			p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
			c := ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": true})
			logs := logOf(c)
			res, err := steps.GitHubDispatchWorkflow{P: p}.Apply(ctx, c)
			runs := sim.Runs()
			if !tc.ok {
				if err == nil || step.IsPermanent(err) || !strings.Contains(err.Error(), "no run of deploy.yml started since the dispatch was found") ||
					res == nil || res.Evidence["lost_response_checked"] != true || len(runs) != 0 {
					t.Fatalf("%v %+v %d runs", err, res, len(runs))
				}
				return
			}
			if err != nil || len(runs) != 1 || res.Evidence["run_id"] != runs[0].ID || res.Evidence["run_found"] != "found after a lost response" ||
				len(sim.Snapshot().Dispatches) != 1 {
				t.Fatalf("%v %+v %+v", err, res, runs)
			}
			if !slices.ContainsFunc(*logs, func(l string) bool { return strings.Contains(l, "looking for a run it may have started") }) {
				t.Errorf("logs %q", *logs)
			}
		})
	}
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// offsetClock is the wall clock shifted by a settable offset.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *offsetClock) set(d time.Duration) {
	c.mu.Lock()
	c.off = d
	c.mu.Unlock()
}

// After a crash, a run started by the token's user since the interrupted
// attempt began means the dispatch happened (with wait, the step waits for
// it); older runs and other users' runs do not count.
func TestGitHubDispatchWorkflowReconcile(t *testing.T) {
	defer steps.FastDispatchTiming()()
	ctx := context.Background()
	clk := &offsetClock{}
	sim, srv := ghWorld(t, githubsim.Options{Now: clk.Now})
	sim.AddToken(ghActions, "bob", githubsim.Permissions{Actions: true})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	k := steps.GitHubDispatchWorkflow{P: p}
	params := func(wait bool) map[string]any {
		return map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": wait}
	}
	call := func(wait bool, interrupted time.Time) *step.Call {
		c := ghCall(params(wait))
		c.Interrupted = interrupted
		return c
	}

	if res, done, err := k.Reconcile(ctx, call(false, time.Time{})); done || err != nil || res != nil {
		t.Fatalf("nothing interrupted: %v %v %v", res, done, err)
	}
	clk.set(-10 * time.Minute)
	dispatchAs(t, srv, ghAdmin) // long before the attempt
	clk.set(0)
	attempt := time.Now()
	dispatchAs(t, srv, ghActions) // bob, during the attempt
	if res, done, err := k.Reconcile(ctx, call(false, attempt)); done || err != nil || res != nil {
		t.Fatalf("only older and other users' runs: %v %v %v", res, done, err)
	}
	dispatchAs(t, srv, ghAdmin) // what the interrupted attempt did
	mine := sim.Runs()[2].ID
	res, done, err := k.Reconcile(ctx, call(false, attempt))
	if !done || err != nil || res.Evidence["run_id"] != mine || res.Evidence["run_found"] != "reconciled after an interrupted attempt" {
		t.Fatalf("reconcile: %v %+v %v", done, res, err)
	}
	// With wait, it waits for that run. (A minute later: runs within the
	// clock-skew allowance of an attempt count as its own.)
	if _, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", githubsim.WorkflowConfig{RunDuration: ptrTo(200 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	clk.set(time.Minute)
	attempt = clk.Now()
	dispatchAs(t, srv, ghAdmin)
	res, done, err = k.Reconcile(ctx, call(true, attempt))
	last := sim.Runs()[3]
	if !done || err != nil || res.Evidence["run_id"] != last.ID || res.Evidence["conclusion"] != "success" || last.Status != "completed" {
		t.Fatalf("reconcile with wait: %v %+v %v", done, res, err)
	}
	// A failed run found on resume fails the step.
	if _, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", githubsim.WorkflowConfig{Conclusion: ptrTo("cancelled"), RunDuration: ptrTo(time.Duration(0))}); err != nil {
		t.Fatal(err)
	}
	clk.set(2 * time.Minute)
	attempt = clk.Now()
	dispatchAs(t, srv, ghAdmin)
	if _, done, err := k.Reconcile(ctx, call(true, attempt)); done || err == nil || !strings.Contains(err.Error(), "concluded cancelled") {
		t.Fatalf("reconcile a cancelled run: %v %v", done, err)
	}
}

// Reading the run failing for a while (after the client's own retries)
// does not fail the wait: the run goes on, so the step keeps polling.
func TestGitHubDispatchWorkflowWaitThroughErrors(t *testing.T) {
	defer steps.FastDispatchTiming()()
	sim, _ := ghWorld(t, githubsim.Options{})
	var mu sync.Mutex
	failures := 4 // more than one read's retries
	srv := proxy(t, sim, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mu.Lock()
		fail := r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/actions/runs/") && failures > 0
		if fail {
			failures--
		}
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		next.ServeHTTP(w, r)
	})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	c := ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": true})
	logs := logOf(c)
	res, err := steps.GitHubDispatchWorkflow{P: p}.Apply(context.Background(), c)
	if err != nil || res.Evidence["conclusion"] != "success" {
		t.Fatalf("%v %+v", err, res)
	}
	if !slices.ContainsFunc(*logs, func(l string) bool { return strings.Contains(l, "trying again") }) || failures != 0 {
		t.Errorf("the failures were not met (%d left): %q", failures, *logs)
	}
}

// A token without a user (a GitHub App's installation token cannot read GET
// /user) still dispatches and waits.
func TestGitHubDispatchWorkflowWithoutUser(t *testing.T) {
	defer steps.FastDispatchTiming()()
	sim, _ := ghWorld(t, githubsim.Options{})
	srv := proxy(t, sim, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.URL.Path == "/user" {
			githubsim.WriteError(w, http.StatusForbidden, "Resource not accessible by integration")
			return
		}
		next.ServeHTTP(w, r)
	})
	p, _ := ghProviders(t, srv, ghAdmin, githubapi.Limits{})
	c := ghCall(map[string]any{"repo": "acme/api", "workflow": "deploy.yml", "ref": "main", "wait": true})
	logs := logOf(c)
	res, err := steps.GitHubDispatchWorkflow{P: p}.Apply(context.Background(), c)
	if err != nil || res.Evidence["conclusion"] != "success" || len(sim.Runs()) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	if !slices.ContainsFunc(*logs, func(l string) bool { return strings.Contains(l, "cannot tell the token's user") }) {
		t.Errorf("logs %q", *logs)
	}
}
