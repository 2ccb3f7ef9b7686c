package googlesim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"strings"
	"time"
)

// DefaultProject is the project of keys issued with no scope, and the
// project the service account belongs to.
const DefaultProject = "respond-sim"

// purgeAfter is how long a deleted key can be undeleted.
const purgeAfter = 30 * 24 * time.Hour

// usageWindow is how far back checkExistingUsage=CHECK looks.
const usageWindow = 7 * 24 * time.Hour

// project is a Google Cloud project.
type project struct {
	ID     string
	Number string
	// Denied makes every call on the project answer PERMISSION_DENIED.
	Denied bool
}

// projectNumber is a project's number: 12 digits derived from its ID, so
// that it is the same in every world.
func projectNumber(id string) string {
	h := sha256.Sum256([]byte("google-project/" + id))
	n := binary.BigEndian.Uint64(h[:8])%900000000000 + 100000000000
	return fmt.Sprint(n)
}

// Restrictions are a key's restrictions, as the API writes them.
type Restrictions struct {
	BrowserKeyRestrictions *BrowserKeyRestrictions `json:"browserKeyRestrictions,omitempty"`
	ServerKeyRestrictions  *ServerKeyRestrictions  `json:"serverKeyRestrictions,omitempty"`
	AndroidKeyRestrictions *AndroidKeyRestrictions `json:"androidKeyRestrictions,omitempty"`
	IosKeyRestrictions     *IosKeyRestrictions     `json:"iosKeyRestrictions,omitempty"`
	APITargets             []APITarget             `json:"apiTargets,omitempty"`
}

// BrowserKeyRestrictions are the referrers allowed to use a key.
type BrowserKeyRestrictions struct {
	AllowedReferrers []string `json:"allowedReferrers,omitempty"`
}

// ServerKeyRestrictions are the caller IP addresses (or CIDR ranges)
// allowed to use a key.
type ServerKeyRestrictions struct {
	AllowedIps []string `json:"allowedIps,omitempty"`
}

// AndroidKeyRestrictions are the Android applications allowed to use a key.
type AndroidKeyRestrictions struct {
	AllowedApplications []AndroidApplication `json:"allowedApplications,omitempty"`
}

// AndroidApplication is one Android application.
type AndroidApplication struct {
	Sha1Fingerprint string `json:"sha1Fingerprint,omitempty"`
	PackageName     string `json:"packageName,omitempty"`
}

// IosKeyRestrictions are the iOS bundle IDs allowed to use a key.
type IosKeyRestrictions struct {
	AllowedBundleIds []string `json:"allowedBundleIds,omitempty"`
}

// APITarget allows one service, and optionally only some of its methods.
type APITarget struct {
	Service string   `json:"service,omitempty"`
	Methods []string `json:"methods,omitempty"`
}

// kinds counts the application restrictions set (at most one is allowed).
func (r *Restrictions) kinds() int {
	if r == nil {
		return 0
	}
	n := 0
	for _, set := range []bool{r.BrowserKeyRestrictions != nil, r.ServerKeyRestrictions != nil,
		r.AndroidKeyRestrictions != nil, r.IosKeyRestrictions != nil} {
		if set {
			n++
		}
	}
	return n
}

// sha1Hex matches a SHA-1 fingerprint, with or without colons.
var sha1Hex = regexp.MustCompile(`^(?i:[0-9a-f]{40}|([0-9a-f]{2}:){19}[0-9a-f]{2})$`)

// normalize checks restrictions as the API does and returns them in the
// form it stores (fingerprints without colons, upper case).
func (r *Restrictions) normalize() (*Restrictions, *googleError) {
	if r == nil {
		return nil, nil
	}
	if r.kinds() > 1 {
		return nil, invalidArgument("Only one of browserKeyRestrictions, serverKeyRestrictions, androidKeyRestrictions and iosKeyRestrictions may be set.")
	}
	out := r.clone()
	if a := out.AndroidKeyRestrictions; a != nil {
		for i, app := range a.AllowedApplications {
			if !sha1Hex.MatchString(app.Sha1Fingerprint) {
				return nil, invalidArgument("Invalid SHA-1 fingerprint %q of Android application %q.", app.Sha1Fingerprint, app.PackageName)
			}
			if app.PackageName == "" {
				return nil, invalidArgument("An Android application needs a package name.")
			}
			a.AllowedApplications[i].Sha1Fingerprint = strings.ToUpper(strings.ReplaceAll(app.Sha1Fingerprint, ":", ""))
		}
	}
	for _, t := range out.APITargets {
		if t.Service == "" {
			return nil, invalidArgument("An API target needs a service.")
		}
	}
	return out, nil
}

// clone deep-copies r.
func (r *Restrictions) clone() *Restrictions {
	if r == nil {
		return nil
	}
	b, _ := json.Marshal(r)
	var c Restrictions
	_ = json.Unmarshal(b, &c)
	return &c
}

// key is an API key.
type key struct {
	project     string // project ID
	id          string
	uid         string
	displayName string
	keyString   string
	created     time.Time
	updated     time.Time
	deleted     time.Time
	annotations map[string]string
	restr       *Restrictions
	saEmail     string
	// purged keys are gone but for lookupKey's parent.
	purged   bool
	uses     int
	lastUsed time.Time
}

// keyJSON is a key as the API writes it.
type keyJSON struct {
	Type                string            `json:"@type,omitempty"`
	Name                string            `json:"name"`
	UID                 string            `json:"uid"`
	DisplayName         string            `json:"displayName,omitempty"`
	KeyString           string            `json:"keyString,omitempty"`
	CreateTime          string            `json:"createTime"`
	UpdateTime          string            `json:"updateTime"`
	DeleteTime          string            `json:"deleteTime,omitempty"`
	Annotations         map[string]string `json:"annotations,omitempty"`
	Restrictions        *Restrictions     `json:"restrictions,omitempty"`
	Etag                string            `json:"etag"`
	ServiceAccountEmail string            `json:"serviceAccountEmail,omitempty"`
}

// stamp is Google's timestamp form: RFC 3339 in UTC with microseconds.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// name is the key's resource name, with the project's number.
func (k *key) name() string {
	return "projects/" + projectNumber(k.project) + "/locations/global/keys/" + k.id
}

// etag is a checksum of the key's current value (AIP-154), weak as
// Google writes it.
func (k *key) etag() string {
	b, _ := json.Marshal([]any{k.displayName, k.annotations, k.restr, stamp(k.updated), stamp(k.deleted)})
	h := sha256.Sum256(b)
	return `W/"` + base64.StdEncoding.EncodeToString(h[:16]) + `"`
}

// render is the key as the API answers it; withString adds its keyString
// (CreateKey's answer only).
func (k *key) render(withString bool) keyJSON {
	j := keyJSON{
		Name: k.name(), UID: k.uid, DisplayName: k.displayName,
		CreateTime: stamp(k.created), UpdateTime: stamp(k.updated), DeleteTime: stamp(k.deleted),
		Annotations: maps.Clone(k.annotations), Restrictions: k.restr.clone(), Etag: k.etag(),
		ServiceAccountEmail: k.saEmail,
	}
	if withString {
		j.KeyString = k.keyString
	}
	return j
}

// keyChars are the characters of a key string after "AIza".
const keyChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"

// newKeyString draws "AIza" + 35 of [0-9A-Za-z_-].
func newKeyString(r io.Reader) string {
	b := make([]byte, 35)
	_, _ = io.ReadFull(r, b)
	for i := range b {
		b[i] = keyChars[int(b[i])%len(keyChars)]
	}
	return "AIza" + string(b)
}

// KeyPattern matches a Google API key.
var KeyPattern = regexp.MustCompile(`^AIza[0-9A-Za-z_-]{35}$`)

// newUUID draws a version 4 UUID.
func newUUID(r io.Reader) string {
	b := make([]byte, 16)
	_, _ = io.ReadFull(r, b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// keyIDPattern is what a keyId must match (RFC 1034, lower case, ≤ 63).
var keyIDPattern = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// uuidLike matches IDs the API refuses as keyId, since generated IDs take
// that form.
var uuidLike = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// operation is a long-running operation.
type operation struct {
	name    string
	started time.Time // wall clock: when it reports done is about polling, not the world's time
	result  keyJSON
	method  string
}
