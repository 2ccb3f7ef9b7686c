//go:build unix

package owned

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// noFollow makes open fail on a symbolic link (ELOOP).
const noFollow = unix.O_NOFOLLOW

// modes: permission bits say who may write.
const modes = true

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }

func currentUID() int { return os.Geteuid() }

func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// userName is uid's login name, or "uid N" when it has none.
func userName(uid int) string {
	s := strconv.Itoa(uid)
	if u, err := user.LookupId(s); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + s
}
