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

// chainHooks calls each non-nil hook in turn.
func chainHooks(hooks ...func(string)) func(string) {
	var hs []func(string)
	for _, h := range hooks {
		if h != nil {
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		return nil
	}
	return func(id string) {
		for _, h := range hs {
			h(id)
		}
	}
}
