package k8ssim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/watch"
)

// SecretRef is where a SecretStore ref points: "context/namespace/secret#key"
// names one key of a Secret as the kubeconfig context sees it. Every
// context of the fake sees the same cluster.
type SecretRef struct {
	Context, Namespace, Secret, Key string
}

// String is the ref's text.
func (r SecretRef) String() string {
	return r.Context + "/" + r.Namespace + "/" + r.Secret + "#" + r.Key
}

// ParseSecretRef parses "context/namespace/secret#key".
func ParseSecretRef(ref string) (SecretRef, error) {
	path, k, ok := strings.Cut(ref, "#")
	parts := strings.Split(path, "/")
	if !ok || len(parts) != 3 || k == "" {
		return SecretRef{}, fmt.Errorf("kubernetes secret ref %q: want context/namespace/secret#key", ref)
	}
	r := SecretRef{Context: parts[0], Namespace: parts[1], Secret: parts[2], Key: k}
	if r.Context == "" {
		return SecretRef{}, fmt.Errorf("kubernetes secret ref %q: no context", ref)
	}
	if errs := validation.IsDNS1123Label(r.Namespace); len(errs) > 0 {
		return SecretRef{}, fmt.Errorf("kubernetes secret ref %q: namespace: %s", ref, errs[0])
	}
	if errs := validation.IsDNS1123Subdomain(r.Secret); len(errs) > 0 {
		return SecretRef{}, fmt.Errorf("kubernetes secret ref %q: secret name: %s", ref, errs[0])
	}
	if errs := validation.IsConfigMapKey(r.Key); len(errs) > 0 {
		return SecretRef{}, fmt.Errorf("kubernetes secret ref %q: key: %s", ref, errs[0])
	}
	return r, nil
}

// PutSecret sets one key of a Secret, keeping its other keys, as a
// scenario seeds a deployment: ref is "context/namespace/secret#key"
// (ParseSecretRef), the context one of the kubeconfig's. The namespace and
// the Secret (type Opaque) are created when missing.
func (s *Server) PutSecret(ref, value string) error {
	r, err := ParseSecretRef(ref)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	if !s.knownContextLocked(r.Context) {
		return fmt.Errorf("kubernetes secret ref %q: no context %q (the kubeconfig has %s)", ref, r.Context, strings.Join(s.contextsLocked(), ", "))
	}
	s.addNamespaceLocked(r.Namespace, s.newUID())
	if o, ok := s.getLocked(resSecrets, r.Namespace, r.Secret); ok {
		sec := o.DeepCopyObject().(*corev1.Secret)
		if sec.Data == nil {
			sec.Data = map[string][]byte{}
		}
		sec.Data[r.Key] = []byte(value)
		if err := prepareSecret(sec, o.(*corev1.Secret)); err != nil {
			return err
		}
		s.putLocked(resSecrets, watch.Modified, sec)
		s.logSecretLocked(sec.Namespace, sec.Name, sec.Data)
		return nil
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: r.Secret, UID: s.newUID(), CreationTimestamp: s.timestamp()},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{r.Key: []byte(value)},
	}
	if err := prepareSecret(sec, nil); err != nil {
		return err
	}
	s.putLocked(resSecrets, watch.Added, sec)
	s.logSecretLocked(sec.Namespace, sec.Name, sec.Data)
	return nil
}

// SecretValue is what ref holds now.
func (s *Server) SecretValue(ref string) (string, bool) {
	r, err := ParseSecretRef(ref)
	if err != nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.getLocked(resSecrets, r.Namespace, r.Secret)
	if !ok {
		return "", false
	}
	v, ok := o.(*corev1.Secret).Data[r.Key]
	return string(v), ok
}

// SecretRefs is the ref of every key of every Secret, as the current
// context ContextFull sees it ("sim/namespace/secret#key"), sorted: the
// whole world of Secrets, for a test that checks a write changed nothing
// else.
func (s *Server) SecretRefs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, o := range s.listLocked(resSecrets, "", nil, nil) {
		sec := o.(*corev1.Secret)
		for k := range sec.Data {
			out = append(out, SecretRef{Context: ContextFull, Namespace: sec.Namespace, Secret: sec.Name, Key: k}.String())
		}
	}
	sort.Strings(out)
	return out
}

// AddNamespace creates a namespace (nothing if it exists).
func (s *Server) AddNamespace(name string) error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return fmt.Errorf("namespace %q: %s", name, errs[0])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addNamespaceLocked(name, s.newUID())
	return nil
}

// AddDeployment creates a Deployment of n pods (app=name) in ns, creating
// the namespace, as a scenario seeds one; its first rollout is complete at
// once, so its pods read the Secrets as they are now (RolloutValue).
func (s *Server) AddDeployment(ns, name string, n int32) error {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("namespace %q: %s", ns, errs[0])
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("deployment %q: %s", name, errs[0])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	if _, ok := s.getLocked(resDeployments, ns, name); ok {
		return fmt.Errorf("deployment %s/%s exists", ns, name)
	}
	s.addNamespaceLocked(ns, s.newUID())
	lbl := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: s.newUID(), CreationTimestamp: s.timestamp(), Labels: lbl},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "registry.example/" + name + ":1"}}},
			},
		},
	}
	st, err := s.prepareDeploymentCreate(d)
	if err != nil {
		return err
	}
	st.duration = 0 // seeded: already rolled out
	s.putLocked(resDeployments, watch.Added, d)
	s.deploys[key(ns, name)] = st
	s.advanceLocked()
	return nil
}

// StallRollouts makes the rollouts of a Deployment stall (one new pod
// never becomes available; after the Deployment's
// progressDeadlineSeconds its Progressing condition turns False with
// reason ProgressDeadlineExceeded, as kubectl rollout status reports), or,
// with stall false, go on from now.
func (s *Server) StallRollouts(ns, name string, stall bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.deploys[key(ns, name)]
	if st == nil {
		return fmt.Errorf("no deployment %s/%s", ns, name)
	}
	s.advanceLocked()
	if st.stalled && !stall && st.rolling {
		st.start = s.now()
	}
	st.stalled = stall
	s.advanceLocked()
	return nil
}

// RolloutValue is what the pods of a Deployment would read from key of a
// Secret of their namespace: its value when the Deployment's last rollout
// completed (a rollout under way, or a stalled one, has not changed the
// pods that serve). ok is false when no rollout completed or the Secret or
// key did not exist then.
func (s *Server) RolloutValue(ns, deployment, secret, key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	st := s.deploys[keyOf(ns, deployment)]
	if st == nil || !st.completed {
		return "", false
	}
	v, ok := s.secretAtLocked(ns, secret, st.completedAt, st.completedSeq)[key]
	return string(v), ok
}

func keyOf(ns, name string) string { return key(ns, name) }

// ServedValue implements simapi.ServedStore: what the pods of via
// ("deployment/NAME", in the namespace of ref) read from ref, a
// "context/namespace/secret#key" (RolloutValue).
func (s *Server) ServedValue(ref, via string) (string, bool) {
	r, err := ParseSecretRef(ref)
	if err != nil {
		return "", false
	}
	name, ok := strings.CutPrefix(via, "deployment/")
	if !ok || name == "" {
		return "", false
	}
	return s.RolloutValue(r.Namespace, name, r.Secret, r.Key)
}

// timestamp is now, as object timestamps are: to the second.
func (s *Server) timestamp() metav1.Time {
	return metav1.NewTime(s.now().UTC().Truncate(time.Second))
}

func (s *Server) knownContextLocked(ctx string) bool {
	s.ensureUsersLocked()
	for _, u := range s.byName {
		if u.context == ctx {
			return true
		}
	}
	return false
}

func (s *Server) contextsLocked() []string {
	s.ensureUsersLocked()
	var out []string
	for _, u := range s.userList() {
		out = append(out, u.context)
	}
	return out
}
