package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	bin := chromiumOrSkip(t)
	_, r := loadFixture(t, "success")
	dom := dumpDOM(t, bin, render(t, r, HTML), 1280)
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

// chromiumOrSkip returns Chromium's path, or skips the test (fails it
// in CI).
func chromiumOrSkip(t *testing.T) string {
	t.Helper()
	bin := findChromium()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed, and CI is set: install it (Debian: apt-get install -y chromium; .ci/run does it)")
		}
		t.Skip("chromium is not installed (Debian: apt-get install -y chromium); set CI to make this a failure")
	}
	return bin
}

// dumpDOM loads page in headless Chromium, in a window width pixels wide,
// and returns the DOM once its scripts ran. Networking features are off
// and the profile is thrown away.
func dumpDOM(t *testing.T, bin string, page []byte, width int) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, page, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
		fmt.Sprintf("--window-size=%d,1000", width),
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, tail(stderr.String(), 2000))
	}
	return stdout.String()
}

// measureLines is a script added to a copy of the report: it counts the
// lines Chromium laid out for the text of every table header and of every
// time cell (td.t), and writes those that take more than one into
// <pre id="wrapped">, one per line.
const measureLines = `<script>
addEventListener("load", () => {
  const out = [];
  for (const el of document.querySelectorAll("th, td.t")) {
    const r = document.createRange();
    r.selectNodeContents(el);
    const tops = new Set([...r.getClientRects()].map(q => Math.round(q.top)));
    if (tops.size > 1) out.push(el.tagName + " " + JSON.stringify(el.textContent) + ": " + tops.size + " lines");
  }
  const pre = document.createElement("pre");
  pre.id = "wrapped";
  pre.textContent = out.join("\n") || "none";
  document.body.append(pre);
});
</script>`

// TestHTMLHeadersWholeInChromium: in the HTML report as Chromium lays it
// out, in a window 1280 and 900 pixels wide, every table header is on one
// line (no "Dura tio n", "Att emp ts") and so is every time in the actions
// and targets tables (an offset such as T+15ms, not a nanosecond
// timestamp over five lines).
func TestHTMLHeadersWholeInChromium(t *testing.T) {
	bin := chromiumOrSkip(t)
	for _, fixture := range []string{"success", "failed-targets"} {
		_, r := loadFixture(t, fixture)
		page := strings.Replace(string(render(t, r, HTML)), "</body>", measureLines+"</body>", 1)
		for _, width := range []int{1280, 900} {
			dom := dumpDOM(t, bin, []byte(page), width)
			m := regexp.MustCompile(`(?s)<pre id="wrapped">(.*?)</pre>`).FindStringSubmatch(dom)
			if m == nil {
				t.Fatalf("%s at %dpx: the measuring script did not run", fixture, width)
			}
			if got := html.UnescapeString(m[1]); got != "none" {
				t.Errorf("%s at %dpx: headers or times broken over lines:\n%s", fixture, width, got)
			}
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
