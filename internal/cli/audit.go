package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/audit/render"
	"github.com/respondhq/respond/internal/audit/runner"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/target"
)

type auditOptions struct {
	Format   string
	File     string
	Template string
	FailOn   string
	Baseline string
	Orgs     []string
}

func newAuditCmd(f *Factory) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check how keys are handled before the next leak: inventory drift, old and unused keys, alerts, push protection",
		Long: `Audit how API keys are handled, reading only: nothing is changed.

Inventory drift first (key-like GitHub secrets the inventory does not list,
keys in use that no credential names, credentials whose key is gone,
targets whose container does not exist), then every provider of keys and
type of target respond knows (old and unused keys, keys owned by people,
usage spikes, admin keys, spend controls, AWS's credential report, .env
files others can read or git does not ignore), and GitHub (open
secret-scanning alerts, push protection, secrets copied into many
repositories, organization secrets visible to all). docs/audit.md lists
every check: what it looks at, why, and how to fix it.

Every finding has an ID, a severity, its evidence (never a secret), why it
matters and the exact fix. Output: a table grouped by severity (default),
--output json, or --format json, sarif (for GitHub code scanning), markdown
or html; --out FILE writes it to a file (the format follows the extension).
--fail-on SEVERITY exits 7 when a finding is that severe or worse, for CI.
--baseline FILE accepts findings, each with a reason and an expiry.

The GitHub part reads each organization the inventory names (and --org):
a request per 100 repositories, 2 per repository (its Actions and
Dependabot secrets), 2 for the organization's secrets and one per 100
open alerts, paced within GitHub's rate limits; the cost is said before
it starts.`,
		Example: `  respond audit
  respond audit --fail-on high --baseline audit-baseline.yaml
  respond audit --format sarif --out respond.sarif
  respond audit --org acme --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runAudit(cmd, f, o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "", "table, json, sarif, markdown or html (default: from --out's extension, else table; --output json is json)")
	fl.StringVar(&o.File, "out", "", "write the result to `FILE` instead of standard output")
	fl.StringVar(&o.Template, "template", "", "render markdown or html with this template `FILE` instead of the built-in one")
	fl.StringVar(&o.FailOn, "fail-on", "", "exit 7 when a finding is this severe or worse: "+strings.Join(audit.SeverityNames(), ", "))
	fl.StringVar(&o.Baseline, "baseline", "", "a `FILE` of accepted findings, each with a reason and an expiry")
	fl.StringSliceVar(&o.Orgs, "org", nil, "a GitHub organization to audit besides those the inventory names (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"table", "json", "sarif", "markdown", "html"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions(audit.SeverityNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// FindingsError: the audit found a finding as severe as --fail-on or
// worse (exit 7).
type FindingsError struct {
	N      int
	FailOn audit.Severity
}

func (e *FindingsError) Error() string {
	return fmt.Sprintf("%d finding(s) of severity %s or worse (--fail-on %s)", e.N, e.FailOn, e.FailOn)
}

func runAudit(cmd *cobra.Command, f *Factory, o *auditOptions) error {
	format := render.Table
	switch {
	case o.Format != "":
		ff, err := render.ParseFormat(o.Format)
		if err != nil {
			return &UsageError{err}
		}
		format = ff
	case o.File != "":
		if ff, ok := render.FormatForFile(o.File); ok {
			format = ff
		}
	case f.JSON():
		format = render.JSON
	}
	if f.JSON() && o.Format != "" && format != render.JSON {
		return &UsageError{fmt.Errorf("--output json and --format %s disagree: give one of them", o.Format)}
	}
	if o.Template != "" && format != render.Markdown && format != render.HTML {
		return &UsageError{errors.New("--template applies to the markdown and html formats")}
	}
	var failOn *audit.Severity
	if o.FailOn != "" {
		s, err := audit.ParseSeverity(o.FailOn)
		if err != nil {
			return &UsageError{fmt.Errorf("--fail-on: %w", err)}
		}
		failOn = &s
	}
	var base *audit.Baseline
	if o.Baseline != "" {
		src, err := os.ReadFile(o.Baseline)
		if err != nil {
			return &UsageError{fmt.Errorf("--baseline: %w", err)}
		}
		b, diags := audit.ParseBaseline(o.Baseline, src)
		if len(diags) > 0 {
			diags.Render(f.IO.ErrOut, map[string][]byte{o.Baseline: src}, f.IO.ColorEnabled())
		}
		if diags.HasErrors() {
			return &SilentError{Code: ExitUsage}
		}
		base = b
	}
	inv, invPath, err := loadAuditInventory(f)
	if err != nil {
		return err
	}
	start := f.Now()
	log := func(format string, args ...any) {
		if !f.JSON() {
			fmt.Fprintf(f.IO.ErrOut, format+"\n", args...)
		}
	}
	env := f.PluginEnv()
	res, err := runner.Run(cmd.Context(), runner.Options{
		Inventory: inv, Env: env, Keys: provider.NewSet(env), Writers: target.NewSet(env),
		Orgs: o.Orgs, Now: start, Log: log,
	})
	if err != nil {
		return err
	}
	notes := base.Apply(res.Findings, start)
	doc := render.NewDocument(res.Findings)
	doc.Version = buildVersion().Version
	doc.Started = start.UTC()
	doc.Duration = f.Now().Sub(start).Seconds()
	doc.Skipped = append(doc.Skipped, res.Skipped...)
	doc.Notes = append(doc.Notes, notes...)
	doc.Repositories = res.Repositories
	for _, c := range res.Cost {
		doc.Cost = append(doc.Cost, render.Cost(c))
	}
	if wd, err := os.Getwd(); err == nil {
		doc.Root = wd
		if invPath != "" {
			if rel, err := filepath.Rel(wd, invPath); err == nil && !strings.HasPrefix(rel, "..") {
				invPath = rel
			}
		}
	}
	doc.Inventory = invPath
	if failOn != nil {
		doc.FailOn = failOn.String()
		doc.Failed = doc.AtLeast(*failOn) > 0
	}
	var buf bytes.Buffer
	switch format {
	case render.Markdown:
		err = render.WriteMarkdown(&buf, doc, o.Template)
	case render.HTML:
		err = render.WriteHTML(&buf, doc, o.Template)
	default:
		width := f.IO.TerminalWidth()
		if width == 0 || width > 200 {
			width = render.DefaultWidth
		}
		err = render.Write(&buf, doc, format, width)
	}
	if err != nil {
		if o.Template != "" {
			return &UsageError{err}
		}
		return err
	}
	if o.File == "" || o.File == "-" {
		if _, err := f.IO.Out.Write(buf.Bytes()); err != nil {
			return err
		}
	} else {
		if err := writeReportFile(o.File, buf.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "Wrote the audit (%s, %d findings) to %s\n", format, len(doc.Findings), o.File)
	}
	if format == render.JSON && (o.File == "" || o.File == "-") {
		f.wroteJSON = true
	}
	if doc.Failed {
		return &FindingsError{N: doc.AtLeast(*failOn), FailOn: *failOn}
	}
	return nil
}

// loadAuditInventory is the inventory, if there is one: without one the
// audit still checks the providers and GitHub organizations given.
func loadAuditInventory(f *Factory) (*inventory.Inventory, string, error) {
	return findInventory(f, "No inventory (./respond.yaml): every key in use is one no credential names. See docs/inventory.md.")
}
