package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/ui"
)

// drillScenario is a simulator world plus the trouble injected into it.
type drillScenario struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	World       string      `json:"world"` // the simulator scenario
	Faults      []sim.Fault `json:"faults,omitempty"`
}

func drillScenarios() []drillScenario {
	var out []drillScenario
	for _, s := range sim.ListScenarios() {
		out = append(out, drillScenario{Name: s.Name, Description: s.Description, World: s.Name})
	}
	return append(out,
		drillScenario{
			Name:        "rate-limited",
			Description: "As leaked-key, but GitHub pushes back while you deploy: secondary rate limits and a 429 on secret writes. respond must back off and still finish.",
			World:       "leaked-key",
			Faults: []sim.Fault{
				{Method: "PUT", Path: "/repos/*/*/actions/secrets/*", RateLimit: sim.RateLimitSecondary, Count: 3, RetryAfter: sim.Duration(time.Second)},
				{Method: "PUT", Path: "/repos/*/*/dependabot/secrets/*", RateLimit: "429", Count: 1, RetryAfter: sim.Duration(time.Second)},
			},
		},
		drillScenario{
			Name:        "failing-target",
			Description: "As leaked-key, but one repository keeps answering 502 to secret writes: the key is contained, recovery is not complete (exit 5), and `respond resume` finishes once GitHub recovers.",
			World:       "leaked-key",
			Faults: []sim.Fault{
				{Method: "PUT", Path: "/repos/*/*/environments/*/secrets/*", Status: 502, Count: 0},
			},
		},
	)
}

type drillOptions struct {
	runOptions
	List    bool
	Seed    int64
	Repos   int
	Latency time.Duration
}

func newDrillCmd(f *Factory) *cobra.Command {
	o := &drillOptions{}
	cmd := &cobra.Command{
		Use:   "drill [SCENARIO]",
		Short: "Run a scored leaked-key drill against the built-in simulator (no credentials needed)",
		Long: `Practise incident response: respond starts its simulator of OpenAI and GitHub
in-process, seeds a believable organization with a leaked key (an alert, the
key deployed to repository, environment, organization and Dependabot
secrets), injects the scenario's trouble, and runs the leaked-key playbook
against it. On a terminal you are asked at each decision; otherwise it runs
straight through. It ends with the summary and a score: time to contain,
time to recover and mistakes. Nothing real is touched.`,
		Example: `  respond drill                   # the default scenario
  respond drill --list            # scenarios
  respond drill rate-limited --seed 7 --repos 20`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, s := range drillScenarios() {
				names = append(names, s.Name)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.List {
				return listDrills(f)
			}
			name := sim.DefaultScenario
			if len(args) == 1 {
				name = args[0]
			}
			return runDrill(cmd.Context(), f, o, name)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.List, "list", false, "list the scenarios")
	fl.Int64Var(&o.Seed, "seed", 1, "seed of the simulated world (the same seed gives the same world)")
	fl.IntVar(&o.Repos, "repos", sim.DefaultRepos, "how many repositories hold the leaked key")
	fl.DurationVar(&o.Latency, "latency", 0, "latency added to every simulated API response")
	fl.BoolVar(&o.DryRun, "dry-run", false, "show the plan and stop")
	return cmd
}

func listDrills(f *Factory) error {
	list := drillScenarios()
	if f.JSON() {
		return writeJSON(f, list)
	}
	rows := [][]string{}
	for _, s := range list {
		rows = append(rows, []string{s.Name, oneLine(s.Description, 110)})
	}
	return ui.Table(f.IO.Out, []string{"SCENARIO", "WHAT HAPPENS"}, rows)
}

func runDrill(ctx context.Context, f *Factory, o *drillOptions, name string) error {
	var sc *drillScenario
	for _, s := range drillScenarios() {
		if s.Name == name {
			s := s
			sc = &s
		}
	}
	if sc == nil {
		var names []string
		for _, s := range drillScenarios() {
			names = append(names, s.Name)
		}
		return &UsageError{fmt.Errorf("no drill scenario %q; scenarios: %s (see respond drill --list)", name, strings.Join(names, ", "))}
	}
	s, err := sim.Start(ctx, sim.Options{Scenario: sc.World, Seed: o.Seed, Repos: o.Repos, Latency: o.Latency})
	if err != nil {
		return fmt.Errorf("start the simulator: %w", err)
	}
	defer s.Close()
	for _, fl := range sc.Faults {
		if _, err := s.AddFault(fl); err != nil {
			return fmt.Errorf("inject the scenario's trouble: %w", err)
		}
	}
	// The drill's world is the simulator: its endpoints and tokens replace
	// whatever the environment says.
	env := s.Env()
	f.UseEnv(func(k string) string { return env[k] })
	if !f.IO.CanPrompt() {
		f.Yes = true // nothing real is changed: a drill without a terminal runs straight through
	}
	info := s.Scenario()
	dir, err := os.MkdirTemp("", "respond-drill-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	invPath := filepath.Join(dir, "respond.yaml")
	if err := s.WriteInventory(invPath); err != nil {
		return err
	}
	f.Inventory = invPath
	if !f.JSON() {
		fmt.Fprintf(f.IO.ErrOut, "Drill %q: %s\nThe alert: %s (key %s %q, project %s). Simulator at %s.\n\n",
			sc.Name, oneLine(sc.Description, 200), info.Alert, info.LeakedKeyID, info.LeakedKeyName, info.ProjectID, s.URL())
	}
	ko := &keyOptions{runOptions: o.runOptions, Alert: info.Alert}
	if info.ProviderRevokedAt != "" {
		// OpenAI's e-mail about a key it disabled names the key: the key
		// is no longer listed, so its ID comes from there.
		ko.KeyID, ko.Project = info.LeakedKeyID, info.ProjectID
	}
	id, runErr := runKeyPlaybook(ctx, f, ko, "leaked-key")
	if o.DryRun || f.JSON() || id == "" {
		return runErr
	}
	score(f, id, runErr)
	return runErr
}

// score prints the drill's result from the incident's journal.
func score(f *Factory, id string, runErr error) {
	inc, err := incident.NewStore(f.StateDir).Open(id)
	if err != nil {
		return
	}
	recs, err := journal.ReadFile(inc.JournalPath())
	if err != nil {
		return
	}
	sum := incident.Summarize(id, recs)
	var recovered *time.Duration
	mistakes := 0
	for _, r := range recs {
		if r.Type == journal.StepFinished && r.Status == journal.StatusFailed {
			mistakes++
		}
		if r.Type == journal.StepFinished && r.Step == "verify-replacement" && r.Status == journal.StatusOK {
			d := r.Time.Sub(sum.Started)
			recovered = &d
		}
	}
	if runErr != nil {
		recovered = nil
	}
	fmtD := func(d *time.Duration) string {
		if d == nil {
			return "not reached"
		}
		return d.Round(time.Millisecond).String()
	}
	points := 100
	if sum.TimeToContain == nil {
		points -= 50
	} else if *sum.TimeToContain > 5*time.Minute {
		points -= 20
	}
	if recovered == nil {
		points -= 30
	}
	points -= 5 * min(mistakes, 4)
	var ee *engine.PartialError
	outcome := "recovered"
	switch {
	case errors.As(runErr, &ee):
		outcome = "contained, not fully recovered: fix the failing targets and run `respond resume " + sum.ID + "`"
	case runErr != nil:
		outcome = "not finished: " + oneLine(runErr.Error(), 120)
	}
	p := ui.Palette{Enabled: f.IO.ColorEnabled()}
	fmt.Fprintf(f.IO.Out, "\n%s\n", p.Bold("Drill score:"))
	_ = ui.Table(f.IO.Out, []string{"MEASURE", "VALUE"}, [][]string{
		{"time to contain", fmtD(sum.TimeToContain)},
		{"time to recover", fmtD(recovered)},
		{"failed attempts", fmt.Sprint(mistakes)},
		{"outcome", outcome},
		{"score", fmt.Sprintf("%d/100", max(points, 0))},
	})
}
