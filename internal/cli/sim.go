package cli

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/sim"
)

func newSimCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "The built-in simulator of the OpenAI admin API and GitHub's REST API",
	}
	cmd.AddCommand(newSimServeCmd(f))
	return cmd
}

func newSimServeCmd(f *Factory) *cobra.Command {
	var o sim.Options
	var selfSigned bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulator for demos, drills in several terminals and tests",
		Long: `Serve the simulator: OpenAI under /v1/, GitHub at the root and under /api/v3/,
and a control API under /_sim/ (state, requests, faults, reset). On start it
prints the shell exports that point respond, curl, gh and the SDKs at it, and
the path of an inventory file for the scenario. See docs/simulator.md.`,
		Example: `  respond sim serve
  respond sim serve --addr 127.0.0.1:8787 --scenario provider-disabled --seed 3 --repos 50 --latency 50ms
  eval "$(respond sim serve | head -4)"   # in another shell: use the printed exports`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (o.TLSCert == "") != (o.TLSKey == "") {
				return &UsageError{errors.New("--tls-cert and --tls-key go together")}
			}
			o.TLSSelfSigned = selfSigned
			// Stop cleanly, removing the temporary inventory and TLS
			// files, on every signal that ends a server: Ctrl-C, kill,
			// and the terminal going away.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			err := sim.Serve(ctx, o, f.IO.Out)
			if err != nil && ctx.Err() != nil {
				return nil // stopped by a signal
			}
			if err != nil {
				return fmt.Errorf("simulator: %w", err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", "127.0.0.1:8787", "address to listen on")
	fl.StringVar(&o.Scenario, "scenario", sim.DefaultScenario, "world to seed (see respond drill --list)")
	fl.Int64Var(&o.Seed, "seed", 1, "seed: the same seed gives the same world")
	fl.IntVar(&o.Repos, "repos", sim.DefaultRepos, "how many repositories hold the leaked key")
	fl.DurationVar(&o.Latency, "latency", 0, "latency added to every API response, e.g. 50ms")
	fl.StringVar(&o.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	fl.StringVar(&o.TLSKey, "tls-key", "", "and this key (PEM)")
	fl.BoolVar(&selfSigned, "tls-self-signed", false, "serve HTTPS with a generated certificate (its CA file is printed)")
	fl.StringVar(&o.InventoryOut, "inventory-out", "", "write the scenario's inventory here (default: a temporary file)")
	return cmd
}
