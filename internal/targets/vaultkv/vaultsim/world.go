package vaultsim

import (
	"fmt"
	"sort"
	"strings"
)

// SecretRef is where a SecretStore ref points: "mount/path#field" names a
// field of a KV v2 secret of the root namespace ("secret/app/prod#API_KEY":
// mount secret/, path app/prod, field API_KEY).
type SecretRef struct {
	Mount, Path, Field string
}

// ParseSecretRef parses "mount/path#field".
func ParseSecretRef(ref string) (SecretRef, error) {
	p, field, ok := strings.Cut(ref, "#")
	mnt, path, ok2 := strings.Cut(p, "/")
	if !ok || !ok2 || mnt == "" || path == "" || field == "" || strings.HasSuffix(path, "/") {
		return SecretRef{}, fmt.Errorf("vault secret ref %q: want mount/path#field", ref)
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return SecretRef{}, fmt.Errorf("vault secret ref %q: the path has an empty, . or .. segment", ref)
		}
	}
	return SecretRef{Mount: mnt + "/", Path: path, Field: field}, nil
}

// PutSecret sets one field of a KV v2 secret of the root namespace,
// keeping its other fields (a new version), as a scenario seeds a
// deployment; the secret is created when missing.
func (s *Server) PutSecret(ref, value string) error {
	r, err := ParseSecretRef(ref)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.namespaces[""].mounts[r.Mount]
	if m == nil || m.version != 2 {
		return fmt.Errorf("vault secret ref %q: %s is not a KV version 2 mount (the mounts: secret/, kv/)", ref, r.Mount)
	}
	data := map[string]any{}
	if sec := m.secrets[r.Path]; sec != nil {
		if v := sec.versions[sec.current]; v.live() {
			data = copyData(v.data)
		}
	}
	data[r.Field] = value
	m.put(r.Path, data, s.now())
	return nil
}

// SecretValue is what ref's field holds in the secret's current version
// (ok false when the secret, the version or the field is gone, or the
// field is not a string).
func (s *Server) SecretValue(ref string) (string, bool) {
	r, err := ParseSecretRef(ref)
	if err != nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.namespaces[""].mounts[r.Mount]
	if m == nil || m.version != 2 {
		return "", false
	}
	sec := m.secrets[r.Path]
	if sec == nil {
		return "", false
	}
	v := sec.versions[sec.current]
	if !v.live() {
		return "", false
	}
	str, ok := v.data[r.Field].(string)
	return str, ok
}

// SecretRefs is the ref of every string field of the current version of
// every KV v2 secret of the root namespace ("mount/path#field"), sorted:
// the whole world SecretValue reads, for a test that checks a write
// changed nothing else.
func (s *Server) SecretRefs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for mp, m := range s.namespaces[""].mounts {
		if m.version != 2 {
			continue
		}
		for path, sec := range m.secrets {
			v := sec.versions[sec.current]
			if !v.live() {
				continue
			}
			for f, x := range v.data {
				if _, ok := x.(string); ok {
					out = append(out, mp+path+"#"+f)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// Version is the current version of a secret of the root namespace (0
// when it does not exist), as a test checks a rollback target.
func (s *Server) Version(mountPath, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.namespaces[""].mounts[strings.TrimSuffix(mountPath, "/")+"/"]
	if m == nil || m.secrets[path] == nil {
		return 0
	}
	return m.secrets[path].current
}

// Snapshot is the fake Vault's world for /_sim/state.
type Snapshot struct {
	Tokens     []SnapshotToken     `json:"tokens"`
	Namespaces []SnapshotNamespace `json:"namespaces"`
}

// SnapshotToken is a token's name and policies (its value is VAULT_TOKEN
// for the admin one, Server.Token for the others).
type SnapshotToken struct {
	Name     string   `json:"name"`
	Policies []string `json:"policies"`
}

// SnapshotNamespace is a namespace and its mounts.
type SnapshotNamespace struct {
	Path   string          `json:"path"`
	Mounts []SnapshotMount `json:"mounts"`
}

// SnapshotMount is a KV mount and its secrets.
type SnapshotMount struct {
	Path        string           `json:"path"`
	Version     int              `json:"kv_version"`
	CASRequired bool             `json:"cas_required,omitempty"`
	Secrets     []SnapshotSecret `json:"secrets"`
}

// SnapshotSecret is a secret with every version (values in the clear).
type SnapshotSecret struct {
	Path           string            `json:"path"`
	CurrentVersion int               `json:"current_version,omitempty"`
	OldestVersion  int               `json:"oldest_version,omitempty"`
	CASRequired    bool              `json:"cas_required,omitempty"`
	Versions       []SnapshotVersion `json:"versions,omitempty"`
	// Data is a KV v1 secret's data.
	Data map[string]any `json:"data,omitempty"`
}

// SnapshotVersion is one version.
type SnapshotVersion struct {
	Version   int            `json:"version"`
	Created   string         `json:"created_time"`
	Deleted   string         `json:"deletion_time,omitempty"`
	Destroyed bool           `json:"destroyed,omitempty"`
	Data      map[string]any `json:"data,omitempty"`
}

// Snapshot returns the world (a *Snapshot).
func (s *Server) Snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureTokensLocked()
	out := &Snapshot{}
	for _, spec := range tokenSpecs {
		t := s.byName[spec.name]
		out.Tokens = append(out.Tokens, SnapshotToken{Name: t.name, Policies: t.policies})
	}
	nsNames := make([]string, 0, len(s.namespaces))
	for n := range s.namespaces {
		nsNames = append(nsNames, n)
	}
	sort.Strings(nsNames)
	for _, n := range nsNames {
		ns := s.namespaces[n]
		sn := SnapshotNamespace{Path: ns.path, Mounts: []SnapshotMount{}}
		mps := make([]string, 0, len(ns.mounts))
		for p := range ns.mounts {
			mps = append(mps, p)
		}
		sort.Strings(mps)
		for _, p := range mps {
			m := ns.mounts[p]
			sm := SnapshotMount{Path: p, Version: m.version, CASRequired: m.casRequired, Secrets: []SnapshotSecret{}}
			var paths []string
			for sp := range m.secrets {
				paths = append(paths, sp)
			}
			for sp := range m.v1 {
				paths = append(paths, sp)
			}
			sort.Strings(paths)
			for _, sp := range paths {
				if m.version == 1 {
					sm.Secrets = append(sm.Secrets, SnapshotSecret{Path: sp, Data: copyData(m.v1[sp])})
					continue
				}
				sec := m.secrets[sp]
				ss := SnapshotSecret{Path: sp, CurrentVersion: sec.current, OldestVersion: sec.oldest, CASRequired: sec.casRequired}
				for v := sec.oldest; v <= sec.current && v > 0; v++ {
					ver := sec.versions[v]
					if ver == nil {
						continue
					}
					ss.Versions = append(ss.Versions, SnapshotVersion{Version: v, Created: stamp(ver.created), Deleted: stamp(ver.deleted), Destroyed: ver.destroyed, Data: copyData(ver.data)})
				}
				sm.Secrets = append(sm.Secrets, ss)
			}
			sn.Mounts = append(sn.Mounts, sm)
		}
		out.Namespaces = append(out.Namespaces, sn)
	}
	return out
}
