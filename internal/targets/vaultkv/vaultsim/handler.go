package vaultsim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds a request body (Vault's default is 32 MiB; secrets are
// small).
const maxBody = 1 << 20

// Vault's error messages.
const (
	msgDenied      = "permission denied"
	msgCASMismatch = "check-and-set parameter did not match the current version"
	msgCASRequired = "check-and-set parameter required for this call"
)

// request is a request as the handlers see it.
type request struct {
	r      *http.Request
	tok    *token
	ns     *namespace
	path   string // after /v1/, without the namespace
	method string // GET, LIST, PUT (POST too), PATCH, DELETE
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"errors":["internal error"]}`)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// writeErrors writes Vault's error body; no message: {"errors":[]}.
func writeErrors(w http.ResponseWriter, code int, msgs ...string) {
	if msgs == nil {
		msgs = []string{}
	}
	writeJSON(w, code, map[string]any{"errors": msgs})
}

// respond writes Vault's response envelope around data; top adds
// top-level keys (some sys endpoints repeat their data there).
func (s *Server) respond(w http.ResponseWriter, data any, mountType string, top map[string]any) {
	s.mu.Lock()
	id := s.uuid()
	s.mu.Unlock()
	out := map[string]any{"request_id": id, "lease_id": "", "renewable": false, "lease_duration": 0,
		"data": data, "wrap_info": nil, "warnings": nil, "auth": nil, "mount_type": mountType}
	for k, v := range top {
		out[k] = v
	}
	writeJSON(w, http.StatusOK, out)
}

// ServeHTTP serves a request whose path has the /vault prefix stripped.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		writeErrors(w, http.StatusNotFound)
		return
	}
	method := r.Method
	switch {
	case method == http.MethodPost:
		method = http.MethodPut
	case method == "LIST", method == http.MethodGet && (r.URL.Query().Get("list") == "true"):
		method = "LIST"
	}
	tok := s.authenticate(r)
	if tok == nil {
		writeErrors(w, http.StatusForbidden, msgDenied)
		return
	}
	nsName := strings.Trim(r.Header.Get("X-Vault-Namespace"), "/")
	if nsName == "root" {
		nsName = ""
	}
	s.mu.Lock()
	ns := s.namespaces[nsName]
	s.mu.Unlock()
	if ns == nil {
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", nsName+"/"+p))
		return
	}
	req := request{r: r, tok: tok, ns: ns, path: p, method: method}
	switch {
	case p == "sys/mounts" && method == http.MethodGet:
		s.serveMounts(w, req)
	case strings.HasPrefix(p, "sys/internal/ui/mounts/") && method == http.MethodGet:
		s.serveUIMount(w, req, strings.TrimPrefix(p, "sys/internal/ui/mounts/"))
	case p == "sys/capabilities-self" && method == http.MethodPut:
		s.serveCapabilities(w, req)
	case p == "auth/token/lookup-self" && (method == http.MethodGet || method == http.MethodPut):
		s.serveLookupSelf(w, req)
	case strings.HasPrefix(p, "sys/"), strings.HasPrefix(p, "auth/"):
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", ns.path+p))
	default:
		s.serveKV(w, req)
	}
}

// authenticate finds the request's token (X-Vault-Token, or a bearer
// Authorization header).
func (s *Server) authenticate(r *http.Request) *token {
	v := r.Header.Get("X-Vault-Token")
	if v == "" {
		v, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if v == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureTokensLocked()
	for val, t := range s.tokens {
		if subtle.ConstantTimeCompare([]byte(val), []byte(v)) == 1 {
			return t
		}
	}
	return nil
}

// mountFor finds the mount that serves path (the longest mount path that
// prefixes it) and the rest of the path.
func (ns *namespace) mountFor(path string) (*mount, string) {
	var best *mount
	for mp, m := range ns.mounts {
		if (strings.HasPrefix(path, mp) || path+"/" == mp) && (best == nil || len(mp) > len(best.path)) {
			best = m
		}
	}
	if best == nil {
		return nil, ""
	}
	return best, strings.TrimPrefix(path, best.path)
}

func mountInfo(m *mount, withPath bool) map[string]any {
	var options any
	if m.version == 2 {
		options = map[string]any{"version": "2"}
	} else {
		options = map[string]any{"version": "1"}
	}
	out := map[string]any{
		"accessor": m.accessor, "description": m.description, "type": "kv", "uuid": m.uuid, "options": options,
		"config": map[string]any{"default_lease_ttl": 0, "force_no_cache": false, "max_lease_ttl": 0},
		"local":  false, "seal_wrap": false, "external_entropy_access": false, "plugin_version": "",
		"running_plugin_version": "v0.20.0+builtin", "running_sha256": "",
	}
	if withPath {
		out["path"] = m.path
	}
	return out
}

func (s *Server) serveMounts(w http.ResponseWriter, req request) {
	if !allows(req.tok.caps("sys/mounts"), "read") {
		writeErrors(w, http.StatusForbidden, msgDenied)
		return
	}
	s.mu.Lock()
	data := map[string]any{}
	for p, m := range req.ns.mounts {
		data[p] = mountInfo(m, false)
	}
	s.mu.Unlock()
	sys := func(typ, desc string) map[string]any {
		return map[string]any{"type": typ, "description": desc, "accessor": typ + "_0000", "uuid": "00000000-0000-0000-0000-0000000000" + fmt.Sprint(len(typ)),
			"config": map[string]any{"default_lease_ttl": 0, "force_no_cache": false, "max_lease_ttl": 0}, "local": typ == "cubbyhole",
			"options": nil, "seal_wrap": typ == "system", "external_entropy_access": false}
	}
	data["cubbyhole/"] = sys("cubbyhole", "per-token private secret storage")
	data["identity/"] = sys("identity", "identity store")
	data["sys/"] = sys("system", "system endpoints used for control, policy and debugging")
	s.respond(w, data, "system", data)
}

func (s *Server) serveUIMount(w http.ResponseWriter, req request, path string) {
	s.mu.Lock()
	m, _ := req.ns.mountFor(path)
	s.mu.Unlock()
	caps := req.tok.caps(path)
	if m != nil && m.version == 2 {
		// A policy names a KV v2 path with data/ or metadata/.
		rest := strings.TrimPrefix(path, m.path)
		caps = append(req.tok.caps(m.path+"data/"+rest), req.tok.caps(m.path+"metadata/"+rest)...)
	}
	// An unknown mount is refused like a forbidden one, so this path does
	// not list mounts to whoever asks.
	if m == nil || !anyCapability(caps) {
		writeErrors(w, http.StatusForbidden, "preflight capability check returned 403, please ensure client's policies grant access to path \""+path+"\"")
		return
	}
	s.respond(w, mountInfo(m, true), "system", nil)
}

func anyCapability(caps []string) bool {
	for _, c := range caps {
		if c != "deny" {
			return true
		}
	}
	return false
}

func (s *Server) serveCapabilities(w http.ResponseWriter, req request) {
	var body struct {
		Path  string   `json:"path"`
		Paths []string `json:"paths"`
	}
	if err := decodeBody(req.r, &body); err != nil {
		writeErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	paths := body.Paths
	if body.Path != "" {
		paths = append(paths, body.Path)
	}
	if len(paths) == 0 {
		writeErrors(w, http.StatusBadRequest, "missing paths")
		return
	}
	data := map[string]any{}
	var all []string
	for _, p := range paths {
		caps := append([]string(nil), req.tok.caps(strings.TrimPrefix(p, "/"))...)
		sort.Strings(caps)
		data[p] = caps
		all = append(all, caps...)
	}
	if len(paths) == 1 {
		data["capabilities"] = data[paths[0]]
	} else {
		data["capabilities"] = dedupe(all)
	}
	s.respond(w, data, "system", data)
}

func dedupe(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, v := range list {
		if i == 0 || v != list[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) serveLookupSelf(w http.ResponseWriter, req request) {
	t := req.tok
	s.respond(w, map[string]any{
		"accessor": t.accessor, "creation_time": 1767225600, "creation_ttl": 0, "display_name": "token-" + t.name,
		"entity_id": "", "expire_time": nil, "explicit_max_ttl": 0, "id": t.value, "meta": nil, "num_uses": 0,
		"orphan": true, "path": "auth/token/create", "policies": t.policies, "renewable": false, "ttl": 0, "type": "service",
		"namespace_path": req.ns.path,
	}, "token", nil)
}

// decodeBody decodes a JSON body, numbers kept as json.Number.
func decodeBody(r *http.Request, into any) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return fmt.Errorf("failed to read request body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("failed to parse JSON input: %v", err)
	}
	return nil
}

// stamp is a time as Vault writes it.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func contentType(r *http.Request) string {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct
}

// intParam reads an integer option (a JSON number or string).
func intParam(v any) (int, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(x.String())
		return n, err == nil
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	case float64:
		return int(x), true
	}
	return 0, false
}
