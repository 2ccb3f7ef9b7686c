package githubsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Webhook deliveries, as GitHub makes them (docs.github.com "Webhook
// events and payloads", "Validating webhook deliveries"):
//
//   - each event is POSTed to every active hook subscribed to it,
//     asynchronously, with the headers X-GitHub-Event, X-GitHub-Delivery
//     (a GUID; the same on a redelivery), X-GitHub-Hook-ID,
//     X-GitHub-Hook-Installation-Target-Type ("repository" or
//     "organization") and -ID, User-Agent GitHub-Hookshot/…, and, when the
//     hook has a secret, X-Hub-Signature-256 (sha256=hex HMAC-SHA256 of
//     the raw body) and the legacy X-Hub-Signature (sha1=…);
//   - content_type json sends the payload as the body; form (GitHub's
//     default) sends payload=<the JSON, URL-encoded> as
//     application/x-www-form-urlencoded, and the signature covers that
//     body;
//   - a delivery that takes longer than Options.HookTimeout (10 s) ends;
//     redirects are not followed;
//   - every delivery is recorded: GET …/hooks/{id}/deliveries lists them
//     newest first (cursor pagination, as GitHub's), GET
//     …/deliveries/{delivery_id} shows the request and response, and POST
//     …/deliveries/{delivery_id}/attempts redelivers: a new delivery with
//     the same GUID, payload and event, marked redelivery true (202).
//     Status is "OK" for a 2xx answer, "Invalid HTTP Response: N"
//     otherwise; a delivery that got no answer has status_code 0 and
//     status "timed out", "failed to connect to host", or "not
//     delivered: …" (the simulator's words: GitHub does not document
//     them);
//   - a hook's URL must be a loopback address unless Options.HookAnyHost:
//     the check is made when the hook is created or changed, and again
//     on every connection (so a name that resolves elsewhere is refused
//     too).
//
// Deliveries are listed once they are done. WaitForDeliveries waits for
// those in flight; Reset and Close end them.

// hookUserAgent is the User-Agent of deliveries; GitHub's is
// GitHub-Hookshot/ and a short commit of its own.
const hookUserAgent = "GitHub-Hookshot/5im0ac7"

// DefaultHookTimeout is Options.HookTimeout's default: GitHub ends a
// delivery after 10 seconds.
const DefaultHookTimeout = 10 * time.Second

// maxResponseRecord bounds the response body a delivery records.
const maxResponseRecord = 64 << 10

var errNotLoopback = errors.New("the simulator delivers webhooks only to loopback addresses")

// delivery is one attempt to deliver an event to a hook.
type delivery struct {
	id         int64
	guid       string
	hook       *hook // read and written under Server.mu only
	hookID     int64
	event      string
	action     string
	repoID     int64 // 0: none
	payload    []byte
	at         time.Time
	redelivery bool

	// What the hook was when the event fired.
	url, contentType, secret string
	insecure                 bool
	targetType               string
	targetID                 int64

	// Set when done.
	done        bool
	duration    float64
	status      string
	statusCode  int
	reqHeaders  map[string]string
	respHeaders map[string]string
	respBody    string
}

// hookRuntime makes deliveries.
type hookRuntime struct {
	mu        sync.Mutex // guards publicURL and gen
	publicURL string
	gen       *deliveryGen
	secure    *http.Client
	insecure  *http.Client
}

// deliveryGen is the deliveries of one world: Reset and Close cancel
// them and wait for them to end.
type deliveryGen struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n == 0
}

func newDeliveryGen() *deliveryGen {
	ctx, cancel := context.WithCancel(context.Background())
	idle := make(chan struct{})
	close(idle)
	return &deliveryGen{ctx: ctx, cancel: cancel, idle: idle}
}

func (g *deliveryGen) add() {
	g.mu.Lock()
	if g.n == 0 {
		g.idle = make(chan struct{})
	}
	g.n++
	g.mu.Unlock()
}

func (g *deliveryGen) done() {
	g.mu.Lock()
	g.n--
	if g.n == 0 {
		close(g.idle)
	}
	g.mu.Unlock()
}

func (g *deliveryGen) wait(ctx context.Context) error {
	g.mu.Lock()
	idle := g.idle
	g.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop cancels the generation's deliveries and waits for them.
func (g *deliveryGen) stop() {
	g.cancel()
	_ = g.wait(context.Background())
}

func (h *hookRuntime) init(o Options) {
	h.secure = newHookClient(o, false)
	h.insecure = newHookClient(o, true)
	h.gen = newDeliveryGen()
}

// restart begins a new generation and returns the old one.
func (h *hookRuntime) restart() *deliveryGen {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.gen
	h.gen = newDeliveryGen()
	return old
}

func (h *hookRuntime) current() *deliveryGen {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gen
}

// newHookClient is the HTTP client of deliveries: no proxy, no redirects,
// a timeout, and (unless anyHost) connections to loopback addresses only.
func newHookClient(o Options, insecure bool) *http.Client {
	dialer := &net.Dialer{Timeout: o.HookTimeout}
	if !o.HookAnyHost {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("%w (%s is not one)", errNotLoopback, host)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}, // insecure only for a hook with insecure_ssl "1"
		TLSHandshakeTimeout: o.HookTimeout,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       o.HookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// SetPublicURL sets the simulator's URL (scheme://host:port), which the
// API URLs in webhook payloads and leak results point at (under /api/v3,
// as GitHub Enterprise shows them). Until it is set they point at the
// host of the request that caused the event, or http://127.0.0.1.
func (s *Server) SetPublicURL(u string) {
	s.hk.mu.Lock()
	s.hk.publicURL = strings.TrimSuffix(u, "/")
	s.hk.mu.Unlock()
}

// WaitForDeliveries waits until no webhook delivery is in flight (or ctx
// ends).
func (s *Server) WaitForDeliveries(ctx context.Context) error {
	return s.hk.current().wait(ctx)
}

// Close ends the deliveries in flight and makes later ones fail at once.
// The server still answers requests.
func (s *Server) Close() {
	s.mu.Lock()
	old := s.hk.restart()
	s.hk.current().cancel()
	s.mu.Unlock()
	old.stop()
	s.hk.secure.CloseIdleConnections()
	s.hk.insecure.CloseIdleConnections()
}

// newGUID returns a random version-4 UUID, the shape of GitHub's delivery
// GUIDs.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// startDelivery records a new delivery of body to h and starts it.
// Callers hold s.mu.
func (s *Server) startDelivery(h *hook, event, action string, body []byte, repoID int64, guid string, redelivery bool) *delivery {
	if guid == "" {
		guid = newGUID()
	}
	d := &delivery{
		id: s.w.nextDeliveryID, guid: guid, hook: h, hookID: h.id, event: event, action: action, repoID: repoID,
		payload: body, at: s.now(), redelivery: redelivery,
		url: h.url, contentType: h.contentType, secret: h.secret, insecure: h.insecureSSL == "1",
	}
	d.targetType, d.targetID = h.target()
	s.w.nextDeliveryID++
	s.w.deliveries[d.id] = d
	h.deliveries = append(h.deliveries, d)
	g := s.hk.current()
	g.add()
	go func() {
		defer g.done()
		s.deliver(g.ctx, d)
	}()
	return d
}

// deliver sends d and records the outcome.
func (s *Server) deliver(ctx context.Context, d *delivery) {
	body := d.payload
	ctype := "application/json"
	if d.contentType == "form" {
		body = []byte("payload=" + url.QueryEscape(string(d.payload)))
		ctype = "application/x-www-form-urlencoded"
	}
	hdr := map[string]string{
		"Accept":                                 "*/*",
		"Content-Type":                           ctype,
		"User-Agent":                             hookUserAgent,
		"X-GitHub-Delivery":                      d.guid,
		"X-GitHub-Event":                         d.event,
		"X-GitHub-Hook-ID":                       strconv.FormatInt(d.hookID, 10),
		"X-GitHub-Hook-Installation-Target-ID":   strconv.FormatInt(d.targetID, 10),
		"X-GitHub-Hook-Installation-Target-Type": d.targetType,
	}
	if d.secret != "" {
		hdr["X-Hub-Signature"] = "sha1=" + signHex(sha1.New, d.secret, body)
		hdr["X-Hub-Signature-256"] = "sha256=" + signHex(sha256.New, d.secret, body)
	}

	status, code := "", 0
	var respHeaders map[string]string
	var respBody string
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err == nil {
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		client := s.hk.secure
		if d.insecure {
			client = s.hk.insecure
		}
		var resp *http.Response
		resp, err = client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseRecord))
			_ = resp.Body.Close()
			code, respBody = resp.StatusCode, string(b)
			respHeaders = map[string]string{}
			for k, v := range resp.Header {
				respHeaders[strings.ToLower(k)] = strings.Join(v, ", ")
			}
			status = "OK"
			if code < 200 || code > 299 {
				status = "Invalid HTTP Response: " + strconv.Itoa(code)
			}
		}
	}
	if err != nil {
		var ne net.Error
		switch {
		case errors.Is(err, errNotLoopback):
			status = "not delivered: " + errNotLoopback.Error()
		case errors.Is(err, context.Canceled):
			status = "not delivered: the simulator stopped or was reset"
		case errors.As(err, &ne) && ne.Timeout():
			status = "timed out"
		default:
			status = "failed to connect to host"
		}
	}
	dur := time.Since(start).Seconds()

	s.mu.Lock()
	defer s.mu.Unlock()
	d.done = true
	d.duration = dur
	d.status, d.statusCode = status, code
	d.reqHeaders = hdr
	d.respHeaders, d.respBody = respHeaders, respBody
	d.hook.last = hookResponse{code: code, status: "active", message: status}
}

func signHex(h func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// deliveryItemJSON renders a delivery as GitHub's hook-delivery-item.
func deliveryItemJSON(d *delivery) map[string]any {
	m := map[string]any{
		"id":              d.id,
		"guid":            d.guid,
		"delivered_at":    ts(d.at),
		"redelivery":      d.redelivery,
		"duration":        d.duration,
		"status":          d.status,
		"status_code":     d.statusCode,
		"event":           d.event,
		"action":          nil,
		"installation_id": nil,
		"repository_id":   nil,
		"throttled_at":    nil,
	}
	if d.action != "" {
		m["action"] = d.action
	}
	if d.repoID != 0 {
		m["repository_id"] = d.repoID
	}
	return m
}

// deliveryJSON renders a delivery as GitHub's hook-delivery: the item,
// the hook's URL, and the request and response.
func deliveryJSON(d *delivery) map[string]any {
	m := deliveryItemJSON(d)
	m["url"] = d.url
	m["request"] = map[string]any{"headers": d.reqHeaders, "payload": json.RawMessage(d.payload)}
	var respPayload any
	if d.respBody != "" {
		respPayload = d.respBody
	}
	headers := d.respHeaders
	if headers == nil {
		headers = map[string]string{}
	}
	m["response"] = map[string]any{"headers": headers, "payload": respPayload}
	return m
}

// lookupDelivery resolves {delivery_id} among the hook's done deliveries.
func lookupDelivery(h *hook, r *http.Request) *delivery {
	id, err := strconv.ParseInt(r.PathValue("delivery_id"), 10, 64)
	if err != nil {
		return nil
	}
	for _, d := range h.deliveries {
		if d.id == id && d.done {
			return d
		}
	}
	return nil
}

// listDeliveries serves GET …/hooks/{hook_id}/deliveries: done
// deliveries newest first; per_page (default 30, at most 100) and cursor
// (the ID of the last delivery of the previous page), with a Link rel
// next carrying the cursor, as GitHub pages them.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, c *call, h *hook) {
	q := r.URL.Query()
	per := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	var after int64 = -1
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			c.badRequest(w, "cursor %q is not valid: take it from the Link header of the previous page", v)
			return
		}
		after = n
	}
	var list []*delivery
	for _, d := range slices.Backward(h.deliveries) {
		if d.done && (after < 0 || d.id < after) {
			list = append(list, d)
		}
	}
	if len(list) > per {
		list = list[:per]
		q.Set("cursor", strconv.FormatInt(list[per-1].id, 10))
		q.Set("per_page", strconv.Itoa(per))
		w.Header().Set("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, c.web, c.origPath, q.Encode()))
	}
	out := make([]map[string]any, 0, len(list))
	for _, d := range list {
		out = append(out, deliveryItemJSON(d))
	}
	writeJSON(w, http.StatusOK, out)
}

// redeliver serves POST …/deliveries/{delivery_id}/attempts: 202, and the
// same payload goes out again with the same GUID, marked redelivery.
func (s *Server) redeliver(w http.ResponseWriter, h *hook, d *delivery) {
	s.startDelivery(h, d.event, d.action, d.payload, d.repoID, d.guid, true)
	writeJSON(w, http.StatusAccepted, map[string]any{})
}

// isLoopbackURL reports whether u names a loopback host: an IP in
// 127.0.0.0/8 or ::1, or localhost.
func isLoopbackURL(u *url.URL) bool {
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
