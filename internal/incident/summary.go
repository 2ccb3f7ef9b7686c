package incident

import (
	"time"

	"github.com/respondhq/respond/internal/journal"
)

// Summary is an incident at a glance, derived from its journal.
type Summary struct {
	ID       string `json:"id"`
	Playbook string `json:"playbook"`
	Status   string `json:"status"` // running|interrupted|completed|failed|partial|cancelled|refused|planned
	// Outcome is the last run's verdict against the invariant (recovered,
	// "contained, not recovered", "not contained"), when it had one.
	Outcome  string     `json:"outcome,omitempty"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	// TimeToContain is from the start to the verification that the leaked
	// key is dead (a later step whose evidence says expect and state
	// "dead"), or, without one, to the first step whose evidence says the
	// leak is contained; nil if none did. The report computes it the same
	// way.
	TimeToContain *time.Duration `json:"time_to_contain_ns,omitempty"`
	Steps         int            `json:"steps_done"`
	Failed        int            `json:"steps_failed"`
}

// Summarize derives a Summary from journal records.
func Summarize(id string, recs []journal.Record) Summary {
	s := Summary{ID: id, Status: "running"}
	verified := false
	for _, r := range recs {
		switch r.Type {
		case journal.IncidentStarted:
			s.Started = r.Time
			if p, ok := r.Data["playbook"].(string); ok {
				s.Playbook = p
			}
		case journal.RunStarted:
			s.Status = "running"
			s.Outcome = ""
		case journal.OutcomeRecorded:
			s.Outcome = r.Status
		case journal.RunInterrupted:
			s.Status = "interrupted"
		case journal.StepFinished:
			switch r.Status {
			case journal.StatusOK:
				s.Steps++
				if c, _ := r.Evidence["contained"].(bool); c && s.TimeToContain == nil && !s.Started.IsZero() {
					d := r.Time.Sub(s.Started)
					s.TimeToContain = &d
				} else if s.TimeToContain != nil && !verified && r.Evidence["expect"] == "dead" && r.Evidence["state"] == "dead" {
					d := r.Time.Sub(s.Started)
					s.TimeToContain, verified = &d, true
				}
			case journal.StatusFailed:
				s.Failed++
			}
		case journal.IncidentFinished:
			s.Status = r.Status
			t := r.Time
			s.Finished = &t
		}
	}
	return s
}
