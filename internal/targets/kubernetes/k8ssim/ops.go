package k8ssim

import (
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
)

// errModified is the API server's reason for a conflict on a stale
// resourceVersion.
var errModified = errors.New("the object has been modified; please apply your changes to the latest version and try again")

// create stores a new object in ns, as POST does.
func (s *Server) create(res *resource, ns string, o object, dry bool) (object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	if res.namespaced {
		switch o.GetNamespace() {
		case "":
			o.SetNamespace(ns)
		case ns:
		default:
			return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	if o.GetName() == "" && o.GetGenerateName() != "" {
		o.SetName(o.GetGenerateName() + s.randomSuffix())
	}
	if o.GetName() == "" {
		return nil, apierrors.NewInvalid(res.gvk().GroupKind(), "", field.ErrorList{field.Required(field.NewPath("metadata", "name"), "name or generateName is required")})
	}
	if errs := validation.IsDNS1123Subdomain(o.GetName()); len(errs) > 0 {
		return nil, apierrors.NewInvalid(res.gvk().GroupKind(), o.GetName(), field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), o.GetName(), errs[0])})
	}
	if res.namespaced {
		if _, ok := s.getLocked(resNamespaces, "", ns); !ok {
			return nil, apierrors.NewNotFound(resNamespaces.gr(), ns)
		}
	}
	if _, ok := s.getLocked(res, ns, o.GetName()); ok {
		return nil, apierrors.NewAlreadyExists(res.gr(), o.GetName())
	}
	o.SetUID(s.newUID())
	o.SetCreationTimestamp(s.timestamp())
	o.SetResourceVersion("")
	o.SetGeneration(0)
	o.SetManagedFields(nil)
	o.SetDeletionTimestamp(nil)
	var commit func()
	switch x := o.(type) {
	case *corev1.Secret:
		if err := prepareSecret(x, nil); err != nil {
			return nil, err
		}
		commit = func() { s.logSecretLocked(x.Namespace, x.Name, x.Data) }
	case *appsv1.Deployment:
		st, err := s.prepareDeploymentCreate(x)
		if err != nil {
			return nil, err
		}
		commit = func() { s.deploys[key(x.Namespace, x.Name)] = st }
	case *coordinationv1.Lease:
		if err := validateLease(x); err != nil {
			return nil, err
		}
	}
	if dry {
		o.GetObjectKind().SetGroupVersionKind(res.gvk())
		return o, nil
	}
	s.putLocked(res, watch.Added, o)
	if commit != nil {
		commit()
	}
	s.advanceLocked()
	cur, _ := s.getLocked(res, ns, o.GetName())
	return cur.DeepCopyObject().(object), nil
}

// update replaces an object with what change makes of (a copy of) the
// stored one, as PUT and PATCH do: a resourceVersion that is not the
// stored one is a conflict, and a change that changes nothing stores
// nothing.
func (s *Server) update(res *resource, ns, name string, dry bool, change func(old object) (object, error)) (object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	old, ok := s.getLocked(res, ns, name)
	if !ok {
		return nil, apierrors.NewNotFound(res.gr(), name)
	}
	o, err := change(old.DeepCopyObject().(object))
	if err != nil {
		return nil, err
	}
	if o.GetName() != name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", o.GetName(), name))
	}
	if res.namespaced && o.GetNamespace() != "" && o.GetNamespace() != ns {
		return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	o.SetNamespace(old.GetNamespace())
	switch rv := o.GetResourceVersion(); {
	case rv == "" && !res.unconditionalUpdate:
		return nil, apierrors.NewInvalid(res.gvk().GroupKind(), name, field.ErrorList{field.Invalid(field.NewPath("metadata", "resourceVersion"), o.GetResourceVersion(), "must be specified for an update")})
	case rv != "" && rv != old.GetResourceVersion():
		return nil, apierrors.NewConflict(res.gr(), name, errModified)
	}
	o.SetResourceVersion(old.GetResourceVersion())
	if o.GetUID() != "" && o.GetUID() != old.GetUID() {
		//lint:ignore ST1005 the API server's own words
		return nil, apierrors.NewConflict(res.gr(), name, fmt.Errorf("Precondition failed: UID in precondition: %s, UID in object meta: %s", o.GetUID(), old.GetUID()))
	}
	o.SetUID(old.GetUID())
	o.SetCreationTimestamp(old.GetCreationTimestamp())
	o.SetGeneration(old.GetGeneration())
	o.SetManagedFields(nil)
	o.SetDeletionTimestamp(nil)
	o.GetObjectKind().SetGroupVersionKind(res.gvk())
	var commit func()
	switch x := o.(type) {
	case *corev1.Secret:
		if err := prepareSecret(x, old.(*corev1.Secret)); err != nil {
			return nil, err
		}
		commit = func() { s.logSecretLocked(x.Namespace, x.Name, x.Data) }
	case *appsv1.Deployment:
		st, err := s.prepareDeploymentUpdate(x, old.(*appsv1.Deployment))
		if err != nil {
			return nil, err
		}
		commit = func() { s.deploys[key(x.Namespace, x.Name)] = st }
	case *coordinationv1.Lease:
		if err := validateLease(x); err != nil {
			return nil, err
		}
	case *corev1.Namespace:
		x.Status = old.(*corev1.Namespace).Status
	}
	if equality.Semantic.DeepEqual(o, old) || dry {
		return o, nil
	}
	s.putLocked(res, watch.Modified, o)
	if commit != nil {
		commit()
	}
	s.advanceLocked()
	cur, _ := s.getLocked(res, ns, name)
	return cur.DeepCopyObject().(object), nil
}

// delete removes an object, checking the request's preconditions.
func (s *Server) delete(res *resource, ns, name string, pre *metav1.Preconditions, dry bool) (types.UID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	old, ok := s.getLocked(res, ns, name)
	if !ok {
		return "", apierrors.NewNotFound(res.gr(), name)
	}
	if pre != nil {
		if pre.UID != nil && *pre.UID != old.GetUID() {
			//lint:ignore ST1005 the API server's own words
			return "", apierrors.NewConflict(res.gr(), name, fmt.Errorf("Precondition failed: UID in precondition: %s, UID in object meta: %s", *pre.UID, old.GetUID()))
		}
		if pre.ResourceVersion != nil && *pre.ResourceVersion != old.GetResourceVersion() {
			//lint:ignore ST1005 the API server's own words
			return "", apierrors.NewConflict(res.gr(), name, fmt.Errorf("Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s", *pre.ResourceVersion, old.GetResourceVersion()))
		}
	}
	if dry {
		return old.GetUID(), nil
	}
	s.deleteLocked(res, old)
	switch res {
	case resSecrets:
		s.logSecretLocked(ns, name, nil)
	case resDeployments:
		delete(s.deploys, key(ns, name))
	}
	return old.GetUID(), nil
}

// validateLease checks what the API server refuses of a Lease.
func validateLease(l *coordinationv1.Lease) error {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if d := l.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(spec.Child("leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	if t := l.Spec.LeaseTransitions; t != nil && *t < 0 {
		errs = append(errs, field.Invalid(spec.Child("leaseTransitions"), *t, "must be greater than or equal to 0"))
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(resLeases.gvk().GroupKind(), l.Name, errs)
	}
	return nil
}

// Patch media types.
const (
	jsonPatchType      = "application/json-patch+json"
	mergePatchType     = "application/merge-patch+json"
	strategicPatchType = "application/strategic-merge-patch+json"
)

// patcherFor returns what applies a PATCH body of content type ct to an
// object's JSON. Server-side apply is not simulated: it answers 415.
func patcherFor(ct string, body []byte, res *resource) (func(orig []byte) ([]byte, error), error) {
	invalid := func(err error) error {
		return apierrors.NewInvalid(res.gvk().GroupKind(), "", field.ErrorList{field.Invalid(field.NewPath("patch"), string(body), err.Error())})
	}
	switch ct {
	case jsonPatchType:
		p, err := jsonpatch.DecodePatch(body)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return func(orig []byte) ([]byte, error) {
			out, err := p.Apply(orig)
			if err != nil {
				return nil, invalid(err)
			}
			return out, nil
		}, nil
	case mergePatchType:
		return func(orig []byte) ([]byte, error) {
			out, err := jsonpatch.MergePatch(orig, body)
			if err != nil {
				return nil, apierrors.NewBadRequest(err.Error())
			}
			return out, nil
		}, nil
	case strategicPatchType:
		return func(orig []byte) ([]byte, error) {
			out, err := strategicpatch.StrategicMergePatch(orig, body, res.newObject())
			if err != nil {
				return nil, apierrors.NewBadRequest(err.Error())
			}
			return out, nil
		}, nil
	}
	return nil, unsupportedMediaType(jsonPatchType + ", " + mergePatchType + ", " + strategicPatchType)
}

// randomSuffix is what generateName appends: five characters.
func (s *Server) randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := s.randomBytes(5)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
