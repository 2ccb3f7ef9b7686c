//go:build unix

package dotenv

import (
	"io/fs"
	"syscall"
)

// ownerOf is a file's owner's user ID.
func ownerOf(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
