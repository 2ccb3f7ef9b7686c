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
	if err := checkNames(ns, name); err != nil {
		return nil, err
	}
	var problems []Problem
	add := func(check, format string, args ...any) {
		problems = append(problems, Problem{Check: check, Message: fmt.Sprintf(format, args...)})
	}
	var deployments []string
	for _, r := range restarts {
		d, err := ParseRestart(r)
		if err != nil {
			add("restart", "%v", err)
			continue
		}
		deployments = append(deployments, d)
	}
	who := fmt.Sprintf("the user of context %s", c.context)

	// Permissions first: whether a missing object can be seen depends on
	// them.
	type need struct{ verb, group, resource, name string }
	needs := []need{{"get", "", "secrets", name}, {"patch", "", "secrets", name}}
	for _, d := range deployments {
		needs = append(needs, need{"get", "apps", "deployments", d}, need{"patch", "apps", "deployments", d},
			need{"list", "apps", "deployments", ""}, need{"watch", "apps", "deployments", ""})
	}
	allowed := map[need]bool{}
	for _, n := range needs {
		if _, seen := allowed[n]; seen {
			continue
		}
		ok, err := c.may(ctx, ns, n.verb, n.group, n.resource, n.name)
		if err != nil {
			return nil, err
		}
		allowed[n] = ok
		if !ok {
			what := n.resource
			if n.name != "" {
				what = fmt.Sprintf("%s %q", singular(n.resource), n.name)
			}
			add("permission", "%s may not %s %s in namespace %s: ask for a Role that allows it (or use another context)", who, n.verb, what, ns)
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
		add("namespace", "namespace %s does not exist in context %s: check the inventory's namespace and context", ns, c.context)
		return problems, nil
	default:
		return nil, werr
	}

	if allowed[need{"get", "", "secrets", name}] {
		err := c.read(ctx, func() error {
			_, err := c.cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
			return err
		})
		switch werr := c.wrap("reading secret "+ns+"/"+name, err); {
		case err == nil:
		case errors.Is(werr, ErrNotFound):
			add("secret", "secret %s/%s does not exist in context %s: respond sets a key of an existing Secret and does not create one; create it (kubectl create secret generic %s -n %s) or fix the inventory", ns, name, c.context, name, ns)
		default:
			return nil, werr
		}
	}
	for _, d := range deployments {
		if !allowed[need{"get", "apps", "deployments", d}] {
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
			add("deployment", "deployment %s/%s is paused: a restart would not roll out; resume it (kubectl rollout resume deployment/%s -n %s)", ns, d, d, ns)
		case err == nil:
		case errors.Is(werr, ErrNotFound):
			add("deployment", "deployment %s/%s does not exist in context %s: check the inventory's restart list", ns, d, c.context)
		default:
			return nil, werr
		}
	}
	return problems, nil
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
