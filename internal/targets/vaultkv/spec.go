package vaultkv

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/targets/vaultkv/vaultsim"
)

// Type is the target type's name.
const Type = "vault-kv"

// DefaultMount is the mount a target names when it gives none: where
// `vault server -dev` and most installations mount KV version 2.
const DefaultMount = "secret"

func init() { target.Register(Spec()) }

// Spec is what the vault-kv target type declares: one field of a KV
// version 2 secret, written with check-and-set.
func Spec() target.Spec {
	return target.Spec{
		Type:    Type,
		Title:   "Vault KV secret",
		Summary: "one field of a HashiCorp Vault KV version 2 secret, written with check-and-set as a new version (the other fields are kept; the report gives the version to roll back to)",
		Fields: []target.Field{
			{Name: "mount", Kind: target.String, Doc: "the KV version 2 mount (default secret)",
				Check: func(v any) error {
					s := strings.Trim(v.(string), "/")
					if !target.ValidSegment(s) || strings.Contains(v.(string), "//") || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
						return target.Invalid("give the mount's path as `vault secrets list` shows it, without its slash, e.g. secret or kv", "invalid mount %q", v)
					}
					return nil
				}},
			{Name: "path", Kind: target.String, Required: true, Names: true, Doc: "the secret's path in the mount, e.g. app/prod (it must exist: respond does not create secrets)",
				Check: func(v any) error {
					if !validPath(v.(string)) {
						return target.Invalid("write the secret's path in the mount, its parts separated by /, e.g. app/prod (no empty part, no . or .., no \\, ?, #, % or control character)", "invalid secret path %q", v)
					}
					return nil
				}},
			{Name: "field", Kind: target.String, Required: true, Names: true, Doc: "the field of the secret to set; its other fields are kept",
				Check: func(v any) error {
					s := v.(string)
					if strings.TrimSpace(s) == "" || len(s) > 512 || strings.IndexFunc(s, unicode.IsControl) >= 0 {
						return target.Invalid("name the field of the secret to set, e.g. OPENAI_API_KEY", "invalid field %q", s)
					}
					return nil
				}},
			{Name: "namespace", Kind: target.String, Doc: "the Vault Enterprise namespace (default: VAULT_NAMESPACE, else the root)",
				Check: func(v any) error {
					if !validPath(strings.Trim(v.(string), "/")) || strings.IndexFunc(v.(string), unicode.IsSpace) >= 0 {
						return target.Invalid("write the namespace's path, e.g. team-a or team-a/prod (Vault's namespaces hold no spaces)", "invalid namespace %q", v)
					}
					return nil
				}},
		},
		Example: "- vault-kv: {mount: secret, path: app/prod, field: OPENAI_API_KEY}",
		Holds:   true,
		Validate: func(t target.Target) []target.Problem {
			return apiPathProblems(t.Str("mount"), t.Str("path"))
		},
		ID: func(t target.Target) string { return Type + ":" + placeOf(t) },
		Describe: func(t target.Target, _ func(string) string) (string, string, string) {
			where := "Vault"
			if ns := strings.Trim(t.Str("namespace"), "/"); ns != "" {
				where += " namespace " + ns
			}
			return where + ", mount " + mountOf(t), t.Str("path"), "field " + t.Str("field")
		},
		Env: []target.EnvVar{
			{Name: "VAULT_ADDR", Doc: "the Vault server's address (https://vault.example:8200)"},
			{Name: "VAULT_TOKEN", Secret: true, Doc: "the token respond uses (vault login prints it)"},
			{Name: "VAULT_NAMESPACE", Doc: "the Vault Enterprise namespace of targets that name none"},
		},
		Fake: vaultsim.New,
		// The conformance suite's places: fields of secret/conformance/app
		// in the root namespace (the fake's SecretStore); a secret that
		// does not exist is refused.
		Sample: &target.Sample{
			Place: func(name string) map[string]any {
				return map[string]any{"mount": DefaultMount, "path": "conformance/app", "field": name}
			},
			Ref: func(t target.Target) string { return mountOf(t) + "/" + t.Str("path") + "#" + t.Str("field") },
			Denied: func(name string) map[string]any {
				return map[string]any{"mount": DefaultMount, "path": "conformance/missing", "field": name}
			},
		},
		New: func(env *plugin.Env) target.Writer { return NewWriter(env) },
	}
}

// validPath is a path of segments separated by /, each a valid request
// path segment.
func validPath(p string) bool {
	if p == "" {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if !target.ValidSegment(seg) {
			return false
		}
	}
	return true
}

// mountOf is the target's mount without slashes, or DefaultMount.
func mountOf(t target.Target) string {
	if m := strings.Trim(t.Str("mount"), "/"); m != "" {
		return m
	}
	return DefaultMount
}

// placeOf is "MOUNT/PATH#FIELD", with the namespace's path first when the
// target names one: the secret's path as Vault addresses it, namespaces
// being path prefixes there.
func placeOf(t target.Target) string {
	p := mountOf(t) + "/" + t.Str("path") + "#" + t.Str("field")
	if ns := strings.Trim(t.Str("namespace"), "/"); ns != "" {
		p = ns + "/" + p
	}
	return p
}

// apiPathProblems warns of a path written as the API's (secret/data/app/prod,
// or data/app/prod): respond adds the mount and data/ itself, so that path
// names another secret than the one meant.
func apiPathProblems(mount, path string) []target.Problem {
	if mount == "" {
		mount = DefaultMount
	}
	mount = strings.Trim(mount, "/")
	parts := strings.Split(path, "/")
	var rest string
	switch {
	case len(parts) > 2 && parts[1] == "data": // secret/data/app/prod
		rest = strings.Join(parts[2:], "/")
	case len(parts) > 1 && parts[0] == "data": // data/app/prod
		rest = strings.Join(parts[1:], "/")
	case len(parts) > 1 && parts[0] == mount: // secret/app/prod
		rest = strings.Join(parts[1:], "/")
	default:
		return nil
	}
	return []target.Problem{{Field: "path", Warning: true,
		Msg:  fmt.Sprintf("path %q looks like an API path: respond writes to %s/data/%s, the secret %q of mount %s", path, mount, path, path, mount),
		Hint: fmt.Sprintf("write the secret's path in the mount, as `vault kv get -mount=%s PATH` takes it (path: %s), and the mount as mount:", mount, rest)}}
}
