package drill

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/sim"
)

// Briefing is what a team starts from: what is known, the goal, who does
// what, the rules, the time limit, when to halt and where things are.
// The facilitator's start window and every trainee's `respond drill join`
// print the same one; it holds no credential and no twist.
type Briefing struct {
	Drill    string `json:"drill"`
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	// Known is what the trainees know when the clock starts (the
	// scenario's briefing, filled in from the world).
	Known string   `json:"known"`
	Goal  string   `json:"goal,omitempty"`
	Roles []string `json:"roles"`
	Rules []string `json:"rules"`
	// Started is when the clock started; EndsAt when the time limit ends
	// the drill.
	Started   time.Time `json:"started"`
	TimeLimit string    `json:"time_limit"`
	EndsAt    time.Time `json:"ends_at"`
	// Halt are the conditions that stop the drill before its end.
	Halt []string `json:"halt"`
	// Where says where to find things.
	Where []string `json:"where"`
}

// Briefing returns the drill's briefing.
func (d *Drill) Briefing() Briefing {
	sc, info := d.sc, d.info
	tm := teammateOf(sc)
	limit := sc.TimeLimit
	if limit <= 0 {
		limit = DefaultTimeLimit
	}
	b := Briefing{Drill: d.id, Scenario: sc.Name, Title: sc.Title,
		Known: strings.TrimSpace(Expand(sc.Briefing, info, tm)), Goal: strings.TrimSpace(Expand(sc.Goal, info, tm)),
		Started: d.started, TimeLimit: FormatLimit(limit), EndsAt: d.started.Add(limit)}
	b.Roles = []string{
		fmt.Sprintf("Facilitator (%s): runs the drill and its clock, holds the simulator's control API, fires injects and ends the drill. Answers questions about the world as the rest of the company would; does not help with the response.", d.facilitator),
		"Incident commander: one trainee, chosen now. Decides what is done and in what order, keeps the team on one response per key, and says when the goal is met.",
		"Responders: everyone else. Investigate and run what the incident commander agrees to, each from their own terminal, and say what they see.",
	}
	b.Rules = []string{
		"Respond from your own terminal with the ordinary commands: respond (leaked-key, rotate, resume, incidents, inventory, report), gh and curl. Nothing is pre-filled: find the alert, identify the key, decide.",
		"The clock is running: an attacker spends with the leaked key every second it lives, and every service that holds a dead key is down until it gets a working one.",
		"The simulator's control API (/_sim/, /_drill/) is the facilitator's: your credentials reach what the OpenAI and GitHub APIs serve, nothing more. Every attempt on the control API is logged and shown in the debrief.",
		"Nothing is real: the keys, repositories and services are simulated, and the drill keeps its incidents in its own directory.",
		"Scored by outcomes when the drill ends: time to contain, attacker spend, downtime, targets left stale, orphaned keys, the alert, the report.",
	}
	b.Halt = []string{
		fmt.Sprintf("The time limit: the drill ends by itself at %s UTC (%s after the start).", b.EndsAt.UTC().Format("15:04:05"), b.TimeLimit),
		"The goal is met: the incident commander says so, and the facilitator ends the drill.",
		"Anyone is about to touch a real system or a real credential (a real token in a shell, a real repository): stop and say so; the facilitator halts the drill.",
		"A real incident pages one of you: go. The simulator stops answering: tell the facilitator, who halts the drill.",
	}
	org := info.Org
	b.Where = []string{
		fmt.Sprintf("Your working directory: %s (cd there); the team's inventory is %s in it.", filepath.Join(d.dir, WorkDir), InventoryFile),
		fmt.Sprintf("Alerts: GitHub's secret-scanning API, e.g. curl -s \"$GITHUB_API_URL/orgs/%s/secret-scanning/alerts\" -H \"Authorization: Bearer $GITHUB_TOKEN\", or gh api /orgs/%s/secret-scanning/alerts (the # gh: line).", org, org),
		"Your incidents and their reports: respond incidents, respond report ID. The world as it is: respond drill status.",
	}
	return b
}

// FormatLimit writes a time limit as people say it: 30m, 1h30m, 1m40s.
func FormatLimit(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// TeamInventory is the inventory the trainees get (work/respond.yaml):
// what a team that keeps its inventory by hand would have. It names the
// credential and its key by name, lists the places the scenario says the
// team knows, and says nothing about the leak: no key ID, no twist, no
// claim that it is complete.
func TeamInventory(info sim.ScenarioInfo) []byte {
	header := fmt.Sprintf("# %s's OpenAI keys and where each is deployed: the team's inventory, kept by hand.\n"+
		"# respond reads it to find where a key lives, and records the keys it makes here.\n", info.Org)
	return info.InventoryYAML(sim.InventoryOptions{Header: header, ByName: true})
}
