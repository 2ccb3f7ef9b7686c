package runner_test

import (
	"os"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/audit"
)

// TestEveryCheckIsDocumented: docs/audit.md has a section for every check
// of the registry (the core's and every plug-in's), with what it looks
// at, why and the fix, and no section for a check that does not exist.
func TestEveryCheckIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	known := map[string]bool{}
	for _, c := range audit.Checks() {
		known[c.ID] = true
		i := strings.Index(doc, "### `"+c.ID+"`")
		if i < 0 {
			t.Errorf("docs/audit.md has no section for check %s", c.ID)
			continue
		}
		sec := doc[i:]
		if j := strings.Index(sec[3:], "\n#"); j >= 0 {
			sec = sec[:j+3]
		}
		for _, want := range []string{"What it looks at.", "Why.", "Fix.", c.Severity.String()} {
			if !strings.Contains(sec, want) {
				t.Errorf("docs/audit.md, check %s: no %q", c.ID, want)
			}
		}
	}
	for _, line := range strings.Split(doc, "\n") {
		if id, ok := strings.CutPrefix(line, "### `"); ok {
			id, _, _ = strings.Cut(id, "`")
			if !known[id] {
				t.Errorf("docs/audit.md documents check %s, which is not registered", id)
			}
		}
	}
}
