//go:build unix

package owned

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDirs(t *testing.T) {
	root := t.TempDir()
	good := filepath.Join(root, "good")
	open := filepath.Join(root, "open")
	link := filepath.Join(root, "link")
	for _, d := range []string{good, open} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	if err := Dir(good, "incident directory"); err != nil {
		t.Errorf("Dir(0700 of mine) = %v", err)
	}
	if err := Root(link, "state directory"); err != nil {
		t.Errorf("Root(link to a good directory) = %v; the state directory may be a link", err)
	}
	err := Dir(open, "incident directory")
	if !errors.Is(err, ErrNotTrusted) || !strings.Contains(err.Error(), "writable by its group and others (mode 0777)") || !strings.Contains(err.Error(), "chmod go-w "+open) {
		t.Errorf("Dir(0777) = %v", err)
	}
	if err := os.Chmod(open, 0o720); err != nil {
		t.Fatal(err)
	}
	if err := Root(open, "state directory"); err == nil || !strings.Contains(err.Error(), "writable by its group (mode 0720)") {
		t.Errorf("Root(0720) = %v", err)
	}
	if err := Dir(link, "incident directory"); !errors.Is(err, ErrNotTrusted) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Dir(link) = %v", err)
	}
	if err := Dir(filepath.Join(root, "missing"), "locks directory"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Dir(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mine := write("mine", 0o600)
	readable := write("readable", 0o644)
	shared := write("shared", 0o664)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(mine, link); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(mine, "journal", true); err != nil || string(b) != "x" {
		t.Errorf("ReadFile(0600) = %q, %v", b, err)
	}
	if _, err := ReadFile(readable, "journal", false); err != nil {
		t.Errorf("ReadFile(0644, not private) = %v", err)
	}
	if _, err := ReadFile(readable, "journal key", true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("ReadFile(0644, private) = %v", err)
	}
	if _, err := ReadFile(shared, "journal", false); err == nil || !strings.Contains(err.Error(), "writable by its group (mode 0664)") {
		t.Errorf("ReadFile(0664) = %v", err)
	}
	if _, err := OpenFile(link, os.O_WRONLY|os.O_APPEND, 0, "journal", false); !errors.Is(err, ErrNotTrusted) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("OpenFile(link) = %v, want refused (O_NOFOLLOW)", err)
	}
	f, err := OpenFile(filepath.Join(dir, "new"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600, "journal", true)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	f.Close()
}

// TestOwner: a directory or file of another user is refused, naming both
// users (root only: nobody else can give a file away).
func TestOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can make a file another user's")
	}
	dir := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "journal.jsonl")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, file} {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	err := Dir(dir, "incident directory")
	if !errors.Is(err, ErrNotTrusted) || !strings.Contains(err.Error(), "not by you (root)") || !strings.Contains(err.Error(), "chown root "+dir) {
		t.Errorf("Dir(another user's) = %v", err)
	}
	if err := Root(dir, "state directory"); err == nil || !strings.Contains(err.Error(), "use a state directory of your own") {
		t.Errorf("Root(another user's) = %v", err)
	}
	if _, err := ReadFile(file, "journal", false); !errors.Is(err, ErrNotTrusted) {
		t.Errorf("ReadFile(another user's) = %v", err)
	}
}
