package watch

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/githubapi"
)

// maxPollPages bounds one poll of an organization (100 alerts a page).
const maxPollPages = 50

// Poller lists the open alerts of organizations every interval, with
// conditional requests (an unchanged list is a free 304), and hands the
// alerts changed since its cursor to the dispatcher. The cursor (the
// newest updated_at seen, and the alerts seen at that instant) is saved
// in the store once the dispatcher has recorded its decisions, so a
// restart neither misses an alert created meanwhile nor repeats one.
type Poller struct {
	cfg  *Config
	disp *Dispatcher
}

// Run polls until ctx ends: at once, then every interval.
func (p *Poller) Run(ctx context.Context) {
	t := time.NewTicker(p.cfg.PollInterval)
	defer t.Stop()
	for {
		for _, org := range p.cfg.Orgs {
			if ctx.Err() != nil {
				return
			}
			p.Poll(ctx, org)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll polls one organization once.
func (p *Poller) Poll(ctx context.Context, org string) {
	log := p.cfg.Log.With("org", org, "source", SourcePoll)
	cur := p.cfg.Store.Cursor(org)
	first, err := p.cfg.GitHub.OpenAlertsPage(ctx, org, cur.ETag, 1)
	if err != nil {
		p.cfg.Metrics.Polls.WithLabelValues("error").Inc()
		log.Error("could not list the organization's open alerts", "error", p.disp.mask(err))
		return
	}
	if first.NotModified {
		p.cfg.Metrics.Polls.WithLabelValues("not_modified").Inc()
		log.Debug("no alert changed (304)")
		return
	}
	p.cfg.Metrics.Polls.WithLabelValues("changed").Inc()
	// Most recently updated first: walk until the cursor.
	var fresh []githubapi.AlertState
	page := first
	done := false
	for n := 1; n <= maxPollPages && !done; n++ {
		for _, a := range page.Alerts {
			switch {
			case a.Updated.After(cur.Updated):
				fresh = append(fresh, a)
			case a.Updated.Equal(cur.Updated) && !slices.Contains(cur.Alerts, a.Ref()):
				fresh = append(fresh, a)
			case a.Updated.Before(cur.Updated):
				done = true
			}
		}
		if done || page.Next == 0 {
			break
		}
		page, err = p.cfg.GitHub.OpenAlertsPage(ctx, org, "", page.Next)
		if err != nil {
			log.Error("could not list the organization's open alerts (next page); the next poll tries again", "error", p.disp.mask(err))
			return
		}
	}
	// Oldest first: the cursor moves as each is decided.
	slices.Reverse(fresh)
	next := cur
	next.ETag = first.ETag
	for _, a := range fresh {
		if ctx.Err() != nil {
			return
		}
		owner, repo, _ := strings.Cut(a.Repo, "/")
		a := a
		p.disp.Handle(ctx, SourcePoll, AlertRef{Owner: owner, Repo: repo, Number: a.Number}, &a)
		switch {
		case a.Updated.After(next.Updated):
			next.Updated, next.Alerts = a.Updated, []string{a.Ref()}
		case a.Updated.Equal(next.Updated):
			next.Alerts = append(next.Alerts, a.Ref())
		}
	}
	if len(fresh) > 0 {
		log.Info("polled", "alerts", len(fresh))
	}
	if err := p.cfg.Store.PutCursor(org, next); err != nil {
		log.Error("could not save the polling cursor", "error", err)
	}
}
