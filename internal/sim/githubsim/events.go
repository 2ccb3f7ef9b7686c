package githubsim

import (
	"bytes"
	"encoding/json"
)

// The webhook events the simulator fires, with GitHub's payloads
// (docs.github.com "Webhook events and payloads"; the official schemas
// webhook-ping, webhook-secret-scanning-alert-* and
// webhook-secret-scanning-alert-location-created):
//
//   - ping: to a hook when it is created or pinged: zen, hook_id, hook,
//     and repository or organization, sender;
//   - secret_scanning_alert, with action created (an alert opened: AddAlert,
//     PlantSecret), reopened and resolved (PATCH of the alert), validated
//     (its validity changed: validity.go) and publicly_leaked (its secret
//     was found in a public repository: PlantSecret): action, alert,
//     repository, organization (for an organization's repository), sender;
//   - secret_scanning_alert_location, action created (a new location of an
//     open alert: PlantSecret): action, alert, location {type commit,
//     details}, repository, organization, sender.
//
// The alert in a payload is the REST API's alert without its secret: real
// payloads never carry the secret value (read the alert through the API
// for it). Its URLs point at the simulator under /api/v3 (SetPublicURL).
// The sender is the user whose request caused the event, or the
// repository's owner when nobody's request did (a push the simulator
// planted, a validity check).

// Events the simulator fires.
const (
	EventPing          = "ping"
	EventAlert         = "secret_scanning_alert"
	EventAlertLocation = "secret_scanning_alert_location"
)

// eventCall is the call that renders event payloads: URLs at the public
// URL (SetPublicURL), else at the host of the request that caused the
// event (c, which may be nil), else http://127.0.0.1.
func (s *Server) eventCall(c *call) *call {
	s.hk.mu.Lock()
	web := s.hk.publicURL
	s.hk.mu.Unlock()
	if web == "" && c != nil && c.web != "" {
		web = c.web
	}
	if web == "" {
		web = "http://127.0.0.1"
	}
	return &call{web: web, base: web + enterprisePrefix}
}

// envelope adds repository, organization and sender to a payload.
func (c *call) envelope(p map[string]any, rp *repo, sender *account) map[string]any {
	p["repository"] = c.repoJSON(rp)
	if rp.owner.org {
		p["organization"] = c.orgSimpleJSON(rp.owner)
	}
	if sender == nil {
		sender = rp.owner
	}
	p["sender"] = c.userJSON(sender)
	return p
}

// webhookAlertJSON is the alert as payloads show it: the API's alert
// without the secret.
func (c *call) webhookAlertJSON(rp *repo, a *alert) map[string]any {
	m := c.alertJSON(rp, a, true, false)
	delete(m, "secret")
	return m
}

// encodePayload renders a payload as GitHub sends it: compact JSON, HTML
// characters unescaped.
func encodePayload(p map[string]any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p) // maps of JSON values always encode
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// emitAlert fires secret_scanning_alert with action for a of rp. sender
// is whose request caused it (nil: nobody's). Callers hold s.mu.
func (s *Server) emitAlert(rp *repo, a *alert, action string, sender *account) {
	hooks := s.hooksFor(rp, EventAlert)
	if len(hooks) == 0 {
		return
	}
	c := s.eventCall(nil)
	p := c.envelope(map[string]any{"action": action, "alert": c.webhookAlertJSON(rp, a)}, rp, sender)
	body := encodePayload(p)
	for _, h := range hooks {
		s.startDelivery(h, EventAlert, action, body, rp.id, "", false)
	}
}

// emitLocation fires secret_scanning_alert_location created for a new
// location of a. Callers hold s.mu.
func (s *Server) emitLocation(rp *repo, a *alert, l Location, sender *account) {
	hooks := s.hooksFor(rp, EventAlertLocation)
	if len(hooks) == 0 {
		return
	}
	c := s.eventCall(nil)
	p := c.envelope(map[string]any{
		"action":   "created",
		"alert":    c.webhookAlertJSON(rp, a),
		"location": map[string]any{"type": "commit", "details": c.locationDetails(rp, l)},
	}, rp, sender)
	body := encodePayload(p)
	for _, h := range hooks {
		s.startDelivery(h, EventAlertLocation, "created", body, rp.id, "", false)
	}
}

// zens are what GitHub's ping says.
var zens = []string{
	"Design for failure.", "Keep it logically awesome.", "Speak like a human.",
	"Favor focus over features.", "Avoid administrative distraction.", "Mind your words, they are important.",
	"Responsive is better than fast.", "Anything added dilutes everything else.", "Approachable is better than simple.",
	"Practicality beats purity.", "Half measures are as bad as nothing at all.", "It's not fully shipped until it's fast.",
}

// emitPing sends h a ping (whatever its events, even when inactive, as
// GitHub does). c is the request that made it. Callers hold s.mu.
func (s *Server) emitPing(h *hook, c *call) {
	ec := s.eventCall(c)
	p := map[string]any{"zen": zens[int(h.id%int64(len(zens)))], "hook_id": h.id, "hook": ec.hookJSON(h)}
	var repoID int64
	if h.rp != nil {
		p["repository"] = ec.repoJSON(h.rp)
		if h.rp.owner.org {
			p["organization"] = ec.orgSimpleJSON(h.rp.owner)
		}
		repoID = h.rp.id
	} else {
		p["organization"] = ec.orgSimpleJSON(h.org.acct)
	}
	sender := c.user
	if sender == nil {
		sender = h.org.acct
		if h.rp != nil {
			sender = h.rp.owner
		}
	}
	p["sender"] = ec.userJSON(sender)
	s.startDelivery(h, EventPing, "", encodePayload(p), repoID, "", false)
}
