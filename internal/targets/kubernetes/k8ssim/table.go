package k8ssim

import (
	"fmt"
	"net/http"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// wantsTable reports whether a client (kubectl get) asks for the server's
// table rendering (Accept: application/json;as=Table;g=meta.k8s.io;v=v1).
func wantsTable(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(part, "as=Table") && strings.Contains(part, "g=meta.k8s.io") && strings.Contains(part, "v=v1") &&
			!strings.Contains(part, "v=v1beta1") {
			return true
		}
	}
	return false
}

// table renders objects as the API server's Table for kubectl get, with
// the columns kubectl shows for each kind.
func (s *Server) table(r *http.Request, res *resource, items []object, rv string) metav1.Table {
	col := func(name, typ, format, desc string) metav1.TableColumnDefinition {
		return metav1.TableColumnDefinition{Name: name, Type: typ, Format: format, Description: desc}
	}
	nameCol := col("Name", "string", "name", "Name must be unique within a namespace.")
	ageCol := col("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.")
	t := metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"}, ListMeta: metav1.ListMeta{ResourceVersion: rv}}
	switch res {
	case resNamespaces:
		t.ColumnDefinitions = []metav1.TableColumnDefinition{nameCol, col("Status", "string", "", "The status of the namespace"), ageCol}
	case resSecrets:
		t.ColumnDefinitions = []metav1.TableColumnDefinition{nameCol, col("Type", "string", "", "Used to facilitate programmatic handling of secret data."),
			col("Data", "string", "", "Data contains the secret data."), ageCol}
	case resDeployments:
		t.ColumnDefinitions = []metav1.TableColumnDefinition{nameCol, col("Ready", "string", "", "Number of the pod with ready state"),
			col("Up-to-date", "string", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
			col("Available", "string", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."), ageCol}
	case resLeases:
		t.ColumnDefinitions = []metav1.TableColumnDefinition{nameCol, col("Holder", "string", "", "The holder of the lease."), ageCol}
	}
	now := s.now()
	include := r.URL.Query().Get("includeObject")
	for _, o := range items {
		age := "<unknown>"
		if ts := o.GetCreationTimestamp(); !ts.IsZero() {
			age = duration.HumanDuration(now.Sub(ts.Time))
		}
		var cells []any
		switch x := o.(type) {
		case *corev1.Namespace:
			cells = []any{x.Name, string(x.Status.Phase), age}
		case *corev1.Secret:
			cells = []any{x.Name, string(x.Type), fmt.Sprint(len(x.Data)), age}
		case *appsv1.Deployment:
			cells = []any{x.Name, fmt.Sprintf("%d/%d", x.Status.ReadyReplicas, replicas(x)), fmt.Sprint(x.Status.UpdatedReplicas), fmt.Sprint(x.Status.AvailableReplicas), age}
		case *coordinationv1.Lease:
			holder := ""
			if x.Spec.HolderIdentity != nil {
				holder = *x.Spec.HolderIdentity
			}
			cells = []any{x.Name, holder, age}
		}
		row := metav1.TableRow{Cells: cells}
		switch include {
		case "None":
		case "Object":
			row.Object = runtime.RawExtension{Object: o}
		default:
			meta := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"}}
			meta.ObjectMeta = *objectMeta(o)
			row.Object = runtime.RawExtension{Object: meta}
		}
		t.Rows = append(t.Rows, row)
	}
	if t.Rows == nil {
		t.Rows = []metav1.TableRow{}
	}
	return t
}

// objectMeta is a copy of an object's metadata.
func objectMeta(o object) *metav1.ObjectMeta {
	switch x := o.(type) {
	case *corev1.Namespace:
		return x.ObjectMeta.DeepCopy()
	case *corev1.Secret:
		return x.ObjectMeta.DeepCopy()
	case *appsv1.Deployment:
		return x.ObjectMeta.DeepCopy()
	case *coordinationv1.Lease:
		return x.ObjectMeta.DeepCopy()
	}
	return &metav1.ObjectMeta{Name: o.GetName(), Namespace: o.GetNamespace()}
}
