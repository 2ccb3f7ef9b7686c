package anthropicsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// Environment variables Env sets.
const (
	// EnvBaseURL is the SDK's own base-URL variable; respond reads it too.
	EnvBaseURL = "ANTHROPIC_BASE_URL"
	// EnvAdminKey holds the organization's admin key.
	EnvAdminKey = "ANTHROPIC_ADMIN_API_KEY"
)

// GitHub secret-scanning types of the keys the fake issues.
const (
	SecretTypeAPIKey   = "anthropic_api_key"
	SecretTypeAdminKey = "anthropic_admin_api_key"
)

// versions are the anthropic-version values the API accepts.
var versions = []string{"2023-01-01", "2023-06-01", "2026-10-21"}

const (
	defaultLimit = 20
	maxLimit     = 1000
)

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	now  func() time.Time
	rand io.Reader

	mu sync.Mutex
	// envAdmin is the admin key Env exports: a credential, kept across
	// Reset.
	envAdmin string
	keys     []*key // in creation order
	reqSeq   int
}

var (
	_ simapi.KeyIssuer   = (*Server)(nil)
	_ simapi.ErrorWriter = (*Server)(nil)
)

// New builds the fake (a simapi.Factory).
func New(opts simapi.Options) simapi.Service { return NewServer(opts) }

// NewServer builds the fake.
func NewServer(opts simapi.Options) *Server {
	s := &Server{now: opts.Now, rand: opts.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	// Drawn at construction, before the simulator seeds the stream: the
	// same admin key in every world, and the world's own draws unmoved.
	s.envAdmin = adminKeyPrefix + draw(s.rand, 93, keyChars) + "AA"
	return s
}

// Name implements simapi.Service.
func (s *Server) Name() string { return "anthropic" }

// Prefix implements simapi.Service.
func (s *Server) Prefix() string { return "/anthropic/" }

// SecretTypes implements simapi.KeyIssuer.
func (s *Server) SecretTypes() []string { return []string{SecretTypeAPIKey, SecretTypeAdminKey} }

// Reset forgets every key but the exported admin key.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = nil
}

// Env points the SDK (and respond) at the fake with the organization's
// admin key.
func (s *Server) Env(base, _ string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]string{EnvBaseURL: base, EnvAdminKey: s.envAdmin}, nil
}

// AdminKey is the admin key Env exports.
func (s *Server) AdminKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.envAdmin
}

// Snapshot is the fake's world: the keys with their values and states, in
// creation order.
func (s *Server) Snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	type keySnap struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Kind      string `json:"kind"` // api or admin
		Status    string `json:"status"`
		Workspace string `json:"workspace"`
		Created   any    `json:"created_at"`
		Expires   any    `json:"expires_at"`
		CreatedBy actor  `json:"created_by"`
		Value     string `json:"value"`
		Hint      string `json:"partial_key_hint"`
		Uses      int    `json:"uses,omitempty"`
		LastUsed  any    `json:"last_used,omitempty"`
	}
	out := struct {
		AdminKey string    `json:"admin_key"`
		Keys     []keySnap `json:"keys"`
	}{AdminKey: s.envAdmin, Keys: []keySnap{}}
	for _, k := range s.keys {
		kind := "api"
		if k.admin {
			kind = "admin"
		}
		out.Keys = append(out.Keys, keySnap{ID: k.id, Name: k.name, Kind: kind, Status: k.effectiveStatus(now),
			Workspace: k.workspace, Created: rfc3339(k.created), Expires: rfc3339(k.expires), CreatedBy: k.createdBy,
			Value: k.value, Hint: k.hint(), Uses: k.uses, LastUsed: rfc3339(k.lastUsed)})
	}
	return out
}

// ServeHTTP serves a request whose path has the prefix stripped.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/_console/keys" && r.Method == http.MethodPost {
		s.serveConsole(w, r)
		return
	}
	adminRoute := p == "/v1/organizations/api_keys" || strings.HasPrefix(p, "/v1/organizations/api_keys/")
	id := strings.TrimPrefix(p, "/v1/organizations/api_keys/")
	switch {
	case p == "/v1/models" && r.Method == http.MethodGet:
	case p == "/v1/organizations/api_keys" && r.Method == http.MethodGet:
	case adminRoute && id != "" && !strings.Contains(id, "/") && (r.Method == http.MethodGet || r.Method == http.MethodPost):
	default:
		s.writeError(w, notFound("Not Found"))
		return
	}
	if e := checkVersion(r); e != nil {
		s.writeError(w, e)
		return
	}
	value := credential(r)
	if value == "" {
		s.writeError(w, authError("x-api-key header is required"))
		return
	}
	if p == "/v1/models" {
		s.serveModels(w, value)
		return
	}
	if !s.isAdmin(value) {
		s.writeError(w, authError("invalid x-api-key"))
		return
	}
	switch {
	case p == "/v1/organizations/api_keys":
		s.listKeys(w, r)
	case r.Method == http.MethodGet:
		s.getKey(w, id)
	default:
		s.updateKey(w, r, id)
	}
}

func checkVersion(r *http.Request) *apiError {
	v := r.Header.Get("Anthropic-Version")
	if v == "" {
		return invalidRequest("anthropic-version: header is required")
	}
	if !slices.Contains(versions, v) {
		return invalidRequest("anthropic-version: %q is not a valid version", v)
	}
	return nil
}

// credential is the key a request carries: x-api-key, or a bearer token
// (what SDK v2 sends).
func credential(r *http.Request) string {
	if v := r.Header.Get("X-Api-Key"); v != "" {
		return v
	}
	v, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return v
}

// isAdmin reports whether value is a working admin key.
func (s *Server) isAdmin(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == s.envAdmin {
		return true
	}
	now := s.now()
	for _, k := range s.keys {
		if k.admin && k.value == value {
			return k.effectiveStatus(now) == StatusActive
		}
	}
	return false
}

// find returns the API key with id. The caller holds s.mu.
func (s *Server) find(id string) *key {
	for _, k := range s.keys {
		if !k.admin && k.id == id {
			return k
		}
	}
	return nil
}

func (s *Server) getKey(w http.ResponseWriter, id string) {
	s.mu.Lock()
	k := s.find(id)
	var out map[string]any
	if k != nil {
		out = k.render(s.now())
	}
	s.mu.Unlock()
	if k == nil {
		s.writeError(w, notFound("API key %s not found", id))
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) updateKey(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Name   *string `json:"name"`
		Status *string `json:"status"`
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(b, &body); err != nil {
		s.writeError(w, invalidRequest("Invalid JSON body: %v", err))
		return
	}
	if body.Status != nil && !slices.Contains([]string{StatusActive, StatusInactive, StatusArchived}, *body.Status) {
		s.writeError(w, invalidRequest("status: Input should be 'active', 'inactive' or 'archived'"))
		return
	}
	if body.Name != nil && (strings.TrimSpace(*body.Name) == "" || len(*body.Name) > 500) {
		s.writeError(w, invalidRequest("name: must be between 1 and 500 characters"))
		return
	}
	s.mu.Lock()
	k := s.find(id)
	var e *apiError
	switch {
	case k == nil:
		e = notFound("API key %s not found", id)
	case k.status == StatusArchived:
		e = invalidRequest("API key %s is archived and cannot be updated", id)
	}
	var out map[string]any
	if e == nil {
		if body.Name != nil {
			k.name = *body.Name
		}
		if body.Status != nil {
			k.status = *body.Status
		}
		out = k.render(s.now())
	}
	s.mu.Unlock()
	if e != nil {
		s.writeError(w, e)
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			s.writeError(w, invalidRequest("limit: Input should be between 1 and %d", maxLimit))
			return
		}
		limit = n
	}
	status, ws, by := q.Get("status"), q.Get("workspace_id"), q.Get("created_by_user_id")
	if status != "" && !slices.Contains([]string{StatusActive, StatusInactive, StatusArchived, StatusExpired}, status) {
		s.writeError(w, invalidRequest("status: Input should be 'active', 'inactive', 'archived' or 'expired'"))
		return
	}
	after, before := q.Get("after_id"), q.Get("before_id")
	if after != "" && before != "" {
		s.writeError(w, invalidRequest("Only one of after_id and before_id may be given"))
		return
	}
	s.mu.Lock()
	now := s.now()
	var all []*key
	for _, k := range s.keys {
		if k.admin || (status != "" && k.effectiveStatus(now) != status) || (ws != "" && workspaceID(k.workspace) != ws) ||
			(by != "" && (k.createdBy.Type != "user" || k.createdBy.ID != by)) {
			continue
		}
		all = append(all, k)
	}
	// Newest first; of keys made at the same time, the later one first.
	slices.Reverse(all)
	slices.SortStableFunc(all, func(a, b *key) int { return b.created.Compare(a.created) })
	page, hasMore, e := pageOf(all, after, before, limit)
	data := make([]map[string]any, 0, len(page))
	for _, k := range page {
		data = append(data, k.render(now))
	}
	s.mu.Unlock()
	if e != nil {
		s.writeError(w, e)
		return
	}
	out := map[string]any{"data": data, "has_more": hasMore, "first_id": nil, "last_id": nil}
	if len(page) > 0 {
		out["first_id"], out["last_id"] = page[0].id, page[len(page)-1].id
	}
	s.writeJSON(w, http.StatusOK, out)
}

// pageOf cuts a page out of keys (in list order): after after, or just
// before before, or from the start.
func pageOf(keys []*key, after, before string, limit int) ([]*key, bool, *apiError) {
	index := func(id string) int {
		return slices.IndexFunc(keys, func(k *key) bool { return k.id == id })
	}
	switch {
	case before != "":
		i := index(before)
		if i < 0 {
			return nil, false, invalidRequest("before_id: no API key %s in this list", before)
		}
		start := max(0, i-limit)
		return keys[start:i], start > 0, nil
	case after != "":
		i := index(after)
		if i < 0 {
			return nil, false, invalidRequest("after_id: no API key %s in this list", after)
		}
		end := min(len(keys), i+1+limit)
		return keys[i+1 : end], end < len(keys), nil
	}
	end := min(len(keys), limit)
	return keys[:end], end < len(keys), nil
}

// models is what /v1/models lists.
var models = []map[string]any{
	{"type": "model", "id": "claude-opus-4-5-20251101", "display_name": "Claude Opus 4.5", "created_at": "2025-11-24T00:00:00Z"},
	{"type": "model", "id": "claude-sonnet-4-5-20250929", "display_name": "Claude Sonnet 4.5", "created_at": "2025-09-29T00:00:00Z"},
	{"type": "model", "id": "claude-haiku-4-5-20251001", "display_name": "Claude Haiku 4.5", "created_at": "2025-10-15T00:00:00Z"},
}

// serveModels answers the key check: the models for a working API key,
// 401 for any other credential.
func (s *Server) serveModels(w http.ResponseWriter, value string) {
	s.mu.Lock()
	now := s.now()
	ok := false
	for _, k := range s.keys {
		if !k.admin && k.value == value && k.effectiveStatus(now) == StatusActive {
			ok = true
			k.uses++
			k.lastUsed = now
		}
	}
	s.mu.Unlock()
	if !ok {
		s.writeError(w, authError("invalid x-api-key"))
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"data": models, "has_more": false,
		"first_id": models[0]["id"], "last_id": models[len(models)-1]["id"]})
}

// ConsoleCreateKey makes an API key as a person does in the Console (the
// API cannot): in workspace (a name or a wrkspc_ ID; "" is the default
// workspace), created by DefaultUser now.
func (s *Server) ConsoleCreateKey(workspace, name string) (simapi.IssuedKey, error) {
	return s.IssueKey(simapi.IssueRequest{Scope: workspace, Name: name, Created: s.now()})
}

// serveConsole is POST /_console/keys: ConsoleCreateKey over HTTP, for
// drills and scripts. It answers 201 with the key and its value.
func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name      string `json:"name"`
		Workspace string `json:"workspace_id"`
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(b, &body); err != nil || strings.TrimSpace(body.Name) == "" {
		s.writeError(w, invalidRequest(`the Console needs {"name": "…", "workspace_id"?: "…"}`))
		return
	}
	k, err := s.ConsoleCreateKey(body.Workspace, body.Name)
	if err != nil {
		s.writeError(w, invalidRequest("%s", err.Error()))
		return
	}
	s.writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "name": k.Name, "workspace_id": k.Scope,
		"value": k.Value, "secret_type": k.SecretType})
}

// IssueKey seeds a key (simapi.KeyIssuer). req.Scope is the workspace (a
// name or a wrkspc_ ID; "" is the default workspace), req.Name the key's
// name. req.Attrs, all optional:
//
//	kind            "api" (default) or "admin" (an admin key: it
//	                authenticates the Admin API and is not listed by it)
//	status          active (default), inactive or archived
//	expires_at      RFC 3339 time the key expires at
//	created_by      the user (user_…) or service account (svac_…) that made
//	                it; "none" for a key whose creator is not recorded;
//	                default DefaultUser
func (s *Server) IssueKey(req simapi.IssueRequest) (simapi.IssuedKey, error) {
	k := &key{name: req.Name, status: StatusActive, created: req.Created, createdBy: actor{Type: "user", ID: DefaultUser}}
	for name, v := range req.Attrs {
		switch name {
		case "kind":
			if v != "api" && v != "admin" {
				return simapi.IssuedKey{}, fmt.Errorf("anthropicsim: kind %q is neither api nor admin", v)
			}
			k.admin = v == "admin"
		case "status":
			if !slices.Contains([]string{StatusActive, StatusInactive, StatusArchived}, v) {
				return simapi.IssuedKey{}, fmt.Errorf("anthropicsim: status %q is not active, inactive or archived", v)
			}
			k.status = v
		case "expires_at":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return simapi.IssuedKey{}, fmt.Errorf("anthropicsim: expires_at %q is not an RFC 3339 time", v)
			}
			k.expires = t
		case "created_by":
			switch {
			case v == "none":
				k.createdBy = actor{}
			case strings.HasPrefix(v, "user_"):
				k.createdBy = actor{Type: "user", ID: v}
			case strings.HasPrefix(v, "svac_"):
				k.createdBy = actor{Type: "service_account", ID: v}
			default:
				return simapi.IssuedKey{}, fmt.Errorf("anthropicsim: created_by %q is neither user_… nor svac_…", v)
			}
		default:
			return simapi.IssuedKey{}, fmt.Errorf("anthropicsim: unknown key attribute %q (see IssueKey)", name)
		}
	}
	switch ws := req.Scope; {
	case ws == "" || ws == DefaultWorkspace || ws == workspaceID(DefaultWorkspace):
		k.workspace = DefaultWorkspace
	case strings.HasPrefix(ws, "wrkspc_"):
		name, ok := s.workspaceNamed(ws)
		if !ok {
			return simapi.IssuedKey{}, fmt.Errorf("anthropicsim: no workspace has ID %s (a new workspace is named by name)", ws)
		}
		k.workspace = name
	default:
		k.workspace = ws
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.created.IsZero() {
		k.created = s.now()
	}
	prefix, typ := apiKeyPrefix, SecretTypeAPIKey
	if k.admin {
		prefix, typ = adminKeyPrefix, SecretTypeAdminKey
	}
	k.id = "apikey_01" + draw(s.rand, 22, idChars)
	k.value = prefix + draw(s.rand, 93, keyChars) + "AA"
	s.keys = append(s.keys, k)
	return simapi.IssuedKey{ID: k.id, Scope: workspaceID(k.workspace), Name: k.name, Value: k.value, SecretType: typ}, nil
}

// workspaceNamed is the name of the workspace whose ID is id, among the
// workspaces that hold keys.
func (s *Server) workspaceNamed(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if workspaceID(k.workspace) == id {
			return k.workspace, true
		}
	}
	return "", false
}

// KeyStatus reports which key value is and whether it works at now
// (simapi.KeyIssuer): only an active key works.
func (s *Server) KeyStatus(value string, now time.Time) (id string, live, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == s.envAdmin {
		return "admin", true, true
	}
	for _, k := range s.keys {
		if k.value == value {
			return k.id, k.effectiveStatus(now) == StatusActive, true
		}
	}
	return "", false, false
}

// UseKey records n uses of a working key (simapi.KeyIssuer).
func (s *Server) UseKey(value string, now time.Time, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.value == value {
			if k.effectiveStatus(now) != StatusActive {
				return false
			}
			k.uses += n
			if now.After(k.lastUsed) {
				k.lastUsed = now
			}
			return true
		}
	}
	return false
}
