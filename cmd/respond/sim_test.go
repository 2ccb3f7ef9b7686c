package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/dotenv"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// The simulator runs inside the test process; the respond binary, in its
// own process, talks to it over real HTTP, exactly as it would to OpenAI
// and GitHub.

type simRun struct {
	s        *sim.Sim
	leaked   string
	initial  map[string]string // secret key -> value at start
	audience map[string]string // org secret key -> visibility and selected IDs at start
	leakedAt map[string]bool   // secrets that held the leaked key at start
	sinceSeq int64
	stores   string // the secret stores at start (storesState), with -stores
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
// sim mark | sim budget [-points N] [-contain-first N] | sim estimate FILE
// sim token readonly | sim twin | sim value old|new FILE
// sim workflow REPO WORKFLOW [duration D] [conclusion C] [dispatch on|off] [inputs NAME[!][=DEFAULT],…|none]
// sim runs REPO WORKFLOW N [STATUS [CONCLUSION]] | sim waited INCIDENT STEP | sim waitrun REPO WORKFLOW
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
	case "unbroken", "all-up":
		// sim unbroken: in the live world (sim start -live), no consumer
		// that ran on a replacement was ever switched to a dead key.
		// sim all-up: and every listed consumer is up now.
		r.s.StepLive()
		var problems []string
		for _, c := range r.s.LiveState().Consumers {
			if c.Broken > 0 {
				problems = append(problems, fmt.Sprintf("%s went down %d time(s) after it ran on a replacement", c.Name, c.Broken))
			}
			if args[0] == "all-up" && c.Listed && !c.Up {
				problems = append(problems, c.Name+" is down (key "+c.KeyID+")")
			}
		}
		if (len(problems) > 0) != neg {
			ts.Fatalf("live world: %v", problems)
		}
	case "plants":
		simPlants(ts, r, args[1:])
	case "rotated":
		simRotated(ts, r, args[1:])
	case "requests-only-get":
		// sim requests-only-get [-but-alert]: since the mark, nothing but
		// reads (and, with -but-alert, the PATCH that resolves an alert).
		butAlert := len(args) > 1 && args[1] == "-but-alert"
		var mutating []string
		for _, q := range r.s.Requests(r.sinceSeq) {
			if butAlert && q.Method == http.MethodPatch && strings.Contains(q.Path, "/secret-scanning/alerts/") {
				continue
			}
			// An OAuth token exchange (Google's Application Default
			// Credentials) is a POST that changes nothing in the world.
			if q.Method == http.MethodPost && strings.HasSuffix(q.Path, "/token") {
				continue
			}
			// Preflight's questions are POSTs too, and change nothing:
			// Kubernetes' SelfSubjectAccessReviews, Vault's
			// capabilities-self.
			if q.Method == http.MethodPost && (strings.HasSuffix(q.Path, "/selfsubjectaccessreviews") || strings.HasSuffix(q.Path, "/sys/capabilities-self")) {
				continue
			}
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
	case "requested":
		// sim requested METHOD GLOB: a request matching METHOD and the path
		// glob (path.Match) is in the log since the last mark.
		if len(args) != 3 {
			ts.Fatalf("usage: sim requested METHOD GLOB")
		}
		var hits []string
		for _, q := range r.s.Requests(r.sinceSeq) {
			if ok, _ := path.Match(args[2], q.Path); ok && q.Method == args[1] {
				hits = append(hits, q.Method+" "+q.Path)
			}
		}
		if len(hits) > 0 == neg {
			if neg {
				ts.Fatalf("requests sent: %v", hits)
			}
			ts.Fatalf("no request %s %s was sent", args[1], args[2])
		}
	case "clear-faults":
		r.s.ClearFaults()
	case "waitfired":
		// sim waitfired: wait (up to 60 s) until every fault has met a
		// request (a delayed one is then held at the simulator).
		deadline := time.Now().Add(60 * time.Second)
		for {
			fired := true
			for _, f := range r.s.Faults() {
				fired = fired && f.Fired > 0
			}
			if fired {
				break
			}
			if time.Now().After(deadline) {
				ts.Fatalf("a fault met no request within 60s: %+v", r.s.Faults())
			}
			time.Sleep(5 * time.Millisecond)
		}
	case "k8s":
		simK8s(ts, r, neg, args[1:])
	case "vault":
		simVault(ts, r, neg, args[1:])
	case "stores-untouched":
		// sim stores-untouched: no Secret, Deployment or Vault secret
		// changed since sim start -stores.
		if now := storesState(ts, r.s); (now == r.stores) == neg {
			ts.Fatalf("the secret stores changed:\n--- at start\n%s--- now\n%s", r.stores, now)
		}
	case "mark":
		// sim mark: later request-log checks look at what comes after.
		if reqs := r.s.Requests(0); len(reqs) > 0 {
			r.sinceSeq = reqs[len(reqs)-1].Seq
		}
	case "budget":
		simBudget(ts, r, args[1:])
	case "waitstarted":
		// sim waitstarted STEP N: wait (up to 60 s) until the journal has
		// N starts of STEP's instances (the run is inside the step).
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		dir := filepath.Join(ts.Getenv("RESPOND_STATE_DIR"), "incidents")
		deadline := time.Now().Add(60 * time.Second)
		for {
			paths, _ := filepath.Glob(filepath.Join(dir, "INC-*", "journal.jsonl"))
			if len(paths) == 1 {
				b, _ := os.ReadFile(paths[0])
				if strings.Count(string(b), `"type":"step.started","step":"`+args[1]+`"`) >= want {
					break
				}
			}
			if time.Now().After(deadline) {
				ts.Fatalf("the journal never recorded %d starts of %s", want, args[1])
			}
			time.Sleep(10 * time.Millisecond)
		}
	case "environment":
		// sim environment OWNER/REPO NAME: the repository gets an
		// environment (someone fixed what the inventory names).
		owner, repo, _ := strings.Cut(args[1], "/")
		ts.Check(r.s.GitHub().AddEnvironment(owner, repo, args[2]))
	case "keycache":
		// sim keycache FILE: the public-key cache exists, is readable by
		// its owner only, and holds a key for every target scope.
		fi, err := os.Stat(ts.MkAbs(args[1]))
		ts.Check(err)
		if fi.Mode().Perm() != 0o600 {
			ts.Fatalf("%s has mode %v, want 0600", args[1], fi.Mode().Perm())
		}
		data := ts.ReadFile(args[1])
		if n, want := strings.Count(data, "\n"), len(scenarioTargets(r.s.Scenario())); n < want {
			ts.Fatalf("%s holds %d keys, want at least %d", args[1], n, want)
		}
	case "estimate":
		if len(args) != 2 {
			ts.Fatalf("usage: sim estimate FILE")
		}
		simEstimate(ts, r, args[1])
	case "set-secret":
		// sim set-secret OWNER/REPO NAME VALUE: an Actions secret holds VALUE.
		if len(args) != 4 {
			ts.Fatalf("usage: sim set-secret OWNER/REPO NAME VALUE")
		}
		owner, repo, _ := strings.Cut(args[1], "/")
		ts.Check(r.s.GitHub().SetRepoSecret(owner, repo, args[2], args[3], time.Now().Add(-24*time.Hour)))
	case "secret":
		// [!] sim secret OWNER/REPO NAME WANT: the Actions secret holds WANT.
		if len(args) != 4 {
			ts.Fatalf("usage: sim secret OWNER/REPO NAME WANT")
		}
		owner, repo, _ := strings.Cut(args[1], "/")
		got, found := "", false
		for _, sec := range r.s.GitHub().Snapshot().Secrets {
			if sec.Level == "repo" && sec.Owner == owner && sec.Repo == repo && sec.Name == args[2] {
				got, found = sec.Value, true
			}
		}
		if !found {
			ts.Fatalf("%s has no Actions secret %s", args[1], args[2])
		}
		if (got == args[3]) == neg {
			ts.Fatalf("Actions secret %s of %s: got %s, want %s", args[2], args[1], mask(got), mask(args[3]))
		}
	case "alert":
		// sim alert OWNER/REPO TYPE VALUE VAR: open a secret-scanning alert
		// of TYPE on VALUE; VAR is OWNER/REPO#N.
		if len(args) != 5 {
			ts.Fatalf("usage: sim alert OWNER/REPO TYPE VALUE VAR")
		}
		owner, repo, _ := strings.Cut(args[1], "/")
		n := r.s.GitHub().AddAlert(owner, repo, args[2], args[3], time.Now().Add(-2*time.Hour),
			[]githubsim.Location{{Path: "config/aws.env", StartLine: 2, EndLine: 2, StartColumn: 1, EndColumn: 40,
				BlobSHA: strings.Repeat("b", 40), CommitSHA: strings.Repeat("c", 40)}})
		ts.Setenv(args[4], fmt.Sprintf("%s#%d", args[1], n))
	case "workflow":
		simWorkflow(ts, r, args[1:])
	case "runs":
		simRuns(ts, r, neg, args[1:])
	case "waited":
		simWaited(ts, r, args[1:])
	case "waitrun":
		// sim waitrun REPO WORKFLOW: wait (up to 60 s) until the workflow
		// has a run.
		if len(args) != 3 {
			ts.Fatalf("usage: sim waitrun REPO WORKFLOW")
		}
		deadline := time.Now().Add(60 * time.Second)
		for len(runsOf(r, args[1], args[2])) == 0 {
			if time.Now().After(deadline) {
				ts.Fatalf("no run of %s %s within 60s", args[1], args[2])
			}
			time.Sleep(10 * time.Millisecond)
		}
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
	case "plant-keys":
		// sim plant-keys FILE: every public key in the key cache FILE is
		// replaced by 32 random bytes under the same key_id (issue #17).
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(ts.ReadFile(args[1])), "\n") {
			var l map[string]any
			ts.Check(json.Unmarshal([]byte(line), &l))
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			l["key"] = base64.StdEncoding.EncodeToString(b)
			nb, err := json.Marshal(l)
			ts.Check(err)
			out = append(out, string(nb))
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(out, "\n")+"\n"), 0o600))
	case "names":
		// sim names KEY OWNER PROJECT PATH: the leaked key's name, its
		// owner's and its project's, and the alert's file path (as
		// /_sim/names sets them: anyone who can name a key can).
		if len(args) != 5 {
			ts.Fatalf("usage: sim names KEY OWNER PROJECT PATH")
		}
		ts.Check(r.s.SetNames(sim.Names{KeyName: args[1], OwnerName: args[2], ProjectName: args[3], AlertPath: args[4]}))
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
		case "admin":
			v = ts.Getenv("OPENAI_ADMIN_KEY") // respond's own admin key
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(v), 0o600))
	case "keyid":
		// sim keyid VAR: VAR is the ID of the one live replacement.
		id, _ := liveReplacement(ts, r)
		ts.Setenv(args[1], id)
	case "inventory":
		// sim inventory FILE: the inventory names the live replacement
		// (key_id and fingerprint) and still holds its comments.
		simInventory(ts, r, neg, args[1])
	case "dispatched-after-write":
		// The last workflow dispatch came after the last secret write.
		var lastWrite, lastDispatch int64
		for _, q := range r.s.Requests(0) {
			switch {
			case q.Method == http.MethodPut && strings.Contains(q.Path, "/secrets/") && q.Status < 300:
				lastWrite = q.Seq
			case q.Method == http.MethodPost && strings.HasSuffix(q.Path, "/dispatches") && q.Status < 300:
				lastDispatch = q.Seq
			}
		}
		if (lastDispatch > lastWrite && lastWrite > 0) == neg {
			ts.Fatalf("last secret write #%d, last dispatch #%d: want the dispatch after the write (neg=%v)", lastWrite, lastDispatch, neg)
		}
	case "revoked":
		// sim revoked: the scenario's leaked key is revoked.
		for _, k := range r.s.OpenAI().Snapshot().Keys {
			if k.Value == r.leaked && (k.Status == "live") != neg {
				ts.Fatalf("the leaked key %s is %s", k.ID, k.Status)
			}
		}
	case "use-key":
		// sim use-key old|new INTERVAL: something keeps using the key (GET
		// /v1/models every INTERVAL) until the script ends.
		v := r.leaked
		if args[1] == "new" {
			v = newKey(ts, r)
		}
		every, err := time.ParseDuration(args[2])
		ts.Check(err)
		stop := make(chan struct{})
		ts.Defer(func() { close(stop) })
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				req, _ := http.NewRequest(http.MethodGet, r.s.URL()+"/v1/models", nil)
				req.Header.Set("Authorization", "Bearer "+v)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
	case "revoked-after-runs":
		// sim revoked-after-runs: the leaked key was revoked after every
		// workflow run had completed successfully.
		var revoked time.Time
		for _, k := range r.s.OpenAI().Snapshot().Keys {
			if k.Value == r.leaked {
				t, err := time.Parse(time.RFC3339Nano, k.RevokedAt)
				if err != nil {
					ts.Fatalf("the leaked key %s is not revoked (%q)", k.ID, k.RevokedAt)
				}
				revoked = t
			}
		}
		runs := r.s.GitHub().Snapshot().Runs
		if len(runs) == 0 {
			ts.Fatalf("no workflow run")
		}
		for _, run := range runs {
			done, err := time.Parse(time.RFC3339Nano, run.CompletedAt)
			if err != nil || run.Conclusion != "success" {
				ts.Fatalf("run %d is %s/%s", run.ID, run.Status, run.Conclusion)
			}
			if revoked.Before(done) {
				ts.Fatalf("the leaked key was revoked at %s, before run %d completed at %s", revoked.Format(time.RFC3339Nano), run.ID, run.CompletedAt)
			}
		}
	case "audience":
		// sim audience: every organization secret has the visibility and
		// selected repositories it had at the start.
		for _, sec := range r.s.GitHub().Snapshot().Secrets {
			if sec.Level != "org" {
				continue
			}
			now := fmt.Sprint(sec.Visibility, sec.SelectedRepositoryIDs)
			if (now != r.audience[secretKey(sec)]) != neg {
				ts.Fatalf("organization secret %s: audience %s, at the start %s", secretKey(sec), now, r.audience[secretKey(sec)])
			}
		}
	case "untouched":
		// sim untouched: no secret changed value, and no respond
		// service account exists.
		for _, sec := range r.s.GitHub().Snapshot().Secrets {
			if r.initial[secretKey(sec)] != "" && sec.Value != r.initial[secretKey(sec)] {
				ts.Fatalf("secret %s changed", secretKey(sec))
			}
		}
		for _, a := range r.s.OpenAI().Snapshot().ServiceAccounts {
			if strings.HasPrefix(a.Name, "respond-") {
				ts.Fatalf("service account %s (%s) was created", a.ID, a.Name)
			}
		}
	default:
		ts.Fatalf("sim: unknown subcommand %q", args[0])
	}
}

// liveReplacement is the one live replacement respond made: for OpenAI's
// scenarios the one live key of a respond-… service account, for a
// scenario whose leaked key another API issues what replacements says.
func liveReplacement(ts *testscript.TestScript, r *simRun) (id, value string) {
	if p := r.s.Scenario().Provider; p != "" {
		find, ok := replacements[p]
		if !ok {
			ts.Fatalf("the scripts cannot find a replacement of a %s key in the world", p)
		}
		return find(ts, r)
	}
	v := newKey(ts, r)
	for _, k := range r.s.OpenAI().Snapshot().Keys {
		if k.Value == v {
			return k.ID, k.Value
		}
	}
	ts.Fatalf("the live replacement is not among the keys")
	return "", ""
}

// replacements find the one live replacement of a scenario's leaked key
// in the world of the API that issues it, by the scenario's provider.
var replacements = map[string]func(*testscript.TestScript, *simRun) (id, value string){
	"google": googleReplacement,
}

func simInventory(ts *testscript.TestScript, r *simRun, neg bool, file string) {
	id, value := liveReplacement(ts, r)
	src, err := os.ReadFile(ts.MkAbs(file))
	ts.Check(err)
	inv, diags := inventory.Parse(file, src)
	if diags.HasErrors() {
		ts.Fatalf("%s does not parse: %v", file, diags.Err())
	}
	var problems []string
	if len(inv.Credentials) != 1 {
		problems = append(problems, fmt.Sprintf("%d credentials", len(inv.Credentials)))
	} else {
		c := inv.Credentials[0]
		if c.KeyID != id {
			problems = append(problems, fmt.Sprintf("key_id %s, want the live replacement %s", c.KeyID, id))
		}
		if c.Fingerprint != secret.Fingerprint(value) {
			problems = append(problems, "the fingerprint is not the live replacement's")
		}
	}
	if !strings.HasPrefix(string(src), "# respond inventory for the simulator scenario") {
		problems = append(problems, "the leading comment is gone")
	}
	if len(problems) > 0 != neg {
		ts.Fatalf("sim inventory %s: %v\n%s", file, problems, src)
	}
}

func simStart(ts *testscript.TestScript, args []string) {
	fs := flag.NewFlagSet("sim start", flag.ContinueOnError)
	scenario := fs.String("scenario", "leaked-key", "")
	seed := fs.Int64("seed", 1, "")
	repos := fs.Int("repos", 3, "")
	latency := fs.Duration("latency", 0, "")
	extra := fs.String("extra", "", "")
	// Dispatched runs take 200ms unless a script says otherwise: the
	// playbooks wait for them.
	runDuration := fs.Duration("run-duration", 200*time.Millisecond, "")
	liveWorld := fs.Bool("live", false, "")
	stores := fs.Bool("stores", false, "")
	ts.Check(fs.Parse(args))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sim.Start(ctx, sim.Options{Scenario: *scenario, Seed: *seed, Repos: *repos, Latency: *latency, RunDuration: *runDuration})
	if err != nil {
		cancel()
		ts.Fatalf("start the simulator: %v", err)
	}
	ts.Defer(func() { cancel(); _ = s.Close() })
	if *stores {
		seedStores(ts, s)
	}
	if *liveWorld {
		// Consumers of every target, no attacker: the world says which
		// services are up, and whether one that ran on a replacement was
		// ever switched to a dead key (sim unbroken).
		var consumers []sim.Consumer
		if *stores {
			consumers = append(sim.DefaultConsumers(s.Scenario()), storeConsumers()...)
		}
		ts.Check(s.StartLive(sim.LiveOptions{Consumers: consumers}))
	}
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
	r := &simRun{s: s, leaked: s.LeakedKeyValue(), initial: map[string]string{}, leakedAt: map[string]bool{}, audience: map[string]string{}}
	if *stores {
		r.stores = storesState(ts, s)
	}
	ts.Check(os.WriteFile(ts.MkAbs("leaked.txt"), []byte(r.leaked+"\n"), 0o600))
	for _, sec := range s.GitHub().Snapshot().Secrets {
		r.initial[secretKey(sec)] = sec.Value
		if sec.Level == "org" {
			r.audience[secretKey(sec)] = fmt.Sprint(sec.Visibility, sec.SelectedRepositoryIDs)
		}
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
// respond-…, or for a scenario whose leaked key another API issues, what
// liveReplacement finds); it fails the script unless there is exactly one.
func newKey(ts *testscript.TestScript, r *simRun) string {
	if r.s.Scenario().Provider != "" {
		_, v := liveReplacement(ts, r)
		return v
	}
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
	info := r.s.Scenario()
	if info.Provider != "" {
		ki, ok := r.s.KeyIssuerFor(info.SecretType)
		if !ok {
			ts.Fatalf("no simulated API issues %s keys", info.SecretType)
		}
		if id, live, known := ki.KeyStatus(r.leaked, time.Now()); !known || live {
			problems = append(problems, fmt.Sprintf("the leaked key %s is still live (known %v)", id, known))
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
	// Every place of a secret store that held it holds the replacement,
	// and what it kept beside it is still there.
	for _, p := range info.Stores {
		st, ok := r.s.Service(p.Service).(simapi.SecretStore)
		if !ok {
			ts.Fatalf("the simulator serves no secret store %s", p.Service)
		}
		if v, _ := st.SecretValue(p.Ref); v != repl {
			k := p.Service + " " + p.Ref
			if v == r.leaked {
				k += " (still the leaked key)"
			}
			wrong = append(wrong, k)
		}
		if v, ok := st.SecretValue(p.KeptRef); !ok || v != p.KeptValue {
			problems = append(problems, fmt.Sprintf("%s %s lost what it held beside the key", p.Service, p.KeptRef))
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

// simWorkflow changes a workflow of the simulated GitHub, as POST
// /_sim/workflows does.
func simWorkflow(ts *testscript.TestScript, r *simRun, args []string) {
	if len(args) < 2 || len(args)%2 != 0 {
		ts.Fatalf("usage: sim workflow REPO WORKFLOW [duration D] [conclusion C] [dispatch on|off] [inputs NAME[!][=DEFAULT],…|none]")
	}
	req := sim.WorkflowRequest{Repo: args[0], Workflow: args[1]}
	for i := 2; i < len(args); i += 2 {
		k, v := args[i], args[i+1]
		switch k {
		case "duration":
			d, err := time.ParseDuration(v)
			ts.Check(err)
			sd := sim.Duration(d)
			req.RunDuration = &sd
		case "conclusion":
			req.Conclusion = &v
		case "dispatch":
			on := v == "on"
			req.WorkflowDispatch = &on
		case "inputs":
			inputs := []githubsim.WorkflowInput{}
			for _, spec := range strings.Split(v, ",") {
				if spec == "none" || spec == "" {
					continue
				}
				name, def, hasDef := strings.Cut(spec, "=")
				in := githubsim.WorkflowInput{Name: strings.TrimSuffix(name, "!"), Required: strings.HasSuffix(name, "!")}
				if hasDef {
					in.Default = def
				}
				inputs = append(inputs, in)
			}
			req.Inputs = &inputs
		default:
			ts.Fatalf("sim workflow: unknown setting %q", k)
		}
	}
	_, err := r.s.ConfigureWorkflow(req)
	ts.Check(err)
}

// runsOf returns the runs of workflow (file name) of repo (OWNER/NAME).
func runsOf(r *simRun, repo, workflow string) []githubsim.RunState {
	var out []githubsim.RunState
	for _, run := range r.s.GitHub().Runs() {
		if run.Owner+"/"+run.Repo == repo && run.Workflow == workflow {
			out = append(out, run)
		}
	}
	return out
}

// simRuns: the workflow has N runs, all with STATUS (and CONCLUSION) if
// given.
func simRuns(ts *testscript.TestScript, r *simRun, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: sim runs REPO WORKFLOW N [STATUS [CONCLUSION]]")
	}
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	runs := runsOf(r, args[0], args[1])
	ok := len(runs) == want
	for _, run := range runs {
		if len(args) > 3 && run.Status != args[3] || len(args) > 4 && run.Conclusion != args[4] {
			ok = false
		}
	}
	if ok == neg {
		ts.Fatalf("runs of %s %s: %+v (want %s)", args[0], args[1], runs, strings.Join(args[2:], " "))
	}
}

// simWaited INCIDENT STEP: every workflow run completed before the journal
// recorded STEP finished, and respond polled each run (at least two reads
// of it in the request log).
func simWaited(ts *testscript.TestScript, r *simRun, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sim waited INCIDENT STEP")
	}
	b, err := os.ReadFile(filepath.Join(ts.Getenv("RESPOND_STATE_DIR"), "incidents", args[0], "journal.jsonl"))
	ts.Check(err)
	var finished time.Time
	for _, line := range strings.Split(string(b), "\n") {
		var rec struct {
			Time   time.Time `json:"time"`
			Type   string    `json:"type"`
			Step   string    `json:"step"`
			Status string    `json:"status"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Type == "step.finished" && rec.Step == args[1] && rec.Status == "ok" {
			finished = rec.Time
		}
	}
	if finished.IsZero() {
		ts.Fatalf("the journal of %s records no successful %s", args[0], args[1])
	}
	runs := r.s.GitHub().Runs()
	if len(runs) == 0 {
		ts.Fatalf("no workflow run was started")
	}
	for _, run := range runs {
		done, err := time.Parse(time.RFC3339, run.CompletedAt)
		if run.Status != "completed" || err != nil || done.After(finished) {
			ts.Fatalf("run %d (%s, completed %q) did not complete before %s finished at %s", run.ID, run.Status, run.CompletedAt, args[1], finished.Format(time.RFC3339Nano))
		}
		polls := 0
		for _, q := range r.s.Requests(r.sinceSeq) {
			if q.Method == http.MethodGet && strings.HasSuffix(strings.SplitN(q.Path, "?", 2)[0], "/actions/runs/"+strconv.FormatInt(run.ID, 10)) {
				polls++
			}
		}
		if polls < 2 {
			ts.Fatalf("respond read run %d %d time(s); waiting for it takes polling", run.ID, polls)
		}
		ts.Logf("run %d completed at %s, %d polls, %s finished at %s", run.ID, run.CompletedAt, polls, args[1], finished.Format(time.RFC3339Nano))
	}
}
