package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/ui"
)

// Who a shell is in a drill, and so what it may do on the drill's control
// API: a trainee's shell carries their exports (RESPOND_DRILL_TRAINEE),
// and speaks with their own GitHub token, which reaches the live view and
// nothing of the facilitator's; any other shell is the facilitator's,
// and speaks with the control token `respond drill start` keeps in the
// drill's facilitator directory (mode 0700).

// drillClient returns a client of the drill's control API that speaks
// for this shell, and whether that is the facilitator.
func drillClient(f *Factory, rec *drill.Record) (*drill.Client, bool) {
	c := drill.NewClient(rec)
	if trainee := f.providers.getenv(drill.EnvTrainee); trainee != "" {
		if tok := f.providers.getenv("GITHUB_TOKEN"); tok != "" {
			c.Credential = secret.New(tok)
		}
		return c, false
	}
	tok, err := drill.ReadControlToken(rec.Dir)
	if err != nil {
		return c, false
	}
	f.IO.Secrets.Add(tok)
	c.Credential = tok
	return c, true
}

// staleExports says when this shell's trainee exports belong to another
// drill than rec (the one that ended): its credentials mean nothing to
// rec's simulator.
func staleExports(f *Factory, rec *drill.Record) error {
	mine := f.providers.getenv(drill.EnvDrill)
	if f.providers.getenv(drill.EnvTrainee) == "" || mine == "" || filepath.Clean(mine) == filepath.Clean(rec.Dir) {
		return nil
	}
	return fmt.Errorf("this shell's exports are those of the drill in %s, not of drill %s: join it first (eval \"$(respond drill join --name NAME)\")", mine, rec.ID)
}

// facilitatorOnly explains a refusal of the facilitator's routes to
// someone who is not: what happened, and where the command works.
func facilitatorOnly(err error, what string, rec *drill.Record, facilitator bool) error {
	if err == nil || facilitator || errors.Is(err, drill.ErrNotRunning) {
		return err
	}
	return fmt.Errorf("%w\n%s is the facilitator's: run it in the facilitator's own shell (not one with a trainee's exports), where `respond drill start` keeps the control token in %s", err, what,
		filepath.Join(rec.Dir, drill.FacilitatorDir))
}

// findRunningDrill is findDrill for commands that need the drill to run:
// when the shell's exports name a drill that has ended and another one
// runs (the one started last), it says so and uses the running one.
func findRunningDrill(f *Factory, o *drillOptions) (*drill.Record, error) {
	rec, err := findDrill(f, o)
	if err != nil || rec.Ended == nil || o.Dir != "" {
		return rec, err
	}
	if cur := runningDrill(f); cur != nil && cur.Dir != rec.Dir {
		fmt.Fprintf(f.IO.ErrOut, "note: drill %s (%s=%s) ended at %s; using drill %s, which is running (%s=%s)\n",
			rec.ID, drill.EnvDrill, rec.Dir, rec.Ended.Format("15:04:05"), cur.ID, drill.EnvDrill, cur.Dir)
		return cur, nil
	}
	return rec, nil
}

// runningDrill is the drill started last, if it has not ended.
func runningDrill(f *Factory) *drill.Record {
	b, err := os.ReadFile(currentFile(f))
	if err != nil {
		return nil
	}
	cur, err := drill.ReadRecord(strings.TrimSpace(string(b)))
	if err != nil || cur.Ended != nil {
		return nil
	}
	return cur
}

// endedDrillError says that the drill a command was pointed at has ended,
// with its debrief, and how to find the next one.
func endedDrillError(f *Factory, rec *drill.Record) error {
	msg := fmt.Sprintf("drill %s ended at %s; its debrief: %s. Start a new one with `respond drill start`", rec.ID, rec.Ended.Format("15:04:05"), strings.Join(rec.Debrief, ", "))
	if f.providers.getenv(drill.EnvDrill) != "" {
		msg += fmt.Sprintf(", and load its exports (this shell's %s still names the old one)", drill.EnvDrill)
	}
	return errors.New(msg)
}

// printBriefing prints a briefing: what is known, the goal, the roles,
// the rules, the time limit and halt conditions, where things are. The
// start window and every trainee's join print it alike; long lines wrap,
// nothing is cut off.
func printBriefing(w io.Writer, f *Factory, b drill.Briefing) {
	p := ui.Palette{Enabled: f.IO.ColorEnabled()}
	width := f.IO.TerminalWidth()
	fmt.Fprintf(w, "%s %s · %s\n\n", p.Bold("DRILL"), b.Title, p.Dim(b.Scenario+", "+b.Drill))
	section := func(title string, text string) {
		if strings.TrimSpace(text) == "" {
			return
		}
		fmt.Fprintln(w, p.Bold(title))
		writeWrapped(w, text, width, "  ", "  ")
		fmt.Fprintln(w)
	}
	list := func(title string, items []string) {
		fmt.Fprintln(w, p.Bold(title))
		for _, it := range items {
			writeWrapped(w, it, width, "  - ", "    ")
		}
		fmt.Fprintln(w)
	}
	section("What is known", b.Known)
	section("Goal", b.Goal)
	list("Roles", b.Roles)
	list("Rules", b.Rules)
	list("Time limit and halt conditions", b.Halt)
	list("Where things are", b.Where)
	fmt.Fprintf(w, "%s started %s UTC · time limit %s, until %s UTC\n\n", p.Bold("Clock"), b.Started.UTC().Format("15:04:05"), b.TimeLimit, b.EndsAt.UTC().Format("15:04:05"))
}
