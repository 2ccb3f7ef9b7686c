package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/atomicfile"
	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/ui"
)

func newDrillStartCmd(f *Factory, o *drillOptions) *cobra.Command {
	var addr, name, envFile string
	var noIdeal bool
	cmd := &cobra.Command{
		Use:   "start [SCENARIO|FILE]",
		Short: "Start a live drill: the simulator, its clock, a briefing and the first trainee's exports",
		Long: `Start a live training drill and serve it until ` + "`respond drill end`" + ` (or Ctrl-C, which
ends and scores it too). It prints the briefing card (what is known, the
goal, the rules, the clock), the exports for the first trainee (--name) and
the inventory they work with. Trainees respond from their own shells with
the ordinary commands: respond leaked-key, resume, incidents, inventory, gh,
curl. Nothing is pre-filled: they find the alert, identify the key, decide.

Others join from their terminals with ` + "`respond drill join --name NAME`" + `; anyone can
watch with ` + "`respond drill status`" + `; the facilitator fires trouble with
` + "`respond drill inject NAME`" + ` and ends it with ` + "`respond drill end`" + `, which scores the
outcome beside the ideal run and writes the debrief.

The drill's directory (--drill, default under the state directory's
drills/) holds its record, the trainees' working directory with the team's
inventory, the drill's own state directory (its incidents never mix with
real ones) and, at the end, the debrief.`,
		Example: `  respond drill start                           # the default scenario
  respond drill start forgotten-repo --name alice
  respond drill start ./my-scenario.yaml --env-file alice.env &`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return drill.Names(), cobra.ShellCompDirectiveDefault
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := drill.DefaultScenario
			if len(args) == 1 {
				name = args[0]
			}
			return runDrillStart(cmd.Context(), f, o, name, addr, personName(nameFlag(name, cmd)), envFile, !noIdeal)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:0", "address the simulator listens on")
	fl.StringVar(&name, "name", "", "the first trainee's name (default: your user name)")
	fl.StringVar(&envFile, "env-file", "", "also write the first trainee's exports to this `FILE`, for a shell to source (removed when the drill ends)")
	fl.BoolVar(&noIdeal, "no-ideal", false, "do not run the ideal run to compare with")
	addWorldFlags(cmd, o)
	return cmd
}

func nameFlag(_ string, cmd *cobra.Command) string {
	v, _ := cmd.Flags().GetString("name")
	return v
}

func runDrillStart(ctx context.Context, f *Factory, o *drillOptions, scenario, addr, name, envFile string, ideal bool) error {
	sc, src, err := loadScenario(f, o, scenario)
	if err != nil {
		return err
	}
	id := drill.NewID(time.Now())
	dir := o.Dir
	if dir == "" {
		dir = filepath.Join(drillsDir(f), id)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
	}
	d, err := drill.Start(ctx, drill.Config{Scenario: sc, Source: src, Dir: dir, ID: id, Addr: addr, Mode: drill.Live,
		Facilitator: name, Responder: drillResponder(f), Ideal: ideal, Latency: o.Latency})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := os.MkdirAll(drillsDir(f), 0o700); err == nil {
		_ = atomicfile.Write(currentFile(f), []byte(d.Dir()+"\n"), nil)
	}
	j, err := d.Join(name)
	if err != nil {
		return err
	}
	exports := exportLines(j)
	if envFile != "" {
		if err := atomicfile.Write(envFile, []byte(exports), nil); err != nil {
			return fmt.Errorf("write the exports to %s: %w", envFile, err)
		}
		defer os.Remove(envFile)
	}
	w := unwrapWriter(f.IO.Out)
	printCard(w, f, d)
	fmt.Fprintf(w, "# Exports for %s (others: eval \"$(respond drill join --name NAME)\"):\n%s", j.Trainee, exports)
	fmt.Fprintf(w, "# inventory: %s (work in %s: cd %s)\n", j.Inventory, j.WorkDir, shq(j.WorkDir))
	fmt.Fprintf(w, "# gh: %s gh api /orgs/%s/repos\n", j.GHHint, d.Info().Org)
	if envFile != "" {
		fmt.Fprintf(w, "# exports also in %s (. %s)\n", envFile, shq(envFile))
	}
	fmt.Fprintf(w, "# drill %s in %s; live view: respond drill status; end: respond drill end (or Ctrl-C here)\n", d.ID(), d.Dir())
	if fl, ok := w.(interface{ Sync() error }); ok {
		_ = fl.Sync()
	}

	select {
	case <-ctx.Done():
		fmt.Fprintln(f.IO.ErrOut, "\nEnding the drill: scoring it and writing the debrief…")
	case <-d.Ended():
	}
	res, err := d.End("facilitator (signal)")
	if err != nil {
		return err
	}
	if b, err := os.ReadFile(currentFile(f)); err == nil && strings.TrimSpace(string(b)) == d.Dir() {
		_ = os.Remove(currentFile(f))
	}
	if !f.JSON() {
		fmt.Fprintf(f.IO.ErrOut, "Drill %s ended: score %.1f/100. Debrief: %s\n", d.ID(), res.Score.Total, strings.Join(res.Debrief, ", "))
	}
	return nil
}

// printCard prints the briefing card: what is known, the goal, the rules,
// the clock. Never cut off: long lines wrap.
func printCard(w io.Writer, f *Factory, d *drill.Drill) {
	sc, info := d.Scenario(), d.Info()
	p := ui.Palette{Enabled: f.IO.ColorEnabled()}
	width := f.IO.TerminalWidth()
	fmt.Fprintf(w, "%s %s · %s\n\n", p.Bold("DRILL"), sc.Title, p.Dim(sc.Name+", "+d.ID()))
	fmt.Fprintln(w, p.Bold("What is known"))
	writeWrapped(w, drill.Expand(sc.Briefing, info, teammateName(sc)), width, "  ", "  ")
	fmt.Fprintln(w)
	if sc.Goal != "" {
		fmt.Fprintln(w, p.Bold("Goal"))
		writeWrapped(w, drill.Expand(sc.Goal, info, teammateName(sc)), width, "  ", "  ")
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, p.Bold("Rules"))
	for _, rule := range drillRules {
		writeWrapped(w, rule, width, "  - ", "    ")
	}
	fmt.Fprintf(w, "\n%s started %s UTC\n\n", p.Bold("Clock"), d.Record().Started.Format("15:04:05"))
}

// drillRules are the rules on every briefing card.
var drillRules = []string{
	"Respond from your own terminal with the ordinary commands: respond (leaked-key, resume, incidents, inventory), gh and curl. Nothing is pre-filled: find the alert, identify the key, decide.",
	"The clock is running: an attacker spends with the leaked key every second it lives, and every service that holds a dead key is down until it gets a working one.",
	"Nothing is real: the keys, repositories and services are simulated, and the drill keeps its incidents in its own directory.",
	"Scored by outcomes when the facilitator ends it: time to contain, attacker spend, downtime, stale targets, orphaned keys, the alert, the report.",
}

// exportLines are the shell exports of a trainee.
func exportLines(j *drill.Joined) string {
	var b strings.Builder
	for _, e := range j.Exports {
		fmt.Fprintf(&b, "export %s=%s\n", e.Name, shq(e.Value))
	}
	return b.String()
}

// shq quotes s for a POSIX shell when it holds anything beyond characters
// that are always safe.
func shq(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func newDrillJoinCmd(f *Factory, o *drillOptions) *cobra.Command {
	var name, envFile string
	cmd := &cobra.Command{
		Use:   "join",
		Short: "Join a running drill as a trainee: your own credentials, printed as shell exports",
		Long: `Join the running drill under a name (default: your user name). You get a
GitHub token and an OpenAI admin key of your own on the simulator, so the
debrief attributes every call you make to you. The exports go to standard
output, ready for eval; the briefing goes to standard error.`,
		Example: `  eval "$(respond drill join --name bob)"
  respond drill join --name bob --env-file bob.env && . ./bob.env`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := findDrill(f, o)
			if err != nil {
				return err
			}
			j, err := drill.NewClient(rec).Join(cmd.Context(), personName(name))
			if err != nil {
				return err
			}
			exports := exportLines(j)
			if envFile != "" {
				if err := atomicfile.Write(envFile, []byte(exports), nil); err != nil {
					return fmt.Errorf("write the exports to %s: %w", envFile, err)
				}
			}
			if f.JSON() {
				return writeJSON(f, j)
			}
			w := unwrapWriter(f.IO.Out)
			fmt.Fprintf(w, "# %s joins drill %s (%s)\n%s", j.Trainee, rec.ID, rec.Title, exports)
			fmt.Fprintf(w, "# inventory: %s (work in %s: cd %s)\n# gh: %s gh api /user\n", j.Inventory, j.WorkDir, shq(j.WorkDir), j.GHHint)
			fmt.Fprintf(f.IO.ErrOut, "DRILL %s: joined as %s\n", j.Title, j.Trainee)
			writeWrapped(f.IO.ErrOut, j.Briefing, f.IO.TerminalWidth(), "  ", "  ")
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "your name in the debrief (default: your user name)")
	cmd.Flags().StringVar(&envFile, "env-file", "", "also write the exports to this `FILE`")
	return cmd
}

func newDrillStatusCmd(f *Factory, o *drillOptions) *cobra.Command {
	var once bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "The drill now: clock, exposure, attacker spend, services up or down, targets on the replacement",
		Long: `Show the running drill: its clock, how long the leaked key has been exposed,
what the attacker has spent, which services are up or down (and for how
long), how many targets hold the working replacement, open alerts and the
injects so far. On a terminal the view refreshes every second until the
drill ends (or Ctrl-C); piped, or with --once, it prints once; with
--output json, the status as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := findDrill(f, o)
			if err != nil {
				return err
			}
			return drillStatus(cmd.Context(), f, rec, once)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "print once, even on a terminal")
	return cmd
}

func drillStatus(ctx context.Context, f *Factory, rec *drill.Record, once bool) error {
	c := drill.NewClient(rec)
	live := f.IO.IsStdoutTTY() && !once && !f.JSON()
	w := f.IO.Out
	p := ui.Palette{Enabled: f.IO.ColorEnabled()}
	shown := false
	for {
		st, err := c.Status(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, drill.ErrNotRunning) && shown:
			fmt.Fprintln(w, "The drill has ended.")
			f.IO.Flush()
			if r, rerr := drill.ReadRecord(rec.Dir); rerr == nil && len(r.Debrief) > 0 {
				fmt.Fprintf(w, "Debrief: %s\n", strings.Join(r.Debrief, ", "))
			}
			return nil
		case err != nil:
			if r, rerr := drill.ReadRecord(rec.Dir); rerr == nil && r.Ended != nil {
				return fmt.Errorf("drill %s ended at %s; its debrief: %s", r.ID, r.Ended.Format("15:04:05"), strings.Join(r.Debrief, ", "))
			}
			return err
		}
		if f.JSON() {
			return writeJSON(f, st)
		}
		frame := renderStatus(st, p, f.IO.TerminalWidth())
		if live {
			// respond's own screen control (home, clear) goes to the
			// terminal itself; the frame, built from the scenario's
			// names, through the masking and cleaning writers.
			f.IO.Flush()
			_, _ = io.WriteString(rawWriter(f.IO.Out), "\x1b[H\x1b[2J")
		}
		if _, err := io.WriteString(w, frame); err != nil {
			return nil
		}
		f.IO.Flush()
		shown = true
		if !live || st.Ended {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// renderStatus is one frame of the live view.
func renderStatus(st *drill.Status, p ui.Palette, width int) string {
	var b strings.Builder
	clock := (time.Duration(st.ElapsedSeconds) * time.Second).String()
	fmt.Fprintf(&b, "%s %s · %s · clock %s\n", p.Bold("DRILL"), st.Title, st.Scenario, clock)
	leak := p.Red("LEAKING")
	if st.Contained {
		leak = p.Green("contained")
	}
	fmt.Fprintf(&b, "  leak         %s, exposed %s, attacker spent $%.2f\n", leak, secs(st.ExposureSeconds), st.AttackerCostUSD)
	up := 0
	for _, c := range st.Consumers {
		if c.Up {
			up++
		}
	}
	fmt.Fprintf(&b, "  services     %d up, %d down\n", up, len(st.Consumers)-up)
	for _, c := range st.Consumers {
		mark, state := p.Green("✓"), "up"
		if !c.Up {
			mark, state = p.Red("✗"), p.Red("DOWN")
		}
		down := ""
		if c.DowntimeSeconds >= 0.05 {
			down = "  downtime " + secs(c.DowntimeSeconds)
		}
		fmt.Fprintf(&b, "    %s %-44s %s%s\n", mark, fit(c.Name, 44), state, down)
	}
	if st.Replacement != "" {
		fmt.Fprintf(&b, "  targets      %d of %d hold the working replacement %s\n", st.TargetsReplaced, st.Targets, st.Replacement)
	} else {
		fmt.Fprintf(&b, "  targets      none of %d holds a working replacement yet\n", st.Targets)
	}
	fmt.Fprintf(&b, "  alerts       %d open on a leaked key\n", st.AlertsOpen)
	if len(st.Injects) > 0 {
		var in []string
		for _, x := range st.Injects {
			in = append(in, fmt.Sprintf("%s (%s, %s)", x.Name, x.At.Sub(st.Started).Round(time.Second), x.By))
		}
		fmt.Fprintf(&b, "  injects      %s\n", strings.Join(in, ", "))
	}
	fmt.Fprintf(&b, "  trainees     %s\n", strings.Join(st.Trainees, ", "))
	if st.Ended && st.Score != nil {
		fmt.Fprintf(&b, "  ended        score %.1f/100\n", *st.Score)
	}
	_ = width
	return b.String()
}

// rawWriter is the stream beneath every wrapping writer (masking,
// cleaning): the terminal itself.
func rawWriter(w io.Writer) io.Writer {
	for {
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

func secs(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func fit(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func newDrillInjectCmd(f *Factory, o *drillOptions) *cobra.Command {
	var by string
	var list bool
	cmd := &cobra.Command{
		Use:   "inject NAME",
		Short: "Add trouble to the running drill: rate limits, a 5xx storm, a second leak, a failing target…",
		Long: `Fire an inject into the running drill, now: one the scenario declares (with
its parameters), or any inject kind with its defaults. It changes the
simulated world at once (the request log shows it) and appears in the
debrief's timeline. --list shows what can be fired; it is for the
facilitator (it tells the scenario's twists).

Kinds:
` + injectKindsHelp(),
		Example: `  respond drill inject --list
  respond drill inject rate-limit
  respond drill inject second-leak --by facilitator`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := findDrill(f, o)
			if err != nil {
				return err
			}
			if list {
				return listInjects(f, rec)
			}
			fired, err := drill.NewClient(rec).Inject(cmd.Context(), args[0], personName(by))
			if err != nil {
				return err
			}
			if f.JSON() {
				return writeJSON(f, fired)
			}
			fmt.Fprintf(f.IO.Out, "Inject %s fired at %s by %s: %s\n", fired.Name, fired.At.Format("15:04:05"), fired.By, fired.Detail)
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who fires it, for the debrief (default: your user name)")
	cmd.Flags().BoolVar(&list, "list", false, "list the injects the drill can fire (facilitator only: it tells the twists)")
	return cmd
}

func injectKindsHelp() string {
	var b strings.Builder
	for _, k := range drill.InjectKinds {
		fmt.Fprintf(&b, "  %-16s %s\n", k.Kind, k.What)
	}
	return b.String()
}

func listInjects(f *Factory, rec *drill.Record) error {
	sc, _, _, err := drill.Load(filepath.Join(rec.Dir, drill.ScenarioFile))
	if err != nil {
		return fmt.Errorf("read the drill's scenario: %w", err)
	}
	rows := [][]string{}
	for _, in := range sc.Injects {
		when := "when fired"
		switch {
		case in.When != "":
			when = fmt.Sprintf("%s after %s", in.At, in.When)
		case in.Timed:
			when = "at " + in.At.String()
		}
		rows = append(rows, []string{in.Name, in.Kind, when, in.Description})
	}
	for _, k := range drill.InjectKinds {
		if sc.FindInject(k.Kind) != nil && !declared(sc, k.Kind) {
			rows = append(rows, []string{k.Kind, k.Kind, "when fired", k.What})
		}
	}
	if f.JSON() {
		return writeJSON(f, sc.Injects)
	}
	return ui.Table(f.IO.Out, []string{"INJECT", "KIND", "WHEN", "WHAT"}, rows)
}

func declared(sc *drill.Scenario, name string) bool {
	for _, in := range sc.Injects {
		if in.Name == name {
			return true
		}
	}
	return false
}

func newDrillEndCmd(f *Factory, o *drillOptions) *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "end",
		Short: "End the running drill: freeze the world, score it beside the ideal run, write the debrief",
		Long: `End the running drill: the simulated world freezes, the outcome is scored
(time to contain, attacker spend, downtime per service, targets left stale,
orphaned keys, alerts resolved with a comment, a report) with the
scenario's rubric, beside the ideal run (the reference playbook on the same
seed), and the debrief is written in Markdown, HTML and JSON. --output json
gives the score.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := findDrill(f, o)
			if err != nil {
				return err
			}
			res, err := drill.NewClient(rec).End(cmd.Context(), personName(by))
			if err != nil {
				if r, rerr := drill.ReadRecord(rec.Dir); rerr == nil && r.Ended != nil && errors.Is(err, drill.ErrNotRunning) {
					return fmt.Errorf("drill %s ended already at %s; its debrief: %s", r.ID, r.Ended.Format("15:04:05"), strings.Join(r.Debrief, ", "))
				}
				return err
			}
			if f.JSON() {
				return writeJSON(f, res)
			}
			printScore(f, &res.Score, res.Ideal)
			if res.IdealError != "" {
				fmt.Fprintf(f.IO.ErrOut, "note: no ideal run to compare with: %s\n", res.IdealError)
			}
			fmt.Fprintf(f.IO.Out, "\nDebrief: %s\n", strings.Join(res.Debrief, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who ends it, for the debrief (default: your user name)")
	return cmd
}

func newDrillSchemaCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of drill scenario files",
		Long: `Print the JSON Schema (draft 2020-12) of drill scenario files, for editors
(yaml-language-server: add "# yaml-language-server: $schema=FILE" to a
scenario). respond drill validate is the authority: it also checks what a
schema cannot say.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := drill.Schema()
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(b)
			return err
		},
	}
}

func newDrillValidateCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check drill scenario files: every problem with file:line:col",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := false
			for _, name := range args {
				sc, src, diags, err := drill.Load(name)
				if len(diags) > 0 {
					diags.Render(f.IO.ErrOut, map[string][]byte{diagFile(nil, name): src}, f.IO.ColorEnabled())
				}
				switch {
				case errors.Is(err, drill.ErrInvalid):
					bad = true
				case err != nil:
					return &UsageError{err}
				default:
					fmt.Fprintf(f.IO.Out, "%s: ok (scenario %s: %s)\n", name, sc.Name, sc.Title)
				}
			}
			if bad {
				return &SilentError{Code: ExitUsage}
			}
			return nil
		},
	}
}
