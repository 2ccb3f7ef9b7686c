package steps

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/step"
)

// maxAlertComment is the longest resolution comment respond sends.
const maxAlertComment = 280

// GitHubResolveAlert is the `github.resolve_alert` step kind: it closes a
// secret-scanning alert once the leaked secret is dealt with.
type GitHubResolveAlert struct{ P *Providers }

// Spec implements step.Kind.
func (GitHubResolveAlert) Spec() step.Spec {
	return step.Spec{
		Kind:    "github.resolve_alert",
		Summary: "Close a GitHub secret-scanning alert",
		Description: "Resolves the secret-scanning alert `alert` (OWNER/REPO#NUMBER) with `resolution` " +
			"(revoked by default, once the key is revoked) and a comment for the audit trail. " +
			"An alert already resolved that way is left alone and the step succeeds. " +
			"The token must belong to a repository administrator, with the repo or security_events scope " +
			"(classic) or Secret scanning alerts: write (fine-grained).",
		Mutates:    true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "alert", Type: step.String, Required: true, Description: "the alert, OWNER/REPO#NUMBER, e.g. acme/api#12"},
			{Name: "resolution", Type: step.String, Default: "revoked", Enum: []string{"false_positive", "wont_fix", "revoked", "used_in_tests"},
				Description: "why the alert is closed"},
			{Name: "comment", Type: step.String,
				Description: "the resolution comment (at most 280 characters; longer ones are cut with …); default \"Resolved by respond, incident <ID>\""},
		},
		Outputs: []step.Output{
			{Name: "state", Type: step.String, Description: "the alert's state afterwards (resolved)"},
			{Name: "html_url", Type: step.String, Description: "the alert's page on GitHub"},
		},
	}
}

type alertCall struct {
	owner, repo         string
	number              int
	resolution, comment string
}

func (a alertCall) String() string { return fmt.Sprintf("%s/%s#%d", a.owner, a.repo, a.number) }

func alertParams(c *step.Call) (alertCall, error) {
	var a alertCall
	var err error
	a.owner, a.repo, a.number, err = parseAlertRef(c.String("alert"))
	if err != nil {
		return a, step.Permanent(fmt.Errorf("github.resolve_alert: %w", err))
	}
	a.resolution = c.String("resolution")
	switch a.resolution {
	case "":
		a.resolution = "revoked"
	case "false_positive", "wont_fix", "revoked", "used_in_tests":
	default:
		return a, step.Errorf("github.resolve_alert: resolution %q must be false_positive, wont_fix, revoked or used_in_tests", a.resolution)
	}
	a.comment = c.String("comment")
	if a.comment == "" {
		a.comment = "Resolved by respond"
		if c.Incident != "" {
			a.comment += ", incident " + c.Incident
		}
	}
	a.comment = truncateRunes(a.comment, maxAlertComment)
	return a, nil
}

// truncateRunes cuts s to at most n characters, ending with … when cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Plan implements step.Kind. It reads the alert, so the plan says whether
// there is anything to do.
func (k GitHubResolveAlert) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	a, err := alertParams(c)
	if err != nil {
		return nil, err
	}
	gh, err := ghClient(k.P, "github.resolve_alert")
	if err != nil {
		return nil, err
	}
	cur, err := gh.GetAlert(ctx, a.owner, a.repo, a.number)
	if err != nil {
		return nil, fmt.Errorf("github.resolve_alert: %w", err)
	}
	ghRegister(c, cur.Secret)
	if cur.State == "resolved" && cur.Resolution == a.resolution {
		return []step.Change{{Action: step.NoOp, Target: "alert " + a.String(), Effect: "already resolved as " + a.resolution}}, nil
	}
	return []step.Change{{Action: step.Update, Target: "alert " + a.String(),
		Effect: fmt.Sprintf("resolve as %s with comment %q", a.resolution, a.comment)}}, nil
}

// Apply implements step.Kind.
func (k GitHubResolveAlert) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	a, err := alertParams(c)
	if err != nil {
		return nil, err
	}
	gh, err := ghClient(k.P, "github.resolve_alert")
	if err != nil {
		return nil, err
	}
	cur, err := gh.GetAlert(ctx, a.owner, a.repo, a.number)
	if err != nil {
		return nil, fmt.Errorf("github.resolve_alert: %w", err)
	}
	ghRegister(c, cur.Secret)
	ev := map[string]any{"alert": a.String()}
	if cur.State == "resolved" && cur.Resolution == a.resolution {
		ev["already_resolved"] = true
		ev["state"], ev["resolution"], ev["html_url"] = cur.State, cur.Resolution, cur.HTMLURL
		return &step.Result{
			Outputs:  map[string]any{"state": cur.State, "html_url": cur.HTMLURL},
			Evidence: ev,
			Summary:  fmt.Sprintf("alert %s was already resolved as %s", a, a.resolution),
		}, nil
	}
	c.Logf("resolving alert %s as %s", a, a.resolution)
	res, err := gh.ResolveAlert(ctx, a.owner, a.repo, a.number, a.resolution, a.comment)
	if err != nil {
		return nil, fmt.Errorf("github.resolve_alert: %w", err)
	}
	ghRegister(c, res.Secret)
	ev["already_resolved"] = false
	ev["state"], ev["resolution"], ev["html_url"] = res.State, res.Resolution, res.HTMLURL
	ev["resolved_at"] = time.Now().UTC().Format(time.RFC3339)
	ev["comment"] = a.comment
	ev["previous_state"] = cur.State
	return &step.Result{
		Outputs:  map[string]any{"state": res.State, "html_url": res.HTMLURL},
		Evidence: ev,
		Summary:  fmt.Sprintf("resolved alert %s as %s", a, res.Resolution),
	}, nil
}
