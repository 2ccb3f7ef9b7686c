package incident

import (
	"time"

	"github.com/respondhq/respond/internal/journal"
)

// Summary is an incident at a glance, derived from its journal.
type Summary struct {
	ID       string `json:"id"`
	Playbook string `json:"playbook"`
	Status   string `json:"status"` // running|interrupted|completed|failed|partial|declined|refused|abandoned|planned
	// Outcome is the last run's verdict against the invariant (recovered,
	// "contained, not recovered", "not contained", declined), when it had
	// one.
	Outcome string `json:"outcome,omitempty"`
	// Key is the key the incident is about (its ID), and Credential the
	// inventory credential that held it, once a step found them.
	Key        string `json:"key,omitempty"`
	Credential string `json:"credential,omitempty"`
	// Closed is why a responder closed the incident as abandoned.
	Closed   string     `json:"closed_reason,omitempty"`
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
				s.keyAndCredential(r)
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
			if r.Status == "cancelled" {
				s.Status = "declined" // journals from before "declined"
			}
			if r.Status == "abandoned" {
				s.Closed = r.Message
			}
			t := r.Time
			s.Finished = &t
		}
	}
	return s
}

// keyAndCredential takes the key's ID from the evidence of the step that
// identified it, and the credential from the step that found it in the
// inventory (with the ID the credential names when the provider no longer
// knew the key).
func (s *Summary) keyAndCredential(r journal.Record) {
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	ev := r.Evidence
	switch t := str(ev, "evidence"); {
	case t == "key.identified" || t == "" && (ev["already_gone"] != nil || ev["exposed_since"] != nil):
		if id := str(ev, "key_id"); id != "" && s.Key == "" {
			s.Key = id
		}
	case t == "inventory.targets" || t == "" && ev["matched"] != nil:
		if c := str(ev, "credential"); c != "" {
			s.Credential = c
		}
		if s.Key == "" && ev["matched"] == true {
			s.Key = str(r.Outputs, "key_id")
			if s.Key == "" {
				s.Key = str(r.Outputs, "credential_key_id")
			}
		}
	}
}
