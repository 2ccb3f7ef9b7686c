package watch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// leaseAPI is the Kubernetes API the replicas share. Today it is
// client-go's fake clientset; once the simulator serves Leases
// (internal/targets/kubernetes/k8ssim), return a clientset built with
// kubernetes.NewForConfig(&rest.Config{Host: …}) for it here, and the test
// runs unchanged against a real API server's semantics (resourceVersion
// conflicts included).
func leaseAPI(t *testing.T) kubernetes.Interface {
	t.Helper()
	return fake.NewClientset()
}

// replica is one watch replica's leadership, as Service.Run drives it.
type replica struct {
	id      string
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	leading bool
	led     int
}

func (r *replica) isLeading() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.leading }

func startReplica(t *testing.T, client kubernetes.Interface, id string) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{id: id, cancel: cancel, done: make(chan struct{})}
	cfg := LeaseConfig{Client: client, Namespace: "respond", Name: "respond-watch", Identity: id,
		LeaseDuration: time.Second, RenewDeadline: 600 * time.Millisecond, RetryPeriod: 100 * time.Millisecond}
	go func() {
		defer close(r.done)
		_ = Lead(ctx, cfg, func(lctx context.Context) {
			r.mu.Lock()
			r.leading, r.led = true, r.led+1
			r.mu.Unlock()
			<-lctx.Done()
			r.mu.Lock()
			r.leading = false
			r.mu.Unlock()
		}, nil)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
		}
	})
	return r
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two replicas on one Lease: exactly one leads. When the leader dies
// without releasing the Lease (its process killed), the other takes over
// once the Lease expires, as the Lease's record shows. A replica that stops (SIGTERM)
// releases the Lease, and the other takes over at once.
func TestLeaderElection(t *testing.T) {
	client := leaseAPI(t)
	a := startReplica(t, client, "watch-a")
	waitFor(t, "watch-a leads", a.isLeading)
	b := startReplica(t, client, "watch-b")
	// b keeps trying for several retry periods and never leads while a does.
	for range 30 {
		if b.isLeading() {
			t.Fatal("two replicas lead at once")
		}
		time.Sleep(10 * time.Millisecond)
	}
	lease, err := client.CoordinationV1().Leases("respond").Get(context.Background(), "respond-watch", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != "watch-a" {
		t.Fatalf("lease: %+v %v", lease, err)
	}
	// a is killed: nothing it sends reaches the API any more, so it
	// neither renews nor releases the Lease (as a SIGKILL'd process).
	var dead atomic.Bool
	if fc, ok := client.(*fake.Clientset); ok {
		fc.PrependReactor("update", "leases", func(action k8stesting.Action) (bool, runtime.Object, error) {
			l := action.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease)
			if dead.Load() && (l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" || *l.Spec.HolderIdentity == "watch-a") {
				return true, nil, errors.New("watch-a is dead")
			}
			return false, nil, nil
		})
	}
	dead.Store(true)
	a.cancel()
	<-a.done
	lease, _ = client.CoordinationV1().Leases("respond").Get(context.Background(), "respond-watch", metav1.GetOptions{})
	if *lease.Spec.HolderIdentity != "watch-a" {
		t.Fatalf("the dead leader's record changed: %q", *lease.Spec.HolderIdentity)
	}
	lastRenew := lease.Spec.RenewTime.Time
	waitFor(t, "watch-b takes over", b.isLeading)
	lease, _ = client.CoordinationV1().Leases("respond").Get(context.Background(), "respond-watch", metav1.GetOptions{})
	if *lease.Spec.HolderIdentity != "watch-b" || *lease.Spec.LeaseTransitions < 1 {
		t.Fatalf("after the takeover: holder %s, transitions %d", *lease.Spec.HolderIdentity, *lease.Spec.LeaseTransitions)
	}
	// From the Lease's own record: the takeover came after the dead
	// leader's last renewal, within the lease duration (client-go compares
	// records at a second's precision, so a follower may count the
	// duration from up to a second before the last renewal) and its retry
	// period. Logged, not asserted tighter: docs/BENCHMARKS.md has it.
	gap := lease.Spec.AcquireTime.Sub(lastRenew)
	t.Logf("takeover %s after the dead leader's last renewal (lease duration 1s, retry period 100ms)", gap)
	if gap <= 0 {
		t.Fatalf("watch-b took the Lease %s after the last renewal, while it was still renewed", gap)
	}

	dead.Store(false) // watch-a is gone for good

	// A graceful stop releases the Lease: a new replica leads without
	// waiting for it to expire (its holder is emptied at once).
	b.cancel()
	<-b.done
	lease, _ = client.CoordinationV1().Leases("respond").Get(context.Background(), "respond-watch", metav1.GetOptions{})
	if lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "" {
		t.Fatalf("a stopped leader kept the Lease: %q", *lease.Spec.HolderIdentity)
	}
	c := startReplica(t, client, "watch-c")
	waitFor(t, "watch-c leads", c.isLeading)
	if a.led != 1 || b.led != 1 || c.led != 1 {
		t.Fatalf("leaderships: a %d, b %d, c %d", a.led, b.led, c.led)
	}
}
