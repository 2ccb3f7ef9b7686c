package openaisim

import (
	"fmt"
	"net/http"
	"slices"
)

// Project spend controls: a hard spend limit and spend alerts per project,
// read through
//
//	GET /organization/projects/{p}/spend_limit
//	GET /organization/projects/{p}/spend_alerts   (limit, after, order)
//
// respond only reads them (its reports recommend setting them), so the
// simulator serves the reads and seeds them with SetSpendLimit and
// AddSpendAlert.
//
// Choice where the spec is silent: it documents only 200 for GET
// spend_limit, so a project without a limit answers 404 (ErrorResponse,
// "No spend limit is set for project …"), as OpenAI does for other objects
// that do not exist.

// spendLimit is a project's hard spend limit.
type spendLimit struct {
	cents int64
}

// spendAlert is one spend alert of a project.
type spendAlert struct {
	id         string
	cents      int64
	recipients []string
}

// SetSpendLimit sets the hard monthly spend limit of a project, in US
// cents (0 removes it).
func (s *Server) SetSpendLimit(projectID string, cents int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects[projectID] == nil {
		return fmt.Errorf("setting the spend limit of project %s: %w", projectID, ErrNotFound)
	}
	if cents < 0 {
		return fmt.Errorf("setting the spend limit of project %s: the amount must not be negative", projectID)
	}
	if cents == 0 {
		delete(s.spendLimits, projectID)
		return nil
	}
	s.spendLimits[projectID] = &spendLimit{cents: cents}
	return nil
}

// AddSpendAlert adds a monthly spend alert to a project, e-mailing
// recipients when spend reaches cents (US cents). It returns the alert's ID.
func (s *Server) AddSpendAlert(projectID string, cents int64, recipients ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects[projectID] == nil {
		return "", fmt.Errorf("adding a spend alert to project %s: %w", projectID, ErrNotFound)
	}
	if cents <= 0 {
		return "", fmt.Errorf("adding a spend alert to project %s: the threshold must be positive", projectID)
	}
	a := &spendAlert{id: s.randID("alert_", 24), cents: cents, recipients: slices.Clone(recipients)}
	if a.recipients == nil {
		a.recipients = []string{}
	}
	s.spendAlerts[projectID] = append(s.spendAlerts[projectID], a)
	return a.id, nil
}

type spendLimitJSON struct {
	Object          string `json:"object"`
	ThresholdAmount int64  `json:"threshold_amount"`
	Currency        string `json:"currency"`
	Interval        string `json:"interval"`
	Enforcement     struct {
		Status string `json:"status"`
	} `json:"enforcement"`
}

type spendAlertJSON struct {
	ID                  string `json:"id"`
	Object              string `json:"object"`
	ThresholdAmount     int64  `json:"threshold_amount"`
	Currency            string `json:"currency"`
	Interval            string `json:"interval"`
	NotificationChannel struct {
		Type          string   `json:"type"`
		Recipients    []string `json:"recipients"`
		SubjectPrefix *string  `json:"subject_prefix"`
	} `json:"notification_channel"`
}

func (s *Server) getSpendLimit(r *request) (int, any, *apiError) {
	p, e := s.project(r, 2)
	if e != nil {
		return 0, nil, e
	}
	l := s.spendLimits[p.id]
	if l == nil {
		return 0, nil, notFound("No spend limit is set for project '%s'.", p.id)
	}
	out := spendLimitJSON{Object: "project.spend_limit", ThresholdAmount: l.cents, Currency: "USD", Interval: "month"}
	out.Enforcement.Status = "enforcing"
	return http.StatusOK, out, nil
}

func (s *Server) listSpendAlerts(r *request) (int, any, *apiError) {
	p, e := s.project(r, 2)
	if e != nil {
		return 0, nil, e
	}
	limit, e := parseLimit(r, 20, 100)
	if e != nil {
		return 0, nil, e
	}
	all := slices.Clone(s.spendAlerts[p.id]) // in creation order
	switch o := r.query.Get("order"); o {
	case "", "asc":
	case "desc":
		slices.Reverse(all)
	default:
		return 0, nil, invalidRequest("order", "Invalid value for 'order': expected one of asc, desc; got %q.", o)
	}
	page, more, e := paginate(all, func(a *spendAlert) string { return a.id }, func(*spendAlert) bool { return true }, r.query.Get("after"), limit)
	if e != nil {
		return 0, nil, e
	}
	out := make([]spendAlertJSON, len(page))
	for i, a := range page {
		j := spendAlertJSON{ID: a.id, Object: "project.spend_alert", ThresholdAmount: a.cents, Currency: "USD", Interval: "month"}
		j.NotificationChannel.Type = "email"
		j.NotificationChannel.Recipients = a.recipients
		out[i] = j
	}
	return http.StatusOK, list(out, more, func(a spendAlertJSON) string { return a.ID }), nil
}
