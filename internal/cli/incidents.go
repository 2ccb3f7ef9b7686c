package cli

import (
	"path/filepath"
	"sort"
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
			rows := [][]string{}
			for _, s := range list {
				ttc := "-"
				if s.TimeToContain != nil {
					ttc = s.TimeToContain.Round(time.Millisecond).String()
				}
				rows = append(rows, []string{s.ID, s.Playbook, s.Status, s.Started.Local().Format("2006-01-02 15:04:05"), ttc, orDash(s.Key), orDash(s.Credential)})
			}
			return ui.Table(f.IO.Out, []string{"ID", "PLAYBOOK", "STATUS", "STARTED", "TIME TO CONTAIN", "KEY", "CREDENTIAL"}, rows)
		},
	}
	cmd.AddCommand(newIncidentsCloseCmd(f))
	return cmd
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
