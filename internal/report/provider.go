package report

import (
	"strings"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
)

// The report knows no provider by name: what it says about one (its name,
// where to revoke a key by hand, which hygiene applies, whether it counts
// tokens) comes from the evidence key.identify recorded, or, for what the
// evidence does not carry, from the provider's declaration in the
// registry. Journals written before evidence named a provider are the
// legacy provider's (provider.Legacy).

// specOf returns the registered provider named name; "" is the legacy
// provider.
func specOf(name string) (*provider.Spec, bool) {
	if name == "" {
		return provider.Legacy()
	}
	return provider.Lookup(name)
}

// advice is the provider's advice for the incident's key.
func (r *Report) advice() evidence.Advice {
	if r.Key != nil && r.Key.advice != nil {
		return *r.Key.advice
	}
	name := r.provider
	if r.Key != nil && r.Key.Provider != "" {
		name = r.Key.Provider
	}
	if s, ok := specOf(name); ok {
		return s.Advice
	}
	// A provider this build of respond does not know: only its name.
	return evidence.Advice{Console: "at " + providerTitle(name) + " (its console or CLI)",
		Review: "Review the key's use in " + providerTitle(name) + "'s logs for the window, and the bill."}
}

// narrowAdvice is how to narrow a replacement, as the provider says
// (from its declaration when the journal predates the advice).
func (r *Report) narrowAdvice() string {
	if a := r.advice(); a.Narrow != "" {
		return a.Narrow
	}
	name := r.provider
	if r.Key != nil && r.Key.Provider != "" {
		name = r.Key.Provider
	}
	if s, ok := specOf(name); ok {
		return s.Advice.Narrow
	}
	return ""
}

// title names the incident key's provider for people.
func (r *Report) title() string {
	if r.Key != nil && r.Key.ProviderTitle != "" {
		return r.Key.ProviderTitle
	}
	return providerTitle(r.provider)
}

// providerTitle names a provider when only its name is known: its
// registered title, else the name as given, capitalized.
func providerTitle(name string) string {
	if s, ok := specOf(name); ok {
		return s.Title
	}
	if name == "" {
		return "the provider"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// scopeKindOf is what holds a provider's keys ("project"), or "".
func scopeKindOf(name string) string {
	if s, ok := specOf(name); ok {
		return s.Scope.Kind
	}
	return ""
}

// countsTokens reports whether a provider's usage counts tokens, not
// only requests.
func countsTokens(name string) bool {
	s, ok := specOf(name)
	return ok && s.Caps.UsageTokens
}
