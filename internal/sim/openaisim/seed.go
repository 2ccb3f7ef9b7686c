package openaisim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
)

// Key describes an API key as the seeding methods return it. Value is the
// plaintext key, wrapped so that printing or logging a Key never shows it;
// call Value.Reveal() to plant it somewhere (a GitHub secret, a .env file).
type Key struct {
	ID   string
	Name string
	Kind KeyKind
	// ProjectID is empty for admin keys.
	ProjectID string
	// OwnerID is the owning user (user and admin keys) or service account.
	OwnerID string
	Value   secret.Value
	// Redacted is the redacted_value the Admin API shows for the key.
	Redacted string
	Created  time.Time
	// Live is false once the key is deleted, revoked or expired.
	Live bool
}

// ServiceAccount describes a project service account.
type ServiceAccount struct {
	ID        string
	ProjectID string
	Name      string
	Role      string
	Created   time.Time
}

// ErrNotFound is returned (wrapped) by seeding methods given an unknown ID.
var ErrNotFound = errors.New("not found")

// ErrExists is returned (wrapped) when a seeding method is given an ID that
// is already taken.
var ErrExists = errors.New("already exists")

// randID returns prefix plus n random ID characters. If Options.Rand fails,
// it falls back to a counter so IDs stay unique.
func (s *Server) randID(prefix string, n int) string {
	for {
		r, err := randomString(s.rand, idAlphabet, n)
		if err != nil {
			r = fmt.Sprintf("%0*d", n, len(s.keys)+len(s.accounts)+len(s.projects)+len(s.audit)+1)
		}
		id := prefix + r
		if s.keys[id] == nil && s.accounts[id] == nil && s.projects[id] == nil {
			return id
		}
	}
}

// newKey makes and registers a live key. Callers hold the lock.
func (s *Server) newKey(kind KeyKind, name, projectID, ownerID string, created time.Time) (*apiKey, error) {
	value, err := newKeyValue(s.rand, kind)
	if err != nil {
		return nil, fmt.Errorf("generating a %s key: %w", kind, err)
	}
	return s.newKeyWithValue(kind, name, projectID, ownerID, value, created)
}

func (s *Server) newKeyWithValue(kind KeyKind, name, projectID, ownerID, value string, created time.Time) (*apiKey, error) {
	if s.byValue[value] != nil { // 2^-700: only a broken Rand repeats
		return nil, fmt.Errorf("adding a %s key: a key with that value exists already", kind)
	}
	k := &apiKey{id: s.randID("key_", 16), name: name, value: value, kind: kind, projectID: projectID,
		ownerID: ownerID, created: created.UTC(), ownerAccess: "active"}
	s.keys[k.id] = k
	s.byValue[value] = k
	if u := s.users[ownerID]; u != nil && !u.explicit && (u.created.IsZero() || k.created.Before(u.created)) {
		u.created = k.created
	}
	return k, nil
}

func (s *Server) publicKey(k *apiKey) Key {
	return Key{ID: k.id, Name: k.name, Kind: k.kind, ProjectID: k.projectID, OwnerID: k.ownerID,
		Value: secret.New(k.value), Redacted: RedactedValue(k.value), Created: k.created, Live: k.live(s.now())}
}

// addServiceAccount creates a service account, with a key unless withKey
// is false, and records the audit events.
func (s *Server) addServiceAccount(p *project, name string, created time.Time, withKey bool, actor *auditActor) (*serviceAccount, *apiKey, error) {
	a := &serviceAccount{id: s.randID("svc_acct_", 24), projectID: p.id, name: name, role: "member", created: created.UTC()}
	if !withKey {
		a.role = "none"
	}
	var k *apiKey
	if withKey {
		var err error
		if k, err = s.newKey(KindServiceAccount, "Secret Key", p.id, a.id, created); err != nil {
			return nil, nil, err
		}
	}
	s.accounts[a.id] = a
	s.recordAudit(created, "service_account.created", p.id, actor, a.id, map[string]any{"id": a.id, "data": map[string]any{"role": a.role}})
	if k != nil {
		s.recordAudit(created, "api_key.created", p.id, actor, k.id, map[string]any{"id": k.id, "data": map[string]any{"scopes": []string{}}})
	}
	return a, k, nil
}

// actorFor is the audit actor of a request made with an admin key.
func (s *Server) actorFor(k *apiKey) *auditActor {
	a := &auditActor{kind: "api_key", apiKeyID: k.id, apiKeyType: "user", userID: defaultOwner.id, email: defaultOwner.email}
	if u := s.users[k.ownerID]; u != nil {
		a.userID, a.email = u.id, u.email
	}
	return a
}

// recordAudit appends an audit event. The details' "id" is the key's
// key_… ID (API-NOTES §6 could not confirm whether the "tracking ID" is
// the same; the simulator makes it so).
func (s *Server) recordAudit(at time.Time, typ, projectID string, actor *auditActor, resourceID string, details map[string]any) {
	at = at.UTC()
	id := s.randID("audit_log-", 24) + "_" + at.Format("20060102")
	e := &auditEvent{id: id, typ: typ, at: at, projectID: projectID, actor: actor, details: details, resourceID: resourceID}
	if p := s.projects[projectID]; p != nil {
		e.projectName = p.name
	}
	s.audit = append(s.audit, e)
}

// AddProject adds a project. An empty id gets a random proj_… ID. It
// returns the project's ID.
func (s *Server) AddProject(id, name string, created time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = s.randID("proj_", 24)
	}
	if s.projects[id] != nil {
		return "", fmt.Errorf("adding project %s: %w", id, ErrExists)
	}
	s.projects[id] = &project{id: id, name: name, created: created.UTC()}
	return id, nil
}

// ArchiveProject archives a project at the given time: it is hidden from
// the project list unless include_archived=true, and its service accounts
// cannot be listed or created (400).
func (s *Server) ArchiveProject(id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[id]
	if p == nil {
		return fmt.Errorf("archiving project %s: %w", id, ErrNotFound)
	}
	t := at.UTC()
	p.archived = &t
	return nil
}

// AddUser adds an organization user. role is shown as the user's role on
// their keys (for example "owner" or "member"); the first user with role
// "owner" (by ID) owns seeded admin keys. The user's created_at is the
// creation time of their first key (use AddUserAt to give one).
func (s *Server) AddUser(id, name, email, role string) error {
	return s.addUser(id, name, email, role, time.Time{}, false)
}

// AddUserAt is AddUser with an explicit created_at.
func (s *Server) AddUserAt(id, name, email, role string, created time.Time) error {
	return s.addUser(id, name, email, role, created.UTC(), true)
}

func (s *Server) addUser(id, name, email, role string, created time.Time, explicit bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		return errors.New("adding a user: the ID is empty; give an ID such as user_abc")
	}
	if s.users[id] != nil {
		return fmt.Errorf("adding user %s: %w", id, ErrExists)
	}
	s.users[id] = &user{id: id, name: name, email: email, role: role, created: created, explicit: explicit}
	return nil
}

// AddUserKey adds a user-owned project key (sk-proj-…) and records its
// api_key.created audit event (actor: the user's session). lastUsed may be
// nil (last_used_at null).
func (s *Server) AddUserKey(projectID, name, userID string, created time.Time, lastUsed *time.Time) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectID]
	if p == nil {
		return Key{}, fmt.Errorf("adding key %q: project %s: %w", name, projectID, ErrNotFound)
	}
	u := s.users[userID]
	if u == nil {
		return Key{}, fmt.Errorf("adding key %q: user %s: %w (call AddUser first)", name, userID, ErrNotFound)
	}
	k, err := s.newKey(KindUser, name, projectID, userID, created)
	if err != nil {
		return Key{}, err
	}
	if lastUsed != nil {
		t := lastUsed.UTC()
		k.lastUsed = &t
	}
	actor := &auditActor{kind: "session", userID: u.id, email: u.email}
	s.recordAudit(created, "api_key.created", projectID, actor, k.id, map[string]any{"id": k.id, "data": map[string]any{"scopes": []string{}}})
	return s.publicKey(k), nil
}

// AddUserKeyValue is AddUserKey with a chosen value (for tests and drills
// that need, say, two keys sharing a redacted form). The value must look
// like a project key (sk-proj-…) and be unique.
func (s *Server) AddUserKeyValue(projectID, name, userID, value string, created time.Time) (Key, error) {
	if !strings.HasPrefix(value, "sk-proj-") || len(value) < 20 {
		return Key{}, fmt.Errorf("adding key %q: %q… is not a project key value (sk-proj-…)", name, value[:min(8, len(value))])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.projects[projectID] == nil {
		return Key{}, fmt.Errorf("adding key %q: project %s: %w", name, projectID, ErrNotFound)
	}
	if s.users[userID] == nil {
		return Key{}, fmt.Errorf("adding key %q: user %s: %w (call AddUser first)", name, userID, ErrNotFound)
	}
	k, err := s.newKeyWithValue(KindUser, name, projectID, userID, value, created)
	if err != nil {
		return Key{}, err
	}
	return s.publicKey(k), nil
}

// AddServiceAccount adds a service account (role member) with one key
// (sk-svcacct-…, named "Secret Key" as the API names it), recording
// service_account.created and api_key.created (actor null).
func (s *Server) AddServiceAccount(projectID, name string, created time.Time) (ServiceAccount, Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectID]
	if p == nil {
		return ServiceAccount{}, Key{}, fmt.Errorf("adding service account %q: project %s: %w", name, projectID, ErrNotFound)
	}
	a, k, err := s.addServiceAccount(p, name, created, true, nil)
	if err != nil {
		return ServiceAccount{}, Key{}, err
	}
	return ServiceAccount{ID: a.id, ProjectID: a.projectID, Name: a.name, Role: a.role, Created: a.created}, s.publicKey(k), nil
}

// AddServiceAccountKey adds another key to a service account, as
// POST …/service_accounts/{id}/api_keys does.
func (s *Server) AddServiceAccountKey(serviceAccountID, name string, created time.Time) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[serviceAccountID]
	if a == nil || a.deleted != nil {
		return Key{}, fmt.Errorf("adding key %q: service account %s: %w", name, serviceAccountID, ErrNotFound)
	}
	k, err := s.newKey(KindServiceAccount, name, a.projectID, a.id, created)
	if err != nil {
		return Key{}, err
	}
	s.recordAudit(created, "api_key.created", a.projectID, nil, k.id, map[string]any{"id": k.id, "data": map[string]any{"scopes": []string{}}})
	return s.publicKey(k), nil
}

// AddAdminKey adds an admin key (sk-admin-…) owned by the first user with
// role "owner" (by ID), or by a built-in owner if there is none. Admin key
// changes are not recorded in the audit log.
func (s *Server) AddAdminKey(name string, created time.Time) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	owner := ""
	for _, u := range s.users {
		if u.role == "owner" && (owner == "" || u.id < owner) {
			owner = u.id
		}
	}
	k, err := s.newKey(KindAdmin, name, "", owner, created)
	if err != nil {
		return Key{}, err
	}
	return s.publicKey(k), nil
}

// DeleteServiceAccount deletes a service account at the given time and
// revokes its keys, as the DELETE endpoint does (actor null).
func (s *Server) DeleteServiceAccount(id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[id]
	if a == nil || a.deleted != nil {
		return fmt.Errorf("deleting service account %s: %w", id, ErrNotFound)
	}
	s.deleteAccount(a, at.UTC(), nil)
	return nil
}

// RevokeKey simulates the provider disabling a key (as OpenAI does with
// keys reported leaked) now: see RevokeKeyAt.
func (s *Server) RevokeKey(id string) error { return s.RevokeKeyAt(id, s.now()) }

// RevokeKeyAt simulates the provider disabling a key at the given time.
// The key stops authenticating (401 invalid_api_key) and disappears from
// the Admin API: lists omit it and GET or DELETE of it answer 404, the
// case a responder must tolerate (API-NOTES §9). No audit event is
// recorded (which one OpenAI emits, if any, is unknown). Revoking a key
// that is already dead is not an error.
func (s *Server) RevokeKeyAt(id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[id]
	if k == nil {
		return fmt.Errorf("revoking key %s: %w", id, ErrNotFound)
	}
	s.revoke(k, at.UTC(), RevokedByProvider)
	return nil
}

// SetRestricted marks a key as restricted. A restricted project or service
// account key stays live but GET /v1/models answers 401 with code null and
// "Missing scopes: api.model.read" (API-NOTES §7); a restricted admin key
// is read-only (writes to /v1/organization answer 403).
func (s *Server) SetRestricted(keyID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[keyID]
	if k == nil {
		return fmt.Errorf("restricting key %s: %w", keyID, ErrNotFound)
	}
	k.restricted = true
	return nil
}

// SetOwnerProjectAccess sets whether a project key's owner still has
// access to its project (owner_project_access). Keys of owners without
// access are left out of the key list unless the request asks for
// owner_project_access=inactive or any.
func (s *Server) SetOwnerProjectAccess(keyID string, active bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[keyID]
	if k == nil || k.kind == KindAdmin {
		return fmt.Errorf("setting owner access of project key %s: %w", keyID, ErrNotFound)
	}
	k.ownerAccess = "inactive"
	if active {
		k.ownerAccess = "active"
	}
	return nil
}

// AddUsage records completions usage by a project key at a time (kept to
// the second; bucketed when queried). It also moves the key's last_used_at
// forward to at.
func (s *Server) AddUsage(projectID, keyID, model string, at time.Time, requests, inputTokens, outputTokens int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[keyID]
	if k == nil || k.kind == KindAdmin || k.projectID != projectID {
		return fmt.Errorf("adding usage of key %s in project %s: %w", keyID, projectID, ErrNotFound)
	}
	if requests < 0 || inputTokens < 0 || outputTokens < 0 {
		return fmt.Errorf("adding usage of key %s: counts must not be negative", keyID)
	}
	rec := usageRecord{projectID: projectID, keyID: keyID, model: model, at: at.UTC().Truncate(time.Second),
		requests: int64(requests), input: int64(inputTokens), output: int64(outputTokens)}
	if k.kind == KindUser {
		rec.userID = k.ownerID
	}
	s.usage = append(s.usage, rec)
	if k.lastUsed == nil || rec.at.After(*k.lastUsed) {
		t := rec.at
		k.lastUsed = &t
	}
	return nil
}

// IsLive reports whether value is a key that authenticates now.
func (s *Server) IsLive(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.byValue[value]
	return k != nil && k.live(s.now())
}

// KeyByValue finds a key (live or not) by its plaintext value.
func (s *Server) KeyByValue(value string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.byValue[value]
	if k == nil {
		return Key{}, false
	}
	return s.publicKey(k), true
}

// KeyByID finds a key (live or not) by its ID.
func (s *Server) KeyByID(id string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[id]
	if k == nil {
		return Key{}, false
	}
	return s.publicKey(k), true
}

// sortedAudit returns the audit events newest first (the API's order),
// ties broken by ID.
func (s *Server) sortedAudit() []*auditEvent {
	all := slices.Clone(s.audit)
	slices.SortStableFunc(all, func(a, b *auditEvent) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		if a.id < b.id {
			return 1
		}
		if a.id > b.id {
			return -1
		}
		return 0
	})
	return all
}

// UseKey is a client of the API calling it with the key whose value is
// given, at a time: when the key authenticates then, the calls are
// recorded as completions usage (Usage and Costs APIs) and its
// last_used_at moves to at; ok is false, and nothing is recorded, when it
// does not (unknown, revoked, expired, or an admin key). A drill's
// attacker and services use keys this way.
func (s *Server) UseKey(value, model string, at time.Time, requests, inputTokens, outputTokens int) (keyID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.byValue[value]
	if k == nil || k.kind == KindAdmin || !k.live(at) || requests < 0 || inputTokens < 0 || outputTokens < 0 {
		return "", false
	}
	rec := usageRecord{projectID: k.projectID, keyID: k.id, model: model, at: at.UTC().Truncate(time.Second),
		requests: int64(requests), input: int64(inputTokens), output: int64(outputTokens)}
	if k.kind == KindUser {
		rec.userID = k.ownerID
	}
	if requests > 0 {
		s.usage = append(s.usage, rec)
	}
	t := at.UTC()
	if k.lastUsed == nil || t.After(*k.lastUsed) {
		k.lastUsed = &t
	}
	return k.id, true
}

// KeyStatus returns a key's ID and whether it authenticates at t, by its
// value; found is false for a value no key has.
func (s *Server) KeyStatus(value string, t time.Time) (keyID string, live, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.byValue[value]
	if k == nil {
		return "", false, false
	}
	return k.id, k.live(t), true
}

// ActorOf names a credential for a request log, never showing it: "admin
// key NAME" for an admin key, "key ID" for a project key.
func (s *Server) ActorOf(value string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.byValue[value]
	if k == nil {
		return "", false
	}
	if k.kind == KindAdmin {
		return "admin key " + k.name, true
	}
	return "key " + k.id, true
}

// Rename sets the name of a project, a user, a service account or a key
// (whichever has the ID), so that tests can give respond hostile names:
// markup, terminal escape sequences, anything an organization member could
// type.
func (s *Server) Rename(id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.projects[id] != nil:
		s.projects[id].name = name
	case s.users[id] != nil:
		s.users[id].name = name
	case s.keys[id] != nil:
		s.keys[id].name = name
	case s.accounts[id] != nil:
		s.accounts[id].name = name
	default:
		return fmt.Errorf("renaming %s: %w", id, ErrNotFound)
	}
	return nil
}
