package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/textsafe"
)

// SharedKey names the Admin API client among a plug-in environment's
// shared clients; a test may Provide its own.
const SharedKey = "anthropic"

// API is the Admin API as the provider uses it; *Client implements it.
type API interface {
	ListKeys(ctx context.Context, f Filter) ([]Key, error)
	// GetKey reads one key; ErrNotFound if there is none with that ID.
	GetKey(ctx context.Context, id string) (Key, error)
	SetStatus(ctx context.Context, id, status string) (Key, error)
	// CheckKey lists models with value as the key: Live, or 401.
	CheckKey(ctx context.Context, value secret.Value) (Check, error)
}

var _ API = (*Client)(nil)

// Build returns the function that builds the shared client from env:
// ANTHROPIC_ADMIN_API_KEY (masked as soon as it is read) and
// ANTHROPIC_BASE_URL.
func Build(env *plugin.Env) func() (any, error) {
	return func() (any, error) {
		key := env.Secret(EnvAdminKey)
		if key.IsZero() {
			return nil, errors.New(Spec().NotConfigured)
		}
		base := strings.TrimSpace(env.Getenv(EnvBaseURL))
		c, err := New(Config{BaseURL: base, AdminKey: key})
		if err != nil && base != "" {
			return nil, fmt.Errorf("%s: %w", EnvBaseURL, err)
		}
		return c, err
	}
}

// adapter is Anthropic as a provider.Provider, over the Admin API.
//
// A key lives in a workspace. It is contained by setting it inactive
// (reversible: its record and its status history stay) and archived once
// recovery is verified (final). The API cannot create or delete keys: the
// replacement is made by a person in the Console, pasted, and adopted: found
// among the workspace's keys by its partial_key_hint and checked with GET
// /v1/models.
type adapter struct {
	env *plugin.Env
}

var _ provider.Provider = (*adapter)(nil)

// client returns the Admin API client, or an error saying how to
// configure it.
func (a *adapter) client() (API, error) {
	c, err := plugin.SharedAs[API](a.env, SharedKey, Build(a.env))
	if err != nil {
		return nil, step.Permanent(err)
	}
	return c, nil
}

// keyInfoOf describes a key; its text is the API's, made safe to show.
func keyInfoOf(k Key) *provider.KeyInfo {
	info := &provider.KeyInfo{
		Provider: Name, ID: k.ID, Name: textsafe.Line(k.Name), Scope: k.WorkspaceID,
		Redacted: k.PartialKeyHint, Created: k.Created, Status: k.Status,
		Attrs: map[string]string{"status": k.Status},
	}
	if k.CreatedBy.ID != "" {
		info.Owner = evidence.Owner{Type: k.CreatedBy.Type, ID: k.CreatedBy.ID, Noun: "Anthropic " + strings.ReplaceAll(k.CreatedBy.Type, "_", " ")}
	}
	if !k.Expires.IsZero() {
		info.Attrs["expires_at"] = provider.RFC3339(k.Expires)
	}
	return info
}

// notFound reports whether err says the key does not exist (404).
func notFound(err error) bool { return errors.Is(err, ErrNotFound) }

// FindByID implements provider.Provider.
func (a *adapter) FindByID(ctx context.Context, scope, id string) (*provider.KeyInfo, error) {
	api, err := a.client()
	if err != nil {
		return nil, err
	}
	if !idPattern.MatchString(id) {
		return nil, step.BadInputf("%q is not an Anthropic API key ID: they look like apikey_01Rj2N8SVvo6BePZj99NhmiT", textsafe.Line(id))
	}
	k, err := api.GetKey(ctx, id)
	switch {
	case notFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	case scope != "" && k.WorkspaceID != scope:
		return nil, nil
	}
	return keyInfoOf(k), nil
}

// FindByName implements provider.Provider.
func (a *adapter) FindByName(ctx context.Context, scope, name string) (*provider.KeyInfo, error) {
	api, err := a.client()
	if err != nil {
		return nil, err
	}
	keys, err := api.ListKeys(ctx, Filter{WorkspaceID: scope})
	if err != nil {
		return nil, err
	}
	var found []*provider.KeyInfo
	for _, k := range keys {
		if k.Name == name {
			found = append(found, keyInfoOf(k))
		}
	}
	return provider.OneNamed(found, name, " of workspace "+textsafe.Line(scope))
}

// FindByValue implements provider.Provider: the value is matched against
// every key's partial_key_hint (its first characters and last four); the
// Admin API lists keys of every status, so a key already inactive is found
// too. Several matches are an error listing them.
func (a *adapter) FindByValue(ctx context.Context, scope string, c secret.Credential) (*provider.KeyInfo, error) {
	main, _ := c.Main()
	v := main.Value()
	if isAdminKey(v.Reveal()) {
		return nil, errAdminKey()
	}
	api, err := a.client()
	if err != nil {
		return nil, err
	}
	keys, err := api.ListKeys(ctx, Filter{WorkspaceID: scope})
	if err != nil {
		return nil, err
	}
	matches := matching(keys, v)
	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
		return keyInfoOf(matches[0]), nil
	}
	var b strings.Builder
	for _, m := range matches {
		fmt.Fprintf(&b, "\n  %s %q in workspace %s, %s, %s", m.ID, textsafe.Line(m.Name), m.WorkspaceID, m.Status, m.PartialKeyHint)
	}
	return nil, step.BadInputf("the leaked value (%s) matches %d keys; say which with its ID (--key-id apikey_…):%s",
		v.Redacted(), len(matches), b.String())
}

// matching returns the keys whose hint fits v.
func matching(keys []Key, v secret.Value) []Key {
	var out []Key
	for _, k := range keys {
		if hintMatches(v.Reveal(), k.PartialKeyHint) {
			out = append(out, k)
		}
	}
	return out
}

// Matches implements provider.Provider: the value fits the key's hint.
func (*adapter) Matches(k provider.KeyInfo, c secret.Credential) bool {
	main, _ := c.Main()
	return hintMatches(main.Value().Reveal(), k.Redacted)
}

// Scopes implements provider.Provider: the workspaces that hold keys (the
// Admin API's keys name their workspace; respond does not read the
// workspaces themselves).
func (a *adapter) Scopes(ctx context.Context) ([]provider.KeyScope, error) {
	api, err := a.client()
	if err != nil {
		return nil, err
	}
	keys, err := api.ListKeys(ctx, Filter{})
	if err != nil {
		return nil, err
	}
	var out []provider.KeyScope
	for _, k := range keys {
		if k.WorkspaceID != "" && !slices.ContainsFunc(out, func(s provider.KeyScope) bool { return s.ID == k.WorkspaceID }) {
			out = append(out, provider.KeyScope{ID: k.WorkspaceID})
		}
	}
	return out, nil
}

// ListKeys implements provider.Provider: a workspace's keys that still
// work or can work again (active and inactive).
func (a *adapter) ListKeys(ctx context.Context, scope string) ([]provider.KeyInfo, error) {
	api, err := a.client()
	if err != nil {
		return nil, err
	}
	keys, err := api.ListKeys(ctx, Filter{WorkspaceID: scope})
	if err != nil {
		return nil, err
	}
	var out []provider.KeyInfo
	for _, k := range keys {
		if k.Status == StatusActive || k.Status == StatusInactive {
			out = append(out, *keyInfoOf(k))
		}
	}
	return out, nil
}

// Check implements provider.Provider with GET /v1/models: 200 is live,
// 401 dead (inactive, archived, expired or unknown).
func (a *adapter) Check(ctx context.Context, c secret.Credential) (provider.KeyCheck, error) {
	main, _ := c.Main()
	if isAdminKey(main.Value().Reveal()) {
		return provider.KeyCheck{}, step.Permanent(errAdminKey())
	}
	api, err := a.client()
	if err != nil {
		return provider.KeyCheck{}, err
	}
	kc, err := api.CheckKey(ctx, main.Value())
	if err != nil {
		return provider.KeyCheck{}, err
	}
	out := provider.KeyCheck{State: provider.KeyDead, StatusCode: kc.Status, Method: "GET /v1/models", CheckedAt: time.Now()}
	if kc.Live {
		out.State = provider.KeyLive
	} else {
		out.Code = "authentication_error"
	}
	return out, nil
}

// Listed implements provider.Provider: whether the key is listed as
// active. The Admin API lists inactive and archived keys too, which do not
// work: for a key known only by its ID, "listed" must mean "can work".
func (a *adapter) Listed(ctx context.Context, k provider.KeyInfo) (bool, error) {
	api, err := a.client()
	if err != nil {
		return false, err
	}
	key, err := api.GetKey(ctx, k.ID)
	switch {
	case notFound(err):
		return false, nil
	case err != nil:
		return false, err
	}
	return key.Status == StatusActive, nil
}

// PlanRevoke implements provider.Provider; it reads nothing.
func (*adapter) PlanRevoke(_ context.Context, k provider.KeyInfo) (step.Change, error) {
	return step.Change{Action: step.Update, Target: keyLabel(k),
		Effect: "deactivate: set its status inactive (reversible, its record kept); it is archived once recovery is verified"}, nil
}

func keyLabel(k provider.KeyInfo) string {
	if k.Name != "" {
		return fmt.Sprintf("Anthropic API key %s (%s)", k.ID, k.Name)
	}
	return "Anthropic API key " + k.ID
}

// Revoke implements provider.Provider: the key is set inactive. A key that
// is gone, archived or expired is contained already.
func (a *adapter) Revoke(ctx context.Context, k provider.KeyInfo, log func(string, ...any)) (evidence.Revoked, error) {
	api, err := a.client()
	if err != nil {
		return evidence.Revoked{}, err
	}
	ev := evidence.Revoked{Provider: Name, KeyID: k.ID, Scope: k.Scope, Contained: true, Method: "set inactive", Reversible: true}
	_, err = api.SetStatus(ctx, k.ID, StatusInactive)
	if err == nil {
		return ev, nil
	}
	if notFound(err) {
		ev.AlreadyDisabled, ev.Reversible, ev.Method = true, false, "already gone"
		return ev, nil
	}
	// An archived key cannot be changed (400): look before giving up.
	if cur, gerr := api.GetKey(ctx, k.ID); gerr == nil && (cur.Status == StatusArchived || cur.Status == StatusExpired) {
		log("key %s is already %s: it cannot be used again", k.ID, cur.Status)
		ev.AlreadyDisabled, ev.Reversible, ev.Method = true, false, "already "+cur.Status
		return ev, nil
	}
	return ev, fmt.Errorf("setting key %s inactive: %w; the key may still work: set it inactive in the Claude Console "+
		"(Settings → API keys) if this persists", k.ID, err)
}

// CanReplace implements provider.Provider: a person makes the replacement,
// and respond must be able to find it among the workspace's keys.
func (a *adapter) CanReplace(ctx context.Context, scope string, _ *provider.KeyInfo) error {
	api, err := a.client()
	if err != nil {
		return err
	}
	if _, err := api.ListKeys(ctx, Filter{WorkspaceID: scope, Status: StatusActive}); err != nil {
		return fmt.Errorf("cannot list the workspace's keys, which adopting the replacement a person makes needs (%v); check that %s is an admin key of the workspace's organization", err, EnvAdminKey)
	}
	return nil
}

// PlanReplace implements provider.Provider: it says exactly where and how
// a person makes the replacement. It reads the old key (its name, workspace
// and expiry) when it can.
func (a *adapter) PlanReplace(ctx context.Context, r provider.ReplaceRequest) (step.Change, error) {
	ws := r.Scope
	var old string
	expiry := ""
	if api, err := a.client(); err == nil && idPattern.MatchString(r.Old.ID) {
		if k, err := api.GetKey(ctx, r.Old.ID); err == nil {
			old = fmt.Sprintf(" (the leaked key %s was %q)", k.ID, textsafe.Line(k.Name))
			if k.WorkspaceID != "" {
				ws = k.WorkspaceID
			}
			if !k.Expires.IsZero() {
				expiry = ", expiring no later than the old key did (" + provider.RFC3339(k.Expires) + ")"
			}
		}
	}
	effect := fmt.Sprintf("a person creates the new key in the Claude Console (%s → Create key) in workspace %s, the same workspace as "+
		"the old key so the same rate and spend limits apply, named %q%s%s, and pastes it; respond finds it among the workspace's keys, "+
		"checks it works (GET /v1/models) and is not the old key", ConsoleKeys, ws, r.Name, old, expiry)
	return step.Change{Action: step.Create, Target: "Anthropic API key " + r.Name + " in workspace " + ws, Effect: effect}, nil
}

// errByPerson: Anthropic's API cannot create keys.
var errByPerson = errors.New("anthropic: the API cannot create keys: a person makes the replacement in the Claude Console and pastes it")

// Replace implements provider.Provider: Anthropic's API cannot create a
// key (Capabilities.Replace is ByPerson; key.replace asks a person).
func (*adapter) Replace(context.Context, provider.ReplaceRequest, func(string, ...any)) (secret.Credential, evidence.Created, error) {
	return secret.Credential{}, evidence.Created{}, step.Permanent(errByPerson)
}

// Adopt implements provider.Provider: the pasted key is found among the
// workspace's active keys by its hint, must not be the old key, and must
// work.
func (a *adapter) Adopt(ctx context.Context, r provider.ReplaceRequest, cred secret.Credential) (evidence.Created, error) {
	main, _ := cred.Main()
	v := main.Value()
	if isAdminKey(v.Reveal()) {
		return evidence.Created{}, step.BadInputf("the pasted value is an Anthropic admin key, not an API key: paste the new API key (sk-ant-api03-…)")
	}
	api, err := a.client()
	if err != nil {
		return evidence.Created{}, err
	}
	keys, err := api.ListKeys(ctx, Filter{WorkspaceID: r.Scope, Status: StatusActive})
	if err != nil {
		return evidence.Created{}, fmt.Errorf("looking for the pasted key among the workspace's keys: %w", err)
	}
	matches := slices.DeleteFunc(matching(keys, v), func(k Key) bool { return k.ID == r.Old.ID && r.Old.ID != "" })
	switch {
	case len(matches) == 0 && r.Old.ID != "" && len(matching([]Key{oldOf(ctx, api, r.Old.ID)}, v)) > 0:
		return evidence.Created{}, step.BadInputf("the pasted key is %s, the key being replaced: paste the new key", r.Old.ID)
	case len(matches) == 0:
		return evidence.Created{}, step.BadInputf("the pasted key is not an active key of workspace %s: create it there (%s) and paste it again", r.Scope, ConsoleKeys)
	case len(matches) > 1:
		return evidence.Created{}, step.BadInputf("the pasted key fits %d keys of workspace %s; paste it again, or archive the spare ones in the Console", len(matches), r.Scope)
	}
	k := matches[0]
	kc, err := api.CheckKey(ctx, v)
	if err != nil {
		return evidence.Created{}, fmt.Errorf("checking the pasted key %s: %w", k.ID, err)
	}
	if !kc.Live {
		return evidence.Created{}, step.BadInputf("the pasted key %s does not work (GET /v1/models answered %d): paste an active key", k.ID, kc.Status)
	}
	return evidence.Created{
		Provider: Name, KeyID: k.ID, Scope: k.WorkspaceID,
		Principal:        evidence.Principal{Type: k.CreatedBy.Type, ID: k.CreatedBy.ID, Name: textsafe.Line(k.Name)},
		Redacted:         k.PartialKeyHint,
		Fingerprint:      v.Fingerprint(),
		CreatedAt:        provider.RFC3339(k.Created),
		DeletedLeftovers: []string{},
		Adopted:          true,
		PermissionsHint:  "the workspace's rate and spend limits (Console → Settings → Workspaces → Limits)",
	}, nil
}

// oldOf reads the old key ("" fields when it cannot).
func oldOf(ctx context.Context, api API, id string) Key {
	k, _ := api.GetKey(ctx, id)
	return k
}

// Reconcile implements provider.Provider: respond creates nothing at
// Anthropic, so an interrupted key.replace left nothing of respond's.
func (*adapter) Reconcile(context.Context, provider.ReplaceRequest, func(string, ...any)) ([]string, error) {
	return nil, nil
}

// Discard implements provider.Provider: every replacement is a person's
// key, which respond never archives on its own.
func (*adapter) Discard(_ context.Context, c evidence.Created, log func(string, ...any)) error {
	if c.KeyID != "" {
		log("Anthropic key %s was made by a person: respond leaves it; archive it in the Console if nothing uses it", c.KeyID)
	}
	return nil
}

// Usage implements provider.Provider: respond does not read Anthropic's
// Usage and Cost Admin API, so the key's requests are not counted (the
// report says so and where to look).
func (*adapter) Usage(_ context.Context, k provider.KeyInfo, _, _ time.Time, _ func(string, ...any)) (evidence.Usage, error) {
	return evidence.Usage{Provider: Name, KeyID: k.ID, NotCounted: true, Buckets: []evidence.UsageBucket{},
		Source: "not read by respond: Anthropic's Usage and Cost Admin API reports usage by api_key_id; see the Console's Usage page, filtered by this key"}, nil
}

// LastUsed implements provider.Provider: the Admin API does not say when
// a key was last used (unknown, not never); a key that is gone is
// step.ErrNotFound.
func (a *adapter) LastUsed(ctx context.Context, k provider.KeyInfo) (*time.Time, error) {
	api, err := a.client()
	if err != nil {
		return nil, err
	}
	if _, err := api.GetKey(ctx, k.ID); notFound(err) {
		return nil, fmt.Errorf("anthropic: key %s: %w", k.ID, step.ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	return nil, nil
}

// Retire implements provider.Provider: the inactive key is archived, for
// good (Anthropic's API cannot delete keys). A key already archived,
// expired or gone needs nothing.
func (a *adapter) Retire(ctx context.Context, k provider.KeyInfo) (evidence.Retired, error) {
	api, err := a.client()
	if err != nil {
		return evidence.Retired{}, err
	}
	ev := evidence.Retired{Provider: Name, KeyID: k.ID}
	cur, err := api.GetKey(ctx, k.ID)
	switch {
	case notFound(err):
		ev.Method = "nothing to do: key " + k.ID + " is gone"
		return ev, nil
	case err != nil:
		return ev, err
	case cur.Status == StatusArchived:
		ev.Method = "nothing to do: key " + k.ID + " is archived already"
		return ev, nil
	}
	if _, err := api.SetStatus(ctx, k.ID, StatusArchived); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest {
			if again, gerr := api.GetKey(ctx, k.ID); gerr == nil && again.Status == StatusArchived {
				ev.Method = "nothing to do: key " + k.ID + " is archived already"
				return ev, nil
			}
		}
		return ev, fmt.Errorf("archiving key %s: %w; it is inactive, so it does not work: archive it in the Claude Console (Settings → API keys)", k.ID, err)
	}
	ev.Method = "archived " + k.ID + ": final, an archived key can never be used again (Anthropic's API cannot delete keys)"
	return ev, nil
}
