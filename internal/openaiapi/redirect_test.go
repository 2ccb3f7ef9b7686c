package openaiapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/respondhq/respond/internal/secret"
)

// redirector answers the first request with a redirect to target and
// records every request with whether it carried the admin key.
type redirector struct {
	target string
	mu     sync.Mutex
	sent   []string
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
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader(`{"object":"list","data":[],"has_more":false}`)), Request: req}, nil
}

// TestRedirectsKeepSchemeHostAndPort: the admin key never follows a
// redirect that changes the scheme, host or port.
func TestRedirectsKeepSchemeHostAndPort(t *testing.T) {
	for _, tc := range []struct {
		target string
		follow bool
	}{
		{"http://api.example.test/v1/organization/projects", false},
		{"https://evil.example.test/v1/organization/projects", false},
		{"https://api.example.test:8443/v1/organization/projects", false},
		{"https://api.example.test/v1/organization/projects?after=x", true},
	} {
		rt := &redirector{target: tc.target}
		c, err := New(Config{BaseURL: "https://api.example.test/v1", AdminKey: secret.New("sk-admin-ADMINCANARY00000000000000000000"), HTTPClient: &http.Client{Transport: rt}})
		if err != nil {
			t.Fatal(err)
		}
		c.retries = 0
		_, err = c.ListProjects(context.Background())
		if followed := len(rt.sent) > 1; followed != tc.follow {
			t.Errorf("redirect to %s: followed=%v, want %v (requests %v)", tc.target, followed, tc.follow, rt.sent)
		}
		if !tc.follow && (err == nil || !strings.Contains(err.Error(), "redirect")) {
			t.Errorf("redirect to %s: error %v, want one that names the refused redirect", tc.target, err)
		}
	}
}
