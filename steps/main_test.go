package steps

import (
	"encoding/json"
	"io"
	"os"
	"testing"
)

// childModeVar switches the test binary into a child program, so that tests
// can see exactly what a child received (argv, environment, stdin) without
// trusting the code under test to report it.
const childModeVar = "STEPS_TEST_CHILD"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == SupervisorArg {
		os.Exit(Supervise(os.Args[2:]))
	}
	if os.Getenv(childModeVar) == "dump" {
		os.Exit(dumpChild())
	}
	// Commands run under the supervisor, as in respond.
	EnableSupervisor("/proc/self/exe", os.Args[0])
	os.Exit(m.Run())
}

// childDump is what the "dump" child writes to the file named by its first
// argument.
type childDump struct {
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	Stdin   string   `json:"stdin"`
	Dir     string   `json:"dir"`
	ProcCmd string   `json:"proc_cmdline"` // /proc/self/cmdline, where available
	ProcEnv string   `json:"proc_environ"` // /proc/self/environ, where available
}

func dumpChild() int {
	if len(os.Args) < 2 {
		return 2
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return 3
	}
	d := childDump{Args: os.Args, Env: os.Environ(), Stdin: string(in)}
	d.Dir, _ = os.Getwd()
	if b, err := os.ReadFile("/proc/self/cmdline"); err == nil {
		d.ProcCmd = string(b)
	}
	if b, err := os.ReadFile("/proc/self/environ"); err == nil {
		d.ProcEnv = string(b)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return 4
	}
	if err := os.WriteFile(os.Args[1], b, 0o600); err != nil {
		return 5
	}
	return 0
}
