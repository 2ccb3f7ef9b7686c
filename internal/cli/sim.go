package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
)

func newSimCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "The built-in simulator: GitHub, OpenAI and the fake API of every plug-in",
	}
	cmd.AddCommand(newSimServeCmd(f), newSimFaultCmd(f))
	return cmd
}

func simScenarioNames() []string {
	var out []string
	for _, s := range sim.ListScenarios() {
		out = append(out, s.Name)
	}
	return out
}

func isSimScenario(name string) bool {
	for _, n := range simScenarioNames() {
		if n == name {
			return true
		}
	}
	return false
}

func newSimServeCmd(f *Factory) *cobra.Command {
	var o sim.Options
	var selfSigned, live bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulator for demos, drills in several terminals and tests",
		Long: `Serve the simulator: OpenAI under /v1/, GitHub at the root and under /api/v3/,
and a control API under /_sim/ (state, requests, faults, reset). On start it
prints the shell exports that point respond, curl, gh and the SDKs at it, and
the path of an inventory file for the scenario; --env-file also writes the
exports to a file a shell can source. It serves until interrupted (Ctrl-C,
or kill). See docs/simulator.md.`,
		Example: `  respond sim serve
  respond sim serve --addr 127.0.0.1:8787 --scenario provider-disabled --seed 3 --repos 50 --latency 50ms

  # Serve in the background and use it from the same shell:
  respond sim serve --env-file sim.env --inventory-out sim.yaml &
  until [ -s sim.env ]; do sleep 0.1; done; . ./sim.env
  respond leaked-key --alert acme/api#1 --inventory sim.yaml --dry-run
  kill %1                                   # stop it; sim.env is removed

  # Or serve in one terminal and, in another, source the file:
  respond sim serve --env-file /tmp/sim.env
  . /tmp/sim.env`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (o.TLSCert == "") != (o.TLSKey == "") {
				return &UsageError{errors.New("--tls-cert and --tls-key go together")}
			}
			o.TLSSelfSigned = selfSigned
			var sc *drill.Scenario
			if !isSimScenario(o.Scenario) {
				// A drill scenario: its world (repositories the inventory
				// forgets included), and with --live its attacker and
				// consumers. Its injects are for respond drill start.
				var err error
				sc, _, err = loadScenario(f, &drillOptions{}, o.Scenario)
				if err != nil {
					return err
				}
				w := sc.Options()
				o.Scenario, o.UnlistedRepos, o.RunDuration = w.Scenario, w.UnlistedRepos, w.RunDuration
				if !cmd.Flags().Changed("seed") {
					o.Seed = w.Seed
				}
				if !cmd.Flags().Changed("repos") {
					o.Repos = w.Repos
				}
			}
			s, err := sim.Start(cmd.Context(), o)
			if err != nil {
				return fmt.Errorf("simulator: %w", err)
			}
			if live {
				lo := sim.LiveOptions{Attacker: sim.DefaultAttacker}
				if sc != nil {
					lo.Attacker = sc.Attacker
				}
				if err := s.StartLive(lo); err != nil {
					return fmt.Errorf("simulator: %w", err)
				}
			}
			out := simOutput(f, s)
			err = s.Serve(cmd.Context(), out)
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			if err != nil && cmd.Context().Err() != nil {
				return nil // stopped with Ctrl-C
			}
			if err != nil {
				return fmt.Errorf("simulator: %w", err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", "127.0.0.1:8787", "address to listen on")
	fl.StringVar(&o.Scenario, "scenario", sim.DefaultScenario, "world to seed: "+strings.Join(simScenarioNames(), ", ")+", or a drill scenario (respond drill --list) or scenario file")
	// The built-in worlds; a drill scenario's name or a file works too.
	_ = cmd.RegisterFlagCompletionFunc("scenario", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return simScenarioNames(), cobra.ShellCompDirectiveDefault
	})
	fl.BoolVar(&live, "live", false, "run the live world: an attacker using the leaked key and services using their targets' keys (GET /_sim/world)")
	fl.Int64Var(&o.Seed, "seed", 1, "seed: the same seed gives the same world")
	fl.IntVar(&o.Repos, "repos", sim.DefaultRepos, "how many repositories hold the leaked key")
	fl.DurationVar(&o.Latency, "latency", 0, "latency added to every API response, e.g. 50ms")
	fl.StringVar(&o.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	fl.StringVar(&o.TLSKey, "tls-key", "", "and this key (PEM)")
	fl.BoolVar(&selfSigned, "tls-self-signed", false, "serve HTTPS with a generated certificate (its CA file is printed)")
	fl.StringVar(&o.InventoryOut, "inventory-out", "", "write the scenario's inventory here (default: a temporary file)")
	fl.StringVar(&o.EnvFile, "env-file", "", "also write the exports to this `FILE`, for a shell to source (removed on exit)")
	return cmd
}

// simOutput is where sim serve prints its exports: stdout, masked for
// every credential in the environment except the simulator's own. The
// simulator's admin key and token are meant to be printed, and a shell
// that already holds its exports (a second run, the same seed) must not
// get [REDACTED] in their place; a real credential stays masked.
func simOutput(f *Factory, s *sim.Sim) *secret.Writer {
	own := map[string]bool{}
	for _, v := range s.Env() {
		own[v] = true
	}
	reg := secret.NewRegistry()
	registerEnvSecrets(func(k string) string {
		if v := f.providers.getenv(k); !own[v] {
			return v
		}
		return ""
	}, reg)
	return secret.NewWriter(unwrapWriter(f.IO.Out), reg)
}

// unwrapWriter returns the stream beneath a masking writer.
func unwrapWriter(w io.Writer) io.Writer {
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		return u.Unwrap()
	}
	return w
}
