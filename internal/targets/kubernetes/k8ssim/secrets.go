package k8ssim

import (
	"bytes"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"
)

// maxSecretSize is the API server's limit on a Secret's data (1 MiB).
const maxSecretSize = 1 << 20

// secretVersion is a Secret's data from a time on (nil data: it did not
// exist); seq is the resourceVersion when it was written, which orders
// writes at the same time of the simulator's clock.
type secretVersion struct {
	at   time.Time
	seq  uint64
	data map[string][]byte
}

// addNamespaceLocked creates a namespace if it does not exist.
func (s *Server) addNamespaceLocked(name string, uid types.UID) {
	if _, ok := s.getLocked(resNamespaces, "", name); ok {
		return
	}
	ns := &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, UID: uid, CreationTimestamp: metav1.NewTime(s.now().UTC().Truncate(time.Second)),
			Labels: map[string]string{corev1.LabelMetadataName: name},
		},
		Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	}
	s.putLocked(resNamespaces, watch.Added, ns)
}

// prepareSecret folds stringData into data, defaults the type and
// validates the keys and size; old is the stored Secret on an update.
func prepareSecret(sec, old *corev1.Secret) error {
	if len(sec.StringData) > 0 {
		if sec.Data == nil {
			sec.Data = map[string][]byte{}
		}
		for k, v := range sec.StringData {
			sec.Data[k] = []byte(v)
		}
		sec.StringData = nil
	}
	if sec.Type == "" {
		sec.Type = corev1.SecretTypeOpaque
		if old != nil {
			sec.Type = old.Type
		}
	}
	var errs field.ErrorList
	size := 0
	for k, v := range sec.Data {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
		}
		size += len(v)
	}
	if size > maxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxSecretSize))
	}
	if old != nil {
		if sec.Type != old.Type {
			errs = append(errs, field.Invalid(field.NewPath("type"), sec.Type, "field is immutable"))
		}
		if old.Immutable != nil && *old.Immutable {
			if !sameData(old.Data, sec.Data) {
				errs = append(errs, field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"))
			}
			if sec.Immutable == nil || !*sec.Immutable {
				errs = append(errs, field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set"))
			}
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(resSecrets.gvk().GroupKind(), sec.Name, errs)
	}
	return nil
}

func sameData(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}

// logSecretLocked records a Secret's data as of now (nil: deleted).
func (s *Server) logSecretLocked(ns, name string, data map[string][]byte) {
	k := key(ns, name)
	var cp map[string][]byte
	if data != nil {
		cp = make(map[string][]byte, len(data))
		for k, v := range data {
			cp[k] = bytes.Clone(v)
		}
	}
	s.secretLog[k] = append(s.secretLog[k], secretVersion{at: s.now(), seq: s.rv, data: cp})
}

// secretAtLocked is a Secret's data at t, counting the writes at t up to
// resourceVersion seq (nil when it did not exist).
func (s *Server) secretAtLocked(ns, name string, t time.Time, seq uint64) map[string][]byte {
	var data map[string][]byte
	for _, v := range s.secretLog[key(ns, name)] {
		if v.at.After(t) || (v.at.Equal(t) && v.seq > seq) {
			break
		}
		data = v.data
	}
	return data
}
