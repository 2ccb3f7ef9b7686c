package cli

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/textsafe"
	"github.com/respondhq/respond/internal/ui"
)

func newIncidentsCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incidents",
		Short: "List incidents: ID, playbook, status, started, time to contain, key, credential",
		Example: `  respond incidents
  respond incidents --output json | jq '.[] | select(.outcome != "recovered")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := listIncidents(f)
			if err != nil {
				return err
			}
			if f.JSON() {
				return writeJSON(f, list)
			}
			if len(list) == 0 {
				f.IO.ErrOut.Write([]byte("No incidents in " + incident.NewStore(f.StateDir).Root + ".\n"))
				return nil
			}
			return writeIncidents(f.IO.Out, list, f.IO.TerminalWidth())
		},
	}
	cmd.AddCommand(newIncidentsCloseCmd(f))
	return cmd
}

// writeIncidents lists incidents as a table when it fits the terminal
// (or when the output is no terminal, width 0: rows whole, for grep and
// logs), else as a list of two lines or more per incident, each within
// the width.
func writeIncidents(w io.Writer, list []incident.Summary, width int) error {
	header := []string{"ID", "PLAYBOOK", "STATUS", "STARTED", "TIME TO CONTAIN", "KEY", "CREDENTIAL"}
	rows := make([][]string, 0, len(list))
	for _, s := range list {
		rows = append(rows, []string{s.ID, orDash(s.Playbook), orDash(s.Status), s.Started.Local().Format("2006-01-02 15:04:05"),
			timeToContain(s), orDash(s.Key), orDash(s.Credential)})
	}
	var table bytes.Buffer
	if err := ui.Table(&table, header, rows); err != nil {
		return err
	}
	if width <= 0 || ui.MaxWidth(table.String()) <= width {
		_, err := w.Write(table.Bytes())
		return err
	}
	var b strings.Builder
	for _, r := range rows {
		// ID, playbook and status on the first line (at most 60
		// columns); the start, key, credential and time to contain after
		// it, joined while they fit.
		fmt.Fprintf(&b, "%s  %s  %s\n", r[0], r[1], r[2])
		parts := []string{"started " + r[3], "key " + r[5], "credential " + r[6], "time to contain " + r[4]}
		line := "   "
		for _, p := range parts {
			p = middleCut(p, width-5) // the whole value is in --output json
			switch {
			case line == "   ":
				line += " " + p
			case ui.MaxWidth(line+" · "+p) <= width:
				line += " · " + p
			default:
				b.WriteString(line + "\n")
				line = "    " + p
			}
		}
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// middleCut shortens s to at most width columns by cutting its middle.
func middleCut(s string, width int) string {
	r := []rune(s)
	if ui.StringWidth(s) <= width || width < 10 {
		return s
	}
	keep := width - 1
	head := keep / 2
	return string(r[:head]) + "…" + string(r[len(r)-(keep-head):])
}

func timeToContain(s incident.Summary) string {
	if s.TimeToContain == nil {
		return "-"
	}
	return s.TimeToContain.Round(time.Millisecond).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return textsafe.Line(s)
}

func listIncidents(f *Factory) ([]incident.Summary, error) {
	store := incident.NewStore(f.StateDir)
	ids, err := store.IDs()
	if err != nil {
		return nil, err
	}
	list := []incident.Summary{}
	for _, id := range ids {
		inc := &incident.Incident{ID: id, Dir: filepath.Join(store.Root, id)}
		recs, err := journal.ReadFile(inc.JournalPath())
		if err != nil {
			continue
		}
		s := incident.Summarize(id, recs)
		s.Status = outcomeStatus(inc, s)
		list = append(list, s)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Started.After(list[j].Started) }) // newest first
	return list, nil
}

func completeIncidents(f *Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		dir := f.StateDir
		if dir == "" {
			dir = incident.DefaultStateDir()
		}
		ids, _ := incident.NewStore(dir).IDs()
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}

func currentUser() string { return incident.Me("").User }
