package googlesim

import (
	"net"
	"net/http"
	"strings"
)

// The call the check endpoint stands for.
const (
	checkService = "generativelanguage.googleapis.com"
	checkMethod  = "google.ai.generativelanguage.v1beta.ModelService.ListModels"
)

// invalidKey is the Generative Language API's answer to a key that is not
// (or no longer) a key.
func invalidKey() *googleError {
	const msg = "API key not valid. Please pass a valid API key."
	return &googleError{code: http.StatusBadRequest, status: "INVALID_ARGUMENT", message: msg,
		details: []any{errorInfo("API_KEY_INVALID", "googleapis.com", map[string]string{"service": checkService}), localizedMessage(msg)}}
}

// blocked is the answer to a live key whose restrictions forbid the call.
func blocked(reason, msg, consumer string, extra map[string]string) *googleError {
	md := map[string]string{"service": checkService, "consumer": consumer}
	for k, v := range extra {
		md[k] = v
	}
	return &googleError{code: http.StatusForbidden, status: "PERMISSION_DENIED", message: msg,
		details: []any{errorInfo(reason, "googleapis.com", md), localizedMessage(msg)}}
}

// serveCheck answers GET /v1beta/models as the Generative Language API
// does: the models for a key whose restrictions allow the call, Google's
// refusal otherwise.
func (s *Server) serveCheck(w http.ResponseWriter, r *http.Request) {
	value := r.URL.Query().Get("key")
	if value == "" {
		value = r.Header.Get("X-Goog-Api-Key")
	}
	if value == "" {
		writeError(w, &googleError{code: http.StatusForbidden, status: "PERMISSION_DENIED",
			message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."})
		return
	}
	s.mu.Lock()
	now := s.now()
	s.purge(now)
	var k *key
	for _, c := range s.keys {
		if c.keyString == value {
			k = c
		}
	}
	var e *googleError
	if k == nil || !k.deleted.IsZero() {
		e = invalidKey()
	} else {
		e = allowed(k.restr, r, "projects/"+projectNumber(k.project))
	}
	if e == nil {
		k.uses++
		k.lastUsed = now
	}
	s.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": []map[string]any{
		{"name": "models/gemini-2.5-flash", "version": "001", "displayName": "Gemini 2.5 Flash",
			"inputTokenLimit": 1048576, "outputTokenLimit": 65536,
			"supportedGenerationMethods": []string{"generateContent", "countTokens"}},
		{"name": "models/gemini-2.5-pro", "version": "2.5", "displayName": "Gemini 2.5 Pro",
			"inputTokenLimit": 1048576, "outputTokenLimit": 65536,
			"supportedGenerationMethods": []string{"generateContent", "countTokens"}},
	}})
}

// allowed tells whether restrictions let r through, and Google's refusal
// if not.
func allowed(rs *Restrictions, r *http.Request, consumer string) *googleError {
	if rs == nil {
		return nil
	}
	if len(rs.APITargets) > 0 && !targetsAllow(rs.APITargets) {
		return blocked("API_KEY_SERVICE_BLOCKED",
			"Requests to this API "+checkService+" method "+checkMethod+" are blocked.", consumer,
			map[string]string{"methodName": checkMethod})
	}
	switch {
	case rs.BrowserKeyRestrictions != nil:
		ref := r.Header.Get("Referer")
		for _, pat := range rs.BrowserKeyRestrictions.AllowedReferrers {
			if ref != "" && referrerMatch(pat, ref) {
				return nil
			}
		}
		shown := ref
		if shown == "" {
			shown = "<empty>"
		}
		return blocked("API_KEY_HTTP_REFERRER_BLOCKED", "Requests from referer "+shown+" are blocked.", consumer,
			map[string]string{"httpReferrer": shown})
	case rs.ServerKeyRestrictions != nil:
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		ip := net.ParseIP(host)
		for _, a := range rs.ServerKeyRestrictions.AllowedIps {
			if ipMatch(a, ip) {
				return nil
			}
		}
		return blocked("API_KEY_IP_ADDRESS_BLOCKED",
			"The provided API key has an IP address restriction. The originating IP address of the call ("+host+") violates this restriction.",
			consumer, map[string]string{"ipAddress": host})
	case rs.AndroidKeyRestrictions != nil:
		pkg := r.Header.Get("X-Android-Package")
		cert := strings.ToUpper(strings.ReplaceAll(r.Header.Get("X-Android-Cert"), ":", ""))
		for _, a := range rs.AndroidKeyRestrictions.AllowedApplications {
			if pkg != "" && pkg == a.PackageName && cert == a.Sha1Fingerprint {
				return nil
			}
		}
		shown := pkg
		if shown == "" {
			shown = "<empty>"
		}
		return blocked("API_KEY_ANDROID_APP_BLOCKED", "Requests from this Android client application "+shown+" are blocked.",
			consumer, map[string]string{"androidPackageName": shown})
	case rs.IosKeyRestrictions != nil:
		id := r.Header.Get("X-Ios-Bundle-Identifier")
		for _, b := range rs.IosKeyRestrictions.AllowedBundleIds {
			if id != "" && id == b {
				return nil
			}
		}
		shown := id
		if shown == "" {
			shown = "<empty>"
		}
		return blocked("API_KEY_IOS_APP_BLOCKED", "Requests from this iOS client application "+shown+" are blocked.",
			consumer, map[string]string{"iosBundleId": shown})
	}
	return nil
}

// targetsAllow tells whether API targets allow the check's call. Service
// and methods match case-insensitively; a method may be the full name, the
// bare method name, or either with the service name before it, and may end
// in "*".
func targetsAllow(ts []APITarget) bool {
	full := strings.ToLower(checkMethod)
	short := full[strings.LastIndex(full, ".")+1:]
	for _, t := range ts {
		if !strings.EqualFold(t.Service, checkService) {
			continue
		}
		if len(t.Methods) == 0 {
			return true
		}
		for _, m := range t.Methods {
			m = strings.ToLower(strings.TrimPrefix(strings.ToLower(m), checkService+"."))
			if p, wild := strings.CutSuffix(m, "*"); wild {
				if strings.HasPrefix(full, p) || strings.HasPrefix(short, p) {
					return true
				}
			} else if m == full || m == short {
				return true
			}
		}
	}
	return false
}

// referrerMatch matches a referrer against an allowed pattern, where "*"
// stands for any run of characters; a pattern without a scheme matches
// both http and https.
func referrerMatch(pattern, ref string) bool {
	for _, cand := range []string{ref, strings.TrimPrefix(strings.TrimPrefix(ref, "https://"), "http://")} {
		if glob(pattern, cand) {
			return true
		}
	}
	return false
}

// ipMatch matches an IP address against an allowed address or CIDR range.
func ipMatch(allowed string, ip net.IP) bool {
	if ip == nil {
		return false
	}
	if _, n, err := net.ParseCIDR(allowed); err == nil {
		return n.Contains(ip)
	}
	a := net.ParseIP(allowed)
	return a != nil && a.Equal(ip)
}

// glob matches s against pattern, where "*" stands for any run of
// characters and everything else for itself.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
