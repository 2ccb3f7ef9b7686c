//go:build !linux

package childproc

import (
	"fmt"
	"os"
	"os/exec"
)

// supervise: only Linux tells a child when its parent dies, so elsewhere
// commands run without a supervisor.
func supervise(*exec.Cmd) bool { return false }

// Supervise is not used outside Linux.
func Supervise([]string) int {
	fmt.Fprintln(os.Stderr, "respond: "+SupervisorArg+" is internal to respond's exec steps and targets")
	return 2
}
