package steps

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// The interfaces below are what the provider steps need from OpenAI and
// GitHub. The steps own them; internal/openaiapi and internal/githubapi
// implement them over the official clients, and tests run those clients
// against the built-in simulator.

// ErrNotFound is returned by providers when the object does not exist (or
// no longer does).
var ErrNotFound = errors.New("not found")

// OpenAI is the OpenAI Admin API as the openai.* steps use it.
type OpenAI interface {
	ListProjects(ctx context.Context) ([]Project, error)
	// ListProjectKeys lists every key of a project (all pages), including
	// service-account keys.
	ListProjectKeys(ctx context.Context, projectID string) ([]ProjectKey, error)
	GetProjectKey(ctx context.Context, projectID, keyID string) (ProjectKey, error)
	// DeleteProjectKey deletes a user-owned key; ErrNotFound if it is gone.
	DeleteProjectKey(ctx context.Context, projectID, keyID string) error
	ListServiceAccounts(ctx context.Context, projectID string) ([]ServiceAccount, error)
	// CreateServiceAccount creates a service account and returns its
	// unredacted key, which the API shows only once.
	CreateServiceAccount(ctx context.Context, projectID, name string) (ServiceAccount, NewKey, error)
	// DeleteServiceAccount deletes it and so revokes its keys; ErrNotFound
	// if it is gone.
	DeleteServiceAccount(ctx context.Context, projectID, id string) error
	// CheckKey calls GET /v1/models with key.
	CheckKey(ctx context.Context, key secret.Value) (KeyCheck, error)
	// Usage returns completions usage of the given keys, hourly buckets
	// grouped by api_key_id, over [start, end).
	Usage(ctx context.Context, projectID string, keyIDs []string, start, end time.Time) ([]UsageBucket, error)
	// SpendControls reports a project's hard spend limit and spend alerts
	// (GET …/spend_limit and …/spend_alerts); a project without a limit
	// has a nil Limit, not an error.
	SpendControls(ctx context.Context, projectID string) (SpendControls, error)
}

// SpendControls are a project's guards against runaway spend.
type SpendControls struct {
	Limit  *SpendLimit // nil: no hard spend limit
	Alerts []SpendAlert
}

// SpendLimit is a project's hard spend limit.
type SpendLimit struct {
	AmountCents int64
	Currency    string // "USD"
	Interval    string // "month"
	Enforcement string // e.g. "enforcing"
}

// SpendAlert is one spend alert of a project.
type SpendAlert struct {
	ID          string
	AmountCents int64
	Currency    string
	Interval    string
	Recipients  int // how many addresses it e-mails (the addresses are not kept)
}

// Project is an OpenAI project.
type Project struct {
	ID, Name, Status string
}

// ProjectKey is a project API key's metadata (never its value).
type ProjectKey struct {
	ID            string
	Name          string
	RedactedValue string
	Created       time.Time
	LastUsed      *time.Time // nil if never used
	OwnerType     string     // "user" or "service_account"
	OwnerID       string     // user_… or svc_acct_…
	OwnerName     string
	OwnerEmail    string // users only
}

// ServiceAccount is a project service account.
type ServiceAccount struct {
	ID, Name, Role string
	Created        time.Time
}

// NewKey is a key as created: the value is shown only this once.
type NewKey struct {
	ID    string
	Name  string
	Value secret.Value
}

// KeyState is what GET /v1/models says about a key.
type KeyState string

const (
	KeyLive       KeyState = "live"       // 200
	KeyDead       KeyState = "dead"       // 401 with code invalid_api_key
	KeyRestricted KeyState = "restricted" // 401 with another code: alive but lacking scopes
)

// KeyCheck is the evidence of a key check.
type KeyCheck struct {
	State      KeyState
	StatusCode int
	Code       string // the error code, if any
	Method     string // how it was checked: "GET /v1/models", "sts:GetCallerIdentity"
	Detail     string // e.g. the identity a live AWS key authenticates as
	CheckedAt  time.Time
}

// UsageBucket is one hour of a key's usage.
type UsageBucket struct {
	Start, End   time.Time
	KeyID        string
	Requests     int64
	InputTokens  int64
	OutputTokens int64
}

// GitHub is the GitHub REST API as the github.* steps and GitHub targets
// use it.
type GitHub interface {
	// User is the token's login (and checks the token).
	User(ctx context.Context) (string, error)
	// RepoPermissions reports the token's access to a repository
	// (ErrNotFound if it cannot see it).
	RepoPermissions(ctx context.Context, owner, repo string) (RepoPermissions, error)
	// ReposPermissions reports the token's access to many repositories
	// (owner/name) with as few requests as GitHub allows (an
	// organization's repositories are listed 100 a page, pages at once),
	// so checking a thousand repositories costs a few round trips, not a
	// thousand. Every repository asked has an entry, under the name as
	// given; one the token cannot see has an error matching ErrNotFound.
	ReposPermissions(ctx context.Context, repos []string) map[string]RepoAccess
	// OrgRole reports the token's user's role in an organization: "admin"
	// (an owner, who may manage organization secrets) or "member"
	// (ErrNotFound if the user is not a member, or the organization does
	// not exist).
	OrgRole(ctx context.Context, org string) (string, error)
	// PublicKey fetches the sealed-box public key of a secret scope (once:
	// keys are kept, across runs when the client has a key cache).
	PublicKey(ctx context.Context, s SecretScope) (PublicKey, error)
	// KnowsPublicKey reports whether PublicKey would answer without a
	// request (the key is cached), for the plan's cost estimate.
	KnowsPublicKey(s SecretScope) bool
	// KnownOrganization reports, without a request, whether owner is an
	// organization, when the client has learned it (known is false
	// otherwise): ReposPermissions lists an organization's repositories,
	// and finds a user's login is not one.
	KnownOrganization(owner string) (isOrg, known bool)
	// OrgSecret reads an organization secret's audience: whether it
	// exists, its visibility and, when selected, the repositories that may
	// use it.
	OrgSecret(ctx context.Context, s SecretScope, name string) (OrgSecretState, error)
	// PutSecret stores an encrypted secret; created is true for 201, false
	// for 204 (updated). org scopes take visibility and selected repos.
	PutSecret(ctx context.Context, s SecretScope, name string, sealed Sealed, org OrgSecretOptions) (created bool, err error)
	// GetWorkflow reads a workflow by file name (deploy.yml) or ID
	// (ErrNotFound if the repository has no such workflow).
	GetWorkflow(ctx context.Context, owner, repo, workflow string) (Workflow, error)
	// RefExists reports whether ref (a branch or tag name, or refs/heads/…,
	// refs/tags/…) exists in the repository.
	RefExists(ctx context.Context, owner, repo, ref string) (bool, error)
	// WorkflowTrigger reads the workflow file at path (as Workflow.Path
	// gives it) on ref and says whether it declares workflow_dispatch, and
	// with which inputs (ErrNotFound if the file or ref does not exist).
	WorkflowTrigger(ctx context.Context, owner, repo, path, ref string) (DispatchTrigger, error)
	// DispatchWorkflow sends a workflow_dispatch event asking for the run's
	// details; a server that ignores the request (204) gives a zero
	// RunID. It is never retried: a failure whose response may have been
	// lost (a timeout, a reset connection, a 5xx) may still have started a
	// run.
	DispatchWorkflow(ctx context.Context, owner, repo, workflow, ref string, inputs map[string]any) (Dispatched, error)
	// ListWorkflowRuns lists a workflow's runs matching f, newest first.
	ListWorkflowRuns(ctx context.Context, owner, repo, workflow string, f RunFilter) ([]WorkflowRun, error)
	// GetWorkflowRun reads one run (ErrNotFound if it does not exist).
	GetWorkflowRun(ctx context.Context, owner, repo string, id int64) (WorkflowRun, error)
	GetAlert(ctx context.Context, owner, repo string, number int) (Alert, error)
	// ResolveAlert sets state resolved with a resolution and comment (the
	// comment is sent by hand: go-github v60 lacks the field).
	ResolveAlert(ctx context.Context, owner, repo string, number int, resolution, comment string) (Alert, error)
}

// Workflow is a GitHub Actions workflow.
type Workflow struct {
	ID      int64
	Name    string
	Path    string // .github/workflows/deploy.yml
	State   string // active, disabled_manually, …
	HTMLURL string
}

// DispatchTrigger is what a workflow file declares about workflow_dispatch.
type DispatchTrigger struct {
	Dispatch bool // on: workflow_dispatch is declared
	Inputs   []WorkflowInput
}

// WorkflowInput is one input of on.workflow_dispatch.inputs.
type WorkflowInput struct {
	Name       string
	Required   bool
	Default    string
	HasDefault bool
	Type       string // string, boolean, choice, number, environment ("" when not given)
}

// Dispatched is what a dispatch answered: the run's ID and URLs when the
// server returned them (return_run_details), zero otherwise.
type Dispatched struct {
	RunID   int64
	RunURL  string // API URL
	HTMLURL string
}

// RunFilter selects workflow runs.
type RunFilter struct {
	Event  string    // e.g. workflow_dispatch
	Branch string    // the run's head branch (or tag)
	Actor  string    // the login that started the run
	Since  time.Time // created at or after (second precision); zero for any time
}

// WorkflowRun is one run of a workflow.
type WorkflowRun struct {
	ID         int64
	WorkflowID int64
	RunNumber  int
	Event      string
	HeadBranch string
	Actor      string
	Status     string // queued, in_progress, completed, waiting, …
	Conclusion string // when completed: success, failure, cancelled, timed_out, …
	HTMLURL    string
	Created    time.Time
	Started    time.Time // run_started_at
	Updated    time.Time // when completed, the completion time
}

// RepoAccess is the token's access to one repository, or why it is not
// known (Err; ErrNotFound when the token cannot see the repository).
type RepoAccess struct {
	Perms RepoPermissions
	Err   error
}

// RepoPermissions is the token's role on a repository.
type RepoPermissions struct {
	ID                    int64
	Admin, Maintain, Push bool
	Pull                  bool
	Private               bool
}

// SecretScope is where a GitHub secret lives.
type SecretScope struct {
	App         string // "actions" or "dependabot"
	Owner, Repo string // repository scopes
	Environment string // with Owner/Repo: an environment (actions only)
	Org         string // organization scope
}

// ScopeOf returns the secret scope of a github-actions or
// github-dependabot target.
func ScopeOf(t target.Target) SecretScope {
	app := "actions"
	if t.Type == target.GitHubDependabot {
		app = "dependabot"
	}
	s := SecretScope{App: app, Org: t.Org, Environment: t.Environment}
	if t.Repo != "" {
		s.Owner, s.Repo, _ = strings.Cut(t.Repo, "/")
	}
	return s
}

// PublicKey is a scope's sealed-box public key.
type PublicKey struct {
	ID  string
	Key [32]byte
}

// Sealed is a value sealed for a PublicKey, base64-encoded.
type Sealed struct {
	KeyID          string
	EncryptedValue string
}

// OrgSecretState is an organization secret's audience as it is now.
type OrgSecretState struct {
	Exists     bool
	Visibility string   // all, private, selected
	Repos      []string // with selected: the repositories' names (owner/name for another owner)
}

// OrgSecretOptions apply to organization secrets.
type OrgSecretOptions struct {
	Visibility    string   // all, private, selected
	SelectedRepos []string // repository names, resolved to IDs by the client
}

// Alert is a secret-scanning alert.
type Alert struct {
	Number     int
	State      string // open, resolved
	Resolution string
	Comment    string
	SecretType string
	Secret     secret.Value // the leaked value, as GitHub reports it
	Created    time.Time
	HTMLURL    string
	Locations  []AlertLocation // commit locations, oldest first
}

// AlertLocation is where the secret was found.
type AlertLocation struct {
	Path      string
	StartLine int
	CommitSHA string
	CommitURL string
	BlobURL   string
}

// BatchChecker is a TargetWriter that checks many targets at once with
// fewer requests than one per target (preflight uses it when a writer
// has it). errs[i] is ts[i]'s problem, nil when it passed.
type BatchChecker interface {
	CheckAll(ctx context.Context, ts []target.Target) (errs []error)
}

// TargetsNoter is a TargetWriter with something to say about many of its
// targets together: what writing them costs at the provider's limits, or
// a cheaper way to hold them (the deploy step's plan notes).
type TargetsNoter interface {
	PlanNotes(ctx context.Context, ts []target.Target) []step.Note
}

// TargetWriter writes a credential to one type of target. Writes must be
// idempotent: writing the same value twice leaves the same state.
type TargetWriter interface {
	// Check says whether the target can be written, without writing
	// (preflight). The error says what is missing and what to do.
	Check(ctx context.Context, t target.Target) error
	// Plan says what Write would do (create or update), without writing.
	Plan(ctx context.Context, t target.Target) (step.Change, error)
	// Write stores the value.
	Write(ctx context.Context, t target.Target, v secret.Value) (WriteResult, error)
}

// WriteResult is the evidence of a write.
type WriteResult struct {
	Created bool   // false: an existing value was replaced
	Detail  string // e.g. "201 Created", "replaced line 4"
	// Warning is what the responder must know although the write
	// succeeded (a public key respond had was wrong); shown and journaled.
	Warning string
}

// Providers gives steps their clients, built lazily so that validating a
// playbook needs no credentials. A nil func means the provider is not
// configured; steps say which environment variable to set.
type Providers struct {
	OpenAI func() (OpenAI, error)
	GitHub func() (GitHub, error)
	AWS    func() (AWS, error)
}
