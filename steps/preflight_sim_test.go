package steps_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/openaiapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
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
		return &steps.Providers{
			OpenAI: func() (steps.OpenAI, error) {
				return openaiapi.New(openaiapi.Config{BaseURL: env["OPENAI_BASE_URL"], AdminKey: secret.New(env["OPENAI_ADMIN_KEY"])})
			},
			GitHub: func() (steps.GitHub, error) {
				return githubapi.New(githubapi.Config{BaseURL: env["GITHUB_API_URL"], Token: secret.New(ghToken)})
			},
		}
	}
	dir := t.TempDir()
	workflow := map[string]any{"type": "github-workflow", "repo": info.WorkflowRepo, "workflow": info.Workflow, "ref": info.WorkflowRef}
	call := func(params map[string]any) *step.Call {
		return &step.Call{Incident: "inc", StepID: "preflight", Params: params, Secrets: secret.NewRegistry(), Dir: dir}
	}
	writers := map[string]steps.TargetWriter{"dotenv": steps.DotenvWriter{}}

	// Everything reachable: no problem.
	p := steps.Preflight{P: providers(env["GITHUB_TOKEN"]), Writers: writers}
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
	p = steps.Preflight{P: providers(info.ReadOnlyToken), Writers: writers}
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
