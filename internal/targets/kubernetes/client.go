// Package kubernetes is respond's `kubernetes-secret` target type (spec.go,
// writer.go: one key of a Secret, and the Deployments to restart so that
// their pods read it; docs/inventory.md documents it), and its client for
// the Kubernetes objects such a target touches, over the official
// client-go: one key of a Secret (set by a patch that names only that key,
// read back for recovery), a Deployment's rollout restart and the wait for
// it, the preflight of both (SelfSubjectAccessReviews), and leader election
// on a coordination.k8s.io/v1 Lease for `respond watch`. Its fake API
// server is k8ssim.
//
// # Configuration
//
// New reads a kubeconfig as kubectl does (clientcmd: an explicit path, else
// KUBECONFIG's list of files, else ~/.kube/config) and uses a context of
// it (or its current context). respond adds its rules for clients that
// carry secrets:
//
//   - a server over plain http:// is refused unless it is a loopback
//     address: the patches carry secret values (client-go itself sends no
//     credentials over http);
//   - a redirect is followed only within the server's origin
//     (netsafe.CheckRedirect).
//
// # Retries
//
// Reads (GET, and the list and watch of a rollout wait) are retried on
// 429 and 5xx answers and dropped connections. Writes are sent once: a
// patch that may have been applied is not repeated blindly (setting a key
// twice is harmless, but a second restart is a second rollout); the
// caller reads back to learn what happened.
//
// Secret values are secret.Value; no error of this package holds one (an
// API server may quote a refused patch, so error messages are scrubbed of
// the value in clear and in base64).
package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/validation"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/respondhq/respond/internal/netsafe"
)

// Client talks to one cluster as one kubeconfig context.
type Client struct {
	cs      k8s.Interface
	hc      *http.Client
	context string
	server  string
	// readAttempts is how often a read is tried; readBackoff the first
	// wait between two tries (doubled each time).
	readAttempts int
	readBackoff  time.Duration
	// now is the clock restarts are stamped with.
	now func() time.Time
}

// New builds a client from a kubeconfig: kubeconfigPath ("" for
// KUBECONFIG, else ~/.kube/config) and context ("" for its current
// context).
func New(kubeconfigPath, context string) (*Client, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfigPath != "" {
		rules.ExplicitPath = kubeconfigPath
	}
	return newFromRules(rules, context)
}

// NewFromEnv builds a client from the kubeconfig files the environment
// getenv reads names, as kubectl finds them: KUBECONFIG's list of files,
// else $HOME/.kube/config; context "" is its current context. respond's
// target writers use it, so that a drill or a test points them at the
// simulator through the plug-in environment.
func NewFromEnv(getenv func(string) string, context string) (*Client, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kc := getenv(clientcmd.RecommendedConfigPathEnvVar); kc != "" {
		rules.Precedence = filepath.SplitList(kc)
	} else if home := getenv("HOME"); home != "" {
		rules.Precedence = []string{filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
	}
	return newFromRules(rules, context)
}

// newFromRules builds a client from the kubeconfig rules finds.
func newFromRules(rules *clientcmd.ClientConfigLoadingRules, context string) (*Client, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	raw, err := loader.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes: read the kubeconfig (%s): %w", describeFiles(rules), err)
	}
	name := context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, fmt.Errorf("kubernetes: the kubeconfig (%s) has no current context: name one (its contexts: %s)", describeFiles(rules), contextNames(raw.Contexts))
	}
	if _, ok := raw.Contexts[name]; !ok {
		return nil, fmt.Errorf("kubernetes: the kubeconfig (%s) has no context %q (its contexts: %s)", describeFiles(rules), name, contextNames(raw.Contexts))
	}
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes: context %q of the kubeconfig: %w", name, err)
	}
	return newFromConfig(cfg, name)
}

// newFromConfig builds a client from client-go's configuration.
func newFromConfig(cfg *rest.Config, context string) (*Client, error) {
	u, err := url.Parse(cfg.Host)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("kubernetes: context %q: the server %q is not a URL", context, cfg.Host)
	}
	if u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("kubernetes: context %q: the server %s is plain http: respond sends secret values to it only over https (or to a loopback address)", context, u.Redacted())
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "respond"
	}
	// client-go's own default (5 requests a second, bursts of 10) would
	// make a preflight of many targets wait on the client; kubectl allows
	// 50 a second, and so does respond (the API server's priority and
	// fairness still decides).
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: context %q: %w", context, err)
	}
	hc.CheckRedirect = netsafe.CheckRedirect
	cs, err := k8s.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: context %q: %w", context, err)
	}
	return &Client{cs: cs, hc: hc, context: context, server: u.Redacted(), readAttempts: 3, readBackoff: 200 * time.Millisecond, now: time.Now}, nil
}

// Close closes the client's idle connections (through client-go's
// wrapping round trippers, which http.Client.CloseIdleConnections does not
// reach).
func (c *Client) Close() { utilnet.CloseIdleConnectionsFor(c.hc.Transport) }

// Context is the kubeconfig context the client uses.
func (c *Client) Context() string { return c.context }

// Server is the API server's URL.
func (c *Client) Server() string { return c.server }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func describeFiles(r *clientcmd.ClientConfigLoadingRules) string {
	if r.ExplicitPath != "" {
		return r.ExplicitPath
	}
	if len(r.Precedence) > 0 {
		return strings.Join(r.Precedence, ", ")
	}
	return "none"
}

func contextNames[T any](m map[string]T) string {
	if len(m) == 0 {
		return "none"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// checkNames validates a namespace and object names before they go into a
// request path.
func checkNames(ns string, names ...string) error {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("%w: namespace %q: %s", ErrBadInput, ns, errs[0])
	}
	for _, n := range names {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			return fmt.Errorf("%w: name %q: %s", ErrBadInput, n, errs[0])
		}
	}
	return nil
}

// retryable reports whether a read that failed with err may be tried
// again: a 429 or 5xx answer, or a connection that failed or dropped.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		code := st.Status().Code
		return code == 429 || code >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// read runs a read, trying again after a retryable failure.
func (c *Client) read(ctx context.Context, f func() error) error {
	wait := c.readBackoff
	var err error
	for i := 0; i < c.readAttempts; i++ {
		if i > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
			wait *= 2
		}
		if err = f(); !retryable(err) {
			return err
		}
	}
	return err
}
