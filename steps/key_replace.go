package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

var (
	_ step.Kind       = KeyReplace{}
	_ step.Reconciler = KeyReplace{}
	_ step.Recoverer  = KeyReplace{}
)

// KeyReplace is the `key.replace` step kind: it creates the replacement
// key at the provider (OpenAI: a new project service account, whose key is
// the replacement; AWS: a new access key for the same IAM user).
//
// The value is shown only once, so the step is not idempotent and the
// create is never retried blindly. What this incident created and can no
// longer use is deleted: what an earlier apply recorded (the engine
// re-applies the step when the value is needed again after a resume), and
// anything else bearing the step's name (a create that succeeded before a
// crash). To keep that clean-up from touching anything else, the name must
// contain the incident ID.
type KeyReplace struct {
	Keys *provider.Set
	// Writers read an earlier replacement back from a place that holds
	// it, on resume (Recover).
	Writers *target.Set
	alias   string
	fixed   string
}

const keyReplaceKind = "key.replace"

func (k KeyReplace) kind() string { return firstNonEmpty(k.alias, keyReplaceKind) }

// maxReplacementName bounds replacement names. The APIs document no limit
// (OpenAI) or 64 (AWS key tags); names are kept short enough for both.
const maxReplacementName = 64

// Spec implements step.Kind.
func (k KeyReplace) Spec() step.Spec {
	return step.Spec{
		Kind:    keyReplaceKind,
		Summary: "Create the replacement key",
		Description: "Creates the replacement at the key's provider, as its page in docs/providers/ says (an OpenAI " +
			"service account named `name` in the project, whose key is the replacement; a new access key of the IAM user " +
			"that owned the old one; a Google key with the old one's restrictions). Where a person must make it (the " +
			"provider cannot create keys), the plan says where and how, and the key is read from a hidden prompt or " +
			"`--replacement-stdin`, then checked. `name` must contain the " +
			"incident ID, e.g. `respond-${{ steps.targets.outputs.label }}-${{ incident.id }}`; characters other than " +
			"letters, digits, '_', '.' and '-' become '-', and names longer than 64 characters are shortened, keeping " +
			"the incident ID. What this incident created and can no longer use (an earlier apply whose value was not " +
			"kept, or a create that succeeded before a crash) is deleted first, so exactly one replacement remains. " +
			"The create is never retried blindly: after a crash the step looks for what it may have left.",
		Mutates:    true,
		Idempotent: false,
		Evidence:   evidence.KeyCreated,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the provider that issued the key being replaced"},
			{Name: "scope", Type: step.String, Required: true, Description: "where to create it (an OpenAI project, an AWS account)"},
			{Name: "name", Type: step.String, Required: true, Description: "the replacement's name; must contain the incident ID"},
			{Name: "key_id", Type: step.String, Description: "the key being replaced"},
			{Name: "owner_type", Type: step.String, Description: "who owns the key being replaced (key.identify's owner_type)"},
			{Name: "owner_id", Type: step.String, Description: "the owner's ID: the IAM user that gets an AWS replacement"},
		},
		Outputs: []step.Output{
			{Name: "key", Type: step.Secret, Secret: true, Description: "the replacement's secret value (its main secret part)"},
			{Name: "credential", Type: step.Secret, Secret: true, Description: "the replacement with all its parts (an AWS access key ID and secret)"},
			{Name: "key_id", Type: step.String, Description: "the replacement key's ID"},
			{Name: "principal_id", Type: step.String, Description: "who holds it: the new service account (svc_acct_…), the IAM user"},
			{Name: "principal_name", Type: step.String, Description: "its name, as created"},
			{Name: "redacted", Type: step.String, Description: "the replacement, redacted"},
			{Name: "fingerprint", Type: step.String, Description: "the replacement's fingerprint (sha256:…)"},
			{Name: "superseded", Type: step.Bool, Description: "earlier replacements of this incident stay live until key.discard deletes them (a resume made a new one while places held the earlier one)"},
		},
	}
}

func (k KeyReplace) input(c *step.Call) (keyProvider, provider.ReplaceRequest, error) {
	kind := k.kind()
	p, err := resolveProvider(k.Keys, kind, c, k.fixed)
	if err != nil {
		return keyProvider{}, provider.ReplaceRequest{}, err
	}
	r := provider.ReplaceRequest{
		Scope: strings.TrimSpace(c.String("scope")), Name: strings.TrimSpace(c.String("name")), Incident: c.Incident,
		Old: provider.KeyInfo{Provider: p.spec.Name, ID: strings.TrimSpace(c.String("key_id")), Scope: strings.TrimSpace(c.String("scope")),
			Owner: evidence.Owner{Type: strings.TrimSpace(c.String("owner_type")), ID: strings.TrimSpace(c.String("owner_id"))}},
		Checkpoint: c.Checkpoint,
	}
	switch {
	case r.Scope == "":
		return p, r, badInputf("%s: `%s` is empty: say where to create the replacement", kind, scopeName(p, k.fixed))
	case r.Name == "":
		return p, r, badInputf("%s: `name` is empty: give the replacement a name containing the incident ID", kind)
	case c.Incident != "" && !strings.Contains(r.Name, c.Incident):
		return p, r, badInputf("%s: name %q does not contain the incident ID %s: respond deletes leftovers "+
			"by name, so the name must be unique to the incident; use e.g. "+
			"`respond-${{ steps.targets.outputs.label }}-${{ incident.id }}`", kind, r.Name, c.Incident)
	}
	r.Name = fitName(cleanName(r.Name), c.Incident, maxReplacementName)
	if prev, ok := previousReplacement(c); ok {
		r.Previous, r.Keep = splitPrevious(c, prev)
	}
	return p, r, nil
}

// cleanName makes a replacement's name a readable identifier: runs of
// anything but letters, digits, '_', '.' and '-' become one '-'.
func cleanName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			b.WriteRune(r)
			dash = r == '-'
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// fitName shortens name to at most limit characters, keeping the incident ID
// and what follows it, and cutting what comes before.
func fitName(name, incident string, limit int) string {
	r := []rune(name)
	if len(r) <= limit {
		return name
	}
	i := -1
	if incident != "" {
		i = strings.LastIndex(name, incident)
	}
	if i < 0 {
		return string(r[:limit])
	}
	if i > 0 && strings.ContainsRune("-_. ", rune(name[i-1])) {
		i-- // keep the separator before the incident ID
	}
	tail := []rune(name[i:])
	if len(tail) >= limit {
		return string(tail[:limit])
	}
	head := []rune(name[:i])
	head = head[:limit-len(tail)]
	return string(head) + string(tail)
}

// Plan implements step.Kind.
func (k KeyReplace) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	p, r, err := k.input(c)
	if err != nil {
		return nil, err
	}
	ch, err := p.PlanReplace(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.kind(), err)
	}
	ch.Effect += keepWords(c, r)
	if p.spec.Caps.Replace == provider.ByPerson {
		ch.Action = step.Ask
		switch {
		case c.CanAsk():
			ch.Effect += "; respond asks for it here (a hidden prompt, or --replacement-stdin)"
		default:
			ch.Effect += "; nobody can paste it in this run (no terminal, or --yes without --replacement-stdin): " +
				"respond stops there, and `respond resume ID --replacement-stdin` finishes"
		}
	}
	return []step.Change{ch}, nil
}

// Apply implements step.Kind.
func (k KeyReplace) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	p, r, err := k.input(c)
	if err != nil {
		return nil, err
	}
	var (
		cred secret.Credential
		ev   evidence.Created
	)
	if p.spec.Caps.Replace == provider.ByPerson {
		cred, ev, err = k.askPerson(ctx, c, p, r)
	} else {
		cred, ev, err = p.Replace(ctx, r, c.Logf)
	}
	registerCredential(c, cred)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.kind(), err)
	}
	ev.Superseded = r.Keep
	main, _ := cred.Main()
	outs := map[string]any{
		"key": main.Value(), "credential": cred, "key_id": ev.KeyID,
		"principal_id": ev.Principal.ID, "principal_name": ev.Principal.Name,
		"redacted": ev.Redacted, "fingerprint": ev.Fingerprint, "superseded": len(ev.Superseded) > 0,
	}
	return &step.Result{
		Outputs:  outs,
		Evidence: evidence.Map(evidence.KeyCreated, ev),
		Summary:  replaceSummary(p, ev),
	}, nil
}

// keepWords says, for a plan, what happens to the replacement an earlier
// run made (its value was not kept, and it could not be read back).
func keepWords(c *step.Call, r provider.ReplaceRequest) string {
	switch {
	case len(r.Keep) > 0:
		last := r.Keep[len(r.Keep)-1]
		return fmt.Sprintf("; the replacement an earlier run made (%s) is on %s and stays live until the new one is on every "+
			"target, redeployed and verified; key.discard deletes it then (make before break)",
			firstNonEmpty(last.KeyID, last.Principal.ID), placeNames(holdersOf(c, last.Fingerprint)))
	case r.Previous != nil:
		return fmt.Sprintf("; the replacement an earlier run made (%s) is on no target: it is deleted first",
			firstNonEmpty(r.Previous.KeyID, r.Previous.Principal.ID))
	}
	return ""
}

// Recover implements step.Recoverer: on resume, the replacement an earlier
// run made is read back from a place that holds it, checked against the
// journal's fingerprint and with the provider, so nothing new is made and
// nothing that runs on it is switched.
func (k KeyReplace) Recover(ctx context.Context, c *step.Call) (*step.Result, bool, string, error) {
	prev, ok := previousReplacement(c)
	if !ok || prev.Fingerprint == "" {
		return nil, false, "the journal does not say what the earlier run made", nil
	}
	if k.Writers == nil {
		return nil, false, "no target can be read", nil
	}
	p, err := resolveProvider(k.Keys, k.kind(), c, k.fixed)
	if err != nil {
		return nil, false, "", err
	}
	cred, from, ok, why := recoverReplacement(ctx, c, k.Writers, p, prev)
	if !ok {
		return nil, false, why, nil
	}
	ev := prev
	ev.RecoveredFrom = from.Target
	main, _ := cred.Main()
	outs := map[string]any{
		"key": main.Value(), "credential": cred, "key_id": ev.KeyID,
		"principal_id": ev.Principal.ID, "principal_name": ev.Principal.Name,
		"redacted": ev.Redacted, "fingerprint": ev.Fingerprint, "superseded": len(ev.Superseded) > 0,
	}
	return &step.Result{
		Outputs:  outs,
		Evidence: evidence.Map(evidence.KeyCreated, ev),
		Summary: fmt.Sprintf("read the replacement %s (%s) back from %s: the journal's fingerprint matches and it works",
			firstNonEmpty(ev.KeyID, "key"), shortRedacted(ev.Redacted), from.Target),
	}, true, "", nil
}

func replaceSummary(p keyProvider, ev evidence.Created) string {
	if ev.Adopted {
		return fmt.Sprintf("adopted %s %s (%s), made by a person, as the replacement: it works", p.spec.KeyTitle(), firstNonEmpty(ev.KeyID, "key"), shortRedacted(ev.Redacted))
	}
	if ev.Principal.Type == "service_account" {
		return fmt.Sprintf("created service account %s (%s) in %s; its key %s (%s) is the replacement",
			ev.Principal.Name, ev.Principal.ID, ev.Scope, ev.KeyID, shortRedacted(ev.Redacted))
	}
	return fmt.Sprintf("created %s key %s (%s) for %s; it is the replacement", p.spec.Title, ev.KeyID, shortRedacted(ev.Redacted),
		firstNonEmpty(ev.Principal.Name, ev.Principal.ID, ev.Scope))
}

// Reconcile implements step.Reconciler. An attempt that never recorded its
// end may have created a replacement whose value died with the process:
// what bears the step's name is deleted, and Apply creates a fresh one.
func (k KeyReplace) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	p, r, err := k.input(c)
	if err != nil {
		return nil, false, err
	}
	r.Since, r.Checkpointed = c.Interrupted, c.InterruptedCheckpoint
	if _, err := p.Reconcile(ctx, r, c.Logf); err != nil {
		return nil, false, fmt.Errorf("%s: %w", k.kind(), err)
	}
	return nil, false, nil
}

// secretCredential is what a deploy writes: a credential, or a one-part
// one made of a plain secret value.
func secretCredential(v any) (secret.Credential, bool) {
	switch x := v.(type) {
	case secret.Credential:
		return x, !x.IsZero()
	case secret.Value:
		return secret.NewCredential("", secret.SecretPart("value", x)), !x.IsZero()
	case string:
		return secret.NewCredential("", secret.SecretPart("value", secret.New(x))), x != ""
	}
	return secret.Credential{}, false
}

// askPerson gets a replacement a person makes: it says where and how (the
// provider's plan), asks for the value (a hidden prompt, or standard input
// given for it), and has the provider adopt it: find the key it is, check
// that it works and is not the old key. With nobody to ask, it fails with
// what to do: a contain-first response has contained the key by now, and
// resuming with --replacement-stdin finishes it.
func (k KeyReplace) askPerson(ctx context.Context, c *step.Call, p keyProvider, r provider.ReplaceRequest) (secret.Credential, evidence.Created, error) {
	plan, err := p.PlanReplace(ctx, r)
	if err != nil {
		return secret.Credential{}, evidence.Created{}, err
	}
	asker, ok := c.Approver.(step.SecretAsker)
	if !ok || !asker.CanAsk() {
		return secret.Credential{}, evidence.Created{}, step.Permanent(fmt.Errorf("%s cannot create a replacement through its API, and nobody can paste "+
			"one in this run (no terminal, or --yes without --replacement-stdin): %s; then finish with `respond resume %s "+
			"--replacement-stdin` and paste it on standard input: %w", p.spec.Title, plan.Effect, c.Incident, step.ErrNobodyToAsk))
	}
	c.Logf("%s cannot create the replacement: %s", p.spec.Title, plan.Effect)
	v, err := asker.AskSecret(ctx, fmt.Sprintf("Paste the new %s (it is not shown):", p.spec.KeyTitle()), plan.Effect)
	if err != nil {
		return secret.Credential{}, evidence.Created{}, err
	}
	registry(c).Add(v)
	cred, err := p.spec.Credential(v, "")
	if err != nil {
		return secret.Credential{}, evidence.Created{}, step.BadInputf("the pasted value is not %s: %v", article(p.spec.KeyTitle()), err)
	}
	registerCredential(c, cred)
	if s, _, ok, _ := provider.Recognize(v.Reveal()); ok && s.Name != p.spec.Name {
		return cred, evidence.Created{}, step.BadInputf("the pasted value is %s, not %s: paste the new %s", article(s.KeyTitle()), article(p.spec.KeyTitle()), p.spec.KeyTitle())
	}
	ev, err := p.Adopt(ctx, r, cred)
	if err != nil {
		return cred, ev, err
	}
	ev.Adopted = true
	if ev.Provider == "" {
		ev.Provider = p.spec.Name
	}
	if ev.Fingerprint == "" {
		ev.Fingerprint = cred.Fingerprint()
	}
	if ev.DeletedLeftovers == nil {
		ev.DeletedLeftovers = []string{}
	}
	return cred, ev, nil
}

// article puts "a" or "an" before a phrase.
func article(w string) string {
	if w != "" && strings.ContainsRune("AEIOUaeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}
