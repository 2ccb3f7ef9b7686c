package main

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/respondhq/respond/internal/awsapi/awstest"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/sim/githubsim"
)

// The AWS half of the fault sweep (issue #16, item 7): every mutating
// request of an AWS access key's response, with each kind of fault in
// turn. moto is AWS (authentication on): an IAM user, its key, a Secrets
// Manager JSON secret holding both parts among other keys, an SSM
// parameter holding the secret part. The simulator is GitHub: two Actions
// secrets and the secret-scanning alert that reported the key. A .env file
// holds both parts too. moto has no faults of its own: the proxy between
// respond and moto (awsProxy, the one the `aws` script command uses) makes
// them, per operation; the simulator's requests get its own faults, as in
// TestFaultSweep. After each case the faults clear, `respond resume` runs
// until the incident is done (at most three times), and the world must be
// as PRODUCT §8 promises: the leaked key deleted or inactive (and refused
// by STS once deleted), exactly one live new key for the user and no
// leftover, every target holding it, the inventory naming it, the alert
// resolved. Make before break is checked on what the proxy saw: no AWS
// store was ever written a key that was already dead, and no replacement
// was deleted while a store still held it. The simulator has no AWS
// consumers, and it keeps no history of GitHub secret values: for the
// GitHub secrets and the .env file only their final values are checked.

// awsSweepPoint is a mutating request of the AWS response: an AWS
// operation, or a request to the simulator.
type awsSweepPoint struct {
	Op  string // service:Action, e.g. iam:CreateAccessKey
	Sim sweepPoint
}

func (p awsSweepPoint) String() string {
	if p.Op != "" {
		return p.Op
	}
	return p.Sim.String()
}

// awsSweep is what the cases share: one moto, with respond's own IAM user.
type awsSweep struct {
	m         *awstest.Server
	responder awstest.Key
	cases     atomic.Int64
}

func TestFaultSweepAWS(t *testing.T) {
	if testing.Short() {
		t.Skip("the AWS fault sweep runs the whole response dozens of times")
	}
	awstest.Require(t)
	m, err := awstest.StartServer(awstest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	sh := &awsSweep{m: m}
	m.CreateUser(t, "responder", "*")
	sh.responder = m.CreateAccessKey(t, "responder")
	m.EnableAuth(t)
	bin := respondCommand(t)

	points := awsSweepPoints(t, bin, sh)
	var ops, gh int
	for _, p := range points {
		if p.Op != "" {
			ops++
		} else {
			gh++
		}
	}
	if ops < 5 || gh < 3 {
		t.Fatalf("a clean response made %d mutating AWS request(s) and %d to the simulator: %v; the sweep expects the deactivation, the create, the Secrets Manager and SSM writes, the deletion, the GitHub secret writes and the alert", ops, gh, points)
	}
	var (
		mu      sync.Mutex
		results []sweepResult
	)
	sem := make(chan struct{}, 3)
	t.Run("cases", func(t *testing.T) {
		for _, p := range points {
			for _, k := range sweepKinds {
				t.Run(p.String()+"/"+k.Name, func(t *testing.T) {
					t.Parallel()
					sem <- struct{}{}
					defer func() { <-sem }()
					runs, err := awsSweepCase(t, bin, sh, p, k)
					r := sweepResult{row: p.String(), kind: k.Name, runs: runs}
					if err != nil {
						r.err = err.Error()
						t.Error(err)
					}
					mu.Lock()
					results = append(results, r)
					mu.Unlock()
				})
			}
		}
	})
	var rows []string
	for _, p := range points {
		rows = append(rows, p.String())
	}
	sweepReport(t, "fault-sweep-aws", "TestFaultSweepAWS", rows, results)
}

// awsSweepWorld is one case: a simulator, an IAM user with its key and
// the places that hold it, and a proxy to the shared moto.
type awsSweepWorld struct {
	*sweepWorld
	m      *awstest.Server
	proxy  *awsProxy
	old    awstest.Key
	secret string // the Secrets Manager secret
	param  string // the SSM parameter
	alert  string // OWNER/REPO#N
	hist   *awsHistory
}

// awsSweepInventory is the AWS credential the case's inventory adds to
// the simulator's.
const awsSweepInventory = `  - name: aws-deploy
    provider: aws
    key_id: %s
    targets:
      - dotenv: {path: deploy/app.env, var: AWS_ACCESS_KEY_ID, part: access_key_id}
      - dotenv: {path: deploy/app.env, var: AWS_SECRET_ACCESS_KEY}
      - github-actions: {repo: acme/api, secret: AWS_ACCESS_KEY_ID, part: access_key_id}
      - github-actions: {repo: acme/api, secret: AWS_SECRET_ACCESS_KEY}
      - aws-secretsmanager: {secret: %s, keys: {AWS_ACCESS_KEY_ID: access_key_id, AWS_SECRET_ACCESS_KEY: secret_access_key}}
      - aws-ssm: {name: %s}
`

// The values the targets hold besides the key, which must stay.
const (
	awsSweepDatabase = "postgres://db/app"
	awsSweepEnvDB    = "postgres://db/prod"
)

func newAWSSweepWorld(t *testing.T, sh *awsSweep) *awsSweepWorld {
	t.Helper()
	n := sh.cases.Add(1)
	w := &awsSweepWorld{sweepWorld: newSweepWorld(t, false), m: sh.m, hist: &awsHistory{created: map[string]awsCreated{}}}
	user := fmt.Sprintf("deploy-bot-%d", n)
	w.m.CreateUser(t, user)
	w.old = w.m.CreateAccessKey(t, user)
	w.hist.old = w.old
	w.secret = fmt.Sprintf("prod/api-%d", n)
	w.param = fmt.Sprintf("/prod/deploy-%d/aws-secret", n)
	doc, _ := json.Marshal(map[string]string{"DATABASE_URL": awsSweepDatabase, "AWS_ACCESS_KEY_ID": w.old.ID, "AWS_SECRET_ACCESS_KEY": w.old.Secret})
	w.m.CreateSecret(t, w.secret, string(doc), "")
	w.m.PutParameter(t, w.param, w.old.Secret, "SecureString", "")
	if err := os.MkdirAll(filepath.Join(w.dir, "deploy"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := fmt.Sprintf("# production settings\nDATABASE_URL=%s\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", awsSweepEnvDB, w.old.ID, w.old.Secret)
	if err := os.WriteFile(filepath.Join(w.dir, "deploy", "app.env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(w.dir, "respond.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(f, awsSweepInventory, w.old.ID, w.secret, w.param)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	gh := w.s.GitHub()
	day := time.Now().Add(-24 * time.Hour)
	for name, v := range map[string]string{"AWS_ACCESS_KEY_ID": w.old.ID, "AWS_SECRET_ACCESS_KEY": w.old.Secret} {
		if err := gh.SetRepoSecret("acme", "api", name, v, day); err != nil {
			t.Fatal(err)
		}
	}
	num := gh.AddAlert("acme", "api", "aws_access_key_id", w.old.ID, time.Now().Add(-2*time.Hour),
		[]githubsim.Location{{Path: "config/aws.env", StartLine: 2, EndLine: 2, StartColumn: 1, EndColumn: 40,
			BlobSHA: strings.Repeat("b", 40), CommitSHA: strings.Repeat("c", 40)}})
	w.alert = fmt.Sprintf("acme/api#%d", num)

	w.proxy, err = newAWSProxy(w.m.URL)
	if err != nil {
		t.Fatal(err)
	}
	w.proxy.observe = w.hist.observe
	srv := httptest.NewServer(w.proxy)
	t.Cleanup(srv.Close)
	for _, kv := range w.m.Env(sh.responder) {
		if !strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "AWS_ENDPOINT_URL="+srv.URL)
	return w
}

func (w *awsSweepWorld) args() []string { return []string{"leaked-key", "--alert", w.alert, "--yes"} }

// awsSweepPoints runs a clean response and lists its mutating requests:
// the AWS operations the proxy saw, then the simulator's requests.
func awsSweepPoints(t *testing.T, bin string, sh *awsSweep) []awsSweepPoint {
	w := newAWSSweepWorld(t, sh)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd, out := w.command(ctx, bin, w.args()...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("a clean response failed (%v):\n%s", err, out)
	}
	if problems := w.problems(); len(problems) > 0 {
		t.Fatalf("a clean response left the world wrong:\n  %s", strings.Join(problems, "\n  "))
	}
	var ops []string
	for _, c := range w.proxy.log() {
		_, action, _ := strings.Cut(c.Op, ":")
		if mutating(action) && !slices.Contains(ops, c.Op) {
			ops = append(ops, c.Op)
		}
	}
	sort.Strings(ops)
	var points []awsSweepPoint
	for _, op := range ops {
		points = append(points, awsSweepPoint{Op: op})
	}
	var reqs []sweepPoint
	for _, q := range w.s.Requests(0) {
		path, _, _ := strings.Cut(q.Path, "?")
		p := sweepPoint{q.Method, path}
		if q.Method == "GET" || q.Method == "HEAD" || strings.HasPrefix(path, "/_") || strings.HasSuffix(path, "/token") || slices.Contains(reqs, p) {
			continue
		}
		reqs = append(reqs, p)
	}
	sort.Slice(reqs, func(i, j int) bool {
		if reqs[i].Path != reqs[j].Path {
			return reqs[i].Path < reqs[j].Path
		}
		return reqs[i].Method < reqs[j].Method
	})
	for _, p := range reqs {
		points = append(points, awsSweepPoint{Sim: p})
	}
	return points
}

// awsSweepCase runs one case and returns how many runs it took.
func awsSweepCase(t *testing.T, bin string, sh *awsSweep, p awsSweepPoint, k sweepKind) (int, error) {
	w := newAWSSweepWorld(t, sh)
	var acted func() bool
	if p.Op != "" {
		w.proxy.addFault(awsFault{Op: p.Op, Kind: k.aws, Count: 1})
		acted = w.proxy.acted
	} else {
		if _, err := w.s.AddFault(k.fault(p.Sim.Method, p.Sim.Path)); err != nil {
			return 0, err
		}
		acted = func() bool {
			for _, f := range w.s.Faults() {
				if f.Acted > 0 {
					return true
				}
			}
			return false
		}
	}
	fired := 0
	clear := func() {
		w.proxy.mu.Lock()
		for _, f := range w.proxy.faults {
			fired += f.Fired
		}
		w.proxy.mu.Unlock()
		for _, f := range w.s.Faults() {
			fired += f.Fired
		}
		w.proxy.clearFaults()
		w.s.ClearFaults()
	}
	runs, err := sweepRuns(w.sweepWorld, bin, w.args(), k.kill, acted, clear)
	if err != nil {
		return runs, err
	}
	if fired == 0 {
		return runs, fmt.Errorf("the fault on %s never fired: the response did not send that request", p)
	}
	if problems := w.problems(); len(problems) > 0 {
		return runs, fmt.Errorf("after %d run(s) the world is wrong:\n  %s", runs, strings.Join(problems, "\n  "))
	}
	t.Logf("converged in %d run(s); %s", runs, w.hist.summary())
	return runs, nil
}

// problemT collects what awstest's helpers report, for problems.
type problemT struct{ msgs []string }

func (p *problemT) Fatalf(format string, args ...any) {
	p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
}

// problems checks the world against PRODUCT §8 (moto, the simulator, the
// files) and the AWS stores' history against make before break.
func (w *awsSweepWorld) problems() []string {
	pt := &problemT{}
	var out []string
	user := w.old.User

	// The leaked key: deleted (STS refuses it), or at least inactive.
	var oldStatus string
	var others, active []awstest.KeyState
	for _, k := range w.m.UserKeys(pt, user) {
		switch {
		case k.ID == w.old.ID:
			oldStatus = k.Status
		case k.Status == "Active":
			active = append(active, k)
			others = append(others, k)
		default:
			others = append(others, k)
		}
	}
	if _, live, _, err := w.m.KeyWorks(w.old.ID, w.old.Secret); err != nil || live {
		out = append(out, fmt.Sprintf("the leaked key %s still works (IAM status %q, %v)", w.old.ID, oldStatus, err))
	}
	if oldStatus == "" && w.stsAccepts(w.old.ID, w.old.Secret) == nil {
		out = append(out, "STS accepts the deleted leaked key "+w.old.ID)
	}
	// Exactly one new key, active; no leftover.
	if len(others) != 1 || len(active) != 1 {
		return append(append(out, pt.msgs...), fmt.Sprintf("IAM user %s has %d key(s) besides the leaked one, %d active, want exactly one active: %v", user, len(others), len(active), others))
	}
	newID := active[0].ID
	w.hist.mu.Lock()
	created, ok := w.hist.created[newID]
	w.hist.mu.Unlock()
	if !ok {
		return append(append(out, pt.msgs...), "the new key "+newID+" was not created through the proxy: its secret is unknown")
	}
	newSecret := created.secret
	if _, live, _, err := w.m.KeyWorks(newID, newSecret); err != nil || !live {
		out = append(out, fmt.Sprintf("the replacement %s does not work (%v)", newID, err))
	}
	if err := w.stsAccepts(newID, newSecret); err != nil {
		out = append(out, fmt.Sprintf("STS refuses the replacement %s: %v", newID, err))
	}

	// Every target holds it; their other contents stay.
	env := readDotenv(filepath.Join(w.dir, "deploy", "app.env"))
	if env["AWS_ACCESS_KEY_ID"] != newID || env["AWS_SECRET_ACCESS_KEY"] != newSecret {
		out = append(out, "deploy/app.env does not hold the replacement")
	}
	if env["DATABASE_URL"] != awsSweepEnvDB {
		out = append(out, "deploy/app.env lost DATABASE_URL")
	}
	gh := map[string]string{}
	for _, sec := range w.s.GitHub().Snapshot().Secrets {
		if sec.Level == "repo" && sec.Owner == "acme" && sec.Repo == "api" {
			gh[sec.Name] = sec.Value
		}
	}
	if gh["AWS_ACCESS_KEY_ID"] != newID || gh["AWS_SECRET_ACCESS_KEY"] != newSecret {
		out = append(out, "the Actions secrets of acme/api do not hold the replacement")
	}
	var doc map[string]string
	if err := json.Unmarshal([]byte(w.m.Secret(pt, w.secret, "AWSCURRENT").Value), &doc); err != nil {
		out = append(out, fmt.Sprintf("secret %s is not a JSON object of strings: %v", w.secret, err))
	}
	if doc["AWS_ACCESS_KEY_ID"] != newID || doc["AWS_SECRET_ACCESS_KEY"] != newSecret {
		out = append(out, "secret "+w.secret+" does not hold the replacement")
	}
	if doc["DATABASE_URL"] != awsSweepDatabase {
		out = append(out, "secret "+w.secret+" lost DATABASE_URL")
	}
	if w.m.Parameter(pt, w.param).Value != newSecret {
		out = append(out, "parameter "+w.param+" does not hold the replacement's secret")
	}

	// The inventory names it; the alert is resolved.
	src, err := os.ReadFile(filepath.Join(w.dir, "respond.yaml"))
	if err != nil {
		out = append(out, err.Error())
	} else {
		inv, diags := inventory.Parse("respond.yaml", src)
		named := false
		for _, c := range inv.Credentials {
			named = named || c.Name == "aws-deploy" && c.KeyID == newID
		}
		if diags.HasErrors() || !named {
			out = append(out, "the inventory does not name the replacement "+newID)
		}
	}
	owner, rest, _ := strings.Cut(w.alert, "/")
	repo, num, _ := strings.Cut(rest, "#")
	for _, a := range w.s.GitHub().Snapshot().Alerts {
		if a.Owner == owner && a.Repo == repo && fmt.Sprint(a.Number) == num && (a.State != "resolved" || a.Resolution == nil || *a.Resolution != "revoked") {
			out = append(out, "the alert "+w.alert+" is not resolved as revoked")
		}
	}
	out = append(out, w.hist.problems()...)
	return append(out, pt.msgs...)
}

// stsAccepts is nil when STS accepts the key pair.
func (w *awsSweepWorld) stsAccepts(id, secretKey string) error {
	_, err := sts.NewFromConfig(w.m.Config(awstest.Key{ID: id, Secret: secretKey})).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	return err
}

// readDotenv reads a .env file's variables.
func readDotenv(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && !strings.HasPrefix(k, "#") {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return out
}

// awsHistory is what the proxy saw AWS do, in order: the keys created
// (with their secrets: kept in memory, never printed), the keys
// deactivated or deleted, and every value written to a secret store.
type awsHistory struct {
	mu      sync.Mutex
	old     awstest.Key
	created map[string]awsCreated
	deaths  []awsDeath
	writes  []awsWrite
	odd     []string // writes that are no key's
}

type awsCreated struct {
	secret string
	at     time.Time
}

// awsDeath is a key deactivated or deleted; moto acted between Sent and
// Answered.
type awsDeath struct {
	key, how       string
	sent, answered time.Time
}

// awsWrite is a key written to a store; moto acted between Sent and
// Answered.
type awsWrite struct {
	target, key    string
	sent, answered time.Time
}

// observe is the proxy's observer: it records what moto did.
func (h *awsHistory) observe(x awsExchange) {
	if x.Status != 200 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch x.Op {
	case "iam:CreateAccessKey":
		var r struct {
			ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
			Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
		}
		if err := xml.Unmarshal(x.Response, &r); err != nil || r.ID == "" {
			h.odd = append(h.odd, fmt.Sprintf("a CreateAccessKey answer that names no key (%v)", err))
			return
		}
		h.created[r.ID] = awsCreated{secret: r.Secret, at: x.Answered}
	case "iam:UpdateAccessKey", "iam:DeleteAccessKey":
		q, _ := url.ParseQuery(string(x.Request))
		if x.Op == "iam:UpdateAccessKey" && q.Get("Status") != "Inactive" {
			return
		}
		h.deaths = append(h.deaths, awsDeath{key: q.Get("AccessKeyId"), how: x.Op, sent: x.Sent, answered: x.Answered})
	case "secretsmanager:PutSecretValue":
		var in struct{ SecretId, SecretString string }
		var doc map[string]string
		if json.Unmarshal(x.Request, &in) != nil || json.Unmarshal([]byte(in.SecretString), &doc) != nil {
			h.odd = append(h.odd, "a PutSecretValue that is not a JSON object of strings")
			return
		}
		id := doc["AWS_ACCESS_KEY_ID"]
		if h.secretOf(id) != doc["AWS_SECRET_ACCESS_KEY"] {
			h.odd = append(h.odd, fmt.Sprintf("secret %s was written an ID (%s) and a secret that are not one key's", in.SecretId, id))
		}
		h.writes = append(h.writes, awsWrite{target: "secret " + in.SecretId, key: id, sent: x.Sent, answered: x.Answered})
	case "ssm:PutParameter":
		var in struct{ Name, Value string }
		if json.Unmarshal(x.Request, &in) != nil {
			h.odd = append(h.odd, "a PutParameter that is not JSON")
			return
		}
		id := ""
		if in.Value == h.old.Secret {
			id = h.old.ID
		}
		for k, c := range h.created {
			if c.secret == in.Value {
				id = k
			}
		}
		if id == "" {
			h.odd = append(h.odd, "parameter "+in.Name+" was written a value that is no key's secret")
		}
		h.writes = append(h.writes, awsWrite{target: "parameter " + in.Name, key: id, sent: x.Sent, answered: x.Answered})
	}
}

// secretOf is the secret of a key the history knows ("" if none).
func (h *awsHistory) secretOf(id string) string {
	if id == h.old.ID {
		return h.old.Secret
	}
	if c, ok := h.created[id]; ok {
		return c.secret
	}
	return ""
}

// summary says what the history holds, for the test's log.
func (h *awsHistory) summary() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprintf("AWS made %d key(s), deactivated or deleted %d time(s), and took %d store write(s)", len(h.created), len(h.deaths), len(h.writes))
}

// problems checks make before break on the AWS stores: no store was
// written a key once it was dead (or while it was dying), and no key
// respond created was deactivated or deleted while a store held it.
func (h *awsHistory) problems() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Clone(h.odd)
	for _, wr := range h.writes {
		for _, d := range h.deaths {
			if d.key == wr.key && d.sent.Before(wr.answered) {
				out = append(out, fmt.Sprintf("%s was written key %s after %s began on it", wr.target, wr.key, d.how))
			}
		}
	}
	targets := map[string]bool{}
	for _, wr := range h.writes {
		targets[wr.target] = true
	}
	for _, d := range h.deaths {
		if d.key == h.old.ID {
			continue
		}
		for tg := range targets {
			held, at := h.old.ID, time.Time{} // what the target held when the key died
			for _, wr := range h.writes {
				if wr.target == tg && wr.answered.Before(d.sent) && wr.answered.After(at) {
					held, at = wr.key, wr.answered
				}
			}
			if held == d.key {
				out = append(out, fmt.Sprintf("%s held key %s when %s killed it", tg, d.key, d.how))
			}
		}
	}
	return out
}

// TestAWSHistoryMakeBeforeBreak: the sweep's make-before-break check
// finds a store written a dead key, and a replacement deleted while a
// store held it; a response that made one replacement and deleted the
// old key last passes.
func TestAWSHistoryMakeBeforeBreak(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	old := awstest.Key{ID: "AKIAOLD0000000000000", Secret: "old-secret"}
	newHist := func() *awsHistory {
		return &awsHistory{old: old, created: map[string]awsCreated{
			"AKIAONE0000000000000": {secret: "one", at: at(1)},
			"AKIATWO0000000000000": {secret: "two", at: at(5)},
		}}
	}
	write := func(h *awsHistory, key string, s int) {
		h.writes = append(h.writes, awsWrite{target: "secret prod/api", key: key, sent: at(s), answered: at(s).Add(100 * time.Millisecond)})
	}
	kill := func(h *awsHistory, key string, s int) {
		h.deaths = append(h.deaths, awsDeath{key: key, how: "iam:DeleteAccessKey", sent: at(s), answered: at(s).Add(100 * time.Millisecond)})
	}

	good := newHist()
	kill(good, old.ID, 0) // contained first
	write(good, "AKIAONE0000000000000", 2)
	kill(good, old.ID, 9)
	if p := good.problems(); len(p) > 0 {
		t.Errorf("a good response: %v", p)
	}

	// Another replacement made while the first is on the store: the first
	// stays live until the store holds the second.
	mbb := newHist()
	write(mbb, "AKIAONE0000000000000", 2)
	write(mbb, "AKIATWO0000000000000", 6)
	kill(mbb, "AKIAONE0000000000000", 8)
	if p := mbb.problems(); len(p) > 0 {
		t.Errorf("make before break: %v", p)
	}

	broken := newHist()
	write(broken, "AKIAONE0000000000000", 2)
	kill(broken, "AKIAONE0000000000000", 4) // while the store holds it
	write(broken, "AKIATWO0000000000000", 6)
	if p := broken.problems(); len(p) != 1 || !strings.Contains(p[0], "held key AKIAONE") {
		t.Errorf("a replacement deleted while a store held it: %v", p)
	}

	dead := newHist()
	kill(dead, "AKIAONE0000000000000", 2)
	write(dead, "AKIAONE0000000000000", 3) // a dead key written
	if p := dead.problems(); len(p) != 1 || !strings.Contains(p[0], "after iam:DeleteAccessKey began") {
		t.Errorf("a dead key written: %v", p)
	}
}
