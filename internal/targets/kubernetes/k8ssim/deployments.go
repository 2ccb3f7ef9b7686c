package k8ssim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"
)

// The annotations the deployment controller and kubectl use.
const (
	// RevisionAnnotation numbers a Deployment's rollouts.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RestartedAtAnnotation is what `kubectl rollout restart` sets on the
	// pod template.
	RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"
)

// deployState is what the fake's deployment controller knows of a
// Deployment beyond the object: its rollouts.
type deployState struct {
	revision int64
	// start is when the current rollout started, duration how long it
	// takes; rolling while it has not completed.
	start    time.Time
	duration time.Duration
	rolling  bool
	// stalled rollouts make no progress.
	stalled bool
	// before is the status when the current rollout started.
	before appsv1.DeploymentStatus
	// completedAt is when the last rollout completed (completed: one
	// did); completedSeq is the resourceVersion when the fake saw it
	// complete (writes at completedAt after it came too late).
	completedAt  time.Time
	completedSeq uint64
	completed    bool
}

// replicas is a Deployment's desired number of pods.
func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// defaultDeployment fills in what the API server defaults.
func defaultDeployment(d *appsv1.Deployment) {
	if d.Spec.Replicas == nil {
		one := int32(1)
		d.Spec.Replicas = &one
	}
	if d.Spec.Strategy.Type == "" {
		d.Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType && d.Spec.Strategy.RollingUpdate == nil {
		q := intstr.FromString("25%")
		d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: &q, MaxSurge: &q}
	}
	if d.Spec.RevisionHistoryLimit == nil {
		ten := int32(10)
		d.Spec.RevisionHistoryLimit = &ten
	}
	if d.Spec.ProgressDeadlineSeconds == nil {
		six := int32(600)
		d.Spec.ProgressDeadlineSeconds = &six
	}
	if d.Spec.Template.Spec.RestartPolicy == "" {
		d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if d.Spec.Template.Spec.DNSPolicy == "" {
		d.Spec.Template.Spec.DNSPolicy = corev1.DNSClusterFirst
	}
	if d.Spec.Template.Spec.SchedulerName == "" {
		d.Spec.Template.Spec.SchedulerName = corev1.DefaultSchedulerName
	}
}

// validateDeployment checks what the API server would refuse of the
// fields the fake looks at.
func validateDeployment(d *appsv1.Deployment) error {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if replicas(d) < 0 {
		errs = append(errs, field.Invalid(spec.Child("replicas"), replicas(d), "must be greater than or equal to 0"))
	}
	if d.Spec.Selector == nil {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil {
		errs = append(errs, field.Invalid(spec.Child("selector"), d.Spec.Selector, err.Error()))
	} else if sel.Empty() {
		errs = append(errs, field.Invalid(spec.Child("selector"), d.Spec.Selector, "empty selector is invalid for deployment"))
	} else if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), d.Spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	if len(d.Spec.Template.Spec.Containers) == 0 {
		errs = append(errs, field.Required(spec.Child("template", "spec", "containers"), ""))
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(resDeployments.gvk().GroupKind(), d.Name, errs)
	}
	return nil
}

// templateHash is the pod-template-hash of the ReplicaSet a template makes.
func templateHash(d *appsv1.Deployment) string {
	b, _ := json.Marshal(d.Spec.Template)
	h := fnv.New32a()
	h.Write(b)
	return utilrand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// startRolloutLocked starts a new rollout of d (its pod template
// changed); before is the status until the controller observes it.
func (s *Server) startRolloutLocked(st *deployState, before appsv1.DeploymentStatus) {
	st.revision++
	st.start = s.now()
	st.duration = s.rolloutDuration
	st.rolling = true
	st.before = before
}

// statusAt is d's status at now, and whether its rollout has completed.
func statusAt(d *appsv1.Deployment, st *deployState, now time.Time) (appsv1.DeploymentStatus, bool) {
	n := replicas(d)
	rs := fmt.Sprintf("%s-%s", d.Name, templateHash(d))
	since := metav1.NewTime(st.start.UTC().Truncate(time.Second))
	available := appsv1.DeploymentCondition{
		Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
		Message: "Deployment has minimum availability.", LastUpdateTime: since, LastTransitionTime: since,
	}
	progressing := func(status corev1.ConditionStatus, reason, msg string, at metav1.Time) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{
			Type: appsv1.DeploymentProgressing, Status: status, Reason: reason,
			Message: fmt.Sprintf("ReplicaSet %q %s.", rs, msg), LastUpdateTime: at, LastTransitionTime: since,
		}
	}
	status := func(updated, old, availNew int32) appsv1.DeploymentStatus {
		total := updated + old
		avail := old + availNew
		return appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: total, UpdatedReplicas: updated,
			ReadyReplicas: avail, AvailableReplicas: avail, UnavailableReplicas: max(0, total-avail),
		}
	}

	elapsed := now.Sub(st.start)
	if !st.rolling || (!st.stalled && elapsed >= st.duration) {
		done := status(n, 0, n)
		end := metav1.NewTime(st.start.Add(st.duration).UTC().Truncate(time.Second))
		done.Conditions = []appsv1.DeploymentCondition{available, progressing(corev1.ConditionTrue, "NewReplicaSetAvailable", "has successfully progressed", end)}
		return done, true
	}
	if st.stalled {
		// One new pod is created and never becomes available.
		stuck := status(min(1, n), n, 0)
		if n == 0 {
			stuck = status(0, 0, 0)
		}
		deadline := time.Duration(600) * time.Second
		if d.Spec.ProgressDeadlineSeconds != nil {
			deadline = time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second
		}
		if elapsed >= deadline {
			at := metav1.NewTime(st.start.Add(deadline).UTC().Truncate(time.Second))
			stuck.Conditions = []appsv1.DeploymentCondition{available, progressing(corev1.ConditionFalse, "ProgressDeadlineExceeded", "has timed out progressing", at)}
		} else {
			stuck.Conditions = []appsv1.DeploymentCondition{available, progressing(corev1.ConditionTrue, "ReplicaSetUpdated", "is progressing", since)}
		}
		return stuck, false
	}
	// The rollout goes in 2n steps: a new pod is created (one surge
	// pod), then it becomes available and an old one goes.
	steps := int64(2 * n)
	if steps == 0 {
		steps = 1
	}
	step := int64(float64(elapsed) / float64(st.duration) * float64(steps))
	if step <= 0 {
		return st.before, false // not observed yet
	}
	availNew := int32(step / 2)
	updated := min(n, int32((step+1)/2))
	out := status(updated, n-availNew, availNew)
	out.Conditions = []appsv1.DeploymentCondition{available, progressing(corev1.ConditionTrue, "ReplicaSetUpdated", "is progressing", since)}
	return out, false
}

// advanceLocked moves every rollout on to now: the status of each
// Deployment whose status changed is updated (a new resourceVersion and
// a MODIFIED event), and completed rollouts are recorded. It reports
// whether a rollout is still under way.
func (s *Server) advanceLocked() bool {
	now := s.now()
	rolling := false
	for _, o := range s.objects[resDeployments.name] {
		d := o.(*appsv1.Deployment)
		st := s.deploys[key(d.Namespace, d.Name)]
		if st == nil {
			continue
		}
		status, done := statusAt(d, st, now)
		if st.rolling && done {
			st.rolling = false
			st.completed = true
			st.completedAt = st.start.Add(st.duration)
			st.completedSeq = s.rv
		}
		rolling = rolling || st.rolling
		if !equality.Semantic.DeepEqual(d.Status, status) {
			nd := d.DeepCopy()
			nd.Status = status
			s.putLocked(resDeployments, watch.Modified, nd)
		}
	}
	return rolling
}

// prepareDeploymentCreate defaults and validates a new Deployment and
// returns the state of its first rollout, which starts now.
func (s *Server) prepareDeploymentCreate(d *appsv1.Deployment) (*deployState, error) {
	defaultDeployment(d)
	if err := validateDeployment(d); err != nil {
		return nil, err
	}
	d.Generation = 1
	d.Status = appsv1.DeploymentStatus{}
	st := &deployState{}
	s.startRolloutLocked(st, appsv1.DeploymentStatus{})
	setRevision(d, st.revision)
	return st, nil
}

// prepareDeploymentUpdate keeps the status, bumps the generation on a
// change of the spec and starts a rollout on a change of the template; it
// returns the Deployment's new rollout state (the stored one is left
// alone until the update is stored).
func (s *Server) prepareDeploymentUpdate(d, old *appsv1.Deployment) (*deployState, error) {
	defaultDeployment(d)
	if err := validateDeployment(d); err != nil {
		return nil, err
	}
	d.Status = old.Status
	d.Generation = old.Generation
	st := &deployState{revision: 1}
	if cur := s.deploys[key(d.Namespace, d.Name)]; cur != nil {
		cp := *cur
		st = &cp
	}
	if !equality.Semantic.DeepEqual(d.Spec, old.Spec) {
		d.Generation++
		if !equality.Semantic.DeepEqual(d.Spec.Template, old.Spec.Template) {
			s.startRolloutLocked(st, old.Status)
		}
	}
	setRevision(d, st.revision)
	return st, nil
}

func setRevision(d *appsv1.Deployment, rev int64) {
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[RevisionAnnotation] = strconv.FormatInt(rev, 10)
}
