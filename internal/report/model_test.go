package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/templates"
)

// TestTimesAreJournalTimes checks that every time the report states about
// the run is a journal timestamp, character for character, and that
// every duration is the difference of the two times it spans.
func TestTimesAreJournalTimes(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			recs, r := loadFixture(t, name)
			journaled := map[string]bool{}
			for _, rec := range recs {
				b, _ := json.Marshal(rec.Time)
				journaled[strings.Trim(string(b), `"`)] = true
			}
			check := func(what string, tm *time.Time) {
				t.Helper()
				if tm == nil {
					return
				}
				if s := tm.Format(time.RFC3339Nano); !journaled[s] {
					t.Errorf("%s %s is not a journal timestamp", what, s)
				}
			}
			check("started", &r.Incident.Started)
			check("finished", r.Incident.Finished)
			check("contained at", r.Metrics.ContainedAt)
			check("recovered at", r.Metrics.RecoveredAt)
			for _, a := range r.Actions {
				check("action "+a.Step+" started", a.Started)
				check("action "+a.Step+" finished", a.Finished)
				if a.Duration != nil && a.Duration.MS != a.Finished.Sub(*a.Started).Milliseconds() {
					t.Errorf("action %s %s: duration %dms is not finished - started", a.Step, a.Item, a.Duration.MS)
				}
			}
			for _, e := range r.Timeline {
				if e.Title != "Key exposed" {
					check("timeline "+e.Title, &e.At)
				}
				if e.Offset.MS != e.At.Sub(r.Incident.Started).Milliseconds() {
					t.Errorf("timeline %s: offset %d is not at - start", e.Title, e.Offset.MS)
				}
			}
			for _, a := range r.Approvals {
				check("approval", &a.At)
			}
			if r.Exposure != nil {
				check("exposure end", r.Exposure.End)
			}
			if m := r.Metrics; m.ContainedAt != nil && m.TimeToContain.MS != m.ContainedAt.Sub(r.Incident.Started).Milliseconds() {
				t.Errorf("time to contain %d ≠ contained at − start", m.TimeToContain.MS)
			}
			if m := r.Metrics; m.RecoveredAt != nil && m.TimeToRecover.MS != m.RecoveredAt.Sub(r.Incident.Started).Milliseconds() {
				t.Errorf("time to recover %d ≠ recovered at − start", m.TimeToRecover.MS)
			}
			// The JSON report has every time as journaled; the Markdown
			// and HTML reports show them to the second, for people (with
			// offsets such as T+15ms for what happened within one).
			if js := string(render(t, r, JSON)); !strings.Contains(js, r.Incident.Started.Format(time.RFC3339Nano)) {
				t.Error("the JSON report does not have the start time as journaled")
			}
			for _, f := range []Format{Markdown, HTML} {
				out := string(render(t, r, f))
				if !strings.Contains(out, r.Incident.Started.UTC().Format("2006-01-02 15:04:05")) {
					t.Errorf("the %s report does not show the start time to the second", f)
				}
				if m := subSecond.FindString(out); m != "" {
					t.Errorf("the %s report shows a time finer than a second: %q", f, m)
				}
			}
		})
	}
}

// subSecond matches a time of day with a fraction of a second.
var subSecond = regexp.MustCompile(`\d\d:\d\d:\d\d\.\d`)

// TestSummaryAgrees checks that `respond incidents` (incident.Summarize)
// and the report agree on the time to contain.
func TestSummaryAgrees(t *testing.T) {
	for _, name := range fixtures {
		recs, r := loadFixture(t, name)
		s := incident.Summarize(fixtureID, recs)
		switch {
		case s.TimeToContain == nil && r.Metrics.TimeToContain == nil:
		case s.TimeToContain == nil || r.Metrics.TimeToContain == nil:
			t.Errorf("%s: summary %v, report %v", name, s.TimeToContain, r.Metrics.TimeToContain)
		case s.TimeToContain.Milliseconds() != r.Metrics.TimeToContain.MS:
			t.Errorf("%s: summary says %s, report %dms", name, s.TimeToContain, r.Metrics.TimeToContain.MS)
		}
		if s.Status != r.Incident.Status {
			t.Errorf("%s: summary status %s, report %s", name, s.Status, r.Incident.Status)
		}
	}
}

// TestFixtureFacts pins the facts each fixture must produce, beyond the
// golden files: the things a reader relies on.
func TestFixtureFacts(t *testing.T) {
	_, ok := loadFixture(t, "success")
	if !ok.Summary.Contained || !ok.Summary.Recovered || ok.Summary.Severity != "high" || ok.Metrics.TimeToContain.MS != 4263 || ok.Metrics.TimeToRecover.MS != 6013 || ok.Invariant == nil || ok.Invariant.Verdict != Recovered {
		t.Errorf("success: %+v %+v", ok.Summary, ok.Metrics)
	}
	if ok.Usage == nil || ok.Usage.Abnormal || ok.Usage.Exposure.Requests != 187 || len(ok.Remaining) != 0 {
		t.Errorf("success usage %+v, remaining %v", ok.Usage, ok.Remaining)
	}
	_, ft := loadFixture(t, "failed-targets")
	failed := 0
	for _, tg := range ft.Targets {
		if tg.Status == "failed" {
			failed++
		}
	}
	if failed != 2 || ft.Summary.Recovered || ft.Metrics.TimeToRecover != nil || ft.Summary.Severity != "critical" || !ft.Usage.Abnormal {
		t.Errorf("failed targets: %d failed, %+v", failed, ft.Summary)
	}
	for _, a := range ft.Actions {
		if a.Step == "deploy" && a.Item == "#2" && (a.Attempts != 4 || a.Status != "failed") {
			t.Errorf("retried deploy: %+v", a)
		}
	}
	_, in := loadFixture(t, "interrupted")
	if in.Incident.Status != "interrupted" || in.Incident.Finished != nil || !in.Summary.Contained || in.Summary.Recovered {
		t.Errorf("interrupted: %+v %+v", in.Incident, in.Summary)
	}
	notRun := 0
	for _, a := range in.Actions {
		if a.Status == "not-run" {
			notRun++
		}
	}
	if notRun != 5 {
		t.Errorf("interrupted: %d steps not run, want 5 (verify-replacement, record, redeploy, close-alert, usage)", notRun)
	}
	if in.Invariant == nil || in.Invariant.Verdict != ContainedNotRecovered {
		t.Errorf("interrupted: invariant %+v", in.Invariant)
	}
	if ft.Invariant == nil || ft.Invariant.Verdict != ContainedNotRecovered {
		t.Errorf("failed targets: invariant %+v", ft.Invariant)
	} else {
		for _, c := range ft.Invariant.Clauses {
			if c.Name == ClauseTargets && (c.Holds || !strings.Contains(c.Detail, "2 of 4")) {
				t.Errorf("failed targets: %+v", c)
			}
		}
	}
	_, pd := loadFixture(t, "provider-disabled")
	if pd.Key == nil || !pd.Key.AlreadyDisabled || !pd.Summary.Contained || pd.Usage.Available || !strings.Contains(pd.Exposure.Note, "already disabled") {
		t.Errorf("provider disabled: %+v %+v", pd.Key, pd.Summary)
	}
}

// TestCanary plants a secret value in a journal the way the journal
// writer would record it (a fingerprint and a redacted form) and in the
// registry of the run, and checks that no report format contains it.
func TestCanary(t *testing.T) {
	canary := secret.New("sk-proj-CANARY" + strings.Repeat("x", 60) + "T3BlbkFJ" + strings.Repeat("y", 60) + "END1")
	recs, _ := loadFixture(t, "success")
	var buf bytes.Buffer
	w := json.NewEncoder(&buf)
	for _, rec := range recs {
		if rec.Type == journal.StepFinished && rec.Step == "identify" {
			rec.Outputs = journal.Sanitize(map[string]any{"key": canary, "key_id": "key_Q2w3E4r5T6y7U8i9"})
			rec.Evidence["fingerprint"] = canary.Fingerprint()
			rec.Evidence["redacted"] = canary.Redacted()
		}
		if err := w.Encode(rec); err != nil {
			t.Fatal(err)
		}
	}
	recs2, err := journal.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromJournal(fixtureID, recs2, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		out := render(t, r, f)
		for _, part := range []string{canary.Reveal(), canary.Reveal()[8:40], "CANARYxxxx"} {
			if bytes.Contains(out, []byte(part)) {
				t.Errorf("the %s report contains the secret (%q)", f, part)
			}
		}
		if !bytes.Contains(out, []byte(canary.Fingerprint())) {
			t.Errorf("the %s report lacks the key's fingerprint", f)
		}
	}
}

// TestJSONSchema validates every fixture's JSON report against
// templates/report.schema.json.
func TestJSONSchema(t *testing.T) {
	raw, err := templates.FS.ReadFile(templates.Schema)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fixtures {
		_, r := loadFixture(t, name)
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, r, JSON)))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond:  "850ms",
		3215 * time.Millisecond: "3.215s",
		3 * time.Second:         "3s",
		125 * time.Second:       "2m05s",
		62 * time.Minute:        "1h02m",
		76 * time.Hour:          "3d04h",
		-(6*time.Hour + 30*time.Minute + time.Second): "-6h30m",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
