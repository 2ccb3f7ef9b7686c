// Package openai is respond's provider of OpenAI keys: project API keys
// (owned by users) and service-account keys, contained by deleting the
// key (or its service account), replaced by a new service account whose
// key is the replacement, checked with GET /v1/models. Its client is
// internal/openaiapi (the official openai-go SDK); its fake is the
// simulator's OpenAI half (internal/sim/openaisim). docs/providers/openai.md
// is its page.
package openai

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/openaiapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Name is the provider's name in inventories and playbooks.
const Name = "openai"

// scopeParam is the name of the scope in the openai.* step kinds.
const scopeParam = "project"

func init() { provider.Register(Spec()) }

// Spec is what the OpenAI provider declares.
func Spec() provider.Spec {
	return provider.Spec{
		Name:    Name,
		Title:   "OpenAI",
		KeyNoun: "API key",
		Summary: "project API keys and service-account keys (sk-proj-…, sk-svcacct-…)",
		Scope: provider.ScopeSpec{
			Kind: "project", Field: "project", Required: true, Example: "proj_abc123",
			Check: func(v string) error {
				if !provider.ValidSegment(v) {
					return errors.New("give the OpenAI project ID, e.g. proj_abc123: it must name one project in a request path")
				}
				return nil
			},
			Warn: func(v string) string {
				if !strings.HasPrefix(v, "proj_") {
					return "OpenAI project IDs start with proj_; find it under Settings → Projects"
				}
				return ""
			},
		},
		KeyID:    provider.IDSpec{Pattern: regexp.MustCompile(`^key_[A-Za-z0-9]+$`), Example: "key_abc123", Shape: "key_…"},
		KeyNames: true,
		Parts:    []provider.Part{{Name: "key", Secret: true, Doc: "the API key (sk-…)"}},
		Paste:    paste,
		Redact: func(v secret.Value) string {
			if r := redactedForm(v.Reveal()); r != "" {
				return r
			}
			return v.Redacted()
		},
		AlertTypes:  []string{"openai_api_key"},
		SecretNames: regexp.MustCompile(`(?i)^(\w+_)?OPENAI(_\w+)?_(API_)?KEY$`),
		Env: []provider.EnvVar{
			{Name: openaiapi.EnvAdminKey, Secret: true, Doc: "an admin key of the organization (sk-admin-…), from its Admin keys page"},
			{Name: openaiapi.EnvBaseURL, Doc: "the API's base URL (default https://api.openai.com/v1; the simulator's for drills)"},
			{Name: "OPENAI_API_KEY", Secret: true, Unread: true, Doc: "an API key: not read by respond, but masked and kept from child processes"},
		},
		Configured:    func(getenv func(string) string) bool { return getenv(openaiapi.EnvAdminKey) != "" },
		NotConfigured: "OPENAI_ADMIN_KEY is not set, and responding to an OpenAI key calls the OpenAI Admin API: export an OpenAI admin key (sk-admin-…, from the organization's Admin keys page); for practice without one, run `respond drill`",
		Caps: provider.Capabilities{
			Replace: provider.ByAPI, Contain: provider.Delete, VerifyByAPI: true,
			Usage: true, UsageTokens: true, LastUsed: true, SpendControls: true,
		},
		Verify:      provider.VerifySpec{Method: "GET /v1/models", Dead: "401 invalid_api_key", Live: "200"},
		Advice:      Advice,
		SelfRevokes: "OpenAI disables keys it finds in public code",
		StepAliases: stepAliases,
		Legacy:      true,
		Docs:        "docs/providers/openai.md",
		New:         func(env *plugin.Env) provider.Provider { return adapter{env: env} },
	}
}

// Advice is OpenAI's guidance for the report.
var Advice = evidence.Advice{
	Console:       "on the OpenAI dashboard (API keys)",
	Review:        "Check the project's usage and costs pages for the window, the models used and any charges to dispute with OpenAI support.",
	AllowList:     "With an IP allow-list on the organization or project, a leaked key is useless from anywhere else.",
	Narrow:        "key permissions on the OpenAI dashboard (Restricted or Read only, per endpoint)",
	SpendControls: true,
}

// API is the OpenAI Admin API as the provider uses it; internal/openaiapi
// implements it over the official SDK.
type API interface {
	ListProjects(ctx context.Context) ([]openaiapi.Project, error)
	// ListProjectKeys lists every key of a project (all pages), including
	// service-account keys.
	ListProjectKeys(ctx context.Context, projectID string) ([]openaiapi.ProjectKey, error)
	GetProjectKey(ctx context.Context, projectID, keyID string) (openaiapi.ProjectKey, error)
	// DeleteProjectKey deletes a user-owned key; step.ErrNotFound if it
	// is gone.
	DeleteProjectKey(ctx context.Context, projectID, keyID string) error
	ListServiceAccounts(ctx context.Context, projectID string) ([]openaiapi.ServiceAccount, error)
	// CreateServiceAccount creates a service account and returns its
	// unredacted key, which the API shows only once.
	CreateServiceAccount(ctx context.Context, projectID, name string) (openaiapi.ServiceAccount, openaiapi.NewKey, error)
	// DeleteServiceAccount deletes it and so revokes its keys;
	// step.ErrNotFound if it is gone.
	DeleteServiceAccount(ctx context.Context, projectID, id string) error
	// CheckKey calls GET /v1/models with key.
	CheckKey(ctx context.Context, key secret.Value) (openaiapi.KeyCheck, error)
	// Usage returns completions usage of the given keys, hourly buckets
	// grouped by api_key_id, over [start, end).
	Usage(ctx context.Context, projectID string, keyIDs []string, start, end time.Time) ([]openaiapi.UsageBucket, error)
	// SpendControls reports a project's hard spend limit and spend
	// alerts; a project without a limit has a nil Limit, not an error.
	SpendControls(ctx context.Context, projectID string) (openaiapi.SpendControls, error)
}

var _ API = (*openaiapi.Client)(nil)

// openAIKeyRe is what an OpenAI API key looks like: sk- (sk-proj-,
// sk-svcacct-, sk-admin- or a legacy sk-) and at least 20 more characters
// of its alphabet.
var openAIKeyRe = regexp.MustCompile(`^sk-[A-Za-z0-9_-]{20,}$`)

// notOpenAI are prefixes of other issuers' keys that also start with sk-.
var notOpenAI = []string{"sk-ant-"}

// paste recognizes a pasted OpenAI key: the key alone, or one line of a
// .env file or shell (NAME=value, quoted or not). A value shaped like one
// but wrapped or broken is refused with what to paste.
func paste(raw string) (provider.Pasted, bool, error) {
	s, ok := provider.PastedValue(raw)
	if !ok || !strings.HasPrefix(s, "sk-") {
		return provider.Pasted{}, false, nil
	}
	for _, p := range notOpenAI {
		if strings.HasPrefix(s, p) {
			return provider.Pasted{}, false, nil
		}
	}
	switch {
	case isAdminKey(s):
		return provider.Pasted{}, true, errAdminKey()
	case openAIKeyRe.MatchString(s):
		return provider.Pasted{Credential: secret.NewCredential(Name, secret.SecretPart("key", secret.New(s)))}, true, nil
	case strings.ContainsAny(s, " \t"):
		return provider.Pasted{}, true, step.BadInputf("the key holds spaces or tabs, which an OpenAI key never does (was it wrapped when copied?); give the key as one unbroken string")
	}
	return provider.Pasted{}, false, nil
}

// isAdminKey reports whether v is an admin key's value (sk-admin-…): a
// key of the organization, not of a project.
func isAdminKey(v string) bool { return strings.HasPrefix(v, "sk-admin-") }

// errAdminKey says what to do with a leaked admin key, which respond does
// not take for a project's key: no project lists it, and /v1/models may
// refuse it as it refuses a dead key, so respond would call it contained.
func errAdminKey() error {
	return step.BadInputf("this is an OpenAI admin key (sk-admin-…), not a project's API key: respond does not contain admin keys; " +
		"delete it now on the organization's Admin keys page (platform.openai.com → Organization settings → Admin keys), " +
		"making a new one first if it is the OPENAI_ADMIN_KEY respond uses, then review the organization's audit log " +
		"(GET /v1/organization/audit_logs) for what it changed")
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
