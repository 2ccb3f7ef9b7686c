//go:build linux

package cli

import (
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHardenMakesProcessNonDumpable runs harden in a child copy of the test
// binary (it would change this process) and reads the result there:
// another process of the same user cannot read a non-dumpable process's
// /proc/PID/environ or memory.
func TestHardenMakesProcessNonDumpable(t *testing.T) {
	if os.Getenv("RESPOND_TEST_HARDEN") == "1" {
		before, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		harden("respond")
		after, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		if err != nil || before != 1 || after != 0 {
			t.Fatalf("dumpable before %d, after %d (%v); want 1 then 0", before, after, err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHardenMakesProcessNonDumpable$")
	cmd.Env = append(os.Environ(), "RESPOND_TEST_HARDEN=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
