//go:build linux

package cli

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/respondhq/respond/internal/childproc"
)

// harden protects respond's process on Linux: it is made non-dumpable, so
// that other processes of the same user (a command respond runs among
// them) cannot read its memory or /proc/PID/environ, where credentials
// live, nor attach a debugger; and exec children run under a supervisor
// that dies with respond and takes them with it (see steps.Supervise).
func harden(argv0 string) {
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	// Without /proc (a bare container), commands run without the
	// supervisor: their own parent-death signal still stops them.
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		childproc.EnableSupervisor("/proc/self/exe", argv0)
	}
}
