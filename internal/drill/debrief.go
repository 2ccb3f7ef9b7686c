package drill

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/templates"
)

// Debrief is a drill's after-action report: the briefing, the timeline of
// every trainee action and inject, the score with its reasons, the ideal
// run beside it, and what went well and what to practise. It renders as
// Markdown and self-contained HTML (templates/debrief.*.tmpl); its JSON
// form is the model.
type Debrief struct {
	Drill      string        `json:"drill"`
	Scenario   string        `json:"scenario"`
	Title      string        `json:"title"`
	Skills     []string      `json:"skills"`
	Briefing   string        `json:"briefing"`
	Goal       string        `json:"goal,omitempty"`
	Notes      string        `json:"notes,omitempty"`
	Started    time.Time     `json:"started"`
	Ended      time.Time     `json:"ended"`
	Duration   string        `json:"duration"`
	EndedBy    string        `json:"ended_by"`
	Trainees   []TraineeRow  `json:"trainees"`
	Timeline   []Event       `json:"timeline"`
	Injects    []FiredInject `json:"injects"`
	Score      Score         `json:"score"`
	Ideal      *Score        `json:"ideal,omitempty"`
	IdealError string        `json:"ideal_error,omitempty"`
	Comparison []CompareRow  `json:"comparison,omitempty"`
	WentWell   []string      `json:"went_well"`
	Practise   []string      `json:"practise"`
}

// TraineeRow sums up what one trainee did.
type TraineeRow struct {
	Name     string `json:"name"`
	Commands int    `json:"commands"`
	APICalls int    `json:"api_calls"`
}

// CompareRow is one measure, the drill's and the ideal run's.
type CompareRow struct {
	Label       string  `json:"label"`
	Yours       string  `json:"yours"`
	YourPoints  float64 `json:"your_points"`
	Ideal       string  `json:"ideal"`
	IdealPoints float64 `json:"ideal_points"`
	Max         float64 `json:"max"`
}

// debrief builds the drill's debrief.
func (d *Drill) debrief(res *Result, ended time.Time, by string) *Debrief {
	tname := ""
	if d.sc.Teammate != nil {
		tname = d.sc.Teammate.Name
	}
	db := &Debrief{Drill: d.id, Scenario: d.sc.Name, Title: d.sc.Title, Skills: d.sc.Skills,
		Briefing: strings.TrimSpace(Expand(d.sc.Briefing, d.info, tname)), Goal: strings.TrimSpace(Expand(d.sc.Goal, d.info, tname)),
		Notes: strings.TrimSpace(Expand(d.sc.Notes, d.info, tname)), Started: d.started, Ended: ended,
		Duration: fmtSeconds(ended.Sub(d.started).Seconds()), EndedBy: by, Score: res.Score, Ideal: res.Ideal, IdealError: res.IdealError,
		Trainees: []TraineeRow{}, Injects: []FiredInject{}}
	var calls map[string]int
	db.Timeline, calls = d.timeline()
	d.mu.Lock()
	db.Injects = append(db.Injects, d.fired...)
	names := []string{}
	for _, t := range d.trainees {
		names = append(names, t.Name)
	}
	d.mu.Unlock()
	for _, n := range names {
		row := TraineeRow{Name: n, APICalls: calls[n]}
		for _, e := range db.Timeline {
			if e.Who == n && e.Kind == EventCommand && !strings.Contains(e.What, ": approved ") && !strings.Contains(e.What, ": declined ") {
				row.Commands++
			}
		}
		db.Trainees = append(db.Trainees, row)
	}
	if res.Ideal != nil {
		for _, m := range res.Score.Measures {
			row := CompareRow{Label: m.Label, Yours: m.Value, YourPoints: m.Points, Max: m.Max}
			if im, ok := res.Ideal.Measure(m.Name); ok {
				row.Ideal, row.IdealPoints = im.Value, im.Points
			}
			db.Comparison = append(db.Comparison, row)
		}
		db.Comparison = append(db.Comparison, CompareRow{Label: "score", Yours: fmt.Sprintf("%.1f", res.Score.Total), YourPoints: res.Score.Total,
			Ideal: fmt.Sprintf("%.1f", res.Ideal.Total), IdealPoints: res.Ideal.Total, Max: 100})
	}
	db.WentWell, db.Practise = assess(d.sc, d.info.Org, res.Score, res.Ideal)
	return db
}

// assess says what went well and what to practise, from the score.
func assess(sc *Scenario, org string, s Score, ideal *Score) (well, practise []string) {
	f := s.Facts
	share := func(name string) float64 {
		m, ok := s.Measure(name)
		if !ok || m.Max == 0 {
			return 1
		}
		return m.Points / m.Max
	}
	idealContain := ""
	if ideal != nil {
		if m, ok := ideal.Measure(MeasureContain); ok {
			idealContain = " (the ideal run: " + m.Value + ")"
		}
	}
	switch {
	case !f.Contained:
		practise = append(practise, "Contain first. The leak was never contained: the attacker was still spending when the drill ended. "+
			"Find the alert (gh api /orgs/"+org+"/secret-scanning/alerts, or curl $GITHUB_API_URL/orgs/"+org+"/secret-scanning/alerts) and run respond leaked-key --alert OWNER/REPO#N.")
	case len(f.Leaks) == 0:
	case share(MeasureContain) >= 0.8:
		well = append(well, fmt.Sprintf("Contained fast: the leaked key(s) lived %s after the page%s, and the attacker spent $%.2f.", fmtSeconds(f.ExposureSeconds), idealContain, f.AttackerCostUSD))
	default:
		practise = append(practise, fmt.Sprintf("Contain sooner: the leaked key(s) lived %s%s and the attacker spent $%.2f. Revoking comes before everything else; respond leaked-key does it first.", fmtSeconds(f.ExposureSeconds), idealContain, f.AttackerCostUSD))
	}
	if len(f.Leaks) > 1 && f.Contained {
		well = append(well, fmt.Sprintf("Caught the second leak: all %d leaked keys are dead.", len(f.Leaks)))
	}
	if f.Contained {
		var back, still []string
		for _, c := range f.Consumers {
			switch {
			case !c.Up:
				still = append(still, fmt.Sprintf("%s (down %s)", c.Name, fmtSeconds(c.DowntimeSeconds)))
			case c.DowntimeSeconds >= 0.05:
				back = append(back, fmt.Sprintf("%s (%s)", c.Name, fmtSeconds(c.DowntimeSeconds)))
			}
		}
		switch {
		case len(back) == 0 && len(still) == 0:
			well = append(well, "No service went down.")
		case len(back) > 0 && share(MeasureDowntime) >= 0.9:
			well = append(well, "The services that went down were back within moments: "+strings.Join(back, ", ")+".")
		case len(back) > 0:
			practise = append(practise, "Shorten the outage: "+strings.Join(back, ", ")+" were down. Deploy the replacement right after the revoke, and redeploy the services that read the key at start.")
		}
		if len(still) > 0 {
			practise = append(practise, "Still broken when the drill ended: "+strings.Join(still, ", ")+". Watch the services after the response (respond drill status shows them), not only respond's outcome.")
		}
	}
	if len(f.StaleTargets) == 0 && len(f.Consumers) > 0 {
		well = append(well, fmt.Sprintf("Every one of the %d targets holds the working replacement %s.", len(f.Consumers), f.Replacement))
	} else if len(f.StaleTargets) > 0 {
		unlisted := false
		for _, c := range f.Consumers {
			unlisted = unlisted || c.Stale && !c.Listed
		}
		msg := fmt.Sprintf("Find every place the key lives: %d target(s) did not end on the replacement (%s).", len(f.StaleTargets), strings.Join(f.StaleTargets, ", "))
		if unlisted {
			msg += " One was not in the inventory: list the organization's secrets (gh api /repos/" + org + "/REPO/actions/secrets for each repository) before the revoke, add what you find to respond.yaml, and rotate (respond rotate --credential NAME) to reach it afterwards."
		} else {
			msg += " Read the outcome at the end of the run and finish with respond resume."
		}
		practise = append(practise, msg)
	}
	if len(f.OrphanedKeys) > 0 {
		practise = append(practise, "One response per key: "+strings.Join(f.OrphanedKeys, ", ")+" work but nothing uses them. Before starting a response, check respond incidents for one already under way, and resume it rather than start another.")
	} else if f.Contained && sc.Teammate != nil {
		well = append(well, "One response per key: the teammate's response was finished, not duplicated.")
	}
	open := 0
	for _, a := range f.Alerts {
		if a.State != "resolved" {
			open++
		}
	}
	if open > 0 {
		practise = append(practise, fmt.Sprintf("Close the loop: %d alert(s) on a leaked key are still open. respond leaked-key --alert resolves its alert, with a comment naming the incident.", open))
	} else if len(f.Alerts) > 0 && share(MeasureAlert) == 1 {
		well = append(well, "Every alert on a leaked key is resolved with a comment.")
	}
	if share(MeasureReport) < 1 {
		practise = append(practise, "Write it down: no recovered response has a report. respond writes one at the end of every run (respond report ID regenerates it).")
	}
	if well == nil {
		well = []string{}
	}
	if practise == nil {
		practise = []string{}
	}
	return well, practise
}

// writeDebrief writes debrief.md, debrief.html and debrief.json into dir.
func writeDebrief(dir string, db *Debrief) ([]string, error) {
	var paths []string
	for _, f := range []struct{ ext, tmpl string }{{".md", templates.DebriefMarkdown}, {".html", templates.DebriefHTML}, {".json", ""}} {
		var buf bytes.Buffer
		if err := RenderDebrief(&buf, db, f.ext); err != nil {
			return paths, err
		}
		p := filepath.Join(dir, DebriefName+f.ext)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return paths, fmt.Errorf("write the debrief %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// RenderDebrief renders a debrief as ".md", ".html" or ".json".
func RenderDebrief(w *bytes.Buffer, db *Debrief, ext string) error {
	funcs := map[string]any{
		"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") },
		"pts": func(f float64) string {
			return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", f), "0"), ".")
		},
		"percent": func(a, b float64) string { return fmt.Sprintf("%.0f", 100*a/max(b, 1e-9)) },
		"lines":   func(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") },
	}
	for k, v := range report.MarkdownFuncs() {
		if ext == ".md" {
			funcs[k] = v
		}
	}
	switch ext {
	case ".json":
		b, err := json.MarshalIndent(db, "", "  ")
		if err != nil {
			return err
		}
		w.Write(append(b, '\n'))
		return nil
	case ".md":
		src, err := templates.FS.ReadFile(templates.DebriefMarkdown)
		if err != nil {
			return err
		}
		t, err := texttemplate.New(templates.DebriefMarkdown).Funcs(funcs).Parse(string(src))
		if err != nil {
			return fmt.Errorf("parse the debrief template: %w", err)
		}
		return t.Execute(w, db)
	case ".html":
		src, err := templates.FS.ReadFile(templates.DebriefHTML)
		if err != nil {
			return err
		}
		t, err := htmltemplate.New(templates.DebriefHTML).Funcs(funcs).Parse(string(src))
		if err != nil {
			return fmt.Errorf("parse the debrief template: %w", err)
		}
		return t.Execute(w, db)
	}
	return fmt.Errorf("unknown debrief format %q", ext)
}
