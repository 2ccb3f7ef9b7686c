package steps

import (
	"context"
	"errors"
	"time"

	"github.com/respondhq/respond/internal/secret"
)

// The interfaces below are what respond needs of AWS: IAM access keys (a
// provider of keys), and Secrets Manager and SSM Parameter Store (places
// a credential is kept: the aws-secretsmanager and aws-ssm targets). The
// steps own them; internal/awsapi implements them over the official AWS
// SDK for Go v2, and tests run that client against moto
// (internal/awsapi/awstest).

// ErrAWSAccessDenied is wrapped by AWS errors that mean the caller's
// credentials lack a permission (AccessDenied and its kin). The error's
// message names the IAM action that is missing.
var ErrAWSAccessDenied = errors.New("access denied")

// AWS is every AWS API respond uses.
type AWS interface {
	AWSKeys
	AWSSecretStores
}

// AWSKeys is IAM access keys, as a provider of keys: find one, contain it
// (deactivate, delete), create its replacement, verify a key with STS, and
// its usage from CloudTrail.
type AWSKeys interface {
	// CallerIdentity is who respond's own credentials are (STS
	// GetCallerIdentity).
	CallerIdentity(ctx context.Context) (AWSIdentity, error)
	// FindAccessKey finds a key by ID in the caller's account: its user
	// and last use (GetAccessKeyLastUsed), then its status and creation
	// (ListAccessKeys of that user). ErrNotFound if no such key exists.
	FindAccessKey(ctx context.Context, keyID string) (AWSAccessKey, error)
	// ListUsers lists the IAM users of the account (all pages), for
	// picking a key.
	ListUsers(ctx context.Context) ([]string, error)
	// ListAccessKeys lists a user's keys (IAM allows two), with their last
	// use. ErrNotFound if the user does not exist.
	ListAccessKeys(ctx context.Context, user string) ([]AWSAccessKey, error)
	// SetAccessKeyActive makes a key Active (true) or Inactive (false):
	// deactivating contains a leak at once and can be undone. ErrNotFound
	// if the key (or user) is gone.
	SetAccessKeyActive(ctx context.Context, user, keyID string, active bool) error
	// DeleteAccessKey deletes a key for good; ErrNotFound if it is gone.
	DeleteAccessKey(ctx context.Context, user, keyID string) error
	// CreateAccessKey creates a key for user and returns its secret, which
	// AWS shows only this once. It is never retried: after an error whose
	// outcome is unknown, list the user's keys to reconcile.
	CreateAccessKey(ctx context.Context, user string) (AWSNewAccessKey, error)
	// CheckAccessKey calls STS GetCallerIdentity signed with the given key
	// pair (not the client's own credentials) and classifies the answer.
	// Errors that say nothing of the key (network, throttling, server
	// errors) are returned as errors.
	CheckAccessKey(ctx context.Context, keyID string, secretKey secret.Value) (AWSKeyCheck, error)
	// LookupKeyEvents returns the CloudTrail management events made with
	// the key in [start, end) in region ("" is the client's region; IAM
	// and STS global events are recorded in us-east-1). A service that
	// does not answer, or that the caller may not query, is not an
	// error: the lookup says it was not answered, and why.
	LookupKeyEvents(ctx context.Context, region, keyID string, start, end time.Time) (AWSEventLookup, error)
}

// AWSSecretStores is Secrets Manager and SSM Parameter Store, as the
// aws-secretsmanager and aws-ssm targets use them. region "" is the
// client's region (AWS_REGION, or the profile's).
type AWSSecretStores interface {
	// DescribeSecret describes a secret (by name or ARN) without reading
	// its value; ErrNotFound if it does not exist.
	DescribeSecret(ctx context.Context, region, id string) (AWSSecret, error)
	// GetSecretValue reads the secret's current (AWSCURRENT) version.
	GetSecretValue(ctx context.Context, region, id string) (AWSSecretValue, error)
	// PutSecretString stores v as the secret's new current version and
	// returns its version ID; the version that was current is labelled
	// AWSPREVIOUS by Secrets Manager.
	PutSecretString(ctx context.Context, region, id string, v secret.Value) (versionID string, err error)
	// GetParameter reads an SSM parameter (decrypted when decrypt is true:
	// that needs kms:Decrypt on its key); ErrNotFound if it does not
	// exist.
	GetParameter(ctx context.Context, region, name string, decrypt bool) (AWSParameter, error)
	// DescribeParameter reads a parameter's metadata, including the KMS
	// key of a SecureString, without its value; ErrNotFound if it does not
	// exist.
	DescribeParameter(ctx context.Context, region, name string) (AWSParameter, error)
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
	Permitted(ctx context.Context, action, resource string, identityOnly bool) (AWSPermission, error)
}

// AWSIdentity is who a set of credentials is.
type AWSIdentity struct {
	Account string
	ARN     string // arn:aws:iam::123456789012:user/alice, …:assumed-role/…
	UserID  string
}

// AWSAccessKey is an IAM access key's metadata (never its secret).
type AWSAccessKey struct {
	ID      string // AKIA…
	User    string
	Status  string // Active or Inactive
	Created time.Time
	// LastUsed is nil if the key was never used (or IAM has no record).
	LastUsed        *time.Time
	LastUsedService string // e.g. "s3", or "N/A"
	LastUsedRegion  string
}

// Active reports whether the key's status is Active.
func (k AWSAccessKey) Active() bool { return k.Status == "Active" }

// AWSNewAccessKey is an access key as created: its secret is shown only
// this once.
type AWSNewAccessKey struct {
	ID      string
	User    string
	Secret  secret.Value
	Created time.Time
}

// AWSKeyState is what STS says of a key pair.
type AWSKeyState string

const (
	// AWSKeyLive: GetCallerIdentity answered 200 with the key's ARN.
	AWSKeyLive AWSKeyState = "live"
	// AWSKeyDead: InvalidClientTokenId: the key does not exist, was
	// deleted, or is inactive (AWS answers the same for an inactive key;
	// moto accepts inactive keys, see awstest).
	AWSKeyDead AWSKeyState = "dead"
	// AWSKeyWrongSecret: SignatureDoesNotMatch: the key ID exists, but the
	// secret given with it is not its secret. It says nothing of whether
	// the key is live.
	AWSKeyWrongSecret AWSKeyState = "wrong-secret"
	// AWSKeyDenied: the key authenticated but lacks permission: it is NOT
	// dead.
	AWSKeyDenied AWSKeyState = "denied"
)

// AWSKeyCheck is the evidence of a key check.
type AWSKeyCheck struct {
	State      AWSKeyState
	ARN        string // live: the key's identity
	Account    string
	StatusCode int    // HTTP status of the answer
	Code       string // AWS error code, if any
	CheckedAt  time.Time
}

// AWSEventLookup is what CloudTrail said of a key's use.
type AWSEventLookup struct {
	// Answered is false when CloudTrail could not be asked (not
	// implemented, access denied, unreachable): Reason says why.
	Answered  bool
	Reason    string
	Region    string
	Events    []AWSEvent // oldest first
	Truncated bool       // more events exist than were read
}

// AWSEvent is one CloudTrail event made with a key. Its fields come from
// AWS's record of a request the key's holder made, so they are data from
// whoever holds the key: show them, never act on them.
type AWSEvent struct {
	ID        string
	Time      time.Time
	Name      string // e.g. ListBuckets
	Source    string // e.g. s3.amazonaws.com
	Region    string
	SourceIP  string
	UserAgent string
	ErrorCode string // the call failed, e.g. AccessDenied
	ReadOnly  bool
}

// AWSSecret is a Secrets Manager secret's metadata.
type AWSSecret struct {
	ARN      string
	Name     string
	KMSKeyID string // "" is the default key, aws/secretsmanager
	// CurrentVersion and PreviousVersion are the versions labelled
	// AWSCURRENT and AWSPREVIOUS ("" if none).
	CurrentVersion  string
	PreviousVersion string
	Versions        map[string][]string // version ID -> staging labels
	// Deleted is set when the secret is scheduled for deletion.
	Deleted *time.Time
}

// AWSSecretValue is a secret's current version.
type AWSSecretValue struct {
	VersionID string
	String    secret.Value
	// Binary: the version holds SecretBinary, not SecretString (String is
	// then empty).
	Binary bool
}

// AWSParameter is an SSM parameter.
type AWSParameter struct {
	Name     string
	ARN      string
	Type     string // String, StringList, SecureString
	Version  int64
	Value    secret.Value // GetParameter only (decrypted when asked)
	KMSKeyID string       // DescribeParameter only, SecureString
}

// AWSDecision is IAM's answer to "may the caller do this".
type AWSDecision string

const (
	AWSAllowed AWSDecision = "allowed"
	AWSDenied  AWSDecision = "denied"
	AWSUnknown AWSDecision = "unknown"
)

// AWSPermission is the answer of Permitted.
type AWSPermission struct {
	Decision  AWSDecision
	Principal string // the ARN simulated
	Reason    string // why unknown, or which decision IAM gave
}
