package provider

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/step"
)

var (
	regMu sync.RWMutex
	specs = map[string]*Spec{}
)

// Register adds a provider. It is called from the provider package's
// init function; a Spec that is invalid, or a name, key-ID shape or
// secret type another provider has, is a programming error and panics at
// start (a test of the registry catches it before a release).
func Register(s Spec) {
	if err := s.validate(); err != nil {
		panic("provider.Register: " + err.Error())
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := specs[s.Name]; dup {
		panic("provider.Register: provider " + s.Name + " is registered twice")
	}
	for _, o := range specs {
		for _, t := range s.AlertTypes {
			if slices.Contains(o.AlertTypes, t) {
				panic(fmt.Sprintf("provider.Register: secret type %s is both %s's and %s's", t, o.Name, s.Name))
			}
		}
		if s.KeyID.Example != "" && o.KeyID.Owns(s.KeyID.Example) {
			panic(fmt.Sprintf("provider.Register: %s's key ID %s has %s's shape", s.Name, s.KeyID.Example, o.Name))
		}
	}
	if s.Legacy {
		for _, o := range specs {
			if o.Legacy {
				panic("provider.Register: both " + o.Name + " and " + s.Name + " are Legacy")
			}
		}
	}
	for _, v := range s.Env {
		if v.Secret || v.Credential {
			plugin.DeclareEnv(v.Name, v.Secret)
		}
	}
	c := s
	specs[s.Name] = &c
}

// Legacy returns the provider that playbooks and journals naming none
// meant (see Spec.Legacy).
func Legacy() (*Spec, bool) {
	for _, s := range Specs() {
		if s.Legacy {
			return s, true
		}
	}
	return nil, false
}

// Specs returns every registered provider's Spec, sorted by name.
func Specs() []*Spec {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]*Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the registered providers' names, sorted.
func Names() []string {
	var out []string
	for _, s := range Specs() {
		out = append(out, s.Name)
	}
	return out
}

// Lookup returns a provider's Spec.
func Lookup(name string) (*Spec, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	s, ok := specs[name]
	return s, ok
}

// ForKeyID returns the provider whose key IDs look like id.
func ForKeyID(id string) (*Spec, bool) {
	for _, s := range Specs() {
		if s.KeyID.Owns(id) {
			return s, true
		}
	}
	return nil, false
}

// ForAlertType returns the provider whose keys GitHub reports as
// secretType.
func ForAlertType(secretType string) (*Spec, bool) {
	for _, s := range Specs() {
		if slices.Contains(s.AlertTypes, secretType) {
			return s, true
		}
	}
	return nil, false
}

// ForStepAlias returns the provider that declares a step kind alias, and
// the generic kind it stands for.
func ForStepAlias(kind string) (*Spec, StepAlias, bool) {
	for _, s := range Specs() {
		if a, ok := s.StepAliases[kind]; ok {
			return s, a, true
		}
	}
	return nil, StepAlias{}, false
}

// Recognize finds the provider of a pasted value: the first whose Paste
// claims it. An error is a provider's: the value is its key, malformed.
// ok false: no provider recognized it.
func Recognize(raw string) (*Spec, Pasted, bool, error) {
	for _, s := range Specs() {
		if s.Paste == nil {
			continue
		}
		p, ok, err := s.Paste(raw)
		if err != nil {
			return s, Pasted{}, true, err
		}
		if ok {
			return s, p, true, nil
		}
	}
	return nil, Pasted{}, false, nil
}

// SecretEnv lists every environment variable any provider declares as
// holding a credential: masked in every output from the start, and never
// passed to a child process.
func SecretEnv() []string {
	var out []string
	for _, s := range Specs() {
		for _, v := range s.Env {
			if v.Secret && !slices.Contains(out, v.Name) {
				out = append(out, v.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// CredentialEnv lists every environment variable any provider declares
// as part of respond's credentials (secret or not): never passed to a
// child process.
func CredentialEnv() []string {
	var out []string
	for _, s := range Specs() {
		for _, v := range s.Env {
			if (v.Secret || v.Credential) && !slices.Contains(out, v.Name) {
				out = append(out, v.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ScopeFields lists the credential fields providers use for their
// scope, sorted ("account", "project", …).
func ScopeFields() []string {
	var out []string
	for _, s := range Specs() {
		if !slices.Contains(out, s.Scope.Field) {
			out = append(out, s.Scope.Field)
		}
	}
	sort.Strings(out)
	return out
}

// Set is the providers of one run, built lazily from one plug-in
// environment: every step of the run uses the same Provider (and so the
// same clients).
type Set struct {
	env *plugin.Env
	mu  sync.Mutex
	rt  map[string]Provider
}

// NewSet returns the providers built from env.
func NewSet(env *plugin.Env) *Set {
	if env == nil {
		env = plugin.New(nil, nil, nil)
	}
	return &Set{env: env, rt: map[string]Provider{}}
}

// Env is the plug-in environment the set builds providers from.
func (ps *Set) Env() *plugin.Env { return ps.env }

// Get returns the named provider, or an error listing the known ones.
func (ps *Set) Get(name string) (*Spec, Provider, error) {
	s, ok := Lookup(name)
	if !ok {
		return nil, nil, step.BadInputf("unknown provider %q; respond knows %s", name, strings.Join(Names(), ", "))
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p := ps.rt[name]
	if p == nil {
		p = s.New(ps.env)
		ps.rt[name] = p
	}
	return s, p, nil
}
