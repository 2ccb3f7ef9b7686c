package openaisim

import (
	"cmp"
	"slices"
	"time"
)

// State is the whole simulated OpenAI organization, for /_sim/state and
// tests. It includes plaintext key values: it is a fake world. Every slice
// is sorted (by ID unless noted) and times are RFC 3339 UTC strings, so
// the same seed gives byte-identical JSON.
type State struct {
	Projects        []ProjectState        `json:"projects"`
	Users           []UserState           `json:"users"`
	ServiceAccounts []ServiceAccountState `json:"service_accounts"`
	// Keys are project keys: user-owned and service-account keys.
	Keys      []KeyState `json:"keys"`
	AdminKeys []KeyState `json:"admin_keys"`
	// Usage holds completions usage totals per project, key and model.
	Usage []UsageTotal `json:"usage"`
	// AuditLogs are sorted oldest first, then by ID.
	AuditLogs []AuditLogState `json:"audit_logs"`
}

// ProjectState is a project.
type ProjectState struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreatedAt  string `json:"created_at"`
	ArchivedAt string `json:"archived_at,omitempty"`
}

// UserState is an organization user.
type UserState struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	CreatedAt string `json:"created_at,omitempty"`
}

// ServiceAccountState is a project service account.
type ServiceAccountState struct {
	ID        string `json:"id"`
	ProjectID string `json:"project_id"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt string `json:"created_at"`
	DeletedAt string `json:"deleted_at,omitempty"`
}

// KeyState is an API key with its plaintext value and status.
type KeyState struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Kind      KeyKind `json:"kind"`
	ProjectID string  `json:"project_id,omitempty"`
	// OwnerType is "user" or "service_account"; OwnerID its ID.
	OwnerType     string `json:"owner_type"`
	OwnerID       string `json:"owner_id,omitempty"`
	RedactedValue string `json:"redacted_value"`
	Value         string `json:"value"`
	// Status is "live", "revoked" (see RevokedReason) or "expired".
	Status             string   `json:"status"`
	RevokedReason      string   `json:"revoked_reason,omitempty"`
	Restricted         bool     `json:"restricted,omitempty"`
	Scopes             []string `json:"scopes,omitempty"`
	OwnerProjectAccess string   `json:"owner_project_access,omitempty"`
	CreatedAt          string   `json:"created_at"`
	LastUsedAt         string   `json:"last_used_at,omitempty"`
	ExpiresAt          string   `json:"expires_at,omitempty"`
	RevokedAt          string   `json:"revoked_at,omitempty"`
}

// UsageTotal sums the usage records of one project, key and model.
type UsageTotal struct {
	ProjectID    string `json:"project_id"`
	APIKeyID     string `json:"api_key_id"`
	Model        string `json:"model"`
	Requests     int64  `json:"requests"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	FirstAt      string `json:"first_at"`
	LastAt       string `json:"last_at"`
}

// AuditLogState is an audit log event.
type AuditLogState struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	EffectiveAt string `json:"effective_at"`
	ProjectID   string `json:"project_id,omitempty"`
	// Actor is "api_key:<id>", "session:<user id>" or empty (none).
	Actor string `json:"actor,omitempty"`
	// ResourceID is the key or service account the event is about.
	ResourceID string `json:"resource_id"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func rfc3339p(t *time.Time) string {
	if t == nil {
		return ""
	}
	return rfc3339(*t)
}

// Snapshot returns a copy of the whole world.
func (s *Server) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st := State{Projects: []ProjectState{}, Users: []UserState{}, ServiceAccounts: []ServiceAccountState{},
		Keys: []KeyState{}, AdminKeys: []KeyState{}, Usage: []UsageTotal{}, AuditLogs: []AuditLogState{}}
	for _, p := range s.projects {
		st.Projects = append(st.Projects, ProjectState{ID: p.id, Name: p.name, CreatedAt: rfc3339(p.created), ArchivedAt: rfc3339p(p.archived)})
	}
	for _, u := range s.users {
		us := UserState{ID: u.id, Name: u.name, Email: u.email, Role: u.role}
		if !u.created.IsZero() {
			us.CreatedAt = rfc3339(u.created)
		}
		st.Users = append(st.Users, us)
	}
	for _, a := range s.accounts {
		st.ServiceAccounts = append(st.ServiceAccounts, ServiceAccountState{ID: a.id, ProjectID: a.projectID, Name: a.name,
			Role: a.role, CreatedAt: rfc3339(a.created), DeletedAt: rfc3339p(a.deleted)})
	}
	for _, k := range s.keys {
		ks := KeyState{ID: k.id, Name: k.name, Kind: k.kind, ProjectID: k.projectID, OwnerType: "user", OwnerID: k.ownerID,
			RedactedValue: RedactedValue(k.value), Value: k.value, Status: "live", RevokedReason: k.revokedReason,
			Restricted: k.restricted, Scopes: slices.Clone(k.scopes), CreatedAt: rfc3339(k.created),
			LastUsedAt: rfc3339p(k.lastUsed), ExpiresAt: rfc3339p(k.expires), RevokedAt: rfc3339p(k.revoked)}
		switch {
		case k.revoked != nil:
			ks.Status = "revoked"
		case !k.live(now):
			ks.Status = "expired"
		}
		if k.kind == KindServiceAccount {
			ks.OwnerType = "service_account"
		}
		if k.kind == KindAdmin {
			st.AdminKeys = append(st.AdminKeys, ks)
		} else {
			ks.OwnerProjectAccess = k.ownerAccess
			st.Keys = append(st.Keys, ks)
		}
	}
	type usageKey struct{ project, key, model string }
	totals := map[usageKey]*UsageTotal{}
	first, last := map[usageKey]time.Time{}, map[usageKey]time.Time{}
	for _, u := range s.usage {
		uk := usageKey{u.projectID, u.keyID, u.model}
		t := totals[uk]
		if t == nil {
			t = &UsageTotal{ProjectID: u.projectID, APIKeyID: u.keyID, Model: u.model}
			totals[uk], first[uk], last[uk] = t, u.at, u.at
		}
		t.Requests += u.requests
		t.InputTokens += u.input
		t.OutputTokens += u.output
		if u.at.Before(first[uk]) {
			first[uk] = u.at
		}
		if u.at.After(last[uk]) {
			last[uk] = u.at
		}
	}
	for uk, t := range totals {
		t.FirstAt, t.LastAt = rfc3339(first[uk]), rfc3339(last[uk])
		st.Usage = append(st.Usage, *t)
	}
	for _, e := range s.audit {
		as := AuditLogState{ID: e.id, Type: e.typ, EffectiveAt: rfc3339(e.at), ProjectID: e.projectID, ResourceID: e.resourceID}
		if a := e.actor; a != nil {
			if a.kind == "api_key" {
				as.Actor = "api_key:" + a.apiKeyID
			} else {
				as.Actor = "session:" + a.userID
			}
		}
		st.AuditLogs = append(st.AuditLogs, as)
	}

	slices.SortFunc(st.Projects, func(a, b ProjectState) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(st.Users, func(a, b UserState) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(st.ServiceAccounts, func(a, b ServiceAccountState) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(st.Keys, func(a, b KeyState) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(st.AdminKeys, func(a, b KeyState) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(st.Usage, func(a, b UsageTotal) int {
		return cmp.Or(cmp.Compare(a.ProjectID, b.ProjectID), cmp.Compare(a.APIKeyID, b.APIKeyID), cmp.Compare(a.Model, b.Model))
	})
	slices.SortFunc(st.AuditLogs, func(a, b AuditLogState) int {
		return cmp.Or(cmp.Compare(a.EffectiveAt, b.EffectiveAt), cmp.Compare(a.ID, b.ID))
	})
	return st
}
