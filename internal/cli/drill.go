package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/ui"
)

// drillsDir is where drills keep their directories: <state dir>/drills.
// In a shell that holds a drill's exports (whose RESPOND_STATE_DIR is
// that drill's own), it is where that drill was kept, so the next round
// sits beside it rather than inside it.
func drillsDir(f *Factory) string {
	if dir := f.providers.getenv(drill.EnvDrill); dir != "" {
		if rec, err := drill.ReadRecord(dir); err == nil && filepath.Clean(rec.StateDir) == filepath.Clean(f.StateDir) {
			if parent := filepath.Dir(filepath.Clean(rec.Dir)); filepath.Base(parent) == "drills" {
				return parent
			}
		}
	}
	return filepath.Join(f.StateDir, "drills")
}

// currentFile names the drill that join, status, inject and end find
// without --drill.
func currentFile(f *Factory) string { return filepath.Join(drillsDir(f), "current") }

type drillOptions struct {
	Dir     string // --drill
	List    bool
	Seed    int64
	Repos   int
	Latency time.Duration
}

func newDrillCmd(f *Factory) *cobra.Command {
	o := &drillOptions{}
	cmd := &cobra.Command{
		Use:   "drill [SCENARIO]",
		Short: "Training drills: a live simulated incident, or the automatic scored demonstration",
		Long: `Practise incident response on respond's simulator of OpenAI and GitHub: nothing
real is touched and no credentials are needed.

  respond drill [SCENARIO]     the automatic demonstration: respond responds by
                               itself to a live simulated leak (an attacker
                               spending with the key, services that break when
                               it dies), then scores the outcome
  respond drill start          a live drill for people, which you facilitate:
                               a briefing, a clock, trainees who respond from
                               their own terminals with the ordinary commands
                               (respond, gh, curl), injects, a score and a
                               debrief
  respond drill --list         the scenarios and the skills each trains

Drills keep their incidents in their own directory (under the state
directory's drills/), never among real ones, and mark them as drills in
journals and reports. See docs/drills.md.`,
		Example: `  respond drill                          # the demonstration, default scenario
  respond drill --list
  respond drill start forgotten-repo     # a live drill (serves until respond drill end)
  respond drill join --name bob          # in another terminal
  respond drill status                   # the live view
  respond drill inject rate-limit        # trouble, from the facilitator's shell
  respond drill end                      # score and debrief (the facilitator)`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return drill.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.List {
				return listDrills(f)
			}
			name := drill.DefaultScenario
			if len(args) == 1 {
				name = args[0]
			}
			return runDemo(cmd.Context(), f, o, name)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.List, "list", false, "list the scenarios and the skills each trains")
	addWorldFlags(cmd, o)
	cmd.PersistentFlags().StringVar(&o.Dir, "drill", "", "the drill's `DIR` (default $RESPOND_DRILL, else the drill started last)")
	cmd.AddCommand(newDrillStartCmd(f, o), newDrillJoinCmd(f, o), newDrillStatusCmd(f, o), newDrillInjectCmd(f, o),
		newDrillEndCmd(f, o), newDrillSchemaCmd(f), newDrillValidateCmd(f))
	return cmd
}

func addWorldFlags(cmd *cobra.Command, o *drillOptions) {
	fl := cmd.Flags()
	fl.Int64Var(&o.Seed, "seed", 0, "seed of the simulated world (default: the scenario's)")
	fl.IntVar(&o.Repos, "repos", 0, "how many repositories hold the leaked key (default: the scenario's)")
	fl.DurationVar(&o.Latency, "latency", 0, "latency added to every simulated API response")
}

// loadScenario loads a built-in scenario or a file, with --seed and
// --repos applied; a file with problems is shown with file:line:col.
func loadScenario(f *Factory, o *drillOptions, name string) (*drill.Scenario, []byte, error) {
	sc, src, diags, err := drill.Load(name)
	if len(diags) > 0 {
		diags.Render(f.IO.ErrOut, map[string][]byte{diagFile(diags, name): src}, f.IO.ColorEnabled())
	}
	switch {
	case errors.Is(err, drill.ErrInvalid):
		return nil, nil, &SilentError{Code: ExitUsage}
	case err != nil:
		return nil, nil, &UsageError{err}
	}
	if o.Seed != 0 {
		sc.World.Seed = o.Seed
	}
	if o.Repos != 0 {
		sc.World.Repos = o.Repos
	}
	return sc, src, nil
}

func diagFile(_ any, name string) string {
	if _, ok := drill.BuiltinSource(name); ok && !strings.ContainsAny(name, "/\\") {
		return "scenarios/" + name + ".yaml"
	}
	return name
}

func listDrills(f *Factory) error {
	list, err := drill.List()
	if err != nil {
		return err
	}
	if f.JSON() {
		return writeJSON(f, list)
	}
	rows := [][]string{}
	for _, s := range list {
		rows = append(rows, []string{s.Name, s.Title, strings.Join(s.Skills, ", ")})
	}
	if err := ui.FitTable(f.IO.Out, f.tableWidth(), []string{"SCENARIO", "TITLE", "TRAINS"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(f.IO.Out)
	writeWrapped(f.IO.Out, "respond drill SCENARIO runs the demonstration; respond drill start SCENARIO a live drill. A scenario file works too (respond drill schema).", f.IO.TerminalWidth(), "", "")
	return nil
}

// drillResponder carries out a drill's own runs of respond (the teammate,
// the ideal run, the demonstration) in this process, as `respond
// leaked-key` or `respond resume` would in a shell with the run's exports.
// A run with output is shown on f's streams; the others are silent.
func drillResponder(f *Factory) drill.Responder {
	return func(ctx context.Context, r drill.Run) (string, error) {
		ios := f.IO
		if r.Out == nil && r.ErrOut == nil {
			ios, _, _, _ = iostreams.Test()
		}
		sub := &Factory{IO: ios, Prompter: f.Prompter, Now: time.Now, StateDir: r.StateDir, Output: "text", Yes: !r.Interactive,
			Inventory: r.Inventory, drill: r.Drill, responder: r.Person, beforeStep: r.Stop, retrySleep: f.retrySleep}
		if !r.Interactive {
			prev := ios.CanPrompt()
			ios.SetNeverPrompt(true)
			if ios == f.IO && prev {
				defer ios.SetNeverPrompt(false)
			}
		}
		sub.UseEnv(func(k string) string { return r.Env[k] })
		if r.Resume != "" {
			sub.command = "respond resume " + r.Resume
			return r.Resume, resume(ctx, sub, r.Resume, &runOptions{})
		}
		ko := &keyOptions{Alert: r.Alert, KeyID: r.KeyID, Project: r.Project, Force: r.Force}
		sub.command = "respond leaked-key --alert " + r.Alert
		if r.KeyID != "" {
			sub.command += " --key-id " + r.KeyID + " --project " + r.Project
		}
		if r.Force {
			sub.command += " --force"
		}
		return runKeyPlaybook(ctx, sub, ko, "leaked-key")
	}
}

// personName is who is at this terminal: --name, else the OS user.
func personName(name string) string {
	if name != "" {
		return name
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "trainee"
}

// runDemo is `respond drill [SCENARIO]`: the scenario's world, live, and
// respond responding by itself as the ideal run would (asking at each
// decision on a terminal), then the score and the debrief.
func runDemo(ctx context.Context, f *Factory, o *drillOptions, name string) error {
	sc, src, err := loadScenario(f, o, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(drillsDir(f), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", drillsDir(f), err)
	}
	id := drill.NewID(time.Now()) + "-demo"
	dir := filepath.Join(drillsDir(f), id)
	d, err := drill.Start(ctx, drill.Config{Scenario: sc, Source: src, Dir: dir, ID: id, Mode: drill.Played, Facilitator: "demo",
		Responder: drillResponder(f), Latency: o.Latency})
	if err != nil {
		return err
	}
	defer d.Close()
	info := d.Info()
	p := ui.Palette{Enabled: f.IO.ColorEnabled()}
	if !f.JSON() {
		fmt.Fprintf(f.IO.ErrOut, "%s %s: %s\n", p.Bold("DRILL"), sc.Name, sc.Title)
		writeWrapped(f.IO.ErrOut, drill.Expand(sc.Briefing, info, teammateName(sc)), f.IO.TerminalWidth(), "  ", "  ")
		fmt.Fprintln(f.IO.ErrOut)
		demo := fmt.Sprintf("The demonstration: respond responds by itself on the simulator at %s, while an attacker "+
			"spends with the leaked key and the services that hold it run. Nothing real is touched.", d.Sim().URL())
		if f.IO.CanPrompt() && !f.Yes {
			demo += " As in a real incident at a terminal, respond shows its plan and asks before it changes anything: " +
				"answer y to apply it (the attacker's clock runs while you read; --yes answers for you)."
		}
		writeWrapped(f.IO.ErrOut, demo, f.IO.TerminalWidth(), "", "")
		fmt.Fprintln(f.IO.ErrOut)
	}
	say := func(format string, args ...any) {
		if !f.JSON() {
			fmt.Fprintf(f.IO.ErrOut, "\n%s %s\n", p.Bold("▶"), fmt.Sprintf(format, args...))
		}
	}
	var out, errOut io.Writer = f.IO.Out, f.IO.ErrOut
	if f.JSON() {
		out, errOut = nil, nil
	}
	playErr := d.Play(ctx, sc.Ideal, drill.Player{Name: "respond (demo)", Out: out, ErrOut: errOut, Interactive: f.IO.CanPrompt() && !f.Yes, Say: say})
	if playErr != nil && ctx.Err() != nil {
		return playErr
	}
	res, err := d.End("demo")
	if err != nil {
		return err
	}
	if f.JSON() {
		return writeJSON(f, res)
	}
	printScore(f, &res.Score, nil)
	state := filepath.Join(dir, drill.StateDir)
	if f.IO.TerminalWidth() > 0 {
		// Paths on lines of their own: a path does not wrap.
		fmt.Fprintf(f.IO.Out, "\nDebrief:\n  %s\n", strings.Join(res.Debrief, "\n  "))
		fmt.Fprintf(f.IO.Out, "The drill's incidents are kept apart from real ones (resume or report them\nwith the same --state-dir):\n  respond incidents --state-dir %s\n", state)
	} else {
		fmt.Fprintf(f.IO.Out, "\nDebrief: %s\n", strings.Join(res.Debrief, ", "))
		fmt.Fprintf(f.IO.Out, "The drill's incidents are kept apart from real ones: respond incidents --state-dir %s\n", state)
	}
	if playErr != nil {
		return playErr
	}
	return nil
}

func teammateName(sc *drill.Scenario) string {
	if sc.Teammate != nil {
		return sc.Teammate.Name
	}
	return ""
}

// printScore prints a score table (and the ideal run beside it), then why
// each measure scored what it did.
func printScore(f *Factory, s *drill.Score, ideal *drill.Score) {
	p := ui.Palette{Enabled: f.IO.ColorEnabled()}
	fmt.Fprintf(f.IO.Out, "\n%s %s\n", p.Bold("Drill score:"), p.Bold(fmt.Sprintf("%.1f/100", s.Total)))
	header := []string{"MEASURE", "RESULT", "POINTS"}
	if ideal != nil {
		header = append(header, "IDEAL RUN")
	}
	rows := [][]string{}
	for _, m := range s.Measures {
		row := []string{m.Label, m.Value, fmt.Sprintf("%.1f/%s", m.Points, strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", m.Max), "0"), "."))}
		if ideal != nil {
			im, _ := ideal.Measure(m.Name)
			row = append(row, fmt.Sprintf("%s (%.1f)", im.Value, im.Points))
		}
		rows = append(rows, row)
	}
	total := []string{"score", "", fmt.Sprintf("%.1f/100", s.Total)}
	if ideal != nil {
		total = append(total, fmt.Sprintf("%.1f/100", ideal.Total))
	}
	rows = append(rows, total)
	_ = ui.FitTable(f.IO.Out, f.tableWidth(), header, rows)
	fmt.Fprintln(f.IO.Out, "Why:")
	for _, m := range s.Measures {
		writeWrapped(f.IO.Out, m.Label+": "+m.Reason, f.IO.TerminalWidth(), "  ", "    ")
	}
}

// writeWrapped writes text with its paragraphs (split at blank lines)
// wrapped to width (80 when not a terminal): the first line of a
// paragraph after first, the others after rest. A briefing is never cut
// off.
func writeWrapped(w io.Writer, text string, width int, first, rest string) {
	if width <= 0 || width > 100 {
		width = 80
	}
	for i, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if i > 0 {
			fmt.Fprintln(w)
		}
		line, indent := first, first
		for _, word := range strings.Fields(para) {
			if len(line) > len(indent) && ui.StringWidth(line)+1+ui.StringWidth(word) > width {
				fmt.Fprintln(w, line)
				line, indent = rest, rest
			}
			if len(line) > len(indent) {
				line += " "
			}
			line += word
		}
		if len(line) > len(indent) {
			fmt.Fprintln(w, line)
		}
	}
}

// findDrill finds the drill a command works on: --drill, else
// $RESPOND_DRILL, else the one started last from this state directory.
func findDrill(f *Factory, o *drillOptions) (*drill.Record, error) {
	dir := o.Dir
	if dir == "" {
		dir = f.providers.getenv(drill.EnvDrill)
	}
	if dir == "" {
		b, err := os.ReadFile(currentFile(f))
		if err != nil {
			return nil, &UsageError{fmt.Errorf("no drill found: start one with `respond drill start`, or name its directory with --drill DIR (looked for %s)", currentFile(f))}
		}
		dir = strings.TrimSpace(string(b))
	}
	rec, err := drill.ReadRecord(dir)
	if err != nil {
		return nil, &UsageError{err}
	}
	return rec, nil
}

// drillInventory is where a trainee's respond finds the inventory: the
// drill's, unless there is ./respond.yaml or --inventory.
func drillInventory(f *Factory, rec *drill.Record) string {
	if f.Inventory != "" {
		return f.Inventory
	}
	if _, err := os.Stat(inventory.DefaultName); err == nil {
		return ""
	}
	return rec.Inventory
}

// enterDrill applies a drill's exports in a trainee's shell: with
// RESPOND_DRILL set, respond keeps its incidents in the drill's own state
// directory (never the real one, whatever RESPOND_STATE_DIR says, unless
// --state-dir is given), finds the drill's inventory when there is no
// ./respond.yaml, and marks every incident as the drill's, run by
// RESPOND_DRILL_TRAINEE. The drill commands themselves are left alone.
func enterDrill(cmd *cobra.Command, f *Factory) error {
	dir := f.providers.getenv(drill.EnvDrill)
	if dir == "" || f.drill != nil {
		return nil
	}
	for c := cmd; c != nil; c = c.Parent() {
		if c.Name() == "drill" || c.Name() == "sim" {
			return nil
		}
	}
	rec, err := drill.ReadRecord(dir)
	if err != nil {
		return &UsageError{fmt.Errorf("%s=%s: %w; unset %s outside a drill", drill.EnvDrill, dir, err, drill.EnvDrill)}
	}
	if !cmd.Flags().Changed("state-dir") {
		f.StateDir = rec.StateDir
	}
	f.Inventory = drillInventory(f, rec)
	trainee := f.providers.getenv(drill.EnvTrainee)
	if trainee == "" {
		trainee = personName("")
	}
	f.drill = map[string]any{"id": rec.ID, "scenario": rec.Scenario, "title": rec.Title, "trainee": trainee}
	f.responder = trainee
	return nil
}
