package githubsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Seeding methods build the world before (or while) clients talk to it.
// They generate key material from Options.Rand in call order, so the same
// sequence of calls with the same Rand gives the same world.

// AddToken registers token as a credential of the user login (created if
// needed) with perms. Adding an existing token replaces its user and
// permissions.
func (s *Server) AddToken(tok, login string, perms Permissions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.tokens[tok] = &token{value: tok, user: s.w.accountFor(login), perms: perms,
		id: s.w.nextTokenID, kind: tokenKind(tok), created: seedEpoch}
	s.w.nextTokenID++
}

// AddOrg adds the organization login with the given ID, with its own
// Actions and Dependabot key pairs. Adding an existing organization is an
// error.
func (s *Server) AddOrg(login string, id int64) error {
	if login == "" {
		return fmt.Errorf("add organization: empty login")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(login)
	if s.w.accounts[key] != nil {
		return fmt.Errorf("add organization %q: an account with that login already exists", login)
	}
	actions, err := s.newStore()
	if err != nil {
		return fmt.Errorf("add organization %q: %w", login, err)
	}
	dependabot, err := s.newStore()
	if err != nil {
		return fmt.Errorf("add organization %q: %w", login, err)
	}
	a := &account{login: login, id: id, org: true}
	s.w.accounts[key] = a
	s.w.orgs[key] = &org{acct: a, actions: actions, dependabot: dependabot}
	return nil
}

// AddRepo adds the repository owner/name with the given ID. The owner is an
// organization added with AddOrg or else a user (created if needed). The
// repository gets its own Actions and Dependabot key pairs.
func (s *Server) AddRepo(owner, name string, id int64, private bool) error {
	if owner == "" || name == "" {
		return fmt.Errorf("add repository %q/%q: owner and name must not be empty", owner, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.repo(owner, name) != nil {
		return fmt.Errorf("add repository %s/%s: it already exists", owner, name)
	}
	if s.w.reposByID[id] != nil {
		return fmt.Errorf("add repository %s/%s: ID %d is already used by %s", owner, name, id, s.w.reposByID[id].fullName())
	}
	actions, err := s.newStore()
	if err != nil {
		return fmt.Errorf("add repository %s/%s: %w", owner, name, err)
	}
	dependabot, err := s.newStore()
	if err != nil {
		return fmt.Errorf("add repository %s/%s: %w", owner, name, err)
	}
	r := &repo{owner: s.w.accountFor(owner), name: name, id: id, private: private,
		actions: actions, dependabot: dependabot, envs: map[string]*environment{},
		branches: map[string]string{}, tags: map[string]string{}, defaultBranch: "main"}
	r.branches[r.defaultBranch] = commitSHA(r, "refs/heads/"+r.defaultBranch)
	s.w.repos[strings.ToLower(owner+"/"+name)] = r
	s.w.reposByID[id] = r
	return nil
}

// SetPushProtection turns secret scanning's push protection of
// owner/repo on or off (repositories start with it on).
func (s *Server) SetPushProtection(owner, repoName string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return fmt.Errorf("set push protection: repository %s/%s does not exist; add it first", owner, repoName)
	}
	r.pushProtectionOff = !on
	return nil
}

// AddEnvironment adds the deployment environment env to owner/repo, with its
// own key pair. Environment IDs are assigned in call order.
func (s *Server) AddEnvironment(owner, repoName, env string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return fmt.Errorf("add environment %q: repository %s/%s does not exist; add it first", env, owner, repoName)
	}
	if env == "" {
		return fmt.Errorf("add environment to %s: empty name", r.fullName())
	}
	if r.env(env) != nil {
		return fmt.Errorf("add environment %q to %s: it already exists", env, r.fullName())
	}
	st, err := s.newStore()
	if err != nil {
		return fmt.Errorf("add environment %q to %s: %w", env, r.fullName(), err)
	}
	r.envs[strings.ToLower(env)] = &environment{name: env, id: s.w.nextEnvID, store: st}
	s.w.nextEnvID++
	return nil
}

// AddWorkflow adds the workflow file (e.g. "deploy.yml") with the given ID
// to owner/repo, so it can be dispatched by file name or ID. It declares
// on: workflow_dispatch without inputs, and its runs succeed after
// Options.RunDuration. AddWorkflowWith sets everything.
func (s *Server) AddWorkflow(owner, repoName, file string, id int64) error {
	return s.AddWorkflowWith(owner, repoName, Workflow{File: file, ID: id, Dispatch: true})
}

// SetRepoSecret creates or updates the Actions secret name of owner/repo
// with plaintext at the given time.
func (s *Server) SetRepoSecret(owner, repoName, name, plaintext string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return fmt.Errorf("set repository secret %s: repository %s/%s does not exist; add it first", name, owner, repoName)
	}
	return seedSecret(r.actions, name, plaintext, at, "", nil)
}

// SetEnvSecret creates or updates the secret name of environment env of
// owner/repo.
func (s *Server) SetEnvSecret(owner, repoName, env, name, plaintext string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return fmt.Errorf("set environment secret %s: repository %s/%s does not exist; add it first", name, owner, repoName)
	}
	e := r.env(env)
	if e == nil {
		return fmt.Errorf("set environment secret %s: environment %q of %s does not exist; add it first", name, env, r.fullName())
	}
	return seedSecret(e.store, name, plaintext, at, "", nil)
}

// SetOrgSecret creates or updates the Actions secret name of organization
// org with visibility "all", "private" or "selected" (then selectedRepoIDs
// must name repositories of org).
func (s *Server) SetOrgSecret(orgLogin, name, plaintext, visibility string, selectedRepoIDs []int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	o := s.w.orgs[strings.ToLower(orgLogin)]
	if o == nil {
		return fmt.Errorf("set organization secret %s: organization %s does not exist; add it first", name, orgLogin)
	}
	return s.seedOrgSecret(o, o.actions, name, plaintext, visibility, selectedRepoIDs, at)
}

// SetDependabotSecret creates or updates the Dependabot secret name of
// owner/repo.
func (s *Server) SetDependabotSecret(owner, repoName, name, plaintext string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return fmt.Errorf("set Dependabot secret %s: repository %s/%s does not exist; add it first", name, owner, repoName)
	}
	return seedSecret(r.dependabot, name, plaintext, at, "", nil)
}

// SetOrgDependabotSecret creates or updates the organization-level
// Dependabot secret name of org (visibility as for SetOrgSecret).
func (s *Server) SetOrgDependabotSecret(orgLogin, name, plaintext, visibility string, selectedRepoIDs []int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	o := s.w.orgs[strings.ToLower(orgLogin)]
	if o == nil {
		return fmt.Errorf("set organization Dependabot secret %s: organization %s does not exist; add it first", name, orgLogin)
	}
	return s.seedOrgSecret(o, o.dependabot, name, plaintext, visibility, selectedRepoIDs, at)
}

func (s *Server) seedOrgSecret(o *org, st *secretStore, name, plaintext, visibility string, ids []int64, at time.Time) error {
	if !validVisibility(visibility) {
		return fmt.Errorf("set organization secret %s of %s: visibility %q is not all, private or selected", name, o.acct.login, visibility)
	}
	if visibility != "selected" && len(ids) > 0 {
		return fmt.Errorf("set organization secret %s of %s: selected repositories need visibility \"selected\"", name, o.acct.login)
	}
	sel := map[int64]bool{}
	for _, id := range ids {
		if r := s.w.reposByID[id]; r == nil || r.owner != o.acct {
			return fmt.Errorf("set organization secret %s of %s: repository ID %d is not a repository of the organization", name, o.acct.login, id)
		}
		sel[id] = true
	}
	return seedSecret(st, name, plaintext, at, visibility, sel)
}

func seedSecret(st *secretStore, name, plaintext string, at time.Time, visibility string, sel map[int64]bool) error {
	if msg := checkSecretName(name); msg != "" {
		return fmt.Errorf("set secret %q: %s", name, msg)
	}
	storeSecret(st, name, plaintext, at.UTC(), visibility, sel)
	return nil
}

// storeSecret creates or updates a secret; it reports whether it created it.
func storeSecret(st *secretStore, name, plaintext string, at time.Time, visibility string, sel map[int64]bool) bool {
	key := strings.ToUpper(name)
	sec := st.secrets[key]
	created := sec == nil
	if created {
		sec = &secret{name: key, created: at}
		st.secrets[key] = sec
	}
	sec.value, sec.updated = plaintext, at
	if visibility != "" {
		sec.visibility = visibility
		sec.selected = sel
	}
	return created
}

// AddAlert opens a secret-scanning alert in owner/repo for secretValue of
// type secretType (e.g. "openai_api_key"), created at created, found at
// locations. It returns the alert number (numbers start at 1 per
// repository), or 0 if the repository does not exist. The alert's
// validity is checked at once (validity.go), and the
// secret_scanning_alert "created" event fires (hooks.go). PlantSecret
// leaks a secret as a push does, adding to an open alert on it.
func (s *Server) AddAlert(owner, repoName, secretType, secretValue string, created time.Time, locations []Location) (number int) {
	validity := s.checkValidity(secretType, secretValue, s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return 0
	}
	a := &alert{
		number:     len(r.alerts) + 1,
		secretType: secretType,
		secret:     secretValue,
		created:    created.UTC(),
		updated:    created.UTC(),
		state:      "open",
		validity:   validity,
		locations:  slices.Clone(locations),
	}
	r.alerts = append(r.alerts, a)
	s.emitAlert(r, a, "created", nil)
	return a.number
}

func validVisibility(v string) bool {
	return v == "all" || v == "private" || v == "selected"
}

// checkSecretName applies GitHub's secret naming rules and returns what is
// wrong, or "".
func checkSecretName(name string) string {
	switch {
	case name == "":
		return "secret names must not be empty"
	case strings.HasPrefix(strings.ToUpper(name), "GITHUB_"):
		return "secret names must not start with GITHUB_"
	case name[0] >= '0' && name[0] <= '9':
		return "secret names must not start with a number"
	}
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_)"
		}
	}
	return ""
}

// RotateRepoKey replaces the sealed-box key pair of owner/repo's Actions
// secrets (app "actions") or Dependabot secrets (app "dependabot"), as
// GitHub does from time to time. Stored secrets keep their values; a PUT
// sealed for the old key_id is then a 422, so clients that cache public
// keys can be tested for refetching.
func (s *Server) RotateRepoKey(owner, repoName, app string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.repo(owner, repoName)
	if r == nil {
		return fmt.Errorf("rotate %s key: repository %s/%s does not exist; add it first", app, owner, repoName)
	}
	st := r.actions
	switch app {
	case appActions:
	case appDependabot:
		st = r.dependabot
	default:
		return fmt.Errorf("rotate key of %s/%s: app %q must be %q or %q", owner, repoName, app, appActions, appDependabot)
	}
	k, err := s.newKeyPair()
	if err != nil {
		return err
	}
	st.key = k
	return nil
}

// SetAlertLocationPath sets the file path of every location of alert
// number of owner/repo: anyone who can push chooses file names, so tests
// give respond hostile ones.
func (s *Server) SetAlertLocationPath(owner, repoName string, number int, path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.repo(owner, repoName)
	if r == nil || number < 1 || number > len(r.alerts) {
		return fmt.Errorf("no alert %s/%s#%d", owner, repoName, number)
	}
	for i := range r.alerts[number-1].locations {
		r.alerts[number-1].locations[i].Path = path
	}
	return nil
}
