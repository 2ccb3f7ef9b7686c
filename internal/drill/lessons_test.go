package drill

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// recorded scores a trainee run recorded from a real drill
// (testdata/recorded, see its README) with its scenario's rubric, and
// assesses it as respond drill end does.
func recorded(t *testing.T, scenario, run string) (s Score, well, practise []string) {
	t.Helper()
	if strings.HasSuffix(scenario, ".yaml") {
		src, err := os.ReadFile(filepath.Join("testdata", "recorded", scenario))
		if err != nil {
			t.Fatal(err)
		}
		sc, d := Parse(scenario, src)
		if d.HasErrors() {
			t.Fatalf("%s: %v", scenario, d)
		}
		return assessed(t, sc, run)
	}
	sc, _, _, err := Load(scenario)
	if err != nil {
		t.Fatal(err)
	}
	return assessed(t, sc, run)
}

func assessed(t *testing.T, sc *Scenario, run string) (Score, []string, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "recorded", run+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f Facts
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	s := scoreFacts(sc, f)
	well, practise := assess(sc, "acme", s, nil)
	return s, well, practise
}

// lesson returns the one lesson matching re, failing when there is none
// or more than one.
func lesson(t *testing.T, practise []string, re string) string {
	t.Helper()
	var hits []string
	for _, l := range practise {
		if regexp.MustCompile(re).MatchString(l) {
			hits = append(hits, l)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("%d lessons match %q, want 1; the lessons:\n  %s", len(hits), re, strings.Join(practise, "\n  "))
	}
	return hits[0]
}

func noLesson(t *testing.T, practise []string, re string) {
	t.Helper()
	for _, l := range practise {
		if regexp.MustCompile(re).MatchString(l) {
			t.Errorf("a lesson %q names the wrong cause: %s", re, l)
		}
	}
}

// Team B of the game day used rotate where leaked-key was needed: the
// lesson says so, with the command, the incident and the key, and why.
func TestLessonWrongPlaybook(t *testing.T) {
	_, _, practise := recorded(t, "gameday.yaml", "gameday-team-b")
	l := lesson(t, practise, `^Wrong playbook:`)
	for _, want := range []string{"bob ran respond rotate --credential openai-production --watch 0s --yes", "the rotate-key playbook", "on the leaked key key_1uB6rlvBC1dus5Vu", "a leak needs respond leaked-key, which revokes first"} {
		if !strings.Contains(l, want) {
			t.Errorf("the wrong-playbook lesson does not say %q: %s", want, l)
		}
	}
}

// bob's hand-made spare key is named as a key made by hand, by bob, with
// its service account; not as a second response to resume.
func TestLessonKeyMadeByHand(t *testing.T) {
	s, _, practise := recorded(t, "gameday.yaml", "gameday-team-b")
	l := lesson(t, practise, `^A key made by hand:`)
	if !regexp.MustCompile(`bob made key_\w+ \(service account "bob-spare"\) at \+0:\d\d; it works, but nothing uses it\.`).MatchString(l) {
		t.Errorf("the hand-made key lesson: %s", l)
	}
	noLesson(t, practise, `One response per key|resume`)
	if m, _ := s.Measure(MeasureOrphans); !strings.Contains(m.Reason, "made by hand by bob") {
		t.Errorf("orphans row: %s", m.Reason)
	}
}

// A late start is named with when the first response began, and the
// forgotten repository and the bare alert by name.
func TestLessonsOfTeamB(t *testing.T) {
	_, _, practise := recorded(t, "gameday.yaml", "gameday-team-b")
	l := lesson(t, practise, `^Contain sooner:`)
	if !regexp.MustCompile(`the first response began 3\d\.\ds after the page`).MatchString(l) {
		t.Errorf("the late start is not named: %s", l)
	}
	lesson(t, practise, `^Find every place the key lives: .*github-actions:acme/billing-legacy:OPENAI_API_KEY was not in the inventory`)
	lesson(t, practise, `^Still broken when the drill ended: acme/billing-legacy CI .*not in the inventory`)
	lesson(t, practise, `^Say why: acme/api#1 was resolved as revoked by bob without a comment`)
	if len(practise) != 6 {
		t.Errorf("%d lessons, want the 6 of B's mistakes:\n  %s", len(practise), strings.Join(practise, "\n  "))
	}
}

// Team A did everything right: nothing to practise.
func TestNoLessonForAGoodRun(t *testing.T) {
	s, well, practise := recorded(t, "gameday.yaml", "gameday-team-a")
	if len(practise) != 0 || len(well) < 3 || s.Total < 95 {
		t.Errorf("team A: %.1f, went well %q, practise %q", s.Total, well, practise)
	}
}

// Two unfinished responses on one key: the lessons say which incident to
// resume (bob's, whose replacement the targets hold) and name alice's
// replacement as the second response's orphan. Grammar: one key works.
func TestLessonWhichIncidentToResume(t *testing.T) {
	s, _, practise := recorded(t, "failing-target", "partial")
	alice, bob := s.Facts.Reports[0].Incident, s.Facts.Reports[1].Incident
	l := lesson(t, practise, `^Write it down:`)
	if !strings.Contains(l, "Resume "+bob+" (the one whose replacement the targets hold") || !strings.Contains(l, "respond resume "+bob) || strings.Contains(l, "respond resume "+alice) {
		t.Errorf("the report lesson does not say to resume %s: %s", bob, l)
	}
	l = lesson(t, practise, `^Find every place the key lives:`)
	if !strings.Contains(l, "respond resume "+bob) {
		t.Errorf("the stale lesson does not say to resume %s: %s", bob, l)
	}
	l = lesson(t, practise, `^One response per key:`)
	if !regexp.MustCompile(`key_\w+ works but nothing uses it: the replacement of ` + alice).MatchString(l) {
		t.Errorf("the orphan lesson: %s", l)
	}
	if m, _ := s.Measure(MeasureReport); m.Points != m.Max/2 {
		t.Errorf("two reports of responses that did not recover: %+v", m)
	}
}

// A teammate's response stuck before deploying and a trainee whose own
// response was refused: resume the teammate's. Its replacement, made but
// not deployed, is part of that lesson, not a second response's orphan;
// the refused response changed nothing and counts for nothing.
func TestLessonResumeTheTeammates(t *testing.T) {
	s, _, practise := recorded(t, "teammate-responding", "teammate-idle")
	sam := s.Facts.Reports[0]
	if !sam.Teammate || s.Facts.Reports[1].Changed {
		t.Fatalf("recorded run: %+v", s.Facts.Reports)
	}
	l := lesson(t, practise, `^Write it down:`)
	if !strings.Contains(l, "Sam Patel's") || !strings.Contains(l, "respond resume "+sam.Incident) || !strings.Contains(l, "stopped before deploying it") {
		t.Errorf("the report lesson: %s", l)
	}
	noLesson(t, practise, `^One response per key`)
	m, _ := s.Measure(MeasureReport)
	if !strings.Contains(m.Reason, s.Facts.Reports[1].Incident+" changed nothing and counts for nothing") {
		t.Errorf("report row: %s", m.Reason)
	}
}

// A response refused by the teammate's lock changed nothing: once the
// teammate's is resumed and recovers, the report row is whole and no
// lesson is about reports.
func TestRefusedResponseCountsForNothing(t *testing.T) {
	s, _, practise := recorded(t, "teammate-responding", "teammate")
	if m, _ := s.Measure(MeasureReport); m.Points != m.Max || !strings.Contains(m.Reason, "changed nothing") {
		t.Errorf("report row: %+v", m)
	}
	noLesson(t, practise, `Write it down|One response per key`)
}

// An alert closed as false_positive on a leaked key earns nothing, and
// the lesson names the resolution and who chose it.
func TestLessonWrongResolution(t *testing.T) {
	s, _, practise := recorded(t, "leaked-key", "falsepos")
	if m, _ := s.Measure(MeasureAlert); m.Points != 0 {
		t.Errorf("alert row: %+v", m)
	}
	lesson(t, practise, `^Wrong resolution: acme/api#1 was closed as false_positive by dan, but the key it found had leaked`)
}

// An alert resolved as revoked, with a comment, while the key still
// worked earns nothing either.
func TestLessonResolvedTooSoon(t *testing.T) {
	s, _, practise := recorded(t, "leaked-key", "early")
	if m, _ := s.Measure(MeasureAlert); m.Points != 0 || !strings.Contains(m.Reason, "while key_") {
		t.Errorf("alert row: %+v", m)
	}
	lesson(t, practise, `^Resolved too soon: acme/api#1 was resolved as revoked by carl while key_\w+ still worked`)
}

// The rows' points add up to the total exactly, and their maxima to 100,
// whatever the weights: every recorded run under its rubric, every
// built-in scenario's, and rubrics that do not add up to 100.
func TestRowsAddUpToTheTotal(t *testing.T) {
	check := func(name string, s Score) {
		t.Helper()
		pts, mx := 0, 0
		for _, m := range s.Measures {
			pts += int(m.Points*10 + 0.5)
			mx += int(m.Max*10 + 0.5)
		}
		if pts != int(s.Total*10+0.5) || mx != 1000 {
			t.Errorf("%s: rows %d/%d tenths, total %.1f", name, pts, mx, s.Total)
		}
	}
	runs := map[string]string{"gameday-team-a": "gameday.yaml", "gameday-team-b": "gameday.yaml", "partial": "failing-target", "early": "leaked-key",
		"falsepos": "leaked-key", "teammate": "teammate-responding", "teammate-idle": "teammate-responding"}
	for run, sc := range runs {
		s, _, _ := recorded(t, sc, run)
		check(run, s)
	}
	all, _ := Catalog()
	b, _ := os.ReadFile(filepath.Join("testdata", "recorded", "partial.json"))
	var f Facts
	_ = json.Unmarshal(b, &f)
	for _, sc := range all {
		check(sc.Name, scoreFacts(sc, f))
	}
	odd := plain(t)
	odd.Rubric = DefaultRubric()
	for _, weights := range [][]float64{{30, 15, 20, 35, 10, 10, 5}, {1, 1, 1, 0, 0, 0, 0}, {7, 7, 7, 7, 7, 7, 7}} {
		for i, m := range Measures {
			w := odd.Rubric[m]
			w.Weight = weights[i]
			odd.Rubric[m] = w
		}
		check("odd rubric", scoreFacts(odd, f))
	}
}
