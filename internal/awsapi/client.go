// Package awsapi is respond's AWS client over the official AWS SDK for Go v2
// (github.com/aws/aws-sdk-go-v2): IAM access keys, STS, CloudTrail,
// Secrets Manager and SSM Parameter Store. Its tests run it against moto
// (see awstest), a real AWS implementation nobody here wrote.
//
// # Configuration
//
// Everything comes from the SDK's standard chain, as the AWS CLI reads it:
// AWS_PROFILE (and ~/.aws/config, ~/.aws/credentials), AWS_REGION,
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, SSO,
// web identity, container and instance roles, AWS_ENDPOINT_URL and the
// per-service AWS_ENDPOINT_URL_<SERVICE>. respond adds two rules:
//
//   - An endpoint over plain http:// is refused unless its host is a
//     loopback address (127.0.0.0/8, ::1, localhost), as for OpenAI and
//     GitHub: the requests carry signatures and secret values. It is
//     checked when each service's client is built and again for every
//     request.
//   - Redirects are never followed: no AWS API that respond calls
//     redirects, and a followed 307 would resend a request body (a secret
//     value) to wherever it points.
//
// # Retries
//
// The SDK's standard retryer retries every operation on throttling, 5xx
// answers and connection errors — including a connection reset after
// the request was sent, when it may have taken effect. respond retries
// only requests that are safe to repeat, and says so per operation:
//
//   - reads (Get*, List*, Describe*, LookupEvents, GetCallerIdentity):
//     retried;
//   - UpdateAccessKey (setting a status twice is setting it once) and
//     DeleteAccessKey (a repeat answers NoSuchEntity, which the caller
//     reads as "gone"): retried;
//   - PutSecretValue: retried, because the SDK fills ClientRequestToken
//     once per call and sends the same token with every attempt, so
//     Secrets Manager applies a repeat once; PutParameter with Overwrite:
//     retried, as a repeat writes the same value (a new version of it);
//   - CreateAccessKey: never retried (a NopRetryer for that operation). A
//     repeat would create a second key whose secret nobody holds, and
//     IAM allows only two per user. After an error whose outcome is
//     unknown, the caller lists the user's keys to reconcile;
//   - SimulatePrincipalPolicy: not retried; it is advisory, and an
//     unanswered simulation means "cannot tell".
package awsapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	// DefaultMaxAttempts is how many times an idempotent request is tried.
	DefaultMaxAttempts = 3
	// DefaultMaxBackoff bounds the wait between two attempts.
	DefaultMaxBackoff = 20 * time.Second
	// defaultTimeout bounds one HTTP exchange.
	defaultTimeout = 60 * time.Second
	// globalRegion signs IAM and STS calls when no region is configured
	// (IAM is global; its endpoint is in us-east-1).
	globalRegion = "us-east-1"
)

// Options configure a Client beyond the standard chain.
type Options struct {
	// MaxAttempts of an idempotent request (default DefaultMaxAttempts).
	MaxAttempts int
	// MaxBackoff between attempts (default DefaultMaxBackoff).
	MaxBackoff time.Duration
	// Transport sends the requests (default: the SDK's transport, which
	// honours HTTPS_PROXY and friends).
	Transport http.RoundTripper
	// Load adds options to the standard chain (e.g. config.WithRegion).
	Load []func(*config.LoadOptions) error
}

// Client is AWS as respond uses it. It is safe for concurrent use.
type Client struct {
	cfg  aws.Config
	opts Options
	hc   *guardedClient

	iam *iam.Client
	sts *sts.Client

	mu       sync.Mutex
	sm       map[string]*secretsmanager.Client
	ssm      map[string]*ssm.Client
	ct       map[string]*cloudtrail.Client
	identity *Identity
}

// FromEnv returns a client configured by the standard chain (see the
// package comment).
func FromEnv(ctx context.Context) (*Client, error) { return New(ctx, Options{}) }

// New loads the standard configuration chain and returns a client. It
// makes no request: missing credentials are reported by the first call.
func New(ctx context.Context, o Options) (*Client, error) {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	tr := o.Transport
	if tr == nil {
		tr = awshttp.NewBuildableClient().GetTransport()
	}
	hc := &guardedClient{hc: &http.Client{
		Transport: tr,
		Timeout:   defaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
	load := append([]func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = o.MaxAttempts
				so.MaxBackoff = o.MaxBackoff
			})
		}),
	}, o.Load...)
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("AWS: loading the configuration (AWS_PROFILE, ~/.aws/config and ~/.aws/credentials, AWS_* variables): %v: "+
			"fix the profile or the files, or unset AWS_PROFILE to use the default chain", err)
	}
	c := &Client{cfg: cfg, opts: o, hc: hc,
		sm: map[string]*secretsmanager.Client{}, ssm: map[string]*ssm.Client{}, ct: map[string]*cloudtrail.Client{}}
	global := c.cfg.Region
	if global == "" {
		global = globalRegion
	}
	c.iam = iam.NewFromConfig(cfg, func(io *iam.Options) { io.HTTPClient = hc; io.Region = global })
	if err := checkEndpoint("IAM", c.iam.Options().BaseEndpoint); err != nil {
		return nil, err
	}
	c.sts = sts.NewFromConfig(cfg, func(so *sts.Options) { so.HTTPClient = hc; so.Region = global })
	if err := checkEndpoint("STS", c.sts.Options().BaseEndpoint); err != nil {
		return nil, err
	}
	return c, nil
}

// Region is the region from the configuration ("" when none is set).
func (c *Client) Region() string { return c.cfg.Region }

// region is r, or the configured region, or an error saying how to set
// one.
func (c *Client) region(r, what string) (string, error) {
	if r != "" {
		return r, nil
	}
	if c.cfg.Region != "" {
		return c.cfg.Region, nil
	}
	return "", permanent(fmt.Errorf("AWS: %s: no region: set AWS_REGION (or region in the AWS profile), or give the target a region", what))
}

func (c *Client) secretsManager(region string) (*secretsmanager.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.sm[region]; ok {
		return cl, nil
	}
	cl := secretsmanager.NewFromConfig(c.cfg, func(o *secretsmanager.Options) { o.HTTPClient = c.hc; o.Region = region })
	if err := checkEndpoint("Secrets Manager", cl.Options().BaseEndpoint); err != nil {
		return nil, err
	}
	c.sm[region] = cl
	return cl, nil
}

func (c *Client) parameterStore(region string) (*ssm.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.ssm[region]; ok {
		return cl, nil
	}
	cl := ssm.NewFromConfig(c.cfg, func(o *ssm.Options) { o.HTTPClient = c.hc; o.Region = region })
	if err := checkEndpoint("SSM", cl.Options().BaseEndpoint); err != nil {
		return nil, err
	}
	c.ssm[region] = cl
	return cl, nil
}

func (c *Client) cloudTrail(region string) (*cloudtrail.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.ct[region]; ok {
		return cl, nil
	}
	cl := cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) { o.HTTPClient = c.hc; o.Region = region })
	if err := checkEndpoint("CloudTrail", cl.Options().BaseEndpoint); err != nil {
		return nil, err
	}
	c.ct[region] = cl
	return cl, nil
}

// checkEndpoint refuses a configured endpoint over plain http to a host
// that is not loopback, or one that is not a URL.
func checkEndpoint(service string, base *string) error {
	if base == nil || *base == "" {
		return nil
	}
	u, err := url.Parse(*base)
	if err != nil || u.Host == "" {
		return permanent(fmt.Errorf("AWS %s: endpoint %q (AWS_ENDPOINT_URL or the profile's endpoint_url) is not a URL: give one such as https://HOST", service, *base))
	}
	if u.User != nil {
		return permanent(fmt.Errorf("AWS %s: endpoint %s must not carry credentials in its URL", service, u.Redacted()))
	}
	return checkURL(service, u)
}

func checkURL(service string, u *url.URL) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return permanent(&refusedError{fmt.Sprintf("AWS %s: refusing to send signed requests and secret values over plain http:// to %s: "+
			"use https://, or a loopback address (127.0.0.1, ::1, localhost) for a local AWS implementation; check AWS_ENDPOINT_URL", service, u.Host)})
	}
	return permanent(&refusedError{fmt.Sprintf("AWS %s: endpoint scheme %q of %s is not https: check AWS_ENDPOINT_URL", service, u.Scheme, u.Host)})
}

// refusedError is a request respond refused to send. It is not
// retryable (the SDK would otherwise retry it as a connection error).
type refusedError struct{ msg string }

func (e *refusedError) Error() string        { return e.msg }
func (e *refusedError) RetryableError() bool { return false }

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// guardedClient sends requests only over https, or plain http to a
// loopback host, and never follows redirects.
type guardedClient struct{ hc *http.Client }

func (g *guardedClient) Do(r *http.Request) (*http.Response, error) {
	if err := checkURL(r.URL.Host, r.URL); err != nil {
		return nil, err
	}
	resp, err := g.hc.Do(r)
	if err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc := resp.Header.Get("Location")
		resp.Body.Close()
		return nil, &refusedError{fmt.Sprintf("AWS answered %s with a redirect (%d) to %q, which respond does not follow: check AWS_ENDPOINT_URL and the region",
			r.URL.Host, resp.StatusCode, clean(loc, 200))}
	}
	return resp, err
}

// endpointNote names the configured endpoint, for messages about
// reaching AWS.
func endpointNote() string {
	if e := os.Getenv("AWS_ENDPOINT_URL"); e != "" {
		return " (AWS_ENDPOINT_URL is " + clean(e, 200) + ")"
	}
	return ""
}

// permanent is step.Permanent, kept local so that errors.go decides what
// is permanent in one place.
func permanent(err error) error { return markPermanent(err) }
