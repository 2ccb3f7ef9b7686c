package googlesim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// check calls the Generative Language check as a client would, with the
// key in the x-goog-api-key header (or ?key= when inQuery) and headers.
func (w *world) check(t *testing.T, value string, inQuery bool, headers map[string]string) (int, string, string) {
	t.Helper()
	u := w.env[googlesim.EnvGenerativeLanguageURL] + "/v1beta/models"
	if inQuery {
		u += "?key=" + value
	}
	req, _ := http.NewRequest("GET", u, nil)
	if !inQuery && value != "" {
		req.Header.Set("X-Goog-Api-Key", value)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var body struct {
		Error struct {
			Status  string `json:"status"`
			Message string `json:"message"`
			Details []struct {
				Type   string `json:"@type"`
				Reason string `json:"reason"`
				Domain string `json:"domain"`
			} `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &body)
	reason := ""
	for _, d := range body.Error.Details {
		if d.Type == "type.googleapis.com/google.rpc.ErrorInfo" {
			reason = d.Reason
			if d.Domain != "googleapis.com" {
				t.Errorf("ErrorInfo domain = %q, want googleapis.com", d.Domain)
			}
		}
	}
	return res.StatusCode, reason, body.Error.Message
}

func TestCheckEndpointAnswersAsGoogle(t *testing.T) {
	t.Parallel()
	w := startWorld(t, 5, googlesim.New)
	issue := func(attrs map[string]string) simapi.IssuedKey {
		k, err := w.fake.IssueKey(simapi.IssueRequest{Name: "k", Attrs: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	plain := issue(nil)
	gemini := issue(map[string]string{"api_targets": "generativelanguage.googleapis.com"})
	geminiList := issue(map[string]string{"api_targets": "generativelanguage.googleapis.com=ListModels"})
	translate := issue(map[string]string{"api_targets": "translate.googleapis.com"})
	browser := issue(map[string]string{"referrers": "https://*.example.com/*"})
	server := issue(map[string]string{"ips": "10.1.0.0/16"})
	loopback := issue(map[string]string{"ips": "127.0.0.1"})
	android := issue(map[string]string{"android_apps": "com.example.app=DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09"})
	ios := issue(map[string]string{"ios_bundle_ids": "com.example.ios"})
	deleted := issue(map[string]string{"deleted": "2026-11-30T00:00:00Z"})

	for _, c := range []struct {
		name    string
		value   string
		query   bool
		headers map[string]string
		status  int
		reason  string
	}{
		{"unrestricted, header", plain.Value, false, nil, 200, ""},
		{"unrestricted, query", plain.Value, true, nil, 200, ""},
		{"gemini target", gemini.Value, false, nil, 200, ""},
		{"gemini ListModels", geminiList.Value, false, nil, 200, ""},
		{"other service only", translate.Value, false, nil, 403, "API_KEY_SERVICE_BLOCKED"},
		{"referrer missing", browser.Value, false, nil, 403, "API_KEY_HTTP_REFERRER_BLOCKED"},
		{"referrer allowed", browser.Value, false, map[string]string{"Referer": "https://app.example.com/page"}, 200, ""},
		{"referrer other", browser.Value, false, map[string]string{"Referer": "https://evil.test/"}, 403, "API_KEY_HTTP_REFERRER_BLOCKED"},
		{"ip not allowed", server.Value, false, nil, 403, "API_KEY_IP_ADDRESS_BLOCKED"},
		{"ip allowed", loopback.Value, false, nil, 200, ""},
		{"android missing", android.Value, false, nil, 403, "API_KEY_ANDROID_APP_BLOCKED"},
		{"android allowed", android.Value, false, map[string]string{"X-Android-Package": "com.example.app",
			"X-Android-Cert": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}, 200, ""},
		{"ios missing", ios.Value, false, nil, 403, "API_KEY_IOS_APP_BLOCKED"},
		{"ios allowed", ios.Value, false, map[string]string{"X-Ios-Bundle-Identifier": "com.example.ios"}, 200, ""},
		{"deleted", deleted.Value, false, nil, 400, "API_KEY_INVALID"},
		{"unknown", "AIza" + "abcdefghijklmnopqrstuvwxyz012345678", false, nil, 400, "API_KEY_INVALID"},
	} {
		status, reason, msg := w.check(t, c.value, c.query, c.headers)
		if status != c.status || reason != c.reason {
			t.Errorf("%s: %d %s (%s), want %d %s", c.name, status, reason, msg, c.status, c.reason)
		}
		if c.reason == "API_KEY_INVALID" && msg != "API key not valid. Please pass a valid API key." {
			t.Errorf("%s: message %q", c.name, msg)
		}
	}
	if status, _, _ := w.check(t, "", false, nil); status != 403 {
		t.Errorf("no key: %d, want 403", status)
	}
	// Successful calls count as uses of the key; refusals do not.
	for _, k := range w.snapshot(t).Keys {
		if k.KeyString == plain.Value && k.Uses != 2 {
			t.Errorf("the unrestricted key has %d uses, want 2", k.Uses)
		}
		if k.KeyString == translate.Value && k.Uses != 0 {
			t.Errorf("a refused key has %d uses", k.Uses)
		}
	}
	// KeyStatus follows deletion.
	if id, live, known := w.fake.KeyStatus(plain.Value, w.clock.now()); !live || !known || id != plain.ID {
		t.Errorf("KeyStatus(plain) = %s %v %v", id, live, known)
	}
	if _, live, known := w.fake.KeyStatus(deleted.Value, w.clock.now()); live || !known {
		t.Errorf("KeyStatus(deleted) = live %v known %v", live, known)
	}
	if _, _, known := w.fake.KeyStatus("AIza-nope", w.clock.now()); known {
		t.Errorf("an unknown value is known")
	}
}

func TestIssueKeyRefusesWhatTheAPIRefuses(t *testing.T) {
	t.Parallel()
	fake := googlesim.NewServer(simapi.Options{Rand: zeroReader{}}, googlesim.Config{})
	for _, attrs := range []map[string]string{
		{"referrers": "a", "ips": "1.2.3.4"},
		{"android_apps": "com.example=not-a-sha1"},
		{"key_id": "Upper"},
		{"colour": "blue"},
	} {
		if _, err := fake.IssueKey(simapi.IssueRequest{Attrs: attrs}); err == nil {
			t.Errorf("IssueKey accepted %v", attrs)
		}
	}
	if k, err := fake.IssueKey(simapi.IssueRequest{}); err != nil || !googlesim.KeyPattern.MatchString(k.Value) || k.SecretType != "google_api_key" {
		t.Errorf("IssueKey = %+v, %v", k, err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
