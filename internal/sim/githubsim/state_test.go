package githubsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

func TestWorkflowDispatch(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, true)
	ctx := context.Background()
	if err := sim.AddBranch("acme", "api", "release"); err != nil {
		t.Fatal(err)
	}

	clk.Add(5 * time.Minute)
	resp, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml",
		github.CreateWorkflowDispatchEventRequest{Ref: "main", Inputs: map[string]interface{}{"reason": "rotate", "n": 2}})
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("dispatch by file: %v %v", resp, err)
	}
	if _, err := c.Actions.CreateWorkflowDispatchEventByID(ctx, "acme", "api", 7001,
		github.CreateWorkflowDispatchEventRequest{Ref: "release"}); err != nil {
		t.Fatalf("dispatch by id: %v", err)
	}
	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "nope.yml",
		github.CreateWorkflowDispatchEventRequest{Ref: "main"}); errStatus(err) != 404 {
		t.Fatalf("unknown workflow: %v, want 404", err)
	}
	if _, err := doRaw(t, c, "POST", "repos/acme/api/actions/workflows/deploy.yml/dispatches",
		map[string]any{"inputs": map[string]any{}}, nil); errStatus(err) != 422 || errMessage(err) != "Invalid request.\n\n\"ref\" wasn't supplied." {
		t.Fatalf("missing ref: %v, want 422", err)
	}
	var wfs struct {
		TotalCount int `json:"total_count"`
		Workflows  []struct {
			ID   int64  `json:"id"`
			Path string `json:"path"`
			URL  string `json:"url"`
		} `json:"workflows"`
	}
	if _, err := doRaw(t, c, "GET", "repos/acme/api/actions/workflows", nil, &wfs); err != nil {
		t.Fatal(err)
	}
	if wfs.TotalCount != 1 || wfs.Workflows[0].Path != ".github/workflows/deploy.yml" ||
		wfs.Workflows[0].URL != srv.URL+"/api/v3/repos/acme/api/actions/workflows/7001" {
		t.Fatalf("workflows: %+v", wfs)
	}

	d := sim.Snapshot().Dispatches
	if len(d) != 2 || d[0].Ref != "main" || d[0].Workflow != "deploy.yml" || d[0].At != "2025-03-01T12:05:00Z" ||
		d[0].Inputs["reason"] != "rotate" || d[0].Actor != "alice" || d[1].Ref != "release" || d[1].WorkflowID != 7001 {
		t.Fatalf("dispatches: %+v", d)
	}
	// The missing-ref request is invalid against the description on
	// purpose.
	assertConformant(t, ct, deliberatelyInvalidRequest)
}

// world seeds a simulator from a seed byte, applies the same requests, and
// returns its snapshot as JSON.
func worldJSON(t *testing.T, seedByte byte) []byte {
	t.Helper()
	clk := &clock{t: t0}
	sim := githubsim.New(githubsim.Options{Now: clk.Now, Rand: seededRand(seedByte)})
	seed(t, sim)
	if err := sim.SetOrgSecret("acme", "SHARED", "s", "selected", []int64{webRepoID, apiRepoID}, t0); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetOrgDependabotSecret("acme", "NPM", "n", "all", nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetEnvSecret("acme", "api", "production", "DB", "d", t0); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetDependabotSecret("acme", "web", "TOK", "t", t0); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, _ := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	pk, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "web")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if _, err := c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "web", &github.EncryptedSecret{
		Name: "OPENAI_API_KEY", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "sk-new")}); err != nil {
		t.Fatal(err)
	}
	if _, err := patchAlert(t, c, 1, map[string]any{"state": "resolved", "resolution": "revoked", "resolution_comment": "done"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml",
		github.CreateWorkflowDispatchEventRequest{Ref: "main", Inputs: map[string]interface{}{"n": 1, "reason": "x"}}); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sim.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSnapshotIsDeterministic(t *testing.T) {
	a, b := worldJSON(t, 7), worldJSON(t, 7)
	if !bytes.Equal(a, b) {
		t.Fatalf("same seed, different snapshots:\n%s\n%s", a, b)
	}
	if other := worldJSON(t, 8); bytes.Equal(a, other) {
		t.Fatal("different seeds gave identical key IDs")
	}
	var st githubsim.State
	if err := json.Unmarshal(a, &st); err != nil {
		t.Fatal(err)
	}
	// Spot-check order and content.
	if len(st.Orgs) != 1 || len(st.Repos) != 4 || st.Repos[0].Name != "api" || st.Repos[3].Owner != "alice" {
		t.Fatalf("repos: %+v", st.Repos)
	}
	levels := []string{}
	for _, s := range st.Secrets {
		levels = append(levels, s.Level+":"+s.Name)
	}
	want := []string{"org:SHARED", "dependabot:NPM", "repo:OPENAI_API_KEY", "environment:DB", "dependabot:TOK"}
	if len(levels) != len(want) {
		t.Fatalf("secrets %v, want %v", levels, want)
	}
	for i := range want {
		if levels[i] != want[i] {
			t.Fatalf("secrets %v, want %v", levels, want)
		}
	}
	if st.Secrets[0].SelectedRepositoryIDs[0] != apiRepoID || st.Secrets[2].Value != "sk-new" {
		t.Fatalf("secrets: %+v", st.Secrets)
	}
}

func TestResetEmptiesTheWorld(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	sim.Reset()
	st := sim.Snapshot()
	if len(st.Repos)+len(st.Orgs)+len(st.Tokens)+len(st.Users)+len(st.Alerts)+len(st.Secrets) != 0 {
		t.Fatalf("after Reset: %+v", st)
	}
	c, _ := newClient(t, srv, adminToken, false)
	if _, _, err := c.Users.Get(context.Background(), ""); errStatus(err) != http.StatusUnauthorized {
		t.Fatalf("token after Reset: %v, want 401", err)
	}
}

func TestSeedingErrors(t *testing.T) {
	sim := githubsim.New(githubsim.Options{Rand: seededRand(3)})
	if err := sim.AddEnvironment("acme", "api", "prod"); err == nil {
		t.Error("environment of an unknown repository accepted")
	}
	if n := sim.AddAlert("acme", "api", "openai_api_key", "x", t0, nil); n != 0 {
		t.Errorf("alert in an unknown repository: %d", n)
	}
	if err := sim.AddOrg("acme", 1); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddRepo("acme", "api", 10, false); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddRepo("acme", "other", 10, false); err == nil {
		t.Error("duplicate repository ID accepted")
	}
	if err := sim.SetOrgSecret("acme", "X", "v", "public", nil, t0); err == nil {
		t.Error("invalid visibility accepted")
	}
	if err := sim.SetOrgSecret("acme", "X", "v", "selected", []int64{99}, t0); err == nil {
		t.Error("unknown selected repository accepted")
	}
	if err := sim.SetRepoSecret("acme", "api", "GITHUB_X", "v", t0); err == nil {
		t.Error("reserved secret name accepted")
	}
}
