package watch

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/respondhq/respond/internal/textsafe"
)

// maxPayload bounds a delivery's body (GitHub caps payloads at 25 MB; a
// secret-scanning event is a few kilobytes).
const maxPayload = 5 << 20

// The events and actions watch acts on.
var (
	alertActions    = []string{"created", "reopened", "validated", "publicly_leaked"}
	locationActions = []string{"created"}
)

// webhookPayload is the part of a secret_scanning_alert or
// secret_scanning_alert_location payload watch reads: which alert. The
// payload holds no secret; the alert is read through the REST API.
type webhookPayload struct {
	Action string `json:"action"`
	Alert  *struct {
		Number int `json:"number"`
	} `json:"alert"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// webhook is the intake of GitHub's deliveries.
type webhook struct {
	svc *Service
}

func (h webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := h.svc.cfg
	m := cfg.Metrics
	id := textsafe.Line(r.Header.Get("X-GitHub-Delivery"))
	event := textsafe.Line(r.Header.Get("X-GitHub-Event"))
	log := cfg.Log.With("delivery", id, "event", event, "remote", r.RemoteAddr)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a GitHub webhook delivery here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil || len(body) > maxPayload {
		m.Refused.WithLabelValues("malformed").Inc()
		log.Warn("delivery refused: unreadable or too large body")
		http.Error(w, "unreadable or too large body", http.StatusBadRequest)
		return
	}
	if err := VerifySignature([]byte(cfg.WebhookSecret.Reveal()), body, r.Header.Get(SignatureHeader)); err != nil {
		reason := "bad_signature"
		if errors.Is(err, ErrUnsigned) {
			reason = "unsigned"
		}
		m.Refused.WithLabelValues(reason).Inc()
		log.Warn("delivery refused: "+err.Error(), "reason", reason)
		http.Error(w, "signature required: "+err.Error(), http.StatusUnauthorized)
		return
	}
	if id == "" {
		m.Refused.WithLabelValues("malformed").Inc()
		log.Warn("delivery refused: no X-GitHub-Delivery header")
		http.Error(w, "no X-GitHub-Delivery header", http.StatusBadRequest)
		return
	}
	if event == "ping" {
		m.Deliveries.WithLabelValues("ping").Inc()
		log.Info("ping from GitHub")
		writeText(w, http.StatusOK, "pong")
		return
	}
	// A replayed delivery (the signature covers no timestamp) is dropped;
	// its ID was recorded the first time.
	if seen, err := cfg.Store.SeenDelivery(id, cfg.now()); err != nil {
		log.Error("could not record the delivery ID", "error", err)
	} else if seen {
		m.Refused.WithLabelValues("replay").Inc()
		log.Warn("delivery dropped: its ID was seen before (a replay, or a redelivery of one already handled)", "reason", "replay")
		writeText(w, http.StatusOK, "delivery already received: dropped")
		return
	}
	if event != "secret_scanning_alert" && event != "secret_scanning_alert_location" {
		m.Deliveries.WithLabelValues("ignored").Inc()
		log.Info("delivery ignored: not a secret-scanning event")
		writeText(w, http.StatusAccepted, "ignored: not a secret-scanning event")
		return
	}
	p, err := decodePayload(r.Header.Get("Content-Type"), body)
	if err != nil || p.Alert == nil || p.Repository == nil || p.Alert.Number < 1 {
		m.Refused.WithLabelValues("malformed").Inc()
		log.Warn("delivery refused: not a secret-scanning payload")
		http.Error(w, "not a secret-scanning payload", http.StatusBadRequest)
		return
	}
	owner, repo, ok := strings.Cut(p.Repository.FullName, "/")
	ref := AlertRef{Owner: owner, Repo: repo, Number: p.Alert.Number}
	log = log.With("alert", textsafe.Line(ref.String()), "action", textsafe.Line(p.Action))
	wanted := alertActions
	if event == "secret_scanning_alert_location" {
		wanted = locationActions
	}
	switch {
	case !ok || owner == "" || repo == "":
		m.Refused.WithLabelValues("malformed").Inc()
		http.Error(w, "no repository", http.StatusBadRequest)
		return
	case !slices.Contains(wanted, p.Action):
		m.Deliveries.WithLabelValues("ignored").Inc()
		log.Info("delivery ignored: nothing to do for this action")
		writeText(w, http.StatusAccepted, "ignored: nothing to do for "+event+" "+p.Action)
		return
	case !h.svc.Leader():
		m.Deliveries.WithLabelValues("follower").Inc()
		log.Info("delivery left to the leader's next poll (this replica is a follower)")
		writeText(w, http.StatusAccepted, "accepted by a follower: the leader's next poll handles it")
		return
	}
	m.Deliveries.WithLabelValues("accepted").Inc()
	// Recorded before the answer: GitHub sends no answered delivery
	// again, so a replica that dies before deciding leaves the alert to
	// the next start (or the next leader) to decide.
	if err := cfg.Store.MarkReceived(ref.String(), cfg.now()); err != nil {
		log.Error("could not record the delivery's alert; it is decided now but not after a crash", "error", err)
	}
	log.Info("delivery accepted")
	h.svc.disp().Submit(SourceWebhook, ref)
	writeText(w, http.StatusAccepted, "accepted")
}

// decodePayload reads a JSON delivery, or a form one (payload=…).
func decodePayload(contentType string, body []byte) (webhookPayload, error) {
	var p webhookPayload
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return p, err
		}
		body = []byte(v.Get("payload"))
	}
	err := json.Unmarshal(body, &p)
	return p, err
}

func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}
