package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/watch"
)

// drillWatcher runs respond watch beside a live drill's trainees, in this
// process, on the drill's twin world: the same service as `respond watch
// --listen 127.0.0.1:0 --poll POLL --org ORG`, with a policy that answers
// every alert with the scenario's action, the twin's credentials, state
// directory and inventory, its JSON log in w.Log, and the twin's
// organization hook pointed at its listener.
func drillWatcher(f *Factory) drill.Watcher {
	return func(ctx context.Context, w drill.WatchRun) (func(), error) {
		ios, _, _, _ := iostreams.Test()
		ios.SetNeverPrompt(true)
		sub := &Factory{IO: ios, Prompter: f.Prompter, Now: time.Now, StateDir: w.StateDir, Output: "text", Yes: true,
			Inventory: w.Inventory, drill: w.Drill, responder: w.Person, retrySleep: f.retrySleep}
		sub.UseEnv(func(k string) string { return w.Env[k] })
		src := fmt.Sprintf("# respond watch beside a drill: every alert gets %s\nrules:\n  - name: every alert\n    action: %s\n", w.Action, w.Action)
		policy, diags := watch.ParsePolicy("(the drill scenario's watch)", []byte(src))
		if policy == nil {
			return nil, diags.Err()
		}
		gh, err := githubapi.Shared(sub.PluginEnv())
		if err != nil {
			return nil, err
		}
		hookSecret, err := drill.NewControlToken() // a random secret
		if err != nil {
			return nil, err
		}
		sub.IO.Secrets.Add(hookSecret)
		store, err := watch.OpenStore(filepath.Join(w.StateDir, "watch"))
		if err != nil {
			return nil, err
		}
		logf, err := os.OpenFile(w.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			_ = store.Close()
			return nil, err
		}
		logw := secret.NewWriter(logf, sub.IO.Secrets)
		svc, err := watch.New(watch.Config{
			Policy: policy, GitHub: gh, Responder: &responder{f: sub}, Keys: watchKeyFacts(sub), Store: store,
			Log: slog.New(slog.NewJSONHandler(logw, nil)), Secrets: sub.IO.Secrets, WebhookSecret: hookSecret,
			Orgs: []string{w.Org}, PollInterval: w.Poll, StateDir: w.StateDir, ShutdownGrace: 5 * time.Second,
		})
		if err != nil {
			_ = store.Close()
			_ = logf.Close()
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			_ = store.Close()
			_ = logf.Close()
			return nil, err
		}
		run, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = svc.Run(run, ln)
		}()
		stop := func() {
			cancel()
			<-done
			_ = store.Close()
			_ = logw.Flush()
			_ = logf.Close()
		}
		if err := w.Hook("http://"+ln.Addr().String()+"/webhook", hookSecret); err != nil {
			stop()
			return nil, err
		}
		return stop, nil
	}
}

// printWatchBeside says, after a drill's score, how respond watch did
// beside the trainees (the debrief has the measures).
func printWatchBeside(f *Factory, res *drill.Result) {
	switch {
	case res.Watch != nil:
		w := res.Watch
		msg := fmt.Sprintf("Beside respond watch: on a twin of this world, with no person, it scored %.1f/100", w.Total)
		if m, ok := w.Measure(drill.MeasureContain); ok && w.Facts.Contained {
			msg += "; time to contain " + m.Value
			if y, ok := res.Score.Measure(drill.MeasureContain); ok {
				msg += " (yours: " + y.Value + ")"
			}
		}
		fmt.Fprintln(f.IO.Out)
		writeWrapped(f.IO.Out, msg+".", f.IO.TerminalWidth(), "", "  ")
		if res.WatchError != "" {
			fmt.Fprintf(f.IO.ErrOut, "note: respond watch did not run fully beside the trainees: %s\n", res.WatchError)
		}
	case res.WatchError != "":
		fmt.Fprintf(f.IO.ErrOut, "note: respond watch did not run beside the trainees: %s\n", res.WatchError)
	}
}
