package steps

import (
	"context"
	"fmt"

	"sort"
	"strings"

	"github.com/respondhq/respond/internal/evidence"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

var (
	_ step.Kind  = Deploy{}
	_ step.Noter = Deploy{}
)

// deployKind is the deploy step kind's name.
const deployKind = "deploy"

// Deploy is the `deploy` step kind: it writes a credential to one target
// through the writer of the target's type (internal/target: one package
// per type under internal/targets). Playbooks run it once per target with
// foreach over the inventory's targets.
type Deploy struct {
	Writers *target.Set
}

// Spec implements step.Kind.
func (Deploy) Spec() step.Spec {
	return step.Spec{
		Kind:    deployKind,
		Summary: "Write a credential to one target: a GitHub secret, a .env file, a secret store, a command, …",
		Description: "Writes `value` to `target`, one place the credential lives, as listed in the inventory, through the " +
			"writer of the target's type (docs/inventory.md lists them: GitHub Actions and Dependabot secrets, .env files, " +
			"secret stores, commands that receive the value on standard input, …). Writing the same value twice leaves the " +
			"same state, so the step is retried and re-applied on resume. Targets that hold nothing (github-workflow) are " +
			"not written: re-run them with a redeploy step once every target holds the new value. " +
			"A relative path or program path is resolved against the playbook's directory.",
		Mutates:    true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "target", Type: step.Any, Required: true,
				Description: "the target, a mapping as the inventory gives it (type plus its fields), e.g. an item of `foreach: ${{ steps.targets.outputs.targets }}`"},
			{Name: "value", Type: step.Secret, Required: true, AcceptsSecret: true,
				Description: "the value to write, e.g. ${{ steps.replace.outputs.key }}"},
		},
		Outputs: []step.Output{
			{Name: "target", Type: step.String, Description: "the target's ID, e.g. github-actions:acme/api:OPENAI_API_KEY"},
			{Name: "created", Type: step.Bool, Description: "true when the secret or variable did not exist before"},
		},
	}
}

// targetParam reads a target mapping from a parameter and resolves its
// relative paths against dir.
func targetParam(kind, name string, v any, dir string) (target.Target, error) {
	m, err := toTargetMap(v)
	if err != nil {
		return target.Target{}, step.Errorf("%s: parameter %q %v; give a target mapping such as {type: dotenv, path: .env, var: OPENAI_API_KEY}", kind, name, err)
	}
	t, err := target.FromMap(m)
	if err != nil {
		return t, step.Errorf("%s: %v", kind, err)
	}
	return resolveTarget(t, dir), nil
}

// toTargetMap accepts the shapes a target mapping takes on its way through
// templates and the journal.
func toTargetMap(v any) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[k] = x
		}
		return out, nil
	case target.Target:
		return m.Map(), nil
	case nil:
		return nil, fmt.Errorf("is missing")
	}
	return nil, fmt.Errorf("is %s, not a target mapping", describeValue(v))
}

func describeValue(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case []any, []string:
		return "a list"
	case bool:
		return "true/false"
	case int, int64, float64:
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// resolveTarget makes a relative path or program path absolute against
// dir (the playbook's directory). Inventory targets are absolute already.
func resolveTarget(t target.Target, dir string) target.Target {
	if dir == "" {
		return t
	}
	return target.Resolve(t, dir)
}

// writerFor returns the writer for t's type, or a permanent error naming
// it.
func writerFor(kind string, writers *target.Set, t target.Target) (target.Writer, error) {
	if !t.Holds() {
		return nil, step.Errorf("%s: target %s is a deployment to re-run, not a place that holds the credential; "+
			"leave it out of deploy (inventory.targets outputs such targets apart) and redeploy it once every target is written", kind, t.ID())
	}
	if writers == nil {
		writers = target.NewSet(nil)
	}
	_, w, err := writers.Writer(t.Type)
	if err != nil {
		return nil, step.Errorf("%s: %s: %v", kind, t.ID(), err)
	}
	return w, nil
}

// Plan implements step.Kind: the writer's plan, with no side effect.
func (d Deploy) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	t, err := targetParam("deploy", "target", c.Params["target"], c.Dir)
	if err != nil {
		return nil, err
	}
	w, err := writerFor("deploy", d.Writers, t)
	if err != nil {
		return nil, err
	}
	ch, err := w.Plan(ctx, t)
	if err != nil {
		return nil, err
	}
	if ran := commandsRanBefore(c, t); len(ran) > 0 {
		// The inventory, read again on resume, runs another command than
		// an earlier run of the incident did: shown, and asked about.
		ch.Destructive = true
		ch.Effect += fmt.Sprintf("; a command no earlier run of this incident ran (it ran %s): check it before you approve", strings.Join(ran, "; "))
	}
	return []step.Change{ch}, nil
}

// commandsRanBefore lists the commands of t's type that earlier runs of
// the incident gave the credential to, when t runs a command (a field
// with Program) none of them ran.
func commandsRanBefore(c *step.Call, t target.Target) []string {
	spec, ok := t.Spec()
	if !ok {
		return nil
	}
	runs := false
	for _, f := range spec.Fields {
		runs = runs || f.Program
	}
	if !runs {
		return nil
	}
	var ran []string
	for id, w := range latestWrites(c) {
		if w.Type != t.Type {
			continue
		}
		if id == t.ID() {
			return nil // this command ran before
		}
		ran = append(ran, id)
	}
	sort.Strings(ran)
	return ran
}

// PlanNotes implements step.Noter: each writer that can says what writing
// its targets costs together (GitHub: requests, points and time at its
// secondary limits), and how to make it cheaper.
func (d Deploy) PlanNotes(ctx context.Context, calls []*step.Call) []step.Note {
	var order []string
	byWriter := map[string][]target.Target{}
	noters := map[string]target.Noter{}
	for _, c := range calls {
		t, err := targetParam("deploy", "target", c.Params["target"], c.Dir)
		if err != nil {
			continue
		}
		w, err := writerFor("deploy", d.Writers, t)
		if err != nil {
			continue
		}
		n, ok := w.(target.Noter)
		if !ok {
			continue
		}
		k := fmt.Sprintf("%T", w) // one writer may handle several types (GitHub Actions and Dependabot)
		if _, seen := noters[k]; !seen {
			noters[k] = n
			order = append(order, k)
		}
		byWriter[k] = append(byWriter[k], t)
	}
	var notes []step.Note
	for _, k := range order {
		notes = append(notes, noters[k].PlanNotes(ctx, byWriter[k])...)
	}
	return notes
}

// Apply implements step.Kind.
func (d Deploy) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	t, err := targetParam("deploy", "target", c.Params["target"], c.Dir)
	if err != nil {
		return nil, err
	}
	cred, ok := secretCredential(c.Params["value"])
	if !ok {
		return nil, step.Errorf("deploy: the value to write to %s is empty; check the step that produces it", t.ID())
	}
	registerCredential(c, cred)
	w, err := writerFor("deploy", d.Writers, t)
	if err != nil {
		return nil, err
	}
	// A writer that starts a command filters its environment against every
	// secret of the run (the admin key, tokens, the leaked key), not only v.
	wctx := secret.NewContext(ctx, registry(c))
	var (
		res   target.WriteResult
		parts []string
	)
	if len(t.Keys()) > 0 {
		mw, ok := w.(target.MultiPartWriter)
		if !ok {
			return nil, step.Errorf("deploy: %s targets cannot take keys", t.Type)
		}
		values := map[string]secret.Value{}
		for key, part := range t.Keys() {
			p, ok := cred.Part(part)
			if !ok || p.IsZero() {
				return nil, step.Errorf("deploy: %s wants part %q in key %s, and the credential has %s", t.ID(), part, key, partNames(cred))
			}
			values[key] = p.Value()
			parts = append(parts, part)
		}
		sort.Strings(parts)
		res, err = mw.WriteParts(wctx, t, values)
	} else {
		p, perr := credentialPart(cred, t.Part())
		if perr != nil {
			return nil, step.Errorf("deploy: %s: %v", t.ID(), perr)
		}
		parts = []string{p.Name}
		res, err = w.Write(wctx, t, p.Value())
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), t.ID()) {
			return nil, err // the writer named the target already
		}
		return nil, fmt.Errorf("deploy to %s: %w", t.ID(), err)
	}
	verb := "updated"
	if res.Created {
		verb = "created"
	}
	detail := res.Detail
	if res.Warning != "" {
		c.Logf("warning: %s", res.Warning)
		detail += "; warning: " + res.Warning
	}
	ev := evidence.Written{Target: t.ID(), Type: t.Type, Created: res.Created, Detail: registry(c).MaskString(detail),
		ValueFingerprint: cred.Fingerprint(), Parts: parts, Rollback: registry(c).MaskString(res.Rollback),
		FollowUp: registry(c).MaskString(res.FollowUp), Place: t.Map()}
	summary := verb + " " + t.ID()
	if len(cred.Parts()) > 1 {
		summary += " (" + strings.Join(parts, ", ") + ")"
	}
	if ev.FollowUp != "" {
		summary += "; follow-up: " + ev.FollowUp
	}
	return &step.Result{
		Outputs:  map[string]any{"target": t.ID(), "created": res.Created},
		Evidence: evidence.Map(evidence.TargetWritten, ev),
		Summary:  summary,
	}, nil
}

// credentialPart is the part a target holds: the named one, else the
// credential's main secret part.
func credentialPart(cred secret.Credential, name string) (secret.Part, error) {
	if name == "" {
		if p, ok := cred.Main(); ok && !p.IsZero() {
			return p, nil
		}
		return secret.Part{}, fmt.Errorf("the credential has no secret part to write")
	}
	if p, ok := cred.Part(name); ok && !p.IsZero() {
		return p, nil
	}
	return secret.Part{}, fmt.Errorf("the target wants part %q, and the credential has %s", name, partNames(cred))
}

func partNames(cred secret.Credential) string {
	var names []string
	for _, p := range cred.Parts() {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return "no parts"
	}
	return strings.Join(names, " and ")
}
