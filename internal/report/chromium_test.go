package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// findChromium returns a headless-capable Chromium, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestHTMLInChromium renders the HTML report of a successful incident in
// headless Chromium and checks that the page the browser built shows the
// usage chart (with bars) and the timeline. Chromium runs with networking
// features off and a throwaway profile. Without Chromium the test is
// skipped, except in CI (CI set), where it fails: .ci/run installs
// Debian's chromium package.
func TestHTMLInChromium(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed, and CI is set: install it (Debian: apt-get install -y chromium; .ci/run does it)")
		}
		t.Skip("chromium is not installed (Debian: apt-get install -y chromium); set CI to make this a failure")
	}
	_, r := loadFixture(t, "success")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, render(t, r, HTML), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, tail(stderr.String(), 2000))
	}
	dom := stdout.String()
	doc, err := html.Parse(strings.NewReader(dom))
	if err != nil {
		t.Fatalf("parse the DOM chromium dumped: %v", err)
	}
	var bars, entries int
	var chart, timeline bool
	var walk func(n *html.Node, inChart, inTimeline bool)
	walk = func(n *html.Node, inChart, inTimeline bool) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "svg" && attr(n, "id") == "usage-chart":
				chart, inChart = true, true
			case n.Data == "ol" && attr(n, "id") == "timeline":
				timeline, inTimeline = true, true
			case inChart && n.Data == "rect" && strings.Contains(attr(n, "class"), "bar exposure"):
				bars++
			case inTimeline && n.Data == "li":
				entries++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inChart, inTimeline)
		}
	}
	walk(doc, false, false)
	if !chart || bars == 0 {
		t.Errorf("the rendered page lacks the usage chart (chart %v, %d exposure bars)", chart, bars)
	}
	if !timeline || entries != len(r.Timeline) {
		t.Errorf("the rendered page lacks the timeline (timeline %v, %d entries, want %d)", timeline, entries, len(r.Timeline))
	}
	if !strings.Contains(dom, "Revocation verified") {
		t.Error("the rendered timeline does not show the revocation")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
