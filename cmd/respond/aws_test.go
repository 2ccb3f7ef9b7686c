package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/awsapi/awstest"
)

// awsRun is the moto server of one script, and the keys it made.
type awsRun struct {
	s    *awstest.Server
	keys map[string]awstest.Key // by the name the script gave
	// proxy stands between respond and moto, to hold answers back.
	proxy *awsProxy
}

// awsProxy forwards respond's requests to moto and logs each operation
// (service:Action: IAM and STS carry Action= in a form body, Secrets
// Manager and SSM name it in X-Amz-Target; the service is the signature's
// scope). moto has no fault injection, so the proxy injects them:
//
//   - an action it is told to delay (aws delay) is forwarded at once (moto
//     acts on it) and its answer held back, as a slow network would: a
//     SIGKILL then lands after AWS acted and before respond knew;
//   - faults (the fault sweep) fail an operation with a 503 before moto
//     sees it, lose moto's answer after it acted (the connection closes),
//     or hold the answer until respond goes away.
type awsProxy struct {
	rp     *httputil.ReverseProxy
	mu     sync.Mutex
	hold   map[string]time.Duration // action -> delay of its answer
	seen   map[string]int           // action -> requests answered by moto
	faults []*awsFault
	calls  []awsCall
	// observe, when set, sees every exchange moto answered, with both
	// bodies, before respond gets the answer (or loses it). The bodies hold
	// secrets: an observer keeps them in memory and never prints them.
	observe func(awsExchange)
}

// The kinds of awsFault.
const (
	awsFail = "fail" // a 503 ServiceUnavailable, moto never sees the request
	awsDrop = "drop" // moto acts, then the connection closes without its answer
	awsHold = "hold" // moto acts, and its answer is held until the client goes away
)

// awsFault makes the next Count requests of an operation fail.
type awsFault struct {
	Op    string // service:Action, e.g. iam:CreateAccessKey
	Kind  string // awsFail, awsDrop or awsHold
	Count int
	// Fired counts the requests it affected, Acted those moto acted on.
	Fired, Acted int
}

// awsCall is one request the proxy saw.
type awsCall struct {
	Op     string // service:Action
	Status int    // what the client got; 0 when it got no answer
	Fault  string // the kind of fault that hit it
}

// awsExchange is a request moto answered.
type awsExchange struct {
	Op             string
	Request        []byte
	Status         int
	Response       []byte
	Sent, Answered time.Time
}

// sigScopeRe finds the service in a SigV4 Authorization header.
var sigScopeRe = regexp.MustCompile(`Credential=[A-Z0-9]+/\d+/[^/]+/([a-z0-9-]+)/`)

// awsOperation names a request's operation: its signing service and its
// action.
func awsOperation(r *http.Request, body []byte) (service, action string) {
	if m := sigScopeRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		service = m[1]
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, action, _ = strings.Cut(t, ".")
		return service, action
	}
	if q, err := url.ParseQuery(string(body)); err == nil {
		action = q.Get("Action")
	}
	return service, action
}

// addFault adds a fault.
func (p *awsProxy) addFault(f awsFault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
}

// clearFaults removes every fault.
func (p *awsProxy) clearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// acted reports whether moto acted on a request a fault affected.
func (p *awsProxy) acted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if f.Acted > 0 {
			return true
		}
	}
	return false
}

// log returns the requests seen so far.
func (p *awsProxy) log() []awsCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

func (p *awsProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	service, action := awsOperation(r, body)
	op := service + ":" + action
	p.mu.Lock()
	var fault *awsFault
	for _, f := range p.faults {
		if f.Op == op && f.Fired < f.Count {
			f.Fired++
			fault = f
			break
		}
	}
	p.mu.Unlock()
	call := awsCall{Op: op}
	defer func() {
		p.mu.Lock()
		p.calls = append(p.calls, call)
		p.mu.Unlock()
	}()
	if fault != nil {
		call.Fault = fault.Kind
		if fault.Kind == awsFail {
			call.Status = http.StatusServiceUnavailable
			writeAWSUnavailable(w, r)
			return
		}
	}
	sent := time.Now()
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, r)
	if obs := p.observe; obs != nil {
		obs(awsExchange{Op: op, Request: body, Status: rec.Code, Response: rec.Body.Bytes(), Sent: sent, Answered: time.Now()})
	}
	p.mu.Lock()
	p.seen[action]++
	d := p.hold[action]
	if fault != nil {
		fault.Acted++
	}
	p.mu.Unlock()
	if fault != nil {
		switch fault.Kind {
		case awsDrop:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
				}
			}
			return
		case awsHold:
			d = time.Minute
		}
	}
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	call.Status = rec.Code
}

// writeAWSUnavailable answers as an AWS service that is unavailable: the
// JSON protocols' error body for a request with X-Amz-Target (Secrets
// Manager, SSM), the query protocol's XML otherwise (IAM, STS).
func writeAWSUnavailable(w http.ResponseWriter, r *http.Request) {
	const msg = "Service Unavailable (a fault the test injected)"
	w.Header().Set("X-Amzn-RequestId", "fault-sweep")
	if r.Header.Get("X-Amz-Target") != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "ServiceUnavailable")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"__type":"ServiceUnavailable","message":"`+msg+`"}`)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>`+msg+
		`</Message></Error><RequestId>fault-sweep</RequestId></ErrorResponse>`)
}

// newAWSProxy is a proxy to the moto at motoURL.
func newAWSProxy(motoURL string) (*awsProxy, error) {
	target, err := url.Parse(motoURL)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	// A request cut short by a SIGKILL is no news.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	return &awsProxy{rp: rp, hold: map[string]time.Duration{}, seen: map[string]int{}}, nil
}

var (
	awsMu   sync.Mutex
	awsRuns = map[*testscript.TestScript]*awsRun{}
)

// cmdAWS drives moto, a real AWS implementation (internal/awsapi/awstest),
// for scripts that run respond against AWS:
//
//	aws start                       start moto; respond gets the key of IAM user "responder" (AWS_* variables)
//	aws user NAME                   create an IAM user (no policy)
//	aws key USER NAME               create an access key: $NAME_ID, $NAME_SECRET, file NAME.secret (for nosecret/noleak)
//	aws secret NAME VALUE           create a Secrets Manager secret (VALUE: @FILE, or ${VAR} expanded)
//	aws param NAME VALUE            create an SSM SecureString parameter (VALUE as above)
//	aws delay ACTION DURATION       moto acts on ACTION at once but its answer reaches respond DURATION later
//	aws waitcall ACTION             wait until moto has answered an ACTION request
//	[!] aws secret-value NAME WANT  the secret's current value is WANT (@FILE or text)
//	aws expand SRC DST              copy a file, expanding ${VAR}
//	aws auth on|off                 moto checks signatures and policies (on), or not
//	aws record                      start recording requests
//	[!] aws mutated                 a recorded request by respond changed something
//	aws status NAME|ID STATUS       an access key is Active, Inactive or absent
//	aws keys USER N                 the user has N access keys
//	aws newkey USER OLD NAME [ENV]  the user's one key other than OLD: $NAME_ID; with the .env file ENV respond wrote, $NAME_SECRET and NAME.secret
//	[!] aws sts ID SECRET           STS accepts the key (needs auth on); SECRET may be @FILE
//	aws secret-json NAME KEY WANT   the secret's current JSON has KEY = WANT (@FILE or text)
//	aws secret-stage NAME STAGE KEY WANT  the version with STAGE has KEY = WANT
//	aws param-value NAME WANT       the parameter's decrypted value is WANT
func cmdAWS(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: aws start|user|key|secret|param|auth|record|mutated|status|keys|newkey|sts|secret-json|secret-stage|param-value ...")
	}
	awsMu.Lock()
	r := awsRuns[ts]
	awsMu.Unlock()
	if args[0] != "start" && r == nil {
		ts.Fatalf("aws %s: moto is not started (aws start)", args[0])
	}
	need := func(n int, usage string) {
		if len(args) != n+1 {
			ts.Fatalf("usage: aws %s", usage)
		}
	}
	switch args[0] {
	case "start":
		if err := awstest.Available(); err != nil {
			ts.Fatalf("moto is not available (guard the script with [!moto] skip): %v", err)
		}
		dir := ts.MkAbs(".moto")
		ts.Check(os.MkdirAll(dir, 0o700))
		s, err := awstest.StartServer(awstest.Options{Dir: dir})
		ts.Check(err)
		ts.Defer(s.Close)
		proxy, err := newAWSProxy(s.URL)
		ts.Check(err)
		srv := httptest.NewServer(proxy)
		ts.Defer(srv.Close)
		r = &awsRun{s: s, keys: map[string]awstest.Key{}, proxy: proxy}
		s.CreateUser(ts, "responder", "*")
		responder := s.CreateAccessKey(ts, "responder")
		for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"} {
			ts.Setenv(v, "")
		}
		for _, kv := range s.Env(responder) {
			name, v, _ := strings.Cut(kv, "=")
			ts.Setenv(name, v)
		}
		ts.Setenv("AWS_ENDPOINT_URL", srv.URL) // through the proxy
		ts.Check(os.WriteFile(ts.MkAbs("responder.secret"), []byte(responder.Secret), 0o600))
		awsMu.Lock()
		awsRuns[ts] = r
		awsMu.Unlock()
	case "user":
		need(1, "user NAME")
		r.s.CreateUser(ts, args[1])
	case "key":
		need(2, "key USER NAME")
		k := r.s.CreateAccessKey(ts, args[1])
		r.keys[args[2]] = k
		ts.Setenv(args[2]+"_ID", k.ID)
		ts.Setenv(args[2]+"_SECRET", k.Secret)
		ts.Check(os.WriteFile(ts.MkAbs(args[2]+".secret"), []byte(k.Secret), 0o600))
	case "secret":
		need(2, "secret NAME VALUE")
		r.s.CreateSecret(ts, args[1], valueArg(ts, args[2]), "")
	case "delay":
		// aws delay ACTION DURATION: hold moto's answers to ACTION back.
		need(2, "delay ACTION DURATION")
		d, err := time.ParseDuration(args[2])
		ts.Check(err)
		r.proxy.mu.Lock()
		r.proxy.hold[args[1]] = d
		r.proxy.mu.Unlock()
	case "waitcall":
		// aws waitcall ACTION: wait (up to 60 s) until moto has answered
		// an ACTION request.
		need(1, "waitcall ACTION")
		deadline := time.Now().Add(60 * time.Second)
		for {
			r.proxy.mu.Lock()
			n := r.proxy.seen[args[1]]
			r.proxy.mu.Unlock()
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				ts.Fatalf("no %s request within 60s", args[1])
			}
			time.Sleep(10 * time.Millisecond)
		}
	case "expand":
		need(2, "expand SRC DST")
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(os.Expand(ts.ReadFile(args[1]), ts.Getenv)), 0o600))
	case "param":
		need(2, "param NAME VALUE")
		r.s.PutParameter(ts, args[1], valueArg(ts, args[2]), "SecureString", "")
	case "secret-value":
		need(2, "secret-value NAME WANT")
		got, want := r.s.Secret(ts, args[1], "AWSCURRENT").Value, valueArg(ts, args[2])
		if (got == want) == neg {
			ts.Fatalf("secret %s is %q, want %q", args[1], mask(got), mask(want))
		}
	case "auth":
		need(1, "auth on|off")
		if args[1] == "on" {
			r.s.EnableAuth(ts)
		} else {
			r.s.DisableAuth(ts)
		}
	case "record":
		r.s.StartRecording(ts)
	case "mutated":
		var changed []string
		reqs := r.s.Requests(ts, false)
		if len(reqs) == 0 {
			ts.Fatalf("no request by respond was recorded (aws record first)")
		}
		for _, q := range reqs {
			if mutating(q.Action) {
				changed = append(changed, q.Service+":"+q.Action)
			}
		}
		if (len(changed) > 0) != !neg {
			if neg {
				ts.Fatalf("respond sent mutating AWS requests: %v", changed)
			}
			ts.Fatalf("respond sent no mutating AWS request")
		}
		if len(changed) > 0 {
			ts.Logf("mutating requests: %v", changed)
		}
	case "status":
		need(2, "status NAME|ID Active|Inactive|absent")
		id := r.keyID(args[1])
		got := "absent"
		for _, k := range r.s.AccessKeys(ts) {
			if k.ID != id {
				continue
			}
			for _, uk := range r.s.UserKeys(ts, k.User) {
				if uk.ID == id {
					got = uk.Status
				}
			}
		}
		if got != args[2] {
			ts.Fatalf("access key %s is %s, want %s", id, got, args[2])
		}
	case "keys":
		need(2, "keys USER N")
		var ids []string
		for _, k := range r.s.UserKeys(ts, args[1]) {
			ids = append(ids, k.ID+" ("+k.Status+")")
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		if len(ids) != n {
			sort.Strings(ids)
			ts.Fatalf("IAM user %s has %d access key(s), want %d: %v", args[1], len(ids), n, ids)
		}
	case "newkey":
		if len(args) != 4 && len(args) != 5 {
			ts.Fatalf("usage: aws newkey USER OLD NAME [ENVFILE]")
		}
		old := r.keyID(args[2])
		var found []string
		for _, k := range r.s.UserKeys(ts, args[1]) {
			if k.ID != old {
				found = append(found, k.ID)
			}
		}
		if len(found) != 1 {
			ts.Fatalf("IAM user %s has %d access key(s) besides %s, want exactly one: %v", args[1], len(found), old, found)
		}
		ts.Setenv(args[3]+"_ID", found[0])
		if len(args) == 5 {
			// The key's secret, as the .env file respond wrote holds it
			// (moto does not give it back): `aws sts` then proves it.
			var sk string
			for _, line := range strings.Split(ts.ReadFile(args[4]), "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "AWS_SECRET_ACCESS_KEY="); ok {
					sk = strings.Trim(v, `"'`)
				}
			}
			if sk == "" {
				ts.Fatalf("%s has no AWS_SECRET_ACCESS_KEY", args[4])
			}
			ts.Setenv(args[3]+"_SECRET", sk)
			ts.Check(os.WriteFile(ts.MkAbs(args[3]+".secret"), []byte(sk), 0o600))
		}
	case "sts":
		need(2, "sts ID SECRET")
		cfg := r.s.Config(awstest.Key{ID: args[1], Secret: valueArg(ts, args[2])})
		_, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		switch {
		case err == nil && neg:
			ts.Fatalf("STS accepts access key %s", args[1])
		case err != nil && !neg:
			ts.Fatalf("STS refuses access key %s: %v", args[1], err)
		}
	case "secret-json", "secret-stage":
		stage := "AWSCURRENT"
		rest := args[1:]
		if args[0] == "secret-stage" {
			need(4, "secret-stage NAME STAGE KEY WANT")
			stage, rest = args[2], []string{args[1], args[3], args[4]}
		} else {
			need(3, "secret-json NAME KEY WANT")
		}
		v := r.s.Secret(ts, rest[0], stage)
		var m map[string]any
		if err := json.Unmarshal([]byte(v.Value), &m); err != nil {
			ts.Fatalf("secret %s (%s) is not a JSON object: %v", rest[0], stage, err)
		}
		got, _ := m[rest[1]].(string)
		if want := valueArg(ts, rest[2]); (got == want) == neg {
			ts.Fatalf("secret %s (%s): key %s is %q, want %q", rest[0], stage, rest[1], mask(got), mask(want))
		}
	case "param-value":
		need(2, "param-value NAME WANT")
		got, want := r.s.Parameter(ts, args[1]).Value, valueArg(ts, args[2])
		if (got == want) == neg {
			ts.Fatalf("parameter %s is %q, want %q", args[1], mask(got), mask(want))
		}
	default:
		ts.Fatalf("aws: unknown command %q", args[0])
	}
}

// valueArg is a value given to a command: @FILE is the file's content
// (trimmed), anything else has ${VAR} expanded.
func valueArg(ts *testscript.TestScript, s string) string {
	if f, ok := strings.CutPrefix(s, "@"); ok {
		return strings.TrimSpace(ts.ReadFile(f))
	}
	return os.Expand(s, ts.Getenv)
}

// keyID resolves a key the script named (aws key USER NAME) or an ID.
func (r *awsRun) keyID(s string) string {
	if k, ok := r.keys[s]; ok {
		return k.ID
	}
	return s
}

// mutating reports whether an AWS API action changes something.
func mutating(action string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Lookup", "Simulate"} {
		if strings.HasPrefix(action, p) {
			return false
		}
	}
	return action != ""
}

// mask shortens a value for a failure message: scripts compare secrets.
func mask(s string) string {
	if len(s) <= 8 {
		return s
	}
	return s[:4] + "…" + s[len(s)-2:]
}
