package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// manualClock is a clock the test moves.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// liveSim starts a simulator whose live world only moves when the test
// steps it (the tick is an hour of wall time).
func liveSim(t *testing.T, opts Options) (*Sim, *manualClock) {
	t.Helper()
	clk := &manualClock{t: fixedNow}
	opts.Now = clk.now
	s := start(t, opts)
	if err := s.StartLive(LiveOptions{Attacker: DefaultAttacker, Tick: time.Hour}); err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func consumer(t *testing.T, st LiveState, suffix string) ConsumerState {
	t.Helper()
	for _, c := range st.Consumers {
		if strings.HasSuffix(c.Name, suffix) {
			return c
		}
	}
	t.Fatalf("no consumer named …%s in %+v", suffix, st.Consumers)
	return ConsumerState{}
}

// The attacker spends with the leaked key every second it lives, in the
// ordinary Usage API and the key's last use; once the key is revoked it
// stops, and the services holding it go down until their target holds a
// working key: at once for a secret read at each use, only after a
// successful run for the service a workflow deploys.
func TestLiveWorld(t *testing.T) {
	s, clk := liveSim(t, Options{RunDuration: 4 * time.Second})
	info := s.Scenario()

	clk.advance(10 * time.Second)
	s.StepLive()
	st := s.LiveState()
	if !st.Attacker.Active || st.Attacker.Requests != 30 || st.Attacker.CostUSD <= 0 {
		t.Fatalf("after 10s the attacker made %d requests for $%.2f (active %v), want 30 requests at 3/s and a cost", st.Attacker.Requests, st.Attacker.CostUSD, st.Attacker.Active)
	}
	if k := st.Attacker.Keys[0]; k.KeyID != info.LeakedKeyID || k.ExposureSeconds != 10 {
		t.Errorf("attack key %+v, want %s exposed 10s", k, info.LeakedKeyID)
	}
	for _, c := range st.Consumers {
		if !c.Up || c.DowntimeSeconds != 0 || c.KeyID != info.LeakedKeyID {
			t.Errorf("consumer %+v, want up on the leaked key", c)
		}
	}
	// The ordinary APIs show it: the leaked key's last use is now, and its
	// usage includes the attacker's requests.
	k, _ := s.OpenAI().KeyByID(info.LeakedKeyID)
	var last string
	for _, ks := range s.OpenAI().Snapshot().Keys {
		if ks.ID == k.ID {
			last = ks.LastUsedAt
		}
	}
	if last != rfc3339(clk.now()) {
		t.Errorf("the leaked key was last used %s, want now (%s)", last, rfc3339(clk.now()))
	}

	// Revoke: the attacker stops, every consumer goes down.
	if err := s.OpenAI().RevokeKey(info.LeakedKeyID); err != nil {
		t.Fatal(err)
	}
	clk.advance(5 * time.Second)
	s.StepLive()
	st = s.LiveState()
	if st.Attacker.Active || st.Attacker.Requests != 30 || st.Attacker.Keys[0].ExposureSeconds != 15 {
		t.Errorf("after the revoke: attacker %+v, want inactive, still 30 requests, exposed until the revoke was seen (15s)", st.Attacker)
	}
	clk.advance(3 * time.Second)
	s.StepLive()
	st = s.LiveState()
	for _, c := range st.Consumers {
		if c.Up || c.DowntimeSeconds != 3 {
			t.Errorf("consumer %s: up %v, down %.1fs; want down for 3s", c.Name, c.Up, c.DowntimeSeconds)
		}
	}

	// A new key in the repository secret: its CI is up at once; the
	// deployed service stays down until a run of deploy.yml succeeds.
	sa, nk, err := s.OpenAI().AddServiceAccount(info.ProjectID, "replacement", clk.now())
	if err != nil {
		t.Fatal(err)
	}
	_ = sa
	for _, r := range info.Repos {
		owner, name, _ := strings.Cut(r, "/")
		if err := s.GitHub().SetRepoSecret(owner, name, info.SecretName, nk.Value.Reveal(), clk.now()); err != nil {
			t.Fatal(err)
		}
	}
	owner, name, _ := strings.Cut(info.EnvironmentRepo, "/")
	if err := s.GitHub().SetEnvSecret(owner, name, info.Environment, info.SecretName, nk.Value.Reveal(), clk.now()); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	s.StepLive()
	st = s.LiveState()
	if c := consumer(t, st, "/web CI"); !c.Up || c.KeyID != nk.ID || c.DowntimeSeconds != 4 || c.Outages != 1 {
		t.Errorf("acme/web CI %+v, want up on %s after 4s down", c, nk.ID)
	}
	svc := consumer(t, st, "(deploy.yml)")
	if svc.Up || svc.KeyID != info.LeakedKeyID {
		t.Errorf("the deployed service %+v picked up the new secret without a run", svc)
	}
	// Dispatch deploy.yml: the service is up when the run completes (4s).
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/repos/"+info.WorkflowRepo+"/actions/workflows/deploy.yml/dispatches", strings.NewReader(`{"ref":"main"}`))
	req.Header.Set("Authorization", "Bearer "+s.Env()["GITHUB_TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("dispatch: %v %v", err, resp)
	}
	resp.Body.Close()
	clk.advance(3 * time.Second)
	s.StepLive()
	if svc := consumer(t, s.LiveState(), "(deploy.yml)"); svc.Up {
		t.Errorf("the deployed service is up before its run completed: %+v", svc)
	}
	clk.advance(time.Second)
	s.StepLive()
	if svc := consumer(t, s.LiveState(), "(deploy.yml)"); !svc.Up || svc.KeyID != nk.ID || svc.DowntimeSeconds != 8 {
		t.Errorf("after the run: %+v, want up on %s after 8s down", svc, nk.ID)
	}

	// A second leak: the attacker uses the replacement too.
	if _, ok := s.Leak(nk.Value, "second leak"); !ok {
		t.Fatal("the attacker did not take the replacement")
	}
	clk.advance(2 * time.Second)
	s.StepLive()
	if st := s.LiveState(); !st.Attacker.Active || st.Attacker.Requests != 36 || len(st.Attacker.Keys) != 2 {
		t.Errorf("after the second leak: %+v, want 6 more requests with the replacement", st.Attacker)
	}

	// Frozen, nothing accrues; GET /_sim/world shows the same world, with
	// key IDs and never a key value.
	s.FreezeLive()
	frozen := s.LiveState()
	clk.advance(time.Minute)
	s.StepLive()
	if after := s.LiveState(); after.Attacker.Requests != frozen.Attacker.Requests || after.ElapsedSeconds != frozen.ElapsedSeconds || !after.Frozen {
		t.Errorf("the frozen world moved: %v requests and %vs, then %v and %vs", frozen.Attacker.Requests, frozen.ElapsedSeconds, after.Attacker.Requests, after.ElapsedSeconds)
	}
	resp, err = http.Get(s.URL() + "/_sim/world")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got LiveState
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Attacker.Requests != frozen.Attacker.Requests || len(got.Consumers) != len(frozen.Consumers) {
		t.Errorf("GET /_sim/world: %+v", got)
	}
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), s.LeakedKeyValue()) || strings.Contains(string(b), nk.Value.Reveal()) {
		t.Error("GET /_sim/world shows a key value")
	}
}

// Each person gets credentials of their own, and the request log names
// them, never their credential; a token restricted on a repository can
// read it but not write its secrets, and says so in its permissions.
func TestPeopleAndTheRequestLog(t *testing.T) {
	s := start(t, Options{})
	alice, err := s.AddPerson("Alice Smith", []string{"acme/web"})
	if err != nil {
		t.Fatal(err)
	}
	if alice.Login != "alice-smith" {
		t.Errorf("login %q", alice.Login)
	}
	do := func(method, path, body string, tok string) int {
		req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := do("GET", "/repos/acme/web/actions/secrets", "", alice.GitHubToken.Reveal()); code != 200 {
		t.Errorf("reading acme/web's secrets: %d", code)
	}
	if code := do("PUT", "/repos/acme/web/actions/secrets/X", `{"encrypted_value":"AAAA","key_id":"k"}`, alice.GitHubToken.Reveal()); code != http.StatusForbidden {
		t.Errorf("writing a secret of read-only acme/web: %d, want 403", code)
	}
	if code := do("GET", "/v1/organization/projects", "", alice.AdminKey.Reveal()); code != 200 {
		t.Errorf("listing projects with alice's admin key: %d", code)
	}
	s.LogEvent(RequestRecord{Method: "INJECT", Path: "/_drill/inject/x", Actor: "carol", Detail: "trouble"})
	var actors []string
	for _, r := range s.Requests(0) {
		actors = append(actors, r.API+":"+r.Actor)
	}
	want := []string{"github:Alice Smith", "github:Alice Smith", "openai:Alice Smith", "drill:carol"}
	if strings.Join(actors, " ") != strings.Join(want, " ") {
		t.Errorf("request log actors %v, want %v", actors, want)
	}
	b, _ := json.Marshal(s.Requests(0))
	if strings.Contains(string(b), alice.GitHubToken.Reveal()) || strings.Contains(string(b), alice.AdminKey.Reveal()) {
		t.Error("the request log shows a credential")
	}
	if err := s.RestrictPerson(alice, nil); err != nil {
		t.Fatal(err)
	}
	if code := do("PUT", "/repos/acme/web/actions/secrets/X", `{"encrypted_value":"AAAA","key_id":"k"}`, alice.GitHubToken.Reveal()); code == http.StatusForbidden {
		t.Error("still 403 after the restriction was lifted")
	}
}

// Unlisted repositories hold the key like the listed ones, but only the
// full inventory names them; the scenario without them is unchanged.
func TestUnlistedRepos(t *testing.T) {
	plain := start(t, Options{Seed: 4})
	s := start(t, Options{Seed: 4, UnlistedRepos: []string{"billing-legacy"}})
	info := s.Scenario()
	if got := info.UnlistedRepos; len(got) != 1 || got[0] != "acme/billing-legacy" {
		t.Fatalf("unlisted %v", got)
	}
	if plain.Scenario().LeakedKeyID != info.LeakedKeyID {
		t.Error("an unlisted repository changed the rest of the world")
	}
	v, ok := s.GitHub().SecretValue(githubsim.SecretRef{Level: githubsim.LevelRepo, Owner: "acme", Repo: "billing-legacy", Name: info.SecretName})
	if !ok || v != s.LeakedKeyValue() {
		t.Error("acme/billing-legacy does not hold the leaked key")
	}
	if strings.Contains(string(info.inventoryYAML(false)), "billing-legacy") || !strings.Contains(string(info.inventoryYAML(true)), "billing-legacy") {
		t.Error("the inventory lists the unlisted repository, or the full one does not")
	}
	var forgotten bool
	for _, c := range DefaultConsumers(info) {
		if c.Target == "github-actions:acme/billing-legacy:OPENAI_API_KEY" {
			forgotten = !c.Listed
		}
	}
	if !forgotten {
		t.Error("no unlisted consumer for acme/billing-legacy")
	}
}

// Close, Reset and the context's end may each freeze the live world at the
// same moment (a drill's end races sim serve's shutdown); none of them may
// panic, and the world ends frozen.
func TestFreezeLiveConcurrent(t *testing.T) {
	for range 20 {
		s, _ := liveSim(t, Options{RunDuration: 4 * time.Second})
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.FreezeLive()
			}()
		}
		wg.Wait()
		if !s.LiveState().Frozen {
			t.Fatal("after eight concurrent freezes the live world is not frozen")
		}
	}
}
