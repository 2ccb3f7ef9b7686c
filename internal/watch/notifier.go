package watch

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/secret"
)

// Notice is one notification: an alert a rule said to notify about, or
// the end of a response. It never holds a secret: the key is named by its
// provider's redacted form and the inventory's credential.
type Notice struct {
	// Event is "alert" (a notify rule, or an alert watch cannot act on)
	// or "response" (a response ended).
	Event string `json:"event"`
	// Alert is OWNER/REPO#N, URL its page on GitHub.
	Alert      string `json:"alert"`
	URL        string `json:"url,omitempty"`
	SecretType string `json:"secret_type"`
	// Provider names who issued the key ("OpenAI API key"); Key is its
	// redacted form ("sk-proj-abc…wxyz"), Credential the inventory's name
	// for it.
	Provider   string `json:"provider,omitempty"`
	Key        string `json:"key,omitempty"`
	Credential string `json:"credential,omitempty"`
	Validity   string `json:"validity,omitempty"`
	Public     bool   `json:"publicly_leaked"`
	Action     Action `json:"action"`
	Rule       string `json:"rule"`
	DryRun     bool   `json:"dry_run,omitempty"`
	// Incident, Outcome and Failing describe a response's end.
	Incident string   `json:"incident,omitempty"`
	Outcome  string   `json:"outcome,omitempty"`
	Failing  []string `json:"failing,omitempty"`
	// Alerts are the other alerts on the same key this response covered.
	Alerts []string `json:"other_alerts,omitempty"`
	// Next says what a person must do ("" when nothing).
	Next string    `json:"next,omitempty"`
	At   time.Time `json:"at"`
}

// Summary is the notice in one sentence for people (plain text).
func (n Notice) Summary() string {
	what := "a leaked " + firstNonEmpty(n.Provider, "secret ("+n.SecretType+")")
	if n.Key != "" {
		what += " " + n.Key
	}
	if n.Credential != "" {
		what += " (credential " + n.Credential + ")"
	}
	var b strings.Builder
	switch n.Event {
	case "response":
		fmt.Fprintf(&b, "respond watch responded to %s in %s (rule %q: %s): incident %s is %s.", what, n.Alert, n.Rule, n.Action, n.Incident, strings.ToUpper(n.Outcome))
		if len(n.Failing) > 0 {
			fmt.Fprintf(&b, " Does not hold: %s.", strings.Join(n.Failing, "; "))
		}
		if len(n.Alerts) > 0 {
			fmt.Fprintf(&b, " It also covers %s (the same key).", strings.Join(n.Alerts, ", "))
		}
	default:
		verb := "changed nothing"
		if n.DryRun {
			verb = "changed nothing (dry run: it would " + string(n.Action) + ")"
		}
		fmt.Fprintf(&b, "GitHub found %s in %s; respond watch %s (rule %q: %s).", what, n.Alert, verb, n.Rule, n.Action)
	}
	if n.Next != "" {
		fmt.Fprintf(&b, " A person must: %s", n.Next)
	}
	return b.String()
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Notifier sends notices somewhere.
type Notifier interface {
	// Name names the channel in logs and metrics ("slack", "webhook").
	Name() string
	Notify(ctx context.Context, n Notice) error
}

// CheckURL refuses a notification URL that is not https (plain http is
// allowed to a loopback address only: the URL is a credential).
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("not an http(s) URL")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("refusing plain http to %s: use https (plain http only to a loopback address)", u.Host)
	}
	return u, nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// poster posts JSON with retries: three attempts, on a network error, a
// 429 or a 5xx.
type poster struct {
	client *http.Client
	sleep  func(context.Context, time.Duration) error
}

func newPoster() poster {
	return poster{client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: netsafe.CheckRedirect}, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (p poster) post(ctx context.Context, u string, body []byte, header http.Header) error {
	var last error
	for attempt := range 3 {
		if attempt > 0 {
			if err := p.sleep(ctx, time.Duration(attempt)*time.Second); err != nil {
				return err
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "respond-watch")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := p.client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the URL is a credential: not in messages
			}
			last = err
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("answered %d", resp.StatusCode)
			continue
		default:
			return fmt.Errorf("answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		}
	}
	return last
}

// Slack posts notices to a Slack incoming webhook.
type Slack struct {
	url secret.Value
	p   poster
}

// NewSlack returns a Slack notifier for an incoming-webhook URL (a
// credential: never shown).
func NewSlack(webhookURL secret.Value) (*Slack, error) {
	if _, err := CheckURL(webhookURL.Reveal()); err != nil {
		return nil, fmt.Errorf("the Slack webhook URL: %w", err)
	}
	return &Slack{url: webhookURL, p: newPoster()}, nil
}

// Name implements Notifier.
func (s *Slack) Name() string { return "slack" }

// Notify implements Notifier: one message, in Slack's mrkdwn, linking the
// alert.
func (s *Slack) Notify(ctx context.Context, n Notice) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Slack reads <url|text>; the text is escaped its own way
	if err := enc.Encode(map[string]any{"text": SlackText(n), "unfurl_links": false}); err != nil {
		return err
	}
	if err := s.p.post(ctx, s.url.Reveal(), b.Bytes(), nil); err != nil {
		return fmt.Errorf("post to Slack: %w", err)
	}
	return nil
}

// SlackText is a notice in Slack's mrkdwn: the alert linked, every text
// from GitHub or the inventory escaped (&, <, >) so that it cannot add a
// link or a mention.
func SlackText(n Notice) string {
	alert := slackEscape(n.Alert)
	if u, err := url.Parse(n.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && n.URL != "" {
		alert = "<" + slackEscape(strings.NewReplacer("|", "%7C", " ", "%20").Replace(n.URL)) + "|" + alert + ">"
	}
	what := slackEscape(firstNonEmpty(n.Provider, n.SecretType))
	if n.Key != "" {
		what += " `" + slackEscape(strings.ReplaceAll(n.Key, "`", "'")) + "`"
	}
	if n.Credential != "" {
		what += " (credential *" + slackEscape(n.Credential) + "*)"
	}
	var b strings.Builder
	switch n.Event {
	case "response":
		mark := ":white_check_mark:"
		if n.Outcome != "recovered" {
			mark = ":rotating_light:"
		}
		fmt.Fprintf(&b, "%s *respond watch* responded to a leaked %s in %s: incident `%s` is *%s*", mark, what, alert, slackEscape(n.Incident), slackEscape(strings.ToUpper(n.Outcome)))
		for _, f := range n.Failing {
			fmt.Fprintf(&b, "\n• does not hold: %s", slackEscape(f))
		}
		if len(n.Alerts) > 0 {
			fmt.Fprintf(&b, "\n• also covers %s (the same key)", slackEscape(strings.Join(n.Alerts, ", ")))
		}
	default:
		verb := "changed nothing"
		if n.DryRun {
			verb = "changed nothing (dry run: it would *" + string(n.Action) + "*)"
		}
		fmt.Fprintf(&b, ":warning: GitHub found a leaked %s in %s; *respond watch* %s", what, alert, verb)
	}
	fmt.Fprintf(&b, "\nrule: %s (%s)", slackEscape(n.Rule), n.Action)
	if n.Next != "" {
		fmt.Fprintf(&b, "\n*A person must:* %s", slackEscape(n.Next))
	}
	return b.String()
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning
// to in text (links, mentions).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// WebhookSignatureHeader signs the generic webhook's body.
const WebhookSignatureHeader = "X-Respond-Signature-256"

// Webhook posts notices as JSON to any URL, signed with HMAC-SHA256
// (X-Respond-Signature-256: sha256=HEX, as GitHub signs its deliveries),
// with X-Respond-Event and a unique X-Respond-Delivery.
type Webhook struct {
	url    string
	secret secret.Value
	p      poster
}

// NewWebhook returns a generic JSON webhook notifier.
func NewWebhook(rawURL string, signingSecret secret.Value) (*Webhook, error) {
	if _, err := CheckURL(rawURL); err != nil {
		return nil, fmt.Errorf("the notification webhook URL: %w", err)
	}
	if signingSecret.IsZero() {
		return nil, errors.New("the notification webhook needs a signing secret (--notify-secret-file or RESPOND_NOTIFY_SECRET)")
	}
	return &Webhook{url: rawURL, secret: signingSecret, p: newPoster()}, nil
}

// Name implements Notifier.
func (w *Webhook) Name() string { return "webhook" }

// Notify implements Notifier.
func (w *Webhook) Notify(ctx context.Context, n Notice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	h := http.Header{}
	h.Set(WebhookSignatureHeader, Sign([]byte(w.secret.Reveal()), body))
	h.Set("X-Respond-Event", "watch."+n.Event)
	h.Set("X-Respond-Delivery", hex.EncodeToString(id[:]))
	if err := w.p.post(ctx, w.url, body, h); err != nil {
		return fmt.Errorf("post to the notification webhook: %w", err)
	}
	return nil
}
