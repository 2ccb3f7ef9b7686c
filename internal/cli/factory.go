package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/prompt"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

// Factory holds what commands depend on, built lazily where it costs
// anything, so `respond version` starts instantly.
type Factory struct {
	IO       *iostreams.IOStreams
	Prompter func() prompt.Prompter
	Now      func() time.Time
	// Global flags, filled by the root command.
	StateDir string
	Output   string // text|json
	Yes      bool
	// Verbose lists every item of a large fan-out (see groupAbove).
	Verbose   bool
	Inventory string

	// A drill's runs (internal/drill): drill marks the incident, responder
	// names who runs it, command is the command line to journal instead
	// of os.Args, beforeStep is called before each step.
	drill      map[string]any
	responder  string
	command    string
	beforeStep func(string)
	// retrySleep, when set, waits between a step's retries instead of the
	// engine's clock (tests).
	retrySleep func(ctx context.Context, d time.Duration) error

	providers *providerSet
	// wroteJSON: a command's JSON result is on stdout (Run then adds no
	// error object of its own).
	wroteJSON bool
}

// NewFactory returns the production factory: configuration comes from the
// process environment.
func NewFactory(ios *iostreams.IOStreams) *Factory {
	f := &Factory{
		IO:       ios,
		Prompter: func() prompt.Prompter { return prompt.New(ios) },
		Now:      time.Now,
	}
	f.UseEnv(os.Getenv)
	return f
}

// UseEnv makes providers read their configuration (OPENAI_ADMIN_KEY,
// GITHUB_TOKEN, base URLs) through getenv; a drill points it at the
// simulator. Credentials found there are masked in every output.
func (f *Factory) UseEnv(getenv func(string) string) {
	registerEnvSecrets(getenv, f.IO.Secrets)
	f.providers = newProviderSet(getenv, f.IO.Secrets, func() string { return f.StateDir },
		func(msg string) { fmt.Fprintf(f.IO.ErrOut, "respond: warning: %s\n", msg) })
}

// Providers returns what steps are built with: the plug-in environment and
// the providers of keys built from it.
func (f *Factory) Providers() *steps.Providers { return f.providers.providers() }

// PluginEnv is the plug-in environment.
func (f *Factory) PluginEnv() *plugin.Env { return f.providers.env }

// Catalog returns every step kind, wired to the providers.
func (f *Factory) Catalog() step.Catalog { return steps.CatalogWith(f.Providers()) }

// JSON reports whether machine output was asked for.
func (f *Factory) JSON() bool { return f.Output == "json" }

// tableWidth is the width tables fit: the terminal's; 0 (rows whole, for
// grep and logs) where the output is no terminal.
func (f *Factory) tableWidth() int { return f.IO.TerminalWidth() }
