// Package render writes what `respond audit` found: a table grouped by
// severity that fits 80 columns, JSON (the Document below), SARIF 2.1.0
// for GitHub code scanning, and Markdown and HTML reports from templates/
// (audit.md.tmpl, audit.html.tmpl), as the incident report is. No value
// it writes is a secret: findings hold none.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/audit"
)

// Format is an output format.
type Format string

// The formats.
const (
	Table    Format = "table"
	JSON     Format = "json"
	SARIF    Format = "sarif"
	Markdown Format = "markdown"
	HTML     Format = "html"
)

// Formats lists them.
var Formats = []Format{Table, JSON, SARIF, Markdown, HTML}

// ParseFormat reads a format's name.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "table", "text":
		return Table, nil
	case "json":
		return JSON, nil
	case "sarif":
		return SARIF, nil
	case "markdown", "md":
		return Markdown, nil
	case "html", "htm":
		return HTML, nil
	}
	return "", fmt.Errorf("unknown format %q: use table, json, sarif, markdown or html", s)
}

// FormatForFile guesses a format from a file's extension.
func FormatForFile(path string) (Format, bool) {
	switch {
	case strings.HasSuffix(path, ".sarif"), strings.HasSuffix(path, ".sarif.json"):
		return SARIF, true
	case strings.HasSuffix(path, ".json"):
		return JSON, true
	case strings.HasSuffix(path, ".md"):
		return Markdown, true
	case strings.HasSuffix(path, ".html"), strings.HasSuffix(path, ".htm"):
		return HTML, true
	}
	return "", false
}

// Document is an audit's outcome as every format shows it; JSON is this
// document.
type Document struct {
	Tool    string    `json:"tool"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	// Duration is how long it took, in seconds.
	Duration float64 `json:"duration_seconds"`
	// Inventory is the inventory file audited ("" for none).
	Inventory string `json:"inventory"`
	// Findings are what the audit found, most severe first; those a
	// baseline accepts are in Accepted instead.
	Findings []audit.Finding `json:"findings"`
	Accepted []audit.Finding `json:"accepted"`
	// Counts are the findings (not accepted) per severity.
	Counts map[string]int `json:"counts"`
	// Skipped says what could not be checked, and why.
	Skipped []string `json:"skipped"`
	// Notes are the baseline's: expired or stale entries.
	Notes []string `json:"notes"`
	// Cost is the requests sent, per service.
	Cost         []Cost `json:"cost"`
	Repositories int    `json:"repositories"`
	// FailOn is --fail-on ("" when not given); Failed says whether a
	// finding reached it.
	FailOn string `json:"fail_on,omitempty"`
	Failed bool   `json:"failed"`
	// Root is the directory SARIF's file locations are relative to (the
	// repository's root, where respond ran).
	Root string `json:"-"`
}

// Cost is what one service was sent.
type Cost struct {
	Service  string `json:"service"`
	Requests int    `json:"requests"`
	Points   int    `json:"points,omitempty"`
}

// NewDocument splits findings into reported and accepted, and counts them.
func NewDocument(all []audit.Finding) *Document {
	d := &Document{Tool: "respond", Findings: []audit.Finding{}, Accepted: []audit.Finding{}, Counts: map[string]int{},
		Skipped: []string{}, Notes: []string{}, Cost: []Cost{}}
	for _, n := range audit.SeverityNames() {
		d.Counts[n] = 0
	}
	for _, f := range all {
		if f.Accepted != nil {
			d.Accepted = append(d.Accepted, f)
			continue
		}
		d.Findings = append(d.Findings, f)
		d.Counts[f.Severity.String()]++
	}
	return d
}

// AtLeast counts the reported findings of severity s or worse.
func (d *Document) AtLeast(s audit.Severity) int {
	n := 0
	for _, f := range d.Findings {
		if f.Severity >= s {
			n++
		}
	}
	return n
}

// Write writes d in format f; width is the table's (0: 80).
func Write(w io.Writer, d *Document, f Format, width int) error {
	switch f {
	case Table:
		return WriteTable(w, d, width)
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	case SARIF:
		return WriteSARIF(w, d)
	case Markdown:
		return WriteMarkdown(w, d, "")
	case HTML:
		return WriteHTML(w, d, "")
	}
	return fmt.Errorf("unknown format %q", f)
}
