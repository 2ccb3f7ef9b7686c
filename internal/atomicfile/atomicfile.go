// Package atomicfile replaces a file whole, so that a crash at any moment
// leaves either the old content or the new, never a mix: a temporary file
// in the same directory, fsynced, renamed over the original, and the
// directory fsynced.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TempPattern is the name pattern of the temporary files Write creates next
// to the file it replaces ("." + base + TempPattern).
const TempPattern = ".respond-*.tmp"

// Write replaces path with data. old is the original's FileInfo (nil if
// there is none): its mode is kept, and its owner where permitted;
// without it the file gets mode 0600.
func Write(path string, data []byte, old fs.FileInfo) error {
	mode := fs.FileMode(0o600)
	if old != nil {
		mode = old.Mode().Perm()
	}
	return WriteMode(path, data, mode, old)
}

// Pattern is the glob of the temporary files Write creates for path, to
// find those an interrupted write left behind.
func Pattern(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+TempPattern)
}

// WriteMode is Write with the new file's mode given; old (nil if none)
// gives the owner to keep where permitted.
func WriteMode(path string, data []byte, mode fs.FileMode, old fs.FileInfo) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+TempPattern)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("directory %s does not exist; create it or fix the path", dir)
		}
		return fmt.Errorf("cannot create a temporary file in %s (respond writes there and renames it over the file): %w", dir, err)
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if old != nil {
		keepOwner(tmp, old)
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(name, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir fsyncs a directory so a rename in it survives a crash. Failure
// is ignored: not every platform or file system supports it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}
