package githubsim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

func ptr[T any](v T) *T { return &v }

// A dispatch is refused as GitHub refuses it: 404 for an unknown workflow,
// 422 for a ref that does not exist, a workflow without a
// workflow_dispatch trigger, undeclared inputs and a missing required
// input.
func TestDispatchValidation(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "ci.yml", ID: 7002}))
	must(sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "release.yml", ID: 7003, Dispatch: true,
		Inputs: []githubsim.WorkflowInput{{Name: "version", Required: true}, {Name: "channel", Required: true, Default: "stable"}}}))
	must(sim.AddTag("acme", "api", "v1.2.0"))
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	dispatch := func(file, ref string, inputs map[string]any) error {
		_, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", file,
			github.CreateWorkflowDispatchEventRequest{Ref: ref, Inputs: inputs})
		return err
	}
	for _, tc := range []struct {
		name, file, ref string
		inputs          map[string]any
		status          int
		message         string
	}{
		{"unknown workflow", "nope.yml", "main", nil, 404, "Not Found"},
		{"unknown ref", "deploy.yml", "nope", nil, 422, "No ref found for: nope"},
		{"no trigger", "ci.yml", "main", nil, 422, "Workflow does not have 'workflow_dispatch' trigger"},
		{"undeclared inputs", "deploy.yml", "main", map[string]any{"zeta": "1", "alpha": "2", "reason": "x"}, 422, `Unexpected inputs provided: ["alpha", "zeta"]`},
		{"missing required", "release.yml", "main", nil, 422, "Required input 'version' not provided"},
		{"tag ref, default for a required input", "release.yml", "v1.2.0", map[string]any{"version": "1.2.0"}, 0, ""},
		{"full ref name", "deploy.yml", "refs/heads/main", nil, 0, ""},
	} {
		err := dispatch(tc.file, tc.ref, tc.inputs)
		if errStatus(err) != tc.status || errMessage(err) != tc.message {
			t.Errorf("%s: got %d %q (%v), want %d %q", tc.name, errStatus(err), errMessage(err), err, tc.status, tc.message)
		}
	}
	runs := sim.Runs()
	if len(runs) != 2 {
		t.Fatalf("runs: %+v", runs)
	}
	if r := runs[0]; r.Workflow != "release.yml" || r.HeadBranch != "v1.2.0" || r.Inputs["channel"] != "stable" || r.Inputs["version"] != "1.2.0" || r.Event != "workflow_dispatch" {
		t.Errorf("release run: %+v", r)
	}
	if r := runs[1]; r.Ref != "refs/heads/main" || r.HeadBranch != "main" || r.RunNumber != 1 {
		t.Errorf("deploy run: %+v", r)
	}
	// A read-only token cannot dispatch.
	ro, _ := newClient(t, srv, readToken, false)
	if _, err := ro.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml",
		github.CreateWorkflowDispatchEventRequest{Ref: "main"}); errStatus(err) != 403 {
		t.Errorf("read-only dispatch: %v", err)
	}
	assertConformant(t, ct)
}

// return_run_details: true answers 200 with the run's ID and URLs, which
// GET …/actions/runs/{id} then serves.
func TestDispatchReturnRunDetails(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, true)
	var details struct {
		WorkflowRunID int64  `json:"workflow_run_id"`
		RunURL        string `json:"run_url"`
		HTMLURL       string `json:"html_url"`
	}
	resp, err := doRaw(t, c, "POST", "repos/acme/api/actions/workflows/7001/dispatches",
		map[string]any{"ref": "main", "return_run_details": true}, &details)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("dispatch: %v %v", resp, err)
	}
	if details.WorkflowRunID == 0 || details.RunURL != srv.URL+"/api/v3/repos/acme/api/actions/runs/"+itoa(details.WorkflowRunID) ||
		details.HTMLURL != srv.URL+"/acme/api/actions/runs/"+itoa(details.WorkflowRunID) {
		t.Fatalf("details: %+v", details)
	}
	run, _, err := c.Actions.GetWorkflowRunByID(context.Background(), "acme", "api", details.WorkflowRunID)
	if err != nil || run.GetID() != details.WorkflowRunID || run.GetWorkflowID() != 7001 || run.GetHTMLURL() != details.HTMLURL {
		t.Fatalf("run: %+v %v", run, err)
	}
	if _, _, err := c.Actions.GetWorkflowRunByID(context.Background(), "acme", "api", 1); errStatus(err) != 404 {
		t.Errorf("unknown run: %v", err)
	}
	if _, _, err := c.Actions.GetWorkflowRunByID(context.Background(), "acme", "web", details.WorkflowRunID); errStatus(err) != 404 {
		t.Errorf("a run of another repository: %v", err)
	}
	assertConformant(t, ct)
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// A run goes queued → in_progress → completed with the workflow's
// conclusion, on the simulator's clock.
func TestRunLifecycle(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{})
	if _, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", githubsim.WorkflowConfig{
		RunDuration: ptr(10 * time.Second), Conclusion: ptr(githubsim.ConclusionFailure)}); err != nil {
		t.Fatal(err)
	}
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml",
		github.CreateWorkflowDispatchEventRequest{Ref: "main"}); err != nil {
		t.Fatal(err)
	}
	id := sim.Runs()[0].ID
	for _, step := range []struct {
		advance    time.Duration
		status     string
		conclusion string
	}{
		{0, "queued", ""},
		{999 * time.Millisecond, "queued", ""},
		{time.Millisecond, "in_progress", ""}, // queued for a quarter of the duration, at most 1s
		{8 * time.Second, "in_progress", ""},
		{time.Second, "completed", "failure"},
	} {
		clk.Add(step.advance)
		run, _, err := c.Actions.GetWorkflowRunByID(ctx, "acme", "api", id)
		if err != nil || run.GetStatus() != step.status || run.GetConclusion() != step.conclusion {
			t.Fatalf("after %s: %s/%s (%v), want %s/%s", clk.Now().Sub(t0), run.GetStatus(), run.GetConclusion(), err, step.status, step.conclusion)
		}
	}
	st, _ := sim.Run(id)
	if st.CreatedAt != "2025-03-01T12:00:00Z" || st.StartedAt != "2025-03-01T12:00:01Z" || st.CompletedAt != "2025-03-01T12:00:10Z" {
		t.Errorf("times: %+v", st)
	}
	// A workflow's settings apply to runs dispatched afterwards.
	if _, err := sim.ConfigureWorkflow("acme", "api", "7001", githubsim.WorkflowConfig{RunDuration: ptr(time.Duration(0)), Conclusion: ptr("success")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml",
		github.CreateWorkflowDispatchEventRequest{Ref: "main"}); err != nil {
		t.Fatal(err)
	}
	if r := sim.Runs(); r[0].Conclusion != "failure" || r[1].Status != "completed" || r[1].Conclusion != "success" || r[1].RunNumber != 2 {
		t.Errorf("runs: %+v", r)
	}
	for _, bad := range []githubsim.WorkflowConfig{{Conclusion: ptr("great")}, {RunDuration: ptr(-time.Second)},
		{Inputs: &[]githubsim.WorkflowInput{{Name: "1x"}}}, {Environment: ptr("nope")}} {
		if _, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", bad); err == nil {
			t.Errorf("ConfigureWorkflow accepted %+v", bad)
		}
	}
	if _, err := sim.ConfigureWorkflow("acme", "api", "nope.yml", githubsim.WorkflowConfig{}); err == nil || !strings.Contains(err.Error(), "deploy.yml") {
		t.Errorf("unknown workflow: %v", err)
	}
	assertConformant(t, ct)
}

// A run records the Actions secrets it could see when it started: a change
// before the start is picked up, one after is not. Organization secrets
// count when visible to the repository; environment secrets when the
// workflow runs in that environment; Dependabot secrets never.
func TestRunSecrets(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(sim.SetRepoSecret("acme", "api", "KEY", "v1", t0))
	must(sim.SetEnvSecret("acme", "api", "production", "KEY", "env-v1", t0))
	must(sim.SetOrgSecret("acme", "SHARED", "org-shared", "selected", []int64{apiRepoID}, t0))
	must(sim.SetOrgSecret("acme", "OTHER", "org-other", "selected", []int64{webRepoID}, t0))
	must(sim.SetOrgSecret("acme", "PRIV", "org-private", "private", nil, t0))
	must(sim.SetDependabotSecret("acme", "api", "KEY", "dependabot", t0))
	must(sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "prod.yml", ID: 7010, Dispatch: true,
		Environment: "production", RunDuration: 8 * time.Second}))
	_, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", githubsim.WorkflowConfig{RunDuration: ptr(8 * time.Second)})
	must(err)
	c, _ := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	dispatch := func(file string) int64 {
		t.Helper()
		must(doDispatch(c, file))
		r := sim.Runs()
		return r[len(r)-1].ID
	}
	early := dispatch("deploy.yml") // starts at t0+1s
	clk.Add(500 * time.Millisecond)
	must(sim.SetRepoSecret("acme", "api", "KEY", "v2", clk.Now())) // before it started
	clk.Add(time.Second)
	prod := dispatch("prod.yml") // starts at t0+2.5s
	if r, _ := sim.Run(early); r.Status != "in_progress" {
		t.Fatalf("early run: %+v", r)
	}
	clk.Add(2 * time.Second)
	// After both started, through the API: neither run sees v3.
	pk, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "api")
	must(err)
	_, err = c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{Name: "KEY", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "v3")})
	must(err)

	r, _ := sim.Run(early)
	if v, ok := r.Secret("KEY"); !ok || v != "v2" {
		t.Errorf("early run saw KEY=%q (%v), want v2", v, ok)
	}
	levels := map[string]string{}
	for _, s := range r.Secrets {
		levels[s.Level+":"+s.Name] = s.Value
		if !strings.HasPrefix(s.Fingerprint, "sha256:") {
			t.Errorf("fingerprint %q", s.Fingerprint)
		}
	}
	want := map[string]string{"org:SHARED": "org-shared", "org:PRIV": "org-private", "repo:KEY": "v2"}
	if len(levels) != len(want) {
		t.Errorf("early run saw %v, want %v", levels, want)
	}
	for k, v := range want {
		if levels[k] != v {
			t.Errorf("early run saw %s=%q, want %q (all: %v)", k, levels[k], v, levels)
		}
	}
	p, _ := sim.Run(prod)
	if v, _ := p.Secret("KEY"); v != "env-v1" {
		t.Errorf("a run in the production environment saw KEY=%q, want the environment's env-v1", v)
	}
	// A run dispatched after the write sees v3 once it starts, not before.
	late := dispatch("deploy.yml")
	if r, _ := sim.Run(late); len(r.Secrets) != 0 || r.Status != "queued" {
		t.Errorf("a queued run already has secrets: %+v", r)
	}
	clk.Add(time.Second)
	if r, _ := sim.Run(late); r.Status != "in_progress" {
		t.Errorf("late run: %+v", r)
	} else if v, _ := r.Secret("KEY"); v != "v3" {
		t.Errorf("late run saw KEY=%q, want v3", v)
	}
	// The snapshot shows the same.
	var found bool
	for _, rs := range sim.Snapshot().Runs {
		if rs.ID == early {
			found = true
			if v, _ := rs.Secret("KEY"); v != "v2" {
				t.Errorf("snapshot: early run KEY=%q", v)
			}
		}
	}
	if !found {
		t.Error("the snapshot lacks the run")
	}
}

func doDispatch(c *github.Client, file string) error {
	_, err := c.Actions.CreateWorkflowDispatchEventByFileName(context.Background(), "acme", "api", file,
		github.CreateWorkflowDispatchEventRequest{Ref: "main"})
	return err
}

// Run listings filter by event, branch, status and created, newest first,
// paginated with Link headers, per workflow or for the whole repository.
func TestListRuns(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{})
	if err := sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "other.yml", ID: 7020, Dispatch: true, RunDuration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddBranch("acme", "api", "release/2.0"); err != nil {
		t.Fatal(err)
	}
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	var ids []int64
	for i, ref := range []string{"main", "main", "release/2.0", "main", "main"} {
		file := "deploy.yml"
		if i == 3 {
			file = "other.yml"
		}
		if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", file,
			github.CreateWorkflowDispatchEventRequest{Ref: ref}); err != nil {
			t.Fatal(err)
		}
		r := sim.Runs()
		ids = append(ids, r[len(r)-1].ID)
		clk.Add(time.Minute)
	}
	list := func(file string, o github.ListWorkflowRunsOptions) []int64 {
		t.Helper()
		var runs *github.WorkflowRuns
		var err error
		if file == "" {
			runs, _, err = c.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &o)
		} else {
			runs, _, err = c.Actions.ListWorkflowRunsByFileName(ctx, "acme", "api", file, &o)
		}
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range runs.WorkflowRuns {
			got = append(got, r.GetID())
		}
		if runs.GetTotalCount() < len(got) {
			t.Errorf("total_count %d < %d runs", runs.GetTotalCount(), len(got))
		}
		return got
	}
	eq := func(what string, got []int64, want ...int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: %v, want %v", what, got, want)
				return
			}
		}
	}
	eq("repository", list("", github.ListWorkflowRunsOptions{}), ids[4], ids[3], ids[2], ids[1], ids[0])
	eq("deploy.yml", list("deploy.yml", github.ListWorkflowRunsOptions{}), ids[4], ids[2], ids[1], ids[0])
	eq("by ID", list("", github.ListWorkflowRunsOptions{Branch: "release/2.0", Event: "workflow_dispatch"}), ids[2])
	eq("event push", list("deploy.yml", github.ListWorkflowRunsOptions{Event: "push"}))
	created := t0.Add(time.Minute).Format(time.RFC3339)
	eq("created >=", list("deploy.yml", github.ListWorkflowRunsOptions{Created: ">=" + created}), ids[4], ids[2], ids[1])
	eq("created range", list("", github.ListWorkflowRunsOptions{Created: created + ".." + t0.Add(2*time.Minute).Format(time.RFC3339)}), ids[2], ids[1])
	eq("status in_progress", list("", github.ListWorkflowRunsOptions{Status: "in_progress"}), ids[3])
	eq("status success", list("", github.ListWorkflowRunsOptions{Status: "success"}), ids[4], ids[2], ids[1], ids[0])
	eq("actor", list("", github.ListWorkflowRunsOptions{Actor: "nobody"}))

	// Pagination.
	runs, resp, err := c.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil || len(runs.WorkflowRuns) != 2 || runs.GetTotalCount() != 5 || resp.NextPage != 2 || resp.LastPage != 3 {
		t.Fatalf("page 1: %v %+v %v", err, resp, runs.GetTotalCount())
	}
	runs, _, err = c.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 2, Page: 3}})
	if err != nil || len(runs.WorkflowRuns) != 1 || runs.WorkflowRuns[0].GetID() != ids[0] {
		t.Fatalf("page 3: %v %v", err, runs)
	}
	if _, _, err := c.Actions.ListWorkflowRunsByFileName(ctx, "acme", "api", "nope.yml", nil); errStatus(err) != 404 {
		t.Errorf("unknown workflow: %v", err)
	}
	if _, _, err := c.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Created: "yesterday"}); errStatus(err) != 422 {
		t.Errorf("invalid created: %v", err)
	}
	assertConformant(t, ct)
}

// GET …/actions/workflows/{id} takes an ID or a file name.
func TestGetWorkflow(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, readToken, true)
	ctx := context.Background()
	wf, _, err := c.Actions.GetWorkflowByFileName(ctx, "acme", "api", "deploy.yml")
	if err != nil || wf.GetID() != 7001 || wf.GetPath() != ".github/workflows/deploy.yml" || wf.GetState() != "active" || wf.GetName() != "deploy" {
		t.Fatalf("by file: %+v %v", wf, err)
	}
	byID, _, err := c.Actions.GetWorkflowByID(ctx, "acme", "api", 7001)
	if err != nil || byID.GetURL() != srv.URL+"/api/v3/repos/acme/api/actions/workflows/7001" {
		t.Fatalf("by ID: %+v %v", byID, err)
	}
	if _, _, err := c.Actions.GetWorkflowByFileName(ctx, "acme", "api", "nope.yml"); errStatus(err) != 404 {
		t.Errorf("unknown: %v", err)
	}
	assertConformant(t, ct)
}

// Git refs, branches and the workflow files' contents.
func TestRefsAndContents(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	if err := sim.AddBranch("acme", "api", "feature/x"); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddTag("acme", "api", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddBranch("acme", "api", "main"); err == nil {
		t.Error("a second main branch was accepted")
	}
	if err := sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "ci.yml", ID: 7002}); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "plain.yml", ID: 7003, Dispatch: true}); err != nil {
		t.Fatal(err)
	}
	c, ct := newClient(t, srv, readToken, false)
	ctx := context.Background()
	for _, ref := range []string{"heads/main", "heads/feature/x", "tags/v1"} {
		r, _, err := c.Git.GetRef(ctx, "acme", "api", ref)
		if err != nil || r.GetRef() != "refs/"+ref || len(r.GetObject().GetSHA()) != 40 || r.GetObject().GetType() != "commit" {
			t.Errorf("%s: %+v %v", ref, r, err)
		}
	}
	for _, ref := range []string{"heads/nope", "tags/main", "main"} {
		if _, _, err := c.Git.GetRef(ctx, "acme", "api", ref); errStatus(err) != 404 {
			t.Errorf("%s: %v, want 404", ref, err)
		}
	}
	b, _, err := c.Repositories.GetBranch(ctx, "acme", "api", "feature/x", 0)
	if err != nil || b.GetName() != "feature/x" || len(b.GetCommit().GetSHA()) != 40 || b.GetProtected() {
		t.Errorf("branch: %+v %v", b, err)
	}
	// go-github v60 reports a missing branch by status only; the body is
	// checked by raw request.
	var notFound struct{ Message string }
	if resp, err := doRaw(t, c, "GET", "repos/acme/api/branches/nope", nil, &notFound); resp == nil || resp.StatusCode != 404 || errMessage(err) != "Branch not found" {
		t.Errorf("unknown branch: %v", err)
	}

	file := func(name, ref string) string {
		t.Helper()
		fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "api", ".github/workflows/"+name, &github.RepositoryContentGetOptions{Ref: ref})
		if err != nil {
			t.Fatalf("%s@%s: %v", name, ref, err)
		}
		s, err := fc.GetContent()
		if err != nil || fc.GetPath() != ".github/workflows/"+name || fc.GetSize() != len(s) {
			t.Fatalf("%s: %+v %v", name, fc, err)
		}
		return s
	}
	deploy := file("deploy.yml", "")
	for _, want := range []string{"name: \"deploy\"", "  workflow_dispatch:\n    inputs:\n      reason:\n        required: false\n", "      n:\n"} {
		if !strings.Contains(deploy, want) {
			t.Errorf("deploy.yml lacks %q:\n%s", want, deploy)
		}
	}
	if ci := file("ci.yml", "v1"); !strings.Contains(ci, "on: push\n") || strings.Contains(ci, "workflow_dispatch") {
		t.Errorf("ci.yml:\n%s", ci)
	}
	if plain := file("plain.yml", "feature/x"); !strings.Contains(plain, "on: [push, workflow_dispatch]\n") {
		t.Errorf("plain.yml:\n%s", plain)
	}
	if _, _, _, err := c.Repositories.GetContents(ctx, "acme", "api", ".github/workflows/deploy.yml", &github.RepositoryContentGetOptions{Ref: "nope"}); errStatus(err) != 404 || errMessage(err) != "No commit found for the ref nope" {
		t.Errorf("unknown ref: %v", err)
	}
	if _, _, _, err := c.Repositories.GetContents(ctx, "acme", "api", "README.md", nil); errStatus(err) != 404 {
		t.Errorf("other file: %v", err)
	}
	st := sim.Snapshot()
	if r := st.Repos[0]; r.DefaultBranch != "main" || len(r.Branches) != 2 || r.Branches[0].Name != "feature/x" || len(r.Tags) != 1 {
		t.Errorf("snapshot refs: %+v", r)
	}
	assertConformant(t, ct)
}
