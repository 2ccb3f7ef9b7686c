package steps

import (
	"context"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/secret"
)

// AWS is what the AWS targets need of AWS.
type AWS = AWSSecretStores

// AWSSecretStores is Secrets Manager and SSM Parameter Store, as the
// aws-secretsmanager and aws-ssm targets use them. region "" is the
// client's region (AWS_REGION, or the profile's).
type AWSSecretStores interface {
	// DescribeSecret describes a secret (by name or ARN) without reading
	// its value; step.ErrNotFound if it does not exist.
	DescribeSecret(ctx context.Context, region, id string) (awsapi.Secret, error)
	// GetSecretValue reads the secret's current (AWSCURRENT) version.
	GetSecretValue(ctx context.Context, region, id string) (awsapi.SecretValue, error)
	// PutSecretString stores v as the secret's new current version and
	// returns its version ID; the version that was current is labelled
	// AWSPREVIOUS by Secrets Manager.
	PutSecretString(ctx context.Context, region, id string, v secret.Value) (versionID string, err error)
	// GetParameter reads an SSM parameter (decrypted when decrypt is true:
	// that needs kms:Decrypt on its key); step.ErrNotFound if it does not
	// exist.
	GetParameter(ctx context.Context, region, name string, decrypt bool) (awsapi.Parameter, error)
	// DescribeParameter reads a parameter's metadata, including the KMS
	// key of a SecureString, without its value; step.ErrNotFound if it does not
	// exist.
	DescribeParameter(ctx context.Context, region, name string) (awsapi.Parameter, error)
	// PutSecureParameter writes v as a SecureString (overwriting), with
	// kmsKeyID ("" is the account's default key, alias/aws/ssm), and
	// returns the parameter's new version.
	PutSecureParameter(ctx context.Context, region, name string, v secret.Value, kmsKeyID string) (version int64, err error)
	// Permitted asks IAM (SimulatePrincipalPolicy) whether the caller may
	// call action on resource. It answers AWSUnknown, not an error,
	// whenever IAM cannot tell: the simulation is denied or unavailable,
	// the caller is not a user or role. identityOnly says no resource
	// policy can grant the action, so an implicit deny is a denial;
	// otherwise only an explicit deny is.
	Permitted(ctx context.Context, action, resource string, identityOnly bool) (awsapi.Permission, error)
}
