package k8ssim_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

// seedSecret plants prod/api-keys with two keys.
func seedSecret(t *testing.T, w *world) {
	t.Helper()
	for ref, v := range map[string]string{"sim/prod/api-keys#OPENAI_API_KEY": "sk-old", "sim/prod/api-keys#SENTRY_DSN": "https://sentry"} {
		if err := w.k8s.PutSecret(ref, v); err != nil {
			t.Fatal(err)
		}
	}
}

func value(t *testing.T, w *world, ref string) string {
	t.Helper()
	v, ok := w.k8s.SecretValue(ref)
	if !ok {
		t.Fatalf("the world has no %s", ref)
	}
	return v
}

func TestPatchesSetOneKeyAndKeepTheOthers(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	seedSecret(t, w)
	ctx := context.Background()
	secrets := w.client(t, k8ssim.ContextFull).CoreV1().Secrets("prod")

	before, err := secrets.Get(ctx, "api-keys", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if before.UID == "" || before.ResourceVersion == "" || string(before.Data["OPENAI_API_KEY"]) != "sk-old" {
		t.Fatalf("GET gave %+v", before)
	}

	for _, tc := range []struct {
		name  string
		typ   types.PatchType
		patch string
		want  string
	}{
		{"strategic merge", types.StrategicMergePatchType, `{"data":{"OPENAI_API_KEY":"c2stc3RyYXRlZ2lj"}}`, "sk-strategic"},
		{"merge", types.MergePatchType, `{"data":{"OPENAI_API_KEY":"c2stbWVyZ2U="}}`, "sk-merge"},
		{"JSON patch", types.JSONPatchType, `[{"op":"replace","path":"/data/OPENAI_API_KEY","value":"c2stanNvbg=="}]`, "sk-json"},
		{"stringData", types.StrategicMergePatchType, `{"stringData":{"OPENAI_API_KEY":"sk-string"}}`, "sk-string"},
	} {
		got, err := secrets.Patch(ctx, "api-keys", tc.typ, []byte(tc.patch), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("%s patch: %v", tc.name, err)
		}
		if v := value(t, w, "sim/prod/api-keys#OPENAI_API_KEY"); v != tc.want {
			t.Errorf("%s patch: the world holds %q, want %q", tc.name, v, tc.want)
		}
		if v := value(t, w, "sim/prod/api-keys#SENTRY_DSN"); v != "https://sentry" {
			t.Errorf("%s patch: the other key became %q", tc.name, v)
		}
		if got.ResourceVersion == before.ResourceVersion || got.UID != before.UID || len(got.StringData) != 0 {
			t.Errorf("%s patch answered resourceVersion %s (was %s), uid %s (was %s), stringData %v", tc.name, got.ResourceVersion, before.ResourceVersion, got.UID, before.UID, got.StringData)
		}
		before = got
	}

	// A patch that changes nothing stores nothing.
	same, err := secrets.Patch(ctx, "api-keys", types.MergePatchType, []byte(`{"stringData":{"OPENAI_API_KEY":"sk-string"}}`), metav1.PatchOptions{})
	if err != nil || same.ResourceVersion != before.ResourceVersion {
		t.Errorf("a no-op patch: %v, resourceVersion %s, want %s", err, same.ResourceVersion, before.ResourceVersion)
	}

	// A patch naming a stale resourceVersion, and an update of a stale
	// copy, are conflicts.
	_, err = secrets.Patch(ctx, "api-keys", types.MergePatchType, []byte(`{"metadata":{"resourceVersion":"1"},"stringData":{"OPENAI_API_KEY":"sk-x"}}`), metav1.PatchOptions{})
	if !apierrors.IsConflict(err) {
		t.Errorf("a patch with a stale resourceVersion: %v, want a conflict", err)
	}
	stale := before.DeepCopy()
	stale.ResourceVersion = "2"
	stale.Data["OPENAI_API_KEY"] = []byte("sk-lost")
	_, err = secrets.Update(ctx, stale, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `Operation cannot be fulfilled on secrets "api-keys": the object has been modified`) {
		t.Errorf("an update of a stale copy: %v, want Kubernetes' conflict", err)
	}
	if v := value(t, w, "sim/prod/api-keys#OPENAI_API_KEY"); v != "sk-string" {
		t.Errorf("a refused write changed the world: %q", v)
	}

	// An update of the current copy replaces the data.
	cur := before.DeepCopy()
	cur.Data = map[string][]byte{"ONLY": []byte("x")}
	if _, err := secrets.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.k8s.SecretValue("sim/prod/api-keys#SENTRY_DSN"); ok {
		t.Error("an update kept a key it did not name")
	}
}

func TestSecretErrorsAreKubernetesStatuses(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	seedSecret(t, w)
	ctx := context.Background()
	full := w.client(t, k8ssim.ContextFull).CoreV1()
	ro := w.client(t, k8ssim.ContextReadOnly).CoreV1()

	// The read-only user reads and is refused writes, in Kubernetes' words.
	if _, err := ro.Secrets("prod").Get(ctx, "api-keys", metav1.GetOptions{}); err != nil {
		t.Errorf("read-only GET: %v", err)
	}
	_, err := ro.Secrets("prod").Patch(ctx, "api-keys", types.StrategicMergePatchType, []byte(`{"stringData":{"OPENAI_API_KEY":"sk-x"}}`), metav1.PatchOptions{})
	want := `secrets "api-keys" is forbidden: User "viewer" cannot patch resource "secrets" in API group "" in the namespace "prod"`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("read-only patch: %v\nwant 403 %s", err, want)
	}
	_, err = ro.Secrets("prod").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "new"}}, metav1.CreateOptions{})
	want = `secrets is forbidden: User "viewer" cannot create resource "secrets" in API group "" in the namespace "prod"`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("read-only create: %v\nwant 403 %s", err, want)
	}
	if v := value(t, w, "sim/prod/api-keys#OPENAI_API_KEY"); v != "sk-old" {
		t.Errorf("a refused patch changed the world: %q", v)
	}

	_, err = full.Secrets("prod").Get(ctx, "nope", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) || err.Error() != `secrets "nope" not found` {
		t.Errorf("GET of a missing secret: %v", err)
	}
	_, err = full.Secrets("ghost").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) || err.Error() != `namespaces "ghost" not found` {
		t.Errorf("create in a missing namespace: %v", err)
	}
	_, err = full.Secrets("prod").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "api-keys"}}, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		t.Errorf("create of an existing secret: %v", err)
	}
	_, err = full.Secrets("prod").Patch(ctx, "api-keys", types.ApplyPatchType, []byte(`{}`), metav1.PatchOptions{FieldManager: "t"})
	if !apierrors.IsUnsupportedMediaType(err) {
		t.Errorf("server-side apply: %v, want 415", err)
	}
	_, err = full.Secrets("prod").Patch(ctx, "api-keys", types.MergePatchType, []byte(`{"stringData":{"bad key!":"x"}}`), metav1.PatchOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `data[bad key!]: Invalid value: "bad key!"`) {
		t.Errorf("an invalid key: %v", err)
	}

	// An immutable secret refuses a change of its data.
	yes := true
	if _, err := full.Secrets("prod").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "frozen"}, Immutable: &yes, StringData: map[string]string{"K": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = full.Secrets("prod").Patch(ctx, "frozen", types.MergePatchType, []byte(`{"stringData":{"K":"w"}}`), metav1.PatchOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "field is immutable when `immutable` is set") {
		t.Errorf("a change of an immutable secret: %v", err)
	}

	// A token the cluster does not know is 401.
	cfg := w.restConfig(t, k8ssim.ContextFull)
	cfg.BearerToken = "k8s-sim-not-a-token"
	bad, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.CoreV1().Secrets("prod").Get(ctx, "api-keys", metav1.GetOptions{}); !apierrors.IsUnauthorized(err) {
		t.Errorf("an unknown token: %v, want 401", err)
	}
}

func TestListsAndNamespaces(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	seedSecret(t, w)
	if err := w.k8s.PutSecret("sim/staging/api-keys#OPENAI_API_KEY", "sk-staging"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := w.client(t, k8ssim.ContextReadOnly).CoreV1()

	all, err := c.Secrets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range all.Items {
		got = append(got, s.Namespace+"/"+s.Name)
	}
	if strings.Join(got, " ") != "prod/api-keys staging/api-keys" || all.ResourceVersion == "" {
		t.Errorf("secrets in every namespace: %v (resourceVersion %q)", got, all.ResourceVersion)
	}
	one, err := c.Secrets("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.namespace=staging,metadata.name=api-keys"})
	if err != nil || len(one.Items) != 1 || one.Items[0].Namespace != "staging" {
		t.Errorf("a field selector: %v %+v", err, one)
	}
	if _, err := c.Secrets("prod").List(ctx, metav1.ListOptions{FieldSelector: "spec.nope=x"}); !apierrors.IsBadRequest(err) {
		t.Errorf("an unsupported field label: %v", err)
	}

	ns, err := c.Namespaces().Get(ctx, "prod", metav1.GetOptions{})
	if err != nil || ns.Status.Phase != corev1.NamespaceActive {
		t.Errorf("namespace prod: %v %+v", err, ns)
	}
	nss, err := c.Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, n := range nss.Items {
		got = append(got, n.Name)
	}
	if strings.Join(got, " ") != "default kube-node-lease kube-public kube-system prod staging" {
		t.Errorf("namespaces: %v", got)
	}
	if _, err := c.Namespaces().Get(ctx, "ghost", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a missing namespace: %v", err)
	}
}
