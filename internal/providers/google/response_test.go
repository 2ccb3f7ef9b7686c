package google_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/cli"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/plugins"
	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// TestLeakedKeyResponse runs the whole `respond leaked-key --alert
// OWNER/REPO#N --yes` response to a leaked Google API key through cli.Run
// (the real command, playbook, engine, steps and clients) against the
// simulator, then checks the world: the leaked key is deleted, exactly one
// new key lives in its project with its display name and restrictions,
// every target holds it, the alert is resolved, the inventory names it,
// and no key's value reached the output. It counts the requests the
// response made to Google, by the simulator's request log: the figure the
// provider's docs give.
func TestLeakedKeyResponse(t *testing.T) {
	t.Parallel()
	s, err := sim.Start(t.Context(), sim.Options{Seed: 1, Services: plugins.Fakes()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	fake := s.Service("google").(*googlesim.Server)
	info := s.Scenario()
	leaked, err := fake.IssueKey(simapi.IssueRequest{Scope: "gemini-prod", Name: "Gemini backend", Created: time.Now().Add(-90 * 24 * time.Hour),
		Attrs: map[string]string{"api_targets": "generativelanguage.googleapis.com", "ips": "127.0.0.0/8,10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	alert, err := s.LeakKey(sim.LeakRequest{Secret: leaked.Value, SecretType: googlesim.SecretType})
	if err != nil {
		t.Fatal(err)
	}
	repo := info.Repos[0]
	owner, name, _ := strings.Cut(repo, "/")
	if err := s.GitHub().SetRepoSecret(owner, name, "GEMINI_API_KEY", leaked.Value, time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	envFile := filepath.Join(dir, "app.env")
	if err := os.WriteFile(envFile, []byte("MODE=prod\nGEMINI_API_KEY="+leaked.Value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "respond.yaml")
	if err := os.WriteFile(inv, []byte(fmt.Sprintf(`credentials:
  - name: gemini-prod
    provider: google
    key_id: %s
    targets:
      - github-actions: {repo: %s, secret: GEMINI_API_KEY}
      - dotenv: {path: app.env, var: GEMINI_API_KEY}
`, leaked.ID, repo)), 0o600); err != nil {
		t.Fatal(err)
	}
	var since int64
	if before := s.Requests(0); len(before) > 0 {
		since = before[len(before)-1].Seq
	}

	ios, _, out, errOut := iostreams.Test()
	f := cli.NewFactory(ios)
	env := s.Env()
	f.UseEnv(func(k string) string { return env[k] })
	args := []string{"leaked-key", "--alert", alert.Alert, "--yes", "--inventory", inv, "--state-dir", filepath.Join(dir, "state")}
	code := cli.Run(context.Background(), f, args)
	if code != cli.ExitOK {
		t.Fatalf("respond %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}

	// The world: the leaked key is deleted (and Google refuses it).
	if _, live, _ := fake.KeyStatus(leaked.Value, time.Now()); live {
		t.Fatalf("the leaked key still works")
	}
	var world struct {
		Keys []struct {
			Name         string          `json:"name"`
			Project      string          `json:"project"`
			DisplayName  string          `json:"displayName"`
			Restrictions json.RawMessage `json:"restrictions"`
			State        string          `json:"state"`
			KeyString    string          `json:"keyString"`
		} `json:"keys"`
	}
	b, _ := json.Marshal(fake.Snapshot())
	if err := json.Unmarshal(b, &world); err != nil {
		t.Fatal(err)
	}
	var oldRestr json.RawMessage
	var made []string
	newValue, newName, newDisplay, newRestr := "", "", "", json.RawMessage(nil)
	for _, k := range world.Keys {
		switch {
		case k.Name == leaked.ID:
			oldRestr = k.Restrictions
			if k.State != "deleted" {
				t.Errorf("the leaked key is %s, want deleted (undeletable for 30 days)", k.State)
			}
		case k.State == "live":
			made = append(made, k.Name)
			newValue, newName, newDisplay, newRestr = k.KeyString, k.Name, k.DisplayName, k.Restrictions
			if k.Project != "gemini-prod" {
				t.Errorf("the replacement is in project %s", k.Project)
			}
		}
	}
	if len(made) != 1 {
		t.Fatalf("the world has %d new live keys (%v), want exactly one", len(made), made)
	}
	if string(newRestr) != string(oldRestr) || len(newRestr) == 0 {
		t.Errorf("the replacement's restrictions %s are not the leaked key's %s", newRestr, oldRestr)
	}
	if !strings.HasPrefix(newDisplay, "Gemini backend INC-") {
		t.Errorf("the replacement is named %q", newDisplay)
	}
	if _, live, _ := fake.KeyStatus(newValue, time.Now()); !live {
		t.Errorf("the replacement does not work")
	}
	// Every target holds it.
	if b, _ := os.ReadFile(envFile); string(b) != "MODE=prod\nGEMINI_API_KEY="+newValue+"\n" {
		t.Errorf("app.env holds:\n%s", b)
	}
	gh := s.GitHub().Snapshot()
	held := false
	for _, sec := range gh.Secrets {
		if sec.Level == "repo" && sec.Owner == owner && sec.Repo == name && sec.Name == "GEMINI_API_KEY" {
			held = sec.Value == newValue
		}
	}
	if !held {
		t.Errorf("the GitHub secret does not hold the replacement")
	}
	// The alert is resolved as revoked.
	for _, a := range gh.Alerts {
		if fmt.Sprintf("%s/%s#%d", a.Owner, a.Repo, a.Number) == alert.Alert &&
			(a.State != "resolved" || a.Resolution == nil || *a.Resolution != "revoked") {
			t.Errorf("alert %s is %s (%v), want resolved as revoked", alert.Alert, a.State, a.Resolution)
		}
	}
	// The inventory names the replacement.
	if b, _ := os.ReadFile(inv); !strings.Contains(string(b), "key_id: "+newName) {
		t.Errorf("the inventory does not name the replacement:\n%s", b)
	}
	// No key's value in what respond printed.
	for _, v := range []string{leaked.Value, newValue} {
		if strings.Contains(out.String()+errOut.String(), v[4:30]) {
			t.Errorf("respond's output holds a key's value")
		}
	}

	// What the response asked of Google, from the simulator's log.
	byCall := map[string]int{}
	total, inURL := 0, 0
	for _, r := range s.Requests(since) {
		if r.API != "google" {
			continue
		}
		total++
		path, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/google"), "?")
		switch {
		case strings.HasPrefix(path, "/v2/operations/"):
			path = "/v2/operations/…"
		case strings.HasPrefix(path, "/v2/projects/") && strings.Count(path, "/") == 6:
			path = "/v2/projects/…/keys"
		case strings.HasPrefix(path, "/v2/projects/"):
			path = "/v2/projects/…/keys/…"
		}
		byCall[r.Method+" "+path]++
		for _, v := range []string{leaked.Value, newValue} {
			if strings.Contains(r.Path, v) {
				inURL++
				// Only lookupKey takes a key in its URL (the API has no
				// other form); the checks send it in a header.
				if r.Method != "GET" || path != "/v2/keys:lookupKey" {
					t.Errorf("%s %s carries a key in its URL", r.Method, path)
				}
			}
			// The fake's redaction, which the request log is to apply,
			// leaves no key.
			if strings.Contains(googlesim.RedactURI(r.Path), v) {
				t.Errorf("a key survives the fake's redaction of %s %s", r.Method, path)
			}
		}
	}
	calls := make([]string, 0, len(byCall))
	for c, n := range byCall {
		calls = append(calls, fmt.Sprintf("%d× %s", n, c))
	}
	sort.Strings(calls)
	t.Logf("requests to Google in one leaked-key response: %d (%s); %d carry a key in their URL (lookupKey)", total, strings.Join(calls, ", "), inURL)
	// A bound that a regression (a poll loop, a retried create, a list per
	// check) would break; the figure itself is in docs/providers/google.md.
	if total > 25 {
		t.Errorf("%d requests to Google for one response, want at most 25", total)
	}
	if byCall["POST /v2/projects/…/keys"] != 1 {
		t.Errorf("%d creates, want 1", byCall["POST /v2/projects/…/keys"])
	}
}
