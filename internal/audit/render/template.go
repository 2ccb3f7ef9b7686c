package render

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"strings"
	texttemplate "text/template"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/templates"
)

// funcs are the templates' functions: the report's Markdown escapers (md,
// cell, code, inline), and the severities.
func funcs(html bool) map[string]any {
	m := map[string]any{}
	for k, v := range report.MarkdownFuncs() {
		m[k] = v
	}
	if html {
		m["inline"] = inlineHTML
	}
	m["severities"] = func() []string {
		out := audit.SeverityNames()
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	m["severitiesDesc"] = m["severities"]
	m["bySeverity"] = func(fs []audit.Finding, name string) []audit.Finding {
		var out []audit.Finding
		for _, f := range fs {
			if f.Severity.String() == name {
				out = append(out, f)
			}
		}
		return out
	}
	m["title"] = func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return m
}

// inlineHTML escapes s and shows its `spans` as <code>.
func inlineHTML(s string) htmltemplate.HTML {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		esc := htmltemplate.HTMLEscapeString(p)
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + esc + "</code>")
		} else {
			if i%2 == 1 {
				b.WriteString("`")
			}
			b.WriteString(esc)
		}
	}
	return htmltemplate.HTML(b.String())
}

func source(name, path string) (string, string, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", "", fmt.Errorf("read the template %s: %w", path, err)
		}
		return path, string(b), nil
	}
	b, err := templates.AuditFS.ReadFile(name)
	return name, string(b), err
}

// WriteMarkdown renders d with the Markdown template (or the file at
// templatePath).
func WriteMarkdown(w io.Writer, d *Document, templatePath string) error {
	name, src, err := source(templates.AuditMarkdown, templatePath)
	if err != nil {
		return err
	}
	t, err := texttemplate.New(name).Funcs(texttemplate.FuncMap(funcs(false))).Parse(src)
	if err != nil {
		return fmt.Errorf("parse the audit template %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("render the audit with %s: %w", name, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// WriteHTML renders d with the HTML template (or the file at
// templatePath).
func WriteHTML(w io.Writer, d *Document, templatePath string) error {
	name, src, err := source(templates.AuditHTML, templatePath)
	if err != nil {
		return err
	}
	t, err := htmltemplate.New(name).Funcs(htmltemplate.FuncMap(funcs(true))).Parse(src)
	if err != nil {
		return fmt.Errorf("parse the audit template %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("render the audit with %s: %w", name, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
