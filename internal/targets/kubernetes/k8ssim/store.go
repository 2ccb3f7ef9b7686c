package k8ssim

import (
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// object is a stored Kubernetes object (a pointer to its typed struct).
type object interface {
	metav1.Object
	runtime.Object
}

// resource describes one kind of object the fake serves.
type resource struct {
	group, version, name, singular, kind string
	namespaced                           bool
	verbs                                []string
	shortNames                           []string
	// unconditionalUpdate: an update without a resourceVersion is
	// allowed (Secrets, Deployments), not for Leases.
	unconditionalUpdate bool
	// newObject is an empty object of the kind (nil for resources that
	// are not stored, like SelfSubjectAccessReviews).
	newObject func() object
	// fieldSet is what field selectors match, besides metadata.name and
	// metadata.namespace.
	fieldSet func(o object) fields.Set
}

func (r *resource) gr() schema.GroupResource {
	return schema.GroupResource{Group: r.group, Resource: r.name}
}

func (r *resource) gvk() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.group, Version: r.version, Kind: r.kind}
}

func (r *resource) groupVersion() string {
	return schema.GroupVersion{Group: r.group, Version: r.version}.String()
}

var (
	resNamespaces = &resource{
		version: "v1", name: "namespaces", singular: "namespace", kind: "Namespace",
		verbs: []string{"get", "list"}, shortNames: []string{"ns"},
		newObject: func() object { return &corev1.Namespace{} },
		fieldSet: func(o object) fields.Set {
			return fields.Set{"status.phase": string(o.(*corev1.Namespace).Status.Phase)}
		},
	}
	resSecrets = &resource{
		version: "v1", name: "secrets", singular: "secret", kind: "Secret", namespaced: true,
		verbs:               []string{"create", "delete", "get", "list", "patch", "update", "watch"},
		unconditionalUpdate: true,
		newObject:           func() object { return &corev1.Secret{} },
		fieldSet:            func(o object) fields.Set { return fields.Set{"type": string(o.(*corev1.Secret).Type)} },
	}
	resDeployments = &resource{
		group: "apps", version: "v1", name: "deployments", singular: "deployment", kind: "Deployment", namespaced: true,
		verbs: []string{"create", "get", "list", "patch", "update", "watch"}, shortNames: []string{"deploy"},
		unconditionalUpdate: true,
		newObject:           func() object { return &appsv1.Deployment{} },
	}
	resLeases = &resource{
		group: "coordination.k8s.io", version: "v1", name: "leases", singular: "lease", kind: "Lease", namespaced: true,
		verbs:     []string{"create", "delete", "get", "list", "patch", "update", "watch"},
		newObject: func() object { return &coordinationv1.Lease{} },
	}
	resSSAR = &resource{
		group: "authorization.k8s.io", version: "v1", name: "selfsubjectaccessreviews", singular: "selfsubjectaccessreview",
		kind: "SelfSubjectAccessReview", verbs: []string{"create"},
	}
	resources = []*resource{resNamespaces, resSecrets, resDeployments, resLeases, resSSAR}
)

// findResource finds a resource by group, version and name.
func findResource(group, version, name string) *resource {
	for _, r := range resources {
		if r.group == group && r.version == version && r.name == name {
			return r
		}
	}
	return nil
}

// event is a change, for watches.
type event struct {
	rv  uint64
	typ watch.EventType
	res *resource
	obj object // the object as of the event
}

// maxEvents is how many changes the fake remembers for watches that
// resume from a resourceVersion.
const maxEvents = 4096

// watcher is an open watch.
type watcher struct {
	res    *resource
	notify chan struct{} // a change of res happened
	done   chan struct{} // closed when the watch must end
	ended  bool
}

func (w *watcher) end() {
	if !w.ended {
		w.ended = true
		close(w.done)
	}
}

func key(ns, name string) string { return ns + "/" + name }

// getLocked returns the stored object (not a copy).
func (s *Server) getLocked(r *resource, ns, name string) (object, bool) {
	o, ok := s.objects[r.name][key(ns, name)]
	return o, ok
}

// listLocked returns copies of the objects of r in ns ("" for every
// namespace) that match the selectors, sorted by namespace and name.
func (s *Server) listLocked(r *resource, ns string, fs fields.Selector, ls labels.Selector) []object {
	var out []object
	for _, o := range s.objects[r.name] {
		if r.namespaced && ns != "" && o.GetNamespace() != ns {
			continue
		}
		if !matches(r, o, fs, ls) {
			continue
		}
		out = append(out, o.DeepCopyObject().(object))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].GetNamespace() != out[j].GetNamespace() {
			return out[i].GetNamespace() < out[j].GetNamespace()
		}
		return out[i].GetName() < out[j].GetName()
	})
	return out
}

// matches reports whether o matches the field and label selectors (nil
// matches everything).
func matches(r *resource, o object, fs fields.Selector, ls labels.Selector) bool {
	if ls != nil && !ls.Matches(labels.Set(o.GetLabels())) {
		return false
	}
	if fs != nil {
		set := fields.Set{"metadata.name": o.GetName()}
		if r.namespaced {
			set["metadata.namespace"] = o.GetNamespace()
		}
		if r.fieldSet != nil {
			for k, v := range r.fieldSet(o) {
				set[k] = v
			}
		}
		if !fs.Matches(set) {
			return false
		}
	}
	return true
}

// fieldLabels are the field labels a resource's selectors may use.
func fieldLabels(r *resource) map[string]bool {
	out := map[string]bool{"metadata.name": true}
	if r.namespaced {
		out["metadata.namespace"] = true
	}
	if r.fieldSet != nil {
		for k := range r.fieldSet(r.newObject()) {
			out[k] = true
		}
	}
	return out
}

// putLocked stores o (taking it) with a new resourceVersion and records
// the change.
func (s *Server) putLocked(r *resource, typ watch.EventType, o object) {
	s.rv++
	o.SetResourceVersion(strconv.FormatUint(s.rv, 10))
	o.GetObjectKind().SetGroupVersionKind(r.gvk())
	m := s.objects[r.name]
	if m == nil {
		m = map[string]object{}
		s.objects[r.name] = m
	}
	m[key(o.GetNamespace(), o.GetName())] = o
	s.recordLocked(r, typ, o)
}

// deleteLocked removes an object and records the change.
func (s *Server) deleteLocked(r *resource, o object) {
	delete(s.objects[r.name], key(o.GetNamespace(), o.GetName()))
	s.rv++
	gone := o.DeepCopyObject().(object)
	gone.SetResourceVersion(strconv.FormatUint(s.rv, 10))
	s.recordLocked(r, watch.Deleted, gone)
}

func (s *Server) recordLocked(r *resource, typ watch.EventType, o object) {
	s.events = append(s.events, event{rv: s.rv, typ: typ, res: r, obj: o.DeepCopyObject().(object)})
	if n := len(s.events) - maxEvents; n > 0 {
		s.expired = s.events[n-1].rv
		s.events = append([]event(nil), s.events[n:]...)
	}
	for w := range s.watchers {
		if w.res == r {
			select {
			case w.notify <- struct{}{}:
			default:
			}
		}
	}
}

// currentRV is the last resourceVersion given out, as a string.
func (s *Server) currentRV() string { return strconv.FormatUint(s.rv, 10) }
