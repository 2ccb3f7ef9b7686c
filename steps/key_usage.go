package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = KeyUsageStep{}

// KeyUsageStep is the `key.usage` step kind: it reads what a key was used
// for around its exposure, for the incident report, from a baseline week
// before the exposure started to now (OpenAI: the Usage API's hourly
// completions, grouped by key, and the project's spend controls; AWS: the
// key's last use and its CloudTrail events by hour). It only reads.
type KeyUsageStep struct {
	Keys *provider.Set
	// Now is the clock (tests); nil means time.Now.
	Now   func() time.Time
	alias string
	fixed string
}

const keyUsageKind = "key.usage"

func (k KeyUsageStep) kind() string { return firstNonEmpty(k.alias, keyUsageKind) }

// Usage windows.
const (
	// UsageBaseline is how long before the exposure the baseline runs.
	UsageBaseline = 7 * 24 * time.Hour
	// usageDefaultExposure is the exposure assumed when `since` is empty.
	usageDefaultExposure = 7 * 24 * time.Hour
	// usageMaxWindow bounds the whole window (baseline + exposure), so a key
	// exposed for years does not fill the journal with buckets.
	usageMaxWindow = 90 * 24 * time.Hour
)

// Spec implements step.Kind.
func (k KeyUsageStep) Spec() step.Spec {
	return step.Spec{
		Kind:    keyUsageKind,
		Summary: "Read a key's use during its exposure (and the scope's spend controls, where the provider has them)",
		Description: "Reads what key `key_id` in `scope` was used for, in hourly buckets, from a week before `since` " +
			"(the baseline) to now, and records every non-empty hour and the totals before and since `since` in its " +
			"evidence: for OpenAI the Usage API's completions usage grouped by key, and the project's hard spend " +
			"limit and spend alerts (if they cannot be read the evidence says so and the step still succeeds); for " +
			"AWS the key's last use and its CloudTrail events. `since` is when the key was first exposed (RFC 3339, " +
			"e.g. key.identify's exposed_since); empty means 7 days ago. The whole window is capped at 90 days. The " +
			"report compares the rate during the exposure with the baseline and lists anything used after " +
			"revocation. Only reads.",
		Reads:      true,
		Idempotent: true,
		Evidence:   evidence.KeyUsage,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the provider that issued the key; empty: from the key ID's shape"},
			{Name: "scope", Type: step.String, Required: true, Description: "where the key lives"},
			{Name: "key_id", Type: step.String, Required: true, Description: "the key whose use to read"},
			{Name: "since", Type: step.String, Description: `when the key was first exposed (RFC 3339); empty: 7 days ago`},
		},
		Outputs: []step.Output{
			{Name: "requests_during", Type: step.Int, Description: "requests made with the key since `since`"},
			{Name: "requests_before", Type: step.Int, Description: "requests made with the key in the baseline week before `since`"},
			{Name: "has_spend_limit", Type: step.Bool, Description: "the scope has a hard spend limit"},
			{Name: "spend_alerts", Type: step.Int, Description: "how many spend alerts the scope has"},
		},
	}
}

type usageArgs struct {
	p          keyProvider
	key        provider.KeyInfo
	since      time.Time
	sinceGiven bool
}

func (k KeyUsageStep) now() time.Time {
	if k.Now != nil {
		return k.Now().UTC()
	}
	return time.Now().UTC()
}

func (k KeyUsageStep) input(c *step.Call) (usageArgs, error) {
	kind := k.kind()
	p, err := resolveProvider(k.Keys, kind, c, k.fixed)
	if err != nil {
		return usageArgs{}, err
	}
	a := usageArgs{p: p, key: provider.KeyInfo{Provider: p.spec.Name, Scope: strings.TrimSpace(c.String("scope")), ID: strings.TrimSpace(c.String("key_id"))}}
	if a.key.Scope == "" || a.key.ID == "" {
		return a, badInputf("%s: step %q needs both `%s` and `key_id`", kind, c.StepID, scopeName(p, k.fixed))
	}
	now := k.now()
	a.since = now.Add(-usageDefaultExposure)
	if s := strings.TrimSpace(c.String("since")); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return a, badInputf("%s: since %q is not an RFC 3339 time such as 2026-11-27T16:12:00Z", kind, s)
		}
		a.since, a.sinceGiven = t.UTC(), true
	}
	if a.since.After(now) {
		a.since = now
	}
	return a, nil
}

// window is [start, end) of the usage read: the baseline week before
// since, to the end of the current hour, capped at usageMaxWindow.
func (a usageArgs) window(now time.Time) (start, end time.Time) {
	end = now.Truncate(time.Hour).Add(time.Hour)
	start = a.since.Add(-UsageBaseline).Truncate(time.Hour)
	if end.Sub(start) > usageMaxWindow {
		start = end.Add(-usageMaxWindow)
	}
	return start, end
}

// Plan implements step.Kind.
func (k KeyUsageStep) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	a, err := k.input(c)
	if err != nil {
		return nil, err
	}
	ch := []step.Change{{Action: step.Read, Target: a.p.spec.Title + " usage of key " + a.key.ID, Effect: "hourly use from a week before the exposure to now"}}
	if !a.p.spec.Caps.Usage {
		ch[0].Effect = a.p.spec.Title + " does not count a key's use: only its last use, where it reports one"
		if !a.p.spec.Caps.LastUsed {
			ch[0].Effect = a.p.spec.Title + " reports neither a key's use nor its last use: the report says to review its logs"
		}
	}
	if a.p.spec.Caps.SpendControls {
		ch[0].Effect = "hourly requests and tokens from a week before the exposure to now"
		ch = append(ch, step.Change{Action: step.Read, Target: a.p.spec.Title + " " + a.p.spec.Scope.Kind + " " + a.key.Scope, Effect: "spend limit and spend alerts"})
	}
	return ch, nil
}

// Apply implements step.Kind.
func (k KeyUsageStep) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	a, err := k.input(c)
	if err != nil {
		return nil, err
	}
	now := k.now()
	start, end := a.window(now)
	c.Logf("reading the usage of %s from %s to %s", a.key.ID, rfc3339(start), rfc3339(end))
	u, err := a.p.Usage(ctx, a.key, start, end, c.Logf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; the report will have no usage section unless this step succeeds (`respond resume` retries it)", k.kind(), err)
	}
	u.WindowStart, u.WindowEnd, u.ExposedSince = rfc3339(start), rfc3339(end), rfc3339(a.since)
	u.LastUseUnknown = u.LastUsed == "" && !a.p.spec.Caps.LastUsed
	u.SpendControlsError = registry(c).MaskString(u.SpendControlsError)
	var before, during int64
	for _, b := range u.Buckets {
		t, _ := time.Parse(time.RFC3339, b.Start)
		if t.Before(a.since.Truncate(time.Hour)) {
			before += b.Requests
		} else {
			during += b.Requests
		}
	}
	summary := fmt.Sprintf("%s: %d request(s) since %s, %d in the baseline week before", a.key.ID, during, rfc3339(a.since), before)
	if u.NotCounted {
		last := orNever(u.LastUsed)
		if u.LastUseUnknown {
			last = "unknown"
		}
		summary = fmt.Sprintf("%s: requests not counted (%s); last used %s", a.key.ID, u.Source, last)
	}
	switch {
	case u.SpendControls == "" && u.SpendControlsError == "":
		// The provider has no spend controls to read.
	case u.SpendControls != "read":
		summary += "; spend controls of " + a.key.Scope + " unknown"
	case !u.HasSpendLimit && u.SpendAlerts == 0:
		summary += "; " + a.key.Scope + " has no spend limit and no spend alerts"
	default:
		summary += fmt.Sprintf("; %s: spend limit %v, %d spend alert(s)", a.key.Scope, u.HasSpendLimit, u.SpendAlerts)
	}
	return &step.Result{
		Outputs: map[string]any{
			"requests_during": int(during), "requests_before": int(before),
			"has_spend_limit": u.HasSpendLimit, "spend_alerts": u.SpendAlerts,
		},
		Evidence: evidence.Map(evidence.KeyUsage, u),
		Summary:  summary,
	}, nil
}

// orNever is an RFC 3339 time, or "never".
func orNever(t string) string {
	if t == "" {
		return "never"
	}
	return t
}
