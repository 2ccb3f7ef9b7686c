package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/owned"
	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/internal/textsafe"
)

func newIncidentsCloseCmd(f *Factory) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "close ID --reason TEXT",
		Short: "End an abandoned incident: journaled, its locks free, its report says abandoned and why",
		Long: `Close an incident nobody will finish: one that was declined, interrupted
or stopped at a failure and that you replaced with a new response, or
finished by hand. The closing is journaled (who, when, why), the report is
rewritten to say "abandoned" with the reason, respond incidents lists it as
abandoned, and respond resume refuses it from then on.

respond's locks are held only by running processes (flock), so closing
needs the incident's own lock: an incident a responder is working on right
now is refused (exit 6), naming them. Once it is closed, no lock of it
remains. A recovered incident needs no closing and is refused.

Closing changes nothing at any provider: a key the incident did not revoke
is still live. Say so in the reason if you revoked it by hand.`,
		Example: `  respond incidents close ab12 --reason "declined: revoked by hand in the OpenAI dashboard"
  respond incidents close INC-20261127-161200-ab12 --reason "replaced by INC-20261127-170000-cd34"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeIncidents(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			return closeIncident(f, args[0], reason)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the incident is abandoned (required): it goes into the journal and the report")
	return cmd
}

// closeIncident journals that the incident is abandoned, under its lock,
// and rewrites its report.
func closeIncident(f *Factory, id, reason string) error {
	reason = strings.Join(strings.Fields(textsafe.Text(reason)), " ")
	if reason == "" {
		return &UsageError{errors.New("--reason is required: say why the incident is abandoned (it goes into the journal and the report)")}
	}
	store := incident.NewStore(f.StateDir)
	inc, err := store.Open(id)
	if errors.Is(err, owned.ErrNotTrusted) {
		return err
	}
	if err != nil {
		return &UsageError{err}
	}
	// What it was, as `respond incidents` lists it (asked before taking
	// the lock: a held lock reads as running).
	recs, err := readTrustedJournal(store, inc)
	if err != nil {
		return err
	}
	was := outcomeStatus(inc, incident.Summarize(inc.ID, recs))
	me := incident.Me("respond incidents close " + inc.ID)
	if f.responder != "" {
		me.User = f.responder
	}
	lock, err := inc.Lock(me)
	if err != nil {
		return err
	}
	defer lock.Release()
	if recs, err = readTrustedJournal(store, inc); err != nil {
		return err
	}
	s := incident.Summarize(inc.ID, recs)
	switch {
	case s.Status == report.StatusAbandoned:
		return &UsageError{fmt.Errorf("incident %s is already closed as abandoned (%s)", inc.ID, s.Closed)}
	case s.Outcome == report.Recovered && s.Status == "completed":
		return &UsageError{fmt.Errorf("incident %s recovered: there is nothing to abandon", inc.ID)}
	case s.Status == "completed" && s.Outcome == "":
		return &UsageError{fmt.Errorf("incident %s completed: there is nothing to abandon", inc.ID)}
	}
	key, err := journalKey(f, inc, false, false)
	if err != nil {
		return err
	}
	jw, err := journal.Open(inc.JournalPath(), key, f.IO.Secrets)
	if err != nil {
		return err
	}
	defer jw.Close()
	if _, err := jw.Append(journal.Record{Type: journal.IncidentFinished, Status: report.StatusAbandoned, Message: reason,
		Data: map[string]any{"by": me.User, "host": me.Host, "reason": reason, "was": was, "command": "respond incidents close"}}); err != nil {
		return fmt.Errorf("journal the closing of %s: %w", inc.ID, err)
	}
	var paths []string
	rep, rerr := report.Build(inc)
	if rerr == nil {
		paths, rerr = report.Write(inc.Dir, rep)
	}
	if f.JSON() {
		return writeJSON(f, struct {
			ID      string   `json:"id"`
			Status  string   `json:"status"`
			Was     string   `json:"was"`
			Reason  string   `json:"reason"`
			Reports []string `json:"reports,omitempty"`
		}{inc.ID, report.StatusAbandoned, was, reason, paths})
	}
	fmt.Fprintf(f.IO.ErrOut, "Incident %s (%s) closed as abandoned: %s\n", inc.ID, was, reason)
	if rerr != nil {
		fmt.Fprintf(f.IO.ErrOut, "respond: warning: could not rewrite the report: %v (regenerate it with `respond report %s`)\n", rerr, inc.ID)
	} else {
		fmt.Fprintf(f.IO.ErrOut, "Report: %s\n", strings.Join(paths, ", "))
	}
	if rep != nil && !rep.Summary.Contained && rep.Key != nil {
		fmt.Fprintf(f.IO.ErrOut, "Note: the incident never revoked key %s; closing it changes nothing at the provider.\n", rep.Key.ID)
	}
	return nil
}
