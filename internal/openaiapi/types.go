package openaiapi

import (
	"time"

	"github.com/respondhq/respond/internal/secret"
)

// The types below are the Admin API's objects as respond uses them.

// SpendControls are a project's guards against runaway spend.
type SpendControls struct {
	Limit  *SpendLimit // nil: no hard spend limit
	Alerts []SpendAlert
}

// SpendLimit is a project's hard spend limit.
type SpendLimit struct {
	AmountCents int64
	Currency    string // "USD"
	Interval    string // "month"
	Enforcement string // e.g. "enforcing"
}

// SpendAlert is one spend alert of a project.
type SpendAlert struct {
	ID          string
	AmountCents int64
	Currency    string
	Interval    string
	Recipients  int // how many addresses it e-mails (the addresses are not kept)
}

// Project is an OpenAI project.
type Project struct {
	ID, Name, Status string
}

// ProjectKey is a project API key's metadata (never its value).
type ProjectKey struct {
	ID            string
	Name          string
	RedactedValue string
	Created       time.Time
	LastUsed      *time.Time // nil if never used
	OwnerType     string     // "user" or "service_account"
	OwnerID       string     // user_… or svc_acct_…
	OwnerName     string
	OwnerEmail    string // users only
}

// ServiceAccount is a project service account.
type ServiceAccount struct {
	ID, Name, Role string
	Created        time.Time
}

// NewKey is a key as created: the value is shown only this once.
type NewKey struct {
	ID    string
	Name  string
	Value secret.Value
}

// KeyState is what GET /v1/models says about a key.
type KeyState string

const (
	KeyLive       KeyState = "live"       // 200
	KeyDead       KeyState = "dead"       // 401 with code invalid_api_key
	KeyRestricted KeyState = "restricted" // 401 with another code: alive but lacking scopes
)

// KeyCheck is the evidence of a key check.
type KeyCheck struct {
	State      KeyState
	StatusCode int
	Code       string // the error code, if any
	Method     string // how it was checked: "GET /v1/models", "sts:GetCallerIdentity"
	Detail     string // e.g. the identity a live AWS key authenticates as
	CheckedAt  time.Time
}

// UsageBucket is one hour of a key's usage.
type UsageBucket struct {
	Start, End   time.Time
	KeyID        string
	Requests     int64
	InputTokens  int64
	OutputTokens int64
}
