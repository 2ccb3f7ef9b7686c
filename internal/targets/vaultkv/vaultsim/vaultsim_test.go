package vaultsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	vault "github.com/hashicorp/vault/api"

	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/targets/vaultkv/vaultsim"
)

type world struct {
	sim   *sim.Sim
	vault *vaultsim.Server
}

func start(t *testing.T) *world {
	t.Helper()
	var srv *vaultsim.Server
	s, err := sim.Start(context.Background(), sim.Options{Seed: 1, Services: []simapi.Factory{func(o simapi.Options) simapi.Service {
		srv = vaultsim.NewServer(o)
		return srv
	}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close the simulator: %v", err)
		}
	})
	return &world{sim: s, vault: srv}
}

// client is vault/api configured from the simulator's exports, as the
// Vault CLI is from VAULT_ADDR and VAULT_TOKEN.
func (w *world) client(t *testing.T, tokenName string) *vault.Client {
	t.Helper()
	env := w.sim.Env()
	cfg := vault.DefaultConfig()
	cfg.Address = env["VAULT_ADDR"]
	cfg.MaxRetries = 0
	c, err := vault.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(env["VAULT_TOKEN"])
	if tokenName != vaultsim.TokenAdmin {
		c.SetToken(w.vault.Token(tokenName))
	}
	t.Cleanup(cfg.HttpClient.CloseIdleConnections)
	return c
}

func status(err error) int {
	var re *vault.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

func TestKVv2ThroughVaultAPI(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	c := w.client(t, vaultsim.TokenAdmin)
	if !strings.HasSuffix(w.sim.Env()["VAULT_ADDR"], "/vault") {
		t.Fatalf("VAULT_ADDR = %s", w.sim.Env()["VAULT_ADDR"])
	}
	if err := w.vault.PutSecret("secret/app/prod#OPENAI_API_KEY", "sk-old"); err != nil {
		t.Fatal(err)
	}
	if err := w.vault.PutSecret("secret/app/prod#SENTRY_DSN", "https://sentry"); err != nil {
		t.Fatal(err)
	}
	kv := c.KVv2("secret")
	got, err := kv.Get(ctx, "app/prod")
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["OPENAI_API_KEY"] != "sk-old" || got.Data["SENTRY_DSN"] != "https://sentry" || got.VersionMetadata.Version != 2 {
		t.Fatalf("KVv2.Get: %+v %+v", got.Data, got.VersionMetadata)
	}

	// A write with the current version as cas succeeds; a stale one is
	// refused with Vault's message.
	put, err := kv.Put(ctx, "app/prod", map[string]any{"OPENAI_API_KEY": "sk-new", "SENTRY_DSN": "https://sentry"}, vault.WithCheckAndSet(2))
	if err != nil || put.VersionMetadata.Version != 3 {
		t.Fatalf("a cas write: %v %+v", err, put)
	}
	_, err = kv.Put(ctx, "app/prod", map[string]any{"OPENAI_API_KEY": "sk-lost"}, vault.WithCheckAndSet(2))
	if status(err) != 400 || !strings.Contains(err.Error(), "check-and-set parameter did not match the current version") {
		t.Errorf("a stale cas: %v", err)
	}
	if v, _ := w.vault.SecretValue("secret/app/prod#OPENAI_API_KEY"); v != "sk-new" {
		t.Errorf("the world holds %q", v)
	}

	// Patch merges (needs the merge-patch content type, which vault/api sends).
	if _, err := kv.Patch(ctx, "app/prod", map[string]any{"EXTRA": "x"}); err != nil {
		t.Fatal(err)
	}
	got, _ = kv.Get(ctx, "app/prod")
	if got.Data["OPENAI_API_KEY"] != "sk-new" || got.Data["EXTRA"] != "x" || got.VersionMetadata.Version != 4 {
		t.Errorf("after a patch: %+v v%d", got.Data, got.VersionMetadata.Version)
	}
	plain, _ := http.NewRequestWithContext(ctx, http.MethodPatch, w.sim.Env()["VAULT_ADDR"]+"/v1/secret/data/app/prod", strings.NewReader(`{"data":{"X":"y"}}`))
	plain.Header.Set("X-Vault-Token", c.Token())
	plain.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(plain)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a PATCH without merge-patch+json: %d", resp.StatusCode)
	}
	// Old versions stay readable; metadata lists them.
	old, err := kv.GetVersion(ctx, "app/prod", 2)
	if err != nil || old.Data["OPENAI_API_KEY"] != "sk-old" {
		t.Errorf("version 2: %v %+v", err, old)
	}
	meta, err := kv.GetMetadata(ctx, "app/prod")
	if err != nil || meta.CurrentVersion != 4 || meta.OldestVersion != 1 || len(meta.Versions) != 4 {
		t.Errorf("metadata: %v %+v", err, meta)
	}
	// Rollback is read-then-write with cas: version 5 holds version 2's data.
	if _, err := kv.Rollback(ctx, "app/prod", 2); err != nil {
		t.Fatal(err)
	}
	if v, _ := w.vault.SecretValue("secret/app/prod#OPENAI_API_KEY"); v != "sk-old" || w.vault.Version("secret", "app/prod") != 5 {
		t.Errorf("after a rollback: %q v%d", v, w.vault.Version("secret", "app/prod"))
	}
	// Delete, undelete, destroy.
	if err := kv.Delete(ctx, "app/prod"); err != nil {
		t.Fatal(err)
	}
	// A deleted version answers 404 with its metadata: vault/api gives
	// no data and the deletion time, as against Vault.
	if del, err := kv.Get(ctx, "app/prod"); err != nil || del.Data != nil || del.VersionMetadata.DeletionTime.IsZero() {
		t.Errorf("a deleted version: %v %+v", err, del)
	}
	if err := kv.Undelete(ctx, "app/prod", []int{5}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(ctx, "app/prod"); err != nil {
		t.Errorf("after undelete: %v", err)
	}
	if err := kv.Destroy(ctx, "app/prod", []int{1}); err != nil {
		t.Fatal(err)
	}
	if gone, err := kv.GetVersion(ctx, "app/prod", 1); err != nil || gone.Data != nil || !gone.VersionMetadata.Destroyed {
		t.Errorf("a destroyed version: %v %+v", err, gone)
	}

	// A missing secret: 404 {"errors":[]}, vault.ErrSecretNotFound.
	if _, err := kv.Get(ctx, "nope"); !errors.Is(err, vault.ErrSecretNotFound) {
		t.Errorf("a missing secret: %v", err)
	}
	list, err := c.Logical().ListWithContext(ctx, "secret/metadata/app")
	if err != nil || list == nil || len(list.Data["keys"].([]any)) != 1 {
		t.Errorf("list: %v %+v", err, list)
	}
}

func TestCheckAndSetRequired(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	kv := w.client(t, vaultsim.TokenAdmin).KVv2("kv")
	_, err := kv.Put(ctx, "app", map[string]any{"K": "v"})
	if status(err) != 400 || !strings.Contains(err.Error(), "check-and-set parameter required for this call") {
		t.Errorf("a write without cas to a cas_required mount: %v", err)
	}
	// cas 0: only if it does not exist.
	if _, err := kv.Put(ctx, "app", map[string]any{"K": "v"}, vault.WithCheckAndSet(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "app", map[string]any{"K": "w"}, vault.WithCheckAndSet(0)); status(err) != 400 {
		t.Errorf("cas 0 on an existing secret: %v", err)
	}
	// cas_required per secret, on a mount that does not require it.
	secret := w.client(t, vaultsim.TokenAdmin).KVv2("secret")
	if err := secret.PutMetadata(ctx, "strict", vault.KVMetadataPutInput{CASRequired: true, MaxVersions: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := secret.Put(ctx, "strict", map[string]any{"K": "v"}); status(err) != 400 {
		t.Errorf("a write without cas to a cas_required secret: %v", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := secret.Put(ctx, "strict", map[string]any{"K": i}, vault.WithCheckAndSet(i)); err != nil {
			t.Fatal(err)
		}
	}
	meta, err := secret.GetMetadata(ctx, "strict")
	if err != nil || meta.CurrentVersion != 3 || meta.OldestVersion != 2 || len(meta.Versions) != 2 || !meta.CASRequired {
		t.Errorf("max_versions 2 keeps two: %v %+v", err, meta)
	}
}

func TestMountsTokensAndCapabilities(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	admin := w.client(t, vaultsim.TokenAdmin)
	mounts, err := admin.Sys().ListMountsWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := mounts["secret/"]; m == nil || m.Type != "kv" || m.Options["version"] != "2" {
		t.Errorf("secret/: %+v", m)
	}
	if m := mounts["legacy/"]; m == nil || m.Options["version"] != "1" {
		t.Errorf("legacy/: %+v", m)
	}
	// The Vault CLI's preflight: sys/internal/ui/mounts/PATH.
	ui, err := admin.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/secret/app/prod")
	if err != nil || ui.Data["path"] != "secret/" || ui.Data["options"].(map[string]any)["version"] != "2" {
		t.Errorf("ui mounts: %v %+v", err, ui)
	}
	if _, err := admin.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/nomount/x"); status(err) != 403 {
		t.Errorf("ui mounts of an unknown mount: %v, want 403", err)
	}

	self, err := admin.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil || self.Data["display_name"] != "token-admin" {
		t.Errorf("lookup-self: %v %+v", err, self)
	}
	for _, tc := range []struct {
		token, path string
		want        string
	}{
		{vaultsim.TokenAdmin, "secret/data/app", "create,delete,list,patch,read,sudo,update"},
		{vaultsim.TokenReadOnly, "secret/data/app", "list,read"},
		{vaultsim.TokenNoRead, "secret/data/app", "create,update"},
		{vaultsim.TokenNoRead, "sys/mounts", "deny"},
	} {
		caps, err := w.client(t, tc.token).Sys().CapabilitiesSelfWithContext(ctx, tc.path)
		if err != nil || strings.Join(caps, ",") != tc.want {
			t.Errorf("%s on %s: %v %v, want %s", tc.token, tc.path, err, caps, tc.want)
		}
	}

	// The read-only token reads and is refused writes: 403 permission denied.
	if err := w.vault.PutSecret("secret/app#K", "v"); err != nil {
		t.Fatal(err)
	}
	ro := w.client(t, vaultsim.TokenReadOnly).KVv2("secret")
	if _, err := ro.Get(ctx, "app"); err != nil {
		t.Errorf("a read-only read: %v", err)
	}
	_, err = ro.Put(ctx, "app", map[string]any{"K": "w"})
	if status(err) != 403 || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("a read-only write: %v", err)
	}
	if _, err := w.client(t, vaultsim.TokenNoRead).KVv2("secret").Get(ctx, "app"); status(err) != 403 {
		t.Errorf("a read without read: %v", err)
	}
	bad := w.client(t, vaultsim.TokenAdmin)
	bad.SetToken("hvs.nope")
	if _, err := bad.KVv2("secret").Get(ctx, "app"); status(err) != 403 {
		t.Errorf("an unknown token: %v", err)
	}
	if v, _ := w.vault.SecretValue("secret/app#K"); v != "v" {
		t.Errorf("a refused write changed the world: %q", v)
	}
}

func TestNamespaces(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	root := w.client(t, vaultsim.TokenAdmin)
	team := w.client(t, vaultsim.TokenAdmin)
	team.SetNamespace(vaultsim.Namespace)
	if _, err := team.KVv2("secret").Put(ctx, "app", map[string]any{"K": "team"}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.KVv2("secret").Get(ctx, "app"); !errors.Is(err, vault.ErrSecretNotFound) {
		t.Errorf("the team's secret seen from the root namespace: %v", err)
	}
	got, err := team.KVv2("secret").Get(ctx, "app")
	if err != nil || got.Data["K"] != "team" {
		t.Errorf("in the namespace: %v %+v", err, got)
	}
	other := w.client(t, vaultsim.TokenAdmin)
	other.SetNamespace("team-b")
	if _, err := other.Sys().ListMountsWithContext(ctx); status(err) != 404 || !strings.Contains(err.Error(), "no handler for route") {
		t.Errorf("an unknown namespace: %v", err)
	}
}

func TestFaultsAndDeterminism(t *testing.T) {
	w := start(t)
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/vault/v1/secret/data/**", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.vault.PutSecret("secret/app#K", "v"); err != nil {
		t.Fatal(err)
	}
	_, err := w.client(t, vaultsim.TokenAdmin).KVv2("secret").Get(context.Background(), "app")
	if status(err) != 503 || !strings.Contains(err.Error(), "injected fault") {
		t.Errorf("an injected 503: %v", err)
	}
	a, _ := json.Marshal(w.vault.Snapshot())
	tokA := w.vault.Token(vaultsim.TokenAdmin)
	if err := w.sim.Reset(); err != nil {
		t.Fatal(err)
	}
	if w.vault.Token(vaultsim.TokenAdmin) != tokA {
		t.Error("a reset changed the token VAULT_TOKEN holds")
	}
	if _, ok := w.vault.SecretValue("secret/app#K"); ok {
		t.Error("a reset kept a secret")
	}
	w2 := start(t)
	if w2.vault.Token(vaultsim.TokenAdmin) != tokA {
		t.Error("one seed, two tokens")
	}
	if err := w2.vault.PutSecret("secret/app#K", "v"); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(w2.vault.Snapshot())
	// Times differ (the wall clock); the shape and values do not.
	if !bytes.Contains(a, []byte(`"data":{"K":"v"}`)) || !bytes.Contains(b, []byte(`"data":{"K":"v"}`)) {
		t.Errorf("snapshots: %s\n%s", a, b)
	}
}
