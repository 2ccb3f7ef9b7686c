package cli

import (
	"time"

	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/prompt"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

// Factory holds what commands depend on, built lazily where it costs
// anything, so `respond version` starts instantly.
type Factory struct {
	IO       *iostreams.IOStreams
	Prompter func() prompt.Prompter
	Catalog  func() step.Catalog
	Now      func() time.Time
	// Global flags, filled by the root command.
	StateDir string
	Output   string // text|json
	Yes      bool
}

// NewFactory returns the production factory.
func NewFactory(ios *iostreams.IOStreams) *Factory {
	return &Factory{
		IO:       ios,
		Prompter: func() prompt.Prompter { return prompt.New(ios) },
		Catalog:  steps.Catalog,
		Now:      time.Now,
	}
}

// JSON reports whether machine output was asked for.
func (f *Factory) JSON() bool { return f.Output == "json" }
