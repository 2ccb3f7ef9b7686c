package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/providers/anthropic/anthropicsim"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// Commands of the scripts of providers other than OpenAI (anthropic-key,
// github-token): they read the simulated world itself, never respond's
// output.

// world anthropic-status FILE|leaked STATUS: the Anthropic key whose value
// is in FILE (or the scenario's leaked key) has STATUS in the fake.
// world console-key WORKSPACE NAME FILE: a person makes a key in the
// Console (the fake's stand-in); its value goes to FILE.
// world new-token LOGIN FILE: LOGIN makes a new classic token (repo and
// workflow scopes); its value goes to FILE.
// world github-user FILE|leaked STATUS: GET /user with the token answers
// STATUS.
// world secrets FILE|leaked: every Actions secret of the scenario holds
// the value (with !, none does).
// world notified LOGIN N: GitHub told LOGIN of N revoked tokens.
// world alert STATE [RESOLUTION]: the scenario's alert is in STATE.
// world requests: prints the request log's count since the simulator
// started, by API and method.
func cmdWorld(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: world anthropic-status|console-key|new-token|github-user|secrets|requests ...")
	}
	simsMu.Lock()
	r := sims[ts]
	simsMu.Unlock()
	if r == nil {
		ts.Fatalf("world %s: no simulator started", args[0])
	}
	value := func(arg string) string {
		if arg == "leaked" {
			return r.leaked
		}
		b, err := os.ReadFile(ts.MkAbs(arg))
		ts.Check(err)
		return strings.TrimSpace(string(b))
	}
	want := func(n int) {
		if len(args) != n {
			ts.Fatalf("world %s: want %d arguments", args[0], n-1)
		}
	}
	switch args[0] {
	case "anthropic-status":
		want(3)
		fake, ok := r.s.Service("anthropic").(*anthropicsim.Server)
		if !ok {
			ts.Fatalf("the simulator serves no Anthropic fake")
		}
		v, status := value(args[1]), ""
		snap := fake.Snapshot()
		for _, k := range snapshotKeys(ts, snap) {
			if k.Value == v {
				status = k.Status
			}
		}
		if (status == args[2]) == neg {
			ts.Fatalf("the Anthropic key %s is %q in the fake's world; want %s%q", args[1], status, map[bool]string{true: "not ", false: ""}[neg], args[2])
		}
	case "console-key":
		want(4)
		fake, ok := r.s.Service("anthropic").(*anthropicsim.Server)
		if !ok {
			ts.Fatalf("the simulator serves no Anthropic fake")
		}
		k, err := fake.ConsoleCreateKey(args[1], args[2])
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(k.Value+"\n"), 0o600))
	case "new-token":
		want(3)
		k, err := r.s.GitHub().Tokens().IssueKey(simapi.IssueRequest{Scope: args[1], Name: "deploys (new)",
			Attrs: map[string]string{"kind": githubsim.TokenClassic, "permissions": "actions"}})
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(k.Value+"\n"), 0o600))
	case "github-user":
		want(3)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.s.URL()+"/api/v3/user", nil)
		req.Header.Set("Authorization", "Bearer "+value(args[1]))
		resp, err := http.DefaultClient.Do(req)
		ts.Check(err)
		resp.Body.Close()
		if (fmt.Sprint(resp.StatusCode) == args[2]) == neg {
			ts.Fatalf("GET /user with the token %s answered %d; want %s%s", args[1], resp.StatusCode, map[bool]string{true: "not ", false: ""}[neg], args[2])
		}
	case "secrets":
		want(2)
		v, info := value(args[1]), r.s.Scenario()
		var holding, other []string
		for _, sec := range r.s.GitHub().Snapshot().Secrets {
			if sec.Name != info.SecretName {
				continue
			}
			if sec.Value == v {
				holding = append(holding, sec.Owner+"/"+sec.Repo)
			} else {
				other = append(other, sec.Owner+"/"+sec.Repo)
			}
		}
		switch {
		case !neg && (len(other) > 0 || len(holding) != len(info.Repos)):
			ts.Fatalf("%d of %d %s secrets hold %s; these do not: %v", len(holding), len(info.Repos), info.SecretName, args[1], other)
		case neg && len(holding) > 0:
			ts.Fatalf("%s secrets of %v still hold %s", info.SecretName, holding, args[1])
		}
	case "notified":
		// world notified LOGIN N: GitHub told LOGIN of N revoked tokens.
		want(3)
		n := 0
		for _, note := range r.s.GitHub().Notifications(args[1]) {
			if note.Kind == "token.revoked" {
				n++
			}
		}
		if (fmt.Sprint(n) == args[2]) == neg {
			ts.Fatalf("%s was told of %d revoked token(s); want %s", args[1], n, args[2])
		}
	case "alert":
		// world alert STATE [RESOLUTION]: the scenario's alert.
		if len(args) < 2 {
			ts.Fatalf("usage: world alert STATE [RESOLUTION]")
		}
		info := r.s.Scenario()
		for _, a := range r.s.GitHub().Snapshot().Alerts {
			if a.Owner+"/"+a.Repo != info.AlertRepo || a.Number != info.AlertNumber {
				continue
			}
			res := ""
			if a.Resolution != nil {
				res = *a.Resolution
			}
			if a.State != args[1] || (len(args) > 2 && res != args[2]) {
				ts.Fatalf("alert %s is %s (%s); want %v", info.Alert, a.State, res, args[1:])
			}
			return
		}
		ts.Fatalf("no alert %s in the world", info.Alert)
	case "requests":
		want(1)
		counts := map[string]int{}
		total := 0
		for _, q := range r.s.Requests(r.sinceSeq) {
			counts[q.API+" "+q.Method]++
			total++
		}
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, counts[k])
		}
		fmt.Fprintf(ts.Stdout(), "requests: %d (%s)\n", total, strings.Join(parts, ", "))
	default:
		ts.Fatalf("world: unknown subcommand %q", args[0])
	}
}

type anthropicKeySnap struct{ Value, Status string }

// snapshotKeys reads the keys of the Anthropic fake's snapshot.
func snapshotKeys(ts *testscript.TestScript, snap any) []anthropicKeySnap {
	b, err := json.Marshal(snap)
	ts.Check(err)
	var s struct {
		Keys []struct {
			Value  string `json:"value"`
			Status string `json:"status"`
		} `json:"keys"`
	}
	ts.Check(json.Unmarshal(b, &s))
	out := make([]anthropicKeySnap, len(s.Keys))
	for i, k := range s.Keys {
		out[i] = anthropicKeySnap{Value: k.Value, Status: k.Status}
	}
	return out
}

// ptyrun [-exit N] DIALOGUE PROG ARGS...: run PROG in a pseudo-terminal,
// with the script's environment, as a person at a terminal would, and
// hold the dialogue written in the file DIALOGUE, one line a turn:
//
//	expect REGEXP     wait (up to 60 s) until the terminal shows it
//	send TEXT         type TEXT and Enter
//	sendfile FILE     type the file's first line and Enter (a paste)
//	do CMD ARGS...    run a script command (world …, sim …) meanwhile
//
// It then waits for PROG to exit with code N (default 0) and prints what
// the terminal showed, escape sequences dropped.
func cmdPtyrun(ts *testscript.TestScript, neg bool, args []string) {
	code := 0
	if len(args) > 2 && args[0] == "-exit" {
		_, err := fmt.Sscan(args[1], &code)
		ts.Check(err)
		args = args[2:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: ptyrun [-exit N] DIALOGUE PROG ARGS...")
	}
	dialogue, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	cmd := exec.Command(lookPath(ts, args[1]), args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = scriptEnv(ts)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 120, Rows: 50})
	ts.Check(err)
	defer tty.Close()
	var (
		mu  sync.Mutex
		raw strings.Builder
	)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			mu.Lock()
			raw.Write(buf[:n])
			mu.Unlock()
			// A prompt asks the terminal where its cursor is (DSR); a
			// terminal answers, and so does this one.
			for range strings.Count(string(buf[:n]), "\x1b[6n") {
				_, _ = tty.Write([]byte("\x1b[1;1R"))
			}
			if err != nil {
				return
			}
		}
	}()
	shown := func() string {
		mu.Lock()
		defer mu.Unlock()
		return ansi.ReplaceAllString(raw.String(), "")
	}
	from := 0
	for _, line := range strings.Split(string(dialogue), "\n") {
		verb, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch verb {
		case "", "#":
		case "expect":
			re := regexp.MustCompile(rest)
			deadline := time.Now().Add(60 * time.Second)
			for {
				s := shown()
				if loc := re.FindStringIndex(s[from:]); loc != nil {
					from += loc[1]
					// A person reads before typing; a prompt may set the
					// terminal's mode (discarding what was typed) just
					// after it shows.
					time.Sleep(300 * time.Millisecond)
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					ts.Fatalf("ptyrun: the terminal never showed %q; it shows:\n%s", rest, screen(s, 120))
				}
				time.Sleep(20 * time.Millisecond)
			}
		case "send":
			_, err := tty.Write([]byte(rest + "\r"))
			ts.Check(err)
		case "sendfile":
			b, err := os.ReadFile(ts.MkAbs(rest))
			ts.Check(err)
			first, _, _ := strings.Cut(string(b), "\n")
			_, err = tty.Write([]byte(strings.TrimSpace(first) + "\r"))
			ts.Check(err)
		case "do":
			f := strings.Fields(rest)
			c, ok := scriptParams("").Cmds[f[0]]
			if !ok {
				ts.Fatalf("ptyrun: do %s: no such script command", f[0])
			}
			c(ts, false, f[1:])
		default:
			ts.Fatalf("ptyrun: unknown turn %q", line)
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		ts.Fatalf("ptyrun: %s did not exit; the terminal shows:\n%s", args[1], screen(shown(), 120))
	}
	<-readDone
	fmt.Fprint(ts.Stdout(), screen(raw.String(), 120))
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("ptyrun: %v", err)
	}
	if got != code {
		ts.Fatalf("ptyrun: %s exited %d, want %d; the terminal shows:\n%s", args[1], got, code, screen(shown(), 120))
	}
}

// ansi matches terminal escape sequences.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\a\x1b]*(\a|\x1b\\)|\x1b[@-Z\\-_]`)

// scriptEnv is the script's environment for a child, as spawn builds it,
// plus the variables the simulator exports.
func scriptEnv(ts *testscript.TestScript) []string {
	var env []string
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			env = append(env, k+"="+ts.Getenv(k))
		}
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		add(k)
	}
	for _, k := range []string{"RESPOND_STATE_DIR", "NO_COLOR", "PATH", "HOME", "TMPDIR", "TERM"} {
		add(k)
	}
	simsMu.Lock()
	r := sims[ts]
	simsMu.Unlock()
	if r != nil {
		for k := range r.s.Env() {
			add(k)
		}
	}
	return env
}
