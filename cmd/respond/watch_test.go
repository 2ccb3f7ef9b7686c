package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

// What respond watch's scripts need of the simulator and around it. The
// world is checked through the simulator (its state and request log), not
// through watch's output.

type watchRun struct {
	mu     sync.Mutex
	leaks  []leakRecord // every leak, with when it was made
	sink   *httptest.Server
	posts  [][]byte // what the sink received
	hookID int64
	k8s    *sim.Sim // the simulator whose Kubernetes API watchsim k8s readied
}

type leakRecord struct {
	at    time.Time
	alert string
	keyID string
}

var (
	watchMu   sync.Mutex
	watchRuns = map[*testscript.TestScript]*watchRun{}
)

func watchState(ts *testscript.TestScript) *watchRun {
	watchMu.Lock()
	defer watchMu.Unlock()
	w := watchRuns[ts]
	if w == nil {
		w = &watchRun{}
		watchRuns[ts] = w
		ts.Defer(func() {
			watchMu.Lock()
			defer watchMu.Unlock()
			if w.sink != nil {
				w.sink.Close()
			}
			delete(watchRuns, ts)
		})
	}
	return w
}

// watchsim port VAR: a free loopback port, in VAR.
// watchsim hook URL SECRETFILE: an organization hook on acme for the
// secret-scanning events, JSON, signed with the file's secret.
// watchsim ready URL: wait (up to 30 s) until URL/readyz answers 200.
// watchsim leak VAR [key=leaked|production] [key_id=ID] [repo=NAME]: leak a
// key (a new alert, its webhooks fire); VAR is the alert.
// watchsim newkeys N: leak N new OpenAI keys (user keys of the scenario's
// project, none in the inventory) into the scenario's repositories, all
// at once.
// watchsim wait resolved ALERT...: wait (up to 60 s) until each alert is
// resolved as revoked.
// watchsim wait revoked: wait (up to 60 s) until every leaked key is
// revoked.
// watchsim alertcount STATE N: N alerts are in STATE.
// watchsim incidents N: the state directory holds exactly N incidents.
// watchsim forge URL: POST a secret-scanning delivery with a wrong
// signature, and one with none: both must get 401.
// watchsim redeliver: redeliver the hook's latest secret_scanning_alert
// created delivery (same GUID).
// watchsim sink VAR: an HTTP endpoint that keeps what is posted; its URL
// in VAR. watchsim posts N [TEXT]: it got exactly N posts (each containing
// TEXT).
// watchsim k8s: the simulator's Kubernetes API (k8ssim) gets the
// namespace respond; KUBECONFIG points at it.
// watchsim lease LEADERVAR FOLLOWERVAR ID ID: wait (up to 30 s) until one
// of the two identities holds the Lease respond/respond-watch; the holder
// goes in LEADERVAR, the other in FOLLOWERVAR.
// watchsim takeover ID FILE: the Lease is held by ID (killed: it no
// longer renews); wait (up to 60 s) until another holds it, and write to
// FILE how long after ID's last renewal the new holder acquired it, from
// the Lease's record.
// watchsim delivered: every delivery the simulator made to the hooks has
// ended, each answered with a 2xx within GitHub's delivery timeout (the
// simulator's hook client gives up at it, as GitHub does); fails if there
// were none.
// watchsim revokes N: the request log holds exactly N successful revokes
// (DELETE of an API key), none of them of a key revoked before.
// watchsim measure FILE: for each leak, the time from the leak to the
// DELETE that revoked its key, from the request log, written to FILE
// (count, p50, p95, max); fails if a leaked key has no revoke or a GitHub
// request got a limit response.
func cmdWatchSim(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: watchsim port|hook|ready|leak|newkeys|wait|alertcount|incidents|forge|redeliver|sink|posts|measure|k8s|lease|takeover|revokes")
	}
	w := watchState(ts)
	simsMu.Lock()
	r := sims[ts]
	simsMu.Unlock()
	needSim := func() {
		if r == nil {
			ts.Fatalf("watchsim %s: no simulator started", args[0])
		}
	}
	switch args[0] {
	case "port":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		port := ln.Addr().(*net.TCPAddr).Port
		ts.Check(ln.Close())
		ts.Setenv(args[1], strconv.Itoa(port))
	case "hook":
		needSim()
		secretValue := strings.TrimSpace(ts.ReadFile(args[2]))
		body, _ := json.Marshal(map[string]any{"name": "web", "active": true,
			"events": []string{"secret_scanning_alert", "secret_scanning_alert_location"},
			"config": map[string]any{"url": args[1], "content_type": "json", "secret": secretValue}})
		var hook struct{ ID int64 }
		ghCall(ts, r, http.MethodPost, "/orgs/acme/hooks", body, http.StatusCreated, &hook)
		w.hookID = hook.ID
	case "ready":
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(args[1] + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s/readyz never answered 200 (%v)", args[1], err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	case "leak":
		needSim()
		req := sim.LeakRequest{}
		for _, a := range args[2:] {
			k, v, _ := strings.Cut(a, "=")
			switch k {
			case "key":
				req.Key = v
			case "key_id":
				req.KeyID = v
			case "repo":
				req.Repo = v
			default:
				ts.Fatalf("watchsim leak: unknown %s", k)
			}
		}
		at := time.Now()
		la, err := r.s.LeakKey(req)
		ts.Check(err)
		w.mu.Lock()
		w.leaks = append(w.leaks, leakRecord{at: at, alert: la.Alert, keyID: la.KeyID})
		w.mu.Unlock()
		ts.Setenv(args[1], la.Alert)
	case "leakeach":
		// watchsim leakeach VAR [key=…]: the key into every repository of
		// the scenario at once; VAR lists the alerts.
		needSim()
		req := sim.LeakRequest{Key: "leaked"}
		for _, a := range args[2:] {
			if v, ok := strings.CutPrefix(a, "key="); ok {
				req.Key = v
			}
		}
		var wg sync.WaitGroup
		var alerts []string
		for _, repo := range r.s.Scenario().Repos {
			wg.Add(1)
			go func() {
				defer wg.Done()
				q := req
				q.Repo = repo
				at := time.Now()
				la, err := r.s.LeakKey(q)
				if err != nil {
					ts.Logf("leak into %s: %v", repo, err)
					return
				}
				w.mu.Lock()
				w.leaks = append(w.leaks, leakRecord{at: at, alert: la.Alert, keyID: la.KeyID})
				if !slices.Contains(alerts, la.Alert) {
					alerts = append(alerts, la.Alert)
				}
				w.mu.Unlock()
			}()
		}
		wg.Wait()
		sort.Strings(alerts)
		ts.Setenv(args[1], strings.Join(alerts, " "))
	case "metric":
		// watchsim metric URL LINE: wait (up to 30 s) until URL/metrics
		// has a line starting with LINE.
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(args[1] + "/metrics")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				for _, l := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(l, args[2]) {
						return
					}
				}
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s/metrics never had %q", args[1], args[2])
			}
			time.Sleep(20 * time.Millisecond)
		}
	case "newkeys":
		needSim()
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		info := r.s.Scenario()
		st := r.s.OpenAI().Snapshot()
		owner := ""
		for _, k := range st.Keys {
			if k.ID == info.LeakedKeyID {
				owner = k.OwnerID
			}
		}
		var ids []string
		for i := range n {
			k, err := r.s.OpenAI().AddUserKey(info.ProjectID, fmt.Sprintf("burst-%03d", i), owner, time.Now().Add(-time.Hour), nil)
			ts.Check(err)
			ids = append(ids, k.ID)
		}
		repos := info.Repos
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := time.Now()
				la, err := r.s.LeakKey(sim.LeakRequest{KeyID: id, Repo: repos[i%len(repos)], Path: fmt.Sprintf("burst/%03d.env", i)})
				if err != nil {
					ts.Logf("leak %s: %v", id, err)
					return
				}
				w.mu.Lock()
				w.leaks = append(w.leaks, leakRecord{at: at, alert: la.Alert, keyID: id})
				w.mu.Unlock()
			}()
		}
		wg.Wait()
		w.mu.Lock()
		got := len(w.leaks)
		w.mu.Unlock()
		if got < n {
			ts.Fatalf("only %d of %d leaks were made", got, n)
		}
	case "wait":
		needSim()
		deadline := time.Now().Add(60 * time.Second)
		for {
			missing := watchMissing(ts, r, w, args[1], args[2:])
			if len(missing) == 0 {
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("watchsim wait %s: still not after 60s: %v", args[1], missing)
			}
			time.Sleep(50 * time.Millisecond)
		}
	case "alertcount":
		needSim()
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		n := 0
		for _, a := range r.s.GitHub().Snapshot().Alerts {
			if a.State == args[1] {
				n++
			}
		}
		if (n == want) == neg {
			ts.Fatalf("%d alerts are %s, want %d", n, args[1], want)
		}
	case "incidents":
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		ents, _ := os.ReadDir(ts.Getenv("RESPOND_STATE_DIR") + "/incidents")
		n := 0
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "INC-") {
				n++
			}
		}
		if (n == want) == neg {
			ts.Fatalf("%d incidents, want %d", n, want)
		}
	case "forge":
		payload := []byte(`{"action":"created","alert":{"number":1},"repository":{"full_name":"acme/api"}}`)
		for _, sig := range []string{"sha256=" + strings.Repeat("ab", 32), ""} {
			req, _ := http.NewRequest(http.MethodPost, args[1], bytes.NewReader(payload))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "secret_scanning_alert")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("forged-%d", time.Now().UnixNano()))
			if sig != "" {
				req.Header.Set("X-Hub-Signature-256", sig)
			}
			resp, err := http.DefaultClient.Do(req)
			ts.Check(err)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				ts.Fatalf("a delivery signed %q got %d, want 401", sig, resp.StatusCode)
			}
		}
	case "redeliver":
		needSim()
		var latest int64
		for _, h := range r.s.GitHub().Snapshot().Hooks {
			if h.ID != w.hookID {
				continue
			}
			for _, d := range h.Deliveries {
				if d.Event == "secret_scanning_alert" && d.Action == "created" && d.ID > latest {
					latest = d.ID
				}
			}
		}
		if latest == 0 {
			ts.Fatalf("no secret_scanning_alert created delivery to redeliver")
		}
		ghCall(ts, r, http.MethodPost, fmt.Sprintf("/orgs/acme/hooks/%d/deliveries/%d/attempts", w.hookID, latest), nil, http.StatusAccepted, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ts.Check(r.s.GitHub().WaitForDeliveries(ctx))
	case "sink":
		w.mu.Lock()
		w.sink = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
			b, _ := io.ReadAll(req.Body)
			w.mu.Lock()
			w.posts = append(w.posts, b)
			w.mu.Unlock()
			rw.WriteHeader(http.StatusOK)
		}))
		w.mu.Unlock()
		ts.Setenv(args[1], w.sink.URL)
		if len(args) > 2 {
			ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(w.sink.URL+"\n"), 0o600))
		}
	case "posts":
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		var posts [][]byte
		for deadline := time.Now().Add(10 * time.Second); ; {
			w.mu.Lock()
			posts = slices.Clone(w.posts)
			w.mu.Unlock()
			if len(posts) >= want || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(posts) != want {
			ts.Fatalf("the sink got %d posts, want %d:\n%s", len(posts), want, bytes.Join(posts, []byte("\n")))
		}
		for _, p := range posts {
			if len(args) > 2 && !strings.Contains(string(p), args[2]) {
				ts.Fatalf("a post lacks %q: %s", args[2], p)
			}
		}
		if len(posts) > 0 {
			ts.Check(os.WriteFile(ts.MkAbs("posts.txt"), bytes.Join(posts, []byte("\n")), 0o600))
		}
	case "requests":
		// watchsim requests FILE: the request log, counted by API, method
		// and path shape (IDs and numbers collapsed), with GitHub points.
		needSim()
		counts := map[string]int{}
		points := 0
		for _, q := range r.s.Requests(0) {
			if q.API == "github" {
				points++
				if q.Method != http.MethodGet && q.Method != http.MethodHead {
					points += 4
				}
			}
			counts[q.API+" "+q.Method+" "+pathShape(q.Path)]++
		}
		var lines []string
		for k, v := range counts {
			lines = append(lines, fmt.Sprintf("%5d %s", v, k))
		}
		sort.Strings(lines)
		lines = append(lines, fmt.Sprintf("github points %d", points))
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	case "measure":
		needSim()
		watchMeasure(ts, r, w, args[1])
	case "k8s":
		needSim()
		k8s, ok := r.s.Service("kubernetes").(*k8ssim.Server)
		if !ok || r.s.Env()["KUBECONFIG"] == "" {
			ts.Fatalf("the simulator serves no Kubernetes API")
		}
		ts.Check(k8s.AddNamespace("respond"))
		w.k8s = r.s
		ts.Setenv("KUBECONFIG", r.s.Env()["KUBECONFIG"])
	case "lease":
		if len(args) != 5 {
			ts.Fatalf("usage: watchsim lease LEADERVAR FOLLOWERVAR ID ID")
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			l := watchLease(ts, w)
			if l.Holder == args[3] || l.Holder == args[4] {
				other := args[3]
				if l.Holder == args[3] {
					other = args[4]
				}
				ts.Setenv(args[1], l.Holder)
				ts.Setenv(args[2], other)
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("nobody of %s, %s holds the Lease: %+v", args[3], args[4], l)
			}
			time.Sleep(20 * time.Millisecond)
		}
	case "takeover":
		dead := watchLease(ts, w)
		if dead.Holder != args[1] {
			ts.Fatalf("the Lease is held by %q, not %s: %+v", dead.Holder, args[1], dead)
		}
		deadline := time.Now().Add(60 * time.Second)
		var l k8ssim.SnapshotLease
		for {
			l = watchLease(ts, w)
			if l.Holder != "" && l.Holder != args[1] {
				break
			}
			if l.Holder == args[1] && l.RenewTime != dead.RenewTime {
				dead = l // it had one more renewal in flight
			}
			if time.Now().After(deadline) {
				ts.Fatalf("nobody took the Lease over from %s: %+v", args[1], l)
			}
			time.Sleep(20 * time.Millisecond)
		}
		renewed, err := time.Parse(time.RFC3339Nano, dead.RenewTime)
		ts.Check(err)
		acquired, err := time.Parse(time.RFC3339Nano, l.AcquireTime)
		ts.Check(err)
		if !acquired.After(renewed) {
			ts.Fatalf("%s acquired the Lease at %s, before %s's last renewal at %s", l.Holder, l.AcquireTime, args[1], dead.RenewTime)
		}
		out := fmt.Sprintf("from %s\nto %s\ntakeover %s\nlease_duration %ds\ntransitions %d\n", args[1], l.Holder,
			acquired.Sub(renewed).Round(time.Millisecond), l.LeaseDurationSeconds, l.Transitions)
		ts.Logf("%s", out)
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(out), 0o600))
	case "delivered":
		needSim()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ts.Check(r.s.GitHub().WaitForDeliveries(ctx))
		n := 0
		var bad []string
		for _, h := range r.s.GitHub().Snapshot().Hooks {
			for _, d := range h.Deliveries {
				n++
				if !d.Done || d.StatusCode < 200 || d.StatusCode > 299 {
					bad = append(bad, fmt.Sprintf("%s %s (%s): %d %s", d.Event, d.Action, d.GUID, d.StatusCode, d.Status))
				}
			}
		}
		if n == 0 || (len(bad) > 0) != neg {
			ts.Fatalf("%d deliveries, %d not answered with a 2xx: %v", n, len(bad), bad)
		}
		ts.Logf("%d deliveries, all answered with a 2xx", n)
	case "revokes":
		needSim()
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		seen := map[string]int{}
		for _, q := range r.s.Requests(0) {
			if q.Method == http.MethodDelete && q.Status < 300 && strings.Contains(q.Path, "/api_keys/") {
				seen[path.Base(q.Path)]++
			}
		}
		var twice []string
		for id, n := range seen {
			if n > 1 {
				twice = append(twice, fmt.Sprintf("%s (%d)", id, n))
			}
		}
		if len(twice) > 0 || (len(seen) == want) == neg {
			ts.Fatalf("%d key(s) revoked, want %d; revoked more than once: %v", len(seen), want, twice)
		}
	default:
		ts.Fatalf("watchsim: unknown subcommand %s", args[0])
	}
}

// watchLease is the Lease respond/respond-watch in the world of
// watchsim k8s (its /_sim/state).
func watchLease(ts *testscript.TestScript, w *watchRun) k8ssim.SnapshotLease {
	if w.k8s == nil {
		ts.Fatalf("no Kubernetes API: watchsim k8s first")
	}
	raw, err := w.k8s.StateJSON()
	ts.Check(err)
	var state struct {
		Services struct {
			Kubernetes k8ssim.Snapshot `json:"kubernetes"`
		} `json:"services"`
	}
	ts.Check(json.Unmarshal(raw, &state))
	for _, l := range state.Services.Kubernetes.Leases {
		if l.Namespace == "respond" && l.Name == "respond-watch" {
			return l
		}
	}
	return k8ssim.SnapshotLease{}
}

// watchMissing lists what `watchsim wait` still waits for.
func watchMissing(ts *testscript.TestScript, r *simRun, w *watchRun, what string, alerts []string) []string {
	var missing []string
	switch what {
	case "resolved":
		state := map[string]githubsim.AlertState{}
		for _, a := range r.s.GitHub().Snapshot().Alerts {
			state[fmt.Sprintf("%s/%s#%d", a.Owner, a.Repo, a.Number)] = a
		}
		var refs []string
		for _, x := range alerts {
			refs = append(refs, strings.Fields(x)...)
		}
		for _, ref := range refs {
			a, ok := state[ref]
			if !ok || a.State != "resolved" || a.Resolution == nil || *a.Resolution != "revoked" {
				missing = append(missing, ref)
			}
		}
	case "revoked":
		status := map[string]string{}
		for _, k := range r.s.OpenAI().Snapshot().Keys {
			status[k.ID] = k.Status
		}
		w.mu.Lock()
		for _, l := range w.leaks {
			if l.keyID != "" && status[l.keyID] == "live" {
				missing = append(missing, l.keyID)
			}
		}
		w.mu.Unlock()
	default:
		ts.Fatalf("watchsim wait resolved|revoked")
	}
	return missing
}

// watchMeasure writes, from the request log, how long each leaked key
// lived: from the leak to the start of the DELETE that revoked it. The
// simulator logs a request once its answer is written, after the key's
// state changed (and, with latency, up to that much later): the log is
// read again until it holds every revoke, for up to 10 s.
func watchMeasure(ts *testscript.TestScript, r *simRun, w *watchRun, file string) {
	w.mu.Lock()
	leaks := slices.Clone(w.leaks)
	w.mu.Unlock()
	var reqs []sim.RequestRecord
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		reqs = r.s.Requests(0)
		deleted := map[string]bool{}
		for _, q := range reqs {
			if q.Method == http.MethodDelete && q.Status < 300 {
				deleted[path.Base(q.Path)] = true
			}
		}
		if !slices.ContainsFunc(leaks, func(l leakRecord) bool { return !deleted[l.keyID] }) || time.Now().After(deadline) {
			break
		}
	}
	revokedAt := map[string]time.Time{}
	limited := 0
	for _, q := range reqs {
		if q.API == "github" && (q.Status == http.StatusTooManyRequests || q.Status == http.StatusForbidden) {
			limited++ // a limit (or a refusal: neither may happen here)
		}
		if q.Method != http.MethodDelete || q.Status >= 300 {
			continue
		}
		id := path.Base(q.Path)
		if _, seen := revokedAt[id]; seen {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, q.Start)
		ts.Check(err)
		revokedAt[id] = t
	}
	var ds []time.Duration
	for _, l := range leaks {
		t, ok := revokedAt[l.keyID]
		if !ok {
			ts.Fatalf("key %s (alert %s) has no revoke in the request log", l.keyID, l.alert)
		}
		ds = append(ds, t.Sub(l.at))
	}
	if limited > 0 {
		ts.Fatalf("%d GitHub requests got a 403 or 429", limited)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(float64(len(ds))*p))] }
	out := fmt.Sprintf("leaks %d\np50 %s\np95 %s\nmax %s\nlimit_responses %d\n", len(ds), pct(0.50).Round(time.Millisecond), pct(0.95).Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond), limited)
	ts.Logf("%s", out)
	ts.Check(os.WriteFile(ts.MkAbs(file), []byte(out), 0o600))
	if bench := os.Getenv("RESPOND_WATCH_BENCH_OUT"); bench != "" {
		f, err := os.OpenFile(bench, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(f, "## %s\n%s\n", ts.Getenv("WATCH_BENCH_NAME"), out)
			f.Close()
		}
	}
}

// ghCall sends one request to the simulator's GitHub API with the
// scenario's token.
func ghCall(ts *testscript.TestScript, r *simRun, method, p string, body []byte, want int, out any) {
	req, err := http.NewRequest(method, r.s.URL()+"/api/v3"+p, bytes.NewReader(body))
	ts.Check(err)
	req.Header.Set("Authorization", "token "+r.s.Env()["GITHUB_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		ts.Fatalf("%s %s: %d %s", method, p, resp.StatusCode, b)
	}
	if out != nil {
		ts.Check(json.Unmarshal(b, out))
	}
}

// pathShape collapses the IDs and numbers of a request path.
func pathShape(p string) string {
	p, _, _ = strings.Cut(p, "?")
	parts := strings.Split(p, "/")
	for i, x := range parts {
		if x == "" {
			continue
		}
		if _, err := strconv.Atoi(x); err == nil || strings.HasPrefix(x, "key_") || strings.HasPrefix(x, "proj_") || strings.HasPrefix(x, "user-") || strings.HasPrefix(x, "svc_") {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, "/")
}
