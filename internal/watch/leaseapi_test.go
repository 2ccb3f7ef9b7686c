package watch

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

// leaseAPI is the Kubernetes API the replicas share: the simulator's
// (k8ssim), which serves coordination.k8s.io/v1 Leases as an API server
// does, resourceVersion conflicts included. Each replica has a client of
// its own that can be cut off, as a process that is killed stops
// reaching the API (it neither renews nor releases its Lease).
// The Lease the tests elect on, as deploy/kubernetes names it.
const (
	leaseNamespace = "respond"
	leaseName      = "respond-watch"
)

type leaseAPI struct {
	sim        *sim.Sim
	kubeconfig string

	mu    sync.Mutex
	conns []net.Conn
}

func startLeaseAPI(t *testing.T) *leaseAPI {
	t.Helper()
	s, err := sim.Start(context.Background(), sim.Options{Seed: 1, Services: []simapi.Factory{k8ssim.New}, TLSSelfSigned: true})
	if err != nil {
		t.Fatal(err)
	}
	api := &leaseAPI{sim: s, kubeconfig: s.Env()["KUBECONFIG"]}
	if api.kubeconfig == "" {
		t.Fatal("the simulator wrote no kubeconfig")
	}
	// The namespace deploy/kubernetes/respond-watch.yaml uses.
	if err := s.Service("kubernetes").(*k8ssim.Server).AddNamespace(leaseNamespace); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The clients' connections first: the simulator's graceful
		// shutdown would wait for one opened and never used.
		api.mu.Lock()
		for _, c := range api.conns {
			_ = c.Close()
		}
		api.mu.Unlock()
		if err := s.Close(); err != nil {
			t.Errorf("close the simulator: %v", err)
		}
	})
	return api
}

// errKilled is what a killed replica's requests get: they never reach the
// API.
var errKilled = errors.New("this replica was killed: its requests reach nobody")

// client is a replica's clientset, through the simulator's kubeconfig;
// once killed is set, none of its requests reaches the API.
func (a *leaseAPI) client(t *testing.T, killed *atomic.Bool) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: a.kubeconfig}, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			a.mu.Lock()
			a.conns = append(a.conns, c)
			a.mu.Unlock()
		}
		return c, err
	}
	if killed != nil {
		cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if killed.Load() {
					return nil, errKilled
				}
				return rt.RoundTrip(r)
			})
		}
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// lease is the Lease namespace/name as the world holds it (the
// simulator's /_sim/state), and whether it exists.
func (a *leaseAPI) lease(t *testing.T, namespace, name string) (k8ssim.SnapshotLease, bool) {
	t.Helper()
	raw, err := a.sim.StateJSON()
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Services struct {
			Kubernetes k8ssim.Snapshot `json:"kubernetes"`
		} `json:"services"`
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	for _, l := range state.Services.Kubernetes.Leases {
		if l.Namespace == namespace && l.Name == name {
			return l, true
		}
	}
	return k8ssim.SnapshotLease{}, false
}
