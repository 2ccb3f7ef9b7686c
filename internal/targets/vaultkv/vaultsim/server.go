// Package vaultsim is a fake HashiCorp Vault, served by the simulator
// under /vault/: the KV version 2 secrets engine (versions, check-and-set,
// merge patches, metadata, soft delete, undelete and destroy), a KV
// version 1 mount to tell from it, the mount listings clients read to
// detect the KV version, token lookup and capabilities from a small
// token → policy table, and Enterprise namespaces (X-Vault-Namespace).
//
// Mounts: secret/ (KV v2, the default), kv/ (KV v2 with cas_required) and
// legacy/ (KV v1) in the root namespace, and secret/ in the namespace
// team-a. Tokens (Token): TokenAdmin may do everything (VAULT_TOKEN),
// TokenReadOnly may read and list, TokenNoRead may create and update data
// but not read it, patch or delete.
//
// Errors are Vault's: {"errors": [...]} with its status codes (403
// permission denied, 404 with no errors for a missing secret, 400 for a
// check-and-set mismatch). See docs/simulator.md for what is simulated and
// what is not.
package vaultsim

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// Token names (Token returns their values).
const (
	TokenAdmin    = "admin"
	TokenReadOnly = "readonly"
	TokenNoRead   = "no-read"
)

// Namespace is the Enterprise namespace the fake has besides the root.
const Namespace = "team-a"

// Server is the fake Vault. Its methods are safe for concurrent use.
type Server struct {
	now  func() time.Time
	rand io.Reader

	mu sync.Mutex
	// namespaces are the root ("") and Namespace, each with its mounts.
	namespaces map[string]*namespace
	// tokens by value; made once, at the first Reset.
	tokens map[string]*token
	byName map[string]*token
	seq    uint64
}

var (
	_ simapi.Service     = (*Server)(nil)
	_ simapi.SecretStore = (*Server)(nil)
	_ simapi.ErrorWriter = (*Server)(nil)
)

// New builds the fake; it is a simapi.Factory.
func New(o simapi.Options) simapi.Service { return NewServer(o) }

// NewServer builds the fake. Its world is empty until Reset, which the
// simulator calls before it serves.
func NewServer(o simapi.Options) *Server {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{now: now, rand: o.Rand}
	s.resetLocked()
	return s
}

// Name is "vault".
func (s *Server) Name() string { return "vault" }

// Prefix is "/vault/".
func (s *Server) Prefix() string { return "/vault/" }

// Reset empties every mount and restores the mounts' settings; the tokens
// stay (VAULT_TOKEN still works).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureTokensLocked()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.namespaces = map[string]*namespace{
		"": {mounts: map[string]*mount{
			"secret/": newMount("secret/", 2, "key/value secret storage", false),
			"kv/":     newMount("kv/", 2, "key/value storage that requires check-and-set", true),
			"legacy/": newMount("legacy/", 1, "key/value version 1", false),
		}},
		Namespace: {path: Namespace + "/", mounts: map[string]*mount{
			"secret/": newMount("secret/", 2, "key/value secret storage", false),
		}},
	}
}

// Token returns the value of a token by name (TokenAdmin, TokenReadOnly,
// TokenNoRead); "" for another name.
func (s *Server) Token(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureTokensLocked()
	if t := s.byName[name]; t != nil {
		return t.value
	}
	return ""
}

// Env returns VAULT_ADDR (the simulator's /vault prefix: vault/api joins
// its request paths to the address's path) and VAULT_TOKEN (TokenAdmin).
func (s *Server) Env(base, _ string) (map[string]string, error) {
	return map[string]string{"VAULT_ADDR": base, "VAULT_TOKEN": s.Token(TokenAdmin)}, nil
}

// WriteError answers an injected fault in Vault's shape.
func (s *Server) WriteError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", fmt.Sprint(int((retryAfter+time.Second-1)/time.Second)))
	}
	msg := http.StatusText(status)
	switch {
	case status == http.StatusTooManyRequests:
		msg = "request path \"\": rate limit quota exceeded"
	case status >= 500:
		msg = "1 error occurred:\n\t* injected fault\n\n"
	}
	writeErrors(w, status, msg)
}

// randomHex draws n random bytes as hex (from a counter without a stream).
func (s *Server) randomHex(n int) string {
	b := make([]byte, n)
	if s.rand != nil {
		if _, err := io.ReadFull(s.rand, b); err == nil {
			return hex.EncodeToString(b)
		}
	}
	s.seq++
	copy(b, fmt.Sprintf("%0*d", n, s.seq))
	return hex.EncodeToString(b)
}

// uuid draws a UUID.
func (s *Server) uuid() string {
	h := s.randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
