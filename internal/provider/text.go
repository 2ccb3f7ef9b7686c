package provider

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/textsafe"
)

// Helpers every provider and the key.* kinds share, so that keys, owners
// and times read the same whatever the provider.

// RFC3339 formats t for outputs and evidence ("" for the zero time).
func RFC3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ShortRedacted collapses the run of '*' of a redacted value into "…", for
// messages: "sk-proj-****…****abcd" becomes "sk-proj-…abcd".
func ShortRedacted(r string) string {
	i := strings.IndexByte(r, '*')
	j := strings.LastIndexByte(r, '*')
	if i < 0 || j-i < 3 {
		return r
	}
	return r[:i] + "…" + r[j+1:]
}

// DescribeOwner is "user alice@example.com", "service account deployer
// (svc_acct_…)" or "IAM user deploy-bot": the owner's noun (as its
// provider words it, or its type with spaces) and who.
func DescribeOwner(o evidence.Owner) string {
	noun := o.Noun
	if noun == "" {
		noun = strings.ReplaceAll(o.Type, "_", " ")
	}
	who := firstNonEmpty(o.Name, o.ID)
	switch {
	case o.Type == "" && noun == "":
		return "an unknown owner"
	case o.Email != "":
		return noun + " " + o.Email
	case o.Name != "" && o.ID != "" && o.Name != o.ID:
		return fmt.Sprintf("%s %s (%s)", noun, o.Name, o.ID)
	}
	return strings.TrimSpace(noun + " " + who)
}

// Ptr returns a pointer to a copy of v.
func Ptr[T any](v T) *T { return &v }

// ValidSegment reports whether s can stand as one segment of a request
// path: not empty, not . or .. (which collapse the path), and no /, \, ?,
// #, % or control character.
func ValidSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\?#%`, r) {
			return false
		}
	}
	return true
}

// PastedValue is what a person pasted or piped for one value: surrounding
// space, a byte-order mark and blank lines go, and so do a NAME= (or
// export NAME=) prefix and matching quotes, as in a line copied from a
// .env file. ok is false when it is empty or holds more than one line.
func PastedValue(raw string) (string, bool) {
	s := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
	if s == "" || strings.ContainsAny(s, "\r\n") {
		return "", false
	}
	if m := envLineRe.FindString(s); m != "" {
		s = strings.TrimSpace(s[len(m):])
	}
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s, s != ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// envLineRe is a pasted .env or shell line: [export] NAME=value.
var envLineRe = regexp.MustCompile(`^(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]*[ \t]*=[ \t]*`)

// OneNamed is what FindByName answers once a provider has the keys whose
// name is name: none (nil, nil), the one, or, when several share it, a
// bad-input error listing their IDs so that the inventory can name the key
// by ID instead. where says where they were looked for (" of project
// proj_1"; "" for everywhere).
func OneNamed(found []*KeyInfo, name, where string) (*KeyInfo, error) {
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, k := range found {
		ids[i] = textsafe.Line(k.ID)
	}
	return nil, step.BadInputf("%d keys%s are named %q (%s): name the key by its ID (key_id)", len(found), where,
		textsafe.Line(name), strings.Join(ids, ", "))
}
