package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/respondhq/respond/internal/secret"
)

// Config is everything watch runs with.
type Config struct {
	Policy    *Policy
	GitHub    GitHub
	Responder Responder
	Keys      *KeyFacts
	Notifiers []Notifier
	Store     *Store
	Metrics   *Metrics
	Log       *slog.Logger
	// Secrets masks every log line; the secrets of alerts are added as
	// they are read.
	Secrets *secret.Registry
	// WebhookSecret checks deliveries' signatures (required with a
	// listener).
	WebhookSecret secret.Value
	// Orgs are polled every PollInterval (none: webhooks only).
	Orgs         []string
	PollInterval time.Duration
	// DryRun decides and logs, and changes nothing: no response, no
	// notice, no state saved.
	DryRun bool
	// Concurrency bounds the responses running at once (default 100).
	Concurrency int
	// StateDir is respond's state directory (incidents), to find an
	// interrupted response's incident.
	StateDir string
	// Lease enables leader election (nil: this replica always leads).
	Lease *LeaseConfig
	// ShutdownGrace is how long running responses may take to finish
	// after SIGTERM (default 60s); then they are interrupted and resumed
	// at the next start.
	ShutdownGrace time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Service is a running watch: the HTTP intake, the poller, leader election
// and the dispatcher.
type Service struct {
	cfg    *Config
	leader atomic.Bool
	ready  atomic.Bool

	mu       sync.Mutex
	current  *Dispatcher // the dispatcher of the current leadership
	leaderID atomic.Value
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Policy == nil:
		return nil, errors.New("watch: no policy")
	case cfg.GitHub == nil || cfg.Responder == nil || cfg.Store == nil || cfg.Keys == nil:
		return nil, errors.New("watch: GitHub, a responder, the store and key facts are required")
	case len(cfg.Orgs) > 0 && cfg.PollInterval <= 0:
		return nil, errors.New("watch: polling needs an interval")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.Secrets == nil {
		cfg.Secrets = secret.NewRegistry()
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 60 * time.Second
	}
	s := &Service{cfg: &cfg}
	s.leaderID.Store("")
	return s, nil
}

// Leader reports whether this replica may act.
func (s *Service) Leader() bool { return s.leader.Load() }

// Metrics are the service's metrics.
func (s *Service) Metrics() *Metrics { return s.cfg.Metrics }

// disp is the current dispatcher (a follower's deliveries never reach
// it).
func (s *Service) disp() *Dispatcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Handler serves POST /webhook (GitHub's deliveries), GET /healthz (the
// process is alive), GET /readyz (it answers deliveries: 503 before start
// and while shutting down) and GET /metrics (Prometheus).
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/webhook", webhook{svc: s})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeText(w, http.StatusOK, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			writeText(w, http.StatusServiceUnavailable, "not ready")
			return
		}
		role := "follower"
		if s.Leader() {
			role = "leader"
		}
		if id, _ := s.leaderID.Load().(string); id != "" {
			role += " (leader: " + id + ")"
		}
		writeText(w, http.StatusOK, "ready: "+role)
	})
	mux.Handle("GET /metrics", s.cfg.Metrics.Handler())
	return mux
}

// Run serves on ln (nil: no HTTP intake, polling only) until ctx ends, then
// shuts down gracefully: the listener closes, polling stops, and running
// responses get ShutdownGrace to finish. With leader election it returns
// ErrLostLease when the Lease is lost.
func (s *Service) Run(ctx context.Context, ln net.Listener) error {
	log := s.cfg.Log
	var srv *http.Server
	srvDone := make(chan error, 1)
	if ln != nil {
		srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
		go func() { srvDone <- srv.Serve(ln) }()
		log.Info("listening", "addr", ln.Addr().String())
	}
	s.ready.Store(true)
	var runErr error
	if s.cfg.Lease == nil {
		s.lead(ctx, context.Background()) // no Lease to lose
	} else {
		runErr = s.elect(ctx)
	}
	s.ready.Store(false)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
		if err := <-srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	log.Info("stopped")
	return runErr
}

// elect runs leader election until ctx ends (SIGTERM) or the Lease is
// lost. The Lease is held, and renewed, until this replica has finished
// leading (running responses drained), and only then released: another
// replica takes over at once, and never while this one still acts.
func (s *Service) elect(ctx context.Context) error {
	lc := *s.cfg.Lease
	log := s.cfg.Log
	log.Info("leader election", "lease", lc.Namespace+"/"+lc.Name, "identity", lc.Identity)
	leCtx, release := context.WithCancel(context.WithoutCancel(ctx))
	defer release()
	var (
		mu       sync.Mutex
		leading  bool
		finished = make(chan struct{})
	)
	go func() {
		<-ctx.Done()
		mu.Lock()
		defer mu.Unlock()
		if !leading {
			release() // a follower has nothing to drain
		}
	}()
	err := Lead(leCtx, lc, func(lctx context.Context) {
		mu.Lock()
		leading = true
		mu.Unlock()
		defer close(finished)
		defer release()
		s.lead(ctx, lctx)
	}, func(id string) {
		s.leaderID.Store(id)
		log.Info("leader", "identity", id, "me", id == lc.Identity)
	})
	mu.Lock()
	led := leading
	mu.Unlock()
	if led {
		<-finished // the Lease was lost: wait for the drain
	}
	return err
}

// lead acts until shutdown (SIGTERM) or lease (leadership) ends: it
// resumes what the last run left, polls, and lets deliveries through;
// then it stops taking alerts, waits for running responses
// (ShutdownGrace), and interrupts those still running.
func (s *Service) lead(shutdown, lease context.Context) {
	log := s.cfg.Log
	ctx, cancel := context.WithCancel(lease)
	defer cancel()
	go func() {
		select {
		case <-shutdown.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	d := newDispatcher(s.cfg, work)
	s.mu.Lock()
	s.current = d
	s.mu.Unlock()
	s.leader.Store(true)
	s.cfg.Metrics.Leader.Set(1)
	log.Info("leading: this replica acts", "dry_run", s.cfg.DryRun, "orgs", s.cfg.Orgs, "policy", s.cfg.Policy.File)
	if !s.cfg.DryRun {
		if s.cfg.Lease != nil {
			// Another replica may have led since this one started: take
			// up what it recorded in the shared state directory.
			if err := s.cfg.Store.Reload(); err != nil {
				log.Error("could not read watch's state again; acting on what was read at the start", "error", err)
			}
		}
		d.ResumeInterrupted(ctx)
	}
	var pollers sync.WaitGroup
	if len(s.cfg.Orgs) > 0 {
		p := &Poller{cfg: s.cfg, disp: d}
		pollers.Add(1)
		go func() { defer pollers.Done(); p.Run(ctx) }()
	}
	<-ctx.Done()
	s.leader.Store(false)
	s.cfg.Metrics.Leader.Set(0)
	pollers.Wait()
	done := make(chan struct{})
	go func() { d.Close(); close(done) }()
	grace := s.cfg.ShutdownGrace
	if lease.Err() != nil {
		grace = 0 // the Lease is gone: another replica may act now
	}
	select {
	case <-done:
	case <-time.After(grace):
		log.Warn("responses still running: interrupting them (resumed at the next start)", "lease_lost", lease.Err() != nil)
		stop()
		<-done
	}
	log.Info("stopped acting")
}
