package spec

import (
	"fmt"
	"regexp"
	"strings"
)

// uriTemplateExpr is an RFC 6570 expression (what sits between braces): an
// optional operator, then variable specifications separated by commas, each
// with an optional prefix (:N) or explode (*) modifier.
var uriTemplateExpr = regexp.MustCompile(`^[+#./;?&=,!@|]?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*(?::[1-9][0-9]{0,3}|\*)?(?:,(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*(?::[1-9][0-9]{0,3}|\*)?)*$`)

// validateURITemplate checks the "uri-template" format (RFC 6570). The
// schema library's own check splits the template on "/" first, so it
// rejects valid path-segment expansions such as {/gist_id}, which GitHub's
// API root and its user and repository objects are full of.
func validateURITemplate(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	for s != "" {
		open := strings.IndexAny(s, "{}")
		if open < 0 {
			return nil
		}
		if s[open] == '}' {
			return fmt.Errorf("a closing brace at %q has no opening brace", s[open:])
		}
		end := strings.IndexAny(s[open+1:], "{}")
		if end < 0 || s[open+1+end] == '{' {
			return fmt.Errorf("the expression at %q is not closed", s[open:])
		}
		if expr := s[open+1 : open+1+end]; !uriTemplateExpr.MatchString(expr) {
			return fmt.Errorf("{%s} is not an RFC 6570 expression", expr)
		}
		s = s[open+1+end+1:]
	}
	return nil
}
