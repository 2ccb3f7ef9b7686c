package k8ssim_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

// kubectlPath finds kubectl; without it the kubectl tests skip, except in
// CI, which must have it (Debian's kubernetes-client).
func kubectlPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kubectl is not installed (apt-get install kubernetes-client)")
		}
		t.Skip("kubectl is not installed")
	}
	return p
}

// kubectl runs kubectl against the world; it returns stdout, stderr and
// the error.
func (w *world) kubectl(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(kubectlPath(t), args...)
	home := t.TempDir()
	cmd.Env = []string{"KUBECONFIG=" + w.kubeconfig, "HOME=" + home, "PATH=" + os.Getenv("PATH")}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func (w *world) mustKubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, err := w.kubectl(t, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out, errs)
	}
	return out
}

func TestKubectlGetAndPatch(t *testing.T) {
	kubectlPath(t)
	w := start(t, k8ssim.Config{}, nil)
	seedSecret(t, w)
	if err := w.k8s.AddDeployment("prod", "api", 2); err != nil {
		t.Fatal(err)
	}

	out := w.mustKubectl(t, "get", "secrets", "-n", "prod")
	if !strings.Contains(out, "NAME") || !regexpLine(out, `^api-keys\s+Opaque\s+2\s+\S+$`) {
		t.Errorf("kubectl get secrets:\n%s", out)
	}
	out = w.mustKubectl(t, "get", "deployments", "-n", "prod")
	if !regexpLine(out, `^api\s+2/2\s+2\s+2\s+\S+$`) {
		t.Errorf("kubectl get deployments:\n%s", out)
	}
	out = w.mustKubectl(t, "get", "secret", "api-keys", "-n", "prod", "-o", "jsonpath={.data.SENTRY_DSN}")
	if out != "aHR0cHM6Ly9zZW50cnk=" {
		t.Errorf("kubectl get -o jsonpath: %q", out)
	}

	w.mustKubectl(t, "patch", "secret", "api-keys", "-n", "prod", "-p", `{"stringData":{"OPENAI_API_KEY":"sk-kubectl"}}`)
	w.mustKubectl(t, "patch", "secret", "api-keys", "-n", "prod", "--type=merge", "-p", `{"data":{"EXTRA":"eA=="}}`)
	w.mustKubectl(t, "patch", "secret", "api-keys", "-n", "prod", "--type=json", "-p", `[{"op":"remove","path":"/data/EXTRA"}]`)
	if v := value(t, w, "sim/prod/api-keys#OPENAI_API_KEY"); v != "sk-kubectl" {
		t.Errorf("after kubectl patch the world holds %q", v)
	}
	if v := value(t, w, "sim/prod/api-keys#SENTRY_DSN"); v != "https://sentry" {
		t.Errorf("kubectl patch lost the other key: %q", v)
	}
	if _, ok := w.k8s.SecretValue("sim/prod/api-keys#EXTRA"); ok {
		t.Error("the JSON patch did not remove EXTRA")
	}

	_, errs, err := w.kubectl(t, "--context", k8ssim.ContextReadOnly, "patch", "secret", "api-keys", "-n", "prod", "-p", `{"stringData":{"OPENAI_API_KEY":"sk-ro"}}`)
	want := `Error from server (Forbidden): secrets "api-keys" is forbidden: User "viewer" cannot patch resource "secrets" in API group "" in the namespace "prod"`
	if err == nil || !strings.Contains(errs, want) {
		t.Errorf("a read-only kubectl patch: %v\n%s\nwant %s", err, errs, want)
	}
	if v := value(t, w, "sim/prod/api-keys#OPENAI_API_KEY"); v != "sk-kubectl" {
		t.Errorf("a refused kubectl patch changed the world: %q", v)
	}

	out, _, err = w.kubectl(t, "--context", k8ssim.ContextReadOnly, "auth", "can-i", "patch", "secrets", "-n", "prod")
	if err == nil || strings.TrimSpace(out) != "no" {
		t.Errorf("kubectl auth can-i as the read-only user: %v %q", err, out)
	}
	out = w.mustKubectl(t, "--context", k8ssim.ContextNoRestart, "auth", "can-i", "patch", "secrets", "-n", "prod")
	if strings.TrimSpace(out) != "yes" {
		t.Errorf("kubectl auth can-i as the no-restart user: %q", out)
	}
}

func TestKubectlRolloutRestartAndStatus(t *testing.T) {
	kubectlPath(t)
	w := start(t, k8ssim.Config{RolloutDuration: 600 * time.Millisecond}, nil)
	if err := w.k8s.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", "sk-old"); err != nil {
		t.Fatal(err)
	}
	if err := w.k8s.AddDeployment("prod", "api", 2); err != nil {
		t.Fatal(err)
	}
	if err := w.k8s.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", "sk-new"); err != nil {
		t.Fatal(err)
	}
	out := w.mustKubectl(t, "rollout", "restart", "deployment/api", "-n", "prod")
	if !strings.Contains(out, "deployment.apps/api restarted") {
		t.Errorf("kubectl rollout restart: %q", out)
	}
	snap := w.k8s.Snapshot().(*k8ssim.Snapshot)
	if d := snap.Deployments[0]; d.Generation != 2 || d.Revision != 2 || d.RestartedAt == "" {
		t.Errorf("after kubectl rollout restart: %+v", d)
	}
	out = w.mustKubectl(t, "rollout", "status", "deployment/api", "-n", "prod", "--timeout=60s")
	if !strings.Contains(out, `deployment "api" successfully rolled out`) {
		t.Errorf("kubectl rollout status:\n%s", out)
	}
	// rollout status returned when the rollout completed: the pods read
	// the new value.
	if v, _ := w.k8s.RolloutValue("prod", "api", "api-keys", "OPENAI_API_KEY"); v != "sk-new" {
		t.Errorf("after kubectl rollout status the pods read %q", v)
	}
	if strings.Count(out, "Waiting for deployment") == 0 {
		t.Errorf("kubectl rollout status did not wait (the rollout takes 600 ms):\n%s", out)
	}

	// A stalled rollout fails kubectl rollout status with its deadline.
	if err := w.k8s.StallRollouts("prod", "api", true); err != nil {
		t.Fatal(err)
	}
	w.mustKubectl(t, "patch", "deployment", "api", "-n", "prod", "-p", `{"spec":{"progressDeadlineSeconds":1}}`)
	// kubectl stamps a restart to the second and refuses a second one in
	// the same second: start it in the next.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	w.mustKubectl(t, "rollout", "restart", "deployment/api", "-n", "prod")
	_, errs, err := w.kubectl(t, "rollout", "status", "deployment/api", "-n", "prod", "--timeout=60s")
	if err == nil || !strings.Contains(errs, `deployment "api" exceeded its progress deadline`) {
		t.Errorf("kubectl rollout status of a stalled rollout: %v\n%s", err, errs)
	}
}
