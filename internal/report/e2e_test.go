package report_test

import (
	"bytes"
	"context"
	"github.com/respondhq/respond/internal/plugin"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/playbooks"
	"github.com/respondhq/respond/steps"
)

type yes struct{}

func (yes) Approve(context.Context, string) (step.Approval, error) {
	return step.Approval{Approved: true, By: "tester", How: "--yes"}, nil
}

type quiet struct{}

func (quiet) Planned(*engine.Plan)                             {}
func (quiet) StepStarted(engine.Instance)                      {}
func (quiet) StepLog(engine.Instance, string)                  {}
func (quiet) StepFinished(engine.Instance, engine.StepOutcome) {}

// TestEndToEndAgainstSimulator runs the built-in leaked-key playbook
// through the real engine, step kinds and clients against the simulator
// (one scenario per case), writes the reports the way the CLI does, and
// checks what they say and that no secret of the run is in any of them.
func TestEndToEndAgainstSimulator(t *testing.T) {
	for _, scenario := range []string{"", "provider-disabled"} {
		name := scenario
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) { runScenario(t, scenario) })
	}
}

func runScenario(t *testing.T, scenario string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := sim.Start(ctx, sim.Options{Seed: 7, Scenario: scenario})
	if err != nil {
		t.Skipf("the simulator does not start with scenario %q: %v", scenario, err)
	}
	t.Cleanup(func() { s.Close() })
	env, info := s.Env(), s.Scenario()
	p := steps.NewProviders(plugin.New(func(k string) string { return env[k] }, nil, nil))
	writers := p.Targets
	cat, err := steps.NewCatalog(p.Kind("openai.identify_key"), steps.InventoryTargets{}, steps.Preflight{P: p, Writers: writers},
		(p).Kind("openai.revoke_key"), (p).Kind("openai.verify_key"), (p).Kind("openai.create_replacement"), steps.Deploy{Writers: writers},
		steps.GitHubDispatchWorkflow{P: p}, steps.GitHubResolveAlert{P: p}, (p).Kind("openai.key_usage"))
	if err != nil {
		t.Fatal(err)
	}
	src, ok := playbooks.Source("leaked-key")
	if !ok {
		t.Fatal("no built-in leaked-key playbook")
	}
	pb, diags := playbook.Parse("leaked-key.yaml", src, cat)
	if diags.HasErrors() {
		t.Skipf("the leaked-key playbook does not validate against the step kinds yet: %v", diags.Err())
	}

	store := incident.NewStore(t.TempDir())
	inc, err := store.Create(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inc.Dir, report.PlaybookCopy), src, 0o600); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	envFile := filepath.Join(work, ".env")
	if err := os.WriteFile(envFile, []byte("A=1\nOPENAI_API_KEY="+s.LeakedKeyValue()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var targets []any
	for _, r := range info.Repos {
		targets = append(targets, map[string]any{"type": "github-actions", "repo": r, "secret": info.SecretName})
	}
	targets = append(targets,
		map[string]any{"type": "dotenv", "path": envFile, "var": "OPENAI_API_KEY"},
		map[string]any{"type": "github-workflow", "repo": info.WorkflowRepo, "workflow": info.Workflow, "ref": info.WorkflowRef})
	creds := []any{map[string]any{"name": "openai-prod", "project": info.ProjectID, "key_id": info.LeakedKeyID, "targets": targets}}

	reg := secret.NewRegistry()
	leaked := secret.New(s.LeakedKeyValue())
	reg.Add(leaked, secret.New(env["OPENAI_ADMIN_KEY"]), secret.New(env["GITHUB_TOKEN"]))
	inputs, err := playbook.ResolveInputs(pb, map[string]string{"alert": info.Alert, "key_id": info.LeakedKeyID, "project": info.ProjectID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	inputs["credentials"] = creds
	// Optional inputs the CLI fills in when absent (the playbook refers
	// to them): no leaked value on standard input.
	if _, ok := inputs["key"]; !ok {
		inputs["key"] = secret.Value{}
	}
	jw, err := journal.Open(inc.JournalPath(), journal.GenerateKey().For(inc.ID), reg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Options{Playbook: pb, Catalog: cat, Inputs: inputs, Incident: inc.ID, Dir: inc.Dir, WorkDir: work,
		Journal: jw, Secrets: reg, Observer: quiet{}, Approver: yes{}, Command: "respond leaked-key",
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	out, runErr := e.Run(ctx)
	jw.Close()
	if runErr != nil && out.Status != "partial" {
		t.Fatalf("the run ended %s: %v", out.Status, runErr)
	}

	paths, err := report.WriteIncident(inc)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("paths %v", paths)
	}
	r, err := report.Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Summary.Contained || r.Metrics.TimeToContain == nil || r.Key == nil || r.Key.ID != info.LeakedKeyID {
		t.Errorf("summary %+v, metrics %+v, key %+v", r.Summary, r.Metrics, r.Key)
	}
	if r.Detection.Source != "github-secret-scanning" || r.Exposure == nil || !r.Exposure.StartKnown {
		t.Errorf("detection %+v exposure %+v", r.Detection, r.Exposure)
	}
	if scenario == "provider-disabled" && !r.Key.AlreadyDisabled {
		t.Error("the report does not say the provider had already disabled the key")
	}
	if r.Replacement == nil || !r.Replacement.Verified {
		t.Errorf("replacement %+v", r.Replacement)
	}
	if r.Usage == nil || !r.Usage.Available {
		t.Errorf("usage %+v", r.Usage)
	}
	if out.Status == "completed" && !r.Summary.Recovered {
		t.Errorf("a completed run that did not recover: %+v", r.Targets)
	}
	secrets := []string{s.LeakedKeyValue(), env["OPENAI_ADMIN_KEY"], env["GITHUB_TOKEN"], info.ReadOnlyToken}
	newEnv, _ := os.ReadFile(envFile)
	for _, line := range strings.Split(string(newEnv), "\n") {
		if v, ok := strings.CutPrefix(line, "OPENAI_API_KEY="); ok && v != "" {
			secrets = append(secrets, v) // the replacement
		}
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range secrets {
			if len(v) > 12 && bytes.Contains(b, []byte(v)) {
				t.Errorf("%s contains a secret value (%s)", filepath.Base(p), secret.Redact(v))
			}
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", p, fi.Mode().Perm())
		}
	}
}
