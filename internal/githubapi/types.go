package githubapi

import (
	"time"

	"github.com/respondhq/respond/internal/secret"
)

// The types below are GitHub's objects as respond uses them.

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
	// Validity (active, inactive, unknown), PubliclyLeaked and Updated
	// are fields go-github v60 does not know, decoded from GitHub's JSON.
	Validity       string
	PubliclyLeaked bool
	Updated        time.Time
}

// AlertLocation is where the secret was found.
type AlertLocation struct {
	Path      string
	StartLine int
	CommitSHA string
	CommitURL string
	BlobURL   string
}
