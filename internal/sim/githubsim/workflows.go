package githubsim

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	secretpkg "github.com/respondhq/respond/internal/secret"
)

// Workflow conclusions a simulated run can end with.
const (
	ConclusionSuccess   = "success"
	ConclusionFailure   = "failure"
	ConclusionCancelled = "cancelled"
	ConclusionTimedOut  = "timed_out"
)

var conclusions = []string{ConclusionSuccess, ConclusionFailure, ConclusionCancelled, ConclusionTimedOut,
	"neutral", "skipped", "action_required", "startup_failure"}

// ErrNotFound is wrapped by errors about a repository or workflow that does
// not exist.
var ErrNotFound = errors.New("not found")

// maxQueued is the longest a run stays queued before it starts: a quarter
// of its duration, at most this.
const maxQueued = time.Second

// WorkflowInput is an input a workflow declares under
// on.workflow_dispatch.inputs.
type WorkflowInput struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required"`
	// Default is used when a dispatch omits the input ("" for none). A
	// required input with a default may be omitted.
	Default string `json:"default,omitempty"`
	// Type is string (default), boolean, number, choice or environment;
	// it is written to the workflow file, not enforced.
	Type string `json:"type,omitempty"`
}

// Workflow describes a workflow for AddWorkflowWith.
type Workflow struct {
	// File is the file name under .github/workflows, e.g. deploy.yml.
	File string
	ID   int64
	// Name is the YAML's name: (default: File without its extension).
	Name string
	// Dispatch: the workflow declares on: workflow_dispatch, so the API
	// can start it; Inputs are that trigger's inputs.
	Dispatch bool
	Inputs   []WorkflowInput
	// Environment is the deployment environment the workflow's job runs
	// in: its secrets are visible to runs, besides the repository's and
	// the organization's.
	Environment string
	// RunDuration is how long a run takes from dispatch to completion
	// (default Options.RunDuration); it is queued for the first quarter
	// (at most a second) of it.
	RunDuration time.Duration
	// Conclusion is how runs end (default success).
	Conclusion string
}

// WorkflowConfig changes a workflow (ConfigureWorkflow, POST
// /_sim/workflows). Nil fields are left as they are.
type WorkflowConfig struct {
	Dispatch    *bool            `json:"workflow_dispatch,omitempty"`
	Inputs      *[]WorkflowInput `json:"inputs,omitempty"`
	Environment *string          `json:"environment,omitempty"`
	RunDuration *time.Duration   `json:"-"`
	Conclusion  *string          `json:"conclusion,omitempty"`
}

var inputNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func checkInputs(inputs []WorkflowInput) error {
	seen := map[string]bool{}
	for _, in := range inputs {
		if !inputNameRE.MatchString(in.Name) {
			return fmt.Errorf("input name %q must start with a letter or _ and hold only letters, digits, - and _", in.Name)
		}
		if seen[strings.ToLower(in.Name)] {
			return fmt.Errorf("input %q is declared twice", in.Name)
		}
		seen[strings.ToLower(in.Name)] = true
		switch in.Type {
		case "", "string", "boolean", "number", "choice", "environment":
		default:
			return fmt.Errorf("input %q has type %q; use string, boolean, number, choice or environment", in.Name, in.Type)
		}
	}
	if len(inputs) > maxDispatchInputs {
		return fmt.Errorf("%d inputs declared; GitHub allows at most %d", len(inputs), maxDispatchInputs)
	}
	return nil
}

func checkConclusion(c string) error {
	if !slices.Contains(conclusions, c) {
		return fmt.Errorf("conclusion %q is not one of %s", c, strings.Join(conclusions, ", "))
	}
	return nil
}

// AddWorkflowWith adds a workflow to owner/repo.
func (s *Server) AddWorkflowWith(owner, repoName string, wf Workflow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return fmt.Errorf("add workflow %q: repository %s/%s does not exist; add it first", wf.File, owner, repoName)
	}
	file := strings.TrimPrefix(wf.File, ".github/workflows/")
	if file == "" || strings.Contains(file, "/") {
		return fmt.Errorf("add workflow to %s: file name %q must be a file name such as deploy.yml", r.fullName(), wf.File)
	}
	if r.workflowByRef(file) != nil || r.workflowByRef(strconv.FormatInt(wf.ID, 10)) != nil {
		return fmt.Errorf("add workflow %q (ID %d) to %s: a workflow with that file or ID exists", file, wf.ID, r.fullName())
	}
	if err := checkInputs(wf.Inputs); err != nil {
		return fmt.Errorf("add workflow %s to %s: %w", file, r.fullName(), err)
	}
	if wf.Conclusion == "" {
		wf.Conclusion = ConclusionSuccess
	}
	if err := checkConclusion(wf.Conclusion); err != nil {
		return fmt.Errorf("add workflow %s to %s: %w", file, r.fullName(), err)
	}
	if wf.RunDuration < 0 {
		return fmt.Errorf("add workflow %s to %s: run duration %s is negative", file, r.fullName(), wf.RunDuration)
	}
	if wf.RunDuration == 0 {
		wf.RunDuration = s.opts.RunDuration
	}
	name := wf.Name
	if name == "" {
		name = strings.TrimSuffix(strings.TrimSuffix(file, ".yml"), ".yaml")
	}
	r.workflows = append(r.workflows, &workflow{id: wf.ID, file: file, name: name, dispatch: wf.Dispatch,
		inputs: slices.Clone(wf.Inputs), environment: wf.Environment, runDuration: wf.RunDuration, conclusion: wf.Conclusion})
	return nil
}

// ConfigureWorkflow changes a workflow of owner/repo (by file name or ID):
// its trigger and inputs at once, and the duration and conclusion of runs
// dispatched from now on. It returns the workflow as the snapshot shows it.
func (s *Server) ConfigureWorkflow(owner, repoName, workflowRef string, cfg WorkflowConfig) (WorkflowState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return WorkflowState{}, fmt.Errorf("configure workflow %q: repository %s/%s does not exist: %w", workflowRef, owner, repoName, ErrNotFound)
	}
	wf := r.workflowByRef(workflowRef)
	if wf == nil {
		return WorkflowState{}, fmt.Errorf("configure workflow %q of %s: there is no such workflow (it has %s): %w", workflowRef, r.fullName(), workflowNames(r), ErrNotFound)
	}
	if cfg.Inputs != nil {
		if err := checkInputs(*cfg.Inputs); err != nil {
			return WorkflowState{}, fmt.Errorf("configure workflow %s of %s: %w", wf.file, r.fullName(), err)
		}
	}
	if cfg.Conclusion != nil {
		if err := checkConclusion(*cfg.Conclusion); err != nil {
			return WorkflowState{}, fmt.Errorf("configure workflow %s of %s: %w", wf.file, r.fullName(), err)
		}
	}
	if cfg.RunDuration != nil && *cfg.RunDuration < 0 {
		return WorkflowState{}, fmt.Errorf("configure workflow %s of %s: run duration %s is negative", wf.file, r.fullName(), *cfg.RunDuration)
	}
	if cfg.Environment != nil && *cfg.Environment != "" && r.env(*cfg.Environment) == nil {
		return WorkflowState{}, fmt.Errorf("configure workflow %s of %s: environment %q does not exist", wf.file, r.fullName(), *cfg.Environment)
	}
	if cfg.Dispatch != nil {
		wf.dispatch = *cfg.Dispatch
	}
	if cfg.Inputs != nil {
		wf.inputs = slices.Clone(*cfg.Inputs)
	}
	if cfg.Environment != nil {
		wf.environment = *cfg.Environment
	}
	if cfg.RunDuration != nil {
		wf.runDuration = *cfg.RunDuration
	}
	if cfg.Conclusion != nil {
		wf.conclusion = *cfg.Conclusion
	}
	return workflowState(wf), nil
}

func workflowNames(r *repo) string {
	if len(r.workflows) == 0 {
		return "no workflows"
	}
	var names []string
	for _, wf := range r.workflows {
		names = append(names, wf.file)
	}
	return strings.Join(names, ", ")
}

// AddBranch adds the branch name to owner/repo (a ref workflows can be
// dispatched on).
func (s *Server) AddBranch(owner, repoName, name string) error {
	return s.addRef(owner, repoName, name, "heads")
}

// AddTag adds the tag name to owner/repo.
func (s *Server) AddTag(owner, repoName, name string) error {
	return s.addRef(owner, repoName, name, "tags")
}

func (s *Server) addRef(owner, repoName, name, kind string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return fmt.Errorf("add %s %q: repository %s/%s does not exist; add it first", kind, name, owner, repoName)
	}
	if name == "" || strings.HasPrefix(name, "refs/") || strings.Contains(name, "..") || strings.HasSuffix(name, "/") || strings.HasPrefix(name, "/") {
		return fmt.Errorf("add %s %q to %s: not a valid ref name", kind, name, r.fullName())
	}
	m := r.branches
	if kind == "tags" {
		m = r.tags
	}
	if _, ok := m[name]; ok {
		return fmt.Errorf("add %s %q to %s: it already exists", kind, name, r.fullName())
	}
	m[name] = commitSHA(r, "refs/"+kind+"/"+name)
	return nil
}

// commitSHA is a deterministic commit SHA for a ref of a repository.
func commitSHA(r *repo, ref string) string {
	sum := sha1.Sum([]byte("respond-sim/commit/" + strconv.FormatInt(r.id, 10) + "/" + ref))
	return hex.EncodeToString(sum[:])
}

// resolveRef finds a branch or tag: refs/heads/X, refs/tags/X, or a bare
// name (branches first, as GitHub does).
func (r *repo) resolveRef(ref string) (kind, name, sha string, ok bool) {
	switch {
	case strings.HasPrefix(ref, "refs/heads/"):
		name = strings.TrimPrefix(ref, "refs/heads/")
		sha, ok = r.branches[name]
		return "heads", name, sha, ok
	case strings.HasPrefix(ref, "refs/tags/"):
		name = strings.TrimPrefix(ref, "refs/tags/")
		sha, ok = r.tags[name]
		return "tags", name, sha, ok
	}
	if sha, ok := r.branches[ref]; ok {
		return "heads", ref, sha, true
	}
	if sha, ok := r.tags[ref]; ok {
		return "tags", ref, sha, true
	}
	return "", "", "", false
}

// settle records, for every run that has started by now, the secrets it
// could see when it started. Callers hold s.mu, and call it before
// anything that changes secrets, so a run records the values in force at
// its start even when nothing looked at it then.
func (s *Server) settle() {
	now := s.now()
	for _, rn := range s.w.runs {
		if !rn.captured && !rn.started.After(now) {
			rn.secrets = s.visibleSecrets(rn.repo, rn.workflow.environment)
			rn.captured = true
		}
	}
}

// visibleSecrets are the Actions secrets a workflow of rp running in
// environment env sees: the organization's secrets visible to the
// repository, the repository's and the environment's. Callers hold s.mu.
func (s *Server) visibleSecrets(rp *repo, env string) []RunSecretState {
	out := []RunSecretState{}
	add := func(level, envName string, sec *secret) {
		out = append(out, RunSecretState{Level: level, Environment: envName, Name: sec.name,
			Value: sec.value, Fingerprint: secretpkg.Fingerprint(sec.value)})
	}
	if o := s.w.orgs[strings.ToLower(rp.owner.login)]; o != nil {
		for _, sec := range sortedValues(o.actions.secrets) {
			if sec.visibility == "all" || sec.visibility == "private" && rp.private || sec.visibility == "selected" && sec.selected[rp.id] {
				add(LevelOrg, "", sec)
			}
		}
	}
	for _, sec := range sortedValues(rp.actions.secrets) {
		add(LevelRepo, "", sec)
	}
	if e := rp.env(env); e != nil {
		for _, sec := range sortedValues(e.store.secrets) {
			add(LevelEnvironment, e.name, sec)
		}
	}
	return out
}

// status is the run's status and conclusion at now.
func (rn *run) status(now time.Time) (status string, conclusion *string) {
	switch {
	case now.Before(rn.started):
		return "queued", nil
	case now.Before(rn.completed):
		return "in_progress", nil
	}
	c := rn.conclusion
	return "completed", &c
}

// queuedFor is how long a run of the given duration stays queued: a
// quarter of it, at most maxQueued.
func queuedFor(d time.Duration) time.Duration { return min(d/4, maxQueued) }

// updated is when the run last changed state, as of now.
func (rn *run) updated(now time.Time) time.Time {
	switch {
	case now.Before(rn.started):
		return rn.queuedAt
	case now.Before(rn.completed):
		return rn.started
	}
	return rn.completed
}

// Runs returns every workflow run, oldest first, as the snapshot shows them.
func (s *Server) Runs() []RunState {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	now := s.now()
	out := make([]RunState, 0, len(s.w.runs))
	for _, rn := range s.w.runs {
		out = append(out, runState(rn, now))
	}
	return out
}

// Run returns the run with the given ID.
func (s *Server) Run(id int64) (RunState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	rn := s.w.runsByID[id]
	if rn == nil {
		return RunState{}, false
	}
	return runState(rn, s.now()), true
}

func (c *call) workflowJSON(rp *repo, wf *workflow) map[string]any {
	id := strconv.FormatInt(wf.id, 10)
	return map[string]any{
		"id":         wf.id,
		"node_id":    nodeID("W", wf.id),
		"name":       wf.name,
		"path":       ".github/workflows/" + wf.file,
		"state":      wf.state(),
		"created_at": ts(seedEpoch),
		"updated_at": ts(seedEpoch),
		"url":        c.base + "/repos/" + rp.fullName() + "/actions/workflows/" + id,
		"html_url":   c.web + "/" + rp.fullName() + "/blob/" + rp.defaultBranch + "/.github/workflows/" + wf.file,
		"badge_url":  c.web + "/" + rp.fullName() + "/workflows/" + wf.file + "/badge.svg",
	}
}

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	wfs := slices.Clone(rp.workflows)
	slices.SortFunc(wfs, func(a, b *workflow) int { return cmp.Compare(a.id, b.id) })
	start, end := c.paginate(w, r, len(wfs))
	out := make([]map[string]any, 0, end-start)
	for _, wf := range wfs[start:end] {
		out = append(out, c.workflowJSON(rp, wf))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(wfs), "workflows": out})
}

// getWorkflow serves GET /repos/{o}/{r}/actions/workflows/{workflow_id}
// (an ID or a file name).
func (s *Server) getWorkflow(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rp, wf := s.lookupWorkflow(w, r, c); wf != nil {
		writeJSON(w, http.StatusOK, c.workflowJSON(rp, wf))
	}
}

// lookupWorkflow resolves {owner}/{repo} and {workflow_id} (an ID or a file
// name), answering 404. Callers hold s.mu.
func (s *Server) lookupWorkflow(w http.ResponseWriter, r *http.Request, c *call) (*repo, *workflow) {
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return nil, nil
	}
	wf := rp.workflowByRef(r.PathValue("workflow_id"))
	if wf == nil {
		c.notFound(w)
		return nil, nil
	}
	return rp, wf
}

// maxDispatchInputs is the current limit on workflow_dispatch inputs.
const maxDispatchInputs = 25

// dispatchWorkflow creates a workflow_dispatch run and answers as GitHub
// does: 204, or 200 with the run's ID and URLs when return_run_details is
// true; 404 for an unknown workflow; 422 without a ref, for a ref that does
// not exist, a workflow without a workflow_dispatch trigger, inputs it does
// not declare and required inputs missing. GitHub does not document the
// order of its checks: the simulator checks the ref first (the trigger is
// read from the workflow file at that ref), then the trigger, then the
// inputs.
func (s *Server) dispatchWorkflow(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	if !c.perms.Actions || c.readOnlyOn(rp) {
		c.forbidden(w)
		return
	}
	wf := rp.workflowByRef(r.PathValue("workflow_id"))
	if wf == nil {
		c.notFound(w)
		return
	}
	var body struct {
		Ref              any             `json:"ref"`
		RawInputs        json.RawMessage `json:"inputs"`
		Inputs           map[string]any  `json:"-"`
		ReturnRunDetails bool            `json:"return_run_details"`
	}
	if !c.decodeBody(w, r, &body) {
		return
	}
	if raw := bytes.TrimSpace(body.RawInputs); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		// inputs must be an object (GitHub's 422 names the property).
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if raw[0] != '{' || dec.Decode(&body.Inputs) != nil {
			c.unprocessable(w, "Invalid request.\n\nFor 'properties/inputs', %s is not an object.", raw)
			return
		}
	}
	ref, _ := body.Ref.(string)
	if body.Ref == nil || ref == "" {
		c.unprocessable(w, msgNotSupplied, "ref")
		return
	}
	if len(body.Inputs) > maxDispatchInputs {
		c.unprocessable(w, "Invalid request.\n\nNo more than %d properties are allowed; %d were supplied.", maxDispatchInputs, len(body.Inputs))
		return
	}
	_, refName, sha, ok := rp.resolveRef(ref)
	if !ok {
		c.unprocessable(w, "No ref found for: %s", ref)
		return
	}
	if !wf.dispatch {
		c.unprocessable(w, "Workflow does not have 'workflow_dispatch' trigger")
		return
	}
	if wf.disabled {
		c.unprocessable(w, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
		return
	}
	declared := map[string]WorkflowInput{}
	for _, in := range wf.inputs {
		declared[in.Name] = in
	}
	var unexpected []string
	for _, k := range slices.Sorted(maps.Keys(body.Inputs)) {
		if _, ok := declared[k]; !ok {
			unexpected = append(unexpected, k)
		}
	}
	if len(unexpected) > 0 {
		quoted := make([]string, len(unexpected))
		for i, k := range unexpected {
			b, _ := json.Marshal(k)
			quoted[i] = string(b)
		}
		c.unprocessable(w, "Unexpected inputs provided: [%s]", strings.Join(quoted, ", "))
		return
	}
	inputs := map[string]any{}
	for _, in := range wf.inputs {
		v, given := body.Inputs[in.Name]
		switch {
		case given:
			inputs[in.Name] = v
		case in.Default != "":
			inputs[in.Name] = in.Default
		case in.Required:
			c.unprocessable(w, "Required input '%s' not provided", in.Name)
			return
		}
	}

	now := s.now()
	id := s.w.nextRunID
	s.w.nextRunID++
	wf.runs++
	queued := queuedFor(wf.runDuration)
	rn := &run{id: id, number: wf.runs, repo: rp, workflow: wf, ref: ref, headBranch: refName, headSHA: sha,
		event: "workflow_dispatch", actor: c.user, inputs: inputs,
		created: now, started: now.Add(queued), completed: now.Add(wf.runDuration), conclusion: wf.conclusion,
		attempt: 1, queuedAt: now, triggeringActor: c.user}
	s.w.runs = append(s.w.runs, rn)
	s.w.runsByID[id] = rn
	s.settle() // a run that starts at once sees the secrets as they are now
	s.w.dispatches = append(s.w.dispatches, &dispatch{at: now, repo: rp, workflow: wf, ref: ref,
		inputs: body.Inputs, actor: c.user.login, workflowID: wf.id, runID: id})
	if !body.ReturnRunDetails {
		writeNoContent(w)
		return
	}
	sid := strconv.FormatInt(id, 10)
	writeJSON(w, http.StatusOK, map[string]any{
		"workflow_run_id": id,
		"run_url":         c.base + "/repos/" + rp.fullName() + "/actions/runs/" + sid,
		"html_url":        c.web + "/" + rp.fullName() + "/actions/runs/" + sid,
	})
}

// runJSON renders a run as a workflow-run.
func (c *call) runJSON(rn *run, now time.Time) map[string]any {
	rp, wf := rn.repo, rn.workflow
	api := c.base + "/repos/" + rp.fullName()
	sid := strconv.FormatInt(rn.id, 10)
	status, conclusion := rn.status(now)
	var concl any
	if conclusion != nil {
		concl = *conclusion
	}
	suite := rn.id + 7000000000
	started := rn.queuedAt
	if !now.Before(rn.started) {
		started = rn.started
	}
	var previous any
	if rn.attempt > 1 {
		previous = api + "/actions/runs/" + sid + "/attempts/" + strconv.Itoa(rn.attempt-1)
	}
	return map[string]any{
		"id":                   rn.id,
		"name":                 wf.name,
		"node_id":              nodeID("WFR", rn.id),
		"check_suite_id":       suite,
		"check_suite_node_id":  nodeID("CS", suite),
		"head_branch":          rn.headBranch,
		"head_sha":             rn.headSHA,
		"path":                 ".github/workflows/" + wf.file,
		"display_title":        wf.name,
		"run_number":           rn.number,
		"run_attempt":          rn.attempt,
		"referenced_workflows": []any{},
		"event":                rn.event,
		"status":               status,
		"conclusion":           concl,
		"workflow_id":          wf.id,
		"url":                  api + "/actions/runs/" + sid,
		"html_url":             c.web + "/" + rp.fullName() + "/actions/runs/" + sid,
		"pull_requests":        []any{},
		"created_at":           ts(rn.created),
		"updated_at":           ts(rn.updated(now)),
		"actor":                c.userJSON(rn.actor),
		"triggering_actor":     c.userJSON(rn.triggeringActor),
		"run_started_at":       ts(started),
		"jobs_url":             api + "/actions/runs/" + sid + "/jobs",
		"logs_url":             api + "/actions/runs/" + sid + "/logs",
		"check_suite_url":      api + "/check-suites/" + strconv.FormatInt(suite, 10),
		"artifacts_url":        api + "/actions/runs/" + sid + "/artifacts",
		"cancel_url":           api + "/actions/runs/" + sid + "/cancel",
		"rerun_url":            api + "/actions/runs/" + sid + "/rerun",
		"previous_attempt_url": previous,
		"workflow_url":         api + "/actions/workflows/" + strconv.FormatInt(wf.id, 10),
		"head_commit": map[string]any{
			"id":        rn.headSHA,
			"tree_id":   treeSHA(rn.headSHA),
			"message":   "Deploy " + rn.headBranch,
			"timestamp": ts(seedEpoch),
			"author":    map[string]any{"name": rp.owner.login, "email": rp.owner.login + "@users.noreply.github.com"},
			"committer": map[string]any{"name": "GitHub", "email": "noreply@github.com"},
		},
		"repository":         c.repoJSON(rp),
		"head_repository":    c.repoJSON(rp),
		"head_repository_id": rp.id,
	}
}

func treeSHA(commit string) string {
	sum := sha1.Sum([]byte("respond-sim/tree/" + commit))
	return hex.EncodeToString(sum[:])
}

// runStatuses are the values of a run's status (the status filter also
// takes conclusions).
var runStatuses = []string{"queued", "in_progress", "completed", "waiting", "requested", "pending", "action_required"}

// runFilter is the query of a run listing.
type runFilter struct {
	actor, branch, event, status, headSHA string
	created                               timeRange
	hasCreated                            bool
}

func (f runFilter) match(rn *run, now time.Time) bool {
	status, conclusion := rn.status(now)
	switch {
	case f.actor != "" && !strings.EqualFold(f.actor, rn.actor.login),
		f.branch != "" && f.branch != rn.headBranch,
		f.event != "" && f.event != rn.event,
		f.headSHA != "" && f.headSHA != rn.headSHA,
		f.hasCreated && !f.created.contains(rn.created):
		return false
	case f.status == "":
		return true
	case slices.Contains(runStatuses, f.status):
		return f.status == status
	}
	return conclusion != nil && *conclusion == f.status
}

// listRuns serves GET /repos/{o}/{r}/actions/runs and, with a
// {workflow_id}, GET /repos/{o}/{r}/actions/workflows/{workflow_id}/runs:
// newest first, filtered by actor, branch, event, status (a status or a
// conclusion), created (GitHub's date syntax: >=2024-01-01T10:00:00Z,
// 2024-01-01..2024-01-02, …) and head_sha, paginated.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	var wf *workflow
	if id := r.PathValue("workflow_id"); id != "" {
		if wf = rp.workflowByRef(id); wf == nil {
			c.notFound(w)
			return
		}
	}
	q := r.URL.Query()
	f := runFilter{actor: q.Get("actor"), branch: q.Get("branch"), event: q.Get("event"), status: q.Get("status"), headSHA: q.Get("head_sha")}
	if v := q.Get("created"); v != "" {
		tr, err := parseTimeRange(v)
		if err != nil {
			// GitHub's answer to an invalid created is not documented;
			// the simulator refuses it the way it refuses other invalid
			// parameters.
			c.unprocessable(w, "Invalid value for created: %q (%v)", v, err)
			return
		}
		f.created, f.hasCreated = tr, true
	}
	now := s.now()
	var list []*run
	for _, rn := range s.w.runs {
		if rn.repo == rp && (wf == nil || rn.workflow == wf) && f.match(rn, now) {
			list = append(list, rn)
		}
	}
	slices.SortStableFunc(list, func(a, b *run) int {
		return cmp.Or(b.created.Compare(a.created), cmp.Compare(b.id, a.id))
	})
	start, end := c.paginate(w, r, len(list))
	out := make([]map[string]any, 0, end-start)
	for _, rn := range list[start:end] {
		out = append(out, c.runJSON(rn, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(list), "workflow_runs": out})
}

// getRun serves GET /repos/{o}/{r}/actions/runs/{run_id}.
func (s *Server) getRun(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	rp := s.lookupRepo(r)
	if rp == nil {
		c.notFound(w)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("run_id"), 10, 64)
	rn := s.w.runsByID[id]
	if err != nil || rn == nil || rn.repo != rp {
		c.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, c.runJSON(rn, s.now()))
}
