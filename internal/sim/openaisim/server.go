package openaisim

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	// Now gives request-time timestamps (created_at of objects made through
	// the API, last_used_at, audit events). Default time.Now.
	Now func() time.Time
	// Rand supplies every random ID and key value. Default crypto/rand.
	// It is only read with the server's lock held, so it need not be safe
	// for concurrent use.
	Rand io.Reader
}

// Server is the simulated OpenAI API. It is an http.Handler serving paths
// under /v1 and is safe for concurrent use.
type Server struct {
	now  func() time.Time
	rand io.Reader

	mu       sync.Mutex
	projects map[string]*project
	users    map[string]*user
	accounts map[string]*serviceAccount
	keys     map[string]*apiKey // every key: user, service account and admin
	byValue  map[string]*apiKey
	usage    []usageRecord
	audit    []*auditEvent
	// spendLimits and spendAlerts are per project (spend.go).
	spendLimits map[string]*spendLimit
	spendAlerts map[string][]*spendAlert
	requests    uint64 // counter for x-request-id
}

// New returns an empty simulator.
func New(opts Options) *Server {
	s := &Server{now: opts.Now, rand: opts.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	s.resetLocked()
	return s
}

// Reset empties the world: no projects, users, keys, usage or audit events.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.projects = map[string]*project{}
	s.users = map[string]*user{}
	s.accounts = map[string]*serviceAccount{}
	s.keys = map[string]*apiKey{}
	s.byValue = map[string]*apiKey{}
	s.usage = nil
	s.audit = nil
	s.spendLimits = map[string]*spendLimit{}
	s.spendAlerts = map[string][]*spendAlert{}
	s.requests = 0
}

// maxBody bounds request bodies; the admin API's bodies are tiny.
const maxBody = 1 << 20

// request is what a handler sees. Handlers run with the server's lock held.
type request struct {
	method string
	path   string   // as received, for messages
	seg    []string // path segments after /v1
	query  url.Values
	body   []byte
	now    time.Time
	caller *apiKey // the authenticated key
	// header holds response headers a handler adds.
	header http.Header
}

type handler func(s *Server, r *request) (int, any, *apiError)

// auth says which keys a route accepts.
type auth int

const (
	authModels    auth = iota // project and service-account keys
	authAdmin                 // admin keys
	authInference             // project and service-account keys that may call models
)

type route struct {
	method  string
	pattern []string // "*" matches one segment
	auth    auth
	h       handler
}

var routes = []route{
	{"GET", []string{"models"}, authModels, (*Server).listModels},
	{"POST", []string{"chat", "completions"}, authInference, (*Server).chatCompletion},
	{"POST", []string{"responses"}, authInference, (*Server).createResponse},
	{"POST", []string{"embeddings"}, authInference, (*Server).createEmbedding},
	{"GET", []string{"organization", "projects"}, authAdmin, (*Server).listProjects},
	{"GET", []string{"organization", "projects", "*"}, authAdmin, (*Server).getProject},
	{"GET", []string{"organization", "projects", "*", "api_keys"}, authAdmin, (*Server).listProjectKeys},
	{"GET", []string{"organization", "projects", "*", "api_keys", "*"}, authAdmin, (*Server).getProjectKey},
	{"DELETE", []string{"organization", "projects", "*", "api_keys", "*"}, authAdmin, (*Server).deleteProjectKey},
	{"GET", []string{"organization", "projects", "*", "service_accounts"}, authAdmin, (*Server).listServiceAccounts},
	{"POST", []string{"organization", "projects", "*", "service_accounts"}, authAdmin, (*Server).createServiceAccount},
	{"GET", []string{"organization", "projects", "*", "service_accounts", "*"}, authAdmin, (*Server).getServiceAccount},
	{"POST", []string{"organization", "projects", "*", "service_accounts", "*"}, authAdmin, (*Server).updateServiceAccount},
	{"DELETE", []string{"organization", "projects", "*", "service_accounts", "*"}, authAdmin, (*Server).deleteServiceAccount},
	{"POST", []string{"organization", "projects", "*", "service_accounts", "*", "api_keys"}, authAdmin, (*Server).createServiceAccountKey},
	{"GET", []string{"organization", "admin_api_keys"}, authAdmin, (*Server).listAdminKeys},
	{"POST", []string{"organization", "admin_api_keys"}, authAdmin, (*Server).createAdminKey},
	{"GET", []string{"organization", "admin_api_keys", "*"}, authAdmin, (*Server).getAdminKey},
	{"DELETE", []string{"organization", "admin_api_keys", "*"}, authAdmin, (*Server).deleteAdminKey},
	{"GET", []string{"organization", "projects", "*", "spend_limit"}, authAdmin, (*Server).getSpendLimit},
	{"GET", []string{"organization", "projects", "*", "spend_alerts"}, authAdmin, (*Server).listSpendAlerts},
	{"GET", []string{"organization", "usage", "completions"}, authAdmin, (*Server).usageCompletions},
	{"GET", []string{"organization", "costs"}, authAdmin, (*Server).costs},
	{"GET", []string{"organization", "audit_logs"}, authAdmin, (*Server).listAuditLogs},
}

func (rt *route) match(method string, seg []string) bool {
	if rt.method != method || len(rt.pattern) != len(seg) {
		return false
	}
	for i, p := range rt.pattern {
		if p != "*" && p != seg[i] {
			return false
		}
	}
	return true
}

// ServeHTTP serves the OpenAI API under /v1.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, body, reqID, extra := s.handle(r)
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Request-Id", reqID)
	h.Set("Openai-Version", "2020-10-01")
	out, err := json.Marshal(body)
	if err != nil { // cannot happen: bodies are plain maps, slices and structs
		status = http.StatusInternalServerError
		out = []byte(`{"error":{"message":"The simulator failed to encode its response.","type":"server_error","param":null,"code":null}}`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(out, '\n'))
}

func (s *Server) handle(r *http.Request) (status int, body any, reqID string, header http.Header) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	var rt *route
	for i := range routes {
		if ok && routes[i].match(r.Method, seg) {
			rt = &routes[i]
			break
		}
	}
	data, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	reqID = fmt.Sprintf("req_%032x", s.requests)

	fail := func(e *apiError) (int, any, string, http.Header) { return e.status, e.body(), reqID, nil }
	switch {
	case rt == nil:
		return fail(invalidURL(r.Method, r.URL.Path))
	case readErr != nil:
		return fail(invalidRequest("", "The simulator could not read the request body: %v.", readErr))
	case len(data) > maxBody:
		return fail(invalidRequest("", "The request body is larger than %d bytes.", maxBody))
	}
	req := &request{method: r.Method, path: r.URL.Path, seg: seg, query: r.URL.Query(), body: bytes.TrimSpace(data), now: s.now().UTC(),
		header: http.Header{}}
	caller, e := s.authenticate(r, rt.auth, req.now)
	if e != nil {
		return fail(e)
	}
	req.caller = caller
	status, body, e = rt.h(s, req)
	if e != nil {
		return fail(e)
	}
	return status, body, reqID, req.header
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) string {
	v := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// authenticate applies the simulator's authentication rules:
//
//   - no bearer token: 401, code null ("You didn't provide an API key…");
//   - an unknown, deleted, revoked or expired key: 401 with code
//     invalid_api_key and the key masked (API-NOTES §7), on every route;
//   - /v1/models with an admin key, or with a restricted key or one whose
//     explicit scopes lack api.model.read: 401, code null, "…Missing scopes:
//     api.model.read" (real admin keys cannot call model endpoints; the
//     restricted-key pitfall of API-NOTES §7); the inference endpoints
//     likewise, naming model.request (continuedev/continue#10059 shows the
//     form for another scope);
//   - /v1/organization/* with a live project or service-account key: 403,
//     code null, "…Missing scopes: api.management.read" and a hint that the
//     Admin API needs an admin key. The spec is silent here; 403 keeps "the
//     credential is dead" (401 invalid_api_key) apart from "the credential
//     is the wrong kind";
//   - a write to /v1/organization/* with a restricted admin key: 403, code
//     null, "…Missing scopes: api.management.write" (a read-only admin key).
//
// Successful authentication sets the key's last_used_at.
func (s *Server) authenticate(r *http.Request, a auth, now time.Time) (*apiKey, *apiError) {
	tok := bearer(r)
	if tok == "" {
		return nil, noKey()
	}
	k := s.byValue[tok]
	if k == nil || !k.live(now) {
		return nil, incorrectKey(tok)
	}
	switch a {
	case authModels:
		if k.kind == KindAdmin || k.missingModelScope() {
			return nil, missingScopes(http.StatusUnauthorized, "api.model.read")
		}
	case authInference:
		if k.kind == KindAdmin || k.missingModelScope() {
			return nil, missingScopes(http.StatusUnauthorized, "model.request")
		}
	case authAdmin:
		if k.kind != KindAdmin {
			e := missingScopes(http.StatusForbidden, "api.management.read")
			e.message += " The Admin API (/v1/organization/...) requires an admin API key (sk-admin-...); project and service account keys cannot call it."
			return nil, e
		}
		if k.restricted && r.Method != http.MethodGet {
			return nil, missingScopes(http.StatusForbidden, "api.management.write")
		}
	}
	t := now
	k.lastUsed = &t
	return k, nil
}

// decodeBody parses a JSON object body, rejecting fields outside allowed
// the way OpenAI does ("Unrecognized request argument supplied"). An empty
// body is an empty object; required says whether that is an error.
func decodeBody(r *request, required bool, allowed ...string) (map[string]json.RawMessage, *apiError) {
	fields := map[string]json.RawMessage{}
	if len(r.body) == 0 {
		if required {
			return nil, invalidRequest("", "You must provide a JSON body for %s %s.", r.method, r.path)
		}
		return fields, nil
	}
	if err := json.Unmarshal(r.body, &fields); err != nil {
		return nil, invalidRequest("", "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)")
	}
	for name := range fields {
		ok := false
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			return nil, invalidRequest(name, "Unrecognized request argument supplied: %s", name)
		}
	}
	return fields, nil
}

// field decodes fields[name] into dst if present and not null. It reports
// whether a value was set.
func field(fields map[string]json.RawMessage, name string, dst any, want string) (bool, *apiError) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return false, invalidRequest(name, "Invalid type for '%s': expected %s.", name, want)
	}
	return true, nil
}
