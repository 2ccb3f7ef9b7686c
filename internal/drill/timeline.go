package drill

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/sim"
)

// Event is one line of a debrief's timeline.
type Event struct {
	At time.Time `json:"at"`
	// Offset is the time since the clock started: +1:05, or -0:02 for
	// what happened before it (a teammate's response).
	Offset string `json:"offset"`
	Who    string `json:"who"`
	// Kind is join, command, step, api, inject, world or end.
	Kind string `json:"kind"`
	What string `json:"what"`
}

// Event kinds.
const (
	// EventControl: a request to the control API that it allowed (the
	// facilitator's, or a trainee watching the live view); EventRefused:
	// one it refused.
	EventControl = "control"
	EventRefused = "refused"
	EventJoin    = "join"
	EventCommand = "command"
	EventStep    = "step"
	EventAPI     = "api"
	EventInject  = "inject"
	EventWorld   = "world"
	EventEnd     = "end"
)

// runWindow is one run of respond by one person: the API requests made
// while it ran are respond's, summed up in one line (its steps say what
// they did); the others (curl, gh, scripts) are listed.
type runWindow struct {
	who        string
	incident   string
	command    string
	start, end time.Time
	first      time.Time
	n          int
	counts     map[string]int
	order      []string
}

// Refusal is a request the control API turned away, as the debrief lists
// it: who tried what, and why it was refused.
type Refusal struct {
	At     time.Time `json:"at"`
	Offset string    `json:"offset"`
	Who    string    `json:"who"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
	Why    string    `json:"why"`
}

// timeline gathers every trainee action (the commands from the incidents'
// journals, the API calls from the request log, attributed), every
// request to the control API (allowed or refused), every inject and what
// happened in the world, in time order. calls counts each person's API
// requests; refused lists the control API's refusals.
func (d *Drill) timeline() (evs []Event, calls map[string]int, refused []Refusal) {
	calls = map[string]int{}
	refused = []Refusal{}
	// Watching the live view is one line per person: when they first
	// looked, and how often.
	type watch struct {
		first time.Time
		n     int
	}
	watching := map[string]*watch{}
	var watchers []string
	add := func(at time.Time, who, kind, what string) {
		evs = append(evs, Event{At: at.UTC(), Who: who, Kind: kind, What: what})
	}
	windows := d.journalEvents(add)

	// The request log.
	type group struct {
		first sim.RequestRecord
		n     int
		last  time.Time
	}
	var cur *group
	flush := func() {
		if cur == nil {
			return
		}
		at, _ := time.Parse(time.RFC3339Nano, cur.first.Start)
		what := fmt.Sprintf("%s %s %s → %d", apiName(cur.first.API), cur.first.Method, cur.first.Path, cur.first.Status)
		if cur.n > 1 {
			what = fmt.Sprintf("%d × %s %s (%s …) → %d", cur.n, apiName(cur.first.API), cur.first.Method, cur.first.Path, cur.first.Status)
		}
		if cur.first.Fault != 0 {
			what += fmt.Sprintf(" (injected fault %d)", cur.first.Fault)
		}
		add(at, cur.first.Actor, EventAPI, what)
		cur = nil
	}
	for _, r := range d.s.Requests(0) {
		at, _ := time.Parse(time.RFC3339Nano, r.Start)
		if r.API == sim.APIControl {
			flush()
			path, _, _ := strings.Cut(r.Path, "?")
			switch {
			case r.Refused:
				refused = append(refused, Refusal{At: at.UTC(), Offset: offset(at.Sub(d.started)), Who: orUnknown(r.Actor), Method: r.Method, Path: r.Path, Status: r.Status, Why: r.Detail})
				add(at, r.Actor, EventRefused, fmt.Sprintf("control %s %s → %d (see Refused by the control API)", r.Method, r.Path, r.Status))
			case r.Method == http.MethodGet && (path == "/_drill/status" || path == "/_drill/" || path == "/_drill"):
				w := watching[r.Actor]
				if w == nil {
					w = &watch{first: at}
					watching[r.Actor] = w
					watchers = append(watchers, r.Actor)
				}
				w.n++
			case strings.HasPrefix(path, "/_drill/") && r.Method == http.MethodPost && r.Status < 300:
				// A join, an inject, an end: the drill's own event
				// says what it did.
			default:
				add(at, r.Actor, EventControl, fmt.Sprintf("control %s %s → %d", r.Method, r.Path, r.Status))
			}
			continue
		}
		if r.API == sim.APIDrill {
			flush()
			kind := EventInject
			switch r.Method {
			case "JOIN":
				kind = EventJoin
			case "END":
				kind = EventEnd
			}
			if r.Status >= 300 {
				add(at, r.Actor, kind, "failed: "+r.Detail)
			} else {
				add(at, r.Actor, kind, r.Detail)
			}
			continue
		}
		if w := windowOf(windows, r.Actor, at); w != nil {
			calls[w.who]++
			if r.Status < 400 {
				// respond's own request, answered: counted in its run's
				// summary.
				k := apiName(r.API) + " " + r.Method
				if w.counts[k] == 0 {
					w.order = append(w.order, k)
				}
				w.counts[k]++
				if w.n == 0 {
					w.first = at
				}
				w.n++
				continue
			}
			r.Actor = w.who
		} else if r.Actor != "" {
			calls[r.Actor]++
		}
		if cur != nil && cur.first.Actor == r.Actor && cur.first.API == r.API && cur.first.Method == r.Method &&
			cur.first.Status == r.Status && cur.first.Fault == r.Fault && at.Sub(cur.last) < 2*time.Second && sameShape(cur.first.Path, r.Path) {
			// A burst (respond deploying, a script): one line.
			cur.n++
			cur.last = at
			continue
		}
		flush()
		cur = &group{first: r, n: 1, last: at}
	}
	flush()
	for _, w := range windows {
		if w.n == 0 {
			continue
		}
		var parts []string
		for _, k := range w.order {
			parts = append(parts, fmt.Sprintf("%d %s", w.counts[k], k))
		}
		add(w.first, w.who, EventAPI, fmt.Sprintf("%s: respond's %d API request(s) answered: %s", w.incident, w.n, strings.Join(parts, ", ")))
	}

	for _, who := range watchers {
		w := watching[who]
		add(w.first, who, EventControl, fmt.Sprintf("watched the live view (respond drill status: %d look(s))", w.n))
	}

	// The world.
	for _, e := range d.s.LiveState().Events {
		at, _ := time.Parse(time.RFC3339Nano, e.At)
		add(at, "world", EventWorld, e.Detail)
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return a.At.Compare(b.At) })
	for i := range evs {
		evs[i].Offset = offset(evs[i].At.Sub(d.started))
		if evs[i].Who == "" {
			evs[i].Who = "unknown"
		}
	}
	return evs, calls, refused
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// windowOf is the run of respond a request belongs to: one by its sender
// running then, or, for a request made with an OpenAI project key (respond
// proving a key dead or alive), the one run going on then.
func windowOf(ws []*runWindow, actor string, at time.Time) *runWindow {
	var hits []*runWindow
	for _, w := range ws {
		if at.Before(w.start) || at.After(w.end) {
			continue
		}
		if w.who == actor {
			return w
		}
		if strings.HasPrefix(actor, "key ") {
			hits = append(hits, w)
		}
	}
	if len(hits) == 1 {
		return hits[0]
	}
	return nil
}

// journalEvents adds what the incidents' journals say (who ran what, how
// each step ended) and returns the runs.
func (d *Drill) journalEvents(add func(time.Time, string, string, string)) []*runWindow {
	var windows []*runWindow
	store := incident.NewStore(filepath.Join(d.dir, StateDir))
	ids, _ := store.IDs()
	for _, id := range ids {
		inc, err := store.Open(id)
		if err != nil {
			continue
		}
		recs, err := journal.ReadFile(inc.JournalPath())
		if err != nil {
			continue
		}
		who := ""
		var w *runWindow
		type itemCount struct {
			at        time.Time
			ok, fails int
		}
		items := map[string]*itemCount{}
		var order []string
		flushItems := func() {
			for _, st := range order {
				c := items[st]
				what := fmt.Sprintf("%s: step %s: %d ok", id, st, c.ok)
				if c.fails > 0 {
					what += fmt.Sprintf(", %d failed", c.fails)
				}
				add(c.at, who, EventStep, what)
			}
			items, order = map[string]*itemCount{}, nil
		}
		for _, r := range recs {
			if w != nil && r.Time.After(w.end) {
				w.end = r.Time
			}
			switch r.Type {
			case journal.RunStarted:
				flushItems()
				if m, ok := r.Data["drill"].(map[string]any); ok {
					if t, _ := m["trainee"].(string); t != "" {
						who = t
					}
				}
				if who == "" {
					who, _ = r.Data["user"].(string)
				}
				verb := "ran"
				if b, _ := r.Data["resume"].(bool); b {
					verb = "resumed " + id + " with"
				}
				cmd := commandLine(r.Data["command"])
				add(r.Time, who, EventCommand, verb+" `"+cmd+"`")
				w = &runWindow{who: who, incident: id, command: cmd, start: r.Time, end: r.Time, counts: map[string]int{}}
				windows = append(windows, w)
			case journal.Approved:
				ok, _ := r.Data["approved"].(bool)
				ans := "declined"
				if ok {
					ans = "approved"
				}
				add(r.Time, who, EventCommand, fmt.Sprintf("%s: %s %q", id, ans, oneLine(r.Message)))
			case journal.StepFinished:
				if r.Item != "" {
					c := items[r.Step]
					if c == nil {
						c = &itemCount{}
						items[r.Step] = c
						order = append(order, r.Step)
					}
					c.at = r.Time
					if r.Status == journal.StatusOK {
						c.ok++
					} else if r.Status == journal.StatusFailed {
						c.fails++
					}
					continue
				}
				what := fmt.Sprintf("%s: step %s %s", id, r.Step, r.Status)
				switch {
				case r.Error != "":
					what += ": " + oneLine(r.Error)
				case r.Message != "" && r.Status == journal.StatusOK:
					what += ": " + oneLine(r.Message)
				}
				add(r.Time, who, EventStep, what)
			case journal.RunInterrupted:
				flushItems()
				add(r.Time, who, EventStep, id+": interrupted: "+oneLine(r.Message))
			case journal.OutcomeRecorded:
				flushItems()
				add(r.Time, who, EventStep, id+": outcome "+strings.ToUpper(r.Status))
			}
		}
		flushItems()
	}
	return windows
}

// sameShape: two request paths are the same request to different places
// (the same secret written to several repositories, a run polled): as
// many segments, the same last one.
func sameShape(a, b string) bool {
	a, _, _ = strings.Cut(a, "?")
	b, _, _ = strings.Cut(b, "?")
	sa, sb := strings.Split(a, "/"), strings.Split(b, "/")
	return len(sa) == len(sb) && sa[len(sa)-1] == sb[len(sb)-1]
}

func apiName(api string) string {
	switch api {
	case sim.APIOpenAI:
		return "OpenAI"
	case sim.APIGitHub:
		return "GitHub"
	}
	return api
}

// commandLine shows a journaled command with the program's base name.
func commandLine(v any) string {
	s, _ := v.(string)
	if s == "" {
		return "respond"
	}
	prog, rest, _ := strings.Cut(s, " ")
	prog = filepath.Base(prog)
	if prog != "respond" && strings.HasPrefix(prog, "respond") || strings.HasSuffix(prog, ".test") {
		prog = "respond"
	}
	return strings.TrimSpace(prog + " " + rest)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 240 {
		s = string(r[:239]) + "…"
	}
	return s
}

// offset writes a time since the clock started: +1:05, -0:02.
func offset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%s%d:%02d:%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%d:%02d", sign, m, s)
}
