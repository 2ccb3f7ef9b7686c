package steps

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = KeyRevoke{}

// KeyRevoke is the `key.revoke` step kind: it contains a leak. The
// provider decides how: OpenAI deletes a user's key, or the service
// account that owns it; AWS deactivates the access key at once (reversible,
// keeping the evidence) and deletes it only once recovery is verified
// (key.retire). A key that is already gone counts as contained.
type KeyRevoke struct {
	Keys  *provider.Set
	alias string
	fixed string
}

const keyRevokeKind = "key.revoke"

func (k KeyRevoke) kind() string { return firstNonEmpty(k.alias, keyRevokeKind) }

// Spec implements step.Kind.
func (k KeyRevoke) Spec() step.Spec {
	return step.Spec{
		Kind:    keyRevokeKind,
		Summary: "Revoke a leaked key (contain the leak)",
		Description: "Revokes the key `key_id` of `scope` at its provider: an OpenAI user's key is deleted, a key owned " +
			"by a service account is revoked by deleting the service account (OpenAI refuses to delete such a key on " +
			"its own); an AWS access key is deactivated at once (reversible, and the evidence stays) and deleted by " +
			"`key.retire` once recovery is verified. `owner_type` and `owner_id` (from key.identify) save a lookup. " +
			"A key that is already gone (`already_gone`, or not found) counts as contained, and the evidence says it " +
			"was already revoked or disabled.",
		Mutates:    true,
		Idempotent: true,
		Evidence:   evidence.KeyRevoked,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the provider that issued the key; empty: from the key ID's shape"},
			{Name: "scope", Type: step.String, Description: "where the key lives (required unless already_gone)"},
			{Name: "key_id", Type: step.String, Description: "the key to revoke (required unless already_gone)"},
			{Name: "owner_type", Type: step.String, Description: `who owns the key (key.identify's owner_type); empty: look it up`},
			{Name: "owner_id", Type: step.String, Description: "the owner's ID (a service account, an IAM user)"},
			{Name: "already_gone", Type: step.Bool, Default: false, Description: "the key is known to be revoked or disabled already (key.identify's already_gone): nothing is changed, and the evidence says so"},
			{Name: "key_name", Type: step.String, Description: "the key's name (key.identify's key_name): with owner_type (and the owner's ID for a service account's key) the plan names the key without looking it up, one round trip less before the revoke"},
			{Name: "key", Type: step.Secret, AcceptsSecret: true, Description: "the key's value (key.identify's credential), for providers that revoke a key by its value (GitHub tokens); others ignore it"},
		},
		Outputs: []step.Output{
			{Name: "revoked_at", Type: step.String, Description: "when the key was revoked, or found already gone (RFC 3339)"},
			{Name: "already_disabled", Type: step.Bool, Description: "the key was already revoked or disabled"},
			{Name: "method", Type: step.String, Description: `how: "delete project key", "delete service account", "deactivate access key"`},
			{Name: "reversible", Type: step.Bool, Description: "the key is deactivated, not deleted: key.retire deletes it once recovery is verified"},
		},
	}
}

type revokeArgs struct {
	p    keyProvider
	key  provider.KeyInfo
	gone bool
}

func (k KeyRevoke) input(c *step.Call) (revokeArgs, error) {
	kind := k.kind()
	p, err := resolveProvider(k.Keys, kind, c, k.fixed)
	if err != nil {
		return revokeArgs{}, err
	}
	a := revokeArgs{p: p, gone: c.Bool("already_gone"), key: provider.KeyInfo{
		Provider: p.spec.Name, Scope: strings.TrimSpace(c.String("scope")), ID: strings.TrimSpace(c.String("key_id")),
		Name:  strings.TrimSpace(c.String("key_name")),
		Owner: evidence.Owner{Type: strings.TrimSpace(c.String("owner_type")), ID: strings.TrimSpace(c.String("owner_id"))},
	}}
	if cred, ok := secretCredential(c.Params["key"]); ok {
		a.key.Credential = cred
	}
	if !a.gone && (a.key.Scope == "" || a.key.ID == "") {
		return a, badInputf("%s: step %q needs both `%s` and `key_id`", kind, c.StepID, scopeName(a.p, k.fixed))
	}
	if t := a.key.Owner.Type; t != "" && !ownerTypeRe.MatchString(t) {
		return a, badInputf("%s: owner_type %q is not an owner type (key.identify's owner_type: lower-case words joined by _, such as \"service_account\")", kind, t)
	}
	return a, nil
}

// ownerTypeRe is the shape of an owner type a provider declares
// ("user", "service_account", "iam_user").
var ownerTypeRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Plan implements step.Kind.
func (k KeyRevoke) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	a, err := k.input(c)
	if err != nil {
		return nil, err
	}
	if a.gone {
		return []step.Change{{Action: step.NoOp, Target: keyLabel(a.p, a.key.ID),
			Effect: "already revoked or disabled: nothing to revoke (checked dead below)"}}, nil
	}
	ch, err := a.p.PlanRevoke(ctx, a.key)
	if err != nil {
		return nil, err
	}
	if undo := a.p.spec.Caps.Undo; undo != "" && !strings.Contains(ch.Effect, undo) {
		ch.Effect += " (" + undo + ")"
	}
	return []step.Change{ch}, nil
}

// Apply implements step.Kind.
func (k KeyRevoke) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	a, err := k.input(c)
	if err != nil {
		return nil, err
	}
	var ev evidence.Revoked
	if a.gone {
		ev = evidence.Revoked{Provider: a.p.spec.Name, KeyID: a.key.ID, Scope: a.key.Scope, Contained: true, AlreadyDisabled: true}
	} else {
		ev, err = a.p.Revoke(ctx, a.key, c.Logf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.kind(), err)
		}
	}
	ev.Contained = true
	ev.RevokedAt = rfc3339(time.Now())
	what := a.key.ID
	if what == "" {
		what = "the leaked key"
	}
	var summary string
	switch {
	case ev.AlreadyDisabled:
		summary = what + " was already revoked or disabled: nothing to revoke"
	case ev.Method == "delete service account":
		summary = fmt.Sprintf("revoked %s by deleting service account %s and its keys", what, firstNonEmpty(ev.Principal, a.key.Owner.ID, "its owner"))
	case ev.Method == "delete project key":
		summary = fmt.Sprintf("revoked %s: deleted the project API key", what)
	case ev.Reversible:
		summary = fmt.Sprintf("deactivated %s (%s); key.retire finishes it once recovery is verified", what, ev.Method)
	default:
		summary = fmt.Sprintf("revoked %s (%s)", what, ev.Method)
	}
	return &step.Result{
		Outputs:  map[string]any{"revoked_at": ev.RevokedAt, "already_disabled": ev.AlreadyDisabled, "method": ev.Method, "reversible": ev.Reversible},
		Evidence: evidence.Map(evidence.KeyRevoked, ev),
		Summary:  summary,
	}, nil
}
