// Package templates holds the templates respond renders its incident
// reports with, embedded in the binary: report.md.tmpl (Go text/template,
// GitHub-flavoured Markdown), report.html.tmpl (Go html/template, a
// self-contained page) and report.schema.json (the JSON Schema of the
// report model). `respond report --template FILE` replaces a template with
// a file of the same language; docs/reports.md lists the data and
// functions a template can use.
package templates

import "embed"

// FS holds the embedded templates.
//
//go:embed report.md.tmpl report.html.tmpl report.schema.json debrief.md.tmpl debrief.html.tmpl
var FS embed.FS

// Names of the files in FS.
const (
	Markdown = "report.md.tmpl"
	HTML     = "report.html.tmpl"
	Schema   = "report.schema.json"
	// DebriefMarkdown and DebriefHTML render a drill's debrief
	// (internal/drill).
	DebriefMarkdown = "debrief.md.tmpl"
	DebriefHTML     = "debrief.html.tmpl"
)
