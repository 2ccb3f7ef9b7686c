package githubsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// basicError is GitHub's error body.
type basicError struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
	Status           string `json:"status"`
}

// WriteError writes a GitHub error body
// {"message","documentation_url","status"} with status.
func WriteError(w http.ResponseWriter, status int, message string) {
	writeError(w, status, message, docsRoot)
}

func writeError(w http.ResponseWriter, status int, message, doc string) {
	writeJSON(w, status, basicError{Message: message, DocumentationURL: doc, Status: strconv.Itoa(status)})
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only reachable with an unencodable value, a bug in the simulator.
		http.Error(w, `{"message":"simulator failed to encode its response"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeNoContent writes a 204.
func writeNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

func (c *call) notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "Not Found", c.doc)
}

func (c *call) unprocessable(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf(format, args...), c.doc)
}

func (c *call) badRequest(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, fmt.Sprintf(format, args...), c.doc)
}

// decodeBody decodes a JSON request body into v, answering 400 "Problems
// parsing JSON" (GitHub's message) if it is not JSON. An empty body decodes
// as an empty object.
func (c *call) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
		c.badRequest(w, "Problems parsing JSON")
		return false
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) == 0 {
		b = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		c.badRequest(w, "Problems parsing JSON")
		return false
	}
	return true
}

// paginate applies page/per_page (default 30, at most 100) to a list of
// total items, sets the Link header (rel prev/next/last/first, as GitHub
// orders them) and returns the slice bounds of the requested page.
func (c *call) paginate(w http.ResponseWriter, r *http.Request, total int) (start, end int) {
	q := r.URL.Query()
	per := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	page := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max((total+per-1)/per, 1)
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, c.origin, c.origPath, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start = min((page-1)*per, total)
	end = min(start+per, total)
	return start, end
}

func nodeID(prefix string, id int64) string {
	return prefix + "_" + base64.RawURLEncoding.EncodeToString([]byte("sim:"+strconv.FormatInt(id, 10)))
}

// userJSON renders an account as a simple-user.
func (c *call) userJSON(a *account) map[string]any {
	api := c.base + "/users/" + a.login
	if a.org {
		api = c.base + "/orgs/" + a.login
	}
	return map[string]any{
		"login":               a.login,
		"id":                  a.id,
		"node_id":             nodeID(map[bool]string{true: "O", false: "U"}[a.org], a.id),
		"avatar_url":          c.web + "/avatars/u/" + strconv.FormatInt(a.id, 10),
		"gravatar_id":         "",
		"url":                 api,
		"html_url":            c.web + "/" + a.login,
		"followers_url":       c.base + "/users/" + a.login + "/followers",
		"following_url":       c.base + "/users/" + a.login + "/following{/other_user}",
		"gists_url":           c.base + "/users/" + a.login + "/gists{/gist_id}",
		"starred_url":         c.base + "/users/" + a.login + "/starred{/owner}{/repo}",
		"subscriptions_url":   c.base + "/users/" + a.login + "/subscriptions",
		"organizations_url":   c.base + "/users/" + a.login + "/orgs",
		"repos_url":           c.base + "/users/" + a.login + "/repos",
		"events_url":          c.base + "/users/" + a.login + "/events{/privacy}",
		"received_events_url": c.base + "/users/" + a.login + "/received_events",
		"type":                a.typ(),
		"site_admin":          false,
		"user_view_type":      "public",
	}
}

// repoJSON renders a repository with every field full-repository requires
// (a superset of minimal-repository and simple-repository).
func (c *call) repoJSON(r *repo) map[string]any {
	api := c.base + "/repos/" + r.fullName()
	html := c.web + "/" + r.fullName()
	m := map[string]any{
		"id":                r.id,
		"node_id":           nodeID("R", r.id),
		"name":              r.name,
		"full_name":         r.fullName(),
		"owner":             c.userJSON(r.owner),
		"private":           r.private,
		"visibility":        map[bool]string{true: "private", false: "public"}[r.private],
		"html_url":          html,
		"description":       nil,
		"fork":              false,
		"url":               api,
		"archive_url":       api + "/{archive_format}{/ref}",
		"assignees_url":     api + "/assignees{/user}",
		"blobs_url":         api + "/git/blobs{/sha}",
		"branches_url":      api + "/branches{/branch}",
		"collaborators_url": api + "/collaborators{/collaborator}",
		"comments_url":      api + "/comments{/number}",
		"commits_url":       api + "/commits{/sha}",
		"compare_url":       api + "/compare/{base}...{head}",
		"contents_url":      api + "/contents/{+path}",
		"contributors_url":  api + "/contributors",
		"deployments_url":   api + "/deployments",
		"downloads_url":     api + "/downloads",
		"events_url":        api + "/events",
		"forks_url":         api + "/forks",
		"git_commits_url":   api + "/git/commits{/sha}",
		"git_refs_url":      api + "/git/refs{/sha}",
		"git_tags_url":      api + "/git/tags{/sha}",
		"git_url":           strings.Replace(html, c.schemePrefix(), "git://", 1) + ".git",
		"issue_comment_url": api + "/issues/comments{/number}",
		"issue_events_url":  api + "/issues/events{/number}",
		"issues_url":        api + "/issues{/number}",
		"keys_url":          api + "/keys{/key_id}",
		"labels_url":        api + "/labels{/name}",
		"languages_url":     api + "/languages",
		"merges_url":        api + "/merges",
		"milestones_url":    api + "/milestones{/number}",
		"notifications_url": api + "/notifications{?since,all,participating}",
		"pulls_url":         api + "/pulls{/number}",
		"releases_url":      api + "/releases{/id}",
		"ssh_url":           "git@" + c.host() + ":" + r.fullName() + ".git",
		"stargazers_url":    api + "/stargazers",
		"statuses_url":      api + "/statuses/{sha}",
		"subscribers_url":   api + "/subscribers",
		"subscription_url":  api + "/subscription",
		"tags_url":          api + "/tags",
		"teams_url":         api + "/teams",
		"trees_url":         api + "/git/trees{/sha}",
		"clone_url":         html + ".git",
		"mirror_url":        nil,
		"hooks_url":         api + "/hooks",
		"svn_url":           html,
		"homepage":          nil,
		"language":          nil,
		"forks":             0,
		"forks_count":       0,
		"stargazers_count":  0,
		"watchers":          0,
		"watchers_count":    0,
		"size":              0,
		"default_branch":    "main",
		"open_issues":       0,
		"open_issues_count": 0,
		"is_template":       false,
		"topics":            []string{},
		"has_issues":        true,
		"has_projects":      true,
		"has_wiki":          true,
		"has_pages":         false,
		"has_downloads":     true,
		"has_discussions":   false,
		"archived":          false,
		"disabled":          false,
		"license":           nil,
		"pushed_at":         ts(seedEpoch),
		"created_at":        ts(seedEpoch),
		"updated_at":        ts(seedEpoch),
		"network_count":     0,
		"subscribers_count": 0,
	}
	if r.owner.org {
		m["organization"] = c.userJSON(r.owner)
	}
	return m
}

func (c *call) schemePrefix() string {
	if strings.HasPrefix(c.web, "https://") {
		return "https://"
	}
	return "http://"
}

func (c *call) host() string {
	if u, err := url.Parse(c.web); err == nil {
		return u.Hostname()
	}
	return c.web
}
