package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = KeyAwaitQuiet{}

// KeyAwaitQuiet is the `key.await_quiet` step kind: before a planned
// rotation revokes the old key, it watches the key for a while and makes
// sure nothing uses it any more. Every place the inventory names holds the
// replacement and every redeploy has finished by then, so a use now comes
// from something the inventory does not name, which revoking would break.
type KeyAwaitQuiet struct {
	Keys  *provider.Set
	alias string
	fixed string
}

const keyQuietKind = "key.await_quiet"

func (k KeyAwaitQuiet) kind() string { return firstNonEmpty(k.alias, keyQuietKind) }

// quietPoll is how often the key's last use is read while watching.
const quietPoll = 5 * time.Second

// Spec implements step.Kind.
func (k KeyAwaitQuiet) Spec() step.Spec {
	return step.Spec{
		Kind:    keyQuietKind,
		Summary: "Make sure nothing uses a key any more before it is revoked",
		Description: "Watches the key `key_id` of `scope` for `watch`: its last use, as the provider reports it " +
			"(OpenAI's last_used_at, AWS's GetAccessKeyLastUsed), must stay before the step started. A use during " +
			"the watch comes from something that still holds the key (every known target holds the replacement by " +
			"then), so the step fails, and the rotation stops before the revoke that would break it. `watch: 0s` " +
			"checks nothing. Only reads.",
		Reads:      true,
		Idempotent: true,
		Evidence:   evidence.KeyQuiet,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the provider that issued the key; empty: from the key ID's shape"},
			{Name: "scope", Type: step.String, Required: true, Description: "where the key lives"},
			{Name: "key_id", Type: step.String, Required: true, Description: "the key to watch"},
			{Name: "watch", Type: step.Duration, Default: time.Minute, Description: "how long the key must go unused (0s: do not watch)"},
		},
		Outputs: []step.Output{
			{Name: "quiet", Type: step.Bool, Description: "nothing used the key while it was watched"},
			{Name: "last_used", Type: step.String, Description: `the key's last use (RFC 3339), "" if never`},
		},
	}
}

// Plan implements step.Kind.
func (k KeyAwaitQuiet) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	title := "the"
	if p, err := resolveProvider(k.Keys, k.kind(), c, k.fixed); err == nil {
		title = p.spec.Title
	}
	watch := c.Duration("watch")
	target := title + " key " + c.String("key_id")
	if watch <= 0 {
		return []step.Change{{Action: step.NoOp, Target: target, Effect: "not watched (watch: 0s)"}}, nil
	}
	if p, err := resolveProvider(k.Keys, k.kind(), c, k.fixed); err == nil && !p.spec.Caps.LastUsed {
		return []step.Change{{Action: step.Ask, Target: target, Effect: p.spec.Title + " does not report a key's last use, so respond " +
			"cannot watch it: it asks whether anything the inventory does not name may still use it"}}, nil
	}
	return []step.Change{{Action: step.Read, Target: target, Effect: fmt.Sprintf("watch it for %s: nothing may use it any more", watch)}}, nil
}

// Apply implements step.Kind.
func (k KeyAwaitQuiet) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	kind := k.kind()
	p, err := resolveProvider(k.Keys, kind, c, k.fixed)
	if err != nil {
		return nil, err
	}
	key := provider.KeyInfo{Provider: p.spec.Name, Scope: strings.TrimSpace(c.String("scope")), ID: strings.TrimSpace(c.String("key_id"))}
	if key.Scope == "" || key.ID == "" {
		return nil, badInputf("%s: `%s` and `key_id` are required", kind, scopeName(p, k.fixed))
	}
	watch := c.Duration("watch")
	if watch <= 0 {
		return &step.Result{Outputs: map[string]any{"quiet": true, "last_used": ""},
			Evidence: evidence.Map(evidence.KeyQuiet, evidence.Quiet{Watched: "0s", Quiet: true}), Summary: "not watched (watch: 0s)"}, nil
	}
	if !p.spec.Caps.LastUsed {
		// Nothing to watch: "unknown" is not "never". A person decides.
		q := fmt.Sprintf("%s does not report a key's last use, so respond cannot tell whether something the inventory does not name "+
			"still uses %s. Every target it names holds the verified replacement. Go on and revoke it?", p.spec.Title, key.ID)
		if c.Approver == nil {
			return nil, step.Permanent(fmt.Errorf("%s: %s", kind, q))
		}
		a, err := c.Approver.Approve(ctx, q)
		if err != nil {
			return nil, err
		}
		if !a.Approved {
			return nil, step.ErrDeclined
		}
		return &step.Result{Outputs: map[string]any{"quiet": true, "last_used": ""},
			Evidence: evidence.Map(evidence.KeyQuiet, evidence.Quiet{Watched: "0s", Quiet: true}),
			Summary: fmt.Sprintf("not watched: %s does not report a key's last use; %s approved going on (%s)", p.spec.Title,
				firstNonEmpty(a.By, "the responder"), firstNonEmpty(a.How, "asked"))}, nil
	}
	// Providers report last use to the second: a use in the second the
	// watch began cannot be told apart, so it starts a second later.
	start := time.Now().Truncate(time.Second).Add(time.Second)
	deadline := time.Now().Add(watch)
	c.Logf("watching %s for %s: nothing may use it any more", key.ID, watch)
	var last *time.Time
	for {
		last, err = p.LastUsed(ctx, key)
		switch {
		case errors.Is(err, ErrNotFound):
			return &step.Result{Outputs: map[string]any{"quiet": true, "last_used": ""},
				Evidence: evidence.Map(evidence.KeyQuiet, evidence.Quiet{Watched: watch.String(), Quiet: true, Gone: true}),
				Summary:  key.ID + " is already gone: nothing can use it"}, nil
		case err != nil:
			return nil, fmt.Errorf("%s: reading the last use of %s: %w", kind, key.ID, err)
		}
		if last != nil && !last.Before(start) {
			return nil, step.Permanent(fmt.Errorf("%s: key %s was used at %s, after every target named in the inventory held the "+
				"replacement and every redeploy had finished: something the inventory does not name still uses it, and revoking "+
				"it now would break that; find it (%s shows the key's recent use), add it to the inventory's targets, and run "+
				"`respond resume %s` (or pass --force to a new rotation to revoke it anyway)",
				kind, key.ID, last.UTC().Format(time.RFC3339), p.spec.Title, c.Incident))
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(quietPoll, time.Until(deadline))):
		}
	}
	lu := ""
	if last != nil {
		lu = rfc3339(*last)
	}
	return &step.Result{
		Outputs:  map[string]any{"quiet": true, "last_used": lu},
		Evidence: evidence.Map(evidence.KeyQuiet, evidence.Quiet{Watched: watch.String(), LastUsed: lu, Quiet: true}),
		Summary:  fmt.Sprintf("nothing used %s for %s", key.ID, watch),
	}, nil
}
