package googlesim_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

func TestRedactURIHidesKeyStrings(t *testing.T) {
	t.Parallel()
	const k = "AIzaSyA1234567890abcdefghijklmnopqrstu"
	for _, c := range []struct{ in, want string }{
		{"/google/v2/keys:lookupKey?keyString=" + k, "/google/v2/keys:lookupKey?keyString=REDACTED"},
		{"/google/v2/keys:lookupKey?alt=json&keyString=" + k + "&prettyPrint=false", "/google/v2/keys:lookupKey?alt=json&keyString=REDACTED&prettyPrint=false"},
		{"/google/v1beta/models?pageSize=1&key=" + k, "/google/v1beta/models?pageSize=1&key=REDACTED"},
		// An escaped name is the same parameter to the server.
		{"/google/v1beta/models?%6Bey=" + k, "/google/v1beta/models?%6Bey=REDACTED"},
		{"/google/v1beta/models?key=a&key=" + k, "/google/v1beta/models?key=REDACTED&key=REDACTED"},
		// Nothing else changes.
		{"/google/v2/projects/p/locations/global/keys?pageSize=300&showDeleted=true", "/google/v2/projects/p/locations/global/keys?pageSize=300&showDeleted=true"},
		{"/google/v2/keys:lookupKey", "/google/v2/keys:lookupKey"},
		{"/google/v1beta/models?keys=x&monkey=y&key", "/google/v1beta/models?keys=x&monkey=y&key"},
	} {
		if got := googlesim.RedactURI(c.in); got != c.want {
			t.Errorf("RedactURI(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	s := googlesim.NewServer(simapi.Options{Rand: zeroReader{}}, googlesim.Config{})
	r := httptest.NewRequest("GET", "/google/v2/keys:lookupKey?keyString="+k, nil)
	if got := s.LogPath(r); strings.Contains(got, k) || !strings.HasSuffix(got, "keyString=REDACTED") {
		t.Errorf("LogPath = %q", got)
	}
}
