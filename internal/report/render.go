package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/textsafe"
	"github.com/respondhq/respond/templates"
)

// Format is a report format.
type Format string

// The report formats.
const (
	Markdown Format = "markdown"
	HTML     Format = "html"
	JSON     Format = "json"
)

// Formats lists the formats, in the order Write writes them.
var Formats = []Format{Markdown, HTML, JSON}

// ParseFormat reads a format name ("md" is markdown, "htm" html).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "markdown", "md":
		return Markdown, nil
	case "html", "htm":
		return HTML, nil
	case "json":
		return JSON, nil
	}
	return "", fmt.Errorf("unknown report format %q: use markdown, html or json", s)
}

// FormatForFile infers a format from a file name's extension; ok is false
// for an extension that names none.
func FormatForFile(name string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown":
		return Markdown, true
	case ".html", ".htm":
		return HTML, true
	case ".json":
		return JSON, true
	}
	return "", false
}

// Extension is the file extension of a format.
func (f Format) Extension() string {
	switch f {
	case Markdown:
		return ".md"
	case HTML:
		return ".html"
	}
	return ".json"
}

// Render writes r in format to w. templatePath, if not empty, replaces
// the embedded template of the format (Markdown: text/template; HTML:
// html/template, which escapes what the report holds). JSON takes no
// template.
func Render(w io.Writer, r *Report, format Format, templatePath string) error {
	if r == nil {
		return fmt.Errorf("no report to render")
	}
	if format == JSON {
		if templatePath != "" {
			return fmt.Errorf("--template applies to the markdown and html formats, not json")
		}
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("encode the report of %s as JSON: %w", r.Incident.ID, err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	name, src, err := templateSource(format, templatePath)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch format {
	case Markdown:
		t, err := texttemplate.New(name).Funcs(texttemplate.FuncMap(funcs(r, false))).Parse(src)
		if err != nil {
			return fmt.Errorf("parse the report template %s: %w", name, err)
		}
		if err := t.Execute(&buf, r); err != nil {
			return fmt.Errorf("render the report of %s with %s: %w", r.Incident.ID, name, err)
		}
	case HTML:
		t, err := htmltemplate.New(name).Funcs(htmltemplate.FuncMap(funcs(r, true))).Parse(src)
		if err != nil {
			return fmt.Errorf("parse the report template %s: %w", name, err)
		}
		if err := t.Execute(&buf, r); err != nil {
			return fmt.Errorf("render the report of %s with %s: %w", r.Incident.ID, name, err)
		}
	default:
		return fmt.Errorf("unknown report format %q: use markdown, html or json", format)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// templateSource returns the template of a format: the file at path, or
// the embedded one.
func templateSource(format Format, path string) (name, src string, err error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", "", fmt.Errorf("read the report template: %w", err)
		}
		return filepath.Base(path), string(b), nil
	}
	name = templates.Markdown
	if format == HTML {
		name = templates.HTML
	}
	b, err := templates.FS.ReadFile(name)
	if err != nil {
		return "", "", fmt.Errorf("the embedded template %s is missing: %w", name, err)
	}
	return name, string(b), nil
}

// Write renders r in every format into dir as report.md, report.html and
// report.json (mode 0600: reports are evidence) and returns their paths.
// Each file is written to a temporary name and renamed, so a reader never
// sees half a report.
func Write(dir string, r *Report) ([]string, error) {
	var paths []string
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := Render(&buf, r, f, ""); err != nil {
			return paths, err
		}
		p := filepath.Join(dir, "report"+f.Extension())
		if err := writeFile(p, buf.Bytes()); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// WriteIncident builds the report of inc and writes it into its directory
// (see Write). The CLI calls it at the end of leaked-key, rotate and drill
// runs, whatever their outcome.
func WriteIncident(inc *incident.Incident) ([]string, error) {
	r, err := Build(inc)
	if err != nil {
		return nil, err
	}
	return Write(inc.Dir, r)
}

func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// funcs are the template functions (docs/reports.md lists them).
// shortRedacted shows a provider's redacted form compactly: OpenAI pads it
// with one asterisk per hidden character (152 for a project key), which
// says nothing a reader needs; "sk-proj-…_erq (164 characters)" does.
func shortRedacted(s string) string {
	i, j := strings.Index(s, "****"), strings.LastIndex(s, "*")
	if i < 0 {
		return s
	}
	return fmt.Sprintf("%s…%s (%d characters)", s[:i], s[j+1:], len(s))
}

func funcs(r *Report, html bool) map[string]any {
	m := map[string]any{
		"time":    fmtTime,
		"since":   sinceStart(r.Incident.Started),
		"span":    fmtSpan,
		"offset":  fmtOffset,
		"cell":    cell,
		"md":      mdText,
		"code":    mdCode,
		"mermaid": mermaidText,
		"num":     num,
		"short":   shortRedacted,
		"f1":      func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
		"upper":   strings.ToUpper,
		"title":   titleCase,
		"icon":    icon,
		"join":    strings.Join,
		"phase":   phaseLabel,
		"hasLen":  func(n int) bool { return n > 0 },
	}
	if html {
		m["inline"] = inlineCode
		m["chart"] = func(u *Usage) htmltemplate.HTML { return htmltemplate.HTML(usageChart(u)) }
	} else {
		m["chart"] = func(u *Usage) string { return "" }
		m["inline"] = mdInline
	}
	return m
}

// inlineCode escapes s for HTML and shows `spans` as <code>.
func inlineCode(s string) htmltemplate.HTML {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		p = htmltemplate.HTMLEscapeString(p)
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + p + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		b.WriteString(p)
	}
	return htmltemplate.HTML(b.String())
}

func fmtSpan(v any) string {
	switch s := v.(type) {
	case *Span:
		if s == nil {
			return "—"
		}
		return s.Text
	case Span:
		return s.Text
	}
	return "—"
}

// fmtOffset is "T+3.215s" or "T-2d04h": an offset from the start without
// colons (Mermaid timelines split on them).
func fmtOffset(s Span) string {
	if s.MS < 0 {
		return "T" + s.Text
	}
	return "T+" + s.Text
}

// cell makes text safe in a Markdown table cell (see mdInline); "—" when
// empty.
func cell(s string) string {
	if s == "" {
		return "—"
	}
	return mdInline(s)
}

// mdText makes s plain text in Markdown (GitHub-flavoured): it cannot start
// a heading, list or quote, open a link, image, autolink, HTML tag, entity,
// code span, emphasis or table cell. Control characters go and newlines
// become spaces. Values in a report come from APIs and repositories (a file
// name is whatever someone pushed), so every one passes through this, mdCode,
// mdInline or mermaidText.
func mdText(s string) string {
	s = textsafe.Line(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte("\\`*[]<>&|!~@", c) >= 0:
			b.WriteByte('\\')
		case c == '_' && !(i > 0 && i+1 < len(s) && isWordByte(s[i-1]) && isWordByte(s[i+1])):
			// An underscore inside a word is never emphasis.
			b.WriteByte('\\')
		case i == 0 && strings.IndexByte("#+-=", c) >= 0:
			b.WriteByte('\\')
		case c == ':' && strings.HasPrefix(s[i:], "://"):
			// No bare URL autolink (http://…).
			b.WriteByte('\\')
		case c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			// No www. autolink.
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// mdCode is s as a Markdown code span, whatever backticks it holds: the
// fence is one backtick longer than its longest run, and a space pads a
// value that starts or ends with one. Nothing in a code span is markup.
// "—" when empty.
func mdCode(s string) string {
	s = textsafe.Line(s)
	if s == "" {
		return "—"
	}
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdInline is mdText for respond's own sentences, which mark code with
// backticks: `spans` become code spans, the rest plain text.
func mdInline(s string) string {
	s = textsafe.Line(s)
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i%2 == 1 && i < len(parts)-1:
			if p != "" {
				b.WriteString(mdCode(p))
			}
		case i%2 == 1: // an unmatched backtick
			b.WriteString("\\`" + mdText(p))
		default:
			b.WriteString(mdText(p))
		}
	}
	return b.String()
}

// mermaidText is s safe as the text of a Mermaid timeline entry inside a
// fenced block: no colon, semicolon, # or braces (Mermaid syntax), no
// backtick (it could close the fence), no % (directives), no < or > (HTML
// in labels), no quotes, one line.
func mermaidText(s string) string {
	return strings.NewReplacer(":", " -", ";", ",", "#", "no. ", "{", "(", "}", ")",
		"`", "'", "%", " percent", "<", "‹", ">", "›", `"`, "'").Replace(textsafe.Line(s))
}

func num(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	default:
		return fmt.Sprint(v)
	}
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// icon is a status mark for Markdown tables.
func icon(status string) string {
	switch status {
	case "ok", "updated", "created", "passed", "completed":
		return "✅"
	case "failed":
		return "❌"
	case "skipped":
		return "⏭️"
	case "unfinished", "pending", "interrupted", "running":
		return "⏸️"
	case "not-run":
		return "▫️"
	}
	return "•"
}

func phaseLabel(p string) string {
	switch p {
	case "after-revocation":
		return "after revocation"
	}
	return p
}

// MarkdownFuncs are the template functions that make values safe in
// Markdown (md, cell, code, inline: see funcs), for other documents
// rendered the way reports are (a drill's debrief).
func MarkdownFuncs() map[string]any {
	return map[string]any{"md": mdText, "cell": cell, "code": mdCode, "inline": mdInline}
}
