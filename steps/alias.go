package steps

import (
	"context"
	"sort"

	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
)

// aliasKind is a step kind a provider declares (provider.StepAlias): a
// generic key.* kind bound to that provider, with some parameters and
// outputs under other names, so that playbooks written before the generic
// kinds keep validating and running unchanged.
type aliasKind struct {
	name  string
	spec  provider.StepAlias
	base  step.Kind
	owner string // the provider's name
}

// aliasKinds builds every alias the registered providers declare, over
// the generic kinds (by name) they stand for.
func aliasKinds(generic map[string]func(alias, fixed string) step.Kind) []step.Kind {
	var out []step.Kind
	for _, s := range provider.Specs() {
		names := make([]string, 0, len(s.StepAliases))
		for n := range s.StepAliases {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := s.StepAliases[n]
			mk, ok := generic[a.Kind]
			if !ok {
				continue // TestCatalog reports an alias of an unknown kind
			}
			k := aliasKind{name: n, spec: a, base: mk(n, s.Name), owner: s.Name}
			if _, ok := k.base.(step.Reconciler); ok {
				out = append(out, reconcilingAlias{k})
				continue
			}
			out = append(out, k)
		}
	}
	return out
}

func (a aliasKind) Spec() step.Spec {
	s := a.base.Spec()
	s.Kind = a.name
	rev := map[string]string{}
	for alias, generic := range a.spec.Params {
		rev[generic] = alias
	}
	var params []step.Param
	for _, p := range s.Params {
		if p.Name == "provider" {
			continue
		}
		if alias, ok := rev[p.Name]; ok {
			p.Name = alias
		}
		params = append(params, p)
	}
	s.Params = params
	outRev := map[string]string{}
	for alias, generic := range a.spec.Outputs {
		outRev[generic] = alias
	}
	var outs []step.Output
	for _, o := range s.Outputs {
		if alias, ok := outRev[o.Name]; ok {
			o.Name = alias
		}
		outs = append(outs, o)
	}
	s.Outputs = append(outs, a.spec.Extra...)
	return s
}

// call translates an alias call into a generic one.
func (a aliasKind) call(c *step.Call) *step.Call {
	g := *c
	g.Params = make(map[string]any, len(c.Params))
	for k, v := range c.Params {
		if generic, ok := a.spec.Params[k]; ok {
			k = generic
		}
		g.Params[k] = v
	}
	if c.Previous != nil {
		prev := *c.Previous
		prev.Outputs = map[string]any{}
		for k, v := range c.Previous.Outputs {
			prev.Outputs[k] = v
		}
		for alias, generic := range a.spec.Outputs {
			if v, ok := prev.Outputs[alias]; ok {
				prev.Outputs[generic] = v
			}
		}
		g.Previous = &prev
	}
	return &g
}

func (a aliasKind) result(res *step.Result) *step.Result {
	if res == nil {
		return nil
	}
	out := make(map[string]any, len(res.Outputs)+2)
	for k, v := range res.Outputs {
		out[k] = v
	}
	for alias, generic := range a.spec.Outputs {
		if v, ok := res.Outputs[generic]; ok {
			out[alias] = v
			delete(out, generic)
		}
	}
	if a.spec.Fill != nil {
		a.spec.Fill(out)
	}
	r := *res
	r.Outputs = out
	return &r
}

func (a aliasKind) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return a.base.Plan(ctx, a.call(c))
}

func (a aliasKind) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	res, err := a.base.Apply(ctx, a.call(c))
	return a.result(res), err
}

// reconcilingAlias is an alias of a kind that reconciles (key.replace).
type reconcilingAlias struct{ aliasKind }

func (a reconcilingAlias) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	res, done, err := a.base.(step.Reconciler).Reconcile(ctx, a.call(c))
	return a.result(res), done, err
}
