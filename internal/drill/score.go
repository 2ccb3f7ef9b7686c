package drill

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
)

// Score is a drill scored by its outcomes: what happened in the world,
// not how respond got there (retries, injected errors and respond's own
// speed are not the trainee's). Every measure comes from the simulator's
// frozen world and the incidents' journals.
type Score struct {
	Scenario string `json:"scenario"`
	// Total is out of 100, to one decimal.
	Total    float64        `json:"total"`
	Measures []MeasureScore `json:"measures"`
	Facts    Facts          `json:"facts"`
}

// MeasureScore is one measure of the rubric.
type MeasureScore struct {
	Name   string  `json:"name"`
	Label  string  `json:"label"`
	Value  string  `json:"value"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"`
	Reason string  `json:"reason"`
}

// Facts are what the score is computed from.
type Facts struct {
	ElapsedSeconds   float64        `json:"elapsed_seconds"`
	Contained        bool           `json:"contained"`
	ExposureSeconds  float64        `json:"exposure_seconds"`
	AttackerCostUSD  float64        `json:"attacker_cost_usd"`
	AttackerRequests int64          `json:"attacker_requests"`
	Leaks            []LeakFact     `json:"leaks"`
	DowntimeSeconds  float64        `json:"downtime_seconds"`
	Consumers        []ConsumerFact `json:"consumers"`
	Replacement      string         `json:"replacement,omitempty"`
	StaleTargets     []string       `json:"stale_targets"`
	OrphanedKeys     []string       `json:"orphaned_keys"`
	Alerts           []AlertFact    `json:"alerts"`
	Reports          []ReportFact   `json:"reports"`
}

// LeakFact is one key the attacker held.
type LeakFact struct {
	KeyID           string  `json:"key_id"`
	ExposureSeconds float64 `json:"exposure_seconds"`
	CostUSD         float64 `json:"cost_usd"`
	Live            bool    `json:"live"`
	Why             string  `json:"why,omitempty"`
}

// ConsumerFact is one consumer (one target) at the end.
type ConsumerFact struct {
	Name            string  `json:"name"`
	Target          string  `json:"target"`
	Listed          bool    `json:"listed"`
	Up              bool    `json:"up"`
	DowntimeSeconds float64 `json:"downtime_seconds"`
	Holds           string  `json:"holds,omitempty"` // key ID
	Stale           bool    `json:"stale"`
	Why             string  `json:"why,omitempty"`
}

// AlertFact is a secret-scanning alert on a leaked key.
type AlertFact struct {
	Alert      string `json:"alert"`
	State      string `json:"state"`
	Resolution string `json:"resolution,omitempty"`
	Commented  bool   `json:"commented"`
}

// ReportFact is an incident of the drill and its report.
type ReportFact struct {
	Incident string `json:"incident"`
	Trainee  string `json:"trainee,omitempty"`
	Teammate bool   `json:"teammate,omitempty"`
	Verdict  string `json:"verdict,omitempty"`
	Report   string `json:"report,omitempty"`
}

// half is 0.5^(x/h): the share of points left after x when h halves them.
func half(x, h float64) float64 {
	if h <= 0 {
		return 1
	}
	return math.Pow(0.5, math.Max(0, x)/h)
}

// score scores the drill as the world is now (frozen).
func (d *Drill) score(ended time.Time) Score {
	live := d.s.LiveState()
	vals := d.s.ConsumerValues()
	leaked := map[string]bool{}
	for _, v := range d.leakedValues() {
		leaked[v.Reveal()] = true
	}
	f := Facts{ElapsedSeconds: live.ElapsedSeconds, Contained: !live.Attacker.Active, AttackerCostUSD: live.Attacker.CostUSD,
		AttackerRequests: live.Attacker.Requests, Leaks: []LeakFact{}, Consumers: []ConsumerFact{}, StaleTargets: []string{},
		OrphanedKeys: []string{}, Alerts: []AlertFact{}, Reports: []ReportFact{}}
	for _, k := range live.Attacker.Keys {
		f.ExposureSeconds += k.ExposureSeconds
		f.Leaks = append(f.Leaks, LeakFact{KeyID: k.KeyID, ExposureSeconds: k.ExposureSeconds, CostUSD: k.CostUSD, Live: k.Live, Why: k.Why})
	}
	rv, rid := pickReplacement(d.s, vals, leaked)
	f.Replacement = rid
	oa := d.s.OpenAI().Snapshot()
	byValue := map[string]string{}
	liveKey := map[string]bool{}
	for _, k := range oa.Keys {
		byValue[k.Value] = k.ID
		liveKey[k.ID] = k.Status == "live"
	}
	held := map[string]bool{}
	for _, c := range live.Consumers {
		v := vals[c.Name]
		cf := ConsumerFact{Name: c.Name, Target: c.Target, Listed: c.Listed, Up: c.Up, DowntimeSeconds: c.DowntimeSeconds, Holds: byValue[v]}
		held[cf.Holds] = true
		f.DowntimeSeconds += c.DowntimeSeconds
		switch {
		case v == "" || cf.Holds == "":
			cf.Stale, cf.Why = true, "holds no known key"
		case leaked[v] && liveKey[cf.Holds]:
			cf.Stale, cf.Why = true, "holds "+cf.Holds+", a leaked key that still works"
		case leaked[v]:
			cf.Stale, cf.Why = true, "holds "+cf.Holds+", the revoked leaked key"
		case !liveKey[cf.Holds]:
			cf.Stale, cf.Why = true, "holds "+cf.Holds+", which no longer works"
		case v != rv:
			cf.Stale, cf.Why = true, "holds "+cf.Holds+", not the replacement "+rid+" the other targets hold"
		}
		if cf.Stale {
			f.StaleTargets = append(f.StaleTargets, c.Target)
		}
		f.Consumers = append(f.Consumers, cf)
	}
	// Orphans: keys made since the drill was set up that work, that no
	// target holds and that the attacker does not (a working leaked key
	// is a leak, not an orphan).
	attackerKey := map[string]bool{}
	for _, k := range live.Attacker.Keys {
		attackerKey[k.KeyID] = true
	}
	for _, k := range oa.Keys {
		created, err := time.Parse(time.RFC3339, k.CreatedAt)
		if err != nil || created.Before(d.created.Truncate(time.Second)) || k.Status != "live" || held[k.ID] || attackerKey[k.ID] {
			continue
		}
		f.OrphanedKeys = append(f.OrphanedKeys, k.ID)
	}
	for _, a := range d.s.GitHub().Snapshot().Alerts {
		if !leaked[a.Secret] {
			continue
		}
		af := AlertFact{Alert: fmt.Sprintf("%s/%s#%d", a.Owner, a.Repo, a.Number), State: a.State}
		if a.Resolution != nil {
			af.Resolution = *a.Resolution
		}
		af.Commented = a.ResolutionComment != nil && strings.TrimSpace(*a.ResolutionComment) != ""
		f.Alerts = append(f.Alerts, af)
	}
	f.Reports = reports(filepath.Join(d.dir, StateDir))
	return scoreFacts(d.sc, f)
}

// reports lists the drill's incidents and their reports.
func reports(stateDir string) []ReportFact {
	out := []ReportFact{}
	store := incident.NewStore(stateDir)
	ids, err := store.IDs()
	if err != nil {
		return out
	}
	for _, id := range ids {
		inc, err := store.Open(id)
		if err != nil {
			continue
		}
		recs, err := journal.ReadFile(inc.JournalPath())
		if err != nil {
			continue
		}
		rf := ReportFact{Incident: id}
		for _, r := range recs {
			switch r.Type {
			case journal.IncidentStarted:
				if m, ok := r.Data["drill"].(map[string]any); ok {
					rf.Trainee, _ = m["trainee"].(string)
					rf.Teammate, _ = m["teammate"].(bool)
				}
			case journal.OutcomeRecorded:
				rf.Verdict = r.Status
			}
		}
		if p := filepath.Join(inc.Dir, "report.md"); fileExists(p) {
			rf.Report = p
		}
		out = append(out, rf)
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// scoreFacts applies the rubric to the facts.
func scoreFacts(sc *Scenario, f Facts) Score {
	s := Score{Scenario: sc.Name, Facts: f}
	total, max := 0.0, 0.0
	add := func(name, label, value string, share float64, reason string, args ...any) {
		w := sc.Rubric[name]
		if w.Weight <= 0 {
			return
		}
		share = math.Min(1, math.Max(0, share))
		pts := math.Round(w.Weight*share*10) / 10
		s.Measures = append(s.Measures, MeasureScore{Name: name, Label: label, Value: value, Points: pts, Max: w.Weight, Reason: fmt.Sprintf(reason, args...)})
		total += w.Weight * share
		max += w.Weight
	}
	notContained := "counts only once the leak is contained: avoiding it by not acting is no merit"
	var liveLeaks []string
	for _, l := range f.Leaks {
		if l.Live {
			liveLeaks = append(liveLeaks, l.KeyID)
		}
	}

	// Time to contain: the exposure of every leaked key the attacker held.
	w := sc.Rubric[MeasureContain]
	switch {
	case !f.Contained:
		add(MeasureContain, "time to contain", "not contained", 0, "the attacker still holds working key(s) %s", strings.Join(liveLeaks, ", "))
	case len(f.Leaks) == 0:
		add(MeasureContain, "time to contain", "0s", 1, "the leaked key was already dead when the drill began")
	default:
		add(MeasureContain, "time to contain", fmtSeconds(f.ExposureSeconds), half(f.ExposureSeconds, w.HalfLife.Seconds()),
			"the attacker could use the leaked key(s) for %s (points halve every %s)", fmtSeconds(f.ExposureSeconds), fmtSeconds(w.HalfLife.Seconds()))
	}

	// Attacker spend.
	w = sc.Rubric[MeasureAttackerCost]
	money := fmt.Sprintf("$%.2f", f.AttackerCostUSD)
	if f.Contained {
		add(MeasureAttackerCost, "attacker spend", money, half(f.AttackerCostUSD, w.HalfCost),
			"%d requests billed to you while the key lived (points halve every $%.2f)", f.AttackerRequests, w.HalfCost)
	} else {
		add(MeasureAttackerCost, "attacker spend", money+" and rising", 0, "the attacker is still spending")
	}

	// Downtime.
	w = sc.Rubric[MeasureDowntime]
	var down []string
	share := 1.0
	if n := len(f.Consumers); n > 0 {
		sum := 0.0
		for _, c := range f.Consumers {
			sum += half(c.DowntimeSeconds, w.HalfLife.Seconds())
			if c.DowntimeSeconds >= 0.05 {
				down = append(down, fmt.Sprintf("%s %s", c.Name, fmtSeconds(c.DowntimeSeconds)))
			}
		}
		share = sum / float64(n)
	}
	value := fmt.Sprintf("%s over %d of %d services", fmtSeconds(f.DowntimeSeconds), len(down), len(f.Consumers))
	switch {
	case !f.Contained:
		add(MeasureDowntime, "downtime", value, 0, "%s", notContained)
	case len(down) == 0:
		add(MeasureDowntime, "downtime", value, share, "no service was down")
	default:
		add(MeasureDowntime, "downtime", value, share, "down: %s (each service's points halve every %s down)", strings.Join(down, "; "), fmtSeconds(w.HalfLife.Seconds()))
	}

	// Targets left stale.
	stale := len(f.StaleTargets)
	value = fmt.Sprintf("%d of %d", stale, len(f.Consumers))
	if len(f.Consumers) == 0 {
		add(MeasureStale, "targets left stale", value, 1, "no target")
	} else if stale == 0 {
		add(MeasureStale, "targets left stale", value, 1, "every target holds the working replacement %s", f.Replacement)
	} else {
		var why []string
		for _, c := range f.Consumers {
			if c.Stale {
				why = append(why, c.Target+" "+c.Why)
			}
		}
		share := half(float64(stale), 1)
		if stale == len(f.Consumers) {
			share = 0
		}
		add(MeasureStale, "targets left stale", value, share, "%s (each target left stale halves the points: its service is broken or its key is not the one the rest use)", strings.Join(why, "; "))
	}

	// Orphaned keys.
	n := len(f.OrphanedKeys)
	switch {
	case !f.Contained:
		add(MeasureOrphans, "orphaned keys", fmt.Sprint(n), 0, "%s", notContained)
	case n == 0:
		add(MeasureOrphans, "orphaned keys", "0", 1, "no working key is left that nothing uses")
	default:
		add(MeasureOrphans, "orphaned keys", fmt.Sprint(n), 1/float64(1+n), "working key(s) nothing uses: %s (a second replacement, or a response abandoned halfway)", strings.Join(f.OrphanedKeys, ", "))
	}

	// Alerts resolved with a comment.
	if len(f.Alerts) == 0 {
		add(MeasureAlert, "alert resolved with a comment", "no alert", 1, "there was no alert to resolve")
	} else {
		sum, good := 0.0, 0
		var open, bare []string
		for _, a := range f.Alerts {
			switch {
			case a.State == "resolved" && a.Commented:
				sum++
				good++
			case a.State == "resolved":
				sum += 0.5
				bare = append(bare, a.Alert)
			default:
				open = append(open, a.Alert)
			}
		}
		var why []string
		if len(open) > 0 {
			why = append(why, "still open: "+strings.Join(open, ", "))
		}
		if len(bare) > 0 {
			why = append(why, "resolved without a comment: "+strings.Join(bare, ", "))
		}
		if len(why) == 0 {
			why = append(why, "every alert on a leaked key is resolved with a comment")
		}
		add(MeasureAlert, "alert resolved with a comment", fmt.Sprintf("%d of %d", good, len(f.Alerts)), sum/float64(len(f.Alerts)), "%s", strings.Join(why, "; "))
	}

	// A report.
	var recovered, written []string
	for _, r := range f.Reports {
		if r.Report == "" {
			continue
		}
		if r.Verdict == "recovered" {
			recovered = append(recovered, r.Incident)
		} else if !r.Teammate {
			written = append(written, r.Incident)
		}
	}
	switch {
	case len(recovered) > 0:
		add(MeasureReport, "report written", "yes", 1, "report of the recovered response %s", strings.Join(recovered, ", "))
	case len(written) > 0:
		add(MeasureReport, "report written", "not recovered", 0.5, "reports of responses that did not recover: %s", strings.Join(written, ", "))
	default:
		add(MeasureReport, "report written", "no", 0, "no incident of the drill has a report")
	}

	if max > 0 {
		s.Total = math.Round(total/max*1000) / 10
	}
	return s
}

// Measure returns the named measure of a score.
func (s Score) Measure(name string) (MeasureScore, bool) {
	i := slices.IndexFunc(s.Measures, func(m MeasureScore) bool { return m.Name == name })
	if i < 0 {
		return MeasureScore{}, false
	}
	return s.Measures[i], true
}

// fmtSeconds writes a duration for people: 350ms, 41.2s, 3m05s, 1h02m.
func fmtSeconds(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
