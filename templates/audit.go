package templates

import "embed"

// AuditFS holds the templates `respond audit` renders its Markdown and
// HTML reports with (internal/audit/render); `respond audit --template
// FILE` replaces one with a file of the same language.
//
//go:embed audit.md.tmpl audit.html.tmpl
var AuditFS embed.FS

// Names of the audit's templates in AuditFS.
const (
	AuditMarkdown = "audit.md.tmpl"
	AuditHTML     = "audit.html.tmpl"
)
