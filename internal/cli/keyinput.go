package cli

import (
	"errors"
	"regexp"
	"strings"

	"github.com/respondhq/respond/internal/secret"
)

// openAIKeyRe is what an OpenAI API key looks like: sk- (sk-proj-,
// sk-svcacct-, sk-admin- or a legacy sk-) and at least 20 more characters
// of its alphabet.
var openAIKeyRe = regexp.MustCompile(`^sk-[A-Za-z0-9_-]{20,}$`)

// envLineRe is a pasted .env or shell line: [export] NAME=value.
var envLineRe = regexp.MustCompile(`^(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]*[ \t]*=[ \t]*`)

// normalizeKey turns what a responder pastes or pipes for --key-stdin into
// the key: surrounding space and blank lines go, and so do a NAME= (or
// export NAME=) prefix and matching quotes, as in a line copied from a .env
// file. Anything that is then not shaped like an OpenAI API key is refused
// with a message that never quotes it: looking up a mangled key would
// find nothing and suggest the provider had disabled a live key.
func normalizeKey(raw string) (secret.Value, error) {
	k, err := normalizeLeakedKey(raw)
	return k.Value, err
}

// leakedKey is a pasted key: its value and, when its shape says so, its
// provider and key ID (an AWS pair carries its access key ID).
type leakedKey struct {
	Value    secret.Value
	Provider string
	KeyID    string
	Secret   secret.Value // the secret part alone, for masking
}

var (
	awsKeyIDRe  = regexp.MustCompile(`\b((?:AKIA|ASIA)[A-Z0-9]{16})\b`)
	awsSecretRe = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+])`)
)

// normalizeLeakedKey is normalizeKey, knowing AWS keys too: an access key
// ID and its secret access key, as pasted from a credentials file, a .env
// file ("AWS_ACCESS_KEY_ID=…" and "AWS_SECRET_ACCESS_KEY=…" lines) or as
// "AKIA… SECRET", become "AKIA… SECRET".
func normalizeLeakedKey(raw string) (leakedKey, error) {
	s := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
	if s == "" {
		return leakedKey{}, &UsageError{errors.New("--key-stdin: standard input was empty; pipe the leaked key to it, e.g. `pbpaste | respond leaked-key --key-stdin`, or paste it at the prompt on a terminal")}
	}
	if id := awsKeyIDRe.FindStringSubmatch(s); id != nil {
		var sk string
		for _, line := range strings.Split(s, "\n") {
			if m := awsSecretRe.FindStringSubmatch(strings.TrimSpace(line)); m != nil && !strings.Contains(m[1], id[1]) {
				sk = m[1]
			}
		}
		if sk == "" {
			return leakedKey{}, &UsageError{errors.New("--key-stdin: the input holds an AWS access key ID but no secret access key (40 characters); give both, e.g. `AKIA… SECRET`, or name the key with --key-id AKIA… instead")}
		}
		return leakedKey{Value: secret.New(id[1] + " " + sk), Provider: "aws", KeyID: id[1], Secret: secret.New(sk)}, nil
	}
	if m := awsSecretRe.FindStringSubmatch(s); m != nil && m[1] == s {
		return leakedKey{}, &UsageError{errors.New("--key-stdin: the input looks like an AWS secret access key alone; give its access key ID with it (`AKIA… SECRET`, or the two lines of a credentials or .env file), or name the key with --key-id AKIA… instead")}
	}
	v, err := normalizeOpenAIKey(s)
	return leakedKey{Value: v, Provider: "openai", Secret: v}, err
}

// normalizeOpenAIKey is the OpenAI part of normalizeLeakedKey.
func normalizeOpenAIKey(s string) (secret.Value, error) {
	if strings.ContainsAny(s, "\r\n") {
		return secret.Value{}, &UsageError{errors.New("--key-stdin: the input has more than one line; give only the leaked key (or its one NAME=value line)")}
	}
	if m := envLineRe.FindString(s); m != "" {
		s = strings.TrimSpace(s[len(m):])
	}
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	switch {
	case openAIKeyRe.MatchString(s):
		return secret.New(s), nil
	case strings.ContainsAny(s, " \t") && strings.HasPrefix(s, "sk-"):
		return secret.Value{}, &UsageError{errors.New("--key-stdin: the key holds spaces or tabs, which an OpenAI key never does (was it wrapped when copied?); give the key as one unbroken string")}
	default:
		return secret.Value{}, &UsageError{errors.New("--key-stdin: the input does not look like an OpenAI API key (sk-… followed by letters, digits, - and _); give the leaked key itself, e.g. `pbpaste | respond leaked-key --key-stdin`")}
	}
}
