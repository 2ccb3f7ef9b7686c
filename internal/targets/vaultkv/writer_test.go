package vaultkv_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"
	"github.com/respondhq/respond/internal/targets/vaultkv"
	"github.com/respondhq/respond/internal/targets/vaultkv/vaultsim"
)

// writer is the vault-kv writer as respond builds it, its plug-in
// environment pointing at the world with the named token (and, if set,
// VAULT_NAMESPACE).
func (w *world) writer(t *testing.T, token, namespace string) (target.Writer, *plugin.Env) {
	t.Helper()
	spec, ok := target.Lookup(vaultkv.Type)
	if !ok {
		t.Fatal("vault-kv is not registered")
	}
	env := map[string]string{"VAULT_ADDR": w.sim.Env()["VAULT_ADDR"], "VAULT_TOKEN": w.vault.Token(token), "VAULT_NAMESPACE": namespace}
	pe := plugin.New(func(k string) string { return env[k] }, nil, nil)
	return spec.New(pe), pe
}

func vaultTarget(fields map[string]any) target.Target {
	base := map[string]any{"path": "app/prod", "field": "OPENAI_API_KEY"}
	for k, v := range fields {
		if v == nil {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	return target.New(vaultkv.Type, base)
}

// versionData is the data of version v of secret/app/prod, as the world
// holds it.
func (w *world) versionData(t *testing.T, path string, v int) map[string]any {
	t.Helper()
	for _, ns := range w.vault.Snapshot().(*vaultsim.Snapshot).Namespaces {
		for _, m := range ns.Mounts {
			for _, s := range m.Secrets {
				if ns.Path == "" && m.Path == "secret/" && s.Path == path {
					for _, ver := range s.Versions {
						if ver.Version == v {
							return ver.Data
						}
					}
				}
			}
		}
	}
	t.Fatalf("secret/%s has no version %d", path, v)
	return nil
}

// A write sets one field as a new version with every other field kept,
// and names the version to roll back to with the Vault CLI's command;
// writing it again writes nothing.
func TestWriterWritesANewVersion(t *testing.T) {
	w := start(t)
	wr, pe := w.writer(t, vaultsim.TokenAdmin, "")
	ctx := context.Background()
	tg := vaultTarget(nil)
	if tg.ID() != "vault-kv:secret/app/prod#OPENAI_API_KEY" {
		t.Errorf("ID %s", tg.ID())
	}
	if err := wr.Check(ctx, tg); err != nil {
		t.Fatal(err)
	}
	ch, err := wr.Plan(ctx, tg)
	if err != nil || ch.Action != step.Update || !strings.Contains(ch.Effect, "set field OPENAI_API_KEY of secret/app/prod as version 3 with check-and-set, keeping its 1 other field; version 2 stays readable") {
		t.Errorf("plan: %v %s %q", err, ch.Action, ch.Effect)
	}
	if w.count("PUT", "/data/") != 0 {
		t.Fatal("check or plan wrote")
	}
	res, err := wr.Write(ctx, tg, secret.New("sk-new"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || res.Rollback != "vault kv rollback -mount=secret -version=2 app/prod" || !strings.Contains(res.Detail, "as version 3, kept its 1 other field; the previous value is version 2") {
		t.Errorf("result %+v", res)
	}
	if got := w.versionData(t, "app/prod", 3); got["OPENAI_API_KEY"] != "sk-new" || got["SENTRY_DSN"] != "https://sentry" || len(got) != 2 {
		t.Errorf("version 3 holds %v", got)
	}
	if got := w.versionData(t, "app/prod", 2); got["OPENAI_API_KEY"] != "sk-old" {
		t.Errorf("version 2, the rollback, holds %v", got)
	}
	// The token is masked from the start.
	if tok := w.vault.Token(vaultsim.TokenAdmin); pe.Secrets.MaskString("token "+tok) == "token "+tok {
		t.Error("VAULT_TOKEN is not masked")
	}

	// Again: nothing written.
	puts := w.count("PUT", "/data/")
	res, err = wr.Write(ctx, tg, secret.New("sk-new"))
	if err != nil || w.count("PUT", "/data/") != puts || w.vault.Version("secret", "app/prod") != 3 || !strings.Contains(res.Detail, "already holds the value (version 3)") {
		t.Errorf("a second write: %v, %d puts (had %d), version %d, %q", err, w.count("PUT", "/data/"), puts, w.vault.Version("secret", "app/prod"), res.Detail)
	}
	// A new field is added, and said to be.
	ch, _ = wr.Plan(ctx, vaultTarget(map[string]any{"field": "NEW"}))
	res, err = wr.Write(ctx, vaultTarget(map[string]any{"field": "NEW"}), secret.New("x"))
	if err != nil || !res.Created || ch.Action != step.Create || !strings.Contains(ch.Effect, "add field NEW to secret/app/prod as version 4 with check-and-set, keeping its 2 other fields") {
		t.Errorf("a new field: %v %+v; plan %s %q", err, res, ch.Action, ch.Effect)
	}
	// The Reader reads it back; an empty place is step.ErrNotFound.
	rd := wr.(target.Reader)
	if v, err := rd.Read(ctx, tg, ""); err != nil || v.Reveal() != "sk-new" {
		t.Errorf("Read: %v", err)
	}
	if _, err := rd.Read(ctx, vaultTarget(map[string]any{"field": "NOPE"}), ""); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("Read of a missing field: %v", err)
	}
}

// Two targets naming two fields of one secret, written at once, do not
// refuse each other's check-and-set: the writer writes one secret one
// write at a time, and both fields land.
func TestWriterTwoFieldsOfOneSecretAtOnce(t *testing.T) {
	w := start(t)
	wr, _ := w.writer(t, vaultsim.TokenAdmin, "")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i, f := range []string{"A", "B", "C", "D"} {
		wg.Go(func() {
			_, errs[i] = wr.Write(context.Background(), vaultTarget(map[string]any{"field": f}), secret.New("v-"+f))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got := w.versionData(t, "app/prod", 6); len(got) != 6 || got["A"] != "v-A" || got["D"] != "v-D" || got["SENTRY_DSN"] != "https://sentry" {
		t.Errorf("version 6 holds %v", got)
	}
}

// Someone writes the secret between respond's read and its write: Vault
// refuses respond's check-and-set, their version stays, and the write
// fails for good saying what happened and what to do.
func TestWriterReportsAConcurrentChange(t *testing.T) {
	w := start(t)
	wr, _ := w.writer(t, vaultsim.TokenAdmin, "")
	if _, err := w.sim.AddFault(sim.Fault{Method: "PUT", Path: "/vault/v1/secret/data/app/prod", Delay: sim.Duration(2 * time.Second), Count: 1}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := wr.Write(context.Background(), vaultTarget(nil), secret.New("sk-respond"))
		done <- err
	}()
	// The write is held at the simulator once it arrived; the other
	// writer writes meanwhile.
	for deadline := time.Now().Add(20 * time.Second); w.sim.Faults()[0].Fired == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("respond never sent its write")
		}
	}
	if err := w.vault.PutSecret("secret/app/prod#OPENAI_API_KEY", "sk-theirs"); err != nil {
		t.Fatal(err)
	}
	err := <-done
	if !errors.Is(err, vaultkv.ErrConcurrentChange) || !step.IsPermanent(err) {
		t.Fatalf("a concurrent change: %v (permanent %v)", err, step.IsPermanent(err))
	}
	for _, want := range []string{"vault-kv:secret/app/prod#OPENAI_API_KEY", "it was at version 2 and is at version 3 now", "nothing was overwritten", "the replacement is NOT in this secret", "respond resume"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "sk-respond") || strings.Contains(err.Error(), "sk-theirs") {
		t.Error("the error holds a value")
	}
	if v, _ := w.vault.SecretValue("secret/app/prod#OPENAI_API_KEY"); v != "sk-theirs" || w.vault.Version("secret", "app/prod") != 3 {
		t.Errorf("the other writer's version: %q at version %d", v, w.vault.Version("secret", "app/prod"))
	}
}

// Preflight refuses, before any change, a token that may not write, a
// mount that is not KV version 2, a secret that does not exist and a
// token Vault does not know, each naming the target and wrapping
// step.ErrPreflight; namespaces come from the target or VAULT_NAMESPACE.
func TestWriterPreflight(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	admin, _ := w.writer(t, vaultsim.TokenAdmin, "")
	readonly, _ := w.writer(t, vaultsim.TokenReadOnly, "")
	for _, tc := range []struct {
		wr   target.Writer
		tg   target.Target
		want string
	}{
		{readonly, vaultTarget(nil), "the token may not update secret/data/app/prod"},
		{admin, vaultTarget(map[string]any{"mount": "legacy", "path": "app"}), "is KV version 1, not KV version 2"},
		{admin, vaultTarget(map[string]any{"path": "app/none"}), "secret/app/none"},
		{admin, vaultTarget(map[string]any{"namespace": vaultsim.Namespace}), "secret/app/prod"}, // the namespace has no such secret
	} {
		err := tc.wr.Check(ctx, tc.tg)
		if !errors.Is(err, step.ErrPreflight) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), tc.tg.ID()) {
			t.Errorf("%s: %v, want a preflight problem saying %q", tc.tg.ID(), err, tc.want)
		}
	}
	// VAULT_NAMESPACE is the default namespace; the target's wins.
	if err := w.vault.PutSecret("secret/app/prod#OPENAI_API_KEY", "sk-old"); err != nil {
		t.Fatal(err)
	}
	team, _ := w.writer(t, vaultsim.TokenAdmin, vaultsim.Namespace)
	if err := team.Check(ctx, vaultTarget(nil)); !errors.Is(err, step.ErrPreflight) {
		t.Errorf("with VAULT_NAMESPACE=%s the root's secret was found: %v", vaultsim.Namespace, err)
	}
	if err := team.Check(ctx, vaultTarget(map[string]any{"namespace": "/"})); err == nil {
		t.Error("an empty namespace was accepted")
	}
	// An unknown token.
	spec, _ := target.Lookup(vaultkv.Type)
	env := map[string]string{"VAULT_ADDR": w.sim.Env()["VAULT_ADDR"], "VAULT_TOKEN": "hvs.nope"}
	bad := spec.New(plugin.New(func(k string) string { return env[k] }, nil, nil))
	if err := bad.Check(ctx, vaultTarget(nil)); !errors.Is(err, step.ErrPreflight) || !strings.Contains(err.Error(), "vault login") || strings.Contains(err.Error(), "hvs.nope") {
		t.Errorf("an unknown token: %v", err)
	}
	// No Vault configured.
	none := spec.New(plugin.New(nil, nil, nil))
	if err := none.Check(ctx, vaultTarget(nil)); !errors.Is(err, step.ErrPreflight) || !strings.Contains(err.Error(), "VAULT_ADDR") {
		t.Errorf("without VAULT_ADDR: %v", err)
	}
	if n := w.count("PUT", "/data/") + w.count("PATCH", "/data/"); n != 0 {
		t.Errorf("preflight wrote %d times", n)
	}
	// A write to a missing secret fails for good and creates nothing.
	if _, err := admin.Write(ctx, vaultTarget(map[string]any{"path": "app/none"}), secret.New("v")); err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "vault kv put -mount=secret app/none") {
		t.Errorf("a write to a missing secret: %v", err)
	}
	if w.vault.Version("secret", "app/none") != 0 {
		t.Error("a missing secret was created")
	}
}

// Inventory validation refuses paths that would climb out of the mount or
// break the request, and hostile names, with a hint.
func TestWriterValidation(t *testing.T) {
	for _, b := range []struct {
		field string
		v     string
		want  string
	}{
		{"path", "../sys/policy", "invalid secret path"},
		{"path", "app//prod", "invalid secret path"},
		{"path", "app/%2e%2e", "invalid secret path"},
		{"path", "app/prod?x=1", "invalid secret path"},
		{"path", "app/\x1b[2Jprod", "holds a control character"},
		{"mount", "a/b", "invalid mount"},
		{"mount", "..", "invalid mount"},
		{"field", "A\nB", "holds a control character"},
		{"field", " ", "invalid field"},
		{"namespace", "team-a/../root", "invalid namespace"},
	} {
		if err := vaultTarget(map[string]any{b.field: b.v}).Validate(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s %q: %v, want %q", b.field, b.v, err, b.want)
		}
	}
	for _, f := range []string{"path", "field"} {
		if err := vaultTarget(map[string]any{f: nil}).Validate(); err == nil || !strings.Contains(err.Error(), f+" is required") {
			t.Errorf("without %s: %v", f, err)
		}
	}
	if tg := vaultTarget(map[string]any{"namespace": "team-a/", "mount": "kv/"}); tg.Validate() != nil || tg.ID() != "vault-kv:team-a/kv/app/prod#OPENAI_API_KEY" {
		t.Errorf("with a namespace: %v %s", tg.Validate(), tg.ID())
	}
}

// The target conformance suite (internal/plugins runs it too), with
// credentials that may not write: the read-only token.
func TestConformance(t *testing.T) {
	w := start(t)
	spec, _ := target.Lookup(vaultkv.Type)
	env := w.sim.Env()
	h := conformance.FakeHarness(t, spec, w.vault, plugin.New(func(k string) string { return env[k] }, nil, nil))
	h.DeniedWriter, _ = w.writer(t, vaultsim.TokenReadOnly, "")
	conformance.Run(t, h)
}
