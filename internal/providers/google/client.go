// Package google is respond's provider of Google Cloud API keys (Gemini
// API keys are some): a leaked key is found from its value with
// keys:lookupKey, contained by deleting it (Google keeps a deleted key
// undeletable for 30 days), replaced by a new key in the same project with
// the leaked key's display name and every one of its restrictions, and
// checked against the Generative Language API (spec.go declares it,
// provider.go implements it; docs/providers/google.md is its page; its
// fake is googlesim, which the simulator serves under /google/).
//
// It is built on this package's client of Google Cloud's API Keys API v2
// (the official REST client google.golang.org/api/apikeys/v2) and of the
// one Generative Language API call that tells whether a key still works.
//
// Credentials are Application Default Credentials (GOOGLE_APPLICATION_
// CREDENTIALS, gcloud's application-default login, or the metadata
// server), or a credentials file named in Config. The endpoints can be
// overridden (RESPOND_GOOGLE_APIKEYS_URL, RESPOND_GOOGLE_GENERATIVELANGUAGE_URL)
// to point respond at the simulator's googlesim.
//
// Facts relied on (see googlesim's package comment for the sources): key
// names are projects/P/locations/global/keys/ID; CreateKey, DeleteKey and
// UndeleteKey answer long-running operations polled at
// v2/operations/…; CreateKey's keyId makes a create reconcilable, since a
// second create with the same keyId answers 409 ALREADY_EXISTS; DeleteKey's
// etag makes it refuse (409 ABORTED) when the key changed since it was
// read; a deleted key can be undeleted for 30 days; GetKey never returns
// the key string, GetKeyString does; LookupKey finds a key's project and
// name from its string alone.
//
// Retries: only idempotent requests are retried (GETs, including operation
// polls, and DeleteKey, whose repetition is recognised as "already
// deleted"), on 408, 429 and 5xx and on connection errors, honouring
// Retry-After. Creates, patches and undeletes are sent once.
//
// Secrets: a key string is a secret.Value. LookupKey must put it in the
// URL's query (the API has no other form); respond's client logger is
// switched off so that the URL is never logged, and transport errors are
// reported without their URL. CheckKey sends the key in the
// x-goog-api-key header, never in a URL.
package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	apikeys "google.golang.org/api/apikeys/v2"
	"google.golang.org/api/option"

	"github.com/respondhq/respond/internal/netsafe"
)

// Environment variables FromEnv reads (besides Application Default
// Credentials' own, GOOGLE_APPLICATION_CREDENTIALS).
const (
	EnvAPIKeysURL            = "RESPOND_GOOGLE_APIKEYS_URL"
	EnvGenerativeLanguageURL = "RESPOND_GOOGLE_GENERATIVELANGUAGE_URL"
)

// Default endpoints.
const (
	DefaultEndpoint              = "https://apikeys.googleapis.com/"
	DefaultGenerativeLanguageURL = "https://generativelanguage.googleapis.com"
)

const (
	defaultRetries          = 3
	defaultOperationTimeout = 2 * time.Minute
	defaultCheckTimeout     = 30 * time.Second
	listPageSize            = 300
)

// Config configures a Client.
type Config struct {
	// Endpoint is the API Keys API's base URL. Default DefaultEndpoint.
	Endpoint string
	// GenerativeLanguageURL is where CheckKey calls the Generative
	// Language API. Default DefaultGenerativeLanguageURL.
	GenerativeLanguageURL string
	// CredentialsFile is a service-account, authorized-user or
	// impersonated-service-account JSON file. Default: Application Default
	// Credentials.
	CredentialsFile string
	// HTTPClient sends CheckKey's requests (the API Keys API's go through
	// the authenticated transport the Google client builds). Default: a
	// client with a 30 s timeout.
	HTTPClient *http.Client
	// OperationTimeout bounds the wait for a long-running operation.
	// Default 2 minutes.
	OperationTimeout time.Duration
}

// Client is the API Keys API as respond uses it. It is safe for
// concurrent use.
type Client struct {
	svc       *apikeys.Service
	glURL     string
	hc        *http.Client
	retries   int
	opTimeout time.Duration
	// backoff is the first retry's and poll's wait; maxBackoff caps both.
	backoff, maxBackoff time.Duration
	// pageSize is ListKeys' page size.
	pageSize int64
}

// New returns a client for cfg.
func New(ctx context.Context, cfg Config) (*Client, error) {
	endpoint, err := checkURL("API Keys API endpoint", cfg.Endpoint, DefaultEndpoint)
	if err != nil {
		return nil, err
	}
	glURL, err := checkURL("Generative Language API URL", cfg.GenerativeLanguageURL, DefaultGenerativeLanguageURL)
	if err != nil {
		return nil, err
	}
	opts := []option.ClientOption{
		option.WithEndpoint(strings.TrimRight(endpoint, "/") + "/"),
		// The client's own logger would log request URLs, and
		// lookupKey's carries the key string.
		option.WithLogger(slog.New(slog.DiscardHandler)),
		option.WithUserAgent("respond"),
	}
	if cfg.CredentialsFile != "" {
		o, err := credentialsOption(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	svc, err := apikeys.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("google: no credentials for the API Keys API: %s: set %s to a service account's key file, "+
			"or run `gcloud auth application-default login`", scrubErr(err), "GOOGLE_APPLICATION_CREDENTIALS")
	}
	hc := &http.Client{Timeout: defaultCheckTimeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = netsafe.CheckRedirect
	c := &Client{svc: svc, glURL: strings.TrimRight(glURL, "/"), hc: hc, retries: defaultRetries,
		opTimeout: cfg.OperationTimeout, backoff: 200 * time.Millisecond, maxBackoff: 5 * time.Second, pageSize: listPageSize}
	if c.opTimeout <= 0 {
		c.opTimeout = defaultOperationTimeout
	}
	return c, nil
}

// FromEnv returns a client configured from RESPOND_GOOGLE_APIKEYS_URL and
// RESPOND_GOOGLE_GENERATIVELANGUAGE_URL (both optional), with Application
// Default Credentials.
func FromEnv(ctx context.Context) (*Client, error) {
	return New(ctx, Config{
		Endpoint:              strings.TrimSpace(os.Getenv(EnvAPIKeysURL)),
		GenerativeLanguageURL: strings.TrimSpace(os.Getenv(EnvGenerativeLanguageURL)),
	})
}

// credentialsOption reads a credentials file's type and returns the option
// that loads only that type. External-account files (which can run
// programs) are refused: use them through Application Default Credentials.
func credentialsOption(file string) (option.ClientOption, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("google: read the credentials file: %w", err)
	}
	var f struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("google: credentials file %s is not JSON: %v", file, err)
	}
	switch f.Type {
	case "service_account":
		return option.WithAuthCredentialsFile(option.ServiceAccount, file), nil
	case "authorized_user":
		return option.WithAuthCredentialsFile(option.AuthorizedUser, file), nil
	case "impersonated_service_account":
		return option.WithAuthCredentialsFile(option.ImpersonatedServiceAccount, file), nil
	}
	return nil, fmt.Errorf("google: credentials file %s has type %q: give a service_account, authorized_user or "+
		"impersonated_service_account file, or leave it out to use Application Default Credentials", file, f.Type)
}

// checkURL validates a base URL: https, or http to a loopback address (a
// local simulator), without credentials.
func checkURL(what, raw, def string) (string, error) {
	if raw == "" {
		return def, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("google: %s %q is not a URL: give one such as %s", what, raw, def)
	}
	if u.User != nil {
		return "", fmt.Errorf("google: %s %s must not carry credentials", what, u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("google: refusing to send credentials over plain http:// to %s: use https://, "+
				"or a loopback address for a local simulator", u.Host)
		}
	default:
		return "", fmt.Errorf("google: %s %q has scheme %q: use https:// (or http:// to a loopback address)", what, raw, u.Scheme)
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// retryable tells whether a failed idempotent request may be sent again,
// and how long the server asked to wait.
func retryable(err error) (bool, time.Duration) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false, 0
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.StatusCode == 0:
			return true, 0
		case ae.StatusCode == http.StatusRequestTimeout, ae.StatusCode == http.StatusTooManyRequests, ae.StatusCode >= 500:
			return true, ae.RetryAfter
		}
		return false, 0
	}
	return false, 0
}

// retry runs an idempotent call up to c.retries more times while it fails
// retryably, waiting an exponential backoff or the server's Retry-After.
func (c *Client) retry(ctx context.Context, call func() error) error {
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		err := call()
		ok, after := retryable(err)
		if !ok || attempt >= c.retries {
			return err
		}
		d := wait
		if after > 0 {
			d = after
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(wait*2, c.maxBackoff)
	}
}

// drain reads and closes a body.
func drain(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, 1<<20))
	_ = rc.Close()
}
