package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestWatchBench measures, at 50 ms latency, the time from a leak to the
// revoke of its key (from the simulator's request log) with respond watch
// taking alerts by webhook, by polling alone, and in a burst of 100. It
// runs with RESPOND_WATCH_BENCH_OUT=FILE (the figures are appended there;
// docs/BENCHMARKS.md records them), not in the ordinary suite: the figures
// are measured, never asserted.
func TestWatchBench(t *testing.T) {
	out := os.Getenv("RESPOND_WATCH_BENCH_OUT")
	if out == "" {
		t.Skip("set RESPOND_WATCH_BENCH_OUT=FILE to measure")
	}
	policy := "-- watch.yaml --\nrules:\n  - name: openai keys\n    match: {provider: openai}\n    action: respond\n-- hook.secret --\n1f2e3d4c5b6a79880796a5b4c3d2e1f0\n"
	// The scenario's key (a full response: revoke, replace, deploy,
	// verify, redeploy, close), then nine keys no inventory names, one at
	// a time.
	sequence := func(name, watchArgs string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "env 'WATCH_BENCH_NAME=%s'\nsim start -latency 50ms\nwatchsim port PORT\nspawn w respond watch %s --policy watch.yaml\n", name, watchArgs)
		b.WriteString("watchsim ready http://127.0.0.1:$PORT\nwatchsim hook http://127.0.0.1:$PORT/webhook hook.secret\n")
		b.WriteString("watchsim leak A key=leaked repo=web\nwatchsim wait resolved $A\nwatchsim wait revoked\n")
		for range 9 {
			b.WriteString("watchsim newkeys 1\nwatchsim wait revoked\n")
		}
		b.WriteString("watchsim measure times.txt\nsignal w TERM\nreap w 0\n")
		return b.String()
	}
	hookArgs := "--listen 127.0.0.1:$PORT --webhook-secret-file hook.secret"
	scripts := map[string]string{
		"webhook": sequence("webhook (10 leaks, one at a time)", hookArgs),
		// A listener for readiness only: the hook points elsewhere.
		"poll-2s": strings.Replace(sequence("polling alone, --poll 2s (10 leaks, one at a time)", "--listen 127.0.0.1:$PORT --webhook-secret-file hook.secret --poll 2s --org acme"),
			"watchsim hook http://127.0.0.1:$PORT/webhook hook.secret\n", "", 1),
		"burst": "env 'WATCH_BENCH_NAME=burst of 100 keys by webhook'\nsim start -latency 50ms\nwatchsim port PORT\nspawn w respond watch " + hookArgs + " --policy watch.yaml\n" +
			"watchsim ready http://127.0.0.1:$PORT\nwatchsim hook http://127.0.0.1:$PORT/webhook hook.secret\nwatchsim newkeys 100\nwatchsim wait revoked\nwatchsim measure times.txt\nwatchsim requests reqs.txt\nexec cat reqs.txt\nsignal w TERM\nreap w 0\n",
	}
	dir := t.TempDir()
	for name, s := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name+".txtar"), []byte(s+policy), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	testscript.Run(t, scriptParams(dir))
}
