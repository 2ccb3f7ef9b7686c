package watch

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/secret"
)

type sink struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	fail   int // answer 500 to this many posts first
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		w.WriteHeader(500)
		return
	}
	s.bodies = append(s.bodies, b)
	s.heads = append(s.heads, r.Header.Clone())
}

func noSleep(context.Context, time.Duration) error { return nil }

func hostileNotice() Notice {
	return Notice{
		Event: "response", Alert: "acme/<!channel>#3", URL: "https://github.example/acme/x/security/secret-scanning/3|evil",
		SecretType: "openai_api_key", Provider: "OpenAI API key", Key: "sk-proj-…wxyz", Credential: "prod <@U123>",
		Action: Respond, Rule: "prod & co", Incident: "INC-20261207-101010-ab12", Outcome: "contained, not recovered",
		Failing: []string{"every target holds it: acme/<b>web</b> failed"}, Next: "respond resume INC-20261207-101010-ab12 --yes",
	}
}

// Slack gets one message in its mrkdwn: the alert linked, the key named by
// its redacted form, and every text from GitHub or the inventory escaped so
// that it adds no mention and no link; it is retried on a 500.
func TestSlack(t *testing.T) {
	sk := &sink{fail: 1}
	srv := httptest.NewServer(sk)
	defer srv.Close()
	s, err := NewSlack(secret.New(srv.URL + "/services/T/B/x"))
	if err != nil {
		t.Fatal(err)
	}
	s.p.sleep = noSleep
	if err := s.Notify(context.Background(), hostileNotice()); err != nil {
		t.Fatal(err)
	}
	if len(sk.bodies) != 1 {
		t.Fatalf("%d messages", len(sk.bodies))
	}
	var msg struct{ Text string }
	if err := json.Unmarshal(sk.bodies[0], &msg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<https://github.example/acme/x/security/secret-scanning/3%7Cevil|acme/&lt;!channel&gt;#3>",
		"`sk-proj-…wxyz`", "*prod &lt;@U123&gt;*", "*CONTAINED, NOT RECOVERED*", "acme/&lt;b&gt;web&lt;/b&gt;",
		"rule: prod &amp; co (respond)", "*A person must:* respond resume INC-20261207-101010-ab12 --yes",
	} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("the message lacks %q:\n%s", want, msg.Text)
		}
	}
	if strings.Contains(msg.Text, "<!channel>") || strings.Contains(msg.Text, "<@U123>") {
		t.Fatalf("a mention got through:\n%s", msg.Text)
	}
	if _, err := NewSlack(secret.New("http://hooks.example.com/services/x")); err == nil {
		t.Fatal("plain http to a remote host was accepted")
	}
}

// The generic webhook's body is the notice as JSON, signed as GitHub signs
// its deliveries; a receiver checks it with the shared secret.
func TestWebhookNotifier(t *testing.T) {
	sk := &sink{}
	srv := httptest.NewServer(sk)
	defer srv.Close()
	key := secret.New("notify-signing-secret")
	w, err := NewWebhook(srv.URL+"/respond", key)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(context.Background(), hostileNotice()); err != nil {
		t.Fatal(err)
	}
	if len(sk.bodies) != 1 {
		t.Fatalf("%d posts", len(sk.bodies))
	}
	h := sk.heads[0]
	if err := VerifySignature([]byte(key.Reveal()), sk.bodies[0], h.Get(WebhookSignatureHeader)); err != nil {
		t.Fatalf("the signature does not verify: %v", err)
	}
	if h.Get("X-Respond-Event") != "watch.response" || len(h.Get("X-Respond-Delivery")) != 32 {
		t.Fatalf("headers: %v", h)
	}
	var got Notice
	if err := json.Unmarshal(sk.bodies[0], &got); err != nil || got.Incident != "INC-20261207-101010-ab12" || got.Outcome != "contained, not recovered" {
		t.Fatalf("body: %s (%v)", sk.bodies[0], err)
	}
	if _, err := NewWebhook(srv.URL, secret.Value{}); err == nil {
		t.Fatal("a webhook without a signing secret was accepted")
	}
	// A 4xx is not retried, and the error never quotes the URL.
	srv2 := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(403) }))
	defer srv2.Close()
	w2, _ := NewWebhook(srv2.URL+"/secret-path-token", key)
	if err := w2.Notify(context.Background(), hostileNotice()); err == nil || strings.Contains(err.Error(), "secret-path-token") {
		t.Fatalf("err = %v", err)
	}
}
