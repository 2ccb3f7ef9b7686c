package googlesim

import (
	"net/http"
	"net/url"
	"strings"
)

// Redacted stands for a key string in a logged request URI.
const Redacted = "REDACTED"

// keyParams are the query parameters that carry a key string: lookupKey's
// keyString, and the Generative Language API's key.
var keyParams = []string{"keyString", "key"}

// LogPath is r's request URI (path and query) as a request log may keep
// it: the key strings that the API takes in the query (GET
// /v2/keys:lookupKey?keyString=…, GET /v1beta/models?key=…) replaced by
// Redacted, everything else as received. The simulator's request log
// records r.URL.RequestURI() before a service sees the request, so it is
// the log that must call this (through an interface of simapi's) for
// /_sim/requests never to show a Google key.
func (s *Server) LogPath(r *http.Request) string {
	return RedactURI(r.URL.RequestURI())
}

// RedactURI replaces the values of the key-carrying query parameters of a
// request URI by Redacted, keeping the parameters' order and every other
// byte.
func RedactURI(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok || query == "" {
		return uri
	}
	fields := strings.Split(query, "&")
	for i, f := range fields {
		name, _, hasValue := strings.Cut(f, "=")
		if !hasValue {
			continue
		}
		// Go's and Google's query parsers unescape names: so does this.
		if n, err := url.QueryUnescape(name); err == nil {
			for _, p := range keyParams {
				if n == p {
					fields[i] = name + "=" + Redacted
				}
			}
		}
	}
	return path + "?" + strings.Join(fields, "&")
}
