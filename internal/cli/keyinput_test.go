package cli

import (
	"strings"
	"testing"
)

func TestNormalizeKey(t *testing.T) {
	const key = "sk-proj-abcDEF012_-ghijklmnopqrstuvwxyz"
	for _, in := range []string{
		key, key + "\n", "  " + key + "  \r\n", "\ufeff" + key,
		"OPENAI_API_KEY=" + key, "export OPENAI_API_KEY=" + key + "\n", `OPENAI_API_KEY = "` + key + `"`,
		"'" + key + "'", `"` + key + `"` + "\n\n",
	} {
		v, err := normalizeKey(in)
		if err != nil || v.Reveal() != key {
			t.Errorf("normalizeKey(%q) = %v, %v; want the key", in, v, err)
		}
	}
	for in, want := range map[string]string{
		"":                           "empty",
		"   \n":                      "empty",
		key[:20] + " " + key[20:]:    "spaces",
		"hello world":                "does not look like",
		"key_abc123":                 "does not look like",
		key + "\n" + key:             "more than one line",
		"sk-short":                   "does not look like",
		`"` + key:                    "does not look like",
		"OPENAI_API_KEY=" + key[:10]: "does not look like",
	} {
		_, err := normalizeKey(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("normalizeKey(%q) = %v, want an error saying %q", in, err, want)
		}
		if err != nil && len(in) > 12 && strings.Contains(err.Error(), strings.TrimSpace(in)[:12]) {
			t.Errorf("the error quotes the input: %v", err)
		}
	}
}
