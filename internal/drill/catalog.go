package drill

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/respondhq/respond/internal/diag"
)

//go:embed scenarios/*.yaml
var builtin embed.FS

// DefaultScenario is the scenario `respond drill` and `respond drill
// start` run when none is named.
const DefaultScenario = "leaked-key"

// Entry is a built-in scenario as --list shows it: its title and the
// skills it trains, never its twist.
type Entry struct {
	Name   string   `json:"name"`
	Title  string   `json:"title"`
	Skills []string `json:"skills"`
}

// Catalog parses every built-in scenario, default first then by name.
func Catalog() ([]*Scenario, error) {
	names, err := fs.Glob(builtin, "scenarios/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, n := range names {
		sc, err := loadBuiltin(strings.TrimSuffix(path.Base(n), ".yaml"))
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	slices.SortStableFunc(out, func(a, b *Scenario) int {
		switch {
		case a.Name == DefaultScenario:
			return -1
		case b.Name == DefaultScenario:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// List is the catalog as --list shows it.
func List() ([]Entry, error) {
	all, err := Catalog()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(all))
	for i, sc := range all {
		out[i] = Entry{Name: sc.Name, Title: sc.Title, Skills: sc.Skills}
	}
	return out, nil
}

// Names lists the built-in scenarios.
func Names() []string {
	all, _ := Catalog()
	out := make([]string, len(all))
	for i, sc := range all {
		out[i] = sc.Name
	}
	return out
}

// BuiltinSource returns a built-in scenario's YAML.
func BuiltinSource(name string) ([]byte, bool) {
	b, err := builtin.ReadFile("scenarios/" + name + ".yaml")
	return b, err == nil
}

func loadBuiltin(name string) (*Scenario, error) {
	src, ok := BuiltinSource(name)
	if !ok {
		return nil, fmt.Errorf("no built-in drill scenario %q", name)
	}
	sc, diags := Parse("scenarios/"+name+".yaml", src)
	if diags.HasErrors() {
		return nil, fmt.Errorf("built-in drill scenario %s is invalid: %w", name, diags.Err())
	}
	return sc, nil
}

// ErrInvalid is wrapped by Load's error for a scenario file with
// problems; the diagnostics come with it.
var ErrInvalid = errors.New("invalid drill scenario")

// Load finds a scenario: a built-in name, or a YAML file (a name with a
// path separator or a .yaml/.yml suffix, or any existing file). A file
// with problems gives ErrInvalid and the diagnostics, with its source for
// rendering.
func Load(nameOrFile string) (*Scenario, []byte, diag.Diagnostics, error) {
	if src, ok := BuiltinSource(nameOrFile); ok && !strings.ContainsAny(nameOrFile, "/\\") {
		sc, diags := Parse("scenarios/"+nameOrFile+".yaml", src)
		if diags.HasErrors() {
			return nil, src, diags, ErrInvalid
		}
		return sc, src, diags, nil
	}
	looksLikeFile := strings.ContainsAny(nameOrFile, "/\\") || strings.HasSuffix(nameOrFile, ".yaml") || strings.HasSuffix(nameOrFile, ".yml")
	src, err := os.ReadFile(nameOrFile)
	switch {
	case err == nil:
	case looksLikeFile:
		return nil, nil, nil, fmt.Errorf("read drill scenario %s: %w", nameOrFile, err)
	default:
		return nil, nil, nil, fmt.Errorf("no drill scenario %q: built-in scenarios are %s (respond drill --list), or give a scenario file", nameOrFile, strings.Join(Names(), ", "))
	}
	sc, diags := Parse(nameOrFile, src)
	if diags.HasErrors() {
		return nil, src, diags, ErrInvalid
	}
	return sc, src, diags, nil
}
