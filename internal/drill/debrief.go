package drill

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"os"
	"path/filepath"
	"slices"
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
	Drill    string        `json:"drill"`
	Scenario string        `json:"scenario"`
	Title    string        `json:"title"`
	Skills   []string      `json:"skills"`
	Briefing string        `json:"briefing"`
	Goal     string        `json:"goal,omitempty"`
	Notes    string        `json:"notes,omitempty"`
	Started  time.Time     `json:"started"`
	Ended    time.Time     `json:"ended"`
	Duration string        `json:"duration"`
	EndedBy  string        `json:"ended_by"`
	Trainees []TraineeRow  `json:"trainees"`
	Timeline []Event       `json:"timeline"`
	Injects  []FiredInject `json:"injects"`
	// Refused are the requests the control API turned away: a trainee
	// reaching for the facilitator's controls, a web page, a reset.
	Refused    []Refusal    `json:"refused"`
	Score      Score        `json:"score"`
	Ideal      *Score       `json:"ideal,omitempty"`
	IdealError string       `json:"ideal_error,omitempty"`
	Comparison []CompareRow `json:"comparison,omitempty"`
	// Watch is respond watch beside the trainees (the scenario's watch),
	// on a twin of the world, scored the same way.
	Watch    *WatchBeside `json:"watch,omitempty"`
	WentWell []string     `json:"went_well"`
	Practise []string     `json:"practise"`
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

// WatchBeside is respond watch beside the trainees: how it was set up,
// its score, and the measures beside theirs.
type WatchBeside struct {
	Action string     `json:"action"`
	Poll   string     `json:"poll"`
	Score  *Score     `json:"score,omitempty"`
	Error  string     `json:"error,omitempty"`
	Rows   []WatchRow `json:"rows,omitempty"`
	// Summary compares the containment: watch's and the trainees'.
	Summary string `json:"summary,omitempty"`
}

// WatchRow is one measure, the drill's and respond watch's.
type WatchRow struct {
	Label       string  `json:"label"`
	Yours       string  `json:"yours"`
	YourPoints  float64 `json:"your_points"`
	Watch       string  `json:"watch"`
	WatchPoints float64 `json:"watch_points"`
	Max         float64 `json:"max"`
}

// watchBesideOf compares the drill with respond watch's twin world.
func watchBesideOf(sc *Scenario, res *Result) *WatchBeside {
	if sc.Watch == nil || (res.Watch == nil && res.WatchError == "") {
		return nil
	}
	wb := &WatchBeside{Action: sc.Watch.Action, Poll: sc.Watch.Poll.String(), Score: res.Watch, Error: res.WatchError}
	if res.Watch == nil {
		return wb
	}
	for _, m := range res.Score.Measures {
		row := WatchRow{Label: m.Label, Yours: m.Value, YourPoints: m.Points, Max: m.Max}
		if wm, ok := res.Watch.Measure(m.Name); ok {
			row.Watch, row.WatchPoints = wm.Value, wm.Points
		}
		wb.Rows = append(wb.Rows, row)
	}
	wb.Rows = append(wb.Rows, WatchRow{Label: "score", Yours: fmt.Sprintf("%.1f", res.Score.Total), YourPoints: res.Score.Total,
		Watch: fmt.Sprintf("%.1f", res.Watch.Total), WatchPoints: res.Watch.Total, Max: 100})
	yours, theirs := res.Score.Facts, res.Watch.Facts
	switch {
	case !theirs.Contained:
		wb.Summary = "respond watch did not contain the leak on its twin world"
	case len(theirs.Leaks) == 0:
		wb.Summary = "on its twin world the leaked key was already dead"
	default:
		wb.Summary = fmt.Sprintf("respond watch contained the leak %s after the page, and the attacker spent $%.2f", fmtSeconds(theirs.ExposureSeconds), theirs.AttackerCostUSD)
	}
	switch {
	case !yours.Contained:
		wb.Summary += "; you did not contain it."
	case len(yours.Leaks) > 0:
		wb.Summary += fmt.Sprintf("; you contained it %s after the page, and the attacker spent $%.2f.", fmtSeconds(yours.ExposureSeconds), yours.AttackerCostUSD)
	default:
		wb.Summary += "."
	}
	return wb
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
	db.Timeline, calls, db.Refused = d.timeline()
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
	ideal := res.Ideal
	if res.IdealError != "" {
		ideal = nil // nothing is compared with an ideal run that failed
		db.Comparison = nil
	}
	db.WentWell, db.Practise = assess(d.sc, d.info.Org, res.Score, ideal)
	db.Watch = watchBesideOf(d.sc, res)
	return db
}

// assess says what went well and what to practise, from the score. Each
// lesson names its cause as the facts show it: who did what, with which
// command, to which key or target, and what to do instead. ideal is the
// ideal run when it recovered (nil otherwise: nothing is compared with
// an ideal that failed).
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
	// Responses on a leaked key with the rotate-key playbook.
	leakedKey := map[string]bool{}
	for _, l := range f.Leaks {
		leakedKey[l.KeyID] = true
	}
	for _, a := range f.Alerts {
		leakedKey[a.KeyID] = true
	}
	var rotated []ReportFact
	for _, r := range f.Reports {
		if r.Playbook == "rotate-key" && r.Changed && leakedKey[r.KeyID] {
			rotated = append(rotated, r)
		}
	}
	late := ""
	if f.FirstResponseSeconds >= 1 {
		late = fmt.Sprintf("; the first response began %s after the page", fmtSeconds(f.FirstResponseSeconds))
	}
	switch {
	case !f.Contained:
		practise = append(practise, "Contain first. The leak was never contained: the attacker was still spending when the drill ended. "+
			"Find the alert (gh api /orgs/"+org+"/secret-scanning/alerts, or curl $GITHUB_API_URL/orgs/"+org+"/secret-scanning/alerts) and run respond leaked-key --alert OWNER/REPO#N.")
	case len(f.Leaks) == 0:
	case share(MeasureContain) >= 0.8:
		well = append(well, fmt.Sprintf("Contained fast: the leaked key(s) lived %s after the page%s, and the attacker spent $%.2f.", fmtSeconds(f.ExposureSeconds), idealContain, f.AttackerCostUSD))
	default:
		practise = append(practise, fmt.Sprintf("Contain sooner: the leaked key(s) lived %s%s and the attacker spent $%.2f%s. Revoking comes before everything else; respond leaked-key does it first.",
			fmtSeconds(f.ExposureSeconds), idealContain, f.AttackerCostUSD, late))
	}
	for _, r := range rotated {
		kept := ""
		if r.ContainedAfter >= 0 {
			kept = fmt.Sprintf(": it revoked the key %s after it started, once the replacement was deployed everywhere and redeployed", fmtSeconds(r.ContainedAfter))
		}
		practise = append(practise, fmt.Sprintf("Wrong playbook: %s ran %s (%s, the rotate-key playbook) on the leaked key %s%s. A planned rotation keeps the old key alive until everything has the new one; a leak needs respond leaked-key, which revokes first.",
			whoOr(r.Trainee), r.Command, r.Incident, r.KeyID, kept))
	}
	if len(f.Leaks) > 1 && f.Contained {
		well = append(well, fmt.Sprintf("Caught the second leak: all %d leaked keys are dead.", len(f.Leaks)))
	}
	if f.Contained {
		var back, still, forgotten []string
		for _, c := range f.Consumers {
			switch {
			case !c.Up:
				still = append(still, fmt.Sprintf("%s (down %s)", c.Name, fmtSeconds(c.DowntimeSeconds)))
				if !c.Listed {
					forgotten = append(forgotten, c.Name)
				}
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
			msg := "Still broken when the drill ended: " + strings.Join(still, ", ") + "."
			if len(forgotten) > 0 {
				msg += " " + strings.Join(forgotten, ", ") + " " + pick(len(forgotten) == 1, "is", "are") + " not in the inventory, so no response reached " + pick(len(forgotten) == 1, "it", "them") + "."
			}
			msg += " Watch the services after the response (respond drill status shows them), not only respond's outcome."
			practise = append(practise, msg)
		}
	}
	var unrecovered []ReportFact
	for _, r := range f.Reports {
		if r.Changed && r.Verdict != "recovered" {
			unrecovered = append(unrecovered, r)
		}
	}
	resume := toResume(f)
	if len(f.StaleTargets) == 0 && len(f.Consumers) > 0 {
		well = append(well, fmt.Sprintf("Every one of the %d targets holds the working replacement %s.", len(f.Consumers), f.Replacement))
	} else if len(f.StaleTargets) > 0 {
		var unlisted []string
		for _, c := range f.Consumers {
			if c.Stale && !c.Listed {
				unlisted = append(unlisted, c.Target)
			}
		}
		msg := fmt.Sprintf("Find every place the key lives: %d target(s) did not end on the replacement (%s).", len(f.StaleTargets), strings.Join(f.StaleTargets, ", "))
		switch {
		case len(unlisted) > 0:
			msg += fmt.Sprintf(" %s %s not in the inventory: list the organization's secrets (gh api /repos/%s/REPO/actions/secrets for each repository) before the revoke, add what you find to respond.yaml, and rotate (respond rotate --credential NAME) to reach it afterwards.",
				strings.Join(unlisted, ", "), pick(len(unlisted) == 1, "was", "were"), org)
		case resume != nil:
			msg += fmt.Sprintf(" %s (%s's) ended %s: read the outcome at the end of the run and finish it with respond resume %s.", resume.Incident, whoOr(resume.Trainee), orNone(resume.Verdict), resume.Incident)
		default:
			msg += " Read the outcome at the end of each run, and finish an unrecovered response with respond resume ID."
		}
		practise = append(practise, msg)
	}
	// Orphans: made by hand; made by the response to resume (it stopped
	// before deploying them: the resume lesson says so); or left by a
	// response another one replaced.
	var hand, extra, pending []OrphanFact
	for _, o := range f.Orphans {
		switch {
		case o.ByHand:
			hand = append(hand, o)
		case resume != nil && o.Incident == resume.Incident:
			pending = append(pending, o)
		default:
			extra = append(extra, o)
		}
	}
	if len(hand) > 0 {
		var what []string
		for _, o := range hand {
			w := o.KeyID
			if o.Owner != "" {
				w += fmt.Sprintf(" (service account %q)", o.Owner)
			}
			if o.At != "" {
				w += " at " + o.At
			}
			if o.MadeBy != "" {
				w = o.MadeBy + " made " + w
			} else {
				w = "someone made " + w
			}
			what = append(what, w)
		}
		practise = append(practise, fmt.Sprintf("A key made by hand: %s; %s, but nothing uses %s. Let respond make the replacement (it deploys it, records it in the inventory and cleans up after itself), and delete a key you made by hand: it is one more live key to leak.",
			strings.Join(what, ", and "), pick(len(hand) == 1, "it works", "they work"), pick(len(hand) == 1, "it", "them")))
	}
	if len(extra) > 0 {
		var what []string
		var incs []string
		for _, o := range extra {
			what = append(what, o.KeyID)
			if !slices.Contains(incs, o.Incident) {
				incs = append(incs, o.Incident)
			}
		}
		practise = append(practise, fmt.Sprintf("One response per key: %s %s but nothing uses %s: the replacement of %s, a response that another one replaced or abandoned halfway. Before starting a response, check respond incidents, and resume the one under way rather than start another.",
			strings.Join(what, ", "), pick(len(extra) == 1, "works", "work"), pick(len(extra) == 1, "it", "them"), strings.Join(incs, ", ")))
	} else if f.Contained && sc.Teammate != nil && len(hand) == 0 {
		well = append(well, "One response per key: the teammate's response was finished, not duplicated.")
	}
	var open, wrong, early, bare []AlertFact
	for _, a := range f.Alerts {
		switch {
		case a.State != "resolved":
			open = append(open, a)
		case a.Resolution != "revoked":
			wrong = append(wrong, a)
		case a.KeyLiveAtResolve:
			early = append(early, a)
		case !a.Commented:
			bare = append(bare, a)
		}
	}
	if len(open) > 0 {
		practise = append(practise, fmt.Sprintf("Close the loop: %s %s still open. respond leaked-key --alert resolves its alert once the key is dead, with a comment naming the incident.",
			alertNames(open), pick(len(open) == 1, "is", "are")))
	}
	for _, a := range wrong {
		practise = append(practise, fmt.Sprintf("Wrong resolution: %s. An alert on a key that leaked is resolved as revoked, once the key is dead, with a comment naming the incident; false_positive, wont_fix and used_in_tests tell the next reader there was nothing to do.", a.Why))
	}
	for _, a := range early {
		practise = append(practise, fmt.Sprintf("Resolved too soon: %s. Resolve an alert only once the key is dead (respond leaked-key --alert does it as its last step).", a.Why))
	}
	if len(bare) > 0 {
		var why []string
		for _, a := range bare {
			why = append(why, a.Why)
		}
		practise = append(practise, fmt.Sprintf("Say why: %s. The comment is what the next reader of the alert has: name the incident (respond leaked-key --alert writes it; by hand, send resolution_comment).", strings.Join(why, "; ")))
	}
	if len(f.Alerts) > 0 && share(MeasureAlert) == 1 {
		well = append(well, "Every alert on a leaked key is resolved as revoked with a comment, after the key died.")
	}
	if share(MeasureReport) < 1 {
		switch {
		case resume != nil:
			var ids []string
			for _, r := range unrecovered {
				ids = append(ids, fmt.Sprintf("%s (%s's, %s)", r.Incident, whoOr(r.Trainee), orNone(r.Verdict)))
			}
			which := ""
			if len(unrecovered) > 1 {
				which = fmt.Sprintf(" (the one whose replacement the targets hold, %s)", orNone(f.Replacement))
				if !slices.Contains(resume.Made, f.Replacement) {
					which = " (the last one started)"
				}
			}
			made := ""
			if len(pending) > 0 {
				var ks []string
				for _, o := range pending {
					ks = append(ks, o.KeyID)
				}
				made = fmt.Sprintf(" (it made %s and stopped before deploying %s)", strings.Join(ks, ", "), pick(len(ks) == 1, "it", "them"))
			}
			practise = append(practise, fmt.Sprintf("Write it down: no response recovered, so no report says the leak is over (unfinished: %s). Resume %s%s%s: respond resume %s finishes it and writes the report of a recovered response.",
				strings.Join(ids, ", "), resume.Incident, which, made, resume.Incident))
		default:
			practise = append(practise, "Write it down: no response of the drill changed anything, so no report says what was done. respond leaked-key writes one at the end of every run (respond report ID regenerates it).")
		}
	}
	if well == nil {
		well = []string{}
	}
	if practise == nil {
		practise = []string{}
	}
	return well, practise
}

func whoOr(name string) string {
	if name == "" {
		return "someone"
	}
	return name
}

func pick(one bool, a, b string) string {
	if one {
		return a
	}
	return b
}

func alertNames(as []AlertFact) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Alert)
	}
	return strings.Join(out, ", ")
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
		"time":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"clock":   func(t time.Time) string { return t.UTC().Format("15:04:05") },
		"pts":     fmtPoints,
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
