// Package childtest lets a test binary stand in for the programs respond
// runs, so that a test can see exactly what a child received (argv,
// environment, standard input) without trusting the code under test to
// report it. A test package's TestMain calls Main; a test runs Binary
// with DumpVar set to "dump" and reads what the child saw with ReadDump.
package childtest

import (
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/respondhq/respond/internal/childproc"
)

// DumpVar switches the test binary into the dump child.
const DumpVar = "RESPOND_TEST_CHILD"

// Dump is what the dump child writes to the file named by its first
// argument.
type Dump struct {
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	Stdin   string   `json:"stdin"`
	Dir     string   `json:"dir"`
	ProcCmd string   `json:"proc_cmdline"` // /proc/self/cmdline, where available
	ProcEnv string   `json:"proc_environ"` // /proc/self/environ, where available
}

// Main is a test binary's main: the supervisor when respond's programs
// start under it, the dump child when DumpVar says so, else the tests
// (with commands run under the supervisor, as in respond).
func Main(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childproc.SupervisorArg {
		os.Exit(childproc.Supervise(os.Args[2:]))
	}
	if os.Getenv(DumpVar) == "dump" {
		os.Exit(dumpChild())
	}
	childproc.EnableSupervisor("/proc/self/exe", os.Args[0])
	os.Exit(m.Run())
}

func dumpChild() int {
	if len(os.Args) < 2 {
		return 2
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return 3
	}
	d := Dump{Args: os.Args, Env: os.Environ(), Stdin: string(in)}
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

// Binary is the path of the running test binary, to run as a child.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	return p
}

// ReadDump reads what the dump child wrote.
func ReadDump(t testing.TB, path string) Dump {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the child wrote no dump: %v", err)
	}
	var d Dump
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("bad dump: %v", err)
	}
	return d
}
