package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	apikeys "google.golang.org/api/apikeys/v2"

	"github.com/respondhq/respond/internal/secret"
)

// Key is an API key's metadata. Its text fields are as the API gave them:
// attacker-controlled where a project is shared, so escape them before
// showing them.
type Key struct {
	// Name is projects/NUMBER/locations/global/keys/ID.
	Name string
	// Project is the project of Name (its number, as the API names it).
	Project string
	// ID is the last segment of Name.
	ID string
	// UID is the key's unique ID (a UUID).
	UID         string
	DisplayName string
	Created     time.Time
	Updated     time.Time
	// Deleted is when the key was deleted; zero for a live key. A deleted
	// key can be undeleted for 30 days.
	Deleted             time.Time
	Annotations         map[string]string
	Restrictions        Restrictions
	ServiceAccountEmail string
	// Etag names this version of the key (DeleteKey's etag).
	Etag string
	// KeyString is the key's value; only CreateKey sets it.
	KeyString secret.Value
}

// IsDeleted reports whether the key is deleted.
func (k Key) IsDeleted() bool { return !k.Deleted.IsZero() }

// Restrictions are a key's restrictions. At most one of Browser, Server,
// Android and IOS is set (the API allows one kind of application
// restriction); APITargets may be combined with any of them. A nil field
// is a restriction the key does not have; a replacement made from these is
// never broader than the original.
type Restrictions struct {
	Browser    *BrowserRestriction
	Server     *ServerRestriction
	Android    *AndroidRestriction
	IOS        *IOSRestriction
	APITargets []APITarget
}

// BrowserRestriction: the referrers (patterns) allowed to use the key.
type BrowserRestriction struct{ AllowedReferrers []string }

// ServerRestriction: the caller IPs (or CIDR ranges) allowed to use the key.
type ServerRestriction struct{ AllowedIPs []string }

// AndroidRestriction: the Android applications allowed to use the key.
type AndroidRestriction struct{ AllowedApplications []AndroidApp }

// AndroidApp is an Android application: its package and the SHA-1
// fingerprint of its signing certificate.
type AndroidApp struct{ PackageName, SHA1Fingerprint string }

// IOSRestriction: the iOS bundle IDs allowed to use the key.
type IOSRestriction struct{ AllowedBundleIDs []string }

// APITarget allows one service, and only Methods of it if any are given.
type APITarget struct {
	Service string
	Methods []string
}

// IsZero reports whether there are no restrictions at all.
func (r Restrictions) IsZero() bool {
	return r.Browser == nil && r.Server == nil && r.Android == nil && r.IOS == nil && len(r.APITargets) == 0
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

// toAPI converts restrictions to the client's form (nil if none).
func (r Restrictions) toAPI() (*apikeys.V2Restrictions, error) {
	n := 0
	for _, set := range []bool{r.Browser != nil, r.Server != nil, r.Android != nil, r.IOS != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, errors.New("google: a key can have only one of browser, server, Android and iOS restrictions")
	}
	if r.IsZero() {
		return nil, nil
	}
	out := &apikeys.V2Restrictions{}
	if r.Browser != nil {
		out.BrowserKeyRestrictions = &apikeys.V2BrowserKeyRestrictions{AllowedReferrers: cloneStrings(r.Browser.AllowedReferrers)}
	}
	if r.Server != nil {
		out.ServerKeyRestrictions = &apikeys.V2ServerKeyRestrictions{AllowedIps: cloneStrings(r.Server.AllowedIPs)}
	}
	if r.Android != nil {
		a := &apikeys.V2AndroidKeyRestrictions{}
		for _, app := range r.Android.AllowedApplications {
			a.AllowedApplications = append(a.AllowedApplications, &apikeys.V2AndroidApplication{PackageName: app.PackageName, Sha1Fingerprint: app.SHA1Fingerprint})
		}
		out.AndroidKeyRestrictions = a
	}
	if r.IOS != nil {
		out.IosKeyRestrictions = &apikeys.V2IosKeyRestrictions{AllowedBundleIds: cloneStrings(r.IOS.AllowedBundleIDs)}
	}
	for _, t := range r.APITargets {
		out.ApiTargets = append(out.ApiTargets, &apikeys.V2ApiTarget{Service: t.Service, Methods: cloneStrings(t.Methods)})
	}
	return out, nil
}

// restrictionsFromAPI converts the client's restrictions.
func restrictionsFromAPI(in *apikeys.V2Restrictions) Restrictions {
	var r Restrictions
	if in == nil {
		return r
	}
	if b := in.BrowserKeyRestrictions; b != nil {
		r.Browser = &BrowserRestriction{AllowedReferrers: cloneStrings(b.AllowedReferrers)}
	}
	if s := in.ServerKeyRestrictions; s != nil {
		r.Server = &ServerRestriction{AllowedIPs: cloneStrings(s.AllowedIps)}
	}
	if a := in.AndroidKeyRestrictions; a != nil {
		r.Android = &AndroidRestriction{}
		for _, app := range a.AllowedApplications {
			if app != nil {
				r.Android.AllowedApplications = append(r.Android.AllowedApplications, AndroidApp{PackageName: app.PackageName, SHA1Fingerprint: app.Sha1Fingerprint})
			}
		}
	}
	if i := in.IosKeyRestrictions; i != nil {
		r.IOS = &IOSRestriction{AllowedBundleIDs: cloneStrings(i.AllowedBundleIds)}
	}
	for _, t := range in.ApiTargets {
		if t != nil {
			r.APITargets = append(r.APITargets, APITarget{Service: t.Service, Methods: cloneStrings(t.Methods)})
		}
	}
	return r
}

// Names respond builds URLs from, checked so that nothing from outside can
// reach another path (the client expands names unescaped).
var (
	projectPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	newKeyIDRe     = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	keyNamePattern = regexp.MustCompile(`^projects/([a-z0-9][a-z0-9-]{0,62})/locations/global/keys/([A-Za-z0-9][A-Za-z0-9-]{0,62})$`)
)

// KeyName is the resource name of key keyID in project (ID or number).
func KeyName(project, keyID string) string {
	return "projects/" + project + "/locations/global/keys/" + keyID
}

// ParseKeyName splits a key's resource name into project and key ID.
func ParseKeyName(name string) (project, keyID string, err error) {
	m := keyNamePattern.FindStringSubmatch(name)
	if m == nil {
		return "", "", fmt.Errorf("google: %q is not a key name (projects/PROJECT/locations/global/keys/ID)", name)
	}
	return m[1], m[2], nil
}

func checkProject(p string) error {
	if !projectPattern.MatchString(p) {
		return fmt.Errorf("google: %q is not a project ID or number", p)
	}
	return nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// keyFromAPI converts the client's key.
func keyFromAPI(k *apikeys.V2Key) Key {
	out := Key{Name: k.Name, UID: k.Uid, DisplayName: k.DisplayName, Created: parseTime(k.CreateTime),
		Updated: parseTime(k.UpdateTime), Deleted: parseTime(k.DeleteTime), Annotations: maps.Clone(k.Annotations),
		Restrictions: restrictionsFromAPI(k.Restrictions), ServiceAccountEmail: k.ServiceAccountEmail, Etag: k.Etag}
	out.Project, out.ID, _ = ParseKeyName(k.Name)
	if k.KeyString != "" {
		out.KeyString = secret.New(k.KeyString)
	}
	return out
}

// LookupKey finds the project (its number) and resource name of the key
// whose string is value. keyName is empty when the key has been purged.
// ErrNotFound if value is no key Google knows.
func (c *Client) LookupKey(ctx context.Context, value secret.Value) (project, keyName string, err error) {
	if value.IsZero() {
		return "", "", errors.New("google: looking up a key: no key string given")
	}
	var res *apikeys.V2LookupKeyResponse
	err = c.retry(ctx, func() error {
		r, err := c.svc.Keys.LookupKey().KeyString(value.Reveal()).Context(ctx).Do()
		res = r
		return apiError("looking up key "+value.Redacted(), err)
	})
	if err != nil {
		return "", "", err
	}
	return strings.TrimPrefix(res.Parent, "projects/"), res.Name, nil
}

// GetKey reads a key's metadata (never its string). ErrNotFound if there
// is no such key (or it was purged); a deleted key has Deleted set.
func (c *Client) GetKey(ctx context.Context, name string) (Key, error) {
	if _, _, err := ParseKeyName(name); err != nil {
		return Key{}, err
	}
	var k *apikeys.V2Key
	err := c.retry(ctx, func() error {
		r, err := c.svc.Projects.Locations.Keys.Get(name).Context(ctx).Do()
		k = r
		return apiError("reading key "+name, err)
	})
	if err != nil {
		return Key{}, err
	}
	return keyFromAPI(k), nil
}

// ListKeys lists a project's keys (all pages); showDeleted adds the keys
// deleted in the last 30 days.
func (c *Client) ListKeys(ctx context.Context, project string, showDeleted bool) ([]Key, error) {
	if err := checkProject(project); err != nil {
		return nil, err
	}
	parent := "projects/" + project + "/locations/global"
	var out []Key
	token := ""
	for {
		var page *apikeys.V2ListKeysResponse
		err := c.retry(ctx, func() error {
			call := c.svc.Projects.Locations.Keys.List(parent).PageSize(c.pageSize).ShowDeleted(showDeleted).Context(ctx)
			if token != "" {
				call = call.PageToken(token)
			}
			r, err := call.Do()
			page = r
			return apiError("listing the keys of project "+project, err)
		})
		if err != nil {
			return nil, err
		}
		for _, k := range page.Keys {
			if k != nil {
				out = append(out, keyFromAPI(k))
			}
		}
		if page.NextPageToken == "" || page.NextPageToken == token {
			return out, nil
		}
		token = page.NextPageToken
	}
}

// GetKeyString reads a key's value.
func (c *Client) GetKeyString(ctx context.Context, name string) (secret.Value, error) {
	if _, _, err := ParseKeyName(name); err != nil {
		return secret.Value{}, err
	}
	var v secret.Value
	err := c.retry(ctx, func() error {
		r, err := c.svc.Projects.Locations.Keys.GetKeyString(name).Context(ctx).Do()
		if err == nil {
			v = secret.New(r.KeyString)
		}
		return apiError("reading the key string of "+name, err)
	})
	return v, err
}

// CreateKey creates a key in project with the ID keyID (required: it is
// what makes a create reconcilable) and waits for the operation. It is
// sent once: when it fails with ErrAlreadyExists, a previous attempt (or
// someone else) made the key; GetKey(KeyName(project, keyID)) tells which.
// The returned Key carries its KeyString.
func (c *Client) CreateKey(ctx context.Context, project, keyID, displayName string, r Restrictions, annotations map[string]string) (Key, error) {
	return c.CreateBoundKey(ctx, project, keyID, displayName, "", r, annotations)
}

// CreateBoundKey is CreateKey for a key bound to a service account
// (serviceAccountEmail; "" for none), as the key it replaces was: the
// caller then needs permission to act as that service account.
func (c *Client) CreateBoundKey(ctx context.Context, project, keyID, displayName, serviceAccountEmail string, r Restrictions, annotations map[string]string) (Key, error) {
	if err := checkProject(project); err != nil {
		return Key{}, err
	}
	if !newKeyIDRe.MatchString(keyID) {
		return Key{}, fmt.Errorf("google: key ID %q must match [a-z]([a-z0-9-]{0,61}[a-z0-9])?", keyID)
	}
	if n := len([]rune(displayName)); n > 63 {
		return Key{}, fmt.Errorf("google: a key's display name has at most 63 characters, not %d", n)
	}
	restr, err := r.toAPI()
	if err != nil {
		return Key{}, err
	}
	op := "creating key " + keyID + " in project " + project
	o, err := c.svc.Projects.Locations.Keys.Create("projects/"+project+"/locations/global",
		&apikeys.V2Key{DisplayName: displayName, Restrictions: restr, Annotations: maps.Clone(annotations), ServiceAccountEmail: serviceAccountEmail}).
		KeyId(keyID).Context(ctx).Do()
	if err != nil {
		return Key{}, apiError(op, err)
	}
	return c.wait(ctx, op, o)
}

// DeleteKey deletes a key, if etag is not empty only while the key is as
// it was read (ErrEtagMismatch otherwise), and waits for the operation. A
// key that is already deleted is not an error: DeleteKey returns it.
func (c *Client) DeleteKey(ctx context.Context, name, etag string) (Key, error) {
	k, _, err := c.DeleteKeyStatus(ctx, name, etag)
	return k, err
}

// DeleteKeyStatus is DeleteKey that also reports whether the key was
// deleted already, before this call (by someone else, or by Google). A key
// found deleted only after a request was retried counts as deleted by this
// call: the attempt whose answer was lost most likely deleted it.
func (c *Client) DeleteKeyStatus(ctx context.Context, name, etag string) (k Key, already bool, err error) {
	if _, _, err := ParseKeyName(name); err != nil {
		return Key{}, false, err
	}
	op := "deleting key " + name
	var o *apikeys.Operation
	attempts := 0
	err = c.retry(ctx, func() error {
		attempts++
		call := c.svc.Projects.Locations.Keys.Delete(name).Context(ctx)
		if etag != "" {
			call = call.Etag(etag)
		}
		r, err := call.Do()
		o = r
		return apiError(op, err)
	})
	if errors.Is(err, ErrFailedPrecondition) {
		// Deleted already (by an earlier attempt whose answer was lost, or
		// by someone else)? Then the deletion is done.
		if k, gerr := c.GetKey(ctx, name); gerr == nil && k.IsDeleted() {
			return k, attempts == 1, nil
		}
	}
	if err != nil {
		return Key{}, false, err
	}
	k, err = c.wait(ctx, op, o)
	return k, false, err
}

// UndeleteKey restores a key deleted in the last 30 days and waits for
// the operation.
func (c *Client) UndeleteKey(ctx context.Context, name string) (Key, error) {
	if _, _, err := ParseKeyName(name); err != nil {
		return Key{}, err
	}
	op := "undeleting key " + name
	o, err := c.svc.Projects.Locations.Keys.Undelete(name, &apikeys.V2UndeleteKeyRequest{}).Context(ctx).Do()
	if err != nil {
		return Key{}, apiError(op, err)
	}
	return c.wait(ctx, op, o)
}

// wait polls an operation until it is done, with backoff, within
// c.opTimeout, and returns the key it produced.
func (c *Client) wait(ctx context.Context, op string, o *apikeys.Operation) (Key, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opTimeout)
	defer cancel()
	delay := c.backoff / 2
	for !o.Done {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return Key{}, fmt.Errorf("google: %s: operation %s did not finish in %s: it may still complete; "+
				"read the key again before retrying: %w", op, o.Name, c.opTimeout, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*3/2+1, c.maxBackoff/2)
		name := o.Name
		if !strings.HasPrefix(name, "operations/") || strings.Contains(name, "..") {
			return Key{}, fmt.Errorf("google: %s: the API named its operation %q, which respond will not poll", op, name)
		}
		err := c.retry(ctx, func() error {
			r, err := c.svc.Operations.Get(name).Context(ctx).Do()
			if err == nil {
				o = r
			}
			return apiError(op+": polling "+name, err)
		})
		if err != nil {
			return Key{}, err
		}
	}
	if o.Error != nil {
		return Key{}, operationError(op, o.Error.Code, o.Error.Message)
	}
	var k apikeys.V2Key
	if err := json.Unmarshal(o.Response, &k); err != nil || k.Name == "" {
		return Key{}, fmt.Errorf("google: %s: the finished operation %s holds no key", op, o.Name)
	}
	return keyFromAPI(&k), nil
}
