// Package dotenv is respond's `dotenv` target type: one variable of a .env
// file. A write replaces the variable's value and keeps every other line,
// the file's mode and owner, and replaces the file atomically (see
// internal/dotenv). docs/inventory.md documents it.
package dotenv

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/respondhq/respond/internal/dotenv"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// Type is the target type's name.
const Type = "dotenv"

func init() { target.Register(Spec()) }

// Spec is what the dotenv target type declares.
func Spec() target.Spec {
	return target.Spec{
		Type:    Type,
		Title:   ".env file",
		Summary: "one variable of a .env file; other lines, the mode and the owner are kept",
		Fields: []target.Field{
			{Name: "path", Kind: target.String, Required: true, Path: true,
				Doc: "the file, relative to the inventory's directory (created with mode 0600 if missing)"},
			{Name: "var", Kind: target.String, Required: true, Names: true, Doc: "the variable",
				Check: func(v any) error {
					if s := v.(string); !dotenv.ValidName(s) {
						return target.Invalid("variable names use letters, digits and _, and do not start with a digit", "invalid variable name %q", s)
					}
					return nil
				}},
			{Name: target.FollowSymlinksField, Kind: target.Bool,
				Doc: "write through a symbolic link that leads out of the inventory's directory tree"},
		},
		Example: "- dotenv: {path: deploy/.env, var: OPENAI_API_KEY}",
		Holds:   true,
		ID:      func(t target.Target) string { return Type + ":" + t.Str("path") + ":" + t.Str("var") },
		Describe: func(t target.Target, short func(string) string) (string, string, string) {
			return short(t.Str("path")), t.Str("var"), ""
		},
		New:           func(*plugin.Env) target.Writer { return Writer{} },
		FakeElsewhere: "this machine's file system, in internal/targets/dotenv's tests",
	}
}

// Writer writes a credential to a .env file. Paths are used as given; the
// inventory makes them absolute.
type Writer struct{}

var (
	_ target.Writer = Writer{}
	_ target.Reader = Writer{}
)

// resolve follows the links of t's path and refuses one that leads out of
// the directory tree the inventory names (its own directory, or for a path
// outside it, the path's directory) unless the target says
// follow_symlinks: true: a link in a repository could otherwise point a
// secret at any file the user can write.
func resolve(t target.Target) (dotenv.Resolved, error) {
	path := t.Str("path")
	r, err := dotenv.Resolve(path)
	if err != nil || !r.Link || t.Bool(target.FollowSymlinksField) {
		return r, err
	}
	root := t.Root()
	if root == "" || !(dotenv.Resolved{Real: r.Path}).Within(root) {
		root = filepath.Dir(r.Path)
	}
	if !r.Within(root) {
		return r, target.Preflightf(nil, "%s is a symbolic link to %s, outside %s; respond does not write a secret through a link that leaves the inventory's directory tree: fix the link, give the real path, or add `follow_symlinks: true` to the target", path, r.Real, root)
	}
	return r, nil
}

// foreign refuses a file another user owns: respond keeps a file's owner,
// and another user's file is theirs to change (and could be swapped for a
// link between the check and the write).
func foreign(t target.Target, r dotenv.Resolved) error {
	if !r.ForeignOwner() {
		return nil
	}
	who := strconv.Itoa(r.Owner)
	if u, err := user.LookupId(who); err == nil {
		who = u.Username
	}
	return target.Preflightf(nil, "%s belongs to user %s, not to the user respond runs as: run respond as its owner (or root), or give a file of your own", t.Str("path"), who)
}

// exposedNote says that a file is readable by others, and how to fix it.
func exposedNote(r dotenv.Resolved) string {
	return fmt.Sprintf("the file is readable by its group or others (mode %04o); it held the leaked key at that mode too: restrict it with `chmod 600 %s`", r.Mode, r.Real)
}

// Check implements target.Writer: the path does not lead out of the
// inventory's tree through a link, the file is a regular file of the user
// running respond, the directory exists and is writable, and the file, if
// present, can be read and written. A file its group or others may read is
// not a problem here: it held the leaked key at that mode already, and the
// write keeps the mode; the plan, the summary and the report say so.
func (Writer) Check(_ context.Context, t target.Target) error {
	r, err := resolve(t)
	if err != nil {
		return err
	}
	if err := foreign(t, r); err != nil {
		return err
	}
	if err := dotenv.Check(t.Str("path")); err != nil {
		return target.Preflightf(err, "%v", err)
	}
	return nil
}

// Plan implements target.Writer. It reads the file to tell whether the
// variable is added or replaced.
func (Writer) Plan(_ context.Context, t target.Target) (step.Change, error) {
	path, name := t.Str("path"), t.Str("var")
	shown := path
	r, err := resolve(t)
	if err != nil {
		return step.Change{}, err
	}
	if r.Link {
		shown = fmt.Sprintf("%s (a symbolic link to %s)", path, r.Real)
	}
	ch := step.Change{Action: step.Update, Target: t.ID(), Effect: fmt.Sprintf("write the new value to %s (%s)", shown, name)}
	has, err := dotenv.Has(path, name)
	switch {
	case err != nil:
		// Not readable now; the write (or preflight) says why.
	case !has:
		ch.Action = step.Create
		if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
			ch.Effect = fmt.Sprintf("create %s (mode 0600) with %s set to the new value", shown, name)
		} else {
			ch.Effect = fmt.Sprintf("add %s with the new value to %s", name, shown)
		}
	default:
		ch.Effect = fmt.Sprintf("replace the value of %s in %s", name, shown)
	}
	if r.Exposed() {
		ch.Effect += fmt.Sprintf("; the file keeps its mode %04o, readable by its group or others (a follow-up: chmod 600)", r.Mode)
	}
	return ch, nil
}

// Write implements target.Writer. Writing the same value twice leaves the
// same file.
func (Writer) Write(_ context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	path, name := t.Str("path"), t.Str("var")
	// A link out of the tree, and another user's file, are refused even
	// with --force.
	r, err := resolve(t)
	if err != nil {
		return target.WriteResult{}, err
	}
	if err := foreign(t, r); err != nil {
		return target.WriteResult{}, err
	}
	created, err := dotenv.Set(path, name, v)
	if err != nil {
		return target.WriteResult{}, err
	}
	where := path
	if r.Link {
		where = fmt.Sprintf("%s (through the link %s)", r.Real, path)
	}
	res := target.WriteResult{Created: created, Detail: fmt.Sprintf("replaced %s in %s", name, where)}
	if created {
		res.Detail = fmt.Sprintf("added %s to %s", name, where)
	}
	if r.Exposed() {
		res.Detail += fmt.Sprintf("; its mode %04o is kept (readable by its group or others)", r.Mode)
		res.FollowUp = exposedNote(r)
	}
	return res, nil
}

// Read implements target.Reader: the variable's value now.
func (Writer) Read(_ context.Context, t target.Target, _ string) (secret.Value, error) {
	if _, err := resolve(t); err != nil {
		return secret.Value{}, err
	}
	v, found, err := dotenv.Lookup(t.Str("path"), t.Str("var"))
	switch {
	case err != nil:
		return secret.Value{}, err
	case !found:
		return secret.Value{}, step.ErrNotFound
	}
	return secret.New(v), nil
}
