package githubsim

import (
	"testing"
	"time"
)

func TestParseTimeRange(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		in      string
		inside  []string
		outside []string
	}{
		{">=2025-03-01T12:00:00Z", []string{"2025-03-01T12:00:00Z", "2030-01-01T00:00:00Z"}, []string{"2025-03-01T11:59:59Z"}},
		{">2025-03-01T12:00:00Z", []string{"2025-03-01T12:00:01Z"}, []string{"2025-03-01T12:00:00Z"}},
		{"<2025-03-01", []string{"2025-02-28T23:59:59Z"}, []string{"2025-03-01T00:00:00Z"}},
		{"<=2025-03-01", []string{"2025-03-01T23:59:59Z"}, []string{"2025-03-02T00:00:00Z"}},
		{">2025-03-01", []string{"2025-03-02T00:00:00Z"}, []string{"2025-03-01T23:59:59Z"}},
		{"2025-03-01", []string{"2025-03-01T00:00:00Z", "2025-03-01T23:59:59Z"}, []string{"2025-02-28T23:59:59Z", "2025-03-02T00:00:00Z"}},
		{"2025-03-01..2025-03-02", []string{"2025-03-01T00:00:00Z", "2025-03-02T23:59:59Z"}, []string{"2025-03-03T00:00:00Z"}},
		{"2025-03-01T10:00:00Z..*", []string{"2025-03-01T10:00:00Z"}, []string{"2025-03-01T09:59:59Z"}},
		{"*..2025-03-01T10:00:00Z", []string{"2025-03-01T10:00:00Z"}, []string{"2025-03-01T10:00:01Z"}},
		{">=2025-03-01T13:00:00+01:00", []string{"2025-03-01T12:00:00Z"}, []string{"2025-03-01T11:59:59Z"}},
		{">=2025-03-01T12:00:00", []string{"2025-03-01T12:00:00Z"}, []string{"2025-03-01T11:59:59Z"}},
	} {
		tr, err := parseTimeRange(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		for _, s := range tc.inside {
			if !tr.contains(at(s)) {
				t.Errorf("%q does not contain %s", tc.in, s)
			}
		}
		for _, s := range tc.outside {
			if tr.contains(at(s)) {
				t.Errorf("%q contains %s", tc.in, s)
			}
		}
	}
	for _, bad := range []string{"", "yesterday", ">=", "*..*", "2025-03-02..2025-03-01", "2025-13-01", ">=2025-03-01T25:00:00Z"} {
		if _, err := parseTimeRange(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// FuzzParseTimeRange: any input parses or fails cleanly, and a parsed
// range that has both bounds is not empty.
func FuzzParseTimeRange(f *testing.F) {
	for _, s := range []string{">=2025-03-01T12:00:00Z", "2025-03-01..2025-03-02", "*..2025-01-01", "<=2025-03-01", "2025-03-01T10:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tr, err := parseTimeRange(s)
		if err != nil {
			return
		}
		if !tr.from.IsZero() && !tr.to.IsZero() && !tr.from.Before(tr.to) {
			t.Fatalf("%q parsed to an empty range %v..%v", s, tr.from, tr.to)
		}
		if !tr.from.IsZero() && !tr.contains(tr.from) {
			t.Fatalf("%q: the range does not contain its start", s)
		}
	})
}
