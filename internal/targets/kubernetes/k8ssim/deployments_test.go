package k8ssim_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

// restart patches the pod template as kubectl rollout restart does.
func restart(t *testing.T, c kubernetes.Interface, ns, name, at string) *appsv1.Deployment {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, k8ssim.RestartedAtAnnotation, at)
	d, err := c.AppsV1().Deployments(ns).Patch(context.Background(), name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func get(t *testing.T, c kubernetes.Interface, ns, name string) *appsv1.Deployment {
	t.Helper()
	d, err := c.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type progress struct {
	observed                            int64
	replicas, updated, ready, available int32
}

func progressOf(d *appsv1.Deployment) progress {
	return progress{d.Status.ObservedGeneration, d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas}
}

func TestRolloutProgressesOnTheSimulatorsClock(t *testing.T) {
	clk := newClock()
	w := start(t, k8ssim.Config{RolloutDuration: 8 * time.Second}, clk.Now)
	if err := w.k8s.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", "sk-old"); err != nil {
		t.Fatal(err)
	}
	if err := w.k8s.AddDeployment("prod", "api", 2); err != nil {
		t.Fatal(err)
	}
	c := w.client(t, k8ssim.ContextFull)

	d := get(t, c, "prod", "api")
	if d.Generation != 1 || progressOf(d) != (progress{1, 2, 2, 2, 2}) || d.Annotations[k8ssim.RevisionAnnotation] != "1" {
		t.Fatalf("a seeded deployment: generation %d, %+v, annotations %v", d.Generation, progressOf(d), d.Annotations)
	}
	if v, ok := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY"); !ok || v != "sk-old" {
		t.Fatalf("RolloutValue of a seeded deployment = %q, %v", v, ok)
	}

	// A new value is not what the pods read until a rollout completes.
	if err := w.k8s.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", "sk-new"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	d = restart(t, c, "prod", "api", "2026-11-27T16:30:01Z")
	if d.Generation != 2 || d.Annotations[k8ssim.RevisionAnnotation] != "2" || d.Spec.Template.Annotations[k8ssim.RestartedAtAnnotation] != "2026-11-27T16:30:01Z" {
		t.Fatalf("after the restart: generation %d, annotations %v, template %v", d.Generation, d.Annotations, d.Spec.Template.Annotations)
	}
	// The controller has not observed it yet.
	if p := progressOf(d); p.observed != 1 {
		t.Errorf("right after the restart: %+v, want observedGeneration 1", p)
	}
	// 8 s over 2 replicas: 4 steps of 2 s.
	for _, step := range []struct {
		at   time.Duration
		want progress
	}{
		{2 * time.Second, progress{2, 3, 1, 2, 2}}, // a new pod, not yet available
		{4 * time.Second, progress{2, 2, 1, 2, 2}}, // it is; an old one went
		{6 * time.Second, progress{2, 3, 2, 2, 2}},
		{8 * time.Second, progress{2, 2, 2, 2, 2}},
	} {
		clk.Advance(2 * time.Second)
		if p := progressOf(get(t, c, "prod", "api")); p != step.want {
			t.Errorf("%v into the rollout: %+v, want %+v", step.at, p, step.want)
		}
		v, _ := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY")
		if want := map[bool]string{false: "sk-old", true: "sk-new"}[step.at == 8*time.Second]; v != want {
			t.Errorf("%v into the rollout the pods read %q, want %q", step.at, v, want)
		}
	}
	d = get(t, c, "prod", "api")
	var cond *appsv1.DeploymentCondition
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == appsv1.DeploymentProgressing {
			cond = &d.Status.Conditions[i]
		}
	}
	if cond == nil || cond.Reason != "NewReplicaSetAvailable" {
		t.Errorf("the Progressing condition after the rollout: %+v", cond)
	}

	// A change after the rollout completed is not read until the next.
	if err := w.k8s.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", "sk-newer"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if v, _ := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY"); v != "sk-new" {
		t.Errorf("the pods read %q, want sk-new (the value when their rollout completed)", v)
	}

	// A scale changes the generation, not the revision or what pods read.
	d, err := c.AppsV1().Deployments("prod").Patch(context.Background(), "api", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Generation != 3 || d.Annotations[k8ssim.RevisionAnnotation] != "2" || progressOf(d) != (progress{3, 3, 3, 3, 3}) {
		t.Errorf("after a scale: generation %d, revision %s, %+v", d.Generation, d.Annotations[k8ssim.RevisionAnnotation], progressOf(d))
	}
	// The status is the controller's: an update cannot set it.
	d.Status.ObservedGeneration = 99
	d.Status.ReadyReplicas = 0
	d, err = c.AppsV1().Deployments("prod").Update(context.Background(), d, metav1.UpdateOptions{})
	if err != nil || d.Status.ObservedGeneration != 3 || d.Status.ReadyReplicas != 3 {
		t.Errorf("an update of the status: %v, %+v", err, d.Status)
	}
	// The read-only and no-restart users cannot restart it.
	for _, ctxName := range []string{k8ssim.ContextReadOnly, k8ssim.ContextNoRestart} {
		_, err := w.client(t, ctxName).AppsV1().Deployments("prod").Patch(context.Background(), "api", types.StrategicMergePatchType, []byte(`{"spec":{"template":{"metadata":{"annotations":{"a":"b"}}}}}`), metav1.PatchOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s restarting: %v, want 403", ctxName, err)
		}
	}
}

func TestWatchFollowsARolloutToCompletion(t *testing.T) {
	clk := newClock()
	w := start(t, k8ssim.Config{RolloutDuration: 4 * time.Second}, clk.Now)
	if err := w.k8s.AddDeployment("prod", "api", 2); err != nil {
		t.Fatal(err)
	}
	if err := w.k8s.AddDeployment("prod", "worker", 1); err != nil {
		t.Fatal(err)
	}
	c := w.client(t, k8ssim.ContextReadOnly)
	d := restart(t, w.client(t, k8ssim.ContextFull), "prod", "api", "now")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wi, err := c.AppsV1().Deployments("prod").Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", "api").String(), ResourceVersion: d.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer wi.Stop()
	// worker's restart is not api's business.
	restart(t, w.client(t, k8ssim.ContextFull), "prod", "worker", "now")

	var seen []progress
	for done := false; !done; {
		select {
		case <-time.After(10 * time.Millisecond):
			clk.Advance(250 * time.Millisecond)
		case ev, ok := <-wi.ResultChan():
			if !ok {
				t.Fatalf("the watch ended; saw %+v", seen)
			}
			got := ev.Object.(*appsv1.Deployment)
			if ev.Type != watch.Modified || got.Name != "api" {
				t.Fatalf("event %s for %s", ev.Type, got.Name)
			}
			seen = append(seen, progressOf(got))
			done = got.Status.ObservedGeneration >= got.Generation && got.Status.UpdatedReplicas == 2 && got.Status.Replicas == 2 && got.Status.AvailableReplicas == 2
		case <-ctx.Done():
			t.Fatalf("no completion; saw %+v", seen)
		}
	}
	if len(seen) < 3 {
		t.Errorf("the watch saw %d steps of the rollout, want each of them: %+v", len(seen), seen)
	}
}

func TestStalledRolloutExceedsItsDeadline(t *testing.T) {
	clk := newClock()
	w := start(t, k8ssim.Config{RolloutDuration: time.Second}, clk.Now)
	if err := w.k8s.PutSecret("sim/prod/s#k", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := w.k8s.AddDeployment("prod", "api", 1); err != nil {
		t.Fatal(err)
	}
	if err := w.k8s.StallRollouts("prod", "api", true); err != nil {
		t.Fatal(err)
	}
	if err := w.k8s.PutSecret("sim/prod/s#k", "v2"); err != nil {
		t.Fatal(err)
	}
	c := w.client(t, k8ssim.ContextFull)
	restart(t, c, "prod", "api", "now")
	clk.Advance(10 * time.Minute)
	d := get(t, c, "prod", "api")
	var reason string
	for _, cond := range d.Status.Conditions {
		if cond.Type == appsv1.DeploymentProgressing {
			reason = cond.Reason
		}
	}
	if reason != "ProgressDeadlineExceeded" || d.Status.UpdatedReplicas != 1 || d.Status.AvailableReplicas != 1 || d.Status.Replicas != 2 {
		t.Errorf("a stalled rollout after its deadline: %q, %+v", reason, d.Status)
	}
	if v, _ := w.k8s.RolloutValue("prod", "api", "s", "k"); v != "v1" {
		t.Errorf("a stalled rollout's pods read %q, want v1", v)
	}
	if err := w.k8s.StallRollouts("prod", "api", false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if v, _ := w.k8s.RolloutValue("prod", "api", "s", "k"); v != "v2" {
		t.Errorf("after the stall ended the pods read %q, want v2", v)
	}
}

func TestDeploymentsCreatedThroughTheAPI(t *testing.T) {
	clk := newClock()
	w := start(t, k8ssim.Config{RolloutDuration: time.Second}, clk.Now)
	c := w.client(t, k8ssim.ContextFull)
	ctx := context.Background()
	bad := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
	if _, err := c.AppsV1().Deployments("default").Create(ctx, bad, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("a deployment without selector or containers: %v", err)
	}
	two := int32(2)
	lbl := map[string]string{"app": "web"}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: lbl},
	}}
	d.Spec.Template.Labels = lbl
	d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1Container("web"))
	got, err := c.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Generation != 1 || got.UID == "" || *got.Spec.ProgressDeadlineSeconds != 600 || got.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		t.Errorf("created: %+v", got)
	}
	clk.Advance(2 * time.Second)
	if p := progressOf(get(t, c, "default", "web")); p != (progress{1, 2, 2, 2, 2}) {
		t.Errorf("after its first rollout: %+v", p)
	}
}
