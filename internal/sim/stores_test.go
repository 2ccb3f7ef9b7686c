package sim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/targets/kubernetes"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
	"github.com/respondhq/respond/internal/targets/vaultkv/vaultsim"
)

// storesSim starts a simulator serving the fake cluster (rollouts
// complete at once) and the fake Vault, and returns it with both.
func storesSim(t *testing.T, opts Options) (*Sim, *k8ssim.Server, *vaultsim.Server) {
	t.Helper()
	var k *k8ssim.Server
	var v *vaultsim.Server
	opts.Services = []simapi.Factory{
		func(o simapi.Options) simapi.Service {
			k = k8ssim.NewServer(o, k8ssim.Config{RolloutDuration: -1})
			return k
		},
		func(o simapi.Options) simapi.Service { v = vaultsim.NewServer(o); return v },
	}
	return start(t, opts), k, v
}

// A service whose clients speak only HTTPS (the Kubernetes API: client-go
// sends no token over http) is served on a second port over HTTPS, with a
// certificate its kubeconfig trusts, while OpenAI, GitHub and Vault stay on
// the plain HTTP port.
func TestHTTPSOnlyServiceGetsAPortOfItsOwn(t *testing.T) {
	s, k, _ := storesSim(t, Options{})
	env := s.Env()
	k8sURL := s.ServiceURL("kubernetes")
	switch {
	case !strings.HasPrefix(s.URL(), "http://"):
		t.Fatalf("URL() = %s, want plain http", s.URL())
	case !strings.HasPrefix(k8sURL, "https://127.0.0.1:") || strings.HasPrefix(k8sURL, s.URL()) || !strings.HasSuffix(k8sURL, "/k8s"):
		t.Fatalf("the Kubernetes API is served at %q, want https on another port of 127.0.0.1 (the simulator: %s)", k8sURL, s.URL())
	case env["VAULT_ADDR"] != s.URL()+"/vault" || s.ServiceURL("vault") != env["VAULT_ADDR"]:
		t.Errorf("VAULT_ADDR %q, ServiceURL %q: want the plain port %s/vault", env["VAULT_ADDR"], s.ServiceURL("vault"), s.URL())
	case env["OPENAI_BASE_URL"] != s.URL()+"/v1":
		t.Errorf("OPENAI_BASE_URL %q moved", env["OPENAI_BASE_URL"])
	}
	if err := k.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", "sk-test"); err != nil {
		t.Fatal(err)
	}
	// client-go, through the kubeconfig the simulator wrote: it trusts
	// the port's certificate and sends its token.
	c, err := kubernetes.New(env["KUBECONFIG"], "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if c.Server() != k8sURL {
		t.Errorf("the kubeconfig names %s, want %s", c.Server(), k8sURL)
	}
	got, err := c.GetSecretKey(t.Context(), "prod", "api-keys", "OPENAI_API_KEY")
	if err != nil || got.Value.Reveal() != "sk-test" {
		t.Fatalf("GetSecretKey over the HTTPS port: %v %v", err, got.Value)
	}
	// The second port is the same simulator: its requests are logged.
	var seen bool
	for _, r := range s.Requests(0) {
		seen = seen || r.API == "kubernetes" && strings.Contains(r.Path, "/secrets/api-keys")
	}
	if !seen {
		t.Error("the request log has no Kubernetes request")
	}
	// An untrusting client is refused by the port's certificate.
	if resp, err := http.Get(strings.TrimSuffix(k8sURL, "/k8s") + "/_sim/state"); err == nil {
		resp.Body.Close()
		t.Error("a client that does not trust the certificate connected")
	}

	// A simulator that serves HTTPS anyway needs no second port.
	s2, _, _ := storesSim(t, Options{TLSSelfSigned: true})
	if u := s2.ServiceURL("kubernetes"); u != s2.URL()+"/k8s" {
		t.Errorf("with TLS on the main port the Kubernetes API is at %s, want %s/k8s", u, s2.URL())
	}
}

// The live world's consumers of secret stores: an application that reads
// a Vault field at each use picks up a new value at once; the pods of a
// Kubernetes Deployment keep what the Secret held at their last rollout
// until a rollout completes after the change. Each is up while its key
// works, whoever issued it.
func TestLiveConsumersOfSecretStores(t *testing.T) {
	clk := &manualClock{t: fixedNow}
	s, k, v := storesSim(t, Options{Now: clk.now})
	leaked := s.LeakedKeyValue()
	for _, err := range []error{
		k.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", leaked),
		k.AddDeployment("prod", "api", 2),
		v.PutSecret("secret/app/prod#OPENAI_API_KEY", leaked),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	consumers := []Consumer{
		{Name: "prod/api pods", Target: "kubernetes-secret:sim/prod/api-keys#OPENAI_API_KEY", Pickup: PickupServed,
			Service: "kubernetes", Ref: "sim/prod/api-keys#OPENAI_API_KEY", Via: "deployment/api", Listed: true},
		{Name: "app reading Vault", Target: "vault-kv:secret/app/prod#OPENAI_API_KEY", Pickup: PickupStore,
			Service: "vault", Ref: "secret/app/prod#OPENAI_API_KEY", Listed: true},
	}
	// A consumer of a service that is not there, or that deploys nothing,
	// is refused.
	for _, bad := range []Consumer{
		{Name: "x", Pickup: PickupStore, Service: "nosuch", Ref: "a/b#c"},
		{Name: "y", Pickup: PickupServed, Service: "vault", Ref: "secret/app/prod#OPENAI_API_KEY", Via: "deployment/api"},
	} {
		if err := s.StartLive(LiveOptions{Consumers: []Consumer{bad}, Tick: time.Hour}); err == nil {
			t.Fatalf("consumer %+v was accepted", bad)
		}
	}
	if err := s.StartLive(LiveOptions{Consumers: consumers, Tick: time.Hour}); err != nil {
		t.Fatal(err)
	}
	info := s.Scenario()
	clk.advance(10 * time.Second)
	s.StepLive()
	for _, c := range s.LiveState().Consumers {
		if !c.Up || c.KeyID != info.LeakedKeyID || c.Calls == 0 {
			t.Errorf("%s: %+v, want up on the leaked key %s, calling", c.Name, c, info.LeakedKeyID)
		}
	}

	// The leaked key is revoked and both stores get a working replacement.
	if err := s.OpenAI().RevokeKey(info.LeakedKeyID); err != nil {
		t.Fatal(err)
	}
	repl, err := s.KeyIssuerFor("openai_api_key")
	if !err {
		t.Fatal("no issuer of OpenAI keys")
	}
	nk, ierr := repl.IssueKey(simapi.IssueRequest{Scope: info.ProjectID, Name: "replacement", Attrs: map[string]string{"owner": "service_account"}})
	if ierr != nil {
		t.Fatal(ierr)
	}
	clk.advance(time.Second)
	if err := k.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", nk.Value); err != nil {
		t.Fatal(err)
	}
	if err := v.PutSecret("secret/app/prod#OPENAI_API_KEY", nk.Value); err != nil {
		t.Fatal(err)
	}
	clk.advance(5 * time.Second)
	s.StepLive()
	st := s.LiveState()
	if c := consumer(t, st, "reading Vault"); !c.Up || c.KeyID != nk.ID {
		t.Errorf("the Vault reader: %+v, want up on %s at once", c, nk.ID)
	}
	if c := consumer(t, st, "pods"); c.Up || c.KeyID != info.LeakedKeyID {
		t.Errorf("the pods: %+v, want down on the revoked key until a rollout", c)
	}

	// A rollout restart (client-go, as respond does it) completes, and the
	// pods run with the replacement.
	c, cerr := kubernetes.New(s.Env()["KUBECONFIG"], k8ssim.ContextFull)
	if cerr != nil {
		t.Fatal(cerr)
	}
	t.Cleanup(c.Close)
	ctx := context.Background()
	if _, err := c.RolloutRestart(ctx, "prod", "api"); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitRollout(ctx, "prod", "api", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	clk.advance(5 * time.Second)
	s.StepLive()
	if c := consumer(t, s.LiveState(), "pods"); !c.Up || c.KeyID != nk.ID || c.Broken != 0 {
		t.Errorf("after the rollout the pods: %+v, want up on %s, never broken", c, nk.ID)
	}
	if vals := s.ConsumerValues(); !secret.New(vals["prod/api pods"]).Equal(secret.New(nk.Value)) {
		t.Error("ConsumerValues does not give the pods' value")
	}
}
