package githubsim

import (
	"net/http"
	"strconv"
	"strings"
)

// Documentation URLs GitHub puts in errors of each endpoint family.
const (
	docsActionsSecrets = "https://docs.github.com/rest/actions/secrets"
	docsDependabot     = "https://docs.github.com/rest/dependabot/secrets"
	docsRepoOrgSecrets = docsActionsSecrets + "#list-repository-organization-secrets"
	docsScanning       = "https://docs.github.com/rest/secret-scanning/secret-scanning"
	docsUpdateAlert    = "https://docs.github.com/rest/secret-scanning/secret-scanning#update-a-secret-scanning-alert"
	docsRepos          = "https://docs.github.com/rest/repos/repos"
	docsEnvironments   = "https://docs.github.com/rest/deployments/environments"
	docsWorkflows      = "https://docs.github.com/rest/actions/workflows"
	docsDispatch       = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"
	docsRuns           = "https://docs.github.com/rest/actions/workflow-runs"
	docsGitRefs        = "https://docs.github.com/rest/git/refs#get-a-reference"
	docsBranches       = "https://docs.github.com/rest/branches/branches#get-a-branch"
	docsContents       = "https://docs.github.com/rest/repos/contents#get-repository-content"
	docsUsers          = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
	docsMembership     = "https://docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user"
	docsRateLimitEndp  = "https://docs.github.com/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user"
	docsMetaRoot       = "https://docs.github.com/rest/meta/meta#github-api-root"
	docsOrgs           = "https://docs.github.com/rest/orgs/orgs#get-an-organization"
	docsUserRepos      = "https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user"
	docsJobs           = "https://docs.github.com/rest/actions/workflow-jobs"
	docsArtifacts      = "https://docs.github.com/rest/actions/artifacts#list-workflow-run-artifacts"
	docsAnnotations    = "https://docs.github.com/rest/checks/runs#list-check-run-annotations"
	docsCancel         = "https://docs.github.com/rest/actions/workflow-runs#cancel-a-workflow-run"
	docsRerun          = "https://docs.github.com/rest/actions/workflow-runs#re-run-a-workflow"
	docsRerunFailed    = "https://docs.github.com/rest/actions/workflow-runs#re-run-failed-jobs-from-a-workflow-run"
	docsRerunJob       = "https://docs.github.com/rest/actions/workflow-runs#re-run-a-job-from-a-workflow-run"
	docsDisable        = "https://docs.github.com/rest/actions/workflows#disable-a-workflow"
	docsEnable         = "https://docs.github.com/rest/actions/workflows#enable-a-workflow"
	docsGraphQL        = "https://docs.github.com/graphql"
)

func (s *Server) routes() {
	s.mux = http.NewServeMux()

	s.handle("/", docsRoot, func(w http.ResponseWriter, _ *http.Request, c *call) { c.notFound(w) })

	s.handle("GET /user", docsUsers, s.getUser)
	s.handle("GET /user/memberships/orgs/{org}", docsMembership, s.getMembership)
	s.handle("GET /rate_limit", docsRateLimitEndp, s.getRateLimit)
	s.handle("GET /repos/{owner}/{repo}", docsRepos, s.getRepo)
	s.handle("GET /repositories/{repository_id}", docsRepos, s.getRepoByID)
	s.handle("GET /orgs/{org}/repos", docsRepos, s.listOrgRepos)
	s.handle("GET /repos/{owner}/{repo}/environments", docsEnvironments, s.listEnvironments)
	s.handle("GET /repos/{owner}/{repo}/environments/{env}", docsEnvironments, s.getEnvironment)

	s.secretRoutes("/repos/{owner}/{repo}/actions/secrets", docsForSecrets(docsActionsSecrets, "repository"), repoScope(appActions))
	s.secretRoutes("/repos/{owner}/{repo}/dependabot/secrets", docsForSecrets(docsDependabot, "repository"), repoScope(appDependabot))
	s.secretRoutes("/repos/{owner}/{repo}/environments/{env}/secrets", docsForSecrets(docsActionsSecrets, "environment"), envScope(false))
	s.secretRoutes("/repositories/{repository_id}/environments/{env}/secrets", docsForSecrets(docsActionsSecrets, "environment"), envScope(true))
	s.secretRoutes("/orgs/{org}/actions/secrets", docsForSecrets(docsActionsSecrets, "organization"), orgScope(appActions))
	s.secretRoutes("/orgs/{org}/dependabot/secrets", docsForSecrets(docsDependabot, "organization"), orgScope(appDependabot))
	s.handle("GET /repos/{owner}/{repo}/actions/organization-secrets", docsRepoOrgSecrets, s.listRepoOrgSecrets)

	s.handle("GET /repos/{owner}/{repo}/secret-scanning/alerts", docsScanning, s.listRepoAlerts)
	s.handle("GET /orgs/{org}/secret-scanning/alerts", docsScanning, s.listOrgAlerts)
	s.handle("GET /repos/{owner}/{repo}/secret-scanning/alerts/{number}", docsScanning, s.getAlert)
	s.handle("PATCH /repos/{owner}/{repo}/secret-scanning/alerts/{number}", docsUpdateAlert, s.updateAlert)
	s.handle("GET /repos/{owner}/{repo}/secret-scanning/alerts/{number}/locations", docsScanning, s.listAlertLocations)

	s.handle("GET /repos/{owner}/{repo}/actions/workflows", docsWorkflows, s.listWorkflows)
	s.handle("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}", docsWorkflows, s.getWorkflow)
	s.handle("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", docsDispatch, s.dispatchWorkflow)
	s.handle("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", docsRuns, s.listRuns)
	s.handle("GET /repos/{owner}/{repo}/actions/runs", docsRuns, s.listRuns)
	s.handle("GET /repos/{owner}/{repo}/actions/runs/{run_id}", docsRuns, s.getRun)
	s.handle("GET /repos/{owner}/{repo}/git/ref/{ref...}", docsGitRefs, s.getGitRef)
	s.handle("GET /repos/{owner}/{repo}/branches/{branch...}", docsBranches, s.getBranch)
	s.handle("GET /repos/{owner}/{repo}/contents/{path...}", docsContents, s.getContent)

	s.hookRoutes() // hooks.go
	s.handle("GET /{$}", docsMetaRoot, s.getRoot)
	s.handle("GET /orgs/{org}", docsOrgs, s.getOrg)
	s.handle("GET /user/repos", docsUserRepos, s.listUserRepos)
	s.handle("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs", docsJobs+"#list-jobs-for-a-workflow-run", s.listJobs)
	s.handle("GET /repos/{owner}/{repo}/actions/jobs/{job_id}", docsJobs+"#get-a-job-for-a-workflow-run", s.getJob)
	s.handle("GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts", docsArtifacts, s.listArtifacts)
	s.handle("GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", docsAnnotations, s.listAnnotations)
	s.handle("POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel", docsCancel, s.cancelRun)
	s.handle("POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun", docsRerun, s.rerunRun(false))
	s.handle("POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs", docsRerunFailed, s.rerunRun(true))
	s.handle("POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun", docsRerunJob, s.rerunJob)
	s.handle("PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/disable", docsDisable, s.setWorkflowEnabled(false))
	s.handle("PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable", docsEnable, s.setWorkflowEnabled(true))
	s.handle("POST /graphql", docsGraphQL, s.serveGraphQL)
}

// lookupRepo resolves {owner}/{repo} of the request. Callers hold s.mu.
func (s *Server) lookupRepo(r *http.Request) *repo {
	return s.w.repo(r.PathValue("owner"), r.PathValue("repo"))
}

// lookupRepoID resolves {repository_id}. Callers hold s.mu.
func (s *Server) lookupRepoID(r *http.Request) *repo {
	id, err := strconv.ParseInt(r.PathValue("repository_id"), 10, 64)
	if err != nil {
		return nil
	}
	return s.w.reposByID[id]
}

func (s *Server) lookupOrg(r *http.Request) *org {
	return s.w.orgs[strings.ToLower(r.PathValue("org"))]
}
