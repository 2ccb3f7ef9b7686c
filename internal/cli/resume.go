package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/owned"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

func newResumeCmd(f *Factory) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "resume ID",
		Short: "Continue an interrupted incident from its journal",
		Long: `Continue an incident that was interrupted (Ctrl-C, a crash, a lost
connection) or that ended with failed steps. Steps that finished are not
repeated; a step that started and never recorded its end is reconciled: respond
asks the world whether it took effect before doing anything again.

Before anything runs, resume shows its plan; a step whose interrupted attempt
respond cannot check stops it there, changing nothing, until you decide with
--assume-done or --rerun. An input that was empty when the incident started
can be given now with --set (e.g. the credential of a key the provider
disabled); inputs that were given cannot change. When the first run found no
credential for the key in the inventory, resume reads the inventory again.

Only one responder can work on an incident at a time: a second one is refused
with the name of the first.`,
		Example: `  respond resume INC-20261127-161200-ab12
  respond resume ab12 --yes                 # the ID's unique suffix is enough
  respond resume ab12 --dry-run             # the plan of what resume would do, changing nothing
  respond resume ab12 --assume-done revoke  # you checked: that step took effect
  respond resume ab12 --set credential=openai-prod`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeIncidents(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			return resume(cmd.Context(), f, args[0], o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.SecretStdin, "secret-stdin", "", "read the secret input `NAME` from standard input again (secrets are not kept)")
	addReplacementFlag(cmd, o)
	fl.StringArrayVar(&o.Set, "set", nil, "give an input that was empty when the incident started: NAME=VALUE (repeatable)")
	fl.BoolVar(&o.DryRun, "dry-run", false, "show what resume would do and stop; nothing is changed or recorded")
	fl.StringSliceVar(&o.AssumeDone, "assume-done", nil, "treat these interrupted steps as having taken effect (you checked)")
	fl.StringSliceVar(&o.Rerun, "rerun", nil, "run these steps again even if they finished or their outcome is unknown")
	return cmd
}

func resume(ctx context.Context, f *Factory, id string, o *runOptions) error {
	store := incident.NewStore(f.StateDir)
	inc, err := store.Open(id)
	if errors.Is(err, owned.ErrNotTrusted) {
		return err
	}
	if err != nil {
		return &UsageError{err}
	}
	recs, err := readTrustedJournal(store, inc)
	if err != nil {
		return err
	}
	var start *journal.Record
	for i := range recs {
		if recs[i].Type == journal.IncidentStarted {
			start = &recs[i]
			break
		}
	}
	if start == nil {
		return fmt.Errorf("incident %s has no start record in %s; it cannot be resumed", inc.ID, inc.JournalPath())
	}
	if s := incident.Summarize(inc.ID, recs); s.Status == report.StatusAbandoned {
		return &UsageError{fmt.Errorf("incident %s was closed as abandoned (%s): it cannot be resumed; start a new response instead", inc.ID, s.Closed)}
	} else if s.Status == "completed" && len(o.Rerun) == 0 && (s.Outcome == "" || s.Outcome == "recovered") {
		fmt.Fprintf(f.IO.ErrOut, "Incident %s is already completed; nothing to resume.\n", inc.ID)
		return nil
	}
	// The playbook copy and the working directory decide what runs and
	// where: they must be what the sealed journal says.
	src, err := owned.ReadFile(filepath.Join(inc.Dir, PlaybookCopy), "playbook copy", false)
	if err != nil {
		return fmt.Errorf("incident %s lost its playbook copy: %w", inc.ID, err)
	}
	if d, _ := start.Data["digest"].(string); d != "" && d != secret.Fingerprint(string(src)) {
		return notResumable(inc, fmt.Errorf("its playbook copy %s is not the playbook the journal says the incident started with (digest %s)", filepath.Join(inc.Dir, PlaybookCopy), d))
	}
	name, _ := start.Data["file"].(string)
	if name == "" {
		name = PlaybookCopy
	}
	pb, diags := playbook.Parse(name, src, f.Catalog())
	if diags.HasErrors() {
		diags.Render(f.IO.ErrOut, map[string][]byte{name: src}, f.IO.ColorEnabled())
		return &SilentError{Code: ExitUsage}
	}
	for _, s := range append(append([]string{}, o.AssumeDone...), o.Rerun...) {
		if !hasStep(pb, s) {
			return &UsageError{fmt.Errorf("playbook %s has no step %q", pb.Name, s)}
		}
	}
	// Inputs as journaled; secrets must be given again and match.
	saved, _ := start.Data["inputs"].(map[string]any)
	sets := map[string]string{}
	want := map[string]string{}
	wantRed := map[string]string{}
	for _, in := range pb.Inputs {
		v, ok := saved[in.Name]
		if !ok {
			continue
		}
		switch in.Type {
		case step.Secret:
			if m, ok := v.(map[string]any); ok {
				want[in.Name], _ = m["fingerprint"].(string)
				wantRed[in.Name], _ = m["redacted"].(string)
			}
			continue
		case step.Any:
			continue // restored as journaled, below
		}
		sets[in.Name] = inputString(v, in.Type)
	}
	newSets, err := parseSets(o.Set)
	if err != nil {
		return err
	}
	for name, v := range newSets {
		in, ok := pb.Input(name)
		switch {
		case !ok:
			return &UsageError{fmt.Errorf("--set %s: playbook %s has no input %s", name, pb.Name, name)}
		case in.Type == step.Secret:
			return &UsageError{fmt.Errorf("--set %s: %s is a secret: give it on standard input with --secret-stdin %s", name, name, name)}
		case in.Type == step.Any:
			return &UsageError{fmt.Errorf("--set %s: %s is filled in by respond", name, name)}
		case sets[name] != "" && sets[name] != v:
			return &UsageError{fmt.Errorf("--set %s: incident %s started with %s=%s, and inputs that were given cannot change; start a new response instead", name, inc.ID, name, sets[name])}
		}
		sets[name] = v
	}
	// A secret the incident was given is asked for again, at a terminal or
	// on standard input (--secret-stdin); without either, the resume is
	// refused before anything runs, saying how to give it. When standard
	// input carries the replacement, the secret is withheld instead: a step
	// that still needs it fails saying which input to give (a finished
	// identify does not).
	withheld := map[string]secret.Value{}
	for name, fp := range want {
		if name == o.SecretStdin || fp == "" || fp == secret.Fingerprint("") {
			continue
		}
		if o.ReplacementStdin {
			withheld[name] = secret.Withheld(fp, wantRed[name])
			delete(want, name)
		}
	}
	secrets, err := secretInputs(ctx, f, pb, o.SecretStdin, want)
	if err != nil {
		return err
	}
	for name, v := range withheld {
		secrets[name] = v
	}
	inputs, err := playbook.ResolveInputs(pb, sets, secrets)
	if err != nil {
		return &UsageError{fmt.Errorf("inputs of incident %s: %w", inc.ID, err)}
	}
	for _, in := range pb.Inputs {
		v, ok := saved[in.Name]
		if !ok || in.Type != step.Any {
			continue
		}
		inputs[in.Name] = v
		if in.Name != "credentials" {
			continue // other structured inputs resume as the incident started
		}
		// The inventory is read again on every resume: a target fixed,
		// added or removed since counts (#16). The run acts on it; the
		// targets an earlier run wrote stay in the final check.
		inv, err := rereadInventory(f, sets["inventory"])
		switch {
		case err != nil:
			return err
		case inv == nil:
			fmt.Fprintf(f.IO.ErrOut, "The inventory %s is gone: resuming with the credentials the incident started with.\n", orDash(sets["inventory"]))
			continue
		}
		now := credentialsInput(inv)
		if lines := inventoryChanges(v, now); len(lines) > 0 && !f.JSON() {
			fmt.Fprintf(f.IO.ErrOut, "The inventory %s changed since the incident started:\n", inv.File)
			for _, l := range lines {
				fmt.Fprintf(f.IO.ErrOut, "  %s\n", f.IO.Secrets.MaskString(l))
			}
		}
		inputs[in.Name] = now
	}
	wd, _ := start.Data["workdir"].(string)
	if b, err := owned.ReadFile(filepath.Join(inc.Dir, "workdir"), "working directory record", false); err == nil {
		if wd != "" && string(b) != wd {
			return notResumable(inc, fmt.Errorf("its workdir file says %q, and its journal %q", b, wd))
		}
		wd = string(b)
	} else if errors.Is(err, owned.ErrNotTrusted) {
		return err
	}
	if wd == "" {
		wd, _ = os.Getwd()
	}
	if o.DryRun {
		// A dry run of a resume works on a copy of the journal, so that
		// nothing is recorded in the incident.
		tmp, err := os.MkdirTemp("", "respond-resume-plan-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		for _, name := range []string{journal.FileName, PlaybookCopy, "workdir"} {
			if b, err := os.ReadFile(filepath.Join(inc.Dir, name)); err == nil {
				if err := os.WriteFile(filepath.Join(tmp, name), b, 0o600); err != nil {
					return err
				}
			}
		}
		inc = &incident.Incident{ID: inc.ID, Dir: tmp}
	}
	return execute(ctx, f, pb, inc, inputs, recs, wd, o)
}

// readTrustedJournal reads inc's journal after checking its seals with
// the state directory's key: resume acts on what the journal says (which
// commands get the new key, which keys to delete), so it must be what
// respond wrote.
func readTrustedJournal(store *incident.Store, inc *incident.Incident) ([]journal.Record, error) {
	key, err := store.JournalKey(false)
	if errors.Is(err, incident.ErrNoJournalKey) {
		return nil, notResumable(inc, err)
	}
	if err != nil {
		return nil, err
	}
	recs, err := journal.ReadSealed(inc.JournalPath(), key.For(inc.ID))
	if errors.Is(err, journal.ErrTampered) {
		return nil, notResumable(inc, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read the journal of %s: %w", inc.ID, err)
	}
	return recs, nil
}

// notResumable is the refusal to resume inc, why, and what to do.
func notResumable(inc *incident.Incident, why error) error {
	return fmt.Errorf("incident %s will not be resumed: %w. Nothing was run. "+
		"A resume does what the journal says (which commands get the new key, which keys to delete), so it runs only on the journal respond wrote and sealed. "+
		"Find out who changed %s: compare the journal with the reports written at the end of each run beside it. "+
		"To finish the response, start a new one (respond leaked-key, or respond rotate), which reads the keys and targets afresh",
		inc.ID, why, inc.Dir)
}

func hasStep(pb *playbook.Playbook, id string) bool {
	for _, st := range pb.Steps {
		if st.ID == id {
			return true
		}
	}
	return false
}

// inputString turns a journaled input back into its --set form.
func inputString(v any, t step.Type) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i := range x {
			parts[i] = fmt.Sprint(x[i])
		}
		return strings.Join(parts, ",")
	case float64:
		if t == step.Duration {
			return time.Duration(x).String()
		}
		return fmt.Sprint(int64(x))
	}
	return fmt.Sprint(v)
}
