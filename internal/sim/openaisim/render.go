package openaisim

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// Wire shapes, named after the spec's schemas. Nullable fields are pointers
// without omitempty, so they are sent as null.

type listJSON struct {
	Object  string  `json:"object"`
	Data    any     `json:"data"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
	HasMore bool    `json:"has_more"`
}

type projectJSON struct {
	ID         string `json:"id"`
	Object     string `json:"object"`
	Name       string `json:"name"`
	CreatedAt  int64  `json:"created_at"`
	ArchivedAt *int64 `json:"archived_at"`
	Status     string `json:"status"`
}

type ownerUserJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"created_at"`
	Role      string `json:"role"`
}

type ownerServiceAccountJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"created_at"`
	Role      string `json:"role"`
}

type projectKeyOwnerJSON struct {
	Type           string                   `json:"type"`
	User           *ownerUserJSON           `json:"user,omitempty"`
	ServiceAccount *ownerServiceAccountJSON `json:"service_account,omitempty"`
}

type projectKeyJSON struct {
	Object             string              `json:"object"`
	RedactedValue      string              `json:"redacted_value"`
	Name               string              `json:"name"`
	CreatedAt          int64               `json:"created_at"`
	LastUsedAt         *int64              `json:"last_used_at"`
	ID                 string              `json:"id"`
	OwnerProjectAccess string              `json:"owner_project_access"`
	Owner              projectKeyOwnerJSON `json:"owner"`
}

type serviceAccountJSON struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt int64  `json:"created_at"`
}

type serviceAccountKeyJSON struct {
	Object    string `json:"object"`
	Value     string `json:"value"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"created_at"`
	ID        string `json:"id"`
}

type serviceAccountCreateJSON struct {
	serviceAccountJSON
	APIKey *serviceAccountKeyJSON `json:"api_key"`
}

type adminKeyOwnerJSON struct {
	Type      string `json:"type"`
	Object    string `json:"object"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"created_at"`
	Role      string `json:"role"`
}

type adminKeyJSON struct {
	Object        string            `json:"object"`
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	RedactedValue string            `json:"redacted_value"`
	CreatedAt     int64             `json:"created_at"`
	ExpiresAt     *int64            `json:"expires_at"`
	LastUsedAt    *int64            `json:"last_used_at"`
	Owner         adminKeyOwnerJSON `json:"owner"`
	Value         string            `json:"value,omitempty"` // only on create
}

type deletedJSON struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

func unixp(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	u := t.Unix()
	return &u
}

func (s *Server) renderProject(p *project) projectJSON {
	out := projectJSON{ID: p.id, Object: "organization.project", Name: p.name, CreatedAt: p.created.Unix(), Status: "active"}
	if p.archived != nil {
		out.ArchivedAt = unixp(p.archived)
		out.Status = "archived"
	}
	return out
}

// userCreated is a user's created_at: explicit, else their first key's.
func (s *Server) userCreated(u *user, fallback time.Time) int64 {
	if u.created.IsZero() {
		return fallback.Unix()
	}
	return u.created.Unix()
}

func (s *Server) renderServiceAccount(a *serviceAccount) serviceAccountJSON {
	return serviceAccountJSON{Object: "organization.project.service_account", ID: a.id, Name: a.name, Role: a.role, CreatedAt: a.created.Unix()}
}

func (s *Server) renderProjectKey(k *apiKey) projectKeyJSON {
	out := projectKeyJSON{
		Object:             "organization.project.api_key",
		RedactedValue:      RedactedValue(k.value),
		Name:               k.name,
		CreatedAt:          k.created.Unix(),
		LastUsedAt:         unixp(k.lastUsed),
		ID:                 k.id,
		OwnerProjectAccess: k.ownerAccess,
	}
	switch k.kind {
	case KindServiceAccount:
		out.Owner.Type = "service_account"
		if a := s.accounts[k.ownerID]; a != nil {
			out.Owner.ServiceAccount = &ownerServiceAccountJSON{ID: a.id, Name: a.name, CreatedAt: a.created.Unix(), Role: a.role}
		}
	default:
		out.Owner.Type = "user"
		if u := s.users[k.ownerID]; u != nil {
			out.Owner.User = &ownerUserJSON{ID: u.id, Email: u.email, Name: u.name, CreatedAt: s.userCreated(u, k.created), Role: u.role}
		}
	}
	return out
}

// defaultOwner is the owner shown for an admin key whose owner is not a
// known user (seeded before any owner was added).
var defaultOwner = user{id: "user-sim-owner", name: "Organization Owner", email: "owner@example.com", role: "owner"}

func (s *Server) renderAdminKey(k *apiKey, withValue bool) adminKeyJSON {
	u := s.users[k.ownerID]
	if u == nil {
		u = &defaultOwner
	}
	out := adminKeyJSON{
		Object:        "organization.admin_api_key",
		ID:            k.id,
		Name:          k.name,
		RedactedValue: RedactedValue(k.value),
		CreatedAt:     k.created.Unix(),
		ExpiresAt:     unixp(k.expires),
		LastUsedAt:    unixp(k.lastUsed),
		Owner:         adminKeyOwnerJSON{Type: "user", Object: "organization.user", ID: u.id, Name: u.name, CreatedAt: s.userCreated(u, k.created), Role: u.role},
	}
	if withValue {
		out.Value = k.value
	}
	return out
}

// byCreated orders objects by creation time, then ID: the order of every
// list the simulator serves (reversed for admin keys with order=desc).
func byCreated[T any](items []T, created func(T) time.Time, id func(T) string) {
	slices.SortFunc(items, func(a, b T) int {
		if c := created(a).Compare(created(b)); c != 0 {
			return c
		}
		return cmp.Compare(id(a), id(b))
	})
}

// parseLimit reads "limit": default def, allowed 1..max.
func parseLimit(r *request, def, max int) (int, *apiError) {
	v := r.query.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, invalidRequest("limit", "Invalid value for 'limit': expected an integer between 1 and %d, got %q.", max, v)
	}
	return n, nil
}

// paginate returns up to limit visible items of all (in list order) that
// come after the item with ID after. The cursor may name an item that is
// no longer visible (deleted while a client pages), so all includes those;
// an ID that was never in the list is a 400.
func paginate[T any](all []T, id func(T) string, visible func(T) bool, after string, limit int) ([]T, bool, *apiError) {
	start := 0
	if after != "" {
		i := slices.IndexFunc(all, func(t T) bool { return id(t) == after })
		if i < 0 {
			return nil, false, invalidRequest("after", "Invalid 'after' cursor: no object with ID %q in this list.", after)
		}
		start = i + 1
	}
	page := []T{}
	for _, t := range all[start:] {
		if !visible(t) {
			continue
		}
		if len(page) == limit {
			return page, true, nil
		}
		page = append(page, t)
	}
	return page, false, nil
}

// list wraps rendered items in the list envelope.
func list[T any](items []T, hasMore bool, id func(T) string) listJSON {
	out := listJSON{Object: "list", Data: items, HasMore: hasMore}
	if len(items) > 0 {
		first, last := id(items[0]), id(items[len(items)-1])
		out.FirstID, out.LastID = &first, &last
	}
	return out
}
