package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = KeyUsage{}

// KeyUsage is the `openai.key_usage` step kind: it reads what a key was
// used for around its exposure, for the incident report. It asks the Usage
// API for the key's completions usage in hourly buckets (grouped by
// api_key_id) from a baseline week before the exposure started to now,
// and the project's spend limit and spend alerts, which the report's
// follow-ups name when they are missing. It only reads.
//
// The evidence holds every non-empty hourly bucket (start, end, requests,
// input_tokens, output_tokens) and totals before and since the exposure.
// The report splits the buckets again at the revocation time it finds in
// the journal, to show anything used after revocation.
type KeyUsage struct {
	P *Providers
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

const usageKind = "openai.key_usage"

// Usage windows.
const (
	// UsageBaseline is how long before the exposure the baseline runs.
	UsageBaseline = 7 * 24 * time.Hour
	// usageDefaultExposure is the exposure assumed when `since` is empty.
	usageDefaultExposure = 7 * 24 * time.Hour
	// usageMaxWindow bounds the whole window (baseline + exposure), so a key
	// exposed for years does not fill the journal with buckets: a longer
	// exposure is read from its last 90 days minus the baseline.
	usageMaxWindow = 90 * 24 * time.Hour
)

// Spec implements step.Kind.
func (KeyUsage) Spec() step.Spec {
	return step.Spec{
		Kind:    usageKind,
		Summary: "Read a key's usage during its exposure, and the project's spend controls",
		Description: "Reads the completions usage of key `key_id` in `project` from the Usage API, in hourly buckets " +
			"grouped by api_key_id, from a week before `since` (the baseline) to now, and records every non-empty " +
			"hour (requests, input and output tokens) and the totals before and since `since` in its evidence. " +
			"`since` is when the key was first exposed (RFC 3339, e.g. openai.identify_key's exposed_since); empty " +
			"means 7 days ago. The whole window is capped at 90 days. It also reads the project's hard spend limit " +
			"and spend alerts; if they cannot be read (for example the admin key lacks the permission), the evidence " +
			"says so and the step still succeeds. The report compares the hourly rate during the exposure with the " +
			"baseline and lists anything used after revocation. Only reads.",
		Reads:      true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "project", Type: step.String, Required: true, Description: "project ID (proj_…) of the key"},
			{Name: "key_id", Type: step.String, Required: true, Description: "the key whose usage to read (key_…)"},
			{Name: "since", Type: step.String, Description: `when the key was first exposed (RFC 3339); empty: 7 days ago`},
		},
		Outputs: []step.Output{
			{Name: "requests_during", Type: step.Int, Description: "requests made with the key since `since`"},
			{Name: "requests_before", Type: step.Int, Description: "requests made with the key in the baseline week before `since`"},
			{Name: "has_spend_limit", Type: step.Bool, Description: "the project has a hard spend limit"},
			{Name: "spend_alerts", Type: step.Int, Description: "how many spend alerts the project has"},
		},
	}
}

// usageArgs are the step's parameters, checked.
type usageArgs struct {
	project, keyID string
	since          time.Time
	sinceGiven     bool
}

func (k KeyUsage) now() time.Time {
	if k.Now != nil {
		return k.Now().UTC()
	}
	return time.Now().UTC()
}

func (k KeyUsage) input(c *step.Call) (usageArgs, error) {
	a := usageArgs{project: strings.TrimSpace(c.String("project")), keyID: strings.TrimSpace(c.String("key_id"))}
	if a.project == "" || a.keyID == "" {
		return a, step.Permanent(badInputf("%s: step %q needs both `project` (proj_…) and `key_id` (key_…)", usageKind, c.StepID))
	}
	now := k.now()
	a.since = now.Add(-usageDefaultExposure)
	if s := strings.TrimSpace(c.String("since")); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return a, step.Permanent(badInputf("%s: since %q is not an RFC 3339 time such as 2026-11-27T16:12:00Z", usageKind, s))
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
func (k KeyUsage) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	a, err := k.input(c)
	if err != nil {
		return nil, err
	}
	return []step.Change{
		{Action: step.Read, Target: "OpenAI usage of key " + a.keyID, Effect: "hourly requests and tokens from a week before the exposure to now"},
		{Action: step.Read, Target: "OpenAI project " + a.project, Effect: "spend limit and spend alerts"},
	}, nil
}

// usageTotals sums buckets.
type usageTotals struct {
	Requests, InputTokens, OutputTokens int64
	Hours                               int // non-empty hours
}

func (t *usageTotals) add(b UsageBucket) {
	t.Requests += b.Requests
	t.InputTokens += b.InputTokens
	t.OutputTokens += b.OutputTokens
	t.Hours++
}

func (t usageTotals) evidence() map[string]any {
	return map[string]any{"requests": t.Requests, "input_tokens": t.InputTokens, "output_tokens": t.OutputTokens, "active_hours": t.Hours}
}

// Apply implements step.Kind.
func (k KeyUsage) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	a, err := k.input(c)
	if err != nil {
		return nil, err
	}
	oa, err := openAIClient(k.P, usageKind)
	if err != nil {
		return nil, err
	}
	now := k.now()
	start, end := a.window(now)
	c.Logf("reading the usage of %s from %s to %s", a.keyID, rfc3339(start), rfc3339(end))
	buckets, err := oa.Usage(ctx, a.project, []string{a.keyID}, start, end)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the usage of key %s in project %s: %w; the report will have no usage section "+
			"unless this step succeeds (`respond resume` retries it)", usageKind, a.keyID, a.project, err)
	}
	var before, during usageTotals
	list := make([]any, 0, len(buckets))
	for _, b := range buckets {
		if b.KeyID != "" && b.KeyID != a.keyID {
			continue
		}
		if b.Requests == 0 && b.InputTokens == 0 && b.OutputTokens == 0 {
			continue
		}
		if b.Start.Before(a.since.Truncate(time.Hour)) {
			before.add(b)
		} else {
			during.add(b)
		}
		list = append(list, map[string]any{
			"start": rfc3339(b.Start), "end": rfc3339(b.End),
			"requests": b.Requests, "input_tokens": b.InputTokens, "output_tokens": b.OutputTokens,
		})
	}
	ev := map[string]any{
		"project":         a.project,
		"key_id":          a.keyID,
		"window_start":    rfc3339(start),
		"window_end":      rfc3339(end),
		"exposed_since":   rfc3339(a.since),
		"since_given":     a.sinceGiven,
		"baseline_hours":  int(a.since.Truncate(time.Hour).Sub(start) / time.Hour),
		"bucket_width":    "1h",
		"buckets":         list,
		"before":          before.evidence(),
		"during":          during.evidence(),
		"read_at":         rfc3339(now),
		"spend_limit":     nil,
		"has_spend_limit": false,
		"spend_alerts":    0,
		"spend_controls":  "read",
	}
	sc, serr := oa.SpendControls(ctx, a.project)
	if serr != nil {
		ev["spend_controls"] = "unknown"
		ev["spend_controls_error"] = registry(c).MaskString(serr.Error())
		c.Logf("could not read the spend controls of %s: %v", a.project, serr)
	} else {
		if sc.Limit != nil {
			ev["has_spend_limit"] = true
			ev["spend_limit"] = map[string]any{
				"amount_cents": sc.Limit.AmountCents, "currency": sc.Limit.Currency,
				"interval": sc.Limit.Interval, "enforcement": sc.Limit.Enforcement,
			}
			ev["spend_limit_text"] = fmt.Sprintf("%s %s per %s", money(sc.Limit.AmountCents), sc.Limit.Currency, sc.Limit.Interval)
		}
		ev["spend_alerts"] = len(sc.Alerts)
	}

	summary := fmt.Sprintf("%s: %d request(s) since %s, %d in the baseline week before", a.keyID, during.Requests, rfc3339(a.since), before.Requests)
	switch {
	case serr != nil:
		summary += "; spend controls of " + a.project + " unknown"
	case sc.Limit == nil && len(sc.Alerts) == 0:
		summary += "; " + a.project + " has no spend limit and no spend alerts"
	default:
		summary += fmt.Sprintf("; %s: spend limit %v, %d spend alert(s)", a.project, sc.Limit != nil, len(sc.Alerts))
	}
	return &step.Result{
		Outputs: map[string]any{
			"requests_during": int(during.Requests),
			"requests_before": int(before.Requests),
			"has_spend_limit": ev["has_spend_limit"],
			"spend_alerts":    ev["spend_alerts"],
		},
		Evidence: ev,
		Summary:  summary,
	}, nil
}

// money formats cents as 1234.56.
func money(cents int64) string {
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}
