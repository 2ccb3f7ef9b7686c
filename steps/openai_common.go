package steps

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/step"
)

// openAIClient returns the OpenAI client of p, or an error that says how to
// configure it.
func openAIClient(p *Providers, kind string) (OpenAI, error) {
	if p == nil || p.OpenAI == nil {
		return nil, step.Errorf("%s: OpenAI is not configured: export OPENAI_ADMIN_KEY with an OpenAI admin key (sk-admin-…)", kind)
	}
	c, err := p.OpenAI()
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("%s: %w", kind, err))
	}
	if c == nil {
		return nil, step.Errorf("%s: OpenAI is not configured: export OPENAI_ADMIN_KEY with an OpenAI admin key (sk-admin-…)", kind)
	}
	return c, nil
}

// rfc3339 formats t for outputs and evidence ("" for the zero time).
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// redactedForm is the redacted_value OpenAI shows for a key: its first 8
// characters, one '*' per hidden character and its last 4 (API-NOTES §8).
// Values too short to redact so have no form.
func redactedForm(v string) string {
	if len(v) <= 12 {
		return ""
	}
	return v[:8] + strings.Repeat("*", len(v)-12) + v[len(v)-4:]
}

// looseMatch reports whether value fits redacted when the redaction is not
// the exact form: a visible prefix, a mask ("*"s, "..." or "…") and a
// visible suffix, as in the spec's "sk-abc...def". Both visible parts must
// have at least 3 characters.
func looseMatch(value, redacted string) bool {
	i := strings.IndexAny(redacted, "*.…")
	if i < 3 {
		return false
	}
	j := strings.LastIndexAny(redacted, "*.…")
	_, size := utf8.DecodeRuneInString(redacted[j:])
	prefix, suffix := redacted[:i], redacted[j+size:]
	return len(suffix) >= 3 && len(prefix)+len(suffix) < len(value) &&
		strings.HasPrefix(value, prefix) && strings.HasSuffix(value, suffix)
}

// shortRedacted collapses the run of '*' of a redacted value into "…", for
// messages: "sk-proj-****…****abcd" becomes "sk-proj-…abcd".
func shortRedacted(r string) string {
	i := strings.IndexByte(r, '*')
	j := strings.LastIndexByte(r, '*')
	if i < 0 || j-i < 3 {
		return r
	}
	return r[:i] + "…" + r[j+1:]
}
