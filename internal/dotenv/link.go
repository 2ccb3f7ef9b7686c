package dotenv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Resolved is where a .env path leads.
type Resolved struct {
	Path string // absolute, as given
	Real string // with every symbolic link followed (the file Set replaces)
	Link bool   // a symbolic link is on the way
	Mode fs.FileMode
	// Exists: the file is there (Mode is its permission bits).
	Exists bool
	// Owner is the file's owner's user ID, when it exists (-1 where the
	// system has none).
	Owner int
}

// Resolve follows the symbolic links of path (the file's, and its
// directories'); for a file that does not exist yet, its directory's.
func Resolve(path string) (Resolved, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Resolved{}, fmt.Errorf("cannot resolve %s: %w", path, err)
	}
	r := Resolved{Path: abs, Real: abs}
	real, err := filepath.EvalSymlinks(abs)
	switch {
	case err == nil:
		r.Real = real
	case errors.Is(err, fs.ErrNotExist):
		if fi, lerr := os.Lstat(abs); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return Resolved{}, fmt.Errorf("%s is a symbolic link to a file that does not exist; fix the link or the path", path)
		}
		if dir, derr := filepath.EvalSymlinks(filepath.Dir(abs)); derr == nil {
			r.Real = filepath.Join(dir, filepath.Base(abs))
		}
	default:
		return Resolved{}, fmt.Errorf("cannot follow the symbolic links of %s: %w", path, err)
	}
	r.Link = r.Real != filepath.Clean(abs)
	r.Owner = -1
	if fi, err := os.Stat(r.Real); err == nil {
		r.Exists, r.Mode, r.Owner = true, fi.Mode().Perm(), ownerOf(fi)
	}
	return r, nil
}

// Within reports whether the resolved file stays in the tree of root
// (itself resolved, so that a root reached through a link compares
// right).
func (r Resolved) Within(root string) bool {
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	rel, err := filepath.Rel(root, r.Real)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Exposed reports whether the file exists and its group or others may
// read or write it.
func (r Resolved) Exposed() bool { return r.Exists && r.Mode&0o077 != 0 }

// ForeignOwner reports whether the file exists and belongs to another user
// than the one running respond (root may write anyone's file, and Set
// keeps the owner).
func (r Resolved) ForeignOwner() bool {
	uid := os.Getuid()
	return r.Exists && r.Owner >= 0 && uid > 0 && r.Owner != uid
}
