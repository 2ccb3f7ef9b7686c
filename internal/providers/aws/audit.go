package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
)

// AWS's own checks for `respond audit`; key age, unused keys and drift
// come from the core, with the keys the credential report lists.
const (
	checkRootKey     = "aws.root-access-key"
	checkTwoActive   = "aws.two-active-keys"
	checkQuarantined = "aws.quarantined-user"
	checkFullAdmin   = "aws.full-admin-user"
)

// QuarantinePolicies are the managed policies AWS attaches to a user whose
// key it found leaked (API-NOTES: AWS on a public leak).
var QuarantinePolicies = []string{
	"arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2",
	"arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
}

func init() {
	audit.Register(
		audit.Check{ID: checkRootKey, Area: "AWS", Title: "root account has an access key",
			Severity: audit.Critical, Practice: audit.LeastPrivilege,
			What: "The `<root_account>` row of the IAM credential report: an active access key of the account's root.",
			Why:  "The root's key can do everything in the account, and no policy can restrict it.",
			Fix:  "Delete it (IAM console, as root: Security credentials → Access keys) and use IAM users or roles."},
		audit.Check{ID: checkTwoActive, Area: "AWS", Title: "user with two active access keys",
			Severity: audit.Medium, Practice: audit.Rotation,
			What: "Users of the IAM credential report with both access keys active.",
			Why:  "During a rotation that is brief; left so, it is twice the keys to leak, and often a rotation that never finished.",
			Fix:  "Deactivate the one nothing uses (`aws iam update-access-key --status Inactive`), then delete it."},
		audit.Check{ID: checkQuarantined, Area: "AWS", Title: "user quarantined by AWS",
			Severity: audit.Critical, Practice: audit.Confidential,
			What: "Users carrying AWSCompromisedKeyQuarantineV2 or V3 (ListEntitiesForPolicy): AWS found their key leaked.",
			Why:  "AWS found the key in public, attached the policy and opened a case; it did not disable the key.",
			Fix:  "`respond leaked-key --key-id AKIA…` for the user's key; then detach the quarantine policy."},
		audit.Check{ID: checkFullAdmin, Area: "AWS", Title: "key user with * on *",
			Severity: audit.High, Practice: audit.LeastPrivilege,
			What: "Users with an active access key whose inline, attached or group policies allow every action on every resource without a condition.",
			Why:  "A leak of such a key is a leak of the whole account.",
			Fix:  "Give the user only the actions its service needs (IAM Access Analyzer can generate a policy from its CloudTrail use), or move it to a role."},
	)
}

// auditAPI is IAM as the audit uses it.
type auditAPI interface {
	CallerIdentity(ctx context.Context) (awsapi.Identity, error)
	CredentialReport(ctx context.Context) ([]awsapi.ReportUser, int, error)
	UserKeys(ctx context.Context, user string) ([]awsapi.AccessKey, error)
	UsersWithPolicy(ctx context.Context, policyARN string) ([]string, int, error)
	UsersPolicies(ctx context.Context) (awsapi.UserPolicies, int, error)
}

var (
	_ auditAPI           = (*awsapi.Client)(nil)
	_ provider.Auditor   = adapter{}
	_ provider.KeyLister = adapter{}
)

func (a adapter) auditClient() (auditAPI, error) {
	return plugin.SharedAs[auditAPI](a.env, awsapi.SharedKey, awsapi.Build(a.env))
}

// AuditKeys implements provider.KeyLister: the credential report (one
// report for every user, with each key's creation and last use), each
// key's ID from its user's key list.
func (a adapter) AuditKeys(ctx context.Context, now time.Time) ([]provider.KeyInfo, int, error) {
	c, err := a.auditClient()
	if err != nil {
		return nil, 0, err
	}
	id, err := c.CallerIdentity(ctx)
	if err != nil {
		return nil, 1, err
	}
	rows, n, err := c.CredentialReport(ctx)
	n++
	if err != nil {
		return nil, n, err
	}
	var keys []provider.KeyInfo
	for _, u := range rows {
		if u.User == awsapi.RootUser || len(u.Keys) == 0 {
			continue
		}
		listed, err := c.UserKeys(ctx, u.User)
		n++
		if err != nil {
			return nil, n, err
		}
		taken := map[string]bool{}
		for _, rk := range u.Keys {
			k := provider.KeyInfo{Provider: Name, Scope: id.Account, ScopeName: id.Account, Created: rk.Rotated, LastUsed: rk.LastUsed,
				Owner: evidence.Owner{Type: "iam_user", ID: u.User, Name: u.User}, Status: "Inactive", Name: u.User}
			if rk.Active {
				k.Status = "Active"
			}
			// The report names keys by slot; the list by ID. Two keys made
			// in the same second match in the order both give them.
			for _, l := range listed {
				if !taken[l.ID] && l.Created.UTC().Truncate(time.Second).Equal(rk.Rotated.Truncate(time.Second)) {
					k.ID = l.ID
					taken[l.ID] = true
					break
				}
			}
			if k.ID == "" {
				k.ID = fmt.Sprintf("%s key %d", u.User, rk.Slot)
			}
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].ID < keys[j].ID })
	return keys, n, nil
}

// Audit implements provider.Auditor.
func (a adapter) Audit(ctx context.Context, r provider.AuditRequest) (provider.AuditResult, error) {
	var res provider.AuditResult
	c, err := a.auditClient()
	if err != nil {
		return res, err
	}
	rows, n, err := c.CredentialReport(ctx)
	res.Requests += n
	if err != nil {
		return res, err
	}
	keyUsers := map[string]bool{}
	for _, u := range rows {
		active := 0
		for _, k := range u.Keys {
			if k.Active {
				active++
			}
		}
		if u.User == awsapi.RootUser {
			if active > 0 {
				r.Report(audit.New(checkRootKey, "the root of "+accountOf(u.ARN),
					fmt.Sprintf("the root of AWS account %s has %d active access key(s)", accountOf(u.ARN), active),
					"delete the root's access keys (IAM console, signed in as root: Security credentials → Access keys)",
					"credential report: <root_account> access_key_1_active / access_key_2_active"))
			}
			continue
		}
		if active > 0 {
			keyUsers[u.User] = true
		}
		if active == 2 {
			r.Report(audit.New(checkTwoActive, "IAM user "+u.User,
				fmt.Sprintf("IAM user %s has two active access keys", u.User),
				fmt.Sprintf("deactivate the key nothing uses (`aws iam update-access-key --user-name %s --access-key-id AKIA… --status Inactive`), then delete it", u.User),
				"key 1 created: "+u.Keys[0].Rotated.Format(time.DateOnly), "key 2 created: "+u.Keys[1].Rotated.Format(time.DateOnly)))
		}
	}
	for _, arn := range QuarantinePolicies {
		users, n, err := c.UsersWithPolicy(ctx, arn)
		res.Requests += n
		if err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("who carries %s could not be read: %v", arn, err))
			continue
		}
		policy := arn[strings.LastIndexByte(arn, '/')+1:]
		for _, u := range users {
			r.Report(audit.New(checkQuarantined, "IAM user "+u,
				fmt.Sprintf("AWS attached %s to IAM user %s: it found the user's key leaked", policy, u),
				fmt.Sprintf("`respond leaked-key --key-id AKIA…` for %s's key, then `aws iam detach-user-policy --user-name %s --policy-arn %s`", u, u, arn),
				"policy: "+arn))
		}
	}
	pols, n, err := c.UsersPolicies(ctx)
	res.Requests += n
	if err != nil {
		res.Skipped = append(res.Skipped, fmt.Sprintf("the users' policies could not be read, so * on * was not looked for: %v", err))
		return res, nil
	}
	users := make([]string, 0, len(keyUsers))
	for u := range keyUsers {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		var admin []string
		for _, p := range pols[u] {
			if p.Document.FullAdmin() {
				admin = append(admin, p.Name)
			}
		}
		if len(admin) == 0 {
			continue
		}
		r.Report(audit.New(checkFullAdmin, "IAM user "+u,
			fmt.Sprintf("IAM user %s has an active access key and may do everything (%s)", u, strings.Join(admin, ", ")),
			fmt.Sprintf("replace %s with a policy of the actions %s's service needs (IAM Access Analyzer can generate one from CloudTrail), or use a role", strings.Join(admin, ", "), u),
			append([]string{"allows * on * through:"}, admin...)...))
	}
	return res, nil
}

// accountOf is the account ID in an ARN.
func accountOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 4 && parts[4] != "" {
		return parts[4]
	}
	return "the account"
}
