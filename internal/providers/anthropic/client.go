// Package anthropic is respond's client of Anthropic's Admin API for API
// keys, over the official Go SDK github.com/anthropics/anthropic-sdk-go/v2
// (which covers the Admin API: Organization.APIKeys), and of the one
// Claude API call that tells whether a key works (GET /v1/models). The
// provider adapter for Anthropic keys is built on it.
//
// Anthropic's API can list, read, rename and change the status of keys
// (active, inactive, archived: archived is final), but cannot create or
// delete one: a replacement is made by a person in the Console.
//
// Retries: only idempotent requests are retried by the SDK (up to three
// times, on 408, 409, 429, 5xx and connection errors, honouring
// retry-after): the GETs, the status update (setting a status twice
// leaves it set) and the rename (likewise). There is no create to retry.
//
// The SDK's client reads ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN,
// ANTHROPIC_BASE_URL, ANTHROPIC_CUSTOM_HEADERS and profiles from the
// environment; this package turns all of that off
// (option.WithoutEnvironmentDefaults) so that only what Config says is
// sent. FromEnv reads exactly ANTHROPIC_ADMIN_API_KEY and
// ANTHROPIC_BASE_URL.
package anthropic

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/secret"
)

// Environment variables FromEnv reads.
const (
	EnvAdminKey = "ANTHROPIC_ADMIN_API_KEY"
	EnvBaseURL  = "ANTHROPIC_BASE_URL"
)

// DefaultBaseURL is the API's base URL.
const DefaultBaseURL = "https://api.anthropic.com"

const (
	defaultRetries = 3
	defaultTimeout = 60 * time.Second
	listPageSize   = 1000
)

// Key statuses.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
	StatusArchived = "archived"
	StatusExpired  = "expired"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API's base URL. Default DefaultBaseURL.
	BaseURL string
	// AdminKey is an organization admin key (sk-ant-admin01-…).
	AdminKey secret.Value
	// HTTPClient sends the requests. Default: a client with a 60 s timeout.
	HTTPClient *http.Client
}

// Client is the Admin API as respond uses it. It is safe for concurrent
// use.
type Client struct {
	keys    sdk.OrganizationAPIKeyService
	models  sdk.ModelService
	retries int
	// pageSize is ListKeys' page size.
	pageSize int64
}

// New returns a client for cfg. It refuses an empty admin key, a base URL
// that is not http(s), and plain http:// to anything but a loopback
// address.
func New(cfg Config) (*Client, error) {
	if cfg.AdminKey.IsZero() {
		return nil, errors.New("anthropic: no admin key: export " + EnvAdminKey + " with an Anthropic admin key (sk-ant-admin01-…, " +
			"made in the Console under Settings → Admin keys)")
	}
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: defaultTimeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = netsafe.CheckRedirect
	common := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(base + "/"),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0),
	}
	admin := sdk.NewClient(append(common, option.WithAPIKey(cfg.AdminKey.Reveal()))...)
	// CheckKey passes the key it checks with each call.
	plain := sdk.NewClient(common...)
	return &Client{keys: admin.Organization.APIKeys, models: plain.Models, retries: defaultRetries, pageSize: listPageSize}, nil
}

// FromEnv returns a client configured from ANTHROPIC_ADMIN_API_KEY and
// ANTHROPIC_BASE_URL (default https://api.anthropic.com).
func FromEnv() (*Client, error) {
	key := strings.TrimSpace(os.Getenv(EnvAdminKey))
	if key == "" {
		return nil, errors.New(EnvAdminKey + " is not set: export an Anthropic admin key (sk-ant-admin01-…), " +
			"or run against the simulator (`respond sim serve` prints the exports)")
	}
	base := strings.TrimSpace(os.Getenv(EnvBaseURL))
	c, err := New(Config{BaseURL: base, AdminKey: secret.New(key)})
	if err != nil && base != "" {
		return nil, fmt.Errorf("%s: %w", EnvBaseURL, err)
	}
	return c, err
}

func checkBaseURL(raw string) (string, error) {
	if raw == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("anthropic: base URL %q is not a URL: give one such as %s", raw, DefaultBaseURL)
	}
	if u.User != nil {
		return "", fmt.Errorf("anthropic: base URL %s must not carry credentials: give the admin key in %s", u.Redacted(), EnvAdminKey)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("anthropic: refusing to send the admin key over plain http:// to %s: use https://, "+
				"or a loopback address for a local simulator", u.Host)
		}
	default:
		return "", fmt.Errorf("anthropic: base URL %q has scheme %q: use https:// (or http:// to a loopback address)", raw, u.Scheme)
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// retry is the request option of idempotent requests.
func (c *Client) retry() option.RequestOption { return option.WithMaxRetries(c.retries) }
