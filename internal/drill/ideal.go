package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

// Player is who plays a drill's steps (the ideal run, the automatic
// demonstration), and where respond's output goes.
type Player struct {
	Name string
	// FullInventory gives the player the inventory that lists every
	// target (the ideal responder knew them all); otherwise they get the
	// trainees' inventory.
	FullInventory bool
	Out, ErrOut   io.Writer
	Interactive   bool
	// Say, when set, is told what is about to happen (the demonstration
	// narrates its steps).
	Say func(format string, args ...any)
}

// Play joins the drill as p and plays steps, as a trainee would: respond
// leaked-key, injects, respond resume. A response that ends without
// recovering does not stop the play (the next step may be the resume
// that finishes it); a cancelled context does.
func (d *Drill) Play(ctx context.Context, steps []IdealStep, p Player) error {
	j, err := d.Join(p.Name)
	if err != nil {
		return err
	}
	var t *Trainee
	d.mu.Lock()
	for _, x := range d.trainees {
		if x.Name == j.Trainee {
			t = x
		}
	}
	d.mu.Unlock()
	inv := filepath.Join(d.dir, WorkDir, InventoryFile)
	if p.FullInventory {
		inv = filepath.Join(d.dir, FullInventory)
	}
	say := p.Say
	if say == nil {
		say = func(string, ...any) {}
	}
	run := func(r Run) (string, error) {
		r.Env, r.StateDir, r.Inventory, r.Person = d.s.EnvFor(t.creds), filepath.Join(d.dir, StateDir), inv, t.Name
		r.Drill, r.Out, r.ErrOut, r.Interactive = d.mark(t.Name, false), p.Out, p.ErrOut, p.Interactive
		return d.cfg.Responder(ctx, r)
	}
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch st.Do {
		case "respond":
			r := Run{Force: st.Force}
			r.Alert = d.info.Alert
			if st.Alert == "latest" {
				r.Alert = d.latestAlert()
			}
			if st.KeyID {
				r.KeyID, r.Project = d.info.LeakedKeyID, d.info.ProjectID
			}
			args := "--alert " + r.Alert
			if r.KeyID != "" {
				args += " --key-id " + r.KeyID + " --project " + r.Project
			}
			if r.Force {
				args += " --force"
			}
			say("respond leaked-key %s", args)
			id, err := run(r)
			if id != "" {
				d.mu.Lock()
				d.lastInc = id
				d.mu.Unlock()
			}
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
		case "inject":
			in := d.sc.FindInject(st.Inject)
			what := st.Inject
			if in != nil && in.Description != "" {
				what = in.Description
			}
			say("inject %s: %s", st.Inject, what)
			if _, err := d.Inject(st.Inject, p.Name); err != nil {
				return err
			}
		case "resume":
			id := d.lastIncident()
			if st.Incident == "teammate" && d.tm != nil {
				id = d.tm.wait()
			}
			if id == "" {
				return fmt.Errorf("nothing to resume: no incident yet")
			}
			say("respond resume %s", id)
			if _, err := run(Run{Resume: id}); err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			d.mu.Lock()
			d.lastInc = id
			d.mu.Unlock()
		}
	}
	return nil
}

func (d *Drill) lastIncident() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastInc
}

// latestAlert is the newest open alert on a leaked key, as OWNER/REPO#N.
func (d *Drill) latestAlert() string {
	leaked := map[string]bool{}
	for _, v := range d.leakedValues() {
		leaked[v.Reveal()] = true
	}
	var open []githubsim.AlertState
	for _, a := range d.s.GitHub().Snapshot().Alerts {
		if a.State == "open" && leaked[a.Secret] {
			open = append(open, a)
		}
	}
	if len(open) == 0 {
		return d.info.Alert
	}
	slices.SortStableFunc(open, func(a, b githubsim.AlertState) int { return strings.Compare(a.CreatedAt, b.CreatedAt) })
	a := open[len(open)-1]
	return fmt.Sprintf("%s/%s#%d", a.Owner, a.Repo, a.Number)
}

// MinIdealScore is the least an ideal run must score for its scenario to
// be one a team can win (Feasible).
const MinIdealScore = 90

// Feasible says whether an ideal run shows that its scenario can be won:
// it contained every leak, left no target stale and no key orphaned, and
// scored at least MinIdealScore. Otherwise the error says why, with the
// step of respond that failed when one did ("the ideal run's preflight
// fails: …").
func Feasible(s *Score) error {
	if s == nil {
		return errors.New("the ideal run was not scored")
	}
	f := s.Facts
	var failed string
	for _, r := range f.Reports {
		if r.Failed != "" {
			failed = r.Failed
			break
		}
	}
	switch {
	case !f.Contained && failed != "":
		return fmt.Errorf("the ideal run's %s; it never contains the leak", failed)
	case !f.Contained:
		return errors.New("the ideal run never contains the leak: the attacker still holds a working key at its end")
	case len(f.StaleTargets) > 0 && failed != "":
		return fmt.Errorf("the ideal run's %s; %s left stale", failed, strings.Join(f.StaleTargets, ", "))
	case len(f.StaleTargets) > 0:
		return fmt.Errorf("the ideal run does not recover: %s left stale", strings.Join(f.StaleTargets, ", "))
	case len(f.OrphanedKeys) > 0:
		return fmt.Errorf("the ideal run leaves working keys nothing uses: %s", strings.Join(f.OrphanedKeys, ", "))
	case s.Total < MinIdealScore:
		var low []string
		for _, m := range s.Measures {
			if m.Max > 0 && m.Points < 0.9*m.Max {
				low = append(low, fmt.Sprintf("%s %s/%s: %s", m.Label, fmtPoints(m.Points), fmtPoints(m.Max), m.Reason))
			}
		}
		msg := fmt.Sprintf("the ideal run scores %s, under %d", fmtPoints(s.Total), MinIdealScore)
		if failed != "" {
			msg += ": its " + failed
		} else if len(low) > 0 {
			msg += ": " + strings.Join(low, "; ")
		}
		return errors.New(msg)
	}
	return nil
}

// IdealRun plays the scenario's ideal steps on a fresh simulator with the
// same seed, as a responder who knew every target, and scores it the way
// the drill is scored. dir becomes the ideal run's drill directory.
func IdealRun(ctx context.Context, sc *Scenario, dir string, resp Responder) (*Score, error) {
	d, err := Start(ctx, Config{Scenario: sc, Dir: dir, Mode: Played, Facilitator: "ideal", Responder: resp})
	if err != nil {
		return nil, fmt.Errorf("the ideal run: %w", err)
	}
	defer d.s.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := d.Play(pctx, sc.Ideal, Player{Name: "ideal", FullInventory: true}); err != nil {
		_, _ = d.End("ideal")
		return nil, fmt.Errorf("the ideal run: %w", err)
	}
	res, err := d.End("ideal")
	if err != nil {
		return nil, fmt.Errorf("the ideal run: %w", err)
	}
	return &res.Score, nil
}
