package githubsim

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"
)

// State is a deterministic snapshot of the simulated world: every slice is
// sorted and timestamps are RFC 3339 UTC strings, so the same seed and the
// same requests give byte-identical JSON. It shows secret values in
// plaintext and key IDs, but never private keys.
type State struct {
	Orgs       []OrgState      `json:"orgs"`
	Users      []UserState     `json:"users"`
	Tokens     []TokenState    `json:"tokens"`
	Repos      []RepoState     `json:"repos"`
	Secrets    []SecretState   `json:"secrets"`
	Alerts     []AlertState    `json:"alerts"`
	Dispatches []DispatchState `json:"dispatches"`
	Runs       []RunState      `json:"runs"`
	// Hooks are the webhooks with their deliveries; Notifications what
	// users were told (a token of theirs was revoked).
	Hooks         []HookState    `json:"hooks"`
	Notifications []Notification `json:"notifications"`
}

// OrgState is an organization and the key IDs of its public keys.
type OrgState struct {
	Login           string `json:"login"`
	ID              int64  `json:"id"`
	ActionsKeyID    string `json:"actions_key_id"`
	DependabotKeyID string `json:"dependabot_key_id"`
}

// UserState is a user account.
type UserState struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
}

// TokenState is a credential of the fake world and what it may do.
type TokenState struct {
	Token          string `json:"token"`
	Login          string `json:"login"`
	SecretsWrite   bool   `json:"secrets_write"`
	SecretScanning bool   `json:"secret_scanning"`
	Actions        bool   `json:"actions"`
	// ID, Kind (classic, fine-grained, oauth, app-user; "" for a value of
	// none of GitHub's formats) and Name (the note) identify it; a
	// revoked token has RevokedAt and no longer authenticates.
	ID        int64  `json:"id"`
	Kind      string `json:"kind,omitempty"`
	Name      string `json:"name,omitempty"`
	LastUsed  string `json:"last_used,omitempty"`
	RevokedAt string `json:"revoked_at,omitempty"`
}

// RepoState is a repository with its environments and workflows.
type RepoState struct {
	Owner           string             `json:"owner"`
	Name            string             `json:"name"`
	ID              int64              `json:"id"`
	Private         bool               `json:"private"`
	ActionsKeyID    string             `json:"actions_key_id"`
	DependabotKeyID string             `json:"dependabot_key_id"`
	DefaultBranch   string             `json:"default_branch"`
	Branches        []RefState         `json:"branches"`
	Tags            []RefState         `json:"tags"`
	Environments    []EnvironmentState `json:"environments"`
	Workflows       []WorkflowState    `json:"workflows"`
	// PushProtection is secret scanning's push protection: enabled or
	// disabled.
	PushProtection string `json:"push_protection"`
}

// RefState is a branch or tag and the commit it points at.
type RefState struct {
	Name string `json:"name"`
	SHA  string `json:"sha"`
}

// EnvironmentState is a deployment environment.
type EnvironmentState struct {
	Name  string `json:"name"`
	ID    int64  `json:"id"`
	KeyID string `json:"key_id"`
}

// WorkflowState is a workflow: its trigger, inputs and how its runs go.
type WorkflowState struct {
	ID   int64  `json:"id"`
	File string `json:"file"`
	Name string `json:"name"`
	// WorkflowDispatch: the workflow declares on: workflow_dispatch.
	WorkflowDispatch bool            `json:"workflow_dispatch"`
	Inputs           []WorkflowInput `json:"inputs"`
	Environment      string          `json:"environment,omitempty"`
	// RunDuration (a Go duration) and Conclusion apply to runs
	// dispatched from now on.
	RunDuration string `json:"run_duration"`
	Conclusion  string `json:"conclusion"`
	// State is active, or disabled_manually once the workflow was
	// disabled through the API.
	State string `json:"state"`
}

func workflowState(wf *workflow) WorkflowState {
	in := slices.Clone(wf.inputs)
	if in == nil {
		in = []WorkflowInput{}
	}
	return WorkflowState{ID: wf.id, File: wf.file, Name: wf.name, WorkflowDispatch: wf.dispatch, Inputs: in,
		Environment: wf.environment, RunDuration: wf.runDuration.String(), Conclusion: wf.conclusion, State: wf.state()}
}

// RunState is a workflow run. Status is queued, in_progress or completed
// (then Conclusion is set); Secrets are the Actions secrets the run could
// see when it started (empty while it is queued), so tests and drills can
// tell which key a deployment picked up.
type RunState struct {
	ID         int64  `json:"id"`
	RunNumber  int    `json:"run_number"`
	Owner      string `json:"owner"`
	Repo       string `json:"repo"`
	WorkflowID int64  `json:"workflow_id"`
	Workflow   string `json:"workflow"`
	Ref        string `json:"ref"`
	HeadBranch string `json:"head_branch"`
	HeadSHA    string `json:"head_sha"`
	Event      string `json:"event"`
	Actor      string `json:"actor"`
	// RunAttempt numbers the run's attempts from 1; the times, status,
	// conclusion and secrets are its latest attempt's.
	RunAttempt  int              `json:"run_attempt"`
	Inputs      map[string]any   `json:"inputs"`
	Status      string           `json:"status"`
	Conclusion  string           `json:"conclusion,omitempty"`
	CreatedAt   string           `json:"created_at"`
	StartedAt   string           `json:"started_at,omitempty"`
	CompletedAt string           `json:"completed_at,omitempty"`
	Secrets     []RunSecretState `json:"secrets"`
}

// RunSecretState is a secret a run saw: its level (org, repo or
// environment), name, value and fingerprint (sha256:…, as respond's
// journal records values).
type RunSecretState struct {
	Level       string `json:"level"`
	Environment string `json:"environment,omitempty"`
	Name        string `json:"name"`
	Value       string `json:"value"`
	Fingerprint string `json:"fingerprint"`
}

// Secret returns the value of the named secret as the run's steps saw it:
// an environment secret wins over a repository secret, which wins over an
// organization secret, as on GitHub.
func (r RunState) Secret(name string) (string, bool) {
	best, found := -1, ""
	rank := map[string]int{LevelOrg: 0, LevelRepo: 1, LevelEnvironment: 2}
	for _, s := range r.Secrets {
		if strings.EqualFold(s.Name, name) && rank[s.Level] > best {
			best, found = rank[s.Level], s.Value
		}
	}
	return found, best >= 0
}

func runState(rn *run, now time.Time) RunState {
	status, conclusion := rn.status(now)
	inputs := maps.Clone(rn.inputs)
	if inputs == nil {
		inputs = map[string]any{}
	}
	st := RunState{ID: rn.id, RunNumber: rn.number, Owner: rn.repo.owner.login, Repo: rn.repo.name,
		WorkflowID: rn.workflow.id, Workflow: rn.workflow.file, Ref: rn.ref, HeadBranch: rn.headBranch, HeadSHA: rn.headSHA,
		Event: rn.event, Actor: rn.actor.login, RunAttempt: rn.attempt, Inputs: inputs, Status: status, CreatedAt: ts(rn.created),
		Secrets: slices.Clone(rn.secrets)}
	if st.Secrets == nil {
		st.Secrets = []RunSecretState{}
	}
	if conclusion != nil {
		st.Conclusion = *conclusion
		st.CompletedAt = ts(rn.completed)
	}
	if !now.Before(rn.started) {
		st.StartedAt = ts(rn.started)
	}
	return st
}

// Secret levels in SecretState.Level. A Dependabot secret is repository
// level when Repo is set and organization level when Org is set.
const (
	LevelRepo        = "repo"
	LevelEnvironment = "environment"
	LevelOrg         = "org"
	LevelDependabot  = "dependabot"
)

// SecretState is one secret with its decrypted value.
type SecretState struct {
	Level                 string  `json:"level"`
	Org                   string  `json:"org,omitempty"`
	Owner                 string  `json:"owner,omitempty"`
	Repo                  string  `json:"repo,omitempty"`
	Environment           string  `json:"environment,omitempty"`
	Name                  string  `json:"name"`
	Value                 string  `json:"value"`
	CreatedAt             string  `json:"created_at"`
	UpdatedAt             string  `json:"updated_at"`
	Visibility            string  `json:"visibility,omitempty"`
	SelectedRepositoryIDs []int64 `json:"selected_repository_ids,omitempty"`
}

// AlertState is a secret-scanning alert.
type AlertState struct {
	Owner             string     `json:"owner"`
	Repo              string     `json:"repo"`
	Number            int        `json:"number"`
	SecretType        string     `json:"secret_type"`
	Secret            string     `json:"secret"`
	State             string     `json:"state"`
	Resolution        *string    `json:"resolution"`
	ResolutionComment *string    `json:"resolution_comment"`
	ResolvedBy        *string    `json:"resolved_by"`
	ResolvedAt        *string    `json:"resolved_at"`
	CreatedAt         string     `json:"created_at"`
	UpdatedAt         string     `json:"updated_at"`
	Validity          string     `json:"validity"`
	PubliclyLeaked    bool       `json:"publicly_leaked"`
	Locations         []Location `json:"locations"`
}

// HookState is a webhook: Owner is OWNER/NAME for a repository's hook, the
// organization's login for an organization's. The secret is never shown.
type HookState struct {
	ID          int64           `json:"id"`
	Type        string          `json:"type"` // Repository or Organization
	Owner       string          `json:"owner"`
	URL         string          `json:"url"`
	ContentType string          `json:"content_type"`
	SecretSet   bool            `json:"secret_set"`
	Events      []string        `json:"events"`
	Active      bool            `json:"active"`
	Deliveries  []DeliveryState `json:"deliveries"`
}

// DeliveryState is a delivery of a hook, in the order made; Done is false
// while it is in flight.
type DeliveryState struct {
	ID          int64   `json:"id"`
	GUID        string  `json:"guid"`
	Event       string  `json:"event"`
	Action      string  `json:"action,omitempty"`
	Redelivery  bool    `json:"redelivery"`
	DeliveredAt string  `json:"delivered_at"`
	Done        bool    `json:"done"`
	StatusCode  int     `json:"status_code"`
	Status      string  `json:"status,omitempty"`
	DurationS   float64 `json:"duration"`
}

// DispatchState is a recorded workflow dispatch, in the order received.
type DispatchState struct {
	At         string         `json:"at"`
	Owner      string         `json:"owner"`
	Repo       string         `json:"repo"`
	WorkflowID int64          `json:"workflow_id"`
	Workflow   string         `json:"workflow"`
	Ref        string         `json:"ref"`
	Inputs     map[string]any `json:"inputs"`
	Actor      string         `json:"actor"`
	RunID      int64          `json:"run_id"`
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Snapshot returns the current state of the world.
func (s *Server) Snapshot() State {
	s.RefreshValidity()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	w := s.w
	now := s.now()
	st := State{
		Orgs: []OrgState{}, Users: []UserState{}, Tokens: []TokenState{}, Repos: []RepoState{},
		Secrets: []SecretState{}, Alerts: []AlertState{}, Dispatches: []DispatchState{}, Runs: []RunState{},
		Hooks: []HookState{}, Notifications: slices.Clone(w.notifications),
	}
	if st.Notifications == nil {
		st.Notifications = []Notification{}
	}
	for _, a := range sortedValues(w.accounts) {
		if !a.org {
			st.Users = append(st.Users, UserState{Login: a.login, ID: a.id})
		}
	}
	for _, o := range sortedValues(w.orgs) {
		st.Orgs = append(st.Orgs, OrgState{Login: o.acct.login, ID: o.acct.id,
			ActionsKeyID: o.actions.key.id, DependabotKeyID: o.dependabot.key.id})
		st.Secrets = appendSecrets(st.Secrets, o.actions, SecretState{Level: LevelOrg, Org: o.acct.login})
		st.Secrets = appendSecrets(st.Secrets, o.dependabot, SecretState{Level: LevelDependabot, Org: o.acct.login})
	}
	for _, t := range sortedValues(w.tokens) {
		tks := TokenState{Token: t.value, Login: t.user.login,
			SecretsWrite: t.perms.SecretsWrite, SecretScanning: t.perms.SecretScanning, Actions: t.perms.Actions,
			ID: t.id, Kind: t.kind, Name: t.name}
		if !t.lastUsed.IsZero() {
			tks.LastUsed = ts(t.lastUsed)
		}
		if !t.revoked.IsZero() {
			tks.RevokedAt = ts(t.revoked)
		}
		st.Tokens = append(st.Tokens, tks)
	}
	for _, h := range sortedHooks(w.hooks) {
		hs := HookState{ID: h.id, Type: "Organization", Owner: hookOwnerName(h), URL: h.url, ContentType: h.contentType,
			SecretSet: h.secret != "", Events: slices.Clone(h.events), Active: h.active, Deliveries: []DeliveryState{}}
		if h.rp != nil {
			hs.Type = "Repository"
		}
		for _, d := range h.deliveries {
			hs.Deliveries = append(hs.Deliveries, DeliveryState{ID: d.id, GUID: d.guid, Event: d.event, Action: d.action,
				Redelivery: d.redelivery, DeliveredAt: ts(d.at), Done: d.done, StatusCode: d.statusCode, Status: d.status, DurationS: d.duration})
		}
		st.Hooks = append(st.Hooks, hs)
	}
	for _, r := range sortedValues(w.repos) {
		rs := RepoState{Owner: r.owner.login, Name: r.name, ID: r.id, Private: r.private,
			ActionsKeyID: r.actions.key.id, DependabotKeyID: r.dependabot.key.id, DefaultBranch: r.defaultBranch,
			Branches: refStates(r.branches), Tags: refStates(r.tags),
			Environments: []EnvironmentState{}, Workflows: []WorkflowState{},
			PushProtection: map[bool]string{false: "enabled", true: "disabled"}[r.pushProtectionOff]}
		st.Secrets = appendSecrets(st.Secrets, r.actions, SecretState{Level: LevelRepo, Owner: r.owner.login, Repo: r.name})
		st.Secrets = appendSecrets(st.Secrets, r.dependabot, SecretState{Level: LevelDependabot, Owner: r.owner.login, Repo: r.name})
		for _, e := range sortedValues(r.envs) {
			rs.Environments = append(rs.Environments, EnvironmentState{Name: e.name, ID: e.id, KeyID: e.store.key.id})
			st.Secrets = appendSecrets(st.Secrets, e.store, SecretState{Level: LevelEnvironment, Owner: r.owner.login, Repo: r.name, Environment: e.name})
		}
		for _, wf := range r.workflows {
			rs.Workflows = append(rs.Workflows, workflowState(wf))
		}
		slices.SortFunc(rs.Workflows, func(a, b WorkflowState) int { return cmp.Compare(a.ID, b.ID) })
		st.Repos = append(st.Repos, rs)
		for _, a := range r.alerts {
			as := AlertState{Owner: r.owner.login, Repo: r.name, Number: a.number, SecretType: a.secretType,
				Secret: a.secret, State: a.state, ResolutionComment: a.comment, CreatedAt: ts(a.created),
				UpdatedAt: ts(a.updated), Validity: a.effectiveValidity(), PubliclyLeaked: a.publiclyLeaked, Locations: slices.Clone(a.locations)}
			if as.Locations == nil {
				as.Locations = []Location{}
			}
			if a.resolution != "" {
				as.Resolution = &a.resolution
			}
			if a.resolvedBy != nil {
				as.ResolvedBy = &a.resolvedBy.login
			}
			if !a.resolvedAt.IsZero() {
				v := ts(a.resolvedAt)
				as.ResolvedAt = &v
			}
			st.Alerts = append(st.Alerts, as)
		}
	}
	slices.SortStableFunc(st.Secrets, func(a, b SecretState) int {
		return cmp.Or(
			cmp.Compare(levelOrder(a), levelOrder(b)),
			cmp.Compare(strings.ToLower(a.Org), strings.ToLower(b.Org)),
			cmp.Compare(strings.ToLower(a.Owner+"/"+a.Repo), strings.ToLower(b.Owner+"/"+b.Repo)),
			cmp.Compare(strings.ToLower(a.Environment), strings.ToLower(b.Environment)),
			cmp.Compare(a.Name, b.Name))
	})
	for _, d := range w.dispatches {
		inputs := maps.Clone(d.inputs)
		if inputs == nil {
			inputs = map[string]any{}
		}
		st.Dispatches = append(st.Dispatches, DispatchState{At: ts(d.at), Owner: d.repo.owner.login, Repo: d.repo.name,
			WorkflowID: d.workflow.id, Workflow: d.workflow.file, Ref: d.ref, Inputs: inputs, Actor: d.actor, RunID: d.runID})
	}
	for _, rn := range w.runs {
		st.Runs = append(st.Runs, runState(rn, now))
	}
	return st
}

// sortedHooks returns the hooks by ID.
func sortedHooks(m map[int64]*hook) []*hook {
	out := make([]*hook, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id])
	}
	return out
}

func refStates(m map[string]string) []RefState {
	out := []RefState{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, RefState{Name: k, SHA: m[k]})
	}
	return out
}

func levelOrder(s SecretState) int {
	switch {
	case s.Level == LevelOrg:
		return 0
	case s.Level == LevelDependabot && s.Org != "":
		return 1
	case s.Level == LevelRepo:
		return 2
	case s.Level == LevelEnvironment:
		return 3
	default:
		return 4
	}
}

func appendSecrets(dst []SecretState, st *secretStore, proto SecretState) []SecretState {
	for _, sec := range sortedValues(st.secrets) {
		ss := proto
		ss.Name, ss.Value = sec.name, sec.value
		ss.CreatedAt, ss.UpdatedAt = ts(sec.created), ts(sec.updated)
		ss.Visibility = sec.visibility
		ss.SelectedRepositoryIDs = sortedIDs(sec.selected)
		dst = append(dst, ss)
	}
	return dst
}

// sortedValues returns m's values ordered by key.
func sortedValues[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

func sortedIDs(m map[int64]bool) []int64 {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}
