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
	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
	"github.com/respondhq/respond/internal/ui"
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
	Due        bool          // rotate --due
}

func newLeakedKeyCmd(f *Factory) *cobra.Command {
	o := &keyOptions{}
	cmd := &cobra.Command{
		Use:   "leaked-key",
		Short: "Respond to a leaked API key (" + providerTitles() + "): revoke, replace, deploy, verify, close the alert",
		Long: `Respond to a leaked API key (` + providerTitles() + `) with the built-in
leaked-key playbook (contain first): identify the key, check access to every
place it is deployed, revoke it (or deactivate it, where the provider
deletes a key only once recovery is verified) and prove it dead, create a
replacement (or ask for the one a person makes, where the provider has no
API for it), deploy it everywhere the inventory lists, prove it works,
redeploy, resolve the GitHub secret-scanning alert, and delete a key that
was only deactivated.

Say which key leaked in one of these ways:
` + keyIDLines() + `  --key-stdin                          its value, piped or pasted on standard input
                                       (a key of several parts, such as an AWS key: every
                                       part, as a credentials or .env file has them; never
                                       as an argument: argv leaks into shell history)
  --alert OWNER/REPO#N                 a GitHub secret-scanning alert on it
With none of them on a terminal, respond asks: provider, project, then key.

Credentials come from the environment (docs/providers.md):
` + credentialLines() + `  GitHub: GITHUB_TOKEN or GH_TOKEN (and GITHUB_API_URL)
Where the key is deployed comes from the inventory (--inventory,
./respond.yaml, or $XDG_CONFIG_HOME/respond/inventory.yaml).`,
		Example: `  # From a GitHub secret-scanning alert
  respond leaked-key --alert acme/api#42

  # From the leaked value itself
  pbpaste | respond leaked-key --key-stdin --yes

  # An AWS access key
  respond leaked-key --key-id AKIAIOSFODNN7EXAMPLE

  # See what would happen, changing nothing
  respond leaked-key --key-id key_abc --project proj_123 --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := runKeyPlaybook(cmd.Context(), f, o, "leaked-key")
			return err
		},
	}
	addKeyFlags(cmd, o, true)
	_ = cmd.RegisterFlagCompletionFunc("credential", completeCredentials(f))
	return cmd
}

func newRotateCmd(f *Factory) *cobra.Command {
	o := &keyOptions{}
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate an API key (" + providerTitles() + ") with no downtime: replace, deploy, verify, then revoke",
		Long: `Rotate an API key (` + providerTitles() + `) on schedule with the built-in rotate-key playbook:
create the replacement, deploy it everywhere the inventory lists and prove it
works, and only then revoke the old key. Nothing breaks at any moment.`,
		Example: `  respond rotate --credential openai-production
  respond rotate --key-id key_abc --project proj_123 --dry-run
  respond rotate --key-id AKIAIOSFODNN7EXAMPLE
  respond rotate --due --yes        # every credential older than its rotate_every (cron: docs/rotation.md)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Due {
				return runRotateDue(cmd.Context(), f, o)
			}
			_, err := runKeyPlaybook(cmd.Context(), f, o, "rotate-key")
			return err
		},
	}
	addKeyFlags(cmd, o, false)
	_ = cmd.RegisterFlagCompletionFunc("credential", completeCredentials(f))
	cmd.Flags().BoolVar(&o.Due, "due", false, "rotate every inventory credential whose key is older than its rotate_every, one rotate-key playbook each (safe to run twice at once)")
	return cmd
}

func addKeyFlags(cmd *cobra.Command, o *keyOptions, alert bool) {
	fl := cmd.Flags()
	fl.StringVar(&o.KeyID, "key-id", "", "the key's ID ("+keyIDShapes()+")")
	fl.StringVar(&o.Project, "project", "", "where the key lives at its provider, for a key ID that needs it ("+scopeExamples()+")")
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
	addReplacementFlag(cmd, &o.runOptions)
}

// runKeyPlaybook runs leaked-key, rotate-key (or --playbook) for one key
// and returns the incident's ID (empty if none was created).
func runKeyPlaybook(ctx context.Context, f *Factory, o *keyOptions, builtin string) (string, error) {
	if err := checkStdin(&o.runOptions, map[bool]string{true: "--key-stdin"}[o.KeyStdin]); err != nil {
		return "", err
	}
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
	// The provider follows from the key ID's shape (key_…, AKIA…), the
	// pasted value's, the alert's secret type or the credential's.
	providerName := ""
	if s, ok := provider.ForKeyID(o.KeyID); ok && o.KeyID != "" {
		providerName = s.Name
	}
	if o.Alert != "" && !githubapi.Configured(f.PluginEnv()) {
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
		sets["project"] = c.Scope
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
		k, err := readLeakedKey(ctx, f)
		if err != nil {
			return "", err
		}
		secrets["key"] = k.Value
		providerName = k.Provider
		if sets["key_id"] == "" {
			sets["key_id"] = k.KeyID
		}
	case o.KeyID != "" || o.Alert != "" || rotateByCredential:
	default:
		if !f.IO.CanPrompt() {
			flags := "--key-id ID (" + keyIDShapes() + "), --key-stdin (the value on standard input), or --alert OWNER/REPO#N"
			if builtin == "rotate-key" {
				flags = "--credential NAME (a credential of the inventory), --key-id ID (" + keyIDShapes() + "), or --key-stdin (the value on standard input)"
			}
			return "", &UsageError{errors.New("say which key: " + flags)}
		}
		picked, scope, keyID, err := pickKey(ctx, f)
		if err != nil {
			return "", err
		}
		sets["key_id"], providerName = keyID, picked
		if s, ok := provider.Lookup(picked); ok && s.Scope.Required {
			sets["project"] = scope
		}
	}
	if rotateByCredential {
		if c, ok := inv.Credential(o.Credential); ok {
			providerName = c.Provider
		}
	}
	if providerName == "" && o.KeyID != "" && o.Book == "" && sets["provider"] == "" {
		// (A key's value given here was refused earlier, unshown.)
		return "", &UsageError{fmt.Errorf("--key-id %s: not a key ID respond knows: %s", oneLine(o.KeyID, 40), keyIDExamples())}
	}
	if s, ok := provider.Lookup(providerName); ok && !s.IsConfigured(f.providers.getenv) {
		return "", &UsageError{errors.New(s.NotConfigured)}
	}
	if err := requireProviders(f, pb, providerName); err != nil {
		return "", err
	}
	if providerName != "" {
		sets["provider"] = providerName
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

// requireProviders refuses, before an incident is created, to run a
// playbook with steps bound to a provider (openai.revoke_key, …) that is
// not configured, unless the key is another provider's.
func requireProviders(f *Factory, pb *playbook.Playbook, keyProvider string) error {
	for _, st := range pb.Steps {
		s, _, ok := provider.ForStepAlias(st.Uses)
		if !ok || s.IsConfigured(f.providers.getenv) || (keyProvider != "" && keyProvider != s.Name) {
			continue
		}
		return &UsageError{fmt.Errorf("playbook %s calls the %s API (step %s), which is not configured: %s", pb.Name, s.Title, st.ID, s.NotConfigured)}
	}
	return nil
}

// keyIDShapes lists the shapes of key IDs respond knows, for flag help
// and messages: "AKIA… for an AWS access key, key_… for an OpenAI API
// key (with --project)".
func keyIDShapes() string {
	var out []string
	for _, s := range provider.Specs() {
		if s.KeyID.Pattern == nil {
			continue
		}
		with := ""
		if s.Scope.Required {
			with = " (with --project)"
		}
		out = append(out, fmt.Sprintf("%s for %s%s", s.KeyID.Shape, article(s.KeyTitle()), with))
	}
	return strings.Join(out, ", ")
}

// keyIDExamples says what each provider's key IDs look like: "an AWS
// access key's ID looks like AKIAIOSFODNN7EXAMPLE, an OpenAI API key's
// like key_abc123 (give --project proj_abc123 with it)".
func keyIDExamples() string {
	var out []string
	for _, s := range provider.Specs() {
		if s.KeyID.Pattern == nil {
			continue
		}
		e := fmt.Sprintf("%s's ID looks like %s", article(s.KeyTitle()), s.KeyID.Example)
		if len(out) > 0 {
			e = fmt.Sprintf("%s's like %s", article(s.KeyTitle()), s.KeyID.Example)
		}
		if s.Scope.Required {
			e += fmt.Sprintf(" (give --project %s with it)", s.Scope.Example)
		}
		out = append(out, e)
	}
	return strings.Join(out, ", ")
}

// readLeakedKey reads the leaked key from stdin: piped, or pasted at a
// prompt without echo on a terminal; see normalizeLeakedKey for what is
// accepted and how the provider follows from it.
func readLeakedKey(ctx context.Context, f *Factory) (leakedKey, error) {
	var raw string
	if f.IO.IsStdinTTY() && f.IO.CanPrompt() {
		s, err := f.Prompter().Password(ctx, "Paste the leaked key (it is not shown):")
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
	for _, v := range k.Secrets {
		f.IO.Secrets.Add(v)
	}
	f.IO.Secrets.Add(k.Value)
	return k, nil
}

// loadInventory finds and parses the inventory, and returns it with its
// absolute path; none at all is fine (the key is still contained), a
// broken one is not.
func loadInventory(f *Factory) (*inventory.Inventory, string, error) {
	return findInventory(f, "No inventory (./respond.yaml): a leaked key is still revoked, but nothing is replaced or deployed. See docs/inventory.md.")
}

// findInventory finds and parses the inventory (--inventory, else
// ./respond.yaml), rendering its diagnostics; with none and none named,
// it says none (what that means for the command) and returns nil.
func findInventory(f *Factory, none string) (*inventory.Inventory, string, error) {
	path, err := inventory.Find(f.Inventory)
	if errors.Is(err, inventory.ErrNotFound) && f.Inventory == "" {
		if !f.JSON() {
			fmt.Fprintln(f.IO.ErrOut, none)
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

// pickKey asks which provider (when more than one is configured), which
// scope (when there are several: OpenAI projects), then which key, from
// tables of what exists, through the provider interface.
func pickKey(ctx context.Context, f *Factory) (providerName, scope, keyID string, err error) {
	var specs []*provider.Spec
	var setup []string
	for _, s := range provider.Specs() {
		switch {
		case s.Caps.Unlisted:
			// Nothing to pick from: its keys come by value or by alert.
		case s.IsConfigured(f.providers.getenv):
			specs = append(specs, s)
		case len(s.Env) > 0:
			setup = append(setup, s.Title+": "+s.Env[0].Name)
		}
	}
	if len(specs) == 0 {
		return "", "", "", &UsageError{fmt.Errorf("no provider is configured to list keys: export the credentials of the one that issued the key (%s; see docs/providers.md)", strings.Join(setup, "; "))}
	}
	spec := specs[0]
	if len(specs) > 1 {
		opts := make([]string, len(specs))
		for i, s := range specs {
			opts[i] = s.Title
		}
		i, err := f.Prompter().Select(ctx, "Which provider issued the leaked key?", opts, -1)
		if err != nil {
			return "", "", "", err
		}
		spec = specs[i]
	}
	_, kp, err := f.Providers().Keys.Get(spec.Name)
	if err != nil {
		return "", "", "", err
	}
	scopes, err := kp.Scopes(ctx)
	if err != nil {
		return "", "", "", err
	}
	if len(scopes) == 0 {
		return "", "", "", fmt.Errorf("respond's %s credentials see no %s", spec.Title, spec.Scope.Kind)
	}
	sc := scopes[0]
	if len(scopes) > 1 {
		opts := make([]string, len(scopes))
		for i, s := range scopes {
			opts[i] = ui.Cell(s.Name, 28) + " " + ui.Clean(s.ID)
		}
		i, err := f.Prompter().Select(ctx, fmt.Sprintf("Which %s holds the leaked key?", spec.Scope.Kind), opts, 0)
		if err != nil {
			return "", "", "", err
		}
		sc = scopes[i]
	}
	keys, err := kp.ListKeys(ctx, sc.ID)
	if err != nil {
		return "", "", "", err
	}
	if len(keys) == 0 {
		return "", "", "", fmt.Errorf("%s %s has no keys", spec.Scope.Kind, sc.ID)
	}
	opts := keyPickerRows(spec, keys, f.tableWidth())
	// No key is preselected: a hurried Enter must not pick one.
	j, err := f.Prompter().Select(ctx, keyPickerQuestion, opts, -1)
	if err != nil {
		return "", "", "", err
	}
	return spec.Name, sc.ID, keys[j].ID, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func prefix(s string, n int) string { return s[:min(n, len(s))] }
func suffix(s string, n int) string { return s[max(0, len(s)-n):] }

// completeCredentials completes --credential with the inventory's
// credentials (nothing when there is no inventory, or it does not parse).
func completeCredentials(f *Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		path, err := inventory.Find(f.Inventory)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		src, err := inventory.ReadFile(path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		inv, _ := inventory.Parse(path, src)
		var names []string
		if inv != nil {
			for _, c := range inv.Credentials {
				names = append(names, textsafe.Line(c.Name)+"\t"+textsafe.Line(c.Provider))
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
