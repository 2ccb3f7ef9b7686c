package githubsim

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxResolutionComment is the longest resolution_comment accepted. GitHub
// documents that an invalid comment is a 400 but not the limit; the
// simulator uses 280 characters, GitHub's limit on dismissal comments.
const maxResolutionComment = 280

// validResolutions are the resolutions a PATCH may set. The list filter also
// accepts pattern_edited and pattern_deleted.
var validResolutions = []string{"false_positive", "wont_fix", "revoked", "used_in_tests"}

// secretTypeNames are display names of secret types the simulator knows.
var secretTypeNames = map[string][3]string{ // display name, provider, provider slug
	"openai_api_key":          {"OpenAI API Key", "OpenAI", "openai"},
	"anthropic_api_key":       {"Anthropic API Key", "Anthropic", "anthropic"},
	"anthropic_admin_api_key": {"Anthropic Admin API Key", "Anthropic", "anthropic"},
	SecretTypePAT:             {"GitHub Personal Access Token", "GitHub", "github"},
	SecretTypeOAuth:           {"GitHub OAuth Access Token", "GitHub", "github"},
}

// alertJSON renders an alert of rp as secret-scanning-alert-with-metadata
// (or, with withRepo, organization-secret-scanning-alert).
func (c *call) alertJSON(rp *repo, a *alert, hideSecret, withRepo bool) map[string]any {
	api := c.base + "/repos/" + rp.fullName() + "/secret-scanning/alerts/" + strconv.Itoa(a.number)
	m := map[string]any{
		"number":                      a.number,
		"created_at":                  ts(a.created),
		"updated_at":                  ts(a.updated),
		"url":                         api,
		"html_url":                    c.web + "/" + rp.fullName() + "/security/secret-scanning/" + strconv.Itoa(a.number),
		"locations_url":               api + "/locations",
		"state":                       a.state,
		"resolution":                  nil,
		"resolved_at":                 nil,
		"resolved_by":                 nil,
		"resolution_comment":          a.comment,
		"secret_type":                 a.secretType,
		"secret_type_display_name":    a.secretType,
		"provider":                    nil,
		"provider_slug":               nil,
		"push_protection_bypassed":    false,
		"push_protection_bypassed_by": nil,
		"push_protection_bypassed_at": nil,
		"validity":                    a.effectiveValidity(),
		"publicly_leaked":             a.publiclyLeaked,
		"multi_repo":                  false,
		"is_base64_encoded":           false,
		"has_more_locations":          len(a.locations) > 1,
		"first_location_detected":     nil,
		"assigned_to":                 nil,
	}
	if n, ok := secretTypeNames[a.secretType]; ok {
		m["secret_type_display_name"], m["provider"], m["provider_slug"] = n[0], n[1], n[2]
	}
	if !hideSecret {
		m["secret"] = a.secret
	}
	if a.resolution != "" {
		m["resolution"] = a.resolution
	}
	if !a.resolvedAt.IsZero() {
		m["resolved_at"] = ts(a.resolvedAt)
	}
	if a.resolvedBy != nil {
		m["resolved_by"] = c.userJSON(a.resolvedBy)
	}
	if a.assignee != nil {
		m["assigned_to"] = c.userJSON(a.assignee)
	}
	if len(a.locations) > 0 {
		m["first_location_detected"] = c.locationDetails(rp, a.locations[0])
	}
	if withRepo {
		m["repository"] = c.repoJSON(rp)
	}
	return m
}

func (c *call) locationDetails(rp *repo, l Location) map[string]any {
	api := c.base + "/repos/" + rp.fullName()
	return map[string]any{
		"path":         l.Path,
		"start_line":   l.StartLine,
		"end_line":     l.EndLine,
		"start_column": l.StartColumn,
		"end_column":   l.EndColumn,
		"blob_sha":     l.BlobSHA,
		"blob_url":     api + "/git/blobs/" + l.BlobSHA,
		"commit_sha":   l.CommitSHA,
		"commit_url":   api + "/git/commits/" + l.CommitSHA,
		"html_url":     c.web + "/" + rp.fullName() + "/blob/" + l.CommitSHA + "/" + l.Path + "#L" + strconv.Itoa(l.StartLine),
	}
}

// scanningAccess answers 403 without the SecretScanning permission.
func (c *call) scanningAccess(w http.ResponseWriter) bool {
	if !c.perms.SecretScanning {
		c.forbidden(w)
		return false
	}
	return true
}

type repoAlert struct {
	repo  *repo
	alert *alert
}

// filterAlerts applies the state, secret_type, resolution and validity
// filters and the sort/direction of a list request. It returns false after
// answering 422 for an invalid filter value.
func filterAlerts(w http.ResponseWriter, r *http.Request, c *call, in []repoAlert) ([]repoAlert, bool) {
	q := r.URL.Query()
	state := q.Get("state")
	if state != "" && state != "open" && state != "resolved" {
		c.unprocessable(w, "Invalid request.\n\n%q is not a valid state. Use open or resolved.", state)
		return nil, false
	}
	if !checkAlertListQuery(w, c, q) {
		return nil, false
	}
	types := splitList(q.Get("secret_type"))
	resolutions := splitList(q.Get("resolution"))
	validities := splitList(q.Get("validity"))
	for _, v := range validities {
		if v != ValidityActive && v != ValidityInactive && v != ValidityUnknown {
			c.unprocessable(w, "Invalid request.\n\n%q is not a valid validity. Use active, inactive or unknown.", v)
			return nil, false
		}
	}
	out := make([]repoAlert, 0, len(in))
	for _, ra := range in {
		a := ra.alert
		if state != "" && a.state != state ||
			len(types) > 0 && !slices.Contains(types, a.secretType) ||
			len(resolutions) > 0 && !slices.Contains(resolutions, a.resolution) ||
			len(validities) > 0 && !slices.Contains(validities, a.effectiveValidity()) {
			continue
		}
		out = append(out, ra)
	}
	sortBy := q.Get("sort")
	desc := q.Get("direction") != "asc"
	slices.SortStableFunc(out, func(x, y repoAlert) int {
		var d int
		if sortBy == "updated" {
			d = x.alert.updated.Compare(y.alert.updated)
		} else {
			d = x.alert.created.Compare(y.alert.created)
		}
		d = cmp.Or(d, cmp.Compare(x.repo.fullName(), y.repo.fullName()), cmp.Compare(x.alert.number, y.alert.number))
		if desc {
			return -d
		}
		return d
	})
	return out, true
}

// checkAlertListQuery refuses (422, as GitHub refuses an invalid enum
// value of a list's query) a validity that is not a comma-separated list of
// active, inactive and unknown, a sort that is not created or updated, and
// a direction that is not asc or desc. The wording is the simulator's,
// in the style of the state filter's.
func checkAlertListQuery(w http.ResponseWriter, c *call, q url.Values) bool {
	for _, v := range splitList(q.Get("validity")) {
		if v != "active" && v != "inactive" && v != "unknown" {
			c.unprocessable(w, "Invalid request.\n\n%q is not a valid validity. Use active, inactive or unknown, separated by commas.", v)
			return false
		}
	}
	if v := q.Get("sort"); v != "" && v != "created" && v != "updated" {
		c.unprocessable(w, "Invalid request.\n\n%q is not a valid sort. Use created or updated.", v)
		return false
	}
	if v := q.Get("direction"); v != "" && v != "asc" && v != "desc" {
		c.unprocessable(w, "Invalid request.\n\n%q is not a valid direction. Use asc or desc.", v)
		return false
	}
	return true
}

func splitList(v string) []string {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) writeAlertList(w http.ResponseWriter, r *http.Request, c *call, in []repoAlert, withRepo bool) {
	list, ok := filterAlerts(w, r, c, in)
	if !ok {
		return
	}
	hide := r.URL.Query().Get("hide_secret") == "true"
	start, end := c.paginate(w, r, len(list))
	out := make([]map[string]any, 0, end-start)
	for _, ra := range list[start:end] {
		out = append(out, c.alertJSON(ra.repo, ra.alert, hide, withRepo))
	}
	s.writeConditional(w, r, c, out)
}

func (s *Server) listRepoAlerts(w http.ResponseWriter, r *http.Request, c *call) {
	s.RefreshValidity()
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	if !c.scanningAccess(w) {
		return
	}
	in := make([]repoAlert, 0, len(rp.alerts))
	for _, a := range rp.alerts {
		in = append(in, repoAlert{rp, a})
	}
	s.writeAlertList(w, r, c, in, false)
}

func (s *Server) listOrgAlerts(w http.ResponseWriter, r *http.Request, c *call) {
	s.RefreshValidity()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrg(r)
	if o == nil {
		c.notFound(w)
		return
	}
	if !c.scanningAccess(w) {
		return
	}
	var in []repoAlert
	for _, rp := range sortedValues(s.w.repos) {
		if rp.owner == o.acct {
			for _, a := range rp.alerts {
				in = append(in, repoAlert{rp, a})
			}
		}
	}
	s.writeAlertList(w, r, c, in, true)
}

// lookupAlert resolves {owner}/{repo} and {number}, answering 404 (or 403
// without permission). Callers hold s.mu.
func (s *Server) lookupAlert(w http.ResponseWriter, r *http.Request, c *call) (*repo, *alert) {
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return nil, nil
	}
	if !c.scanningAccess(w) {
		return nil, nil
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 || n > len(rp.alerts) {
		c.notFound(w)
		return nil, nil
	}
	return rp, rp.alerts[n-1]
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, c *call) {
	s.RefreshValidity()
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, a := s.lookupAlert(w, r, c)
	if a == nil {
		return
	}
	s.writeConditional(w, r, c, c.alertJSON(rp, a, r.URL.Query().Get("hide_secret") == "true", false))
}

func (s *Server) listAlertLocations(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, a := s.lookupAlert(w, r, c)
	if a == nil {
		return
	}
	start, end := c.paginate(w, r, len(a.locations))
	out := make([]map[string]any, 0, end-start)
	for _, l := range a.locations[start:end] {
		out = append(out, map[string]any{"type": "commit", "details": c.locationDetails(rp, l)})
	}
	writeJSON(w, http.StatusOK, out)
}

// updateAlert applies a PATCH with GitHub's rules (API-NOTES §4):
//
//   - the body must set at least one of state, assignee, validity (422);
//   - state "resolved" needs a valid resolution, and a resolution or a
//     resolution_comment with state "open" is a mismatch (422);
//   - a resolution_comment longer than 280 characters or not a string is
//     invalid (400), and so is a state/resolution that does not change the
//     alert (re-resolving with the same resolution, reopening an open
//     alert) (400);
//   - resolving stamps resolved_at (Options.Now) and resolved_by (the
//     token's user) and stores the comment; reopening clears all four;
//   - validity active or inactive overrides the validity check
//     (validity.go) until a PATCH sets it to null;
//   - resolving, reopening and a change of validity fire the
//     secret_scanning_alert events resolved, reopened and validated, with
//     the token's user as sender.
func (s *Server) updateAlert(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, a := s.lookupAlert(w, r, c)
	if a == nil {
		return
	}
	var body map[string]json.RawMessage
	if !c.decodeBody(w, r, &body) {
		return
	}
	_, hasState := body["state"]
	_, hasAssignee := body["assignee"]
	_, hasValidity := body["validity"]
	if !hasState && !hasAssignee && !hasValidity {
		c.unprocessable(w, "Invalid request.\n\nAt least one of state, assignee or validity must be supplied.")
		return
	}

	var comment *string
	if raw, ok := body["resolution_comment"]; ok && string(raw) != "null" {
		var v string
		if json.Unmarshal(raw, &v) != nil {
			c.badRequest(w, "The resolution comment is invalid: it must be a string.")
			return
		}
		if utf8.RuneCountInString(v) > maxResolutionComment {
			c.badRequest(w, "The resolution comment is invalid: it must be at most %d characters.", maxResolutionComment)
			return
		}
		comment = &v
	}

	newState := a.state
	newResolution := a.resolution
	if hasState {
		var st string
		if json.Unmarshal(body["state"], &st) != nil || st != "open" && st != "resolved" {
			c.unprocessable(w, "Invalid request.\n\nstate must be open or resolved.")
			return
		}
		var res *string
		if raw, ok := body["resolution"]; ok && string(raw) != "null" {
			var v string
			if json.Unmarshal(raw, &v) != nil || !slices.Contains(validResolutions, v) {
				c.unprocessable(w, "Invalid request.\n\nresolution must be one of false_positive, wont_fix, revoked, used_in_tests.")
				return
			}
			res = &v
		}
		switch st {
		case "resolved":
			if res == nil {
				c.unprocessable(w, "State does not match the resolution: a resolution is required when state is resolved.")
				return
			}
			if a.state == "resolved" && a.resolution == *res {
				c.badRequest(w, "The resolution was not changed: the alert is already resolved as %s.", *res)
				return
			}
			newState, newResolution = st, *res
		case "open":
			if res != nil || comment != nil {
				c.unprocessable(w, "State does not match the resolution or resolution comment: an open alert has neither.")
				return
			}
			if a.state == "open" {
				c.badRequest(w, "The resolution was not changed: the alert is already open.")
				return
			}
			newState, newResolution = st, ""
		}
	} else if comment != nil {
		c.unprocessable(w, "State does not match the resolution or resolution comment: a resolution comment needs state resolved.")
		return
	}

	var assignee *account
	if hasAssignee && string(body["assignee"]) != "null" {
		var login string
		if json.Unmarshal(body["assignee"], &login) != nil {
			c.unprocessable(w, "Invalid request.\n\nassignee must be a login or null.")
			return
		}
		assignee = s.w.accounts[strings.ToLower(login)]
		if assignee == nil || assignee.org {
			c.unprocessable(w, "The assignee %s does not have write access to the repository.", login)
			return
		}
	}
	var validity string // the override; "" (null) clears it
	if hasValidity {
		if raw := body["validity"]; string(raw) != "null" {
			if json.Unmarshal(raw, &validity) != nil || validity != "active" && validity != "inactive" {
				c.unprocessable(w, "Invalid request.\n\nvalidity must be active, inactive or null.")
				return
			}
		}
	}

	now := s.now()
	wasState, wasValidity := a.state, a.effectiveValidity()
	if hasState {
		if newState == "resolved" {
			a.resolvedAt, a.resolvedBy, a.comment = now, c.user, comment
		} else {
			a.resolvedAt, a.resolvedBy, a.comment = time.Time{}, nil, nil
		}
		a.state, a.resolution = newState, newResolution
	}
	if hasAssignee {
		a.assignee = assignee
	}
	if hasValidity {
		a.override = validity
	}
	a.updated = now
	switch {
	case wasState != "resolved" && a.state == "resolved":
		s.emitAlert(rp, a, "resolved", c.user)
	case wasState == "resolved" && a.state == "open":
		s.emitAlert(rp, a, "reopened", c.user)
	}
	if a.effectiveValidity() != wasValidity {
		s.emitAlert(rp, a, "validated", c.user)
	}
	writeJSON(w, http.StatusOK, c.alertJSON(rp, a, false, false))
}
