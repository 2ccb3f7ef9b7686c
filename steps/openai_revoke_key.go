package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = RevokeKey{}

// RevokeKey is the `openai.revoke_key` step kind: it contains a leak by
// revoking the key. A user's project key is deleted; a service account's
// key cannot be deleted through the project keys endpoint (400,
// API-NOTES §2), so its service account is deleted, which revokes all of
// that account's keys. A key that is already gone counts as contained.
type RevokeKey struct {
	P *Providers
}

const revokeKind = "openai.revoke_key"

// Spec implements step.Kind.
func (RevokeKey) Spec() step.Spec {
	return step.Spec{
		Kind:    revokeKind,
		Summary: "Revoke an OpenAI project key",
		Description: "Revokes the key `key_id` of `project`. A user-owned key is deleted (DELETE the project API key). " +
			"A key owned by a service account is revoked by deleting the service account, and with it all its keys: " +
			"OpenAI refuses to delete a service account's key on its own. `owner_type` and `service_account_id` " +
			"(from openai.identify_key) save a lookup; without them the key's owner is looked up. A key that is " +
			"already gone (404, or no longer listed) counts as contained, and the evidence says the provider had " +
			"already disabled it.",
		Mutates:    true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "project", Type: step.String, Description: "project ID (proj_…) holding the key (required unless already_gone)"},
			{Name: "key_id", Type: step.String, Description: "the key to revoke (key_…) (required unless already_gone)"},
			{Name: "already_gone", Type: step.Bool, Default: false, Description: "the key is known to be revoked or disabled already (openai.identify_key's already_gone): nothing is deleted, and the evidence says so"},
			{Name: "owner_type", Type: step.String, Description: `"user" or "service_account"; empty: look it up`},
			{Name: "service_account_id", Type: step.String, Description: "the owning service account (svc_acct_…), for a service account's key"},
			{Name: "key_name", Type: step.String, Description: "the key's name (openai.identify_key's key_name): with `owner_type` (and `service_account_id` for a service account's key) the plan names the key without looking it up, one round trip less before the revoke"},
		},
		Outputs: []step.Output{
			{Name: "revoked_at", Type: step.String, Description: "when the key was revoked, or found already gone (RFC 3339)"},
			{Name: "already_disabled", Type: step.Bool, Description: "the key was already gone: the provider had disabled it"},
			{Name: "method", Type: step.String, Description: `"delete project key" or "delete service account"`},
		},
	}
}

// revokeArgs are the step's parameters, checked.
type revokeArgs struct {
	project, keyID, ownerType, saID, name string
	gone                                  bool
}

func revokeInput(c *step.Call) (revokeArgs, error) {
	a := revokeArgs{
		project:   strings.TrimSpace(c.String("project")),
		keyID:     strings.TrimSpace(c.String("key_id")),
		ownerType: strings.TrimSpace(c.String("owner_type")),
		saID:      strings.TrimSpace(c.String("service_account_id")),
		name:      strings.TrimSpace(c.String("key_name")),
		gone:      c.Bool("already_gone"),
	}
	switch {
	case a.gone:
	case a.project == "" || a.keyID == "":
		return a, step.Permanent(badInputf("%s: step %q needs both `project` (proj_…) and `key_id` (key_…)", revokeKind, c.StepID))
	case a.ownerType != "" && a.ownerType != "user" && a.ownerType != "service_account":
		return a, step.Permanent(badInputf("%s: owner_type %q is neither \"user\" nor \"service_account\"", revokeKind, a.ownerType))
	}
	return a, nil
}

// Plan implements step.Kind. When the parameters name the key and its
// owner (openai.identify_key read them moments ago) it plans from them;
// otherwise, when OpenAI is reachable, it looks the key up (a read), to
// name it and its owner.
func (k RevokeKey) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	a, err := revokeInput(c)
	if err != nil {
		return nil, err
	}
	target := "OpenAI key " + a.keyID
	if a.gone {
		if a.keyID == "" {
			target = "the leaked OpenAI key"
		}
		return []step.Change{{Action: step.NoOp, Target: target,
			Effect: "already revoked or disabled: nothing to revoke (checked dead below)"}}, nil
	}
	known := a.name != "" && (a.ownerType == "user" || a.ownerType == "service_account" && a.saID != "")
	if known {
		target = fmt.Sprintf("OpenAI key %s (%s)", a.keyID, a.name)
	} else if k.P != nil && k.P.OpenAI != nil {
		if oa, err := k.P.OpenAI(); err == nil && oa != nil {
			key, err := oa.GetProjectKey(ctx, a.project, a.keyID)
			switch {
			case errors.Is(err, ErrNotFound):
				return []step.Change{{Action: step.NoOp, Target: target,
					Effect: "already gone from project " + a.project + ": nothing to revoke (the provider may have disabled it)"}}, nil
			case err == nil:
				target = fmt.Sprintf("OpenAI key %s (%s)", a.keyID, key.Name)
				a.ownerType = key.OwnerType
				if key.OwnerType == "service_account" {
					a.saID = key.OwnerID
				}
			}
		}
	}
	effect := "revoke: delete the project API key"
	if a.ownerType == "service_account" {
		sa := a.saID
		if sa == "" {
			sa = "the owning service account"
		}
		effect = "revoke: delete service account " + sa + " and its keys"
	} else if a.ownerType == "" {
		effect = "revoke: delete the project API key (or its service account, if one owns it)"
	}
	return []step.Change{{Action: step.Delete, Target: target, Effect: effect}}, nil
}

// Apply implements step.Kind.
func (k RevokeKey) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	a, err := revokeInput(c)
	if err != nil {
		return nil, err
	}
	oa, err := openAIClient(k.P, revokeKind)
	if err != nil {
		return nil, err
	}
	r := revocation{args: a}
	if a.gone {
		return r.gone(), nil
	}
	if a.ownerType == "" || (a.ownerType == "service_account" && a.saID == "") {
		key, err := oa.GetProjectKey(ctx, a.project, a.keyID)
		if errors.Is(err, ErrNotFound) {
			return r.gone(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: finding the owner of key %s: %w", revokeKind, a.keyID, err)
		}
		r.args.ownerType = key.OwnerType
		if key.OwnerType == "service_account" {
			r.args.saID = key.OwnerID
		}
	}
	if r.args.ownerType == "service_account" {
		return r.deleteServiceAccount(ctx, oa, c)
	}

	r.method = "delete project key"
	err = oa.DeleteProjectKey(ctx, a.project, a.keyID)
	switch {
	case err == nil:
		return r.done(), nil
	case errors.Is(err, ErrNotFound):
		return r.gone(), nil
	}
	// OpenAI answers 400 when the key belongs to a service account: find
	// out who owns it before giving up.
	key, gerr := oa.GetProjectKey(ctx, a.project, a.keyID)
	switch {
	case errors.Is(gerr, ErrNotFound):
		return r.gone(), nil
	case gerr == nil && key.OwnerType == "service_account":
		c.Logf("key %s belongs to service account %s: deleting the service account instead", a.keyID, key.OwnerID)
		r.args.ownerType, r.args.saID, r.fallback = "service_account", key.OwnerID, true
		return r.deleteServiceAccount(ctx, oa, c)
	}
	return nil, fmt.Errorf("%s: revoking key %s of project %s: %w; the key may still work: revoke it on the OpenAI "+
		"dashboard (project API keys) if this persists", revokeKind, a.keyID, a.project, err)
}

// revocation builds the step's result.
type revocation struct {
	args     revokeArgs
	method   string
	fallback bool // a user key turned out to be a service account's
}

func (r *revocation) deleteServiceAccount(ctx context.Context, oa OpenAI, c *step.Call) (*step.Result, error) {
	r.method = "delete service account"
	err := oa.DeleteServiceAccount(ctx, r.args.project, r.args.saID)
	switch {
	case err == nil:
		return r.done(), nil
	case errors.Is(err, ErrNotFound):
		return r.gone(), nil
	}
	return nil, fmt.Errorf("%s: revoking key %s by deleting service account %s of project %s: %w; the key may still "+
		"work: delete the service account on the OpenAI dashboard if this persists", revokeKind, r.args.keyID, r.args.saID, r.args.project, err)
}

func (r *revocation) evidence(gone bool) map[string]any {
	ev := map[string]any{
		"contained":        true,
		"already_disabled": gone,
		"method":           r.method,
		"revoked_at":       rfc3339(time.Now()),
		"project":          r.args.project,
		"key_id":           r.args.keyID,
	}
	if r.args.saID != "" {
		ev["service_account_id"] = r.args.saID
	}
	if r.fallback {
		ev["owner_found_on_refusal"] = true
	}
	return ev
}

func (r *revocation) result(gone bool, summary string) *step.Result {
	ev := r.evidence(gone)
	return &step.Result{
		Outputs:  map[string]any{"revoked_at": ev["revoked_at"], "already_disabled": gone, "method": r.method},
		Evidence: ev,
		Summary:  summary,
	}
}

func (r *revocation) done() *step.Result {
	if r.method == "delete service account" {
		return r.result(false, fmt.Sprintf("revoked %s by deleting service account %s and its keys", r.args.keyID, r.args.saID))
	}
	return r.result(false, fmt.Sprintf("revoked %s: deleted the project API key", r.args.keyID))
}

func (r *revocation) gone() *step.Result {
	if r.method == "" {
		r.method = "delete project key"
		if r.args.ownerType == "service_account" {
			r.method = "delete service account"
		}
	}
	what := r.args.keyID
	if what == "" {
		what = "the leaked key"
	}
	return r.result(true, fmt.Sprintf("%s was already revoked or disabled: nothing to revoke", what))
}
