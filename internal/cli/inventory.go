package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/ui"
)

const inventoryLookup = `Without FILE, the inventory is the one --inventory names, else
./respond.yaml, else $XDG_CONFIG_HOME/respond/inventory.yaml
(~/.config/respond/inventory.yaml).`

func newInventoryCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Check and display the inventory: credentials and where each is deployed",
		Long: `The inventory lists the credentials respond manages and every place each
is deployed: GitHub Actions and Dependabot secrets, .env files, commands that
store it, and workflows to re-run. See docs/inventory.md.

` + inventoryLookup,
	}
	cmd.AddCommand(newInventoryValidateCmd(f), newInventoryShowCmd(f))
	return cmd
}

// readInventory finds (see inventory.Find) and reads the inventory: FILE
// if given, else --inventory, else the default places.
func readInventory(f *Factory, args []string) (string, []byte, error) {
	explicit := f.Inventory
	if len(args) > 0 {
		if explicit != "" && filepath.Clean(explicit) != filepath.Clean(args[0]) {
			return "", nil, &UsageError{fmt.Errorf("two inventories: --inventory %s and %s; give one", explicit, args[0])}
		}
		explicit = args[0]
	}
	path, err := inventory.Find(explicit)
	if err != nil {
		return "", nil, &UsageError{err}
	}
	src, err := inventory.ReadFile(path)
	if err != nil {
		return "", nil, &UsageError{fmt.Errorf("cannot read inventory %s: %w", path, err)}
	}
	return path, src, nil
}

func newInventoryValidateCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check an inventory and report every problem with file:line:col",
		Long: `Check an inventory and report every problem at once, each with its
position, the offending line and what to do. Exit code 2 when there is an
error; warnings are shown but do not fail.

` + inventoryLookup,
		Example: `  respond inventory validate
  respond inventory validate deploy/respond.yaml --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, src, err := readInventory(f, args)
			if err != nil {
				return err
			}
			inv, diags := inventory.Parse(path, src)
			if f.JSON() {
				out := struct {
					File        string            `json:"file"`
					Valid       bool              `json:"valid"`
					Credentials int               `json:"credentials"`
					Targets     int               `json:"targets"`
					Problems    []diag.Diagnostic `json:"problems"`
				}{File: path, Valid: inv != nil, Problems: append([]diag.Diagnostic{}, diags...)}
				if inv != nil {
					out.Credentials, out.Targets = len(inv.Credentials), inv.TargetCount()
				}
				if err := writeJSON(f, out); err != nil {
					return err
				}
			} else if len(diags) > 0 {
				diags.Render(f.IO.ErrOut, map[string][]byte{path: src}, f.IO.ColorEnabled())
			}
			if inv == nil {
				return &SilentError{Code: ExitUsage}
			}
			if !f.JSON() {
				fmt.Fprintf(f.IO.Out, "%s: valid (%s, %s)\n", path, plural(len(inv.Credentials), "credential"), plural(inv.TargetCount(), "target"))
			}
			return nil
		},
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// credentialDesc is a credential in `inventory show --output json`.
type credentialDesc struct {
	Name     string           `json:"name"`
	Provider string           `json:"provider"`
	Project  string           `json:"project"`
	Scope    string           `json:"scope,omitempty"`
	KeyName  string           `json:"key_name,omitempty"`
	KeyID    string           `json:"key_id,omitempty"`
	Line     int              `json:"line"`
	Targets  []map[string]any `json:"targets"`
}

func newInventoryShowCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show [FILE]",
		Short: "Show each credential of an inventory and where it is deployed",
		Long: `Show each credential of an inventory and every place it is deployed, as
respond understands them (relative paths resolved). An invalid inventory is
reported as by 'respond inventory validate' (exit code 2).

` + inventoryLookup,
		Example: `  respond inventory show
  respond inventory show ./respond.yaml --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, src, err := readInventory(f, args)
			if err != nil {
				return err
			}
			inv, diags := inventory.Parse(path, src)
			if len(diags) > 0 {
				diags.Render(f.IO.ErrOut, map[string][]byte{path: src}, f.IO.ColorEnabled())
			}
			if inv == nil {
				return &SilentError{Code: ExitUsage}
			}
			if f.JSON() {
				out := struct {
					File        string           `json:"file"`
					Credentials []credentialDesc `json:"credentials"`
				}{File: path, Credentials: []credentialDesc{}}
				for _, c := range inv.Credentials {
					d := credentialDesc{Name: c.Name, Provider: c.Provider, Scope: c.Scope, KeyName: c.KeyName, KeyID: c.KeyID, Line: c.Pos.Line, Targets: []map[string]any{}}
					if c.ScopeField == "project" {
						d.Project = c.Scope
					}
					for _, t := range c.Targets {
						d.Targets = append(d.Targets, t.Map())
					}
					out.Credentials = append(out.Credentials, d)
				}
				return writeJSON(f, out)
			}
			return showInventory(f, inv)
		},
	}
}

func showInventory(f *Factory, inv *inventory.Inventory) error {
	out := f.IO.Out
	p := ui.Palette{Enabled: f.IO.ColorEnabled()}
	cwd, _ := os.Getwd()
	for i, c := range inv.Credentials {
		if i > 0 {
			fmt.Fprintln(out)
		}
		key := "key " + c.KeyID
		if c.KeyID == "" {
			key = fmt.Sprintf("key named %q", c.KeyName)
		}
		spec, _ := provider.Lookup(c.Provider)
		title, scope := c.Provider, ""
		if spec != nil {
			title = spec.Title
			switch {
			case c.Scope != "":
				scope = spec.Scope.Kind + " " + c.Scope
			default:
				scope = "the credentials' " + spec.Scope.Kind
			}
		}
		about := fmt.Sprintf("%s %s, %s", title, scope, key)
		if w := f.tableWidth(); w > 0 && ui.StringWidth(c.Name)+2+ui.StringWidth(about) > w {
			// On a narrow terminal the key goes on a line of its own.
			fmt.Fprintf(out, "%s  %s\n  %s\n", p.Bold(c.Name), p.Dim(title+" "+scope+","), p.Dim(key))
		} else {
			fmt.Fprintf(out, "%s  %s\n", p.Bold(c.Name), p.Dim(about))
		}
		if len(c.Targets) == 0 {
			fmt.Fprintln(out, p.Yellow("no targets: the replacement would be deployed nowhere"))
			continue
		}
		rows := make([][]string, 0, len(c.Targets))
		var parts []string
		if spec != nil {
			parts = spec.PartNames()
		}
		for _, t := range c.Targets {
			where, name, notes := describeTarget(t, cwd)
			// Which part of a multi-part credential it holds.
			if len(parts) > 1 && t.Holds() && len(t.Keys()) == 0 {
				part := t.Part()
				if part == "" {
					part = parts[len(parts)-1]
				}
				notes = strings.TrimPrefix(notes+"; holds "+part, "; ")
			}
			rows = append(rows, []string{t.Type, where, name, notes})
		}
		if err := ui.FitTable(out, f.tableWidth(), []string{"TARGET TYPE", "WHERE", "SECRET/VAR", "NOTES"}, rows); err != nil {
			return err
		}
	}
	return nil
}

// describeTarget returns the WHERE, SECRET/VAR and NOTES columns of a
// target, as its type describes it. Paths under the working directory are
// shown relative to it.
func describeTarget(t target.Target, cwd string) (where, name, notes string) {
	s, ok := t.Spec()
	if !ok || s.Describe == nil {
		return t.ID(), "-", ""
	}
	return s.Describe(t, func(p string) string { return shortPath(p, cwd) })
}

// shortPath shows p relative to cwd when it lies under it.
func shortPath(p, cwd string) string {
	if cwd == "" || !filepath.IsAbs(p) {
		return p
	}
	rel, err := filepath.Rel(cwd, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	if !strings.ContainsRune(rel, filepath.Separator) {
		return "." + string(filepath.Separator) + rel // reads as a path, not a program in PATH
	}
	return rel
}
