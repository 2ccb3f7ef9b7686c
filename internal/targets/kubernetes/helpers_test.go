package kubernetes_test

import (
	"encoding/json"
	"testing"

	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// rawClient is a client-go clientset for the full context, to change the
// world as someone else would.
func rawClient(t *testing.T, w *world) k8s.Interface {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: w.kubeconfig}, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := k8s.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// mustJSON encodes s as a JSON string (a fault body sent as text).
func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
