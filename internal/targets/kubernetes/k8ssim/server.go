// Package k8ssim is a fake Kubernetes API server, served by the simulator
// under /k8s/: enough of the API for client-go and kubectl to read and set
// one key of a Secret, restart a Deployment and wait for its rollout, elect
// a leader on a Lease, and ask what they may do.
//
// It serves discovery (/version, /api, /apis and the group versions),
// namespaces (get, list), Secrets (get, list, watch, create, update,
// patch, delete), Deployments (get, list, watch, create, update, patch)
// whose status progresses over a rollout on the simulator's clock, Leases
// (get, list, watch, create, update, patch, delete) with resourceVersion
// optimistic concurrency, and SelfSubjectAccessReviews. Every object has a
// uid and a resourceVersion from one cluster-wide counter; errors are
// metav1.Status objects with Kubernetes' own messages; patches are
// strategic-merge, JSON merge and JSON patches (server-side apply answers
// 415). Clients authenticate with bearer tokens: Env writes a kubeconfig
// with a context per user (ContextFull, ContextReadOnly,
// ContextNoRestart).
//
// The world is one cluster with the namespaces default, kube-system,
// kube-public and kube-node-lease; Reset brings it back to that. Scenarios
// and tests seed it with PutSecret, AddNamespace and AddDeployment. No pod
// runs: RolloutValue tells what a Deployment's pods would read, the Secret
// as it was when the Deployment's last rollout completed.
//
// See docs/simulator.md for what is simulated and what is not.
package k8ssim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/respondhq/respond/internal/sim/simapi"
)

// The kubeconfig contexts Env writes, one per user of the fake cluster.
const (
	// ContextFull is the current context: a user who may do everything.
	ContextFull = "sim"
	// ContextReadOnly is a user who may get, list and watch everything
	// and change nothing.
	ContextReadOnly = "sim-readonly"
	// ContextNoRestart is a user who may read everything and write
	// Secrets, but not change Deployments or Leases: it can set a key and
	// cannot restart a rollout.
	ContextNoRestart = "sim-no-restart"
)

// ClusterName is the cluster's name in the kubeconfig.
const ClusterName = "sim"

// DefaultRolloutDuration is how long a rollout takes, from the change of a
// Deployment's pod template to its completion, unless Config says
// otherwise.
const DefaultRolloutDuration = 2 * time.Second

// Config tunes the fake.
type Config struct {
	// RolloutDuration is how long a rollout takes on the simulator's
	// clock (default DefaultRolloutDuration; negative: rollouts complete
	// as soon as they start). SetRolloutDuration changes it later.
	RolloutDuration time.Duration
}

// Server is the fake Kubernetes API server. Its methods are safe for
// concurrent use.
type Server struct {
	now  func() time.Time
	rand io.Reader

	mu sync.Mutex
	// rv is the last resourceVersion given out.
	rv uint64
	// objects are the stored objects by resource name ("secrets") and
	// namespace/name.
	objects map[string]map[string]object
	// events are the recent changes, oldest first, for watches.
	events []event
	// expired is the newest resourceVersion whose event was dropped from
	// events: a watch from before it must relist.
	expired uint64
	// watchers are the open watches.
	watchers map[*watcher]struct{}
	// streamsClosed is closed by CloseStreams; streams end when it is.
	streamsClosed chan struct{}
	// deploys is the rollout state of each Deployment, by namespace/name.
	deploys map[string]*deployState
	// secretLog is every version each Secret had, by namespace/name, for
	// RolloutValue.
	secretLog map[string][]secretVersion
	// rolloutDuration is how long new rollouts take.
	rolloutDuration time.Duration
	// users are the cluster's users, by token; they are made at the first
	// Reset (after the simulator seeded the random stream) and kept.
	users  map[string]*user
	byName map[string]*user
	// uidSeq numbers random draws when there is no random stream.
	uidSeq uint64
}

var (
	_ simapi.Service     = (*Server)(nil)
	_ simapi.SecretStore = (*Server)(nil)
	_ simapi.ErrorWriter = (*Server)(nil)
	_ simapi.Streamer    = (*Server)(nil)
	_ simapi.ServedStore = (*Server)(nil)
	_ simapi.TLSOnly     = (*Server)(nil)
)

// New builds the fake with the default Config; it is a simapi.Factory.
func New(o simapi.Options) simapi.Service { return NewServer(o, Config{}) }

// Factory returns a simapi.Factory that builds the fake with cfg.
func Factory(cfg Config) simapi.Factory {
	return func(o simapi.Options) simapi.Service { return NewServer(o, cfg) }
}

// NewServer builds the fake with cfg. Its world is empty until Reset,
// which the simulator calls before it serves.
func NewServer(o simapi.Options, cfg Config) *Server {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	d := cfg.RolloutDuration
	if d == 0 {
		d = DefaultRolloutDuration
	}
	if d < 0 {
		d = 0
	}
	s := &Server{now: now, rand: o.Rand, rolloutDuration: d, streamsClosed: make(chan struct{})}
	s.resetLocked()
	return s
}

// Name is "kubernetes".
func (s *Server) Name() string { return "kubernetes" }

// Prefix is "/k8s/".
func (s *Server) Prefix() string { return "/k8s/" }

// Reset empties the world: every Secret, Deployment and Lease, and every
// namespace but default, kube-system, kube-public and kube-node-lease. The
// users and their tokens stay (the kubeconfig Env wrote still works), and
// streams may open again after CloseStreams.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.watchers {
		w.end()
	}
	s.ensureUsersLocked()
	s.resetLocked()
	select {
	case <-s.streamsClosed:
		s.streamsClosed = make(chan struct{})
	default:
	}
}

func (s *Server) resetLocked() {
	s.rv = 0
	s.objects = map[string]map[string]object{}
	s.events = nil
	s.expired = 0
	s.watchers = map[*watcher]struct{}{}
	s.deploys = map[string]*deployState{}
	s.secretLog = map[string][]secretVersion{}
	for _, ns := range baseNamespaces {
		s.addNamespaceLocked(ns, stableUID("namespace/"+ns))
	}
}

// baseNamespaces are the namespaces every cluster has.
var baseNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

// CloseStreams ends every open watch; watches opened afterwards end at
// once, until the next Reset.
func (s *Server) CloseStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.streamsClosed:
	default:
		close(s.streamsClosed)
	}
}

// SetRolloutDuration sets how long rollouts that start from now on take
// (negative or zero: they complete at once).
func (s *Server) SetRolloutDuration(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rolloutDuration = max(d, 0)
}

// NeedsTLS is true: client-go and kubectl send a kubeconfig's token to no
// plain http:// server, so the simulator serves the fake over HTTPS even
// when it serves the other APIs over HTTP (simapi.TLSOnly).
func (s *Server) NeedsTLS() bool { return true }

// Env writes a kubeconfig (mode 0600) in dir naming the fake cluster at
// base, with a context per user (ContextFull, the current one,
// ContextReadOnly and ContextNoRestart), and returns KUBECONFIG.
//
// client-go and kubectl send a kubeconfig's credentials only to an https
// server: over plain http every request arrives without a token and is
// refused 401, as by an API server without anonymous access. The
// simulator serves the fake over HTTPS (NeedsTLS). When it generated the
// certificate, the kubeconfig names it as the certificate authority; with
// a certificate of your own, clients trust it as they trust any
// (SSL_CERT_FILE).
func (s *Server) Env(base, dir string) (map[string]string, error) {
	cluster := &clientcmdapi.Cluster{Server: base}
	if ca, err := os.ReadFile(filepath.Join(dir, simapi.CACertFile)); err == nil {
		cluster.CertificateAuthorityData = ca
	}
	s.mu.Lock()
	s.ensureUsersLocked()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ClusterName] = cluster
	for _, u := range s.userList() {
		cfg.AuthInfos[u.name] = &clientcmdapi.AuthInfo{Token: u.token}
		cfg.Contexts[u.context] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: u.name, Namespace: "default"}
	}
	s.mu.Unlock()
	cfg.CurrentContext = ContextFull
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("write the kubeconfig: %w", err)
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write the kubeconfig: %w", err)
	}
	return map[string]string{"KUBECONFIG": path}, nil
}

// WriteError answers an injected fault as the API server would: a
// metav1.Status with the fault's code, and Retry-After on a 429.
func (s *Server) WriteError(w http.ResponseWriter, status int, retryAfter time.Duration) {
	secs := 0
	if status == http.StatusTooManyRequests {
		secs = int((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
	}
	msg := http.StatusText(status)
	if status >= 500 {
		msg = "injected fault"
	}
	err := apierrors.NewGenericServerResponse(status, "", schema.GroupResource{}, "", msg, secs, false)
	writeStatus(w, err)
}

// stableUID is a uid for an object the fake makes on its own (the base
// namespaces), the same across resets and seeds.
func stableUID(what string) types.UID {
	sum := sha256.Sum256([]byte("k8ssim/" + what))
	return uuidOf(sum[:16])
}

// newUID draws a uid from the simulator's random stream.
func (s *Server) newUID() types.UID {
	return uuidOf(s.randomBytes(16))
}

// uuidOf formats 16 bytes as a version 4 UUID.
func uuidOf(b []byte) types.UID {
	u := make([]byte, 16)
	copy(u, b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return types.UID(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32])
}

// randomHex draws n random bytes as hex.
func (s *Server) randomHex(n int) string { return hex.EncodeToString(s.randomBytes(n)) }

// randomBytes draws n (at most 32) bytes from the simulator's random
// stream, or, without one, from a counter.
func (s *Server) randomBytes(n int) []byte {
	b := make([]byte, n)
	if s.rand != nil {
		if _, err := io.ReadFull(s.rand, b); err == nil {
			return b
		}
	}
	s.uidSeq++
	sum := sha256.Sum256(fmt.Appendf(nil, "k8ssim/random/%d", s.uidSeq))
	copy(b, sum[:])
	return b
}
