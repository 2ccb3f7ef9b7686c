//go:build linux

package steps

import "syscall"

// setParentDeathSignal makes the kernel kill the child if respond dies
// (even by SIGKILL), so no half-finished command outlives a crash and races
// the resumed run.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
