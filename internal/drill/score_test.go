package drill

import (
	"strings"
	"testing"
	"time"
)

func plain(t *testing.T) *Scenario {
	t.Helper()
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	return all[0]
}

func consumers(n int, down float64, stale ...string) []ConsumerFact {
	var out []ConsumerFact
	for i := range n {
		c := ConsumerFact{Name: "svc" + string(rune('a'+i)), Target: "t" + string(rune('a'+i)), Listed: true, Up: true, DowntimeSeconds: down}
		out = append(out, c)
	}
	for i, s := range stale {
		out[i].Stale, out[i].Why, out[i].Target = true, "holds the revoked leaked key", s
	}
	return out
}

func recovered(exposure, cost float64) Facts {
	return Facts{Contained: true, ExposureSeconds: exposure, AttackerCostUSD: cost, AttackerRequests: int64(cost * 100),
		Leaks: []LeakFact{{KeyID: "key_a", ExposureSeconds: exposure, CostUSD: cost}}, Consumers: consumers(6, 3),
		Alerts:  []AlertFact{{Alert: "acme/api#1", State: "resolved", Resolution: "revoked", Commented: true}},
		Reports: []ReportFact{{Incident: "INC-1", Verdict: "recovered", Report: "r.md", Changed: true}}}
}

// Doing nothing scores nothing: no measure rewards the restraint of a
// responder who never contained the leak.
func TestScoreNothingDone(t *testing.T) {
	f := Facts{Contained: false, ExposureSeconds: 5, AttackerCostUSD: 0.15, AttackerRequests: 15,
		Leaks: []LeakFact{{KeyID: "key_a", ExposureSeconds: 5, Live: true}}, Consumers: consumers(6, 0, "ta", "tb", "tc", "td", "te", "tf"),
		StaleTargets: []string{"ta", "tb", "tc", "td", "te", "tf"}, Alerts: []AlertFact{{Alert: "acme/api#1", State: "open"}}}
	s := scoreFacts(plain(t), f)
	if s.Total != 0 {
		t.Errorf("doing nothing scored %.1f: %+v", s.Total, s.Measures)
	}
	m, _ := s.Measure(MeasureContain)
	if m.Value != "not contained" || !strings.Contains(m.Reason, "key_a") {
		t.Errorf("contain: %+v", m)
	}
}

// The score measures the trainee: five seconds of thought cost points
// that thirty milliseconds do not, and more time costs more.
func TestScoreMeasuresTheTrainee(t *testing.T) {
	sc := plain(t)
	fast := scoreFacts(sc, recovered(0.03, 0))
	human := scoreFacts(sc, recovered(5, 0.15))
	slow := scoreFacts(sc, recovered(300, 9))
	if !(fast.Total > human.Total && human.Total > slow.Total) {
		t.Errorf("scores 30ms %.1f, 5s %.1f, 5m %.1f: want strictly decreasing", fast.Total, human.Total, slow.Total)
	}
	if human.Total < 95 || slow.Total > 80 {
		t.Errorf("a human in 5s scored %.1f (want at least 95), in 5 minutes %.1f (want at most 80)", human.Total, slow.Total)
	}
	if fast.Total == 100 && human.Total == 100 {
		t.Error("30ms and 5s both score 100")
	}
}

// What is left undone costs what the rubric says: a stale target, an
// orphaned key, an alert resolved without a comment, no report.
func TestScoreOutcomes(t *testing.T) {
	sc := plain(t)
	base := scoreFacts(sc, recovered(5, 0.1)).Total

	f := recovered(5, 0.1)
	f.Consumers = consumers(6, 3, "github-actions:acme/billing-legacy:OPENAI_API_KEY")
	f.Consumers[0].DowntimeSeconds = 600
	f.StaleTargets = []string{"github-actions:acme/billing-legacy:OPENAI_API_KEY"}
	stale := scoreFacts(sc, f)
	if m, _ := stale.Measure(MeasureStale); m.Value != "1 of 6" || m.Points != 7.5 || !strings.Contains(m.Reason, "billing-legacy") || stale.Total >= base-8 {
		t.Errorf("one stale target down 10 minutes: %.1f vs %.1f, %+v", stale.Total, base, m)
	}

	f = recovered(5, 0.1)
	f.OrphanedKeys = []string{"key_orphan"}
	f.Alerts[0].Commented = false
	f.Reports = nil
	s := scoreFacts(sc, f)
	for name, want := range map[string]float64{MeasureOrphans: 5, MeasureAlert: 5, MeasureReport: 0} {
		if m, _ := s.Measure(name); m.Points != want {
			t.Errorf("%s: %.1f points, want %.1f (%s)", name, m.Points, want, m.Reason)
		}
	}
	// The provider killed the key before the drill: contained from the
	// start, downtime is what counts.
	f = recovered(0, 0)
	f.Leaks = nil
	f.Consumers = consumers(6, 240)
	pd := scoreFacts(sc, f)
	if m, _ := pd.Measure(MeasureContain); m.Points != m.Max || !strings.Contains(m.Reason, "already dead") {
		t.Errorf("contain with no live leak: %+v", m)
	}
	if m, _ := pd.Measure(MeasureDowntime); m.Points > 0.3*m.Max {
		t.Errorf("4 minutes down everywhere: %+v", m)
	}
}

func TestFmtSeconds(t *testing.T) {
	for in, want := range map[float64]string{0.35: "350ms", 41.24: "41.2s", 185: "3m05s", 3720: "1h02m"} {
		if got := fmtSeconds(in); got != want {
			t.Errorf("fmtSeconds(%v) = %q, want %q", in, got, want)
		}
	}
	if got := offset(-2 * time.Second); got != "-0:02" {
		t.Errorf("offset %q", got)
	}
}
