package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/respondhq/respond/internal/secret"
)

// Key is an API key as the Admin API shows it. Its text fields are as the
// API gave them: escape them before showing them.
type Key struct {
	ID     string // apikey_…
	Name   string
	Status string // active, inactive, archived or expired
	// WorkspaceID is the key's workspace (its real ID, also for the
	// default workspace); empty for a key bound to the organization.
	WorkspaceID string
	Created     time.Time
	// Expires is when the key expires; zero if never.
	Expires time.Time
	// CreatedBy is who made the key (Type user or service_account); zero
	// when not recorded.
	CreatedBy Actor
	// PartialKeyHint is the redacted form the Console shows
	// ("sk-ant-api03-R2D...igAA").
	PartialKeyHint string
}

// Actor is a user or service account.
type Actor struct {
	Type string // user or service_account
	ID   string
}

// Filter narrows ListKeys; empty fields do not filter.
type Filter struct {
	Status          string
	WorkspaceID     string
	CreatedByUserID string
}

// idPattern is what respond puts in a URL path as a key ID.
var idPattern = regexp.MustCompile(`^apikey_[A-Za-z0-9]{1,64}$`)

func checkID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("anthropic: %q is not an API key ID (apikey_…)", id)
	}
	return nil
}

func keyFrom(k *sdk.APIKey) Key {
	out := Key{ID: k.ID, Name: k.Name, Status: string(k.Status), Created: k.CreatedAt, Expires: k.ExpiresAt,
		PartialKeyHint: k.PartialKeyHint}
	if k.JSON.CreatedBy.Valid() && k.CreatedBy.ID != "" {
		out.CreatedBy = Actor{Type: string(k.CreatedBy.Type), ID: k.CreatedBy.ID}
	}
	if k.Scope.Type == "workspace" {
		out.WorkspaceID = k.Scope.WorkspaceID
	}
	return out
}

// ListKeys lists the organization's API keys (all pages), newest first.
func (c *Client) ListKeys(ctx context.Context, f Filter) ([]Key, error) {
	p := sdk.OrganizationAPIKeyListParams{Limit: sdk.Int(c.pageSize)}
	if f.Status != "" {
		p.Status = sdk.OrganizationAPIKeyListParamsStatus(f.Status)
	}
	if f.WorkspaceID != "" {
		p.WorkspaceID = sdk.String(f.WorkspaceID)
	}
	if f.CreatedByUserID != "" {
		p.CreatedByUserID = sdk.String(f.CreatedByUserID)
	}
	var out []Key
	it := c.keys.ListAutoPaging(ctx, p, c.retry())
	for it.Next() {
		k := it.Current()
		out = append(out, keyFrom(&k))
	}
	if err := it.Err(); err != nil {
		return nil, apiError("listing the organization's API keys", err)
	}
	return out, nil
}

// GetKey reads one key. ErrNotFound if there is none with that ID.
func (c *Client) GetKey(ctx context.Context, id string) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	k, err := c.keys.Get(ctx, id, c.retry())
	if err != nil {
		return Key{}, apiError("reading API key "+id, err)
	}
	return keyFrom(k), nil
}

// SetStatus sets a key's status: inactive (revoked, can be reactivated),
// archived (revoked for good) or active.
func (c *Client) SetStatus(ctx context.Context, id, status string) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	switch status {
	case StatusActive, StatusInactive, StatusArchived:
	default:
		return Key{}, fmt.Errorf("anthropic: a key's status can be set to active, inactive or archived, not %q", status)
	}
	k, err := c.keys.Update(ctx, id, sdk.OrganizationAPIKeyUpdateParams{Status: sdk.OrganizationAPIKeyUpdateParamsStatus(status)}, c.retry())
	if err != nil {
		return Key{}, apiError(fmt.Sprintf("setting API key %s %s", id, status), err)
	}
	return keyFrom(k), nil
}

// Rename renames a key.
func (c *Client) Rename(ctx context.Context, id, name string) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	if name == "" {
		return Key{}, errors.New("anthropic: renaming a key: no name given")
	}
	k, err := c.keys.Update(ctx, id, sdk.OrganizationAPIKeyUpdateParams{Name: sdk.String(name)}, c.retry())
	if err != nil {
		return Key{}, apiError("renaming API key "+id, err)
	}
	return keyFrom(k), nil
}

// Check is the outcome of CheckKey.
type Check struct {
	// Live is true when the key was accepted (200), false when refused as
	// invalid (401).
	Live bool
	// Status is the HTTP status.
	Status int
}

// CheckKey lists models with value as the key: 200 means it works, 401
// that it does not (inactive, archived, expired or unknown). Any other
// answer is an error: it says nothing of the key.
func (c *Client) CheckKey(ctx context.Context, value secret.Value) (Check, error) {
	if value.IsZero() {
		return Check{}, errors.New("anthropic: checking a key: no key given")
	}
	_, err := c.models.List(ctx, sdk.ModelListParams{Limit: sdk.Int(1)}, option.WithAPIKey(value.Reveal()), c.retry())
	if err == nil {
		return Check{Live: true, Status: http.StatusOK}, nil
	}
	var ae *sdk.Error
	if errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
		return Check{Live: false, Status: ae.StatusCode}, nil
	}
	return Check{}, apiError("checking key "+value.Redacted(), err)
}
