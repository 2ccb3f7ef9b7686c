package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/step"
)

// The adapter against googlesim, through the real client; the world's
// truth is the fake's (Snapshot, KeyStatus), not the adapter's answers.

const incident = "INC-20261207-120000-c0f0"

// adapterFor is the provider over w's client (its short backoff), with
// the simulator's environment.
func adapterFor(t *testing.T, w *world) adapter {
	t.Helper()
	env := w.sim.Env()
	pe := plugin.New(func(k string) string { return env[k] }, nil, nil)
	pe.Provide(SharedKey, w.c)
	return adapter{env: pe}
}

// worldKey is a key as the fake's world holds it.
type worldKey struct {
	Name                string            `json:"name"`
	UID                 string            `json:"uid"`
	DisplayName         string            `json:"displayName"`
	Annotations         map[string]string `json:"annotations"`
	Restrictions        json.RawMessage   `json:"restrictions"`
	ServiceAccountEmail string            `json:"serviceAccountEmail"`
	State               string            `json:"state"`
	KeyString           string            `json:"keyString"`
}

// keys are the world's keys, in creation order.
func (w *world) keys(t *testing.T) []worldKey {
	t.Helper()
	b, err := json.Marshal(w.fake.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Keys []worldKey `json:"keys"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s.Keys
}

// key is the world's key named name.
func (w *world) key(t *testing.T, name string) worldKey {
	t.Helper()
	for _, k := range w.keys(t) {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("the world has no key %s", name)
	return worldKey{}
}

func (w *world) issue(t *testing.T, req simapi.IssueRequest) simapi.IssuedKey {
	t.Helper()
	k, err := w.fake.IssueKey(req)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (w *world) live(value string) bool {
	_, live, _ := w.fake.KeyStatus(value, time.Now())
	return live
}

func cred(v string) secret.Credential { return credentialOf(secret.New(v)) }

func nolog(string, ...any) {}

func TestReplaceCopiesEveryRestriction(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	a := adapterFor(t, w)
	ctx := t.Context()
	targets := "generativelanguage.googleapis.com=ListModels|Get*,translate.googleapis.com"
	for i, attrs := range []map[string]string{
		{"referrers": "https://app.example.com/*,*.example.org/*", "api_targets": targets},
		{"ips": "10.0.0.1,192.168.0.0/16,2001:db8::/32", "annotation.team": "payments"},
		{"android_apps": "com.example.a=DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09", "api_targets": targets},
		{"ios_bundle_ids": "com.example.ios,com.example.ios.beta"},
		{"api_targets": targets, "service_account": "gemini@payments-prod.iam.gserviceaccount.com"},
		{},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			leaked := w.issue(t, simapi.IssueRequest{Scope: "payments-prod", Name: "Gemini prod", Attrs: attrs})
			old, err := a.FindByValue(ctx, "", cred(leaked.Value))
			if err != nil || old == nil {
				t.Fatalf("FindByValue: %v, %v", old, err)
			}
			var checkpoint map[string]any
			r := provider.ReplaceRequest{Scope: old.Scope, Name: "respond-gemini-" + incident, Incident: incident, Old: *old,
				Checkpoint: func(m map[string]any) error {
					// Journaled before the create: the key is not there yet.
					for _, k := range w.keys(t) {
						if strings.HasSuffix(k.Name, "/"+m["key_id"].(string)) {
							t.Errorf("the checkpoint came after the create")
						}
					}
					checkpoint = m
					return nil
				}}
			got, ev, err := a.Replace(ctx, r, nolog)
			if err != nil {
				t.Fatal(err)
			}
			main, _ := got.Main()
			made, was := w.key(t, ev.KeyID), w.key(t, leaked.ID)
			if made.KeyString != main.Value().Reveal() || !w.live(made.KeyString) || made.KeyString == leaked.Value {
				t.Fatalf("the replacement credential is not the world's new live key %s", ev.KeyID)
			}
			if string(made.Restrictions) != string(was.Restrictions) {
				t.Errorf("restrictions differ:\nleaked      %s\nreplacement %s", was.Restrictions, made.Restrictions)
			}
			if (len(attrs) > 0) == (len(made.Restrictions) == 0) {
				t.Errorf("the replacement's restrictions are %s, from %v", made.Restrictions, attrs)
			}
			if made.ServiceAccountEmail != was.ServiceAccountEmail {
				t.Errorf("bound to %q, the leaked key to %q", made.ServiceAccountEmail, was.ServiceAccountEmail)
			}
			if made.DisplayName != "Gemini prod "+incident {
				t.Errorf("display name %q", made.DisplayName)
			}
			if made.Annotations[annotationIncident] != incident || made.Annotations[annotationReplaces] != was.UID ||
				made.Annotations["team"] != was.Annotations["team"] {
				t.Errorf("annotations %v (the leaked key's: %v)", made.Annotations, was.Annotations)
			}
			if want := KeyName(checkpoint["project"].(string), checkpoint["key_id"].(string)); want != ev.KeyID {
				t.Errorf("journaled %s, made %s", want, ev.KeyID)
			}
			if ev.Fingerprint != main.Value().Fingerprint() || ev.Scope != old.Scope || ev.PermissionsHint == "" {
				t.Errorf("evidence %+v", ev)
			}
			if b, _ := json.Marshal(ev); strings.Contains(string(b), leaked.Value) || strings.Contains(string(b), made.KeyString) {
				t.Errorf("the evidence holds a key: %s", b)
			}
			// The leaked key is untouched.
			if !w.live(leaked.Value) {
				t.Errorf("Replace killed the leaked key")
			}
			// A check of the replacement: its restrictions may forbid
			// the call, but Google knows it, so it is alive.
			kc, err := a.Check(ctx, got)
			if err != nil || kc.State == provider.KeyDead {
				t.Errorf("Check(replacement) = %+v, %v", kc, err)
			}
		})
	}
}

func TestReplaceDeletesTheEarlierRunsKeyAndReplacesADeletedKey(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	a := adapterFor(t, w)
	ctx := t.Context()
	leaked := w.issue(t, simapi.IssueRequest{Name: "web", Attrs: map[string]string{"referrers": "https://web.example/*"}})
	old, _ := a.FindByValue(ctx, "", cred(leaked.Value))
	// Contain first: the leaked key is deleted, its restrictions still read.
	if _, err := a.Revoke(ctx, *old, nolog); err != nil {
		t.Fatal(err)
	}
	r := provider.ReplaceRequest{Scope: old.Scope, Name: "respond-web-" + incident, Incident: incident, Old: *old}
	first, ev1, err := a.Replace(ctx, r, nolog)
	if err != nil {
		t.Fatal(err)
	}
	r.Previous = &ev1
	second, ev2, err := a.Replace(ctx, r, nolog)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := first.Main()
	m2, _ := second.Main()
	if ev1.KeyID == ev2.KeyID || w.live(m1.Value().Reveal()) || !w.live(m2.Value().Reveal()) {
		t.Errorf("after a second apply: first %s live %v, second %s live %v; want only the second live",
			ev1.KeyID, w.live(m1.Value().Reveal()), ev2.KeyID, w.live(m2.Value().Reveal()))
	}
	if len(ev2.DeletedLeftovers) != 1 || ev2.DeletedLeftovers[0] != ev1.KeyID {
		t.Errorf("deleted leftovers %v, want [%s]", ev2.DeletedLeftovers, ev1.KeyID)
	}
	if string(w.key(t, ev2.KeyID).Restrictions) != string(w.key(t, leaked.ID).Restrictions) {
		t.Errorf("the replacement of a deleted key lost its restrictions")
	}
	// A key named only by its value (purged) cannot be copied: no key is
	// made with restrictions guessed.
	before := len(w.keys(t))
	_, _, err = a.Replace(ctx, provider.ReplaceRequest{Scope: old.Scope, Name: "respond-x-" + incident, Incident: incident}, nolog)
	if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "restrictions cannot be copied") {
		t.Errorf("Replace without the old key = %v", err)
	}
	if len(w.keys(t)) != before {
		t.Errorf("a key was made without the old key's restrictions")
	}
}

func TestReconcileDeletesOnlyWhatTheInterruptedAttemptMade(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	a := adapterFor(t, w)
	ctx := t.Context()
	leaked := w.issue(t, simapi.IssueRequest{Name: "k"})
	bystander := w.issue(t, simapi.IssueRequest{Name: "respond-k-" + incident})
	old, _ := a.FindByValue(ctx, "", cred(leaked.Value))
	var checkpoint map[string]any
	r := provider.ReplaceRequest{Scope: old.Scope, Name: "respond-k-" + incident, Incident: incident, Old: *old,
		Checkpoint: func(m map[string]any) error {
			b, _ := json.Marshal(m) // as the journal keeps it
			return json.Unmarshal(b, &checkpoint)
		}}
	lost, _, err := a.Replace(ctx, r, nolog)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing journaled: the attempt never reached the create.
	if got, err := a.Reconcile(ctx, provider.ReplaceRequest{Scope: old.Scope, Name: r.Name}, nolog); err != nil || len(got) != 0 {
		t.Errorf("Reconcile without a checkpoint = %v, %v", got, err)
	}
	r.Checkpointed = checkpoint
	got, err := a.Reconcile(ctx, r, nolog)
	lm, _ := lost.Main()
	if err != nil || len(got) != 1 || w.live(lm.Value().Reveal()) {
		t.Errorf("Reconcile = %v, %v; the lost key live: %v", got, err, w.live(lm.Value().Reveal()))
	}
	if !w.live(leaked.Value) || !w.live(bystander.Value) {
		t.Errorf("Reconcile killed a key it did not make")
	}
	// Again: nothing more to do.
	if got, err := a.Reconcile(ctx, r, nolog); err != nil || len(got) != 0 {
		t.Errorf("second Reconcile = %v, %v", got, err)
	}
	// A journal that names no key of the API's shape is refused, not sent.
	r.Checkpointed = map[string]any{"project": "p/../../x", "key_id": "k"}
	if _, err := a.Reconcile(ctx, r, nolog); err == nil {
		t.Errorf("Reconcile of a hostile checkpoint succeeded")
	}
}

func TestRevokeDeletesAndSaysWhatWasThere(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	a := adapterFor(t, w)
	ctx := t.Context()
	live := w.issue(t, simapi.IssueRequest{Name: "live"})
	ki, _ := a.FindByID(ctx, "", live.ID)
	ch, err := a.PlanRevoke(ctx, provider.KeyInfo{ID: live.ID})
	if err != nil || ch.Action != step.Delete || !strings.Contains(ch.Effect, "undeletable for 30 days") ||
		!strings.Contains(ch.Effect, "gcloud services api-keys undelete") || !strings.Contains(ch.Target, `"live"`) {
		t.Errorf("PlanRevoke = %+v, %v", ch, err)
	}
	// The plan says how to undo it in the words the capability declares,
	// so the revoke step does not say it a second time in brackets.
	if undo := Spec().Caps.Undo; !strings.Contains(ch.Effect, undo) {
		t.Errorf("PlanRevoke's effect %q does not hold the declared undo %q: the plan would repeat it", ch.Effect, undo)
	}
	var logged []string
	ev, err := a.Revoke(ctx, *ki, func(f string, args ...any) { logged = append(logged, fmt.Sprintf(f, args...)) })
	if err != nil || ev.AlreadyDisabled || !ev.Contained || ev.Reversible || ev.KeyID != live.ID {
		t.Errorf("Revoke = %+v, %v", ev, err)
	}
	if w.live(live.Value) || w.key(t, live.ID).State != "deleted" {
		t.Errorf("the world has the key %s", w.key(t, live.ID).State)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "undeletable for 30 days") {
		t.Errorf("logged %q", logged)
	}
	// Again: already deleted.
	if ev, err := a.Revoke(ctx, *ki, nolog); err != nil || !ev.AlreadyDisabled {
		t.Errorf("second Revoke = %+v, %v", ev, err)
	}
	if ch, _ := a.PlanRevoke(ctx, provider.KeyInfo{ID: live.ID}); ch.Action != step.NoOp {
		t.Errorf("PlanRevoke of a deleted key = %+v", ch)
	}
	// Purged (deleted more than 30 days ago): contained as well.
	purged := w.issue(t, simapi.IssueRequest{Name: "old", Attrs: map[string]string{"deleted": "2026-09-01T00:00:00Z"}})
	if ev, err := a.Revoke(ctx, provider.KeyInfo{ID: purged.ID}, nolog); err != nil || !ev.AlreadyDisabled || ev.Method != "already purged" {
		t.Errorf("Revoke(purged) = %+v, %v", ev, err)
	}
	// A project the credentials may not touch: permanent, with what to do.
	w.fake.DenyProject("denied-project", true)
	_, err = a.Revoke(ctx, provider.KeyInfo{ID: KeyName("denied-project", "k")}, nolog)
	if !step.IsPermanent(err) || !strings.Contains(err.Error(), "roles/serviceusage.apiKeysAdmin") {
		t.Errorf("Revoke(denied) = %v", err)
	}
}

func TestIdentify(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	a := adapterFor(t, w)
	ctx := t.Context()
	plain := w.issue(t, simapi.IssueRequest{Scope: "shop-prod", Name: "maps"})
	named := w.issue(t, simapi.IssueRequest{Scope: "shop-prod", Name: "gemini", Attrs: map[string]string{"key_id": "gemini-backend"}})
	twin1 := w.issue(t, simapi.IssueRequest{Scope: "shop-prod", Name: "twin"})
	twin2 := w.issue(t, simapi.IssueRequest{Scope: "shop-prod", Name: "twin"})
	project, _, _ := ParseKeyName(plain.ID)
	namedKey, _ := w.c.GetKey(ctx, named.ID)

	for _, c := range []struct{ scope, id, want string }{
		{"", plain.ID, plain.ID},
		{project, plain.ID, plain.ID},
		{"shop-prod", plain.ID, plain.ID},                                      // an ID and a number cannot be compared: not refused
		{"shop-prod", plain.ID[strings.LastIndex(plain.ID, "/")+1:], plain.ID}, // uid = key ID
		{"shop-prod", "gemini-backend", named.ID},
		{"shop-prod", namedKey.UID, named.ID}, // by uid, for a key with an ID of its own
	} {
		k, err := a.FindByID(ctx, c.scope, c.id)
		if err != nil || k == nil || k.ID != c.want || k.Scope != project {
			t.Errorf("FindByID(%q, %q) = %+v, %v; want %s", c.scope, c.id, k, err, c.want)
		}
	}
	if k, err := a.FindByID(ctx, "", KeyName(project, "nope")); k != nil || err != nil {
		t.Errorf("FindByID(unknown) = %+v, %v", k, err)
	}
	if _, err := a.FindByID(ctx, "111111111111", plain.ID); !errors.Is(err, step.ErrBadInput) {
		t.Errorf("FindByID in another project = %v, want bad input", err)
	}
	if _, err := a.FindByID(ctx, "", "gemini-backend"); !errors.Is(err, step.ErrBadInput) {
		t.Errorf("FindByID of a bare ID without a project = %v, want bad input", err)
	}

	k, err := a.FindByName(ctx, "shop-prod", "gemini")
	if err != nil || k == nil || k.ID != named.ID {
		t.Errorf("FindByName = %+v, %v", k, err)
	}
	if _, err := a.FindByName(ctx, "shop-prod", "twin"); !errors.Is(err, step.ErrBadInput) ||
		!strings.Contains(err.Error(), twin1.ID) || !strings.Contains(err.Error(), twin2.ID) {
		t.Errorf("FindByName(ambiguous) = %v", err)
	}
	if k, err := a.FindByName(ctx, "shop-prod", "nobody"); k != nil || err != nil {
		t.Errorf("FindByName(none) = %+v, %v", k, err)
	}

	k, err = a.FindByValue(ctx, "", cred(plain.Value))
	if err != nil || k == nil || k.ID != plain.ID || k.Name != "maps" || k.Status != "active" || k.Redacted == "" ||
		strings.Contains(k.Redacted, plain.Value[4:20]) {
		t.Errorf("FindByValue = %+v, %v", k, err)
	}
	if _, err := a.FindByValue(ctx, "111111111111", cred(plain.Value)); !errors.Is(err, step.ErrBadInput) {
		t.Errorf("FindByValue in another project = %v", err)
	}
	if k, err := a.FindByValue(ctx, "", cred("AIza"+strings.Repeat("0", 35))); k != nil || err != nil {
		t.Errorf("FindByValue(unknown) = %+v, %v", k, err)
	}
	if !a.Matches(*k0(a, t, plain.ID), cred(plain.Value)) || a.Matches(*k0(a, t, plain.ID), cred(named.Value)) {
		t.Errorf("Matches cannot tell the key's value from another key's")
	}

	// A key bound to a service account names it as its owner.
	bound := w.issue(t, simapi.IssueRequest{Name: "b", Attrs: map[string]string{"service_account": "bot@p.iam.gserviceaccount.com"}})
	if k, _ := a.FindByID(ctx, "", bound.ID); k.Owner.Type != "service_account" || k.Owner.Email != "bot@p.iam.gserviceaccount.com" {
		t.Errorf("owner of a bound key: %+v", k.Owner)
	}

	keys, err := a.ListKeys(ctx, "shop-prod")
	if err != nil || len(keys) != 4 {
		t.Errorf("ListKeys = %d keys, %v; want 4", len(keys), err)
	}
	scopes, err := a.Scopes(ctx)
	if err != nil || len(scopes) != 1 || scopes[0].ID != googlesim.DefaultProject {
		t.Errorf("Scopes = %+v, %v; want the credentials file's project", scopes, err)
	}
}

func k0(a adapter, t *testing.T, id string) *provider.KeyInfo {
	t.Helper()
	k, err := a.FindByID(t.Context(), "", id)
	if err != nil || k == nil {
		t.Fatalf("FindByID(%s) = %v, %v", id, k, err)
	}
	return k
}

func TestCheckListedLastUsedAndRetire(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	a := adapterFor(t, w)
	ctx := t.Context()
	k := w.issue(t, simapi.IssueRequest{Name: "k"})
	blocked := w.issue(t, simapi.IssueRequest{Name: "maps", Attrs: map[string]string{"api_targets": "maps-backend.googleapis.com"}})
	ki := k0(a, t, k.ID)

	for _, c := range []struct {
		value string
		want  provider.KeyState
		code  string
	}{
		{k.Value, provider.KeyLive, ""},
		{blocked.Value, provider.KeyRestricted, "API_KEY_SERVICE_BLOCKED"},
		{"AIza" + strings.Repeat("0", 35), provider.KeyDead, "API_KEY_INVALID"},
	} {
		kc, err := a.Check(ctx, cred(c.value))
		if err != nil || kc.State != c.want || kc.Code != c.code || kc.Method != checkMethod {
			t.Errorf("Check = %+v, %v; want %s %s", kc, err, c.want, c.code)
		}
	}
	if listed, err := a.Listed(ctx, *ki); err != nil || !listed {
		t.Errorf("Listed(live) = %v, %v", listed, err)
	}
	if lu, err := a.LastUsed(ctx, *ki); err != nil || lu != nil {
		t.Errorf("LastUsed(live) = %v, %v; want unknown", lu, err)
	}
	u, err := a.Usage(ctx, *ki, time.Now().Add(-time.Hour), time.Now(), nolog)
	if err != nil || !u.NotCounted || len(u.Buckets) != 0 || u.Source == "" {
		t.Errorf("Usage = %+v, %v; want not counted, and where to look", u, err)
	}
	if _, err := a.Retire(ctx, *ki); err == nil || !strings.Contains(err.Error(), "live again") {
		t.Errorf("Retire of a live key = %v, want an error for a person", err)
	}

	if _, err := a.Revoke(ctx, *ki, nolog); err != nil {
		t.Fatal(err)
	}
	kc, err := a.Check(ctx, cred(k.Value))
	if err != nil || kc.State != provider.KeyDead || kc.Code != "API_KEY_INVALID" || kc.StatusCode != 400 {
		t.Errorf("Check(deleted) = %+v, %v", kc, err)
	}
	if listed, err := a.Listed(ctx, *ki); err != nil || listed {
		t.Errorf("Listed(deleted) = %v, %v", listed, err)
	}
	if _, err := a.LastUsed(ctx, *ki); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("LastUsed(deleted) = %v, want not found", err)
	}
	ev, err := a.Retire(ctx, *ki)
	if err != nil || ev.Deleted || !strings.Contains(ev.Method, "nothing to do") {
		t.Errorf("Retire = %+v, %v", ev, err)
	}
	if w.live(k.Value) {
		t.Errorf("Retire brought the key back")
	}

	// When the Generative Language API fails, the API Keys API says a
	// deleted key is dead; of a live key nobody can tell.
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/google/v1beta/models", Status: 503, Count: 100}); err != nil {
		t.Fatal(err)
	}
	kc, err = a.Check(ctx, cred(k.Value))
	if err != nil || kc.State != provider.KeyDead || !strings.Contains(kc.Method, "deleted") {
		t.Errorf("Check(deleted, check failing) = %+v, %v", kc, err)
	}
	if kc, err := a.Check(ctx, cred(blocked.Value)); err == nil {
		t.Errorf("Check(live, check failing) = %+v, want an error", kc)
	}
}

func TestCheckCountsADisabledAPIAsAlive(t *testing.T) {
	t.Parallel()
	// Google's answer to a valid key of a project where the Generative
	// Language API is off (a stand-in for that one endpoint: the fake
	// does not model enabled services).
	gl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":{"code":403,"message":"Generative Language API has not been used in project 123 before or it is disabled.",` +
			`"status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","domain":"googleapis.com"}]}}`))
	}))
	t.Cleanup(gl.Close)
	w := startWorld(t)
	c, err := New(t.Context(), Config{Endpoint: w.sim.Env()[EnvAPIKeysURL], GenerativeLanguageURL: gl.URL,
		CredentialsFile: w.sim.Env()[EnvCredentials]})
	if err != nil {
		t.Fatal(err)
	}
	pe := plugin.New(func(string) string { return "" }, nil, nil)
	pe.Provide(SharedKey, c)
	kc, err := adapter{env: pe}.Check(t.Context(), cred(testKey))
	if err != nil || kc.State != provider.KeyDenied || kc.Code != "SERVICE_DISABLED" {
		t.Errorf("Check = %+v, %v; want denied (alive, never dead)", kc, err)
	}
}

func TestAdoptAndDiscard(t *testing.T) {
	t.Parallel()
	w := startWorld(t)
	a := adapterFor(t, w)
	ctx := t.Context()
	old := w.issue(t, simapi.IssueRequest{Name: "old"})
	byHand := w.issue(t, simapi.IssueRequest{Name: "made by a person"})
	oldKey := k0(a, t, old.ID)
	r := provider.ReplaceRequest{Scope: oldKey.Scope, Name: "respond-x-" + incident, Incident: incident, Old: *oldKey}
	ev, err := a.Adopt(ctx, r, cred(byHand.Value))
	if err != nil || !ev.Adopted || ev.KeyID != byHand.ID {
		t.Errorf("Adopt = %+v, %v", ev, err)
	}
	if _, err := a.Adopt(ctx, r, cred(old.Value)); !errors.Is(err, step.ErrBadInput) {
		t.Errorf("Adopt(the old key) = %v", err)
	}
	// Discard never deletes a key a person made; it deletes respond's.
	if err := a.Discard(ctx, ev, nolog); err != nil || !w.live(byHand.Value) {
		t.Errorf("Discard(adopted) = %v; the key live: %v", err, w.live(byHand.Value))
	}
	_, made, err := a.Replace(ctx, r, nolog)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Discard(ctx, made, nolog); err != nil || w.key(t, made.KeyID).State != "deleted" {
		t.Errorf("Discard = %v; the world has it %s", err, w.key(t, made.KeyID).State)
	}
	if err := a.Discard(ctx, made, nolog); err != nil {
		t.Errorf("Discard again = %v", err)
	}
}

// The report's advice on restricting keys follows the leaked key's own
// restrictions: none asked of a key restricted both ways, the missing way
// named for a key restricted one way, the declared advice for a key with
// none.
func TestAdviceFollowsRestrictions(t *testing.T) {
	ips := &ServerRestriction{AllowedIPs: []string{"10.0.0.0/8"}}
	apis := []APITarget{{Service: "generativelanguage.googleapis.com"}}
	cases := []struct {
		name      string
		r         Restrictions
		own       bool
		wantEmpty bool
		want      string
	}{
		{name: "none", r: Restrictions{}, own: false},
		{name: "ip and api", r: Restrictions{Server: ips, APITargets: apis}, own: true, wantEmpty: true},
		{name: "ip only", r: Restrictions{Server: ips}, own: true, want: "not to any API"},
		{name: "api only", r: Restrictions{APITargets: apis}, own: true, want: "could be used from anywhere"},
	}
	for _, c := range cases {
		ki := keyInfo(Key{Name: KeyName("p", "k"), Project: "p", Restrictions: c.r})
		if (ki.Advice != nil) != c.own {
			t.Errorf("%s: own advice %v, want %v", c.name, ki.Advice != nil, c.own)
			continue
		}
		if ki.Advice == nil {
			continue
		}
		if c.wantEmpty != (ki.Advice.AllowList == "") || !strings.Contains(ki.Advice.AllowList, c.want) {
			t.Errorf("%s: advice %q, want empty %v containing %q", c.name, ki.Advice.AllowList, c.wantEmpty, c.want)
		}
		if ki.Advice.Console == "" || ki.Advice.Review == "" {
			t.Errorf("%s: the key's advice lost the declared console and review words: %+v", c.name, *ki.Advice)
		}
	}
}
