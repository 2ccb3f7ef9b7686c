package googlesim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// IssueKey seeds a key (simapi.KeyIssuer). req.Scope is the project ID
// (DefaultProject when empty; the project is made if need be), req.Name
// its display name. req.Attrs, all optional:
//
//	key_id          the key's ID (default: its uid)
//	referrers       browser restriction: allowed referrers, comma-separated
//	ips             server restriction: allowed IPs or CIDR ranges, comma-separated
//	android_apps    Android restriction: PACKAGE=SHA1 pairs, comma-separated
//	ios_bundle_ids  iOS restriction: bundle IDs, comma-separated
//	api_targets     API targets, comma-separated; each SERVICE or
//	                SERVICE=METHOD|METHOD…
//	annotation.NAME an annotation NAME with the attribute's value
//	service_account the service account the key is bound to
//	deleted         RFC 3339 time the key was deleted at
//
// At most one of referrers, ips, android_apps and ios_bundle_ids may be
// given, as the API allows.
func (s *Server) IssueKey(req simapi.IssueRequest) (simapi.IssuedKey, error) {
	if err := checkDisplayName(req.Name); err != nil {
		return simapi.IssuedKey{}, fmt.Errorf("googlesim: %s", err.message)
	}
	restr, ann, err := parseAttrs(req.Attrs)
	if err != nil {
		return simapi.IssuedKey{}, err
	}
	restr, gerr := restr.normalize()
	if gerr != nil {
		return simapi.IssuedKey{}, fmt.Errorf("googlesim: %s", gerr.message)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	proj := req.Scope
	if proj == "" {
		proj = DefaultProject
	}
	p := s.addProject(proj)
	created := req.Created
	if created.IsZero() {
		created = s.now()
	}
	k := &key{project: p.ID, uid: newUUID(s.rand), displayName: req.Name, keyString: newKeyString(s.rand),
		created: created, updated: created, annotations: ann.annotations, restr: restr, saEmail: ann.sa}
	k.id = k.uid
	if ann.keyID != "" {
		if !keyIDPattern.MatchString(ann.keyID) || uuidLike.MatchString(ann.keyID) {
			return simapi.IssuedKey{}, fmt.Errorf("googlesim: key_id %q is not a valid key ID", ann.keyID)
		}
		for _, o := range s.keys {
			if o.project == p.ID && o.id == ann.keyID && !o.purged {
				return simapi.IssuedKey{}, fmt.Errorf("googlesim: project %s already has a key %s", p.ID, ann.keyID)
			}
		}
		k.id = ann.keyID
	}
	if !ann.deleted.IsZero() {
		k.deleted, k.updated = ann.deleted, ann.deleted
	}
	s.keys = append(s.keys, k)
	return simapi.IssuedKey{ID: k.name(), Scope: p.ID, Name: k.displayName, Value: k.keyString, SecretType: SecretType}, nil
}

// issueAttrs are IssueKey's attributes other than restrictions.
type issueAttrs struct {
	keyID       string
	annotations map[string]string
	sa          string
	deleted     time.Time
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseAttrs reads IssueKey's attributes.
func parseAttrs(attrs map[string]string) (*Restrictions, issueAttrs, error) {
	var r Restrictions
	var a issueAttrs
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[name]
		switch {
		case name == "key_id":
			a.keyID = v
		case name == "referrers":
			r.BrowserKeyRestrictions = &BrowserKeyRestrictions{AllowedReferrers: splitList(v)}
		case name == "ips":
			r.ServerKeyRestrictions = &ServerKeyRestrictions{AllowedIps: splitList(v)}
		case name == "android_apps":
			r.AndroidKeyRestrictions = &AndroidKeyRestrictions{}
			for _, f := range splitList(v) {
				pkg, sha, ok := strings.Cut(f, "=")
				if !ok {
					return nil, a, fmt.Errorf("googlesim: android_apps: %q is not PACKAGE=SHA1", f)
				}
				r.AndroidKeyRestrictions.AllowedApplications = append(r.AndroidKeyRestrictions.AllowedApplications,
					AndroidApplication{PackageName: pkg, Sha1Fingerprint: sha})
			}
		case name == "ios_bundle_ids":
			r.IosKeyRestrictions = &IosKeyRestrictions{AllowedBundleIds: splitList(v)}
		case name == "api_targets":
			for _, f := range splitList(v) {
				svc, methods, _ := strings.Cut(f, "=")
				t := APITarget{Service: svc}
				if methods != "" {
					t.Methods = strings.Split(methods, "|")
				}
				r.APITargets = append(r.APITargets, t)
			}
		case strings.HasPrefix(name, "annotation."):
			if a.annotations == nil {
				a.annotations = map[string]string{}
			}
			a.annotations[strings.TrimPrefix(name, "annotation.")] = v
		case name == "service_account":
			a.sa = v
		case name == "deleted":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, a, fmt.Errorf("googlesim: deleted: %q is not an RFC 3339 time", v)
			}
			a.deleted = t
		default:
			return nil, a, fmt.Errorf("googlesim: unknown key attribute %q (see IssueKey)", name)
		}
	}
	if r.kinds() == 0 && len(r.APITargets) == 0 {
		return nil, a, nil
	}
	return &r, a, nil
}

// KeyStatus reports which key value is (its resource name) and whether it
// works: a key works unless it is deleted (simapi.KeyIssuer).
func (s *Server) KeyStatus(value string, now time.Time) (id string, live, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge(now)
	for _, k := range s.keys {
		if k.keyString == value {
			return k.name(), k.deleted.IsZero(), true
		}
	}
	return "", false, false
}

// UseKey records n uses of a working key (simapi.KeyIssuer).
func (s *Server) UseKey(value string, now time.Time, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge(now)
	for _, k := range s.keys {
		if k.keyString == value {
			if !k.deleted.IsZero() {
				return false
			}
			k.uses += n
			if now.After(k.lastUsed) {
				k.lastUsed = now
			}
			return true
		}
	}
	return false
}
