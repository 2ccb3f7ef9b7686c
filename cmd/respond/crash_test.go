package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// leakedKeySteps are the steps of the built-in leaked-key playbook.
var leakedKeySteps = []string{"identify", "lock", "targets", "preflight", "contain", "verify-contained", "replace",
	"deploy", "verify-replacement", "record", "redeploy", "close-alert", "usage"}

// TestLeakedKeyCrashAtEachStep kills respond with SIGKILL just before each
// step of a leaked-key run starts, then resumes it: the old key is revoked,
// exactly one replacement is live (service accounts the incident no longer
// needs are deleted), every target holds it, the alert is resolved, and no
// key value is anywhere in the incident directory.
func TestLeakedKeyCrashAtEachStep(t *testing.T) {
	dir := t.TempDir()
	for _, s := range leakedKeySteps {
		script := fmt.Sprintf(`# SIGKILL before %[1]s, then resume
sim start
env RESPOND_TEST_CRASH_BEFORE=%[1]s
! exec respond leaked-key --alert $SIM_ALERT --yes
env RESPOND_TEST_CRASH_BEFORE=
incident ID
exec respond resume $ID --yes
stderr 'Outcome: RECOVERED'
sim verify -alert
sim value old old.txt
sim value new new.txt
nosecret @old.txt state
nosecret @new.txt state
`, s)
		if err := os.WriteFile(filepath.Join(dir, "crash-before-"+s+".txtar"), []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	testscript.Run(t, scriptParams(dir))
}
