package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/ui"
)

// Every built-in scenario's ideal run (its ideal steps played by respond
// on a fresh simulator with the scenario's seed, knowing every target)
// scores at least 90, and recovers: the leak contained, no target stale,
// no key orphaned.
func TestIdealRunsScoreAtLeast90(t *testing.T) {
	all, err := drill.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 9 {
		t.Fatalf("the catalog has %d scenarios, want at least 9", len(all))
	}
	for _, sc := range all {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			// Deploy runs take 300ms instead of seconds: the same world,
			// sooner.
			sc.World.RunDuration = 300 * time.Millisecond
			ios, _, _, _ := iostreams.Test()
			// Retries wait a tenth of their time: the outcome is the
			// same, the test shorter.
			f := &Factory{IO: ios, Output: "text", Yes: true, retrySleep: fastRetries}
			f.UseEnv(func(string) string { return "" })
			s, err := drill.IdealRun(t.Context(), sc, t.TempDir(), drillResponder(f))
			if err != nil {
				t.Fatal(err)
			}
			if s.Total < 90 {
				t.Errorf("the ideal run scored %.1f, want at least 90: %+v", s.Total, s.Measures)
			}
			if !s.Facts.Contained || len(s.Facts.StaleTargets) > 0 || len(s.Facts.OrphanedKeys) > 0 {
				t.Errorf("the ideal run did not recover: contained %v, stale %v, orphaned %v", s.Facts.Contained, s.Facts.StaleTargets, s.Facts.OrphanedKeys)
			}
			for _, m := range s.Measures {
				if m.Points < 0.9*m.Max {
					t.Errorf("%s: %.1f of %.0f (%s: %s)", m.Label, m.Points, m.Max, m.Value, m.Reason)
				}
			}
		})
	}
}

// fastRetries waits a tenth of a retry's delay.
func fastRetries(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d / 10):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The demonstration of a target that keeps failing does what its outcome
// says while the simulator still runs: GitHub recovers, respond resumes
// the incident, and the drill ends recovered. It never tells the trainee
// to resume an incident whose simulator is gone, and its incidents stay
// out of the real state directory.
func TestDemoFailingTargetResumes(t *testing.T) {
	t.Parallel()
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios)
	f.UseEnv(func(string) string { return "" })
	f.retrySleep = fastRetries
	state := t.TempDir()
	code := Run(t.Context(), f, []string{"drill", "failing-target", "--state-dir", state})
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	stderr := errOut.String()
	first := strings.Index(stderr, "Outcome: CONTAINED, NOT RECOVERED")
	resumed := strings.Index(stderr, "▶ respond resume INC-")
	recovered := strings.LastIndex(stderr, "Outcome: RECOVERED")
	if first < 0 || resumed < first || recovered < resumed || !strings.Contains(stderr, "▶ inject github-recovers") {
		t.Fatalf("the demonstration did not go partial, recover GitHub, resume and recover:\n%s", stderr)
	}
	if tail := stderr[recovered:] + out.String(); strings.Contains(tail, "respond resume") {
		t.Errorf("after the drill it still tells the trainee to resume:\n%s", tail)
	}
	if !strings.Contains(out.String(), "targets left stale") || !strings.Contains(out.String(), "0 of 6") {
		t.Errorf("no score with every target recovered:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(state, "incidents")); !os.IsNotExist(err) {
		t.Errorf("the demonstration wrote incidents into the real state directory (%v)", err)
	}
}

// The live view's clock says the time limit as people say it.
func TestStatusClock(t *testing.T) {
	for limit, want := range map[float64]string{1800: "clock 5s of 30m", 100: "clock 5s of 1m40s", 5400: "clock 5s of 1h30m", 3600: "clock 5s of 1h"} {
		frame := renderStatus(&drill.Status{Title: "T", Scenario: "s", ElapsedSeconds: 5, TimeLimitSeconds: limit}, ui.Palette{}, 80)
		if !strings.Contains(frame, want+"\n") {
			t.Errorf("limit %vs: %q", limit, strings.SplitN(frame, "\n", 2)[0])
		}
	}
}
