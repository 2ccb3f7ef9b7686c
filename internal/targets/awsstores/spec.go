// Package awsstores is respond's AWS secret store target types:
// `aws-secretsmanager` (a Secrets Manager secret: its whole string, one key
// of a JSON object, or several keys holding several parts of a credential)
// and `aws-ssm` (a SecureString parameter of SSM Parameter Store), written
// through internal/awsapi (aws-sdk-go-v2) and tested against moto.
// docs/inventory.md documents them.
package awsstores

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/target"
)

// The types.
const (
	SecretsManager = "aws-secretsmanager"
	SSM            = "aws-ssm"
)

func init() {
	target.Register(target.Spec{
		Type:    SecretsManager,
		Title:   "AWS Secrets Manager secret",
		Summary: "a Secrets Manager secret: its whole string, or keys of a JSON object (a new version; AWSPREVIOUS keeps the old one)",
		Fields: []target.Field{
			{Name: "secret", Kind: target.String, Required: true, Names: true, Doc: "the secret's name or ARN", Check: checkSecret},
			{Name: "region", Kind: target.String, Doc: "its region (default: the configured one, AWS_REGION)", Check: checkRegionField},
			{Name: "key", Kind: target.String, Names: true, Doc: "a key of the secret's JSON object to set, keeping the others (leave out to write the whole secret)",
				Check: func(v any) error {
					if strings.TrimSpace(v.(string)) == "" {
						return target.Invalid("name the key of the JSON secret to write (e.g. OPENAI_API_KEY), or leave key out to write the whole secret", "key is empty")
					}
					return nil
				}},
		},
		Example:   "- aws-secretsmanager: {secret: prod/api, key: OPENAI_API_KEY, region: eu-west-1}",
		Holds:     true,
		MultiPart: true,
		Validate: func(t target.Target) []target.Problem {
			var out []target.Problem
			if len(t.Keys()) > 0 && t.Str("key") != "" {
				out = append(out, target.Problem{Field: "keys", Msg: "keys (JSON key → part) replaces key and part: give one or the other"})
			}
			return append(out, regionProblems(t.Str("region"), t.Str("secret"), "secretsmanager")...)
		},
		ID: func(t target.Target) string {
			id := SecretsManager + ":" + regionPrefix(t.Str("region")) + t.Str("secret")
			if k := t.Str("key"); k != "" {
				id += "#" + k
			}
			if keys := t.Keys(); len(keys) > 0 {
				names := make([]string, 0, len(keys))
				for k := range keys {
					names = append(names, k)
				}
				sort.Strings(names)
				id += "#" + strings.Join(names, "+")
			}
			return id
		},
		Describe: func(t target.Target, _ func(string) string) (string, string, string) {
			notes := "the whole string"
			switch keys := t.Keys(); {
			case len(keys) > 0:
				ks := make([]string, 0, len(keys))
				for k, part := range keys {
					ks = append(ks, k+" ← "+part)
				}
				sort.Strings(ks)
				notes = "JSON keys " + strings.Join(ks, ", ")
			case t.Str("key") != "":
				notes = "JSON key " + t.Str("key")
			}
			return "Secrets Manager" + regionNote(t.Str("region")), t.Str("secret"), notes
		},
		New:           func(env *plugin.Env) target.Writer { return SecretsManagerWriter{env: env} },
		FakeElsewhere: motoFake,
	})
	target.Register(target.Spec{
		Type:    SSM,
		Title:   "AWS SSM parameter",
		Summary: "a SecureString parameter of SSM Parameter Store (overwritten; its version history keeps the old value)",
		Fields: []target.Field{
			{Name: "name", Kind: target.String, Required: true, Names: true, Doc: "the parameter's name (/prod/api/openai-key) or ARN", Check: checkParameter},
			{Name: "region", Kind: target.String, Doc: "its region (default: the configured one, AWS_REGION)", Check: checkRegionField},
			{Name: "kms_key_id", Kind: target.String, Doc: "the KMS key to encrypt it with (default: the one it has, or alias/aws/ssm)",
				Check: func(v any) error {
					if !kmsKeyRe.MatchString(v.(string)) {
						return target.Invalid("give a KMS key ID (1234abcd-…), alias (alias/my-key) or ARN", "invalid KMS key %q", v)
					}
					return nil
				}},
		},
		Example: "- aws-ssm: {name: /prod/api/openai-key, region: eu-west-1}",
		Holds:   true,
		Validate: func(t target.Target) []target.Problem {
			return regionProblems(t.Str("region"), t.Str("name"), "ssm")
		},
		ID: func(t target.Target) string { return SSM + ":" + regionPrefix(t.Str("region")) + t.Str("name") },
		Describe: func(t target.Target, _ func(string) string) (string, string, string) {
			notes := "SecureString"
			if k := t.Str("kms_key_id"); k != "" {
				notes += ", KMS key " + k
			}
			return "SSM Parameter Store" + regionNote(t.Str("region")), t.Str("name"), notes
		},
		New:           func(env *plugin.Env) target.Writer { return SSMWriter{env: env} },
		FakeElsewhere: motoFake,
	})
}

// motoFake is where the types' conformance suite runs.
const motoFake = "moto (a real implementation of the AWS APIs), in internal/targets/awsstores's tests"

var (
	// Secrets Manager names; ARNs; SSM parameter names (with an optional
	// leading slash, and at most 15 levels); KMS key IDs, ARNs and aliases.
	smNameRe  = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	smARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	ssmNameRe = regexp.MustCompile(`^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	ssmARNRe  = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9_./-]+$`)
	kmsKeyRe  = regexp.MustCompile(`^(alias/[A-Za-z0-9/_-]{1,250}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+)$`)
	// regionRe is the shape of an AWS region, e.g. eu-west-1, us-gov-west-1.
	regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

func checkSecret(v any) error {
	s := v.(string)
	if !smNameRe.MatchString(s) && !smARNRe.MatchString(s) {
		return target.Invalid("give the secret's name (letters, digits and /_+=.@-) or its ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)", "invalid Secrets Manager secret %q", s)
	}
	return nil
}

func checkParameter(v any) error {
	s := v.(string)
	if !ssmNameRe.MatchString(s) && !ssmARNRe.MatchString(s) {
		return target.Invalid("parameter names use letters, digits and _.-, with / between levels (e.g. /prod/api/openai-key), or give its ARN", "invalid SSM parameter name %q", s)
	}
	low := strings.ToLower(strings.TrimPrefix(s, "/"))
	if strings.Count(s, "/") > 15 || len(s) > 1011 || strings.HasPrefix(low, "aws") || strings.HasPrefix(low, "ssm") {
		return target.Invalid("SSM allows at most 15 levels and 1011 characters, and reserves names starting with aws or ssm", "invalid SSM parameter name %q", s)
	}
	return nil
}

func checkRegionField(v any) error {
	if !regionRe.MatchString(v.(string)) {
		return target.Invalid("give an AWS region, e.g. eu-west-1", "region %q is not an AWS region (e.g. eu-west-1)", v)
	}
	return nil
}

// ARNRegion returns the region of an ARN of service, and whether id is
// one (arn:PARTITION:SERVICE:REGION:ACCOUNT:…).
func ARNRegion(id, service string) (string, bool) {
	parts := strings.SplitN(id, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != service {
		return "", false
	}
	return parts[3], true
}

// regionProblems checks that a region given beside an ARN agrees with it.
func regionProblems(region, id, service string) []target.Problem {
	if r, ok := ARNRegion(id, service); ok && region != "" && r != region {
		return []target.Problem{{Field: "region", Msg: fmt.Sprintf("region %q differs from the region of the ARN (%s): drop region, the ARN names it", region, r)}}
	}
	return nil
}

func regionPrefix(r string) string {
	if r == "" {
		return ""
	}
	return r + ":"
}

func regionNote(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// API is Secrets Manager and SSM Parameter Store, as the writers use them;
// internal/awsapi implements it over aws-sdk-go-v2. region "" is the
// client's region (AWS_REGION, or the profile's).
type API interface {
	DescribeSecret(ctx context.Context, region, id string) (awsapi.Secret, error)
	GetSecretValue(ctx context.Context, region, id string) (awsapi.SecretValue, error)
	PutSecretString(ctx context.Context, region, id string, v secret.Value) (versionID string, err error)
	GetParameter(ctx context.Context, region, name string, decrypt bool) (awsapi.Parameter, error)
	DescribeParameter(ctx context.Context, region, name string) (awsapi.Parameter, error)
	PutSecureParameter(ctx context.Context, region, name string, v secret.Value, kmsKeyID string) (version int64, err error)
	Permitted(ctx context.Context, action, resource string, identityOnly bool) (awsapi.Permission, error)
}

var _ API = (*awsapi.Client)(nil)

// NewSecretsManager returns the writer of aws-secretsmanager targets of
// env; NewSSM the writer of aws-ssm targets.
func NewSecretsManager(env *plugin.Env) SecretsManagerWriter { return SecretsManagerWriter{env: env} }

// NewSSM returns the writer of aws-ssm targets of env.
func NewSSM(env *plugin.Env) SSMWriter { return SSMWriter{env: env} }
