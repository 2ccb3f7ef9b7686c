package k8ssim_test

import (
	"context"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

// clock is a simulator clock that moves only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is a running simulator serving the fake cluster.
type world struct {
	sim        *sim.Sim
	k8s        *k8ssim.Server
	kubeconfig string
	conns      *conns
}

// conns are the connections the test's clients opened: closed before the
// simulator, whose graceful shutdown would wait for a connection a client
// opened and never used.
type conns struct {
	mu   sync.Mutex
	list []net.Conn
}

func (c *conns) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		c.mu.Lock()
		c.list = append(c.list, conn)
		c.mu.Unlock()
	}
	return conn, err
}

func (c *conns) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.list {
		_ = conn.Close()
	}
	c.list = nil
}

// start runs a simulator with the fake cluster; now is its clock (nil:
// the wall clock).
func start(t *testing.T, cfg k8ssim.Config, now func() time.Time) *world {
	t.Helper()
	var srv *k8ssim.Server
	f := func(o simapi.Options) simapi.Service {
		srv = k8ssim.Factory(cfg)(o).(*k8ssim.Server)
		return srv
	}
	s, err := sim.Start(context.Background(), sim.Options{Seed: 1, Services: []simapi.Factory{f}, Now: now, TLSSelfSigned: true})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{sim: s, k8s: srv, kubeconfig: s.Env()["KUBECONFIG"], conns: &conns{}}
	t.Cleanup(func() {
		w.conns.closeAll()
		if err := s.Close(); err != nil {
			t.Errorf("close the simulator: %v", err)
		}
	})
	return w
}

// restConfig is client-go's configuration for a kubeconfig context.
func (w *world) restConfig(t *testing.T, context string) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: w.kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dial = w.conns.dial
	return cfg
}

// client is a clientset for a kubeconfig context.
func (w *world) client(t *testing.T, context string) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(w.restConfig(t, context))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func corev1Container(name string) corev1.Container {
	return corev1.Container{Name: name, Image: "registry.example/" + name + ":1"}
}

// regexpLine reports whether a line of out matches re.
func regexpLine(out, re string) bool {
	return regexp.MustCompile(`(?m)` + re).MatchString(out)
}
