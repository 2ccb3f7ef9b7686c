package cli

import (
	"context"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/iostreams"
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
			f := &Factory{IO: ios, Output: "text", Yes: true, retrySleep: func(ctx context.Context, d time.Duration) error {
				select {
				case <-time.After(d / 10):
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}}
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
