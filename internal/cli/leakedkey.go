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

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/secret"
)

// keyOptions are the flags of leaked-key and rotate.
type keyOptions struct {
	runOptions
	KeyID      string
	Project    string
	KeyStdin   bool
	Alert      string
	Credential string // --credential: the inventory credential (rotate: the key it names)
	Force      bool
	Book       string        // --playbook
	Watch      time.Duration // rotate --watch
}

func newLeakedKeyCmd(f *Factory) *cobra.Command {
	o := &keyOptions{}
	cmd := &cobra.Command{
		Use:   "leaked-key",
		Short: "Respond to a leaked OpenAI API key: revoke, replace, deploy, verify, close the alert",
		Long: `Respond to a leaked OpenAI API key with the built-in leaked-key playbook
(contain first): identify the key, check access to every place it is
deployed, revoke it and prove it dead, create a replacement, deploy it
everywhere the inventory lists, prove it works, redeploy, and resolve the
GitHub secret-scanning alert.

Say which key leaked in one of three ways:
  --key-id key_… --project proj_…   by its ID
  --key-stdin                        its value, piped or pasted on standard input
                                     (never as an argument: argv leaks into shell history)
  --alert OWNER/REPO#N               a GitHub secret-scanning alert on it
With none of them on a terminal, respond asks: project, then key.

Credentials come from the environment: OPENAI_ADMIN_KEY (and OPENAI_BASE_URL),
GITHUB_TOKEN or GH_TOKEN (and GITHUB_API_URL). Where the key is deployed comes
from the inventory (--inventory, ./respond.yaml, or
$XDG_CONFIG_HOME/respond/inventory.yaml).`,
		Example: `  # From a GitHub secret-scanning alert
  respond leaked-key --alert acme/api#42

  # From the leaked value itself
  pbpaste | respond leaked-key --key-stdin --yes

  # See what would happen, changing nothing
  respond leaked-key --key-id key_abc --project proj_123 --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := runKeyPlaybook(cmd.Context(), f, o, "leaked-key")
			return err
		},
	}
	addKeyFlags(cmd, o, true)
	return cmd
}

func newRotateCmd(f *Factory) *cobra.Command {
	o := &keyOptions{}
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate an OpenAI API key with no downtime: replace, deploy, verify, then revoke",
		Long: `Rotate an OpenAI API key on schedule with the built-in rotate-key playbook:
create the replacement, deploy it everywhere the inventory lists and prove it
works, and only then revoke the old key. Nothing breaks at any moment.`,
		Example: `  respond rotate --key-id key_abc --project proj_123
  respond rotate --key-id key_abc --project proj_123 --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := runKeyPlaybook(cmd.Context(), f, o, "rotate-key")
			return err
		},
	}
	addKeyFlags(cmd, o, false)
	return cmd
}

func addKeyFlags(cmd *cobra.Command, o *keyOptions, alert bool) {
	fl := cmd.Flags()
	fl.StringVar(&o.KeyID, "key-id", "", "the key's ID (key_…)")
	fl.StringVar(&o.Project, "project", "", "the key's project (proj_…)")
	fl.BoolVar(&o.KeyStdin, "key-stdin", false, "read the key's value from standard input")
	if alert {
		fl.StringVar(&o.Alert, "alert", "", "a GitHub secret-scanning alert on the key: OWNER/REPO#N")
	}
	if alert {
		fl.StringVar(&o.Credential, "credential", "", "the inventory credential that held the key, when respond cannot tell (a key the provider already disabled)")
	} else {
		fl.StringVar(&o.Credential, "credential", "", "rotate the key this inventory credential names")
		fl.DurationVar(&o.Watch, "watch", time.Minute, "how long the old key must go unused before it is revoked, once every target holds the replacement (0s skips the check)")
	}
	fl.BoolVar(&o.DryRun, "dry-run", false, "show the plan and stop; nothing is changed (only GET requests are sent)")
	fl.BoolVar(&o.Force, "force", false, "go ahead even if preflight finds problems (missing access; for rotate, a key no credential names)")
	fl.StringVar(&o.Book, "playbook", "", "run this playbook (a built-in name or a file) instead of the built-in one")
}

// runKeyPlaybook runs leaked-key, rotate-key (or --playbook) for one key
// and returns the incident's ID (empty if none was created).
func runKeyPlaybook(ctx context.Context, f *Factory, o *keyOptions, builtin string) (string, error) {
	if o.KeyStdin && o.Alert != "" {
		return "", &UsageError{errors.New("give --key-stdin or --alert, not both (--key-id may accompany either, e.g. when the provider already disabled the key)")}
	}
	if o.Alert != "" && !strings.Contains(o.Alert, "#") {
		return "", &UsageError{fmt.Errorf("--alert %q: expected OWNER/REPO#N, e.g. acme/api#42", o.Alert)}
	}
	name := builtin
	if o.Book != "" {
		name = o.Book
	}
	pb, err := loadPlaybook(f, name)
	if err != nil {
		return "", err
	}
	provider := ""
	if strings.HasPrefix(o.KeyID, "AKIA") || strings.HasPrefix(o.KeyID, "ASIA") {
		provider = "aws"
	}
	if o.Alert != "" && f.Providers().GitHub == nil {
		return "", &UsageError{fmt.Errorf("--alert %s: reading a secret-scanning alert needs GitHub: export GITHUB_TOKEN (or GH_TOKEN) with access to the repository's security alerts (and GITHUB_API_URL for GitHub Enterprise Server)", o.Alert)}
	}
	inv, invPath, err := loadInventory(f)
	if err != nil {
		return "", err
	}
	sets := map[string]string{}
	secrets := map[string]secret.Value{}
	sets["key_id"], sets["project"], sets["alert"] = o.KeyID, o.Project, o.Alert
	sets["credential"] = o.Credential
	rotateByCredential := builtin == "rotate-key" && o.Credential != ""
	if rotateByCredential {
		if o.KeyID != "" || o.KeyStdin || o.Project != "" {
			return "", &UsageError{errors.New("--credential names the key to rotate: leave out --key-id, --project and --key-stdin")}
		}
		if inv == nil {
			return "", &UsageError{fmt.Errorf("--credential %s: there is no inventory to find it in (./respond.yaml, or --inventory FILE)", o.Credential)}
		}
		c, ok := inv.Credential(o.Credential)
		if !ok {
			names := make([]string, 0, len(inv.Credentials))
			for _, c := range inv.Credentials {
				names = append(names, c.Name)
			}
			return "", &UsageError{fmt.Errorf("--credential %s: %s has no such credential (it has: %s)", o.Credential, inv.File, strings.Join(names, ", "))}
		}
		sets["project"] = c.Project
		if c.KeyID != "" {
			sets["key_id"] = c.KeyID
		} else {
			sets["key_name"] = c.KeyName
		}
	}
	if inv != nil && o.Credential != "" {
		if _, ok := inv.Credential(o.Credential); !ok {
			return "", &UsageError{fmt.Errorf("--credential %s: %s has no such credential", o.Credential, inv.File)}
		}
	}
	switch {
	case o.KeyStdin:
		k, err := readLeakedKey(f)
		if err != nil {
			return "", err
		}
		secrets["key"] = k.Value
		if k.Provider == "aws" {
			provider = "aws"
			if sets["key_id"] == "" {
				sets["key_id"] = k.KeyID
			}
		}
	case o.KeyID != "" || o.Alert != "" || rotateByCredential:
	default:
		if !f.IO.CanPrompt() {
			flags := "--key-id key_… (with --project proj_…), --key-stdin (the value on standard input), or --alert OWNER/REPO#N"
			if builtin == "rotate-key" {
				flags = "--credential NAME (a credential of the inventory), --key-id key_… (with --project proj_…), or --key-stdin (the value on standard input)"
			}
			return "", &UsageError{errors.New("say which key: " + flags)}
		}
		project, keyID, err := pickKey(ctx, f)
		if err != nil {
			return "", err
		}
		sets["project"], sets["key_id"] = project, keyID
	}
	if rotateByCredential {
		if c, ok := inv.Credential(o.Credential); ok && c.Provider == "aws" {
			provider = "aws"
		}
	}
	if provider == "" && o.Alert == "" {
		provider = "openai"
	}
	if provider == "openai" && f.Providers().OpenAI == nil {
		return "", &UsageError{fmt.Errorf("OPENAI_ADMIN_KEY is not set, and responding to an OpenAI key calls the OpenAI Admin API: export an OpenAI admin key (sk-admin-…, from the organization's Admin keys page); for practice without one, run `respond drill`")}
	}
	if err := requireOpenAI(f, pb); err != nil && provider != "aws" {
		return "", err
	}
	if provider != "" {
		sets["provider"] = provider
	}
	if o.Force {
		sets["force"] = "true"
	}
	if builtin == "rotate-key" {
		if _, ok := pb.Input("watch"); ok {
			sets["watch"] = o.Watch.String()
		}
	}
	if _, ok := pb.Input("inventory"); ok && invPath != "" {
		sets["inventory"] = invPath
	}
	for k, v := range sets {
		if _, ok := pb.Input(k); v == "" || !ok {
			if v != "" && !ok && k != "force" && k != "provider" {
				return "", &UsageError{fmt.Errorf("playbook %s has no input %s, which --%s sets", pb.Name, k, strings.ReplaceAll(k, "_", "-"))}
			}
			delete(sets, k)
		}
	}
	inputs, err := playbook.ResolveInputs(pb, sets, secrets)
	if err != nil {
		return "", &UsageError{err}
	}
	if _, ok := pb.Input("credentials"); ok {
		inputs["credentials"] = credentialsInput(inv)
	}
	if !o.DryRun && !f.Yes && !f.IO.CanPrompt() {
		return "", engine.ErrNeedsYes
	}
	wd, _ := os.Getwd()
	inc, cleanup, err := newIncident(f, pb, wd, o.DryRun)
	if err != nil {
		return "", err
	}
	defer cleanup()
	return inc.ID, execute(ctx, f, pb, inc, inputs, nil, wd, &o.runOptions)
}

// requireOpenAI refuses, before an incident is created, to run a playbook
// with OpenAI steps when no OpenAI admin key is configured.
func requireOpenAI(f *Factory, pb *playbook.Playbook) error {
	if f.Providers().OpenAI != nil {
		return nil
	}
	for _, st := range pb.Steps {
		if strings.HasPrefix(st.Uses, "openai.") {
			return &UsageError{fmt.Errorf("OPENAI_ADMIN_KEY is not set, and playbook %s calls the OpenAI Admin API (step %s): export an OpenAI admin key (sk-admin-…, from the organization's Admin keys page); for practice without one, run `respond drill`", pb.Name, st.ID)}
		}
	}
	return nil
}

// readKeyValue reads the leaked key from stdin: piped, or pasted at a
// prompt without echo on a terminal; see normalizeKey for what is
// accepted.
func readKeyValue(f *Factory) (secret.Value, error) {
	k, err := readLeakedKey(f)
	return k.Value, err
}

// readLeakedKey reads the leaked key as readKeyValue, with its provider.
func readLeakedKey(f *Factory) (leakedKey, error) {
	var raw string
	if f.IO.IsStdinTTY() && f.IO.CanPrompt() {
		s, err := f.Prompter().Password("Paste the leaked key (it is not shown):")
		if err != nil {
			return leakedKey{}, err
		}
		raw = s
	} else {
		b, err := io.ReadAll(io.LimitReader(f.IO.In, 1<<20))
		if err != nil {
			return leakedKey{}, fmt.Errorf("read the leaked key from standard input: %w", err)
		}
		raw = string(b)
	}
	// Registered before anything could print it, whatever its form.
	f.IO.Secrets.Add(secret.New(strings.TrimSpace(raw)))
	k, err := normalizeLeakedKey(raw)
	if err != nil {
		return k, err
	}
	f.IO.Secrets.Add(k.Secret)
	return k, nil
}

// loadInventory finds and parses the inventory, and returns it with its
// absolute path; none at all is fine (the key is still contained), a
// broken one is not.
func loadInventory(f *Factory) (*inventory.Inventory, string, error) {
	path, err := inventory.Find(f.Inventory)
	if errors.Is(err, inventory.ErrNotFound) && f.Inventory == "" {
		if !f.JSON() {
			fmt.Fprintln(f.IO.ErrOut, "No inventory (./respond.yaml): a leaked key is still revoked, but nothing is replaced or deployed. See docs/inventory.md.")
		}
		return nil, "", nil
	}
	if err != nil {
		return nil, "", &UsageError{err}
	}
	src, err := inventory.ReadFile(path)
	if err != nil {
		return nil, "", &UsageError{fmt.Errorf("read inventory: %w", err)}
	}
	inv, diags := inventory.Parse(path, src)
	if len(diags) > 0 {
		diags.Render(f.IO.ErrOut, map[string][]byte{path: src}, f.IO.ColorEnabled())
	}
	if diags.HasErrors() {
		return nil, "", &SilentError{Code: ExitUsage}
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return inv, path, nil
}

// credentialsInput turns the inventory into the plain data playbooks carry.
func credentialsInput(inv *inventory.Inventory) []any {
	out := []any{}
	if inv == nil {
		return out
	}
	return inv.Maps()
}

// newIncident creates the incident directory (or, for a dry run, a
// temporary one that is removed afterwards).
func newIncident(f *Factory, pb *playbook.Playbook, wd string, dry bool) (*incident.Incident, func(), error) {
	if dry {
		dir, err := os.MkdirTemp("", "respond-plan-*")
		if err != nil {
			return nil, nil, err
		}
		return &incident.Incident{ID: incident.NewID(f.Now()), Dir: dir}, func() { os.RemoveAll(dir) }, nil
	}
	inc, err := incident.NewStore(f.StateDir).Create(f.Now())
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(inc.Dir, PlaybookCopy), pb.Source, 0o600); err != nil {
		return nil, nil, fmt.Errorf("save the playbook in %s: %w", inc.Dir, err)
	}
	if err := os.WriteFile(filepath.Join(inc.Dir, "workdir"), []byte(wd), 0o600); err != nil {
		return nil, nil, err
	}
	return inc, func() {}, nil
}

// pickKey asks for the project, then the key, from tables of what exists.
func pickKey(ctx context.Context, f *Factory) (string, string, error) {
	p := f.Providers()
	if p.OpenAI == nil {
		return "", "", &UsageError{errors.New("OPENAI_ADMIN_KEY is not set: export an OpenAI admin key (sk-admin-…) to list projects and keys")}
	}
	oa, err := p.OpenAI()
	if err != nil {
		return "", "", err
	}
	projects, err := oa.ListProjects(ctx)
	if err != nil {
		return "", "", fmt.Errorf("list OpenAI projects: %w", err)
	}
	if len(projects) == 0 {
		return "", "", errors.New("the organization has no projects")
	}
	opts := make([]string, len(projects))
	for i, pr := range projects {
		opts[i] = fmt.Sprintf("%-28s %s", pr.Name, pr.ID)
	}
	i, err := f.Prompter().Select("Which project holds the leaked key?", opts, 0)
	if err != nil {
		return "", "", err
	}
	project := projects[i].ID
	keys, err := oa.ListProjectKeys(ctx, project)
	if err != nil {
		return "", "", fmt.Errorf("list the keys of %s: %w", project, err)
	}
	if len(keys) == 0 {
		return "", "", fmt.Errorf("project %s has no API keys", project)
	}
	opts = make([]string, len(keys))
	for i, k := range keys {
		last := "never used"
		if k.LastUsed != nil {
			last = "last used " + k.LastUsed.Local().Format("2006-01-02 15:04")
		}
		owner := k.OwnerEmail
		if owner == "" {
			owner = k.OwnerName
		}
		opts[i] = fmt.Sprintf("%-24s %s…%s  %-24s created %s  %s", oneLine(k.Name, 24), prefix(k.RedactedValue, 8), suffix(k.RedactedValue, 4), oneLine(owner, 24), k.Created.Local().Format("2006-01-02"), last)
	}
	// No key is preselected: a hurried Enter must not pick one.
	j, err := f.Prompter().Select("Which key leaked?", opts, -1)
	if err != nil {
		return "", "", err
	}
	return project, keys[j].ID, nil
}

func prefix(s string, n int) string { return s[:min(n, len(s))] }
func suffix(s string, n int) string { return s[max(0, len(s)-n):] }
