package drill

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/openaisim"
)

// Score is a drill scored by its outcomes: what happened in the world,
// not how respond got there (retries, injected errors and respond's own
// speed are not the trainee's). Every measure comes from the simulator's
// frozen world and the incidents' journals. The rubric's weights are
// scaled to 100, and the measures' points add up to the total exactly.
type Score struct {
	Scenario string `json:"scenario"`
	// Total is out of 100, to one decimal: the sum of the measures'
	// points.
	Total    float64        `json:"total"`
	Measures []MeasureScore `json:"measures"`
	Facts    Facts          `json:"facts"`
}

// MeasureScore is one measure of the rubric. Max is its weight scaled so
// that the measures' maxima add up to 100.
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
	// Orphans say who made each orphaned key, and how.
	Orphans []OrphanFact `json:"orphans"`
	Alerts  []AlertFact  `json:"alerts"`
	// Reports are the drill's incidents (responses), with their reports.
	Reports []ReportFact `json:"reports"`
	// FirstResponseSeconds is when the first response that changed
	// anything started, from the start of the clock (-1: none did).
	FirstResponseSeconds float64 `json:"first_response_seconds"`
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
	// Outages counts the times it went down.
	Outages int `json:"outages"`
}

// visible: a target trainees may be told about while the drill runs: the
// inventory lists it, or its service has gone down (a page is how its
// team would hear), or someone has changed the key it holds.
func (c ConsumerFact) visible(originalKey string) bool {
	return c.Listed || c.Outages > 0 || c.Holds != originalKey
}

// OrphanFact is a working key made during the drill that nothing uses.
type OrphanFact struct {
	KeyID string `json:"key_id"`
	// Owner is the service account it belongs to, by name.
	Owner string `json:"owner,omitempty"`
	// ByHand: no response of respond made it; MadeBy says who did (from
	// the request log), Incident which response made it otherwise.
	ByHand   bool   `json:"by_hand"`
	MadeBy   string `json:"made_by,omitempty"`
	Incident string `json:"incident,omitempty"`
	// At is when it was made, from the start of the clock.
	At string `json:"at,omitempty"`
}

// AlertFact is a secret-scanning alert on a leaked key.
type AlertFact struct {
	Alert      string `json:"alert"`
	State      string `json:"state"`
	Resolution string `json:"resolution,omitempty"`
	Commented  bool   `json:"commented"`
	// KeyID is the key it found; ResolvedBy who resolved it.
	KeyID      string `json:"key_id,omitempty"`
	ResolvedBy string `json:"resolved_by,omitempty"`
	// ResolvedAt is when, from the start of the clock.
	ResolvedAt string `json:"resolved_at,omitempty"`
	// KeyLiveAtResolve: the key still worked when the alert was resolved
	// (or still works).
	KeyLiveAtResolve bool `json:"key_live_at_resolve,omitempty"`
	// Share is the part of the alert's points it earns: 1 resolved as
	// revoked with a comment after the key died, 0.5 without a comment,
	// 0 open, closed as anything but revoked, or closed while the key
	// worked. Why says which.
	Share float64 `json:"share"`
	Why   string  `json:"why"`
}

// ReportFact is an incident of the drill (one response) and its report.
type ReportFact struct {
	Incident string `json:"incident"`
	Trainee  string `json:"trainee,omitempty"`
	Teammate bool   `json:"teammate,omitempty"`
	Verdict  string `json:"verdict,omitempty"`
	Report   string `json:"report,omitempty"`
	// Playbook is what it ran (leaked-key, rotate-key); Command the
	// command line that started it; KeyID the key it was about.
	Playbook string `json:"playbook,omitempty"`
	Command  string `json:"command,omitempty"`
	KeyID    string `json:"key_id,omitempty"`
	// Changed: it changed something in the world (revoked, created,
	// deployed, redeployed, resolved). A response that changed nothing
	// (refused by another's lock, stopped by preflight, a dry run) does
	// not count for or against the report.
	Changed bool `json:"changed"`
	// Failed is the first step that failed and why ("preflight fails:
	// …"), if one did.
	Failed string `json:"failed,omitempty"`
	// Started is when it started, from the start of the clock;
	// ContainedAfter how long after its start it revoked the key (-1: it
	// did not).
	StartedSeconds float64 `json:"started_seconds"`
	ContainedAfter float64 `json:"contained_after_seconds"`
	// Made are the keys its replace step made.
	Made []string `json:"made,omitempty"`
}

// half is 0.5^(x/h): the share of points left after x when h halves them.
func half(x, h float64) float64 {
	if h <= 0 {
		return 1
	}
	return math.Pow(0.5, math.Max(0, x)/h)
}

// score scores the drill as the world is now (frozen).
func (d *Drill) score() Score { return scoreFacts(d.sc, d.facts()) }

// world is the live world now with what it takes to judge it: the value
// each consumer holds, the leaked values, the keys by value.
type world struct {
	live    sim.LiveState
	vals    map[string]string
	leaked  map[string]bool
	byValue map[string]string
	liveKey map[string]bool
	oa      openaisim.State
}

func (d *Drill) world() world {
	w := world{live: d.s.LiveState(), vals: d.s.ConsumerValues(), leaked: map[string]bool{}, byValue: map[string]string{}, liveKey: map[string]bool{},
		oa: d.s.OpenAI().Snapshot()}
	for _, v := range d.leakedValues() {
		w.leaked[v.Reveal()] = true
	}
	for _, k := range w.oa.Keys {
		w.byValue[k.Value] = k.ID
		w.liveKey[k.ID] = k.Status == "live"
	}
	return w
}

// judgeTargets judges every target: the key it holds and whether it is
// stale. The live view (Status) and the score use this one judgement,
// so they agree on every count.
func (d *Drill) judgeTargets(w world) (out []ConsumerFact, replacement string) {
	rv, rid := pickReplacement(d.s, w.vals, w.leaked)
	out = []ConsumerFact{}
	for _, c := range w.live.Consumers {
		v := w.vals[c.Name]
		cf := ConsumerFact{Name: c.Name, Target: c.Target, Listed: c.Listed, Up: c.Up, DowntimeSeconds: c.DowntimeSeconds, Holds: w.byValue[v], Outages: c.Outages}
		switch {
		case v == "" || cf.Holds == "":
			cf.Stale, cf.Why = true, "holds no known key"
		case w.leaked[v] && w.liveKey[cf.Holds]:
			cf.Stale, cf.Why = true, "holds "+cf.Holds+", a leaked key that still works"
		case w.leaked[v]:
			cf.Stale, cf.Why = true, "holds "+cf.Holds+", the revoked leaked key"
		case !w.liveKey[cf.Holds]:
			cf.Stale, cf.Why = true, "holds "+cf.Holds+", which no longer works"
		case v != rv:
			cf.Stale, cf.Why = true, "holds "+cf.Holds+", not the replacement "+rid+" the other targets hold"
		}
		out = append(out, cf)
	}
	return out, rid
}

// facts gathers what the score is computed from: the frozen world, the
// request log and the incidents' journals.
func (d *Drill) facts() Facts {
	w := d.world()
	live := w.live
	f := Facts{ElapsedSeconds: live.ElapsedSeconds, Contained: !live.Attacker.Active, AttackerCostUSD: live.Attacker.CostUSD,
		AttackerRequests: live.Attacker.Requests, Leaks: []LeakFact{}, StaleTargets: []string{},
		OrphanedKeys: []string{}, Orphans: []OrphanFact{}, Alerts: []AlertFact{}, Reports: []ReportFact{}, FirstResponseSeconds: -1}
	deadAt := map[string]time.Time{}
	attackerKey := map[string]bool{}
	for _, k := range live.Attacker.Keys {
		f.ExposureSeconds += k.ExposureSeconds
		f.Leaks = append(f.Leaks, LeakFact{KeyID: k.KeyID, ExposureSeconds: k.ExposureSeconds, CostUSD: k.CostUSD, Live: k.Live, Why: k.Why})
		attackerKey[k.KeyID] = true
		if t, err := time.Parse(time.RFC3339Nano, k.DeadAt); err == nil {
			deadAt[k.KeyID] = t
		}
	}
	held := map[string]bool{}
	f.Consumers, f.Replacement = d.judgeTargets(w)
	for _, c := range f.Consumers {
		held[c.Holds] = true
		f.DowntimeSeconds += c.DowntimeSeconds
		if c.Stale {
			f.StaleTargets = append(f.StaleTargets, c.Target)
		}
	}
	f.Reports = d.reports()
	madeBy := map[string]string{} // key ID -> incident that made it
	for _, r := range f.Reports {
		for _, k := range r.Made {
			madeBy[k] = r.Incident
		}
		if r.Changed && (f.FirstResponseSeconds < 0 || r.StartedSeconds < f.FirstResponseSeconds) {
			f.FirstResponseSeconds = r.StartedSeconds
		}
	}
	// Orphans: keys made since the drill was set up that work, that no
	// target holds and that the attacker does not (a working leaked key
	// is a leak, not an orphan).
	owners := map[string]string{}
	for _, sa := range w.oa.ServiceAccounts {
		owners[sa.ID] = sa.Name
	}
	for _, k := range w.oa.Keys {
		created, err := time.Parse(time.RFC3339, k.CreatedAt)
		if err != nil || created.Before(d.created.Truncate(time.Second)) || k.Status != "live" || held[k.ID] || attackerKey[k.ID] {
			continue
		}
		f.OrphanedKeys = append(f.OrphanedKeys, k.ID)
		o := OrphanFact{KeyID: k.ID, Owner: owners[k.OwnerID], Incident: madeBy[k.ID], At: offset(created.Sub(d.started.Truncate(time.Second)))}
		if o.Incident == "" {
			o.ByHand, o.MadeBy = true, d.maker(created)
		} else {
			for _, r := range f.Reports {
				if r.Incident == o.Incident {
					o.MadeBy = r.Trainee
				}
			}
		}
		f.Orphans = append(f.Orphans, o)
	}
	for _, k := range w.oa.Keys {
		if _, ok := deadAt[k.ID]; !ok && k.RevokedAt != "" {
			if t, err := time.Parse(time.RFC3339, k.RevokedAt); err == nil {
				deadAt[k.ID] = t
			}
		}
	}
	logins := d.logins()
	for _, a := range d.s.GitHub().Snapshot().Alerts {
		if !w.leaked[a.Secret] {
			continue
		}
		af := AlertFact{Alert: fmt.Sprintf("%s/%s#%d", a.Owner, a.Repo, a.Number), State: a.State, KeyID: w.byValue[a.Secret]}
		if a.Resolution != nil {
			af.Resolution = *a.Resolution
		}
		if a.ResolvedBy != nil {
			af.ResolvedBy = *a.ResolvedBy
			if n, ok := logins[af.ResolvedBy]; ok {
				af.ResolvedBy = n
			}
		}
		af.Commented = a.ResolutionComment != nil && strings.TrimSpace(*a.ResolutionComment) != ""
		if af.State == "resolved" {
			var resolved time.Time
			if a.ResolvedAt != nil {
				resolved, _ = time.Parse(time.RFC3339, *a.ResolvedAt)
				af.ResolvedAt = offset(resolved.Sub(d.started.Truncate(time.Second)))
			}
			dead, died := deadAt[af.KeyID]
			// Times of resolution are whole seconds: within the second
			// the key died, the benefit of the doubt.
			af.KeyLiveAtResolve = w.liveKey[af.KeyID] || !died || !resolved.IsZero() && resolved.Before(dead.Truncate(time.Second))
		}
		f.Alerts = append(f.Alerts, af)
	}
	return f
}

// toResume is the unfinished response to resume: the one whose
// replacement the targets hold, else the one started last; nil when no
// response that changed something is unfinished, or when one recovered
// (resuming another then would undo it).
func toResume(f Facts) *ReportFact {
	for _, r := range f.Reports {
		if r.Changed && r.Verdict == "recovered" {
			return nil
		}
	}
	var pick *ReportFact
	for i := range f.Reports {
		r := &f.Reports[i]
		if !r.Changed || r.Verdict == "recovered" {
			continue
		}
		if f.Replacement != "" && slices.Contains(r.Made, f.Replacement) {
			return r
		}
		if pick == nil || r.StartedSeconds > pick.StartedSeconds {
			pick = r
		}
	}
	return pick
}

// judgeAlert says what an alert on a leaked key earns, and why.
func judgeAlert(a AlertFact) (float64, string) {
	by := ""
	if a.ResolvedBy != "" {
		by = " by " + a.ResolvedBy
	}
	switch {
	case a.State != "resolved":
		return 0, a.Alert + " is still open"
	case a.Resolution != "revoked":
		return 0, fmt.Sprintf("%s was closed as %s%s, but the key it found had leaked", a.Alert, orNone(a.Resolution), by)
	case a.KeyLiveAtResolve:
		return 0, fmt.Sprintf("%s was resolved as revoked%s while %s still worked", a.Alert, by, orNone(a.KeyID))
	case !a.Commented:
		return 0.5, fmt.Sprintf("%s was resolved as revoked%s without a comment", a.Alert, by)
	}
	return 1, fmt.Sprintf("%s was resolved as revoked with a comment, after the key died", a.Alert)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// logins maps the GitHub logins of the drill's people to their names.
func (d *Drill) logins() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]string{}
	for _, t := range d.trainees {
		out[t.Login] = t.Name
	}
	if d.tm != nil {
		out[d.tm.creds.Login] = d.tm.name
	}
	return out
}

// maker names who made a key by hand at created (whole seconds): the
// senders of the successful requests that create service accounts, and
// with them their keys, within that second.
func (d *Drill) maker(created time.Time) string {
	var who []string
	for _, r := range d.s.Requests(0) {
		if r.API != sim.APIOpenAI || r.Method != http.MethodPost || r.Status >= 300 || !strings.HasSuffix(strings.SplitN(r.Path, "?", 2)[0], "/service_accounts") {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, r.Start)
		if err != nil || at.Truncate(time.Second).Sub(created).Abs() > time.Second {
			continue
		}
		if r.Actor != "" && !slices.Contains(who, r.Actor) {
			who = append(who, r.Actor)
		}
	}
	return strings.Join(who, ", ")
}

// mutating are the steps of respond's playbooks that change the world.
var mutating = map[string]bool{"contain": true, "replace": true, "deploy": true, "record": true, "redeploy": true, "close-alert": true, "retire": true}

// reports lists the drill's incidents, what each did and their reports.
func (d *Drill) reports() []ReportFact {
	out := []ReportFact{}
	store := incident.NewStore(filepath.Join(d.dir, StateDir))
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
		rf := ReportFact{Incident: id, ContainedAfter: -1}
		var start time.Time
		for _, r := range recs {
			switch r.Type {
			case journal.IncidentStarted:
				if m, ok := r.Data["drill"].(map[string]any); ok {
					rf.Trainee, _ = m["trainee"].(string)
					rf.Teammate, _ = m["teammate"].(bool)
				}
				rf.Playbook, _ = r.Data["playbook"].(string)
			case journal.RunStarted:
				if start.IsZero() {
					start = r.Time
					rf.StartedSeconds = r.Time.Sub(d.started).Seconds()
					rf.Command = commandLine(r.Data["command"])
				}
			case journal.StepFinished:
				switch {
				case r.Status == journal.StatusFailed && rf.Failed == "":
					what := r.Step
					if r.Item != "" {
						what += " (" + r.Item + ")"
					}
					rf.Failed = what + " fails: " + strings.Join(strings.Fields(firstNonEmpty(r.Error, r.Message)), " ")
				case r.Status != journal.StatusOK:
				case r.Step == "identify":
					rf.KeyID, _ = r.Outputs["key_id"].(string)
				case r.Step == "contain":
					if gone, _ := r.Outputs["already_disabled"].(bool); !gone {
						rf.Changed = true
						if rf.ContainedAfter < 0 && !start.IsZero() {
							rf.ContainedAfter = r.Time.Sub(start).Seconds()
						}
					}
				case r.Step == "replace":
					rf.Changed = true
					if k, _ := r.Outputs["key_id"].(string); k != "" {
						rf.Made = append(rf.Made, k)
					}
				case mutating[r.Step]:
					rf.Changed = true
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

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// scaleWeights scales the rubric's weights to maxima that add up to 100
// exactly, in tenths of a point (largest remainders), in Measures' order.
func scaleWeights(r Rubric) map[string]float64 {
	total := 0.0
	for _, m := range Measures {
		total += math.Max(0, r[m].Weight)
	}
	out := map[string]float64{}
	if total <= 0 {
		return out
	}
	type part struct {
		name   string
		tenths int
		rest   float64
	}
	var parts []part
	sum := 0
	for _, m := range Measures {
		w := r[m].Weight
		if w <= 0 {
			continue
		}
		exact := w * 1000 / total
		t := int(math.Floor(exact))
		parts = append(parts, part{m, t, exact - float64(t)})
		sum += t
	}
	order := slices.Clone(parts)
	slices.SortStableFunc(order, func(a, b part) int { return cmp.Compare(b.rest, a.rest) })
	for i := 0; sum < 1000 && i < len(order); i++ {
		for j := range parts {
			if parts[j].name == order[i].name {
				parts[j].tenths++
			}
		}
		sum++
	}
	for _, p := range parts {
		out[p.name] = float64(p.tenths) / 10
	}
	return out
}

// scoreFacts applies the rubric to the facts. Each measure's maximum is
// its weight scaled to 100 (scaleWeights); its points are that maximum
// times its share, to a tenth; the total is their sum.
func scoreFacts(sc *Scenario, f Facts) Score {
	f.Alerts = slices.Clone(f.Alerts)
	s := Score{Scenario: sc.Name, Facts: f, Measures: []MeasureScore{}}
	maxima := scaleWeights(sc.Rubric)
	tenths := 0
	add := func(name, label, value string, share float64, reason string, args ...any) {
		mx, ok := maxima[name]
		if !ok {
			return
		}
		share = math.Min(1, math.Max(0, share))
		pts := int(math.Round(mx * 10 * share))
		tenths += pts
		s.Measures = append(s.Measures, MeasureScore{Name: name, Label: label, Value: value, Points: float64(pts) / 10, Max: mx, Reason: fmt.Sprintf(reason, args...)})
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
		var what []string
		for _, o := range f.Orphans {
			switch {
			case o.ByHand && o.MadeBy != "":
				what = append(what, o.KeyID+" (made by hand by "+o.MadeBy+")")
			case o.ByHand:
				what = append(what, o.KeyID+" (made by hand)")
			default:
				what = append(what, o.KeyID+" (made by "+o.Incident+")")
			}
		}
		add(MeasureOrphans, "orphaned keys", fmt.Sprint(n), 1/float64(1+n), "working key(s) nothing uses: %s", strings.Join(what, ", "))
	}

	// Alerts: resolved as revoked, with a comment, once the key is dead.
	if len(f.Alerts) == 0 {
		add(MeasureAlert, "alert resolved with a comment", "no alert", 1, "there was no alert to resolve")
	} else {
		sum, good := 0.0, 0
		var why []string
		for i := range s.Facts.Alerts {
			a := &s.Facts.Alerts[i]
			a.Share, a.Why = judgeAlert(*a)
			sum += a.Share
			if a.Share == 1 {
				good++
			} else {
				why = append(why, a.Why)
			}
		}
		if len(why) == 0 {
			why = append(why, "every alert on a leaked key was resolved as revoked with a comment, after the key died")
		}
		add(MeasureAlert, "alert resolved with a comment", fmt.Sprintf("%d of %d", good, len(f.Alerts)), sum/float64(len(f.Alerts)), "%s", strings.Join(why, "; "))
	}

	// A report, of the responses that changed something; the others
	// (refused by another's lock, stopped by preflight, dry runs) count
	// for nothing either way.
	var recovered, written, unwritten, idle []string
	for _, r := range f.Reports {
		switch {
		case !r.Changed:
			idle = append(idle, r.Incident)
		case r.Report != "" && r.Verdict == "recovered":
			recovered = append(recovered, r.Incident)
		case r.Report != "" && !r.Teammate:
			written = append(written, r.Incident)
		default:
			unwritten = append(unwritten, r.Incident)
		}
	}
	ignored := ""
	if len(idle) > 0 {
		ignored = fmt.Sprintf("; %s changed nothing and %s for nothing", strings.Join(idle, ", "), pick(len(idle) == 1, "counts", "count"))
	}
	switch {
	case len(recovered) > 0:
		add(MeasureReport, "report written", "yes", 1, "report of the recovered response %s%s", strings.Join(recovered, ", "), ignored)
	case len(written) > 0:
		add(MeasureReport, "report written", "not recovered", 0.5, "reports of responses that did not recover: %s%s", strings.Join(written, ", "), ignored)
	case len(unwritten) > 0:
		add(MeasureReport, "report written", "no", 0, "no response recovered, and none of the trainees' has a report (unfinished: %s)%s", strings.Join(unwritten, ", "), ignored)
	default:
		add(MeasureReport, "report written", "no", 0, "no response of the drill changed anything, so none has a report%s", ignored)
	}

	s.Total = float64(tenths) / 10
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

// fmtPoints writes points as the debrief does: 96.7, 30, 0.5.
func fmtPoints(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", f), "0"), ".")
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
