package githubsim

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// getGitRef serves GET /repos/{o}/{r}/git/ref/{ref...}: heads/NAME or
// tags/NAME.
func (s *Server) getGitRef(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	ref := r.PathValue("ref")
	kind, name, ok := strings.Cut(ref, "/")
	var sha string
	switch {
	case ok && kind == "heads":
		sha, ok = rp.branches[name]
	case ok && kind == "tags":
		sha, ok = rp.tags[name]
	default:
		ok = false
	}
	if !ok {
		c.notFound(w)
		return
	}
	api := c.base + "/repos/" + rp.fullName()
	objType, objURL := "commit", api+"/git/commits/"+sha
	writeJSON(w, http.StatusOK, map[string]any{
		"ref":     "refs/" + ref,
		"node_id": nodeIDString("REF", rp.fullName()+"/refs/"+ref),
		"url":     api + "/git/refs/" + refPath(ref),
		"object":  map[string]any{"type": objType, "sha": sha, "url": objURL},
	})
}

// refPath escapes each segment of a ref for a URL path.
func refPath(ref string) string {
	parts := strings.Split(ref, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func nodeIDString(prefix, s string) string {
	return prefix + "_" + base64.RawURLEncoding.EncodeToString([]byte("sim:"+s))
}

// getBranch serves GET /repos/{o}/{r}/branches/{branch...} as a
// branch-with-protection (no protection). GitHub answers 404 "Branch not
// found" for an unknown branch.
func (s *Server) getBranch(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	name := r.PathValue("branch")
	sha, ok := rp.branches[name]
	if !ok {
		writeError(w, http.StatusNotFound, "Branch not found", c.doc)
		return
	}
	api := c.base + "/repos/" + rp.fullName()
	html := c.web + "/" + rp.fullName()
	author := c.userJSON(rp.owner)
	gitUser := map[string]any{"name": rp.owner.login, "email": rp.owner.login + "@users.noreply.github.com", "date": ts(seedEpoch)}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": name,
		"commit": map[string]any{
			"url":          api + "/commits/" + sha,
			"sha":          sha,
			"node_id":      nodeIDString("C", rp.fullName()+"/"+sha),
			"html_url":     html + "/commit/" + sha,
			"comments_url": api + "/commits/" + sha + "/comments",
			"commit": map[string]any{
				"url":           api + "/git/commits/" + sha,
				"author":        gitUser,
				"committer":     gitUser,
				"message":       "Deploy " + name,
				"comment_count": 0,
				"tree":          map[string]any{"sha": treeSHA(sha), "url": api + "/git/trees/" + treeSHA(sha)},
				"verification":  map[string]any{"verified": false, "reason": "unsigned", "payload": nil, "signature": nil, "verified_at": nil},
			},
			"author":    author,
			"committer": author,
			"parents":   []any{},
		},
		"_links":         map[string]any{"self": api + "/branches/" + refPath(name), "html": html + "/tree/" + refPath(name)},
		"protected":      false,
		"protection":     map[string]any{"enabled": false, "required_status_checks": map[string]any{"enforcement_level": "off", "contexts": []string{}, "checks": []any{}}},
		"protection_url": api + "/branches/" + refPath(name) + "/protection",
	})
}

// workflowsDir is where workflow files live in a repository.
const workflowsDir = ".github/workflows/"

// getContent serves GET /repos/{o}/{r}/contents/{path...}?ref=… for the
// workflow files, the only content the simulator has: every workflow is
// present on every branch and tag. An unknown ref is a 404 "No commit
// found for the ref X", as on GitHub.
func (s *Server) getContent(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = rp.defaultBranch
	}
	if _, _, _, ok := rp.resolveRef(ref); !ok {
		writeError(w, http.StatusNotFound, "No commit found for the ref "+ref, c.doc)
		return
	}
	p := strings.Trim(r.PathValue("path"), "/")
	file, ok := strings.CutPrefix(p, workflowsDir)
	var wf *workflow
	if ok && !strings.Contains(file, "/") {
		for _, x := range rp.workflows {
			if x.file == file {
				wf = x
			}
		}
	}
	if wf == nil {
		c.notFound(w)
		return
	}
	data := []byte(wf.yaml())
	sum := sha1.Sum(fmt.Appendf(nil, "blob %d\x00%s", len(data), data)) // git's blob SHA
	blob := hex.EncodeToString(sum[:])
	api := c.base + "/repos/" + rp.fullName()
	self := api + "/contents/" + workflowsDir + url.PathEscape(wf.file) + "?ref=" + url.QueryEscape(ref)
	html := c.web + "/" + rp.fullName() + "/blob/" + refPath(ref) + "/" + workflowsDir + url.PathEscape(wf.file)
	gitURL := api + "/git/blobs/" + blob
	writeJSON(w, http.StatusOK, map[string]any{
		"type":         "file",
		"encoding":     "base64",
		"size":         len(data),
		"name":         wf.file,
		"path":         workflowsDir + wf.file,
		"content":      wrapBase64(base64.StdEncoding.EncodeToString(data)),
		"sha":          blob,
		"url":          self,
		"git_url":      gitURL,
		"html_url":     html,
		"download_url": c.web + "/raw/" + rp.fullName() + "/" + refPath(ref) + "/" + workflowsDir + url.PathEscape(wf.file),
		"_links":       map[string]any{"self": self, "git": gitURL, "html": html},
	})
}

// wrapBase64 breaks base64 into lines of 60 characters with a final newline,
// the way GitHub's contents API sends it (clients must ignore the
// newlines).
func wrapBase64(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}

// yaml renders the workflow's file, consistent with its trigger and
// inputs. The on: key takes the three forms GitHub accepts: a mapping when
// workflow_dispatch has inputs, a list when it has none, and a single event
// (push) when the workflow cannot be dispatched.
func (wf *workflow) yaml() string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // a JSON string is a YAML double-quoted scalar
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\n", q(wf.name))
	switch {
	case wf.dispatch && len(wf.inputs) > 0:
		b.WriteString("on:\n  push:\n    branches: [main]\n  workflow_dispatch:\n    inputs:\n")
		for _, in := range wf.inputs {
			fmt.Fprintf(&b, "      %s:\n", in.Name)
			if in.Description != "" {
				fmt.Fprintf(&b, "        description: %s\n", q(in.Description))
			}
			fmt.Fprintf(&b, "        required: %t\n", in.Required)
			if in.Default != "" {
				fmt.Fprintf(&b, "        default: %s\n", q(in.Default))
			}
			typ := in.Type
			if typ == "" {
				typ = "string"
			}
			fmt.Fprintf(&b, "        type: %s\n", typ)
		}
	case wf.dispatch:
		b.WriteString("on: [push, workflow_dispatch]\n")
	default:
		b.WriteString("on: push\n")
	}
	b.WriteString("\njobs:\n  " + jobID(wf.name) + ":\n    runs-on: ubuntu-latest\n")
	if wf.environment != "" {
		fmt.Fprintf(&b, "    environment: %s\n", q(wf.environment))
	}
	b.WriteString("    steps:\n      - uses: actions/checkout@v4\n      - run: ./scripts/" + jobID(wf.name) + ".sh\n")
	return b.String()
}

// jobID turns a workflow name into a job ID.
func jobID(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	id := strings.Trim(b.String(), "-")
	if id == "" || id[0] >= '0' && id[0] <= '9' {
		id = "job-" + id
	}
	return id
}
