package vaultsim

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// namespace is the root namespace ("") or an Enterprise one.
type namespace struct {
	path   string // "team-a/" ("" for the root)
	mounts map[string]*mount
}

// mount is a KV secrets engine at a path ("secret/").
type mount struct {
	path        string
	version     int // 1 or 2
	description string
	accessor    string
	uuid        string
	// Engine settings (KV v2 config).
	casRequired        bool
	maxVersions        int
	deleteVersionAfter string
	// secrets of a KV v2 mount, by path; v1 holds a KV v1 mount's.
	secrets map[string]*kvSecret
	v1      map[string]map[string]any
}

func newMount(path string, version int, desc string, cas bool) *mount {
	sum := sha256.Sum256([]byte("vaultsim/mount/" + path))
	h := hex.EncodeToString(sum[:])
	return &mount{
		path: path, version: version, description: desc, casRequired: cas, deleteVersionAfter: "0s",
		accessor: "kv_" + h[:8], uuid: h[8:16] + "-" + h[16:20] + "-" + h[20:24] + "-" + h[24:28] + "-" + h[28:40],
		secrets: map[string]*kvSecret{}, v1: map[string]map[string]any{},
	}
}

// kvSecret is a KV v2 secret: its versions and metadata.
type kvSecret struct {
	versions           map[int]*version
	current, oldest    int
	created, updated   time.Time
	casRequired        bool
	maxVersions        int
	deleteVersionAfter string
	customMetadata     map[string]string
}

// version is one version of a secret.
type version struct {
	data      map[string]any // nil once destroyed
	created   time.Time
	deleted   time.Time // zero unless soft-deleted
	destroyed bool
}

func (v *version) live() bool { return v != nil && v.deleted.IsZero() && !v.destroyed }

// defaultMaxVersions is KV v2's default max_versions.
const defaultMaxVersions = 10

// put writes a new version of the secret.
func (m *mount) put(path string, data map[string]any, now time.Time) (*kvSecret, int) {
	sec := m.secrets[path]
	if sec == nil {
		sec = &kvSecret{versions: map[int]*version{}, created: now, deleteVersionAfter: "0s"}
		m.secrets[path] = sec
	}
	sec.current++
	sec.versions[sec.current] = &version{data: data, created: now}
	sec.updated = now
	if sec.oldest == 0 {
		sec.oldest = sec.current
	}
	limit := sec.maxVersions
	if limit == 0 {
		limit = m.maxVersions
	}
	if limit == 0 {
		limit = defaultMaxVersions
	}
	for len(sec.versions) > limit {
		delete(sec.versions, sec.oldest)
		sec.oldest++
	}
	return sec, sec.current
}

// casRequiredFor reports whether writes to a secret need a cas.
func (m *mount) casRequiredFor(sec *kvSecret) bool {
	return m.casRequired || (sec != nil && sec.casRequired)
}

// keys lists the entries under a directory of the mount: names, with a
// trailing / for deeper directories.
func (m *mount) keys(dir string) []string {
	seen := map[string]bool{}
	add := func(p string) {
		rest, ok := strings.CutPrefix(p, dir)
		if !ok || rest == "" {
			return
		}
		if i := strings.Index(rest, "/"); i >= 0 {
			rest = rest[:i+1]
		}
		seen[rest] = true
	}
	if m.version == 2 {
		for p := range m.secrets {
			add(p)
		}
	} else {
		for p := range m.v1 {
			add(p)
		}
	}
	out := slices.Collect(maps.Keys(seen))
	sort.Strings(out)
	return out
}

// token is a Vault token and what its policy allows.
type token struct {
	name, value, accessor string
	policies              []string
	caps                  func(path string) []string
}

// tokenSpecs is the token → policy table.
var tokenSpecs = []struct {
	name     string
	policies []string
	caps     func(path string) []string
}{
	{TokenAdmin, []string{"default", "respond-admin"}, func(string) []string {
		return []string{"create", "delete", "list", "patch", "read", "sudo", "update"}
	}},
	{TokenReadOnly, []string{"default", "respond-readonly"}, func(string) []string { return []string{"list", "read"} }},
	{TokenNoRead, []string{"default", "respond-write-only"}, func(p string) []string {
		switch {
		case strings.Contains(p, "/data/"):
			return []string{"create", "update"}
		case strings.Contains(p, "/metadata/"):
			return []string{"list"}
		}
		return []string{"deny"}
	}},
}

func (s *Server) ensureTokensLocked() {
	if s.tokens != nil {
		return
	}
	s.tokens, s.byName = map[string]*token{}, map[string]*token{}
	for _, spec := range tokenSpecs {
		t := &token{name: spec.name, value: "hvs." + s.randomHex(12), accessor: s.randomHex(12), policies: spec.policies, caps: spec.caps}
		s.tokens[t.value], s.byName[t.name] = t, t
	}
}

// allows reports whether caps grant capability c.
func allows(caps []string, c string) bool {
	return slices.Contains(caps, c) || slices.Contains(caps, "root")
}
