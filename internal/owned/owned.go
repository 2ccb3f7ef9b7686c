// Package owned is how respond trusts what it keeps on disk: its state
// directory, the incidents, locks and journals in it, the key that seals
// journals and the public-key cache. Each must belong to the user respond
// runs as and be writable by nobody else; otherwise another local user
// could plant an incident, edit a journal, or point a file at another
// (issue #17). Files are opened without following symbolic links, and
// their owner and mode are checked on the opened file, not on a name that
// could change in between.
//
// A refusal is an *Error that says what is wrong and the command that
// fixes it.
package owned

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Error is a file or directory respond does not trust.
type Error struct {
	What    string // "state directory", "incident directory", "journal"
	Path    string
	Problem string // "is owned by uid 1001 (bob), not by you (alice)"
	Fix     string // what to do
}

func (e *Error) Error() string {
	return fmt.Sprintf("the %s %s is not trusted: it %s; %s", e.What, e.Path, e.Problem, e.Fix)
}

// ErrNotTrusted is matched (errors.Is) by every *Error.
var ErrNotTrusted = errors.New("not trusted")

// Is makes errors.Is(err, ErrNotTrusted) true.
func (e *Error) Is(target error) bool { return target == ErrNotTrusted }

// Root checks the state directory itself: a directory (a symbolic link
// to one is followed: ~/.local/state may live elsewhere), owned by the
// current user, writable by nobody else. A directory that does not exist
// is an error matching fs.ErrNotExist.
func Root(path, what string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &Error{What: what, Path: path, Problem: "is not a directory", Fix: "give a directory (--state-dir or RESPOND_STATE_DIR)"}
	}
	return check(path, what, fi, false)
}

// Dir checks a directory inside the state directory: a directory, not a
// symbolic link, owned by the current user, writable by nobody else. A
// directory that does not exist is an error matching fs.ErrNotExist.
func Dir(path, what string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &Error{What: what, Path: path, Problem: "is a symbolic link, and respond follows none inside its state directory",
			Fix: "remove the link (rm " + quote(path) + ") and let respond create the directory, or set --state-dir to the directory it points to"}
	}
	if !fi.IsDir() {
		return &Error{What: what, Path: path, Problem: "is not a directory", Fix: "move it away (respond creates the directory)"}
	}
	return check(path, what, fi, false)
}

// OpenFile opens path like os.OpenFile, never through a symbolic link, and
// refuses the file unless the current user owns it and nobody else may
// write it (private: nobody else may read it either).
func OpenFile(path string, flag int, perm os.FileMode, what string, private bool) (*os.File, error) {
	f, err := os.OpenFile(path, flag|noFollow, perm)
	if err != nil {
		if isLoop(err) {
			return nil, &Error{What: what, Path: path, Problem: "is a symbolic link, and respond follows none inside its state directory",
				Fix: "remove the link (rm " + quote(path) + ")"}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &Error{What: what, Path: path, Problem: "is not a regular file", Fix: "move it away"}
	}
	if err == nil {
		err = check(path, what, fi, private)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads path as OpenFile (read-only) checks it.
func ReadFile(path, what string, private bool) ([]byte, error) {
	f, err := OpenFile(path, os.O_RDONLY, 0, what, private)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// check refuses fi (of path) unless the current user owns it and its
// group and others cannot write it (with private, cannot read it either).
func check(path, what string, fi fs.FileInfo, private bool) error {
	if uid, ok := ownerOf(fi); ok && uid != currentUID() {
		return &Error{What: what, Path: path,
			Problem: fmt.Sprintf("is owned by %s, not by you (%s), so its owner could change what respond reads there", userName(uid), userName(currentUID())),
			Fix:     fixOwner(path, what)}
	}
	if !modes {
		return nil
	}
	mode := fi.Mode().Perm()
	switch {
	case mode&0o022 != 0:
		who := "its group and others"
		switch mode & 0o022 {
		case 0o020:
			who = "its group"
		case 0o002:
			who = "everyone"
		}
		return &Error{What: what, Path: path,
			Problem: fmt.Sprintf("is writable by %s (mode %04o), so they could change what respond reads there", who, mode),
			Fix:     "if nobody else changed it, run: chmod go-w " + quote(path)}
	case private && mode&0o077 != 0:
		return &Error{What: what, Path: path,
			Problem: fmt.Sprintf("can be read by others (mode %04o)", mode),
			Fix:     "if nobody else read or changed it, run: chmod 600 " + quote(path)}
	}
	return nil
}

func fixOwner(path, what string) string {
	if strings.Contains(what, "state directory") {
		return "use a state directory of your own (--state-dir or RESPOND_STATE_DIR), or, if this one is yours, run: chown " + userName(currentUID()) + " " + quote(path)
	}
	return "look at who put it there; if it is yours, run: chown " + userName(currentUID()) + " " + quote(path) + ", else move it out of the state directory"
}

// quote is path as a shell word.
func quote(path string) string {
	if path != "" && strings.Trim(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+@:,") == "" {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
