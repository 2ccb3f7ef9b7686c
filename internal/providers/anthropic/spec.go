package anthropic

import (
	"errors"
	"regexp"
	"strings"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/providers/anthropic/anthropicsim"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Name is the provider's name in inventories and playbooks.
const Name = "anthropic"

// Secret-scanning types (GitHub partner types, API-NOTES "Anthropic
// equivalent").
const (
	SecretTypeAPIKey   = "anthropic_api_key"
	SecretTypeAdminKey = "anthropic_admin_api_key"
)

// ConsoleKeys is where a person makes (and revokes by hand) an API key.
const ConsoleKeys = "https://console.anthropic.com/settings/keys"

// Key prefixes: API keys are sk-ant-api03-… (the digits are a version),
// admin keys sk-ant-admin01-….
const (
	apiKeyPrefix   = "sk-ant-api"
	adminKeyPrefix = "sk-ant-admin"
)

// apiKeyRe is what an Anthropic API key looks like: sk-ant-api, a two-digit
// version, '-' and at least 20 more characters of its alphabet (93 and
// "AA" today).
var apiKeyRe = regexp.MustCompile(`^sk-ant-api[0-9]{2}-[A-Za-z0-9_-]{20,}$`)

// adminKeyRe is an Anthropic admin key.
var adminKeyRe = regexp.MustCompile(`^sk-ant-admin[0-9]{2}-[A-Za-z0-9_-]{20,}$`)

func init() { provider.Register(Spec()) }

// Spec is what the Anthropic provider declares.
func Spec() provider.Spec {
	return provider.Spec{
		Name:    Name,
		Title:   "Anthropic",
		KeyNoun: "API key",
		Summary: "API keys (sk-ant-api03-…), through the Admin API; a person makes the replacement in the Console",
		Scope: provider.ScopeSpec{
			Kind: "workspace", Field: "workspace", Example: "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
			Check: func(v string) error {
				if !provider.ValidSegment(v) {
					return errors.New("give the Anthropic workspace ID, e.g. wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ: it must be one path segment")
				}
				return nil
			},
			Warn: func(v string) string {
				if !strings.HasPrefix(v, "wrkspc_") {
					return "Anthropic workspace IDs start with wrkspc_; find it in the Console under Settings → Workspaces"
				}
				return ""
			},
		},
		KeyID:    provider.IDSpec{Pattern: idPattern, Example: "apikey_01Rj2N8SVvo6BePZj99NhmiT", Shape: "apikey_…"},
		KeyNames: true,
		Parts:    []provider.Part{{Name: "key", Secret: true, Doc: "the API key (sk-ant-api03-…)"}},
		Paste:    paste,
		Redact: func(v secret.Value) string {
			if h := hintOf(v.Reveal()); h != "" {
				return h
			}
			return v.Redacted()
		},
		AlertTypes: []string{SecretTypeAPIKey, SecretTypeAdminKey},
		Env: []provider.EnvVar{
			{Name: EnvAdminKey, Secret: true, Doc: "an admin key of the organization (sk-ant-admin01-…), from the Console's Settings → Admin keys"},
			{Name: EnvBaseURL, Doc: "the API's base URL (default https://api.anthropic.com; the simulator's for drills)"},
			{Name: "ANTHROPIC_API_KEY", Secret: true, Unread: true, Doc: "an API key: not read by respond, but masked and kept from child processes"},
		},
		Configured: func(getenv func(string) string) bool { return getenv(EnvAdminKey) != "" },
		NotConfigured: EnvAdminKey + " is not set, and responding to an Anthropic key calls Anthropic's Admin API: export an admin key " +
			"(sk-ant-admin01-…, from the Console's Settings → Admin keys); for practice without one, run `respond drill`",
		Caps: provider.Capabilities{
			Replace: provider.ByPerson, Contain: provider.Deactivate,
			Undo:        "an inactive key can be set active again (Console → API keys) until it is archived",
			VerifyByAPI: true,
			RetireVerb:  "archive", // the Admin API cannot delete keys
		},
		Verify: provider.VerifySpec{Method: "GET /v1/models", Dead: "401 authentication_error", Live: "200"},
		Advice: Advice,
		Docs:   "docs/providers/anthropic.md",
		Fake:   anthropicsim.New,
		New:    func(env *plugin.Env) provider.Provider { return &adapter{env: env} },
	}
}

// Advice is Anthropic's guidance for the report.
var Advice = evidence.Advice{
	Console: "in the Claude Console (Settings → API keys: " + ConsoleKeys + ")",
	Review: "Check the Console's Usage and Cost pages for the exposure window, filtered by the key (the Usage and Cost " +
		"Admin API reports usage by api_key_id), for models and spend you do not recognise.",
	AllowList:      "Workspace rate and spend limits (Console → Settings → Workspaces → Limits) cap what a leaked key can cost.",
	AllowListTitle: "Set rate and spend limits on the workspace",
}

// paste recognizes a pasted Anthropic key: an API key alone, or one line of
// a .env file or shell. An admin key is Anthropic's, but not a key this
// provider contains: it is refused with what to do.
func paste(raw string) (provider.Pasted, bool, error) {
	s, ok := provider.PastedValue(raw)
	if !ok || !strings.HasPrefix(s, "sk-ant-") {
		return provider.Pasted{}, false, nil
	}
	switch {
	case apiKeyRe.MatchString(s):
		return provider.Pasted{Credential: secret.NewCredential(Name, secret.SecretPart("key", secret.New(s)))}, true, nil
	case adminKeyRe.MatchString(s):
		return provider.Pasted{}, true, errAdminKey()
	case strings.ContainsAny(s, " \t"):
		return provider.Pasted{}, true, step.BadInputf("the key holds spaces or tabs, which an Anthropic key never does (was it wrapped when copied?); give the key as one unbroken string")
	}
	return provider.Pasted{}, false, nil
}

// errAdminKey says what to do with a leaked admin key, which respond does
// not take for an API key.
func errAdminKey() error {
	return step.BadInputf("this is an Anthropic admin key (sk-ant-admin01-…), not an API key: Anthropic's Admin API " +
		"cannot deactivate admin keys, so respond does not contain it; delete it now in the Claude Console (Settings → " +
		"Admin keys), then review the organization's audit log for what it changed")
}

// isAdminKey reports whether v is an admin key's value.
func isAdminKey(v string) bool { return strings.HasPrefix(v, adminKeyPrefix) }

// hintOf is the partial_key_hint Anthropic shows for a key: its prefix up
// to the version's '-' ("sk-ant-api03-"), three characters, "..." and its
// last four characters. Values too short have none.
func hintOf(v string) string {
	i := strings.IndexByte(v[min(len(v), len("sk-ant-")):], '-')
	if !strings.HasPrefix(v, "sk-ant-") || i < 0 {
		return ""
	}
	head := len("sk-ant-") + i + 1 + 3
	if len(v) < head+4+8 {
		return ""
	}
	return v[:head] + "..." + v[len(v)-4:]
}

// hintMatches reports whether value fits a hint: the hint's visible head
// and tail (either side of "..." or "…"), each of 3 characters at least.
func hintMatches(value, hint string) bool {
	head, tail, ok := strings.Cut(hint, "...")
	if !ok {
		head, tail, ok = strings.Cut(hint, "…")
	}
	return ok && len(head) >= 3 && len(tail) >= 3 && len(head)+len(tail) < len(value) &&
		strings.HasPrefix(value, head) && strings.HasSuffix(value, tail)
}
