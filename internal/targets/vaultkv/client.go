// Package vaultkv is respond's `vault-kv` target type (spec.go, writer.go:
// one field of a Vault KV version 2 secret; docs/inventory.md documents
// it), and its client for such a field, over the official
// github.com/hashicorp/vault/api: read a field,
// write one field keeping the others with check-and-set (a concurrent
// change is detected and reported, never overwritten), and check before
// any change that the mount is KV v2 and the token may read and write.
//
// # Configuration
//
// ConfigFromEnv reads VAULT_ADDR, VAULT_TOKEN and VAULT_NAMESPACE, as the
// Vault CLI does; TLS settings (VAULT_CACERT, VAULT_CLIENT_CERT, …) are
// read by vault/api itself. respond adds its rules for clients that carry
// secrets: a plain http:// address is refused unless it is a loopback
// address, and redirects are not followed (vault/api would follow one to
// another host with the token).
//
// # Retries
//
// Reads are retried (vault/api's retries on 5xx and 429). A write is sent
// once: a repeated write with the same check-and-set version would be
// refused as a concurrent change after the first one took effect. When a
// write's outcome is unknown (no answer, or a 5xx), WriteField reads the
// secret back to learn whether it took effect.
//
// Secret values are secret.Value; no error of this package holds one.
package vaultkv

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/textsafe"
)

// Errors that errors.Is finds in this package's errors.
var (
	// ErrNotFound: the secret, its current version or the field does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the token may not do it (403).
	ErrForbidden = errors.New("permission denied")
	// ErrConcurrentChange: the secret changed between respond's read and
	// its write; nothing was overwritten.
	ErrConcurrentChange = errors.New("the secret changed under us")
	// ErrBadInput: a mount, path or field that cannot be used.
	ErrBadInput = errors.New("bad input")
)

// Config is where Vault is and who respond is there.
type Config struct {
	Address   string
	Token     secret.Value
	Namespace string
}

// ConfigFromEnv reads VAULT_ADDR, VAULT_TOKEN and VAULT_NAMESPACE.
func ConfigFromEnv() Config {
	return Config{Address: os.Getenv("VAULT_ADDR"), Token: secret.New(os.Getenv("VAULT_TOKEN")), Namespace: os.Getenv("VAULT_NAMESPACE")}
}

// Client reads and writes KV v2 fields.
type Client struct {
	reader, writer *vault.Client
	addr, ns       string
}

// readRetries is how often vault/api retries a read.
const readRetries = 2

// New builds a client.
func New(cfg Config) (*Client, error) {
	if cfg.Address == "" {
		return nil, errors.New("vault: VAULT_ADDR is not set: set it to the Vault server's address (https://vault.example:8200)")
	}
	if cfg.Token.IsZero() {
		return nil, errors.New("vault: VAULT_TOKEN is not set: log in (vault login) and export the token")
	}
	u, err := url.Parse(cfg.Address)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("vault: VAULT_ADDR %q is not an http(s) URL", cfg.Address)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("vault: VAULT_ADDR %s is plain http: respond sends the token and secret values only over https (or to a loopback address)", u.Redacted())
	}
	build := func(retries int) (*vault.Client, error) {
		vc := vault.DefaultConfig()
		if vc.Error != nil {
			return nil, fmt.Errorf("vault: %w", vc.Error)
		}
		vc.Address = cfg.Address
		vc.MaxRetries = retries
		vc.DisableRedirects = true
		vc.Timeout = 60 * time.Second
		// vault/api's own HTTP client follows no redirect
		// (http.ErrUseLastResponse); with DisableRedirects it does not
		// follow one either, so a redirect is an error.
		c, err := vault.NewClient(vc)
		if err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		c.SetToken(cfg.Token.Reveal())
		c.SetNamespace(cfg.Namespace)
		return c, nil
	}
	r, err := build(readRetries)
	if err != nil {
		return nil, err
	}
	w, err := build(0)
	if err != nil {
		return nil, err
	}
	return &Client{reader: r, writer: w, addr: u.Redacted(), ns: cfg.Namespace}, nil
}

// Address is the Vault server's address.
func (c *Client) Address() string { return c.addr }

// Namespace is the Vault namespace ("" for the root).
func (c *Client) Namespace() string { return c.ns }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkPath validates a mount and a secret's path before they go into a
// request path (vault/api cleans paths: .. would climb out of the mount).
func checkPath(mount, path string) (string, error) {
	mount = strings.Trim(mount, "/")
	if err := netsafe.Segments("mount", mount); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	for _, seg := range strings.Split(path, "/") {
		if err := netsafe.Segments("secret path segment", seg); err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadInput, err)
		}
	}
	return mount, nil
}

// Error is an error answer of Vault to one operation.
type Error struct {
	// Op is what respond was doing ("writing field API_KEY of
	// secret/app/prod"); Status the HTTP status (0: no answer); Errors
	// Vault's messages, cleaned.
	Op     string
	Status int
	Errors []string
	Hint   string
	kind   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("vault: " + e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if len(e.Errors) > 0 {
		b.WriteString(": " + strings.Join(e.Errors, "; "))
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Unwrap lets errors.Is find ErrNotFound, ErrForbidden or
// ErrConcurrentChange.
func (e *Error) Unwrap() error { return e.kind }

// wrap turns a vault/api error into an Error, scrubbed of values.
func wrap(op string, err error, values []secret.Value) error {
	if err == nil {
		return nil
	}
	var re *vault.ResponseError
	if !errors.As(err, &re) {
		if errors.Is(err, vault.ErrSecretNotFound) {
			return &Error{Op: op, Status: 404, kind: ErrNotFound}
		}
		return fmt.Errorf("vault: %s: %s", op, scrub(err.Error(), values))
	}
	e := &Error{Op: op, Status: re.StatusCode}
	for _, m := range re.Errors {
		e.Errors = append(e.Errors, scrub(m, values))
	}
	switch {
	case re.StatusCode == 404:
		e.kind = ErrNotFound
	case re.StatusCode == 403:
		e.kind = ErrForbidden
		e.Hint = "the token's policy does not allow it: vault token capabilities tells what it may do"
	case re.StatusCode == 400 && strings.Contains(strings.Join(re.Errors, " "), "check-and-set parameter did not match"):
		e.kind = ErrConcurrentChange
	}
	return e
}

// scrub removes secret values and control characters from a message.
func scrub(msg string, values []secret.Value) string {
	for _, v := range values {
		if !v.IsZero() {
			msg = strings.ReplaceAll(msg, v.Reveal(), "[REDACTED]")
		}
	}
	return textsafe.Line(msg)
}
