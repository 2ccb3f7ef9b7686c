package secret

import (
	"regexp"
	"strings"
)

// shapes are the forms of well-known credentials. Each matches a credential
// anywhere in a string (a pasted `NAME=value` line too), never an
// identifier: a key ID (key_…), a project (proj_…), an AWS access key ID
// (AKIA…), a commit SHA.
var shapes = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"an OpenAI or Anthropic API key (sk-…)", regexp.MustCompile(`(^|[^A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}`)},
	{"a GitHub token (gh…_…)", regexp.MustCompile(`(^|[^A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,}`)},
	{"a GitHub token (github_pat_…)", regexp.MustCompile(`github_pat_[A-Za-z0-9_]{30,}`)},
	{"a Stripe key", regexp.MustCompile(`(^|[^A-Za-z0-9_])[sr]k_(live|test)_[A-Za-z0-9]{16,}`)},
	{"a Slack token (xox…-)", regexp.MustCompile(`xox[abposr]-[A-Za-z0-9-]{10,}`)},
	{"a Google API key (AIza…)", regexp.MustCompile(`AIza[A-Za-z0-9_-]{35}`)},
	{"a GitLab token (glpat-…)", regexp.MustCompile(`glpat-[A-Za-z0-9_-]{20,}`)},
	{"a private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY`)},
	{"a JSON Web Token", regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.`)},
}

// awsSecretRe is an AWS secret access key: exactly 40 characters of
// base64, standing alone.
var awsSecretRe = regexp.MustCompile(`(^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})($|[^A-Za-z0-9/+=])`)

// LooksLikeSecret reports whether s holds something shaped like a
// credential, and what kind (for a message that names the kind, never the
// value). Use it on every input that is not meant to be a secret, so that a
// key pasted into the wrong flag is refused before it is echoed, journaled
// or sent in a URL.
func LooksLikeSecret(s string) (kind string, ok bool) {
	if len(s) < 20 {
		return "", false
	}
	for _, sh := range shapes {
		if sh.re.MatchString(s) {
			return sh.kind, true
		}
	}
	for _, m := range awsSecretRe.FindAllStringSubmatch(s, -1) {
		if awsLike(m[2]) && !pathLike(m[2]) {
			return "an AWS secret access key", true
		}
	}
	return "", false
}

// awsLike tells a 40-character secret access key from other 40-character
// strings (a commit SHA is lower-case hex): it mixes upper case, lower case
// and digits.
func awsLike(s string) bool {
	var upper, lower, digit bool
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}

// pathLike tells a file path from a secret access key, which holds a slash
// now and then but does not start or end with one, nor have many.
func pathLike(s string) bool {
	return s[0] == '/' || s[len(s)-1] == '/' || strings.Count(s, "/") > 2
}
