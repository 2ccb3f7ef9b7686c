package openai

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/openaiapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
)

// OpenAI's own checks for `respond audit`.
const (
	checkUserOwned   = "openai.user-owned-key"
	checkUsageSpike  = "openai.usage-spike"
	checkAdminOld    = "openai.admin-key-old"
	checkAdminMany   = "openai.admin-keys-many"
	checkNoSpendCtrl = "openai.no-spend-controls"
)

// Thresholds of the checks.
const (
	// spikeFactor: the last 24 hours' requests above this many times the
	// key's daily average of the 3 days before are a spike…
	spikeFactor = 3
	// spikeFloor: …and above this many requests (a quiet key doubling is
	// not one).
	spikeFloor = 200
	// baselineDays of usage before the last 24 hours make the baseline.
	baselineDays = 3
	// adminMaxAge: admin keys older than this are old.
	adminMaxAge = 90 * 24 * time.Hour
	// adminMany: more admin keys than this are many.
	adminMany = 2
)

func init() {
	audit.Register(
		audit.Check{ID: checkUserOwned, Area: "OpenAI", Title: "production key owned by a person",
			Severity: audit.High, Practice: audit.LeastPrivilege,
			What: "The owner of each key an inventory credential names (keys deployed to services): a user rather than a service account.",
			Why:  "A user's key carries that person's access to the project and stops working when they leave it; a service account's key is scoped to the service and to no one.",
			Fix:  "`respond rotate --credential NAME`: the replacement is a service account's key."},
		audit.Check{ID: checkUsageSpike, Area: "OpenAI", Title: "usage far above the key's baseline",
			Severity: audit.High, Practice: audit.Monitoring,
			What: "Each key's requests in the last 24 hours against its daily average of the 3 days before (the Usage API, completions, grouped by api_key_id): 3 times more and over 200 requests.",
			Why:  "A sudden rise is what a leaked key looks like from the bill: someone else is using it.",
			Fix:  "Check the key's usage on the dashboard; if it is not yours, `respond leaked-key --key-id KEY --project PROJECT`."},
		audit.Check{ID: checkAdminOld, Area: "OpenAI", Title: "old admin key",
			Severity: audit.Medium, Practice: audit.Rotation,
			What: "Each organization admin key's age (over 90 days) and whether it expires.",
			Why:  "An admin key can create and delete every key of the organization: its leak is the worst one, and its age is its exposure.",
			Fix:  "Create a new admin key (with an expiry), move what uses the old one to it, and delete the old one (Organization settings → Admin keys)."},
		audit.Check{ID: checkAdminMany, Area: "OpenAI", Title: "many admin keys",
			Severity: audit.Low, Practice: audit.LeastPrivilege,
			What: "How many admin keys the organization has (more than 2).",
			Why:  "Every admin key is a key to everything; each one more is one more to leak.",
			Fix:  "Delete the admin keys nothing needs (Organization settings → Admin keys)."},
		audit.Check{ID: checkNoSpendCtrl, Area: "OpenAI", Title: "project without spend limit or alerts",
			Severity: audit.Medium, Practice: audit.Monitoring,
			What: "Each active project's hard spend limit and spend alerts (GET …/spend_limit and …/spend_alerts).",
			Why:  "Without them, a leaked key spends until someone reads the bill.",
			Fix:  "Set a monthly budget and an alert on the project (Project settings → Limits)."},
	)
}

// auditAPI is the Admin API as the audit uses it.
type auditAPI interface {
	ListProjects(ctx context.Context) ([]openaiapi.Project, error)
	ListAdminKeys(ctx context.Context) ([]openaiapi.AdminKey, error)
	SpendControls(ctx context.Context, projectID string) (openaiapi.SpendControls, error)
	Usage(ctx context.Context, projectID string, keyIDs []string, start, end time.Time) ([]openaiapi.UsageBucket, error)
}

var _ auditAPI = (*openaiapi.Client)(nil)

var _ provider.Auditor = adapter{}

// Audit implements provider.Auditor.
func (o adapter) Audit(ctx context.Context, r provider.AuditRequest) (provider.AuditResult, error) {
	var res provider.AuditResult
	oa, err := plugin.SharedAs[auditAPI](o.env, openaiapi.SharedKey, openaiapi.Build(o.env))
	if err != nil {
		return res, err
	}
	var mu sync.Mutex
	count := func(n int) { mu.Lock(); res.Requests += n; mu.Unlock() }
	skip := func(format string, args ...any) {
		mu.Lock()
		res.Skipped = append(res.Skipped, fmt.Sprintf(format, args...))
		mu.Unlock()
	}

	// Keys deployed to services that a person owns.
	for _, c := range r.Credentials {
		k := c.Key
		if k == nil || k.Owner.Type != "user" {
			continue
		}
		subject := fmt.Sprintf("OpenAI API key %s in project %s", k.ID, k.Scope)
		r.Report(audit.New(checkUserOwned, subject,
			fmt.Sprintf("credential %s deploys %s (%s), which %s owns, to %d place(s)", c.Name, k.ID, k.Name, provider.DescribeOwner(k.Owner), c.Targets),
			fmt.Sprintf("`respond rotate --credential %s` (the replacement is a service account's key)", c.Name),
			"owner: "+provider.DescribeOwner(k.Owner), "credential: "+c.Name, fmt.Sprintf("targets: %d", c.Targets)))
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		keys, err := oa.ListAdminKeys(ctx)
		count(1)
		if err != nil {
			skip("admin keys could not be listed: %v", err)
			return
		}
		if len(keys) > adminMany {
			ids := make([]string, len(keys))
			for i, k := range keys {
				ids[i] = k.ID
			}
			sort.Strings(ids)
			r.Report(audit.New(checkAdminMany, "the organization's admin keys",
				fmt.Sprintf("the organization has %d admin keys", len(keys)),
				"delete the admin keys nothing needs (Organization settings → Admin keys)",
				append([]string{fmt.Sprintf("admin keys: %d", len(keys))}, ids...)...))
		}
		for _, k := range keys {
			age := r.Now.Sub(k.Created)
			if age <= adminMaxAge {
				continue
			}
			expires := "never"
			if !k.Expires.IsZero() {
				expires = k.Expires.UTC().Format(time.DateOnly)
			}
			r.Report(audit.New(checkAdminOld, "OpenAI admin key "+k.ID,
				fmt.Sprintf("admin key %s (%s) is %d days old and expires %s", k.ID, k.Name, int(age.Hours()/24), expires),
				fmt.Sprintf("create a new admin key with an expiry, move what uses %s to it, then delete %s", k.ID, k.ID),
				"created: "+k.Created.UTC().Format(time.DateOnly), "expires: "+expires, "owner: "+k.Owner))
		}
	})
	wg.Go(func() {
		projects, err := oa.ListProjects(ctx)
		count(1)
		if err != nil {
			skip("projects could not be listed, so their spend controls were not checked: %v", err)
			return
		}
		var pw sync.WaitGroup
		for _, p := range projects {
			pw.Go(func() {
				sc, err := oa.SpendControls(ctx, p.ID)
				count(2)
				if err != nil {
					skip("the spend controls of project %s could not be read: %v", p.ID, err)
					return
				}
				if sc.Limit == nil && len(sc.Alerts) == 0 {
					r.Report(audit.New(checkNoSpendCtrl, "OpenAI project "+p.ID,
						fmt.Sprintf("project %s (%s) has neither a spend limit nor a spend alert", p.ID, p.Name),
						fmt.Sprintf("set a monthly budget and an e-mail alert on project %s (Project settings → Limits)", p.Name),
						"spend limit: none", "spend alerts: 0"))
				}
			})
		}
		pw.Wait()
	})
	wg.Go(func() {
		end := r.Now.UTC().Truncate(time.Hour)
		start := end.Add(-time.Duration(24*(baselineDays+1)) * time.Hour)
		buckets, err := oa.Usage(ctx, "", nil, start, end)
		count(1)
		if err != nil {
			skip("usage could not be read, so spikes were not looked for: %v", err)
			return
		}
		last, before := map[string]int64{}, map[string]int64{}
		cut := end.Add(-24 * time.Hour)
		for _, b := range buckets {
			if b.KeyID == "" {
				continue
			}
			if !b.Start.Before(cut) {
				last[b.KeyID] += b.Requests
			} else {
				before[b.KeyID] += b.Requests
			}
		}
		ids := make([]string, 0, len(last))
		for id := range last {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			n := last[id]
			base := float64(before[id]) / baselineDays
			if n < spikeFloor || float64(n) < spikeFactor*base {
				continue
			}
			ratio := "no use before"
			if base > 0 {
				ratio = fmt.Sprintf("%.1f times the daily average", float64(n)/base)
			}
			r.Report(audit.New(checkUsageSpike, "OpenAI API key "+id,
				fmt.Sprintf("key %s made %d requests in the last 24 hours, %s of the 3 days before", id, n, ratio),
				fmt.Sprintf("check the key's usage on the dashboard; if it is not yours, `respond leaked-key --key-id %s`", id),
				fmt.Sprintf("requests, last 24 hours: %d", n), fmt.Sprintf("daily average before: %.0f", base)))
		}
	})
	wg.Wait()
	return res, nil
}
