package steps

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// logSink collects what a step logs.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) log(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// newCall returns a call in a fresh directory with a fresh registry.
func newCall(t *testing.T, params map[string]any) (*step.Call, *logSink) {
	t.Helper()
	sink := &logSink{}
	return &step.Call{
		Incident: "inc_test",
		StepID:   "s1",
		Params:   params,
		Secrets:  secret.NewRegistry(),
		Dir:      t.TempDir(),
		Log:      sink.log,
	}, sink
}

// testBinary is the path of the running test binary, used as a child
// program (see TestMain).
func testBinary(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	return p
}

// canary returns a fresh secret-looking value unique to the test.
func canary(t *testing.T) string {
	t.Helper()
	return "sk-proj-CANARY" + strings.ReplaceAll(t.Name(), "/", "_") + "x9Q7wZ"
}
