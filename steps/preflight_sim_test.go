package steps_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/plugin"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

// TestPreflightAgainstSimulator runs preflight's OpenAI and workflow checks
// through the real clients against the simulator, and checks that it sent
// no mutating request.
func TestPreflightAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	s, err := sim.Start(ctx, sim.Options{Seed: 7})
	if err != nil {
		t.Fatalf("start the simulator: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	env, info := s.Env(), s.Scenario()
	providers := func(ghToken string) *steps.Providers {
		return steps.NewProviders(plugin.New(func(k string) string {
			if k == "GITHUB_TOKEN" {
				return ghToken
			}
			return env[k]
		}, nil, nil))
	}
	dir := t.TempDir()
	workflow := map[string]any{"type": "github-workflow", "repo": info.WorkflowRepo, "workflow": info.Workflow, "ref": info.WorkflowRef}
	call := func(params map[string]any) *step.Call {
		return &step.Call{Incident: "inc", StepID: "preflight", Params: params, Secrets: secret.NewRegistry(), Dir: dir}
	}

	// Everything reachable: no problem.
	pp := providers(env["GITHUB_TOKEN"])
	p := steps.Preflight{P: pp, Writers: pp.Targets}
	res, err := p.Apply(ctx, call(map[string]any{
		"project": info.ProjectID,
		"targets": []any{workflow, map[string]any{"type": "dotenv", "path": filepath.Join(dir, ".env"), "var": "K"}},
	}))
	if err != nil {
		t.Fatalf("preflight with full access: %v", err)
	}
	if res.Evidence["checked"] != 3 {
		t.Errorf("evidence %v", res.Evidence)
	}

	// A project the admin key cannot see, and a token that cannot dispatch.
	pp = providers(info.ReadOnlyToken)
	p = steps.Preflight{P: pp, Writers: pp.Targets}
	_, err = p.Apply(ctx, call(map[string]any{"project": "proj_doesnotexist", "targets": []any{workflow}}))
	if !errors.Is(err, step.ErrPreflight) {
		t.Fatalf("preflight with missing access = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"preflight found 2 problem(s)", "OpenAI project proj_doesnotexist: ", "github-workflow:" + info.WorkflowRepo + ":" + info.Workflow + "@" + info.WorkflowRef + ": "} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
	for _, tok := range []string{env["OPENAI_ADMIN_KEY"], env["GITHUB_TOKEN"], info.ReadOnlyToken} {
		if strings.Contains(msg, tok) {
			t.Errorf("the error holds a token:\n%s", msg)
		}
	}

	for _, r := range s.Requests(0) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Errorf("preflight sent %s %s", r.Method, r.Path)
		}
	}
}

// TestSimulatorInventory parses the inventory the simulator writes for its
// scenario: it must be valid, without warnings, and its credential must be
// the leaked key's. (It lives here rather than in internal/inventory so
// that fuzzing that package does not instrument the simulator.)
func TestSimulatorInventory(t *testing.T) {
	s, err := sim.Start(context.Background(), sim.Options{Seed: 3, Repos: 5})
	if err != nil {
		t.Fatalf("start the simulator: %v", err)
	}
	defer s.Close()
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := s.WriteInventory(path); err != nil {
		t.Fatal(err)
	}
	inv, src, d, err := inventory.Load(path)
	if err != nil || inv == nil || len(d) != 0 {
		t.Fatalf("Load = %v, %v\n%s", err, d, src)
	}
	info := s.Scenario()
	c, err := inv.Match(info.ProjectID, info.LeakedKeyID, info.LeakedKeyName)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	if got, want := len(c.SecretTargets()), len(info.Repos); got < want {
		t.Errorf("%d secret targets, want at least the %d repositories", got, want)
	}
	if len(c.Workflows()) != 1 {
		t.Errorf("workflows: %v", c.Workflows())
	}
}

// Preflight checks a workflow target the way GitHub checks a dispatch: the
// workflow exists, the ref exists, the file on that ref declares
// workflow_dispatch, the inputs are declared and the required ones given,
// and the token can dispatch. Every problem is its own sentence, and only
// GET requests are sent.
func TestPreflightWorkflowsAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	sim, _ := ghWorld(t, githubsim.Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "ci.yml", ID: 7002}))
	must(sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "release.yml", ID: 7003, Dispatch: true,
		Inputs: []githubsim.WorkflowInput{{Name: "version", Required: true}, {Name: "channel", Required: true, Default: "stable"}}}))
	var writes []string
	var mu sync.Mutex
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			mu.Lock()
			writes = append(writes, r.Method+" "+r.URL.Path)
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	wf := func(workflow, ref string, inputs map[string]any) map[string]any {
		m := map[string]any{"type": "github-workflow", "repo": "acme/api", "workflow": workflow, "ref": ref}
		if inputs != nil {
			m["inputs"] = inputs
		}
		return m
	}
	run := func(tok string, workflows ...any) ([]string, error) {
		t.Helper()
		p, _ := ghProviders(t, counting, tok, githubapi.Limits{})
		res, err := steps.Preflight{P: p, Writers: p.Targets}.Apply(ctx, &step.Call{Incident: "inc", StepID: "preflight", Secrets: secret.NewRegistry(),
			Params: map[string]any{"workflows": workflows}})
		if res == nil {
			return nil, err
		}
		problems, _ := res.Outputs["problems"].([]string)
		return problems, err
	}

	// Everything right: the tag, a declared input, a required input with a
	// default left out.
	if problems, err := run(ghAdmin, wf("deploy.yml", "main", map[string]any{"reason": "rotation"}),
		wf("release.yml", "v2", map[string]any{"version": "2.0"}), wf("7001", "refs/heads/main", nil)); err != nil || len(problems) != 0 {
		t.Fatalf("valid workflows: %v %v", problems, err)
	}

	problems, err := run(ghAdmin,
		wf("nope.yml", "main", nil),
		wf("deploy.yml", "release", nil),
		wf("ci.yml", "main", nil),
		wf("release.yml", "main", map[string]any{"colour": "red"}),
	)
	if !errors.Is(err, step.ErrPreflight) || len(problems) != 5 {
		t.Fatalf("problems %d: %q (%v)", len(problems), problems, err)
	}
	for i, want := range []string{
		"github-workflow:acme/api:nope.yml@main: workflow nope.yml does not exist in acme/api: check the workflow's file name (or ID) in the inventory",
		"github-workflow:acme/api:deploy.yml@release: ref release does not exist in acme/api, so GitHub would refuse to run deploy.yml on it: give an existing branch or tag",
		"github-workflow:acme/api:ci.yml@main: workflow ci.yml of acme/api does not declare on: workflow_dispatch on main, so it cannot be started through the API: add workflow_dispatch",
		"github-workflow:acme/api:release.yml@main: workflow release.yml of acme/api does not declare input(s) colour (it declares version, channel), so GitHub would refuse the dispatch",
		"github-workflow:acme/api:release.yml@main: workflow release.yml of acme/api requires input version, which the target does not give and which has no default: add it",
	} {
		if !strings.HasPrefix(problems[i], want) {
			t.Errorf("problem %d:\n got %s\nwant %s…", i, problems[i], want)
		}
	}
	// A read-only token: the workflow is fine, the access is not.
	problems, _ = run(ghRead, wf("deploy.yml", "main", nil))
	if len(problems) != 1 || !strings.Contains(problems[0], "the GitHub token has read access to acme/api, and dispatching deploy.yml needs write access") {
		t.Errorf("read-only token: %q", problems)
	}
	if len(writes) != 0 {
		t.Errorf("preflight sent %v", writes)
	}
	if len(sim.Runs()) != 0 {
		t.Errorf("preflight started runs")
	}
}
