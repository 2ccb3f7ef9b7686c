// Package conformance is the suite every provider of keys runs against its
// fake: identify a key by its ID, by its value and by a secret-scanning
// alert; contain it and prove it dead; make the replacement (through the
// API, or the one a person makes) and prove it works; find and delete what
// an interrupted replacement left; retire the contained key. It drives the
// generic key.* step kinds, as a playbook does, and judges every claim by
// the fake's own truth (simapi.KeyIssuer.KeyStatus), never by respond's
// output; and it looks for the keys' values in everything the steps
// produced.
//
// internal/plugins runs it for every registered provider the simulator
// fakes; a provider tested against another fake (AWS, against moto) runs
// it from its own tests with a Harness of its own.
package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

// Harness is what the suite needs of a provider's fake.
type Harness struct {
	// Spec is the provider under test.
	Spec *provider.Spec
	// Providers are the step kinds' dependencies, configured to reach the
	// fake (and, for Alert, the simulator's GitHub).
	Providers *steps.Providers
	// Issuer issues the fake's keys and tells whether one works.
	Issuer Issuer
	// Scope is where keys are issued ("" for the fake's default).
	Scope string
	// Alert opens a secret-scanning alert on value and returns it as
	// OWNER/REPO#N; nil skips identification by alert.
	Alert func(t testing.TB, value, secretType string) string
	// Now is the fake's clock, for KeyStatus (default time.Now).
	Now func() time.Time
}

// Issuer is what the suite needs of a fake that issues keys: every
// simapi.KeyIssuer is one. A key's value is its pasted form: for a key of
// several parts, the parts' values joined by spaces ("AKIA… SECRET").
type Issuer interface {
	IssueKey(req simapi.IssueRequest) (simapi.IssuedKey, error)
	KeyStatus(value string, now time.Time) (id string, live, known bool)
}

// valueOf is a credential's pasted form, as Issuer.KeyStatus takes it.
func valueOf(c secret.Credential) string {
	parts := c.Parts()
	if len(parts) == 1 {
		return parts[0].Value().Reveal()
	}
	vals := make([]string, 0, len(parts))
	for _, p := range parts {
		vals = append(vals, p.Value().Reveal())
	}
	return strings.Join(vals, " ")
}

// incident is the suite's incident ID: replacement names must hold it.
const incident = "INC-20261207-120000-c0f0"

// Run runs the suite as subtests of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Now == nil {
		h.Now = time.Now
	}
	s := &suite{h: h}
	t.Run("identify by ID", s.identifyByID)
	t.Run("identify by value", s.identifyByValue)
	t.Run("identify by alert", s.identifyByAlert)
	t.Run("contain and verify dead", s.containAndVerify)
	t.Run("replace", s.replace)
	t.Run("reconcile after a crash inside replace", s.reconcile)
	t.Run("retire", s.retire)
}

type suite struct {
	h    Harness
	mu   sync.Mutex
	seen []string // every key value the suite made, for leak checks
}

// issue makes a live key at the fake.
func (s *suite) issue(t *testing.T, name string) simapi.IssuedKey {
	t.Helper()
	k, err := s.h.Issuer.IssueKey(simapi.IssueRequest{Scope: s.h.Scope, Name: name, Created: s.h.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatalf("the fake cannot issue a key: %v", err)
	}
	s.mu.Lock()
	s.seen = append(s.seen, k.Value)
	s.mu.Unlock()
	if _, live, known := s.h.Issuer.KeyStatus(k.Value, s.h.Now()); !live || !known {
		t.Fatalf("the key the fake just issued is not live (live %v, known %v)", live, known)
	}
	return k
}

// kind returns a generic kind built with the harness's providers.
func (s *suite) kind(t *testing.T, name string) step.Kind {
	t.Helper()
	k := s.h.Providers.Kind(name)
	if k == nil {
		t.Fatalf("no %s kind", name)
	}
	return k
}

// call is a step call of the suite's incident.
func (s *suite) call(params map[string]any, asker step.Approver) *step.Call {
	return &step.Call{Incident: incident, StepID: "conformance", Params: params, Secrets: secret.NewRegistry(), Approver: asker,
		Log: func(string, ...any) {}}
}

// apply applies kind with params, failing the test on an error, and
// checks that no key value leaked into what it produced.
func (s *suite) apply(t *testing.T, kind string, params map[string]any, asker step.Approver) *step.Result {
	t.Helper()
	k := s.kind(t, kind)
	params["provider"] = s.h.Spec.Name
	c := s.call(params, asker)
	if _, err := k.Plan(context.Background(), c); err != nil {
		t.Fatalf("%s: plan: %v", kind, err)
	}
	res, err := k.Apply(context.Background(), c)
	s.noLeak(t, kind, k, res, err)
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	return res
}

// noLeak looks for every key value the suite made in a result's evidence,
// summary, non-secret outputs and error.
func (s *suite) noLeak(t *testing.T, kind string, k step.Kind, res *step.Result, err error) {
	t.Helper()
	var texts []string
	if err != nil {
		texts = append(texts, err.Error())
	}
	if res != nil {
		ev, _ := json.Marshal(res.Evidence)
		texts = append(texts, string(ev), res.Summary)
		spec := k.Spec()
		for name, v := range res.Outputs {
			if o, ok := spec.Output(name); ok && !o.Secret {
				texts = append(texts, fmt.Sprint(v))
			}
		}
	}
	all := strings.Join(texts, "\n")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.seen {
		if len(v) >= 12 && strings.Contains(all, v[len(v)/2-6:len(v)/2+6]) {
			t.Errorf("%s: what it produced holds (part of) a key's value", kind)
		}
	}
}

// identity is what key.identify found, as the playbook passes it on.
type identity map[string]any

func (s *suite) identify(t *testing.T, params map[string]any) identity {
	t.Helper()
	return identity(s.apply(t, "key.identify", params, nil).Outputs)
}

func (i identity) str(name string) string { v, _ := i[name].(string); return v }

// revokeParams are key.revoke's parameters from an identity.
func (i identity) revokeParams() map[string]any {
	return map[string]any{"scope": i.str("scope"), "key_id": i.str("key_id"), "owner_type": i.str("owner_type"),
		"owner_id": i.str("owner_id"), "key_name": i.str("key_name"), "already_gone": i["already_gone"]}
}

func (s *suite) identifyByID(t *testing.T) {
	if s.h.Spec.KeyID.Pattern == nil {
		t.Skipf("%s keys have no ID a person gives", s.h.Spec.Title)
	}
	k := s.issue(t, "by-id")
	params := map[string]any{"key_id": k.ID}
	if s.h.Spec.Scope.Required {
		params["scope"] = k.Scope
	}
	id := s.identify(t, params)
	if id.str("key_id") != k.ID {
		t.Errorf("identified %q, want %q", id.str("key_id"), k.ID)
	}
	if !s.h.Spec.KeyID.Owns(k.ID) {
		t.Errorf("the fake's key ID %q does not have the provider's declared shape (%s)", k.ID, s.h.Spec.KeyID.Shape)
	}
}

func (s *suite) identifyByValue(t *testing.T) {
	k := s.issue(t, "by-value")
	id := s.identify(t, map[string]any{"key": secret.New(k.Value)})
	if k.ID != "" && id.str("key_id") != k.ID {
		t.Errorf("identified %q, want %q", id.str("key_id"), k.ID)
	}
	if fp := secret.New(k.Value).Fingerprint(); id.str("fingerprint") != fp && !strings.Contains(k.Value, " ") {
		t.Errorf("fingerprint %q, want the value's %q", id.str("fingerprint"), fp)
	}
	// The value is recognized as this provider's when pasted.
	if s.h.Spec.Paste != nil {
		got, _, ok, err := provider.Recognize(k.Value)
		if err != nil || !ok || got.Name != s.h.Spec.Name {
			t.Errorf("a pasted key of the fake is not recognized as %s's: %v, %v", s.h.Spec.Name, ok, err)
		}
	}
}

func (s *suite) identifyByAlert(t *testing.T) {
	if s.h.Alert == nil || len(s.h.Spec.AlertTypes) == 0 {
		t.Skip("no secret-scanning alerts in this harness")
	}
	k := s.issue(t, "by-alert")
	typ := k.SecretType
	if typ == "" {
		typ = s.h.Spec.AlertTypes[0]
	}
	alert := s.h.Alert(t, k.Value, typ)
	// No provider is named: the alert's secret type says which.
	res, c := s.applyNoProvider(t, "key.identify", map[string]any{"alert": alert})
	id := identity(res.Outputs)
	if id.str("provider") != s.h.Spec.Name {
		t.Errorf("the alert's key is identified as %q's, want %q's", id.str("provider"), s.h.Spec.Name)
	}
	if k.ID != "" && id.str("key_id") != k.ID {
		t.Errorf("identified %q, want %q", id.str("key_id"), k.ID)
	}
	// What the alert shows is masked where it is secret only: the key's
	// ID is an identifier that plans and the journal hold as it is (a
	// resume reads it back from the journal). An alert on an AWS access
	// key ID shows the ID.
	if kid := id.str("key_id"); kid != "" && c.Secrets.MaskString(kid) != kid {
		t.Errorf("the key's ID %s is masked as a secret after identifying it by alert: %s", kid, c.Secrets.MaskString(kid))
	}
}

// applyNoProvider is apply without the provider parameter; it returns the
// call too.
func (s *suite) applyNoProvider(t *testing.T, kind string, params map[string]any) (*step.Result, *step.Call) {
	t.Helper()
	k := s.kind(t, kind)
	c := s.call(params, nil)
	res, err := k.Apply(context.Background(), c)
	s.noLeak(t, kind, k, res, err)
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	return res, c
}

func (s *suite) containAndVerify(t *testing.T) {
	k := s.issue(t, "contain")
	id := s.identify(t, map[string]any{"key": secret.New(k.Value)})
	s.apply(t, "key.revoke", id.revokeParams(), nil)
	if _, live, _ := s.h.Issuer.KeyStatus(k.Value, s.h.Now()); live {
		t.Fatalf("the fake says the key still works after key.revoke")
	}
	s.apply(t, "key.verify", map[string]any{"key": secret.New(k.Value), "expect": "dead", "within": time.Second}, nil)
	// Revoking again is fine: it is contained.
	s.apply(t, "key.revoke", id.revokeParams(), nil)
}

// person answers key.replace's question with a key a person made.
type person struct {
	value secret.Value
	asked int
}

func (p *person) Approve(context.Context, string) (step.Approval, error) {
	return step.Approval{Approved: true, By: "conformance", How: "--yes"}, nil
}
func (p *person) CanAsk() bool { return !p.value.IsZero() }
func (p *person) AskSecret(context.Context, string, string) (secret.Value, error) {
	p.asked++
	return p.value, nil
}

// replaceOnce makes a replacement of old as the playbook does and returns
// it with the step's result.
func (s *suite) replaceOnce(t *testing.T, id identity, name string) (secret.Credential, *step.Result) {
	t.Helper()
	params := map[string]any{"scope": id.str("scope"), "name": name, "key_id": id.str("key_id"),
		"owner_type": id.str("owner_type"), "owner_id": id.str("owner_id")}
	var asker step.Approver
	if s.h.Spec.Caps.Replace == provider.ByPerson {
		made := s.issue(t, "made-by-a-person")
		asker = &person{value: secret.New(made.Value)}
	}
	res := s.apply(t, "key.replace", params, asker)
	cred, ok := res.Outputs["credential"].(secret.Credential)
	if !ok || cred.IsZero() {
		t.Fatalf("key.replace gave no credential")
	}
	return cred, res
}

func (s *suite) replace(t *testing.T) {
	old := s.issue(t, "to-replace")
	id := s.identify(t, map[string]any{"key": secret.New(old.Value)})
	cred, res := s.replaceOnce(t, id, "respond-conformance-"+incident)
	main, _ := cred.Main()
	s.mu.Lock()
	s.seen = append(s.seen, main.Value().Reveal())
	s.mu.Unlock()
	if _, live, known := s.h.Issuer.KeyStatus(valueOf(cred), s.h.Now()); !live || !known {
		t.Fatalf("the fake does not know the replacement as a live key of its own (live %v, known %v)", live, known)
	}
	if res.Outputs["key_id"] == old.ID && old.ID != "" {
		t.Errorf("the replacement is the old key")
	}
	s.apply(t, "key.verify", map[string]any{"key": cred, "expect": "live", "within": time.Second}, nil)
	if s.h.Spec.Caps.Replace == provider.ByPerson {
		// Without anybody to ask, the step says how to finish and fails
		// permanently, changing nothing.
		k := s.kind(t, "key.replace")
		c := s.call(map[string]any{"provider": s.h.Spec.Name, "scope": id.str("scope"), "name": "respond-nobody-" + incident,
			"key_id": id.str("key_id")}, nil)
		_, err := k.Apply(context.Background(), c)
		if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "--replacement-stdin") {
			t.Errorf("key.replace with nobody to ask = %v; want a permanent error saying to resume with --replacement-stdin", err)
		}
	}
}

func (s *suite) reconcile(t *testing.T) {
	if s.h.Spec.Caps.Replace != provider.ByAPI {
		t.Skipf("%s replacements are made by a person: nothing of respond's is left by a crash", s.h.Spec.Title)
	}
	old := s.issue(t, "to-replace-crash")
	id := s.identify(t, map[string]any{"key": secret.New(old.Value)})
	_, p, err := s.h.Providers.Keys.Get(s.h.Spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	var checkpoint map[string]any
	r := provider.ReplaceRequest{Scope: id.str("scope"), Name: "respond-crash-" + incident, Incident: incident,
		Old: provider.KeyInfo{Provider: s.h.Spec.Name, ID: id.str("key_id"), Scope: id.str("scope"),
			Owner: ownerOf(id)},
		Checkpoint: func(m map[string]any) error { checkpoint = roundTrip(m); return nil }}
	// The create succeeds and the process dies: its value is lost.
	lost, _, err := p.Replace(context.Background(), r, func(string, ...any) {})
	if err != nil {
		t.Fatalf("Replace: %v", err)
	}
	lostMain, _ := lost.Main()
	s.mu.Lock()
	s.seen = append(s.seen, lostMain.Value().Reveal())
	s.mu.Unlock()
	// The next run reconciles, with what the attempt journaled.
	r.Since, r.Checkpointed = s.h.Now().Add(-time.Minute), checkpoint
	if _, err := p.Reconcile(context.Background(), r, func(string, ...any) {}); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if _, live, _ := s.h.Issuer.KeyStatus(valueOf(lost), s.h.Now()); live {
		t.Errorf("what the interrupted replace made still works after Reconcile: a replacement nobody holds")
	}
	// The old key is untouched by the clean-up.
	if _, live, _ := s.h.Issuer.KeyStatus(old.Value, s.h.Now()); !live {
		t.Errorf("Reconcile killed the key being replaced")
	}
}

func (s *suite) retire(t *testing.T) {
	k := s.issue(t, "retire")
	id := s.identify(t, map[string]any{"key": secret.New(k.Value)})
	rev := s.apply(t, "key.revoke", id.revokeParams(), nil)
	reversible, _ := rev.Outputs["reversible"].(bool)
	if reversible != (s.h.Spec.Caps.Contain == provider.Deactivate) {
		t.Errorf("key.revoke says reversible=%v; the provider declares Contain %q", reversible, s.h.Spec.Caps.Contain)
	}
	s.apply(t, "key.retire", map[string]any{"scope": id.str("scope"), "key_id": id.str("key_id"), "owner_id": id.str("owner_id")}, nil)
	if _, live, _ := s.h.Issuer.KeyStatus(k.Value, s.h.Now()); live {
		t.Errorf("a retired key works")
	}
	// Retiring twice is fine.
	s.apply(t, "key.retire", map[string]any{"scope": id.str("scope"), "key_id": id.str("key_id"), "owner_id": id.str("owner_id")}, nil)
}

func ownerOf(id identity) (o evidence.Owner) {
	o.Type, o.ID, o.Name = id.str("owner_type"), id.str("owner_id"), id.str("owner_name")
	return o
}

// roundTrip passes a checkpoint through JSON, as the journal does.
func roundTrip(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
