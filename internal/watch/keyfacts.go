package watch

import (
	"context"
	"fmt"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/provider"
)

// KeyFacts says what respond knows of an alert's key: the facts a policy
// decides on, the key's redacted form for notices, and whether the
// inventory names it.
type KeyFacts struct {
	// Inventory loads the inventory afresh (responses record replacements
	// in it); nil, nil: there is none.
	Inventory func() (*inventory.Inventory, error)
	// Providers finds keys by value, to match an inventory credential by
	// key ID or name; nil: by fingerprint only.
	Providers *provider.Set
}

// Facts are the policy's facts about alert a.
func (k *KeyFacts) Facts(a githubapi.AlertState) Facts {
	f := Facts{Repo: a.Repo, SecretType: a.SecretType, Validity: a.Validity, PubliclyLeaked: a.PubliclyLeaked}
	if s, ok := provider.ForAlertType(a.SecretType); ok {
		f.Provider = s.Name
	}
	return f
}

// Describe names the alert's key without its value: who issued it ("OpenAI
// API key") and its redacted form.
func (k *KeyFacts) Describe(a githubapi.AlertState) (title, redacted string) {
	s, ok := provider.ForAlertType(a.SecretType)
	if !ok {
		return "", ""
	}
	title = s.KeyTitle()
	if s.Redact != nil && !a.Secret.IsZero() {
		redacted = short(s.Redact(a.Secret))
	}
	return title, redacted
}

// InInventory reports whether a credential of the inventory names the
// alert's key, and which: by the fingerprint of its value (recorded by
// every response), else by the key's ID or name as its provider finds it
// from the value (requests to the provider).
func (k *KeyFacts) InInventory(ctx context.Context, a githubapi.AlertState) (bool, string, error) {
	if k.Inventory == nil {
		return false, "", nil
	}
	inv, err := k.Inventory()
	if err != nil {
		return false, "", err
	}
	if inv == nil || a.Secret.IsZero() {
		return false, "", nil
	}
	fp := a.Secret.Fingerprint()
	for _, c := range inv.Credentials {
		if c.Fingerprint != "" && c.Fingerprint == fp {
			return true, c.Name, nil
		}
	}
	s, ok := provider.ForAlertType(a.SecretType)
	if !ok || k.Providers == nil {
		return false, "", nil
	}
	cred, err := s.Credential(a.Secret, "")
	if err != nil {
		return false, "", fmt.Errorf("the alert's secret is not %s: %w", s.KeyTitle(), err)
	}
	_, p, err := k.Providers.Get(s.Name)
	if err != nil {
		return false, "", err
	}
	info, err := p.FindByValue(ctx, "", cred)
	if err != nil {
		return false, "", err
	}
	if info == nil {
		return false, "", nil
	}
	var mine inventory.Inventory
	mine.File = inv.File
	for _, c := range inv.Credentials {
		if c.Provider == s.Name {
			mine.Credentials = append(mine.Credentials, c)
		}
	}
	c, err := mine.Match(info.Scope, info.ID, info.Name)
	if err != nil {
		// None names it (or several do, which the response will refuse:
		// either way not a credential watch can name).
		return false, "", nil
	}
	return true, c.Name, nil
}

// short keeps a redacted form readable in a notice: its first 8 and last
// 4 characters (a redacted form keeps at most those of the value).
func short(redacted string) string {
	r := []rune(redacted)
	if len(r) <= 16 {
		return redacted
	}
	return string(r[:8]) + "…" + string(r[len(r)-4:])
}
