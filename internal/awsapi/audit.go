package awsapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// What `respond audit` reads of IAM: the credential report, who carries
// a policy, and the policies of users. Nothing here writes (generating the
// credential report changes no setting).

// ReportKey is one access key of a user as the credential report shows
// it (the report does not name keys: KeyID is filled by matching the
// user's keys by creation time, "" when none matched).
type ReportKey struct {
	Slot     int // 1 or 2, the report's column
	KeyID    string
	Active   bool
	Rotated  time.Time  // last rotated: when the key was created
	LastUsed *time.Time // nil: never (N/A)
}

// ReportUser is one row of the IAM credential report.
type ReportUser struct {
	User string // "<root_account>" for the account's root
	ARN  string
	Keys []ReportKey
}

// RootUser is the credential report's name of the account's root.
const RootUser = "<root_account>"

// CredentialReport generates the account's IAM credential report (AWS
// makes one at most every 4 hours; generating returns the recent one) and
// reads it. requests counts what was sent.
func (c *Client) CredentialReport(ctx context.Context) (users []ReportUser, requests int, err error) {
	o := op{"IAM", "generating the IAM credential report", "iam:GenerateCredentialReport"}
	for wait := 200 * time.Millisecond; ; wait = min(wait*2, 5*time.Second) {
		requests++
		out, err := c.iam.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, requests, c.fail(o, err)
		}
		if out.State == iamtypes.ReportStateTypeComplete {
			break
		}
		if requests > 30 {
			return nil, requests, fmt.Errorf("AWS IAM: the credential report was not ready after %d tries; run the audit again in a minute", requests)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, requests, ctx.Err()
		case <-t.C:
		}
	}
	requests++
	rep, err := c.iam.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		return nil, requests, c.fail(op{"IAM", "reading the IAM credential report", "iam:GetCredentialReport"}, err)
	}
	users, err = ParseCredentialReport(rep.Content)
	return users, requests, err
}

// ParseCredentialReport reads the CSV of a credential report
// (docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html).
func ParseCredentialReport(content []byte) ([]ReportUser, error) {
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("AWS IAM: the credential report is not CSV: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"user", "arn", "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_2_active"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("AWS IAM: the credential report has no %s column", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []ReportUser
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("AWS IAM: reading the credential report: %v", err)
		}
		u := ReportUser{User: clean(get(rec, "user"), 80), ARN: clean(get(rec, "arn"), 200)}
		for slot := 1; slot <= 2; slot++ {
			p := fmt.Sprintf("access_key_%d_", slot)
			rotated, ok := reportTime(get(rec, p+"last_rotated"))
			if !ok {
				continue // no such key
			}
			k := ReportKey{Slot: slot, Active: get(rec, p+"active") == "true", Rotated: rotated}
			if t, ok := reportTime(get(rec, p+"last_used_date")); ok {
				k.LastUsed = &t
			}
			u.Keys = append(u.Keys, k)
		}
		out = append(out, u)
	}
}

// reportTime reads a report's time; N/A, no_information and empty are
// no time.
func reportTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// UsersWithPolicy lists the users a managed policy is attached to
// (ListEntitiesForPolicy); a policy that does not exist has none.
func (c *Client) UsersWithPolicy(ctx context.Context, policyARN string) (users []string, requests int, err error) {
	p := iam.NewListEntitiesForPolicyPaginator(c.iam, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(policyARN), EntityFilter: iamtypes.EntityTypeUser})
	for p.HasMorePages() {
		requests++
		page, err := p.NextPage(ctx)
		if err != nil {
			e := c.fail(op{"IAM", "listing the users of policy " + policyARN, "iam:ListEntitiesForPolicy"}, err)
			var ae *Error
			if errors.As(e, &ae) && isNotFound(ae.Code) {
				return nil, requests, nil
			}
			return nil, requests, e
		}
		for _, u := range page.PolicyUsers {
			users = append(users, clean(aws.ToString(u.UserName), 80))
		}
	}
	return users, requests, nil
}

// PolicyDocument is an IAM policy document's statements, as far as the
// audit reads them.
type PolicyDocument struct {
	Statement []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Effect    string
	Action    []string
	Resource  []string
	Condition bool // it has a condition
}

// UnmarshalJSON reads a document whose Statement, Action and Resource may
// each be one value or a list.
func (d *PolicyDocument) UnmarshalJSON(b []byte) error {
	var raw struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw.Statement, &list); err != nil {
		list = []json.RawMessage{raw.Statement}
	}
	for _, s := range list {
		var st struct {
			Effect    string
			Action    json.RawMessage
			Resource  json.RawMessage
			Condition json.RawMessage
		}
		if err := json.Unmarshal(s, &st); err != nil {
			return err
		}
		d.Statement = append(d.Statement, Statement{Effect: st.Effect, Action: strings1(st.Action), Resource: strings1(st.Resource),
			Condition: len(st.Condition) > 0 && string(st.Condition) != "null"})
	}
	return nil
}

func strings1(b json.RawMessage) []string {
	var one string
	if json.Unmarshal(b, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(b, &many)
	return many
}

// FullAdmin reports whether the document allows every action on every
// resource without a condition.
func (d PolicyDocument) FullAdmin() bool {
	for _, s := range d.Statement {
		if s.Effect == "Allow" && !s.Condition && has(s.Action, "*") && has(s.Resource, "*") {
			return true
		}
	}
	return false
}

func has(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// parseDocument decodes a policy document as IAM returns it
// (URL-encoded JSON).
func parseDocument(s string) (PolicyDocument, error) {
	if u, err := url.QueryUnescape(s); err == nil {
		s = u
	}
	var d PolicyDocument
	err := json.Unmarshal([]byte(s), &d)
	return d, err
}

// UserPolicies maps each user to the policies that apply to it (inline,
// attached, and its groups'), from GetAccountAuthorizationDetails, with
// each attached managed policy's default version read once.
type UserPolicies map[string][]NamedPolicy

// NamedPolicy is a policy and where it comes from ("inline x", "managed
// AdministratorAccess", "group admins: inline y").
type NamedPolicy struct {
	Name     string
	Document PolicyDocument
}

// UsersPolicies reads every user's policies.
func (c *Client) UsersPolicies(ctx context.Context) (UserPolicies, int, error) {
	requests := 0
	out := UserPolicies{}
	type group struct {
		inline   []NamedPolicy
		attached []iamtypes.AttachedPolicy
	}
	groups := map[string]group{}
	var users []iamtypes.UserDetail
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c.iam, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup}})
	for p.HasMorePages() {
		requests++
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, requests, c.fail(op{"IAM", "reading the users' and groups' policies", "iam:GetAccountAuthorizationDetails"}, err)
		}
		users = append(users, page.UserDetailList...)
		for _, g := range page.GroupDetailList {
			var gr group
			for _, ip := range g.GroupPolicyList {
				if d, err := parseDocument(aws.ToString(ip.PolicyDocument)); err == nil {
					gr.inline = append(gr.inline, NamedPolicy{Name: "group " + aws.ToString(g.GroupName) + ": inline " + aws.ToString(ip.PolicyName), Document: d})
				}
			}
			gr.attached = g.AttachedManagedPolicies
			groups[aws.ToString(g.GroupName)] = gr
		}
	}
	managed := map[string]*PolicyDocument{}
	doc := func(arn string) (*PolicyDocument, error) {
		if d, ok := managed[arn]; ok {
			return d, nil
		}
		requests++
		pol, err := c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
		if err != nil {
			return nil, c.fail(op{"IAM", "reading policy " + arn, "iam:GetPolicy"}, err)
		}
		requests++
		v, err := c.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId})
		if err != nil {
			return nil, c.fail(op{"IAM", "reading policy " + arn, "iam:GetPolicyVersion"}, err)
		}
		d, err := parseDocument(aws.ToString(v.PolicyVersion.Document))
		if err != nil {
			return nil, fmt.Errorf("AWS IAM: policy %s is not a policy document: %v", arn, err)
		}
		managed[arn] = &d
		return &d, nil
	}
	for _, u := range users {
		name := clean(aws.ToString(u.UserName), 80)
		var ps []NamedPolicy
		for _, ip := range u.UserPolicyList {
			if d, err := parseDocument(aws.ToString(ip.PolicyDocument)); err == nil {
				ps = append(ps, NamedPolicy{Name: "inline " + clean(aws.ToString(ip.PolicyName), 80), Document: d})
			}
		}
		attached := append([]iamtypes.AttachedPolicy(nil), u.AttachedManagedPolicies...)
		for _, g := range u.GroupList {
			gr := groups[g]
			ps = append(ps, gr.inline...)
			attached = append(attached, gr.attached...)
		}
		for _, a := range attached {
			d, err := doc(aws.ToString(a.PolicyArn))
			if err != nil {
				return nil, requests, err
			}
			ps = append(ps, NamedPolicy{Name: "managed " + clean(aws.ToString(a.PolicyName), 80), Document: *d})
		}
		out[name] = ps
	}
	return out, requests, nil
}

// UserKeys lists a user's access keys (IDs, status, creation), without
// their last use (the credential report has it).
func (c *Client) UserKeys(ctx context.Context, user string) ([]AccessKey, error) {
	return c.listKeys(ctx, user)
}
