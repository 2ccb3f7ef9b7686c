//go:build linux

package childproc

import "syscall"

// setParentDeathSignal makes the kernel signal the child if respond dies
// (even by SIGKILL), so no half-finished command outlives a crash and races
// the resumed run: SIGKILL for a command, SIGTERM for a supervisor (see
// supervise), which then kills the command's whole process group.
func setParentDeathSignal(a *syscall.SysProcAttr, supervised bool) {
	a.Pdeathsig = syscall.SIGKILL
	if supervised {
		a.Pdeathsig = syscall.SIGTERM
	}
}
