package drill

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/sim"
)

// teammateRun is a teammate's response, running in the drill's process as
// that person: stuck before a step (holding the key's locks and the
// incident's) until they leave, when it is interrupted.
type teammateRun struct {
	name  string
	creds sim.Credentials

	once    sync.Once
	leaveCh chan struct{}
	done    chan struct{}
	id      string
	err     error
}

// startTeammate starts the teammate's response and returns once it is
// stuck (or has ended, which is an error: the scenario's world did not
// let it get there).
func (d *Drill) startTeammate() error {
	t := d.sc.Teammate
	c, err := d.s.AddPerson(t.Name, nil)
	if err != nil {
		return err
	}
	tm := &teammateRun{name: t.Name, creds: c, leaveCh: make(chan struct{}), done: make(chan struct{})}
	d.tm = tm
	stuck := make(chan struct{})
	ctx, cancel := context.WithCancel(d.ctx)
	var stuckOnce sync.Once
	run := Run{Env: d.s.EnvFor(c), StateDir: filepathJoin(d.dir, StateDir), Inventory: filepathJoin(d.dir, WorkDir, InventoryFile),
		Person: t.Name, Drill: d.mark(t.Name, true),
		Alert: d.info.Alert,
		Stop: func(step string) {
			if step != t.Step {
				return
			}
			stuckOnce.Do(func() { close(stuck) })
			<-tm.leaveCh
			cancel()
		}}
	go func() {
		defer close(tm.done)
		defer cancel()
		tm.id, tm.err = d.cfg.Responder(ctx, run)
	}()
	select {
	case <-stuck:
		return nil
	case <-tm.done:
		return fmt.Errorf("the teammate's response ended before it reached step %s: %v", t.Step, tm.err)
	case <-time.After(2 * time.Minute):
		tm.leave()
		return fmt.Errorf("the teammate's response did not reach step %s within 2 minutes", t.Step)
	}
}

// leave makes the teammate stop; it reports whether they were still
// there.
func (tm *teammateRun) leave() bool {
	left := false
	tm.once.Do(func() {
		close(tm.leaveCh)
		left = true
	})
	return left
}

// wait waits for their response to stop and returns its incident.
func (tm *teammateRun) wait() string {
	<-tm.done
	return tm.id
}
