// Package simapi is the contract between the simulator (internal/sim) and
// the simulated APIs it serves besides OpenAI and GitHub: Google's API
// Keys API, Anthropic's Admin API, the Kubernetes API, Vault KV v2, and
// whatever a provider or target plug-in brings next.
//
// A simulated API is a Service: an http.Handler served under its own path
// prefix (so that /v1/ of Vault and /v1/ of Anthropic do not collide with
// OpenAI's), with a name for the request log and /_sim/state, a reset, a
// snapshot, and the environment that points a client at it. The
// simulator wraps every Service in the same request log, fault injection
// and latency as its OpenAI and GitHub halves.
//
// Services that issue API keys implement KeyIssuer, so that scenarios can
// seed keys, the live world can tell a working key from a dead one, and a
// secret-scanning alert's validity follows its key. Services that hold
// deployed secrets (a Kubernetes Secret, a Vault secret) implement
// SecretStore, so that scenarios can seed them and the live world's
// consumers can read what they hold.
//
// This package imports nothing of respond's, so a simulated API never
// depends on the simulator or on respond's own clients.
package simapi

import (
	"io"
	"net/http"
	"time"
)

// Options are what the simulator gives a Service it builds.
type Options struct {
	// Now is the simulator's clock: timestamps of objects created through
	// the API, and the time keys are checked at.
	Now func() time.Time
	// Rand is a deterministic random stream (seeded from the simulator's
	// seed and the service's name) for IDs and key material, so that the
	// same seed gives the same world.
	Rand io.Reader
}

// Factory builds a Service; the simulator calls it once, at start.
type Factory func(Options) Service

// Service is a simulated API served under Prefix.
type Service interface {
	// Name names the API in the request log (RequestRecord.API), in
	// /_sim/state and in fault rules: "google", "anthropic", "kubernetes",
	// "vault". Lower case, unique.
	Name() string
	// Prefix is the path the API is served under, "/google/" say: it
	// starts and ends with "/" and is not /_sim/, /v1/ or /api/v3/.
	Prefix() string
	// ServeHTTP serves a request whose URL path has Prefix stripped (it
	// starts with "/": "/v2/keys:lookupKey"). r.URL.RawPath is stripped
	// likewise.
	http.Handler
	// Reset empties the world (every key, secret and object); the
	// scenario then seeds it again. It is called with no request in
	// flight.
	Reset()
	// Snapshot is the service's world for GET /_sim/state, as a value
	// that encodes to JSON deterministically. It may hold secrets in the
	// clear: the simulated world is fake.
	Snapshot() any
	// Env is the environment that points the official client (and
	// respond) at the service, served at base (the simulator's URL with
	// Prefix, without the trailing slash: "http://127.0.0.1:8787/google").
	// dir is a private directory (0700) where the service may write the
	// files a client needs (a kubeconfig, a credentials file); they are
	// removed when the simulator stops. When the simulator serves HTTPS
	// with a certificate it generated, dir holds that certificate, PEM,
	// as CACertFile, for the files that must name the CA to trust (a
	// kubeconfig's certificate-authority). Credentials it returns must be
	// the ones its world accepts.
	Env(base, dir string) (map[string]string, error)
}

// CACertFile is the name, in the directory Env is given, of the
// certificate the simulator serves HTTPS with when it generated it.
const CACertFile = "ca.pem"

// KeyIssuer is a Service that issues API keys.
type KeyIssuer interface {
	Service
	// SecretTypes are the GitHub secret-scanning secret types of the keys
	// it issues ("google_api_key"): an alert of one of these types asks
	// this service whether its secret still works.
	SecretTypes() []string
	// IssueKey creates a key, as a scenario seeds one, and returns it with
	// its value.
	IssueKey(req IssueRequest) (IssuedKey, error)
	// KeyStatus reports which key value is and whether it works at now.
	// known is false when value is not one of this service's keys (live
	// is then false too).
	KeyStatus(value string, now time.Time) (id string, live, known bool)
	// UseKey records n uses of the key at now (its last use, its usage
	// where the API reports usage) and reports whether the key works; an
	// unknown or dead key records nothing.
	UseKey(value string, now time.Time, n int) bool
}

// IssueRequest is a key a scenario seeds.
type IssueRequest struct {
	// Scope is where the key lives (a Google project, an Anthropic
	// workspace); "" is the service's default scope.
	Scope string
	// Name is the key's display name.
	Name string
	// Created is when the key was made (before the scenario's anchor).
	Created time.Time
	// Attrs are service-specific settings, documented by the service (a
	// Google key's restrictions, say).
	Attrs map[string]string
}

// IssuedKey is a key a scenario seeded.
type IssuedKey struct {
	ID    string // the key's ID as the API names it
	Scope string // where it lives
	Name  string
	Value string // the key itself: plant it in repositories, never log it
	// SecretType is its GitHub secret-scanning type.
	SecretType string
}

// SecretStore is a Service that holds deployed secrets.
type SecretStore interface {
	Service
	// PutSecret stores value at ref, creating what holds it, as a
	// scenario seeds a deployment. The form of ref is the service's,
	// documented by it (for Kubernetes "context/namespace/secret#key").
	PutSecret(ref, value string) error
	// SecretValue is what ref holds now (ok false when nothing).
	SecretValue(ref string) (value string, ok bool)
}

// ServedStore is a SecretStore whose consumers do not read a place at
// each use but run with what it held when they were last deployed: a
// Kubernetes Deployment's pods read a Secret when they start, so they
// keep the value it had when the Deployment's last rollout completed.
// The live world's consumers of such a place ask ServedValue.
type ServedStore interface {
	SecretStore
	// ServedValue is what via, in the service's form (for Kubernetes
	// "deployment/NAME", in the namespace of ref), serves from ref now
	// (ok false when it serves nothing from it).
	ServedValue(ref, via string) (value string, ok bool)
}

// TLSOnly is a Service whose official clients send credentials only over
// HTTPS (client-go and kubectl send a kubeconfig's token to no http://
// server). When NeedsTLS is true and the simulator serves plain HTTP, it
// serves the service over HTTPS as well, on a second port with a
// certificate it generates for it: the base Env is given is then that
// https:// URL, and dir holds the certificate as CACertFile. Every other
// API stays where it is, over plain HTTP.
type TLSOnly interface {
	NeedsTLS() bool
}

// PathLogger is a Service whose requests may carry a secret in their URL
// (Google's keys:lookupKey?keyString=…): the simulator's request log
// records LogPath(r) instead of the request URI.
type PathLogger interface {
	LogPath(r *http.Request) string
}

// ErrorWriter is a Service that answers injected faults (POST
// /_sim/faults) in its API's own error shape. status is the fault's
// status; a rate-limit fault has status 429 and retryAfter set. Without
// it, a fault answers {"error":{"code":STATUS,"message":"…"}}.
type ErrorWriter interface {
	WriteError(w http.ResponseWriter, status int, retryAfter time.Duration)
}

// Streamer is a Service that holds some requests open for long (a
// Kubernetes watch). The simulator serves a request while holding its
// world for reading, so an open stream would hold up a reset, and its
// graceful shutdown waits for it: it calls CloseStreams before it resets
// the world and before it shuts down. CloseStreams ends every open stream
// promptly, and streams opened afterwards end at once, until the
// service's next Reset.
type Streamer interface {
	CloseStreams()
}
