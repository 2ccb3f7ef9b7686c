package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/journal"
)

// loadenv FILE: set the script's environment from the `export K=V` lines
// of FILE, as a shell sourcing it would (a trainee's exports).
func cmdLoadenv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: loadenv FILE")
	}
	n := 0
	for _, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		kv, ok := strings.CutPrefix(strings.TrimSpace(line), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
		}
		ts.Setenv(k, v)
		n++
	}
	if n == 0 {
		ts.Fatalf("loadenv: %s holds no export", args[0])
	}
}

// facilitator: switch the script to the facilitator's own shell, as it
// was before a trainee's exports were loaded: no trainee, no trainee's
// credentials, the script's own state directory. RESPOND_DRILL stays, so
// the facilitator's commands find the drill the script works on.
func cmdFacilitator(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 0 {
		ts.Fatalf("usage: facilitator")
	}
	for _, k := range []string{drill.EnvTrainee, "GITHUB_TOKEN", "OPENAI_ADMIN_KEY"} {
		ts.Setenv(k, "")
	}
	ts.Setenv("RESPOND_STATE_DIR", filepath.Join(ts.Getenv("WORK"), "state"))
}

// drilltoken VAR: set VAR to the facilitator's control token of the drill
// in $RESPOND_DRILL (what the facilitator's own curl would send).
func cmdDrillToken(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: drilltoken VAR")
	}
	tok, err := drill.ReadControlToken(ts.Getenv(drill.EnvDrill))
	ts.Check(err)
	ts.Setenv(args[0], tok.Reveal())
}

// jsonfind VAR FILE PATH KEY=VALUE FIELD: set VAR to FIELD of the first
// element of the array at PATH whose KEY is VALUE (what a trainee reads
// off an API's listing).
func cmdJSONFind(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 5 {
		ts.Fatalf("usage: jsonfind VAR FILE PATH KEY=VALUE FIELD")
	}
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[1])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	k, v, _ := strings.Cut(args[3], "=")
	for _, arr := range walk(doc, strings.Split(args[2], ".")) {
		list, _ := arr.([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			if m != nil && fmt.Sprint(m[k]) == v {
				ts.Setenv(args[0], fmt.Sprint(m[args[4]]))
				return
			}
		}
	}
	ts.Fatalf("%s: no element of %s has %s", args[1], args[2], args[3])
}

// scoregap A B MIN: the drill scores in the JSON files A and B (a
// debrief, or drill end --output json) are at least MIN points apart, A
// above B.
func cmdScoreGap(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: scoregap A.json B.json MIN")
	}
	a, b := debriefScore(ts, args[0]), debriefScore(ts, args[1])
	minGap, err := strconv.ParseFloat(args[2], 64)
	ts.Check(err)
	if a.Total-b.Total < minGap {
		ts.Fatalf("%s scored %.1f and %s %.1f: %.1f apart, want at least %s", args[0], a.Total, args[1], b.Total, a.Total-b.Total, args[2])
	}
	ts.Logf("%s %.1f, %s %.1f: %.1f apart", args[0], a.Total, args[1], b.Total, a.Total-b.Total)
}

// rowsaddup FILE: the score's rows add up to its total exactly, and their
// maxima to 100.
func cmdRowsAddUp(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: rowsaddup FILE")
	}
	s := debriefScore(ts, args[0])
	pts, mx := 0, 0
	for _, m := range s.Measures {
		pts += int(math.Round(m.Points * 10))
		mx += int(math.Round(m.Max * 10))
	}
	if pts != int(math.Round(s.Total*10)) || mx != 1000 {
		ts.Fatalf("%s: the rows add up to %.1f of %.1f, the total says %.1f/100", args[0], float64(pts)/10, float64(mx)/10, s.Total)
	}
}

// debriefScore reads the score of a debrief.json, or of the result of
// respond drill end --output json.
func debriefScore(ts *testscript.TestScript, file string) drill.Score {
	var doc struct {
		Score drill.Score `json:"score"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(file)), &doc))
	if len(doc.Score.Measures) == 0 {
		ts.Fatalf("%s holds no score", file)
	}
	return doc.Score
}

// lessons DEBRIEF REGEXP...: every lesson of the debrief's "what to
// practise" matches one of the REGEXPs (it names one of the mistakes they
// stand for), and every REGEXP matches a lesson (every mistake is named).
func cmdLessons(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: lessons DEBRIEF.json REGEXP...")
	}
	var deb drill.Debrief
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &deb))
	res := make([]*regexp.Regexp, len(args)-1)
	named := make([]bool, len(res))
	for i, a := range args[1:] {
		re, err := regexp.Compile(a)
		ts.Check(err)
		res[i] = re
	}
	for _, l := range deb.Practise {
		hit := false
		for i, re := range res {
			if re.MatchString(l) {
				hit, named[i] = true, true
			}
		}
		if !hit {
			ts.Fatalf("a lesson names none of the mistakes: %s", l)
		}
	}
	for i, n := range named {
		if !n {
			ts.Fatalf("no lesson names %s; the lessons:\n  %s", args[i+1], strings.Join(deb.Practise, "\n  "))
		}
	}
}

// filemode PATH MODE: PATH's permission bits are MODE (octal).
func cmdFileMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filemode PATH MODE")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %04o, want %04o", args[0], got, want)
	}
}

// jsonpath FILE PATH OP VALUE: the JSON value at PATH (dotted; numbers
// index arrays; * means every element) compares with VALUE: OP is ==, !=,
// <, <=, >, >= (numbers), ~ (the value's JSON contains VALUE), or has
// (the value is an array with an element holding every field of the JSON
// object VALUE).
func cmdJSONPath(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: jsonpath FILE PATH OP VALUE")
	}
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	vals := walk(doc, strings.Split(args[1], "."))
	if len(vals) == 0 {
		ts.Fatalf("%s: nothing at %s", args[0], args[1])
	}
	for _, v := range vals {
		ok := compare(ts, v, args[2], args[3])
		if ok == neg {
			b, _ := json.Marshal(v)
			ts.Fatalf("%s: %s is %s; want %s %s %s", args[0], args[1], b, map[bool]string{true: "not", false: ""}[neg], args[2], args[3])
		}
	}
}

func walk(v any, path []string) []any {
	if len(path) == 0 || path[0] == "" {
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		if c, ok := x[path[0]]; ok {
			return walk(c, path[1:])
		}
	case []any:
		if path[0] == "*" {
			var out []any
			for _, e := range x {
				out = append(out, walk(e, path[1:])...)
			}
			return out
		}
		if i, err := strconv.Atoi(path[0]); err == nil && i >= 0 && i < len(x) {
			return walk(x[i], path[1:])
		}
	}
	return nil
}

func compare(ts *testscript.TestScript, v any, op, want string) bool {
	if op == "~" {
		b, _ := json.Marshal(v)
		return strings.Contains(string(b), want)
	}
	if op == "has" {
		var fields map[string]any
		ts.Check(json.Unmarshal([]byte(want), &fields))
		arr, _ := v.([]any)
		for _, e := range arr {
			m, _ := e.(map[string]any)
			all := m != nil
			for k, fv := range fields {
				all = all && fmt.Sprint(m[k]) == fmt.Sprint(fv)
			}
			if all {
				return true
			}
		}
		return false
	}
	if f, ok := v.(float64); ok {
		w, err := strconv.ParseFloat(want, 64)
		ts.Check(err)
		switch op {
		case "==":
			return f == w
		case "!=":
			return f != w
		case "<":
			return f < w
		case "<=":
			return f <= w
		case ">":
			return f > w
		case ">=":
			return f >= w
		}
		ts.Fatalf("unknown operator %q", op)
	}
	got := fmt.Sprint(v)
	switch op {
	case "==":
		return got == want
	case "!=":
		return got != want
	}
	ts.Fatalf("operator %q needs a number, got %v", op, v)
	return false
}

// drilldir VAR: set VAR to the directory of the drill started last under
// $RESPOND_STATE_DIR/drills (demonstrations included).
func cmdDrilldir(ts *testscript.TestScript, neg bool, args []string) {
	root := filepath.Join(ts.Getenv("RESPOND_STATE_DIR"), "drills")
	ents, err := os.ReadDir(root)
	ts.Check(err)
	var dirs []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "DRILL-") {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		ts.Fatalf("no drill in %s", root)
	}
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := os.Stat(filepath.Join(root, dirs[i]))
		b, _ := os.Stat(filepath.Join(root, dirs[j]))
		return a.ModTime().Before(b.ModTime())
	})
	ts.Setenv(args[0], filepath.Join(root, dirs[len(dirs)-1]))
}

// downtimewithin DRILLDIR: no service of the drill was down longer than
// the deploy of the response that recovered it: from the revoke (the
// contain step finishing) to the redeploy's run finishing, per the
// incident's journal, plus the world's step (100ms) on each side.
func cmdDowntimeWithin(ts *testscript.TestScript, neg bool, args []string) {
	dir := args[0]
	var deb drill.Debrief
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(filepath.Join(dir, "debrief.json"))), &deb))
	paths, _ := filepath.Glob(filepath.Join(dir, drill.StateDir, "incidents", "INC-*", journal.FileName))
	var window time.Duration
	for _, p := range paths {
		recs, err := journal.ReadFile(p)
		ts.Check(err)
		var contained, redeployed time.Time
		for _, r := range recs {
			if r.Type == journal.StepFinished && r.Status == journal.StatusOK {
				switch r.Step {
				case "contain":
					contained = r.Time
				case "redeploy":
					redeployed = r.Time
				}
			}
		}
		if !contained.IsZero() && redeployed.After(contained) && redeployed.Sub(contained) > window {
			window = redeployed.Sub(contained)
		}
	}
	if window == 0 {
		ts.Fatalf("no incident in %s contained and redeployed", dir)
	}
	for _, c := range deb.Score.Facts.Consumers {
		if d := time.Duration(c.DowntimeSeconds * float64(time.Second)); d > window+300*time.Millisecond {
			ts.Fatalf("%s was down %s, longer than the deploy (%s from the revoke to the redeploy)", c.Name, d, window)
		}
	}
	ts.Logf("every service was down at most the deploy's %s", window)
}

// sleep DURATION: let the simulated world's clock run (a scripted trainee
// thinking); never used to wait for a result.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}
