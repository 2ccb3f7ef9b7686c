package render

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/respondhq/respond/internal/audit"
)

const (
	testCheck  = "test.render-check"
	otherCheck = "test.other-check"
)

func init() {
	audit.Register(
		audit.Check{ID: testCheck, Area: "Test", Title: "a test check", Severity: audit.High, Practice: audit.Confidential,
			What: "what it looks at", Why: "why it matters", Fix: "how to fix it"},
		audit.Check{ID: otherCheck, Area: "Test", Title: "another", Severity: audit.Low, Practice: audit.Rotation,
			What: "what", Why: "why", Fix: "fix"},
	)
}

// hostile is what an attacker could name a repository, a key or a file.
const hostile = "<img src=x onerror=alert(1)> [click](https://evil.example) ![](https://evil.example/p.png) \x1b[31mred\n# heading | cell"

func sample() *Document {
	fs := []audit.Finding{
		audit.New(testCheck, "acme/web", "push protection is off in acme/web", "`gh api -X PATCH repos/acme/web`", "status: disabled").
			At(audit.Location{URI: "https://github.example/acme/web/settings/security_analysis"}),
		audit.New(testCheck, hostile, "a hostile name: "+hostile, "fix "+hostile, hostile).At(audit.Location{Path: "/work/repo/deploy/.env"}),
		audit.New(otherCheck, "OpenAI API key key_abc (a rather long key name that wraps) in project proj_abcdefghijklmnopqrstuvwx",
			"OpenAI API key key_abc is 200 days old, past its 90d rotation", "`respond rotate --credential openai-production-backend-services`"),
		audit.New(otherCheck, "accepted one", "accepted", "nothing"),
	}
	fs[3].Accepted = &audit.Acceptance{ID: fs[3].ID, Reason: "documented exception", Expires: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)}
	audit.Sort(fs)
	d := NewDocument(fs)
	d.Version, d.Inventory, d.Root = "test", "respond.yaml", "/work/repo"
	d.Skipped = []string{"AWS: not configured"}
	d.Cost = []Cost{{Service: "GitHub", Requests: 12, Points: 12}}
	return d
}

func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	validate(t, "testdata/sarif-schema-2.1.0.json", "", buf.Bytes())

	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				RuleID       string
				RuleIndex    int
				Suppressions []struct{ Justification string }
				Locations    []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != 4 {
		t.Fatalf("%d results, want 4 (3 findings and the accepted one)", len(run.Results))
	}
	suppressed := 0
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result of %s points at rule %d, %s", r.RuleID, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID)
		}
		if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
			t.Errorf("result of %s has no physical location (code scanning needs one)", r.RuleID)
		}
		if len(r.Suppressions) > 0 {
			suppressed++
			if !strings.Contains(r.Suppressions[0].Justification, "documented exception") {
				t.Errorf("suppression without the baseline's reason: %q", r.Suppressions[0].Justification)
			}
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed results, want 1", suppressed)
	}
	if !strings.Contains(buf.String(), `"uri": "deploy/.env"`) {
		t.Errorf("a file inside the root is not relative to it:\n%s", buf.String())
	}
}

// TestSARIFUploadMatchesGitHubsSpec builds the body of GitHub's SARIF
// upload (POST /repos/{owner}/{repo}/code-scanning/sarifs: the log gzipped
// and base64-encoded) and checks it against the operation's request
// schema in GitHub's REST description, and against the limits GitHub
// documents for uploads.
func TestSARIFUploadMatchesGitHubsSpec(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(buf.Bytes())
	zw.Close()
	if gz.Len() > 10<<20 {
		t.Errorf("gzipped SARIF is %d bytes, over GitHub's 10 MB", gz.Len())
	}
	body, _ := json.Marshal(map[string]any{
		"commit_sha": strings.Repeat("a1", 20), "ref": "refs/heads/main",
		"sarif": base64.StdEncoding.EncodeToString(gz.Bytes()), "tool_name": "respond",
	})
	validate(t, "testdata/github-code-scanning-sarifs.json",
		"#/paths/~1repos~1%7Bowner%7D~1%7Brepo%7D~1code-scanning~1sarifs/post/requestBody/content/application~1json/schema", body)
	// An upload the spec refuses is refused here too: a short commit SHA.
	bad, _ := json.Marshal(map[string]any{"commit_sha": "abc", "ref": "refs/heads/main", "sarif": "x"})
	if err := check("testdata/github-code-scanning-sarifs.json",
		"#/paths/~1repos~1%7Bowner%7D~1%7Brepo%7D~1code-scanning~1sarifs/post/requestBody/content/application~1json/schema", bad); err == nil {
		t.Errorf("a commit_sha of 3 characters passed the spec's schema: the check checks nothing")
	}
}

func check(file, ptr string, doc []byte) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	const url = "urn:respond:test:schema.json"
	if err := c.AddResource(url, schemaDoc); err != nil {
		return err
	}
	sch, err := c.Compile(url + ptr)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func validate(t *testing.T, file, ptr string, doc []byte) {
	t.Helper()
	if err := check(file, ptr, doc); err != nil {
		t.Fatalf("%s%s: %v", file, ptr, err)
	}
}

func TestTableFits80ColumnsGroupedBySeverity(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, sample(), 0); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for i, l := range strings.Split(out, "\n") {
		if w := runewidth.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d columns wide: %q", i+1, w, l)
		}
		if strings.ContainsRune(l, '\x1b') {
			t.Errorf("line %d holds an escape character: %q", i+1, l)
		}
	}
	hi, lo := strings.Index(out, "HIGH"), strings.Index(out, "LOW")
	if hi < 0 || lo < 0 || hi > lo {
		t.Errorf("severities are not grouped most severe first:\n%s", out)
	}
	if strings.Contains(out, "accepted one") {
		t.Errorf("an accepted finding is listed:\n%s", out)
	}
	if !strings.Contains(out, "3 findings (1 more accepted by the baseline)") {
		t.Errorf("no summary line:\n%s", out)
	}
}

// TestMarkdownRendersSafely renders the Markdown report with goldmark
// (GitHub-flavoured) and checks that nothing a finding holds became
// markup: no tag, image or link from a hostile name.
func TestMarkdownRendersSafely(t *testing.T) {
	var md bytes.Buffer
	if err := WriteMarkdown(&md, sample(), ""); err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM))
	if err := gm.Convert(md.Bytes(), &html); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	for _, bad := range []string{"<img", "<a href", "\x1b"} {
		if strings.Contains(h, bad) {
			t.Errorf("the rendered Markdown holds %q:\n%s", bad, h)
		}
	}
	for _, want := range []string{"<h1>Key-handling audit</h1>", "<h2>High (2)</h2>", "<h2>Low (1)</h2>", "<table>", "<h2>Accepted by the baseline</h2>", "documented exception"} {
		if !strings.Contains(h, want) {
			t.Errorf("the rendered Markdown lacks %q:\n%s", want, h)
		}
	}
	// A hostile heading does not start a heading of its own.
	if strings.Count(h, "<h3>") != 3 {
		t.Errorf("%d detail headings, want 3:\n%s", strings.Count(h, "<h3>"), h)
	}
}

func TestHTMLEscapes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, sample(), ""); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	if strings.Contains(h, "<img src=x") || strings.Contains(h, "\x1b") {
		t.Errorf("the HTML report holds markup from a finding:\n%s", h)
	}
	if !strings.Contains(h, "&lt;img src=x") {
		t.Errorf("the hostile name is not shown escaped")
	}
	if strings.Contains(h, "http://") || strings.Contains(h, "<script") || strings.Contains(h, "<link") {
		t.Errorf("the page loads something from outside")
	}
}

func TestJSONHoldsEveryFinding(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), JSON, 0); err != nil {
		t.Fatal(err)
	}
	var d Document
	if err := json.Unmarshal(buf.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Findings) != 3 || len(d.Accepted) != 1 || d.Counts["high"] != 2 || d.Counts["low"] != 1 {
		t.Errorf("findings %d, accepted %d, counts %v", len(d.Findings), len(d.Accepted), d.Counts)
	}
	if d.Findings[0].Severity != audit.High {
		t.Errorf("first finding is %s, want high", d.Findings[0].Severity)
	}
}
