package githubsim

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/nacl/box"
)

const (
	appActions    = "actions"
	appDependabot = "dependabot"
)

// maxSecretSize is GitHub's limit on a secret value (48 KB).
const maxSecretSize = 48 * 1024

// base64Pattern is the encrypted_value pattern of the OpenAPI description.
var base64Pattern = regexp.MustCompile(`^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$`)

// Messages of 422 answers to a secret PUT. The "wasn't supplied" and
// improperly-encrypted texts are GitHub's (octokit/request.js#403,
// terraform-provider-github#2315). GitHub's exact text for a key_id that is
// not the current key is not documented; the simulator answers it, like an
// undecryptable value, with the improperly-encrypted message.
const (
	msgNotSupplied      = "Invalid request.\n\n%q wasn't supplied."
	msgBadlyEncrypted   = "Bad request - validation failed due to an improperly encrypted secret"
	msgNotBase64        = "Invalid request.\n\nThe value of encrypted_value does not match /" + `^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$` + "/."
	msgNotString        = "Invalid request.\n\nFor 'properties/%s', the value is not a string."
	msgBadVisibility    = "Invalid request.\n\nFor 'properties/visibility', %q is not one of [\"all\", \"private\", \"selected\"]."
	msgSelectedOnly     = "Invalid request.\n\nselected_repository_ids can only be provided when visibility is \"selected\"."
	msgSelectedBadItem  = "Invalid request.\n\nFor 'items', the value of selected_repository_ids is not an integer."
	msgSelectedNotInOrg = "Invalid request.\n\nRepository ID %d is not a repository of the organization %s."
	msgNotSelected      = "The visibility of secret %s is not \"selected\"; set it to \"selected\" before managing its repositories."
)

// scope is where a secrets request lands: a store, plus the organization
// for organization secrets.
type scope struct {
	store *secretStore
	org   *org   // organization secrets only
	app   string // actions or dependabot
	base  string // path of the secrets collection, for selected_repositories_url
	repo  *repo  // the repository of repository and environment secrets
}

// resolver finds the scope of a request, or nil (404). Callers hold s.mu.
type resolver func(s *Server, r *http.Request) *scope

func repoScope(app string) resolver {
	return func(s *Server, r *http.Request) *scope {
		rp := s.lookupRepo(r)
		if rp == nil {
			return nil
		}
		st := rp.actions
		if app == appDependabot {
			st = rp.dependabot
		}
		return &scope{store: st, app: app, repo: rp}
	}
}

func envScope(byID bool) resolver {
	return func(s *Server, r *http.Request) *scope {
		var rp *repo
		if byID {
			rp = s.lookupRepoID(r)
		} else {
			rp = s.lookupRepo(r)
		}
		if rp == nil {
			return nil
		}
		e := rp.env(r.PathValue("env"))
		if e == nil {
			return nil
		}
		return &scope{store: e.store, app: appActions, repo: rp}
	}
}

func orgScope(app string) resolver {
	return func(s *Server, r *http.Request) *scope {
		o := s.lookupOrg(r)
		if o == nil {
			return nil
		}
		st := o.actions
		if app == appDependabot {
			st = o.dependabot
		}
		return &scope{store: st, org: o, app: app, base: "/orgs/" + o.acct.login + "/" + app + "/secrets"}
	}
}

// secretDocs are the documentation URLs of a secrets collection's
// operations, which GitHub's errors of each operation carry.
type secretDocs struct {
	publicKey, list, get, put, del           string
	listRepos, setRepos, addRepo, removeRepo string
}

// docsForSecrets returns the documentation URLs of the secrets collection
// of a level ("repository", "environment" or "organization") on page (the
// Actions or Dependabot secrets page), as GitHub's description names them.
func docsForSecrets(page, level string) secretDocs {
	a := "a-" + level
	if level == "environment" || level == "organization" {
		a = "an-" + level
	}
	return secretDocs{
		publicKey:  page + "#get-" + a + "-public-key",
		list:       page + "#list-" + level + "-secrets",
		get:        page + "#get-" + a + "-secret",
		put:        page + "#create-or-update-" + a + "-secret",
		del:        page + "#delete-" + a + "-secret",
		listRepos:  page + "#list-selected-repositories-for-an-organization-secret",
		setRepos:   page + "#set-selected-repositories-for-an-organization-secret",
		addRepo:    page + "#add-selected-repository-to-an-organization-secret",
		removeRepo: page + "#remove-selected-repository-from-an-organization-secret",
	}
}

// secretRoutes registers the public-key, list, get, put and delete
// endpoints of a secrets collection at prefix, plus the selected-repository
// endpoints for organization collections.
func (s *Server) secretRoutes(prefix string, doc secretDocs, resolve resolver) {
	s.handle("GET "+prefix+"/public-key", doc.publicKey, s.withScope(resolve, false, s.getPublicKey))
	s.handle("GET "+prefix, doc.list, s.withScope(resolve, false, s.listSecrets))
	s.handle("GET "+prefix+"/{name}", doc.get, s.withScope(resolve, false, s.getSecret))
	s.handle("PUT "+prefix+"/{name}", doc.put, s.withScope(resolve, true, s.putSecret))
	s.handle("DELETE "+prefix+"/{name}", doc.del, s.withScope(resolve, true, s.deleteSecret))
	if strings.HasPrefix(prefix, "/orgs/") {
		s.handle("GET "+prefix+"/{name}/repositories", doc.listRepos, s.withScope(resolve, false, s.listSelectedRepos))
		s.handle("PUT "+prefix+"/{name}/repositories", doc.setRepos, s.withScope(resolve, true, s.setSelectedRepos))
		s.handle("PUT "+prefix+"/{name}/repositories/{repository_id}", doc.addRepo, s.withScope(resolve, true, s.addSelectedRepo))
		s.handle("DELETE "+prefix+"/{name}/repositories/{repository_id}", doc.removeRepo, s.withScope(resolve, true, s.removeSelectedRepo))
	}
}

type scopedFunc func(w http.ResponseWriter, r *http.Request, c *call, sc *scope)

// withScope resolves the scope under s.mu (404 when absent), checks
// SecretsWrite for writes (403), then runs h still holding s.mu.
func (s *Server) withScope(resolve resolver, write bool, h scopedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.settle() // runs that started before this request see the secrets as they were
		sc := resolve(s, r)
		if sc == nil {
			c.notFound(w)
			return
		}
		if write && (!c.perms.SecretsWrite || c.readOnlyOn(sc.repo)) {
			c.forbidden(w)
			return
		}
		h(w, r, c, sc)
	}
}

func (s *Server) getPublicKey(w http.ResponseWriter, _ *http.Request, _ *call, sc *scope) {
	writeJSON(w, http.StatusOK, map[string]string{
		"key_id": sc.store.key.id,
		"key":    base64.StdEncoding.EncodeToString(sc.store.key.pub[:]),
	})
}

func (c *call) secretJSON(sec *secret, sc *scope) map[string]any {
	m := map[string]any{"name": sec.name, "created_at": ts(sec.created), "updated_at": ts(sec.updated)}
	if sc.org != nil {
		m["visibility"] = sec.visibility
		if sec.visibility == "selected" {
			m["selected_repositories_url"] = c.base + sc.base + "/" + sec.name + "/repositories"
		}
	}
	return m
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request, c *call, sc *scope) {
	all := sortedValues(sc.store.secrets)
	start, end := c.paginate(w, r, len(all))
	out := make([]map[string]any, 0, end-start)
	for _, sec := range all[start:end] {
		out = append(out, c.secretJSON(sec, sc))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(all), "secrets": out})
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request, c *call, sc *scope) {
	sec := sc.store.secrets[strings.ToUpper(r.PathValue("name"))]
	if sec == nil {
		c.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, c.secretJSON(sec, sc))
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request, c *call, sc *scope) {
	key := strings.ToUpper(r.PathValue("name"))
	if sc.store.secrets[key] == nil {
		c.notFound(w)
		return
	}
	delete(sc.store.secrets, key)
	writeNoContent(w)
}

// putBody is a secret PUT; fields are decoded loosely so that wrong types
// get GitHub's 422 rather than a JSON parse error.
type putBody struct {
	EncryptedValue        any `json:"encrypted_value"`
	KeyID                 any `json:"key_id"`
	Visibility            any `json:"visibility"`
	SelectedRepositoryIDs any `json:"selected_repository_ids"`
}

// putSecret creates (201, body {}) or updates (204) a secret after checking
// the body, the key ID and that the value decrypts with the scope's key.
func (s *Server) putSecret(w http.ResponseWriter, r *http.Request, c *call, sc *scope) {
	name := r.PathValue("name")
	if msg := checkSecretName(name); msg != "" {
		c.unprocessable(w, "Invalid request.\n\n%s.", strings.ToUpper(msg[:1])+msg[1:])
		return
	}
	var body putBody
	if !c.decodeBody(w, r, &body) {
		return
	}
	if body.EncryptedValue == nil {
		c.unprocessable(w, msgNotSupplied, "encrypted_value")
		return
	}
	if body.KeyID == nil {
		c.unprocessable(w, msgNotSupplied, "key_id")
		return
	}
	enc, ok := body.EncryptedValue.(string)
	if !ok {
		c.unprocessable(w, msgNotString, "encrypted_value")
		return
	}
	var keyID string
	switch v := body.KeyID.(type) {
	case string:
		keyID = v
	case json.Number: // some GHES versions use numeric key IDs; accept both
		keyID = v.String()
	default:
		c.unprocessable(w, msgNotString, "key_id")
		return
	}

	var visibility string
	var selected map[int64]bool
	if sc.org != nil {
		if body.Visibility == nil {
			c.unprocessable(w, msgNotSupplied, "visibility")
			return
		}
		v, ok := body.Visibility.(string)
		if !ok {
			c.unprocessable(w, msgNotString, "visibility")
			return
		}
		if !validVisibility(v) {
			c.unprocessable(w, msgBadVisibility, v)
			return
		}
		visibility = v
		ids, msg := s.parseRepoIDs(body.SelectedRepositoryIDs, sc)
		if msg != "" {
			c.unprocessable(w, "%s", msg)
			return
		}
		if len(ids) > 0 && v != "selected" {
			c.unprocessable(w, msgSelectedOnly)
			return
		}
		selected = map[int64]bool{}
		for _, id := range ids {
			selected[id] = true
		}
	}

	if !base64Pattern.MatchString(enc) {
		c.unprocessable(w, msgNotBase64)
		return
	}
	ct, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		c.unprocessable(w, msgNotBase64)
		return
	}
	key := sc.store.key
	if keyID != key.id {
		c.unprocessable(w, msgBadlyEncrypted)
		return
	}
	plain, ok := box.OpenAnonymous(nil, ct, &key.pub, &key.priv)
	if !ok {
		c.unprocessable(w, msgBadlyEncrypted)
		return
	}
	if len(plain) > maxSecretSize {
		c.unprocessable(w, "Invalid request.\n\nSecret value exceeds the maximum size of 48 KB.")
		return
	}

	if sc.org != nil && visibility != "selected" {
		selected = nil
	}
	if storeSecret(sc.store, name, string(plain), s.now(), visibility, selected) {
		writeJSON(w, http.StatusCreated, struct{}{})
		return
	}
	writeNoContent(w)
}

// parseRepoIDs reads selected_repository_ids: integers, or for Dependabot
// also numeric strings (go-github and gh send strings there). Every ID must
// be a repository of the scope's organization. It returns the IDs or a 422
// message.
func (s *Server) parseRepoIDs(v any, sc *scope) ([]int64, string) {
	if v == nil {
		return nil, ""
	}
	items, ok := v.([]any)
	if !ok {
		return nil, "Invalid request.\n\nFor 'properties/selected_repository_ids', the value is not an array."
	}
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		var id int64
		var err error
		switch x := it.(type) {
		case json.Number:
			id, err = x.Int64()
		case string:
			if sc.app != appDependabot {
				return nil, msgSelectedBadItem
			}
			id, err = strconv.ParseInt(x, 10, 64)
		default:
			return nil, msgSelectedBadItem
		}
		if err != nil {
			return nil, msgSelectedBadItem
		}
		if rp := s.w.reposByID[id]; rp == nil || rp.owner != sc.org.acct {
			return nil, fmt.Sprintf(msgSelectedNotInOrg, id, sc.org.acct.login)
		}
		ids = append(ids, id)
	}
	return ids, ""
}

// orgSecret finds the organization secret of the request; it answers 404 if
// there is none and 409 if its visibility is not "selected".
func orgSecret(w http.ResponseWriter, r *http.Request, c *call, sc *scope) *secret {
	sec := sc.store.secrets[strings.ToUpper(r.PathValue("name"))]
	if sec == nil {
		c.notFound(w)
		return nil
	}
	if sec.visibility != "selected" {
		writeError(w, http.StatusConflict, fmt.Sprintf(msgNotSelected, sec.name), c.doc)
		return nil
	}
	return sec
}

func (s *Server) listSelectedRepos(w http.ResponseWriter, r *http.Request, c *call, sc *scope) {
	sec := orgSecret(w, r, c, sc)
	if sec == nil {
		return
	}
	ids := sortedIDs(sec.selected)
	start, end := c.paginate(w, r, len(ids))
	out := make([]map[string]any, 0, end-start)
	for _, id := range ids[start:end] {
		if rp := s.w.reposByID[id]; rp != nil {
			out = append(out, c.repoJSON(rp))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(ids), "repositories": out})
}

func (s *Server) setSelectedRepos(w http.ResponseWriter, r *http.Request, c *call, sc *scope) {
	sec := orgSecret(w, r, c, sc)
	if sec == nil {
		return
	}
	var body struct {
		SelectedRepositoryIDs any `json:"selected_repository_ids"`
	}
	if !c.decodeBody(w, r, &body) {
		return
	}
	if body.SelectedRepositoryIDs == nil {
		c.unprocessable(w, msgNotSupplied, "selected_repository_ids")
		return
	}
	ids, msg := s.parseRepoIDs(body.SelectedRepositoryIDs, sc)
	if msg != "" {
		c.unprocessable(w, "%s", msg)
		return
	}
	sec.selected = map[int64]bool{}
	for _, id := range ids {
		sec.selected[id] = true
	}
	writeNoContent(w)
}

// selectedRepoID reads {repository_id}; it answers 409 for a secret whose
// visibility is not "selected" and 422 for an ID that is not a repository
// of the organization.
func (s *Server) selectedRepoID(w http.ResponseWriter, r *http.Request, c *call, sc *scope) (*secret, int64) {
	sec := orgSecret(w, r, c, sc)
	if sec == nil {
		return nil, 0
	}
	id, err := strconv.ParseInt(r.PathValue("repository_id"), 10, 64)
	if err != nil {
		c.notFound(w)
		return nil, 0
	}
	if rp := s.w.reposByID[id]; rp == nil || rp.owner != sc.org.acct {
		c.unprocessable(w, msgSelectedNotInOrg, id, sc.org.acct.login)
		return nil, 0
	}
	return sec, id
}

func (s *Server) addSelectedRepo(w http.ResponseWriter, r *http.Request, c *call, sc *scope) {
	sec, id := s.selectedRepoID(w, r, c, sc)
	if sec == nil {
		return
	}
	if sec.selected == nil {
		sec.selected = map[int64]bool{}
	}
	sec.selected[id] = true
	writeNoContent(w)
}

func (s *Server) removeSelectedRepo(w http.ResponseWriter, r *http.Request, c *call, sc *scope) {
	sec, id := s.selectedRepoID(w, r, c, sc)
	if sec == nil {
		return
	}
	delete(sec.selected, id)
	writeNoContent(w)
}

// listRepoOrgSecrets lists the organization Actions secrets a repository
// can use: visibility "all", "private" when the repository is private, and
// "selected" when it is selected.
func (s *Server) listRepoOrgSecrets(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	var visible []*secret
	if o := s.w.orgs[strings.ToLower(rp.owner.login)]; o != nil {
		for _, sec := range sortedValues(o.actions.secrets) {
			if sec.visibility == "all" || sec.visibility == "private" && rp.private || sec.selected[rp.id] {
				visible = append(visible, sec)
			}
		}
	}
	slices.SortFunc(visible, func(a, b *secret) int { return cmp.Compare(a.name, b.name) })
	start, end := c.paginate(w, r, len(visible))
	out := make([]map[string]any, 0, end-start)
	for _, sec := range visible[start:end] {
		out = append(out, map[string]any{"name": sec.name, "created_at": ts(sec.created), "updated_at": ts(sec.updated)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(visible), "secrets": out})
}
