package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
)

// TestDocsExamples keeps the examples in docs/reports.md identical to the
// golden files they were generated from.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "reports.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := regexp.MustCompile("(?s)<!-- example:markdown failed-targets -->\n````markdown\n(.*?)````\n<!-- /example -->").FindSubmatch(doc)
	if md == nil {
		t.Fatal("docs/reports.md lacks the Markdown example")
	}
	want, err := os.ReadFile(filepath.Join("testdata", "failed-targets.md.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if string(md[1]) != string(want) {
		t.Error("the Markdown example in docs/reports.md differs from testdata/failed-targets.md.golden: copy the golden into the docs")
	}

	js := regexp.MustCompile("(?s)<!-- example:json success -->\n```json\n(.*?)```\n<!-- /example -->").FindSubmatch(doc)
	if js == nil {
		t.Fatal("docs/reports.md lacks the JSON example")
	}
	var got, golden map[string]any
	if err := json.Unmarshal(js[1], &got); err != nil {
		t.Fatalf("the JSON example does not parse: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "success.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	u := golden["usage"].(map[string]any)
	u["hours"] = u["hours"].([]any)[:3]
	if !reflect.DeepEqual(got, golden) {
		t.Error("the JSON example in docs/reports.md differs from testdata/success.json.golden (with usage.hours cut to 3)")
	}
}
