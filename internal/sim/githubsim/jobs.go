package githubsim

import (
	"net/http"
	"strconv"
	"time"
)

// A run's jobs, artifacts and annotations, and what can be done to a run:
// cancel it, re-run it (all of it, its failed jobs, or its job), and
// disable or enable its workflow.
//
// Every run has one job per attempt, named after the workflow's job (the
// workflow file has one), whose status and conclusion follow the attempt's
// and whose steps (set up, checkout, the job's script, complete) advance
// with it; the script step fails, or is cancelled, when the attempt does.
// A job's ID is its check run's, so its annotations are served too: one
// failure annotation ("Process completed with exit code 1.", as a failed
// run step gets on GitHub) for a failed job, one for a cancelled job ("The
// operation was canceled."), none otherwise. Runs produce no artifacts and
// no logs.

// jobIDStride separates the job IDs of a run's attempts: attempt n of run
// r has job r.id + n*jobIDStride.
const jobIDStride = int64(1_000_000_000_000)

// msgCannotCancel is GitHub's answer to cancelling a completed run (409; gh
// words its own message from the status).
const msgCannotCancel = "Cannot cancel a workflow run that is completed."

// Re-running a run that has not completed, and re-running the failed jobs
// of a run that has none, are refused with 403 (gh says the run "cannot be
// rerun"). GitHub does not document the messages; these are the
// simulator's.
const (
	msgRerunRunning  = "This workflow is already running"
	msgNoFailedJobs  = "This workflow run has no failed jobs to re-run"
	msgJobNotLatest  = "This job is not part of the latest attempt of its workflow run"
	msgRerunDisabled = "This workflow is disabled"
)

// current is the run's current attempt, with its
// times and conclusion.
func (rn *run) current() attemptRecord {
	return attemptRecord{number: rn.attempt, queued: rn.queuedAt, started: rn.started, completed: rn.completed, conclusion: rn.conclusion}
}

// attempts are the run's attempts, oldest first.
func (rn *run) attempts() []attemptRecord {
	return append(append([]attemptRecord(nil), rn.previous...), rn.current())
}

func (rn *run) jobID(attempt int) int64 { return rn.id + int64(attempt)*jobIDStride }

// status is the attempt's status and conclusion at now.
func (a attemptRecord) status(now time.Time) (string, *string) {
	switch {
	case now.Before(a.started):
		return "queued", nil
	case now.Before(a.completed):
		return "in_progress", nil
	}
	c := a.conclusion
	return "completed", &c
}

// lookupRun resolves {owner}/{repo} and {run_id}, answering 404. Callers
// hold s.mu.
func (s *Server) lookupRun(w http.ResponseWriter, r *http.Request, c *call) *run {
	rp := s.lookupRepo(r)
	id, err := strconv.ParseInt(r.PathValue("run_id"), 10, 64)
	rn := s.w.runsByID[id]
	if rp == nil || err != nil || rn == nil || rn.repo != rp {
		c.notFound(w)
		return nil
	}
	return rn
}

// lookupJob resolves {owner}/{repo} and a job ID (path value name) to its
// run and attempt, answering 404. Callers hold s.mu.
func (s *Server) lookupJob(w http.ResponseWriter, r *http.Request, c *call, name string) (*run, attemptRecord) {
	rp := s.lookupRepo(r)
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if rp != nil && err == nil && id > jobIDStride {
		runID, attempt := id%jobIDStride, int(id/jobIDStride)
		if rn := s.w.runsByID[runID]; rn != nil && rn.repo == rp && attempt >= 1 && attempt <= rn.attempt {
			return rn, rn.attempts()[attempt-1]
		}
	}
	c.notFound(w)
	return nil, attemptRecord{}
}

// jobJSON renders the job of a run's attempt as GitHub's job.
func (c *call) jobJSON(rn *run, a attemptRecord, now time.Time) map[string]any {
	rp := rn.repo
	api := c.base + "/repos/" + rp.fullName()
	id := rn.jobID(a.number)
	sid, jid := strconv.FormatInt(rn.id, 10), strconv.FormatInt(id, 10)
	status, conclusion := a.status(now)
	var concl, completed, runnerID, runnerName, groupID, groupName any
	if conclusion != nil {
		concl, completed = *conclusion, ts(a.completed)
	}
	started := a.queued
	if status != "queued" {
		started = a.started
		runnerID, runnerName, groupID, groupName = 2, "GitHub Actions 2", 2, "GitHub Actions"
	}
	return map[string]any{
		"id":                id,
		"run_id":            rn.id,
		"run_url":           api + "/actions/runs/" + sid,
		"run_attempt":       a.number,
		"node_id":           nodeID("CR", id),
		"head_sha":          rn.headSHA,
		"url":               api + "/actions/jobs/" + jid,
		"html_url":          c.web + "/" + rp.fullName() + "/actions/runs/" + sid + "/job/" + jid,
		"status":            status,
		"conclusion":        concl,
		"created_at":        ts(a.queued),
		"started_at":        ts(started),
		"completed_at":      completed,
		"name":              jobID(rn.workflow.name),
		"steps":             jobSteps(rn.workflow, a, now),
		"check_run_url":     api + "/check-runs/" + jid,
		"labels":            []string{"ubuntu-latest"},
		"runner_id":         runnerID,
		"runner_name":       runnerName,
		"runner_group_id":   groupID,
		"runner_group_name": groupName,
		"workflow_name":     rn.workflow.name,
		"head_branch":       rn.headBranch,
	}
}

// jobSteps are the steps of the workflow's job in an attempt, as of now:
// none while it is queued; then set up, checkout, the job's script and
// complete, each taking its share of the attempt's duration.
func jobSteps(wf *workflow, a attemptRecord, now time.Time) []map[string]any {
	if now.Before(a.started) {
		return []map[string]any{}
	}
	names := []string{"Set up job", "Run actions/checkout@v4", "Run ./scripts/" + jobID(wf.name) + ".sh", "Complete job"}
	// Ends of each step as fractions of the attempt's running time.
	ends := []float64{0.1, 0.2, 0.9, 1}
	run := a.completed.Sub(a.started)
	var out []map[string]any
	from := a.started
	for i, name := range names {
		to := a.started.Add(time.Duration(float64(run) * ends[i]))
		step := map[string]any{"name": name, "number": i + 1, "started_at": nil, "completed_at": nil, "conclusion": nil}
		switch {
		case now.Before(from):
			step["status"] = "queued"
		case now.Before(to):
			step["status"] = "in_progress"
			step["started_at"] = ts(from)
		default:
			step["status"], step["started_at"], step["completed_at"] = "completed", ts(from), ts(to)
			step["conclusion"] = "success"
			if i == 2 && a.conclusion != ConclusionSuccess {
				step["conclusion"] = a.conclusion
			}
		}
		out = append(out, step)
		from = to
	}
	return out
}

// listJobs serves GET /repos/{o}/{r}/actions/runs/{run_id}/jobs: the job
// of the latest attempt, or with filter=all of every attempt.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rn := s.lookupRun(w, r, c)
	if rn == nil {
		return
	}
	attempts := []attemptRecord{rn.current()}
	switch f := r.URL.Query().Get("filter"); f {
	case "", "latest":
	case "all":
		attempts = rn.attempts()
	default:
		c.unprocessable(w, "Invalid request.\n\n%q is not a valid filter. Use latest or all.", f)
		return
	}
	now := s.now()
	start, end := c.paginate(w, r, len(attempts))
	jobs := make([]map[string]any, 0, end-start)
	for _, a := range attempts[start:end] {
		jobs = append(jobs, c.jobJSON(rn, a, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(attempts), "jobs": jobs})
}

// getJob serves GET /repos/{o}/{r}/actions/jobs/{job_id}.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rn, a := s.lookupJob(w, r, c, "job_id")
	if rn == nil {
		return
	}
	writeJSON(w, http.StatusOK, c.jobJSON(rn, a, s.now()))
}

// listArtifacts serves GET /repos/{o}/{r}/actions/runs/{run_id}/artifacts:
// simulated runs upload none.
func (s *Server) listArtifacts(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rn := s.lookupRun(w, r, c); rn == nil {
		return
	}
	c.paginate(w, r, 0)
	writeJSON(w, http.StatusOK, map[string]any{"total_count": 0, "artifacts": []any{}})
}

// listAnnotations serves GET /repos/{o}/{r}/check-runs/{check_run_id}/annotations
// for the check runs of jobs.
func (s *Server) listAnnotations(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rn, a := s.lookupJob(w, r, c, "check_run_id")
	if rn == nil {
		return
	}
	out := []map[string]any{}
	if _, conclusion := a.status(s.now()); conclusion != nil {
		message := ""
		switch *conclusion {
		case ConclusionFailure, ConclusionTimedOut:
			message = "Process completed with exit code 1."
		case ConclusionCancelled:
			message = "The operation was canceled."
		}
		if message != "" {
			out = append(out, map[string]any{
				"path": ".github", "blob_href": c.web + "/" + rn.repo.fullName() + "/blob/" + rn.headSHA + "/.github",
				"start_line": 1, "end_line": 1, "start_column": nil, "end_column": nil,
				"annotation_level": "failure", "title": "", "message": message, "raw_details": "",
			})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// actionsAccess answers 403 unless the token may run workflows on rp.
func (c *call) actionsAccess(w http.ResponseWriter, rp *repo) bool {
	if !c.perms.Actions || c.readOnlyOn(rp) {
		c.forbidden(w)
		return false
	}
	return true
}

// cancelRun serves POST /repos/{o}/{r}/actions/runs/{run_id}/cancel: a run
// that has not completed completes now, cancelled (GitHub cancels
// asynchronously and answers 202; the simulator's cancel is done by the
// time it answers). A completed run is a 409.
func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	rn := s.lookupRun(w, r, c)
	if rn == nil || !c.actionsAccess(w, rn.repo) {
		return
	}
	now := s.now()
	if !now.Before(rn.completed) {
		writeError(w, http.StatusConflict, msgCannotCancel, c.doc)
		return
	}
	if now.Before(rn.started) {
		rn.started = now // it never ran: it ends as it would have begun
	}
	rn.completed, rn.conclusion = now, ConclusionCancelled
	s.settle()
	writeJSON(w, http.StatusAccepted, struct{}{})
}

// rerunRun serves POST …/runs/{run_id}/rerun and, with failedOnly,
// …/rerun-failed-jobs (the simulator's runs have one job, so re-running
// the failed jobs re-runs the run when it failed).
func (s *Server) rerunRun(failedOnly bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.settle()
		rn := s.lookupRun(w, r, c)
		if rn == nil || !c.actionsAccess(w, rn.repo) || !decodeRerun(w, r, c) {
			return
		}
		if failedOnly && !s.now().Before(rn.completed) && rn.conclusion == ConclusionSuccess {
			writeError(w, http.StatusForbidden, msgNoFailedJobs, c.doc)
			return
		}
		s.rerun(w, c, rn)
	}
}

// rerunJob serves POST /repos/{o}/{r}/actions/jobs/{job_id}/rerun: the
// job of the latest attempt re-runs its run.
func (s *Server) rerunJob(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	rn, a := s.lookupJob(w, r, c, "job_id")
	if rn == nil || !c.actionsAccess(w, rn.repo) || !decodeRerun(w, r, c) {
		return
	}
	if a.number != rn.attempt {
		writeError(w, http.StatusForbidden, msgJobNotLatest, c.doc)
		return
	}
	s.rerun(w, c, rn)
}

// decodeRerun checks a re-run's optional body {"enable_debug_logging":
// bool}.
func decodeRerun(w http.ResponseWriter, r *http.Request, c *call) bool {
	var body map[string]any
	if !c.decodeBody(w, r, &body) {
		return false
	}
	if v, ok := body["enable_debug_logging"]; ok {
		if _, isBool := v.(bool); !isBool {
			c.unprocessable(w, "Invalid request.\n\nFor 'properties/enable_debug_logging', %v is not a boolean.", v)
			return false
		}
	}
	return true
}

// rerun starts the next attempt of a completed run, with the workflow's
// current duration and conclusion, and answers 201. The attempt sees the
// secrets in force when it starts, which are what the run then records (a
// re-run reads secrets afresh, as a job does whenever it runs). Callers
// hold s.mu and have settled the runs.
func (s *Server) rerun(w http.ResponseWriter, c *call, rn *run) {
	now := s.now()
	switch {
	case now.Before(rn.completed):
		writeError(w, http.StatusForbidden, msgRerunRunning, c.doc)
		return
	case rn.workflow.disabled:
		writeError(w, http.StatusForbidden, msgRerunDisabled, c.doc)
		return
	}
	wf := rn.workflow
	rn.previous = append(rn.previous, rn.current())
	rn.attempt++
	rn.queuedAt, rn.triggeringActor = now, c.user
	rn.started, rn.completed, rn.conclusion = now.Add(queuedFor(wf.runDuration)), now.Add(wf.runDuration), wf.conclusion
	rn.captured, rn.secrets = false, nil
	s.settle() // an attempt that starts at once sees the secrets as they are now
	writeJSON(w, http.StatusCreated, struct{}{})
}

// setWorkflowEnabled serves PUT …/workflows/{workflow_id}/enable and
// /disable (204). A disabled workflow's dispatches are refused with 422,
// as on GitHub, and its runs cannot be re-run.
func (s *Server) setWorkflowEnabled(enabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		s.mu.Lock()
		defer s.mu.Unlock()
		rp, wf := s.lookupWorkflow(w, r, c)
		if wf == nil || !c.actionsAccess(w, rp) {
			return
		}
		wf.disabled = !enabled
		writeNoContent(w)
	}
}

// state is the workflow's state as GitHub names it.
func (wf *workflow) state() string {
	if wf.disabled {
		return "disabled_manually"
	}
	return "active"
}
