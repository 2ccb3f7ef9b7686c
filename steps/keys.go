package steps

import (
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// The key.* kinds (identify, revoke, verify, replace, usage, await_quiet,
// retire) hold the flow of a response; the provider of the key
// (internal/provider, one package each under internal/providers) holds its
// API. Which provider a call is for is read from the call, never assumed.

// keyProvider is the provider of a call and its declared Spec.
type keyProvider struct {
	spec *provider.Spec
	provider.Provider
}

// resolveProvider finds the provider of a call: the one an alias kind is
// bound to (fixed), the `provider` parameter, the provider of a credential
// given as `key`, or the shape of `key_id`.
func resolveProvider(keys *provider.Set, kind string, c *step.Call, fixed string) (keyProvider, error) {
	name := fixed
	if name == "" {
		name = strings.TrimSpace(c.String("provider"))
	}
	if name == "" {
		if cred, ok := c.Params["key"].(secret.Credential); ok && cred.Provider() != "" {
			name = cred.Provider()
		}
	}
	if name == "" {
		if id := strings.TrimSpace(c.String("key_id")); id != "" {
			if s, ok := provider.ForKeyID(id); ok {
				name = s.Name
			}
		}
	}
	if name == "" {
		// Playbooks written before respond named providers meant the
		// legacy one.
		if s, ok := provider.Legacy(); ok {
			name = s.Name
		}
	}
	if name == "" {
		return keyProvider{}, badInputf("%s: say which provider issued the key (`provider`: %s)", kind, strings.Join(provider.Names(), ", "))
	}
	if keys == nil {
		keys = provider.NewSet(nil)
	}
	s, p, err := keys.Get(name)
	if err != nil {
		return keyProvider{}, badInputf("%s: %v", kind, err)
	}
	return keyProvider{spec: s, Provider: p}, nil
}

// credentialParam reads a key parameter: a secret.Value (one part, or a
// pasted pair the provider splits) or a secret.Credential.
func credentialParam(c *step.Call, name string, p keyProvider, keyID string) (secret.Credential, error) {
	switch v := c.Params[name].(type) {
	case secret.Credential:
		return v, nil
	case secret.Value:
		if v.IsZero() {
			return secret.Credential{}, nil
		}
		return p.spec.Credential(v, keyID)
	case string:
		if v == "" {
			return secret.Credential{}, nil
		}
		return p.spec.Credential(secret.New(v), keyID)
	case nil:
		return secret.Credential{}, nil
	}
	return secret.Credential{}, step.Errorf("parameter %s is %T, not a key", name, c.Params[name])
}

// registerCredential registers a credential's secret parts for masking.
func registerCredential(c *step.Call, cred secret.Credential) {
	for _, v := range cred.Secrets() {
		registry(c).Add(v)
	}
}

// keyLabel names a key for messages: "OpenAI key key_abc".
func keyLabel(p keyProvider, id string) string {
	if id == "" {
		return "the leaked " + p.spec.Title + " key"
	}
	return fmt.Sprintf("%s key %s", p.spec.Title, id)
}

// scopeName is the name of the scope parameter in a kind: the provider's
// own field in an alias kind ("project"), else "scope".
func scopeName(p keyProvider, fixed string) string {
	if fixed != "" && p.spec != nil {
		return p.spec.Scope.Field
	}
	return "scope"
}

// rfc3339 formats t for outputs and evidence ("" for the zero time).
var rfc3339 = provider.RFC3339

// shortRedacted collapses the run of '*' of a redacted value into "…".
var shortRedacted = provider.ShortRedacted

// describeOwner words a key's owner.
var describeOwner = provider.DescribeOwner
