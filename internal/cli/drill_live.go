package cli

import (
	"bufio"
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
	var addr, name, envFile, facilitator string
	var noIdeal bool
	cmd := &cobra.Command{
		Use:   "start [SCENARIO|FILE]",
		Short: "Start a live drill: the simulator, its clock and the briefing; you are its facilitator",
		Long: `Start a live training drill and serve it until ` + "`respond drill end`" + ` (or Ctrl-C, which
ends and scores it too, or its time limit). It prints the briefing (what is
known, the goal, the roles, the rules, the time limit and halt conditions,
where things are) for the shared screen: no credential is printed.

Whoever starts the drill is its facilitator: the simulator's control API
(/_sim/, /_drill/) is theirs alone, through a control token kept in the
drill's facilitator directory (mode 0700). They type their commands into
the start window (inject NAME, injects, status, end), or run ` + "`respond drill inject`" + `
and ` + "`respond drill end`" + ` in another terminal of theirs, without a trainee's exports.

Trainees join from their own terminals with ` + "`eval \"$(respond drill join --name NAME)\"`" + `:
they get credentials of their own on the simulator, which reach what the
OpenAI and GitHub APIs serve and the live view, and they respond with the
ordinary commands (respond leaked-key, rotate, resume, incidents, gh, curl).
Nothing is pre-filled: they find the alert, identify the key, decide.
--name with --env-file joins a first trainee and writes their exports to
that file only.

When the drill ends, the world freezes, the outcome is scored beside the
ideal run (played then: nothing a trainee can read holds it while they
play), and the debrief is written. The drill's directory (--drill, default
under the state directory's drills/) holds its record, the trainees'
working directory with the team's inventory, the drill's own state
directory (its incidents never mix with real ones) and, at the end, the
scenario, the ideal run and the debrief.`,
		Example: `  respond drill start                           # the default scenario
  respond drill start forgotten-repo --facilitator carol
  respond drill start ./my-scenario.yaml --name alice --env-file alice.env &`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return drill.Names(), cobra.ShellCompDirectiveDefault
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			scenario := drill.DefaultScenario
			if len(args) == 1 {
				scenario = args[0]
			}
			if name != "" && envFile == "" {
				return &UsageError{fmt.Errorf("--name %s needs --env-file FILE: the start window is for the shared screen and prints no credential; or let %s join from their own terminal (respond drill join --name %s)", name, name, name)}
			}
			return runDrillStart(cmd.Context(), f, o, drillStart{scenario: scenario, addr: addr, trainee: personName(name), envFile: envFile,
				facilitator: facilitator, ideal: !noIdeal})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:0", "address the simulator listens on")
	fl.StringVar(&facilitator, "facilitator", "", "your name as the facilitator, in the timeline and the debrief (default: facilitator)")
	fl.StringVar(&name, "name", "", "a first trainee to join now, whose exports go to --env-file (default: your user name)")
	fl.StringVar(&envFile, "env-file", "", "join a first trainee (--name) and write their exports to this `FILE`, for their shell to source (removed when the drill ends)")
	fl.BoolVar(&noIdeal, "no-ideal", false, "do not play the ideal run to compare with")
	addWorldFlags(cmd, o)
	return cmd
}

type drillStart struct {
	scenario, addr, trainee, envFile, facilitator string
	ideal                                         bool
}

func runDrillStart(ctx context.Context, f *Factory, o *drillOptions, st drillStart) error {
	sc, src, err := loadScenario(f, o, st.scenario)
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
	d, err := drill.Start(ctx, drill.Config{Scenario: sc, Source: src, Dir: dir, ID: id, Addr: st.addr, Mode: drill.Live,
		Facilitator: st.facilitator, Responder: drillResponder(f), Watcher: drillWatcher(f), Ideal: st.ideal, Latency: o.Latency})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := os.MkdirAll(drillsDir(f), 0o700); err == nil {
		_ = atomicfile.Write(currentFile(f), []byte(d.Dir()+"\n"), nil)
	}
	var j *drill.Joined
	if st.envFile != "" {
		if j, err = d.Join(st.trainee); err != nil {
			return err
		}
		if err := atomicfile.Write(st.envFile, []byte(exportLines(j)), nil); err != nil {
			return fmt.Errorf("write the exports to %s: %w", st.envFile, err)
		}
		defer os.Remove(st.envFile)
	}
	w := unwrapWriter(f.IO.Out)
	printBriefing(w, f, d.Briefing())
	fmt.Fprintf(w, "# Trainees join from their own terminals: eval \"$(respond drill join --name NAME)\"\n")
	if j != nil {
		fmt.Fprintf(w, "# %s's exports are in %s (. %s)\n", j.Trainee, st.envFile, shq(st.envFile))
	}
	fmt.Fprintf(w, "# gh: %s gh api /orgs/%s/repos\n", ghHint(d.Sim().URL()), d.Info().Org)
	fmt.Fprintf(w, "# drill %s in %s; live view: respond drill status\n", d.ID(), d.Dir())
	if tw := d.Twin(); tw != nil {
		fmt.Fprintf(w, "# respond watch runs beside the trainees, on a twin of their world; the\n# debrief compares (its world: %s)\n", tw.Dir())
	}
	if f.IO.IsStdinTTY() {
		fmt.Fprintf(w, "# You are the facilitator. Type here: inject NAME, injects, status, end.\n"+
			"# Or, in a terminal of yours without a trainee's exports: respond drill\n"+
			"# inject --list (the scenario's notes: not for the shared screen),\n"+
			"# respond drill inject NAME, respond drill end. Ctrl-C here ends it too.\n")
		go facilitatorConsole(f, d)
	} else {
		fmt.Fprintf(w, "# You are the facilitator. This window serves the drill: type nothing\n"+
			"# here. In a terminal of yours without a trainee's exports: respond drill\n"+
			"# inject --list, respond drill inject NAME, respond drill end. Ctrl-C here\n"+
			"# ends the drill too.\n")
	}
	if old := f.providers.getenv(drill.EnvDrill); old != "" && old != d.Dir() {
		note := "which is not this one"
		if r, err := drill.ReadRecord(old); err == nil && r.Ended != nil {
			note = "which ended at " + r.Ended.Format("15:04:05")
		}
		fmt.Fprintf(w, "# This shell holds the exports of the drill in %s, %s. For this drill:\n", old, note)
		if j != nil {
			fmt.Fprintf(w, ". %s\n", shq(st.envFile))
		} else {
			fmt.Fprintf(w, "export %s=%s\nunset %s\n", drill.EnvDrill, shq(d.Dir()), drill.EnvTrainee)
		}
	}
	if fl, ok := w.(interface{ Sync() error }); ok {
		_ = fl.Sync()
	}

	select {
	case <-ctx.Done():
		fmt.Fprintln(f.IO.ErrOut, "\nEnding the drill: scoring it, playing the ideal run and writing the debrief…")
	case <-d.Ended():
	}
	res, err := d.End("facilitator (signal)")
	if err != nil {
		return err
	}
	// The current file keeps naming the ended drill, so that the next
	// command says it ended (and where its debrief is) rather than that
	// there is no drill.
	if !f.JSON() {
		fmt.Fprintf(f.IO.ErrOut, "Drill %s ended: score %.1f/100. Debrief: %s\n", d.ID(), res.Score.Total, strings.Join(res.Debrief, ", "))
	}
	return nil
}

// facilitatorConsole takes the facilitator's commands typed into the
// start window (a terminal): inject NAME, injects, status, end, help. What
// is typed there is never left for the shell to run once the drill ends.
// The window is on the shared screen: injects lists names and what they
// do, never the scenario's notes.
func facilitatorConsole(f *Factory, d *drill.Drill) {
	w, width := f.IO.Out, f.IO.TerminalWidth()
	say := func(text string) { writeWrapped(w, text, width, "", "  ") }
	sc := bufio.NewScanner(f.IO.In)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "respond" && fields[1] == "drill" {
			fields = fields[2:]
		}
		if len(fields) == 0 {
			continue
		}
		select {
		case <-d.Ended():
			return
		default:
		}
		switch cmd := fields[0]; {
		case cmd == "inject" && len(fields) == 2 && fields[1] != "--list":
			fired, err := d.Inject(fields[1], "")
			if err != nil {
				say(fmt.Sprintf("inject %s: %v", fields[1], err))
				break
			}
			say(fmt.Sprintf("Inject %s fired at %s by %s: %s", fired.Name, fired.At.Format("15:04:05"), fired.By, fired.Detail))
		case cmd == "injects" || cmd == "inject" && len(fields) == 2:
			for _, in := range d.Plan().Injects {
				fired := ""
				if in.Fired {
					fired = " (fired)"
				}
				writeWrapped(w, fmt.Sprintf("%s, %s%s: %s", in.Name, in.When, fired, in.Description), width, "  ", "    ")
			}
			say("The scenario's notes: respond drill inject --list, in a terminal of yours.")
		case cmd == "status":
			st := d.Status()
			_, _ = io.WriteString(w, renderStatus(&st, ui.Palette{Enabled: f.IO.ColorEnabled()}, width))
		case cmd == "end":
			say("Ending the drill: scoring it and writing the debrief…")
			f.IO.Flush()
			_, _ = d.End("")
			return
		default:
			say("Commands here: inject NAME (fire an inject), injects (what can be fired), status (the live view), end (end the drill).")
		}
		f.IO.Flush()
	}
}

// ghHint is the environment that points gh at the drill's simulator: gh
// reaches github.localhost through it as a proxy.
func ghHint(url string) string {
	return "GH_HOST=github.localhost GH_TOKEN=$GITHUB_TOKEN HTTP_PROXY=" + url
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
		Short: "Join a running drill as a trainee: the briefing, and your own credentials as shell exports",
		Long: `Join the running drill under a name (default: your user name). You get a
GitHub token and an OpenAI admin key of your own on the simulator, so the
debrief attributes every call you make to you; they reach what the OpenAI
and GitHub APIs serve and the live view (respond drill status), not the
facilitator's controls. The exports go to standard output, ready for eval;
the briefing (the same the facilitator's window shows) to standard error.

A shell that still holds an ended drill's exports joins the drill running
now, and says so.`,
		Example: `  eval "$(respond drill join --name bob)"
  respond drill join --name bob --env-file bob.env && . ./bob.env`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := findRunningDrill(f, o)
			if err != nil {
				return err
			}
			if rec.Ended != nil {
				return endedDrillError(f, rec)
			}
			c, _ := drillClient(f, rec)
			j, err := c.Join(cmd.Context(), personName(name))
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
			fmt.Fprintf(f.IO.ErrOut, "Joined as %s.\n\n", j.Trainee)
			printBriefing(f.IO.ErrOut, f, j.Briefing)
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
			rec, err := findRunningDrill(f, o)
			if err != nil {
				return err
			}
			if err := staleExports(f, rec); err != nil {
				return err
			}
			return drillStatus(cmd.Context(), f, rec, once)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "print once, even on a terminal")
	return cmd
}

func drillStatus(ctx context.Context, f *Factory, rec *drill.Record, once bool) error {
	c, _ := drillClient(f, rec)
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
	if st.TimeLimitSeconds > 0 {
		clock += " of " + drill.FormatLimit(time.Duration(st.TimeLimitSeconds*float64(time.Second)))
	}
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
		Short: "The facilitator adds trouble to the running drill: rate limits, a 5xx storm, a second leak…",
		Long: `Fire an inject into the running drill, now: one the scenario declares (with
its parameters), or any inject kind with its defaults. It changes the
simulated world at once and appears in the debrief's timeline, attributed
to whoever fired it. --list shows the scenario's notes (its twist) and
what can be fired.

Injects are the facilitator's: run this in the facilitator's own shell,
where respond drill start keeps the control token. From a trainee's shell
it is refused, and the refusal is in the debrief.

Kinds:
` + injectKindsHelp(),
		Example: `  respond drill inject --list
  respond drill inject rate-limit
  respond drill inject second-leak --by carol`,
		Args: func(cmd *cobra.Command, args []string) error {
			if list {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := findRunningDrill(f, o)
			if err != nil {
				return err
			}
			if err := staleExports(f, rec); err != nil {
				return err
			}
			c, facilitator := drillClient(f, rec)
			if list {
				plan, err := c.Plan(cmd.Context())
				if err != nil {
					return facilitatorOnly(drillErr(f, err, rec), "respond drill inject --list", rec, facilitator)
				}
				return listInjects(f, plan)
			}
			fired, err := c.Inject(cmd.Context(), args[0], by)
			if err != nil {
				return facilitatorOnly(drillErr(f, err, rec), "respond drill inject", rec, facilitator)
			}
			if f.JSON() {
				return writeJSON(f, fired)
			}
			fmt.Fprintf(f.IO.Out, "Inject %s fired at %s by %s: %s\n", fired.Name, fired.At.Format("15:04:05"), fired.By, fired.Detail)
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who fires it, for the debrief (default: the facilitator's name)")
	cmd.Flags().BoolVar(&list, "list", false, "the scenario's notes and the injects it can fire (the facilitator's)")
	return cmd
}

// drillErr says that a drill that does not answer has ended, when its
// record says so.
func drillErr(f *Factory, err error, rec *drill.Record) error {
	if errors.Is(err, drill.ErrNotRunning) {
		if r, rerr := drill.ReadRecord(rec.Dir); rerr == nil && r.Ended != nil {
			return endedDrillError(f, r)
		}
	}
	return err
}

func injectKindsHelp() string {
	var b strings.Builder
	for _, k := range drill.InjectKinds {
		fmt.Fprintf(&b, "  %-16s %s\n", k.Kind, k.What)
	}
	return b.String()
}

// listInjects shows the facilitator the scenario's notes and its injects.
func listInjects(f *Factory, plan *drill.Plan) error {
	if f.JSON() {
		return writeJSON(f, plan)
	}
	if plan.Notes != "" {
		fmt.Fprintf(f.IO.Out, "Notes for the facilitator (the twist of %s):\n", plan.Scenario)
		writeWrapped(f.IO.Out, plan.Notes, f.IO.TerminalWidth(), "  ", "  ")
		fmt.Fprintln(f.IO.Out)
	}
	rows := [][]string{}
	for _, in := range plan.Injects {
		when := in.When
		if in.Fired {
			when += " (fired)"
		}
		rows = append(rows, []string{in.Name, in.Kind, when, in.Description})
	}
	return ui.FitTable(f.IO.Out, f.tableWidth(), []string{"INJECT", "KIND", "WHEN", "WHAT"}, rows)
}

func newDrillEndCmd(f *Factory, o *drillOptions) *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "end",
		Short: "The facilitator ends the running drill: freeze the world, score it beside the ideal run, write the debrief",
		Long: `End the running drill (the facilitator's command, like inject): the
simulated world freezes, the outcome is scored
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
			c, facilitator := drillClient(f, rec)
			res, err := c.End(cmd.Context(), by)
			if err != nil {
				if r, rerr := drill.ReadRecord(rec.Dir); rerr == nil && r.Ended != nil && errors.Is(err, drill.ErrNotRunning) {
					msg := fmt.Sprintf("drill %s ended already at %s; its debrief: %s", r.ID, r.Ended.Format("15:04:05"), strings.Join(r.Debrief, ", "))
					if cur := runningDrill(f); cur != nil && cur.Dir != r.Dir {
						msg += fmt.Sprintf(". The drill running now is %s: respond drill end --drill %s", cur.ID, shq(cur.Dir))
					}
					return errors.New(msg)
				}
				return facilitatorOnly(err, "respond drill end", rec, facilitator)
			}
			if f.JSON() {
				return writeJSON(f, res)
			}
			printScore(f, &res.Score, res.Ideal)
			if res.IdealError != "" {
				fmt.Fprintf(f.IO.ErrOut, "note: no ideal run to compare with: %s\n", res.IdealError)
			}
			printWatchBeside(f, res)
			fmt.Fprintf(f.IO.Out, "\nDebrief: %s\n", strings.Join(res.Debrief, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who ends it, for the debrief (default: the facilitator's name)")
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
	var noIdeal bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check drill scenario files: every problem with file:line:col, and that a team can win them",
		Long: `Check drill scenario files: every problem is reported with its
file:line:col. Then each scenario's ideal run is played in-process, on a
simulator seeded as the drill would be, by a responder who knows every
target: a scenario whose ideal run does not recover, or scores under 90,
is refused with the reason (the step of respond that failed and why), since
no team could do better than it. --no-ideal checks the files only.`,
		Args: cobra.MinimumNArgs(1),
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
					continue
				case err != nil:
					return &UsageError{err}
				}
				if noIdeal {
					fmt.Fprintf(f.IO.Out, "%s: ok (scenario %s: %s)\n", name, sc.Name, sc.Title)
					continue
				}
				score, err := feasible(cmd.Context(), f, sc)
				if err != nil {
					if cmd.Context().Err() != nil {
						return cmd.Context().Err()
					}
					fmt.Fprintf(f.IO.ErrOut, "%s: error: no team can win scenario %s: %v\n  hint: give the ideal run what it needs (ideal: - respond: {force: true}, an inject that grants access, a resume), or change the world\n", name, sc.Name, err)
					bad = true
					continue
				}
				fmt.Fprintf(f.IO.Out, "%s: ok (scenario %s: %s; its ideal run recovers and scores %.1f)\n", name, sc.Name, sc.Title, score.Total)
			}
			if bad {
				return &SilentError{Code: ExitUsage}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noIdeal, "no-ideal", false, "check the files only, without playing each scenario's ideal run")
	return cmd
}

// feasible plays a scenario's ideal run in a temporary directory and
// says whether a team can win it (drill.Feasible).
func feasible(ctx context.Context, f *Factory, sc *drill.Scenario) (*drill.Score, error) {
	dir, err := os.MkdirTemp("", "respond-drill-validate-")
	if err != nil {
		return nil, fmt.Errorf("create a directory for the ideal run: %w", err)
	}
	defer os.RemoveAll(dir)
	score, err := drill.IdealRun(ctx, sc, filepath.Join(dir, "ideal"), drillResponder(f))
	if err != nil {
		return nil, err
	}
	return score, drill.Feasible(score)
}
