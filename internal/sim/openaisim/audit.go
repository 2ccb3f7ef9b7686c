package openaisim

import (
	"net/http"
	"slices"
	"strconv"
)

// auditIPAddress is the ip_address shown for session actors (TEST-NET-2).
const auditIPAddress = "198.51.100.23"

func (a *auditActor) render() map[string]any {
	user := map[string]any{"id": a.userID, "email": a.email}
	if a.kind == "session" {
		return map[string]any{"type": "session", "session": map[string]any{"user": user, "ip_address": auditIPAddress}}
	}
	k := map[string]any{"id": a.apiKeyID, "type": a.apiKeyType}
	if a.apiKeyType == "service_account" {
		k["service_account"] = map[string]any{"id": a.serviceAccountID}
	} else {
		k["user"] = user
	}
	return map[string]any{"type": "api_key", "api_key": k}
}

// render is the AuditLog object: fixed fields plus the details under a
// property named after the event type.
func (e *auditEvent) render() map[string]any {
	m := map[string]any{"id": e.id, "type": e.typ, "effective_at": e.at.Unix(), "actor": nil}
	if e.projectID != "" {
		m["project"] = map[string]any{"id": e.projectID, "name": e.projectName}
	}
	if e.actor != nil {
		m["actor"] = e.actor.render()
	}
	m[e.typ] = e.details
	return m
}

// listAuditLogs serves GET /v1/organization/audit_logs: newest first,
// filtered by event_types[], project_ids[], actor_ids[], actor_emails[],
// resource_ids[] and effective_at[gt|gte|lt|lte]; paged with limit and
// after or before (event IDs). tenant_only=true matches nothing: the
// simulator records no tenant-scoped events.
func (s *Server) listAuditLogs(r *request) (int, any, *apiError) {
	limit, e := parseLimit(r, 20, 100)
	if e != nil {
		return 0, nil, e
	}
	q := r.query
	types, projects := arrayParam(q, "event_types"), arrayParam(q, "project_ids")
	actors, emails, resources := arrayParam(q, "actor_ids"), arrayParam(q, "actor_emails"), arrayParam(q, "resource_ids")
	bounds := map[string]int64{}
	for _, op := range []string{"gt", "gte", "lt", "lte"} {
		v := q.Get("effective_at[" + op + "]")
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, nil, invalidRequest("effective_at["+op+"]", "Invalid value for 'effective_at[%s]': expected a Unix time in seconds, got %q.", op, v)
		}
		bounds[op] = n
	}
	tenantOnly := false
	if v := q.Get("tenant_only"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return 0, nil, invalidRequest("tenant_only", "Invalid value for 'tenant_only': expected a boolean, got %q.", v)
		}
		tenantOnly = b
	}
	after, before := q.Get("after"), q.Get("before")
	if after != "" && before != "" {
		return 0, nil, invalidRequest("before", "Use either 'after' or 'before', not both.")
	}

	match := func(ev *auditEvent) bool {
		if tenantOnly || !contains(types, ev.typ) || !contains(projects, ev.projectID) || !contains(resources, ev.resourceID) {
			return false
		}
		t := ev.at.Unix()
		for op, n := range bounds {
			if (op == "gt" && t <= n) || (op == "gte" && t < n) || (op == "lt" && t >= n) || (op == "lte" && t > n) {
				return false
			}
		}
		if len(actors) > 0 || len(emails) > 0 {
			a := ev.actor
			if a == nil {
				return false
			}
			if len(actors) > 0 && !slices.Contains(actors, a.userID) && !slices.Contains(actors, a.apiKeyID) &&
				(a.serviceAccountID == "" || !slices.Contains(actors, a.serviceAccountID)) {
				return false
			}
			if len(emails) > 0 && !slices.Contains(emails, a.email) {
				return false
			}
		}
		return true
	}
	id := func(ev *auditEvent) string { return ev.id }

	all := s.sortedAudit()
	var page []*auditEvent
	var more bool
	if before != "" {
		// The page is the limit matching events just before the cursor;
		// has_more says whether newer events remain.
		slices.Reverse(all)
		page, more, e = paginate(all, id, match, before, limit)
		slices.Reverse(page)
	} else {
		page, more, e = paginate(all, id, match, after, limit)
	}
	if e != nil {
		return 0, nil, e
	}
	out := make([]map[string]any, len(page))
	for i, ev := range page {
		out[i] = ev.render()
	}
	return http.StatusOK, list(out, more, func(m map[string]any) string { return m["id"].(string) }), nil
}
