// Package sim runs the built-in simulator of the OpenAI admin API and the
// GitHub REST API as one HTTP server, for drills, tests and demos.
//
// It composes the two halves (internal/sim/openaisim under /v1/ and
// internal/sim/githubsim for everything else, at the root and under
// /api/v3/) and adds what neither real API has: a control API under /_sim/
// (world state, request log, fault injection, reset) behind one guard
// (control.go: its host, origin, content type and, in a drill, the
// controller's token), latency injection,
// scenarios that seed a believable world deterministically from a seed, TLS,
// and in-process start and stop.
//
// Start runs a simulator in the background and returns a *Sim; Serve is the
// body of `respond sim serve`. See docs/simulator.md for the user guide.
package sim

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// DefaultAddr is where Start listens when Options.Addr is empty: a free
// loopback port.
const DefaultAddr = "127.0.0.1:0"

// DefaultRepos is the number of repositories holding the leaked key when
// Options.Repos is zero.
const DefaultRepos = 3

// MaxRepos bounds Options.Repos.
const MaxRepos = 10000

// Options configure a simulator. The zero value is usable: the leaked-key
// scenario with seed 0 on a free loopback port.
type Options struct {
	// Addr is the TCP address to listen on (host:port). Default
	// 127.0.0.1:0, a free loopback port.
	Addr string
	// Scenario names the world to seed (see ListScenarios). Default
	// "leaked-key".
	Scenario string
	// Seed makes the scenario reproducible: the same seed, scenario,
	// repository count and Anchor give a byte-identical /_sim/state.
	Seed int64
	// Repos is the number of repositories whose secrets hold the leaked
	// key. Default 3.
	Repos int
	// Latency is added to every OpenAI and GitHub response (not to the
	// /_sim/ control API).
	Latency time.Duration

	// TLSCert and TLSKey are PEM files; when both are set the simulator
	// serves HTTPS with them.
	TLSCert, TLSKey string
	// TLSSelfSigned serves HTTPS with a certificate generated at start for
	// localhost, 127.0.0.1 and ::1 (ignored when TLSCert is set). Its PEM
	// is available from CACertPEM; Serve writes it next to the inventory
	// so clients can trust it (SSL_CERT_FILE).
	TLSSelfSigned bool

	// Now is the clock for request-time timestamps (objects created
	// through the APIs, rate-limit windows, the request log). Default
	// time.Now.
	Now func() time.Time
	// Anchor is the scenario's "now": seeded timestamps (key creation,
	// usage history, the leak, the alert) are placed before it. Default:
	// Now() truncated to the hour, so restarts within the hour reproduce
	// the same world.
	Anchor time.Time

	// InventoryOut is where Serve writes the scenario's inventory file.
	// Default: a file in a new temporary directory, removed on exit.
	InventoryOut string
	// EnvFile, if set, is where Serve also writes the exports it prints,
	// for a shell to source (`. ./sim.env`): mode 0600, written atomically
	// once the simulator listens, removed when Serve returns.
	EnvFile string

	// GitHub passes rate-limit settings through to the GitHub half.
	GitHub GitHubLimits

	// UnlistedRepos are further repositories of the organization (names,
	// e.g. billing-legacy) whose Actions secret holds the leaked key too,
	// but which the scenario's inventory does not list: a drill's
	// forgotten repository. FullInventory lists them.
	UnlistedRepos []string

	// Services are further simulated APIs (Google API Keys, Anthropic,
	// Kubernetes, Vault, …), each served under its own prefix with the
	// same request log, faults and latency as OpenAI and GitHub. The
	// simulator builds each once, with its clock and a random stream
	// seeded from Seed and the service's name.
	Services []simapi.Factory

	// WebhookAnyHost lets GitHub webhooks deliver to any host; by default
	// only loopback addresses, since the simulator is a test server.
	WebhookAnyHost bool
	// WebhookTimeout ends a webhook delivery that takes longer (default
	// 10s, GitHub's).
	WebhookTimeout time.Duration

	// RunDuration is how long a dispatched run of the scenario's workflows
	// takes, from dispatch to completion (queued for the first quarter, at
	// most a second, then in progress). Default 2s; a negative value makes
	// runs complete as soon as they are dispatched. Change one workflow
	// with ConfigureWorkflow or POST /_sim/workflows.
	RunDuration time.Duration
}

// DefaultRunDuration is Options.RunDuration's default.
const DefaultRunDuration = 2 * time.Second

// GitHubLimits are the GitHub half's rate-limit settings; zero fields take
// githubsim's defaults (5000 requests an hour, 100 concurrent requests, 900
// points a minute with writes costing 5, 403 rejections).
type GitHubLimits struct {
	PrimaryLimit    int
	PrimaryStatus   int // 403 (default) or 429
	MaxConcurrent   int // negative disables
	PointsPerMinute int // negative disables
	ReadPoints      int
	WritePoints     int
	RetryAfter      time.Duration
	SecondaryStatus int // 403 (default) or 429
	// RevokeLimit is the POST /credentials/revoke requests one client IP
	// may send an hour (default 60, GitHub's; negative disables).
	RevokeLimit int
}

// Sim is a running simulator. Its methods are safe for concurrent use.
type Sim struct {
	opts   Options
	now    func() time.Time
	anchor time.Time
	scen   scenario

	openai *openaisim.Server
	github *githubsim.Server
	oaRand *seededReader
	ghRand *seededReader
	// services are the further simulated APIs (Options.Services), in
	// order, with their random streams.
	services []simService

	// world is held for reading by every API request and for writing by
	// Reset, so a reset never interleaves with a request.
	world sync.RWMutex

	mu     sync.Mutex // guards the fields below
	seeded seeded

	faults *faultSet
	log    *requestLog

	// live is the live world, once StartLive has run (guarded by mu).
	live *live
	// actors name the holders of credentials in the request log, by
	// credential (guarded by mu).
	actors map[string]string
	// mounts are further control APIs served beside /_sim/ (Mount).
	mounts map[string]http.Handler
	// controller drives the control API once set (SetController);
	// resetLock, when set, says why Reset refuses (LockReset).
	controller *Controller
	resetLock  string
	// serviceEnv is the environment the services gave once the simulator
	// listened (guarded by mu); serviceDir holds the files they wrote.
	serviceEnv map[string]string
	serviceDir string

	ln    net.Listener
	srv   *http.Server
	url   string
	caPEM []byte
	// tlsURL is the https:// address of the second port that serves the
	// services needing TLS (simapi.TLSOnly) when url is plain http;
	// tlsPEM its certificate.
	tlsURL   string
	tlsPEM   []byte
	done     chan struct{}
	serveMu  sync.Mutex
	served   error
	closeMu  sync.Once
	closeErr error
	stop     func() bool

	// validityStop and validityDone run the background validity checks
	// (validity.go; guarded by serveMu).
	validityStop chan struct{}
	validityDone chan struct{}
}

// seeded is what seeding a scenario produced.
type seeded struct {
	info      ScenarioInfo
	inventory string
	leaked    secret.Value
	adminKey  secret.Value
	token     secret.Value
}

// Start seeds the scenario, listens on opts.Addr and serves in the
// background until Close is called or ctx is cancelled.
func Start(ctx context.Context, opts Options) (*Sim, error) {
	s, err := newSim(opts)
	if err != nil {
		return nil, err
	}

	addr := opts.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	var tlsConf *tls.Config
	switch {
	case opts.TLSCert != "" || opts.TLSKey != "":
		if opts.TLSCert == "" || opts.TLSKey == "" {
			return nil, errors.New("simulator TLS needs both a certificate and a key file: give both --tls-cert and --tls-key")
		}
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load simulator TLS certificate %s and key %s: %w", opts.TLSCert, opts.TLSKey, err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case opts.TLSSelfSigned:
		cert, caPEM, err := selfSignedCert(time.Now())
		if err != nil {
			return nil, fmt.Errorf("generate a self-signed certificate for the simulator: %w", err)
		}
		s.caPEM = caPEM
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator cannot listen on %s: %w (choose another address with --addr)", addr, err)
	}
	scheme := "http"
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
		scheme = "https"
	}
	s.ln = ln
	s.url = scheme + "://" + urlHost(ln.Addr())
	s.github.SetPublicURL(s.url)
	listeners := []net.Listener{ln}
	if tlsConf == nil && s.needTLS() {
		// A service whose clients speak only HTTPS gets a port of its own.
		tln, err := s.listenTLS(ctx, ln.Addr())
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		listeners = append(listeners, tln)
	}
	closeAll := func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}
	if err := s.startServices(); err != nil {
		closeAll()
		return nil, err
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
	}
	s.done = make(chan struct{})
	var serving sync.WaitGroup
	for _, l := range listeners {
		serving.Go(func() {
			err := s.srv.Serve(l)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			s.serveMu.Lock()
			if s.served == nil {
				s.served = err
			}
			s.serveMu.Unlock()
		})
	}
	go func() {
		serving.Wait()
		close(s.done)
	}()
	s.startValidityChecks()
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	s.serveMu.Lock() // the AfterFunc may already be running Close
	s.stop = stop
	s.serveMu.Unlock()
	return s, nil
}

// newSim builds and seeds a simulator without listening; tests and Start
// use it.
func newSim(opts Options) (*Sim, error) {
	name := opts.Scenario
	if name == "" {
		name = DefaultScenario
	}
	scen, ok := findScenario(name)
	if !ok {
		return nil, fmt.Errorf("unknown simulator scenario %q: choose one of %s", name, strings.Join(scenarioNames(), ", "))
	}
	if opts.Repos < 0 || opts.Repos > MaxRepos {
		return nil, fmt.Errorf("invalid repository count %d: give a number from 1 to %d", opts.Repos, MaxRepos)
	}
	if opts.Repos == 0 {
		opts.Repos = DefaultRepos
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("invalid latency %s: give a duration of zero or more", opts.Latency)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	anchor := opts.Anchor
	if anchor.IsZero() {
		anchor = now().UTC().Truncate(time.Hour)
	}
	s := &Sim{
		opts:   opts,
		now:    now,
		anchor: anchor.UTC(),
		scen:   scen,
		oaRand: newSeededReader(seedFor(opts.Seed, "openai")),
		ghRand: newSeededReader(seedFor(opts.Seed, "github")),
		faults: newFaultSet(),
		log:    newRequestLog(defaultLogCap),
		actors: map[string]string{},
		mounts: map[string]http.Handler{},
	}
	s.openai = openaisim.New(openaisim.Options{Now: now, Rand: s.oaRand})
	l := opts.GitHub
	runDuration := opts.RunDuration
	switch {
	case runDuration == 0:
		runDuration = DefaultRunDuration
	case runDuration < 0:
		runDuration = 0
	}
	s.github = githubsim.New(githubsim.Options{
		Now:             now,
		RunDuration:     runDuration,
		Rand:            s.ghRand,
		Latency:         opts.Latency,
		PrimaryLimit:    l.PrimaryLimit,
		PrimaryStatus:   l.PrimaryStatus,
		MaxConcurrent:   l.MaxConcurrent,
		PointsPerMinute: l.PointsPerMinute,
		ReadPoints:      l.ReadPoints,
		WritePoints:     l.WritePoints,
		RetryAfter:      l.RetryAfter,
		SecondaryStatus: l.SecondaryStatus,
		RevokeLimit:     l.RevokeLimit,
		HookTimeout:     opts.WebhookTimeout,
		HookAnyHost:     opts.WebhookAnyHost,
	})
	services := opts.Services
	if services == nil && DefaultServices != nil {
		services = DefaultServices()
	}
	if err := s.buildServices(services); err != nil {
		return nil, err
	}
	s.github.SetValidityOracle(s.secretValidity)
	if err := s.seed(); err != nil {
		return nil, err
	}
	return s, nil
}

// seed (re)builds the world from the seed: both halves empty, their random
// streams rewound, then the scenario. The caller holds s.world for writing
// or has not published s yet.
func (s *Sim) seed() error {
	s.openai.Reset()
	s.github.Reset()
	s.oaRand.reseed(seedFor(s.opts.Seed, "openai"))
	s.ghRand.reseed(seedFor(s.opts.Seed, "github"))
	for _, sv := range s.services {
		sv.Reset()
		sv.rand.reseed(seedFor(s.opts.Seed, "service/"+sv.Name()))
	}
	w := &world{
		rng:     rand.New(rand.NewChaCha8(seedFor(s.opts.Seed, "scenario"))),
		anchor:  s.anchor,
		repos:   s.opts.Repos,
		oa:      s.openai,
		gh:      s.github,
		issuer:  s.KeyIssuerFor,
		service: s.Service,
	}
	w.info.Name = s.scen.name
	w.info.Description = s.scen.description
	w.info.Seed = s.opts.Seed
	w.info.Anchor = rfc3339(s.anchor)
	if err := s.scen.seed(w); err != nil {
		return fmt.Errorf("seed simulator scenario %q: %w", s.scen.name, err)
	}
	if err := w.seedUnlisted(s.opts.UnlistedRepos); err != nil {
		return fmt.Errorf("seed simulator scenario %q: %w", s.scen.name, err)
	}
	s.mu.Lock()
	s.seeded = seeded{info: w.info, inventory: w.inventory, leaked: w.leaked, adminKey: w.adminKey, token: w.token}
	s.mu.Unlock()
	return nil
}

// URL is the simulator's base URL, e.g. http://127.0.0.1:40123 (no trailing
// slash).
func (s *Sim) URL() string { return s.url }

// Env returns the environment that points respond at the simulator:
// OPENAI_BASE_URL, OPENAI_ADMIN_KEY, GITHUB_API_URL and GITHUB_TOKEN. The
// admin key and token are the simulated world's credentials.
func (s *Sim) Env() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := map[string]string{
		"OPENAI_BASE_URL":  s.url + "/v1",
		"OPENAI_ADMIN_KEY": s.seeded.adminKey.Reveal(),
		"GITHUB_API_URL":   s.url + "/api/v3",
		"GITHUB_TOKEN":     s.seeded.token.Reveal(),
	}
	for k, v := range s.serviceEnv {
		env[k] = v
	}
	return env
}

// Scenario describes the seeded world: the leaked key's ID and project, the
// alert, the repositories and the read-only token. It holds no OpenAI key
// values; see LeakedKeyValue.
func (s *Sim) Scenario() ScenarioInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seeded.info.clone()
}

// LeakedKeyValue returns the plaintext of the scenario's leaked key, for
// tests and drills that need to present it (e.g. respond leaked-key
// --key-stdin). Never log it.
func (s *Sim) LeakedKeyValue() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seeded.leaked.Reveal()
}

// CACertPEM returns the PEM certificate the simulator serves with when
// started with TLSSelfSigned, or nil. Clients trust it as a root.
func (s *Sim) CACertPEM() []byte { return append([]byte(nil), s.caPEM...) }

// OpenAI returns the OpenAI half, for tests and drills that change the
// world directly (e.g. RevokeKey to simulate the provider disabling a key).
func (s *Sim) OpenAI() *openaisim.Server { return s.openai }

// GitHub returns the GitHub half.
func (s *Sim) GitHub() *githubsim.Server { return s.github }

// Reset re-seeds the scenario from the same seed and clears the request log
// and the faults, as POST /_sim/reset does. Request sequence numbers keep
// increasing across resets.
//
// While LockReset holds, it refuses (ErrResetLocked) and changes nothing.
func (s *Sim) Reset() error {
	if why := s.resetLocked(); why != "" {
		return fmt.Errorf("%w: %s", ErrResetLocked, why)
	}
	s.FreezeLive()
	s.mu.Lock()
	s.live = nil
	s.mu.Unlock()
	s.closeStreams()
	s.world.Lock()
	defer s.world.Unlock()
	s.faults.clear()
	s.log.clear()
	return s.seed()
}

// Close shuts the server down gracefully: it stops accepting connections
// and waits (up to 5 seconds) for in-flight requests.
func (s *Sim) Close() error {
	s.FreezeLive()
	s.stopValidityChecks()
	s.github.Close() // webhook deliveries in flight end
	s.closeMu.Do(func() {
		var err error
		defer func() { s.closeErr = err }()
		s.serveMu.Lock()
		stop := s.stop
		s.serveMu.Unlock()
		if stop != nil {
			stop()
		}
		s.closeStreams()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if e := s.srv.Shutdown(ctx); e != nil {
			err = fmt.Errorf("shut down the simulator: %w", e)
			_ = s.srv.Close()
		}
		<-s.done
		s.stopServices()
		s.serveMu.Lock()
		if s.served != nil && err == nil {
			err = fmt.Errorf("simulator server: %w", s.served)
		}
		s.serveMu.Unlock()
	})
	return s.closeErr
}

// Done is closed when the server has stopped serving.
func (s *Sim) Done() <-chan struct{} { return s.done }

// WriteInventory writes the scenario's inventory (PRODUCT.md §5 format)
// to path: one credential, the leaked key, with every target that holds it.
func (s *Sim) WriteInventory(path string) error {
	s.mu.Lock()
	own := s.seeded.inventory
	s.mu.Unlock()
	if own != "" {
		return writeInventory(path, []byte(own))
	}
	return writeInventory(path, s.Scenario().inventoryYAML(false))
}

// WriteFullInventory is WriteInventory listing the unlisted repositories
// too: the inventory a responder who knew every target would have.
func (s *Sim) WriteFullInventory(path string) error {
	return writeInventory(path, s.Scenario().inventoryYAML(true))
}

func writeInventory(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write the simulator inventory to %s: %w", path, err)
	}
	return nil
}

// Serve runs the simulator for `respond sim serve`: it starts it, writes the
// inventory (opts.InventoryOut, or a temporary file), prints the shell
// exports and file paths to out, and blocks until ctx is cancelled. It
// then shuts down gracefully and removes the temporary files it created.
func Serve(ctx context.Context, opts Options, out io.Writer) error {
	s, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	return s.Serve(ctx, out)
}

// Serve is Serve for a simulator already started: it writes the files,
// prints the settings to out, and blocks until ctx is cancelled or the
// server stops; then it closes s and removes the files it wrote.
func (s *Sim) Serve(ctx context.Context, out io.Writer) (err error) {
	opts := s.opts
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()

	dir, err := os.MkdirTemp("", "respond-sim-")
	if err != nil {
		return fmt.Errorf("create a temporary directory for the simulator's files: %w", err)
	}
	defer os.RemoveAll(dir)
	inv := opts.InventoryOut
	if inv == "" {
		inv = filepath.Join(dir, "inventory.yaml")
	}
	if err := s.WriteInventory(inv); err != nil {
		return err
	}
	var caFile string
	if pem := s.CACertPEM(); pem != nil {
		caFile = filepath.Join(dir, "sim-ca.pem")
		if err := os.WriteFile(caFile, pem, 0o644); err != nil {
			return fmt.Errorf("write the simulator's certificate to %s: %w", caFile, err)
		}
	}

	info := s.Scenario()
	env := s.Env()
	var b strings.Builder
	fmt.Fprintf(&b, "# respond simulator at %s (scenario %s, seed %d)\n", s.URL(), info.Name, info.Seed)
	for _, k := range []string{"OPENAI_BASE_URL", "OPENAI_ADMIN_KEY", "GITHUB_API_URL", "GITHUB_TOKEN"} {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(env[k]))
	}
	for _, k := range s.serviceEnvNames() {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(env[k]))
	}
	if caFile != "" {
		fmt.Fprintf(&b, "export SSL_CERT_FILE=%s\n", shellQuote(caFile))
	}
	fmt.Fprintf(&b, "# inventory: %s\n", inv)
	where := ""
	if info.ProjectID != "" {
		where = " in project " + info.ProjectID
	}
	alert := ""
	if info.Alert != "" {
		alert = "; alert " + info.Alert
	}
	fmt.Fprintf(&b, "# leaked key: %s%s%s\n", info.LeakedKeyID, where, alert)
	fmt.Fprintf(&b, "# control API: %s/_sim/state, /_sim/requests, /_sim/faults, /_sim/workflows, /_sim/world, /_sim/leak, /_sim/reset\n", s.URL())
	if opts.EnvFile != "" {
		if err := writeEnvFile(opts.EnvFile, b.String()); err != nil {
			return err
		}
		defer os.Remove(opts.EnvFile)
		fmt.Fprintf(&b, "# exports also in %s (. %s)\n", opts.EnvFile, shellQuote(opts.EnvFile))
	}
	fmt.Fprintf(&b, "# gh: %s gh run list -R %s\n", ghHint(s.URL()), info.WorkflowRepo)
	fmt.Fprintf(&b, "# press Ctrl-C to stop\n")
	if _, err := io.WriteString(out, b.String()); err != nil {
		return fmt.Errorf("print the simulator's settings: %w", err)
	}

	select {
	case <-ctx.Done():
	case <-s.Done():
		s.serveMu.Lock()
		defer s.serveMu.Unlock()
		if s.served != nil {
			return fmt.Errorf("simulator stopped: %w", s.served)
		}
	}
	return nil
}

// ghHint is the environment that points gh at the simulator
// (docs/simulator.md): over HTTPS, the simulator is a GitHub Enterprise
// host; over plain HTTP, gh reaches github.localhost through it as a proxy.
func ghHint(base string) string {
	host := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	if strings.HasPrefix(base, "https://") {
		if _, port, err := net.SplitHostPort(host); err == nil {
			host = "localhost:" + port // the certificate names localhost
		}
		return "GH_HOST=" + host + " GH_ENTERPRISE_TOKEN=$GITHUB_TOKEN"
	}
	return "GH_HOST=github.localhost GH_TOKEN=$GITHUB_TOKEN HTTP_PROXY=" + base
}

// writeEnvFile writes the exports for a shell to source, atomically (a
// shell waiting for the file never reads half of it), readable only by
// its owner.
func writeEnvFile(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write the simulator's exports to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(content)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write the simulator's exports to %s: %w", path, err)
	}
	return nil
}

// urlHost renders a listener address for a URL, replacing an unspecified
// IP (0.0.0.0, ::) with the loopback address.
func urlHost(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// shellQuote quotes s for a POSIX shell when it holds anything beyond
// characters that are always safe.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// seedFor derives an independent 32-byte ChaCha8 seed for one purpose
// ("openai", "github", "scenario") from the user's seed.
func seedFor(seed int64, purpose string) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "respond-sim/v1/%s/%d", purpose, seed))
}

// seededReader is a rewindable, concurrency-safe ChaCha8 byte stream; each
// half reads its random IDs and key material from one.
type seededReader struct {
	mu sync.Mutex
	c  *rand.ChaCha8
}

func newSeededReader(seed [32]byte) *seededReader {
	return &seededReader{c: rand.NewChaCha8(seed)}
}

func (r *seededReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c.Read(p)
}

func (r *seededReader) reseed(seed [32]byte) {
	r.mu.Lock()
	r.c = rand.NewChaCha8(seed)
	r.mu.Unlock()
}

// rfc3339 formats t as the simulator's JSON does.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
