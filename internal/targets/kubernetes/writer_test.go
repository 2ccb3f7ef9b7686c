package kubernetes_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"
	"github.com/respondhq/respond/internal/targets/kubernetes"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
	"k8s.io/client-go/tools/clientcmd"
)

// writer is the kubernetes-secret writer as respond builds it, its
// plug-in environment pointing at the world's kubeconfig.
func (w *world) writer(t *testing.T) target.Writer {
	t.Helper()
	env := w.sim.Env()
	spec, ok := target.Lookup(kubernetes.Type)
	if !ok {
		t.Fatal("kubernetes-secret is not registered")
	}
	pe := plugin.New(func(k string) string { return env[k] }, nil, nil)
	t.Cleanup(func() {
		// the clients the writer built, closed before the simulator
		for _, c := range []string{"", k8ssim.ContextFull, k8ssim.ContextReadOnly, k8ssim.ContextNoRestart} {
			if pe.Has(kubernetes.SharedKey(c)) {
				cl, _ := plugin.SharedAs[*kubernetes.Client](pe, kubernetes.SharedKey(c), nil)
				cl.Close()
			}
		}
	})
	return spec.New(pe)
}

func k8sTarget(fields map[string]any) target.Target {
	base := map[string]any{"context": k8ssim.ContextFull, "namespace": "prod", "secret": "api-keys", "key": "OPENAI_API_KEY"}
	for k, v := range fields {
		if v == nil {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	return target.New(kubernetes.Type, base)
}

// requests counts the requests of method whose path holds part.
func (w *world) requests(method, part string) int {
	n := 0
	for _, r := range w.sim.Requests(0) {
		if r.Method == method && strings.Contains(r.Path, part) {
			n++
		}
	}
	return n
}

func (w *world) deployment(t *testing.T, name string) k8ssim.SnapshotDeployment {
	t.Helper()
	for _, d := range w.k8s.Snapshot().(*k8ssim.Snapshot).Deployments {
		if d.Namespace == "prod" && d.Name == name {
			return d
		}
	}
	t.Fatalf("no deployment prod/%s", name)
	return k8ssim.SnapshotDeployment{}
}

// A write sets one key of the Secret and keeps the other, restarts the
// Deployments the target names and returns once their rollouts are
// complete: the pods run with the new value. Writing it again changes
// nothing and restarts nothing.
func TestWriteSetsTheKeyAndRollsOut(t *testing.T) {
	w := start(t, k8ssim.Config{RolloutDuration: 300 * time.Millisecond})
	wr := w.writer(t)
	ctx := context.Background()
	tg := k8sTarget(map[string]any{"restart": []string{"deployment/api"}})
	if got, want := tg.ID(), "kubernetes-secret:sim/prod/api-keys#OPENAI_API_KEY"; got != want {
		t.Errorf("ID %q, want %q", got, want)
	}
	if err := wr.Check(ctx, tg); err != nil {
		t.Fatalf("Check: %v", err)
	}
	ch, err := wr.Plan(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"set key OPENAI_API_KEY of Secret prod/api-keys (context sim)", "keeping its 1 other key", "restart deployment/api", "at most 5m"} {
		if ch.Action != step.Update || !strings.Contains(ch.Effect, want) {
			t.Errorf("plan %s %q, want update saying %q", ch.Action, ch.Effect, want)
		}
	}
	if w.writes(http.MethodPatch) != 0 {
		t.Fatal("Check or Plan patched something")
	}

	res, err := wr.Write(ctx, tg, secret.New("sk-new"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || res.Rollback != "" || !strings.Contains(res.Detail, "restarted deployment/api") || !strings.Contains(res.Detail, "rolled out") {
		t.Errorf("result %+v", res)
	}
	if got := w.value(t, "sim/prod/api-keys#OPENAI_API_KEY"); got != "sk-new" {
		t.Errorf("the Secret holds %q", got)
	}
	if got := w.value(t, "sim/prod/api-keys#SENTRY_DSN"); got != "https://sentry" {
		t.Errorf("the other key became %q", got)
	}
	// The rollout completed after the write: the pods read the new value.
	if v, ok := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY"); !ok || v != "sk-new" {
		t.Errorf("api's pods read %q (%v) when the write returned", v, ok)
	}
	api, worker := w.deployment(t, "api"), w.deployment(t, "worker")
	if !api.RolloutComplete || api.Revision != 2 || api.RestartedAt == "" {
		t.Errorf("api after the write: %+v", api)
	}
	if worker.Revision != 1 || worker.RestartedAt != "" {
		t.Errorf("worker, which the target does not name, was restarted: %+v", worker)
	}
	if v, _ := w.k8s.RolloutValue("prod", "worker", "api-keys", "OPENAI_API_KEY"); v != "sk-old" {
		t.Errorf("worker's pods read %q, want the old value", v)
	}

	// Again: nothing written, nothing restarted.
	patches := w.writes(http.MethodPatch)
	res, err = wr.Write(ctx, tg, secret.New("sk-new"))
	if err != nil {
		t.Fatal(err)
	}
	if w.writes(http.MethodPatch) != patches || !strings.Contains(res.Detail, "already holds the value") || !strings.Contains(res.Detail, "restarted for this value already") {
		t.Errorf("a second write: %d patches (had %d), %q", w.writes(http.MethodPatch), patches, res.Detail)
	}
	if d := w.deployment(t, "api"); d.Revision != 2 {
		t.Errorf("the second write restarted api: revision %d", d.Revision)
	}
	// The plan of a key the Secret lacks says it is added.
	if ch, _ := wr.Plan(ctx, k8sTarget(map[string]any{"key": "NEW_KEY"})); ch.Action != step.Create || !strings.Contains(ch.Effect, "add key NEW_KEY") || !strings.Contains(ch.Effect, "keeping its 2 other keys") {
		t.Errorf("plan of a new key: %s %q", ch.Action, ch.Effect)
	}
	// The Reader reads it back; an empty place is step.ErrNotFound.
	rd := wr.(target.Reader)
	if v, err := rd.Read(ctx, tg, ""); err != nil || v.Reveal() != "sk-new" {
		t.Errorf("Read: %v", err)
	}
	if _, err := rd.Read(ctx, k8sTarget(map[string]any{"key": "NOPE"}), ""); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("Read of a missing key: %v", err)
	}
}

// A run that set the Secret and was killed before the restart: the next
// write finds the value in place and the pods not restarted for it, and
// restarts them.
func TestWriteRestartsPodsACrashLeftBehind(t *testing.T) {
	w := start(t, k8ssim.Config{RolloutDuration: -1})
	if err := w.k8s.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", "sk-new"); err != nil {
		t.Fatal(err)
	}
	res, err := w.writer(t).Write(context.Background(), k8sTarget(map[string]any{"restart": []string{"deployment/api", "deploy/worker"}}), secret.New("sk-new"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Detail, "already holds the value") || !strings.Contains(res.Detail, "restarted deployment/api; restarted deployment/worker") {
		t.Errorf("detail %q", res.Detail)
	}
	for _, d := range []string{"api", "worker"} {
		if v, _ := w.k8s.RolloutValue("prod", d, "api-keys", "OPENAI_API_KEY"); v != "sk-new" {
			t.Errorf("%s's pods read %q", d, v)
		}
	}
}

// A rollout that does not complete in time fails the write for good,
// saying that the Secret is written; once the rollout can go on, the next
// write does not restart again but waits for it.
func TestWriteWithAStalledRollout(t *testing.T) {
	w := start(t, k8ssim.Config{RolloutDuration: 200 * time.Millisecond})
	if err := w.k8s.StallRollouts("prod", "api", true); err != nil {
		t.Fatal(err)
	}
	wr := w.writer(t)
	tg := k8sTarget(map[string]any{"restart": []string{"deployment/api"}, "timeout": "1s"})
	_, err := wr.Write(context.Background(), tg, secret.New("sk-new"))
	if err == nil || !step.IsPermanent(err) || !errors.Is(err, kubernetes.ErrRolloutTimeout) {
		t.Fatalf("a stalled rollout: %v (permanent %v)", err, step.IsPermanent(err))
	}
	for _, want := range []string{"the Secret IS written", "deployment/api did not complete", "kubectl rollout status deployment/api -n prod --context sim", "respond resume"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if got := w.value(t, "sim/prod/api-keys#OPENAI_API_KEY"); got != "sk-new" {
		t.Errorf("the Secret holds %q", got)
	}
	if v, _ := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY"); v != "sk-old" {
		t.Errorf("the stalled pods read %q", v)
	}
	restarts := w.deployment(t, "api").Revision

	if err := w.k8s.StallRollouts("prod", "api", false); err != nil {
		t.Fatal(err)
	}
	res, err := wr.Write(context.Background(), tg, secret.New("sk-new"))
	if err != nil {
		t.Fatal(err)
	}
	if d := w.deployment(t, "api"); d.Revision != restarts || !d.RolloutComplete {
		t.Errorf("after the resume: %+v (revision was %d): want the same rollout, complete", d, restarts)
	}
	if v, _ := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY"); v != "sk-new" || !strings.Contains(res.Detail, "restarted for this value already") {
		t.Errorf("pods read %q; detail %q", v, res.Detail)
	}
}

// Preflight finds, before any change, what would make the write or the
// restart fail, each problem naming the target and wrapping
// step.ErrPreflight; the targets of one namespace are checked together,
// each permission and object once.
func TestCheckAll(t *testing.T) {
	w := start(t, k8ssim.Config{})
	bc := w.writer(t).(target.BatchChecker)
	ctx := context.Background()
	restart := []string{"deployment/api"}
	cases := []struct {
		tg   target.Target
		want string
	}{
		{k8sTarget(map[string]any{"context": k8ssim.ContextReadOnly}), `may not patch secret "api-keys" in namespace prod`},
		{k8sTarget(map[string]any{"context": k8ssim.ContextNoRestart, "restart": restart}), `may not patch deployment "api"`},
		{k8sTarget(map[string]any{"secret": "nope"}), "secret prod/nope does not exist"},
		{k8sTarget(map[string]any{"namespace": "staging"}), "namespace staging does not exist"},
		{k8sTarget(map[string]any{"restart": []string{"deployment/ghost"}}), "deployment prod/ghost does not exist"},
		{k8sTarget(map[string]any{"context": "elsewhere"}), `no context "elsewhere" (its contexts: sim, sim-no-restart, sim-readonly)`},
	}
	var ts []target.Target
	for _, c := range cases {
		ts = append(ts, c.tg)
	}
	for i, err := range bc.CheckAll(ctx, ts) {
		if !errors.Is(err, step.ErrPreflight) || !strings.Contains(err.Error(), cases[i].want) || !strings.HasPrefix(err.Error(), cases[i].tg.ID()) {
			t.Errorf("%s: %v, want a preflight problem saying %q", cases[i].tg.ID(), err, cases[i].want)
		}
	}
	if w.writes(http.MethodPatch) != 0 {
		t.Error("preflight patched something")
	}

	// Five keys of one Secret cost what one does.
	before := len(w.sim.Requests(0))
	if errs := bc.CheckAll(ctx, []target.Target{k8sTarget(nil)}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	one := len(w.sim.Requests(0)) - before
	var five []target.Target
	for _, k := range []string{"A", "B", "C", "D", "E"} {
		five = append(five, k8sTarget(map[string]any{"key": k, "restart": restart}))
	}
	before = len(w.sim.Requests(0))
	for _, err := range bc.CheckAll(ctx, five) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// one target: 2 reviews, the namespace, the Secret; five with a
	// restart: 6 reviews, the namespace, the Secret, the Deployment.
	if got := len(w.sim.Requests(0)) - before; one != 4 || got != 9 {
		t.Errorf("one target cost %d requests, five of one Secret and Deployment %d; want 4 and 9", one, got)
	}
}

// Inventory validation refuses names Kubernetes refuses, hostile ones
// among them, with a hint; a restart list takes Deployments only, each
// once.
func TestValidation(t *testing.T) {
	bad := []struct {
		field string
		v     any
		want  string
	}{
		{"namespace", "../prod", "invalid namespace"},
		{"namespace", "Prod", "invalid namespace"},
		{"secret", "api/keys", "invalid Secret name"},
		{"secret", "-rf", "invalid Secret name"},
		{"key", "A\nB", "holds a control character"},
		{"key", "../x", "invalid key"},
		{"key", "%2e%2e", "invalid key"},
		{"context", "prod\x1b[2J", "holds a control character"},
		{"context", "a b", "invalid kubeconfig context"},
		{"restart", []string{"statefulset/db"}, "only Deployments can be restarted"},
		{"restart", []string{"api"}, "write deployment/NAME"},
		{"restart", []string{"deployment/API"}, "invalid restart"},
		{"restart", []string{"deployment/api", "deploy/api"}, "listed twice"},
		{"timeout", "2h", "longer than 1h0m0s"},
		{"timeout", "0s", "not a duration above zero"},
	}
	for _, b := range bad {
		err := k8sTarget(map[string]any{b.field: b.v}).Validate()
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s %q: %v, want %q", b.field, b.v, err, b.want)
		}
	}
	for _, f := range []string{"namespace", "secret", "key"} {
		if err := k8sTarget(map[string]any{f: nil}).Validate(); err == nil || !strings.Contains(err.Error(), f+" is required") {
			t.Errorf("without %s: %v", f, err)
		}
	}
	// A context may be an EKS ARN; without one the ID names none.
	arn := "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
	if tg := k8sTarget(map[string]any{"context": arn}); tg.Validate() != nil || tg.ID() != "kubernetes-secret:"+arn+"/prod/api-keys#OPENAI_API_KEY" {
		t.Errorf("ARN context: %v %s", tg.Validate(), tg.ID())
	}
	if tg := k8sTarget(map[string]any{"context": nil}); tg.ID() != "kubernetes-secret:prod/api-keys#OPENAI_API_KEY" {
		t.Errorf("no context: %s", tg.ID())
	}
	// A timeout without a restart is a warning, not an error.
	tg := k8sTarget(map[string]any{"timeout": "2m"})
	var warned bool
	for _, p := range tg.Problems() {
		warned = warned || p.Warning && p.Field == "timeout"
	}
	if tg.Validate() != nil || !warned {
		t.Errorf("timeout without restart: %v %+v", tg.Validate(), tg.Problems())
	}
}

// respond does not create Secrets: a write to a missing one fails for
// good and changes nothing; an empty value is refused.
func TestWriteRefusals(t *testing.T) {
	w := start(t, k8ssim.Config{})
	wr := w.writer(t)
	_, err := wr.Write(context.Background(), k8sTarget(map[string]any{"secret": "nope", "restart": []string{"deployment/api"}}), secret.New("sk-new"))
	if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "kubectl create secret generic nope -n prod") {
		t.Errorf("write to a missing Secret: %v", err)
	}
	if _, err := wr.Write(context.Background(), k8sTarget(nil), secret.Value{}); err == nil {
		t.Error("an empty value was written")
	}
	if w.writes(http.MethodPatch) != 0 || w.writes(http.MethodPost) > w.requests(http.MethodPost, "selfsubjectaccessreviews") {
		t.Error("a refused write changed something")
	}
}

// The target conformance suite (internal/plugins runs it too), with
// credentials that may not write: a kubeconfig whose context sim is the
// read-only user's.
func TestConformance(t *testing.T) {
	w := start(t, k8ssim.Config{})
	spec, _ := target.Lookup(kubernetes.Type)
	env := w.sim.Env()
	h := conformance.FakeHarness(t, spec, w.k8s, plugin.New(func(k string) string { return env[k] }, nil, nil))
	cfg, err := clientcmd.LoadFromFile(w.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts[k8ssim.ContextFull] = cfg.Contexts[k8ssim.ContextReadOnly]
	readonly := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, readonly); err != nil {
		t.Fatal(err)
	}
	denied := plugin.New(func(k string) string {
		if k == "KUBECONFIG" {
			return readonly
		}
		return env[k]
	}, nil, nil)
	h.DeniedWriter = spec.New(denied)
	conformance.Run(t, h)
}
