package steps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/respondhq/respond/internal/githubapi"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = KeyIdentify{}

// KeyIdentify is the `key.identify` step kind: it finds the leaked key at
// its provider and reports its metadata. It only reads.
//
// The key is named by its ID (`key_id`, in `scope` or searched in every
// scope), by its name in a scope, by its value (`key`: the provider matches
// it, e.g. OpenAI by the redacted form) or by a GitHub secret-scanning alert
// (`alert`: the value is read from the alert, and the alert's secret type
// says which provider issued it). A value that no scope lists and that no
// longer works was already revoked or disabled: the step says so and the
// response goes on to recover.
type KeyIdentify struct {
	P    *Providers
	Keys *provider.Set
	// alias, when set, is the kind name used in messages (openai.identify_key).
	alias string
	// fixed is the provider an alias kind is bound to.
	fixed string
}

const keyIdentifyKind = "key.identify"

func (k KeyIdentify) kind() string {
	if k.alias != "" {
		return k.alias
	}
	return keyIdentifyKind
}

// identifyOutputs are the outputs of key.identify.
var identifyOutputs = []step.Output{
	{Name: "provider", Type: step.String, Description: "the provider that issued the key (openai, aws)"},
	{Name: "scope", Type: step.String, Description: "where the key lives at its provider: an OpenAI project (proj_…), an AWS account"},
	{Name: "scope_name", Type: step.String, Description: "the scope's name"},
	{Name: "key_id", Type: step.String, Description: `the key's ID ("" when it is already gone and was named only by its value)`},
	{Name: "key_name", Type: step.String, Description: "the key's name"},
	{Name: "redacted", Type: step.String, Description: "the key's redacted value as the provider shows it"},
	{Name: "owner_type", Type: step.String, Description: `who owns the key: "user", "service_account", "iam_user" ("" when already gone)`},
	{Name: "owner_id", Type: step.String, Description: "the owner's ID (user_…, svc_acct_…, the IAM user's name)"},
	{Name: "owner_name", Type: step.String, Description: "the owner's name"},
	{Name: "owner_email", Type: step.String, Description: "the owning user's e-mail address"},
	{Name: "created", Type: step.String, Description: "when the key was created (RFC 3339)"},
	{Name: "last_used", Type: step.String, Description: `when the key was last used (RFC 3339; "" if never)`},
	{Name: "fingerprint", Type: step.String, Description: `sha256 fingerprint of the value when known, else ""`},
	{Name: "key", Type: step.Secret, Secret: true, Description: "the leaked value (its secret part), when given or read from the alert"},
	{Name: "credential", Type: step.Secret, Secret: true, Description: "the leaked credential with all its parts, when known"},
	{Name: "alert", Type: step.String, Description: `the alert, normalized to OWNER/REPO#N, or ""`},
	{Name: "exposed_since", Type: step.String, Description: `when the key was first exposed, per the alert (RFC 3339), or ""`},
	{Name: "leak_source", Type: step.String, Description: `where the alert first found the key (file and commit), or ""`},
	{Name: "leak_repo", Type: step.String, Description: `the repository of the alert, OWNER/REPO, or ""`},
	{Name: "leak_paths", Type: step.List, Description: "the files where the alert found the key"},
	{Name: "already_gone", Type: step.Bool, Description: "the key is no longer listed and its value is confirmed dead: it was already revoked or disabled (OpenAI disables keys it finds in public code)"},
}

// Spec implements step.Kind.
func (k KeyIdentify) Spec() step.Spec {
	return step.Spec{
		Kind:    keyIdentifyKind,
		Summary: "Find the leaked key at its provider and read its metadata",
		Description: "Finds the key by `key_id` (in `scope`, or searched in every scope), by `key_name` in `scope`, " +
			"by its value (`key`, which the provider matches: OpenAI by its redacted form, AWS by its access key ID) " +
			"or by a GitHub secret-scanning alert (`alert: OWNER/REPO#N`, whose secret is the value and whose secret " +
			"type names the provider). `provider` says which provider issued it; without it, the alert or the key " +
			"ID's shape decides (key_… is OpenAI, AKIA… AWS). Reports the key's name, scope, owner, creation and last " +
			"use, and for an alert when and where the key was exposed. An ambiguous value stops with the list of " +
			"candidates. A value that no scope lists and that no longer works was already revoked or disabled: the " +
			"step succeeds with `already_gone`. Only reads.",
		Reads:      true,
		Idempotent: true,
		Evidence:   evidence.KeyIdentified,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the provider that issued the key (openai, aws); empty: from the alert or the key ID"},
			{Name: "scope", Type: step.String, Description: "where the key lives (an OpenAI project proj_…, an AWS account); empty: search every one the credentials can see"},
			{Name: "key_id", Type: step.String, Description: "the key's ID (key_…, AKIA…)"},
			{Name: "key_name", Type: step.String, Description: "the key's name in `scope` (instead of key_id)"},
			{Name: "key", Type: step.Secret, AcceptsSecret: true, Description: "the leaked value (from standard input, never an argument)"},
			{Name: "alert", Type: step.String, Description: "a GitHub secret-scanning alert that found the key: OWNER/REPO#N"},
		},
		Outputs: identifyOutputs,
	}
}

// identifyArgs are the step's parameters, checked.
type identifyArgs struct {
	scope, keyID, keyName string
	value                 secret.Value
	alert                 *alertRef
}

// alertRef is OWNER/REPO#N.
type alertRef struct {
	owner, repo string
	number      int
}

func (a alertRef) String() string { return fmt.Sprintf("%s/%s#%d", a.owner, a.repo, a.number) }

var (
	alertShort = regexp.MustCompile(`^([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)#([0-9]+)$`)
	alertURL   = regexp.MustCompile(`^https://[^/]+/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/security/secret-scanning/([0-9]+)/?$`)
)

// parseAlert reads OWNER/REPO#N (or the alert's web address).
func parseAlert(kind, s string) (*alertRef, error) {
	s = strings.TrimSpace(s)
	m := alertShort.FindStringSubmatch(s)
	if m == nil {
		m = alertURL.FindStringSubmatch(s)
	}
	if m == nil {
		return nil, badInputf("%s: alert %q is not OWNER/REPO#N (for example acme/api#12)", kind, s)
	}
	n, err := strconv.Atoi(m[3])
	if err != nil || n <= 0 {
		return nil, badInputf("%s: alert %q has no valid number", kind, s)
	}
	return &alertRef{owner: m[1], repo: m[2], number: n}, nil
}

// identifyInput checks that the key is named one way.
func (k KeyIdentify) input(c *step.Call) (identifyArgs, error) {
	kind := k.kind()
	a := identifyArgs{scope: strings.TrimSpace(c.String("scope")), keyID: strings.TrimSpace(c.String("key_id")), keyName: strings.TrimSpace(c.String("key_name"))}
	if v, ok := c.Secret("key"); ok && !v.IsZero() {
		a.value = v
	}
	if cred, ok := c.Params["key"].(secret.Credential); ok && !cred.IsZero() {
		m, _ := cred.Main()
		a.value = m.Value()
	}
	if s := strings.TrimSpace(c.String("alert")); s != "" {
		r, err := parseAlert(kind, s)
		if err != nil {
			return a, err
		}
		a.alert = r
	}
	switch {
	case !a.value.IsZero() && a.alert != nil:
		return a, badInputf("%s: both `key` and `alert` were given: give one way to identify the key", kind)
	case a.keyName != "" && (a.keyID != "" || a.scope == ""):
		return a, badInputf("%s: `key_name` %q needs `%s` and no `key_id`", kind, a.keyName, k.scopeParam())
	case a.value.IsZero() && a.alert == nil && a.keyID == "" && a.keyName == "":
		return a, badInputf("%s: nothing identifies the key: give its ID (--key-id), "+
			"its value on standard input (--key-stdin) or a secret-scanning alert (--alert OWNER/REPO#N)", kind)
	}
	return a, nil
}

func (k KeyIdentify) scopeParam() string {
	if s, ok := provider.Lookup(k.fixed); ok {
		return s.Scope.Field
	}
	return "scope"
}

// Plan implements step.Kind.
func (k KeyIdentify) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	if _, err := k.input(c); err != nil {
		return nil, err
	}
	what := "the provider's keys"
	if p, err := resolveProvider(k.Keys, k.kind(), c, k.fixed); err == nil {
		what = p.spec.Title + " keys"
	}
	return []step.Change{{Action: step.Read, Target: what, Effect: "find the leaked key"}}, nil
}

// identified is what the step found.
type identified struct {
	p            keyProvider
	key          provider.KeyInfo
	cred         secret.Credential
	gone         bool
	alert        string
	exposedSince string
	leakSource   string
	leakRepo     string
	leakPaths    []string
}

// Apply implements step.Kind.
func (k KeyIdentify) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	kind := k.kind()
	a, err := k.input(c)
	if err != nil {
		return nil, err
	}
	f := identified{}
	var alertType string
	if a.alert != nil {
		if alertType, err = k.readAlert(ctx, c, &a, &f); err != nil {
			return nil, err
		}
		f.alert = a.alert.String()
	}
	p, err := k.pick(c, alertType, a)
	if err != nil {
		registry(c).Add(a.value) // not known to be a key: masked whole
		return nil, err
	}
	f.p = p
	if cred, ok := c.Params["key"].(secret.Credential); ok && !cred.IsZero() && a.alert == nil {
		f.cred = cred
	} else if !a.value.IsZero() {
		if f.cred, err = p.spec.Credential(a.value, a.keyID); err != nil {
			registry(c).Add(a.value) // not the provider's key: masked whole
			return nil, k.wrap(err)
		}
	}
	registerCredential(c, f.cred)

	var found *provider.KeyInfo
	switch {
	case a.keyName != "":
		found, err = p.FindByName(ctx, a.scope, a.keyName)
		if err == nil && found == nil {
			return nil, badInputf("%s: %s %s has no key named %q: check key_name in the inventory, or name the key by its ID (key_id)",
				kind, p.spec.Scope.Kind, a.scope, a.keyName)
		}
	case a.keyID != "":
		found, err = p.FindByID(ctx, a.scope, a.keyID)
		if err == nil && found != nil && !f.cred.IsZero() && !p.Matches(*found, f.cred) {
			return nil, badInputf("%s: the leaked value (%s) is not key %s (%s) of %s %s: check which key leaked, or give only one of them",
				kind, f.cred.Redacted(), a.keyID, shortRedacted(found.Redacted), p.spec.Scope.Kind, found.Scope)
		}
	default:
		found, err = p.FindByValue(ctx, a.scope, f.cred)
	}
	if err != nil {
		return nil, k.wrap(err)
	}
	if found == nil {
		return k.notFound(ctx, c, a, f)
	}
	f.key = *found
	return f.result(), nil
}

// wrap prefixes a provider's error with the kind, keeping bad input bad.
func (k KeyIdentify) wrap(err error) error {
	if msg, ok := step.BadInputMessage(err); ok {
		return badInputf("%s: %s", k.kind(), msg)
	}
	return fmt.Errorf("%s: %w", k.kind(), err)
}

// pick chooses the provider: an alias's, the parameter, the alert's
// secret type, the key ID's shape, or the provider that recognizes the
// value.
func (k KeyIdentify) pick(c *step.Call, alertType string, a identifyArgs) (keyProvider, error) {
	kind := k.kind()
	if alertType != "" {
		s, ok := provider.ForAlertType(alertType)
		switch {
		case !ok:
			return keyProvider{}, badInputf("%s: alert %s is about a %q secret, which respond cannot revoke (it knows %s)", kind, a.alert, alertType, knownKeys())
		case k.fixed != "" && s.Name != k.fixed:
			fixed, _ := provider.Lookup(k.fixed)
			return keyProvider{}, badInputf("%s: alert %s is about a %q secret, not a %s", kind, a.alert, alertType, fixed.KeyTitle())
		case c.String("provider") != "" && c.String("provider") != s.Name:
			return keyProvider{}, badInputf("%s: alert %s is about a %s, not %s", kind, a.alert, s.KeyTitle(), c.String("provider"))
		}
		return resolveProvider(k.Keys, kind, &step.Call{Params: map[string]any{"provider": s.Name}}, "")
	}
	if k.fixed == "" && strings.TrimSpace(c.String("provider")) == "" && strings.TrimSpace(c.String("key_id")) == "" && !a.value.IsZero() {
		if _, isCred := c.Params["key"].(secret.Credential); !isCred {
			s, _, ok, err := provider.Recognize(a.value.Reveal())
			switch {
			case err != nil:
				return keyProvider{}, badInputf("%s: %v", kind, err)
			case !ok:
				return keyProvider{}, badInputf("%s: the leaked value is not a key respond knows (%s): say which provider issued it (`provider`)", kind, knownKeys())
			}
			return resolveProvider(k.Keys, kind, &step.Call{Params: map[string]any{"provider": s.Name}}, "")
		}
	}
	return resolveProvider(k.Keys, kind, c, k.fixed)
}

// knownKeys lists the keys respond knows: "OpenAI API keys, AWS access
// keys".
func knownKeys() string {
	var names []string
	for _, s := range provider.Specs() {
		names = append(names, s.KeyTitle()+"s")
	}
	return strings.Join(names, ", ")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// readAlert reads the alert's secret and exposure details, and returns the
// alert's secret type.
func (k KeyIdentify) readAlert(ctx context.Context, c *step.Call, a *identifyArgs, f *identified) (string, error) {
	kind := k.kind()
	if !ghConfigured(k.P) {
		return "", step.Errorf("%s: reading alert %s needs GitHub: export GITHUB_TOKEN (or GH_TOKEN) with access to %s/%s's security alerts",
			kind, a.alert, a.alert.owner, a.alert.repo)
	}
	gh, err := ghClient(k.P, kind)
	if err != nil {
		return "", err
	}
	al, err := gh.GetAlert(ctx, a.alert.owner, a.alert.repo, a.alert.number)
	if errors.Is(err, ErrNotFound) {
		return "", badInputf("%s: alert %s was not found: check the repository and number, and that the token "+
			"can read the repository's secret-scanning alerts", kind, a.alert)
	}
	if err != nil {
		return "", fmt.Errorf("%s: reading alert %s: %w", kind, a.alert, err)
	}
	if al.Secret.IsZero() {
		return "", badInputf("%s: alert %s does not show its secret: the token needs access to the secret value "+
			"(repository admin or security manager); or pass the value with --key-stdin", kind, a.alert)
	}
	// Only the secret parts of what the alert shows are masked (Apply
	// registers them once the provider has parsed it): an alert on an AWS
	// access key ID shows the ID, an identifier that plans, the journal and
	// a resume need as it is.
	a.value = al.Secret
	f.exposedSince = rfc3339(al.Created)
	if len(al.Locations) > 0 {
		f.leakSource = leakSource(al.Locations[0])
	}
	f.leakRepo = a.alert.owner + "/" + a.alert.repo
	for _, l := range al.Locations {
		if l.Path != "" && !slices.Contains(f.leakPaths, l.Path) {
			f.leakPaths = append(f.leakPaths, l.Path)
		}
	}
	t := al.SecretType
	if t == "" {
		t = "openai_api_key"
	}
	return t, nil
}

// leakSource describes where an alert found the key: "path:line in URL".
func leakSource(l githubapi.AlertLocation) string {
	where := l.Path
	if where != "" && l.StartLine > 0 {
		where += ":" + strconv.Itoa(l.StartLine)
	}
	url := l.CommitURL
	if url == "" {
		url = l.BlobURL
	}
	if url == "" && l.CommitSHA != "" {
		url = "commit " + l.CommitSHA
	}
	switch {
	case where != "" && url != "":
		return where + " in " + url
	case where != "":
		return where
	}
	return url
}

// notFound handles a key that no listing shows. Named by an earlier run
// of this step, it is the key identified then (respond revoked it since).
// Otherwise its value, when known, decides: a value that no longer works
// was already revoked or disabled and the response goes on to recover; a
// value that still works but that no scope lists is not this
// organization's to revoke.
func (k KeyIdentify) notFound(ctx context.Context, c *step.Call, a identifyArgs, f identified) (*step.Result, error) {
	kind, p := k.kind(), f.p
	where := "any " + p.spec.Scope.Kind + " the credentials can see"
	if a.scope != "" {
		where = p.spec.Scope.Kind + " " + a.scope
	}
	if prev := previousIdentity(c, f.cred); prev != nil {
		return prev, nil
	}
	if f.cred.IsZero() {
		return nil, badInputf("%s: key %s is not in %s: check the ID; if the key was already revoked or "+
			"disabled by the provider, give its value (--key-stdin) or the alert that found it (--alert OWNER/REPO#N), "+
			"so respond can confirm it is dead and go on to replace it", kind, a.keyID, where)
	}
	kc, err := p.Check(ctx, f.cred)
	if err != nil {
		return nil, fmt.Errorf("%s: the leaked value (%s) matches no key in %s, and checking whether it still works failed: %w",
			kind, f.cred.Redacted(), where, err)
	}
	if kc.State != provider.KeyDead {
		return nil, badInputf("%s: the leaked value (%s) still works (%s answered %d) but matches no key in %s: "+
			"it may belong to another organization or account, or be a legacy key; revoke it at the provider now",
			kind, f.cred.Redacted(), kc.Method, kc.StatusCode, where)
	}
	f.gone = true
	f.key = provider.KeyInfo{Provider: p.spec.Name, ID: a.keyID, Scope: a.scope, Redacted: redactedOf(p, f.cred)}
	return f.result(), nil
}

// previousIdentity returns the result of an earlier apply of the step
// (when the engine re-applies it to recover the secret output after the
// key was revoked), with the value given now.
func previousIdentity(c *step.Call, cred secret.Credential) *step.Result {
	if c.Previous == nil || c.Previous.Outputs == nil {
		return nil
	}
	if id, _ := c.Previous.Outputs["key_id"].(string); id == "" {
		return nil
	}
	out := map[string]any{}
	for k, v := range c.Previous.Outputs {
		out[k] = v
	}
	m, _ := cred.Main()
	out["key"] = m.Value()
	out["credential"] = cred
	if !cred.IsZero() {
		out["fingerprint"] = cred.Fingerprint()
	}
	ev := map[string]any{}
	for k, v := range c.Previous.Evidence {
		ev[k] = v
	}
	ev["from_earlier_run"] = true
	return &step.Result{Outputs: out, Evidence: ev, Summary: c.Previous.Summary + " (as identified earlier; no longer listed)"}
}

// result builds the step's result.
func (f identified) result() *step.Result {
	k := f.key
	lastUsed := ""
	if k.LastUsed != nil {
		lastUsed = rfc3339(*k.LastUsed)
	}
	fp := ""
	if !f.cred.IsZero() {
		fp = f.cred.Fingerprint()
	}
	advice := provider.Ptr(f.p.spec.Advice)
	if k.Advice != nil {
		advice = provider.Ptr(*k.Advice)
	}
	ev := evidence.Identified{
		Provider: f.p.spec.Name, Title: f.p.spec.Title, KeyID: k.ID, KeyName: k.Name, Advice: advice,
		Scope: k.Scope, ScopeKind: f.p.spec.Scope.Kind, ScopeName: k.ScopeName, Owner: k.Owner,
		Redacted: k.Redacted, Fingerprint: fp, Created: rfc3339(k.Created), LastUsed: lastUsed,
		LastUseUnknown: lastUsed == "" && !f.p.spec.Caps.LastUsed,
		AlreadyGone:    f.gone, Alert: f.alert, ExposedSince: f.exposedSince, LeakSource: f.leakSource,
		LeakRepo: f.leakRepo, LeakPaths: append([]string{}, f.leakPaths...),
	}
	m, _ := f.cred.Main()
	out := map[string]any{
		"provider": ev.Provider, "scope": ev.Scope, "scope_name": ev.ScopeName, "key_id": ev.KeyID, "key_name": ev.KeyName,
		"redacted": ev.Redacted, "owner_type": ev.Owner.Type, "owner_id": ev.Owner.ID, "owner_name": ev.Owner.Name,
		"owner_email": ev.Owner.Email, "created": ev.Created, "last_used": ev.LastUsed, "fingerprint": fp,
		"alert": ev.Alert, "exposed_since": ev.ExposedSince, "leak_source": ev.LeakSource, "leak_repo": ev.LeakRepo,
		"leak_paths": append([]string{}, f.leakPaths...), "already_gone": f.gone,
		// The value: empty when not known, and later steps then fall back
		// to the key's ID.
		"key": m.Value(), "credential": f.cred,
	}

	var s strings.Builder
	if f.gone {
		what := "the leaked key (" + shortRedacted(k.Redacted) + ")"
		if k.ID != "" {
			what = k.ID
		}
		fmt.Fprintf(&s, "%s no longer works and no %s lists it: it was already revoked or disabled", what, f.p.spec.Scope.Kind)
		if f.p.spec.SelfRevokes != "" {
			s.WriteString(" (" + f.p.spec.SelfRevokes + ")")
		}
		if k.Scope != "" {
			fmt.Fprintf(&s, " (%s %s)", f.p.spec.Scope.Kind, k.Scope)
		}
	} else {
		in := f.p.spec.Scope.Kind + " " + k.Scope
		if k.ScopeName != "" && k.ScopeName != k.Scope {
			in = fmt.Sprintf("%s (%s)", k.ScopeName, k.Scope)
		}
		name := ""
		if k.Name != "" {
			name = fmt.Sprintf(" %q", k.Name)
		}
		fmt.Fprintf(&s, "%s%s in %s, owned by %s, created %s, ", k.ID, name, in, describeOwner(k.Owner), rfc3339(k.Created))
		switch {
		case lastUsed == "" && !f.p.spec.Caps.LastUsed:
			s.WriteString("last use unknown (" + f.p.spec.Title + " does not report it)")
		case lastUsed == "":
			s.WriteString("never used")
		default:
			s.WriteString("last used " + lastUsed)
		}
	}
	if f.alert != "" {
		fmt.Fprintf(&s, "; leaked per alert %s", f.alert)
		if f.leakSource != "" {
			s.WriteString(" at " + f.leakSource)
		}
	}
	return &step.Result{Outputs: out, Evidence: evidence.Map(evidence.KeyIdentified, ev), Summary: s.String()}
}

// redactedOf is a credential's redacted form as its provider shows keys.
func redactedOf(p keyProvider, c secret.Credential) string {
	if m, ok := c.Main(); ok && p.spec.Redact != nil {
		return p.spec.Redact(m.Value())
	}
	return c.Redacted()
}
