//go:build !unix

package childproc

import "os/exec"

// setProcessGroup is a no-op where process groups are not available: on
// cancellation the child itself is killed (exec.CommandContext's default).
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup is a no-op where process groups are not available.
func killProcessGroup(*exec.Cmd) {}
