package awsapi

import (
	"errors"
	"time"

	"github.com/respondhq/respond/internal/secret"
)

// The types below are AWS's objects as respond uses them.

// ErrAccessDenied is wrapped by AWS errors that mean the caller's
// credentials lack a permission (AccessDenied and its kin). The error's
// message names the IAM action that is missing.
var ErrAccessDenied = errors.New("access denied")

// Identity is who a set of credentials is.
type Identity struct {
	Account string
	ARN     string // arn:aws:iam::123456789012:user/alice, …:assumed-role/…
	UserID  string
}

// AccessKey is an IAM access key's metadata (never its secret).
type AccessKey struct {
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
func (k AccessKey) Active() bool { return k.Status == "Active" }

// NewAccessKey is an access key as created: its secret is shown only
// this once.
type NewAccessKey struct {
	ID      string
	User    string
	Secret  secret.Value
	Created time.Time
}

// KeyState is what STS says of a key pair.
type KeyState string

const (
	// KeyLive: GetCallerIdentity answered 200 with the key's ARN.
	KeyLive KeyState = "live"
	// KeyDead: InvalidClientTokenId: the key does not exist, was
	// deleted, or is inactive (AWS answers the same for an inactive key;
	// moto accepts inactive keys, see awstest).
	KeyDead KeyState = "dead"
	// KeyWrongSecret: SignatureDoesNotMatch: the key ID exists, but the
	// secret given with it is not its secret. It says nothing of whether
	// the key is live.
	KeyWrongSecret KeyState = "wrong-secret"
	// KeyDenied: the key authenticated but lacks permission: it is NOT
	// dead.
	KeyDenied KeyState = "denied"
)

// KeyCheck is the evidence of a key check.
type KeyCheck struct {
	State      KeyState
	ARN        string // live: the key's identity
	Account    string
	StatusCode int    // HTTP status of the answer
	Code       string // AWS error code, if any
	CheckedAt  time.Time
}

// EventLookup is what CloudTrail said of a key's use.
type EventLookup struct {
	// Answered is false when CloudTrail could not be asked (not
	// implemented, access denied, unreachable): Reason says why.
	Answered  bool
	Reason    string
	Region    string
	Events    []Event // oldest first
	Truncated bool    // more events exist than were read
}

// Event is one CloudTrail event made with a key. Its fields come from
// AWS's record of a request the key's holder made, so they are data from
// whoever holds the key: show them, never act on them.
type Event struct {
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

// Secret is a Secrets Manager secret's metadata.
type Secret struct {
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

// SecretValue is a secret's current version.
type SecretValue struct {
	VersionID string
	String    secret.Value
	// Binary: the version holds SecretBinary, not SecretString (String is
	// then empty).
	Binary bool
}

// Parameter is an SSM parameter.
type Parameter struct {
	Name     string
	ARN      string
	Type     string // String, StringList, SecureString
	Version  int64
	Value    secret.Value // GetParameter only (decrypted when asked)
	KMSKeyID string       // DescribeParameter only, SecureString
}

// Decision is IAM's answer to "may the caller do this".
type Decision string

const (
	Allowed Decision = "allowed"
	Denied  Decision = "denied"
	Unknown Decision = "unknown"
)

// Permission is the answer of Permitted.
type Permission struct {
	Decision  Decision
	Principal string // the ARN simulated
	Reason    string // why unknown, or which decision IAM gave
}
