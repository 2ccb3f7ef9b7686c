package kubernetes_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/targets/kubernetes"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

type world struct {
	sim        *sim.Sim
	k8s        *k8ssim.Server
	kubeconfig string
}

// start runs a simulator (HTTPS: client-go sends no token over http)
// serving the fake cluster, seeded with prod/api-keys (two keys) and the
// Deployments api and worker reading it.
func start(t *testing.T, cfg k8ssim.Config) *world {
	t.Helper()
	var srv *k8ssim.Server
	f := func(o simapi.Options) simapi.Service {
		srv = k8ssim.Factory(cfg)(o).(*k8ssim.Server)
		return srv
	}
	s, err := sim.Start(context.Background(), sim.Options{Seed: 1, Services: []simapi.Factory{f}, TLSSelfSigned: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close the simulator: %v", err)
		}
	})
	w := &world{sim: s, k8s: srv, kubeconfig: s.Env()["KUBECONFIG"]}
	for ref, v := range map[string]string{"sim/prod/api-keys#OPENAI_API_KEY": "sk-old", "sim/prod/api-keys#SENTRY_DSN": "https://sentry"} {
		if err := srv.PutSecret(ref, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"api", "worker"} {
		if err := srv.AddDeployment("prod", d, 2); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// client is respond's client for a context; closed with the test, before
// the simulator.
func (w *world) client(t *testing.T, context string) *kubernetes.Client {
	t.Helper()
	c, err := kubernetes.New(w.kubeconfig, context)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func (w *world) value(t *testing.T, ref string) string {
	t.Helper()
	v, ok := w.k8s.SecretValue(ref)
	if !ok {
		t.Fatalf("the world has no %s", ref)
	}
	return v
}

// writes counts the requests of the log that are not reads.
func (w *world) writes(method string) int {
	n := 0
	for _, r := range w.sim.Requests(0) {
		if r.Method == method {
			n++
		}
	}
	return n
}

func TestSetSecretKeyKeepsTheOtherKeys(t *testing.T) {
	w := start(t, k8ssim.Config{})
	c := w.client(t, k8ssim.ContextFull)
	ctx := context.Background()
	before, err := c.GetSecretKey(ctx, "prod", "api-keys", "OPENAI_API_KEY")
	if err != nil || before.Value.Reveal() != "sk-old" {
		t.Fatalf("GetSecretKey: %v %v", err, before)
	}
	rv, err := c.SetSecretKey(ctx, "prod", "api-keys", "OPENAI_API_KEY", secret.New("sk-new"))
	if err != nil {
		t.Fatal(err)
	}
	if got := w.value(t, "sim/prod/api-keys#OPENAI_API_KEY"); got != "sk-new" {
		t.Errorf("the world holds %q", got)
	}
	if got := w.value(t, "sim/prod/api-keys#SENTRY_DSN"); got != "https://sentry" {
		t.Errorf("the other key became %q", got)
	}
	after, err := c.GetSecretKey(ctx, "prod", "api-keys", "OPENAI_API_KEY")
	if err != nil || after.Value.Reveal() != "sk-new" || after.ResourceVersion != rv || rv == before.ResourceVersion {
		t.Errorf("read back: %v %v (patch answered resourceVersion %s, before %s)", err, after, rv, before.ResourceVersion)
	}
	// A new key is added beside the others.
	if _, err := c.SetSecretKey(ctx, "prod", "api-keys", "ANTHROPIC_API_KEY", secret.New("sk-ant")); err != nil {
		t.Fatal(err)
	}
	if got := w.value(t, "sim/prod/api-keys#ANTHROPIC_API_KEY"); got != "sk-ant" {
		t.Errorf("a new key: %q", got)
	}
	if _, err := c.GetSecretKey(ctx, "prod", "api-keys", "NOPE"); !errors.Is(err, kubernetes.ErrNotFound) || !strings.Contains(err.Error(), "has no key NOPE") {
		t.Errorf("a missing key: %v", err)
	}
}

func TestSetSecretKeyRefusals(t *testing.T) {
	w := start(t, k8ssim.Config{})
	ctx := context.Background()
	full := w.client(t, k8ssim.ContextFull)
	val := secret.New("sk-canary-5f1d3c")

	_, err := full.SetSecretKey(ctx, "prod", "missing", "K", val)
	if !errors.Is(err, kubernetes.ErrNotFound) || !strings.Contains(err.Error(), "kubectl create secret generic missing -n prod") {
		t.Errorf("a missing secret: %v", err)
	}
	if _, ok := w.k8s.SecretValue("sim/prod/missing#K"); ok {
		t.Error("a missing secret was created")
	}

	_, err = w.client(t, k8ssim.ContextReadOnly).SetSecretKey(ctx, "prod", "api-keys", "OPENAI_API_KEY", val)
	if !errors.Is(err, kubernetes.ErrForbidden) || !strings.Contains(err.Error(), `User "viewer" cannot patch resource "secrets"`) || !strings.Contains(err.Error(), "context sim-readonly") {
		t.Errorf("a read-only context: %v", err)
	}
	for _, bad := range []struct{ ns, name, key string }{{"Prod", "api-keys", "K"}, {"prod", "../x", "K"}, {"prod", "api-keys", "bad key"}} {
		if _, err := full.SetSecretKey(ctx, bad.ns, bad.name, bad.key, val); !errors.Is(err, kubernetes.ErrBadInput) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if got := w.value(t, "sim/prod/api-keys#OPENAI_API_KEY"); got != "sk-old" {
		t.Errorf("a refused write changed the world: %q", got)
	}

	// A patch is sent once; a server that quotes it has its quote
	// scrubbed of the value, in clear and base64.
	b64 := base64.StdEncoding.EncodeToString([]byte(val.Reveal()))
	body := `{"kind":"Status","apiVersion":"v1","status":"Failure","code":500,"reason":"InternalError","message":"patch {\"data\":{\"K\":\"` + b64 + `\"}} for ` + val.Reveal() + ` failed"}`
	if _, err := w.sim.AddFault(sim.Fault{Method: "PATCH", Path: "/k8s/**", Status: 500, Count: 1, Body: []byte(mustJSON(body))}); err != nil {
		t.Fatal(err)
	}
	before := w.writes("PATCH")
	_, err = full.SetSecretKey(ctx, "prod", "api-keys", "OPENAI_API_KEY", val)
	if err == nil || strings.Contains(err.Error(), val.Reveal()) || strings.Contains(err.Error(), b64) || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("the error of a quoting server: %v", err)
	}
	if n := w.writes("PATCH") - before; n != 1 {
		t.Errorf("the patch was sent %d times after a 500, want once", n)
	}
}

func TestReadsAreRetried(t *testing.T) {
	w := start(t, k8ssim.Config{})
	c := w.client(t, k8ssim.ContextFull)
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/k8s/api/v1/namespaces/prod/secrets/api-keys", Status: 503, Count: 2}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetSecretKey(context.Background(), "prod", "api-keys", "OPENAI_API_KEY")
	if err != nil || got.Value.Reveal() != "sk-old" {
		t.Errorf("a read after two 503s: %v", err)
	}
	if n := w.writes("GET"); n != 3 {
		t.Errorf("%d GETs, want 3", n)
	}
}

func TestCheckAccess(t *testing.T) {
	w := start(t, k8ssim.Config{})
	ctx := context.Background()
	messages := func(ps []kubernetes.Problem) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Check+": "+p.Message)
		}
		return strings.Join(out, "\n")
	}
	check := func(context, ns, name string, restarts []string, want ...string) {
		t.Helper()
		ps, err := w.client(t, context).CheckAccess(ctx, ns, name, restarts)
		if err != nil {
			t.Fatalf("%s: %v", context, err)
		}
		if len(ps) != len(want) {
			t.Errorf("%s %s/%s %v: %d problems, want %d:\n%s", context, ns, name, restarts, len(ps), len(want), messages(ps))
			return
		}
		for i, p := range ps {
			if !strings.Contains(p.Check+": "+p.Message, want[i]) {
				t.Errorf("%s %s/%s: problem %d = %s: %s, want %q", context, ns, name, i, p.Check, p.Message, want[i])
			}
		}
	}
	before := w.writes("PATCH")
	check(k8ssim.ContextFull, "prod", "api-keys", []string{"deployment/api", "deploy/worker"})
	check(k8ssim.ContextReadOnly, "prod", "api-keys", []string{"deployment/api"},
		`permission: the user of context sim-readonly may not patch secret "api-keys" in namespace prod`,
		`permission: the user of context sim-readonly may not patch deployment "api" in namespace prod`)
	check(k8ssim.ContextNoRestart, "prod", "api-keys", []string{"deployment/api"},
		`permission: the user of context sim-no-restart may not patch deployment "api"`)
	check(k8ssim.ContextNoRestart, "prod", "api-keys", nil)
	check(k8ssim.ContextFull, "ghost", "api-keys", nil, "namespace: namespace ghost does not exist in context sim")
	check(k8ssim.ContextFull, "prod", "nope", []string{"deployment/gone", "statefulset/db"},
		"restart: bad input: restart \"statefulset/db\": only Deployments can be restarted",
		"secret: secret prod/nope does not exist in context sim",
		"deployment: deployment prod/gone does not exist")

	pause := true
	d, err := w.client(t, k8ssim.ContextFull).CheckAccess(ctx, "prod", "api-keys", nil)
	if err != nil || len(d) != 0 {
		t.Fatal(err, d)
	}
	cs := rawClient(t, w)
	dep, err := cs.AppsV1().Deployments("prod").Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep.Spec.Paused = pause
	if _, err := cs.AppsV1().Deployments("prod").Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	check(k8ssim.ContextFull, "prod", "api-keys", []string{"deployment/api"}, "deployment: deployment prod/api is paused")
	if n := w.writes("PATCH") - before; n != 0 {
		t.Errorf("CheckAccess sent %d patches", n)
	}
}

func TestRolloutRestartAndWait(t *testing.T) {
	w := start(t, k8ssim.Config{RolloutDuration: 300 * time.Millisecond})
	c := w.client(t, k8ssim.ContextFull)
	ctx := context.Background()
	if _, err := c.SetSecretKey(ctx, "prod", "api-keys", "OPENAI_API_KEY", secret.New("sk-new")); err != nil {
		t.Fatal(err)
	}
	if v, _ := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY"); v != "sk-old" {
		t.Fatalf("before the restart the pods read %q", v)
	}
	r, err := c.RolloutRestart(ctx, "prod", "api")
	if err != nil {
		t.Fatal(err)
	}
	snap := w.k8s.Snapshot().(*k8ssim.Snapshot)
	var api k8ssim.SnapshotDeployment
	for _, d := range snap.Deployments {
		if d.Name == "api" {
			api = d
		}
	}
	if r.Generation != 2 || api.Generation != 2 || api.RestartedAt != r.RestartedAt || api.Revision != 2 {
		t.Errorf("restart %+v; the world: %+v", r, api)
	}
	if err := c.WaitRollout(ctx, "prod", "api", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, _ := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY"); v != "sk-new" {
		t.Errorf("after the wait the pods read %q, want sk-new", v)
	}
	if v, _ := w.k8s.RolloutValue("prod", "worker", "api-keys", "OPENAI_API_KEY"); v != "sk-old" {
		t.Errorf("worker was not restarted, yet its pods read %q", v)
	}
	if _, err := c.RolloutRestart(ctx, "prod", "gone"); !errors.Is(err, kubernetes.ErrNotFound) {
		t.Errorf("restarting a missing deployment: %v", err)
	}
	if err := c.WaitRollout(ctx, "prod", "gone", time.Second); !errors.Is(err, kubernetes.ErrNotFound) {
		t.Errorf("waiting for a missing deployment: %v", err)
	}
	if _, err := w.client(t, k8ssim.ContextNoRestart).RolloutRestart(ctx, "prod", "api"); !errors.Is(err, kubernetes.ErrForbidden) {
		t.Errorf("restarting without the right: %v", err)
	}
}

func TestWaitRolloutTimesOutAndFails(t *testing.T) {
	w := start(t, k8ssim.Config{RolloutDuration: 100 * time.Millisecond})
	c := w.client(t, k8ssim.ContextFull)
	ctx := context.Background()
	if err := w.k8s.StallRollouts("prod", "api", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RolloutRestart(ctx, "prod", "api"); err != nil {
		t.Fatal(err)
	}
	err := c.WaitRollout(ctx, "prod", "api", 300*time.Millisecond)
	if !errors.Is(err, kubernetes.ErrRolloutTimeout) || !strings.Contains(err.Error(), "not complete after 300ms: Waiting for deployment") {
		t.Errorf("a stalled rollout: %v", err)
	}
	cs := rawClient(t, w)
	dep, err := cs.AppsV1().Deployments("prod").Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	one := int32(1)
	dep.Spec.ProgressDeadlineSeconds = &one
	if _, err := cs.AppsV1().Deployments("prod").Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RolloutRestart(ctx, "prod", "api"); err != nil {
		t.Fatal(err)
	}
	err = c.WaitRollout(ctx, "prod", "api", time.Minute)
	if !errors.Is(err, kubernetes.ErrRolloutFailed) || !strings.Contains(err.Error(), `deployment "api" exceeded its progress deadline`) {
		t.Errorf("a rollout past its deadline: %v", err)
	}

	// A paused deployment is not restarted: nothing is sent.
	dep, _ = cs.AppsV1().Deployments("prod").Get(ctx, "worker", metav1.GetOptions{})
	dep.Spec.Paused = true
	if _, err := cs.AppsV1().Deployments("prod").Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := w.writes("PATCH")
	if _, err := c.RolloutRestart(ctx, "prod", "worker"); !errors.Is(err, kubernetes.ErrRolloutFailed) || !strings.Contains(err.Error(), "paused") {
		t.Errorf("restarting a paused deployment: %v", err)
	}
	if w.writes("PATCH") != before {
		t.Error("a paused deployment was patched")
	}
}

func TestRolloutStatusIsKubectls(t *testing.T) {
	two := int32(2)
	for _, tc := range []struct {
		gen  int64
		st   appsv1.DeploymentStatus
		want string
		done bool
	}{
		{2, appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}, "Waiting for deployment spec update to be observed...", false},
		{2, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 1, AvailableReplicas: 2}, `Waiting for deployment "api" rollout to finish: 1 out of 2 new replicas have been updated...`, false},
		{2, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 2, AvailableReplicas: 2}, `Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination...`, false},
		{2, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 1}, `Waiting for deployment "api" rollout to finish: 1 of 2 updated replicas are available...`, false},
		{2, appsv1.DeploymentStatus{ObservedGeneration: 3, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}, `deployment "api" successfully rolled out`, true},
	} {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api", Generation: tc.gen}, Spec: appsv1.DeploymentSpec{Replicas: &two}, Status: tc.st}
		msg, done, err := kubernetes.RolloutStatus(d)
		if err != nil || msg != tc.want || done != tc.done {
			t.Errorf("%+v: %q %v %v", tc.st, msg, done, err)
		}
	}
}

func TestNewReadsTheKubeconfigAsKubectlDoes(t *testing.T) {
	w := start(t, k8ssim.Config{})
	// KUBECONFIG and the current context.
	t.Setenv("KUBECONFIG", w.kubeconfig)
	c, err := kubernetes.New("", "")
	if err != nil || c.Context() != k8ssim.ContextFull {
		t.Fatalf("New from KUBECONFIG: %v", err)
	}
	c.Close()
	if _, err := kubernetes.New(w.kubeconfig, "prod-cluster"); err == nil || !strings.Contains(err.Error(), `no context "prod-cluster" (its contexts: sim, sim-no-restart, sim-readonly)`) {
		t.Errorf("an unknown context: %v", err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://k8s.example.com'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n"
	if err := os.WriteFile(plain, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kubernetes.New(plain, ""); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("a plain-http server: %v", err)
	}
	if err := os.WriteFile(plain, []byte(strings.Replace(cfg, "k8s.example.com", "127.0.0.1:1", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := kubernetes.New(plain, ""); err != nil {
		t.Errorf("a loopback http server: %v", err)
	} else {
		c.Close()
	}
}
