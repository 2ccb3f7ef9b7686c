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
	"time"

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
		"val":     val,
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
		// Times given as strings are as a provider reported them, and a
		// usage phase as the journal holds it: in Markdown they are plain
		// text like any other value (what respond wrote reads the same
		// either way).
		m["time"] = func(v any) string { return mdText(fmtTime(v)) }
		since := sinceStart(r.Incident.Started)
		m["since"] = func(t *time.Time) string { return mdText(since(t)) }
		m["span"] = func(v any) string { return mdText(fmtSpan(v)) }
		m["offset"] = func(s Span) string { return mdText(mermaidText(fmtOffset(s))) }
		m["phase"] = func(p string) string { return mdText(phaseLabel(p)) }
	}
	return m
}

// inlineCode escapes s for HTML and shows `spans` (see spans) as <code>.
func inlineCode(s string) htmltemplate.HTML {
	var b strings.Builder
	for _, sp := range spans(s) {
		p := htmltemplate.HTMLEscapeString(sp.text)
		if sp.code {
			b.WriteString("<code>" + p + "</code>")
			continue
		}
		b.WriteString(p)
	}
	return htmltemplate.HTML(b.String())
}

// span is a piece of one of respond's sentences: code or plain text.
type span struct {
	code bool
	text string
}

// spans splits one of respond's sentences into plain text and code:
// `…` marks code; \` is a literal backtick and \\ a backslash, which is
// how lit writes a value (a name from an API) into a sentence, so that the
// value cannot open or close a code span. A backtick with no partner is
// plain text.
func spans(s string) []span {
	var out []span
	var cur strings.Builder
	code, open := false, -1 // open: where the unclosed code span's text began in out
	flush := func(asCode bool) {
		if cur.Len() > 0 || asCode {
			out = append(out, span{code: asCode, text: cur.String()})
		}
		cur.Reset()
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '`' || s[i+1] == '\\'):
			i++
			cur.WriteByte(s[i])
		case c == '`' && !code:
			flush(false)
			code, open = true, len(out)
		case c == '`':
			if cur.Len() > 0 {
				flush(true)
			}
			code = false
		default:
			cur.WriteByte(c)
		}
	}
	if code {
		// No closing backtick: what followed the opening one is text.
		out = append(out[:open], span{text: "`" + cur.String()})
		return mergeText(out)
	}
	flush(false)
	return mergeText(out)
}

// mergeText joins neighbouring plain-text spans.
func mergeText(in []span) []span {
	var out []span
	for _, sp := range in {
		if n := len(out); n > 0 && !sp.code && !out[n-1].code {
			out[n-1].text += sp.text
			continue
		}
		out = append(out, sp)
	}
	return out
}

// lit writes a value (a name, an ID, a path, a message from an API or the
// inventory) into one of respond's sentences, which mark code with
// backticks: its backticks and backslashes are escaped, so it is shown as
// it is and cannot open or close a code span (spans).
func lit(s string) string {
	if !strings.ContainsAny(s, "`\\") {
		return s
	}
	return strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(s)
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

// cell makes one of respond's sentences safe in a Markdown table cell
// (see mdInline); "—" when empty.
func cell(s string) string {
	if s == "" {
		return "—"
	}
	return mdInline(s)
}

// val makes a value (a name, an owner, an ID or a path from an API, the
// inventory or a person) plain text, safe in a table cell or anywhere
// else (see mdText): its backticks are shown, never taken for code; "—"
// when empty.
func val(s string) string {
	if s == "" {
		return "—"
	}
	return mdText(s)
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
		case (c == '.' || c == ')') && i > 0 && i <= 9 && strings.Trim(s[:i], "0123456789") == "" && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t'):
			// Not an ordered list item ("1. ", "2) ") at the start of a line.
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
// A | would end a table cell even inside a code span (GitHub-flavoured
// Markdown splits a row's cells before it reads code spans), and \| is a
// literal pipe only in a table: so a value holding | is several code
// spans joined by an escaped \| outside them, which reads as | in a table
// cell and in a paragraph alike. "—" when empty.
func mdCode(s string) string {
	s = textsafe.Line(s)
	if s == "" {
		return "—"
	}
	if strings.Contains(s, "|") {
		parts := strings.Split(s, "|")
		for i, p := range parts {
			if p != "" {
				parts[i] = codeSpan(p)
			}
		}
		return strings.Join(parts, "\\|")
	}
	return codeSpan(s)
}

// codeSpan is s (one line, not empty, without |) as a code span.
func codeSpan(s string) string {
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
// backticks: `spans` (see spans) become code spans (mdCode: safe in a
// table cell), the rest plain text.
func mdInline(s string) string {
	s = textsafe.Line(s)
	var b strings.Builder
	for _, sp := range spans(s) {
		if sp.code {
			if sp.text != "" {
				b.WriteString(mdCode(sp.text))
			}
			continue
		}
		b.WriteString(mdText(sp.text))
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
	return map[string]any{"md": mdText, "cell": cell, "val": val, "code": mdCode, "inline": mdInline}
}
