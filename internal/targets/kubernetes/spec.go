package kubernetes

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

// Type is the target type's name.
const Type = "kubernetes-secret"

// DefaultRolloutTimeout is how long a write waits for each restarted
// Deployment's rollout when the target gives no timeout; MaxRolloutTimeout
// bounds the one it gives.
const (
	DefaultRolloutTimeout = 5 * time.Minute
	MaxRolloutTimeout     = time.Hour
)

func init() { target.Register(Spec()) }

// Spec is what the kubernetes-secret target type declares: one key of a
// Secret, set through client-go with a kubeconfig context, and the
// Deployments to restart once it is set (the redeploy of Kubernetes).
func Spec() target.Spec {
	return target.Spec{
		Type:    Type,
		Title:   "Kubernetes Secret",
		Summary: "one key of a Kubernetes Secret (the other keys are kept), and the Deployments to restart so that their pods read it",
		Fields: []target.Field{
			{Name: "context", Kind: target.String, Doc: "the kubeconfig context (default: the kubeconfig's current context)", Check: checkContext},
			{Name: "namespace", Kind: target.String, Required: true, Doc: "the Secret's namespace",
				Check: func(v any) error {
					if errs := validation.IsDNS1123Label(v.(string)); len(errs) > 0 {
						return target.Invalid("a namespace is a DNS label: lower-case letters, digits and -, at most 63 characters, e.g. prod", "invalid namespace %q", v)
					}
					return nil
				}},
			{Name: "secret", Kind: target.String, Required: true, Names: true, Doc: "the Secret's name (it must exist: respond does not create Secrets)",
				Check: func(v any) error {
					if errs := validation.IsDNS1123Subdomain(v.(string)); len(errs) > 0 {
						return target.Invalid("a Secret's name is a DNS subdomain: lower-case letters, digits, - and ., e.g. api-keys", "invalid Secret name %q", v)
					}
					return nil
				}},
			{Name: "key", Kind: target.String, Required: true, Names: true, Doc: "the key of the Secret's data to set (its other keys are kept)",
				Check: func(v any) error {
					if errs := validation.IsConfigMapKey(v.(string)); len(errs) > 0 {
						return target.Invalid("a Secret's key uses letters, digits, -, _ and ., e.g. OPENAI_API_KEY", "invalid key %q: %s", v, errs[0])
					}
					return nil
				}},
			{Name: "restart", Kind: target.List, Doc: "Deployments of the namespace to restart once the key is set, each deployment/NAME; respond waits until each rollout completes",
				Check: checkRestarts},
			{Name: "timeout", Kind: target.Duration, MaxDuration: MaxRolloutTimeout.String(),
				Doc: fmt.Sprintf("how long to wait for each restarted Deployment's rollout (default %s)", shortDuration(DefaultRolloutTimeout))},
		},
		Example: "- kubernetes-secret: {context: prod, namespace: api, secret: api-keys, key: OPENAI_API_KEY, restart: [deployment/api]}",
		Holds:   true,
		Validate: func(t target.Target) []target.Problem {
			if t.Str("timeout") != "" && len(t.List("restart")) == 0 {
				return []target.Problem{{Field: "timeout", Warning: true, Msg: "timeout applies to the restarts, and the target restarts nothing",
					Hint: "add restart: [deployment/NAME] for the Deployments that read the Secret, or drop timeout"}}
			}
			return nil
		},
		ID: func(t target.Target) string { return Type + ":" + placeOf(t) },
		Describe: func(t target.Target, _ func(string) string) (string, string, string) {
			where := "Kubernetes, current context"
			if c := t.Str("context"); c != "" {
				where = "Kubernetes context " + c
			}
			notes := "key " + t.Str("key")
			if r := t.List("restart"); len(r) > 0 {
				notes += "; restarts " + strings.Join(r, ", ") + " (wait up to " + shortDuration(rolloutTimeout(t)) + ")"
			}
			return where + ", namespace " + t.Str("namespace"), t.Str("secret"), notes
		},
		Env: []target.EnvVar{
			{Name: "KUBECONFIG", Doc: "the kubeconfig files, as kubectl reads them (default ~/.kube/config); a target's context names one of their contexts"},
		},
		Fake: k8ssim.New,
		// The conformance suite's places: keys of the Secret conformance
		// of namespace conformance, through the context that may do
		// everything; a Secret that does not exist is refused.
		Sample: &target.Sample{
			Place: func(name string) map[string]any {
				return map[string]any{"context": k8ssim.ContextFull, "namespace": "conformance", "secret": "conformance", "key": name}
			},
			Ref: func(t target.Target) string {
				c := t.Str("context")
				if c == "" {
					c = k8ssim.ContextFull // the fake's kubeconfig's current context
				}
				return k8ssim.SecretRef{Context: c, Namespace: t.Str("namespace"), Secret: t.Str("secret"), Key: t.Str("key")}.String()
			},
			Denied: func(name string) map[string]any {
				return map[string]any{"context": k8ssim.ContextFull, "namespace": "conformance", "secret": "missing", "key": name}
			},
		},
		New: func(env *plugin.Env) target.Writer { return NewWriter(env) },
	}
}

// placeOf is "CONTEXT/NAMESPACE/SECRET#KEY", or without a context
// "NAMESPACE/SECRET#KEY" (the kubeconfig's current context, whichever it
// is): a context name may hold "/" (EKS's ARNs), a namespace and a
// Secret's name may not, so the last two segments are always they.
func placeOf(t target.Target) string {
	p := t.Str("namespace") + "/" + t.Str("secret") + "#" + t.Str("key")
	if c := t.Str("context"); c != "" {
		p = c + "/" + p
	}
	return p
}

// checkContext accepts a kubeconfig context's name: any text a kubeconfig
// holds (EKS names contexts by ARN, GKE by gke_PROJECT_ZONE_CLUSTER), but
// no space or control character, and at most 253 characters.
func checkContext(v any) error {
	s := v.(string)
	if len(s) > 253 || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return target.Invalid("give the context's name as `kubectl config get-contexts` shows it", "invalid kubeconfig context %q", s)
	}
	return nil
}

// checkRestarts accepts deployment/NAME entries (kubectl's forms deploy/
// and deployments/ too), each Deployment once.
func checkRestarts(v any) error {
	seen := map[string]bool{}
	for _, r := range v.([]string) {
		name, err := ParseRestart(r)
		if err != nil {
			return target.Invalid("list the Deployments to restart as deployment/NAME, e.g. [deployment/api, deployment/worker]; only Deployments can be restarted", "invalid restart %q: %s", r, restartProblem(err))
		}
		if seen[name] {
			return target.Invalid("list each Deployment once", "deployment/%s is listed twice in restart", name)
		}
		seen[name] = true
	}
	return nil
}

// restartProblem is ParseRestart's error without its package's words.
func restartProblem(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// restarts returns the Deployments a target restarts, by name.
func restarts(t target.Target) []string {
	var out []string
	for _, r := range t.List("restart") {
		if d, err := ParseRestart(r); err == nil {
			out = append(out, d)
		}
	}
	return out
}

// rolloutTimeout is the target's timeout, or the default.
func rolloutTimeout(t target.Target) time.Duration {
	if d, err := time.ParseDuration(t.Str("timeout")); err == nil && d > 0 {
		return d
	}
	return DefaultRolloutTimeout
}

// shortDuration writes 5m0s as 5m and 1h0m0s as 1h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
