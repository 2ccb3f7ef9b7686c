package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/respondhq/respond/internal/secret"
)

// keyIDRe is the shape of an access key ID (IAM: 16 to 128 word
// characters; in practice AKIA or ASIA and 16 more).
var keyIDRe = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)

// userRe is the shape of an IAM user name.
var userRe = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func checkKeyID(keyID string) error {
	if !keyIDRe.MatchString(keyID) {
		return permanent(fmt.Errorf("%q is not an AWS access key ID (AKIA… and 16 more capital letters and digits)", clean(keyID, 40)))
	}
	return nil
}

func checkUser(user string) error {
	if !userRe.MatchString(user) {
		return permanent(fmt.Errorf("%q is not an IAM user name", clean(user, 80)))
	}
	return nil
}

// noRetry makes one operation's request be sent once only.
func noRetry(o *iam.Options) { o.Retryer = aws.NopRetryer{} }

// CallerIdentity is part of the AWS key provider's client. The answer is cached: it does
// not change for the client's lifetime.
func (c *Client) CallerIdentity(ctx context.Context) (Identity, error) {
	c.mu.Lock()
	if c.identity != nil {
		id := *c.identity
		c.mu.Unlock()
		return id, nil
	}
	c.mu.Unlock()
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, c.fail(op{"STS", "checking respond's own AWS credentials (GetCallerIdentity)", "sts:GetCallerIdentity"}, err)
	}
	id := Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	c.mu.Lock()
	c.identity = &id
	c.mu.Unlock()
	return id, nil
}

// FindAccessKey is part of the AWS key provider's client.
func (c *Client) FindAccessKey(ctx context.Context, keyID string) (AccessKey, error) {
	if err := checkKeyID(keyID); err != nil {
		return AccessKey{}, err
	}
	lu, err := c.lastUsed(ctx, keyID)
	if err != nil {
		return AccessKey{}, err
	}
	keys, err := c.listKeys(ctx, lu.User)
	if err != nil {
		return AccessKey{}, err
	}
	for _, k := range keys {
		if k.ID == keyID {
			k.LastUsed, k.LastUsedService, k.LastUsedRegion = lu.LastUsed, lu.LastUsedService, lu.LastUsedRegion
			return k, nil
		}
	}
	// Deleted between the two calls.
	return AccessKey{}, permanent(&Error{Service: "IAM", Op: fmt.Sprintf("finding access key %s among the keys of user %s", keyID, lu.User),
		Code: "NoSuchEntity", Status: 404, Hint: "it was deleted while respond looked it up"})
}

// lastUsed reads a key's user and last use.
func (c *Client) lastUsed(ctx context.Context, keyID string) (AccessKey, error) {
	out, err := c.iam.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
	if err != nil {
		o := op{"IAM", fmt.Sprintf("looking up access key %s (GetAccessKeyLastUsed)", keyID), "iam:GetAccessKeyLastUsed"}
		err = c.fail(o, err)
		var e *Error
		if errors.As(err, &e) && isNotFound(e.Code) {
			e.Hint = "no such key in this account: it may belong to another AWS account (`aws sts get-access-key-info --access-key-id " + keyID +
				"` names it), or it was deleted; check the key ID and AWS_PROFILE"
		}
		return AccessKey{}, err
	}
	k := AccessKey{ID: keyID, User: aws.ToString(out.UserName)}
	if u := out.AccessKeyLastUsed; u != nil {
		k.LastUsed = u.LastUsedDate
		k.LastUsedService = clean(aws.ToString(u.ServiceName), 100)
		k.LastUsedRegion = clean(aws.ToString(u.Region), 50)
	}
	return k, nil
}

// ListAccessKeys is part of the AWS key provider's client.
func (c *Client) ListAccessKeys(ctx context.Context, user string) ([]AccessKey, error) {
	keys, err := c.listKeys(ctx, user)
	if err != nil {
		return nil, err
	}
	for i := range keys {
		lu, err := c.lastUsed(ctx, keys[i].ID)
		if err != nil {
			return nil, err
		}
		keys[i].LastUsed, keys[i].LastUsedService, keys[i].LastUsedRegion = lu.LastUsed, lu.LastUsedService, lu.LastUsedRegion
	}
	return keys, nil
}

// ListUsers is part of the AWS key provider's client.
func (c *Client) ListUsers(ctx context.Context) ([]string, error) {
	var out []string
	p := iam.NewListUsersPaginator(c.iam, &iam.ListUsersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.fail(op{"IAM", "listing the IAM users of the account", "iam:ListUsers"}, err)
		}
		for _, u := range page.Users {
			out = append(out, aws.ToString(u.UserName))
		}
	}
	return out, nil
}

// listKeys lists a user's keys (all pages), without their last use.
func (c *Client) listKeys(ctx context.Context, user string) ([]AccessKey, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	var out []AccessKey
	p := iam.NewListAccessKeysPaginator(c.iam, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.fail(op{"IAM", "listing the access keys of IAM user " + user, "iam:ListAccessKeys"}, err)
		}
		for _, m := range page.AccessKeyMetadata {
			k := AccessKey{ID: aws.ToString(m.AccessKeyId), User: aws.ToString(m.UserName), Status: string(m.Status)}
			if m.CreateDate != nil {
				k.Created = *m.CreateDate
			}
			out = append(out, k)
		}
	}
	return out, nil
}

// SetAccessKeyActive is part of the AWS key provider's client.
func (c *Client) SetAccessKeyActive(ctx context.Context, user, keyID string, active bool) error {
	if err := checkKeyID(keyID); err != nil {
		return err
	}
	if err := checkUser(user); err != nil {
		return err
	}
	status, verb := iamtypes.StatusTypeInactive, "deactivating"
	if active {
		status, verb = iamtypes.StatusTypeActive, "reactivating"
	}
	_, err := c.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID), Status: status})
	return c.fail(op{"IAM", fmt.Sprintf("%s access key %s of IAM user %s", verb, keyID, user), "iam:UpdateAccessKey"}, err)
}

// DeleteAccessKey is part of the AWS key provider's client.
func (c *Client) DeleteAccessKey(ctx context.Context, user, keyID string) error {
	if err := checkKeyID(keyID); err != nil {
		return err
	}
	if err := checkUser(user); err != nil {
		return err
	}
	_, err := c.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(keyID)})
	return c.fail(op{"IAM", fmt.Sprintf("deleting access key %s of IAM user %s", keyID, user), "iam:DeleteAccessKey"}, err)
}

// CreateAccessKey is part of the AWS key provider's client. The request is sent once.
func (c *Client) CreateAccessKey(ctx context.Context, user string) (NewAccessKey, error) {
	if err := checkUser(user); err != nil {
		return NewAccessKey{}, err
	}
	out, err := c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}, noRetry)
	if err != nil {
		err = c.fail(op{"IAM", "creating an access key for IAM user " + user, "iam:CreateAccessKey"}, err)
		var e *Error
		switch {
		case errors.As(err, &e) && e.Code == "LimitExceeded":
			e.Hint = "the user already has two access keys, the most IAM allows: delete one (the leaked one, once contained) first"
		case !errors.As(err, &e):
			// No answer: the key may exist nonetheless.
			err = fmt.Errorf("%w; the key may have been created all the same: list the user's keys (aws iam list-access-keys --user-name %s) before trying again", err, user)
		}
		return NewAccessKey{}, err
	}
	k := out.AccessKey
	if k == nil || aws.ToString(k.AccessKeyId) == "" || aws.ToString(k.SecretAccessKey) == "" {
		return NewAccessKey{}, fmt.Errorf("AWS IAM: creating an access key for IAM user %s: the answer holds no key; "+
			"list the user's keys (aws iam list-access-keys --user-name %s): one may have been created", user, user)
	}
	nk := NewAccessKey{ID: aws.ToString(k.AccessKeyId), User: aws.ToString(k.UserName), Secret: secret.New(aws.ToString(k.SecretAccessKey))}
	if k.CreateDate != nil {
		nk.Created = *k.CreateDate
	}
	return nk, nil
}

// CheckAccessKey is part of the AWS key provider's client: GetCallerIdentity signed with
// the given pair, by an STS client that has no other credentials.
func (c *Client) CheckAccessKey(ctx context.Context, keyID string, secretKey secret.Value) (KeyCheck, error) {
	if err := checkKeyID(keyID); err != nil {
		return KeyCheck{}, err
	}
	if secretKey.IsZero() {
		return KeyCheck{}, permanent(fmt.Errorf("checking access key %s with STS: its secret access key is empty", keyID))
	}
	client := sts.NewFromConfig(c.cfg, func(o *sts.Options) {
		o.HTTPClient = c.hc
		o.Region = c.sts.Options().Region
		o.Credentials = credentials.NewStaticCredentialsProvider(keyID, secretKey.Reveal(), "")
	})
	now := time.Now().UTC()
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil {
		return KeyCheck{State: KeyLive, ARN: aws.ToString(out.Arn), Account: aws.ToString(out.Account), StatusCode: 200, CheckedAt: now}, nil
	}
	code, status := apiCode(err)
	chk := KeyCheck{StatusCode: status, Code: code, CheckedAt: now}
	switch {
	case code == "InvalidClientTokenId" || code == "UnrecognizedClientException":
		chk.State = KeyDead
	case code == "SignatureDoesNotMatch" || code == "InvalidSignatureException":
		chk.State = KeyWrongSecret
	case isDenied(code, status):
		chk.State = KeyDenied
	default:
		return KeyCheck{}, c.fail(op{"STS", "checking access key " + keyID + " with GetCallerIdentity signed by it", ""}, err)
	}
	return chk, nil
}

// maxEvents bounds the CloudTrail events read for one key.
const maxEvents = 1000

// cloudTrailWindow is how far back LookupEvents can see.
const cloudTrailWindow = 90 * 24 * time.Hour

// LookupKeyEvents is part of the AWS key provider's client.
func (c *Client) LookupKeyEvents(ctx context.Context, region, keyID string, start, end time.Time) (EventLookup, error) {
	if err := checkKeyID(keyID); err != nil {
		return EventLookup{}, err
	}
	if region == "" {
		region = c.sts.Options().Region
	}
	res := EventLookup{Region: region}
	if oldest := time.Now().Add(-cloudTrailWindow); start.Before(oldest) {
		start = oldest
	}
	if !end.After(start) {
		res.Answered = true
		return res, nil
	}
	client, err := c.cloudTrail(region)
	if err != nil {
		return res, err
	}
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(keyID)}},
		StartTime:        aws.Time(start), EndTime: aws.Time(end), MaxResults: aws.Int32(50),
	}
	p := cloudtrail.NewLookupEventsPaginator(client, in)
	for p.HasMorePages() {
		if len(res.Events) >= maxEvents {
			res.Truncated = true
			break
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("AWS CloudTrail: looking up the events of access key %s: %w", keyID, ctx.Err())
			}
			e := c.fail(op{"CloudTrail", fmt.Sprintf("looking up the events of access key %s in %s", keyID, region), "cloudtrail:LookupEvents"}, err)
			if len(res.Events) > 0 {
				res.Answered, res.Truncated = true, true
				res.Reason = "CloudTrail stopped answering part way: " + e.Error()
				break
			}
			res.Reason = e.Error()
			return res, nil
		}
		for _, ev := range page.Events {
			res.Events = append(res.Events, event(ev, region))
		}
	}
	res.Answered = true
	slices.SortStableFunc(res.Events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return res, nil
}

// event converts a CloudTrail event. Everything in it was sent by whoever
// made the request, so it is cleaned and kept short.
func event(ev cttypes.Event, region string) Event {
	e := Event{
		ID:     clean(aws.ToString(ev.EventId), 64),
		Name:   clean(aws.ToString(ev.EventName), 100),
		Source: clean(aws.ToString(ev.EventSource), 100),
		Region: region,
	}
	if ev.EventTime != nil {
		e.Time = ev.EventTime.UTC()
	}
	e.ReadOnly = aws.ToString(ev.ReadOnly) == "true"
	var raw struct {
		SourceIP  string `json:"sourceIPAddress"`
		UserAgent string `json:"userAgent"`
		Region    string `json:"awsRegion"`
		ErrorCode string `json:"errorCode"`
	}
	if s := aws.ToString(ev.CloudTrailEvent); s != "" && len(s) < 1<<20 && json.Unmarshal([]byte(s), &raw) == nil {
		e.SourceIP = clean(raw.SourceIP, 64)
		e.UserAgent = clean(raw.UserAgent, 200)
		e.ErrorCode = clean(raw.ErrorCode, 100)
		if raw.Region != "" {
			e.Region = clean(raw.Region, 50)
		}
	}
	return e
}

// Permitted is part of the secret stores' client.
func (c *Client) Permitted(ctx context.Context, action, resource string, identityOnly bool) (Permission, error) {
	unknown := func(format string, args ...any) (Permission, error) {
		return Permission{Decision: Unknown, Reason: fmt.Sprintf(format, args...)}, nil
	}
	id, err := c.CallerIdentity(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return Permission{}, err
		}
		return unknown("who the credentials are is unknown: %v", err)
	}
	principal, err := c.principal(ctx, id.ARN)
	if err != nil {
		if ctx.Err() != nil {
			return Permission{}, err
		}
		return unknown("%v", err)
	}
	if principal == "" {
		return unknown("IAM cannot simulate the policies of %s", id.ARN)
	}
	if strings.HasSuffix(principal, ":root") {
		return Permission{Decision: Allowed, Principal: principal, Reason: "the account's root user"}, nil
	}
	if resource == "" {
		resource = "*"
	}
	out, err := c.iam.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(principal), ActionNames: []string{action}, ResourceArns: []string{resource}}, noRetry)
	if err != nil {
		if ctx.Err() != nil {
			return Permission{}, ctx.Err()
		}
		e := c.fail(op{"IAM", "simulating " + action + " for " + principal + " (SimulatePrincipalPolicy)", "iam:SimulatePrincipalPolicy"}, err)
		return unknown("%v", e)
	}
	for _, r := range out.EvaluationResults {
		if aws.ToString(r.EvalActionName) != action {
			continue
		}
		p := Permission{Principal: principal, Reason: "IAM's simulation: " + string(r.EvalDecision)}
		switch r.EvalDecision {
		case iamtypes.PolicyEvaluationDecisionTypeAllowed:
			p.Decision = Allowed
		case iamtypes.PolicyEvaluationDecisionTypeExplicitDeny:
			p.Decision = Denied
			p.Reason = "a policy of " + principal + " denies " + action + " explicitly"
		case iamtypes.PolicyEvaluationDecisionTypeImplicitDeny:
			if identityOnly {
				p.Decision = Denied
				p.Reason = "no policy of " + principal + " allows " + action
			} else {
				p.Decision = Unknown
				p.Reason = "no policy of " + principal + " allows " + action + ", but the resource's own policy may"
			}
		default:
			p.Decision = Unknown
		}
		return p, nil
	}
	return unknown("IAM's simulation did not evaluate %s", action)
}

// principal is the IAM ARN whose policies SimulatePrincipalPolicy can
// evaluate for a caller ARN: a user's own ARN, a role's ARN (with its
// path, which an assumed-role ARN lacks: GetRole gives it), the root; ""
// when there is none (federated users).
func (c *Client) principal(ctx context.Context, arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return "", nil
	}
	res := parts[5]
	switch {
	case strings.HasPrefix(res, "user/"), res == "root":
		return arn, nil
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		role, _, _ := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
		out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err != nil {
			return "", c.fail(op{"IAM", "reading role " + role + " of the credentials", "iam:GetRole"}, err)
		}
		return aws.ToString(out.Role.Arn), nil
	}
	return "", nil
}
