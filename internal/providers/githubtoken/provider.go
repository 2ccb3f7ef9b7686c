package githubtoken

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// SharedKey names the client among a plug-in environment's shared
// clients; a test may Provide its own.
const SharedKey = "github-token"

// API is GitHub as the provider uses it; *Client implements it.
type API interface {
	User(ctx context.Context, token secret.Value) (Owner, error)
	Revoke(ctx context.Context, tokens []secret.Value) error
	WebURL() string
}

var _ API = (*Client)(nil)

// Build returns the function that builds the shared client from env.
func Build(env *plugin.Env) func() (any, error) {
	return func() (any, error) {
		c, err := NewClient(env.Getenv(EnvAPIURL))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvAPIURL, err)
		}
		return c, nil
	}
}

// idOf is respond's name for a token: GitHub names tokens by no ID, so
// respond names one by its fingerprint (token_ and 12 hex digits), which
// discloses nothing of it.
func idOf(v secret.Value) string {
	return "token_" + strings.TrimPrefix(v.Fingerprint(), "sha256:")[:12]
}

// adapter is GitHub tokens as a provider.Provider.
//
// Revoking a token takes its value, but the generic key.revoke hands a
// provider the key's ID and owner only. The adapter keeps the tokens it
// was shown in this run (identified, checked or adopted), by ID, in memory
// and nowhere else; a revoke in a later process (a resume) that was not
// shown the token says to give it again (--key-stdin or --alert).
type adapter struct {
	env *plugin.Env

	mu     sync.Mutex
	tokens map[string]secret.Value // by idOf
	owners map[string]tokenFacts   // by idOf
}

// tokenFacts is what GET /user said of a token.
type tokenFacts struct {
	kind    string
	owner   Owner
	checked time.Time
}

func newAdapter(env *plugin.Env) *adapter {
	return &adapter{env: env, tokens: map[string]secret.Value{}, owners: map[string]tokenFacts{}}
}

var _ provider.Provider = (*adapter)(nil)

func (a *adapter) client() (API, error) {
	c, err := plugin.SharedAs[API](a.env, SharedKey, Build(a.env))
	if err != nil {
		return nil, step.Permanent(err)
	}
	return c, nil
}

// token is the credential's value, checked to be a token respond
// contains.
func token(c secret.Credential) (secret.Value, string, error) {
	main, ok := c.Main()
	if !ok {
		return secret.Value{}, "", step.BadInputf("no GitHub token was given")
	}
	v := main.Value()
	kind := kindOf(v.Reveal())
	if kind == "" {
		if _, ok, err := paste(v.Reveal()); ok && err != nil {
			return v, "", err
		}
		return v, "", step.BadInputf("the value (%s) is not a GitHub token respond contains: classic or fine-grained personal "+
			"access tokens (ghp_…, github_pat_…), OAuth app tokens (gho_…) and GitHub App user tokens (ghu_…)", v.Redacted())
	}
	return v, kind, nil
}

// look asks GitHub whose token v is, and remembers the token and the
// answer for this run.
func (a *adapter) look(ctx context.Context, v secret.Value, kind string) (Owner, error) {
	api, err := a.client()
	if err != nil {
		return Owner{}, err
	}
	a.env.Secrets.Add(v)
	o, err := api.User(ctx, v)
	if err != nil {
		return Owner{}, err
	}
	id := idOf(v)
	a.mu.Lock()
	a.tokens[id] = v
	if o.Live {
		a.owners[id] = tokenFacts{kind: kind, owner: o, checked: time.Now()}
	}
	a.mu.Unlock()
	return o, nil
}

func (a *adapter) remembered(id string) (secret.Value, tokenFacts, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, ok := a.tokens[id]
	return v, a.owners[id], ok
}

// keyInfo describes a live token of o.
func keyInfo(v secret.Value, kind string, o Owner) *provider.KeyInfo {
	info := &provider.KeyInfo{
		Provider: Name, ID: idOf(v), Name: kindName(kind), Scope: o.Login, ScopeName: o.Login,
		Owner:    evidence.Owner{Type: "user", Noun: "GitHub user", ID: o.Login, Name: o.Login},
		Redacted: v.Redacted(), Status: "active",
		Attrs: map[string]string{"kind": kind},
	}
	if o.ScopesKnown {
		info.Attrs["scopes"] = strings.Join(o.Scopes, ", ")
	}
	if o.Expires != "" {
		info.Attrs["expires"] = o.Expires
	}
	return info
}

// FindByValue implements provider.Provider: GET /user with the token says
// whose it is (the account is its scope). A token GitHub refuses is not
// found (key.identify then checks it and reports it already dead); one of
// another account than scope is not found either.
func (a *adapter) FindByValue(ctx context.Context, scope string, c secret.Credential) (*provider.KeyInfo, error) {
	v, kind, err := token(c)
	if err != nil {
		return nil, err
	}
	o, err := a.look(ctx, v, kind)
	if err != nil || !o.Live {
		return nil, err
	}
	if scope != "" && !strings.EqualFold(scope, o.Login) {
		return nil, nil
	}
	return keyInfo(v, kind, o), nil
}

// FindByID implements provider.Provider: a token respond was shown in this
// run; GitHub cannot look a token up by any ID.
func (a *adapter) FindByID(_ context.Context, scope, id string) (*provider.KeyInfo, error) {
	v, facts, ok := a.remembered(id)
	if !ok || facts.owner.Login == "" || (scope != "" && !strings.EqualFold(scope, facts.owner.Login)) {
		return nil, step.BadInputf("GitHub tokens cannot be looked up by ID: give the token itself on standard input (--key-stdin) or the alert that found it (--alert OWNER/REPO#N)")
	}
	return keyInfo(v, facts.kind, facts.owner), nil
}

// FindByName implements provider.Provider: tokens are not found by name.
func (*adapter) FindByName(context.Context, string, string) (*provider.KeyInfo, error) {
	return nil, step.BadInputf("GitHub tokens cannot be found by name through GitHub's API: give the token itself (--key-stdin) or its alert (--alert OWNER/REPO#N)")
}

// Matches implements provider.Provider: the credential is the token named.
func (*adapter) Matches(k provider.KeyInfo, c secret.Credential) bool {
	main, _ := c.Main()
	return idOf(main.Value()) == k.ID
}

var errNoList = step.BadInputf("GitHub has no API that lists a user's tokens: give the leaked token on standard input (--key-stdin) or the alert that found it (--alert OWNER/REPO#N)")

// Scopes implements provider.Provider: GitHub lists no user's tokens.
func (*adapter) Scopes(context.Context) ([]provider.KeyScope, error) { return nil, errNoList }

// ListKeys implements provider.Provider: GitHub lists no user's tokens.
func (*adapter) ListKeys(context.Context, string) ([]provider.KeyInfo, error) { return nil, errNoList }

// Check implements provider.Provider with GET /user: 200 is live (the
// detail says as whom), 401 dead.
func (a *adapter) Check(ctx context.Context, c secret.Credential) (provider.KeyCheck, error) {
	v, kind, err := token(c)
	if err != nil {
		return provider.KeyCheck{}, step.Permanent(err)
	}
	o, err := a.look(ctx, v, kind)
	if err != nil {
		return provider.KeyCheck{}, err
	}
	kc := provider.KeyCheck{State: provider.KeyDead, StatusCode: o.Status, Method: "GET /user", CheckedAt: time.Now()}
	if o.Live {
		kc.State, kc.Detail = provider.KeyLive, "authenticates as "+o.Login
	} else {
		kc.Code = "Bad credentials"
	}
	return kc, nil
}

// Listed implements provider.Provider: whether a token respond was shown
// in this run still works (GitHub lists no tokens).
func (a *adapter) Listed(ctx context.Context, k provider.KeyInfo) (bool, error) {
	v, facts, ok := a.remembered(k.ID)
	if !ok {
		return false, step.Permanent(fmt.Errorf("GitHub token %s is checked by its value, which this run was not given: give the token (--key-stdin) or its alert", k.ID))
	}
	o, err := a.look(ctx, v, facts.kind)
	return o.Live, err
}

// PlanRevoke implements provider.Provider; it reads nothing.
func (a *adapter) PlanRevoke(_ context.Context, k provider.KeyInfo) (step.Change, error) {
	owner := firstNonEmpty(k.Owner.ID, k.Scope, "its owner")
	return step.Change{Action: step.Delete, Target: fmt.Sprintf("GitHub token %s (%s) of %s", k.ID, firstNonEmpty(k.Redacted, "value from the identification"), owner),
		Effect: "revoke: POST /credentials/revoke (sent without any token); for good, GitHub cannot restore it, and it tells " + owner}, nil
}

// Revoke implements provider.Provider: POST /credentials/revoke with the
// token, sent without authentication. GitHub answers 202 whether or not it
// knew the token; key.verify then proves it dead with GET /user.
func (a *adapter) Revoke(ctx context.Context, k provider.KeyInfo, _ func(string, ...any)) (evidence.Revoked, error) {
	v, facts, ok := a.remembered(k.ID)
	if !ok {
		// A resume: the step gives the token (identify's credential).
		if m, has := k.Credential.Main(); has && !m.Value().IsZero() && idOf(m.Value()) == k.ID {
			v, ok = m.Value(), true
		}
	}
	if !ok {
		return evidence.Revoked{}, step.Permanent(fmt.Errorf("revoking GitHub token %s needs its value, which this run was not given "+
			"(GitHub revokes a token by its value, and respond keeps none across runs): give the token again (--key-stdin) or "+
			"the alert that found it (--alert OWNER/REPO#N), or revoke it by hand in the owner's settings", k.ID))
	}
	api, err := a.client()
	if err != nil {
		return evidence.Revoked{}, err
	}
	owner := firstNonEmpty(facts.owner.Login, k.Owner.ID, k.Scope)
	if err := api.Revoke(ctx, []secret.Value{v}); err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			return evidence.Revoked{}, step.Permanent(fmt.Errorf("revoking GitHub token %s: %w; revoke it by hand now: %s deletes it in "+
				"Settings → Developer settings → Personal access tokens (or revokes the app's access under Applications), or "+
				"resume after the reset", k.ID, rl, firstNonEmpty(owner, "its owner")))
		}
		return evidence.Revoked{}, fmt.Errorf("revoking GitHub token %s: %w", k.ID, err)
	}
	return evidence.Revoked{Provider: Name, KeyID: k.ID, Scope: owner, Contained: true,
		Method: "POST /credentials/revoke; GitHub notifies " + firstNonEmpty(owner, "the owner") + ", who must " + nextStep(facts)}, nil
}

// nextStep is what the owner must do once the token is revoked.
func nextStep(f tokenFacts) string {
	switch f.kind {
	case KindClassic:
		scopes := "the same scopes"
		if f.owner.ScopesKnown {
			scopes = "the scopes " + orNone(f.owner.Scopes)
		}
		return "create a new personal access token (classic) with " + scopes + " if it is still needed"
	case KindFineGrained:
		return "create a new fine-grained personal access token with the same resource owner, repositories and permissions if it is still needed"
	case KindOAuth, KindAppUser:
		return "sign in to the app that issued it again (it issues a new token) if it is still needed"
	}
	return "create a new token with the same access if it is still needed"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

// CanReplace implements provider.Provider: the owner makes the
// replacement, and checking it needs nothing of respond's.
func (a *adapter) CanReplace(context.Context, string, *provider.KeyInfo) error {
	_, err := a.client()
	return err
}

// PlanReplace implements provider.Provider: it says exactly who makes the
// replacement, where and with what access.
func (a *adapter) PlanReplace(_ context.Context, r provider.ReplaceRequest) (step.Change, error) {
	api, err := a.client()
	if err != nil {
		return step.Change{}, err
	}
	_, facts, _ := a.remembered(r.Old.ID)
	owner := firstNonEmpty(facts.owner.Login, r.Old.Owner.ID, r.Scope)
	web := api.WebURL()
	var how string
	switch facts.kind {
	case KindClassic:
		scopes := "the same scopes as the leaked one"
		if facts.owner.ScopesKnown {
			scopes = "the scopes the leaked one had: " + orNone(facts.owner.Scopes)
		}
		how = fmt.Sprintf("creates a personal access token (classic) at %s/settings/tokens/new with %s", web, scopes)
	case KindFineGrained:
		how = fmt.Sprintf("creates a fine-grained personal access token at %s/settings/personal-access-tokens/new with the leaked one's resource owner, repositories and permissions", web)
	case KindOAuth, KindAppUser:
		how = "signs in to the app that issued the leaked token again, which issues a new one"
	default:
		how = fmt.Sprintf("creates a token at %s/settings/tokens with the leaked one's access (GitHub does not say it to respond)", web)
	}
	if facts.owner.Expires != "" {
		how += ", expiring no later than the leaked one (" + facts.owner.Expires + ")"
	}
	effect := fmt.Sprintf("GitHub has no API that creates tokens: %s, the owner, %s, named %q, and pastes it; respond checks it works "+
		"(GET /user) and is %s's", firstNonEmpty(owner, "the token's owner"), how, r.Name, firstNonEmpty(owner, "the same owner"))
	return step.Change{Action: step.Create, Target: "GitHub token " + r.Name + " of " + firstNonEmpty(owner, "the owner"), Effect: effect}, nil
}

// Replace implements provider.Provider: GitHub's API cannot create a
// token (Capabilities.Replace is ByPerson; key.replace asks a person).
func (*adapter) Replace(context.Context, provider.ReplaceRequest, func(string, ...any)) (secret.Credential, evidence.Created, error) {
	return secret.Credential{}, evidence.Created{}, step.Permanent(errors.New("github: no API creates tokens: the owner makes the replacement and pastes it"))
}

// Adopt implements provider.Provider: the pasted token must work, be the
// same owner's, and not be the leaked token.
func (a *adapter) Adopt(ctx context.Context, r provider.ReplaceRequest, c secret.Credential) (evidence.Created, error) {
	v, kind, err := token(c)
	if err != nil {
		return evidence.Created{}, err
	}
	if idOf(v) == r.Old.ID {
		return evidence.Created{}, step.BadInputf("the pasted token is the leaked one (%s): paste the new token", r.Old.ID)
	}
	o, err := a.look(ctx, v, kind)
	if err != nil {
		return evidence.Created{}, fmt.Errorf("checking the pasted token: %w", err)
	}
	if !o.Live {
		return evidence.Created{}, step.BadInputf("the pasted token does not work (GET /user answered %d): paste a token that works", o.Status)
	}
	_, old, _ := a.remembered(r.Old.ID)
	want := firstNonEmpty(old.owner.Login, r.Old.Owner.ID, r.Scope)
	if want != "" && !strings.EqualFold(want, o.Login) {
		return evidence.Created{}, step.BadInputf("the pasted token is %s's, not %s's: the replacement must be the leaked token's owner's", o.Login, want)
	}
	hint := ""
	if old.owner.ScopesKnown && o.ScopesKnown {
		if missing := lacking(old.owner.Scopes, o.Scopes); len(missing) > 0 {
			hint = "the new token lacks scopes the leaked one had (" + strings.Join(missing, ", ") + "): what used them may fail"
		} else if extra := lacking(o.Scopes, old.owner.Scopes); len(extra) > 0 {
			hint = "the new token has scopes the leaked one did not (" + strings.Join(extra, ", ") + "): narrow it in the owner's settings"
		}
	}
	return evidence.Created{
		Provider: Name, KeyID: idOf(v), Scope: o.Login,
		Principal:        evidence.Principal{Type: "user", ID: o.Login, Name: o.Login},
		Redacted:         v.Redacted(),
		Fingerprint:      v.Fingerprint(),
		DeletedLeftovers: []string{},
		Adopted:          true,
		PermissionsHint:  hint,
	}, nil
}

// lacking lists what of want has not.
func lacking(want, has []string) []string {
	var out []string
	for _, s := range want {
		if !slices.Contains(has, s) {
			out = append(out, s)
		}
	}
	return out
}

// Reconcile implements provider.Provider: respond creates no tokens.
func (*adapter) Reconcile(context.Context, provider.ReplaceRequest, func(string, ...any)) ([]string, error) {
	return nil, nil
}

// Discard implements provider.Provider: a replacement is the owner's
// token, which respond never revokes on its own.
func (*adapter) Discard(_ context.Context, c evidence.Created, log func(string, ...any)) error {
	if c.KeyID != "" {
		log("GitHub token %s is %s's: respond leaves it; its owner deletes it if nothing uses it", c.KeyID, firstNonEmpty(c.Principal.ID, "its owner"))
	}
	return nil
}

// Usage implements provider.Provider: GitHub does not count a token's use
// through its API.
func (*adapter) Usage(_ context.Context, k provider.KeyInfo, _, _ time.Time, _ func(string, ...any)) (evidence.Usage, error) {
	return evidence.Usage{Provider: Name, KeyID: k.ID, NotCounted: true, Buckets: []evidence.UsageBucket{},
		Source: "not counted: GitHub reports no token's use through its API; review the owner's security log and the organizations' audit logs"}, nil
}

// LastUsed implements provider.Provider: unknown (GitHub shows a token's
// last use on its settings page only).
func (*adapter) LastUsed(context.Context, provider.KeyInfo) (*time.Time, error) { return nil, nil }

// Retire implements provider.Provider: a revoked token is gone for good.
func (*adapter) Retire(_ context.Context, k provider.KeyInfo) (evidence.Retired, error) {
	return evidence.Retired{Provider: Name, KeyID: k.ID, Method: "nothing to do: the token was revoked for good"}, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
