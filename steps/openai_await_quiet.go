package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = AwaitQuiet{}

// AwaitQuiet is the `openai.await_quiet` step kind: before a planned
// rotation revokes the old key, it watches the key for a while and makes
// sure nothing uses it any more. Every place the inventory names holds the
// replacement and every redeploy has finished by then, so a use now comes
// from something the inventory does not name, which revoking would break.
type AwaitQuiet struct {
	P *Providers
}

const awaitQuietKind = "openai.await_quiet"

// quietPoll is how often the key's last use is read while watching.
const quietPoll = 5 * time.Second

// Spec implements step.Kind.
func (AwaitQuiet) Spec() step.Spec {
	return step.Spec{
		Kind:    awaitQuietKind,
		Summary: "Make sure nothing uses a key any more before it is revoked",
		Description: "Watches the key `key_id` of `project` for `watch`: its last use, as the Admin API reports it " +
			"(last_used_at), must stay before the step started. A use during the watch comes from something that " +
			"still holds the key (every known target holds the replacement by then), so the step fails, and the " +
			"rotation stops before the revoke that would break it. `watch: 0s` checks nothing. Only reads.",
		Reads:      true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "project", Type: step.String, Required: true, Description: "project ID (proj_…) holding the key"},
			{Name: "key_id", Type: step.String, Required: true, Description: "the key to watch (key_…)"},
			{Name: "watch", Type: step.Duration, Default: time.Minute, Description: "how long the key must go unused (0s: do not watch)"},
		},
		Outputs: []step.Output{
			{Name: "quiet", Type: step.Bool, Description: "nothing used the key while it was watched"},
			{Name: "last_used", Type: step.String, Description: `the key's last use (RFC 3339), "" if never`},
		},
	}
}

// Plan implements step.Kind.
func (AwaitQuiet) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	watch := c.Duration("watch")
	if watch <= 0 {
		return []step.Change{{Action: step.NoOp, Target: "OpenAI key " + c.String("key_id"), Effect: "not watched (watch: 0s)"}}, nil
	}
	return []step.Change{{Action: step.Read, Target: "OpenAI key " + c.String("key_id"),
		Effect: fmt.Sprintf("watch it for %s: nothing may use it any more", watch)}}, nil
}

// Apply implements step.Kind.
func (k AwaitQuiet) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	project, keyID := strings.TrimSpace(c.String("project")), strings.TrimSpace(c.String("key_id"))
	if project == "" || keyID == "" {
		return nil, step.Errorf("%s: `project` and `key_id` are required", awaitQuietKind)
	}
	watch := c.Duration("watch")
	if watch <= 0 {
		return &step.Result{Outputs: map[string]any{"quiet": true, "last_used": ""}, Evidence: map[string]any{"watched": "0s"},
			Summary: "not watched (watch: 0s)"}, nil
	}
	oa, err := openAIClient(k.P, awaitQuietKind)
	if err != nil {
		return nil, err
	}
	// The API reports last use to the second: a use in the second the
	// watch began cannot be told apart, so it starts a second later.
	start := time.Now().Truncate(time.Second).Add(time.Second)
	deadline := time.Now().Add(watch)
	c.Logf("watching %s for %s: nothing may use it any more", keyID, watch)
	var last *time.Time
	for {
		key, err := oa.GetProjectKey(ctx, project, keyID)
		switch {
		case errors.Is(err, ErrNotFound):
			return &step.Result{Outputs: map[string]any{"quiet": true, "last_used": ""},
				Evidence: map[string]any{"watched": watch.String(), "gone": true},
				Summary:  keyID + " is already gone: nothing can use it"}, nil
		case err != nil:
			return nil, fmt.Errorf("%s: reading the last use of %s: %w", awaitQuietKind, keyID, err)
		}
		last = key.LastUsed
		if last != nil && !last.Before(start) {
			return nil, step.Permanent(fmt.Errorf("%s: key %s was used at %s, after every target named in the inventory held the "+
				"replacement and every redeploy had finished: something the inventory does not name still uses it, and revoking "+
				"it now would break that; find it (the OpenAI usage page shows the key's recent requests), add it to the inventory's "+
				"targets, and run `respond resume %s` (or pass --force to a new rotation to revoke it anyway)",
				awaitQuietKind, keyID, last.UTC().Format(time.RFC3339), c.Incident))
		}
		if !time.Now().Before(deadline) {
			break
		}
		wait := min(quietPoll, time.Until(deadline))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	lu := ""
	if last != nil {
		lu = rfc3339(*last)
	}
	return &step.Result{
		Outputs:  map[string]any{"quiet": true, "last_used": lu},
		Evidence: map[string]any{"watched": watch.String(), "last_used": lu, "quiet": true},
		Summary:  fmt.Sprintf("nothing used %s for %s", keyID, watch),
	}, nil
}
