package kubernetes

import (
	"context"
	"errors"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Problem is something that would make a write or a restart fail, found
// before any change.
type Problem struct {
	// Check is what was checked: "namespace", "secret", "permission",
	// "deployment", "restart".
	Check string
	// Message says what is wrong and what to do.
	Message string
}

func (p Problem) String() string { return p.Message }

// CheckAccess finds what would stop respond from setting a key of Secret
// name in ns and restarting the Deployments of restarts (inventory
// entries, "deployment/NAME"): the namespace, the Secret and each
// Deployment must exist, and the context's user must be allowed (by
// SelfSubjectAccessReviews) to get and patch the Secret and to get, patch,
// list and watch each Deployment (a restart and the wait for it). It
// changes nothing. An error means the checks could not be made (the
// cluster cannot be reached, or refuses the credentials).
func (c *Client) CheckAccess(ctx context.Context, ns, name string, restarts []string) ([]Problem, error) {
	all, err := c.CheckAccessAll(ctx, ns, []Access{{Secret: name, Restarts: restarts}})
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// Access is what respond will do in a namespace for one target: set a key
// of Secret, and restart the Deployments of Restarts ("deployment/NAME").
type Access struct {
	Secret   string
	Restarts []string
}

// CheckAccessAll is CheckAccess for several targets of one namespace at
// once: the namespace is read once, and each permission, Secret and
// Deployment is asked about once however many targets share it. out[i]
// is the problems of items[i].
func (c *Client) CheckAccessAll(ctx context.Context, ns string, items []Access) ([][]Problem, error) {
	if err := checkNames(ns); err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := checkNames(ns, it.Secret); err != nil {
			return nil, err
		}
	}
	out := make([][]Problem, len(items))
	add := func(i int, check, format string, args ...any) {
		out[i] = append(out[i], Problem{Check: check, Message: fmt.Sprintf(format, args...)})
	}
	deployments := make([][]string, len(items))
	for i, it := range items {
		for _, r := range it.Restarts {
			d, err := ParseRestart(r)
			if err != nil {
				add(i, "restart", "%v", err)
				continue
			}
			deployments[i] = append(deployments[i], d)
		}
	}
	who := fmt.Sprintf("the user of context %s", c.context)

	// Permissions first: whether a missing object can be seen depends on
	// them. Each is asked once.
	type need struct{ verb, group, resource, name string }
	needsOf := func(i int) []need {
		n := []need{{"get", "", "secrets", items[i].Secret}, {"patch", "", "secrets", items[i].Secret}}
		for _, d := range deployments[i] {
			n = append(n, need{"get", "apps", "deployments", d}, need{"patch", "apps", "deployments", d},
				need{"list", "apps", "deployments", ""}, need{"watch", "apps", "deployments", ""})
		}
		return n
	}
	allowed := map[need]bool{}
	for i := range items {
		for _, n := range needsOf(i) {
			if _, seen := allowed[n]; seen {
				continue
			}
			ok, err := c.may(ctx, ns, n.verb, n.group, n.resource, n.name)
			if err != nil {
				return nil, err
			}
			allowed[n] = ok
		}
	}
	for i := range items {
		seen := map[need]bool{}
		for _, n := range needsOf(i) {
			if allowed[n] || seen[n] {
				continue
			}
			seen[n] = true
			what := n.resource
			if n.name != "" {
				what = fmt.Sprintf("%s %q", singular(n.resource), n.name)
			}
			add(i, "permission", "%s may not %s %s in namespace %s: ask for a Role that allows it (or use another context)", who, n.verb, what, ns)
		}
	}

	// The namespace. A user limited to its namespace may not read
	// namespaces: then the Secret's answer tells.
	err := c.read(ctx, func() error {
		_, err := c.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return err
	})
	switch werr := c.wrap("reading namespace "+ns, err); {
	case err == nil, errors.Is(werr, ErrForbidden):
	case errors.Is(werr, ErrNotFound):
		for i := range items {
			add(i, "namespace", "namespace %s does not exist in context %s: check the inventory's namespace and context", ns, c.context)
		}
		return out, nil
	default:
		return nil, werr
	}

	// Each Secret and Deployment once.
	secretProblem := map[string]string{}
	for _, it := range items {
		name := it.Secret
		if _, done := secretProblem[name]; done || !allowed[need{"get", "", "secrets", name}] {
			continue
		}
		err := c.read(ctx, func() error {
			_, err := c.cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
			return err
		})
		switch werr := c.wrap("reading secret "+ns+"/"+name, err); {
		case err == nil:
			secretProblem[name] = ""
		case errors.Is(werr, ErrNotFound):
			secretProblem[name] = fmt.Sprintf("secret %s/%s does not exist in context %s: respond sets a key of an existing Secret and does not create one; create it (kubectl create secret generic %s -n %s) or fix the inventory", ns, name, c.context, name, ns)
		default:
			return nil, werr
		}
	}
	deployProblem := map[string]string{}
	for i := range items {
		for _, d := range deployments[i] {
			if _, done := deployProblem[d]; done || !allowed[need{"get", "apps", "deployments", d}] {
				continue
			}
			var paused bool
			err := c.read(ctx, func() error {
				dep, err := c.cs.AppsV1().Deployments(ns).Get(ctx, d, metav1.GetOptions{})
				if err == nil {
					paused = dep.Spec.Paused
				}
				return err
			})
			switch werr := c.wrap("reading deployment "+ns+"/"+d, err); {
			case err == nil && paused:
				deployProblem[d] = fmt.Sprintf("deployment %s/%s is paused: a restart would not roll out; resume it (kubectl rollout resume deployment/%s -n %s)", ns, d, d, ns)
			case err == nil:
				deployProblem[d] = ""
			case errors.Is(werr, ErrNotFound):
				deployProblem[d] = fmt.Sprintf("deployment %s/%s does not exist in context %s: check the inventory's restart list", ns, d, c.context)
			default:
				return nil, werr
			}
		}
	}
	for i, it := range items {
		if p := secretProblem[it.Secret]; p != "" {
			add(i, "secret", "%s", p)
		}
		for _, d := range deployments[i] {
			if p := deployProblem[d]; p != "" {
				add(i, "deployment", "%s", p)
			}
		}
	}
	return out, nil
}

// may asks the API server whether the context's user may do verb on a
// resource (a SelfSubjectAccessReview).
func (c *Client) may(ctx context.Context, ns, verb, group, resource, name string) (bool, error) {
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: group, Resource: resource, Name: name},
	}}
	var out *authorizationv1.SelfSubjectAccessReview
	// A review changes nothing: it is as safe to repeat as a read.
	err := c.read(ctx, func() error {
		var err error
		out, err = c.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return false, c.wrap(fmt.Sprintf("asking whether it may %s %s", verb, resource), err)
	}
	return out.Status.Allowed, nil
}

func singular(resource string) string {
	switch resource {
	case "secrets":
		return "secret"
	case "deployments":
		return "deployment"
	}
	return resource
}
