package openai

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
