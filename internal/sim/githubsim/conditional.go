package githubsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Conditional requests, as GitHub documents them for the REST API: a
// response carries an ETag (GitHub's are weak: W/"…", a hash of the body);
// a request whose If-None-Match names the current ETag is answered 304 Not
// Modified with no body, and "does not count against your primary rate
// limit": its x-ratelimit-remaining is what it was before the request.
// The secret-scanning alert lists (repository and organization) and GET
// of a single alert answer conditionally; an alert's ETag changes whenever
// what the response shows changes (its state, validity, locations,
// updated_at, …).

// Cache headers GitHub sends with authenticated JSON responses.
const (
	cacheControl = "private, max-age=60, s-maxage=60"
	varyHeaders  = "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding"
)

// writeConditional writes v as JSON with status 200 and its ETag, or 304
// when the request's If-None-Match names that ETag (refunding the primary
// rate limit).
func (s *Server) writeConditional(w http.ResponseWriter, r *http.Request, c *call, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"message":"simulator failed to encode its response"}`, http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(buf.Bytes())
	etag := `W/"` + hex.EncodeToString(sum[:]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	h.Set("Vary", varyHeaders)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		s.refundPrimary(c.token, h)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// etagMatches applies If-None-Match's weak comparison: any listed tag
// equal to etag (ignoring W/), or "*".
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			return true
		}
	}
	return false
}

// refundPrimary gives back the primary-limit request a 304 was charged and
// sets the rate-limit headers to what they were before it.
func (s *Server) refundPrimary(tok string, h http.Header) {
	s.rlMu.Lock()
	defer s.rlMu.Unlock()
	tr := s.rates[tok]
	if tr == nil {
		return
	}
	if tr.used > 0 {
		tr.used--
	}
	setRateHeaders(h, s.opts.PrimaryLimit, tr.used, tr.reset)
}
