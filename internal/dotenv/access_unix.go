//go:build unix

package dotenv

import "golang.org/x/sys/unix"

// writable reports whether this process may write path (access(2), which
// also sees read-only file systems).
func writable(path string) error { return unix.Access(path, unix.W_OK) }

// readable reports whether this process may read path.
func readable(path string) error { return unix.Access(path, unix.R_OK) }
