package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/incident"
)

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "respond",
		Short: "Respond to leaked API keys: contain, replace, deploy, verify, report",
		Long: `respond drives incident response for leaked API keys from declarative
playbooks: it revokes the leaked key, creates a replacement, deploys it to
every place it is used, verifies both, closes the alert and writes a report.
Every run is an incident with a journal; an interrupted one is resumed with
'respond resume'.

Credentials come from the environment, never from flags
(docs/providers.md; ` + "`respond leaked-key --help`" + ` lists each provider's
variables; GitHub's is GITHUB_TOKEN or GH_TOKEN). Secret values are never
printed, journaled or passed to commands other than on their standard input.`,
		Example: `  # List the built-in playbooks
  respond playbook list

  # See what a response would do, without changing anything
  respond leaked-key --alert acme/api#12 --dry-run

  # Continue an interrupted incident
  respond resume INC-20261127-161200-ab12`,
		RunE:          func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			switch f.Output {
			case "text", "json":
			default:
				return &UsageError{fmt.Errorf("--output must be text or json, not %q", f.Output)}
			}
			if f.StateDir == "" {
				f.StateDir = incident.DefaultStateDir()
			}
			if err := enterDrill(cmd, f); err != nil {
				return err
			}
			if f.Yes || f.JSON() {
				f.IO.SetNeverPrompt(true)
			}
			return nil
		},
	}
	// --version prints what `respond version` prints.
	root.Version = buildVersion().text()
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().BoolP("version", "v", false, "print respond's version (as 'respond version' does)")
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&f.StateDir, "state-dir", "", "where incidents are kept (default $RESPOND_STATE_DIR, else $XDG_STATE_HOME/respond)")
	pf.StringVarP(&f.Output, "output", "o", "text", "output format: text or json")
	pf.BoolVarP(&f.Yes, "yes", "y", false, "answer yes to every question (required to change anything without a terminal)")
	pf.BoolVar(&f.Verbose, "verbose", false, "list every target of a large fan-out in the plan, the progress and the summary (by default alike targets show as one line)")
	pf.StringVar(&f.Inventory, "inventory", "", "the inventory file (default ./respond.yaml, then $XDG_CONFIG_HOME/respond/inventory.yaml)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		newVersionCmd(f),
		newRunCmd(f),
		newResumeCmd(f),
		newIncidentsCmd(f),
		newReportCmd(f),
		newPlaybookCmd(f),
		newInventoryCmd(f),
		newSimCmd(f),
		newLeakedKeyCmd(f),
		newRotateCmd(f),
		newAuditCmd(f),
		newDrillCmd(f),
		newWatchCmd(f),
	)
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", s[0])
		}
		return errors.New(msg)
	}
	usageArgs(root)
	return root
}

// usageArgs makes argument-count errors usage errors (exit 2), like flag
// errors, throughout the tree.
func usageArgs(c *cobra.Command) {
	if c.Args != nil {
		validate := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := validate(cmd, args); err != nil {
				return &UsageError{fmt.Errorf("%w\nusage: %s (run '%s --help' for more)", err, cmd.UseLine(), cmd.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}
