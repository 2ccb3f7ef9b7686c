package cli

import (
	"os"
	"syscall"
)

// crashHook returns a BeforeStep hook that kills respond with SIGKILL just
// before the named step starts: the crash-safety tests use it to stop a
// run exactly at a step boundary. An empty name disables it.
func crashHook(stepID string) func(string) {
	if stepID == "" {
		return nil
	}
	return func(id string) {
		if id == stepID {
			p, _ := os.FindProcess(os.Getpid())
			_ = p.Signal(syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
}
