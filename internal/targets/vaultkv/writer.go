package vaultkv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// Writer writes a credential to vault-kv targets: one field of an
// existing KV version 2 secret, as a new version holding every other
// field as it was, written with check-and-set on the version respond read
// (WriteField): a change someone else makes in between is refused by
// Vault, reported, and never overwritten. The result names the version to
// roll back to. One client per namespace, shared by the run's steps; the
// writes to one secret are made one after the other, so that two targets
// naming two fields of it do not refuse each other.
type Writer struct {
	env *plugin.Env

	mu    sync.Mutex
	locks map[string]*sync.Mutex // by namespace, mount and path
}

var (
	_ target.Writer = (*Writer)(nil)
	_ target.Reader = (*Writer)(nil)
)

// NewWriter returns the writer of vault-kv targets of env.
func NewWriter(env *plugin.Env) *Writer { return &Writer{env: env, locks: map[string]*sync.Mutex{}} }

// SharedKey is the plug-in environment's name of the client of a
// namespace ("" for the root).
func SharedKey(namespace string) string { return "vault:" + namespace }

// namespaceOf is the target's namespace, else VAULT_NAMESPACE's.
func (w *Writer) namespaceOf(t target.Target) string {
	if ns := strings.Trim(t.Str("namespace"), "/"); ns != "" {
		return ns
	}
	if w.env == nil {
		return ""
	}
	return strings.Trim(w.env.Getenv("VAULT_NAMESPACE"), "/")
}

// client returns the client of t's namespace, or an error saying how to
// configure one.
func (w *Writer) client(t target.Target) (*Client, error) {
	if w.env == nil || w.env.Getenv("VAULT_ADDR") == "" {
		return nil, step.Errorf("%s: Vault is not configured: export VAULT_ADDR (the server's address) and VAULT_TOKEN (vault login prints it)", t.ID())
	}
	ns := w.namespaceOf(t)
	c, err := plugin.SharedAs[*Client](w.env, SharedKey(ns), func() (any, error) {
		return New(Config{Address: w.env.Getenv("VAULT_ADDR"), Token: w.env.Secret("VAULT_TOKEN"), Namespace: ns})
	})
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("%s: %w", t.ID(), err))
	}
	return c, nil
}

// lock serializes the writes to one secret.
func (w *Writer) lock(t target.Target) func() {
	k := w.namespaceOf(t) + "\x00" + mountOf(t) + "\x00" + t.Str("path")
	w.mu.Lock()
	l := w.locks[k]
	if l == nil {
		l = &sync.Mutex{}
		w.locks[k] = l
	}
	w.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// valid checks that t is a valid vault-kv target.
func valid(t target.Target) error {
	if t.Type != Type {
		return step.Errorf("%s: the Vault writer handles %s targets, not %q", t.ID(), Type, t.Type)
	}
	if err := t.Validate(); err != nil {
		return step.Permanent(fmt.Errorf("%s: %w", t.ID(), err))
	}
	return nil
}

// secretName is "secret/app/prod" for messages.
func secretName(t target.Target) string { return mountOf(t) + "/" + t.Str("path") }

// Check implements target.Writer: without changing anything, the mount is
// KV version 2, the token may read and update the secret, and the secret
// exists with a live current version (CheckAccess).
func (w *Writer) Check(ctx context.Context, t target.Target) error {
	if err := valid(t); err != nil {
		return err
	}
	id := t.ID()
	c, err := w.client(t)
	if err != nil {
		return target.Preflightf(err, "%v", err)
	}
	problems, err := c.CheckAccess(ctx, mountOf(t), t.Str("path"))
	switch {
	case errors.Is(err, ErrForbidden):
		return target.Preflightf(err, "%s: Vault refused the token (%v): log in again (vault login) and export VAULT_TOKEN", id, err)
	case errors.Is(err, ErrBadInput):
		return target.Preflightf(err, "%s: %v", id, err)
	case err != nil:
		return fmt.Errorf("%s: %w", id, err)
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Message
	}
	return target.PreflightProblems(id, msgs)
}

// Plan implements target.Writer: it reads the secret to tell whether the
// field is added or replaced, and the version the write will make.
func (w *Writer) Plan(ctx context.Context, t target.Target) (step.Change, error) {
	if err := valid(t); err != nil {
		return step.Change{}, err
	}
	c, err := w.client(t)
	if err != nil {
		return step.Change{}, err
	}
	id := t.ID()
	ch := step.Change{Action: step.Update, Target: id}
	s, err := c.ReadSecret(ctx, mountOf(t), t.Str("path"), t.Str("field"))
	switch {
	case errors.Is(err, ErrNotFound):
		ch.Action = step.Create
		ch.Effect = fmt.Sprintf("secret %s%s does not exist (or its current version is deleted), and respond does not create secrets: this write will fail until it is created", secretName(t), w.inNamespace(t))
		return ch, nil
	case err != nil:
		return step.Change{}, fmt.Errorf("%s: %w", id, err)
	}
	s.Value = secret.Value{}
	others := len(s.Fields)
	verb := "add field %s to"
	if s.Has {
		others--
		verb = "set field %s of"
	} else {
		ch.Action = step.Create
	}
	ch.Effect = fmt.Sprintf(verb+" %s%s as version %d with check-and-set, keeping its %s; version %d stays readable for rollback",
		t.Str("field"), secretName(t), w.inNamespace(t), s.Version+1, count(others, "other field"), s.Version)
	return ch, nil
}

// inNamespace is " (namespace NS)" for messages, or "".
func (w *Writer) inNamespace(t target.Target) string {
	if ns := w.namespaceOf(t); ns != "" {
		return " (namespace " + ns + ")"
	}
	return ""
}

// Write implements target.Writer.
func (w *Writer) Write(ctx context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	if err := valid(t); err != nil {
		return target.WriteResult{}, err
	}
	id := t.ID()
	if v.IsZero() {
		return target.WriteResult{}, step.Errorf("%s: refusing to write an empty value", id)
	}
	c, err := w.client(t)
	if err != nil {
		return target.WriteResult{}, err
	}
	defer w.lock(t)()
	mount, path, field := mountOf(t), t.Str("path"), t.Str("field")
	s, err := c.ReadSecret(ctx, mount, path, field)
	if err != nil {
		return target.WriteResult{}, writeFailed(t, err)
	}
	same := s.Has && s.Value.Equal(v)
	s.Value = secret.Value{}
	if same {
		return target.WriteResult{Detail: fmt.Sprintf("field %s of %s%s already holds the value (version %d); nothing written", field, secretName(t), w.inNamespace(t), s.Version)}, nil
	}
	// Check-and-set on the version just read: a change made since is
	// refused, not overwritten.
	out, err := c.WriteField(ctx, mount, path, field, v, s.Version)
	if err != nil {
		return target.WriteResult{}, writeFailed(t, err)
	}
	others := len(s.Fields)
	verb := "added field %s to"
	if s.Has {
		others--
		verb = "set field %s of"
	}
	return target.WriteResult{
		Created:  !s.Has,
		Detail:   fmt.Sprintf(verb+" %s%s as version %d, kept its %s; the previous value is version %d", field, secretName(t), w.inNamespace(t), out.Version, count(others, "other field"), out.Previous),
		Rollback: w.rollback(t, out.Previous),
	}, nil
}

// rollback is the Vault CLI command that makes version a secret's current
// value again (as a new version).
func (w *Writer) rollback(t target.Target, version int) string {
	cmd := "vault kv rollback"
	if ns := w.namespaceOf(t); ns != "" {
		cmd += " -namespace=" + shellQuote(ns)
	}
	return fmt.Sprintf("%s -mount=%s -version=%d %s", cmd, shellQuote(mountOf(t)), version, shellQuote(t.Str("path")))
}

// writeFailed words a failed write: a concurrent change, a missing secret,
// a refusal or a bad name fail the step for good (a retry would not
// help, or would write over what someone else just wrote); anything else
// may be tried again (WriteField learned whether an unanswered write took
// effect).
func writeFailed(t target.Target, err error) error {
	id := t.ID()
	switch {
	case errors.Is(err, ErrConcurrentChange):
		return step.Permanent(fmt.Errorf("%s: %w; the replacement is NOT in this secret: find out who changed it while respond was writing (vault kv metadata get -mount=%s %s), then run `respond resume` to write the field again on top of their version",
			id, err, shellQuote(mountOf(t)), shellQuote(t.Str("path"))))
	case errors.Is(err, ErrNotFound):
		return step.Permanent(fmt.Errorf("%s: %w; respond sets a field of an existing secret and does not create one: create it (vault kv put -mount=%s %s …) and run again",
			id, err, shellQuote(mountOf(t)), shellQuote(t.Str("path"))))
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrBadInput):
		return step.Permanent(fmt.Errorf("%s: %w", id, err))
	}
	return fmt.Errorf("%s: %w", id, err)
}

// Read implements target.Reader: the field's value in the secret's
// current version. step.ErrNotFound when the secret or the field does
// not exist.
func (w *Writer) Read(ctx context.Context, t target.Target, _ string) (secret.Value, error) {
	if err := valid(t); err != nil {
		return secret.Value{}, err
	}
	c, err := w.client(t)
	if err != nil {
		return secret.Value{}, err
	}
	f, err := c.ReadField(ctx, mountOf(t), t.Str("path"), t.Str("field"))
	switch {
	case errors.Is(err, ErrNotFound):
		return secret.Value{}, fmt.Errorf("%s holds no value (%v): %w", t.ID(), err, step.ErrNotFound)
	case err != nil:
		return secret.Value{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	return f.Value, nil
}

// count is "1 other field", "2 other fields", "no other field".
func count(n int, what string) string {
	switch n {
	case 0:
		return "no " + what
	case 1:
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// shellQuote quotes s for a POSIX shell when it holds anything beyond
// characters that are always safe, so that a command in a report can be
// pasted.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+=,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
