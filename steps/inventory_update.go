package steps

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = InventoryUpdate{}

// InventoryUpdate is the `inventory.update` step kind: once the
// replacement is live and deployed, the inventory's credential names it
// (key_id and the fingerprint of its value), edited in place with comments,
// order and formatting kept, so that the next incident on this credential
// finds every target.
type InventoryUpdate struct{}

// Spec implements step.Kind.
func (InventoryUpdate) Spec() step.Spec {
	return step.Spec{
		Kind:    "inventory.update",
		Summary: "Record the replacement in the inventory file, in place",
		Description: "Edits credential `credential` of the inventory file `file` so that it names the replacement: " +
			"`key_id` (a `key_name` becomes `key_id`) and `fingerprint`, keeping the file's comments, order, " +
			"quoting and line endings, and replacing the file atomically. A credential that names something other " +
			"than the key this response replaced (`old_key_id` or `old_key_name`) was edited by someone else " +
			"meanwhile and is not overwritten. When the file cannot be written the step fails and says the exact " +
			"edit to make by hand; running it again once the file says it succeeds.",
		Mutates:    true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "file", Type: step.String, Description: "the inventory file (respond fills this in); empty: there is no inventory to update"},
			{Name: "credential", Type: step.String, Required: true, Description: "the credential's name"},
			{Name: "old_key_id", Type: step.String, Description: "the key_id the credential named when the response started"},
			{Name: "old_key_name", Type: step.String, Description: "the key_name the credential named when the response started"},
			{Name: "replaced", Type: step.String, Description: "the key that was replaced, for the note put after the new key_id"},
			{Name: "key_id", Type: step.String, Required: true, Description: "the replacement's key ID"},
			{Name: "fingerprint", Type: step.String, Description: "the replacement's fingerprint (sha256:…)"},
		},
		Outputs: []step.Output{
			{Name: "changed", Type: step.Bool, Description: "the file was changed (false: it already named the replacement)"},
		},
	}
}

func updateOf(c *step.Call) (string, inventory.Update, error) {
	u := inventory.Update{
		Credential:  strings.TrimSpace(c.String("credential")),
		OldKeyID:    strings.TrimSpace(c.String("old_key_id")),
		OldKeyName:  strings.TrimSpace(c.String("old_key_name")),
		KeyID:       strings.TrimSpace(c.String("key_id")),
		Fingerprint: strings.TrimSpace(c.String("fingerprint")),
	}
	file := strings.TrimSpace(c.String("file"))
	if file != "" && !filepath.IsAbs(file) && c.Dir != "" {
		file = filepath.Join(c.Dir, file)
	}
	switch {
	case file == "":
		return "", u, step.Errorf("inventory.update: there is no inventory file to record replacement %s in: write respond.yaml (docs/inventory.md) with credential %q naming it", u.KeyID, u.Credential)
	case u.Credential == "" || u.KeyID == "":
		return "", u, step.Errorf("inventory.update: `credential` and `key_id` are required")
	}
	note := "set by respond"
	if c.Incident != "" {
		note += " " + c.Incident
	}
	if r := strings.TrimSpace(c.String("replaced")); r != "" {
		note += "; replaced " + r
	}
	u.Note = note
	if c.Previous != nil {
		if id, _ := c.Previous.Outputs["key_id"].(string); id != "" {
			u.Accept = append(u.Accept, id)
		}
		if id, _ := c.Previous.Evidence["key_id"].(string); id != "" {
			u.Accept = append(u.Accept, id)
		}
	}
	return file, u, nil
}

// Plan implements step.Kind.
func (InventoryUpdate) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	file, u, err := updateOf(c)
	if err != nil {
		return nil, err
	}
	from := u.OldKeyID
	if from == "" && u.OldKeyName != "" {
		from = "key_name " + u.OldKeyName
	}
	if from == "" {
		from = "the leaked key"
	}
	return []step.Change{{Action: step.Update, Target: file,
		Effect: fmt.Sprintf("credential %s names the replacement instead of %s (key_id and fingerprint)", u.Credential, from)}}, nil
}

// Apply implements step.Kind.
func (InventoryUpdate) Apply(_ context.Context, c *step.Call) (*step.Result, error) {
	file, u, err := updateOf(c)
	if err != nil {
		return nil, err
	}
	changed, err := inventory.Rewrite(file, u)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("inventory.update: %v; make this edit by hand so the next incident finds the targets: %s",
			err, u.Instructions(file)))
	}
	ev := map[string]any{"file": file, "credential": u.Credential, "key_id": u.KeyID, "fingerprint": u.Fingerprint,
		"old_key_id": u.OldKeyID, "old_key_name": u.OldKeyName, "changed": changed}
	summary := fmt.Sprintf("credential %s now names %s", u.Credential, u.KeyID)
	if !changed {
		summary = fmt.Sprintf("credential %s already names %s", u.Credential, u.KeyID)
	}
	return &step.Result{Outputs: map[string]any{"changed": changed}, Evidence: ev, Summary: summary}, nil
}
