package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/journal"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/report"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/watch"
)

// The environment variables watch reads credentials from: masked in every
// output and never passed to a child process.
const (
	envWebhookSecret = "RESPOND_WEBHOOK_SECRET"
	envSlackURL      = "RESPOND_SLACK_WEBHOOK_URL"
	envNotifySecret  = "RESPOND_NOTIFY_SECRET"
)

func init() {
	for _, v := range []string{envWebhookSecret, envSlackURL, envNotifySecret} {
		plugin.DeclareEnv(v, true)
	}
}

// watchResponder names watch's responses in journals and reports.
const watchResponder = "respond watch"

type watchOptions struct {
	Listen            string
	WebhookSecretFile string
	Poll              time.Duration
	Orgs              []string
	Policy            string
	DryRun            bool
	Concurrency       int
	SlackFile         string
	NotifyURL         string
	NotifySecretFile  string
	Lease             string
	Identity          string
	LeaseDuration     time.Duration
	RenewDeadline     time.Duration
	RetryPeriod       time.Duration
	ShutdownGrace     time.Duration
	LogLevel          string
}

func newWatchCmd(f *Factory) *cobra.Command {
	o := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Contain leaked keys automatically: GitHub secret-scanning webhooks and polling, under a policy",
		Long: `Run as a service that contains leaked keys with no person in the loop.

Alerts come from GitHub's secret_scanning_alert and
secret_scanning_alert_location webhooks (--listen; every delivery's
X-Hub-Signature-256 is checked with the secret from --webhook-secret-file or
$` + envWebhookSecret + `, and a delivery ID seen before is dropped), and from
polling the open alerts of organizations (--poll INTERVAL --org ORG), which
catches what a lost delivery missed. Use both.

The policy (--policy, default ./watch.yaml; docs/watch.md) chooses per
alert: respond (the whole leaked-key playbook, unattended), contain (revoke
only; a person does the rest), notify (the default) or ignore. A response
is an ordinary incident: the key lock, the journal, the report and the
outcome. Anything short of recovered is a notification saying what a person
must do (--slack-webhook-file, --notify-url). A response interrupted by a
restart is resumed when watch starts again.

It serves POST /webhook, GET /healthz, GET /readyz and GET /metrics
(Prometheus), and logs JSON lines on standard error. SIGTERM stops it
gracefully. With --lease NAMESPACE/NAME several replicas are safe: only the
one holding the Kubernetes Lease acts.

Credentials come from the environment, as for respond leaked-key.`,
		Example: `  # Webhooks and polling, under a policy
  RESPOND_WEBHOOK_SECRET=… respond watch --listen :8080 --poll 1m --org acme --policy watch.yaml

  # What would each alert trigger? (changes nothing, sends nothing)
  respond watch --poll 30s --org acme --dry-run

  respond watch validate watch.yaml
  respond watch explain acme/api#42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWatch(cmd.Context(), f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Listen, "listen", "", "serve the webhook, health and metrics on `ADDR` (e.g. :8080)")
	fl.StringVar(&o.WebhookSecretFile, "webhook-secret-file", "", "the webhook's secret, from this `FILE` (else $"+envWebhookSecret+")")
	fl.DurationVar(&o.Poll, "poll", 0, "poll the organizations' open alerts every `INTERVAL` (e.g. 1m)")
	fl.StringSliceVar(&o.Orgs, "org", nil, "an organization to poll (repeatable)")

	cmd.PersistentFlags().StringVar(&o.Policy, "policy", "", "the policy `FILE` (default ./watch.yaml; without one, every alert is notified)")
	fl.BoolVar(&o.DryRun, "dry-run", false, "decide and log what each alert would trigger; change nothing, send nothing")
	fl.IntVar(&o.Concurrency, "concurrency", 100, "at most this many responses at once")
	fl.StringVar(&o.SlackFile, "slack-webhook-file", "", "post notices to the Slack incoming webhook whose URL is in this `FILE` (else $"+envSlackURL+")")
	fl.StringVar(&o.NotifyURL, "notify-url", "", "post notices as JSON to this `URL`, signed with HMAC-SHA256")
	fl.StringVar(&o.NotifySecretFile, "notify-secret-file", "", "the signing secret of --notify-url, from this `FILE` (else $"+envNotifySecret+")")
	fl.StringVar(&o.Lease, "lease", "", "leader election on the Kubernetes Lease `NAMESPACE/NAME`: only its holder acts")
	fl.StringVar(&o.Identity, "lease-identity", "", "this replica's name in the Lease (default $POD_NAME, else the host name)")
	fl.DurationVar(&o.LeaseDuration, "lease-duration", 15*time.Second, "how long followers wait after the leader's last renewal before taking over")
	fl.DurationVar(&o.RenewDeadline, "lease-renew-deadline", 10*time.Second, "how long the leader tries to renew before it stops acting")
	fl.DurationVar(&o.RetryPeriod, "lease-retry-period", 2*time.Second, "how often replicas try to take or renew the Lease")
	fl.DurationVar(&o.ShutdownGrace, "shutdown-grace", 60*time.Second, "on SIGTERM, how long running responses may take to finish (then they are resumed at the next start)")
	fl.StringVar(&o.LogLevel, "log-level", "info", "debug, info, warn or error")
	cmd.AddCommand(newWatchValidateCmd(f), newWatchExplainCmd(f, o), newWatchSchemaCmd(f))
	return cmd
}

// readSecretSource reads a credential from a file (trimmed), else from an
// environment variable; "" when neither gives one.
func readSecretSource(f *Factory, file, env, what string) (secret.Value, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return secret.Value{}, &UsageError{fmt.Errorf("read %s from %s: %w", what, file, err)}
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return secret.Value{}, &UsageError{fmt.Errorf("%s: the file %s is empty", what, file)}
		}
		s := secret.New(v)
		f.IO.Secrets.Add(s)
		return s, nil
	}
	v := strings.TrimSpace(f.providers.getenv(env))
	if v == "" {
		return secret.Value{}, nil
	}
	s := secret.New(v)
	f.IO.Secrets.Add(s)
	return s, nil
}

// loadWatchPolicy reads the policy: the given file, else ./watch.yaml,
// else the built-in one (notify on every alert). Problems are rendered
// with their positions.
func loadWatchPolicy(f *Factory, file string) (*watch.Policy, error) {
	if file == "" {
		if _, err := os.Stat("watch.yaml"); err != nil {
			return watch.DefaultPolicy(), nil
		}
		file = "watch.yaml"
	}
	src, err := watch.ReadPolicyFile(file)
	if err != nil {
		return nil, &UsageError{fmt.Errorf("read the watch policy: %w", err)}
	}
	p, diags := watch.ParsePolicy(file, src)
	if len(diags) > 0 {
		diags.Render(f.IO.ErrOut, map[string][]byte{file: src}, f.IO.ColorEnabled())
	}
	if p == nil {
		return nil, &SilentError{Code: ExitUsage}
	}
	return p, nil
}

// watchKeyFacts reads the inventory afresh for each question.
func watchKeyFacts(f *Factory) *watch.KeyFacts {
	return &watch.KeyFacts{
		Inventory: func() (*inventory.Inventory, error) {
			path, err := inventory.Find(f.Inventory)
			if errors.Is(err, inventory.ErrNotFound) && f.Inventory == "" {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			src, err := inventory.ReadFile(path)
			if err != nil {
				return nil, err
			}
			inv, diags := inventory.Parse(path, src)
			if diags.HasErrors() {
				return nil, fmt.Errorf("the inventory %s is invalid (respond inventory validate shows why)", path)
			}
			return inv, nil
		},
		Providers: f.Providers().Keys,
	}
}

func runWatch(ctx context.Context, f *Factory, o *watchOptions) error {
	if len(o.Orgs) > 0 && o.Poll <= 0 {
		return &UsageError{errors.New("--org needs --poll INTERVAL (e.g. --poll 1m)")}
	}
	if o.Poll > 0 && len(o.Orgs) == 0 {
		return &UsageError{errors.New("--poll needs the organizations to poll: --org ORG (repeatable)")}
	}
	if o.Listen == "" && len(o.Orgs) == 0 {
		return &UsageError{errors.New("say where alerts come from: --listen ADDR for GitHub's webhooks, --poll INTERVAL --org ORG for polling, or both")}
	}
	if o.Poll > 0 && o.Poll < time.Second {
		return &UsageError{fmt.Errorf("--poll %s is too often: poll at most once a second (a 304 is free, but each poll is a request)", o.Poll)}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return &UsageError{fmt.Errorf("--log-level %q: use debug, info, warn or error", o.LogLevel)}
	}
	if !githubapi.Configured(f.PluginEnv()) {
		return &UsageError{errors.New("respond watch reads alerts through GitHub's API: export GITHUB_TOKEN (or GH_TOKEN) with access to the repositories' secret-scanning alerts (and GITHUB_API_URL for GitHub Enterprise Server)")}
	}
	hookSecret, err := readSecretSource(f, o.WebhookSecretFile, envWebhookSecret, "the webhook secret")
	if err != nil {
		return err
	}
	if o.Listen != "" && hookSecret.IsZero() {
		return &UsageError{fmt.Errorf("--listen needs the webhook's secret, to check every delivery's signature: --webhook-secret-file FILE or $%s (the secret the GitHub hook was created with)", envWebhookSecret)}
	}
	policy, err := loadWatchPolicy(f, o.Policy)
	if err != nil {
		return err
	}
	var notifiers []watch.Notifier
	slackURL, err := readSecretSource(f, o.SlackFile, envSlackURL, "the Slack webhook URL")
	if err != nil {
		return err
	}
	if !slackURL.IsZero() {
		s, err := watch.NewSlack(slackURL)
		if err != nil {
			return &UsageError{err}
		}
		notifiers = append(notifiers, s)
	}
	if o.NotifyURL != "" {
		sec, err := readSecretSource(f, o.NotifySecretFile, envNotifySecret, "the notification webhook's signing secret")
		if err != nil {
			return err
		}
		w, err := watch.NewWebhook(o.NotifyURL, sec)
		if err != nil {
			return &UsageError{err}
		}
		notifiers = append(notifiers, w)
	}
	var lease *watch.LeaseConfig
	if o.Lease != "" {
		lc, err := leaseConfig(f, o)
		if err != nil {
			return err
		}
		lease = lc
	}
	gh, err := githubapi.Shared(f.PluginEnv())
	if err != nil {
		return &UsageError{err}
	}
	storeDir := ""
	if !o.DryRun {
		storeDir = filepath.Join(f.StateDir, "watch")
	}
	store, err := watch.OpenStore(storeDir)
	if err != nil {
		return err
	}
	defer store.Close()
	log := slog.New(slog.NewJSONHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: level}))
	// client-go's leader election logs through klog: JSON lines too.
	klog.SetSlogLogger(log.With("component", "leaderelection"))
	svc, err := watch.New(watch.Config{
		Policy: policy, GitHub: gh, Responder: &responder{f: f}, Keys: watchKeyFacts(f), Notifiers: notifiers,
		Store: store, Log: log, Secrets: f.IO.Secrets, WebhookSecret: hookSecret, Orgs: o.Orgs, PollInterval: o.Poll,
		DryRun: o.DryRun, Concurrency: o.Concurrency, StateDir: f.StateDir, Lease: lease, ShutdownGrace: o.ShutdownGrace,
	})
	if err != nil {
		return err
	}
	var ln net.Listener
	if o.Listen != "" {
		ln, err = net.Listen("tcp", o.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (is another process using it?)", o.Listen, err)
		}
	}
	log.Info("respond watch starting", "version", buildVersion().Version, "policy", policy.File, "rules", len(policy.Rules),
		"default", policy.Default, "listen", o.Listen, "orgs", o.Orgs, "poll", o.Poll.String(), "dry_run", o.DryRun,
		"notifiers", len(notifiers), "state", store.Path())
	err = svc.Run(ctx, ln)
	if errors.Is(err, watch.ErrLostLease) {
		return fmt.Errorf("%w; exiting so that it restarts as a follower", err)
	}
	return err
}

// leaseConfig builds leader election's settings: the Lease, this
// replica's identity and a Kubernetes client (in the cluster, its service
// account; outside, $KUBECONFIG or ~/.kube/config).
func leaseConfig(f *Factory, o *watchOptions) (*watch.LeaseConfig, error) {
	ns, name, ok := strings.Cut(o.Lease, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return nil, &UsageError{fmt.Errorf("--lease %q: write NAMESPACE/NAME, e.g. --lease respond/respond-watch", o.Lease)}
	}
	id := o.Identity
	if id == "" {
		id = f.providers.getenv("POD_NAME")
	}
	if id == "" {
		id, _ = os.Hostname()
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			return nil, &UsageError{fmt.Errorf("--lease needs the Kubernetes API: run in a cluster (its service account), or set KUBECONFIG: %w", err)}
		}
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("the Kubernetes client for --lease: %w", err)
	}
	if o.LeaseDuration < time.Second || o.LeaseDuration%time.Second != 0 {
		return nil, &UsageError{fmt.Errorf("--lease-duration %s: give whole seconds (a Lease counts in seconds), at least 1s", o.LeaseDuration)}
	}
	if o.RenewDeadline >= o.LeaseDuration || o.RetryPeriod >= o.RenewDeadline {
		return nil, &UsageError{errors.New("leader election needs --lease-retry-period < --lease-renew-deadline < --lease-duration")}
	}
	return &watch.LeaseConfig{Client: client, Namespace: ns, Name: name, Identity: id,
		LeaseDuration: o.LeaseDuration, RenewDeadline: o.RenewDeadline, RetryPeriod: o.RetryPeriod}, nil
}

// responder runs watch's responses in this process: the ordinary
// leaked-key (or contain-key) playbook, unattended, each with its own
// streams (kept in the incident directory as watch-output.txt) and the
// shared clients, so that every response spends one GitHub rate limit.
type responder struct {
	f *Factory
}

// child is a factory for one response: answers yes, prompts never, and
// writes its human output to buf (masked).
func (r *responder) child(what string) (*Factory, *lockedBuffer, func()) {
	buf := &lockedBuffer{}
	reg := r.f.IO.Secrets
	out, errOut := secret.NewWriter(buf, reg), secret.NewWriter(buf, reg)
	ios := &iostreams.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut, Secrets: reg}
	ios.SetNeverPrompt(true)
	cf := *r.f
	cf.IO, cf.Yes, cf.Output = ios, true, "text"
	cf.responder, cf.command = watchResponder, watchResponder+": "+what
	cf.wroteJSON = false
	return &cf, buf, func() { _ = out.Flush(); _ = errOut.Flush() }
}

// Respond implements watch.Responder.
func (r *responder) Respond(ctx context.Context, req watch.Request) watch.Result {
	cf, buf, flush := r.child("alert " + req.Alert)
	o := &keyOptions{Alert: req.Alert}
	if req.Action == watch.Contain {
		o.Book = "contain-key"
	}
	id, err := runKeyPlaybook(ctx, cf, o, "leaked-key")
	flush()
	return r.result(cf, id, req.Alert, req.Action, err, buf)
}

// Resume implements watch.Responder.
func (r *responder) Resume(ctx context.Context, id string) watch.Result {
	cf, buf, flush := r.child("resume " + id)
	err := resume(ctx, cf, id, &runOptions{})
	flush()
	alert, action := "", watch.Respond
	if inc, oerr := incident.NewStore(r.f.StateDir).Open(id); oerr == nil {
		if recs, rerr := journal.ReadFile(inc.JournalPath()); rerr == nil && len(recs) > 0 {
			inputs, _ := recs[0].Data["inputs"].(map[string]any)
			alert, _ = inputs["alert"].(string)
			if pb, _ := recs[0].Data["playbook"].(string); pb == "contain-key" {
				action = watch.Contain
			}
		}
	}
	return r.result(cf, id, alert, action, err, buf)
}

// result reads how a response ended from its journal and error, and says
// what a person must do.
func (r *responder) result(cf *Factory, id, alert string, action watch.Action, runErr error, out *lockedBuffer) watch.Result {
	res := watch.Result{Incident: id}
	if runErr != nil {
		res.Err = &maskedError{msg: r.f.IO.Secrets.MaskString(runErr.Error()), err: runErr}
	}
	var oe *OutcomeError
	if errors.As(runErr, &oe) {
		for _, c := range oe.Failing {
			res.Failing = append(res.Failing, c.Name+": "+c.Detail)
		}
	}
	if id != "" {
		if inc, err := incident.NewStore(r.f.StateDir).Open(id); err == nil {
			_ = os.WriteFile(filepath.Join(inc.Dir, "watch-output.txt"), out.Bytes(), 0o600)
			if recs, err := journal.ReadFile(inc.JournalPath()); err == nil {
				s := incident.Summarize(id, recs)
				res.Outcome = s.Outcome
				if res.Outcome == "" {
					res.Outcome = s.Status
				}
				if s.TimeToContain != nil {
					res.Contained, res.ContainedAt = true, s.Started.Add(*s.TimeToContain)
				}
			}
		}
	}
	switch {
	case errors.Is(runErr, step.ErrLocked):
		res.Outcome = "refused"
	case errors.Is(runErr, context.Canceled) && res.Outcome == "running":
		res.Outcome = "interrupted"
	case res.Outcome == "" || res.Outcome == "running":
		res.Outcome = "failed"
	}
	if res.Outcome == report.Recovered || res.Outcome == report.ContainedNotRecovered {
		res.Contained = true
	}
	res.Next = nextStep(res, alert, action)
	return res
}

// nextStep says what a person must do after a response.
func nextStep(res watch.Result, alert string, action watch.Action) string {
	id := res.Incident
	switch {
	case res.Outcome == report.Recovered:
		return ""
	case res.Outcome == "refused":
		return "another responder is on this key: `respond incidents` shows who; nothing was changed by this response"
	case id == "":
		return fmt.Sprintf("respond could not start the response (%v): respond to it by hand with `respond leaked-key --alert %s`", res.Err, alert)
	case res.Contained && action == watch.Contain:
		return fmt.Sprintf("the key is revoked and not replaced (the policy said contain): create and deploy a replacement with `respond leaked-key --alert %s`; `respond report %s` has the details", alert, id)
	case res.Contained:
		return fmt.Sprintf("the key is revoked but recovery is not complete: fix what does not hold, then `respond resume %s --yes`; `respond report %s` has the details", id, id)
	default:
		return fmt.Sprintf("THE KEY MAY STILL WORK: revoke it now, by hand or with `respond resume %s --yes`; `respond report %s` says what failed", id, id)
	}
}

// maskedError is a run's error with its message masked; errors.Is still
// sees what it wraps (an interruption, a refusal).
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// lockedBuffer is a buffer safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written.
func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func newWatchValidateCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a watch policy and report every problem with file:line:col",
		Long: `Check a watch policy (default ./watch.yaml) and report every problem at once,
each with its position, the offending line and what to do; then list the
rules in order. Exit code 2 when there is an error.`,
		Example: `  respond watch validate
  respond watch validate deploy/watch.yaml --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := "watch.yaml"
			if len(args) == 1 {
				file = args[0]
			}
			src, err := watch.ReadPolicyFile(file)
			if err != nil {
				return &UsageError{fmt.Errorf("read the watch policy: %w (give its path: respond watch validate FILE)", err)}
			}
			p, diags := watch.ParsePolicy(file, src)
			if f.JSON() {
				type rule struct {
					Name   string       `json:"name"`
					Action watch.Action `json:"action"`
					Pos    string       `json:"pos"`
				}
				out := struct {
					File     string            `json:"file"`
					Valid    bool              `json:"valid"`
					Default  watch.Action      `json:"default,omitempty"`
					Rules    []rule            `json:"rules"`
					Problems []diag.Diagnostic `json:"problems"`
				}{File: file, Valid: p != nil, Rules: []rule{}, Problems: append([]diag.Diagnostic{}, diags...)}
				if p != nil {
					out.Default = p.Default
					for _, r := range p.Rules {
						out.Rules = append(out.Rules, rule{r.Name, r.Action, r.Pos.String()})
					}
				}
				if err := writeJSON(f, out); err != nil {
					return err
				}
			} else if len(diags) > 0 {
				diags.Render(f.IO.ErrOut, map[string][]byte{file: src}, f.IO.ColorEnabled())
			}
			if p == nil {
				return &SilentError{Code: ExitUsage}
			}
			if !f.JSON() {
				fmt.Fprintf(f.IO.Out, "%s: valid (%s, default %s)\n", file, plural(len(p.Rules), "rule"), p.Default)
				for i, r := range p.Rules {
					fmt.Fprintf(f.IO.Out, "  %d. %-32s %-8s line %d\n", i+1, oneLine(r.Name, 32), r.Action, r.Pos.Line)
				}
			}
			return nil
		},
	}
}

func newWatchExplainCmd(f *Factory, wo *watchOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "explain OWNER/REPO#N",
		Short: "Show which rule of the policy an alert matches, and why",
		Long: `Read a secret-scanning alert through GitHub's API and show how the policy
judges it: each rule in order with every condition, held or not, up to the
one that decides, and the action watch would take. Nothing is changed.`,
		Example: `  respond watch explain acme/api#42 --policy watch.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := watch.ParseRef(args[0])
			if err != nil {
				return &UsageError{err}
			}
			policy, err := loadWatchPolicy(f, wo.Policy)
			if err != nil {
				return err
			}
			if !githubapi.Configured(f.PluginEnv()) {
				return &UsageError{errors.New("reading the alert needs GitHub: export GITHUB_TOKEN (or GH_TOKEN)")}
			}
			gh, err := githubapi.Shared(f.PluginEnv())
			if err != nil {
				return &UsageError{err}
			}
			a, err := gh.AlertState(cmd.Context(), ref.Owner, ref.Repo, ref.Number)
			if err != nil {
				return err
			}
			f.IO.Secrets.Add(a.Secret)
			keys := watchKeyFacts(f)
			facts := keys.Facts(a)
			dec := policy.Decide(facts, func() (bool, string, error) { return keys.InInventory(cmd.Context(), a) })
			note := ""
			if dec.Action.Acts() && facts.Provider == "" {
				note = fmt.Sprintf("no provider respond knows issues secret type %s: watch notifies instead of %s", a.SecretType, dec.Action)
			}
			title, redacted := keys.Describe(a)
			if f.JSON() {
				return writeJSON(f, struct {
					Alert    string         `json:"alert"`
					State    string         `json:"state"`
					Facts    watch.Facts    `json:"facts"`
					Key      string         `json:"key,omitempty"`
					Policy   string         `json:"policy"`
					Decision watch.Decision `json:"decision"`
					Note     string         `json:"note,omitempty"`
				}{ref.String(), a.State, facts, redacted, policy.File, dec, note})
			}
			w := f.IO.Out
			width := f.IO.TerminalWidth()
			if width <= 0 || width > 100 {
				width = 80
			}
			fmt.Fprintf(w, "Alert %s (%s)\n", ref, a.State)
			fmt.Fprintf(w, "  secret type:     %s\n", a.SecretType)
			if title != "" {
				writeWrapped(w, fmt.Sprintf("%s %s (provider %s)", title, redacted, facts.Provider), width, "  key:             ", "                   ")
			}
			fmt.Fprintf(w, "  repository:      %s\n  validity:        %s\n  publicly leaked: %v\n", facts.Repo, firstNonEmpty(facts.Validity, "unknown"), facts.PubliclyLeaked)
			fmt.Fprintf(w, "\nPolicy %s:\n", policy.File)
			for _, t := range dec.Trace {
				verdict := "does not match"
				if t.Matched {
					verdict = "MATCHES"
				}
				lead := fmt.Sprintf("  %d. ", t.Index)
				writeWrapped(w, fmt.Sprintf("%s (%s, %s): %s", t.Rule, t.Action, t.Pos, verdict), width, lead, strings.Repeat(" ", len(lead)))
				for _, r := range t.Reasons {
					writeWrapped(w, r, width, "       ", "         ")
				}
			}
			if dec.Index == 0 {
				fmt.Fprintf(w, "  no rule matches: the default applies\n")
			}
			action := dec.Action
			if note != "" {
				action = watch.Notify
				fmt.Fprintln(w)
				writeWrapped(w, "Note: "+note, width, "", "  ")
			}
			fmt.Fprintln(w)
			if a.State != "open" {
				writeWrapped(w, fmt.Sprintf("The alert is %s: watch leaves it alone (an open one like it would get %s).", a.State, action), width, "", "")
				return nil
			}
			writeWrapped(w, fmt.Sprintf("Action: %s (rule %s)", action, dec.Rule), width, "", "  ")
			return nil
		},
	}
}

func newWatchSchemaCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema (2020-12) of the watch policy",
		Long: `Print the JSON Schema of the watch policy, for editors. Save it and point
yaml-language-server at it with a first line in the policy:

  # yaml-language-server: $schema=./watch-policy.schema.json`,
		Example: `  respond watch schema > watch-policy.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := watch.Schema()
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(append(b, '\n'))
			return err
		},
	}
}
