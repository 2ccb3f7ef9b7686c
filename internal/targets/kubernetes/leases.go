package kubernetes

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Election is a leader election on a coordination.k8s.io/v1 Lease, for
// several replicas of `respond watch`: one leads at a time.
type Election struct {
	// Namespace and Name are the Lease's.
	Namespace, Name string
	// Identity names this candidate (a pod name, a host name): it is the
	// Lease's holderIdentity while it leads.
	Identity string
	// LeaseDuration is how long the others wait after the leader's last
	// renewal before they take over; RenewDeadline how long the leader
	// tries to renew before it gives up; RetryPeriod how often candidates
	// try. Defaults: 15 s, 10 s, 2 s (client-go's usual values).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// OnStartedLeading runs when this candidate leads; its context ends
	// when it stops leading. OnStoppedLeading runs when it stops.
	// OnNewLeader runs when another candidate is seen to lead.
	OnStartedLeading func(ctx context.Context)
	OnStoppedLeading func()
	OnNewLeader      func(identity string)
}

// Elect runs the election until ctx ends (client-go's leaderelection).
// When ctx ends while this candidate leads, it releases the Lease, so
// another takes over at once rather than after LeaseDuration; a
// candidate killed without releasing is replaced once its lease expires.
func (c *Client) Elect(ctx context.Context, e Election) error {
	if err := checkNames(e.Namespace, e.Name); err != nil {
		return err
	}
	if e.Identity == "" {
		return fmt.Errorf("%w: a leader election needs an identity", ErrBadInput)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&e.LeaseDuration, 15*time.Second)
	def(&e.RenewDeadline, 10*time.Second)
	def(&e.RetryPeriod, 2*time.Second)
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: e.Namespace, Name: e.Name},
		Client:     c.cs.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.Identity},
	}
	cb := leaderelection.LeaderCallbacks{
		OnStartedLeading: func(ctx context.Context) {
			if e.OnStartedLeading != nil {
				e.OnStartedLeading(ctx)
			}
		},
		OnStoppedLeading: func() {
			if e.OnStoppedLeading != nil {
				e.OnStoppedLeading()
			}
		},
		OnNewLeader: func(id string) {
			if e.OnNewLeader != nil && id != e.Identity {
				e.OnNewLeader(id)
			}
		},
	}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: lock, Name: e.Namespace + "/" + e.Name, ReleaseOnCancel: true,
		LeaseDuration: e.LeaseDuration, RenewDeadline: e.RenewDeadline, RetryPeriod: e.RetryPeriod,
		Callbacks: cb,
	})
	if err != nil {
		return fmt.Errorf("%w: leader election on lease %s/%s: %v", ErrBadInput, e.Namespace, e.Name, err)
	}
	le.Run(ctx)
	return nil
}
