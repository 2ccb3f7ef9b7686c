package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = KeyVerify{}

// KeyVerify is the `key.verify` step kind: it checks that a key is dead
// (after revocation) or live (a replacement), and keeps checking with
// backoff for `within`, since revocation takes a moment to propagate.
//
// With `key` the provider checks the credential itself (OpenAI: GET
// /v1/models, 401 invalid_api_key is dead; AWS: sts:GetCallerIdentity
// signed with the key, with IAM's key status). A key that works but may
// not do everything (restricted, access denied) is alive, never dead.
// Without `key` the key `key_id` of `scope` is looked up: gone is dead.
type KeyVerify struct {
	Keys  *provider.Set
	alias string
	fixed string
}

const keyVerifyKind = "key.verify"

func (k KeyVerify) kind() string { return firstNonEmpty(k.alias, keyVerifyKind) }

// Backoff between checks.
const (
	verifyFirstWait = 250 * time.Millisecond
	verifyMaxWait   = 5 * time.Second
	verifyDefault   = 30 * time.Second
)

// Spec implements step.Kind.
func (k KeyVerify) Spec() step.Spec {
	return step.Spec{
		Kind:    keyVerifyKind,
		Summary: "Check that a key is dead, or live",
		Description: "Checks the credential `key` at its provider (OpenAI: GET /v1/models; AWS: sts:GetCallerIdentity " +
			"signed with the key, and IAM's key status): `expect: dead` holds when the provider refuses the key as " +
			"invalid or inactive, `expect: live` when it accepts it. A key that authenticates but lacks a permission " +
			"(a restricted OpenAI key, an AWS key denied the call) still works: it counts as live, never as dead. " +
			"Without `key`, the key `key_id` of `scope` is looked up instead: dead means it is gone. Checks again with " +
			"backoff (250ms doubling, at most 5s apart) until the expectation holds or `within` has passed. Only reads.",
		Reads:      true,
		Idempotent: true,
		Evidence:   evidence.KeyChecked,
		Params: []step.Param{
			{Name: "provider", Type: step.String, Description: "the provider that issued the key; empty: from the credential or the key ID"},
			{Name: "key", Type: step.Secret, AcceptsSecret: true, Description: "the key to check: its value or its credential"},
			{Name: "expect", Type: step.String, Required: true, Enum: []string{"dead", "live"}, Description: "what must hold: dead or live"},
			{Name: "scope", Type: step.String, Description: "where the key lives, to look it up when `key` is absent"},
			{Name: "key_id", Type: step.String, Description: "the key's ID, to look it up when `key` is absent"},
			{Name: "within", Type: step.Duration, Default: verifyDefault, Description: "how long to keep checking (default 30s)"},
		},
		Outputs: []step.Output{
			{Name: "state", Type: step.String, Description: `the key's state at the last check: "live", "dead", "restricted" or "denied"`},
			{Name: "verified_at", Type: step.String, Description: "when the expectation was found to hold (RFC 3339)"},
		},
	}
}

type verifyArgs struct {
	p       keyProvider
	cred    secret.Credential
	expect  provider.KeyState
	key     provider.KeyInfo
	within  time.Duration
	unknown bool // the key comes from a step that has not run yet
}

func (k KeyVerify) input(c *step.Call) (verifyArgs, error) {
	kind := k.kind()
	a := verifyArgs{within: verifyDefault}
	if cred, ok := c.Params["key"].(secret.Credential); ok && cred.Provider() != "" && c.String("provider") == "" && k.fixed == "" {
		c.Params["provider"] = cred.Provider()
	}
	p, err := resolveProvider(k.Keys, kind, c, k.fixed)
	if err != nil {
		return a, err
	}
	a.p = p
	a.key = provider.KeyInfo{Provider: p.spec.Name, Scope: strings.TrimSpace(c.String("scope")), ID: strings.TrimSpace(c.String("key_id"))}
	if a.cred, err = credentialParam(c, "key", p, a.key.ID); err != nil {
		return a, step.Permanent(fmt.Errorf("%s: %w", kind, err))
	}
	if c.Has("within") {
		a.within = c.Duration("within")
	}
	switch e := c.String("expect"); e {
	case "dead":
		a.expect = provider.KeyDead
	case "live":
		a.expect = provider.KeyLive
	default:
		return a, badInputf("%s: expect %q must be \"dead\" or \"live\"", kind, e)
	}
	if a.within < 0 {
		return a, badInputf("%s: within %s is negative", kind, a.within)
	}
	if a.cred.IsZero() && (a.key.Scope == "" || a.key.ID == "") {
		_, given := c.Params["key"]
		a.unknown = given
		return a, badInputf("%s: nothing to check: give the key's value (`key`), or `%s` and `key_id` to look it up", kind, scopeName(p, k.fixed))
	}
	return a, nil
}

// which is "old" for a key expected dead, "new" for one expected live.
func (a verifyArgs) which() string {
	if a.expect == provider.KeyDead {
		return "old"
	}
	return "new"
}

// how is how the provider checks a credential, for plans.
func (a verifyArgs) how() string {
	if m := a.p.spec.Verify.Method; m != "" {
		return m
	}
	return a.p.spec.Title + " authentication"
}

func (a verifyArgs) expectText() string {
	v := a.p.spec.Verify
	switch {
	case a.expect == provider.KeyDead && v.Dead != "":
		return "expect " + v.Dead
	case a.expect == provider.KeyDead:
		return "expect it refused as invalid or inactive"
	case v.Live != "":
		return "expect " + v.Live
	}
	return "expect it accepted"
}

// Plan implements step.Kind.
func (k KeyVerify) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	a, err := k.input(c)
	if err != nil {
		if a.unknown && a.p.spec != nil && (a.expect == provider.KeyDead || a.expect == provider.KeyLive) {
			// The key is not known yet (a replacement created by an
			// earlier step): the check itself is.
			return []step.Change{{Action: step.Read, Target: a.how() + " with the key from an earlier step", Effect: a.expectText()}}, nil
		}
		return nil, err
	}
	if a.cred.IsZero() {
		effect := "expect it to be listed"
		if a.expect == provider.KeyDead {
			effect = "expect it no longer active"
		}
		return []step.Change{{Action: step.Read, Target: fmt.Sprintf("%s key %s of %s %s", a.p.spec.Title, a.key.ID, a.p.spec.Scope.Kind, a.key.Scope), Effect: effect}}, nil
	}
	return []step.Change{{Action: step.Read, Target: a.how() + " with the " + a.which() + " key", Effect: a.expectText()}}, nil
}

// Apply implements step.Kind.
func (k KeyVerify) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	kind := k.kind()
	a, err := k.input(c)
	if err != nil {
		return nil, err
	}
	registerCredential(c, a.cred)
	check := func() (provider.KeyCheck, error) { return a.p.Check(ctx, a.cred) }
	if a.cred.IsZero() {
		check = func() (provider.KeyCheck, error) {
			listed, err := a.p.Listed(ctx, a.key)
			switch {
			case err != nil:
				return provider.KeyCheck{}, err
			case listed:
				return provider.KeyCheck{State: provider.KeyLive, Method: "key lookup"}, nil
			}
			return provider.KeyCheck{State: provider.KeyDead, Method: "key lookup"}, nil
		}
	}
	deadline := time.Now().Add(a.within)
	wait := verifyFirstWait
	var (
		last    provider.KeyCheck
		lastErr error
		checks  int
	)
	for {
		o, err := check()
		checks++
		if err == nil {
			last, lastErr = o, nil
			if holds(a.expect, o.State) {
				break
			}
		} else {
			lastErr = err
			if step.IsPermanent(err) || ctx.Err() != nil {
				break
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s: checking the %s key: %w", kind, a.which(), ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, verifyMaxWait)
	}
	ev := evidence.Checked{Provider: a.p.spec.Name, KeyID: a.key.ID, Expect: string(a.expect), State: string(last.State),
		StatusCode: last.StatusCode, Code: last.Code, Method: last.Method, Checks: checks, Within: a.within.String()}
	if lastErr == nil && holds(a.expect, last.State) {
		ev.VerifiedAt = rfc3339(time.Now())
		return &step.Result{
			Outputs:  map[string]any{"state": string(last.State), "verified_at": ev.VerifiedAt},
			Evidence: evidence.Map(evidence.KeyChecked, ev),
			Summary:  a.summary(last, checks),
		}, nil
	}
	return nil, k.failure(a, last, lastErr, checks)
}

// holds reports whether state meets the expectation. A restricted or
// denied key works, so it is live and never dead.
func holds(expect, state provider.KeyState) bool {
	if expect == provider.KeyDead {
		return state == provider.KeyDead
	}
	return state == provider.KeyLive || state == provider.KeyRestricted || state == provider.KeyDenied
}

func (a verifyArgs) summary(o provider.KeyCheck, checks int) string {
	tries := "1 check"
	if checks != 1 {
		tries = fmt.Sprintf("%d checks", checks)
	}
	subject := "the " + a.which() + " key"
	answered := o.Method
	if o.StatusCode != 0 && !a.cred.IsZero() {
		answered = fmt.Sprintf("%s answered %d", o.Method, o.StatusCode)
		if o.Code != "" {
			answered += " " + o.Code
		}
	}
	switch {
	case a.expect == provider.KeyDead && a.cred.IsZero():
		return fmt.Sprintf("key %s is no longer an active key of %s %s (%s)", a.key.ID, a.p.spec.Scope.Kind, a.key.Scope, tries)
	case a.expect == provider.KeyDead:
		return fmt.Sprintf("%s is dead: %s (%s)", subject, answered, tries)
	case a.cred.IsZero():
		return fmt.Sprintf("key %s is an active key of %s %s (%s)", a.key.ID, a.p.spec.Scope.Kind, a.key.Scope, tries)
	case o.State == provider.KeyRestricted:
		return fmt.Sprintf("%s works but is restricted: %s (%s)", subject, answered, tries)
	case o.State == provider.KeyDenied:
		return fmt.Sprintf("%s works but was denied the check's call: %s (%s)", subject, answered, tries)
	}
	return fmt.Sprintf("%s works: %s (%s)", subject, answered, tries)
}

func (k KeyVerify) failure(a verifyArgs, o provider.KeyCheck, lastErr error, checks int) error {
	kind := k.kind()
	subject := fmt.Sprintf("the %s key (%s)", a.which(), a.cred.Redacted())
	if a.cred.IsZero() {
		subject = fmt.Sprintf("key %s of %s %s", a.key.ID, a.p.spec.Scope.Kind, a.key.Scope)
	}
	if lastErr != nil && o.State == "" {
		return fmt.Errorf("%s: could not check %s after %d attempts within %s: %w", kind, subject, checks, a.within, lastErr)
	}
	var seen string
	switch {
	case a.cred.IsZero() && o.State == provider.KeyLive:
		seen = "it is still listed as active"
	case a.cred.IsZero():
		seen = "it is not listed as active"
	case o.Code != "":
		seen = fmt.Sprintf("%s answered %d %s", o.Method, o.StatusCode, o.Code)
	default:
		seen = fmt.Sprintf("%s answered %d", o.Method, o.StatusCode)
	}
	if lastErr != nil {
		seen += fmt.Sprintf("; the last check failed: %v", lastErr)
	}
	if a.expect == provider.KeyDead {
		return fmt.Errorf("%s: %s still works after %s (%d checks; %s): it is not revoked; revoke it at %s by hand, "+
			"then run `respond resume`", kind, subject, a.within, checks, seen, a.p.spec.Title)
	}
	return fmt.Errorf("%s: %s does not work after %s (%d checks; %s): the replacement is not usable; check it at %s, "+
		"then run `respond resume`", kind, subject, a.within, checks, seen, a.p.spec.Title)
}
