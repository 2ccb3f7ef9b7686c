package steps

import (
	"testing"

	"github.com/respondhq/respond/internal/childproc/childtest"
)

// childModeVar switches the test binary into a child program, so that tests
// can see exactly what a child received (argv, environment, stdin) without
// trusting the code under test to report it.
const childModeVar = childtest.DumpVar

// childDump is what the "dump" child writes.
type childDump = childtest.Dump

func TestMain(m *testing.M) { childtest.Main(m) }

// readDump reads what the "dump" child wrote.
func readDump(t *testing.T, path string) childDump { return childtest.ReadDump(t, path) }
