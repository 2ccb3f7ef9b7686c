// Package plugin holds what respond's plug-ins (providers of keys and
// types of target, see internal/provider and internal/target) are built
// with: the environment they read their configuration from, the registry
// that masks secrets, the state directory, and the clients they share.
//
// Plug-ins read their own configuration (OPENAI_ADMIN_KEY, VAULT_ADDR,
// …) through Env.Getenv, never os.Getenv, so that a drill or a test can
// point them at the simulator; and they build each client once per Env
// through Shared, so that every step of a run uses the same client (and
// GitHub's rate limiter is one per token, as GitHub counts it).
package plugin

import (
	"fmt"
	"os"
	"sync"

	"github.com/respondhq/respond/internal/secret"
)

// Env is what plug-ins are built with. The zero value is not usable: use
// New or FromOS.
type Env struct {
	// Getenv reads a configuration variable ("" when unset).
	Getenv func(string) string
	// Secrets masks secrets in every output; plug-ins add the credentials
	// they read and the values they create as soon as they hold them.
	Secrets *secret.Registry
	// StateDir is respond's state directory ("" when none), read when a
	// client is built (a cache of public keys lives there).
	StateDir func() string
	// Warn shows a warning a plug-in finds while it works that the
	// responder must see although nothing failed (a public-key cache
	// GitHub's client refuses to trust). Nil: warnings are dropped.
	Warn func(msg string)

	mu     sync.Mutex
	shared map[string]*sharedClient
}

type sharedClient struct {
	once  sync.Once
	v     any
	err   error
	built bool // guarded by Env.mu
}

// New returns an Env reading configuration through getenv.
func New(getenv func(string) string, secrets *secret.Registry, stateDir func() string) *Env {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if secrets == nil {
		secrets = secret.NewRegistry()
	}
	if stateDir == nil {
		stateDir = func() string { return "" }
	}
	return &Env{Getenv: getenv, Secrets: secrets, StateDir: stateDir}
}

// FromOS returns an Env reading the process environment.
func FromOS() *Env { return New(os.Getenv, nil, nil) }

// Shared returns the client named key, building it with build the first
// time it is asked for (concurrent callers wait for that one build). A
// build that fails is not retried: the error is the answer for the Env's
// life, as the configuration it came from does not change.
func (e *Env) Shared(key string, build func() (any, error)) (any, error) {
	e.mu.Lock()
	if e.shared == nil {
		e.shared = map[string]*sharedClient{}
	}
	c := e.shared[key]
	if c == nil {
		c = &sharedClient{}
		e.shared[key] = c
	}
	e.mu.Unlock()
	c.once.Do(func() {
		c.v, c.err = build()
		e.mu.Lock()
		c.built = true
		e.mu.Unlock()
	})
	return c.v, c.err
}

// Secret reads a configuration variable that holds a credential and
// registers it for masking: it never appears in any output.
func (e *Env) Secret(name string) secret.Value {
	v := secret.New(e.Getenv(name))
	if !v.IsZero() {
		e.Secrets.Add(v)
	}
	return v
}

// Set reports whether any of the named variables is set.
func (e *Env) Set(names ...string) bool {
	for _, n := range names {
		if e.Getenv(n) != "" {
			return true
		}
	}
	return false
}

// Provide sets the client named key to v, as if Shared had built it: for
// callers that build a client their own way (a test with its own limits).
// It has no effect once the client was built.
func (e *Env) Provide(key string, v any) {
	_, _ = e.Shared(key, func() (any, error) { return v, nil })
}

// Has reports whether the client named key was built (or provided)
// without an error.
func (e *Env) Has(key string) bool {
	e.mu.Lock()
	c := e.shared[key]
	e.mu.Unlock()
	if c == nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return c.built && c.err == nil && c.v != nil
}

// SharedAs returns the shared client named key as a T (an interface its
// caller declares), building it with build the first time.
func SharedAs[T any](e *Env, key string, build func() (any, error)) (T, error) {
	var zero T
	v, err := e.Shared(key, build)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("the shared client %q is a %T, which does not do what is asked of it", key, v)
	}
	return t, nil
}
