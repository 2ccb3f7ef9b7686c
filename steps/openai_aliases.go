package steps

import (
	"context"
	"time"

	"github.com/respondhq/respond/internal/step"
)

// The openai.* kinds are the generic key.* kinds bound to the OpenAI
// provider, with the names playbooks written before the provider interface
// use: `project` for the scope, `service_account_id` for a service
// account's ID. Existing playbooks keep validating and running unchanged.

// aliasKind adapts a generic kind to an alias's parameter and output names.
type aliasKind struct {
	name string
	base step.Kind
	// params maps an alias parameter to the generic one it feeds.
	params map[string]string
	// outputs maps an alias output to the generic output it copies.
	outputs map[string]string
	// extra adds outputs the generic kind does not have.
	extra func(out map[string]any)
}

// openAIParams are the renames every openai.* kind shares.
var openAIParams = map[string]string{"project": "scope"}

func (a aliasKind) Spec() step.Spec {
	s := a.base.Spec()
	s.Kind = a.name
	rev := map[string]string{}
	for alias, generic := range a.params {
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
	for alias, generic := range a.outputs {
		outRev[generic] = alias
	}
	var outs []step.Output
	for _, o := range s.Outputs {
		if alias, ok := outRev[o.Name]; ok {
			o.Name = alias
		}
		outs = append(outs, o)
	}
	s.Outputs = append(outs, aliasExtraOutputs[a.name]...)
	return s
}

// aliasExtraOutputs are outputs an alias adds to its generic kind's.
var aliasExtraOutputs = map[string][]step.Output{
	"openai.identify_key": {{Name: "service_account_id", Type: step.String, Description: "the owning service account, if one owns the key"}},
}

// call translates an alias call into a generic one.
func (a aliasKind) call(c *step.Call) *step.Call {
	g := *c
	g.Params = make(map[string]any, len(c.Params))
	for k, v := range c.Params {
		if generic, ok := a.params[k]; ok {
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
		for alias, generic := range a.outputs {
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
	for alias, generic := range a.outputs {
		if v, ok := res.Outputs[generic]; ok {
			out[alias] = v
			delete(out, generic)
		}
	}
	if a.extra != nil {
		a.extra(out)
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

func (a aliasKind) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	r, ok := a.base.(step.Reconciler)
	if !ok {
		return nil, false, step.ErrUnknownOutcome
	}
	res, done, err := r.Reconcile(ctx, a.call(c))
	return a.result(res), done, err
}

func openAIKeys(p *Providers) KeyProviders { return KeyProviders{"openai": openAIProvider{P: p}} }

// IdentifyKey is `openai.identify_key`: key.identify for OpenAI keys.
type IdentifyKey struct{ P *Providers }

func (k IdentifyKey) a() aliasKind {
	return aliasKind{name: "openai.identify_key",
		base:    KeyIdentify{P: k.P, Keys: openAIKeys(k.P), alias: "openai.identify_key", fixed: "openai"},
		params:  openAIParams,
		outputs: map[string]string{"project": "scope", "project_name": "scope_name"},
		extra: func(out map[string]any) {
			sa := ""
			if out["owner_type"] == "service_account" {
				sa, _ = out["owner_id"].(string)
			}
			out["service_account_id"] = sa
		}}
}

// Spec implements step.Kind.
func (k IdentifyKey) Spec() step.Spec { return k.a().Spec() }

// Plan implements step.Kind.
func (k IdentifyKey) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return k.a().Plan(ctx, c)
}

// Apply implements step.Kind.
func (k IdentifyKey) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	return k.a().Apply(ctx, c)
}

// RevokeKey is `openai.revoke_key`: key.revoke for OpenAI keys.
type RevokeKey struct{ P *Providers }

func (k RevokeKey) a() aliasKind {
	return aliasKind{name: "openai.revoke_key",
		base:   KeyRevoke{Keys: openAIKeys(k.P), alias: "openai.revoke_key", fixed: "openai"},
		params: map[string]string{"project": "scope", "service_account_id": "owner_id"}}
}

// Spec implements step.Kind.
func (k RevokeKey) Spec() step.Spec { return k.a().Spec() }

// Plan implements step.Kind.
func (k RevokeKey) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return k.a().Plan(ctx, c)
}

// Apply implements step.Kind.
func (k RevokeKey) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	return k.a().Apply(ctx, c)
}

// VerifyKey is `openai.verify_key`: key.verify for OpenAI keys.
type VerifyKey struct{ P *Providers }

func (k VerifyKey) a() aliasKind {
	return aliasKind{name: "openai.verify_key",
		base:   KeyVerify{Keys: openAIKeys(k.P), alias: "openai.verify_key", fixed: "openai"},
		params: openAIParams}
}

// Spec implements step.Kind.
func (k VerifyKey) Spec() step.Spec { return k.a().Spec() }

// Plan implements step.Kind.
func (k VerifyKey) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return k.a().Plan(ctx, c)
}

// Apply implements step.Kind.
func (k VerifyKey) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	return k.a().Apply(ctx, c)
}

// CreateReplacement is `openai.create_replacement`: key.replace for
// OpenAI keys (a new project service account, whose key is the
// replacement).
type CreateReplacement struct{ P *Providers }

func (k CreateReplacement) a() aliasKind {
	return aliasKind{name: "openai.create_replacement",
		base:    KeyReplace{Keys: openAIKeys(k.P), alias: "openai.create_replacement", fixed: "openai"},
		params:  openAIParams,
		outputs: map[string]string{"service_account_id": "principal_id", "service_account_name": "principal_name"}}
}

// Spec implements step.Kind.
func (k CreateReplacement) Spec() step.Spec { return k.a().Spec() }

// Plan implements step.Kind.
func (k CreateReplacement) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return k.a().Plan(ctx, c)
}

// Apply implements step.Kind.
func (k CreateReplacement) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	return k.a().Apply(ctx, c)
}

// Reconcile implements step.Reconciler.
func (k CreateReplacement) Reconcile(ctx context.Context, c *step.Call) (*step.Result, bool, error) {
	return k.a().Reconcile(ctx, c)
}

// KeyUsage is `openai.key_usage`: key.usage for OpenAI keys.
type KeyUsage struct {
	P *Providers
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

func (k KeyUsage) a() aliasKind {
	return aliasKind{name: "openai.key_usage",
		base:   KeyUsageStep{Keys: openAIKeys(k.P), Now: k.Now, alias: "openai.key_usage", fixed: "openai"},
		params: openAIParams}
}

// Spec implements step.Kind.
func (k KeyUsage) Spec() step.Spec { return k.a().Spec() }

// Plan implements step.Kind.
func (k KeyUsage) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return k.a().Plan(ctx, c)
}

// Apply implements step.Kind.
func (k KeyUsage) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	return k.a().Apply(ctx, c)
}

// AwaitQuiet is `openai.await_quiet`: key.await_quiet for OpenAI keys.
type AwaitQuiet struct{ P *Providers }

func (k AwaitQuiet) a() aliasKind {
	return aliasKind{name: "openai.await_quiet",
		base:   KeyAwaitQuiet{Keys: openAIKeys(k.P), alias: "openai.await_quiet", fixed: "openai"},
		params: openAIParams}
}

// Spec implements step.Kind.
func (k AwaitQuiet) Spec() step.Spec { return k.a().Spec() }

// Plan implements step.Kind.
func (k AwaitQuiet) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return k.a().Plan(ctx, c)
}

// Apply implements step.Kind.
func (k AwaitQuiet) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	return k.a().Apply(ctx, c)
}
