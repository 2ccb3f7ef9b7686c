package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/step"
)

var (
	_ step.Kind       = CreateReplacement{}
	_ step.Reconciler = CreateReplacement{}
)

// CreateReplacement is the `openai.create_replacement` step kind: it
// creates a project service account whose key is the replacement
// (API-NOTES §2: the Admin API cannot create a user's key).
//
// The key's value is shown only once, so the step is not idempotent and
// the create is never retried blindly. Service accounts this incident
// created and can no longer use are deleted: the one an earlier apply
// recorded (Call.Previous: the engine re-applies the step when the value is
// needed again after a resume), and any other account bearing the step's
// name (a create that succeeded before a crash). To keep that clean-up from
// touching anything else, the name must contain the incident ID.
type CreateReplacement struct {
	P *Providers
}

const createKind = "openai.create_replacement"

// maxServiceAccountName bounds service account names. The API documents no
// limit; names are kept short enough for the dashboard and for any limit
// OpenAI may enforce.
const maxServiceAccountName = 64

// Spec implements step.Kind.
func (CreateReplacement) Spec() step.Spec {
	return step.Spec{
		Kind:    createKind,
		Summary: "Create a replacement OpenAI key (a new project service account)",
		Description: "Creates a service account named `name` in `project`; its key is the replacement (the Admin API " +
			"cannot create a user's key). `name` must contain the incident ID, e.g. " +
			"`respond-${{ steps.targets.outputs.label }}-${{ incident.id }}`; characters other than letters, digits, " +
			"'_', '.' and '-' become '-', and names longer than 64 characters are shortened, keeping the incident ID. Service accounts of this incident that are no longer usable " +
			"(one created by an earlier apply whose key value was not kept, or left by a crash) are deleted first, " +
			"so exactly one replacement remains. The create is never retried blindly: after a crash the step " +
			"lists the project's service accounts to clean up.",
		Mutates:    true,
		Idempotent: false,
		Params: []step.Param{
			{Name: "project", Type: step.String, Required: true, Description: "project ID (proj_…) to create the service account in"},
			{Name: "name", Type: step.String, Required: true, Description: "the service account's name; must contain the incident ID"},
		},
		Outputs: []step.Output{
			{Name: "key", Type: step.Secret, Secret: true, Description: "the replacement key's value"},
			{Name: "key_id", Type: step.String, Description: "the replacement key's ID (key_…)"},
			{Name: "service_account_id", Type: step.String, Description: "the new service account (svc_acct_…)"},
			{Name: "service_account_name", Type: step.String, Description: "its name, as created"},
			{Name: "redacted", Type: step.String, Description: "the replacement key, redacted"},
			{Name: "fingerprint", Type: step.String, Description: "the replacement key's fingerprint (sha256:…)"},
		},
	}
}

// createArgs are the step's parameters, checked.
type createArgs struct {
	project, name string
}

func createInput(c *step.Call) (createArgs, error) {
	a := createArgs{project: strings.TrimSpace(c.String("project")), name: strings.TrimSpace(c.String("name"))}
	switch {
	case a.project == "":
		return a, step.Permanent(badInputf("%s: `project` is empty: give the project ID (proj_…)", createKind))
	case a.name == "":
		return a, step.Permanent(badInputf("%s: `name` is empty: give the service account a name containing the incident ID", createKind))
	case c.Incident != "" && !strings.Contains(a.name, c.Incident):
		return a, step.Permanent(badInputf("%s: name %q does not contain the incident ID %s: respond deletes leftover "+
			"service accounts by name, so the name must be unique to the incident; use e.g. "+
			"`respond-${{ steps.targets.outputs.label }}-${{ incident.id }}`", createKind, a.name, c.Incident))
	}
	a.name = fitName(cleanName(a.name), c.Incident, maxServiceAccountName)
	return a, nil
}

// cleanName makes a service account name a readable identifier: runs of
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
func (CreateReplacement) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	a, err := createInput(c)
	if err != nil {
		return nil, err
	}
	return []step.Change{{
		Action: step.Create,
		Target: fmt.Sprintf("OpenAI project %s service account %s", a.project, a.name),
		Effect: "create a service account; its key is the replacement",
	}}, nil
}

// Apply implements step.Kind.
func (k CreateReplacement) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	a, err := createInput(c)
	if err != nil {
		return nil, err
	}
	oa, err := openAIClient(k.P, createKind)
	if err != nil {
		return nil, err
	}
	var deleted []string
	if c.Previous != nil {
		if id, _ := c.Previous.Outputs["service_account_id"].(string); id != "" {
			if err := deleteLeftover(ctx, oa, a.project, id); err != nil {
				return nil, err
			}
			c.Logf("deleted service account %s from the earlier run: its key value was not kept", id)
			deleted = append(deleted, id)
		}
	}
	more, err := deleteNamed(ctx, oa, c, a)
	if err != nil {
		return nil, err
	}
	deleted = append(deleted, more...)

	sa, key, err := oa.CreateServiceAccount(ctx, a.project, a.name)
	if err != nil {
		return nil, fmt.Errorf("%s: creating service account %q in project %s: %w; if it was created anyway, "+
			"`respond resume` finds and replaces it", createKind, a.name, a.project, err)
	}
	if c.Secrets != nil {
		c.Secrets.Add(key.Value)
	}
	if key.Value.IsZero() {
		return nil, fmt.Errorf("%s: service account %s was created without a key: delete it on the OpenAI dashboard and run `respond resume`", createKind, sa.ID)
	}
	if deleted == nil {
		deleted = []string{}
	}
	redacted := key.Value.Redacted()
	return &step.Result{
		Outputs: map[string]any{
			"key":                  key.Value,
			"key_id":               key.ID,
			"service_account_id":   sa.ID,
			"service_account_name": sa.Name,
			"redacted":             redacted,
			"fingerprint":          key.Value.Fingerprint(),
		},
		Evidence: map[string]any{
			"project":              a.project,
			"service_account_id":   sa.ID,
			"service_account_name": sa.Name,
			"key_id":               key.ID,
			"redacted":             redacted,
			"fingerprint":          key.Value.Fingerprint(),
			"created_at":           rfc3339(sa.Created),
			"deleted_leftovers":    deleted,
		},
		Summary: fmt.Sprintf("created service account %s (%s) in %s; its key %s (%s) is the replacement",
			sa.Name, sa.ID, a.project, key.ID, redacted),
	}, nil
}

// Reconcile implements step.Reconciler. An attempt that never recorded its
// end may have created a service account whose key value died with the
// process: every account bearing the step's name is deleted, and Apply
// creates a fresh one.
func (k CreateReplacement) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	a, err := createInput(c)
	if err != nil {
		return nil, false, err
	}
	oa, err := openAIClient(k.P, createKind)
	if err != nil {
		return nil, false, err
	}
	if _, err := deleteNamed(ctx, oa, c, a); err != nil {
		return nil, false, err
	}
	return nil, false, nil
}

// deleteNamed deletes every service account of the project named exactly
// a.name, and returns their IDs.
func deleteNamed(ctx context.Context, oa OpenAI, c *step.Call, a createArgs) ([]string, error) {
	sas, err := oa.ListServiceAccounts(ctx, a.project)
	if err != nil {
		return nil, fmt.Errorf("%s: looking for leftover service accounts named %q: %w", createKind, a.name, err)
	}
	var deleted []string
	for _, sa := range sas {
		if sa.Name != a.name {
			continue
		}
		if err := deleteLeftover(ctx, oa, a.project, sa.ID); err != nil {
			return deleted, err
		}
		c.Logf("deleted leftover service account %s (%s) of this incident: its key value was lost", sa.ID, sa.Name)
		deleted = append(deleted, sa.ID)
	}
	return deleted, nil
}

// deleteLeftover deletes a service account this incident no longer needs;
// one that is already gone is fine.
func deleteLeftover(ctx context.Context, oa OpenAI, project, id string) error {
	err := oa.DeleteServiceAccount(ctx, project, id)
	if err == nil || errors.Is(err, ErrNotFound) {
		return nil
	}
	return fmt.Errorf("%s: deleting leftover service account %s of this incident: %w", createKind, id, err)
}
