package cli

import (
	"testing"

	"github.com/respondhq/respond/internal/prompt"
)

// The key picker preselects no key: a hurried Enter must not pick one
// (prompt.Survey then starts on a line that is no key and refuses it).
func TestKeyPickerPreselectsNothing(t *testing.T) {
	t.Parallel()
	e := startSim(t)
	p := newFakePrompter(t)
	p.RegisterSelect("Which project holds the leaked key?", optionContaining(t, e.info.ProjectName, e.info.ProjectID))
	def := 0
	p.RegisterSelect("Which key leaked?", func(options []string, d int) (int, error) {
		def = d
		return 0, prompt.ErrInterrupted
	})
	f, out, errOut := e.factory(t, true, p)

	if code := Run(t.Context(), f, e.args("leaked-key")); code != ExitCancelled {
		t.Fatalf("exit %d, want %d (cancelled)\nstdout:\n%s\nstderr:\n%s", code, ExitCancelled, out, errOut)
	}
	if def >= 0 {
		t.Errorf("the key question preselects option %d; want none (-1)", def)
	}
	e.assertOnlyReads(t)
}
