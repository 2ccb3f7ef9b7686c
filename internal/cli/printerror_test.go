package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/ui"
)

// At a terminal the run's error wraps to its width, each line keeping its
// own indent; piped it is written as it is.
func TestPrintErrorWraps(t *testing.T) {
	msg := "respond: declined: the plan was not applied, so nothing was changed; `respond incidents close INC-20261208-030227-9389 --reason TEXT` ends the incident\n" +
		"  respond.yaml:3:5: credential openai-production: key_id \"x\" is not an OpenAI key ID (key_…)"
	var term bytes.Buffer
	printError(&term, msg, 80)
	lines := strings.Split(strings.TrimRight(term.String(), "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("at 80 columns the error is %d line(s), want it wrapped:\n%s", len(lines), term.String())
	}
	for _, l := range lines {
		if w := ui.StringWidth(l); w > 80 {
			t.Errorf("line %q is %d columns", l, w)
		}
	}
	if !strings.Contains(term.String(), "`respond incidents close INC-20261208-030227-9389 --reason TEXT`") {
		t.Errorf("the command to copy was broken across lines:\n%s", term.String())
	}
	if strings.Contains(term.String(), codeSpace) {
		t.Errorf("a placeholder is left in the error:\n%q", term.String())
	}
	if !strings.Contains(term.String(), "\n  respond.yaml:3:5: ") {
		t.Errorf("the indented line lost its indent:\n%s", term.String())
	}
	var piped bytes.Buffer
	printError(&piped, msg, 0)
	if piped.String() != msg+"\n" {
		t.Errorf("piped, the error changed:\n%q", piped.String())
	}
}
