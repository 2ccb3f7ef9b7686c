package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// RestartedAtAnnotation is the pod-template annotation a rollout restart
// sets, as `kubectl rollout restart` does.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// ParseRestart reads a restart entry of the inventory, "deployment/NAME"
// (kubectl's forms deploy/, deployments/ and deployment.apps/ too), and
// returns the Deployment's name. Only Deployments are restarted.
func ParseRestart(entry string) (string, error) {
	kind, name, ok := strings.Cut(entry, "/")
	switch strings.ToLower(kind) {
	case "deployment", "deployments", "deploy", "deployment.apps", "deployments.apps":
	default:
		if !ok {
			return "", fmt.Errorf("%w: restart %q: write deployment/NAME", ErrBadInput, entry)
		}
		return "", fmt.Errorf("%w: restart %q: only Deployments can be restarted (deployment/NAME)", ErrBadInput, entry)
	}
	if err := checkNames("default", name); err != nil {
		return "", fmt.Errorf("restart %q: %w", entry, err)
	}
	return name, nil
}

// Restart is a rollout restart respond made.
type Restart struct {
	// Generation is the Deployment's generation after the restart: the
	// rollout is done when the controller has observed it.
	Generation int64
	// RestartedAt is the annotation's value (RFC 3339).
	RestartedAt string
}

// RolloutRestart restarts a Deployment's pods as `kubectl rollout
// restart` does: a patch of the pod template's restartedAt annotation,
// which starts a rollout. A paused Deployment is refused
// (ErrRolloutFailed), as kubectl refuses it. The patch is sent once: a
// second one would be a second rollout.
func (c *Client) RolloutRestart(ctx context.Context, ns, deployment string) (Restart, error) {
	return c.RolloutRestartWith(ctx, ns, deployment, nil)
}

// RolloutRestartWith is RolloutRestart that also sets annotations on the
// pod template, in the same patch: what the restart was for (respond
// marks the Secret's version it restarts for, RestartedForAnnotation), so
// that a later run can tell whether the pods were restarted since.
func (c *Client) RolloutRestartWith(ctx context.Context, ns, deployment string, annotations map[string]string) (Restart, error) {
	if err := checkNames(ns, deployment); err != nil {
		return Restart{}, err
	}
	for k := range annotations {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return Restart{}, fmt.Errorf("%w: annotation %q: %s", ErrBadInput, k, errs[0])
		}
	}
	op := fmt.Sprintf("restarting deployment %s/%s", ns, deployment)
	var d *appsv1.Deployment
	err := c.read(ctx, func() error {
		var err error
		d, err = c.cs.AppsV1().Deployments(ns).Get(ctx, deployment, metav1.GetOptions{})
		return err
	})
	if err != nil {
		return Restart{}, c.wrap(op, err)
	}
	if d.Spec.Paused {
		return Restart{}, &Error{Context: c.context, Op: op, Message: "the deployment is paused", Hint: "resume it (kubectl rollout resume deployment/" + deployment + " -n " + ns + ") and restart it", kind: ErrRolloutFailed}
	}
	at := c.now().UTC().Format(time.RFC3339)
	set := map[string]string{RestartedAtAnnotation: at}
	for k, v := range annotations {
		set[k] = v
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": set}}}})
	if err != nil {
		return Restart{}, fmt.Errorf("kubernetes: %s: %w", op, err)
	}
	var out appsv1.Deployment
	err = c.cs.AppsV1().RESTClient().Patch(types.StrategicMergePatchType).
		Namespace(ns).Resource("deployments").Name(deployment).
		VersionedParams(&metav1.PatchOptions{FieldManager: "respond"}, metav1.ParameterCodec).
		Body(patch).MaxRetries(0).Do(ctx).Into(&out)
	if err != nil {
		return Restart{}, c.wrap(op, err)
	}
	return Restart{Generation: out.Generation, RestartedAt: at}, nil
}

// RestartedForAnnotation is the pod-template annotation respond sets with
// a restart it makes after writing a Secret: "SECRET@RESOURCEVERSION", the
// Secret's version the pods are restarted to read.
const RestartedForAnnotation = "respond.dev/restarted-for"

// Rollout is a Deployment's rollout as read.
type Rollout struct {
	// Annotations are the pod template's.
	Annotations map[string]string
	Paused      bool
	// Done, Message and Err are RolloutStatus's.
	Done    bool
	Message string
	Err     error
}

// GetRollout reads a Deployment's rollout: its pod template's annotations
// and where the rollout stands (RolloutStatus). ErrNotFound when the
// Deployment does not exist.
func (c *Client) GetRollout(ctx context.Context, ns, deployment string) (Rollout, error) {
	if err := checkNames(ns, deployment); err != nil {
		return Rollout{}, err
	}
	var d *appsv1.Deployment
	err := c.read(ctx, func() error {
		var err error
		d, err = c.cs.AppsV1().Deployments(ns).Get(ctx, deployment, metav1.GetOptions{})
		return err
	})
	if err != nil {
		return Rollout{}, c.wrap(fmt.Sprintf("reading deployment %s/%s", ns, deployment), err)
	}
	r := Rollout{Annotations: d.Spec.Template.Annotations, Paused: d.Spec.Paused}
	r.Message, r.Done, r.Err = RolloutStatus(d)
	return r, nil
}

// RolloutStatus is kubectl's rule for a Deployment's rollout (kubectl
// rollout status, k8s.io/kubectl/pkg/polymorphichelpers): done when the
// controller observed the latest generation, every replica is updated,
// no old replica is left and every updated replica is available. The
// message is kubectl's; err is ErrRolloutFailed when the rollout exceeded
// its progress deadline.
func RolloutStatus(d *appsv1.Deployment) (msg string, done bool, err error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...", false, nil
	}
	for _, cond := range d.Status.Conditions {
		if cond.Type == appsv1.DeploymentProgressing && cond.Reason == "ProgressDeadlineExceeded" {
			return "", false, fmt.Errorf("%w: deployment %q exceeded its progress deadline", ErrRolloutFailed, d.Name)
		}
	}
	if d.Spec.Replicas != nil && d.Status.UpdatedReplicas < *d.Spec.Replicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...", d.Name, d.Status.UpdatedReplicas, *d.Spec.Replicas), false, nil
	}
	if d.Status.Replicas > d.Status.UpdatedReplicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...", d.Name, d.Status.Replicas-d.Status.UpdatedReplicas), false, nil
	}
	if d.Status.AvailableReplicas < d.Status.UpdatedReplicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...", d.Name, d.Status.AvailableReplicas, d.Status.UpdatedReplicas), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out", d.Name), true, nil
}

// WaitRollout waits until a Deployment's rollout is complete by
// RolloutStatus, watching it as kubectl rollout status does, for at most
// timeout. ErrRolloutTimeout (with where the rollout stood) when it is not
// complete in time, ErrRolloutFailed when it cannot complete, ErrNotFound
// when the Deployment does not exist or is deleted. The list and watch
// are reads: retried by client-go's reflector.
func (c *Client) WaitRollout(ctx context.Context, ns, deployment string, timeout time.Duration) error {
	if err := checkNames(ns, deployment); err != nil {
		return err
	}
	op := fmt.Sprintf("waiting for the rollout of deployment %s/%s", ns, deployment)
	// The Deployment must exist: the informer below would wait for it.
	if err := c.read(ctx, func() error {
		_, err := c.cs.AppsV1().Deployments(ns).Get(ctx, deployment, metav1.GetOptions{})
		return err
	}); err != nil {
		return c.wrap(op, err)
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lw := cache.NewListWatchFromClient(c.cs.AppsV1().RESTClient(), "deployments", ns, fields.OneTermEqualSelector("metadata.name", deployment))
	last := "no status seen"
	_, err := watchtools.UntilWithSync(wctx, lw, &appsv1.Deployment{}, nil, func(e watch.Event) (bool, error) {
		switch e.Type {
		case watch.Deleted:
			return false, &Error{Context: c.context, Op: op, Message: "the deployment was deleted", kind: ErrNotFound}
		case watch.Added, watch.Modified:
			d, ok := e.Object.(*appsv1.Deployment)
			if !ok {
				return false, nil
			}
			msg, done, err := RolloutStatus(d)
			if err != nil {
				return false, &Error{Context: c.context, Op: op, Message: err.Error(), Hint: "see kubectl describe deployment/" + deployment + " -n " + ns, kind: ErrRolloutFailed}
			}
			last = msg
			return done, nil
		}
		return false, nil
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrRolloutFailed), errors.Is(err, ErrNotFound):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	case wctx.Err() != nil:
		return &Error{Context: c.context, Op: op, Message: fmt.Sprintf("not complete after %s: %s", timeout, strings.TrimSuffix(last, "...")), kind: ErrRolloutTimeout}
	}
	return c.wrap(op, err)
}
