// Package aws is respond's provider of AWS IAM access keys: contained by
// deactivating the key at once and deleting it once recovery is verified,
// replaced by a new access key for the same IAM user, checked with STS.
// Its client is internal/awsapi (aws-sdk-go-v2); its tests run against
// moto (internal/awsapi/awstest). docs/providers/aws.md is its page.
package aws

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Name is the provider's name in inventories and playbooks.
const Name = "aws"

// Parts of an AWS credential.
const (
	PartKeyID  = "access_key_id"
	PartSecret = "secret_access_key"
)

func init() { provider.Register(Spec()) }

// Spec is what the AWS provider declares.
func Spec() provider.Spec {
	return provider.Spec{
		Name:    Name,
		Title:   "AWS",
		KeyNoun: "access key",
		Summary: "IAM users' access keys (AKIA…, with their secret access key)",
		Scope: provider.ScopeSpec{
			Kind: "account", Field: "account", Example: "123456789012",
			Check: func(v string) error {
				if !awsAccountRe.MatchString(v) {
					return errors.New(`an AWS account ID is 12 digits, e.g. "123456789012" (quote it)`)
				}
				return nil
			},
		},
		KeyID: provider.IDSpec{Pattern: awsKeyIDRe, Example: "AKIAIOSFODNN7EXAMPLE", Shape: "AKIA…"},
		Parts: []provider.Part{
			{Name: PartKeyID, Doc: "the access key ID (AKIA…), an identifier"},
			{Name: PartSecret, Secret: true, Doc: "the secret access key"},
		},
		Paste:          paste,
		MakeCredential: makeCredential,
		AlertTypes:     []string{"aws_access_key_id", "aws_secret_access_key", "aws_temporary_access_key_id"},
		SecretNames:    regexp.MustCompile(`(?i)^(\w+_)?AWS_SECRET_ACCESS_KEY$`),
		Env: []provider.EnvVar{
			{Name: "AWS_PROFILE", Doc: "a profile of the AWS CLI's configuration"},
			{Name: "AWS_ACCESS_KEY_ID", Credential: true, Doc: "respond's own access key ID"},
			{Name: "AWS_SECRET_ACCESS_KEY", Secret: true, Doc: "its secret access key"},
			{Name: "AWS_SESSION_TOKEN", Secret: true, Doc: "a session token, with temporary credentials"},
			{Name: "AWS_SECURITY_TOKEN", Secret: true, Doc: "the older name of AWS_SESSION_TOKEN"},
			{Name: "AWS_REGION", Doc: "the region of the secret stores and CloudTrail"},
		},
		Configured:    awsapi.Configured,
		NotConfigured: "AWS is not configured: set AWS credentials as the AWS CLI reads them (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and AWS_REGION",
		Caps: provider.Capabilities{
			Replace: provider.ByAPI, Contain: provider.Deactivate, VerifyByAPI: true,
			Usage: true, LastUsed: true,
		},
		Verify: provider.VerifySpec{Method: "sts:GetCallerIdentity", Dead: "refused as invalid or inactive", Live: "accepted"},
		Advice: evidence.Advice{
			Console:   "in the IAM console (Users, Security credentials) or with `aws iam update-access-key --status Inactive`",
			Review:    "Review the CloudTrail events of the key for the window (aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=KEY_ID), what they touched and the bill; open a case with AWS Support for charges to dispute.",
			AllowList: "An IAM policy condition on aws:SourceIp or aws:SourceVpc (or a service control policy) makes a leaked key useless from anywhere else.",
			Narrow:    "a least-privilege IAM policy on the user (only the actions and resources the application uses), or a role instead of long-term keys",
		},
		Docs:          "docs/providers/aws.md",
		FakeElsewhere: "moto (a real implementation of the AWS APIs), in internal/providers/aws's tests",
		New:           func(env *plugin.Env) provider.Provider { return adapter{env: env} },
	}
}

var (
	awsAccountRe = regexp.MustCompile(`^[0-9]{12}$`)
	awsKeyIDRe   = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$`)
	awsSecretRe  = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	// In pasted text: a key ID anywhere, and a secret that stands alone.
	pastedKeyIDRe  = regexp.MustCompile(`\b((?:AKIA|ASIA)[A-Z0-9]{16})\b`)
	pastedSecretRe = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+])`)
)

// makeCredential makes a credential from an access key ID, a secret access
// key, or both, as pasted ("AKIA… SECRET", "AKIA…:SECRET", or the two
// lines of a .env or credentials file) or as an alert reports them.
func makeCredential(v secret.Value, keyID string) (secret.Credential, error) {
	id, sk := keyID, ""
	fields := strings.FieldsFunc(v.Reveal(), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ':' || r == ',' || r == '"' || r == '\''
	})
	for _, f := range fields {
		if _, val, ok := strings.Cut(f, "="); ok {
			f = val
		}
		switch {
		case awsKeyIDRe.MatchString(f):
			if id != "" && id != f {
				return secret.Credential{}, fmt.Errorf("the value holds access key ID %s but the key is %s: give one key", f, id)
			}
			id = f
		case awsSecretRe.MatchString(f):
			sk = f
		}
	}
	if id == "" && sk == "" {
		return secret.Credential{}, errors.New("the value is not an AWS access key: give the access key ID (AKIA…) and its secret access key, as `AKIA… SECRET`")
	}
	parts := []secret.Part{secret.PlainPart(PartKeyID, id)}
	if sk != "" {
		parts = append(parts, secret.SecretPart(PartSecret, secret.New(sk)))
	}
	return secret.NewCredential(Name, parts...), nil
}

// paste recognizes a pasted AWS key: an access key ID and its secret
// access key, as a credentials file, a .env file ("AWS_ACCESS_KEY_ID=…"
// and "AWS_SECRET_ACCESS_KEY=…" lines) or "AKIA… SECRET" has them. An ID
// without its secret, or a secret alone, is refused with what to give.
func paste(raw string) (provider.Pasted, bool, error) {
	s := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
	if id := pastedKeyIDRe.FindStringSubmatch(s); id != nil {
		var sk string
		for _, line := range strings.Split(s, "\n") {
			if m := pastedSecretRe.FindStringSubmatch(strings.TrimSpace(line)); m != nil && !strings.Contains(m[1], id[1]) {
				sk = m[1]
			}
		}
		if sk == "" {
			return provider.Pasted{}, true, step.BadInputf("the input holds an AWS access key ID but no secret access key (40 characters); give both, e.g. `AKIA… SECRET`, or name the key with --key-id AKIA… instead")
		}
		cred := secret.NewCredential(Name, secret.PlainPart(PartKeyID, id[1]), secret.SecretPart(PartSecret, secret.New(sk)))
		return provider.Pasted{Credential: cred, KeyID: id[1]}, true, nil
	}
	if m := pastedSecretRe.FindStringSubmatch(s); m != nil && m[1] == s {
		return provider.Pasted{}, true, step.BadInputf("the input looks like an AWS secret access key alone; give its access key ID with it (`AKIA… SECRET`, or the two lines of a credentials or .env file), or name the key with --key-id AKIA… instead")
	}
	return provider.Pasted{}, false, nil
}

// Keys is IAM access keys, as a provider of keys: find one, contain it
// (deactivate, delete), create its replacement, verify a key with STS, and
// its usage from CloudTrail.
type Keys interface {
	// CallerIdentity is who respond's own credentials are (STS
	// GetCallerIdentity).
	CallerIdentity(ctx context.Context) (awsapi.Identity, error)
	// FindAccessKey finds a key by ID in the caller's account: its user
	// and last use (GetAccessKeyLastUsed), then its status and creation
	// (ListAccessKeys of that user). step.ErrNotFound if no such key exists.
	FindAccessKey(ctx context.Context, keyID string) (awsapi.AccessKey, error)
	// ListUsers lists the IAM users of the account (all pages), for
	// picking a key.
	ListUsers(ctx context.Context) ([]string, error)
	// ListAccessKeys lists a user's keys (IAM allows two), with their last
	// use. step.ErrNotFound if the user does not exist.
	ListAccessKeys(ctx context.Context, user string) ([]awsapi.AccessKey, error)
	// SetAccessKeyActive makes a key Active (true) or Inactive (false):
	// deactivating contains a leak at once and can be undone. step.ErrNotFound
	// if the key (or user) is gone.
	SetAccessKeyActive(ctx context.Context, user, keyID string, active bool) error
	// DeleteAccessKey deletes a key for good; step.ErrNotFound if it is gone.
	DeleteAccessKey(ctx context.Context, user, keyID string) error
	// CreateAccessKey creates a key for user and returns its secret, which
	// AWS shows only this once. It is never retried: after an error whose
	// outcome is unknown, list the user's keys to reconcile.
	CreateAccessKey(ctx context.Context, user string) (awsapi.NewAccessKey, error)
	// CheckAccessKey calls STS GetCallerIdentity signed with the given key
	// pair (not the client's own credentials) and classifies the answer.
	// Errors that say nothing of the key (network, throttling, server
	// errors) are returned as errors.
	CheckAccessKey(ctx context.Context, keyID string, secretKey secret.Value) (awsapi.KeyCheck, error)
	// LookupKeyEvents returns the CloudTrail management events made with
	// the key in [start, end) in region ("" is the client's region; IAM
	// and STS global events are recorded in us-east-1). A service that
	// does not answer, or that the caller may not query, is not an
	// error: the lookup says it was not answered, and why.
	LookupKeyEvents(ctx context.Context, region, keyID string, start, end time.Time) (awsapi.EventLookup, error)
}

var _ Keys = (*awsapi.Client)(nil)
