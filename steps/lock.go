package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/provider"

	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = LockKey{}

// LockKey is the `lock` step kind: it makes one response per leaked key.
// It takes a lock on each name the key is known by (its provider and ID,
// the alert that reported it, its value's fingerprint) before anything
// changes, and holds them until respond exits; a second responder on the
// same key, alert or value stops there, changing nothing, and is told who
// holds it and in which incident. It runs again when the incident is
// resumed.
type LockKey struct{}

// Spec implements step.Kind.
func (LockKey) Spec() step.Spec {
	return step.Spec{
		Kind:    "lock",
		Summary: "Make sure nobody else is responding to this key (one response per key)",
		Description: "Takes a lock on each name the key is known by: `provider`/`key_id`, the `alert` " +
			"(OWNER/REPO#N) and the value's `fingerprint`, in the state directory, held until respond exits " +
			"(a killed respond leaves none behind). When another responder holds one of them the step fails, " +
			"before any change, naming who holds it and their incident (exit code 6). Place it right after the " +
			"step that identifies the key. It runs again on every resume of the incident. Only reads the world.",
		Reads:      true,
		Idempotent: true,
		Holds:      true,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the key's provider; empty: from the key ID's shape"},
			{Name: "key_id", Type: step.String, Description: "the key's ID at the provider"},
			{Name: "alert", Type: step.String, Description: "the alert that reported the key, OWNER/REPO#N"},
			{Name: "fingerprint", Type: step.String, Description: "the sha256 fingerprint of the key's value"},
		},
		Outputs: []step.Output{
			{Name: "names", Type: step.List, Description: "the names locked"},
		},
	}
}

func lockNames(c *step.Call) []string {
	var names []string
	name := strings.TrimSpace(c.String("provider"))
	id := strings.TrimSpace(c.String("key_id"))
	if s, ok := provider.ForKeyID(id); name == "" && ok {
		name = s.Name
	}
	if name == "" {
		name = "key"
	}
	if id != "" {
		names = append(names, name+"/"+id)
	}
	if a := strings.TrimSpace(c.String("alert")); a != "" {
		names = append(names, "alert/"+a)
	}
	if fp := strings.TrimSpace(c.String("fingerprint")); fp != "" {
		names = append(names, fp)
	}
	return names
}

// Plan implements step.Kind.
func (LockKey) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	names := lockNames(c)
	if len(names) == 0 {
		return nil, nil
	}
	return []step.Change{{Action: step.Read, Target: strings.Join(names, ", "), Effect: "make sure no other responder is on this key"}}, nil
}

// Apply implements step.Kind.
func (LockKey) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	names := lockNames(c)
	if len(names) == 0 {
		return nil, step.Errorf("lock: nothing names the key to lock: give key_id, alert or fingerprint (from the step that identifies the key)")
	}
	if c.Locker == nil {
		return &step.Result{Outputs: map[string]any{"names": names}, Summary: "no locks in a dry run"}, nil
	}
	if err := c.Locker.Lock(ctx, names); err != nil {
		return nil, step.Permanent(err)
	}
	return &step.Result{
		Outputs:  map[string]any{"names": names},
		Evidence: map[string]any{"locked": names},
		Summary:  fmt.Sprintf("no other responder is on this key (locked %s)", strings.Join(names, ", ")),
	}, nil
}
