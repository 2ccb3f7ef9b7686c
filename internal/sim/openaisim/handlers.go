package openaisim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// models are what GET /v1/models lists to a live project key.
var models = []struct {
	id      string
	created int64
	owner   string
}{
	{"gpt-4.1", 1744316542, "system"},
	{"gpt-4.1-mini", 1744318173, "system"},
	{"gpt-4o", 1715367049, "system"},
	{"gpt-4o-mini", 1721172741, "system"},
	{"o3-mini", 1737146383, "system"},
	{"text-embedding-3-small", 1705948997, "system"},
}

func (s *Server) listModels(r *request) (int, any, *apiError) {
	data := make([]map[string]any, 0, len(models))
	for _, m := range models {
		data = append(data, map[string]any{"id": m.id, "object": "model", "created": m.created, "owned_by": m.owner})
	}
	return http.StatusOK, map[string]any{"object": "list", "data": data}, nil
}

// ---- projects ----

func (s *Server) sortedProjects() []*project {
	all := make([]*project, 0, len(s.projects))
	for _, p := range s.projects {
		all = append(all, p)
	}
	byCreated(all, func(p *project) time.Time { return p.created }, func(p *project) string { return p.id })
	return all
}

func (s *Server) listProjects(r *request) (int, any, *apiError) {
	limit, e := parseLimit(r, 20, 100)
	if e != nil {
		return 0, nil, e
	}
	archived := false
	if v := r.query.Get("include_archived"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return 0, nil, invalidRequest("include_archived", "Invalid value for 'include_archived': expected a boolean, got %q.", v)
		}
		archived = b
	}
	page, more, e := paginate(s.sortedProjects(), func(p *project) string { return p.id },
		func(p *project) bool { return archived || p.archived == nil }, r.query.Get("after"), limit)
	if e != nil {
		return 0, nil, e
	}
	out := make([]projectJSON, len(page))
	for i, p := range page {
		out[i] = s.renderProject(p)
	}
	return http.StatusOK, list(out, more, func(p projectJSON) string { return p.ID }), nil
}

// project finds the project named by the path segment at i.
func (s *Server) project(r *request, i int) (*project, *apiError) {
	p := s.projects[r.seg[i]]
	if p == nil {
		return nil, notFound("No project found with ID '%s'.", r.seg[i])
	}
	return p, nil
}

func (s *Server) getProject(r *request) (int, any, *apiError) {
	p, e := s.project(r, 2)
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, s.renderProject(p), nil
}

// ---- project API keys ----

func (s *Server) sortedKeys(keep func(*apiKey) bool) []*apiKey {
	var all []*apiKey
	for _, k := range s.keys {
		if keep(k) {
			all = append(all, k)
		}
	}
	byCreated(all, func(k *apiKey) time.Time { return k.created }, func(k *apiKey) string { return k.id })
	return all
}

func (s *Server) listProjectKeys(r *request) (int, any, *apiError) {
	p, e := s.project(r, 2)
	if e != nil {
		return 0, nil, e
	}
	limit, e := parseLimit(r, 20, 100)
	if e != nil {
		return 0, nil, e
	}
	// Without owner_project_access the real endpoint applies
	// "membership-based visibility rules"; the simulator models them as
	// "active owners only", so keys of owners without access need "any".
	access := r.query.Get("owner_project_access")
	switch access {
	case "":
		access = "active"
	case "active", "inactive", "any":
	default:
		return 0, nil, invalidRequest("owner_project_access", "Invalid value for 'owner_project_access': expected one of active, inactive, any; got %q.", access)
	}
	all := s.sortedKeys(func(k *apiKey) bool { return k.projectID == p.id && k.kind != KindAdmin })
	page, more, e := paginate(all, func(k *apiKey) string { return k.id }, func(k *apiKey) bool {
		return k.revoked == nil && (access == "any" || access == k.ownerAccess)
	}, r.query.Get("after"), limit)
	if e != nil {
		return 0, nil, e
	}
	out := make([]projectKeyJSON, len(page))
	for i, k := range page {
		out[i] = s.renderProjectKey(k)
	}
	return http.StatusOK, list(out, more, func(k projectKeyJSON) string { return k.ID }), nil
}

// projectKey finds a listed key of the project in the path: deleted and
// provider-revoked keys are gone (404).
func (s *Server) projectKey(r *request) (*apiKey, *apiError) {
	p, e := s.project(r, 2)
	if e != nil {
		return nil, e
	}
	k := s.keys[r.seg[4]]
	if k == nil || k.kind == KindAdmin || k.projectID != p.id || k.revoked != nil {
		return nil, notFound("No API key found with ID '%s' in project '%s'.", r.seg[4], p.id)
	}
	return k, nil
}

func (s *Server) getProjectKey(r *request) (int, any, *apiError) {
	k, e := s.projectKey(r)
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, s.renderProjectKey(k), nil
}

func (s *Server) deleteProjectKey(r *request) (int, any, *apiError) {
	k, e := s.projectKey(r)
	if e != nil {
		return 0, nil, e
	}
	if k.kind == KindServiceAccount {
		// The spec: 400 "if the key belonged to a service account".
		return 0, nil, invalidRequest("", "API key '%s' belongs to service account '%s' and cannot be deleted here. Delete the service account to revoke its keys.", k.id, k.ownerID)
	}
	s.revoke(k, r.now, RevokedDeleted)
	s.recordAudit(r.now, "api_key.deleted", k.projectID, s.actorFor(r.caller), k.id, map[string]any{"id": k.id})
	return http.StatusOK, deletedJSON{Object: "organization.project.api_key.deleted", ID: k.id, Deleted: true}, nil
}

func (s *Server) revoke(k *apiKey, at time.Time, reason string) {
	if k.revoked != nil {
		return
	}
	t := at
	k.revoked, k.revokedReason = &t, reason
}

// ---- service accounts ----

func (s *Server) listServiceAccounts(r *request) (int, any, *apiError) {
	p, e := s.project(r, 2)
	if e != nil {
		return 0, nil, e
	}
	if p.archived != nil {
		return 0, nil, invalidRequest("project_id", "Project '%s' is archived.", p.id)
	}
	limit, e := parseLimit(r, 20, 100)
	if e != nil {
		return 0, nil, e
	}
	var all []*serviceAccount
	for _, a := range s.accounts {
		if a.projectID == p.id {
			all = append(all, a)
		}
	}
	byCreated(all, func(a *serviceAccount) time.Time { return a.created }, func(a *serviceAccount) string { return a.id })
	page, more, e := paginate(all, func(a *serviceAccount) string { return a.id },
		func(a *serviceAccount) bool { return a.deleted == nil }, r.query.Get("after"), limit)
	if e != nil {
		return 0, nil, e
	}
	out := make([]serviceAccountJSON, len(page))
	for i, a := range page {
		out[i] = s.renderServiceAccount(a)
	}
	return http.StatusOK, list(out, more, func(a serviceAccountJSON) string { return a.ID }), nil
}

// expiry reads expires_in_seconds (1 s to 1 year, API-NOTES §3).
func expiry(fields map[string]json.RawMessage, now time.Time) (*time.Time, *apiError) {
	var secs int64
	set, e := field(fields, "expires_in_seconds", &secs, "an integer")
	if e != nil || !set {
		return nil, e
	}
	if secs < 1 || secs > 31536000 {
		return nil, invalidRequest("expires_in_seconds", "Invalid 'expires_in_seconds': expected a value between 1 and 31536000, got %d.", secs)
	}
	t := now.Add(time.Duration(secs) * time.Second)
	return &t, nil
}

func (s *Server) createServiceAccount(r *request) (int, any, *apiError) {
	p, e := s.project(r, 2)
	if e != nil {
		return 0, nil, e
	}
	if p.archived != nil {
		return 0, nil, invalidRequest("project_id", "Project '%s' is archived; service accounts cannot be created in it.", p.id)
	}
	fields, e := decodeBody(r, true, "name", "create_service_account_only", "expires_in_seconds")
	if e != nil {
		return 0, nil, e
	}
	var name string
	if set, e := field(fields, "name", &name, "a string"); e != nil {
		return 0, nil, e
	} else if !set || name == "" {
		return 0, nil, invalidRequest("name", "Missing required parameter: 'name'.")
	}
	var only bool
	if _, e := field(fields, "create_service_account_only", &only, "a boolean"); e != nil {
		return 0, nil, e
	}
	exp, e := expiry(fields, r.now)
	if e != nil {
		return 0, nil, e
	}
	if only && exp != nil {
		return 0, nil, invalidRequest("expires_in_seconds", "'expires_in_seconds' cannot be used when 'create_service_account_only' is true.")
	}
	a, k, err := s.addServiceAccount(p, name, r.now, !only, s.actorFor(r.caller))
	if err != nil {
		return 0, nil, internalError(err)
	}
	out := serviceAccountCreateJSON{serviceAccountJSON: s.renderServiceAccount(a)}
	if k != nil {
		k.expires = exp
		out.APIKey = &serviceAccountKeyJSON{Object: "organization.project.service_account.api_key", Value: k.value, Name: k.name, CreatedAt: k.created.Unix(), ID: k.id}
	}
	return http.StatusOK, out, nil
}

// serviceAccount finds a live service account of the project in the path.
func (s *Server) serviceAccount(r *request) (*project, *serviceAccount, *apiError) {
	p, e := s.project(r, 2)
	if e != nil {
		return nil, nil, e
	}
	a := s.accounts[r.seg[4]]
	if a == nil || a.projectID != p.id || a.deleted != nil {
		return nil, nil, notFound("No service account found with ID '%s' in project '%s'.", r.seg[4], p.id)
	}
	return p, a, nil
}

func (s *Server) getServiceAccount(r *request) (int, any, *apiError) {
	_, a, e := s.serviceAccount(r)
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, s.renderServiceAccount(a), nil
}

func (s *Server) updateServiceAccount(r *request) (int, any, *apiError) {
	_, a, e := s.serviceAccount(r)
	if e != nil {
		return 0, nil, e
	}
	fields, e := decodeBody(r, true, "name", "role")
	if e != nil {
		return 0, nil, e
	}
	var name, role string
	if _, e := field(fields, "name", &name, "a string"); e != nil {
		return 0, nil, e
	}
	if _, e := field(fields, "role", &role, "a string"); e != nil {
		return 0, nil, e
	}
	if role != "" && role != "member" && role != "owner" {
		return 0, nil, invalidRequest("role", "Invalid value for 'role': expected one of member, owner; got %q.", role)
	}
	changes := map[string]any{}
	if name != "" {
		a.name, changes["name"] = name, name
	}
	if role != "" {
		a.role, changes["role"] = role, role
	}
	s.recordAudit(r.now, "service_account.updated", a.projectID, s.actorFor(r.caller), a.id, map[string]any{"id": a.id, "changes_requested": changes})
	return http.StatusOK, s.renderServiceAccount(a), nil
}

func (s *Server) deleteServiceAccount(r *request) (int, any, *apiError) {
	_, a, e := s.serviceAccount(r)
	if e != nil {
		return 0, nil, e
	}
	s.deleteAccount(a, r.now, s.actorFor(r.caller))
	return http.StatusOK, deletedJSON{Object: "organization.project.service_account.deleted", ID: a.id, Deleted: true}, nil
}

// deleteAccount deletes a service account and revokes its keys, recording
// api_key.deleted for each live key and then service_account.deleted.
func (s *Server) deleteAccount(a *serviceAccount, at time.Time, actor *auditActor) {
	t := at
	a.deleted = &t
	for _, k := range s.sortedKeys(func(k *apiKey) bool { return k.ownerID == a.id && k.revoked == nil }) {
		s.revoke(k, at, RevokedServiceAccountDeleted)
		s.recordAudit(at, "api_key.deleted", a.projectID, actor, k.id, map[string]any{"id": k.id})
	}
	s.recordAudit(at, "service_account.deleted", a.projectID, actor, a.id, map[string]any{"id": a.id})
}

func (s *Server) createServiceAccountKey(r *request) (int, any, *apiError) {
	p, a, e := s.serviceAccount(r)
	if e != nil {
		return 0, nil, e
	}
	if p.archived != nil {
		return 0, nil, invalidRequest("project_id", "Project '%s' is archived; keys cannot be created in it.", p.id)
	}
	fields, e := decodeBody(r, false, "name", "scopes", "expires_in_seconds")
	if e != nil {
		return 0, nil, e
	}
	name := "Secret Key"
	if _, e := field(fields, "name", &name, "a string"); e != nil {
		return 0, nil, e
	}
	var scopes []string
	if _, e := field(fields, "scopes", &scopes, "an array of strings"); e != nil {
		return 0, nil, e
	}
	exp, e := expiry(fields, r.now)
	if e != nil {
		return 0, nil, e
	}
	k, err := s.newKey(KindServiceAccount, name, p.id, a.id, r.now)
	if err != nil {
		return 0, nil, internalError(err)
	}
	k.scopes, k.expires = scopes, exp
	s.recordAudit(r.now, "api_key.created", p.id, s.actorFor(r.caller), k.id, map[string]any{"id": k.id, "data": map[string]any{"scopes": nonNil(scopes)}})
	return http.StatusOK, serviceAccountKeyJSON{Object: "organization.project.service_account.api_key", Value: k.value, Name: k.name, CreatedAt: k.created.Unix(), ID: k.id}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ---- admin API keys ----

func (s *Server) listAdminKeys(r *request) (int, any, *apiError) {
	limit, e := parseLimit(r, 20, 100)
	if e != nil {
		return 0, nil, e
	}
	all := s.sortedKeys(func(k *apiKey) bool { return k.kind == KindAdmin })
	switch o := r.query.Get("order"); o {
	case "", "asc":
	case "desc":
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	default:
		return 0, nil, invalidRequest("order", "Invalid value for 'order': expected asc or desc, got %q.", o)
	}
	page, more, e := paginate(all, func(k *apiKey) string { return k.id }, func(k *apiKey) bool { return k.revoked == nil }, r.query.Get("after"), limit)
	if e != nil {
		return 0, nil, e
	}
	out := make([]adminKeyJSON, len(page))
	for i, k := range page {
		out[i] = s.renderAdminKey(k, false)
	}
	return http.StatusOK, list(out, more, func(k adminKeyJSON) string { return k.ID }), nil
}

func (s *Server) createAdminKey(r *request) (int, any, *apiError) {
	fields, e := decodeBody(r, true, "name", "expires_in_seconds")
	if e != nil {
		return 0, nil, e
	}
	var name string
	if set, e := field(fields, "name", &name, "a string"); e != nil {
		return 0, nil, e
	} else if !set || name == "" {
		return 0, nil, invalidRequest("name", "Missing required parameter: 'name'.")
	}
	exp, e := expiry(fields, r.now)
	if e != nil {
		return 0, nil, e
	}
	k, err := s.newKey(KindAdmin, name, "", r.caller.ownerID, r.now)
	if err != nil {
		return 0, nil, internalError(err)
	}
	k.expires = exp
	return http.StatusOK, s.renderAdminKey(k, true), nil
}

func (s *Server) adminKey(r *request) (*apiKey, *apiError) {
	k := s.keys[r.seg[2]]
	if k == nil || k.kind != KindAdmin || k.revoked != nil {
		return nil, notFound("No admin API key found with ID '%s'.", r.seg[2])
	}
	return k, nil
}

func (s *Server) getAdminKey(r *request) (int, any, *apiError) {
	k, e := s.adminKey(r)
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, s.renderAdminKey(k, false), nil
}

func (s *Server) deleteAdminKey(r *request) (int, any, *apiError) {
	k, e := s.adminKey(r)
	if e != nil {
		return 0, nil, e
	}
	s.revoke(k, r.now, RevokedDeleted)
	return http.StatusOK, deletedJSON{Object: "organization.admin_api_key.deleted", ID: k.id, Deleted: true}, nil
}

// internalError reports a failure of the simulator itself (in practice only
// a failing Options.Rand).
func internalError(err error) *apiError {
	return &apiError{status: http.StatusInternalServerError, typ: "server_error", message: "The simulator failed: " + err.Error()}
}
