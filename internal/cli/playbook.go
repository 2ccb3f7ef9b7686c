package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/ui"
	"github.com/respondhq/respond/playbooks"
)

func newPlaybookCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "playbook",
		Short: "Browse, check and describe playbooks",
	}
	cmd.AddCommand(newPlaybookListCmd(f), newPlaybookShowCmd(f), newPlaybookValidateCmd(f), newPlaybookSchemaCmd(f))
	return cmd
}

// isFile: an argument names a file (rather than a built-in) when it has a
// path separator or a YAML extension, or exists.
func isFile(arg string) bool {
	if strings.ContainsRune(arg, filepath.Separator) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return true
	}
	_, err := os.Stat(arg)
	return err == nil
}

// readPlaybook returns the file name (for diagnostics) and source of a
// built-in name or a file.
func readPlaybook(arg string) (string, []byte, error) {
	if !isFile(arg) {
		src, ok := playbooks.Source(arg)
		if !ok {
			return "", nil, &UsageError{fmt.Errorf("no built-in playbook named %q (built-ins: %s); to run a file, give its path, e.g. ./%s.yaml", arg, strings.Join(playbooks.Names(), ", "), arg)}
		}
		return "playbooks/" + arg + ".yaml", src, nil
	}
	src, err := playbook.ReadFile(arg)
	if err != nil {
		return "", nil, &UsageError{fmt.Errorf("read playbook: %w", err)}
	}
	return arg, src, nil
}

// loadPlaybook parses and validates; problems are rendered to stderr with
// their positions and the error is a SilentError with exit code 2.
func loadPlaybook(f *Factory, arg string) (*playbook.Playbook, error) {
	name, src, err := readPlaybook(arg)
	if err != nil {
		return nil, err
	}
	pb, diags := playbook.Parse(name, src, f.Catalog())
	if len(diags) > 0 {
		diags.Render(f.IO.ErrOut, map[string][]byte{name: src}, f.IO.ColorEnabled())
	}
	if diags.HasErrors() {
		return nil, &SilentError{Code: ExitUsage}
	}
	return pb, nil
}

func newPlaybookListCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in playbooks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			type entry struct {
				Name        string `json:"name"`
				Strategy    string `json:"strategy"`
				Steps       int    `json:"steps"`
				Description string `json:"description"`
			}
			var list []entry
			for _, n := range playbooks.Names() {
				pb, err := loadPlaybook(f, n)
				if err != nil {
					return fmt.Errorf("built-in playbook %s is invalid: this is a bug in respond", n)
				}
				list = append(list, entry{pb.Name, pb.Strategy, len(pb.Steps), pb.Description})
			}
			if f.JSON() {
				return writeJSON(f, list)
			}
			rows := make([][]string, 0, len(list))
			for _, e := range list {
				rows = append(rows, []string{e.Name, e.Strategy, fmt.Sprint(e.Steps), firstSentence(e.Description)})
			}
			return ui.FitTable(f.IO.Out, f.tableWidth(), []string{"NAME", "STRATEGY", "STEPS", "DESCRIPTION"}, rows)
		},
	}
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ": "); i > 0 && i < 80 {
		return s[:i]
	}
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

func newPlaybookShowCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show PLAYBOOK",
		Short: "Show a playbook's inputs and steps (a built-in name or a file)",
		Example: `  respond playbook show exec-rotate
  respond playbook show ./my-playbook.yaml --output json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePlaybooks,
		RunE: func(cmd *cobra.Command, args []string) error {
			pb, err := loadPlaybook(f, args[0])
			if err != nil {
				return err
			}
			if f.JSON() {
				return writeJSON(f, describe(pb))
			}
			out := f.IO.Out
			p := ui.Palette{Enabled: f.IO.ColorEnabled()}
			// What the playbook does not say is left out (no empty
			// "strategy:", no blank description).
			head := p.Bold(pb.Name)
			if pb.Strategy != "" {
				head += "  " + p.Dim("strategy: "+pb.Strategy)
			}
			fmt.Fprintln(out, head)
			if d := strings.TrimSpace(pb.Description); d != "" {
				fmt.Fprintln(out, d)
			}
			fmt.Fprintln(out)
			if len(pb.Inputs) > 0 {
				rows := [][]string{}
				for _, in := range pb.Inputs {
					req := ""
					if in.Required {
						req = "yes"
					}
					def := ""
					if in.Default != nil {
						def = fmt.Sprint(in.Default)
					}
					rows = append(rows, []string{in.Name, string(in.Type), req, def, in.Description})
				}
				fmt.Fprintln(out, p.Bold("Inputs"))
				if err := ui.FitTable(out, f.tableWidth(), []string{"INPUT", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"}, rows); err != nil {
					return err
				}
				fmt.Fprintln(out)
			}
			rows := [][]string{}
			for i, st := range pb.Steps {
				extra := []string{}
				if st.Foreach != nil {
					extra = append(extra, fmt.Sprintf("foreach %s ×%d", st.Foreach.String(), max(st.Concurrency, 1)))
				}
				if st.When != nil {
					extra = append(extra, "when "+st.When.String())
				}
				if st.Confirm != nil {
					extra = append(extra, "asks first")
				}
				if st.Retry != nil {
					extra = append(extra, fmt.Sprintf("retry ×%d", st.Retry.Attempts))
				}
				rows = append(rows, []string{fmt.Sprint(i + 1), st.ID, st.Uses, st.Name, strings.Join(extra, "; ")})
			}
			fmt.Fprintln(out, p.Bold("Steps"))
			return ui.FitTable(out, f.tableWidth(), []string{"#", "ID", "USES", "NAME", "NOTES"}, rows)
		},
	}
}

type inputDesc struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Default     any    `json:"default,omitempty"`
	Description string `json:"description,omitempty"`
}

type stepDesc struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Uses    string `json:"uses"`
	Foreach string `json:"foreach,omitempty"`
	When    string `json:"when,omitempty"`
}

type playbookDesc struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Strategy    string      `json:"strategy,omitempty"`
	Inputs      []inputDesc `json:"inputs"`
	Steps       []stepDesc  `json:"steps"`
}

func describe(pb *playbook.Playbook) playbookDesc {
	d := playbookDesc{Name: pb.Name, Description: pb.Description, Strategy: pb.Strategy, Inputs: []inputDesc{}, Steps: []stepDesc{}}
	for _, in := range pb.Inputs {
		d.Inputs = append(d.Inputs, inputDesc{in.Name, string(in.Type), in.Required, in.Default, in.Description})
	}
	for _, st := range pb.Steps {
		s := stepDesc{ID: st.ID, Name: st.Name, Uses: st.Uses}
		if st.Foreach != nil {
			s.Foreach = st.Foreach.String()
		}
		if st.When != nil {
			s.When = st.When.String()
		}
		d.Steps = append(d.Steps, s)
	}
	return d
}

func newPlaybookValidateCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check playbooks and report every problem with file:line:col",
		Long: `Check playbooks and report every problem at once, each with its position,
the offending line and what to do. Exit code 2 when any file has an error.`,
		Example: `  respond playbook validate playbooks/*.yaml
  respond playbook validate exec-rotate   # a built-in`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completePlaybooks,
		RunE: func(cmd *cobra.Command, args []string) error {
			type result struct {
				File     string            `json:"file"`
				Valid    bool              `json:"valid"`
				Problems []diag.Diagnostic `json:"problems"`
			}
			var results []result
			bad := 0
			for _, a := range args {
				name, src, err := readPlaybook(a)
				if err != nil {
					return err
				}
				_, diags := playbook.Parse(name, src, f.Catalog())
				ok := !diags.HasErrors()
				if !ok {
					bad++
				}
				if f.JSON() {
					results = append(results, result{File: name, Valid: ok, Problems: append([]diag.Diagnostic{}, diags...)})
					continue
				}
				if len(diags) > 0 {
					diags.Render(f.IO.ErrOut, map[string][]byte{name: src}, f.IO.ColorEnabled())
				}
				if ok {
					fmt.Fprintf(f.IO.Out, "%s: valid\n", name)
				}
			}
			if f.JSON() {
				if err := writeJSON(f, results); err != nil {
					return err
				}
			}
			if bad > 0 {
				if !f.JSON() {
					fmt.Fprintf(f.IO.ErrOut, "%d of %d playbook(s) have problems\n", bad, len(args))
				}
				return &SilentError{Code: ExitUsage}
			}
			return nil
		},
	}
}

func newPlaybookSchemaCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema (2020-12) of the playbook format",
		Long: `Print the JSON Schema of the playbook format, for editors. Save it and point
yaml-language-server at it with a first line in the playbook:

  # yaml-language-server: $schema=./playbook.schema.json`,
		Example: `  respond playbook schema > playbook.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := playbook.Schema(f.Catalog())
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(append(b, '\n'))
			return err
		},
	}
}

func completePlaybooks(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return playbooks.Names(), cobra.ShellCompDirectiveDefault
}

func writeJSON(f *Factory, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f.wroteJSON = true
	_, err = f.IO.Out.Write(append(b, '\n'))
	return err
}
