//go:build unix

package dotenv

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// writable reports whether this process may write path (access(2), which
// also sees read-only file systems).
func writable(path string) error { return unix.Access(path, unix.W_OK) }

// readable reports whether this process may read path.
func readable(path string) error { return unix.Access(path, unix.R_OK) }

// keepOwner gives f the owner and group of old, where permitted (only root
// can give a file away; a group the user belongs to is allowed). Failure is
// ignored: the file keeps its mode either way.
func keepOwner(f *os.File, old fs.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	if f.Chown(int(st.Uid), int(st.Gid)) != nil {
		_ = f.Chown(-1, int(st.Gid))
	}
}
