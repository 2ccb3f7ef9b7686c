package k8ssim_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

func TestLeaseUpdatesAreOptimistic(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	ctx := context.Background()
	leases := w.client(t, k8ssim.ContextFull).CoordinationV1().Leases("default")
	holder, dur := "a", int32(15)
	l, err := leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "respond-watch"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leases.Create(ctx, l, metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Errorf("a second create: %v, want 409 AlreadyExists", err)
	}

	b := "b"
	mine := l.DeepCopy()
	mine.Spec.HolderIdentity = &b
	updated, err := leases.Update(ctx, mine, metav1.UpdateOptions{})
	if err != nil || updated.ResourceVersion == l.ResourceVersion {
		t.Fatalf("an update with the current resourceVersion: %v", err)
	}
	// Another candidate still holding l's resourceVersion loses.
	theirs := l.DeepCopy()
	c := "c"
	theirs.Spec.HolderIdentity = &c
	_, err = leases.Update(ctx, theirs, metav1.UpdateOptions{})
	want := `Operation cannot be fulfilled on leases.coordination.k8s.io "respond-watch": the object has been modified; please apply your changes to the latest version and try again`
	if !apierrors.IsConflict(err) || err.Error() != want {
		t.Errorf("an update with a stale resourceVersion: %v\nwant 409 %s", err, want)
	}
	// A Lease cannot be updated blind.
	theirs.ResourceVersion = ""
	if _, err := leases.Update(ctx, theirs, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("an update without a resourceVersion: %v, want 422", err)
	}
	var state struct {
		Services struct {
			Kubernetes k8ssim.Snapshot `json:"kubernetes"`
		} `json:"services"`
	}
	raw, err := w.sim.StateJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	if ls := state.Services.Kubernetes.Leases; len(ls) != 1 || ls[0].Holder != "b" || ls[0].ResourceVersion != updated.ResourceVersion {
		t.Errorf("the world's leases: %+v", ls)
	}
	if _, err := w.client(t, k8ssim.ContextReadOnly).CoordinationV1().Leases("default").Update(ctx, updated, metav1.UpdateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("a read-only update: %v, want 403", err)
	}
}

// candidate runs client-go's leader election on the fake.
type candidate struct {
	id      string
	leading atomic.Bool
	started chan struct{}
	stopped chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

func TestLeaderElectionHandsOverWhenTheLeaderStopsRenewing(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	var mu sync.Mutex
	var overlap []string
	var cands []*candidate
	run := func(id string) *candidate {
		c := &candidate{id: id, started: make(chan struct{}), stopped: make(chan struct{}), done: make(chan struct{})}
		lock := &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: "default", Name: "respond-watch"},
			Client:     w.client(t, k8ssim.ContextFull).CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: id},
		}
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: lock, Name: id,
			LeaseDuration: 1500 * time.Millisecond, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(context.Context) {
					mu.Lock()
					for _, o := range cands {
						if o != c && o.leading.Load() {
							overlap = append(overlap, o.id+" still led when "+id+" started")
						}
					}
					c.leading.Store(true)
					mu.Unlock()
					close(c.started)
				},
				OnStoppedLeading: func() {
					c.leading.Store(false)
					close(c.stopped)
				},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		c.cancel = cancel
		mu.Lock()
		cands = append(cands, c)
		mu.Unlock()
		go func() { defer close(c.done); le.Run(ctx) }()
		return c
	}
	waitFor := func(what string, ch chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not happen", what)
		}
	}

	a := run("a")
	waitFor("a leading", a.started)
	b := run("b")
	defer func() { b.cancel(); <-b.done }()
	// b sees a's lease and waits.
	time.Sleep(400 * time.Millisecond)
	if b.leading.Load() {
		t.Fatal("b leads while a renews")
	}
	// a stops renewing (killed: it does not release the lease).
	a.cancel()
	<-a.done
	waitFor("b leading", b.started)
	mu.Lock()
	if len(overlap) > 0 {
		t.Errorf("two leaders at once: %s", strings.Join(overlap, "; "))
	}
	mu.Unlock()
	snap := w.k8s.Snapshot().(*k8ssim.Snapshot)
	if len(snap.Leases) != 1 || snap.Leases[0].Holder != "b" || snap.Leases[0].Transitions != 1 {
		t.Errorf("the lease after the handover: %+v", snap.Leases)
	}
}
