package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/dotenv"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/githubsim"
)

// The simulator runs inside the test process; the respond binary, in its
// own process, talks to it over real HTTP, exactly as it would to OpenAI
// and GitHub.

type simRun struct {
	s        *sim.Sim
	leaked   string
	initial  map[string]string // secret key -> value at start
	leakedAt map[string]bool   // secrets that held the leaked key at start
	sinceSeq int64
}

var (
	simsMu sync.Mutex
	sims   = map[*testscript.TestScript]*simRun{}
)

func secretKey(s githubsim.SecretState) string {
	return strings.Join([]string{s.Level, s.Org, s.Owner, s.Repo, s.Environment, s.Name}, "|")
}

// sim start [-scenario S] [-seed N] [-repos N] [-latency D] [-extra FILE]
// sim verify [-alert] [-failed N] [-dotenv PATH VAR]... [-stored FILE]...
// sim requests-only-get | sim fault METHOD PATH STATUS COUNT | sim clear-faults
// sim token readonly | sim twin | sim value old|new FILE
func cmdSim(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: sim start|verify|requests-only-get|fault|clear-faults|token|twin|value")
	}
	simsMu.Lock()
	r := sims[ts]
	simsMu.Unlock()
	if args[0] != "start" && r == nil {
		ts.Fatalf("sim %s: no simulator started", args[0])
	}
	switch args[0] {
	case "start":
		simStart(ts, args[1:])
	case "verify":
		simVerify(ts, r, neg, args[1:])
	case "requests-only-get":
		var mutating []string
		for _, q := range r.s.Requests(r.sinceSeq) {
			if q.Method != http.MethodGet && q.Method != http.MethodHead {
				mutating = append(mutating, q.Method+" "+q.Path)
			}
		}
		if len(mutating) > 0 != neg {
			ts.Fatalf("mutating requests sent: %v", mutating)
		}
	case "fault":
		if len(args) != 5 {
			ts.Fatalf("usage: sim fault METHOD PATH STATUS|secondary|primary|429 COUNT")
		}
		f := sim.Fault{Method: args[1], Path: args[2]}
		if n, err := strconv.Atoi(args[3]); err == nil {
			f.Status = n
		} else {
			f.RateLimit = args[3]
			f.RetryAfter = sim.Duration(time.Second)
		}
		n, err := strconv.Atoi(args[4])
		ts.Check(err)
		f.Count = n
		_, err = r.s.AddFault(f)
		ts.Check(err)
	case "delay":
		if len(args) != 5 {
			ts.Fatalf("usage: sim delay METHOD PATH DURATION COUNT")
		}
		d, err := time.ParseDuration(args[3])
		ts.Check(err)
		n, err := strconv.Atoi(args[4])
		ts.Check(err)
		_, err = r.s.AddFault(sim.Fault{Method: args[1], Path: args[2], Delay: sim.Duration(d), Count: n})
		ts.Check(err)
	case "clear-faults":
		r.s.ClearFaults()
	case "token":
		ts.Setenv("GITHUB_TOKEN", r.s.Scenario().ReadOnlyToken)
	case "twin":
		// A second key, in another project, sharing the leaked key's
		// redacted form (first 8 and last 4 characters).
		st := r.s.OpenAI().Snapshot()
		var other, user string
		for _, p := range st.Projects {
			if p.ID != r.s.Scenario().ProjectID {
				other = p.ID
			}
		}
		for _, k := range st.Keys {
			if k.ID == r.s.Scenario().LeakedKeyID {
				user = k.OwnerID
			}
		}
		v := r.leaked[:8] + strings.Repeat("Q", len(r.leaked)-12) + r.leaked[len(r.leaked)-4:]
		_, err := r.s.OpenAI().AddUserKeyValue(other, "twin", user, v, time.Now().Add(-time.Hour))
		ts.Check(err)
	case "hostile":
		// Names an attacker (or a careless colleague) could choose: markup,
		// HTML, terminal escape sequences, newlines.
		ts.Check(r.s.SetNames(sim.Names{
			ProjectName: "Prod\x1b]0;pwned\x07\x1b[2J <img src=x onerror=alert(1)>",
			KeyName:     "key\n# Injected heading\n[click here](https://evil.example/login) ![](https://evil.example/pixel.png)",
			OwnerName:   "<img src=x onerror=alert(2)> \x1b[31mred\u009b2J",
			AlertPath:   "src/\x1b]0;title\x07config.py\n# Injected heading\n![pixel](https://evil.example/t.png)<script>alert(3)</script>",
		}))
	case "setenv":
		// sim setenv NAME old|new: set NAME to a key value.
		if len(args) != 3 {
			ts.Fatalf("usage: sim setenv NAME old|new")
		}
		v := r.leaked
		if args[2] == "new" {
			v = newKey(ts, r)
		}
		ts.Setenv(args[1], v)
	case "value":
		// Write a key value to a file for `nosecret @FILE`.
		var v string
		switch args[1] {
		case "old":
			v = r.leaked
		case "new":
			v = newKey(ts, r)
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(v), 0o600))
	default:
		ts.Fatalf("sim: unknown subcommand %q", args[0])
	}
}

func simStart(ts *testscript.TestScript, args []string) {
	fs := flag.NewFlagSet("sim start", flag.ContinueOnError)
	scenario := fs.String("scenario", "leaked-key", "")
	seed := fs.Int64("seed", 1, "")
	repos := fs.Int("repos", 3, "")
	latency := fs.Duration("latency", 0, "")
	extra := fs.String("extra", "", "")
	ts.Check(fs.Parse(args))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sim.Start(ctx, sim.Options{Scenario: *scenario, Seed: *seed, Repos: *repos, Latency: *latency})
	if err != nil {
		cancel()
		ts.Fatalf("start the simulator: %v", err)
	}
	ts.Defer(func() { cancel(); _ = s.Close() })
	for k, v := range s.Env() {
		ts.Setenv(k, v)
	}
	info := s.Scenario()
	ts.Setenv("SIM_URL", s.URL())
	ts.Setenv("SIM_PROJECT", info.ProjectID)
	ts.Setenv("SIM_KEY_ID", info.LeakedKeyID)
	ts.Setenv("SIM_ALERT", info.Alert)
	inv := ts.MkAbs("respond.yaml")
	ts.Check(s.WriteInventory(inv))
	if *extra != "" {
		b, err := os.ReadFile(ts.MkAbs(*extra))
		ts.Check(err)
		f, err := os.OpenFile(inv, os.O_APPEND|os.O_WRONLY, 0)
		ts.Check(err)
		_, err = f.Write(b)
		ts.Check(err)
		ts.Check(f.Close())
	}
	r := &simRun{s: s, leaked: s.LeakedKeyValue(), initial: map[string]string{}, leakedAt: map[string]bool{}}
	ts.Check(os.WriteFile(ts.MkAbs("leaked.txt"), []byte(r.leaked+"\n"), 0o600))
	for _, sec := range s.GitHub().Snapshot().Secrets {
		r.initial[secretKey(sec)] = sec.Value
		if sec.Value == r.leaked {
			r.leakedAt[secretKey(sec)] = true
		}
	}
	if len(r.leakedAt) == 0 {
		ts.Fatalf("scenario %s planted the leaked key nowhere", *scenario)
	}
	if reqs := s.Requests(0); len(reqs) > 0 {
		r.sinceSeq = reqs[len(reqs)-1].Seq
	}
	simsMu.Lock()
	sims[ts] = r
	simsMu.Unlock()
}

// newKey is the one live key respond created (a service account named
// respond-…); it fails the script unless there is exactly one.
func newKey(ts *testscript.TestScript, r *simRun) string {
	st := r.s.OpenAI().Snapshot()
	accounts := map[string]bool{}
	for _, a := range st.ServiceAccounts {
		if strings.HasPrefix(a.Name, "respond-") && a.DeletedAt == "" {
			accounts[a.ID] = true
		}
	}
	var live []string
	for _, k := range st.Keys {
		if accounts[k.OwnerID] && k.Status == "live" {
			live = append(live, k.Value)
		}
	}
	if len(accounts) != 1 || len(live) != 1 {
		ts.Fatalf("want exactly one live replacement (service account respond-…), found %d account(s) and %d live key(s)", len(accounts), len(live))
	}
	return live[0]
}

func simVerify(ts *testscript.TestScript, r *simRun, neg bool, args []string) {
	var problems []string
	alert, failed := false, 0
	var dotenvs [][2]string
	var stored []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-alert":
			alert = true
		case "-failed":
			i++
			failed, _ = strconv.Atoi(args[i])
		case "-dotenv":
			dotenvs = append(dotenvs, [2]string{args[i+1], args[i+2]})
			i += 2
		case "-stored":
			i++
			stored = append(stored, args[i])
		default:
			ts.Fatalf("sim verify: unknown flag %s", args[i])
		}
	}
	// The old key is dead.
	for _, k := range r.s.OpenAI().Snapshot().Keys {
		if k.Value == r.leaked && k.Status == "live" {
			problems = append(problems, "the leaked key "+k.ID+" is still live")
		}
	}
	repl := newKey(ts, r)
	// Every secret that held the leaked key holds the replacement; the
	// others are untouched.
	var wrong []string
	for _, sec := range r.s.GitHub().Snapshot().Secrets {
		k := secretKey(sec)
		switch {
		case r.leakedAt[k] && sec.Value != repl:
			if sec.Value == r.leaked {
				k += " (still the leaked key)"
			}
			wrong = append(wrong, k)
		case !r.leakedAt[k] && r.initial[k] != "" && sec.Value != r.initial[k]:
			problems = append(problems, "a secret that did not hold the key was changed: "+k)
		}
	}
	if len(wrong) != failed {
		problems = append(problems, fmt.Sprintf("%d target(s) do not hold the replacement, want %d: %v", len(wrong), failed, wrong))
	}
	for _, d := range dotenvs {
		v, ok, err := dotenv.Lookup(ts.MkAbs(d[0]), d[1])
		if err != nil || !ok || v != repl {
			problems = append(problems, fmt.Sprintf("%s: %s does not hold the replacement (found=%v, err=%v)", d[0], d[1], ok, err))
		}
	}
	for _, f := range stored {
		if b, err := os.ReadFile(ts.MkAbs(f)); err != nil || string(b) != repl {
			problems = append(problems, fmt.Sprintf("%s does not hold exactly the replacement (%v)", f, err))
		}
	}
	if alert {
		info := r.s.Scenario()
		for _, a := range r.s.GitHub().Snapshot().Alerts {
			if a.Owner+"/"+a.Repo != info.AlertRepo || a.Number != info.AlertNumber {
				continue
			}
			if a.State != "resolved" || a.Resolution == nil || *a.Resolution != "revoked" {
				problems = append(problems, fmt.Sprintf("alert %s is %s, not resolved as revoked", info.Alert, a.State))
			}
			if a.ResolutionComment == nil || !strings.Contains(*a.ResolutionComment, "INC-") {
				problems = append(problems, "the alert's resolution comment does not name the incident")
			}
		}
	}
	if len(problems) > 0 != neg {
		if neg {
			ts.Fatalf("sim verify: expected problems, found none")
		}
		ts.Fatalf("sim verify:\n  %s", strings.Join(problems, "\n  "))
	}

}
