package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// Writer writes a credential to kubernetes-secret targets: it sets one
// key of an existing Secret with a patch that names only that key (the
// other keys stay as they are), then restarts each Deployment the target
// lists as `kubectl rollout restart` does and waits, by kubectl's rule,
// until each rollout has completed, so that the pods run with the new
// value. One client per kubeconfig context, shared by the run's steps.
//
// A write is idempotent: a Secret that holds the value already is not
// patched again, and a Deployment whose last restart was respond's for
// this very version of the Secret (RestartedForAnnotation) is not
// restarted again, only waited for; so a resumed incident finishes a
// rollout that stalled without starting a second one, and restarts the
// pods that a crash left unrestarted.
//
// Kubernetes keeps no earlier value of a Secret: a write has no rollback.
type Writer struct{ env *plugin.Env }

var (
	_ target.Writer       = Writer{}
	_ target.BatchChecker = Writer{}
	_ target.Reader       = Writer{}
)

// NewWriter returns the writer of kubernetes-secret targets of env.
func NewWriter(env *plugin.Env) Writer { return Writer{env: env} }

// SharedKey is the plug-in environment's name of the client of a
// kubeconfig context ("" for the current context).
func SharedKey(context string) string { return "kubernetes:" + context }

// client returns the client of t's context, or an error saying how to
// configure one.
func (w Writer) client(t target.Target) (*Client, error) {
	if w.env == nil {
		return nil, step.Errorf("%s: Kubernetes is not configured: set KUBECONFIG to your kubeconfig (or use ~/.kube/config)", t.ID())
	}
	name := t.Str("context")
	c, err := plugin.SharedAs[*Client](w.env, SharedKey(name), func() (any, error) { return NewFromEnv(w.env.Getenv, name) })
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("%s: %w", t.ID(), err))
	}
	return c, nil
}

// valid checks that t is a valid kubernetes-secret target.
func valid(t target.Target) error {
	if t.Type != Type {
		return step.Errorf("%s: the Kubernetes writer handles %s targets, not %q", t.ID(), Type, t.Type)
	}
	if err := t.Validate(); err != nil {
		return step.Permanent(fmt.Errorf("%s: %w", t.ID(), err))
	}
	return nil
}

// where names t's Secret for messages: "Secret prod/api-keys (context
// sim)".
func where(t target.Target) string {
	ctx := "the current context"
	if c := t.Str("context"); c != "" {
		ctx = "context " + c
	}
	return fmt.Sprintf("Secret %s/%s (%s)", t.Str("namespace"), t.Str("secret"), ctx)
}

// Check implements target.Writer: CheckAll of t alone.
func (w Writer) Check(ctx context.Context, t target.Target) error {
	return w.CheckAll(ctx, []target.Target{t})[0]
}

// CheckAll implements target.BatchChecker: without changing anything, it
// checks that each target's namespace, Secret and Deployments exist and
// that the context's user may get and patch the Secret and get, patch,
// list and watch the Deployments (SelfSubjectAccessReviews). The targets
// of one context and namespace are checked together, each permission and
// object once; the namespaces at once.
func (w Writer) CheckAll(ctx context.Context, ts []target.Target) []error {
	errs := make([]error, len(ts))
	type group struct {
		c   *Client
		ns  string
		idx []int
	}
	groups := map[string]*group{}
	var order []string
	for i, t := range ts {
		if err := valid(t); err != nil {
			errs[i] = err
			continue
		}
		c, err := w.client(t)
		if err != nil {
			errs[i] = target.Preflightf(err, "%v", err)
			continue
		}
		k := t.Str("context") + "\x00" + t.Str("namespace")
		g := groups[k]
		if g == nil {
			g = &group{c: c, ns: t.Str("namespace")}
			groups[k] = g
			order = append(order, k)
		}
		g.idx = append(g.idx, i)
	}
	var wg sync.WaitGroup
	for _, k := range order {
		g := groups[k]
		wg.Go(func() {
			items := make([]Access, len(g.idx))
			for j, i := range g.idx {
				items[j] = Access{Secret: ts[i].Str("secret"), Restarts: ts[i].List("restart")}
			}
			found, err := g.c.CheckAccessAll(ctx, g.ns, items)
			for j, i := range g.idx {
				if err != nil {
					errs[i] = checkFailed(ts[i].ID(), err)
					continue
				}
				errs[i] = problemsError(ts[i].ID(), found[j])
			}
		})
	}
	wg.Wait()
	return errs
}

// problemsError is the preflight error of a target's problems (nil for
// none): one problem, or a target.ProblemList of them, each naming the
// target.
func problemsError(id string, ps []Problem) error {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Message
	}
	return target.PreflightProblems(id, msgs)
}

// checkFailed words a check that could not be made: credentials the
// cluster refuses, or a name it cannot take, are preflight problems; a
// cluster that cannot be reached or answers 5xx is not.
func checkFailed(id string, err error) error {
	if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrBadInput) {
		return target.Preflightf(err, "%s: %v", id, err)
	}
	return fmt.Errorf("%s: %w", id, err)
}

// Plan implements target.Writer: it reads the Secret to tell whether the
// key is added or replaced.
func (w Writer) Plan(ctx context.Context, t target.Target) (step.Change, error) {
	if err := valid(t); err != nil {
		return step.Change{}, err
	}
	c, err := w.client(t)
	if err != nil {
		return step.Change{}, err
	}
	id := t.ID()
	ch := step.Change{Action: step.Update, Target: id}
	st, err := c.ReadSecret(ctx, t.Str("namespace"), t.Str("secret"), t.Str("key"))
	switch {
	case errors.Is(err, ErrNotFound):
		ch.Action = step.Create
		ch.Effect = where(t) + " does not exist, and respond does not create Secrets: this write will fail until it is created"
		return ch, nil
	case err != nil:
		return step.Change{}, fmt.Errorf("%s: %w", id, err)
	}
	st.Value = secret.Value{}
	others := len(st.Keys)
	if st.Has {
		others--
		ch.Effect = fmt.Sprintf("set key %s of %s, keeping its %s", t.Str("key"), where(t), count(others, "other key"))
	} else {
		ch.Action = step.Create
		ch.Effect = fmt.Sprintf("add key %s to %s, keeping its %s", t.Str("key"), where(t), count(others, "other key"))
	}
	if rs := restarts(t); len(rs) > 0 {
		ch.Effect += fmt.Sprintf("; then restart %s and wait until each rollout completes (at most %s each)", deployments(rs), shortDuration(rolloutTimeout(t)))
	}
	return ch, nil
}

// Write implements target.Writer.
func (w Writer) Write(ctx context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	if err := valid(t); err != nil {
		return target.WriteResult{}, err
	}
	id := t.ID()
	if v.IsZero() {
		return target.WriteResult{}, step.Errorf("%s: refusing to write an empty value", id)
	}
	c, err := w.client(t)
	if err != nil {
		return target.WriteResult{}, err
	}
	ns, name, key := t.Str("namespace"), t.Str("secret"), t.Str("key")
	st, err := c.ReadSecret(ctx, ns, name, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return target.WriteResult{}, step.Errorf("%s: %s does not exist, and respond does not create Secrets: create it (kubectl create secret generic %s -n %s) and run again",
			id, where(t), name, ns)
	case err != nil:
		return target.WriteResult{}, fmt.Errorf("%s: %w", id, err)
	}
	same := st.Has && st.Value.Equal(v)
	st.Value = secret.Value{}
	res := target.WriteResult{Created: !st.Has}
	rv := st.ResourceVersion
	if same {
		res.Detail = fmt.Sprintf("key %s of %s already holds the value (resourceVersion %s); nothing written", key, where(t), rv)
	} else {
		if rv, err = c.SetSecretKey(ctx, ns, name, key, v); err != nil {
			return target.WriteResult{}, fmt.Errorf("%s: %w", id, err)
		}
		verb := "set"
		if res.Created {
			verb = "added"
		}
		others := len(st.Keys)
		if st.Has {
			others--
		}
		res.Detail = fmt.Sprintf("%s key %s of %s, kept its %s (resourceVersion %s)", verb, key, where(t), count(others, "other key"), rv)
	}
	rs := restarts(t)
	if len(rs) == 0 {
		return res, nil
	}
	done, failed, err := w.rollOut(ctx, c, t, rv, same)
	if len(done) > 0 {
		res.Detail += "; " + strings.Join(done, "; ")
	}
	if err != nil {
		return target.WriteResult{}, rolloutFailed(t, failed, res.Detail, err)
	}
	return res, nil
}

// rollOut restarts each Deployment of t that its pods may not have been
// restarted for (the Secret at resourceVersion rv) and waits until each
// rollout completes. done says what happened to each, in order, up to a
// failure; failed names the Deployment that failed.
func (w Writer) rollOut(ctx context.Context, c *Client, t target.Target, rv string, same bool) (done []string, failed string, err error) {
	ns, name := t.Str("namespace"), t.Str("secret")
	mark := name + "@" + rv
	timeout := rolloutTimeout(t)
	var restarted []string
	for _, d := range restarts(t) {
		if same {
			r, err := c.GetRollout(ctx, ns, d)
			if err != nil {
				return done, d, fmt.Errorf("deployment/%s: %w", d, err)
			}
			if r.Annotations[RestartedForAnnotation] == mark {
				done = append(done, fmt.Sprintf("deployment/%s was restarted for this value already", d))
				restarted = append(restarted, d)
				continue
			}
		}
		if _, err := c.RolloutRestartWith(ctx, ns, d, map[string]string{RestartedForAnnotation: mark}); err != nil {
			return done, d, fmt.Errorf("restarting deployment/%s: %w", d, err)
		}
		done = append(done, "restarted deployment/"+d)
		restarted = append(restarted, d)
	}
	for _, d := range restarted {
		if err := c.WaitRollout(ctx, ns, d, timeout); err != nil {
			return done, d, fmt.Errorf("the rollout of deployment/%s did not complete: %w", d, err)
		}
	}
	done = append(done, fmt.Sprintf("%s rolled out", deployments(restarted)))
	return done, "", nil
}

// rolloutFailed is the error of a write whose Secret holds the value but
// whose restarts did not all roll out: it says that the Secret IS written,
// and what to do. A rollout that failed, stalled past the wait or whose
// Deployment is gone, and a restart the cluster refused, fail the step for
// good (retrying would wait again for the same thing); a cluster that
// could not be reached may be tried again.
func rolloutFailed(t target.Target, deployment, detail string, err error) error {
	e := fmt.Errorf("%s: the Secret IS written (%s), but %w; until its pods restart they run with the old value: look at `kubectl rollout status deployment/%s -n %s%s`, fix what holds the rollout, then run `respond resume`, which waits for it again",
		t.ID(), detail, err, deployment, t.Str("namespace"), contextFlag(t))
	for _, kind := range []error{ErrRolloutFailed, ErrRolloutTimeout, ErrNotFound, ErrForbidden, ErrUnauthorized, ErrBadInput} {
		if errors.Is(err, kind) {
			return step.Permanent(e)
		}
	}
	return e
}

// contextFlag is " --context NAME" for the commands messages suggest.
func contextFlag(t target.Target) string {
	if c := t.Str("context"); c != "" {
		return " --context " + c
	}
	return ""
}

// Read implements target.Reader: the key's value now. step.ErrNotFound
// when the Secret or the key does not exist.
func (w Writer) Read(ctx context.Context, t target.Target, _ string) (secret.Value, error) {
	if err := valid(t); err != nil {
		return secret.Value{}, err
	}
	c, err := w.client(t)
	if err != nil {
		return secret.Value{}, err
	}
	k, err := c.GetSecretKey(ctx, t.Str("namespace"), t.Str("secret"), t.Str("key"))
	switch {
	case errors.Is(err, ErrNotFound):
		return secret.Value{}, fmt.Errorf("%s holds no value (%v): %w", t.ID(), err, step.ErrNotFound)
	case err != nil:
		return secret.Value{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	return k.Value, nil
}

// deployments is "deployment/api and deployment/worker".
func deployments(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "deployment/" + n
	}
	switch len(out) {
	case 0:
		return "no deployment"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// count is "1 other key", "2 other keys", "no other key".
func count(n int, what string) string {
	switch n {
	case 0:
		return "no " + what
	case 1:
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
