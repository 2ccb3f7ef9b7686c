package netsafe

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

func TestCheckRedirect(t *testing.T) {
	req := func(s string) *http.Request {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Request{URL: u}
	}
	first := []*http.Request{req("https://api.example.test/v1/x")}
	for target, ok := range map[string]bool{
		"https://api.example.test/v1/y":     true,
		"https://API.example.test:443/v1/y": true,
		"http://api.example.test/v1/y":      false,
		"https://api.example.test:8443/":    false,
		"https://other.example.test/v1/y":   false,
	} {
		err := CheckRedirect(req(target), first)
		if (err == nil) != ok || (err != nil && !errors.Is(err, ErrRedirect)) {
			t.Errorf("redirect to %s: %v, want allowed=%v", target, err, ok)
		}
	}
	many := []*http.Request{first[0], first[0], first[0], first[0], first[0]}
	if err := CheckRedirect(req("https://api.example.test/v1/z"), many); err == nil {
		t.Error("a sixth redirect was allowed")
	}
}

func TestSegments(t *testing.T) {
	if err := Segments("owner", "acme", "repository", "api.v2", "environment", "prod west"); err != nil {
		t.Errorf("valid names refused: %v", err)
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "a?b", "a#b", "a%2F", "a\x1bb"} {
		if err := Segments("repository", bad); !errors.Is(err, ErrBadSegment) {
			t.Errorf("Segments(%q) = %v, want ErrBadSegment", bad, err)
		}
	}
}
