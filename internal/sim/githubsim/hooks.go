package githubsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Organization and repository webhooks (docs.github.com "REST API
// endpoints for webhooks"):
//
//	GET, POST            /orgs/{org}/hooks                 /repos/{owner}/{repo}/hooks
//	GET, PATCH, DELETE   …/hooks/{hook_id}
//	GET, PATCH           …/hooks/{hook_id}/config
//	POST                 …/hooks/{hook_id}/pings
//	GET                  …/hooks/{hook_id}/deliveries[/{delivery_id}]
//	POST                 …/hooks/{hook_id}/deliveries/{delivery_id}/attempts
//
// A hook has name "web", config {url, content_type json or form (the
// default), secret, insecure_ssl "0" or "1"}, events (default ["push"];
// "*" is every event) and active (default true). Responses show the
// secret as "********", as GitHub does. Creating a hook sends it a ping
// (also POST …/pings). Invalid input is 422 Validation Failed: a config
// without url, a URL that is not http(s) or (unless Options.HookAnyHost)
// not a loopback address, a content_type or insecure_ssl GitHub does not
// take, an event name that is not one, a name other than "web", or a hook
// with the URL of one the repository or organization already has.
//
// Managing a repository's hooks needs an administrator (the token has
// Permissions.SecretsWrite or SecretScanning and is not restricted on the
// repository), an organization's an owner (SecretsWrite); otherwise 403.
// PATCH replaces the config it is given, but keeps the secret when the new
// config has none (GitHub does not document which); PATCH …/config
// changes only the fields given. The events the simulator fires are ping,
// secret_scanning_alert and secret_scanning_alert_location (events.go).

const (
	docsRepoHooks = "https://docs.github.com/rest/repos/webhooks"
	docsOrgHooks  = "https://docs.github.com/rest/orgs/webhooks"
)

// hook is an organization or repository webhook.
type hook struct {
	id          int64
	rp          *repo // a repository's hook
	org         *org  // an organization's hook (rp is nil)
	active      bool
	events      []string
	url         string
	contentType string // json or form
	secret      string
	insecureSSL string // "0" or "1"
	created     time.Time
	updated     time.Time
	last        hookResponse
	deliveries  []*delivery // oldest first
}

// hookResponse is a hook's last_response; code 0 is null.
type hookResponse struct {
	code    int
	status  string
	message string
}

// target is the installation target of the hook's deliveries.
func (h *hook) target() (typ string, id int64) {
	if h.rp != nil {
		return "repository", h.rp.id
	}
	return "organization", h.org.acct.id
}

func (h *hook) subscribed(event string) bool {
	return slices.Contains(h.events, event) || slices.Contains(h.events, "*")
}

// hookOwner is where hooks of a request live: a repository or an
// organization.
type hookOwner struct {
	rp *repo
	o  *org
}

func (ho hookOwner) owns(h *hook) bool {
	if ho.rp != nil {
		return h.rp == ho.rp
	}
	return h.rp == nil && h.org == ho.o
}

func (ho hookOwner) what() string {
	if ho.rp != nil {
		return "repository"
	}
	return "organization"
}

// hooksOf returns the owner's hooks by ID.
func (s *Server) hooksOf(ho hookOwner) []*hook {
	var out []*hook
	for _, h := range s.w.hooks {
		if ho.owns(h) {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b *hook) int { return cmp.Compare(a.id, b.id) })
	return out
}

// hooksFor returns the active hooks subscribed to event that hear about
// rp: its own and its organization's, by ID. Callers hold s.mu.
func (s *Server) hooksFor(rp *repo, event string) []*hook {
	var out []*hook
	for _, h := range s.w.hooks {
		if !h.active || !h.subscribed(event) {
			continue
		}
		if h.rp == rp || h.rp == nil && h.org != nil && h.org.acct == rp.owner {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b *hook) int { return cmp.Compare(a.id, b.id) })
	return out
}

// hookAPI is the API URL of a hook.
func (c *call) hookAPI(h *hook) string {
	if h.rp != nil {
		return c.base + "/repos/" + h.rp.fullName() + "/hooks/" + strconv.FormatInt(h.id, 10)
	}
	return c.base + "/orgs/" + h.org.acct.login + "/hooks/" + strconv.FormatInt(h.id, 10)
}

// hookJSON renders a hook as GitHub's hook (repository) or org-hook.
func (c *call) hookJSON(h *hook) map[string]any {
	api := c.hookAPI(h)
	last := map[string]any{"code": nil, "status": "unused", "message": nil}
	if h.last.status != "" {
		last = map[string]any{"code": h.last.code, "status": h.last.status, "message": h.last.message}
	}
	events := slices.Clone(h.events)
	m := map[string]any{
		"type":           "Organization",
		"id":             h.id,
		"name":           "web",
		"active":         h.active,
		"events":         events,
		"config":         hookConfigJSON(h),
		"updated_at":     ts(h.updated),
		"created_at":     ts(h.created),
		"url":            api,
		"ping_url":       api + "/pings",
		"deliveries_url": api + "/deliveries",
		"last_response":  last,
	}
	if h.rp != nil {
		m["type"] = "Repository"
		m["test_url"] = api + "/test"
	}
	return m
}

// hookConfigJSON renders a hook's config, its secret masked.
func hookConfigJSON(h *hook) map[string]any {
	m := map[string]any{"content_type": h.contentType, "insecure_ssl": h.insecureSSL, "url": h.url}
	if h.secret != "" {
		m["secret"] = "********"
	}
	return m
}

func (s *Server) hookRoutes() {
	for _, fam := range []struct {
		prefix, doc string
		scope       func(*Server, http.ResponseWriter, *http.Request, *call) (hookOwner, bool)
	}{
		{"/repos/{owner}/{repo}/hooks", docsRepoHooks, (*Server).repoHookOwner},
		{"/orgs/{org}/hooks", docsOrgHooks, (*Server).orgHookOwner},
	} {
		scope := fam.scope
		// withHook resolves the owner and {hook_id}, holding s.mu.
		withHook := func(f func(http.ResponseWriter, *http.Request, *call, hookOwner, *hook)) handlerFunc {
			return func(w http.ResponseWriter, r *http.Request, c *call) {
				s.mu.Lock()
				defer s.mu.Unlock()
				ho, ok := scope(s, w, r, c)
				if !ok {
					return
				}
				id, err := strconv.ParseInt(r.PathValue("hook_id"), 10, 64)
				h := s.w.hooks[id]
				if err != nil || h == nil || !ho.owns(h) {
					c.notFound(w)
					return
				}
				f(w, r, c, ho, h)
			}
		}
		withOwner := func(f func(http.ResponseWriter, *http.Request, *call, hookOwner)) handlerFunc {
			return func(w http.ResponseWriter, r *http.Request, c *call) {
				s.mu.Lock()
				defer s.mu.Unlock()
				if ho, ok := scope(s, w, r, c); ok {
					f(w, r, c, ho)
				}
			}
		}
		p, doc := fam.prefix, fam.doc
		s.handle("GET "+p, doc, withOwner(s.listHooks))
		s.handle("POST "+p, doc, withOwner(s.createHook))
		s.handle("GET "+p+"/{hook_id}", doc, withHook(func(w http.ResponseWriter, _ *http.Request, c *call, _ hookOwner, h *hook) {
			writeJSON(w, http.StatusOK, c.hookJSON(h))
		}))
		s.handle("PATCH "+p+"/{hook_id}", doc, withHook(s.updateHook))
		s.handle("DELETE "+p+"/{hook_id}", doc, withHook(func(w http.ResponseWriter, _ *http.Request, _ *call, _ hookOwner, h *hook) {
			delete(s.w.hooks, h.id)
			writeNoContent(w)
		}))
		s.handle("GET "+p+"/{hook_id}/config", doc, withHook(func(w http.ResponseWriter, _ *http.Request, _ *call, _ hookOwner, h *hook) {
			writeJSON(w, http.StatusOK, hookConfigJSON(h))
		}))
		s.handle("PATCH "+p+"/{hook_id}/config", doc, withHook(s.updateHookConfig))
		s.handle("POST "+p+"/{hook_id}/pings", doc, withHook(func(w http.ResponseWriter, _ *http.Request, c *call, _ hookOwner, h *hook) {
			s.emitPing(h, c)
			writeNoContent(w)
		}))
		s.handle("GET "+p+"/{hook_id}/deliveries", doc, withHook(func(w http.ResponseWriter, r *http.Request, c *call, _ hookOwner, h *hook) {
			s.listDeliveries(w, r, c, h)
		}))
		s.handle("GET "+p+"/{hook_id}/deliveries/{delivery_id}", doc, withHook(func(w http.ResponseWriter, r *http.Request, c *call, _ hookOwner, h *hook) {
			d := lookupDelivery(h, r)
			if d == nil {
				c.notFound(w)
				return
			}
			writeJSON(w, http.StatusOK, deliveryJSON(d))
		}))
		s.handle("POST "+p+"/{hook_id}/deliveries/{delivery_id}/attempts", doc, withHook(func(w http.ResponseWriter, r *http.Request, c *call, _ hookOwner, h *hook) {
			d := lookupDelivery(h, r)
			if d == nil {
				c.notFound(w)
				return
			}
			s.redeliver(w, h, d)
		}))
	}
}

// repoHookOwner resolves {owner}/{repo} for a hooks endpoint: 404 for an
// unknown repository, 403 without administrator access. Callers hold
// s.mu.
func (s *Server) repoHookOwner(w http.ResponseWriter, r *http.Request, c *call) (hookOwner, bool) {
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return hookOwner{}, false
	}
	if !(c.perms.SecretsWrite || c.perms.SecretScanning) || c.readOnlyOn(rp) {
		c.forbidden(w)
		return hookOwner{}, false
	}
	return hookOwner{rp: rp}, true
}

// orgHookOwner resolves {org}: 404 for an unknown organization, 403 for a
// token that is not an owner's. Callers hold s.mu.
func (s *Server) orgHookOwner(w http.ResponseWriter, r *http.Request, c *call) (hookOwner, bool) {
	o := s.lookupOrg(r)
	if o == nil {
		c.notFound(w)
		return hookOwner{}, false
	}
	if !c.perms.SecretsWrite {
		c.forbidden(w)
		return hookOwner{}, false
	}
	return hookOwner{o: o}, true
}

func (s *Server) listHooks(w http.ResponseWriter, r *http.Request, c *call, ho hookOwner) {
	hooks := s.hooksOf(ho)
	start, end := c.paginate(w, r, len(hooks))
	out := make([]map[string]any, 0, end-start)
	for _, h := range hooks[start:end] {
		out = append(out, c.hookJSON(h))
	}
	writeJSON(w, http.StatusOK, out)
}

// hookBody is a create or update request.
type hookBody struct {
	Name         *string         `json:"name"`
	Config       json.RawMessage `json:"config"`
	Events       []string        `json:"events"`
	AddEvents    []string        `json:"add_events"`
	RemoveEvents []string        `json:"remove_events"`
	Active       *bool           `json:"active"`
}

// hookConfig is a config as requests give it; insecure_ssl may be a
// string or a number.
type hookConfig struct {
	URL         *string `json:"url"`
	ContentType *string `json:"content_type"`
	Secret      *string `json:"secret"`
	InsecureSSL any     `json:"insecure_ssl"`
}

var eventName = regexp.MustCompile(`^[a-z][a-z_]*$`)

// validationFailed writes GitHub's 422 Validation Failed with one custom
// error on the Hook resource.
func (c *call) validationFailed(w http.ResponseWriter, format string, args ...any) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]any{{"resource": "Hook", "code": "custom", "message": fmt.Sprintf(format, args...)}},
		"documentation_url": c.doc,
		"status":            "422",
	})
}

// applyConfig checks cfg and sets it on h (fields cfg leaves out keep
// their value). It reports false after answering 422.
func (s *Server) applyConfig(w http.ResponseWriter, c *call, h *hook, cfg hookConfig) bool {
	if cfg.URL != nil {
		u, err := url.Parse(*cfg.URL)
		switch {
		case *cfg.URL == "":
			c.validationFailed(w, "Config must contain a URL for webhooks.")
			return false
		case err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			c.validationFailed(w, "url %q is not a valid http or https URL.", *cfg.URL)
			return false
		case !s.opts.HookAnyHost && !isLoopbackURL(u):
			c.validationFailed(w, "url %q is not a loopback address: the simulator delivers webhooks only to 127.0.0.1, ::1 or localhost (it is a test server).", *cfg.URL)
			return false
		}
		h.url = *cfg.URL
	}
	if cfg.ContentType != nil {
		if *cfg.ContentType != "json" && *cfg.ContentType != "form" {
			c.validationFailed(w, "content_type %q is not json or form.", *cfg.ContentType)
			return false
		}
		h.contentType = *cfg.ContentType
	}
	if cfg.Secret != nil {
		h.secret = *cfg.Secret
	}
	if cfg.InsecureSSL != nil {
		v := fmt.Sprint(cfg.InsecureSSL)
		if v != "0" && v != "1" {
			c.validationFailed(w, "insecure_ssl %q is not 0 or 1.", v)
			return false
		}
		h.insecureSSL = v
	}
	return true
}

// checkEvents answers 422 for an event name GitHub would not take.
func checkEvents(w http.ResponseWriter, c *call, lists ...[]string) bool {
	for _, l := range lists {
		for _, e := range l {
			if e != "*" && !eventName.MatchString(e) {
				c.validationFailed(w, "%q is not a valid event name.", e)
				return false
			}
		}
	}
	return true
}

// decodeConfig decodes a request's config object; ok false after a 422.
func decodeConfig(w http.ResponseWriter, c *call, raw json.RawMessage) (hookConfig, bool) {
	var cfg hookConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		c.validationFailed(w, "config must be an object with url, content_type, secret and insecure_ssl.")
		return hookConfig{}, false
	}
	return cfg, true
}

func (s *Server) createHook(w http.ResponseWriter, r *http.Request, c *call, ho hookOwner) {
	var b hookBody
	if !c.decodeBody(w, r, &b) {
		return
	}
	if b.Name != nil && *b.Name != "web" {
		c.validationFailed(w, "name %q is not valid: the only name is web.", *b.Name)
		return
	}
	if len(b.Config) == 0 || string(b.Config) == "null" {
		c.validationFailed(w, "Config must contain a URL for webhooks.")
		return
	}
	cfg, ok := decodeConfig(w, c, b.Config)
	if !ok {
		return
	}
	if cfg.URL == nil {
		c.validationFailed(w, "Config must contain a URL for webhooks.")
		return
	}
	if !checkEvents(w, c, b.Events) {
		return
	}
	now := s.now()
	h := &hook{id: s.w.nextHookID, rp: ho.rp, org: ho.o, active: true, events: []string{"push"},
		contentType: "form", insecureSSL: "0", created: now, updated: now}
	if !s.applyConfig(w, c, h, cfg) {
		return
	}
	for _, other := range s.hooksOf(ho) {
		if other.url == h.url {
			c.validationFailed(w, "Hook already exists on this %s", ho.what())
			return
		}
	}
	if len(b.Events) > 0 {
		h.events = slices.Compact(slices.Clone(b.Events))
	}
	if b.Active != nil {
		h.active = *b.Active
	}
	s.w.nextHookID++
	s.w.hooks[h.id] = h
	w.Header().Set("Location", c.hookAPI(h))
	writeJSON(w, http.StatusCreated, c.hookJSON(h))
	s.emitPing(h, c)
}

func (s *Server) updateHook(w http.ResponseWriter, r *http.Request, c *call, ho hookOwner, h *hook) {
	var b hookBody
	if !c.decodeBody(w, r, &b) {
		return
	}
	if b.Name != nil && *b.Name != "web" {
		c.validationFailed(w, "name %q is not valid: the only name is web.", *b.Name)
		return
	}
	if !checkEvents(w, c, b.Events, b.AddEvents, b.RemoveEvents) {
		return
	}
	next := *h
	if len(b.Config) > 0 && string(b.Config) != "null" {
		cfg, ok := decodeConfig(w, c, b.Config)
		if !ok {
			return
		}
		if cfg.URL == nil {
			c.validationFailed(w, "Config must contain a URL for webhooks.")
			return
		}
		// The new config replaces the old; the secret stays if not given.
		next.contentType, next.insecureSSL = "form", "0"
		if !s.applyConfig(w, c, &next, cfg) {
			return
		}
		for _, other := range s.hooksOf(ho) {
			if other != h && other.url == next.url {
				c.validationFailed(w, "Hook already exists on this %s", ho.what())
				return
			}
		}
	}
	if b.Events != nil {
		next.events = slices.Compact(slices.Clone(b.Events))
	}
	if ho.rp != nil {
		for _, e := range b.AddEvents {
			if !slices.Contains(next.events, e) {
				next.events = append(slices.Clone(next.events), e)
			}
		}
		if len(b.RemoveEvents) > 0 {
			next.events = slices.DeleteFunc(slices.Clone(next.events), func(e string) bool { return slices.Contains(b.RemoveEvents, e) })
		}
	}
	if b.Active != nil {
		next.active = *b.Active
	}
	next.updated = s.now()
	*h = next
	writeJSON(w, http.StatusOK, c.hookJSON(h))
}

func (s *Server) updateHookConfig(w http.ResponseWriter, r *http.Request, c *call, ho hookOwner, h *hook) {
	var raw json.RawMessage
	if !c.decodeBody(w, r, &raw) {
		return
	}
	cfg, ok := decodeConfig(w, c, raw)
	if !ok {
		return
	}
	next := *h
	if !s.applyConfig(w, c, &next, cfg) {
		return
	}
	for _, other := range s.hooksOf(ho) {
		if other != h && other.url == next.url {
			c.validationFailed(w, "Hook already exists on this %s", ho.what())
			return
		}
	}
	next.updated = s.now()
	*h = next
	writeJSON(w, http.StatusOK, hookConfigJSON(h))
}

// hookOwnerName is how Snapshot names a hook's owner: OWNER/NAME or the
// organization's login.
func hookOwnerName(h *hook) string {
	if h.rp != nil {
		return h.rp.fullName()
	}
	return h.org.acct.login
}
