package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/prompt"
)

// A panic anywhere in a command reaches the user as a short bug report
// naming a crash file, not as a goroutine dump, and exits 1.
func TestRunPanicIsReportedAsBug(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the crash file goes here

	e := startSim(t)
	f, out, errOut := e.factory(t, true, nil)
	adminKey := e.sim.Env()["OPENAI_ADMIN_KEY"]
	// --key-stdin on a terminal asks for the key: an interactive path.
	f.Prompter = func() prompt.Prompter { panic("prompter exploded holding " + adminKey) }

	code := Run(t.Context(), f, e.args("leaked-key", "--key-stdin"))

	if code != ExitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitFailed, out, errOut)
	}
	stderr := errOut.String()
	for _, trace := range []string{"goroutine", "runtime/debug", ".go:", "panic("} {
		if strings.Contains(stderr, trace) {
			t.Errorf("stderr holds a stack trace (%q):\n%s", trace, stderr)
		}
	}
	if strings.Contains(stderr, adminKey) {
		t.Errorf("stderr shows the admin key:\n%s", stderr)
	}
	if !strings.Contains(stderr, "prompter exploded") || !strings.Contains(stderr, "This is a bug in respond.") {
		t.Errorf("stderr does not report the panic as a bug:\n%s", stderr)
	}
	m := regexp.MustCompile(`Details were written to (\S+);`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr names no crash file:\n%s", stderr)
	}
	if filepath.Dir(m[1]) != tmp {
		t.Errorf("crash file %s is not in the temporary directory %s", m[1], tmp)
	}
	crash, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatalf("the crash file named on stderr: %v", err)
	}
	if !strings.Contains(string(crash), "prompter exploded") || !strings.Contains(string(crash), "goroutine") {
		t.Errorf("the crash file lacks the panic and its stack:\n%s", crash)
	}
	if strings.Contains(string(crash), adminKey) {
		t.Error("the crash file, meant to be attached to a bug report, holds the admin key")
	}
	if n := len(e.sim.Requests(0)); n != 0 {
		t.Errorf("%d request(s) were sent before the crash; none should have been", n)
	}
}
