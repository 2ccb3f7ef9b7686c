package vaultkv

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	vault "github.com/hashicorp/vault/api"

	"github.com/respondhq/respond/internal/secret"
)

// Field is a field of a secret as read.
type Field struct {
	Value secret.Value
	// Version is the secret's version it was read from.
	Version int
}

// ReadField reads one field of the current version of a KV v2 secret.
// ErrNotFound when the secret does not exist, its current version is
// deleted or destroyed, or it has no such field.
func (c *Client) ReadField(ctx context.Context, mount, path, field string) (Field, error) {
	mount, err := checkPath(mount, path)
	if err != nil {
		return Field{}, err
	}
	op := fmt.Sprintf("reading field %s of %s/%s", field, mount, path)
	data, ver, err := c.current(ctx, c.reader, mount, path, op)
	if err != nil {
		return Field{}, err
	}
	defer forget(data)
	v, ok := data[field]
	if !ok {
		return Field{}, &Error{Op: op, Errors: []string{fmt.Sprintf("version %d has no field %s", ver, field)}, kind: ErrNotFound}
	}
	str, ok := v.(string)
	if !ok {
		return Field{}, &Error{Op: op, Errors: []string{fmt.Sprintf("field %s is a %T, not a string", field, v)}, kind: ErrBadInput}
	}
	return Field{Value: secret.New(str), Version: ver}, nil
}

// Secret is a secret's current version as a write of one field sees it:
// which fields it has, whether it has the one asked for and what that
// holds, and the version's number.
type Secret struct {
	Fields  []string
	Has     bool
	Value   secret.Value // the field's, when Has
	Version int
}

// ReadSecret reads the current version of a KV v2 secret for a write of
// field. ErrNotFound when the secret does not exist or its current
// version is deleted or destroyed (a missing field is Has false);
// ErrBadInput when the field holds no string.
func (c *Client) ReadSecret(ctx context.Context, mount, path, field string) (Secret, error) {
	mount, err := checkPath(mount, path)
	if err != nil {
		return Secret{}, err
	}
	op := fmt.Sprintf("reading %s/%s", mount, path)
	data, ver, err := c.current(ctx, c.reader, mount, path, op)
	if err != nil {
		return Secret{}, err
	}
	defer forget(data)
	out := Secret{Version: ver}
	for k := range data {
		out.Fields = append(out.Fields, k)
	}
	slices.Sort(out.Fields)
	if v, ok := data[field]; ok {
		str, ok := v.(string)
		if !ok {
			return Secret{}, &Error{Op: op, Errors: []string{fmt.Sprintf("field %s is a %T, not a string", field, v)}, kind: ErrBadInput}
		}
		out.Has, out.Value = true, secret.New(str)
	}
	return out, nil
}

// current reads a secret's current version: its data and number.
func (c *Client) current(ctx context.Context, vc *vault.Client, mount, path, op string) (map[string]any, int, error) {
	s, err := vc.KVv2(mount).Get(ctx, path)
	if err != nil {
		return nil, 0, wrap(op, err, nil)
	}
	ver := 0
	if s.VersionMetadata != nil {
		ver = s.VersionMetadata.Version
	}
	if s.Data == nil {
		return nil, ver, &Error{Op: op, Errors: []string{fmt.Sprintf("its current version %d is deleted or destroyed", ver)}, kind: ErrNotFound,
			Hint: fmt.Sprintf("undelete it (vault kv undelete -versions=%d %s/%s) or write it anew", ver, mount, path)}
	}
	return s.Data, ver, nil
}

// forget drops the values of a secret's data.
func forget(data map[string]any) {
	for k := range data {
		delete(data, k)
	}
}

// Written is the outcome of a write.
type Written struct {
	// Version is the secret's new version; Previous the version it
	// replaced: the one to roll back to (vault kv rollback -version=N).
	Version, Previous int
}

// WriteField sets one field of an existing KV v2 secret and keeps its
// other fields: it reads the current version, changes the field and
// writes every field with check-and-set on that version, so a change made
// in between is refused by Vault rather than overwritten.
//
// expect is the version the caller last saw (from ReadField, or a
// preflight); -1 for none. When the secret is no longer at that version,
// or another write lands between the read and the write, WriteField
// returns ErrConcurrentChange and changes nothing. A missing secret is
// ErrNotFound: respond does not create secrets (CheckAccess reports it).
func (c *Client) WriteField(ctx context.Context, mount, path, field string, value secret.Value, expect int) (Written, error) {
	mount, err := checkPath(mount, path)
	if err != nil {
		return Written{}, err
	}
	if field == "" || value.IsZero() {
		return Written{}, fmt.Errorf("%w: writing %s/%s needs a field and a value", ErrBadInput, mount, path)
	}
	op := fmt.Sprintf("writing field %s of %s/%s", field, mount, path)
	data, ver, err := c.current(ctx, c.reader, mount, path, op)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			var e *Error
			if errors.As(err, &e) && e.Hint == "" {
				e.Hint = fmt.Sprintf("respond sets a field of an existing secret and does not create one: create it (vault kv put %s/%s …) or fix the inventory", mount, path)
			}
		}
		return Written{}, err
	}
	defer forget(data)
	if expect >= 0 && ver != expect {
		return Written{}, concurrent(op, mount, path, expect, ver)
	}
	values := []secret.Value{value}
	for _, v := range data {
		if s, ok := v.(string); ok {
			values = append(values, secret.New(s))
		}
	}
	next := maps.Clone(data)
	defer forget(next)
	next[field] = value.Reveal()
	out, err := c.writer.KVv2(mount).Put(ctx, path, next, vault.WithCheckAndSet(ver))
	if err == nil {
		n := 0
		if out != nil && out.VersionMetadata != nil {
			n = out.VersionMetadata.Version
		}
		return Written{Version: n, Previous: ver}, nil
	}
	werr := wrap(op, err, values)
	if errors.Is(werr, ErrConcurrentChange) {
		_, now, _ := c.current(ctx, c.reader, mount, path, op)
		return Written{}, concurrent(op, mount, path, ver, now)
	}
	var e *Error
	if errors.As(werr, &e) && e.Status != 0 && e.Status < 500 {
		return Written{}, werr // refused: nothing was written
	}
	// No answer, or a 5xx: the write may have taken effect. Look.
	after, now, rerr := c.current(ctx, c.reader, mount, path, op)
	if rerr != nil {
		return Written{}, fmt.Errorf("%w; reading it back to see whether it took effect failed too: %v", werr, rerr)
	}
	defer forget(after)
	if now == ver+1 && sameData(after, next) {
		return Written{Version: now, Previous: ver}, nil
	}
	if now == ver {
		return Written{}, werr // it did not
	}
	return Written{}, concurrent(op, mount, path, ver, now)
}

func sameData(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if fmt.Sprint(v) != fmt.Sprint(b[k]) {
			return false
		}
	}
	return true
}

// concurrent is the error for a secret that moved from version was to now.
func concurrent(op, mount, path string, was, now int) error {
	msg := fmt.Sprintf("it was at version %d and is at version %d now: someone else changed it; nothing was overwritten", was, now)
	if now == 0 {
		msg = fmt.Sprintf("it was at version %d and changed since; nothing was overwritten", was)
	}
	return &Error{Op: op, Errors: []string{msg}, kind: ErrConcurrentChange,
		Hint: fmt.Sprintf("see what changed (vault kv metadata get %s/%s) and run again", mount, path)}
}

// Problem is something that would make a write fail, found before any
// change.
type Problem struct {
	// Check is what was checked: "mount", "permission", "secret".
	Check   string
	Message string
}

func (p Problem) String() string { return p.Message }

// CheckAccess finds what would stop respond from writing a field of the
// secret at mount/path: the mount must exist and be KV version 2 (as the
// Vault CLI learns it, from sys/internal/ui/mounts), the token must be
// allowed to read and update mount/data/path (sys/capabilities-self), and
// the secret must exist with a live current version. It changes nothing.
// An error means the checks could not be made.
func (c *Client) CheckAccess(ctx context.Context, mount, path string) ([]Problem, error) {
	mount, err := checkPath(mount, path)
	if err != nil {
		return nil, err
	}
	full := mount + "/" + path
	var problems []Problem
	add := func(check, format string, args ...any) {
		problems = append(problems, Problem{Check: check, Message: fmt.Sprintf(format, args...)})
	}
	where := "Vault " + c.addr
	if c.ns != "" {
		where += " (namespace " + c.ns + ")"
	}

	if _, err := c.reader.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		return nil, wrap("looking up the token", err, nil)
	}
	ui, err := c.reader.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+full)
	switch werr := wrap("finding the mount of "+full, err, nil); {
	case errors.Is(werr, ErrForbidden):
		add("mount", "%s has no mount %s/ the token may use: check the inventory's mount (vault secrets list) and the token's policy", where, mount)
		return problems, nil
	case werr != nil:
		return nil, werr
	case ui == nil || ui.Data == nil:
		return nil, &Error{Op: "finding the mount of " + full, Errors: []string{"no answer"}}
	}
	typ, _ := ui.Data["type"].(string)
	mp, _ := ui.Data["path"].(string)
	version := ""
	if opts, ok := ui.Data["options"].(map[string]any); ok {
		version, _ = opts["version"].(string)
	}
	switch {
	case strings.Trim(mp, "/") != mount:
		add("mount", "%s is served by the mount %s, not %s/: the inventory's mount and path are split in the wrong place (mount %s, path %s)", full, mp, mount, strings.Trim(mp, "/"), strings.TrimPrefix(full, mp))
		return problems, nil
	case typ != "kv" || version != "2":
		add("mount", "mount %s/ in %s is %s, not KV version 2: respond writes KV v2 secrets with check-and-set", mount, where, engine(typ, version))
		return problems, nil
	}

	caps, err := c.reader.Sys().CapabilitiesSelfWithContext(ctx, mount+"/data/"+path)
	if err != nil {
		return nil, wrap("asking the token's capabilities on "+mount+"/data/"+path, err, nil)
	}
	has := func(c string) bool {
		for _, x := range caps {
			if x == c || x == "root" {
				return true
			}
		}
		return false
	}
	if !has("read") {
		add("permission", "the token may not read %s/data/%s: respond reads the secret to keep its other fields; give its policy \"read\" there, or use a token that has it", mount, path)
	}
	if !has("update") {
		add("permission", "the token may not update %s/data/%s (it has %s): give its policy \"update\" there, or use a token that has it", mount, path, strings.Join(caps, ", "))
	}
	if has("read") {
		_, _, err := c.current(ctx, c.reader, mount, path, "reading "+full)
		switch {
		case err == nil:
		case errors.Is(err, ErrNotFound):
			add("secret", "%s: %v; respond sets a field of an existing secret and does not create one: create it (vault kv put %s …) or fix the inventory", full, err, full)
		default:
			return nil, err
		}
	}
	return problems, nil
}

func engine(typ, version string) string {
	switch {
	case typ == "kv" && version != "":
		return "KV version " + version
	case typ == "kv":
		return "KV version 1"
	case typ == "":
		return "not a KV engine"
	}
	return "a " + typ + " engine"
}
