package vaultsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
)

// serveKV serves the KV engines' paths.
func (s *Server) serveKV(w http.ResponseWriter, req request) {
	s.mu.Lock()
	m, rest := req.ns.mountFor(req.path)
	s.mu.Unlock()
	if m == nil {
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", req.ns.path+req.path))
		return
	}
	if m.version == 1 {
		s.serveKV1(w, req, m, rest)
		return
	}
	op, path, _ := strings.Cut(rest, "/")
	need := map[string]string{http.MethodGet: "read", "LIST": "list", http.MethodPut: "update", http.MethodPatch: "patch", http.MethodDelete: "delete"}[req.method]
	switch op {
	case "delete", "undelete", "destroy":
		need = "update"
	}
	caps := req.tok.caps(req.path)
	if req.method == http.MethodPut && op == "data" {
		s.mu.Lock()
		sec := m.secrets[path]
		s.mu.Unlock()
		if sec == nil || sec.current == 0 {
			need = "create"
		}
	}
	if need == "" || !allows(caps, need) {
		if need == "" {
			writeErrors(w, http.StatusMethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n")
			return
		}
		writeErrors(w, http.StatusForbidden, "1 error occurred:\n\t* permission denied\n\n")
		return
	}
	switch {
	case op == "config" && path == "":
		s.serveConfig(w, req, m)
	case path == "" && !(op == "metadata" && req.method == "LIST"):
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", req.ns.path+req.path))
	case op == "data":
		s.serveData(w, req, m, path)
	case op == "metadata":
		s.serveMetadata(w, req, m, path)
	case op == "delete" || op == "undelete" || op == "destroy":
		s.serveVersions(w, req, m, op, path)
	default:
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", req.ns.path+req.path))
	}
}

func (s *Server) serveData(w http.ResponseWriter, req request, m *mount, path string) {
	switch req.method {
	case http.MethodGet:
		s.readData(w, req, m, path)
	case http.MethodPut, http.MethodPatch:
		s.writeData(w, req, m, path)
	case http.MethodDelete:
		s.mu.Lock()
		if sec := m.secrets[path]; sec != nil {
			if v := sec.versions[sec.current]; v != nil && v.deleted.IsZero() {
				v.deleted = s.now()
			}
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErrors(w, http.StatusMethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n")
	}
}

func versionMetadata(sec *kvSecret, n int, v *version) map[string]any {
	var custom any
	if len(sec.customMetadata) > 0 {
		custom = sec.customMetadata
	}
	return map[string]any{"created_time": stamp(v.created), "custom_metadata": custom, "deletion_time": stamp(v.deleted), "destroyed": v.destroyed, "version": n}
}

func (s *Server) readData(w http.ResponseWriter, req request, m *mount, path string) {
	s.mu.Lock()
	sec := m.secrets[path]
	n := 0
	if sec != nil {
		n = sec.current
	}
	if q := req.r.URL.Query().Get("version"); q != "" && q != "0" {
		var err error
		if n, err = strconv.Atoi(q); err != nil {
			s.mu.Unlock()
			writeErrors(w, http.StatusBadRequest, "invalid version "+strconv.Quote(q))
			return
		}
	}
	var v *version
	if sec != nil {
		v = sec.versions[n]
	}
	if v == nil {
		s.mu.Unlock()
		writeErrors(w, http.StatusNotFound)
		return
	}
	meta := versionMetadata(sec, n, v)
	var data map[string]any
	if v.live() {
		data = copyData(v.data)
	}
	s.mu.Unlock()
	if data == nil {
		// A deleted or destroyed version: 404, with its metadata.
		writeJSON(w, http.StatusNotFound, map[string]any{"data": map[string]any{"data": nil, "metadata": meta}})
		return
	}
	s.respond(w, map[string]any{"data": data, "metadata": meta}, "kv", nil)
}

func copyData(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	b, _ := json.Marshal(d)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// writeData writes a new version (PUT/POST: the data given; PATCH: the
// current data merge-patched), with check-and-set.
func (s *Server) writeData(w http.ResponseWriter, req request, m *mount, path string) {
	if req.method == http.MethodPatch && contentType(req.r) != "application/merge-patch+json" {
		writeErrors(w, http.StatusUnsupportedMediaType, "PATCH requires Content-Type application/merge-patch+json")
		return
	}
	var body struct {
		Data    json.RawMessage `json:"data"`
		Options map[string]any  `json:"options"`
	}
	if err := decodeBody(req.r, &body); err != nil {
		writeErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(body.Data) == 0 || string(body.Data) == "null" {
		writeErrors(w, http.StatusBadRequest, "no data provided")
		return
	}
	cas, hasCAS := -1, false
	if v, ok := body.Options["cas"]; ok {
		if cas, hasCAS = intParam(v); !hasCAS {
			writeErrors(w, http.StatusBadRequest, "invalid cas")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := m.secrets[path]
	current := 0
	if sec != nil {
		current = sec.current
	}
	if m.casRequiredFor(sec) && !hasCAS {
		writeErrors(w, http.StatusBadRequest, msgCASRequired)
		return
	}
	if hasCAS && cas != current {
		writeErrors(w, http.StatusBadRequest, msgCASMismatch)
		return
	}
	var data map[string]any
	if req.method == http.MethodPatch {
		var cur *version
		if sec != nil {
			cur = sec.versions[sec.current]
		}
		if !cur.live() {
			writeErrors(w, http.StatusNotFound)
			return
		}
		orig, _ := json.Marshal(cur.data)
		merged, err := jsonpatch.MergePatch(orig, body.Data)
		if err != nil {
			writeErrors(w, http.StatusBadRequest, "failed to apply merge patch: "+err.Error())
			return
		}
		if err := json.Unmarshal(merged, &data); err != nil {
			writeErrors(w, http.StatusBadRequest, "failed to apply merge patch: "+err.Error())
			return
		}
	} else if err := json.Unmarshal(body.Data, &data); err != nil || data == nil {
		writeErrors(w, http.StatusBadRequest, "data must be a JSON object")
		return
	}
	sec, n := m.put(path, data, s.now())
	meta := versionMetadata(sec, n, sec.versions[n])
	id := s.uuid()
	writeJSON(w, http.StatusOK, map[string]any{"request_id": id, "lease_id": "", "renewable": false, "lease_duration": 0,
		"data": meta, "wrap_info": nil, "warnings": nil, "auth": nil, "mount_type": "kv"})
}

func (s *Server) serveMetadata(w http.ResponseWriter, req request, m *mount, path string) {
	switch req.method {
	case "LIST":
		s.mu.Lock()
		keys := m.keys(path)
		s.mu.Unlock()
		if len(keys) == 0 {
			writeErrors(w, http.StatusNotFound)
			return
		}
		s.respond(w, map[string]any{"keys": keys}, "kv", nil)
	case http.MethodGet:
		s.mu.Lock()
		sec := m.secrets[path]
		if sec == nil {
			s.mu.Unlock()
			writeErrors(w, http.StatusNotFound)
			return
		}
		versions := map[string]any{}
		for n, v := range sec.versions {
			versions[strconv.Itoa(n)] = map[string]any{"created_time": stamp(v.created), "deletion_time": stamp(v.deleted), "destroyed": v.destroyed}
		}
		var custom any
		if len(sec.customMetadata) > 0 {
			custom = sec.customMetadata
		}
		data := map[string]any{"cas_required": sec.casRequired, "created_time": stamp(sec.created), "current_version": sec.current,
			"custom_metadata": custom, "delete_version_after": sec.deleteVersionAfter, "max_versions": sec.maxVersions,
			"oldest_version": sec.oldest, "updated_time": stamp(sec.updated), "versions": versions}
		s.mu.Unlock()
		s.respond(w, data, "kv", nil)
	case http.MethodPut, http.MethodPatch:
		if req.method == http.MethodPatch && contentType(req.r) != "application/merge-patch+json" {
			writeErrors(w, http.StatusUnsupportedMediaType, "PATCH requires Content-Type application/merge-patch+json")
			return
		}
		var body struct {
			MaxVersions        any               `json:"max_versions"`
			CASRequired        *bool             `json:"cas_required"`
			DeleteVersionAfter *string           `json:"delete_version_after"`
			CustomMetadata     map[string]string `json:"custom_metadata"`
		}
		if err := decodeBody(req.r, &body); err != nil {
			writeErrors(w, http.StatusBadRequest, err.Error())
			return
		}
		s.mu.Lock()
		sec := m.secrets[path]
		if sec == nil {
			if req.method == http.MethodPatch {
				s.mu.Unlock()
				writeErrors(w, http.StatusNotFound)
				return
			}
			now := s.now()
			sec = &kvSecret{versions: map[int]*version{}, created: now, updated: now, deleteVersionAfter: "0s"}
			m.secrets[path] = sec
		}
		if n, ok := intParam(body.MaxVersions); ok {
			sec.maxVersions = n
		}
		if body.CASRequired != nil {
			sec.casRequired = *body.CASRequired
		}
		if body.DeleteVersionAfter != nil {
			sec.deleteVersionAfter = *body.DeleteVersionAfter
		}
		if body.CustomMetadata != nil {
			sec.customMetadata = body.CustomMetadata
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.mu.Lock()
		delete(m.secrets, path)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) serveVersions(w http.ResponseWriter, req request, m *mount, op, path string) {
	if req.method != http.MethodPut {
		writeErrors(w, http.StatusMethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n")
		return
	}
	var body struct {
		Versions []any `json:"versions"`
	}
	if err := decodeBody(req.r, &body); err != nil {
		writeErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(body.Versions) == 0 {
		writeErrors(w, http.StatusBadRequest, "no version number provided")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := m.secrets[path]
	for _, raw := range body.Versions {
		n, ok := intParam(raw)
		if !ok || sec == nil {
			continue
		}
		v := sec.versions[n]
		if v == nil {
			continue
		}
		switch op {
		case "delete":
			if v.deleted.IsZero() {
				v.deleted = s.now()
			}
		case "undelete":
			if !v.destroyed {
				v.deleted = time.Time{}
			}
		case "destroy":
			v.destroyed, v.data = true, nil
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveConfig(w http.ResponseWriter, req request, m *mount) {
	switch req.method {
	case http.MethodGet:
		s.mu.Lock()
		data := map[string]any{"cas_required": m.casRequired, "delete_version_after": m.deleteVersionAfter, "max_versions": m.maxVersions}
		s.mu.Unlock()
		s.respond(w, data, "kv", nil)
	case http.MethodPut:
		var body struct {
			MaxVersions        any     `json:"max_versions"`
			CASRequired        *bool   `json:"cas_required"`
			DeleteVersionAfter *string `json:"delete_version_after"`
		}
		if err := decodeBody(req.r, &body); err != nil {
			writeErrors(w, http.StatusBadRequest, err.Error())
			return
		}
		s.mu.Lock()
		if n, ok := intParam(body.MaxVersions); ok {
			m.maxVersions = n
		}
		if body.CASRequired != nil {
			m.casRequired = *body.CASRequired
		}
		if body.DeleteVersionAfter != nil {
			m.deleteVersionAfter = *body.DeleteVersionAfter
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErrors(w, http.StatusMethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n")
	}
}

// serveKV1 serves a KV version 1 mount: one unversioned value per path.
func (s *Server) serveKV1(w http.ResponseWriter, req request, m *mount, path string) {
	need := map[string]string{http.MethodGet: "read", "LIST": "list", http.MethodPut: "update", http.MethodDelete: "delete"}[req.method]
	if need == "" {
		writeErrors(w, http.StatusMethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n")
		return
	}
	if !allows(req.tok.caps(req.path), need) {
		writeErrors(w, http.StatusForbidden, "1 error occurred:\n\t* permission denied\n\n")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch req.method {
	case http.MethodGet:
		d, ok := m.v1[path]
		if !ok {
			writeErrors(w, http.StatusNotFound)
			return
		}
		s.mu.Unlock()
		s.respond(w, copyData(d), "kv", nil)
		s.mu.Lock()
	case "LIST":
		keys := m.keys(path)
		if len(keys) == 0 {
			writeErrors(w, http.StatusNotFound)
			return
		}
		s.mu.Unlock()
		s.respond(w, map[string]any{"keys": keys}, "kv", nil)
		s.mu.Lock()
	case http.MethodPut:
		var data map[string]any
		if err := decodeBody(req.r, &data); err != nil || data == nil {
			writeErrors(w, http.StatusBadRequest, "no data provided")
			return
		}
		m.v1[path] = data
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		delete(m.v1, path)
		w.WriteHeader(http.StatusNoContent)
	}
}
