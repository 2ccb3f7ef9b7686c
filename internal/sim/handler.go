package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// The APIs a request can be for, as the request log names them.
const (
	APIOpenAI = "openai"
	APIGitHub = "github"
)

const controlPrefix = "/_sim/"

// ServeHTTP routes a request: /v1/… to the OpenAI half, every path under
// /_ (/_sim/…, and what Mount added beside it) to the control API behind
// its guard (control.go), a service's prefix to the service, everything
// else to the GitHub half. API requests go through the request log, fault
// injection and latency.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if isControlPath(p) {
		s.serveControl(w, r)
		return
	}
	api := APIGitHub
	if p == "/v1" || strings.HasPrefix(p, "/v1/") {
		api = APIOpenAI
	} else if sv, ok := s.service(p); ok {
		api = sv.Name()
	}
	s.serveAPI(w, r, api)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request, api string) {
	s.world.RLock()
	defer s.world.RUnlock()

	start := time.Now()
	stamp := s.now()
	rec := &statusRecorder{ResponseWriter: w}
	entry := RequestRecord{API: api, Method: r.Method, Path: r.URL.RequestURI(), Start: stamp.UTC().Format(time.RFC3339Nano), Actor: s.actorOf(r, api)}
	if sv, ok := s.service(r.URL.Path); ok {
		if pl, ok := sv.Service.(simapi.PathLogger); ok {
			entry.Path = pl.LogPath(r) // no secret in the log
		}
	}
	logged := false
	logEntry := func() {
		if logged {
			return
		}
		logged = true
		entry.Status = rec.status
		if entry.Status == 0 {
			// The handler wrote nothing: net/http sends 200, unless the
			// client went away first.
			entry.Status = http.StatusOK
			if r.Context().Err() != nil {
				entry.Status = 499 // client closed request (nginx convention)
			}
		}
		entry.DurationMS = float64(time.Since(start).Microseconds()) / 1000
		s.log.add(entry)
	}
	defer logEntry()

	f, faulted := s.faults.take(r.Method, r.URL.Path)
	if faulted && f.Drop {
		// The server acts; the answer is lost with the connection.
		entry.Fault = f.ID
		buf := &bufferedResponse{header: http.Header{}}
		s.serveReal(buf, r, api)
		s.afterRequest(r, api)
		s.faults.acted(f.ID)
		_ = sleep(r, time.Duration(f.Delay))
		rec.status = 499 // as logged: no answer reached the client
		// Logged before the connection closes: whoever saw it close may
		// read the log at once.
		logEntry()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	if faulted {
		entry.Fault = f.ID
		if !sleep(r, time.Duration(f.Delay)) {
			return
		}
		if f.responds() {
			if !sleep(r, s.opts.Latency) {
				return
			}
			s.writeFault(rec, r, api, f)
			return
		}
	}

	s.serveReal(rec, r, api)
	s.afterRequest(r, api)
}

// afterRequest brings what follows from a change up to date once a
// request that may have changed something was served.
func (s *Sim) afterRequest(r *http.Request, api string) {
	if api != APIGitHub && mayRevoke(r.Method) {
		s.github.RefreshValidity() // validity.go
	}
	if mayRevoke(r.Method) {
		// The live world sees every change as it happens, not at its next
		// tick: a consumer switched to a dead key for a moment is down.
		s.stepLiveHeld()
	}
}

// serveReal serves a request as its API does, with the simulated
// latency.
func (s *Sim) serveReal(w http.ResponseWriter, r *http.Request, api string) {
	switch api {
	case APIOpenAI:
		if !sleep(r, s.opts.Latency) {
			return
		}
		s.openai.ServeHTTP(w, r)
	case APIGitHub:
		// The GitHub half applies the latency itself, while the request
		// counts as in flight for its secondary rate limit.
		s.github.ServeHTTP(w, r)
	default:
		sv, _ := s.service(r.URL.Path)
		if !sleep(r, s.opts.Latency) {
			return
		}
		s.serveService(w, r, sv)
	}
}

// sleep waits d or until the request is cancelled; it reports whether the
// request is still wanted.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// writeFault writes a fault's response in the shape of the API the request
// is for.
func (s *Sim) writeFault(w http.ResponseWriter, r *http.Request, api string, f Fault) {
	retry := time.Duration(f.RetryAfter)
	if retry <= 0 {
		retry = time.Second
	}
	buf := &bufferedResponse{header: http.Header{}}
	switch {
	case api != APIOpenAI && api != APIGitHub:
		status := f.Status
		if f.RateLimit != "" {
			status = http.StatusTooManyRequests
		}
		sv, _ := s.service(r.URL.Path)
		writeServiceFault(buf, sv, status, retry)
	case api == APIOpenAI && f.RateLimit != "":
		openaisim.WriteRateLimit(buf, retry)
	case api == APIOpenAI:
		writeOpenAIError(buf, f.Status)
	case f.RateLimit == RateLimitSecondary:
		githubsim.WriteSecondaryLimit(buf, http.StatusForbidden, retry)
	case f.RateLimit == RateLimit429:
		githubsim.WriteSecondaryLimit(buf, http.StatusTooManyRequests, retry)
	case f.RateLimit == RateLimitPrimary:
		now := s.now()
		reset := now.Add(retry).Truncate(time.Second).Add(time.Second)
		limit := s.opts.GitHub.PrimaryLimit
		if limit <= 0 {
			limit = githubsim.DefaultPrimaryLimit
		}
		githubsim.WritePrimaryLimit(buf, http.StatusForbidden, s.githubUserID(r), limit, reset, now)
	default:
		githubsim.WriteError(buf, f.Status, githubFaultMessage(f.Status))
	}

	body := buf.body
	if len(f.Body) > 0 {
		body = f.Body
		var str string
		if json.Unmarshal(f.Body, &str) == nil {
			body = []byte(str)
		} else {
			buf.header.Set("Content-Type", "application/json; charset=utf-8")
		}
		buf.header.Del("Content-Length")
	}
	h := w.Header()
	for k, v := range buf.header {
		h[k] = v
	}
	h.Set("X-Respond-Sim-Fault", strconv.Itoa(f.ID))
	status := buf.status
	if status == 0 {
		status = http.StatusOK
	}
	if status == http.StatusNoContent || status == http.StatusNotModified || r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// githubUserID is the GitHub user ID of the request's token, for the
// primary rate-limit message; 0 if unknown.
func (s *Sim) githubUserID(r *http.Request) int64 {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	_, tok, _ := strings.Cut(auth, " ")
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return 0
	}
	st := s.github.Snapshot()
	for _, t := range st.Tokens {
		if t.Token != tok {
			continue
		}
		for _, u := range st.Users {
			if u.Login == t.Login {
				return u.ID
			}
		}
	}
	return 0
}

// githubFaultMessage is the message of an injected GitHub error status.
func githubFaultMessage(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not Found"
	case http.StatusUnauthorized:
		return "Bad credentials"
	case http.StatusForbidden:
		return "Resource not accessible by personal access token"
	case http.StatusUnprocessableEntity:
		return "Validation Failed"
	case http.StatusInternalServerError, http.StatusBadGateway:
		return "Server Error"
	case http.StatusServiceUnavailable:
		return "Service Unavailable"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

// writeOpenAIError writes OpenAI's error shape for an injected status.
func writeOpenAIError(w http.ResponseWriter, status int) {
	typ, code, msg := "invalid_request_error", any(nil), http.StatusText(status)
	switch {
	case status == http.StatusUnauthorized:
		code, msg = "invalid_api_key", "Incorrect API key provided."
	case status == http.StatusNotFound:
		msg = "Not found."
	case status == http.StatusTooManyRequests:
		typ, code, msg = "requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."
	case status == http.StatusServiceUnavailable:
		typ, msg = "server_error", "The engine is currently overloaded, please try again later."
	case status >= 500:
		typ, msg = "server_error", "The server had an error while processing your request. Sorry about that!"
	}
	body := map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": code}}
	writeJSON(w, status, body, false)
}

// writeJSON writes v as JSON with status; indent pretty-prints it.
func writeJSON(w http.ResponseWriter, status int, v any, indent bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"message":"the simulator failed to encode its response"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// RequestRecord is one API request in the request log (GET /_sim/requests).
// It never holds headers or bodies, so no credential or secret appears in
// it.
type RequestRecord struct {
	// Seq numbers requests from 1 and keeps increasing across resets; use
	// it as the ?since= cursor.
	Seq    int64  `json:"seq"`
	API    string `json:"api"` // "openai" or "github"
	Method string `json:"method"`
	// Path is the request path with its query, as received.
	Path   string `json:"path"`
	Status int    `json:"status"`
	// Start is when the request arrived (Options.Now), RFC 3339 with
	// nanoseconds, UTC.
	Start string `json:"start"`
	// DurationMS is the wall time spent answering, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Fault is the ID of the fault that affected the request, if any.
	Fault int `json:"fault,omitempty"`
	// Actor names who sent it: the name a drill gave the credential
	// (SetActor), else the GitHub token's user or the OpenAI key's name or
	// ID; never the credential itself. Empty when unknown.
	Actor string `json:"actor,omitempty"`
	// Detail says what an event that is not an API request (API "drill":
	// an inject) did, or why a control request was refused.
	Detail string `json:"detail,omitempty"`
	// Refused: the control API's guard turned the request away (API
	// "control"): wrong host, another origin, not JSON, no right to the
	// route, or a reset while one is locked.
	Refused bool `json:"refused,omitempty"`
}

// defaultLogCap bounds the request log; the oldest entries are dropped
// first.
const defaultLogCap = 100000

type requestLog struct {
	mu      sync.Mutex
	cap     int
	seq     int64
	entries []RequestRecord
}

func newRequestLog(capacity int) *requestLog { return &requestLog{cap: capacity} }

func (l *requestLog) add(e RequestRecord) RequestRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e.Seq = l.seq
	if len(l.entries) >= l.cap {
		l.entries = append(l.entries[:0], l.entries[len(l.entries)-l.cap+1:]...)
	}
	l.entries = append(l.entries, e)
	return e
}

// since returns the entries with Seq > after, and the last sequence number
// assigned.
func (l *requestLog) since(after int64) ([]RequestRecord, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []RequestRecord{}
	for _, e := range l.entries {
		if e.Seq > after {
			out = append(out, e)
		}
	}
	return out, l.seq
}

func (l *requestLog) clear() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// Requests returns the logged API requests with a sequence number greater
// than since (0 for all), oldest first.
func (s *Sim) Requests(since int64) []RequestRecord {
	out, _ := s.log.since(since)
	return out
}

// AddFault adds a fault (see Fault) and returns it with its ID.
func (s *Sim) AddFault(f Fault) (Fault, error) {
	if err := f.validate(); err != nil {
		return Fault{}, fmt.Errorf("invalid simulator fault: %w", err)
	}
	return s.faults.add(f), nil
}

// Faults lists the faults with their use counts.
func (s *Sim) Faults() []Fault { return s.faults.list() }

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() { s.faults.clear() }

// StateJSON is the body of GET /_sim/state: the whole world as indented,
// deterministic JSON.
func (s *Sim) StateJSON() ([]byte, error) {
	s.world.RLock()
	st := State{OpenAI: s.openai.Snapshot(), GitHub: s.github.Snapshot(), Services: s.serviceSnapshots(), Scenario: s.Scenario()}
	s.world.RUnlock()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return nil, fmt.Errorf("encode the simulator state: %w", err)
	}
	return buf.Bytes(), nil
}

// State is the whole simulated world, as GET /_sim/state shows it. It holds
// plaintext keys and secrets: it is a fake world.
type State struct {
	OpenAI openaisim.State `json:"openai"`
	GitHub githubsim.State `json:"github"`
	// Services are the further simulated APIs' worlds, by name.
	Services map[string]any `json:"services,omitempty"`
	Scenario ScenarioInfo   `json:"scenario"`
}

// controlError is the control API's error body.
type controlError struct {
	Message string `json:"message"`
}

// controlRoute is one route of the simulator's own control API, under
// /_sim. Every route is behind the guard (serveControl); a new one is a
// line in controlRoutes.
type controlRoute struct {
	method string
	// path is the route under /_sim ("/state"); ending in "/" it is a
	// prefix ("/faults/" matches /_sim/faults/3).
	path  string
	serve func(s *Sim, w http.ResponseWriter, r *http.Request)
}

// controlRoutes are the simulator's control API.
var controlRoutes = []controlRoute{
	{http.MethodGet, "/state", (*Sim).serveState},
	{http.MethodGet, "/scenario", func(s *Sim, w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Scenario(), true) }},
	{http.MethodGet, "/requests", (*Sim).serveRequests},
	{http.MethodGet, "/faults", func(s *Sim, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, struct {
			Faults []Fault `json:"faults"`
		}{s.Faults()}, true)
	}},
	{http.MethodPost, "/faults", (*Sim).serveAddFault},
	{http.MethodDelete, "/faults", func(s *Sim, w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	}},
	{http.MethodDelete, "/faults/", (*Sim).serveRemoveFault},
	{http.MethodGet, "/workflows", func(s *Sim, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, struct {
			Workflows []WorkflowInfo `json:"workflows"`
		}{s.Workflows()}, true)
	}},
	{http.MethodPost, "/workflows", (*Sim).serveConfigureWorkflow},
	{http.MethodGet, "/world", func(s *Sim, w http.ResponseWriter, r *http.Request) {
		s.StepLive()
		writeJSON(w, http.StatusOK, s.LiveState(), true)
	}},
	{http.MethodPost, "/names", (*Sim).serveNames},
	{http.MethodPost, "/leak", (*Sim).serveLeak}, // leak.go
	{http.MethodPost, "/reset", (*Sim).serveReset},
}

// matches reports whether the route is for the path (under /_sim).
func (c controlRoute) matches(route string) bool {
	if strings.HasSuffix(c.path, "/") {
		return strings.HasPrefix(route, c.path) && len(route) > len(c.path)
	}
	return route == c.path
}

// serveSimControl serves the simulator's own control API, once the guard
// has let the request through.
func (s *Sim) serveSimControl(w http.ResponseWriter, r *http.Request) {
	route := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sim"), "/")
	var allow []string
	for _, c := range controlRoutes {
		if !c.matches(route) {
			continue
		}
		if c.method == r.Method {
			c.serve(s, w, r)
			return
		}
		allow = append(allow, c.method)
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, controlError{fmt.Sprintf("%s is not allowed on /_sim%s (allowed: %s)", r.Method, route, strings.Join(allow, ", "))}, true)
		return
	}
	var paths []string
	for _, c := range controlRoutes {
		p := "/_sim" + strings.TrimSuffix(c.path, "/")
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	writeJSON(w, http.StatusNotFound, controlError{fmt.Sprintf("unknown control endpoint %s: the control API has %s", r.URL.Path, strings.Join(paths, ", "))}, true)
}

func (s *Sim) serveState(w http.ResponseWriter, r *http.Request) {
	b, err := s.StateJSON()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, controlError{err.Error()}, true)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

func (s *Sim) serveRequests(w http.ResponseWriter, r *http.Request) {
	var since int64
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, controlError{fmt.Sprintf("invalid since=%q: give the seq of the last request you have seen (0 for all)", v)}, true)
			return
		}
		since = n
	}
	entries, last := s.log.since(since)
	writeJSON(w, http.StatusOK, struct {
		Requests []RequestRecord `json:"requests"`
		LastSeq  int64           `json:"last_seq"`
	}{entries, last}, true)
}

// decodeControl decodes a control request's JSON body into v, refusing
// unknown fields; it answers 400 itself and reports false on a bad body.
func decodeControl(w http.ResponseWriter, r *http.Request, what string, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{"invalid " + what + " JSON: " + err.Error()}, true)
		return false
	}
	return true
}

func (s *Sim) serveAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !decodeControl(w, r, "fault", &f) {
		return
	}
	added, err := s.AddFault(f)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{err.Error()}, true)
		return
	}
	writeJSON(w, http.StatusCreated, added, true)
}

func (s *Sim) serveRemoveFault(w http.ResponseWriter, r *http.Request) {
	idText := strings.TrimPrefix(strings.TrimSuffix(r.URL.Path, "/"), "/_sim/faults/")
	id, err := strconv.Atoi(idText)
	if err != nil || !s.faults.remove(id) {
		writeJSON(w, http.StatusNotFound, controlError{fmt.Sprintf("no fault %q: list them with GET /_sim/faults", idText)}, true)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) serveConfigureWorkflow(w http.ResponseWriter, r *http.Request) {
	var req WorkflowRequest
	if !decodeControl(w, r, "workflow", &req) {
		return
	}
	info, err := s.ConfigureWorkflow(req)
	switch {
	case errors.Is(err, githubsim.ErrNotFound):
		writeJSON(w, http.StatusNotFound, controlError{err.Error()}, true)
	case err != nil:
		writeJSON(w, http.StatusBadRequest, controlError{err.Error()}, true)
	default:
		writeJSON(w, http.StatusOK, info, true)
	}
}

func (s *Sim) serveNames(w http.ResponseWriter, r *http.Request) {
	var n Names
	if !decodeControl(w, r, "names", &n) {
		return
	}
	if err := s.SetNames(n); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{err.Error()}, true)
		return
	}
	writeJSON(w, http.StatusOK, n, true)
}

func (s *Sim) serveReset(w http.ResponseWriter, r *http.Request) {
	if err := s.Reset(); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrResetLocked) {
			status = http.StatusConflict
		}
		writeJSON(w, status, controlError{err.Error()}, true)
		return
	}
	writeJSON(w, http.StatusOK, s.Scenario(), true)
}

// Names renames what the scenario's leak involves, so that tests can hand
// respond hostile data: markup, terminal escape sequences, path tricks.
// Empty fields are left alone. It is what POST /_sim/names takes.
type Names struct {
	// ProjectName is the name of the leaked key's OpenAI project.
	ProjectName string `json:"project_name,omitempty"`
	// KeyName is the leaked key's name.
	KeyName string `json:"key_name,omitempty"`
	// OwnerName is the name of the leaked key's owner (user or service
	// account).
	OwnerName string `json:"owner_name,omitempty"`
	// AlertPath is the file path of every location of the scenario's
	// secret-scanning alert.
	AlertPath string `json:"alert_path,omitempty"`
}

// SetNames applies n (see Names).
func (s *Sim) SetNames(n Names) error {
	info := s.Scenario()
	if n.ProjectName != "" {
		if err := s.openai.Rename(info.ProjectID, n.ProjectName); err != nil {
			return err
		}
	}
	if n.KeyName != "" {
		if err := s.openai.Rename(info.LeakedKeyID, n.KeyName); err != nil {
			return err
		}
	}
	if n.OwnerName != "" {
		owner := ""
		for _, k := range s.openai.Snapshot().Keys {
			if k.ID == info.LeakedKeyID {
				owner = k.OwnerID
			}
		}
		if err := s.openai.Rename(owner, n.OwnerName); err != nil {
			return err
		}
	}
	if n.AlertPath != "" {
		owner, repo, _ := strings.Cut(info.AlertRepo, "/")
		if err := s.github.SetAlertLocationPath(owner, repo, info.AlertNumber, n.AlertPath); err != nil {
			return err
		}
	}
	return nil
}
