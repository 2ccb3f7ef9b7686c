package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// InventoryTargets picks, from the inventory's credentials, the one that
// holds the leaked key, and returns where it is deployed. It only reads
// what it is given, so it runs while planning and the plan can list every
// target by name.
type InventoryTargets struct{}

// Spec implements step.Kind.
func (InventoryTargets) Spec() step.Spec {
	return step.Spec{
		Kind:    "inventory.targets",
		Summary: "Find where a key is deployed, from the inventory",
		Description: "Matches the key (by key_id, else by project and key name) against the inventory's " +
			"credentials and outputs the matching credential's secret targets and workflows. " +
			"No match is not an error: the key is still contained, and the summary says that the " +
			"replacement will not be deployed anywhere.",
		Reads:      true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "credentials", Type: step.Any, Description: "the inventory's credentials (respond fills this in from respond.yaml)"},
			{Name: "project", Type: step.String, Description: "the key's project (proj_…)"},
			{Name: "key_id", Type: step.String, Description: "the key's ID (key_…)"},
			{Name: "key_name", Type: step.String, Description: "the key's name"},
		},
		Outputs: []step.Output{
			{Name: "credential", Type: step.String, Description: "the matching credential's name, or \"\""},
			{Name: "targets", Type: step.Any, Description: "the places that hold the key (target mappings)"},
			{Name: "workflows", Type: step.Any, Description: "the github-workflow targets to re-run"},
			{Name: "count", Type: step.Int, Description: "how many places hold the key"},
		},
	}
}

// Plan implements step.Kind.
func (InventoryTargets) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return []step.Change{{Action: step.Read, Target: "inventory", Effect: "find where the key is deployed"}}, nil
}

// Apply implements step.Kind.
func (InventoryTargets) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	creds, _ := c.Params["credentials"].([]any)
	project, keyID, keyName := c.String("project"), c.String("key_id"), c.String("key_name")
	var match map[string]any
	var names []string
	for _, x := range creds {
		cr, ok := x.(map[string]any)
		if !ok {
			return nil, step.Errorf("inventory.targets: a credential is %T, not a mapping", x)
		}
		name, _ := cr["name"].(string)
		names = append(names, name)
		id, _ := cr["key_id"].(string)
		proj, _ := cr["project"].(string)
		kn, _ := cr["key_name"].(string)
		if (id != "" && id == keyID) || (id == "" && kn != "" && kn == keyName && (proj == "" || proj == project)) {
			if match != nil {
				return nil, step.Errorf("inventory.targets: credentials %q and %q both match key %s; make key_id or key_name unique in the inventory", match["name"], name, keyID)
			}
			match = cr
		}
	}
	targets, workflows := []any{}, []any{}
	res := &step.Result{Outputs: map[string]any{"credential": "", "targets": targets, "workflows": workflows, "count": 0}}
	if match == nil {
		if len(creds) == 0 {
			res.Summary = "no inventory: the replacement will not be deployed anywhere (describe where keys live in respond.yaml)"
		} else {
			res.Summary = fmt.Sprintf("no credential in the inventory matches %s %q (credentials: %s): the replacement will not be deployed anywhere", keyID, keyName, strings.Join(names, ", "))
		}
		res.Evidence = map[string]any{"matched": false}
		return res, nil
	}
	list, _ := match["targets"].([]any)
	var ids []string
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, step.Errorf("inventory.targets: a target of credential %q is %T, not a mapping", match["name"], x)
		}
		t, err := target.FromMap(m)
		if err != nil {
			return nil, step.Errorf("inventory.targets: credential %q: %v", match["name"], err)
		}
		if t.IsSecretStore() {
			targets = append(targets, m)
			ids = append(ids, t.ID())
		} else {
			workflows = append(workflows, m)
		}
	}
	name, _ := match["name"].(string)
	res.Outputs = map[string]any{"credential": name, "targets": targets, "workflows": workflows, "count": len(targets)}
	res.Evidence = map[string]any{"matched": true, "credential": name, "targets": ids, "workflows": len(workflows)}
	res.Summary = fmt.Sprintf("credential %s: %d place(s) hold the key, %d workflow(s) to re-run", name, len(targets), len(workflows))
	return res, nil
}
