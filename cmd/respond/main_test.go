package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/cli"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/report/gfmtest"
)

// The end-to-end tests run the real respond binary (this test binary,
// re-executed as `respond`) in scripts under testdata/script.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"respond": func() { os.Exit(cli.Main()) },
		"interm":  func() { os.Exit(interm()) },
		// encode-secret: an exec target that prints the value it is given
		// percent-encoded, JSON-escaped and base64-encoded, and fails.
		"encode-secret": func() { os.Exit(encodeSecret()) },
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
			// The registered providers, as messages list them (cmpenv
			// files say $PROVIDERS, so a new plug-in needs no edit here).
			env.Setenv("PROVIDERS", strings.Join(provider.Names(), ", "))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":       cmdExitcode,
			"waitfile":       cmdWaitfile,
			"nosecret":       cmdNosecret,
			"noleak":         cmdNoleak,
			"dead":           cmdDead,
			"mdsafe":         cmdMdsafe,
			"gfmsafe":        cmdGfmsafe,
			"incident":       cmdIncident,
			"hasprefix":      cmdHasprefix,
			"lines":          cmdLines,
			"sim":            cmdSim,
			"aws":            cmdAWS,
			"waitjournal":    cmdWaitJournal,
			"before":         cmdBefore,
			"simserve":       cmdSimServe,
			"together":       cmdTogether,
			"spawn":          cmdSpawn,
			"signal":         cmdSignal,
			"closeout":       cmdCloseout,
			"running":        cmdRunning,
			"reap":           cmdReap,
			"loadenv":        cmdLoadenv,
			"jsonpath":       cmdJSONPath,
			"drilldir":       cmdDrilldir,
			"downtimewithin": cmdDowntimeWithin,
			"sleep":          cmdSleep,
			"watchsim":       cmdWatchSim,
			"facilitator":    cmdFacilitator,
			"drilltoken":     cmdDrillToken,
			"jsonfind":       cmdJSONFind,
			"scoregap":       cmdScoreGap,
			"rowsaddup":      cmdRowsAddUp,
			"lessons":        cmdLessons,
			"filemode":       cmdFileMode,
			"maxwidth":       cmdMaxwidth,
			"sarifvalid":     cmdSarifvalid,
			"world":          cmdWorld,
			"ptyrun":         cmdPtyrun,
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
	if len(value) < 8 {
		ts.Fatalf("nosecret: %q is too short to be a secret (an unset variable?)", args[0])
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

// noleakMin is the shortest run of a secret's characters that counts as a
// leak: a redacted form keeps 8 + 4 characters apart, never 12 together.
const noleakMin = 12

// noleak SECRET... [-- PATH...]: no substring of 12 or more characters of
// any SECRET (a literal, @FILE for a file's trimmed content, or $NAME
// expanded by the script), in any of its forms (secretForms: as it is,
// percent-encoded, JSON-escaped, base64), appears in the last command's
// stdout or stderr, in any file under the PATHs (files or directories),
// or in the path of any request in the simulator's request log (when a
// simulator runs). It logs how many forms and outputs it scanned.
func cmdNoleak(ts *testscript.TestScript, neg bool, args []string) {
	var secrets, paths []string
	for i, a := range args {
		if a == "--" {
			paths = args[i+1:]
			break
		}
		v := a
		if strings.HasPrefix(a, "@") {
			v = strings.TrimSpace(ts.ReadFile(a[1:]))
		}
		if len(v) < noleakMin {
			ts.Fatalf("noleak: secret %q is shorter than %d characters", a, noleakMin)
		}
		secrets = append(secrets, v)
	}
	if len(secrets) == 0 {
		ts.Fatalf("usage: noleak SECRET... [-- PATH...]")
	}
	type part struct {
		secret int
		form   string
	}
	parts := map[string]part{} // every 12-character substring of every form
	forms := 0
	for i, s := range secrets {
		for _, f := range secretForms(s) {
			forms++
			for j := 0; j+noleakMin <= len(f.text); j++ {
				if _, ok := parts[f.text[j:j+noleakMin]]; !ok {
					parts[f.text[j:j+noleakMin]] = part{i, f.name}
				}
			}
		}
	}
	outputs := 0
	find := func(b string) (string, bool) {
		outputs++
		for j := 0; j+noleakMin <= len(b); j++ {
			if p, ok := parts[b[j:j+noleakMin]]; ok {
				return fmt.Sprintf("characters %q of secret %d (%s)", b[j:j+noleakMin], p.secret+1, p.form), true
			}
		}
		return "", false
	}
	var found []string
	for _, name := range []string{"stdout", "stderr"} {
		if what, ok := find(ts.ReadFile(name)); ok {
			found = append(found, name+": "+what)
		}
	}
	checked := 0
	for _, p := range paths {
		err := filepath.WalkDir(ts.MkAbs(p), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			checked++
			if what, ok := find(string(b)); ok {
				found = append(found, path+": "+what)
			}
			return nil
		})
		ts.Check(err)
	}
	if checked == 0 && len(paths) > 0 {
		ts.Fatalf("noleak: no files under %v", paths)
	}
	simsMu.Lock()
	r := sims[ts]
	simsMu.Unlock()
	if r != nil {
		for _, q := range r.s.Requests(0) {
			if what, ok := find(q.Path); ok {
				found = append(found, "request "+q.Method+" "+q.Path+": "+what)
			}
		}
	}
	ts.Logf("noleak: %d forms of %d secrets × %d outputs scanned", forms, len(secrets), outputs)
	if len(found) > 0 != neg {
		if neg {
			ts.Fatalf("noleak: expected a leak, found none")
		}
		ts.Fatalf("secret characters leaked:\n  %s", strings.Join(found, "\n  "))
	}
}

// dead PIDFILE: the process whose ID PIDFILE holds is gone (or a zombie)
// within 10 s.
func cmdDead(ts *testscript.TestScript, neg bool, args []string) {
	pid, err := strconv.Atoi(strings.TrimSpace(ts.ReadFile(args[0])))
	ts.Check(err)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		// The state follows the command name in parentheses; Z is a zombie.
		if err != nil {
			return
		}
		if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X') {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			ts.Fatalf("process %d (%s) is still running", pid, args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mdsafe FILE: outside fenced blocks and code spans, the Markdown in FILE
// has no unescaped HTML tag (but the template's own <details>), image, link
// target or bare URL autolink.
func cmdMdsafe(ts *testscript.TestScript, neg bool, args []string) {
	var problems []string
	fenced := false
	for n, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		plain := stripCodeSpans(line)
		for i := 0; i < len(plain); i++ {
			if plain[i] == '\\' {
				i++
				continue
			}
			rest := plain[i:]
			switch {
			case strings.HasPrefix(rest, "<details>"), strings.HasPrefix(rest, "</details>"),
				strings.HasPrefix(rest, "<summary>"), strings.HasPrefix(rest, "</summary>"):
				// the template's own collapsible section
			case len(rest) > 1 && rest[0] == '<' && (rest[1] == '/' || rest[1] == '!' || rest[1] == '?' || rest[1] >= 'a' && rest[1] <= 'z' || rest[1] >= 'A' && rest[1] <= 'Z'),
				strings.HasPrefix(rest, "!["), strings.HasPrefix(rest, "]("),
				strings.HasPrefix(rest, "://"), strings.HasPrefix(strings.ToLower(rest), "www."):
				problems = append(problems, fmt.Sprintf("line %d: %q", n+1, rest[:min(len(rest), 40)]))
			}
		}
	}
	if len(problems) > 0 != neg {
		ts.Fatalf("%s: unescaped markup:\n  %s", args[0], strings.Join(problems, "\n  "))
	}
}

// gfmsafe FILE [TEXT...]: FILE, rendered as GitHub renders Markdown
// (goldmark with its GFM extensions), holds no HTML element or attribute
// respond's templates do not write (no link, image, script), and each
// TEXT appears whole in one table cell, list item, paragraph or heading
// (a name split across cells is cut short by the table).
func cmdGfmsafe(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: gfmsafe FILE [TEXT...]")
	}
	problems := gfmtest.Check([]byte(ts.ReadFile(args[0])), args[1:]...)
	if len(problems) > 0 != neg {
		if neg {
			ts.Fatalf("%s: rendered as GitHub does, it holds only what respond writes", args[0])
		}
		ts.Fatalf("%s, rendered as GitHub does:\n  %s", args[0], strings.Join(problems, "\n  "))
	}
}

// stripCodeSpans removes the code spans of a line (CommonMark: a run of
// backticks up to the next run of the same length), keeping the rest.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] == '\\' && i+1 < len(line) {
			b.WriteString(line[i : i+2])
			i += 2
			continue
		}
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == '`' {
			j++
		}
		fence := line[i:j]
		end := -1
		for k := j; k < len(line); {
			if line[k] != '`' {
				k++
				continue
			}
			m := k
			for m < len(line) && line[m] == '`' {
				m++
			}
			if m-k == len(fence) {
				end = m
				break
			}
			k = m
		}
		if end < 0 { // no closing run: the backticks are literal
			b.WriteString(fence)
			i = j
			continue
		}
		b.WriteString("CODE")
		i = end
	}
	return b.String()
}
