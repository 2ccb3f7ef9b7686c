package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
)

// leakedKey is a pasted key: the value to give the playbook, and what its
// shape says: its provider and, when the paste holds it, its key ID (an
// AWS pair carries its access key ID).
type leakedKey struct {
	// Value is what the playbook's `key` input gets: the key itself, or
	// every part of it separated by spaces (an AWS key: "AKIA… SECRET"),
	// as the provider reads it back.
	Value    secret.Value
	Provider string
	KeyID    string
	// Secrets are the secret parts alone, for masking.
	Secrets []secret.Value
}

// normalizeKey is normalizeLeakedKey's value.
func normalizeKey(raw string) (secret.Value, error) {
	k, err := normalizeLeakedKey(raw)
	return k.Value, err
}

// normalizeLeakedKey turns what a responder pastes or pipes for
// --key-stdin into the key, through the providers that recognize their
// keys' shapes (internal/provider: each provider's Paste): surrounding
// space and blank lines go, and so do a NAME= (or export NAME=) prefix and
// matching quotes, as in a line copied from a .env file. Anything no
// provider recognizes is refused with a message that never quotes it:
// looking up a mangled key would find nothing and suggest the provider
// had disabled a live key.
func normalizeLeakedKey(raw string) (leakedKey, error) {
	s := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
	if s == "" {
		return leakedKey{}, &UsageError{errors.New("--key-stdin: standard input was empty; pipe the leaked key to it, e.g. `pbpaste | respond leaked-key --key-stdin`, or paste it at the prompt on a terminal")}
	}
	spec, p, ok, err := provider.Recognize(raw)
	switch {
	case err != nil:
		return leakedKey{}, &UsageError{fmt.Errorf("--key-stdin: %w", err)}
	case !ok && strings.ContainsAny(s, "\r\n"):
		return leakedKey{}, &UsageError{errors.New("--key-stdin: the input has more than one line; give only the leaked key (or its one NAME=value line)")}
	case !ok:
		return leakedKey{}, &UsageError{fmt.Errorf("--key-stdin: the input does not look like any key respond knows (%s); give the leaked key itself, e.g. `pbpaste | respond leaked-key --key-stdin`", pasteShapes())}
	}
	var values []string
	k := leakedKey{Provider: spec.Name, KeyID: p.KeyID}
	for _, part := range p.Credential.Parts() {
		values = append(values, part.Value().Reveal())
		if part.Secret {
			k.Secrets = append(k.Secrets, part.Value())
		}
	}
	k.Value = secret.New(strings.Join(values, " "))
	return k, nil
}

// pasteShapes lists the keys respond recognizes: "an OpenAI API key, an
// AWS access key".
func pasteShapes() string {
	var out []string
	for _, s := range provider.Specs() {
		if s.Paste != nil {
			out = append(out, article(s.KeyTitle()))
		}
	}
	return strings.Join(out, ", ")
}

// article puts "a" or "an" before a phrase.
func article(w string) string {
	if w != "" && strings.ContainsRune("AEIOUaeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}
