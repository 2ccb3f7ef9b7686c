package drill

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The scenario in docs/drills.md parses, and the docs list every
// built-in scenario and every inject kind.
func TestDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "drills.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example: scenario -->\n```yaml\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/drills.md lacks the example scenario")
	}
	sc, d := Parse("docs/drills.md", m[1])
	if d.HasErrors() || len(d) > 0 {
		t.Fatalf("the example scenario in docs/drills.md: %v", d)
	}
	if len(sc.Injects) != 2 || len(sc.Ideal) != 3 || len(sc.World.Unlisted) != 1 {
		t.Errorf("the example scenario lost parts: %+v", sc)
	}
	for _, n := range Names() {
		if !strings.Contains(string(doc), "| `"+n+"` |") {
			t.Errorf("docs/drills.md does not list scenario %s", n)
		}
	}
	for _, k := range InjectKinds {
		if !strings.Contains(string(doc), "| `"+k.Kind+"` |") {
			t.Errorf("docs/drills.md does not list inject kind %s", k.Kind)
		}
	}
}
