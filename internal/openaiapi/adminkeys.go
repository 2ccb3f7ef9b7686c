package openaiapi

import (
	"context"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/respondhq/respond/internal/textsafe"
)

// AdminKey is an organization admin key's metadata (never its value).
type AdminKey struct {
	ID, Name, Redacted string
	Owner              string // the owning user's name or ID
	Created            time.Time
	Expires            time.Time  // zero: never
	LastUsed           *time.Time // nil: never (or unknown)
}

// ListAdminKeys lists the organization's admin keys (all pages).
func (c *Client) ListAdminKeys(ctx context.Context) ([]AdminKey, error) {
	var out []AdminKey
	it := c.org.AdminAPIKeys.ListAutoPaging(ctx, openai.AdminOrganizationAdminAPIKeyListParams{Limit: openai.Int(listPageSize)}, c.retry())
	for it.Next() {
		k := it.Current()
		a := AdminKey{ID: textsafe.Line(k.ID), Name: textsafe.Line(k.Name), Redacted: textsafe.Line(k.RedactedValue),
			Owner: textsafe.Line(firstOf(k.Owner.Name, k.Owner.ID)), Created: unix(k.CreatedAt), Expires: unix(k.ExpiresAt)}
		if k.LastUsedAt != 0 {
			t := unix(k.LastUsedAt)
			a.LastUsed = &t
		}
		out = append(out, a)
	}
	if err := it.Err(); err != nil {
		return nil, apiError("listing the organization's admin keys", err)
	}
	return out, nil
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
