package githubapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/secret"
)

// redirector answers the first request to the API with a redirect to
// target, and records every request with the Authorization it carried.
type redirector struct {
	target string
	mu     sync.Mutex
	sent   []string // "URL auth=yes|no"
}

func (r *redirector) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	auth := "no"
	if req.Header.Get("Authorization") != "" {
		auth = "yes"
	}
	r.sent = append(r.sent, req.URL.String()+" auth="+auth)
	first := len(r.sent) == 1
	r.mu.Unlock()
	h := http.Header{"Content-Type": {"application/json"}}
	if first {
		h.Set("Location", r.target)
		return &http.Response{StatusCode: http.StatusFound, Header: h, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	}
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader(`{"login":"x"}`)), Request: req}, nil
}

// TestRedirectsKeepSchemeHostAndPort: a redirect that changes the scheme
// (https to http on the same host would carry the token in clear), the host
// or the port is refused; one within the API is followed.
func TestRedirectsKeepSchemeHostAndPort(t *testing.T) {
	for _, tc := range []struct {
		target string
		follow bool
	}{
		{"http://api.example.test/user", false},
		{"https://evil.example.test/user", false},
		{"https://api.example.test:8443/user", false},
		{"https://api.example.test/api/v3/users/x", true},
		{"https://api.example.test:443/user", true},
	} {
		rt := &redirector{target: tc.target}
		c, err := New(Config{BaseURL: "https://api.example.test/api/v3", Token: secret.New("ghp_TOKENCANARY0000000000000000000000000"), HTTPClient: &http.Client{Transport: rt}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.User(context.Background())
		if followed := len(rt.sent) > 1; followed != tc.follow {
			t.Errorf("redirect to %s: followed=%v, want %v (requests %v)", tc.target, followed, tc.follow, rt.sent)
		}
		if !tc.follow && (err == nil || !strings.Contains(err.Error(), "redirect")) {
			t.Errorf("redirect to %s: error %v, want one that names the refused redirect", tc.target, err)
		}
	}
}
