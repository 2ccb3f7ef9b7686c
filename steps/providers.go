package steps

import (
	"context"
	"time"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// The interfaces below are what the steps and targets need from GitHub.
// internal/githubapi implements them over go-github, and tests run it
// against the built-in simulator.

// ErrNotFound is returned by providers when the object does not exist (or
// no longer does).
var ErrNotFound = step.ErrNotFound

// GitHub is the GitHub REST API as the github.* steps and GitHub targets
// use it.
type GitHub interface {
	// User is the token's login (and checks the token).
	User(ctx context.Context) (string, error)
	// RepoPermissions reports the token's access to a repository
	// (ErrNotFound if it cannot see it).
	RepoPermissions(ctx context.Context, owner, repo string) (githubapi.RepoPermissions, error)
	// ReposPermissions reports the token's access to many repositories
	// (owner/name) with as few requests as GitHub allows (an
	// organization's repositories are listed 100 a page, pages at once),
	// so checking a thousand repositories costs a few round trips, not a
	// thousand. Every repository asked has an entry, under the name as
	// given; one the token cannot see has an error matching ErrNotFound.
	ReposPermissions(ctx context.Context, repos []string) map[string]githubapi.RepoAccess
	// OrgRole reports the token's user's role in an organization: "admin"
	// (an owner, who may manage organization secrets) or "member"
	// (ErrNotFound if the user is not a member, or the organization does
	// not exist).
	OrgRole(ctx context.Context, org string) (string, error)
	// PublicKey fetches the sealed-box public key of a secret scope (once:
	// keys are kept, across runs when the client has a key cache).
	PublicKey(ctx context.Context, s githubapi.SecretScope) (githubapi.PublicKey, error)
	// KnowsPublicKey reports whether PublicKey would answer without a
	// request (the key is cached), for the plan's cost estimate.
	KnowsPublicKey(s githubapi.SecretScope) bool
	// KnownOrganization reports, without a request, whether owner is an
	// organization, when the client has learned it (known is false
	// otherwise): ReposPermissions lists an organization's repositories,
	// and finds a user's login is not one.
	KnownOrganization(owner string) (isOrg, known bool)
	// OrgSecret reads an organization secret's audience: whether it
	// exists, its visibility and, when selected, the repositories that may
	// use it.
	OrgSecret(ctx context.Context, s githubapi.SecretScope, name string) (githubapi.OrgSecretState, error)
	// PutSecret stores an encrypted secret; created is true for 201, false
	// for 204 (updated). org scopes take visibility and selected repos.
	PutSecret(ctx context.Context, s githubapi.SecretScope, name string, sealed githubapi.Sealed, org githubapi.OrgSecretOptions) (created bool, err error)
	// GetWorkflow reads a workflow by file name (deploy.yml) or ID
	// (ErrNotFound if the repository has no such workflow).
	GetWorkflow(ctx context.Context, owner, repo, workflow string) (githubapi.Workflow, error)
	// RefExists reports whether ref (a branch or tag name, or refs/heads/…,
	// refs/tags/…) exists in the repository.
	RefExists(ctx context.Context, owner, repo, ref string) (bool, error)
	// WorkflowTrigger reads the workflow file at path (as Workflow.Path
	// gives it) on ref and says whether it declares workflow_dispatch, and
	// with which inputs (ErrNotFound if the file or ref does not exist).
	WorkflowTrigger(ctx context.Context, owner, repo, path, ref string) (githubapi.DispatchTrigger, error)
	// DispatchWorkflow sends a workflow_dispatch event asking for the run's
	// details; a server that ignores the request (204) gives a zero
	// RunID. It is never retried: a failure whose response may have been
	// lost (a timeout, a reset connection, a 5xx) may still have started a
	// run.
	DispatchWorkflow(ctx context.Context, owner, repo, workflow, ref string, inputs map[string]any) (githubapi.Dispatched, error)
	// ListWorkflowRuns lists a workflow's runs matching f, newest first.
	ListWorkflowRuns(ctx context.Context, owner, repo, workflow string, f githubapi.RunFilter) ([]githubapi.WorkflowRun, error)
	// GetWorkflowRun reads one run (ErrNotFound if it does not exist).
	GetWorkflowRun(ctx context.Context, owner, repo string, id int64) (githubapi.WorkflowRun, error)
	GetAlert(ctx context.Context, owner, repo string, number int) (githubapi.Alert, error)
	// ResolveAlert sets state resolved with a resolution and comment (the
	// comment is sent by hand: go-github v60 lacks the field).
	ResolveAlert(ctx context.Context, owner, repo string, number int, resolution, comment string) (githubapi.Alert, error)
}

// Providers is what step kinds are built with: the plug-in environment
// their clients are built from (once each: every step shares one client
// per provider, so GitHub's rate limiter is one per token), and the
// providers of keys built from it.
type Providers struct {
	Env     *plugin.Env
	Keys    *provider.Set
	Targets *target.Set
	// Now is the clock of steps that read time windows (key.usage); nil
	// is time.Now.
	Now func() time.Time
}

// Kind returns the named kind built with p (nil if there is none).
func (p *Providers) Kind(name string) step.Kind {
	k, _ := CatalogWith(p).Lookup(name)
	return k
}

// ProvidersWith returns the providers of a fresh environment whose
// clients are the ones given, by shared key (githubapi.SharedKey, …): for
// callers that build clients their own way (tests, benchmarks).
func ProvidersWith(getenv func(string) string, clients map[string]any) *Providers {
	env := plugin.New(getenv, nil, nil)
	for k, v := range clients {
		env.Provide(k, v)
	}
	return NewProviders(env)
}

// NewProviders returns the providers of env.
func NewProviders(env *plugin.Env) *Providers {
	if env == nil {
		env = plugin.New(nil, nil, nil)
	}
	return &Providers{Env: env, Keys: provider.NewSet(env), Targets: target.NewSet(env)}
}

// WithClock returns a copy of p whose steps read time from now.
func WithClock(p *Providers, now func() time.Time) *Providers {
	c := *p
	c.Now = now
	return &c
}
