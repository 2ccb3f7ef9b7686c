package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/internal/textsafe"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/playbook"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/ui"
)

// PlaybookCopy is the copy of the playbook kept in the incident directory:
// resume runs exactly what the incident started with.
const PlaybookCopy = "playbook.yaml"

type runOptions struct {
	Playbook    string
	Set         []string
	SecretStdin string
	// ReplacementStdin: a replacement a person made (for a provider that
	// cannot create one through its API) is read from standard input.
	ReplacementStdin bool
	DryRun           bool
	AssumeDone       []string
	Rerun            []string
}

func newRunCmd(f *Factory) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run PLAYBOOK",
		Short: "Run a playbook (a built-in name or a file)",
		Long: `Run a playbook: show the plan, ask for confirmation on a terminal, apply it
step by step, and journal everything in a new incident directory.

Inputs are given with --set NAME=VALUE (lists are comma-separated). A secret
input is never a flag: pipe it on standard input with --secret-stdin NAME, or
type it at the prompt on a terminal.

Without a terminal, nothing that changes anything runs unless --yes is given.`,
		Example: `  # Preview, then apply
  respond run exec-rotate --set generate=./new-key.sh --set store=./store.sh \
    --set targets=prod,staging --set verify=./check.sh --set revoke=./revoke.sh --dry-run
  respond run ./my-playbook.yaml --set env=prod --yes

  # A secret input, from standard input
  pass show ci/token | respond run ./rotate.yaml --secret-stdin token --yes`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePlaybooks,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Playbook = args[0]
			return runPlaybook(cmd.Context(), f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Set, "set", nil, "set an input: NAME=VALUE (repeatable; lists comma-separated)")
	fl.StringVar(&o.SecretStdin, "secret-stdin", "", "read the secret input `NAME` from standard input")
	addReplacementFlag(cmd, o)
	fl.BoolVar(&o.DryRun, "dry-run", false, "show the plan and stop; nothing is changed")
	return cmd
}

func parseSets(sets []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, &UsageError{fmt.Errorf("--set %q: expected NAME=VALUE", s)}
		}
		out[k] = v
	}
	return out, nil
}

// addReplacementFlag adds --replacement-stdin to a command that runs a
// playbook.
func addReplacementFlag(cmd *cobra.Command, o *runOptions) {
	cmd.Flags().BoolVar(&o.ReplacementStdin, "replacement-stdin", false,
		"read the replacement key from standard input, for a provider that cannot create one through its API (a person made it in the provider's console)")
}

// checkStdin refuses two flags that both read standard input.
func checkStdin(o *runOptions, others ...string) error {
	var users []string
	for _, x := range append([]string{map[bool]string{true: "--replacement-stdin"}[o.ReplacementStdin],
		map[bool]string{true: "--secret-stdin " + o.SecretStdin}[o.SecretStdin != ""]}, others...) {
		if x != "" {
			users = append(users, x)
		}
	}
	if len(users) > 1 {
		return &UsageError{fmt.Errorf("%s all read standard input: give one of them", strings.Join(users, " and "))}
	}
	return nil
}

// readSecret reads one secret value from r (trailing newline trimmed).
func readSecret(r io.Reader, name string) (secret.Value, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return secret.Value{}, fmt.Errorf("read secret input %s from standard input: %w", name, err)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return secret.Value{}, &UsageError{fmt.Errorf("secret input %s: standard input was empty; pipe the value in, e.g. `pass show x | respond … --secret-stdin %s`", name, name)}
	}
	return secret.New(string(b)), nil
}

// secretInputs collects secret inputs: --secret-stdin, else a prompt on a
// terminal for required ones.
func secretInputs(ctx context.Context, f *Factory, pb *playbook.Playbook, stdinName string, want map[string]string) (map[string]secret.Value, error) {
	out := map[string]secret.Value{}
	if stdinName != "" {
		found := false
		for _, in := range pb.Inputs {
			if in.Name == stdinName {
				found = in.Type == step.Secret
			}
		}
		if !found {
			return nil, &UsageError{fmt.Errorf("--secret-stdin %s: playbook %s has no secret input named %s", stdinName, pb.Name, stdinName)}
		}
		v, err := readSecret(f.IO.In, stdinName)
		if err != nil {
			return nil, err
		}
		out[stdinName] = v
	}
	for _, in := range pb.Inputs {
		// Needed: required, or given when the incident started (a resumed
		// incident must get the same value back: secrets are not kept).
		givenBefore := want[in.Name] != "" && want[in.Name] != secret.Fingerprint("")
		if in.Type != step.Secret || !(in.Required || givenBefore) {
			continue
		}
		if _, ok := out[in.Name]; ok {
			continue
		}
		if !f.IO.CanPrompt() {
			why := "is required"
			if givenBefore {
				why = "was given when the incident started and is not kept"
			}
			return nil, &UsageError{fmt.Errorf("secret input %s %s: pipe it on standard input with --secret-stdin %s (secrets are never taken as command-line arguments)", in.Name, why, in.Name)}
		}
		// The description is a line of its own (it may be long); the
		// question is short, and whole on an 80-column terminal.
		question := fmt.Sprintf("Paste %s (it is not shown):", in.Name)
		if givenBefore {
			question = fmt.Sprintf("Paste %s again, the value the incident started with (it is not shown):", in.Name)
		}
		if d := strings.TrimSpace(in.Description); d != "" {
			writeWrapped(f.IO.ErrOut, in.Name+": "+textsafe.Line(d), f.IO.TerminalWidth(), "", "  ")
		}
		v, err := f.Prompter().Password(ctx, question)
		if err != nil {
			return nil, err
		}
		out[in.Name] = secret.New(v)
	}
	for name, v := range out {
		if fp, ok := want[name]; ok && fp != v.Fingerprint() {
			return nil, &UsageError{fmt.Errorf("secret input %s differs from the value the incident started with (fingerprints differ); give the same value", name)}
		}
		f.IO.Secrets.Add(v)
	}
	return out, nil
}

func mutates(f *Factory, pb *playbook.Playbook) bool {
	cat := f.Catalog()
	for _, st := range pb.Steps {
		if k, ok := cat.Lookup(st.Uses); ok && k.Spec().Mutates {
			return true
		}
	}
	return false
}

func runPlaybook(ctx context.Context, f *Factory, o *runOptions) error {
	pb, err := loadPlaybook(f, o.Playbook)
	if err != nil {
		return err
	}
	if err := requireProviders(f, pb, ""); err != nil {
		return err
	}
	sets, err := parseSets(o.Set)
	if err != nil {
		return err
	}
	if !o.DryRun && !f.Yes && !f.IO.CanPrompt() && mutates(f, pb) {
		return engine.ErrNeedsYes
	}
	secrets, err := secretInputs(ctx, f, pb, o.SecretStdin, nil)
	if err != nil {
		return err
	}
	inputs, err := playbook.ResolveInputs(pb, sets, secrets)
	if err != nil {
		return &UsageError{err}
	}
	wd, _ := os.Getwd()

	inc, cleanup, err := newIncident(f, pb, wd, o.DryRun)
	if err != nil {
		return err
	}
	defer cleanup()
	return execute(ctx, f, pb, inc, inputs, nil, wd, o)
}

// journalKey is the key that seals inc's journal: the state directory's
// (created with the first incident that needs one), or for a dry run's
// throwaway journal a key of its own that nothing keeps.
func journalKey(f *Factory, inc *incident.Incident, throwaway, create bool) (journal.Key, error) {
	if throwaway {
		return journal.GenerateKey().For(inc.ID), nil
	}
	k, err := incident.NewStore(f.StateDir).JournalKey(create)
	if err != nil {
		return journal.Key{}, err
	}
	return k.For(inc.ID), nil
}

// execute locks the incident, runs the engine and shows the outcome.
func execute(ctx context.Context, f *Factory, pb *playbook.Playbook, inc *incident.Incident, inputs map[string]any, history []journal.Record, wd string, o *runOptions) error {
	cmdline := f.command
	if cmdline == "" {
		cmdline = strings.Join(os.Args, " ")
	}
	holder := incident.Me(cmdline)
	if f.responder != "" {
		holder.User = f.responder
	}
	lock, err := inc.Lock(holder)
	if err != nil {
		return err
	}
	defer lock.Release()
	key, err := journalKey(f, inc, o.DryRun && len(history) == 0, len(history) == 0)
	if err != nil {
		return err
	}
	jw, err := journal.Open(inc.JournalPath(), key, f.IO.Secrets)
	if err != nil {
		return err
	}
	defer jw.Close()
	var locker step.Locker
	if !o.DryRun {
		holder.Incident = inc.ID
		kl := incident.NewKeyLocks(f.StateDir, holder)
		defer kl.Release()
		locker = kl
	}

	view := &textView{width: f.IO.TerminalWidth(), mask: f.IO.Secrets.MaskString, out: f.IO.Out, err: f.IO.ErrOut, p: ui.Palette{Enabled: f.IO.ColorEnabled()}, json: f.JSON(), verbose: f.Verbose}
	if !f.JSON() {
		verb := "Incident"
		if o.DryRun {
			verb = "Dry run (nothing is saved or changed) for incident"
		} else if len(history) > 0 {
			verb = "Resuming incident"
		}
		if f.IO.TerminalWidth() > 0 {
			// The directory on a line of its own: a path does not wrap.
			fmt.Fprintf(f.IO.ErrOut, "%s %s in\n  %s\n", verb, inc.ID, inc.Dir)
		} else {
			fmt.Fprintf(f.IO.ErrOut, "%s %s (%s)\n", verb, inc.ID, inc.Dir)
		}
	}
	eng, err := engine.New(engine.Options{
		Playbook:   pb,
		Catalog:    f.Catalog(),
		Inputs:     inputs,
		Incident:   inc.ID,
		Dir:        inc.Dir,
		WorkDir:    wd,
		Journal:    jw,
		History:    history,
		Secrets:    f.IO.Secrets,
		Observer:   view,
		Approver:   &approver{f: f, user: currentUser(), replacementStdin: o.ReplacementStdin},
		Locker:     locker,
		DryRun:     o.DryRun,
		AssumeDone: o.AssumeDone,
		Rerun:      o.Rerun,
		Command:    cmdline,
		BeforeStep: chainHooks(crashHook(os.Getenv("RESPOND_TEST_CRASH_BEFORE")), f.beforeStep),
		Responder:  f.responder,
		Drill:      f.drill,
		Sleep:      f.retrySleep,
	})
	if err != nil {
		return err
	}
	out, runErr := eng.Run(ctx)
	view.summary(out)
	var (
		reports []string
		rep     *report.Report
	)
	if !o.DryRun {
		// The report is rebuilt from the journal whatever the outcome, so
		// a failed or interrupted incident has one too; the verdict is
		// journaled first, so `respond incidents` shows it.
		var rerr error
		rep, rerr = report.Build(inc)
		if rerr == nil && errors.Is(runErr, step.ErrLocked) {
			// Refused: another responder is on the key; this run did
			// nothing to judge.
			rep.Invariant = nil
		}
		if rerr == nil && rep.Invariant != nil {
			var failing []string
			for _, c := range rep.Invariant.Failing() {
				failing = append(failing, c.Name+": "+c.Detail)
			}
			_, _ = jw.Append(journal.Record{Type: journal.OutcomeRecorded, Status: rep.Invariant.Verdict, Message: strings.Join(failing, "\n")})
		}
		if rerr == nil {
			reports, rerr = report.Write(inc.Dir, rep)
		}
		if rerr != nil {
			fmt.Fprintf(f.IO.ErrOut, "respond: warning: could not write the report: %v (regenerate it with `respond report %s`)\n", rerr, inc.ID)
		}
		var pe *engine.PartialError
		if rep != nil && rep.Invariant.Holds() && errors.As(runErr, &pe) && !f.JSON() {
			// The response recovered; a step beside the point (the usage
			// read) failed: say so, without failing the response.
			fmt.Fprintf(f.IO.ErrOut, "note: %s; the response recovered, but the report lacks what they found (`respond resume %s` retries them)\n",
				strings.Join(pe.Failed, ", ")+" failed", inc.ID)
		}
		runErr = outcomeError(inc.ID, rep, runErr)
	}
	if f.JSON() {
		type result struct {
			*engine.Outcome
			Verdict   string            `json:"verdict,omitempty"`
			Invariant *report.Invariant `json:"invariant,omitempty"`
			Journal   string            `json:"journal,omitempty"`
			Reports   []string          `json:"reports,omitempty"`
			Error     string            `json:"error,omitempty"`
			ExitCode  int               `json:"exit_code"`
		}
		r := result{Outcome: out, Reports: reports, ExitCode: ExitCode(runErr)}
		if rep != nil && rep.Invariant != nil {
			r.Verdict, r.Invariant = rep.Invariant.Verdict, rep.Invariant
		}
		if !o.DryRun {
			r.Journal = inc.JournalPath()
		}
		if runErr != nil {
			r.Error = f.IO.Secrets.MaskString(runErr.Error())
		}
		if err := writeJSON(f, r); err != nil {
			return err
		}
	} else if out != nil {
		if rep != nil {
			printOutcome(f.IO.ErrOut, ui.Palette{Enabled: f.IO.ColorEnabled()}, rep, f.IO.TerminalWidth())
		}
		// On a terminal each path is a line of its own (a path does not
		// wrap); piped, one line each, for grep.
		sep, journalSep := ", ", " Journal: "
		if f.IO.TerminalWidth() > 0 {
			sep, journalSep = "\n        ", "\nJournal: "
		}
		switch {
		case o.DryRun:
			fmt.Fprintln(f.IO.ErrOut, "Dry run: nothing was changed.")
		case runErr == nil && rep != nil && rep.Invariant != nil:
			fmt.Fprintf(f.IO.ErrOut, "Incident %s: %s.%s%s\n", inc.ID, rep.Invariant.Verdict, journalSep, inc.JournalPath())
		case runErr == nil:
			fmt.Fprintf(f.IO.ErrOut, "Incident %s %s.%s%s\n", inc.ID, out.Status, journalSep, inc.JournalPath())
		}
		if len(reports) > 0 {
			fmt.Fprintf(f.IO.ErrOut, "Report: %s\n", strings.Join(reports, sep))
		}
	}
	return runErr
}
