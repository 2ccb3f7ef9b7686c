package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// adapter is Google Cloud API keys as a provider.Provider, over Client.
//
// A key is named by its resource name, projects/NUMBER/locations/global
// /keys/ID (its ID in inventories and playbooks); its scope is its
// project, as the name gives it (a number). Containment deletes the key;
// Google keeps it undeletable for 30 days, then purges it. The replacement
// is a new key in the same project, created with a key ID respond chooses
// and journals first (so that a create interrupted by a crash is found by
// name and deleted), the leaked key's display name and annotations, every
// one of its restrictions, and its service-account binding: it is never
// broader than the key it replaces. A key is checked with the Generative
// Language API's models list: 400 API_KEY_INVALID is dead; a key whose
// restrictions forbid the call is alive (restricted).
type adapter struct {
	env *plugin.Env
}

var _ provider.Provider = adapter{}

// SharedKey names the Google client among a plug-in environment's shared
// clients; a test may Provide its own under it.
const SharedKey = "google"

// Annotations respond writes on a replacement.
const (
	annotationIncident = "respond/incident"
	annotationReplaces = "respond/replaces"
)

// client returns the environment's client, built on first use.
func (a adapter) client() (*Client, error) {
	c, err := plugin.SharedAs[*Client](a.env, SharedKey, func() (any, error) { return build(a.env) })
	if err != nil {
		return nil, step.Permanent(err)
	}
	return c, nil
}

// build makes the client from the plug-in environment. A key file the
// process's own environment names is left to Application Default
// Credentials (which read every kind of file they support); one that only
// the plug-in environment names (a drill, a test) is loaded explicitly.
func build(env *plugin.Env) (*Client, error) {
	cfg := Config{
		Endpoint:              strings.TrimSpace(env.Getenv(EnvAPIKeysURL)),
		GenerativeLanguageURL: strings.TrimSpace(env.Getenv(EnvGenerativeLanguageURL)),
	}
	if f := env.Getenv(EnvCredentials); f != "" && f != os.Getenv(EnvCredentials) {
		cfg.CredentialsFile = f
	}
	return New(context.Background(), cfg)
}

// stepErr marks what retrying cannot mend (credentials refused,
// permission denied, a request the API refuses as invalid) as permanent.
func stepErr(err error) error {
	var ae *APIError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrPermission), errors.Is(err, ErrUnauthenticated):
		return step.Permanent(err)
	case errors.As(err, &ae) && ae.StatusCode == 400 && ae.Status == "INVALID_ARGUMENT":
		return step.Permanent(err)
	}
	return err
}

// notFound is a key that is not there, as the step kinds recognize it.
func notFound(name string) error {
	return fmt.Errorf("google: key %s: %w", name, step.ErrNotFound)
}

// keyInfo describes a key for the step kinds.
func keyInfo(k Key) *provider.KeyInfo {
	ki := &provider.KeyInfo{Provider: Name, ID: k.Name, Name: k.DisplayName, Scope: k.Project, Created: k.Created,
		Status: "active", Owner: evidence.Owner{Noun: "project", Name: k.Project}, Attrs: map[string]string{"uid": k.UID}}
	if k.IsDeleted() {
		ki.Status = "deleted"
	}
	if e := k.ServiceAccountEmail; e != "" {
		user, _, _ := strings.Cut(e, "@")
		ki.Owner = evidence.Owner{Type: "service_account", Noun: "service account", ID: e, Name: user, Email: e}
	}
	if a, ok := adviceFor(k.Restrictions); ok {
		ki.Advice = &a
	}
	return ki
}

// keyNameOf is the resource name a key ID names: the ID itself when it is
// a resource name, else the key with that ID (or uid) in scope.
func keyNameOf(scope, id string) (string, error) {
	if _, _, err := ParseKeyName(id); err == nil {
		return id, nil
	}
	if scope != "" && checkProject(scope) == nil && bareKeyIDRe.MatchString(id) {
		return KeyName(scope, id), nil
	}
	return "", step.BadInputf("%q does not name a Google API key: give its full name (projects/PROJECT/locations/global/keys/ID, "+
		"as `gcloud services api-keys list` shows it), or its ID with its project", id)
}

// sameProject reports whether two ways of naming a project can be the
// same one: equal, or not both numbers (an ID and a number cannot be
// compared without the Resource Manager API).
func sameProject(a, b string) bool {
	return a == b || a == "" || b == "" || !projectNumberRe.MatchString(a) || !projectNumberRe.MatchString(b)
}

// FindByID implements provider.Provider: by resource name, or by key ID or
// uid in scope.
func (a adapter) FindByID(ctx context.Context, scope, id string) (*provider.KeyInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	name, err := keyNameOf(scope, id)
	if err != nil {
		return nil, err
	}
	k, err := c.GetKey(ctx, name)
	if errors.Is(err, ErrNotFound) {
		if name == id || !uuidRe.MatchString(id) {
			return nil, nil
		}
		// A key made with an ID of its own is found by its uid.
		keys, err := c.ListKeys(ctx, scope, true)
		if err != nil {
			return nil, stepErr(err)
		}
		for _, k := range keys {
			if k.UID == id {
				return keyInfo(k), nil
			}
		}
		return nil, nil
	}
	if err != nil {
		return nil, stepErr(err)
	}
	if !sameProject(scope, k.Project) {
		return nil, step.BadInputf("key %s is in project %s, not %s: check the project, or leave it out (the key's name says it)", k.Name, k.Project, scope)
	}
	return keyInfo(k), nil
}

// FindByName implements provider.Provider: by display name, in scope.
func (a adapter) FindByName(ctx context.Context, scope, name string) (*provider.KeyInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	if err := checkProject(scope); err != nil {
		return nil, step.BadInputf("%v", err)
	}
	keys, err := c.ListKeys(ctx, scope, false)
	if err != nil {
		return nil, stepErr(err)
	}
	var found []*provider.KeyInfo
	for _, k := range keys {
		if k.DisplayName == name {
			found = append(found, keyInfo(k))
		}
	}
	return provider.OneNamed(found, name, " of project "+scope)
}

// FindByValue implements provider.Provider with keys:lookupKey, which gives
// a key's project and name from its string alone. A key Google no longer
// knows, or purged (deleted more than 30 days ago), is not found.
func (a adapter) FindByValue(ctx context.Context, scope string, cred secret.Credential) (*provider.KeyInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	main, _ := cred.Main()
	v := main.Value()
	if v.IsZero() {
		return nil, step.BadInputf("no Google API key was given")
	}
	project, name, err := c.LookupKey(ctx, v)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, stepErr(err)
	case name == "":
		return nil, nil // purged: only its project is left
	case !sameProject(scope, project):
		return nil, step.BadInputf("the leaked key (%s) is a key of project %s, not %s: check the project, or leave it out (Google says which it is)", v.Redacted(), project, scope)
	}
	k, err := c.GetKey(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, stepErr(err)
	}
	ki := keyInfo(k)
	ki.Redacted = v.Redacted()
	return ki, nil
}

// matchTimeout bounds Matches' lookup.
const matchTimeout = 20 * time.Second

// Matches implements provider.Provider: Google says which key a value is
// (keys:lookupKey). When it cannot answer, the value is not refused: the
// key named by ID is contained all the same.
func (a adapter) Matches(k provider.KeyInfo, cred secret.Credential) bool {
	c, err := a.client()
	if err != nil {
		return true
	}
	main, _ := cred.Main()
	ctx, cancel := context.WithTimeout(context.Background(), matchTimeout)
	defer cancel()
	project, name, err := c.LookupKey(ctx, main.Value())
	switch {
	case errors.Is(err, ErrNotFound):
		return false
	case err != nil || name == "":
		return true
	case name == k.ID:
		return true
	}
	wantProject, wantID, err := ParseKeyName(k.ID)
	_, gotID, _ := ParseKeyName(name)
	return err == nil && gotID == wantID && sameProject(wantProject, project)
}

// Scopes implements provider.Provider: the project named by
// GOOGLE_CLOUD_PROJECT, else the project of the credentials file (listing
// every project needs the Resource Manager API, which respond does not
// call).
func (a adapter) Scopes(context.Context) ([]provider.KeyScope, error) {
	for _, v := range []string{EnvProject, "CLOUDSDK_CORE_PROJECT"} {
		if p := strings.TrimSpace(a.env.Getenv(v)); p != "" {
			if err := checkProject(p); err != nil {
				return nil, step.BadInputf("%s: %v", v, err)
			}
			return []provider.KeyScope{{ID: p, Name: p}}, nil
		}
	}
	if p := credentialsProject(a.env.Getenv(EnvCredentials)); p != "" {
		return []provider.KeyScope{{ID: p, Name: p}}, nil
	}
	return nil, step.BadInputf("respond cannot list Google Cloud projects: set %s to the project whose keys to list, or name the key (--key-id projects/…/keys/…, or its value with --key-stdin)", EnvProject)
}

// credentialsProject is the project_id of a credentials file, or "".
func credentialsProject(file string) string {
	if file == "" {
		return ""
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	var f struct {
		ProjectID string `json:"project_id"`
	}
	if json.Unmarshal(b, &f) != nil || checkProject(f.ProjectID) != nil {
		return ""
	}
	return f.ProjectID
}

// ListKeys implements provider.Provider: the project's keys (not the
// deleted ones).
func (a adapter) ListKeys(ctx context.Context, scope string) ([]provider.KeyInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	keys, err := c.ListKeys(ctx, scope, false)
	if err != nil {
		return nil, stepErr(err)
	}
	out := make([]provider.KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = *keyInfo(k)
	}
	return out, nil
}

// checkMethod is how Check asks Google about a key.
const checkMethod = "GET /v1beta/models of the Generative Language API"

// Check implements provider.Provider: the Generative Language API's models
// list, called with the key. API_KEY_INVALID is dead; success is live; a
// refusal by the key's restrictions, or because the API is not enabled in
// the key's project, shows a key Google accepted: alive, never dead. When
// the call tells nothing (Google failing, rate limits), the API Keys API
// decides whether the key is deleted; a key it still lists is an error,
// as nobody could tell whether it works.
func (a adapter) Check(ctx context.Context, cred secret.Credential) (provider.KeyCheck, error) {
	c, err := a.client()
	if err != nil {
		return provider.KeyCheck{}, err
	}
	main, _ := cred.Main()
	v := main.Value()
	res, err := c.CheckKey(ctx, v)
	now := time.Now()
	if err == nil {
		out := provider.KeyCheck{StatusCode: res.Status, Code: res.Reason, Method: checkMethod, CheckedAt: now}
		switch res.State {
		case StateDead:
			out.State = provider.KeyDead
		case StateRestricted:
			out.State = provider.KeyRestricted
		default:
			out.State = provider.KeyLive
		}
		return out, nil
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == 403 && ae.Reason == "SERVICE_DISABLED" {
		return provider.KeyCheck{State: provider.KeyDenied, StatusCode: 403, Code: ae.Reason, Method: checkMethod,
			Detail: "the Generative Language API is not enabled in the key's project", CheckedAt: now}, nil
	}
	if ctx.Err() != nil {
		return provider.KeyCheck{}, err
	}
	return a.checkByName(ctx, c, v, err)
}

// checkByName tells a deleted key from one still listed when the call
// with the key told nothing (cause).
func (a adapter) checkByName(ctx context.Context, c *Client, v secret.Value, cause error) (provider.KeyCheck, error) {
	dead := func(how string) (provider.KeyCheck, error) {
		return provider.KeyCheck{State: provider.KeyDead, Method: how, Detail: "the call with the key failed: " + cause.Error(), CheckedAt: time.Now()}, nil
	}
	_, name, err := c.LookupKey(ctx, v)
	switch {
	case errors.Is(err, ErrNotFound):
		return dead("keys:lookupKey (Google knows no such key)")
	case err != nil:
		return provider.KeyCheck{}, cause
	case name == "":
		return dead("keys:lookupKey (purged)")
	}
	k, err := c.GetKey(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		return dead("keys.get (purged)")
	case err == nil && k.IsDeleted():
		return dead("keys.get (deleted)")
	}
	return provider.KeyCheck{}, cause
}

// Listed implements provider.Provider: the key exists and is not deleted.
func (a adapter) Listed(ctx context.Context, k provider.KeyInfo) (bool, error) {
	c, err := a.client()
	if err != nil {
		return false, err
	}
	name, err := keyNameOf(k.Scope, k.ID)
	if err != nil {
		return false, err
	}
	key, err := c.GetKey(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, stepErr(err)
	}
	return !key.IsDeleted(), nil
}

// undoHint says how to bring a deleted key back.
func undoHint(name string) string {
	project, id, err := ParseKeyName(name)
	if err != nil {
		return "gcloud services api-keys undelete"
	}
	return fmt.Sprintf("gcloud services api-keys undelete %s --project %s", id, project)
}

// PlanRevoke implements provider.Provider. Without the key's name from
// key.identify, it reads the key (when Google is configured) to name it
// and to see that it is already deleted.
func (a adapter) PlanRevoke(ctx context.Context, k provider.KeyInfo) (step.Change, error) {
	name, err := keyNameOf(k.Scope, k.ID)
	if err != nil {
		return step.Change{}, err
	}
	target := "Google Cloud API key " + name
	if k.Name != "" {
		target += fmt.Sprintf(" (%q)", k.Name)
	} else if c, err := a.client(); err == nil {
		key, err := c.GetKey(ctx, name)
		switch {
		case errors.Is(err, ErrNotFound):
			return step.Change{Action: step.NoOp, Target: target, Effect: "already purged: nothing to delete"}, nil
		case err == nil && key.IsDeleted():
			return step.Change{Action: step.NoOp, Target: target, Effect: "already deleted: nothing to delete"}, nil
		case err == nil && key.DisplayName != "":
			target += fmt.Sprintf(" (%q)", key.DisplayName)
		}
	}
	return step.Change{Action: step.Delete, Target: target,
		Effect: "delete the key; Google keeps it undeletable for 30 days (`" + undoHint(name) + "`), then purges it"}, nil
}

// Revoke implements provider.Provider: the key is deleted at once. A key
// already deleted, or purged, is contained.
func (a adapter) Revoke(ctx context.Context, k provider.KeyInfo, log func(string, ...any)) (evidence.Revoked, error) {
	c, err := a.client()
	if err != nil {
		return evidence.Revoked{}, err
	}
	name, err := keyNameOf(k.Scope, k.ID)
	if err != nil {
		return evidence.Revoked{}, err
	}
	project, _, _ := ParseKeyName(name)
	ev := evidence.Revoked{Provider: Name, KeyID: name, Scope: project, Contained: true, Method: "delete API key"}
	key, already, err := c.DeleteKeyStatus(ctx, name, "")
	switch {
	case errors.Is(err, ErrNotFound):
		ev.AlreadyDisabled, ev.Method = true, "already purged"
		return ev, nil
	case err != nil:
		return ev, fmt.Errorf("deleting key %s: %w; the key may still work: delete it in the Google Cloud console "+
			"(APIs & Services → Credentials) or with `gcloud services api-keys delete` if this persists", name, stepErr(err))
	case already:
		ev.AlreadyDisabled = true
		log("key %s was already deleted (at %s)", name, provider.RFC3339(key.Deleted))
		return ev, nil
	}
	log("deleted key %s; Google keeps it undeletable for 30 days (`%s`), then purges it", name, undoHint(name))
	return ev, nil
}

// CanReplace implements provider.Provider: the credentials must be able to
// read the project's keys (the leaked key's restrictions are read to copy
// them). Creating a key cannot be tried without making one.
func (a adapter) CanReplace(ctx context.Context, scope string, old *provider.KeyInfo) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	if old != nil && old.ID != "" {
		name, err := keyNameOf(scope, old.ID)
		if err != nil {
			return err
		}
		if _, err := c.GetKey(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("cannot read key %s, whose restrictions the replacement copies: %w", name, err)
		}
		return nil
	}
	if err := checkProject(scope); err != nil {
		return err
	}
	if _, err := c.ListKeys(ctx, scope, false); err != nil {
		return fmt.Errorf("cannot list the keys of project %s, which creating the replacement needs: %w", scope, err)
	}
	return nil
}

// PlanReplace implements provider.Provider: it reads the leaked key (when
// Google is configured) to say what the replacement copies.
func (a adapter) PlanReplace(ctx context.Context, r provider.ReplaceRequest) (step.Change, error) {
	ch := step.Change{Action: step.Create, Target: "Google Cloud API key in project " + r.Scope,
		Effect: "create a key with the leaked key's display name and all of its restrictions; it is the replacement"}
	if r.Old.ID == "" {
		return ch, nil
	}
	c, err := a.client()
	if err != nil {
		return ch, nil
	}
	name, err := keyNameOf(r.Scope, r.Old.ID)
	if err != nil {
		return ch, nil
	}
	old, err := c.GetKey(ctx, name)
	if err != nil {
		return ch, nil
	}
	ch.Target = fmt.Sprintf("Google Cloud API key %q in project %s", displayName(old.DisplayName, r), old.Project)
	ch.Effect = "create a key with the restrictions of " + old.Name + " (" + describeRestrictions(old.Restrictions) + ")"
	if old.ServiceAccountEmail != "" {
		ch.Effect += ", bound to service account " + old.ServiceAccountEmail + " as it is"
	}
	ch.Effect += "; it is the replacement"
	return ch, nil
}

// Replace implements provider.Provider. The replacement of an earlier apply
// (whose value was not kept) is deleted first; then the leaked key is read
// (a deleted key still is, for 30 days) and a key is created in its
// project with its display name and the incident ID, its annotations, its
// restrictions and its service-account binding. The new key's ID is
// journaled before the create, so that Reconcile finds it after a crash.
func (a adapter) Replace(ctx context.Context, r provider.ReplaceRequest, log func(string, ...any)) (secret.Credential, evidence.Created, error) {
	c, err := a.client()
	if err != nil {
		return secret.Credential{}, evidence.Created{}, err
	}
	deleted := []string{}
	if p := r.Previous; p != nil && p.KeyID != "" && !p.Adopted && p.KeyID != r.Old.ID {
		if err := deleteLeftover(ctx, c, p.KeyID); err != nil {
			return secret.Credential{}, evidence.Created{}, err
		}
		log("deleted key %s from the earlier run: its value was not kept", p.KeyID)
		deleted = append(deleted, p.KeyID)
	}
	if r.Old.ID == "" {
		return secret.Credential{}, evidence.Created{}, step.Permanent(step.Errorf("the leaked key is not known by name (it is purged, " +
			"or was named only by its value), so its restrictions cannot be copied: create the replacement in the Google Cloud " +
			"console (APIs & Services → Credentials) with the restrictions the application needs, deploy it, and close the incident"))
	}
	oldName, err := keyNameOf(r.Scope, r.Old.ID)
	if err != nil {
		return secret.Credential{}, evidence.Created{}, err
	}
	old, err := c.GetKey(ctx, oldName)
	switch {
	case errors.Is(err, ErrNotFound):
		return secret.Credential{}, evidence.Created{}, step.Permanent(step.Errorf("key %s is purged, so its restrictions cannot be "+
			"copied: create the replacement in the Google Cloud console (APIs & Services → Credentials) with the restrictions the "+
			"application needs", oldName))
	case err != nil:
		return secret.Credential{}, evidence.Created{}, fmt.Errorf("reading key %s, whose restrictions the replacement copies: %w", oldName, stepErr(err))
	}
	project := old.Project
	keyID, err := newKeyID(r.Name)
	if err != nil {
		return secret.Credential{}, evidence.Created{}, err
	}
	annotations := maps.Clone(old.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[annotationIncident] = r.Incident
	annotations[annotationReplaces] = old.UID
	if r.Checkpoint != nil {
		if err := r.Checkpoint(map[string]any{"project": project, "key_id": keyID}); err != nil {
			return secret.Credential{}, evidence.Created{}, fmt.Errorf("journaling the replacement's key ID before creating it: %w", err)
		}
	}
	made, err := c.CreateBoundKey(ctx, project, keyID, displayName(old.DisplayName, r), old.ServiceAccountEmail, old.Restrictions, annotations)
	if err != nil {
		return secret.Credential{}, evidence.Created{}, fmt.Errorf("creating key %s in project %s: %w; if it was created anyway, "+
			"`respond resume` finds it by that ID and deletes it", keyID, project, stepErr(err))
	}
	if made.KeyString.IsZero() {
		return secret.Credential{}, evidence.Created{}, fmt.Errorf("key %s was created but Google returned no key string: "+
			"`respond resume` deletes it and makes another", made.Name)
	}
	a.env.Secrets.Add(made.KeyString)
	cred := credentialOf(made.KeyString)
	return cred, evidence.Created{
		Provider: Name, KeyID: made.Name, Scope: made.Project,
		Principal:        evidence.Principal{Type: "project", ID: made.Project, Name: made.Project},
		Redacted:         made.KeyString.Redacted(),
		Fingerprint:      made.KeyString.Fingerprint(),
		CreatedAt:        provider.RFC3339(made.Created),
		DeletedLeftovers: deleted,
		PermissionsHint:  permissionsHint(old.Restrictions),
	}, nil
}

// Reconcile implements provider.Provider: the key whose ID the interrupted
// attempt journaled before its create is deleted, if it was made (its
// value died with the process). Without that record the attempt never
// reached the create.
func (a adapter) Reconcile(ctx context.Context, r provider.ReplaceRequest, log func(string, ...any)) ([]string, error) {
	project, _ := r.Checkpointed["project"].(string)
	keyID, _ := r.Checkpointed["key_id"].(string)
	if project == "" || keyID == "" {
		return nil, nil
	}
	if checkProject(project) != nil || !newKeyIDRe.MatchString(keyID) {
		return nil, step.Errorf("the journal's record of the interrupted replacement (project %q, key %q) is not a key's name: "+
			"look for a key named after this incident in the Google Cloud console and delete it", project, keyID)
	}
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	name := KeyName(project, keyID)
	k, err := c.GetKey(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil // never made
	case err != nil:
		return nil, fmt.Errorf("looking for key %s, which the interrupted run may have created: %w", name, stepErr(err))
	case k.IsDeleted():
		return nil, nil
	}
	if err := deleteLeftover(ctx, c, k.Name); err != nil {
		return nil, err
	}
	log("deleted key %s, made by the interrupted run: its value was lost", k.Name)
	return []string{k.Name}, nil
}

// deleteLeftover deletes a key this incident made and no longer needs;
// gone already is fine.
func deleteLeftover(ctx context.Context, c *Client, name string) error {
	if _, _, err := ParseKeyName(name); err != nil {
		return step.Errorf("%q, recorded as a replacement of this incident, is not a key's name: delete that key in the Google Cloud console", name)
	}
	if _, err := c.DeleteKey(ctx, name, ""); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("deleting key %s, a replacement of this incident no longer used: %w", name, stepErr(err))
	}
	return nil
}

// Discard implements provider.Provider: a key respond created and no
// longer needs is deleted (undeletable for 30 days, like any).
func (a adapter) Discard(ctx context.Context, cr evidence.Created, log func(string, ...any)) error {
	if cr.Adopted || cr.KeyID == "" {
		return nil // a key respond did not create is not respond's to delete
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	if err := deleteLeftover(ctx, c, cr.KeyID); err != nil {
		return err
	}
	log("deleted key %s: the replacement it was is no longer used", cr.KeyID)
	return nil
}

// Adopt implements provider.Provider: a key a person made is found by its
// value, in the replacement's project, and checked to work.
func (a adapter) Adopt(ctx context.Context, r provider.ReplaceRequest, cred secret.Credential) (evidence.Created, error) {
	k, err := a.FindByValue(ctx, r.Scope, cred)
	if err != nil {
		return evidence.Created{}, err
	}
	switch {
	case k == nil:
		return evidence.Created{}, step.BadInputf("Google knows no such key: paste the new key exactly as the Google Cloud console shows it")
	case k.Status == "deleted":
		return evidence.Created{}, step.BadInputf("the pasted key %s is deleted: paste a live key", k.ID)
	case k.ID == r.Old.ID && r.Old.ID != "":
		return evidence.Created{}, step.BadInputf("the pasted key is %s, the key being replaced: paste the new key", k.ID)
	}
	kc, err := a.Check(ctx, cred)
	if err != nil {
		return evidence.Created{}, err
	}
	if kc.State == provider.KeyDead {
		return evidence.Created{}, step.BadInputf("Google refuses the pasted key %s (%s): a new key can take a few minutes to work; paste it again then", k.ID, kc.Code)
	}
	main, _ := cred.Main()
	return evidence.Created{
		Provider: Name, KeyID: k.ID, Scope: k.Scope,
		Principal:   evidence.Principal{Type: "project", ID: k.Scope, Name: k.Scope},
		Redacted:    main.Value().Redacted(),
		Fingerprint: main.Value().Fingerprint(),
		CreatedAt:   provider.RFC3339(k.Created), DeletedLeftovers: []string{}, Adopted: true,
	}, nil
}

// Usage implements provider.Provider: Google's API Keys API counts no use
// per key, so nothing is counted and the evidence says where to look.
func (adapter) Usage(_ context.Context, k provider.KeyInfo, _, _ time.Time, _ func(string, ...any)) (evidence.Usage, error) {
	return evidence.Usage{Provider: Name, KeyID: k.ID, NotCounted: true, Buckets: []evidence.UsageBucket{},
		Source: "Google's API reports neither a key's requests nor its last use; see APIs & Services → Metrics in the Cloud console, by credential"}, nil
}

// LastUsed implements provider.Provider: Google does not say when a key
// was last used (nil: unknown); a deleted or purged key is not found.
func (a adapter) LastUsed(ctx context.Context, k provider.KeyInfo) (*time.Time, error) {
	live, err := a.Listed(ctx, k)
	if err != nil {
		return nil, err
	}
	if !live {
		return nil, notFound(k.ID)
	}
	return nil, nil
}

// Retire implements provider.Provider: the key was deleted when it was
// contained, so nothing is deleted now; a key brought back since (undeleted)
// is an error for a person to look into.
func (a adapter) Retire(ctx context.Context, k provider.KeyInfo) (evidence.Retired, error) {
	ev := evidence.Retired{Provider: Name, KeyID: k.ID}
	c, err := a.client()
	if err != nil {
		return ev, err
	}
	name, err := keyNameOf(k.Scope, k.ID)
	if err != nil {
		return ev, err
	}
	key, err := c.GetKey(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		ev.Method = "nothing to do: the key was deleted when it was contained, and Google has purged it"
		return ev, nil
	case err != nil:
		return ev, stepErr(err)
	case !key.IsDeleted():
		return ev, step.Errorf("key %s is live again: someone undeleted it since it was contained; find out why, delete it "+
			"again (`gcloud services api-keys delete`), then run `respond resume`", name)
	}
	ev.Method = fmt.Sprintf("nothing to do: the key was deleted when it was contained; Google purges it 30 days after (%s)",
		provider.RFC3339(key.Deleted.Add(30*24*time.Hour)))
	return ev, nil
}
