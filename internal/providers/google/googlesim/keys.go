package googlesim

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxPageSize bounds ListKeys' pageSize (and is its default).
const maxPageSize = 300

// keyRef is a key's path: the project as the request named it (ID or
// number), the location and the key's ID.
type keyRef struct {
	projectSeg string
	location   string
	id         string
}

// serveAPIKeys routes /v2/….
func (s *Server) serveAPIKeys(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/v2/")
	if p == "keys:lookupKey" && r.Method == http.MethodGet {
		s.lookupKey(w, r)
		return
	}
	if op, ok := strings.CutPrefix(p, "operations/"); ok && r.Method == http.MethodGet {
		s.getOperation(w, "operations/"+op)
		return
	}
	seg := strings.Split(p, "/")
	if len(seg) < 5 || seg[0] != "projects" || seg[2] != "locations" || seg[4] != "keys" || seg[1] == "" {
		notFoundPage(w, r)
		return
	}
	ref := keyRef{projectSeg: seg[1], location: seg[3]}
	switch {
	case len(seg) == 5:
		switch r.Method {
		case http.MethodGet:
			s.listKeys(w, r, ref)
		case http.MethodPost:
			s.createKey(w, r, ref)
		default:
			notFoundPage(w, r)
		}
	case len(seg) == 6 && strings.HasSuffix(seg[5], ":undelete") && r.Method == http.MethodPost:
		ref.id = strings.TrimSuffix(seg[5], ":undelete")
		s.undeleteKey(w, r, ref)
	case len(seg) == 6:
		ref.id = seg[5]
		switch r.Method {
		case http.MethodGet:
			s.getKey(w, ref)
		case http.MethodPatch:
			s.patchKey(w, r, ref)
		case http.MethodDelete:
			s.deleteKey(w, r, ref)
		default:
			notFoundPage(w, r)
		}
	case len(seg) == 7 && seg[6] == "keyString" && r.Method == http.MethodGet:
		ref.id = seg[5]
		s.getKeyString(w, ref)
	default:
		notFoundPage(w, r)
	}
}

// project finds the project a request names, by ID or number, and checks
// the caller's permission on it. The caller holds s.mu.
func (s *Server) project(seg, permission string) (*project, *googleError) {
	var found *project
	for _, p := range s.projects {
		if p.ID == seg || p.Number == seg {
			found = p
			break
		}
	}
	if found == nil || found.Denied {
		return nil, permissionDenied(permission, "projects/"+seg)
	}
	return found, nil
}

// parent checks a parent's project and location. The caller holds s.mu.
func (s *Server) parent(ref keyRef, permission string) (*project, *googleError) {
	p, e := s.project(ref.projectSeg, permission)
	if e != nil {
		return nil, e
	}
	if ref.location != "global" {
		return nil, invalidArgument("Invalid location %q: API keys are global resources; use projects/%s/locations/global.", ref.location, ref.projectSeg)
	}
	return p, nil
}

// find returns the key ref names, purged keys excluded. The caller holds
// s.mu.
func (s *Server) find(ref keyRef, permission string) (*key, *googleError) {
	p, e := s.parent(ref, permission)
	if e != nil {
		return nil, e
	}
	for _, k := range s.keys {
		if k.project == p.ID && k.id == ref.id && !k.purged {
			return k, nil
		}
	}
	return nil, notFound("The key projects/%s/locations/global/keys/%s is not found.", ref.projectSeg, ref.id)
}

func (s *Server) getKey(w http.ResponseWriter, ref keyRef) {
	s.mu.Lock()
	s.purge(s.now())
	k, e := s.find(ref, "apikeys.keys.get")
	var out keyJSON
	if e == nil {
		out = k.render(false)
	}
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getKeyString(w http.ResponseWriter, ref keyRef) {
	s.mu.Lock()
	s.purge(s.now())
	k, e := s.find(ref, "apikeys.keys.getKeyString")
	var ks string
	if e == nil {
		ks = k.keyString
	}
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	writeJSON(w, http.StatusOK, map[string]string{"keyString": ks})
}

func (s *Server) lookupKey(w http.ResponseWriter, r *http.Request) {
	ks := r.URL.Query().Get("keyString")
	if ks == "" {
		writeError(w, invalidArgument("Request contains an invalid argument: keyString is required."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge(s.now())
	var k *key
	for _, c := range s.keys {
		if c.keyString == ks {
			k = c
		}
	}
	if k == nil {
		writeError(w, notFound("API key not found."))
		return
	}
	p := s.projects[k.project]
	if p == nil || p.Denied {
		writeError(w, permissionDenied("apikeys.keys.lookup", "projects/"+projectNumber(k.project)))
		return
	}
	out := map[string]string{"parent": "projects/" + p.Number}
	if !k.purged {
		out["name"] = k.name()
	}
	writeJSON(w, http.StatusOK, out)
}

// pageToken is an opaque token naming the offset of the next page.
func pageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("keys/" + strconv.Itoa(offset)))
}

func parsePageToken(tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "keys/"))
	return n, err == nil && n >= 0 && strings.HasPrefix(string(b), "keys/")
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, ref keyRef) {
	q := r.URL.Query()
	size := maxPageSize
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, invalidArgument("Invalid value at 'page_size' (TYPE_INT32), %q", v))
			return
		}
		if n > 0 && n < maxPageSize {
			size = n
		}
	}
	offset, ok := parsePageToken(q.Get("pageToken"))
	if !ok {
		writeError(w, invalidArgument("The page token is invalid."))
		return
	}
	showDeleted := q.Get("showDeleted") == "true"
	s.mu.Lock()
	s.purge(s.now())
	p, e := s.parent(ref, "apikeys.keys.list")
	var all []keyJSON
	if e == nil {
		for _, k := range s.keys {
			if k.project != p.ID || k.purged || (!k.deleted.IsZero() && !showDeleted) {
				continue
			}
			all = append(all, k.render(false))
		}
	}
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	if offset > len(all) {
		writeError(w, invalidArgument("The page token is invalid."))
		return
	}
	end := min(offset+size, len(all))
	out := map[string]any{}
	if page := all[offset:end]; len(page) > 0 {
		out["keys"] = page
	}
	if end < len(all) {
		out["nextPageToken"] = pageToken(end)
	}
	writeJSON(w, http.StatusOK, out)
}

// keyBody is a V2Key in a request: which fields were sent matters to
// patch's implied mask.
type keyBody struct {
	DisplayName         *string           `json:"displayName"`
	Annotations         map[string]string `json:"annotations"`
	Restrictions        *Restrictions     `json:"restrictions"`
	ServiceAccountEmail string            `json:"serviceAccountEmail"`
	raw                 map[string]json.RawMessage
}

func decodeKeyBody(r *http.Request) (keyBody, *googleError) {
	var b keyBody
	var raw map[string]json.RawMessage
	if e := decodeBody(r, &raw); e != nil {
		return b, e
	}
	if raw != nil {
		enc, _ := json.Marshal(raw)
		if err := json.Unmarshal(enc, &b); err != nil {
			return b, invalidArgument("Invalid JSON payload received. %s", err.Error())
		}
	}
	b.raw = raw
	return b, nil
}

func checkDisplayName(n string) *googleError {
	if utf8.RuneCountInString(n) > 63 {
		return invalidArgument("The display name %q is longer than 63 characters.", n)
	}
	return nil
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, ref keyRef) {
	body, e := decodeKeyBody(r)
	if e != nil {
		writeError(w, e)
		return
	}
	keyID := r.URL.Query().Get("keyId")
	if keyID != "" && (!keyIDPattern.MatchString(keyID) || uuidLike.MatchString(keyID)) {
		writeError(w, invalidArgument("Invalid keyId %q: it must match [a-z]([a-z0-9-]{0,61}[a-z0-9])? and not be a UUID.", keyID))
		return
	}
	name := ""
	if body.DisplayName != nil {
		name = *body.DisplayName
	}
	if e := checkDisplayName(name); e != nil {
		writeError(w, e)
		return
	}
	restr, e := body.Restrictions.normalize()
	if e != nil {
		writeError(w, e)
		return
	}
	s.mu.Lock()
	now := s.now()
	s.purge(now)
	p, e := s.parent(ref, "apikeys.keys.create")
	if e == nil && keyID != "" {
		for _, k := range s.keys {
			if k.project == p.ID && k.id == keyID && !k.purged {
				e = alreadyExists("A key with ID %s already exists in project %s.", keyID, p.Number)
			}
		}
	}
	if e != nil {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	k := &key{project: p.ID, uid: newUUID(s.rand), displayName: name, keyString: newKeyString(s.rand),
		created: now, updated: now, annotations: maps.Clone(body.Annotations), restr: restr, saEmail: body.ServiceAccountEmail}
	k.id = keyID
	if k.id == "" {
		k.id = k.uid
	}
	s.keys = append(s.keys, k)
	op := s.startOperation(k, true, "create")
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, op)
}

func (s *Server) patchKey(w http.ResponseWriter, r *http.Request, ref keyRef) {
	body, e := decodeKeyBody(r)
	if e != nil {
		writeError(w, e)
		return
	}
	var fields []string
	if m := r.URL.Query().Get("updateMask"); m != "" {
		for _, f := range strings.Split(m, ",") {
			switch f = strings.TrimSpace(f); f {
			case "*":
				fields = append(fields, "displayName", "restrictions", "annotations")
			case "displayName", "display_name":
				fields = append(fields, "displayName")
			case "annotations":
				fields = append(fields, "annotations")
			default:
				if f == "restrictions" || strings.HasPrefix(f, "restrictions.") {
					fields = append(fields, "restrictions")
					continue
				}
				writeError(w, invalidArgument("Invalid update mask path %q: only displayName, restrictions and annotations can be updated.", f))
				return
			}
		}
	} else {
		for _, f := range []string{"displayName", "restrictions", "annotations"} {
			if _, ok := body.raw[f]; ok {
				fields = append(fields, f)
			}
		}
	}
	var restr *Restrictions
	for _, f := range fields {
		switch f {
		case "displayName":
			if body.DisplayName != nil {
				if e := checkDisplayName(*body.DisplayName); e != nil {
					writeError(w, e)
					return
				}
			}
		case "restrictions":
			if restr, e = body.Restrictions.normalize(); e != nil {
				writeError(w, e)
				return
			}
		}
	}
	s.mu.Lock()
	now := s.now()
	s.purge(now)
	k, e := s.find(ref, "apikeys.keys.update")
	if e == nil && !k.deleted.IsZero() {
		e = failedPrecondition("The key %s is deleted: undelete it before updating it.", k.name())
	}
	if e != nil {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	for _, f := range fields {
		switch f {
		case "displayName":
			k.displayName = ""
			if body.DisplayName != nil {
				k.displayName = *body.DisplayName
			}
		case "restrictions":
			k.restr = restr
		case "annotations":
			k.annotations = maps.Clone(body.Annotations)
		}
	}
	k.updated = now
	op := s.startOperation(k, false, "update")
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, op)
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, ref keyRef) {
	q := r.URL.Query()
	s.mu.Lock()
	now := s.now()
	s.purge(now)
	k, e := s.find(ref, "apikeys.keys.delete")
	switch {
	case e != nil:
	case !k.deleted.IsZero():
		e = failedPrecondition("The key %s is already deleted.", k.name())
	case q.Get("etag") != "" && q.Get("etag") != k.etag():
		e = aborted("The etag %s does not match the key's current etag: read the key again.", q.Get("etag"))
	case q.Get("checkExistingUsage") == "CHECK" && !k.lastUsed.IsZero() && now.Sub(k.lastUsed) < usageWindow:
		e = failedPrecondition("The key %s was used in the last 7 days.", k.name())
	}
	if e != nil {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	k.deleted, k.updated = now, now
	op := s.startOperation(k, false, "delete")
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, op)
}

func (s *Server) undeleteKey(w http.ResponseWriter, r *http.Request, ref keyRef) {
	var empty map[string]any
	if e := decodeBody(r, &empty); e != nil {
		writeError(w, e)
		return
	}
	s.mu.Lock()
	now := s.now()
	s.purge(now)
	k, e := s.find(ref, "apikeys.keys.undelete")
	if e == nil && k.deleted.IsZero() {
		e = failedPrecondition("The key %s is not deleted.", k.name())
	}
	if e != nil {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	k.deleted, k.updated = time.Time{}, now
	op := s.startOperation(k, false, "undelete")
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, op)
}

// opJSON is an Operation as the API writes it.
type opJSON struct {
	Name     string   `json:"name"`
	Done     bool     `json:"done,omitempty"`
	Response *keyJSON `json:"response,omitempty"`
}

// startOperation records an operation whose result is k as it is now. The
// caller holds s.mu.
func (s *Server) startOperation(k *key, withString bool, method string) opJSON {
	res := k.render(withString)
	res.Type = "type.googleapis.com/google.api.apikeys.v2.Key"
	op := &operation{name: "operations/akmf.p7-" + projectNumber(k.project) + "-" + newUUID(s.rand),
		started: time.Now(), result: res, method: method}
	s.ops[op.name] = op
	return s.renderOp(op)
}

// renderOp is an operation as it stands. The caller holds s.mu.
func (s *Server) renderOp(op *operation) opJSON {
	out := opJSON{Name: op.name}
	if s.opDelay < 0 || time.Since(op.started) >= s.opDelay {
		res := op.result
		out.Done, out.Response = true, &res
	}
	return out
}

func (s *Server) getOperation(w http.ResponseWriter, name string) {
	s.mu.Lock()
	op, ok := s.ops[name]
	var out opJSON
	if ok {
		out = s.renderOp(op)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, notFound("Operation %s not found.", name))
		return
	}
	writeJSON(w, http.StatusOK, out)
}
