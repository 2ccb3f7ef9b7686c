package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// externalURL matches an absolute or protocol-relative URL.
var externalURL = regexp.MustCompile(`(?i)^\s*(https?:)?//`)

// cssURL finds url(...) in CSS.
var cssURL = regexp.MustCompile(`(?i)url\(\s*['"]?([^'")]*)`)

// TestHTMLSelfContained parses every fixture's HTML report and checks
// that nothing in it would make a request: no src, href, srcset, action,
// poster, xlink:href or CSS url() to anywhere, no external scripts or
// stylesheets; and that it holds the SVG chart and the timeline.
func TestHTMLSelfContained(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			_, r := loadFixture(t, name)
			page := render(t, r, HTML)
			doc, err := html.Parse(bytes.NewReader(page))
			if err != nil {
				t.Fatalf("the HTML report does not parse: %v", err)
			}
			var svgChart, timeline, title, style bool
			var walk func(n *html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.ElementNode {
					switch n.Data {
					case "script", "link", "iframe", "object", "embed", "img", "base":
						t.Errorf("the report has a <%s> element", n.Data)
					case "svg":
						if attr(n, "id") == "usage-chart" {
							svgChart = true
						}
					case "ol":
						if attr(n, "id") == "timeline" && hasChild(n, "li") {
							timeline = true
						}
					case "title":
						title = true
					case "style":
						style = true
						if n.FirstChild != nil {
							for _, m := range cssURL.FindAllStringSubmatch(n.FirstChild.Data, -1) {
								t.Errorf("the stylesheet loads url(%s)", m[1])
							}
							if strings.Contains(n.FirstChild.Data, "@import") {
								t.Error("the stylesheet has an @import")
							}
						}
					}
					for _, a := range n.Attr {
						switch strings.ToLower(a.Key) {
						case "src", "href", "srcset", "action", "formaction", "poster", "data", "xlink:href", "background":
							if externalURL.MatchString(a.Val) || strings.HasPrefix(strings.ToLower(a.Val), "javascript:") {
								t.Errorf("<%s %s=%q> refers to an external URL", n.Data, a.Key, a.Val)
							}
						case "style":
							if cssURL.MatchString(a.Val) {
								t.Errorf("<%s style=%q> loads a url()", n.Data, a.Val)
							}
						}
						if strings.HasPrefix(strings.ToLower(a.Key), "on") {
							t.Errorf("<%s> has an event handler %s", n.Data, a.Key)
						}
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			if !svgChart {
				t.Error("no <svg id=usage-chart>")
			}
			if !timeline {
				t.Error("no <ol id=timeline> with entries")
			}
			if !title || !style {
				t.Errorf("title %v, inline style %v", title, style)
			}
			if !bytes.Contains(page, []byte("@media print")) {
				t.Error("no print stylesheet")
			}
			// The chart has bars when there was usage, and marks the
			// revocation.
			if r.Usage != nil && r.Usage.Available {
				if !bytes.Contains(page, []byte(`class="bar exposure"`)) || !bytes.Contains(page, []byte(`class="mark revoked"`)) {
					t.Error("the chart lacks exposure bars or the revocation mark")
				}
			}
		})
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasChild(n *html.Node, tag string) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == tag {
			return true
		}
	}
	return false
}
