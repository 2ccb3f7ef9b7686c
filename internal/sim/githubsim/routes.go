package githubsim

import (
	"net/http"
	"strconv"
	"strings"
)

// Documentation URLs GitHub puts in errors of each endpoint family.
const (
	docsRepoSecrets   = "https://docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret"
	docsEnvSecrets    = "https://docs.github.com/rest/actions/secrets#create-or-update-an-environment-secret"
	docsOrgSecrets    = "https://docs.github.com/rest/actions/secrets#create-or-update-an-organization-secret"
	docsDependabot    = "https://docs.github.com/rest/dependabot/secrets"
	docsScanning      = "https://docs.github.com/rest/secret-scanning/secret-scanning"
	docsUpdateAlert   = "https://docs.github.com/rest/secret-scanning/secret-scanning#update-a-secret-scanning-alert"
	docsRepos         = "https://docs.github.com/rest/repos/repos"
	docsEnvironments  = "https://docs.github.com/rest/deployments/environments"
	docsWorkflows     = "https://docs.github.com/rest/actions/workflows"
	docsDispatch      = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"
	docsRuns          = "https://docs.github.com/rest/actions/workflow-runs"
	docsGitRefs       = "https://docs.github.com/rest/git/refs#get-a-reference"
	docsBranches      = "https://docs.github.com/rest/branches/branches#get-a-branch"
	docsContents      = "https://docs.github.com/rest/repos/contents#get-repository-content"
	docsUsers         = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
	docsMembership    = "https://docs.github.com/rest/orgs/members#get-an-organization-membership-for-the-authenticated-user"
	docsRateLimitEndp = "https://docs.github.com/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user"
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

	s.secretRoutes("/repos/{owner}/{repo}/actions/secrets", docsRepoSecrets, repoScope(appActions))
	s.secretRoutes("/repos/{owner}/{repo}/dependabot/secrets", docsDependabot, repoScope(appDependabot))
	s.secretRoutes("/repos/{owner}/{repo}/environments/{env}/secrets", docsEnvSecrets, envScope(false))
	s.secretRoutes("/repositories/{repository_id}/environments/{env}/secrets", docsEnvSecrets, envScope(true))
	s.secretRoutes("/orgs/{org}/actions/secrets", docsOrgSecrets, orgScope(appActions))
	s.secretRoutes("/orgs/{org}/dependabot/secrets", docsDependabot, orgScope(appDependabot))
	s.handle("GET /repos/{owner}/{repo}/actions/organization-secrets", docsOrgSecrets, s.listRepoOrgSecrets)

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
