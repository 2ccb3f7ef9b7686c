package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
	"github.com/respondhq/respond/internal/targets/vaultkv/vaultsim"
)

// The simulator's secret stores, as scripts see them: the fake cluster
// (kubernetes-secret targets) and the fake Vault (vault-kv targets).
// `sim start -stores` seeds both with the leaked key beside another value:
// Secret prod/api-keys (OPENAI_API_KEY, SENTRY_DSN) read by the pods of
// Deployments prod/api (2 pods) and prod/worker, and secret/app/prod
// (OPENAI_API_KEY, SENTRY_DSN) at version 2; with -live, the pods of
// prod/api and an application reading secret/app/prod are consumers.

// storesOther is the value beside the key in both stores.
const storesOther = "https://sentry.example/1"

// storesRollout is how long a rollout takes in scripts.
const storesRollout = 500 * time.Millisecond

func k8sOf(ts *testscript.TestScript, s *sim.Sim) *k8ssim.Server {
	k, ok := s.Service("kubernetes").(*k8ssim.Server)
	if !ok {
		ts.Fatalf("the simulator serves no Kubernetes API")
	}
	return k
}

func vaultOf(ts *testscript.TestScript, s *sim.Sim) *vaultsim.Server {
	v, ok := s.Service("vault").(*vaultsim.Server)
	if !ok {
		ts.Fatalf("the simulator serves no Vault")
	}
	return v
}

// seedStores plants the leaked key in both stores.
func seedStores(ts *testscript.TestScript, s *sim.Sim) {
	k, v, leaked := k8sOf(ts, s), vaultOf(ts, s), s.LeakedKeyValue()
	k.SetRolloutDuration(storesRollout)
	ts.Check(k.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", leaked))
	ts.Check(k.PutSecret("sim/prod/api-keys#SENTRY_DSN", storesOther))
	ts.Check(k.AddDeployment("prod", "api", 2))
	ts.Check(k.AddDeployment("prod", "worker", 1))
	ts.Check(v.PutSecret("secret/app/prod#OPENAI_API_KEY", leaked))
	ts.Check(v.PutSecret("secret/app/prod#SENTRY_DSN", storesOther))
}

// storeConsumers are the live world's consumers of the seeded stores.
func storeConsumers() []sim.Consumer {
	return []sim.Consumer{
		{Name: "prod/api pods", Target: "kubernetes-secret:sim/prod/api-keys#OPENAI_API_KEY", Pickup: sim.PickupServed,
			Service: "kubernetes", Ref: "sim/prod/api-keys#OPENAI_API_KEY", Via: "deployment/api", Listed: true},
		{Name: "app reading Vault secret/app/prod", Target: "vault-kv:secret/app/prod#OPENAI_API_KEY", Pickup: sim.PickupStore,
			Service: "vault", Ref: "secret/app/prod#OPENAI_API_KEY", Listed: true},
	}
}

// storesState is what a script compares before and after: every Secret's
// data and Deployment's revision, and every Vault secret's version.
func storesState(ts *testscript.TestScript, s *sim.Sim) string {
	var b strings.Builder
	ks := k8sOf(ts, s).Snapshot().(*k8ssim.Snapshot)
	for _, sec := range ks.Secrets {
		fmt.Fprintf(&b, "secret %s/%s %v\n", sec.Namespace, sec.Name, sec.Data)
	}
	for _, d := range ks.Deployments {
		fmt.Fprintf(&b, "deployment %s/%s revision %d restarted %q\n", d.Namespace, d.Name, d.Revision, d.RestartedAt)
	}
	for _, ns := range vaultOf(ts, s).Snapshot().(*vaultsim.Snapshot).Namespaces {
		for _, m := range ns.Mounts {
			for _, sec := range m.Secrets {
				fmt.Fprintf(&b, "vault %s%s%s version %d\n", ns.Path, m.Path, sec.Path, sec.CurrentVersion)
			}
		}
	}
	return b.String()
}

// storeValue resolves a script's expected value: old (the leaked key),
// new (the one live replacement) or the text itself.
func storeValue(ts *testscript.TestScript, r *simRun, v string) string {
	switch v {
	case "old":
		return r.leaked
	case "new":
		return newKey(ts, r)
	}
	return v
}

// simK8s: sim k8s holds NS/SECRET#KEY old|new|VALUE (the Secret holds it)
// | pods NS/DEPLOY SECRET#KEY old|new|VALUE (the Deployment's pods read it:
// its last completed rollout came after the value was written) | rollout
// NS/DEPLOY N (revision N, complete) | stall NS/DEPLOY on|off.
func simK8s(ts *testscript.TestScript, r *simRun, neg bool, args []string) {
	k := k8sOf(ts, r.s)
	if len(args) < 3 {
		ts.Fatalf("usage: sim k8s holds|pods|rollout|stall … (quote a #: scripts take it for a comment)")
	}
	switch args[0] {
	case "holds":
		if len(args) != 3 {
			ts.Fatalf("usage: sim k8s holds NS/SECRET#KEY old|new|VALUE")
		}
		got, ok := k.SecretValue(k8ssim.ContextFull + "/" + args[1])
		if (ok && got == storeValue(ts, r, args[2])) == neg {
			ts.Fatalf("Secret %s holds %s (found %v), want %s", args[1], mask(got), ok, args[2])
		}
	case "pods":
		if len(args) != 4 {
			ts.Fatalf("usage: sim k8s pods NS/DEPLOY SECRET#KEY old|new|VALUE")
		}
		ns, d, _ := strings.Cut(args[1], "/")
		sec, key, _ := strings.Cut(args[2], "#")
		got, ok := k.RolloutValue(ns, d, sec, key)
		if (ok && got == storeValue(ts, r, args[3])) == neg {
			ts.Fatalf("the pods of %s read %s (found %v) from %s, want %s", args[1], mask(got), ok, args[2], args[3])
		}
	case "rollout":
		if len(args) != 3 {
			ts.Fatalf("usage: sim k8s rollout NS/DEPLOY N")
		}
		want, err := strconv.ParseInt(args[2], 10, 64)
		ts.Check(err)
		for _, d := range k.Snapshot().(*k8ssim.Snapshot).Deployments {
			if d.Namespace+"/"+d.Name == args[1] {
				if (d.Revision == want && d.RolloutComplete) == neg {
					ts.Fatalf("deployment %s: revision %d, complete %v; want revision %d, complete", args[1], d.Revision, d.RolloutComplete, want)
				}
				return
			}
		}
		ts.Fatalf("no deployment %s", args[1])
	case "stall":
		ns, d, _ := strings.Cut(args[1], "/")
		ts.Check(k.StallRollouts(ns, d, args[2] == "on"))
	default:
		ts.Fatalf("sim k8s: unknown subcommand %q", args[0])
	}
}

// simVault: sim vault holds MOUNT/PATH#FIELD old|new|VALUE | version
// MOUNT/PATH N | put MOUNT/PATH#FIELD VALUE (another writer) | token
// readonly|no-read (VAULT_TOKEN becomes that token).
func simVault(ts *testscript.TestScript, r *simRun, neg bool, args []string) {
	v := vaultOf(ts, r.s)
	if len(args) < 2 || args[0] != "token" && len(args) != 3 {
		ts.Fatalf("usage: sim vault holds MOUNT/PATH#FIELD old|new|VALUE | version MOUNT/PATH N | put MOUNT/PATH#FIELD VALUE | token NAME (quote a #: scripts take it for a comment)")
	}
	switch args[0] {
	case "holds":
		got, ok := v.SecretValue(args[1])
		if (ok && got == storeValue(ts, r, args[2])) == neg {
			ts.Fatalf("Vault %s holds %s (found %v), want %s", args[1], mask(got), ok, args[2])
		}
	case "version":
		mnt, path, _ := strings.Cut(args[1], "/")
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		if got := v.Version(mnt, path); (got == want) == neg {
			ts.Fatalf("Vault %s is at version %d, want %d", args[1], got, want)
		}
	case "put":
		ts.Check(v.PutSecret(args[1], args[2]))
	case "token":
		tok := v.Token(args[1])
		if tok == "" {
			ts.Fatalf("the fake Vault has no token %q", args[1])
		}
		ts.Setenv("VAULT_TOKEN", tok)
	default:
		ts.Fatalf("sim vault: unknown subcommand %q", args[0])
	}
}
