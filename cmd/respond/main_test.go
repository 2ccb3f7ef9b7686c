package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/cli"
)

// The end-to-end tests run the real respond binary (this test binary,
// re-executed as `respond`) in scripts under testdata/script.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"respond": func() { os.Exit(cli.Main()) },
		"interm":  func() { os.Exit(interm()) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

// scriptParams are the settings and custom commands every script gets.
func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("RESPOND_STATE_DIR", filepath.Join(env.WorkDir, "state"))
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":       cmdExitcode,
			"waitfile":       cmdWaitfile,
			"nosecret":       cmdNosecret,
			"incident":       cmdIncident,
			"hasprefix":      cmdHasprefix,
			"lines":          cmdLines,
			"sim":            cmdSim,
			"waitjournal":    cmdWaitJournal,
			"before":         cmdBefore,
			"simserve":       cmdSimServe,
			"together":       cmdTogether,
			"spawn":          cmdSpawn,
			"signal":         cmdSignal,
			"reap":           cmdReap,
			"loadenv":        cmdLoadenv,
			"jsonpath":       cmdJSONPath,
			"drilldir":       cmdDrilldir,
			"downtimewithin": cmdDowntimeWithin,
			"sleep":          cmdSleep,
		},
		Condition: ghCondition,
	}
}

// waitjournal STEP N: wait (up to 60 s) until the one incident's journal
// records N successful instances of STEP.
func cmdWaitJournal(ts *testscript.TestScript, neg bool, args []string) {
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	dir := filepath.Join(ts.Getenv("RESPOND_STATE_DIR"), "incidents")
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		paths, _ := filepath.Glob(filepath.Join(dir, "INC-*", "journal.jsonl"))
		if len(paths) == 1 {
			b, _ := os.ReadFile(paths[0])
			n := strings.Count(string(b), `"type":"step.finished","step":"`+args[0]+`"`)
			ok := 0
			for _, line := range strings.Split(string(b), "\n") {
				if strings.Contains(line, `"step":"`+args[0]+`"`) && strings.Contains(line, `"type":"step.finished"`) && strings.Contains(line, `"status":"ok"`) {
					ok++
				}
			}
			_ = n
			if ok >= want {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.Fatalf("the journal never recorded %d finished %s step(s)", want, args[0])
}

// exitcode N PROG ARGS...: run PROG and require exit code N (stdout and
// stderr are kept for the following commands).
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N prog args...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("run %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// waitfile PATH: wait (up to 30 s) until PATH exists.
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear within 30s", args[0])
}

// nosecret VALUE PATH...: no file under the paths (files or directories),
// nor the last command's stdout and stderr, contains VALUE.
func cmdNosecret(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: nosecret VALUE [path...]")
	}
	value := []byte(args[0])
	if strings.HasPrefix(args[0], "@") {
		value = []byte(strings.TrimSpace(ts.ReadFile(args[0][1:])))
		if len(value) < 8 {
			ts.Fatalf("nosecret: %s holds no value", args[0][1:])
		}
	}
	checked := 0
	for _, p := range args[1:] {
		root := ts.MkAbs(p)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			checked++
			if bytes.Contains(b, value) {
				ts.Fatalf("secret value found in %s", path)
			}
			return nil
		})
		ts.Check(err)
	}
	if checked == 0 && len(args) > 1 {
		ts.Fatalf("nosecret: no files under %v", args[1:])
	}
}

// incident VAR: set VAR to the one incident created since the last call
// (IDs made in the same second do not sort by time).
func cmdIncident(ts *testscript.TestScript, neg bool, args []string) {
	dir := filepath.Join(ts.Getenv("RESPOND_STATE_DIR"), "incidents")
	ents, err := os.ReadDir(dir)
	ts.Check(err)
	seen := map[string]bool{}
	for _, id := range strings.Fields(ts.Getenv("SEEN_INCIDENTS")) {
		seen[id] = true
	}
	var fresh []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "INC-") && !seen[e.Name()] {
			fresh = append(fresh, e.Name())
		}
	}
	if len(fresh) != 1 {
		ts.Fatalf("want exactly one new incident in %s, found %v", dir, fresh)
	}
	ts.Setenv(args[0], fresh[0])
	ts.Setenv("SEEN_INCIDENTS", ts.Getenv("SEEN_INCIDENTS")+" "+fresh[0])
}

// hasprefix A B: file B starts with the content of file A.
func cmdHasprefix(ts *testscript.TestScript, neg bool, args []string) {
	a, b := ts.ReadFile(args[0]), ts.ReadFile(args[1])
	if !strings.HasPrefix(b, a) {
		ts.Fatalf("%s does not start with the content of %s", args[1], args[0])
	}
}

// lines FILE N: FILE has exactly N lines.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	got := strings.Count(ts.ReadFile(args[0]), "\n")
	if got != n {
		ts.Fatalf("%s has %d lines, want %d:\n%s", args[0], got, n, ts.ReadFile(args[0]))
	}
}

// before ID A B: in incident ID's journal, step A finished (ok) before
// step B started.
func cmdBefore(ts *testscript.TestScript, neg bool, args []string) {
	path := filepath.Join(ts.Getenv("RESPOND_STATE_DIR"), "incidents", args[0], "journal.jsonl")
	b, err := os.ReadFile(path)
	ts.Check(err)
	aDone, bStart := -1, -1
	for i, line := range strings.Split(string(b), "\n") {
		if aDone < 0 && strings.Contains(line, `"type":"step.finished","step":"`+args[1]+`"`) && strings.Contains(line, `"status":"ok"`) {
			aDone = i
		}
		if bStart < 0 && strings.Contains(line, `"type":"step.started","step":"`+args[2]+`"`) {
			bStart = i
		}
	}
	if aDone < 0 || bStart < 0 || aDone > bStart {
		ts.Fatalf("%s did not finish before %s started (lines %d, %d)", args[1], args[2], aDone, bStart)
	}
}
