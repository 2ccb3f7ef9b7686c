package anthropicsim

import (
	"crypto/sha256"
	"io"
	"regexp"
	"time"
)

// Key prefixes.
const (
	apiKeyPrefix   = "sk-ant-api03-"
	adminKeyPrefix = "sk-ant-admin01-"
)

// Patterns of the keys the fake issues.
var (
	APIKeyPattern   = regexp.MustCompile(`^sk-ant-api03-[A-Za-z0-9_-]{93}AA$`)
	AdminKeyPattern = regexp.MustCompile(`^sk-ant-admin01-[A-Za-z0-9_-]{93}AA$`)
)

// Key statuses.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
	StatusArchived = "archived"
	StatusExpired  = "expired"
)

// DefaultWorkspace names the organization's default workspace.
const DefaultWorkspace = "Default"

// DefaultUser is the user who creates keys unless told otherwise.
var DefaultUser = derivedID("user_01", "user/admin")

const (
	keyChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	idChars  = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz" // base58
)

// draw draws n characters of alphabet from r.
func draw(r io.Reader, n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = io.ReadFull(r, b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// derivedID is an ID derived from a name (the same in every world).
func derivedID(prefix, name string) string {
	h := sha256.Sum256([]byte(name))
	b := make([]byte, 22)
	for i := range b {
		b[i] = idChars[int(h[i])%len(idChars)]
	}
	return prefix + string(b)
}

// workspaceID is the ID of the workspace named name.
func workspaceID(name string) string { return derivedID("wrkspc_01", "workspace/"+name) }

// key is an API key (or an admin key, which the Admin API does not list).
type key struct {
	id        string
	name      string
	value     string
	admin     bool
	workspace string // workspace name
	status    string // active, inactive or archived
	created   time.Time
	expires   time.Time
	createdBy actor // type "" when not recorded
	uses      int
	lastUsed  time.Time
}

type actor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// effectiveStatus is the status the API shows at now.
func (k *key) effectiveStatus(now time.Time) string {
	if k.status != StatusArchived && !k.expires.IsZero() && !now.Before(k.expires) {
		return StatusExpired
	}
	return k.status
}

// hint is the key's partial_key_hint: its prefix, three characters,
// "..." and its last four characters.
func (k *key) hint() string {
	prefix := apiKeyPrefix
	if k.admin {
		prefix = adminKeyPrefix
	}
	return prefix + k.value[len(prefix):len(prefix)+3] + "..." + k.value[len(k.value)-4:]
}

func rfc3339(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// render is the key object the API answers.
func (k *key) render(now time.Time) map[string]any {
	var createdBy any
	if k.createdBy.Type != "" {
		createdBy = k.createdBy
	}
	var wsLegacy any
	if k.workspace != DefaultWorkspace {
		wsLegacy = workspaceID(k.workspace)
	}
	return map[string]any{
		"type":             "api_key",
		"id":               k.id,
		"name":             k.name,
		"status":           k.effectiveStatus(now),
		"created_at":       rfc3339(k.created),
		"expires_at":       rfc3339(k.expires),
		"created_by":       createdBy,
		"partial_key_hint": k.hint(),
		"principal":        nil,
		"scope":            map[string]any{"type": "workspace", "workspace_id": workspaceID(k.workspace)},
		"workspace_id":     wsLegacy,
	}
}
