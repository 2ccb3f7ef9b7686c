package k8ssim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"

	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/targets/kubernetes/k8ssim"
)

func TestDiscoveryServesWhatClientsMap(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	c := w.client(t, k8ssim.ContextReadOnly)
	v, err := c.Discovery().ServerVersion()
	if err != nil || v.GitVersion != k8ssim.ServerVersion.GitVersion {
		t.Fatalf("version: %v %+v", err, v)
	}
	groups, err := restmapper.GetAPIGroupResources(c.Discovery())
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)
	for _, tc := range []struct {
		gk       schema.GroupKind
		resource string
		scoped   bool
	}{
		{schema.GroupKind{Kind: "Secret"}, "secrets", true},
		{schema.GroupKind{Kind: "Namespace"}, "namespaces", false},
		{schema.GroupKind{Group: "apps", Kind: "Deployment"}, "deployments", true},
		{schema.GroupKind{Group: "coordination.k8s.io", Kind: "Lease"}, "leases", true},
		{schema.GroupKind{Group: "authorization.k8s.io", Kind: "SelfSubjectAccessReview"}, "selfsubjectaccessreviews", false},
	} {
		m, err := mapper.RESTMapping(tc.gk, "v1")
		if err != nil {
			t.Errorf("%v: %v", tc.gk, err)
			continue
		}
		if m.Resource.Resource != tc.resource || (m.Scope.Name() == "namespace") != tc.scoped {
			t.Errorf("%v maps to %v, scope %s", tc.gk, m.Resource, m.Scope.Name())
		}
	}
	// A path the server does not serve is a 404 Status; so is OpenAPI.
	for _, p := range []string{"/openapi/v2", "/openapi/v3", "/apis/batch/v1", "/api/v1/namespaces/default/pods"} {
		res := c.Discovery().RESTClient().Get().AbsPath(p).Do(context.Background())
		var code int
		res.StatusCode(&code)
		if err := res.Error(); code != http.StatusNotFound || !apierrors.IsNotFound(err) {
			t.Errorf("GET %s: %d %v", p, code, err)
		}
	}
}

func TestSelfSubjectAccessReviewsFollowTheTokenTable(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	for _, tc := range []struct {
		context, verb, group, resource string
		allowed                        bool
	}{
		{k8ssim.ContextFull, "patch", "", "secrets", true},
		{k8ssim.ContextFull, "patch", "apps", "deployments", true},
		{k8ssim.ContextReadOnly, "get", "", "secrets", true},
		{k8ssim.ContextReadOnly, "patch", "", "secrets", false},
		{k8ssim.ContextReadOnly, "update", "coordination.k8s.io", "leases", false},
		{k8ssim.ContextNoRestart, "patch", "", "secrets", true},
		{k8ssim.ContextNoRestart, "patch", "apps", "deployments", false},
		{k8ssim.ContextNoRestart, "get", "apps", "deployments", true},
	} {
		r, err := w.client(t, tc.context).AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(),
			&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "prod", Verb: tc.verb, Group: tc.group, Resource: tc.resource, Name: "x"}}},
			metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tc.context, err)
		}
		if r.Status.Allowed != tc.allowed {
			t.Errorf("%s may %s %s/%s: %v, want %v", tc.context, tc.verb, tc.group, tc.resource, r.Status.Allowed, tc.allowed)
		}
	}
}

func TestWatchesStreamChanges(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	seedSecret(t, w)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wi, err := w.client(t, k8ssim.ContextReadOnly).CoreV1().Secrets("prod").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer wi.Stop()
	next := func() watch.Event {
		t.Helper()
		select {
		case ev := <-wi.ResultChan():
			return ev
		case <-ctx.Done():
			t.Fatal("no event")
		}
		return watch.Event{}
	}
	// Without a resourceVersion the watch starts with the world as it is.
	if ev := next(); ev.Type != watch.Added || ev.Object.(*corev1.Secret).Name != "api-keys" {
		t.Fatalf("first event %s %T", ev.Type, ev.Object)
	}
	if err := w.k8s.PutSecret("sim/prod/api-keys#OPENAI_API_KEY", "sk-new"); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Type != watch.Modified || string(ev.Object.(*corev1.Secret).Data["OPENAI_API_KEY"]) != "sk-new" {
		t.Fatalf("after a write: %s %+v", ev.Type, ev.Object)
	}
	if err := w.client(t, k8ssim.ContextFull).CoreV1().Secrets("prod").Delete(ctx, "api-keys", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Type != watch.Deleted {
		t.Fatalf("after a delete: %s", ev.Type)
	}

	// The simulator's reset ends the watch.
	done := make(chan error, 1)
	go func() { done <- w.sim.Reset() }()
	for range wi.ResultChan() {
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok := w.k8s.SecretValue("sim/prod/api-keys#SENTRY_DSN"); ok {
		t.Error("the reset kept a secret")
	}
}

func TestInformersSyncByWatchList(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := w.client(t, k8ssim.ContextFull)
	holder := "a"
	if _, err := c.CoordinationV1().Leases("default").Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "one"}, Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithNamespace("default"))
	inf := f.Coordination().V1().Leases().Informer()
	added := make(chan string, 10)
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(o any) { added <- o.(*coordinationv1.Lease).Name }}); err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	defer func() { cancel(); f.Shutdown() }()
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if !cache.WaitForCacheSync(sctx.Done(), inf.HasSynced) {
		t.Fatal("the informer did not sync")
	}
	if _, err := c.CoordinationV1().Leases("default").Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "two"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 2 {
		select {
		case n := <-added:
			got = append(got, n)
		case <-sctx.Done():
			t.Fatalf("added: %v", got)
		}
	}
	slices.Sort(got)
	if strings.Join(got, " ") != "one two" {
		t.Errorf("added: %v", got)
	}
	// client-go synced by streaming (sendInitialEvents), not by a list: the
	// watch is in the request log once it ended.
	cancel()
	f.Shutdown()
	streamed, listed := false, false
	for deadline := time.Now().Add(10 * time.Second); !streamed && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, r := range w.sim.Requests(0) {
			if r.Method == "GET" && strings.Contains(r.Path, "/leases?") {
				streamed = streamed || strings.Contains(r.Path, "sendInitialEvents=true")
				listed = listed || !strings.Contains(r.Path, "watch=true")
			}
		}
	}
	if !streamed || listed {
		t.Errorf("client-go streamed: %v, listed: %v; want a watch list only", streamed, listed)
	}
}

func TestFaultsAnswerAsTheAPIServer(t *testing.T) {
	w := start(t, k8ssim.Config{}, nil)
	seedSecret(t, w)
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/k8s/api/v1/namespaces/*/secrets/*", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	secrets := w.client(t, k8ssim.ContextFull).CoreV1().Secrets("prod")
	_, err := secrets.Get(context.Background(), "api-keys", metav1.GetOptions{})
	if !apierrors.IsServiceUnavailable(err) {
		t.Errorf("an injected 503: %v", err)
	}
	// client-go waits out a 429's Retry-After and tries again.
	if _, err := w.sim.AddFault(sim.Fault{Method: "GET", Path: "/k8s/api/v1/namespaces/*/secrets/*", RateLimit: sim.RateLimit429, Count: 1}); err != nil {
		t.Fatal(err)
	}
	before := len(w.sim.Requests(0))
	if _, err := secrets.Get(context.Background(), "api-keys", metav1.GetOptions{}); err != nil {
		t.Errorf("after a 429: %v", err)
	}
	reqs := w.sim.Requests(0)[before:]
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 || reqs[0].API != "kubernetes" {
		t.Errorf("requests: %+v", reqs)
	}
}

func TestTheWorldIsDeterministic(t *testing.T) {
	snap := func() []byte {
		w := start(t, k8ssim.Config{}, newClock().Now)
		seedSecret(t, w)
		if err := w.k8s.AddDeployment("prod", "api", 2); err != nil {
			t.Fatal(err)
		}
		restart(t, w.client(t, k8ssim.ContextFull), "prod", "api", "now")
		b, err := json.Marshal(w.k8s.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		base, _ := json.Marshal(w.k8s.Snapshot())
		if err := w.sim.Reset(); err != nil {
			t.Fatal(err)
		}
		seedSecret(t, w)
		if err := w.k8s.AddDeployment("prod", "api", 2); err != nil {
			t.Fatal(err)
		}
		restart(t, w.client(t, k8ssim.ContextFull), "prod", "api", "now")
		again, _ := json.Marshal(w.k8s.Snapshot())
		if !bytes.Equal(base, again) {
			t.Errorf("the world after a reset and the same requests differs:\n%s\n%s", base, again)
		}
		return b
	}
	a, b := snap(), snap()
	if !bytes.Equal(a, b) {
		t.Errorf("two simulators with one seed differ:\n%s\n%s", a, b)
	}
	if !bytes.Contains(a, []byte(`"OPENAI_API_KEY":"sk-old"`)) || !bytes.Contains(a, []byte(`"uid":"`)) {
		t.Errorf("the snapshot lacks values or uids: %s", a)
	}
}

func TestPlainHTTPCarriesNoCredentials(t *testing.T) {
	// Over http:// client-go sends no token: the fake refuses, as an API
	// server without anonymous access does (docs/simulator.md).
	s, err := sim.Start(context.Background(), sim.Options{Services: []simapi.Factory{k8ssim.New}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get(s.URL() + "/k8s/api/v1/namespaces")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(body), `"reason":"Unauthorized"`) {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}
