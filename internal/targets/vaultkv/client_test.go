package vaultkv_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/targets/vaultkv"
	"github.com/respondhq/respond/internal/targets/vaultkv/vaultsim"
)

type world struct {
	sim   *sim.Sim
	vault *vaultsim.Server
}

// start runs a simulator serving the fake Vault with secret/app/prod
// holding OPENAI_API_KEY and SENTRY_DSN (version 2).
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
	for _, kv := range [][2]string{{"secret/app/prod#OPENAI_API_KEY", "sk-old"}, {"secret/app/prod#SENTRY_DSN", "https://sentry"}} {
		if err := srv.PutSecret(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	return &world{sim: s, vault: srv}
}

func (w *world) client(t *testing.T, tokenName, namespace string) *vaultkv.Client {
	t.Helper()
	env := w.sim.Env()
	c, err := vaultkv.New(vaultkv.Config{Address: env["VAULT_ADDR"], Token: secret.New(w.vault.Token(tokenName)), Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) count(method, pathPart string) int {
	n := 0
	for _, r := range w.sim.Requests(0) {
		if r.Method == method && strings.Contains(r.Path, pathPart) {
			n++
		}
	}
	return n
}

func TestWriteFieldKeepsTheOtherFields(t *testing.T) {
	w := start(t)
	c := w.client(t, vaultsim.TokenAdmin, "")
	ctx := context.Background()
	f, err := c.ReadField(ctx, "secret", "app/prod", "OPENAI_API_KEY")
	if err != nil || f.Value.Reveal() != "sk-old" || f.Version != 2 {
		t.Fatalf("ReadField: %v %v v%d", err, f.Value, f.Version)
	}
	got, err := c.WriteField(ctx, "secret", "app/prod", "OPENAI_API_KEY", secret.New("sk-new"), f.Version)
	if err != nil {
		t.Fatal(err)
	}
	if got != (vaultkv.Written{Version: 3, Previous: 2}) || w.vault.Version("secret", "app/prod") != 3 {
		t.Errorf("written %+v; the world is at v%d", got, w.vault.Version("secret", "app/prod"))
	}
	for ref, want := range map[string]string{"secret/app/prod#OPENAI_API_KEY": "sk-new", "secret/app/prod#SENTRY_DSN": "https://sentry"} {
		if v, _ := w.vault.SecretValue(ref); v != want {
			t.Errorf("%s = %q, want %q", ref, v, want)
		}
	}
	// A new field is added beside the others; -1 expects nothing.
	if _, err := c.WriteField(ctx, "secret", "app/prod", "ANTHROPIC_API_KEY", secret.New("sk-ant"), -1); err != nil {
		t.Fatal(err)
	}
	if v, _ := w.vault.SecretValue("secret/app/prod#SENTRY_DSN"); v != "https://sentry" {
		t.Errorf("a second write lost a field: %q", v)
	}
	// The cas_required mount takes it too (respond always sends cas).
	if err := w.vault.PutSecret("kv/app#K", "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteField(ctx, "kv", "app", "K", secret.New("v2"), -1); err != nil {
		t.Errorf("a cas_required mount: %v", err)
	}
	if _, err := c.ReadField(ctx, "secret", "app/prod", "NOPE"); !errors.Is(err, vaultkv.ErrNotFound) {
		t.Errorf("a missing field: %v", err)
	}
	if _, err := c.ReadField(ctx, "secret", "app/none", "K"); !errors.Is(err, vaultkv.ErrNotFound) {
		t.Errorf("a missing secret: %v", err)
	}
	_, err = c.WriteField(ctx, "secret", "app/none", "K", secret.New("x"), -1)
	if !errors.Is(err, vaultkv.ErrNotFound) || !strings.Contains(err.Error(), "vault kv put secret/app/none") {
		t.Errorf("writing a missing secret: %v", err)
	}
	if w.vault.Version("secret", "app/none") != 0 {
		t.Error("a missing secret was created")
	}
	for _, bad := range [][2]string{{"secret", "../sys/x"}, {"secret", "app//prod"}, {"sec/ret", "x"}, {"secret", "a?b"}} {
		if _, err := c.ReadField(ctx, bad[0], bad[1], "K"); !errors.Is(err, vaultkv.ErrBadInput) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestAConcurrentChangeIsReportedNotOverwritten(t *testing.T) {
	w := start(t)
	c := w.client(t, vaultsim.TokenAdmin, "")
	ctx := context.Background()

	// The caller saw version 1; the secret is at 2.
	_, err := c.WriteField(ctx, "secret", "app/prod", "OPENAI_API_KEY", secret.New("sk-new"), 1)
	if !errors.Is(err, vaultkv.ErrConcurrentChange) || !strings.Contains(err.Error(), "it was at version 1 and is at version 2 now") {
		t.Errorf("a stale expectation: %v", err)
	}
	if w.count("PUT", "/secret/data/") != 0 {
		t.Error("a stale expectation was written")
	}

	// Someone writes between respond's read and its write: Vault refuses
	// respond's check-and-set and their value stays.
	if _, err := w.sim.AddFault(sim.Fault{Method: "PUT", Path: "/vault/v1/secret/data/app/prod", Delay: sim.Duration(2 * time.Second), Count: 1}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.WriteField(ctx, "secret", "app/prod", "OPENAI_API_KEY", secret.New("sk-respond"), 2)
		done <- err
	}()
	for deadline := time.Now().Add(20 * time.Second); w.count("GET", "/secret/data/app/prod") == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("respond never read the secret")
		}
	}
	if err := w.vault.PutSecret("secret/app/prod#OPENAI_API_KEY", "sk-theirs"); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if !errors.Is(err, vaultkv.ErrConcurrentChange) || !strings.Contains(err.Error(), "at version 3 now") {
		t.Errorf("a write between the read and the write: %v", err)
	}
	if v, _ := w.vault.SecretValue("secret/app/prod#OPENAI_API_KEY"); v != "sk-theirs" {
		t.Errorf("the other writer's value was overwritten: %q", v)
	}
}

func TestWritesAreSentOnceAndErrorsHoldNoValue(t *testing.T) {
	w := start(t)
	c := w.client(t, vaultsim.TokenAdmin, "")
	ctx := context.Background()
	val := secret.New("sk-canary-9d2e")
	body, _ := json.Marshal(map[string]any{"errors": []string{"cannot store sk-canary-9d2e or https://sentry"}})
	if _, err := w.sim.AddFault(sim.Fault{Method: "PUT", Path: "/vault/v1/secret/data/**", Status: 503, Count: 1, Body: body}); err != nil {
		t.Fatal(err)
	}
	_, err := c.WriteField(ctx, "secret", "app/prod", "OPENAI_API_KEY", val, -1)
	if err == nil || strings.Contains(err.Error(), "sk-canary") || strings.Contains(err.Error(), "https://sentry") || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("the error: %v", err)
	}
	if n := w.count("PUT", "/secret/data/"); n != 1 {
		t.Errorf("the write was sent %d times, want once", n)
	}
	if v, _ := w.vault.SecretValue("secret/app/prod#OPENAI_API_KEY"); v != "sk-old" {
		t.Errorf("the world: %q", v)
	}
	// Reads are retried.
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/vault/v1/secret/data/**", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadField(ctx, "secret", "app/prod", "OPENAI_API_KEY"); err != nil {
		t.Errorf("a read after a 503: %v", err)
	}
	_, err = w.client(t, vaultsim.TokenReadOnly, "").WriteField(ctx, "secret", "app/prod", "OPENAI_API_KEY", val, -1)
	if !errors.Is(err, vaultkv.ErrForbidden) || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("a read-only token: %v", err)
	}
}

func TestCheckAccess(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	if err := w.vault.PutSecret("secret/gone#K", "v"); err != nil {
		t.Fatal(err)
	}
	admin := w.client(t, vaultsim.TokenAdmin, "")
	if err := vaultDelete(ctx, w, "secret/data/gone"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token, ns, mount, path string
		want                   []string
	}{
		{vaultsim.TokenAdmin, "", "secret", "app/prod", nil},
		{vaultsim.TokenReadOnly, "", "secret", "app/prod", []string{`permission: the token may not update secret/data/app/prod`}},
		{vaultsim.TokenNoRead, "", "secret", "app/prod", []string{`permission: the token may not read secret/data/app/prod`}},
		{vaultsim.TokenAdmin, "", "legacy", "app", []string{"mount: mount legacy/ in Vault", "is KV version 1, not KV version 2"}},
		{vaultsim.TokenAdmin, "", "nomount", "app", []string{"mount: Vault", "has no mount nomount/ the token may use"}},
		{vaultsim.TokenAdmin, "", "secret", "app/none", []string{"secret: secret/app/none", "vault kv put secret/app/none"}},
		{vaultsim.TokenAdmin, "", "secret", "gone", []string{"secret: secret/gone", "is deleted or destroyed"}},
		{vaultsim.TokenAdmin, vaultsim.Namespace, "secret", "app/prod", []string{"secret: secret/app/prod"}},
	} {
		ps, err := w.client(t, tc.token, tc.ns).CheckAccess(ctx, tc.mount, tc.path)
		if err != nil {
			t.Errorf("%+v: %v", tc, err)
			continue
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.Check+": "+p.Message)
		}
		all := strings.Join(got, "\n")
		if (len(tc.want) == 0) != (len(ps) == 0) || len(ps) > 1 {
			t.Errorf("%s %s/%s: problems\n%s\nwant %v", tc.token, tc.mount, tc.path, all, tc.want)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(all, want) {
				t.Errorf("%s %s/%s: problems\n%s\nwant %q", tc.token, tc.mount, tc.path, all, want)
			}
		}
	}
	if n := w.count("PUT", "/data/") + w.count("PATCH", "/data/"); n != 0 {
		t.Errorf("CheckAccess wrote %d times", n)
	}
	_ = admin
	bad, err := vaultkv.New(vaultkv.Config{Address: w.sim.Env()["VAULT_ADDR"], Token: secret.New("hvs.nope")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.CheckAccess(ctx, "secret", "app/prod"); !errors.Is(err, vaultkv.ErrForbidden) {
		t.Errorf("an unknown token: %v", err)
	}
}

func TestNamespacesAndConfig(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	team := w.client(t, vaultsim.TokenAdmin, vaultsim.Namespace)
	if _, err := team.ReadField(ctx, "secret", "app/prod", "OPENAI_API_KEY"); !errors.Is(err, vaultkv.ErrNotFound) {
		t.Errorf("the root's secret seen from the namespace: %v", err)
	}
	for k, v := range map[string]string{"VAULT_ADDR": w.sim.Env()["VAULT_ADDR"], "VAULT_TOKEN": w.vault.Token(vaultsim.TokenAdmin), "VAULT_NAMESPACE": ""} {
		t.Setenv(k, v)
	}
	cfg := vaultkv.ConfigFromEnv()
	if cfg.Token.Reveal() != w.vault.Token(vaultsim.TokenAdmin) || strings.Contains(cfg.Token.String(), cfg.Token.Reveal()) {
		t.Errorf("ConfigFromEnv: %v", cfg)
	}
	for _, bad := range []vaultkv.Config{
		{Token: secret.New("t")},
		{Address: "http://127.0.0.1:8200"},
		{Address: "http://vault.example.com:8200", Token: secret.New("t")},
		{Address: "vault.example.com", Token: secret.New("t")},
	} {
		if _, err := vaultkv.New(bad); err == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
}
