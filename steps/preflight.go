package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/provider"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

var _ step.Kind = Preflight{}

// preflightConcurrency bounds the checks that run at once.
const preflightConcurrency = 32 // GitHub's limiter caps what is really in flight

// Preflight is the `preflight` step kind: before anything changes, it
// checks that every target can be written and that the OpenAI admin key can
// create the replacement, and reports every problem at once. It stands
// between the alert and the revoke, so it costs a few round trips whatever
// the number of targets: writers that can check many targets at once
// (BatchChecker) get all of theirs together.
type Preflight struct {
	P *Providers
	// Writers of the targets' types; each target is checked by its
	// writer's Check (or CheckAll, for writers that batch).
	Writers *target.Set
}

// Spec implements step.Kind.
func (Preflight) Spec() step.Spec {
	return step.Spec{
		Kind:    "preflight",
		Summary: "Check access to every target and to the key's provider before changing anything",
		Description: "Checks, concurrently, that each of `targets` can be written, with a number of requests that does not grow " +
			"with the number of targets: for GitHub secrets, that the token may manage the secrets of every repository " +
			"(an organization's repositories are listed 100 a page with the token's permissions, the pages at once) " +
			"and is an owner of every organization with an organization secret; a .env file's directory and the file are writable; " +
			"an exec command exists and is executable; a workflow exists in its repository, declares workflow_dispatch " +
			"on the target's ref, which exists, accepts the target's inputs and gets every required one, and the token can " +
			"dispatch it. With `scope` (or `project`), it checks " +
			"that the key's provider lets respond create the replacement there (OpenAI: the admin key can manage the project's service accounts). " +
			"What would cost a request per target (that an environment exists, that a scope's public key can be read) " +
			"is left to the deploy, after the revoke: a target that fails it fails alone, with the same message. " +
			"Every problem is reported at once and nothing is changed (exit code 4), unless `force` is true: " +
			"then the problems are a warning and the playbook goes on. Only reads, so it runs during planning and dry runs.",
		Reads:      true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "targets", Type: step.Any,
				Description: "the targets to check: a list of target mappings as the inventory gives them"},
			{Name: "workflows", Type: step.Any,
				Description: "github-workflow targets to check too (inventory.targets outputs them apart from the targets)"},
			{Name: "provider", Type: step.String,
				Description: "the key's provider (openai, aws), whose access is checked with `scope`; empty: openai"},
			{Name: "scope", Type: step.String,
				Description: "where the replacement will be created (an OpenAI project proj_…, an AWS account); empty skips the provider check"},
			{Name: "project", Type: step.String,
				Description: "the OpenAI project (proj_…), the older name of scope"},
			{Name: "owner_id", Type: step.String,
				Description: "the key's owner (the IAM user that gets an AWS replacement), for the provider check"},
			{Name: "force", Type: step.Bool, Default: false,
				Description: "go ahead despite problems (they become a warning)"},
			{Name: "require_targets", Type: step.Bool, Default: false,
				Description: "a key with no known target is a problem: a planned rotation would revoke a key whatever uses it still needs"},
			{Name: "require_replacement", Type: step.Bool, Default: false,
				Description: "a replacement that only a person can make (the provider has no API for it) and that nobody can paste in this run (no terminal, or --yes without --replacement-stdin) is a problem: a rotation must not start what it cannot finish"},
			{Name: "key", Type: step.String,
				Description: "the key, for the require_targets problem's message (e.g. its ID)"},
			{Name: "last_used", Type: step.String,
				Description: "when the key was last used (RFC 3339), for the require_targets problem's message"},
		},
		Outputs: []step.Output{
			{Name: "problems", Type: step.List, Description: "every problem found, one sentence each"},
			{Name: "checked", Type: step.Int, Description: "how many checks ran (targets, plus the provider)"},
		},
	}
}

// Plan implements step.Kind.
func (p Preflight) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	items, _ := targetList(c.Params["targets"])
	wfs, _ := targetList(c.Params["workflows"])
	items = append(items, wfs...)
	what := fmt.Sprintf("%d target(s)", len(items))
	if kp, scope, err := p.keyScope(c); err == nil && scope != "" {
		what += fmt.Sprintf(" and the %s %s %s", kp.spec.Title, kp.spec.Scope.Kind, scope)
	}
	return []step.Change{{Action: step.Read, Target: what, Effect: "check access before changing anything"}}, nil
}

// check is one preflight check: what it is about, and how to run it (or
// the problem already found while reading the target).
type check struct {
	what    string // a target ID or "OpenAI project proj_…"
	run     func(ctx context.Context) error
	problem string // set instead of run when the target itself is wrong
	n       int    // the targets it checks, when several (a writer's CheckAll)
}

// Apply implements step.Kind.
func (p Preflight) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	checks := p.checks(c)
	found := make([][]string, len(checks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, preflightConcurrency)
	ran := 0
	for i, ch := range checks {
		if ch.run == nil {
			found[i] = []string{ch.problem}
			continue
		}
		ran += max(ch.n, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if err := ch.run(ctx); err != nil {
				// A check may find several problems (errors.Join): each is
				// reported on its own.
				errs := []error{err}
				var many target.ProblemList
				if errors.As(err, &many) {
					errs = many
				}
				for _, e := range errs {
					text := problemText(e)
					if !strings.HasPrefix(text, ch.what) { // writers name their target already
						text = ch.what + ": " + text
					}
					found[i] = append(found[i], text)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("preflight was interrupted: %w", err)
	}
	var problems []string
	for _, fs := range found {
		for _, f := range fs {
			if f != "" {
				// Secrets never reach a problem through the checks, but
				// mask anyway.
				problems = append(problems, registry(c).MaskString(f))
			}
		}
	}
	res := &step.Result{
		Outputs:  map[string]any{"problems": append([]string{}, problems...), "checked": ran},
		Evidence: map[string]any{"checked": ran, "problems": append([]string{}, problems...)},
	}
	if len(problems) == 0 {
		res.Summary = fmt.Sprintf("all %d check(s) passed", ran)
		return res, nil
	}
	list := "  - " + strings.Join(problems, "\n  - ")
	if c.Bool("force") {
		res.Evidence["forced"] = true
		res.Summary = fmt.Sprintf("WARNING: preflight found %d problem(s); going ahead anyway (--force):\n%s", len(problems), list)
		c.Logf("preflight found %d problem(s); going ahead anyway because of --force", len(problems))
		return res, nil
	}
	return res, ghPreflightf(nil, "preflight found %d problem(s); nothing was changed:\n%s\nfix them and run again, or pass --force to go ahead anyway",
		len(problems), list)
}

// problemText is err's message on one line.
func problemText(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
}

// checks lists the checks to run, in the order their problems are
// reported: the OpenAI project first, then the targets as given.
func (p Preflight) checks(c *step.Call) []check {
	var checks []check
	switch kp, scope, err := p.keyScope(c); {
	case err != nil:
		checks = append(checks, check{problem: problemText(err)})
	case scope != "":
		var old *provider.KeyInfo
		if owner := c.String("owner_id"); owner != "" {
			old = &provider.KeyInfo{Provider: kp.spec.Name, Scope: scope, Owner: evidence.Owner{ID: owner}}
		}
		checks = append(checks, check{what: fmt.Sprintf("%s %s %s", kp.spec.Title, kp.spec.Scope.Kind, scope), run: func(ctx context.Context) error {
			return kp.CanReplace(ctx, scope, old)
		}})
	}
	if kp, _, err := p.keyScope(c); err == nil && c.Bool("require_replacement") && kp.spec.Caps.Replace == provider.ByPerson && !c.CanAsk() {
		checks = append(checks, check{problem: fmt.Sprintf("%s keys cannot be created through %s's API: a person makes the replacement and pastes it, "+
			"and nobody can in this run (no terminal, or --yes without --replacement-stdin): run on a terminal without --yes, "+
			"or give the new key on standard input with --replacement-stdin", kp.spec.Title, kp.spec.Title)})
	}
	if c.Bool("require_targets") {
		if list, _ := targetList(c.Params["targets"]); len(list) == 0 {
			key := c.String("key")
			if key == "" {
				key = "the key"
			}
			used := "no record of its last use"
			if lu := c.String("last_used"); lu != "" {
				used = "it was last used " + lu
			}
			checks = append(checks, check{problem: fmt.Sprintf("no credential in the inventory lists a place that holds %s (%s): "+
				"revoking it would break whatever uses it; add the key and every place it is deployed to the inventory "+
				"(respond.yaml, docs/inventory.md), or pass --force to rotate it anyway", key, used)})
		}
	}
	var items []any
	for _, param := range []string{"targets", "workflows"} {
		raw := c.Params[param]
		list, ok := targetList(raw)
		if !ok {
			checks = append(checks, check{problem: fmt.Sprintf("parameter %s is %s, not a list of targets; this is a mistake in the playbook", param, describeValue(raw))})
		}
		items = append(items, list...)
	}
	// Writers that check many targets at once get all of theirs in one
	// check (a GitHub organization's repositories are one list, not a
	// request each); the others are checked target by target.
	type batch struct {
		w       target.BatchChecker
		targets []target.Target
		at      int // index of the batch's check
	}
	batches := map[string]*batch{}
	for i, item := range items {
		t, err := targetParam("preflight", fmt.Sprintf("targets[%d]", i), item, c.Dir)
		if err != nil {
			checks = append(checks, check{problem: fmt.Sprintf("target %d: %s", i+1, strings.TrimPrefix(problemText(err), "preflight: "))})
			continue
		}
		writers := p.Writers
		if writers == nil {
			writers = target.NewSet(nil)
		}
		_, w, err := writers.Writer(t.Type)
		switch {
		case err == nil:
			if bc, ok := w.(target.BatchChecker); ok {
				k := fmt.Sprintf("%T", w)
				b := batches[k]
				if b == nil {
					b = &batch{w: bc, at: len(checks)}
					batches[k] = b
					checks = append(checks, check{})
				}
				b.targets = append(b.targets, t)
				continue
			}
			checks = append(checks, check{what: t.ID(), run: func(ctx context.Context) error { return w.Check(ctx, t) }})
		default:
			checks = append(checks, check{problem: fmt.Sprintf("%s: %v", t.ID(), err)})
		}
	}
	for _, b := range batches {
		// what is empty: CheckAll names each target in its problems.
		checks[b.at] = check{n: len(b.targets), run: func(ctx context.Context) error {
			var problems target.ProblemList
			for _, err := range b.w.CheckAll(ctx, b.targets) {
				if err != nil {
					problems = append(problems, err)
				}
			}
			if len(problems) == 0 {
				return nil
			}
			return problems
		}}
	}
	return checks
}

// keyScope returns the key's provider and the scope where the replacement
// is created ("" when the call names none).
func (p Preflight) keyScope(c *step.Call) (keyProvider, string, error) {
	scope := strings.TrimSpace(c.String("scope"))
	if scope == "" {
		scope = strings.TrimSpace(c.String("project"))
	}
	kp, err := resolveProvider(p.keys(), "preflight", c, "")
	return kp, scope, err
}

func (p Preflight) keys() *provider.Set {
	if p.P == nil {
		return nil
	}
	return p.P.Keys
}

// targetList returns the items of a `targets` parameter; ok is false when
// it is not a list.
func targetList(raw any) (items []any, ok bool) {
	switch l := raw.(type) {
	case nil:
		return nil, true
	case []any:
		return l, true
	case []map[string]any:
		for _, m := range l {
			items = append(items, m)
		}
		return items, true
	}
	return nil, false
}
