package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/ui"
)

// DefaultWidth is the table's width when none is given: it fits an
// 80-column terminal, and a CI log.
const DefaultWidth = 80

// WriteTable writes the findings grouped by severity, most severe first:
// a heading per severity, then each finding's subject, what is wrong and
// its fix, wrapped to width.
func WriteTable(w io.Writer, d *Document, width int) error {
	if width <= 0 {
		width = DefaultWidth
	}
	var groups []ui.Group
	for s := audit.Critical; s >= audit.Info; s-- {
		var items []ui.Item
		for _, f := range d.Findings {
			if f.Severity != s {
				continue
			}
			items = append(items, ui.Item{Mark: "!", Target: f.Subject, Detail: summary(f)})
			items = append(items, ui.Item{Target: "-", Detail: "fix: " + f.Fix})
		}
		if len(items) == 0 {
			continue
		}
		n := d.Counts[s.String()]
		groups = append(groups, ui.Group{Heading: []string{strings.ToUpper(s.String()), fmt.Sprintf("%d finding%s", n, plural(n))}, Items: items})
	}
	total := len(d.Findings)
	var b strings.Builder
	if total == 0 {
		fmt.Fprintf(&b, "No findings")
	} else {
		fmt.Fprintf(&b, "%d finding%s", total, plural(total))
	}
	if len(d.Accepted) > 0 {
		fmt.Fprintf(&b, " (%d more accepted by the baseline)", len(d.Accepted))
	}
	if d.Repositories > 0 {
		fmt.Fprintf(&b, " in %d GitHub repositor%s", d.Repositories, map[bool]string{true: "y", false: "ies"}[d.Repositories == 1])
	}
	b.WriteString(".")
	if err := ui.Groups(w, width, groups); err != nil {
		return err
	}
	if len(groups) > 0 {
		fmt.Fprintln(w)
	}
	for _, l := range ui.Wrap(b.String(), width, 0) {
		fmt.Fprintln(w, l)
	}
	for _, s := range d.Skipped {
		for _, l := range ui.Wrap("Not checked: "+s, width, 2) {
			fmt.Fprintln(w, l)
		}
	}
	for _, s := range d.Notes {
		for _, l := range ui.Wrap("Baseline: "+s, width, 2) {
			fmt.Fprintln(w, l)
		}
	}
	if len(d.Cost) > 0 {
		var parts []string
		for _, c := range d.Cost {
			parts = append(parts, fmt.Sprintf("%s %d", c.Service, c.Requests))
		}
		for _, l := range ui.Wrap(fmt.Sprintf("Requests: %s; %.1fs.", strings.Join(parts, ", "), d.Duration), width, 2) {
			fmt.Fprintln(w, l)
		}
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// summary is a finding in the table: its check's title and its evidence,
// since the subject stands beside it.
func summary(f audit.Finding) string {
	title := f.Title
	if c, ok := audit.LookupCheck(f.Check); ok {
		title = c.Title
	}
	if len(f.Evidence) > 0 {
		title += ": " + strings.Join(f.Evidence, "; ")
	}
	return title + " [" + f.Check + "]"
}
