package githubsim

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// seedEpoch stamps objects whose seeding methods take no timestamp
// (accounts, repositories, environments, workflows), so the same seed gives
// the same responses and snapshot.
var seedEpoch = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// world is the simulated GitHub state. Every access holds Server.mu.
type world struct {
	accounts  map[string]*account // by lower-cased login
	orgs      map[string]*org     // by lower-cased login
	repos     map[string]*repo    // by lower-cased "owner/name"
	reposByID map[int64]*repo
	tokens    map[string]*token

	// hooks are the organization and repository webhooks, by ID
	// (hooks.go); deliveries are every delivery of every hook, by ID.
	hooks      map[int64]*hook
	deliveries map[int64]*delivery
	// notifications are what users were told (a token of theirs was
	// revoked), in order (tokens.go).
	notifications []Notification

	dispatches []*dispatch
	runs       []*run // in creation order
	runsByID   map[int64]*run

	nextUserID int64
	nextEnvID  int64
	nextRunID  int64

	nextTokenID    int64
	nextHookID     int64
	nextDeliveryID int64
	nextCommit     int64 // commits planted by leaks (leaks.go)
}

func newWorld() *world {
	return &world{
		accounts:   map[string]*account{},
		orgs:       map[string]*org{},
		repos:      map[string]*repo{},
		reposByID:  map[int64]*repo{},
		tokens:     map[string]*token{},
		runsByID:   map[int64]*run{},
		hooks:      map[int64]*hook{},
		deliveries: map[int64]*delivery{},
		nextUserID: 1000001,
		nextEnvID:  2000000001,
		nextRunID:  3000000001,

		nextTokenID:    4000001,
		nextHookID:     500000001,
		nextDeliveryID: 60000000001,
	}
}

// account is a user or an organization.
type account struct {
	login string
	id    int64
	org   bool
}

func (a *account) typ() string {
	if a.org {
		return "Organization"
	}
	return "User"
}

type token struct {
	value string
	user  *account
	perms Permissions
	// readOnly are repositories (lower-cased OWNER/NAME) where the token
	// may only read, whatever perms says (RestrictToken).
	readOnly map[string]bool

	// What tokens.go adds: the token's ID, kind and note (for leaked
	// tokens a scenario seeds), when it was made, last used and revoked
	// (a revoked token no longer authenticates, but stays known so that
	// its validity is inactive rather than unknown).
	id       int64
	kind     string
	name     string
	created  time.Time
	lastUsed time.Time
	revoked  time.Time
}

// keyPair is a sealed-box key pair with GitHub's key_id.
type keyPair struct {
	id   string
	pub  [32]byte
	priv [32]byte
}

// secretStore is one set of secrets sharing a public key: a repository's
// Actions or Dependabot secrets, an environment's secrets, or an
// organization's Actions or Dependabot secrets.
type secretStore struct {
	key     *keyPair
	secrets map[string]*secret // by upper-cased name
}

type secret struct {
	name             string
	value            string
	created, updated time.Time
	// Organization secrets only.
	visibility string
	selected   map[int64]bool
}

type org struct {
	acct       *account
	actions    *secretStore
	dependabot *secretStore
}

type repo struct {
	owner      *account
	name       string
	id         int64
	private    bool
	actions    *secretStore
	dependabot *secretStore
	envs       map[string]*environment // by lower-cased name
	alerts     []*alert                // alert number n is alerts[n-1]
	workflows  []*workflow
	// branches and tags map names to commit SHAs. Every repository has
	// its default branch, main.
	branches      map[string]string
	tags          map[string]string
	defaultBranch string
	// pushProtectionOff: secret scanning's push protection is disabled
	// (security_and_analysis; on by default, as GitHub now enables it).
	pushProtectionOff bool
}

func (r *repo) fullName() string { return r.owner.login + "/" + r.name }

type environment struct {
	name  string
	id    int64
	store *secretStore
}

type workflow struct {
	id   int64
	file string // e.g. deploy.yml
	name string // the YAML's name:, shown as the workflow's and its runs' name
	// dispatch: the workflow declares on: workflow_dispatch, with inputs.
	dispatch bool
	inputs   []WorkflowInput
	// environment is the deployment environment its job runs in ("" for
	// none): its secrets are visible to the workflow's runs.
	environment string
	// runDuration and conclusion apply to runs dispatched (or re-run) from
	// now on.
	runDuration time.Duration
	conclusion  string
	runs        int // run numbers given so far
	// disabled: the workflow was disabled (PUT …/disable); it cannot be
	// dispatched until it is enabled again.
	disabled bool
}

// run is a workflow run. Its status follows the clock: queued from created
// to started, in progress until completed, then completed with conclusion.
type run struct {
	id         int64
	number     int
	repo       *repo
	workflow   *workflow
	ref        string // as dispatched, e.g. main or refs/tags/v1
	headBranch string // the branch or tag name
	headSHA    string
	event      string
	actor      *account
	inputs     map[string]any

	created, started, completed time.Time
	conclusion                  string

	// attempt numbers the run's attempts from 1; a re-run starts the next
	// one, requested at queuedAt (created for the first) by
	// triggeringActor. previous are the attempts before it.
	attempt         int
	queuedAt        time.Time
	triggeringActor *account
	previous        []attemptRecord

	// captured is set once the run has started and secrets holds the
	// Actions secrets it could see at that moment.
	captured bool
	secrets  []RunSecretState
}

// attemptRecord is a finished attempt of a run that was re-run since.
type attemptRecord struct {
	number                     int
	queued, started, completed time.Time
	conclusion                 string
}

type alert struct {
	number     int
	secretType string
	secret     string
	created    time.Time
	updated    time.Time
	state      string // open, resolved
	resolution string // "" when null
	resolvedAt time.Time
	resolvedBy *account
	comment    *string
	// validity is the last validity check's answer (validity.go):
	// active, inactive or unknown. override is what a PATCH set (active
	// or inactive) and wins while set.
	validity       string
	override       string
	publiclyLeaked bool
	assignee       *account
	locations      []Location
}

// effectiveValidity is what the API shows: a PATCH's override, else the
// last check.
func (a *alert) effectiveValidity() string {
	if a.override != "" {
		return a.override
	}
	return a.validity
}

type dispatch struct {
	at         time.Time
	repo       *repo
	workflow   *workflow
	ref        string
	inputs     map[string]any
	actor      string
	workflowID int64
	runID      int64
}

// Location is where a secret-scanning alert's secret was found: a commit
// location (the only kind go-github v60 decodes).
type Location struct {
	Path        string `json:"path"`
	StartLine   int    `json:"start_line"`
	EndLine     int    `json:"end_line"`
	StartColumn int    `json:"start_column"`
	EndColumn   int    `json:"end_column"`
	BlobSHA     string `json:"blob_sha"`
	CommitSHA   string `json:"commit_sha"`
}

// newKeyPair generates a key pair and a numeric key_id (GitHub's look like
// "568250167242549743") from Options.Rand. Callers hold s.mu.
func (s *Server) newKeyPair() (*keyPair, error) {
	pub, priv, err := box.GenerateKey(s.opts.Rand)
	if err != nil {
		return nil, fmt.Errorf("generate sealed-box key pair: %w", err)
	}
	var b [8]byte
	if _, err := io.ReadFull(s.opts.Rand, b[:]); err != nil {
		return nil, fmt.Errorf("generate key id: %w", err)
	}
	id := binary.BigEndian.Uint64(b[:]) >> 4 // 60 bits: 18–19 decimal digits, like GitHub's
	return &keyPair{id: strconv.FormatUint(id, 10), pub: *pub, priv: *priv}, nil
}

func (s *Server) newStore() (*secretStore, error) {
	k, err := s.newKeyPair()
	if err != nil {
		return nil, err
	}
	return &secretStore{key: k, secrets: map[string]*secret{}}, nil
}

// accountFor returns the account called login, creating a user account if
// there is none. Callers hold s.mu.
func (w *world) accountFor(login string) *account {
	if a := w.accounts[strings.ToLower(login)]; a != nil {
		return a
	}
	a := &account{login: login, id: w.nextUserID}
	w.nextUserID++
	w.accounts[strings.ToLower(login)] = a
	return a
}

func (w *world) repo(owner, name string) *repo {
	return w.repos[strings.ToLower(owner+"/"+name)]
}

func (r *repo) env(name string) *environment {
	return r.envs[strings.ToLower(name)]
}

// workflowByRef finds a workflow by numeric ID or file name (also accepted
// with its .github/workflows/ path).
func (r *repo) workflowByRef(ref string) *workflow {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		for _, wf := range r.workflows {
			if wf.id == id {
				return wf
			}
		}
		return nil
	}
	ref = strings.TrimPrefix(ref, ".github/workflows/")
	for _, wf := range r.workflows {
		if wf.file == ref {
			return wf
		}
	}
	return nil
}
