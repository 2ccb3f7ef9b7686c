package vaultkv

import (
	"strings"
	"testing"
)

// TestAPIPathWarning: a path written as the API's (the mount and data/ in
// it) is warned of, with the path to write instead; a path in the mount is
// not.
func TestAPIPathWarning(t *testing.T) {
	for _, c := range []struct{ mount, path, want string }{
		{"", "secret/data/app/prod", "path: app/prod"},
		{"kv", "kv/data/app/prod", "path: app/prod"},
		{"", "data/app/prod", "path: app/prod"},
		{"", "secret/app/prod", "path: app/prod"},
		{"", "app/prod", ""},
		{"kv", "team/app", ""},
	} {
		ps := apiPathProblems(c.mount, c.path)
		switch {
		case c.want == "" && len(ps) > 0:
			t.Errorf("mount %q path %q: warned %+v", c.mount, c.path, ps)
		case c.want != "" && (len(ps) != 1 || !ps[0].Warning || ps[0].Field != "path" || !strings.Contains(ps[0].Hint, c.want)):
			t.Errorf("mount %q path %q: %+v; want a warning on path whose hint says %q", c.mount, c.path, ps, c.want)
		}
	}
}
