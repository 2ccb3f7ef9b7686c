// Package secret holds secret values in a type that cannot be printed,
// logged or marshalled by accident, and masks registered values in writers.
//
// A Value renders as its redacted form through every fmt verb, through
// encoding/json and encoding/text marshalling, and through reflection-based
// printing of structs that contain it (the bytes live behind a pointer, which
// fmt prints as an address). The only ways to read the value are Reveal and
// WriteTo, which are easy to grep for in review.
package secret

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Value is a secret. The zero Value is empty.
type Value struct {
	b *box
}

type box struct {
	v string
	// withheld: a value a resumed incident had and was not given again;
	// only its fingerprint and redacted form are known (see Withheld).
	withheld         bool
	fingerprint, red string
}

// Withheld stands for a secret a resumed incident was given before and
// that was not given again: it has the journaled fingerprint and redacted
// form, so parameters holding it digest as they did, and no value. A step
// that would use it must not run (the engine says which input to give).
func Withheld(fingerprint, redacted string) Value {
	return Value{b: &box{withheld: true, fingerprint: fingerprint, red: redacted}}
}

// IsWithheld reports whether v stands for a secret not given again.
func (v Value) IsWithheld() bool { return v.b != nil && v.b.withheld }

// New wraps s as a secret.
func New(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{b: &box{v: s}}
}

// IsZero reports whether the value is empty.
func (v Value) IsZero() bool { return v.b == nil || v.b.v == "" }

// Len is the length of the value in bytes.
func (v Value) Len() int {
	if v.b == nil {
		return 0
	}
	return len(v.b.v)
}

// Reveal returns the plain value. Call it only where the value leaves the
// process for its intended destination (a provider request, a child's stdin,
// a file that is meant to hold it).
func (v Value) Reveal() string {
	if v.b == nil {
		return ""
	}
	return v.b.v
}

// WriteTo writes the plain value to w (for example a child's stdin).
func (v Value) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, v.Reveal())
	return int64(n), err
}

// Equal reports whether two secrets hold the same value.
func (v Value) Equal(o Value) bool { return v.Reveal() == o.Reveal() }

// Fingerprint is "sha256:" followed by the hex SHA-256 of the value. It
// identifies a value in the journal and reports without disclosing it.
func (v Value) Fingerprint() string {
	if v.IsWithheld() {
		return v.b.fingerprint
	}
	return Fingerprint(v.Reveal())
}

// Fingerprint of a plain string, as Value.Fingerprint.
func Fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Redacted is a form safe to show: provider keys (sk-…, gh…) keep their
// first 8 and last 4 characters, as the providers themselves display them;
// other values keep the last 4; anything shorter than 20 characters shows
// nothing.
func (v Value) Redacted() string {
	if v.IsWithheld() {
		return v.b.red
	}
	return Redact(v.Reveal())
}

// Redact returns the safe form of s, as Value.Redacted.
func Redact(s string) string {
	switch {
	case s == "":
		return "[empty secret]"
	case len(s) < 20:
		return "[secret]"
	}
	prefix := ""
	if strings.HasPrefix(s, "sk-") || strings.HasPrefix(s, "gh") || strings.HasPrefix(s, "github_pat_") {
		prefix = s[:8] // as OpenAI and GitHub display keys: the first 8 characters
	}
	return prefix + "…" + s[len(s)-4:]
}

// String implements fmt.Stringer with the redacted form.
func (v Value) String() string { return v.Redacted() }

// GoString implements fmt.GoStringer with the redacted form.
func (v Value) GoString() string { return "secret.Value(" + v.Redacted() + ")" }

// Format makes every verb (%s %v %+v %#v %q %x …) print the redacted form.
func (v Value) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", v.Redacted())
	case 'v':
		if f.Flag('#') {
			io.WriteString(f, v.GoString())
			return
		}
		io.WriteString(f, v.Redacted())
	default:
		io.WriteString(f, v.Redacted())
	}
}

// MarshalJSON writes the redacted form and fingerprint, never the value.
func (v Value) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", v.Redacted()+" ("+v.Fingerprint()+")")), nil
}

// MarshalText writes the redacted form, never the value.
func (v Value) MarshalText() ([]byte, error) { return []byte(v.Redacted()), nil }

// MarshalYAML writes the redacted form, never the value.
func (v Value) MarshalYAML() (any, error) { return v.Redacted(), nil }

// AnyWithheld reports whether v holds a withheld secret (see Withheld):
// a Value, a Credential's part, or one inside maps and slices.
func AnyWithheld(v any) bool {
	switch x := v.(type) {
	case Value:
		return x.IsWithheld()
	case Credential:
		for _, p := range x.parts {
			if p.Secret && p.value.IsWithheld() {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if AnyWithheld(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if AnyWithheld(e) {
				return true
			}
		}
	}
	return false
}
