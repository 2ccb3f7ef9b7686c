package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = VerifyKey{}

// VerifyKey is the `openai.verify_key` step kind: it checks that a key is
// dead (after revocation) or live (a replacement), and keeps checking with
// backoff for `within`, since revocation takes a moment to propagate.
//
// With `key` it calls GET /v1/models with the key: 401 invalid_api_key is
// dead; 200 is live, and so is a 401 with any other code (a restricted key
// that works but lacks the model scopes, API-NOTES §7). Without `key` it
// looks the key up by `project` and `key_id`: gone (404) is dead.
type VerifyKey struct {
	P *Providers
}

const verifyKind = "openai.verify_key"

// Backoff between checks.
const (
	verifyFirstWait = 250 * time.Millisecond
	verifyMaxWait   = 5 * time.Second
	verifyDefault   = 30 * time.Second
)

// Spec implements step.Kind.
func (VerifyKey) Spec() step.Spec {
	return step.Spec{
		Kind:    verifyKind,
		Summary: "Check that an OpenAI key is dead, or live",
		Description: "Checks the key `key` with GET /v1/models: `expect: dead` holds on 401 with code invalid_api_key " +
			"(a revoked key), `expect: live` on 200. A 401 with another code is a restricted key: it still works, " +
			"so it counts as live, never as dead. Without `key`, the key `key_id` of `project` is looked up " +
			"instead: dead means it is gone. Checks again with backoff (250ms doubling, at most 5s apart) until " +
			"the expectation holds or `within` has passed, since revocation takes a moment to propagate. Only reads.",
		Reads:      true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "key", Type: step.Secret, AcceptsSecret: true, Description: "the key to check (its value)"},
			{Name: "expect", Type: step.String, Required: true, Enum: []string{"dead", "live"}, Description: "what must hold: dead or live"},
			{Name: "project", Type: step.String, Description: "project ID (proj_…), to look the key up when `key` is absent"},
			{Name: "key_id", Type: step.String, Description: "the key's ID (key_…), to look it up when `key` is absent"},
			{Name: "within", Type: step.Duration, Default: verifyDefault, Description: "how long to keep checking (default 30s)"},
		},
		Outputs: []step.Output{
			{Name: "state", Type: step.String, Description: `the key's state at the last check: "live", "dead" or "restricted"`},
			{Name: "verified_at", Type: step.String, Description: "when the expectation was found to hold (RFC 3339)"},
		},
	}
}

// verifyArgs are the step's parameters, checked.
type verifyArgs struct {
	key            secret.Value
	expect         KeyState
	project, keyID string
	within         time.Duration
}

func verifyInput(c *step.Call) (verifyArgs, error) {
	a := verifyArgs{
		project: strings.TrimSpace(c.String("project")),
		keyID:   strings.TrimSpace(c.String("key_id")),
		within:  verifyDefault,
	}
	if v, ok := c.Secret("key"); ok && !v.IsZero() {
		a.key = v
	}
	if c.Has("within") {
		a.within = c.Duration("within")
	}
	switch e := c.String("expect"); e {
	case "dead":
		a.expect = KeyDead
	case "live":
		a.expect = KeyLive
	default:
		return a, step.Permanent(badInputf("%s: expect %q must be \"dead\" or \"live\"", verifyKind, e))
	}
	if a.within < 0 {
		return a, step.Permanent(badInputf("%s: within %s is negative", verifyKind, a.within))
	}
	if a.key.IsZero() && (a.project == "" || a.keyID == "") {
		return a, step.Permanent(badInputf("%s: nothing to check: give the key's value (`key`), or `project` and `key_id` "+
			"to look it up", verifyKind))
	}
	return a, nil
}

// which is "old" for a key expected dead, "new" for one expected live.
func (a verifyArgs) which() string {
	if a.expect == KeyDead {
		return "old"
	}
	return "new"
}

// Plan implements step.Kind.
func (VerifyKey) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	a, err := verifyInput(c)
	if err != nil {
		if k, ok := c.Secret("key"); ok && k.IsZero() && (c.String("expect") == string(KeyDead) || c.String("expect") == string(KeyLive)) {
			// The key is not known yet (a replacement created by an
			// earlier step): the check itself is.
			effect := "expect 200"
			if c.String("expect") == string(KeyDead) {
				effect = "expect 401 invalid_api_key"
			}
			return []step.Change{{Action: step.Read, Target: "GET /v1/models with the key from an earlier step", Effect: effect}}, nil
		}
		return nil, err
	}
	if a.key.IsZero() {
		effect := "expect it to be listed"
		if a.expect == KeyDead {
			effect = "expect it to be gone (404)"
		}
		return []step.Change{{Action: step.Read, Target: fmt.Sprintf("OpenAI key %s of project %s", a.keyID, a.project), Effect: effect}}, nil
	}
	effect := "expect 200"
	if a.expect == KeyDead {
		effect = "expect 401 invalid_api_key"
	}
	return []step.Change{{Action: step.Read, Target: "GET /v1/models with the " + a.which() + " key", Effect: effect}}, nil
}

// observation is one check's outcome.
type observation struct {
	state  KeyState
	status int
	code   string
}

// Apply implements step.Kind.
func (k VerifyKey) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	a, err := verifyInput(c)
	if err != nil {
		return nil, err
	}
	if !a.key.IsZero() && c.Secrets != nil {
		c.Secrets.Add(a.key)
	}
	oa, err := openAIClient(k.P, verifyKind)
	if err != nil {
		return nil, err
	}
	method := "GET /v1/models"
	check := func() (observation, error) {
		kc, err := oa.CheckKey(ctx, a.key)
		return observation{kc.State, kc.StatusCode, kc.Code}, err
	}
	if a.key.IsZero() {
		method = "key lookup"
		check = func() (observation, error) {
			_, err := oa.GetProjectKey(ctx, a.project, a.keyID)
			switch {
			case errors.Is(err, ErrNotFound):
				return observation{KeyDead, 404, ""}, nil
			case err != nil:
				return observation{}, err
			}
			return observation{KeyLive, 200, ""}, nil
		}
	}

	deadline := time.Now().Add(a.within)
	wait := verifyFirstWait
	var (
		last    observation
		lastErr error
		checks  int
	)
	for {
		o, err := check()
		checks++
		if err == nil {
			last, lastErr = o, nil
			if holds(a.expect, o.state) {
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
			return nil, fmt.Errorf("%s: checking the %s key: %w", verifyKind, a.which(), ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, verifyMaxWait)
	}

	now := rfc3339(time.Now())
	ev := map[string]any{
		"expect":      string(a.expect),
		"state":       string(last.state),
		"status_code": last.status,
		"code":        last.code,
		"checks":      checks,
		"method":      method,
		"within":      a.within.String(),
	}
	if !a.key.IsZero() {
		ev["redacted"] = a.key.Redacted()
	} else {
		ev["project"], ev["key_id"] = a.project, a.keyID
	}
	if lastErr == nil && holds(a.expect, last.state) {
		ev["verified_at"] = now
		return &step.Result{
			Outputs:  map[string]any{"state": string(last.state), "verified_at": now},
			Evidence: ev,
			Summary:  k.summary(a, last, checks),
		}, nil
	}
	return nil, k.failure(a, last, lastErr, checks)
}

// holds reports whether state meets the expectation. A restricted key
// works, so it is live and never dead.
func holds(expect, state KeyState) bool {
	if expect == KeyDead {
		return state == KeyDead
	}
	return state == KeyLive || state == KeyRestricted
}

func (VerifyKey) summary(a verifyArgs, o observation, checks int) string {
	tries := "1 check"
	if checks != 1 {
		tries = fmt.Sprintf("%d checks", checks)
	}
	subject := "the " + a.which() + " key"
	if a.key.IsZero() {
		subject = fmt.Sprintf("key %s", a.keyID)
	}
	switch {
	case a.expect == KeyDead && a.key.IsZero():
		return fmt.Sprintf("%s is gone from project %s (%s)", subject, a.project, tries)
	case a.expect == KeyDead:
		return fmt.Sprintf("%s is dead: GET /v1/models answered 401 invalid_api_key (%s)", subject, tries)
	case a.key.IsZero():
		return fmt.Sprintf("%s is listed in project %s (%s)", subject, a.project, tries)
	case o.state == KeyRestricted:
		return fmt.Sprintf("%s works but is restricted: GET /v1/models answered 401 (%s) (%s)", subject, o.code, tries)
	}
	return fmt.Sprintf("%s works: GET /v1/models answered 200 (%s)", subject, tries)
}

func (VerifyKey) failure(a verifyArgs, o observation, lastErr error, checks int) error {
	subject := fmt.Sprintf("the %s key (%s)", a.which(), a.key.Redacted())
	if a.key.IsZero() {
		subject = fmt.Sprintf("key %s of project %s", a.keyID, a.project)
	}
	if lastErr != nil && o.state == "" {
		return fmt.Errorf("%s: could not check %s after %d attempts within %s: %w", verifyKind, subject, checks, a.within, lastErr)
	}
	var seen string
	switch {
	case a.key.IsZero() && o.status == 200:
		seen = "it is still listed"
	case o.code != "":
		seen = fmt.Sprintf("GET /v1/models answered %d %s", o.status, o.code)
	default:
		seen = fmt.Sprintf("GET /v1/models answered %d", o.status)
	}
	if lastErr != nil {
		seen += fmt.Sprintf("; the last check failed: %v", lastErr)
	}
	if a.expect == KeyDead {
		return fmt.Errorf("%s: %s still works after %s (%d checks; %s): it is not revoked; revoke it on the OpenAI "+
			"dashboard (project API keys, or delete its service account), then run `respond resume`", verifyKind, subject, a.within, checks, seen)
	}
	return fmt.Errorf("%s: %s does not work after %s (%d checks; %s): the replacement is not usable; check the project's "+
		"service accounts on the OpenAI dashboard, then run `respond resume`", verifyKind, subject, a.within, checks, seen)
}
