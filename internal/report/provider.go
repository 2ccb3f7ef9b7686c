package report

import (
	"strings"

	"github.com/respondhq/respond/internal/evidence"
)

// The report knows no provider by name: what it says about one (its name,
// where to revoke a key by hand, which hygiene applies) comes from the
// evidence key.identify recorded. Journals written before evidence carried
// it were all OpenAI's, so that is the fallback.

// advice is the provider's advice for the incident's key.
func (r *Report) advice() evidence.Advice {
	switch {
	case r.Key != nil && r.Key.advice != nil:
		return *r.Key.advice
	case r.Key == nil && r.provider != "" && r.provider != "openai":
		// Never identified: only its provider's name is known.
		return evidence.Advice{Console: "at " + providerTitle(r.provider) + " (its console or CLI)",
			Review: "Review the key's use in " + providerTitle(r.provider) + "'s logs for the window, and the bill."}
	}
	return evidence.OpenAIAdvice
}

// title names the incident key's provider for people.
func (r *Report) title() string {
	if r.Key != nil && r.Key.ProviderTitle != "" {
		return r.Key.ProviderTitle
	}
	return providerTitle(r.provider)
}

// providerTitle names a provider when only its name is known: "OpenAI"
// for journals that name none, else the name as given, capitalized.
func providerTitle(name string) string {
	switch name {
	case "", "openai":
		return "OpenAI"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}
