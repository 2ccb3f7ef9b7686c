package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = KeyRetire{}

const keyRetireKind = "key.retire"

// KeyRetire is the `key.retire` step kind: once recovery is verified it
// finishes containment. A provider that only deactivated the key (AWS: an
// inactive access key can be switched back on, and keeps its last-use
// evidence until then) deletes it now; for one that deleted it when it was
// revoked (OpenAI) there is nothing to do.
type KeyRetire struct {
	Keys  *provider.Set
	fixed string
}

// Spec implements step.Kind.
func (KeyRetire) Spec() step.Spec {
	return step.Spec{
		Kind:    keyRetireKind,
		Summary: "Delete a contained key once recovery is verified",
		Description: "Finishes containment once every target holds the verified replacement: an AWS access key that " +
			"key.revoke deactivated is deleted (a deactivated key can be switched back on; a deleted one cannot); an " +
			"OpenAI key was deleted when it was revoked, so there is nothing to do. A key that is already gone is " +
			"fine. Place it last, after the replacement is verified.",
		Mutates:    true,
		Idempotent: true,
		Evidence:   evidence.KeyRetired,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the provider that issued the key; empty: from the key ID's shape"},
			{Name: "scope", Type: step.String, Description: "where the key lives"},
			{Name: "key_id", Type: step.String, Description: "the contained key"},
			{Name: "owner_id", Type: step.String, Description: "the key's owner (the IAM user of an AWS key)"},
		},
		Outputs: []step.Output{
			{Name: "deleted", Type: step.Bool, Description: "the key was deleted now"},
		},
	}
}

func (k KeyRetire) input(c *step.Call) (keyProvider, provider.KeyInfo, error) {
	p, err := resolveProvider(k.Keys, "key.retire", c, k.fixed)
	if err != nil {
		return keyProvider{}, provider.KeyInfo{}, err
	}
	return p, provider.KeyInfo{Provider: p.spec.Name, Scope: strings.TrimSpace(c.String("scope")), ID: strings.TrimSpace(c.String("key_id")),
		Owner: evidence.Owner{ID: strings.TrimSpace(c.String("owner_id"))}}, nil
}

// Plan implements step.Kind.
func (k KeyRetire) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	p, key, err := k.input(c)
	if err != nil {
		return nil, err
	}
	if key.ID == "" {
		return []step.Change{{Action: step.NoOp, Target: "the leaked " + p.spec.Title + " key", Effect: "nothing to retire: its ID is not known"}}, nil
	}
	if p.spec.Caps.Contain == provider.Delete {
		return []step.Change{{Action: step.NoOp, Target: keyLabel(p, key.ID), Effect: "nothing to do: " + p.spec.Title + " keys are deleted when revoked"}}, nil
	}
	return []step.Change{{Action: step.Delete, Target: keyLabel(p, key.ID), Effect: p.spec.Caps.Retire() + " the deactivated key, once recovery is verified"}}, nil
}

// Apply implements step.Kind.
func (k KeyRetire) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	p, key, err := k.input(c)
	if err != nil {
		return nil, err
	}
	if key.ID == "" {
		return &step.Result{Outputs: map[string]any{"deleted": false}, Evidence: evidence.Map(evidence.KeyRetired, evidence.Retired{Provider: p.spec.Name}),
			Summary: "nothing to retire: the key's ID is not known"}, nil
	}
	ev, err := p.Retire(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("key.retire: %w", err)
	}
	summary := fmt.Sprintf("deleted %s", keyLabel(p, key.ID))
	if !ev.Deleted {
		summary = ev.Method
	}
	return &step.Result{Outputs: map[string]any{"deleted": ev.Deleted}, Evidence: evidence.Map(evidence.KeyRetired, ev), Summary: summary}, nil
}
