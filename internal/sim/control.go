package sim

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
)

// The control API is everything under /_: the simulator's own /_sim/ and
// the prefixes mounted beside it (a drill's /_drill/). Every control
// request goes through one guard, serveControl, before any route sees it:
//
//   - its Host must be this simulator (its listen address, a loopback
//     address, localhost or a name under .localhost such as
//     github.localhost), so a web page cannot read it through DNS
//     rebinding;
//   - a request from a web page of another origin (Origin, Sec-Fetch-Site)
//     is refused;
//   - a request that changes something (POST, PUT, PATCH, DELETE) must say
//     Content-Type: application/json, which a page cannot send across
//     origins without asking first;
//   - once the simulator has a controller (SetController: a drill's
//     facilitator), a route needs the controller's token unless it says
//     otherwise (AccessRuler), and every control request, allowed or
//     refused, goes into the request log (API "control") with who sent it.
//
// A route added later, under /_sim/ or any mounted prefix, is guarded the
// same way without doing anything.

// APIControl is the request log's API for control requests, logged once
// the simulator has a controller.
const APIControl = "control"

// Access says who may use a control route once the simulator has a
// controller. Without one, every route is open to whoever passes the
// host, origin and content-type checks.
type Access int

const (
	// AccessController: the controller's token only. The default for
	// every route.
	AccessController Access = iota
	// AccessParticipant: a credential the simulator issued to a person
	// (AddPerson, SetActor) or the controller's token.
	AccessParticipant
	// AccessOpen: anyone who passes the host, origin and content-type
	// checks (a drill's join: how a trainee gets credentials at all).
	AccessOpen
)

// Role is what the sender of a control request is.
type Role string

// Roles of control callers.
const (
	RoleController  Role = "controller"
	RoleParticipant Role = "participant"
	RoleAnonymous   Role = "anonymous"
)

// Caller is who sent a control request, from its credential: the
// controller, a person the simulator knows, or nobody it knows. Name is
// for people (the request log, a debrief); the credential never shows.
type Caller struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

type callerKey struct{}

// CallerOf returns who sent a control request; a handler mounted with
// Mount reads it from the request's context.
func CallerOf(ctx context.Context) Caller {
	c, ok := ctx.Value(callerKey{}).(Caller)
	if !ok {
		return Caller{Name: "anonymous", Role: RoleAnonymous}
	}
	return c
}

// Controller is who drives the control API: a drill's facilitator.
type Controller struct {
	// Name is the controller's name in the request log.
	Name string
	// Token is the credential the control API asks of them
	// (Authorization: Bearer TOKEN).
	Token secret.Value
	// Title says who the controller is in refusals, e.g. "the drill's
	// facilitator".
	Title string
}

// AccessRuler is implemented by a handler mounted with Mount whose routes
// are not all the controller's: it says who may call the route r is for.
type AccessRuler interface {
	ControlAccess(r *http.Request) Access
}

// ErrResetLocked is returned by Reset while LockReset holds.
var ErrResetLocked = errors.New("the simulator refuses to reset")

// SetController gives the control API a controller: from now on its
// routes need the controller's token (unless an AccessRuler opens one),
// and every control request is logged with who sent it.
func (s *Sim) SetController(c Controller) error {
	if c.Token.IsZero() || len(c.Token.Reveal()) < 16 {
		return errors.New("a control token needs at least 16 characters")
	}
	if c.Name == "" {
		c.Name = "controller"
	}
	if c.Title == "" {
		c.Title = "the simulator's controller"
	}
	s.mu.Lock()
	s.controller = &c
	s.mu.Unlock()
	return nil
}

// LockReset makes Reset and POST /_sim/reset refuse with why (a running
// drill: a reset would wipe the world it scores), until UnlockReset.
func (s *Sim) LockReset(why string) {
	s.mu.Lock()
	s.resetLock = why
	s.mu.Unlock()
}

// UnlockReset lets the simulator reset again.
func (s *Sim) UnlockReset() { s.LockReset("") }

func (s *Sim) resetLocked() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resetLock
}

func (s *Sim) controllerOf() *Controller {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.controller
}

// isControlPath: every path under /_ is the control API's.
func isControlPath(p string) bool { return strings.HasPrefix(p, "/_") }

// refusal is why the guard turns a control request away.
type refusal struct {
	status int
	why    string
}

// serveControl is the one guard every control request goes through; see
// the comment at the top of this file.
func (s *Sim) serveControl(w http.ResponseWriter, r *http.Request) {
	ctl := s.controllerOf()
	caller := s.callerOf(r, ctl)
	rec := &statusRecorder{ResponseWriter: w}
	var refused string
	if ctl != nil {
		start, stamp := time.Now(), s.now()
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.log.add(RequestRecord{API: APIControl, Method: r.Method, Path: r.URL.RequestURI(), Status: status,
				Start: stamp.UTC().Format(time.RFC3339Nano), DurationMS: float64(time.Since(start).Microseconds()) / 1000,
				Actor: caller.Name, Detail: refused, Refused: refused != ""})
		}()
	}
	if f := s.checkControl(r, ctl, caller); f != nil {
		refused = f.why
		if f.status == http.StatusUnauthorized {
			rec.Header().Set("WWW-Authenticate", `Bearer realm="respond simulator control API"`)
		}
		writeJSON(rec, f.status, controlError{f.why}, true)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), callerKey{}, caller))
	if h := s.mounted(r.URL.Path); h != nil {
		h.ServeHTTP(rec, r)
		return
	}
	if route, _ := strings.CutPrefix(r.URL.Path, "/_sim"); route == "/reset" && r.Method == http.MethodPost {
		if why := s.resetLocked(); why != "" {
			refused = why
			writeJSON(rec, http.StatusConflict, controlError{why}, true)
			return
		}
	}
	s.serveSimControl(rec, r)
}

// checkControl applies the guard's checks in order: host, origin, content
// type, then (with a controller) the caller's access to the route.
func (s *Sim) checkControl(r *http.Request, ctl *Controller, caller Caller) *refusal {
	if !s.hostAllowed(r.Host) {
		return &refusal{http.StatusForbidden, fmt.Sprintf("the control API answers only requests addressed to this simulator (%s, localhost or a loopback address), not to Host %s: a page on another site cannot reach it through DNS rebinding",
			s.listenHost(), quoteShort(r.Host))}
	}
	if o := r.Header.Get("Origin"); o != "" && !s.sameOrigin(o, r.Host) {
		return &refusal{http.StatusForbidden, fmt.Sprintf("a request from the web page origin %s is refused: the control API is not for web pages", quoteShort(o))}
	}
	if site := strings.ToLower(r.Header.Get("Sec-Fetch-Site")); site == "cross-site" || site == "same-site" {
		return &refusal{http.StatusForbidden, "a request from another site's web page is refused: the control API is not for web pages"}
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		ct := r.Header.Get("Content-Type")
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &refusal{http.StatusUnsupportedMediaType, fmt.Sprintf("%s on the control API needs Content-Type: application/json (this request has %s): send JSON, e.g. curl -H 'Content-Type: application/json'",
				r.Method, quoteShort(ct))}
		}
	}
	if ctl == nil {
		return nil
	}
	need := AccessController
	if h := s.mounted(r.URL.Path); h != nil {
		if ar, ok := h.(AccessRuler); ok {
			need = ar.ControlAccess(r)
		}
	}
	switch {
	case need == AccessOpen:
		return nil
	case caller.Role == RoleController:
		return nil
	case need == AccessParticipant && caller.Role == RoleParticipant:
		return nil
	case caller.Role == RoleAnonymous && need == AccessParticipant:
		return &refusal{http.StatusUnauthorized, fmt.Sprintf("%s %s needs a credential the simulator gave you (Authorization: Bearer $GITHUB_TOKEN) or %s's token", r.Method, r.URL.Path, ctl.Title)}
	case caller.Role == RoleAnonymous:
		return &refusal{http.StatusUnauthorized, fmt.Sprintf("%s %s is for %s only: send their control token (Authorization: Bearer …)", r.Method, r.URL.Path, ctl.Title)}
	}
	return &refusal{http.StatusForbidden, fmt.Sprintf("%s %s is for %s only: %s's credentials reach what the simulated OpenAI and GitHub APIs serve, not their control API",
		r.Method, r.URL.Path, ctl.Title, caller.Name)}
}

// callerOf names who sent a request, from its Authorization header.
func (s *Sim) callerOf(r *http.Request, ctl *Controller) Caller {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, tok, _ := strings.Cut(auth, " ")
	tok = strings.TrimSpace(tok)
	if tok == "" || !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token") {
		return Caller{Name: "anonymous", Role: RoleAnonymous}
	}
	if ctl != nil && subtle.ConstantTimeCompare([]byte(tok), []byte(ctl.Token.Reveal())) == 1 {
		return Caller{Name: ctl.Name, Role: RoleController}
	}
	s.mu.Lock()
	name, ok := s.actors[tok]
	s.mu.Unlock()
	if !ok {
		if n, found := s.github.TokenLogin(tok); found {
			name, ok = n, true
		} else if n, found := s.openai.ActorOf(tok); found {
			name, ok = n, true
		}
	}
	if !ok {
		return Caller{Name: "anonymous (a credential the simulator did not issue)", Role: RoleAnonymous}
	}
	return Caller{Name: name, Role: RoleParticipant}
}

// listenHost is the host part of the simulator's address.
func (s *Sim) listenHost() string {
	u, err := url.Parse(s.url)
	if err != nil || u.Host == "" {
		return "127.0.0.1"
	}
	return u.Hostname()
}

// hostAllowed: the Host a control request names is this simulator: its
// listen address, a loopback address, localhost or a .localhost name (gh
// reaches github.localhost through the simulator as a proxy), or, when it
// listens on every address, any IP address. A DNS name an attacker
// controls never is.
func (s *Sim) hostAllowed(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if h == "" {
		return false
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	if h == strings.ToLower(s.listenHost()) {
		return true
	}
	if ln := s.ln; ln != nil && ip != nil {
		if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsUnspecified() {
			return true
		}
	}
	return false
}

// sameOrigin: the page origin o is the simulator itself, as host names it.
func (s *Sim) sameOrigin(o, host string) bool {
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false // "null" (a sandboxed page, a file) and anything unparsable
	}
	scheme := "http"
	if strings.HasPrefix(s.url, "https://") {
		scheme = "https"
	}
	return strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(u.Host, host)
}

// quoteShort quotes an attacker-controlled header value for a message:
// escaped, and cut to 80 characters.
func quoteShort(v string) string {
	if r := []rune(v); len(r) > 80 {
		v = string(r[:80]) + "…"
	}
	return fmt.Sprintf("%q", v)
}
