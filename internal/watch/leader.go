package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaseConfig configures leader election on a coordination.k8s.io/v1
// Lease: only the replica holding the Lease acts.
type LeaseConfig struct {
	Client    kubernetes.Interface
	Namespace string
	Name      string
	// Identity names this replica in the Lease (its pod name).
	Identity string
	// LeaseDuration is how long followers wait, after the leader's last
	// renewal, before taking the Lease: the longest a dead leader's
	// replicas go without one. RenewDeadline is how long the leader
	// keeps trying to renew before it gives up; RetryPeriod, how often
	// everyone tries. Zero values take client-go's usual 15s, 10s, 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

func (c LeaseConfig) withDefaults() LeaseConfig {
	if c.LeaseDuration == 0 {
		c.LeaseDuration = 15 * time.Second
	}
	if c.RenewDeadline == 0 {
		c.RenewDeadline = 10 * time.Second
	}
	if c.RetryPeriod == 0 {
		c.RetryPeriod = 2 * time.Second
	}
	return c
}

// ErrLostLease: this replica led and lost the Lease (it could not renew
// it in time); it stops acting, and its process should exit so that it
// comes back as a follower.
var ErrLostLease = errors.New("lost the leader Lease (it could not be renewed in time): this replica stopped acting")

// Lead runs lead while this replica holds the Lease: it blocks until ctx
// ends (the Lease is then released, so another replica takes over at
// once) or the Lease is lost (ErrLostLease). lead's context ends when the
// leadership does. onNewLeader is told who leads whenever that changes.
func Lead(ctx context.Context, c LeaseConfig, lead func(ctx context.Context), onNewLeader func(identity string)) error {
	c = c.withDefaults()
	if c.Client == nil || c.Namespace == "" || c.Name == "" || c.Identity == "" {
		return errors.New("leader election needs a Kubernetes client, the Lease's namespace and name, and this replica's identity")
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: c.Namespace, Name: c.Name},
		Client:     c.Client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: c.Identity},
	}
	led := make(chan struct{})
	lost := false
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		Name:            "respond-watch",
		LeaseDuration:   c.LeaseDuration,
		RenewDeadline:   c.RenewDeadline,
		RetryPeriod:     c.RetryPeriod,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				close(led)
				lead(lctx)
			},
			OnStoppedLeading: func() {
				select {
				case <-led:
					lost = ctx.Err() == nil
				default:
				}
			},
			OnNewLeader: func(identity string) {
				if onNewLeader != nil {
					onNewLeader(identity)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election on Lease %s/%s: %w", c.Namespace, c.Name, err)
	}
	le.Run(ctx)
	if lost {
		return ErrLostLease
	}
	return nil
}
