package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/prompt"
	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/ui"
	"github.com/respondhq/respond/steps"
)

// OutcomeError: the run reached its end, or stopped after containment,
// and the invariant does not hold. Its exit code says how far the
// response got: 5 contained but not recovered, 1 not contained.
type OutcomeError struct {
	Incident string
	Verdict  string
	Failing  []report.Clause
}

func (e *OutcomeError) Error() string {
	var parts []string
	for _, c := range e.Failing {
		parts = append(parts, "“"+c.Name+"”")
	}
	promises := "1 promise does not hold: "
	if len(parts) != 1 {
		promises = fmt.Sprintf("%d promises do not hold: ", len(parts))
	}
	return fmt.Sprintf("incident %s is %s: %s%s; see the outcome above and `respond report %s`",
		e.Incident, strings.ToUpper(e.Verdict), promises, strings.Join(parts, ", "), e.Incident)
}

// ExitCode is 5 for a contained key, 1 otherwise.
func (e *OutcomeError) ExitCode() int {
	if e.Verdict == report.ContainedNotRecovered {
		return ExitPartial
	}
	return ExitFailed
}

// judged reports whether the outcome decides the exit code of a run that
// ended with runErr: when it ran to its end or stopped at a failed step.
// Interruptions, refusals, preflight, usage errors and cancellations keep
// their own codes.
func judged(runErr error) bool {
	var (
		se *engine.StepError
		pe *engine.PartialError
	)
	switch {
	case runErr == nil:
		return true
	case errors.Is(runErr, step.ErrPreflight), errors.Is(runErr, step.ErrLocked), errors.Is(runErr, engine.ErrCancelled),
		errors.Is(runErr, steps.ErrBadInput),
		errors.Is(runErr, prompt.ErrInterrupted), errors.Is(runErr, engine.ErrNeedsYes):
		return false
	case errors.As(runErr, &se), errors.As(runErr, &pe):
		return true
	}
	return false
}

// outcomeError is the error a judged run ends with: nil when recovered.
func outcomeError(id string, r *report.Report, runErr error) error {
	if r == nil || r.Invariant == nil || !judged(runErr) {
		return runErr
	}
	if r.Invariant.Holds() {
		var pe *engine.PartialError
		if errors.As(runErr, &pe) {
			return nil // recovered: a failed step beside the point is a note, not a failure
		}
		return runErr
	}
	oe := &OutcomeError{Incident: id, Verdict: r.Invariant.Verdict, Failing: r.Invariant.Failing()}
	if runErr != nil {
		return &outcomeAfter{OutcomeError: oe, run: runErr}
	}
	return oe
}

// outcomeAfter is an OutcomeError that followed a step's failure: the
// step's message is shown, the outcome decides the exit code.
type outcomeAfter struct {
	*OutcomeError
	run error
}

func (e *outcomeAfter) Error() string { return e.run.Error() }
func (e *outcomeAfter) Unwrap() []error {
	return []error{e.OutcomeError, e.run}
}

// printOutcome writes the end of a run for a person: the verdict against
// the invariant, the severity, abnormal usage, the inventory change and
// every promise that does not hold, with what to do.
// On a terminal (width > 0) each promise's words are wrapped under
// themselves; elsewhere a promise is one line, for grep and logs.
func printOutcome(w io.Writer, p ui.Palette, r *report.Report, width int) {
	inv := r.Invariant
	if inv == nil {
		return
	}
	verdict := strings.ToUpper(inv.Verdict)
	switch inv.Verdict {
	case report.Recovered:
		verdict = p.Green(verdict)
	case report.ContainedNotRecovered:
		verdict = p.Yellow(verdict)
	default:
		verdict = p.Red(verdict)
	}
	fmt.Fprintf(w, "\n%s %s", p.Bold("Outcome:"), p.Bold(verdict))
	sev := ""
	switch s := r.Summary.Severity; {
	case r.Incident.Drill != nil && s != "":
		sev = "(DRILL: simulated severity " + s + ")"
	case r.Incident.Drill != nil:
		sev = "(DRILL)"
	case s != "":
		sev = "(severity " + strings.ToUpper(s) + ": " + r.Summary.SeverityReason + ")"
	}
	switch head := len("Outcome: ") + len(inv.Verdict); {
	case sev == "":
		fmt.Fprintln(w)
	case width <= 0 || head+2+ui.StringWidth(sev) <= width:
		fmt.Fprintf(w, "  %s\n", sev)
	default:
		// Too long for the line: the severity under it, wrapped.
		fmt.Fprintln(w)
		for _, l := range ui.Wrap(sev, width-2, 1) {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	for _, c := range inv.Clauses {
		mark := p.Green("✓")
		if !c.Holds {
			mark = p.Red("✗")
		}
		lines := wrapWords(c.Detail, width-36)
		fmt.Fprintf(w, "  %s %-31s %s\n", mark, c.Name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%36s%s\n", "", l)
		}
	}
	if u := r.Usage; u != nil && u.Available && u.Abnormal {
		outcomeNote(w, p.Red("!"), "abnormal usage: "+u.Assessment, width)
	}
	if r.Key != nil && r.Key.LastUsed != "" && r.Summary.Contained && failingClause(inv, report.ClauseOneLive) && len(r.Targets) == 0 {
		outcomeNote(w, p.Red("!"), "the key was last used "+r.Key.LastUsed+": whatever used it breaks now that it is revoked", width)
	}
	if c := inv.Inventory; c != nil && c.Error == "" && c.To != "" {
		verb := "now names"
		if !c.Changed {
			verb = "already names"
		}
		from := ""
		if c.From != "" && c.Changed && c.From != c.To {
			from = " instead of " + c.From
		}
		outcomeNote(w, "", fmt.Sprintf("inventory: %s: credential %s %s %s%s", c.File, c.Credential, verb, c.To, from), width)
	}
}

// outcomeNote prints a note under the outcome's promises, after a mark
// (or none), its words wrapped under themselves on a terminal (width > 0)
// and one line elsewhere.
func outcomeNote(w io.Writer, mark, text string, width int) {
	lead := "  "
	if mark != "" {
		lead += mark + " "
	}
	indent := 2
	if mark != "" {
		indent = 4
	}
	for i, l := range ui.Wrap(text, max(width-indent, 0), 0) {
		if i == 0 {
			fmt.Fprintf(w, "%s%s\n", lead, l)
			continue
		}
		fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", indent), l)
	}
}

// wrapWords wraps text at spaces to lines of at most width columns (a
// word longer than that stands alone); width below 20 (no terminal, or one
// too narrow) leaves it one line.
func wrapWords(text string, width int) []string {
	if width < 20 {
		return []string{text}
	}
	var out []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && ui.StringWidth(line)+1+ui.StringWidth(word) > width {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(out, line)
}

func failingClause(inv *report.Invariant, name string) bool {
	for _, c := range inv.Clauses {
		if c.Name == name {
			return !c.Holds
		}
	}
	return false
}

// outcomeStatus is the one word `respond incidents` shows for an incident:
// the verdict when the incident has one, else the journal's status (with
// "running" turned into "interrupted" when no process holds it).
func outcomeStatus(inc *incident.Incident, s incident.Summary) string {
	status := s.Status
	if status == "running" && !inc.Held() {
		status = "interrupted"
	}
	if s.Outcome != "" && status != "running" && status != "interrupted" && status != report.StatusAbandoned {
		return s.Outcome
	}
	return status
}
