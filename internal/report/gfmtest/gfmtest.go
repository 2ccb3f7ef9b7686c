// Package gfmtest checks Markdown the way GitHub shows it, for tests:
// it renders with goldmark and its GitHub-flavoured extensions (tables,
// task lists, strikethrough, autolinks) and reports every HTML element or
// attribute that respond's templates do not write. A name from an API that
// breaks out of a code span or a table cell shows up as an element here
// (an <img>, an <a>), or as a value cut in two.
package gfmtest

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
	xhtml "golang.org/x/net/html"
)

// Elements are the elements respond's Markdown reports and debriefs are
// made of: headings, paragraphs, emphasis, code, tables, lists and task
// lists, quotes, rules, the Mermaid block and the report's own
// <details><summary> section. No link, image, script or style.
var Elements = map[string]bool{
	"h1": true, "h2": true, "h3": true, "h4": true, "p": true, "strong": true, "em": true,
	"code": true, "pre": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
	"ul": true, "ol": true, "li": true, "input": true, "blockquote": true, "hr": true, "br": true,
	"details": true, "summary": true,
}

// attribute reports whether element el may carry attribute a with value v.
func attribute(el, a, v string) bool {
	switch {
	case el == "input":
		return a == "disabled" || a == "checked" || a == "type" && v == "checkbox"
	case el == "code":
		return a == "class" && v == "language-mermaid"
	case el == "th" || el == "td":
		return a == "style" && strings.HasPrefix(v, "text-align:") || a == "align"
	}
	return false
}

// Render is md as GitHub-flavoured Markdown rendered to HTML, raw HTML
// included (so that anything that escaped respond's escaping shows).
func Render(md []byte) (string, error) {
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	var b bytes.Buffer
	if err := gm.Convert(md, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Check renders md and returns a problem for every element not in
// Elements, every attribute respond does not write, and every text of
// want that does not appear whole within one block (a table cell, a list
// item, a paragraph, a heading): a value split across cells, or cut
// short, is a problem too.
func Check(md []byte, want ...string) []string {
	out, err := Render(md)
	if err != nil {
		return []string{"render: " + err.Error()}
	}
	doc, err := xhtml.Parse(strings.NewReader(out))
	if err != nil {
		return []string{"parse the rendered HTML: " + err.Error()}
	}
	var problems, blocks []string
	var walk func(n *xhtml.Node, inBody bool)
	walk = func(n *xhtml.Node, inBody bool) {
		if n.Type == xhtml.ElementNode {
			switch {
			case n.Data == "body":
				inBody = true
			case inBody && !Elements[n.Data]:
				problems = append(problems, fmt.Sprintf("element <%s> (%s)", n.Data, render(n)))
			}
			if inBody {
				for _, a := range n.Attr {
					if !attribute(n.Data, a.Key, a.Val) {
						problems = append(problems, fmt.Sprintf("attribute %s=%q on <%s>", a.Key, a.Val, n.Data))
					}
				}
			}
			switch n.Data {
			case "td", "th", "li", "p", "h1", "h2", "h3", "h4", "summary":
				blocks = append(blocks, text(n))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inBody)
		}
	}
	walk(doc, false)
	for _, w := range want {
		found := false
		for _, b := range blocks {
			if strings.Contains(b, w) {
				found = true
				break
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%q does not appear whole in any table cell, list item, paragraph or heading", w))
		}
	}
	return problems
}

// text is the text of n and its descendants.
func text(n *xhtml.Node) string {
	var b strings.Builder
	var walk func(*xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// render is n as HTML, cut to 80 bytes, for messages.
func render(n *xhtml.Node) string {
	var b bytes.Buffer
	_ = xhtml.Render(&b, n)
	s := b.String()
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
