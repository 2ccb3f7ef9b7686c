package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/owned"
	"github.com/respondhq/respond/internal/report"
)

type reportOptions struct {
	ID       string
	Format   string
	File     string
	Template string
}

func newReportCmd(f *Factory) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report ID",
		Short: "Write an incident's report: Markdown, HTML or JSON",
		Long: `Build the post-incident report of an incident from its journal and write it:
Markdown (renders on GitHub, with a Mermaid timeline), self-contained HTML
(an inline SVG chart of the key's usage; no external request) or JSON (the
report model, documented in docs/reports.md).

It works for any incident: completed, failed, interrupted or still running.
The report holds no secret value: only redacted forms and fingerprints.

ID may be the full incident ID or a unique part of it. Without -o the report
goes to standard output; with -o FILE and no --format, the format follows
the file's extension (.md, .html, .json). --template replaces the built-in
Markdown or HTML template with a file in the same template language.`,
		Example: `  respond report INC-20261127-161200-ab12
  respond report ab12 --format html -o report.html
  respond report ab12 -o report.json
  respond report ab12 --template ./our-postmortem.md.tmpl`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeIncidents(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = args[0]
			return runReport(f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "", "report format: markdown, html or json (default: from -o's extension, else markdown)")
	// -o names the file here; it shadows the global --output text|json,
	// which has no meaning for a report.
	fl.StringVarP(&o.File, "output", "o", "", "write the report to `FILE` instead of standard output")
	fl.StringVar(&o.Template, "template", "", "render with this template `FILE` instead of the built-in one (markdown and html)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"markdown", "html", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runReport(f *Factory, o *reportOptions) error {
	format := report.Markdown
	switch {
	case o.Format != "":
		ff, err := report.ParseFormat(o.Format)
		if err != nil {
			return &UsageError{err}
		}
		format = ff
	case o.File == "text" || o.File == "json":
		return &UsageError{fmt.Errorf("-o %s: for `respond report`, -o names the file to write; choose the format with --format (markdown, html or json)", o.File)}
	case o.File != "":
		if ff, ok := report.FormatForFile(o.File); ok {
			format = ff
		}
	}
	if o.Template != "" && format == report.JSON {
		return &UsageError{fmt.Errorf("--template applies to the markdown and html formats; the json format is the report model itself")}
	}
	store := incident.NewStore(f.StateDir)
	inc, err := store.Open(o.ID)
	if errors.Is(err, owned.ErrNotTrusted) {
		return err
	}
	if err != nil {
		return &UsageError{err}
	}
	if _, err := readTrustedJournal(store, inc); errors.Is(err, journal.ErrTampered) || errors.Is(err, incident.ErrNoJournalKey) {
		// The report shows the journal as it is; say it cannot be trusted.
		fmt.Fprintf(f.IO.ErrOut, "respond: warning: journal %s fails its integrity check (see `respond resume %s`): this report shows what it says now, which may not be what happened\n", inc.JournalPath(), inc.ID)
	}
	r, err := report.Build(inc)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, r, format, o.Template); err != nil {
		if o.Template != "" {
			return &UsageError{err}
		}
		return err
	}
	if o.File == "" || o.File == "-" {
		_, err := f.IO.Out.Write(buf.Bytes())
		return err
	}
	if err := writeReportFile(o.File, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "Wrote the %s report of %s to %s\n", format, inc.ID, o.File)
	return nil
}

// writeReportFile writes b to path through a temporary file in the same
// directory, mode 0600 (reports are evidence).
func writeReportFile(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+strings.TrimPrefix(filepath.Base(path), ".")+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
