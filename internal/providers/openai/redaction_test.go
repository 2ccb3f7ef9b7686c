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

// An admin key is recognised as OpenAI's and refused, saying what to do;
// a project key is taken.
func TestPasteRefusesAdminKeys(t *testing.T) {
	admin := "sk-admin-" + strings.Repeat("A", 58) + "T3BlbkFJ" + strings.Repeat("b", 58)
	if _, ok, err := paste(admin); !ok || err == nil || !strings.Contains(err.Error(), "Admin keys page") {
		t.Errorf("paste(admin key) = ok %v, err %v; want it recognised and refused", ok, err)
	}
	proj := "sk-proj-" + strings.Repeat("x", 152) + "excA"
	if p, ok, err := paste(proj); !ok || err != nil || p.Credential.Provider() != Name {
		t.Errorf("paste(project key) = ok %v, err %v", ok, err)
	}
}
