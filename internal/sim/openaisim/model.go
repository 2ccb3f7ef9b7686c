package openaisim

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// KeyKind says who owns an API key.
type KeyKind string

// The kinds of key the simulator knows.
const (
	// KindUser is a project key owned by a user (sk-proj-…).
	KindUser KeyKind = "user"
	// KindServiceAccount is a project key owned by a service account (sk-svcacct-…).
	KindServiceAccount KeyKind = "service_account"
	// KindAdmin is an organization admin key (sk-admin-…).
	KindAdmin KeyKind = "admin"
)

// Reasons a key stopped working, as shown in State.
const (
	// RevokedDeleted: deleted through the Admin API.
	RevokedDeleted = "deleted"
	// RevokedServiceAccountDeleted: its service account was deleted.
	RevokedServiceAccountDeleted = "service_account_deleted"
	// RevokedByProvider: disabled by the provider (RevokeKey), as OpenAI does
	// with keys reported leaked.
	RevokedByProvider = "provider"
)

// Key formats from API-NOTES §8: prefix + head + "T3BlbkFJ" + tail.
const (
	keyMarker = "T3BlbkFJ" // base64 of "OpenAI"

	// keyAlphabet is the body alphabet [A-Za-z0-9_-]: exactly 64 symbols, so
	// a random byte masked to 6 bits picks one without bias.
	keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	// idAlphabet is used for object IDs.
	idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

type keyFormat struct {
	prefix string
	half   int
}

var keyFormats = map[KeyKind]keyFormat{
	KindUser:           {"sk-proj-", 74},    // 164 characters
	KindServiceAccount: {"sk-svcacct-", 74}, // 167 characters
	KindAdmin:          {"sk-admin-", 58},   // 133 characters
}

// randomString draws n symbols of alphabet from r without modulo bias.
func randomString(r io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet) // bytes >= limit are rejected
	var b strings.Builder
	b.Grow(n)
	buf := make([]byte, n)
	for b.Len() < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("reading random bytes: %w", err)
		}
		for _, c := range buf {
			if int(c) >= limit || b.Len() == n {
				continue
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
		}
	}
	return b.String(), nil
}

// newKeyValue makes a key value of the given kind in the documented format.
func newKeyValue(r io.Reader, kind KeyKind) (string, error) {
	f, ok := keyFormats[kind]
	if !ok {
		return "", fmt.Errorf("unknown key kind %q", kind)
	}
	body, err := randomString(r, keyAlphabet, 2*f.half)
	if err != nil {
		return "", err
	}
	return f.prefix + body[:f.half] + keyMarker + body[f.half:], nil
}

// RedactedValue returns the redacted_value the Admin API shows for a key:
// the first 8 characters, one '*' per hidden character and the last 4, so
// it is as long as the key (API-NOTES §8, observed in real responses).
func RedactedValue(value string) string {
	if len(value) <= 12 {
		return strings.Repeat("*", len(value))
	}
	return value[:8] + strings.Repeat("*", len(value)-12) + value[len(value)-4:]
}

// maskForMessage is how OpenAI names a rejected key in a 401 message: the
// first 8 characters, "****…" and the last 4 (API-NOTES §7). Short values
// (which are not real keys) reveal at most 3 characters.
func maskForMessage(value string) string {
	if len(value) < 20 {
		return value[:min(3, len(value))] + "****…"
	}
	return value[:8] + "****…" + value[len(value)-4:]
}

type project struct {
	id       string
	name     string
	created  time.Time
	archived *time.Time
}

type user struct {
	id, name, email, role string
	// created is explicit (AddUserAt) or the creation time of the user's
	// first key; zero until one of those is known.
	created  time.Time
	explicit bool // created was given explicitly
}

type serviceAccount struct {
	id, projectID, name, role string
	created                   time.Time
	deleted                   *time.Time
}

type apiKey struct {
	id, name string
	value    string
	kind     KeyKind
	// projectID is empty for admin keys.
	projectID string
	// ownerID is a user ID (user and admin keys) or a service account ID.
	ownerID string
	scopes  []string
	created time.Time

	lastUsed *time.Time
	expires  *time.Time

	revoked       *time.Time
	revokedReason string

	// restricted keys are live but lack scopes (see SetRestricted).
	restricted bool
	// ownerAccess is "active" or "inactive" (owner_project_access).
	ownerAccess string
}

// live reports whether the key authenticates at t.
func (k *apiKey) live(t time.Time) bool {
	if k.revoked != nil {
		return false
	}
	return k.expires == nil || t.Before(*k.expires)
}

// missingModelScope reports whether the key's explicit scopes exclude
// listing models. A key with no explicit scopes has full access.
func (k *apiKey) missingModelScope() bool {
	if k.restricted {
		return true
	}
	if len(k.scopes) == 0 {
		return false
	}
	for _, s := range k.scopes {
		if s == "api.model.read" || s == "api.model.request" || s == "*" {
			return false
		}
	}
	return true
}

type usageRecord struct {
	projectID, keyID, userID, model string
	at                              time.Time
	requests, input, output         int64
}

// auditEvent is one audit log entry. details is the object stored under the
// property named after the event type.
type auditEvent struct {
	id          string
	typ         string
	at          time.Time
	projectID   string
	projectName string
	actor       *auditActor
	details     map[string]any
	resourceID  string
}

type auditActor struct {
	// kind is "session" or "api_key".
	kind string
	// userID/email identify the user of a session or a user-owned key.
	userID, email string
	// apiKeyID and apiKeyType ("user" or "service_account") describe an
	// api_key actor; serviceAccountID its service account.
	apiKeyID, apiKeyType, serviceAccountID string
}
