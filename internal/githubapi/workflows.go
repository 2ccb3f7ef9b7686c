package githubapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/respondhq/respond/internal/step"
)

// maxRunPages bounds the pages ListWorkflowRuns reads (100 runs each).
const maxRunPages = 5

// maxWorkflowFile is the largest workflow file WorkflowTrigger reads.
const maxWorkflowFile = 1 << 20

// GetWorkflow reads a workflow by file name (deploy.yml) or numeric ID.
func (c *Client) GetWorkflow(ctx context.Context, owner, repo, workflow string) (Workflow, error) {
	p, err := workflowPath(owner, repo, workflow)
	if err != nil {
		return Workflow{}, err
	}
	var wf github.Workflow
	if _, err := c.do(ctx, http.MethodGet, p, nil, &wf); err != nil {
		return Workflow{}, c.fail(err, "read workflow %s of %s/%s", workflow, owner, repo)
	}
	return Workflow{ID: wf.GetID(), Name: wf.GetName(), Path: wf.GetPath(), State: wf.GetState(), HTMLURL: wf.GetHTMLURL()}, nil
}

// repoPath is the path of owner/repo followed by more.
func repoPath(owner, repo string, more ...any) (string, error) {
	return apiPath(append([]any{"repos/", seg{"owner", owner}, "/", seg{"repository", repo}}, more...)...)
}

// workflowPath is the path of workflow (a file name, optionally under
// .github/workflows/, or a numeric ID) of owner/repo: the name is one
// segment, so "../../orgs/acme/actions/secrets/X" cannot reach another
// endpoint.
func workflowPath(owner, repo, workflow string) (string, error) {
	return repoPath(owner, repo, "/actions/workflows/", seg{"workflow", strings.TrimPrefix(workflow, ".github/workflows/")})
}

// RefExists reports whether ref is a branch or tag of owner/repo. A bare
// name is looked up as a branch, then as a tag, as GitHub resolves the ref
// of a dispatch.
func (c *Client) RefExists(ctx context.Context, owner, repo, ref string) (bool, error) {
	if ref == "" || strings.HasPrefix(ref, "/") || strings.Contains(ref, "..") {
		return false, nil
	}
	candidates := []string{"heads/" + ref, "tags/" + ref}
	if full, ok := strings.CutPrefix(ref, "refs/"); ok {
		candidates = []string{full}
	}
	for _, cand := range candidates {
		p, err := repoPath(owner, repo, "/git/ref/", segs{"ref", cand})
		if err != nil {
			return false, err
		}
		if _, err = c.do(ctx, http.MethodGet, p, nil, &github.Reference{}); err == nil {
			return true, nil
		}
		if err = c.fail(err, "look up ref %s of %s/%s", ref, owner, repo); !errors.Is(err, step.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}

// WorkflowTrigger reads the workflow file at path on ref and parses its
// on: key (ParseWorkflowTrigger).
func (c *Client) WorkflowTrigger(ctx context.Context, owner, repo, path, ref string) (DispatchTrigger, error) {
	p, err := repoPath(owner, repo, "/contents/", segs{"workflow path", strings.TrimSuffix(path, "/")})
	if err != nil {
		return DispatchTrigger{}, err
	}
	q := url.Values{}
	if ref != "" {
		q.Set("ref", ref)
	}
	var raw json.RawMessage
	if _, err := c.do(ctx, http.MethodGet, withQuery(p, q), nil, &raw); err != nil {
		return DispatchTrigger{}, c.fail(err, "read %s of %s/%s on %s", path, owner, repo, ref)
	}
	var fc *github.RepositoryContent // a directory is a list, and does not decode
	if json.Unmarshal(raw, &fc) != nil || fc == nil || fc.GetType() != "file" {
		return DispatchTrigger{}, fmt.Errorf("GitHub: %s of %s/%s on %s is not a file", path, owner, repo, ref)
	}
	if fc.GetSize() > maxWorkflowFile {
		return DispatchTrigger{}, fmt.Errorf("GitHub: %s of %s/%s on %s is %d bytes, more than a workflow file can be; check the path", path, owner, repo, ref, fc.GetSize())
	}
	src, err := fc.GetContent()
	if err != nil {
		return DispatchTrigger{}, fmt.Errorf("GitHub: read %s of %s/%s on %s: %w", path, owner, repo, ref, err)
	}
	tr, err := ParseWorkflowTrigger([]byte(src))
	if err != nil {
		return DispatchTrigger{}, fmt.Errorf("%s of %s/%s on %s: %w", path, owner, repo, ref, err)
	}
	return tr, nil
}

// dispatchBody is a workflow_dispatch request with return_run_details,
// which go-github v60's CreateWorkflowDispatchEventRequest lacks.
type dispatchBody struct {
	Ref              string         `json:"ref"`
	Inputs           map[string]any `json:"inputs,omitempty"`
	ReturnRunDetails bool           `json:"return_run_details"`
}

// DispatchWorkflow starts workflow (a file name such as deploy.yml, or a
// numeric ID) on ref with inputs, asking for the run's details. GitHub
// answers 200 with them; servers that predate return_run_details answer
// 204, and the result is then zero. POST requests are never retried by the
// client.
func (c *Client) DispatchWorkflow(ctx context.Context, owner, repo, workflow, ref string, inputs map[string]any) (Dispatched, error) {
	path, err := workflowPath(owner, repo, workflow)
	if err != nil {
		return Dispatched{}, err
	}
	var out struct {
		WorkflowRunID int64  `json:"workflow_run_id"`
		RunURL        string `json:"run_url"`
		HTMLURL       string `json:"html_url"`
	}
	resp, err := c.do(ctx, http.MethodPost, path+"/dispatches", dispatchBody{Ref: ref, Inputs: inputs, ReturnRunDetails: true}, &out)
	if err != nil {
		return Dispatched{}, c.fail(err, "dispatch workflow %s of %s/%s on %s", workflow, owner, repo, ref)
	}
	if resp.StatusCode == http.StatusNoContent {
		return Dispatched{}, nil
	}
	return Dispatched{RunID: out.WorkflowRunID, RunURL: out.RunURL, HTMLURL: out.HTMLURL}, nil
}

// ListWorkflowRuns lists the runs of workflow (file name or ID) matching f,
// newest first, reading at most 500.
func (c *Client) ListWorkflowRuns(ctx context.Context, owner, repo, workflow string, f RunFilter) ([]WorkflowRun, error) {
	p, err := workflowPath(owner, repo, workflow)
	if err != nil {
		return nil, err
	}
	q := url.Values{"per_page": {"100"}}
	for k, v := range map[string]string{"event": f.Event, "branch": f.Branch, "actor": f.Actor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("created", ">="+f.Since.UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	var out []WorkflowRun
	for range maxRunPages {
		var runs github.WorkflowRuns
		resp, err := c.do(ctx, http.MethodGet, withQuery(p+"/runs", q), nil, &runs)
		if err != nil {
			return nil, c.fail(err, "list the runs of workflow %s of %s/%s", workflow, owner, repo)
		}
		for _, r := range runs.WorkflowRuns {
			out = append(out, runOf(r))
		}
		if resp.NextPage == 0 {
			break
		}
		q.Set("page", strconv.Itoa(resp.NextPage))
	}
	return out, nil
}

// GetWorkflowRun reads run id of owner/repo.
func (c *Client) GetWorkflowRun(ctx context.Context, owner, repo string, id int64) (WorkflowRun, error) {
	p, err := repoPath(owner, repo, "/actions/runs/"+strconv.FormatInt(id, 10))
	if err != nil {
		return WorkflowRun{}, err
	}
	var r github.WorkflowRun
	if _, err := c.do(ctx, http.MethodGet, p, nil, &r); err != nil {
		return WorkflowRun{}, c.fail(err, "read workflow run %d of %s/%s", id, owner, repo)
	}
	return runOf(&r), nil
}

func runOf(r *github.WorkflowRun) WorkflowRun {
	return WorkflowRun{
		ID: r.GetID(), WorkflowID: r.GetWorkflowID(), RunNumber: r.GetRunNumber(), Event: r.GetEvent(),
		HeadBranch: r.GetHeadBranch(), Actor: r.GetActor().GetLogin(), Status: r.GetStatus(), Conclusion: r.GetConclusion(),
		HTMLURL: r.GetHTMLURL(), Created: r.GetCreatedAt().Time, Started: r.GetRunStartedAt().Time, Updated: r.GetUpdatedAt().Time,
	}
}
