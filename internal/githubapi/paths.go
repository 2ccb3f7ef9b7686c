package githubapi

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/step"
)

// Every value that goes into a request path (an owner, repository,
// organization, environment, secret or workflow name from the inventory,
// the command line or an API answer) goes through apiPath: it is checked
// to be one segment (netsafe.Segments: not empty, not . or .., no /, \,
// ?, #, % or control character) and escaped as one. go-github v60 puts
// most names into its paths unescaped, so the client builds those
// requests itself; a value that holds "/" or ".." can never change which
// endpoint a request reaches (TestPathsKeepEverySegment).

// seg is a value that must stand as exactly one path segment; what names
// it in errors ("repository", "workflow").
type seg struct{ what, value string }

// segs is a value made of several segments (a branch name such as
// feature/x, a file path such as .github/workflows/deploy.yml): each
// segment is escaped on its own, and none may be empty, . or .. or hold
// a control character. Git allows #, % and ? in such names; escaped,
// they stay inside their segment.
type segs struct{ what, value string }

// apiPath joins literal path text (string) and values (seg, segs) into a
// request path relative to the base URL. A value that is not a valid
// segment is a permanent error matching netsafe.ErrBadSegment, and no
// request is made.
func apiPath(parts ...any) (string, error) {
	var b strings.Builder
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			b.WriteString(x)
		case seg:
			if err := netsafe.Segments(x.what, x.value); err != nil {
				return "", step.Permanent(err)
			}
			b.WriteString(url.PathEscape(x.value))
		case segs:
			for i, s := range strings.Split(x.value, "/") {
				if s == "" || s == "." || s == ".." || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					return "", step.Permanent(fmt.Errorf("%w: %s %q cannot stand in a request path (a segment between slashes is empty, . or .., or holds a control character)", netsafe.ErrBadSegment, x.what, x.value))
				}
				if i > 0 {
					b.WriteByte('/')
				}
				b.WriteString(url.PathEscape(s))
			}
		default:
			return "", fmt.Errorf("githubapi: apiPath cannot take a %T", p)
		}
	}
	return b.String(), nil
}

// withQuery appends q to path, if it has any values.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
