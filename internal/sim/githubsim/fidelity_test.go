package githubsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/spec"
)

// Conformance of what issue #17's fidelity pass found missing, through
// go-github v60 with every response validated against the description.

// fineGrainedToken is a fine-grained personal access token with no
// permission beyond reading.
const fineGrainedToken = "github_pat_11AAAAAAA0_readonly_for_tests"

// anonClient is a go-github client that sends no credentials.
func anonClient(t *testing.T, srv *httptest.Server) *github.Client {
	t.Helper()
	ct := spec.NewCheckingTransport(githubSpec(t), nil)
	c := github.NewClient(&http.Client{Transport: ct})
	u, err := url.Parse(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	t.Cleanup(func() { assertConformant(t, ct) })
	return c
}

// F2: GET /orgs/{org} answers an organization; a user's login is a 404.
func TestGetOrganization(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	org, _, err := c.Organizations.Get(ctx, "acme")
	if err != nil || org.GetLogin() != "acme" || org.GetID() != orgID || org.GetType() != "Organization" ||
		org.GetPublicRepos() != 2 || org.GetTotalPrivateRepos() != 1 || org.Plan == nil {
		t.Fatalf("organization as its owner: %+v, %v", org, err)
	}
	if _, _, err := c.Organizations.Get(ctx, "alice"); errStatus(err) != http.StatusNotFound {
		t.Errorf("a user's login: %v", err)
	}
	ro, ctRO := newClient(t, srv, readToken, false)
	if org, _, err := ro.Organizations.Get(ctx, "acme"); err != nil || org.Plan != nil || org.TotalPrivateRepos != nil {
		t.Errorf("organization as a member: %+v, %v", org, err)
	}
	if org, _, err := anonClient(t, srv).Organizations.Get(ctx, "acme"); err != nil || org.GetLogin() != "acme" {
		t.Errorf("organization without credentials: %+v, %v", org, err)
	}
	assertConformant(t, ct)
	assertConformant(t, ctRO)
}

// F3: GET / is the API root, pointing at the simulator; GET /user/repos
// lists the repositories the user can reach, with its permissions.
func TestRootAndUserRepos(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, true)
	ctx := context.Background()
	var root map[string]string
	if _, err := doRaw(t, c, "GET", "", nil, &root); err != nil {
		t.Fatal(err)
	}
	if root["repository_url"] != srv.URL+"/api/v3/repos/{owner}/{repo}" || root["current_user_url"] != srv.URL+"/api/v3/user" {
		t.Errorf("API root: %v", root)
	}
	repos, _, err := c.Repositories.ListByAuthenticatedUser(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range repos {
		names = append(names, r.GetFullName())
		if !r.GetPermissions()["admin"] {
			t.Errorf("%s: permissions %v", r.GetFullName(), r.GetPermissions())
		}
	}
	if got := strings.Join(names, " "); got != "acme/api acme/docs acme/web alice/tools" {
		t.Errorf("user repos: %s", got)
	}
	private, _, err := c.Repositories.ListByAuthenticatedUser(ctx, &github.RepositoryListByAuthenticatedUserOptions{Visibility: "private"})
	if err != nil || len(private) != 1 || private[0].GetFullName() != "acme/api" {
		t.Errorf("private user repos: %v, %v", private, err)
	}
	owned, _, err := c.Repositories.ListByAuthenticatedUser(ctx, &github.RepositoryListByAuthenticatedUserOptions{Type: "owner"})
	if err != nil || len(owned) != 1 || owned[0].GetFullName() != "alice/tools" {
		t.Errorf("owned user repos: %v, %v", owned, err)
	}
	if _, _, err := anonClient(t, srv).Repositories.ListByAuthenticatedUser(ctx, nil); errStatus(err) != http.StatusUnauthorized || errMessage(err) != "Requires authentication" {
		t.Errorf("user repos without credentials: %v", err)
	}
	assertConformant(t, ct)
}

// F8: without credentials GitHub serves public reads at 60 an hour per
// address, with x-ratelimit-*, and answers 401 "Requires authentication"
// where authentication is needed; a private repository does not exist.
func TestAnonymousAccess(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{AnonymousLimit: 5})
	anon := anonClient(t, srv)
	ctx := context.Background()
	repo, resp, err := anon.Repositories.Get(ctx, "acme", "web")
	if err != nil || repo.GetFullName() != "acme/web" || repo.Permissions != nil {
		t.Fatalf("a public repository: %+v, %v", repo, err)
	}
	if resp.Rate.Limit != 5 || resp.Rate.Remaining != 4 || resp.Header.Get("X-RateLimit-Resource") != "core" {
		t.Errorf("rate of an anonymous request: %+v", resp.Rate)
	}
	if _, _, err := anon.Repositories.Get(ctx, "acme", "api"); errStatus(err) != http.StatusNotFound {
		t.Errorf("a private repository: %v", err)
	}
	var root map[string]string
	if resp, err := anon.Do(ctx, mustRequest(t, anon, "GET", ""), &root); err != nil || root["rate_limit_url"] != srv.URL+"/rate_limit" || resp.Rate.Remaining != 2 {
		t.Errorf("the API root without credentials: %v %v", root, err)
	}
	for _, call := range []func() error{
		func() error { _, _, err := anon.Users.Get(ctx, ""); return err },
		func() error { _, _, err := anon.Actions.ListRepoSecrets(ctx, "acme", "web", nil); return err },
	} {
		if err := call(); errStatus(err) != http.StatusUnauthorized || errMessage(err) != "Requires authentication" {
			t.Errorf("needs authentication: %v", err)
		}
	}
	// The sixth request of the address is over its budget; a token is not.
	_, _, err = anon.Organizations.Get(ctx, "acme")
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || !strings.HasPrefix(rl.Message, "API rate limit exceeded for 127.0.0.1.") || rl.Rate.Limit != 5 {
		t.Fatalf("over the anonymous budget: %v", err)
	}
	c, ct := newClient(t, srv, adminToken, false)
	if _, resp, err := c.Organizations.Get(ctx, "acme"); err != nil || resp.Rate.Limit != githubsim.DefaultPrimaryLimit {
		t.Errorf("a token after the address's budget: %v %+v", err, resp)
	}
	assertConformant(t, ct)
}

// headerOf sends a request with tok through the client and returns the
// response (even an error's) headers, status and message.
func headerOf(t *testing.T, c *github.Client, method, path string, body any) (http.Header, int, string) {
	t.Helper()
	resp, err := doRaw(t, c, method, path, body, nil)
	var er *github.ErrorResponse
	switch {
	case errors.As(err, &er):
		return er.Response.Header, er.Response.StatusCode, er.Message
	case err != nil:
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.Header, resp.StatusCode, ""
}

// F9: a classic token's answers carry its scopes and what the endpoint
// accepts; a user who is no administrator gets GitHub's admin-rights
// messages. A fine-grained token's carry
// the permissions the endpoint needs, and a missing one is "Resource not
// accessible by personal access token".
func TestPermissionErrorsByTokenKind(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	sim.AddToken(fineGrainedToken, "carol", githubsim.Permissions{})
	putBody := map[string]any{"encrypted_value": "AAAA", "key_id": "1", "visibility": "all"}

	admin, ctA := newClient(t, srv, adminToken, false)
	h, status, _ := headerOf(t, admin, "GET", "repos/acme/api/actions/secrets", nil)
	if status != 200 || h.Get("X-OAuth-Scopes") != "admin:org, read:org, repo, security_events, workflow" || h.Get("X-Accepted-OAuth-Scopes") != "repo" {
		t.Errorf("classic administrator: %d %v", status, h)
	}

	classic, ctC := newClient(t, srv, readToken, false)
	for _, tc := range []struct {
		method, path    string
		status          int
		message, accept string
	}{
		{"PUT", "repos/acme/api/actions/secrets/X", 403, "Must have admin rights to Repository.", "repo"},
		{"PUT", "orgs/acme/actions/secrets/X", 403, "Must have admin rights to Organization.", "admin:org"},
		{"GET", "repos/acme/api/secret-scanning/alerts", 403, "Must have admin rights to Repository.", "repo, security_events"},
		{"GET", "orgs/acme/secret-scanning/alerts", 403, "Must have admin rights to Organization.", "repo, security_events"},
		{"POST", "repos/acme/api/actions/workflows/deploy.yml/dispatches", 403, "Must have admin rights to Repository.", "repo"},
	} {
		var body any
		if tc.method != "GET" {
			body = putBody
			if strings.HasSuffix(tc.path, "dispatches") {
				body = map[string]any{"ref": "main"}
			}
		}
		h, status, msg := headerOf(t, classic, tc.method, tc.path, body)
		if status != tc.status || msg != tc.message || h.Get("X-OAuth-Scopes") != "read:org, repo" || h.Get("X-Accepted-OAuth-Scopes") != tc.accept ||
			h.Get("X-Accepted-GitHub-Permissions") != "" {
			t.Errorf("classic %s %s: %d %q, scopes %q accepted %q", tc.method, tc.path, status, msg, h.Get("X-OAuth-Scopes"), h.Get("X-Accepted-OAuth-Scopes"))
		}
	}

	fine, ctF := newClient(t, srv, fineGrainedToken, false)
	for _, tc := range []struct {
		method, path, permissions string
	}{
		{"PUT", "repos/acme/api/actions/secrets/X", "secrets=write"},
		{"PUT", "orgs/acme/actions/secrets/X", "organization_secrets=write"},
		{"GET", "repos/acme/api/secret-scanning/alerts", "secret_scanning_alerts=read"},
		{"PUT", "repos/acme/api/dependabot/secrets/X", "dependabot_secrets=write"},
	} {
		var body any
		if tc.method != "GET" {
			body = putBody
		}
		h, status, msg := headerOf(t, fine, tc.method, tc.path, body)
		if status != 403 || msg != "Resource not accessible by personal access token" || h.Get("X-Accepted-GitHub-Permissions") != tc.permissions || h.Get("X-OAuth-Scopes") != "" {
			t.Errorf("fine-grained %s %s: %d %q, permissions %q", tc.method, tc.path, status, msg, h.Get("X-Accepted-GitHub-Permissions"))
		}
	}
	assertConformant(t, ctA)
	assertConformant(t, ctC, deliberatelyInvalidRequest)
	assertConformant(t, ctF, deliberatelyInvalidRequest)
}

// The low ones: a secret's 404 carries its operation's documentation URL;
// an unsupported API version is a 400 with GitHub's message; an invalid
// validity or sort of an alert list and non-object dispatch inputs are
// 422s; a run's html_url is on the web host, not the API host.
func TestSmallFidelityFixes(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()

	_, _, err := c.Actions.GetRepoSecret(ctx, "acme", "api", "MISSING")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 404 || er.DocumentationURL != "https://docs.github.com/rest/actions/secrets#get-a-repository-secret" {
		t.Errorf("a missing secret: %v (%+v)", err, er)
	}
	_, err = c.Dependabot.DeleteRepoSecret(ctx, "acme", "api", "MISSING")
	if !errors.As(err, &er) || er.DocumentationURL != "https://docs.github.com/rest/dependabot/secrets#delete-a-repository-secret" {
		t.Errorf("deleting a missing Dependabot secret: %v", err)
	}

	req, _ := http.NewRequest("GET", srv.URL+"/repos/acme/api", nil)
	req.Header.Set("Authorization", "token "+adminToken)
	req.Header.Set("X-GitHub-Api-Version", "v3")
	status, body := send(t, req)
	if status != 400 || !strings.Contains(body, `The version you specified in the \"X-GitHub-API-Version\" request header, \"v3\", is not a supported version.`) {
		t.Errorf("unsupported API version: %d %s", status, body)
	}

	for _, q := range []string{"validity=active,bogus", "sort=bogus", "direction=up"} {
		if _, err := doRaw(t, c, "GET", "repos/acme/api/secret-scanning/alerts?"+q, nil, nil); errStatus(err) != http.StatusUnprocessableEntity {
			t.Errorf("alerts?%s: %v", q, err)
		}
	}
	if _, err := doRaw(t, c, "GET", "repos/acme/api/secret-scanning/alerts?validity=active,unknown&sort=updated&direction=asc", nil, nil); err != nil {
		t.Errorf("valid filters: %v", err)
	}
	if _, err := doRaw(t, c, "POST", "repos/acme/api/actions/workflows/deploy.yml/dispatches", map[string]any{"ref": "main", "inputs": "reason=x"}, nil); errStatus(err) != http.StatusUnprocessableEntity ||
		errMessage(err) != "Invalid request.\n\nFor 'properties/inputs', \"reason=x\" is not an object." {
		t.Errorf("non-object inputs: %v", err)
	}

	// gh's plain-HTTP host: the API is api.github.localhost, the web
	// github.localhost.
	var details struct{ HTMLURL, RunURL string }
	dispatch, _ := json.Marshal(map[string]any{"ref": "main", "return_run_details": true})
	req, _ = http.NewRequest("POST", srv.URL+"/repos/acme/api/actions/workflows/deploy.yml/dispatches", bytes.NewReader(dispatch))
	req.Host = "api.github.localhost"
	req.Header.Set("Authorization", "token "+adminToken)
	status, body = send(t, req)
	if err := json.Unmarshal([]byte(body), &struct {
		HTMLURL *string `json:"html_url"`
		RunURL  *string `json:"run_url"`
	}{&details.HTMLURL, &details.RunURL}); status != 200 || err != nil ||
		!strings.HasPrefix(details.HTMLURL, "http://github.localhost/acme/api/actions/runs/") ||
		!strings.HasPrefix(details.RunURL, "http://api.github.localhost/repos/acme/api/actions/runs/") {
		t.Errorf("run URLs through api.github.localhost: %d %s", status, body)
	}
	assertConformant(t, ct, deliberatelyInvalidRequest)
}

func mustRequest(t *testing.T, c *github.Client, method, path string) *http.Request {
	t.Helper()
	req, err := c.NewRequest(method, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A run's job follows the run; a failed job has an annotation; runs have
// no artifacts; a run in progress can be cancelled once, a completed one
// re-run (a new attempt, with its own job); a disabled workflow cannot be
// dispatched.
func TestRunJobsCancelRerun(t *testing.T) {
	sim, srv, clk := newSim(t, githubsim.Options{})
	if _, err := sim.ConfigureWorkflow("acme", "api", "deploy.yml", githubsim.WorkflowConfig{
		RunDuration: ptr(10 * time.Second), Conclusion: ptr(githubsim.ConclusionFailure)}); err != nil {
		t.Fatal(err)
	}
	c, ct := newClient(t, srv, adminToken, true)
	ctx := context.Background()
	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml", github.CreateWorkflowDispatchEventRequest{Ref: "main"}); err != nil {
		t.Fatal(err)
	}
	runID := sim.Runs()[0].ID
	jobs := func() []*github.WorkflowJob {
		t.Helper()
		js, _, err := c.Actions.ListWorkflowJobs(ctx, "acme", "api", runID, nil)
		if err != nil {
			t.Fatal(err)
		}
		return js.Jobs
	}
	if js := jobs(); len(js) != 1 || js[0].GetStatus() != "queued" || js[0].Conclusion != nil || len(js[0].Steps) != 0 || js[0].GetName() != "deploy" {
		t.Fatalf("queued job: %+v", js)
	}
	clk.Add(5 * time.Second)
	job := jobs()[0]
	if job.GetStatus() != "in_progress" || job.GetRunnerName() == "" || len(job.Steps) != 4 || job.Steps[2].GetStatus() != "in_progress" {
		t.Fatalf("job in progress: %+v", job)
	}
	clk.Add(5 * time.Second)
	job = jobs()[0]
	if job.GetStatus() != "completed" || job.GetConclusion() != "failure" || job.Steps[2].GetConclusion() != "failure" || job.GetRunAttempt() != 1 {
		t.Fatalf("failed job: %+v", job)
	}
	same, _, err := c.Actions.GetWorkflowJobByID(ctx, "acme", "api", job.GetID())
	if err != nil || same.GetID() != job.GetID() || same.GetRunID() != runID {
		t.Errorf("job by ID: %+v, %v", same, err)
	}
	notes, _, err := c.Checks.ListCheckRunAnnotations(ctx, "acme", "api", job.GetID(), nil)
	if err != nil || len(notes) != 1 || notes[0].GetMessage() != "Process completed with exit code 1." || notes[0].GetAnnotationLevel() != "failure" {
		t.Errorf("annotations: %+v, %v", notes, err)
	}
	arts, _, err := c.Actions.ListWorkflowRunArtifacts(ctx, "acme", "api", runID, nil)
	if err != nil || arts.GetTotalCount() != 0 {
		t.Errorf("artifacts: %+v, %v", arts, err)
	}

	// Completed: cancelling is a 409; re-running starts attempt 2.
	if _, err := c.Actions.CancelWorkflowRunByID(ctx, "acme", "api", runID); errStatus(err) != http.StatusConflict {
		t.Errorf("cancelling a completed run: %v", err)
	}
	if _, err := c.Actions.RerunWorkflowByID(ctx, "acme", "api", runID); err != nil {
		t.Fatal(err)
	}
	run, _, err := c.Actions.GetWorkflowRunByID(ctx, "acme", "api", runID)
	if err != nil || run.GetRunAttempt() != 2 || run.GetStatus() != "queued" || run.PreviousAttemptURL == nil {
		t.Fatalf("re-run: %+v, %v", run, err)
	}
	if _, err := c.Actions.RerunWorkflowByID(ctx, "acme", "api", runID); errStatus(err) != http.StatusForbidden {
		t.Errorf("re-running a run in progress: %v", err)
	}
	all, _, err := c.Actions.ListWorkflowJobs(ctx, "acme", "api", runID, &github.ListWorkflowJobsOptions{Filter: "all"})
	if err != nil || all.GetTotalCount() != 2 || all.Jobs[0].GetConclusion() != "failure" || all.Jobs[1].GetRunAttempt() != 2 {
		t.Errorf("jobs of every attempt: %+v, %v", all, err)
	}

	// In progress: cancel it; it completes cancelled.
	_, err = c.Actions.CancelWorkflowRunByID(ctx, "acme", "api", runID)
	var accepted *github.AcceptedError
	if !errors.As(err, &accepted) {
		t.Fatalf("cancel: %v", err)
	}
	if st, _ := sim.Run(runID); st.Status != "completed" || st.Conclusion != githubsim.ConclusionCancelled || st.RunAttempt != 2 {
		t.Errorf("the cancelled run in the world: %+v", st)
	}

	// Disabled, the workflow cannot be dispatched.
	if _, err := c.Actions.DisableWorkflowByFileName(ctx, "acme", "api", "deploy.yml"); err != nil {
		t.Fatal(err)
	}
	wf, _, err := c.Actions.GetWorkflowByFileName(ctx, "acme", "api", "deploy.yml")
	if err != nil || wf.GetState() != "disabled_manually" {
		t.Errorf("disabled workflow: %+v, %v", wf, err)
	}
	_, err = c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml", github.CreateWorkflowDispatchEventRequest{Ref: "main"})
	if errStatus(err) != http.StatusUnprocessableEntity || errMessage(err) != "Cannot trigger a 'workflow_dispatch' on a disabled workflow" {
		t.Errorf("dispatching a disabled workflow: %v", err)
	}
	if _, err := c.Actions.EnableWorkflowByFileName(ctx, "acme", "api", "deploy.yml"); err != nil {
		t.Fatal(err)
	}
	// A read-only token may not.
	ro, _ := newClient(t, srv, readToken, false)
	if _, err := ro.Actions.RerunWorkflowByID(ctx, "acme", "api", runID); errStatus(err) != http.StatusForbidden {
		t.Errorf("re-run with a read-only token: %v", err)
	}
	assertConformant(t, ct)
}

// GraphQL answers gh's queries; a repository that does not exist is
// GitHub's NOT_FOUND error; a field the schema lacks is a validation
// error; without a token the endpoint is a 401.
func TestGraphQL(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	post := func(path, tok, query string, vars map[string]any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(b))
		if tok != "" {
			req.Header.Set("Authorization", "token "+tok)
		}
		status, body := send(t, req)
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
		return status, out
	}
	status, out := post("/graphql", adminToken, `query MapRepositoryNames {
		repo_000: repository(owner: "acme", name: "web") { databaseId }
		repo_001: repository(owner: "acme", name: "api") { databaseId } }`, nil)
	if b, _ := json.Marshal(out); status != 200 || string(b) != `{"data":{"repo_000":{"databaseId":1002},"repo_001":{"databaseId":1001}}}` {
		t.Errorf("repository IDs: %d %s", status, b)
	}
	status, out = post("/api/graphql", readToken, `
	fragment repo on Repository { id name owner { login } viewerPermission defaultBranchRef { name } }
	query RepositoryInfo($owner: String!, $name: String!) {
		repository(owner: $owner, name: $name) { ...repo parent { ...repo } mergeCommitAllowed } }`,
		map[string]any{"owner": "acme", "name": "api"})
	repo, _ := out["data"].(map[string]any)["repository"].(map[string]any)
	if status != 200 || repo["name"] != "api" || repo["viewerPermission"] != "READ" || repo["defaultBranchRef"].(map[string]any)["name"] != "main" || repo["parent"] != nil {
		t.Errorf("repository info: %d %v", status, out)
	}
	_, out = post("/graphql", adminToken, `{ repository(owner: "acme", name: "nope") { databaseId } }`, nil)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["type"] != "NOT_FOUND" ||
		errs[0].(map[string]any)["message"] != "Could not resolve to a Repository with the name 'acme/nope'." {
		t.Errorf("missing repository: %v", out)
	}
	_, out = post("/graphql", adminToken, `{ repository(owner: "acme", name: "api") { stargazerCount } }`, nil)
	if errs, _ := out["errors"].([]any); len(errs) != 1 || out["data"] != nil {
		t.Errorf("unknown field: %v", out)
	}
	status, out = post("/graphql", "", `{ viewer { login } }`, nil)
	if status != 401 || out["message"] != "This endpoint requires you to be authenticated." {
		t.Errorf("without a token: %d %v", status, out)
	}
}
