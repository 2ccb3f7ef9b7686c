package secret

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Credential is a credential made of named parts: secret ones (an AWS
// secret access key, an OpenAI key) and identifiers that are not (an AWS
// access key ID). A provider that issues one value makes a one-part
// credential. Like Value, it prints and marshals only a redacted form:
// identifiers in full, secret parts redacted.
type Credential struct {
	provider string
	parts    []Part
}

// Part is one part of a credential.
type Part struct {
	Name   string
	Secret bool
	value  Value  // secret parts
	text   string // identifiers
}

// SecretPart is a secret part.
func SecretPart(name string, v Value) Part { return Part{Name: name, Secret: true, value: v} }

// PlainPart is a part that is not secret (an identifier).
func PlainPart(name, text string) Part { return Part{Name: name, text: text} }

// Value returns a secret part's value; an identifier as a Value too, so a
// target can be written either way.
func (p Part) Value() Value {
	if p.Secret {
		return p.value
	}
	return New(p.text)
}

// Text returns an identifier part's text ("" for a secret part).
func (p Part) Text() string {
	if p.Secret {
		return ""
	}
	return p.text
}

// IsZero reports whether the part has no value.
func (p Part) IsZero() bool { return p.Value().IsZero() }

// Redacted is the part as it may be shown.
func (p Part) Redacted() string {
	if p.Secret {
		return p.value.Redacted()
	}
	return p.text
}

// NewCredential returns a credential of provider with the given parts.
func NewCredential(provider string, parts ...Part) Credential {
	return Credential{provider: provider, parts: append([]Part(nil), parts...)}
}

// Provider names the credential's issuer ("openai", "aws").
func (c Credential) Provider() string { return c.provider }

// Parts returns the parts, in order.
func (c Credential) Parts() []Part { return append([]Part(nil), c.parts...) }

// Part returns the named part.
func (c Credential) Part(name string) (Part, bool) {
	for _, p := range c.parts {
		if p.Name == name {
			return p, true
		}
	}
	return Part{}, false
}

// Main is the credential's first secret part: the value a one-part target
// (a GitHub secret, a .env variable) receives unless it names a part.
func (c Credential) Main() (Part, bool) {
	for _, p := range c.parts {
		if p.Secret {
			return p, true
		}
	}
	return Part{}, false
}

// Secrets returns the values of the secret parts, for masking.
func (c Credential) Secrets() []Value {
	var out []Value
	for _, p := range c.parts {
		if p.Secret && !p.value.IsZero() {
			out = append(out, p.value)
		}
	}
	return out
}

// IsZero reports whether the credential has no secret value.
func (c Credential) IsZero() bool {
	m, ok := c.Main()
	return !ok || m.value.IsZero()
}

// Fingerprint is the fingerprint of the main secret part: the same as the
// Value's fingerprint for a one-part credential, so both name the same key.
func (c Credential) Fingerprint() string {
	m, _ := c.Main()
	return m.value.Fingerprint()
}

// Redacted shows the identifiers and the redacted secret parts:
// "access_key_id=AKIA… secret_access_key=…abcd".
func (c Credential) Redacted() string {
	if len(c.parts) == 1 {
		return c.parts[0].Redacted()
	}
	s := make([]string, len(c.parts))
	for i, p := range c.parts {
		s[i] = p.Name + "=" + p.Redacted()
	}
	return strings.Join(s, " ")
}

// String implements fmt.Stringer with the redacted form.
func (c Credential) String() string { return c.Redacted() }

// GoString implements fmt.GoStringer with the redacted form.
func (c Credential) GoString() string { return "secret.Credential(" + c.Redacted() + ")" }

// Format makes every verb print the redacted form.
func (c Credential) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.Redacted())
		return
	}
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, c.GoString())
		return
	}
	io.WriteString(f, c.Redacted())
}

// MarshalJSON writes the redacted form of each part, never a secret value.
func (c Credential) MarshalJSON() ([]byte, error) { return json.Marshal(c.Ref()) }

// MarshalText writes the redacted form.
func (c Credential) MarshalText() ([]byte, error) { return []byte(c.Redacted()), nil }

// CredentialRef is how a credential is journaled: identifiers in full,
// secret parts as fingerprint and redacted form.
type CredentialRef struct {
	Credential  bool               `json:"credential"`
	Provider    string             `json:"provider,omitempty"`
	Parts       map[string]PartRef `json:"parts"`
	Fingerprint string             `json:"fingerprint"`
}

// PartRef is a part as it is journaled.
type PartRef struct {
	Secret      bool   `json:"secret,omitempty"`
	Value       string `json:"value,omitempty"` // identifiers only
	Fingerprint string `json:"fingerprint,omitempty"`
	Redacted    string `json:"redacted,omitempty"`
}

// Ref is the credential as it may be journaled.
func (c Credential) Ref() CredentialRef {
	r := CredentialRef{Credential: true, Provider: c.provider, Parts: map[string]PartRef{}, Fingerprint: c.Fingerprint()}
	for _, p := range c.parts {
		if p.Secret {
			r.Parts[p.Name] = PartRef{Secret: true, Fingerprint: p.value.Fingerprint(), Redacted: p.value.Redacted()}
		} else {
			r.Parts[p.Name] = PartRef{Value: p.text}
		}
	}
	return r
}

// Is reports whether v is a secret: a Value or a Credential. Code that
// turns values into text (templates, conditions, comparisons) refuses
// them.
func Is(v any) bool {
	switch v.(type) {
	case Value, *Value, Credential, *Credential:
		return true
	}
	return false
}
