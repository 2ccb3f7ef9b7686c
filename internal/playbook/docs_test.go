package playbook

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExample keeps the first example of docs/playbooks.md valid.
func TestDocsExample(t *testing.T) {
	b, err := os.ReadFile("../../docs/playbooks.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	if !ok {
		t.Fatal("no yaml example in docs/playbooks.md")
	}
	src, _, _ := strings.Cut(rest, "```")
	mustParse(t, src)
}
