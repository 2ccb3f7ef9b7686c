package googlesim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ServiceAccountEmail is the service account whose key Env writes.
const ServiceAccountEmail = "respond-sim@" + DefaultProject + ".iam.gserviceaccount.com"

// jwtBearer is the OAuth 2.0 grant type of a signed JWT (RFC 7523).
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Env writes a service-account key file whose token_uri is the fake's
// token endpoint and returns the variables that point Application Default
// Credentials, respond and gcloud at the fake.
func (s *Server) Env(base, dir string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sa == nil {
		// The key is made here, not drawn from Options.Rand: crypto/rsa
		// ignores the reader it is given. It is never in Snapshot, so the
		// world stays deterministic.
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("googlesim: make the service account's key: %w", err)
		}
		id := make([]byte, 20)
		_, _ = rand.Read(id)
		s.sa, s.saKeyID = k, hex.EncodeToString(id)
	}
	s.tokenURI = base + "/token"
	der, err := x509.MarshalPKCS8PrivateKey(s.sa)
	if err != nil {
		return nil, fmt.Errorf("googlesim: encode the service account's key: %w", err)
	}
	file := map[string]string{
		"type":            "service_account",
		"project_id":      DefaultProject,
		"private_key_id":  s.saKeyID,
		"private_key":     string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":    ServiceAccountEmail,
		"client_id":       "100000000000000000001",
		"token_uri":       s.tokenURI,
		"universe_domain": "googleapis.com",
	}
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "google-service-account.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("googlesim: write the service account's key file: %w", err)
	}
	return map[string]string{
		EnvCredentials:           path,
		EnvAPIKeysURL:            base + "/",
		EnvGenerativeLanguageURL: base,
		EnvGcloudOverride:        base + "/",
	}, nil
}

// oauthError answers the token endpoint's errors in OAuth 2.0's shape
// (RFC 6749 §5.2), as Google's token endpoint does.
func oauthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

// serveToken exchanges a JWT signed with the service account's key for an
// access token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", "Could not parse the request.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != jwtBearer {
		oauthError(w, "unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	s.mu.Lock()
	pub, keyID, aud := (*rsa.PublicKey)(nil), s.saKeyID, s.tokenURI
	if s.sa != nil {
		pub = &s.sa.PublicKey
	}
	s.mu.Unlock()
	if pub == nil {
		oauthError(w, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	claims, desc := verifyJWT(r.PostForm.Get("assertion"), pub, keyID)
	if desc != "" {
		oauthError(w, "invalid_grant", desc)
		return
	}
	switch {
	case claims.Iss != ServiceAccountEmail:
		oauthError(w, "invalid_grant", "Invalid JWT Signature.")
		return
	case claims.Aud != aud:
		oauthError(w, "invalid_grant", "Invalid JWT: Failed audience check. The expected audience is "+aud+".")
		return
	case strings.TrimSpace(claims.Scope) == "":
		oauthError(w, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
		return
	}
	// The JWT's times are the client's wall clock, not the world's.
	now := time.Now().Unix()
	if claims.Exp <= claims.Iat || claims.Exp-claims.Iat > 3600 || claims.Exp < now-300 || claims.Iat > now+300 {
		oauthError(w, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "ya29.sim-" + base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
}

// jwtClaims are the claims of a service account's assertion.
type jwtClaims struct {
	Iss   string `json:"iss"`
	Aud   string `json:"aud"`
	Scope string `json:"scope"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

// verifyJWT checks an RS256 JWT's signature and returns its claims, or
// what is wrong with it.
func verifyJWT(tok string, pub *rsa.PublicKey, keyID string) (jwtClaims, string) {
	var c jwtClaims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return c, "Invalid JWT: could not parse the assertion."
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return c, "Invalid JWT: could not parse the assertion."
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
		return c, "Invalid JWT: could not parse the assertion."
	}
	if h.Alg != "RS256" || (h.Kid != "" && h.Kid != keyID) {
		return c, "Invalid JWT Signature."
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return c, "Invalid JWT Signature."
	}
	return c, ""
}

// IssueAccessToken mints an access token the fake accepts, for a second
// client (gcloud's --access-token-file, say) in tests and drills.
func (s *Server) IssueAccessToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "ya29.sim-" + base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	return tok
}
