// Package openaiapi is respond's client of the OpenAI Admin API, over the official OpenAI Go SDK
// (github.com/openai/openai-go/v3) and its Admin API.
//
// Retries follow respond's rule that only idempotent requests are retried:
// GETs and DELETEs are retried on 408, 409, 429 and 5xx (and on connection
// errors) with exponential backoff that honours Retry-After; POSTs, and in
// particular the creation of a service account, are never retried, since
// a retried create can leave a second account whose key nobody holds. The
// caller reconciles a failed create by listing.
//
// The SDK's own client reads OPENAI_API_KEY, OPENAI_ORG_ID,
// OPENAI_PROJECT_ID, OPENAI_CUSTOM_HEADERS and more from the environment.
// This package uses the Admin service directly, so only what Config says is
// sent; FromEnv reads exactly OPENAI_ADMIN_KEY and OPENAI_BASE_URL.
package openaiapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/textsafe"
)

// Environment variables FromEnv reads.
const (
	EnvAdminKey = "OPENAI_ADMIN_KEY"
	EnvBaseURL  = "OPENAI_BASE_URL"
)

// DefaultBaseURL is the OpenAI API's base URL.
const DefaultBaseURL = "https://api.openai.com/v1"

const (
	// defaultRetries is how many times an idempotent request is retried.
	defaultRetries = 3
	// defaultTimeout bounds one HTTP exchange when Config.HTTPClient is nil.
	defaultTimeout = 60 * time.Second
	// listPageSize is the largest page the Admin API lists allow.
	listPageSize = 100
	// usageBucketsPerPage is the most 1h buckets a usage page may hold.
	usageBucketsPerPage = 168
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API's base URL, e.g. https://api.openai.com/v1 or a
	// simulator's http://127.0.0.1:8787/v1. Default DefaultBaseURL.
	BaseURL string
	// AdminKey is an organization admin key (sk-admin-…).
	AdminKey secret.Value
	// HTTPClient sends the requests. Default: a client with a 60s timeout.
	HTTPClient *http.Client
}

// Client is the OpenAI Admin API as the openai.* steps use it. It is safe
// for concurrent use.
type Client struct {
	base    string // without a trailing slash
	hc      *http.Client
	org     openai.AdminOrganizationService
	retries int
}

// New returns a client for cfg. It refuses an empty admin key, a base URL
// that is not http(s), and plain http:// to anything but a loopback
// address, since the admin key would cross the network in clear text.
func New(cfg Config) (*Client, error) {
	if cfg.AdminKey.IsZero() {
		return nil, errors.New("openai: no admin key: export " + EnvAdminKey + " with an OpenAI admin key (sk-admin-…)")
	}
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: defaultTimeout}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	// Never follow a redirect that changes the scheme, host or port with
	// the admin key.
	hc.CheckRedirect = netsafe.CheckRedirect
	c := &Client{base: base, hc: hc, retries: defaultRetries}
	// The Admin service, not openai.NewClient: NewClient would add
	// credentials and headers from the environment.
	c.org = openai.NewAdminService(
		option.WithBaseURL(base+"/"),
		option.WithHTTPClient(hc),
		option.WithAdminAPIKey(cfg.AdminKey.Reveal()),
		// No retries unless a request asks for them (see retry).
		option.WithMaxRetries(0),
	).Organization
	return c, nil
}

// FromEnv returns a client configured from OPENAI_ADMIN_KEY and
// OPENAI_BASE_URL (default https://api.openai.com/v1).
func FromEnv() (*Client, error) {
	key := strings.TrimSpace(os.Getenv(EnvAdminKey))
	if key == "" {
		return nil, errors.New(EnvAdminKey + " is not set: export an OpenAI admin key (sk-admin-…, created under " +
			"Organization settings → Admin keys), or run against the simulator (`respond sim serve` prints the exports)")
	}
	base := strings.TrimSpace(os.Getenv(EnvBaseURL))
	c, err := New(Config{BaseURL: base, AdminKey: secret.New(key)})
	if err != nil && base != "" {
		return nil, fmt.Errorf("%s: %w", EnvBaseURL, err)
	}
	return c, err
}

// checkBaseURL validates and normalizes a base URL (no trailing slash).
func checkBaseURL(raw string) (string, error) {
	if raw == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("openai: base URL %q is not a URL: give one such as %s", raw, DefaultBaseURL)
	}
	if u.User != nil {
		return "", fmt.Errorf("openai: base URL %s must not carry credentials: give the admin key in %s", u.Redacted(), EnvAdminKey)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("openai: refusing to send the admin key over plain http:// to %s: "+
				"use https://, or a loopback address (127.0.0.1, ::1, localhost) for a local simulator", u.Host)
		}
	default:
		return "", fmt.Errorf("openai: base URL %q has scheme %q: use https:// (or http:// to a loopback address)", raw, u.Scheme)
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// isLoopback reports whether host is localhost or a loopback IP address
// (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// retry is the request option of idempotent requests (GET, DELETE).
func (c *Client) retry() option.RequestOption { return option.WithMaxRetries(c.retries) }

// ListProjects lists the organization's active projects (all pages).
func (c *Client) ListProjects(ctx context.Context) ([]Project, error) {
	var out []Project
	it := c.org.Projects.ListAutoPaging(ctx, openai.AdminOrganizationProjectListParams{Limit: openai.Int(listPageSize)}, c.retry())
	for it.Next() {
		p := it.Current()
		out = append(out, Project{ID: textsafe.Line(p.ID), Name: textsafe.Line(p.Name), Status: textsafe.Line(string(p.Status))})
	}
	if err := it.Err(); err != nil {
		return nil, apiError("listing OpenAI projects", err)
	}
	return out, nil
}

// ListProjectKeys lists every enabled key of a project, all pages, with
// owner_project_access=any so that keys whose owner has lost access to
// the project are not hidden.
func (c *Client) ListProjectKeys(ctx context.Context, projectID string) ([]ProjectKey, error) {
	if err := netsafe.Segments("project", projectID); err != nil {
		return nil, step.Permanent(err)
	}
	var out []ProjectKey
	it := c.org.Projects.APIKeys.ListAutoPaging(ctx, projectID, openai.AdminOrganizationProjectAPIKeyListParams{
		Limit:              openai.Int(listPageSize),
		OwnerProjectAccess: openai.AdminOrganizationProjectAPIKeyListParamsOwnerProjectAccessAny,
	}, c.retry())
	for it.Next() {
		out = append(out, projectKey(it.Current()))
	}
	if err := it.Err(); err != nil {
		return nil, apiError(fmt.Sprintf("listing the API keys of OpenAI project %s", projectID), err)
	}
	return out, nil
}

// GetProjectKey fetches one project key; step.ErrNotFound if it does not
// exist (or no longer does).
func (c *Client) GetProjectKey(ctx context.Context, projectID, keyID string) (ProjectKey, error) {
	if err := netsafe.Segments("project", projectID, "key", keyID); err != nil {
		return ProjectKey{}, step.Permanent(err)
	}
	if projectID == "" || keyID == "" {
		return ProjectKey{}, fmt.Errorf("openai: looking up key %q in project %q: both a project and a key ID are needed", keyID, projectID)
	}
	k, err := c.org.Projects.APIKeys.Get(ctx, projectID, keyID, c.retry())
	if err != nil {
		return ProjectKey{}, apiError(fmt.Sprintf("getting key %s of OpenAI project %s", keyID, projectID), err)
	}
	return projectKey(*k), nil
}

// DeleteProjectKey deletes a user-owned project key. It is step.ErrNotFound
// if the key is gone; the API answers 400 for a service account's key.
func (c *Client) DeleteProjectKey(ctx context.Context, projectID, keyID string) error {
	if err := netsafe.Segments("project", projectID, "key", keyID); err != nil {
		return step.Permanent(err)
	}
	if projectID == "" || keyID == "" {
		return fmt.Errorf("openai: deleting key %q of project %q: both a project and a key ID are needed", keyID, projectID)
	}
	_, err := c.org.Projects.APIKeys.Delete(ctx, projectID, keyID, c.retry())
	if err != nil {
		return apiError(fmt.Sprintf("deleting key %s of OpenAI project %s", keyID, projectID), err)
	}
	return nil
}

// ListServiceAccounts lists a project's service accounts (all pages).
func (c *Client) ListServiceAccounts(ctx context.Context, projectID string) ([]ServiceAccount, error) {
	if err := netsafe.Segments("project", projectID); err != nil {
		return nil, step.Permanent(err)
	}
	var out []ServiceAccount
	it := c.org.Projects.ServiceAccounts.ListAutoPaging(ctx, projectID,
		openai.AdminOrganizationProjectServiceAccountListParams{Limit: openai.Int(listPageSize)}, c.retry())
	for it.Next() {
		a := it.Current()
		out = append(out, ServiceAccount{ID: textsafe.Line(a.ID), Name: textsafe.Line(a.Name), Role: textsafe.Line(string(a.Role)), Created: unix(a.CreatedAt)})
	}
	if err := it.Err(); err != nil {
		return nil, apiError(fmt.Sprintf("listing the service accounts of OpenAI project %s", projectID), err)
	}
	return out, nil
}

// CreateServiceAccount creates a service account with one key and returns
// the key's value, which the API shows only this once. The request is
// never retried: if its outcome is unknown (a timeout, a 5xx), the caller
// lists the project's service accounts to find out.
func (c *Client) CreateServiceAccount(ctx context.Context, projectID, name string) (ServiceAccount, NewKey, error) {
	if projectID == "" || name == "" {
		return ServiceAccount{}, NewKey{}, fmt.Errorf("openai: creating service account %q in project %q: both a project and a name are needed", name, projectID)
	}
	what := fmt.Sprintf("creating service account %q in OpenAI project %s", name, projectID)
	res, err := c.org.Projects.ServiceAccounts.New(ctx, projectID,
		openai.AdminOrganizationProjectServiceAccountNewParams{Name: name}, option.WithMaxRetries(0))
	if err != nil {
		return ServiceAccount{}, NewKey{}, apiError(what, err)
	}
	sa := ServiceAccount{ID: textsafe.Line(res.ID), Name: textsafe.Line(res.Name), Role: textsafe.Line(string(res.Role)), Created: unix(res.CreatedAt)}
	if res.APIKey.Value == "" {
		return sa, NewKey{}, fmt.Errorf("openai: %s: the service account %s was created without a key; delete it and try again", what, res.ID)
	}
	return sa, NewKey{ID: textsafe.Line(res.APIKey.ID), Name: textsafe.Line(res.APIKey.Name), Value: secret.New(res.APIKey.Value)}, nil
}

// DeleteServiceAccount deletes a service account, which revokes its keys;
// step.ErrNotFound if it is gone.
func (c *Client) DeleteServiceAccount(ctx context.Context, projectID, id string) error {
	if err := netsafe.Segments("project", projectID, "service account", id); err != nil {
		return step.Permanent(err)
	}
	if projectID == "" || id == "" {
		return fmt.Errorf("openai: deleting service account %q of project %q: both a project and an ID are needed", id, projectID)
	}
	_, err := c.org.Projects.ServiceAccounts.Delete(ctx, projectID, id, c.retry())
	if err != nil {
		return apiError(fmt.Sprintf("deleting service account %s of OpenAI project %s", id, projectID), err)
	}
	return nil
}

// Usage returns completions usage of the given keys over [start, end) in
// hourly buckets grouped by api_key_id, following next_page. projectID, if
// set, restricts it to that project. Buckets without usage are left out.
func (c *Client) Usage(ctx context.Context, projectID string, keyIDs []string, start, end time.Time) ([]UsageBucket, error) {
	what := "reading completions usage"
	if len(keyIDs) > 0 {
		what += " of " + strings.Join(keyIDs, ", ")
	}
	if !end.After(start) {
		return nil, fmt.Errorf("openai: %s: the time range %s to %s is empty", what, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
	}
	params := openai.AdminOrganizationUsageCompletionsParams{
		StartTime:   start.Unix(),
		EndTime:     openai.Int(end.Unix()),
		BucketWidth: openai.AdminOrganizationUsageCompletionsParamsBucketWidth1h,
		GroupBy:     []string{"api_key_id"},
		APIKeyIDs:   keyIDs,
		Limit:       openai.Int(usageBucketsPerPage),
	}
	if projectID != "" {
		params.ProjectIDs = []string{projectID}
	}
	var out []UsageBucket
	for page := 0; ; page++ {
		if page > 10000 {
			return nil, fmt.Errorf("openai: %s: the API kept returning next_page after %d pages; narrow the time range", what, page)
		}
		res, err := c.org.Usage.Completions(ctx, params, c.retry())
		if err != nil {
			return nil, apiError(what, err)
		}
		for _, b := range res.Data {
			for _, r := range b.Results {
				if r.Object != "" && r.Object != "organization.usage.completions.result" {
					continue
				}
				out = append(out, UsageBucket{
					Start: unix(b.StartTime), End: unix(b.EndTime), KeyID: r.APIKeyID,
					Requests: r.NumModelRequests, InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
				})
			}
		}
		if !res.HasMore || res.NextPage == "" {
			return out, nil
		}
		params.Page = openai.String(res.NextPage)
	}
}

// projectKey converts the SDK's key. last_used_at null decodes to 0 in the
// SDK; 0 becomes nil (never used). Every string is cleaned of control
// characters: names are whatever an organization member typed.
func projectKey(k openai.ProjectAPIKey) ProjectKey {
	pk := ProjectKey{
		ID:            textsafe.Line(k.ID),
		Name:          textsafe.Line(k.Name),
		RedactedValue: textsafe.Line(k.RedactedValue),
		Created:       unix(k.CreatedAt),
		OwnerType:     textsafe.Line(k.Owner.Type),
	}
	if k.LastUsedAt != 0 {
		t := unix(k.LastUsedAt)
		pk.LastUsed = &t
	}
	switch k.Owner.Type {
	case "service_account":
		pk.OwnerID, pk.OwnerName = textsafe.Line(k.Owner.ServiceAccount.ID), textsafe.Line(k.Owner.ServiceAccount.Name)
	default:
		pk.OwnerID, pk.OwnerName, pk.OwnerEmail = textsafe.Line(k.Owner.User.ID), textsafe.Line(k.Owner.User.Name), textsafe.Line(k.Owner.User.Email)
	}
	return pk
}

// unix converts Unix seconds to UTC time (0 stays the zero time).
func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
