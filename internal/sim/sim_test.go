package sim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/google/go-github/v60/github"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/sim/spec"
)

// fixedNow is the tests' clock: the world must not depend on the wall
// clock.
var fixedNow = time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

// start runs a simulator for one test and closes it at the end.
func start(t *testing.T, opts Options) *Sim {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedClock
	}
	s, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// checked returns an HTTP client whose traffic is validated against spec sp.
func checked(t *testing.T, sp func() (*spec.Spec, error), base http.RoundTripper) (*http.Client, *spec.CheckingTransport) {
	t.Helper()
	s, err := sp()
	if err != nil {
		t.Fatal(err)
	}
	ct := spec.NewCheckingTransport(s, base)
	t.Cleanup(func() {
		for _, err := range ct.Errors() {
			t.Errorf("conformance: %v", err)
		}
	})
	return &http.Client{Transport: ct}, ct
}

func ghClient(t *testing.T, s *Sim, base string, token string) (*github.Client, *spec.CheckingTransport) {
	t.Helper()
	hc, ct := checked(t, spec.GitHub, nil)
	c := github.NewClient(hc).WithAuthToken(token)
	if base == "/api/v3/" {
		var err error
		c, err = c.WithEnterpriseURLs(s.URL()+"/api/v3/", s.URL()+"/api/uploads/")
		if err != nil {
			t.Fatal(err)
		}
	} else {
		c.BaseURL.Scheme = "http"
		c.BaseURL.Host = strings.TrimPrefix(s.URL(), "http://")
		c.BaseURL.Path = "/"
	}
	return c, ct
}

func oaClient(t *testing.T, s *Sim) (openai.Client, *spec.CheckingTransport) {
	t.Helper()
	hc, ct := checked(t, spec.OpenAI, nil)
	c := openai.NewClient(
		option.WithBaseURL(s.URL()+"/v1"),
		option.WithAdminAPIKey(s.Env()["OPENAI_ADMIN_KEY"]),
		option.WithAPIKey("unused"),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0),
	)
	return c, ct
}

func httpDo(t *testing.T, method, url string, body string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet && method != http.MethodHead {
		// The control API takes JSON only (control.go).
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func TestRoutingThroughRealClients(t *testing.T) {
	s := start(t, Options{Seed: 7})
	info := s.Scenario()
	token := s.Env()["GITHUB_TOKEN"]
	ctx := t.Context()

	for _, base := range []string{"/", "/api/v3/"} {
		t.Run("go-github base "+base, func(t *testing.T) {
			gh, ct := ghClient(t, s, base, token)
			secrets, _, err := gh.Actions.ListRepoSecrets(ctx, "acme", "api", &github.ListOptions{PerPage: 100})
			if err != nil {
				t.Fatalf("ListRepoSecrets: %v", err)
			}
			var names []string
			for _, sec := range secrets.Secrets {
				names = append(names, sec.Name)
			}
			if !strings.Contains(strings.Join(names, ","), "OPENAI_API_KEY") {
				t.Errorf("repo secrets %v lack OPENAI_API_KEY", names)
			}
			alert, _, err := gh.SecretScanning.GetAlert(ctx, "acme", "api", int64(info.AlertNumber))
			if err != nil {
				t.Fatalf("GetAlert: %v", err)
			}
			if alert.GetSecretType() != "openai_api_key" || alert.GetState() != "open" || alert.GetSecret() != s.LeakedKeyValue() {
				t.Errorf("alert %d: type %q state %q, secret matches leaked key: %v", info.AlertNumber, alert.GetSecretType(), alert.GetState(), alert.GetSecret() == s.LeakedKeyValue())
			}
			if !strings.HasPrefix(alert.GetURL(), s.URL()) {
				t.Errorf("alert url %q does not point at the simulator %s", alert.GetURL(), s.URL())
			}
			if ct.Checked() < 2 {
				t.Errorf("only %d responses validated", ct.Checked())
			}
		})
	}

	t.Run("openai-go /v1", func(t *testing.T) {
		oa, ct := oaClient(t, s)
		page, err := oa.Admin.Organization.Projects.APIKeys.List(ctx, info.ProjectID, openai.AdminOrganizationProjectAPIKeyListParams{})
		if err != nil {
			t.Fatalf("list project keys: %v", err)
		}
		found := false
		for _, k := range page.Data {
			if k.ID == info.LeakedKeyID {
				found = true
				if k.RedactedValue != info.LeakedKeyRedacted || k.Name != info.LeakedKeyName {
					t.Errorf("leaked key listed as %q %q, scenario says %q %q", k.Name, k.RedactedValue, info.LeakedKeyName, info.LeakedKeyRedacted)
				}
			}
		}
		if !found {
			t.Errorf("leaked key %s not listed in project %s", info.LeakedKeyID, info.ProjectID)
		}
		models := openai.NewClient(option.WithBaseURL(s.URL()+"/v1"), option.WithAPIKey(s.LeakedKeyValue()),
			option.WithHTTPClient(&http.Client{Transport: ct}), option.WithMaxRetries(0))
		if _, err := models.Models.List(ctx); err != nil {
			t.Errorf("GET /v1/models with the live leaked key: %v", err)
		}
	})

	t.Run("unknown control endpoint", func(t *testing.T) {
		code, _, body := httpDo(t, "GET", s.URL()+"/_sim/nope", "")
		if code != http.StatusNotFound || !strings.Contains(string(body), "/_sim/state") {
			t.Errorf("GET /_sim/nope: %d %s", code, body)
		}
		code, hdr, _ := httpDo(t, "PUT", s.URL()+"/_sim/state", "")
		if code != http.StatusMethodNotAllowed || hdr.Get("Allow") != "GET" {
			t.Errorf("PUT /_sim/state: %d, Allow %q", code, hdr.Get("Allow"))
		}
	})
}

func TestStateIsDeterministic(t *testing.T) {
	state := func(seed int64, repos int) []byte {
		t.Helper()
		s, err := newSim(Options{Seed: seed, Repos: repos, Now: fixedClock})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.StateJSON()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := state(42, 3), state(42, 3)
	if !bytes.Equal(a, b) {
		t.Fatalf("same seed, different state:\n%s", firstDiff(a, b))
	}
	if bytes.Equal(a, state(43, 3)) {
		t.Error("seeds 42 and 43 gave the same state")
	}
	if bytes.Equal(a, state(42, 5)) {
		t.Error("3 and 5 repositories gave the same state")
	}

	// Over HTTP, /_sim/state is the same document.
	s := start(t, Options{Seed: 42})
	code, hdr, body := httpDo(t, "GET", s.URL()+"/_sim/state", "")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /_sim/state: %d %s", code, hdr.Get("Content-Type"))
	}
	if !bytes.Equal(body, a) {
		t.Fatalf("/_sim/state differs from a fresh simulator with the same seed:\n%s", firstDiff(a, body))
	}
	var st struct {
		OpenAI   map[string]json.RawMessage `json:"openai"`
		GitHub   map[string]json.RawMessage `json:"github"`
		Scenario ScenarioInfo               `json:"scenario"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if st.OpenAI["keys"] == nil || st.GitHub["secrets"] == nil || st.Scenario.LeakedKeyID == "" {
		t.Errorf("state lacks openai.keys, github.secrets or scenario.leaked_key_id")
	}
}

// firstDiff shows where two documents start to differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return "A: …" + string(a[lo:min(len(a), i+200)]) + "\nB: …" + string(b[lo:min(len(b), i+200)])
}

func TestScenarioWorld(t *testing.T) {
	s := start(t, Options{Seed: 3, Repos: 4})
	info := s.Scenario()
	st := s.GitHub().Snapshot()
	leaked := s.LeakedKeyValue()
	if !strings.HasPrefix(leaked, "sk-proj-") || info.LeakedKeyOwner != "user" {
		t.Fatalf("leaked key %q owner %q, want a user-owned sk-proj- key", leaked[:min(8, len(leaked))], info.LeakedKeyOwner)
	}
	if len(info.Repos) != 4 || info.Alert != info.AlertRepo+"#1" || info.ReadOnlyToken == "" {
		t.Errorf("scenario info: %+v", info)
	}
	// Every target of the inventory holds the leaked key, and nothing else
	// holding it is missing from the inventory.
	holders := map[string]bool{}
	for _, sec := range st.Secrets {
		if sec.Value != leaked {
			continue
		}
		switch sec.Level {
		case "repo":
			holders["actions "+sec.Owner+"/"+sec.Repo] = true
		case "environment":
			holders["env "+sec.Owner+"/"+sec.Repo+" "+sec.Environment] = true
		case "org":
			holders["org "+sec.Org] = true
		case "dependabot":
			holders["dependabot "+sec.Owner+"/"+sec.Repo] = true
		}
	}
	want := map[string]bool{"org acme": true, "env " + info.EnvironmentRepo + " production": true, "dependabot " + info.DependabotRepo: true}
	for _, r := range info.Repos {
		want["actions "+r] = true
	}
	if len(holders) != len(want) {
		t.Errorf("secrets holding the leaked key: %v, want %v", holders, want)
	}
	for k := range want {
		if !holders[k] {
			t.Errorf("no secret %s holds the leaked key", k)
		}
	}

	// The alert's locations predate it; usage spiked after the leak.
	alertAt, _ := time.Parse(time.RFC3339, info.AlertCreatedAt)
	leakedAt, _ := time.Parse(time.RFC3339, info.LeakedAt)
	if !leakedAt.Before(alertAt) || !alertAt.Before(fixedNow) {
		t.Errorf("leak %s, alert %s, now %s: want leak < alert < now", leakedAt, alertAt, fixedNow)
	}
	var before, after int64
	for _, u := range s.OpenAI().Snapshot().Usage {
		if u.APIKeyID != info.LeakedKeyID {
			continue
		}
		if u.Model == "gpt-4o" {
			after += u.Requests
		} else {
			before += u.Requests
		}
	}
	if after == 0 || before == 0 {
		t.Errorf("leaked key usage: %d requests before the leak's model switch, %d after; want both", before, after)
	}

	// The inventory is valid YAML in the PRODUCT.md §5 shape.
	path := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := s.WriteInventory(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inv struct {
		Credentials []struct {
			Name     string                      `yaml:"name"`
			Provider string                      `yaml:"provider"`
			Project  string                      `yaml:"project"`
			KeyID    string                      `yaml:"key_id"`
			Targets  []map[string]map[string]any `yaml:"targets"`
		} `yaml:"credentials"`
	}
	if err := yaml.Unmarshal(raw, &inv); err != nil {
		t.Fatalf("inventory is not valid YAML: %v\n%s", err, raw)
	}
	if len(inv.Credentials) != 1 {
		t.Fatalf("inventory has %d credentials, want 1:\n%s", len(inv.Credentials), raw)
	}
	c := inv.Credentials[0]
	if c.Provider != "openai" || c.Project != info.ProjectID || c.KeyID != info.LeakedKeyID {
		t.Errorf("credential %+v does not name the leaked key", c)
	}
	kinds := map[string]int{}
	for _, tg := range c.Targets {
		for k := range tg {
			kinds[k]++
		}
	}
	// 4 repos + environment + org = 6 github-actions targets.
	if kinds["github-actions"] != 6 || kinds["github-dependabot"] != 1 || kinds["github-workflow"] != 1 {
		t.Errorf("inventory targets by kind: %v\n%s", kinds, raw)
	}
	if strings.Contains(string(raw), leaked) {
		t.Error("the inventory contains the leaked key's value")
	}
	// respond's own inventory parser accepts it.
	parsed, diags := inventory.Parse(path, raw)
	if len(diags) > 0 || parsed == nil {
		t.Fatalf("inventory.Parse: %v\n%s", diags, raw)
	}
	if n := parsed.TargetCount(); n != 4+4 {
		t.Errorf("inventory.Parse counted %d targets, want 8", n)
	}
	if _, err := parsed.Match(info.ProjectID, info.LeakedKeyID, info.LeakedKeyName); err != nil {
		t.Errorf("inventory does not match the leaked key: %v", err)
	}
}

func TestScenarios(t *testing.T) {
	if got := ListScenarios(); len(got) < 3 || got[0].Name != DefaultScenario {
		t.Fatalf("ListScenarios() = %v", got)
	}
	if _, err := Start(t.Context(), Options{Scenario: "nope"}); err == nil || !strings.Contains(err.Error(), "leaked-key") {
		t.Errorf("unknown scenario: got %v, want an error listing the scenarios", err)
	}
	if _, err := Start(t.Context(), Options{Repos: -1}); err == nil {
		t.Error("negative repository count accepted")
	}

	modelsStatus := func(s *Sim) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/v1/models", nil)
		req.Header.Set("Authorization", "Bearer "+s.LeakedKeyValue())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	live := start(t, Options{Scenario: "leaked-key"})
	if code, body := modelsStatus(live); code != http.StatusOK {
		t.Errorf("leaked-key: /v1/models with the leaked key: %d %s", code, body)
	}

	disabled := start(t, Options{Scenario: "provider-disabled"})
	code, body := modelsStatus(disabled)
	if code != http.StatusUnauthorized || !strings.Contains(body, `"invalid_api_key"`) {
		t.Errorf("provider-disabled: /v1/models with the leaked key: %d %s", code, body)
	}
	if strings.Contains(body, disabled.LeakedKeyValue()) {
		t.Error("the 401 body echoes the whole key")
	}
	if disabled.Scenario().ProviderRevokedAt == "" {
		t.Error("provider-disabled: ProviderRevokedAt is empty")
	}

	sa := start(t, Options{Scenario: "service-account-leak"})
	info := sa.Scenario()
	if !strings.HasPrefix(sa.LeakedKeyValue(), "sk-svcacct-") || info.LeakedKeyOwner != "service_account" || info.ServiceAccountID == "" {
		t.Errorf("service-account-leak: owner %q, service account %q", info.LeakedKeyOwner, info.ServiceAccountID)
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Options{})
	token := s.Env()["GITHUB_TOKEN"]
	gh, _ := ghClient(t, s, "/api/v3/", token)
	ctx := t.Context()

	code, _, body := httpDo(t, "POST", s.URL()+"/_sim/faults", `{"method":"PUT","path":"/repos/*/*/actions/secrets/*","status":500,"count":2}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /_sim/faults: %d %s", code, body)
	}
	var f Fault
	if err := json.Unmarshal(body, &f); err != nil || f.ID == 0 {
		t.Fatalf("fault response %s: %v", body, err)
	}

	put := func() (*github.Response, error) {
		pk, _, err := gh.Actions.GetRepoPublicKey(ctx, "acme", "api")
		if err != nil {
			t.Fatalf("public key: %v", err)
		}
		return gh.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{
			Name: "OPENAI_API_KEY", KeyID: pk.GetKeyID(), EncryptedValue: "c2VjcmV0",
		})
	}
	for i := range 2 {
		resp, err := put()
		if err == nil || resp == nil || resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("PUT %d under the fault: resp %v, err %v; want 500", i+1, resp, err)
		}
	}
	// The fault is used up; the request reaches the simulator (which
	// rejects the bogus ciphertext or accepts it; either way not 500).
	if resp, _ := put(); resp == nil || resp.StatusCode == http.StatusInternalServerError {
		t.Fatalf("third PUT still failed with the fault: %v", resp)
	}
	code, _, body = httpDo(t, "GET", s.URL()+"/_sim/faults", "")
	if code != http.StatusOK || !strings.Contains(string(body), `"fired": 2`) {
		t.Errorf("GET /_sim/faults: %d %s", code, body)
	}

	// Secondary rate limit: what go-github recognises as an abuse limit.
	if _, err := s.AddFault(Fault{Path: "/repos/**", RateLimit: RateLimitSecondary, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, _, err := gh.Repositories.Get(ctx, "acme", "web")
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.RetryAfter == nil || *abuse.RetryAfter != time.Second {
		t.Fatalf("secondary fault: got %T %v, want *github.AbuseRateLimitError with RetryAfter 1s", err, err)
	}
	// go-github now refuses calls locally until retry-after; use a fresh
	// client for the next check.
	gh2, _ := ghClient(t, s, "/", token)
	if _, err := s.AddFault(Fault{Method: "GET", Path: "/repos/acme/worker", RateLimit: RateLimitPrimary, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, _, err = gh2.Repositories.Get(ctx, "acme", "worker")
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Remaining != 0 {
		t.Fatalf("primary fault: got %T %v, want *github.RateLimitError with remaining 0", err, err)
	}

	// A 429 with retry-after, and OpenAI's 429 shape on /v1 paths.
	if _, err := s.AddFault(Fault{Path: "/repos/acme/billing", RateLimit: RateLimit429, Count: 1}); err != nil {
		t.Fatal(err)
	}
	code, hdr, body := httpDo(t, "GET", s.URL()+"/repos/acme/billing", "")
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" {
		t.Errorf("429 fault: %d retry-after %q %s", code, hdr.Get("Retry-After"), body)
	}
	if _, err := s.AddFault(Fault{Path: "/v1/organization/**", RateLimit: RateLimit429}); err != nil {
		t.Fatal(err)
	}
	oa, _ := oaClient(t, s)
	_, err = oa.Admin.Organization.Projects.List(ctx, openai.AdminOrganizationProjectListParams{})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Code != "rate_limit_exceeded" {
		t.Errorf("OpenAI 429 fault: %v", err)
	}

	// A delay-only fault slows the real response down.
	code, _, body = httpDo(t, "DELETE", s.URL()+"/_sim/faults", "")
	if code != http.StatusNoContent {
		t.Fatalf("DELETE /_sim/faults: %d %s", code, body)
	}
	if _, err := s.AddFault(Fault{Path: "/api/v3/user", Delay: Duration(60 * time.Millisecond), Count: 1}); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if _, _, err := gh2.Users.Get(ctx, ""); err != nil {
		t.Fatalf("GET /user with a delay fault: %v", err)
	}
	if d := time.Since(begin); d < 60*time.Millisecond {
		t.Errorf("delay fault: request took %s, want at least 60ms", d)
	}

	// Invalid faults are refused with a reason.
	for _, bad := range []string{`{"path":"repos"}`, `{"path":"/x"}`, `{"path":"/x","rate_limit":"tertiary"}`, `{"path":"/x","status":500,"delay":5}`, `{"path":"/x","status":500,"typo":1}`} {
		code, _, body := httpDo(t, "POST", s.URL()+"/_sim/faults", bad)
		if code != http.StatusBadRequest || !strings.Contains(string(body), `"message"`) {
			t.Errorf("POST /_sim/faults %s: %d %s", bad, code, body)
		}
	}
}

func TestRequestLog(t *testing.T) {
	s := start(t, Options{})
	gh, _ := ghClient(t, s, "/api/v3/", s.Env()["GITHUB_TOKEN"])
	ctx := t.Context()
	if _, _, err := gh.Repositories.Get(ctx, "acme", "api"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Repositories.Get(ctx, "acme", "nope"); err == nil {
		t.Fatal("GET of a missing repository succeeded")
	}
	httpDo(t, "GET", s.URL()+"/v1/models?limit=2", "") // no key: 401

	code, _, body := httpDo(t, "GET", s.URL()+"/_sim/requests", "")
	if code != http.StatusOK {
		t.Fatalf("GET /_sim/requests: %d %s", code, body)
	}
	var got struct {
		Requests []RequestRecord `json:"requests"`
		LastSeq  int64           `json:"last_seq"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := []RequestRecord{
		{Seq: 1, API: APIGitHub, Method: "GET", Path: "/api/v3/repos/acme/api", Status: 200},
		{Seq: 2, API: APIGitHub, Method: "GET", Path: "/api/v3/repos/acme/nope", Status: 404},
		{Seq: 3, API: APIOpenAI, Method: "GET", Path: "/v1/models?limit=2", Status: 401},
	}
	if len(got.Requests) != len(want) || got.LastSeq != 3 {
		t.Fatalf("request log: %+v (last_seq %d), want %d entries", got.Requests, got.LastSeq, len(want))
	}
	for i, w := range want {
		g := got.Requests[i]
		if g.Seq != w.Seq || g.API != w.API || g.Method != w.Method || g.Path != w.Path || g.Status != w.Status {
			t.Errorf("entry %d: %+v, want %+v", i, g, w)
		}
		if g.Start != fixedNow.Format(time.RFC3339Nano) || g.DurationMS < 0 {
			t.Errorf("entry %d: start %q duration %v", i, g.Start, g.DurationMS)
		}
	}
	if rs := s.Requests(2); len(rs) != 1 || rs[0].Seq != 3 {
		t.Errorf("Requests(2) = %+v, want only seq 3", rs)
	}
	code, _, body = httpDo(t, "GET", s.URL()+"/_sim/requests?since=3", "")
	if code != http.StatusOK || !strings.Contains(string(body), `"requests": []`) {
		t.Errorf("?since=3: %d %s", code, body)
	}
	if code, _, _ := httpDo(t, "GET", s.URL()+"/_sim/requests?since=x", ""); code != http.StatusBadRequest {
		t.Errorf("?since=x: %d, want 400", code)
	}
	// Control API calls are not logged.
	if rs := s.Requests(0); len(rs) != 3 {
		t.Errorf("the log has %d entries after control calls, want 3", len(rs))
	}
}

func TestLatency(t *testing.T) {
	const latency = 80 * time.Millisecond
	s := start(t, Options{Latency: latency})
	gh, _ := ghClient(t, s, "/", s.Env()["GITHUB_TOKEN"])
	oa, _ := oaClient(t, s)
	ctx := t.Context()

	begin := time.Now()
	if _, _, err := gh.Repositories.Get(ctx, "acme", "api"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d < latency {
		t.Errorf("GitHub request took %s, want at least %s", d, latency)
	}
	begin = time.Now()
	if _, err := oa.Admin.Organization.Projects.List(ctx, openai.AdminOrganizationProjectListParams{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d < latency {
		t.Errorf("OpenAI request took %s, want at least %s", d, latency)
	}
	// The request log shows the latency.
	for _, r := range s.Requests(0) {
		if r.DurationMS < float64(latency.Milliseconds()) {
			t.Errorf("logged %s %s took %.1fms, want at least %s", r.Method, r.Path, r.DurationMS, latency)
		}
	}
}

func TestReset(t *testing.T) {
	s := start(t, Options{Seed: 9})
	initial, err := s.StateJSON()
	if err != nil {
		t.Fatal(err)
	}
	info := s.Scenario()
	oa, _ := oaClient(t, s)
	ctx := t.Context()
	if _, err := oa.Admin.Organization.Projects.APIKeys.Delete(ctx, info.ProjectID, info.LeakedKeyID); err != nil {
		t.Fatalf("delete the leaked key: %v", err)
	}
	if _, err := s.AddFault(Fault{Path: "/**", Status: 503}); err != nil {
		t.Fatal(err)
	}
	changed, _ := s.StateJSON()
	if bytes.Equal(initial, changed) {
		t.Fatal("deleting the leaked key did not change the state")
	}

	code, _, body := httpDo(t, "POST", s.URL()+"/_sim/reset", "")
	if code != http.StatusOK || !strings.Contains(string(body), info.LeakedKeyID) {
		t.Fatalf("POST /_sim/reset: %d %s", code, body)
	}
	after, _ := s.StateJSON()
	if !bytes.Equal(initial, after) {
		t.Fatalf("reset did not restore the world:\n%s", firstDiff(initial, after))
	}
	if n := len(s.Faults()); n != 0 {
		t.Errorf("%d faults left after reset", n)
	}
	if n := len(s.Requests(0)); n != 0 {
		t.Errorf("%d requests left in the log after reset", n)
	}
	// The world works again and sequence numbers continue.
	code, _, body = httpDo(t, "GET", s.URL()+"/v1/models", "")
	if code != http.StatusUnauthorized {
		t.Errorf("GET /v1/models without a key after reset: %d %s", code, body)
	}
	if rs := s.Requests(0); len(rs) != 1 || rs[0].Seq != 2 {
		t.Errorf("log after reset: %+v, want one entry with seq 2", rs)
	}
}

func TestTLS(t *testing.T) {
	s := start(t, Options{TLSSelfSigned: true})
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL() = %s, want https on loopback", s.URL())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertPEM()) {
		t.Fatal("CACertPEM is not a PEM certificate")
	}
	base := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(base.CloseIdleConnections)
	hc, _ := checked(t, spec.GitHub, base)
	gh, err := github.NewClient(hc).WithAuthToken(s.Env()["GITHUB_TOKEN"]).WithEnterpriseURLs(s.URL()+"/api/v3/", s.URL()+"/api/uploads/")
	if err != nil {
		t.Fatal(err)
	}
	repo, _, err := gh.Repositories.Get(t.Context(), "acme", "api")
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	if !strings.HasPrefix(repo.GetURL(), "https://") {
		t.Errorf("repository url %q is not https", repo.GetURL())
	}
	// A client that does not trust the certificate fails.
	if _, err := http.Get(s.URL() + "/_sim/state"); err == nil {
		t.Error("an untrusting client connected")
	}

	// Certificate files given on the command line work the same way.
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := WriteSelfSignedCert(cert, key); err != nil {
		t.Fatal(err)
	}
	s2 := start(t, Options{TLSCert: cert, TLSKey: key})
	pem, _ := os.ReadFile(cert)
	pool2 := x509.NewCertPool()
	pool2.AppendCertsFromPEM(pem)
	c2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool2}}}
	resp, err := c2.Get(s2.URL() + "/_sim/scenario")
	if err != nil {
		t.Fatalf("GET over TLS with files: %v", err)
	}
	resp.Body.Close()
	if _, err := Start(t.Context(), Options{TLSCert: cert}); err == nil {
		t.Error("a certificate without a key was accepted")
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Options{Seed: 5, Now: fixedClock}, &out) }()

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("Serve printed no settings: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	text := out.String()
	env := map[string]string{}
	var inventory string
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
			env[k] = v
		}
		if p, ok := strings.CutPrefix(line, "# inventory: "); ok {
			inventory = p
		}
	}
	for _, k := range []string{"OPENAI_BASE_URL", "OPENAI_ADMIN_KEY", "GITHUB_API_URL", "GITHUB_TOKEN"} {
		if env[k] == "" {
			t.Errorf("Serve did not export %s:\n%s", k, text)
		}
	}
	if !strings.HasSuffix(env["OPENAI_BASE_URL"], "/v1") || !strings.HasSuffix(env["GITHUB_API_URL"], "/api/v3") {
		t.Errorf("base URLs: %s %s", env["OPENAI_BASE_URL"], env["GITHUB_API_URL"])
	}
	if _, err := os.Stat(inventory); err != nil {
		t.Errorf("inventory %q: %v", inventory, err)
	}
	if !strings.Contains(text, "# gh: GH_HOST=github.localhost GH_TOKEN=$GITHUB_TOKEN HTTP_PROXY=http://127.0.0.1:") {
		t.Errorf("Serve printed no gh settings:\n%s", text)
	}
	// The exported settings work.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", env["GITHUB_API_URL"]+"/user", nil)
	req.Header.Set("Authorization", "token "+env["GITHUB_TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /user with the exported token: %d", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancellation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancellation")
	}
	if _, err := os.Stat(inventory); !os.IsNotExist(err) {
		t.Errorf("temporary inventory %s left behind (%v)", inventory, err)
	}
}

func TestPathMatches(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/repos/*/actions/secrets/*", "/repos/acme/actions/secrets/X", true},
		{"/repos/*/*/actions/secrets/*", "/api/v3/repos/acme/api/actions/secrets/OPENAI_API_KEY", true},
		{"/api/v3/repos/*/*/actions/secrets/*", "/repos/acme/api/actions/secrets/OPENAI_API_KEY", true},
		{"/repos/*/*/actions/secrets/*", "/repos/acme/api/actions/secrets", false},
		{"/repos/*/*/actions/secrets/*", "/repos/acme/api/actions/secrets/public-key/x", false},
		{"/repos/**", "/repos/acme/api/environments/production/secrets/X", true},
		{"/repos/**/secrets/OPENAI_*", "/repos/acme/api/environments/production/secrets/OPENAI_API_KEY", true},
		{"/repos/**/secrets/OPENAI_*", "/repos/acme/api/environments/production/secrets/SENTRY_DSN", false},
		{"/**", "/v1/models", true},
		{"/v1/organization/projects/*/api_keys/*", "/v1/organization/projects/proj_1/api_keys/key_1", true},
		{"/v1/organization/projects/*/api_keys/*", "/organization/projects/proj_1/api_keys/key_1", false},
		{"/user", "/api/v3/user", true},
	}
	for _, tt := range tests {
		if got := pathMatches(tt.pattern, tt.path); got != tt.want {
			t.Errorf("pathMatches(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

// The scenario's deploy workflow can be dispatched on main and runs in the
// production environment for Options.RunDuration; its ci workflow cannot
// be dispatched. POST /_sim/workflows changes a workflow's runs.
func TestWorkflowControl(t *testing.T) {
	s := start(t, Options{Seed: 4})
	info := s.Scenario()
	c, _ := ghClient(t, s, "/", s.Env()["GITHUB_TOKEN"])
	owner, repo, _ := strings.Cut(info.WorkflowRepo, "/")

	code, _, body := httpDo(t, "GET", s.URL()+"/_sim/workflows", "")
	var list struct {
		Workflows []WorkflowInfo `json:"workflows"`
	}
	if err := json.Unmarshal(body, &list); code != 200 || err != nil || len(list.Workflows) != 2 {
		t.Fatalf("GET /_sim/workflows: %d %s", code, body)
	}
	for _, wf := range list.Workflows {
		switch wf.File {
		case info.Workflow:
			if !wf.WorkflowDispatch || wf.RunDuration != "2s" || wf.Conclusion != "success" || wf.Environment != "production" || wf.Repo != info.WorkflowRepo {
				t.Errorf("deploy workflow: %+v", wf)
			}
		case "ci.yml":
			if wf.WorkflowDispatch {
				t.Errorf("ci.yml declares workflow_dispatch: %+v", wf)
			}
		}
	}
	_, err := c.Actions.CreateWorkflowDispatchEventByFileName(t.Context(), owner, repo, "ci.yml", github.CreateWorkflowDispatchEventRequest{Ref: "main"})
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 422 || er.Message != "Workflow does not have 'workflow_dispatch' trigger" {
		t.Errorf("dispatching ci.yml: %v", err)
	}

	code, _, body = httpDo(t, "POST", s.URL()+"/_sim/workflows",
		`{"repo":"`+info.WorkflowRepo+`","workflow":"`+info.Workflow+`","run_duration":"0s","conclusion":"failure"}`)
	if code != 200 || !strings.Contains(string(body), `"conclusion": "failure"`) || !strings.Contains(string(body), `"run_duration": "0s"`) {
		t.Fatalf("POST /_sim/workflows: %d %s", code, body)
	}
	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(t.Context(), owner, repo, info.Workflow,
		github.CreateWorkflowDispatchEventRequest{Ref: info.WorkflowRef}); err != nil {
		t.Fatal(err)
	}
	runs := s.GitHub().Runs()
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" || runs[0].Inputs["reason"] != "redeploy" {
		t.Fatalf("runs: %+v", runs)
	}
	// The run saw the leaked key (the production environment's secret).
	if v, _ := runs[0].Secret(info.SecretName); v != s.LeakedKeyValue() {
		t.Error("the run did not see the environment's secret")
	}
	state, err := s.StateJSON()
	if err != nil || !bytes.Contains(state, []byte(`"runs": [`)) || !bytes.Contains(state, []byte(`"fingerprint": "sha256:`)) {
		t.Errorf("state lacks the run: %v", err)
	}

	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"repo":"acme/nope","workflow":"deploy.yml","conclusion":"failure"}`, 404},
		{`{"repo":"` + info.WorkflowRepo + `","workflow":"nope.yml"}`, 404},
		{`{"repo":"` + info.WorkflowRepo + `","workflow":"deploy.yml","conclusion":"meh"}`, 400},
		{`{"repo":"` + info.WorkflowRepo + `","workflow":"deploy.yml","run_duration":"soon"}`, 400},
		{`{"repo":"` + info.WorkflowRepo + `","workflow":"deploy.yml","colour":"red"}`, 400},
		{`{"workflow":"deploy.yml"}`, 400},
	} {
		if code, _, body := httpDo(t, "POST", s.URL()+"/_sim/workflows", tc.body); code != tc.code || !strings.Contains(string(body), `"message"`) {
			t.Errorf("%s: %d %s, want %d", tc.body, code, body, tc.code)
		}
	}
	if code, _, _ := httpDo(t, "DELETE", s.URL()+"/_sim/workflows", ""); code != 405 {
		t.Errorf("DELETE /_sim/workflows: %d", code)
	}
}

// TestNames: POST /_sim/names renames the leak's project, key and owner and
// sets the alert's location path, and the APIs answer with them.
func TestNames(t *testing.T) {
	s := start(t, Options{Seed: 3})
	info := s.Scenario()
	hostile := "x\u001b]0;t\u0007 <img src=x>"
	body := `{"project_name":"P ` + "\\u001b]0;t\\u0007 <img src=x>" + `","key_name":"K","owner_name":"O","alert_path":"a/` + "\\u001b[2J" + `b.py"}`
	code, _, resp := httpDo(t, "POST", s.URL()+"/_sim/names", body)
	if code != http.StatusOK {
		t.Fatalf("POST /_sim/names: %d %s", code, resp)
	}
	st := s.OpenAI().Snapshot()
	var project, key, owner string
	for _, p := range st.Projects {
		if p.ID == info.ProjectID {
			project = p.Name
		}
	}
	for _, k := range st.Keys {
		if k.ID == info.LeakedKeyID {
			key, owner = k.Name, k.OwnerID
		}
	}
	if project != "P "+hostile[1:] || key != "K" || owner == "" {
		t.Errorf("project %q, key %q (owner %s)", project, key, owner)
	}
	found := false
	for _, a := range s.GitHub().Snapshot().Alerts {
		for _, l := range a.Locations {
			if l.Path == "a/\u001b[2Jb.py" {
				found = true
			}
		}
	}
	if !found {
		t.Error("the alert's location path was not set")
	}
	if code, _, _ := httpDo(t, "POST", s.URL()+"/_sim/names", `{"nope":1}`); code != http.StatusBadRequest {
		t.Errorf("unknown field: %d, want 400", code)
	}
}
