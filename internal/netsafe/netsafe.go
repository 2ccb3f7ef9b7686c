// Package netsafe holds the rules respond's API clients share for sending
// credentials over the network.
package netsafe

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects bounds the redirects followed within one origin.
const maxRedirects = 5

// ErrRedirect is wrapped by the error CheckRedirect returns.
var ErrRedirect = errors.New("refused redirect")

// CheckRedirect is an http.Client's CheckRedirect for a client that sends
// credentials: it follows a redirect only when it keeps the scheme, the
// host and the port of the first request (an https→http redirect on the
// same host would carry the credential in clear; another host or port is
// another server), and at most 5 of them.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	from := via[0].URL
	if o, n := origin(from), origin(req.URL); o != n {
		return fmt.Errorf("%w from %s to %s: it changes the scheme, host or port, and the request carries credentials; check the API base URL", ErrRedirect, o, n)
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects from %s", ErrRedirect, maxRedirects, from.Redacted())
	}
	return nil
}

// origin is scheme://host:port, with the scheme's default port made
// explicit and the host in lower case.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// ErrBadSegment is wrapped by the error Segments returns.
var ErrBadSegment = errors.New("not a valid name")

// Segments checks names that go into a request path, given as pairs of
// what and value ("repository", "api"): each must be one path segment, not
// empty, not . or .. (which collapse the path), and without /, \, ?, #, %
// or a control character. It is the clients' last line; the inventory
// refuses such names with positions first.
func Segments(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		what, v := pairs[i], pairs[i+1]
		bad := v == "" || v == "." || v == ".."
		for _, r := range v {
			if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\?#%`, r) {
				bad = true
			}
		}
		if bad {
			return fmt.Errorf("%w: %s %q cannot stand in a request path (it is empty, . or .., or holds /, \\, ?, #, %% or a control character); check the inventory or the flag", ErrBadSegment, what, v)
		}
	}
	return nil
}
