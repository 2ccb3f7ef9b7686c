package childproc

import "sync"

// SupervisorArg is the hidden first argument that makes respond's binary
// run as an exec supervisor (see Supervise) instead of as the CLI.
const SupervisorArg = "__exec-supervisor"

var supervisor struct {
	sync.Mutex
	exe, argv0 string
}

// EnableSupervisor makes every command that exec steps and exec targets
// run start under a supervisor: exe (respond's own binary, e.g.
// /proc/self/exe) re-executed as argv0 with SupervisorArg. On Linux the
// supervisor dies with respond, even when respond is killed with SIGKILL,
// and takes the command and everything it started with it; elsewhere it is
// not used. The binary's main must call Supervise when it sees
// SupervisorArg.
func EnableSupervisor(exe, argv0 string) {
	supervisor.Lock()
	defer supervisor.Unlock()
	supervisor.exe, supervisor.argv0 = exe, argv0
}

// supervisorCommand returns the supervisor's binary and argv0, or "" when
// none is enabled.
func supervisorCommand() (exe, argv0 string) {
	supervisor.Lock()
	defer supervisor.Unlock()
	return supervisor.exe, supervisor.argv0
}

// SupervisorEnabled reports whether commands start under a supervisor.
func SupervisorEnabled() bool {
	exe, _ := supervisorCommand()
	return exe != ""
}
