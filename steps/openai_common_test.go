package steps

import (
	"strings"
	"testing"
)

func TestRedactedForm(t *testing.T) {
	v := "sk-proj-" + strings.Repeat("x", 152) + "excA"
	got := redactedForm(v)
	if len(got) != len(v) || !strings.HasPrefix(got, "sk-proj-*") || !strings.HasSuffix(got, "*excA") || strings.Count(got, "*") != 152 {
		t.Errorf("redactedForm = %q", got)
	}
	if redactedForm("sk-short") != "" {
		t.Error("a value too short to redact got a redacted form")
	}
}

func TestLooseMatch(t *testing.T) {
	v := "sk-abcdefghijklmnopqrstuvwxyz-def"
	for _, tc := range []struct {
		redacted string
		want     bool
	}{
		{"sk-abc...def", true},
		{"sk-abc…def", true},
		{"sk-abcde****-def", true},
		{"sk-abc...xyz", false},                      // other suffix
		{"sk-abd...def", false},                      // other prefix
		{"sk...def", false},                          // too little visible
		{"sk-abc...de", false},                       // suffix too short
		{"sk-abcdefghijklmnopqrstuvwxyz-def", false}, // no mask
		{"", false},
		{"sk-abcdefghijklmnop...qrstuvwxyz-def", false}, // as long as the value: not a redaction of it
	} {
		if got := looseMatch(v, tc.redacted); got != tc.want {
			t.Errorf("looseMatch(%q) = %v, want %v", tc.redacted, got, tc.want)
		}
	}
}

func TestFitName(t *testing.T) {
	inc := "INC-20260301-120000-ab12"
	if got := fitName("respond-x-"+inc, inc, 64); got != "respond-x-"+inc {
		t.Errorf("short name changed: %q", got)
	}
	long := "respond-" + strings.Repeat("ä", 80) + "-" + inc
	got := fitName(long, inc, 64)
	if n := len([]rune(got)); n != 64 || !strings.HasSuffix(got, "-"+inc) || !strings.HasPrefix(got, "respond-ää") {
		t.Errorf("fitName = %q (%d runes)", got, n)
	}
	if got := fitName(strings.Repeat("n", 100), "", 64); len(got) != 64 {
		t.Errorf("fitName without incident = %q", got)
	}
}

func TestShortRedacted(t *testing.T) {
	if got := shortRedacted("sk-proj-" + strings.Repeat("*", 152) + "excA"); got != "sk-proj-…excA" {
		t.Errorf("shortRedacted = %q", got)
	}
	if got := shortRedacted("sk-abc...def"); got != "sk-abc...def" {
		t.Errorf("shortRedacted = %q", got)
	}
}
