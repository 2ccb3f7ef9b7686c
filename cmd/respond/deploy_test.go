package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/respondhq/respond/internal/cli"
	"github.com/respondhq/respond/internal/iostreams"
)

// The deployment files under deploy/ are tested as far as this machine
// allows (no systemd, docker or cluster here): they parse, say what
// docs/watch.md says they say, and respond runs as they run it.

const deployDir = "../../deploy"

// unitFile reads a systemd unit: section -> key -> values (a key may
// repeat).
func unitFile(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, "\\") {
				t.Fatalf("%s:%d: not KEY=VALUE in a section: %q", path, n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	return out
}

// The systemd unit: a hardened service with its state in StateDirectory,
// secrets as credentials (never on the command line), a stop timeout
// longer than the shutdown grace; and its ExecStart, with systemd's
// specifiers filled in, runs respond watch against the simulator, which
// contains a leak and stops cleanly on SIGTERM.
func TestDeploySystemdUnit(t *testing.T) {
	u := unitFile(t, filepath.Join(deployDir, "systemd", "respond-watch.service"))
	svc := u["Service"]
	one := func(k string) string {
		if len(svc[k]) != 1 {
			t.Fatalf("[Service] %s: %v", k, svc[k])
		}
		return svc[k][0]
	}
	for k, want := range map[string]string{
		"DynamicUser": "yes", "StateDirectory": "respond", "StateDirectoryMode": "0700", "NoNewPrivileges": "yes",
		"ProtectSystem": "strict", "KillSignal": "SIGTERM", "Environment": "RESPOND_STATE_DIR=%S/respond", "Restart": "on-failure",
	} {
		if got := one(k); got != want {
			t.Errorf("[Service] %s=%s, want %s", k, got, want)
		}
	}
	if u["Install"]["WantedBy"][0] != "multi-user.target" {
		t.Error("not wanted by multi-user.target")
	}
	exe := one("ExecStart")
	if strings.Contains(exe, "GITHUB_TOKEN") || strings.Contains(exe, "OPENAI_ADMIN_KEY") || regexp.MustCompile(`--webhook-secret(=| )[^$]`).MatchString(exe) {
		t.Fatalf("a secret on the command line: %s", exe)
	}
	if one("TimeoutStopSec") != "90s" || !strings.Contains(exe, "--shutdown-grace 60s") {
		t.Fatal("the stop timeout must exceed --shutdown-grace")
	}
	var creds []string
	for _, c := range svc["LoadCredential"] {
		name, _, _ := strings.Cut(c, ":")
		creds = append(creds, name)
	}
	for _, m := range regexp.MustCompile(`\$\{CREDENTIALS_DIRECTORY\}/([a-z-]+)`).FindAllStringSubmatch(exe, -1) {
		if !slices.Contains(creds, m[1]) {
			t.Errorf("ExecStart reads credential %s, which no LoadCredential loads", m[1])
		}
	}

	// Run it as systemd would, against the simulator.
	args := strings.Fields(exe)
	if args[0] != "/usr/local/bin/respond" || args[1] != "watch" {
		t.Fatalf("ExecStart runs %v", args[:2])
	}
	var script strings.Builder
	script.WriteString(`# the unit's ExecStart, with systemd's specifiers filled in
sim start -latency 50ms
mkdir creds lib/respond
cp webhook-secret creds/webhook-secret
cp slack.url creds/slack-webhook-url
cp respond.yaml lib/respond/respond.yaml
env RESPOND_STATE_DIR=$WORK/lib/respond
watchsim port PORT
watchsim sink SLACK creds/slack-webhook-url
`)
	for i, a := range args {
		a = strings.NewReplacer("${CREDENTIALS_DIRECTORY}", "$WORK/creds", "%S", "$WORK/lib", "${RESPOND_ORG}", "acme",
			"/etc/respond/", "$WORK/etc/", "127.0.0.1:8080", "127.0.0.1:$PORT").Replace(a)
		if i == 0 {
			a = "spawn unit respond"
		}
		script.WriteString(a + " ")
	}
	script.WriteString(`
watchsim ready http://127.0.0.1:$PORT
watchsim hook http://127.0.0.1:$PORT/webhook webhook-secret
watchsim leak ALERT key=leaked repo=web
watchsim wait resolved $ALERT
watchsim wait revoked
signal unit TERM
reap unit 0
exists lib/respond/watch/watch.json
exists lib/respond/incidents
watchsim posts 1 RECOVERED
grep 'set by respond INC-' lib/respond/respond.yaml
-- webhook-secret --
6e1f0a2b3c4d5e6f708192a3b4c5d6e7
-- slack.url --
placeholder
-- etc/watch.yaml --
rules:
  - name: openai keys
    match: {provider: openai}
    action: respond
`)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "systemd-unit.txtar"), []byte(script.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, scriptParams(dir))
}

// The Kubernetes manifests decode into the API's types; the Deployment
// runs respond watch with flags it accepts, leader election on the Lease
// the Role lets its ServiceAccount get, create and update, probes on
// /healthz and /readyz of the port it listens on, as a non-root user, with
// the state on a volume and a grace period longer than --shutdown-grace.
func TestDeployKubernetes(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(deployDir, "kubernetes", "respond-watch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(src)))
	var objs []runtime.Object
	for {
		doc, err := dec.Read()
		if err != nil {
			break
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("a manifest does not decode: %v\n%s", err, doc)
		}
		objs = append(objs, obj)
	}
	var (
		dep  *appsv1.Deployment
		role *rbacv1.Role
		bind *rbacv1.RoleBinding
		sa   *corev1.ServiceAccount
		svc  *corev1.Service
	)
	for _, o := range objs {
		switch x := o.(type) {
		case *appsv1.Deployment:
			dep = x
		case *rbacv1.Role:
			role = x
		case *rbacv1.RoleBinding:
			bind = x
		case *corev1.ServiceAccount:
			sa = x
		case *corev1.Service:
			svc = x
		}
	}
	if dep == nil || role == nil || bind == nil || sa == nil || svc == nil {
		t.Fatalf("missing objects: %d decoded", len(objs))
	}
	if *dep.Spec.Replicas < 2 {
		t.Error("one replica: leader election is for several")
	}
	pod := dep.Spec.Template.Spec
	if pod.ServiceAccountName != sa.Name || bind.Subjects[0].Name != sa.Name || bind.RoleRef.Name != role.Name {
		t.Error("the ServiceAccount, RoleBinding and Role do not line up")
	}
	verbs := map[string]bool{}
	for _, r := range role.Rules {
		if slices.Contains(r.APIGroups, "coordination.k8s.io") && slices.Contains(r.Resources, "leases") {
			for _, v := range r.Verbs {
				verbs[v] = true
			}
		}
	}
	if !verbs["get"] || !verbs["create"] || !verbs["update"] {
		t.Errorf("the Role lets it %v on leases; leader election needs get, create, update", verbs)
	}
	c := pod.Containers[0]
	// The args, with the downward API's variables filled in, are flags
	// respond watch accepts.
	env := map[string]string{"POD_NAMESPACE": dep.Namespace, "POD_NAME": "respond-watch-0"}
	for _, e := range c.Env {
		if e.Value != "" {
			env[e.Name] = e.Value
		}
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = regexp.MustCompile(`\$\(([A-Z_]+)\)`).ReplaceAllStringFunc(a, func(m string) string { return env[m[2:len(m)-1]] })
	}
	ios, _, _, _ := iostreams.Test()
	root := cli.NewRootCmd(cli.NewFactory(ios))
	cmd, rest, err := root.Find(args)
	if err != nil || cmd.Name() != "watch" {
		t.Fatalf("args %v do not name respond watch: %v", args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("respond watch refuses the Deployment's args: %v", err)
	}
	flag := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
	if flag("lease") != "respond/respond-watch" || flag("lease-identity") != "respond-watch-0" {
		t.Errorf("--lease %s --lease-identity %s", flag("lease"), flag("lease-identity"))
	}
	if !slices.Contains(role.Rules[1].ResourceNames, "respond-watch") {
		t.Error("the Role does not name the Lease --lease uses")
	}
	if flag("listen") != ":8080" || c.Ports[0].ContainerPort != 8080 {
		t.Error("the container port is not where watch listens")
	}
	if c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Error("probes")
	}
	if sc := pod.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || *sc.RunAsUser == 0 {
		t.Error("runs as root")
	}
	if *pod.TerminationGracePeriodSeconds <= 60 || flag("shutdown-grace") != "1m0s" {
		t.Error("the grace period must exceed --shutdown-grace")
	}
	state := ""
	for _, e := range c.Env {
		if e.Name == "RESPOND_STATE_DIR" {
			state = e.Value
		}
	}
	onVolume := false
	for _, m := range c.VolumeMounts {
		onVolume = onVolume || m.MountPath == state && m.Name == "state"
	}
	if !onVolume || !strings.HasPrefix(flag("inventory"), state+"/") {
		t.Errorf("the state (%s) and the inventory (%s) must be on the state volume", state, flag("inventory"))
	}
}

// The image's build step makes a static binary: every package respond
// imports builds without cgo (so the binary has no ELF interpreter and runs
// on distroless/static), and -X sets a variable that exists. The image
// runs as a numeric non-root user with the state directory a volume. With
// RESPOND_TEST_IMAGE_BUILD=1 the step's go build runs for real (minutes:
// it recompiles everything without cgo) and the binary is checked.
func TestDeployDockerfile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(deployDir, "container", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	build := regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 go build (.*) -o /out/respond ./cmd/respond$`).FindStringSubmatch(text)
	if build == nil {
		t.Fatal("no static go build step")
	}
	if !regexp.MustCompile(`(?m)^USER 65532:65532$`).MatchString(text) || !strings.Contains(text, `VOLUME ["/var/lib/respond"]`) ||
		!strings.Contains(text, "ENV RESPOND_STATE_DIR=/var/lib/respond") || !strings.Contains(text, "FROM gcr.io/distroless/static") {
		t.Fatal("the image must run as a numeric non-root user on distroless/static with its state on a volume")
	}
	if !strings.Contains(build[1], "-X github.com/respondhq/respond/internal/cli.Version=${VERSION}") {
		t.Fatal("the build does not set cli.Version")
	}
	_ = cli.Version // the variable -X sets exists
	list := exec.Command("go", "list", "-e", "-deps", "-f", "{{with .Error}}{{$.ImportPath}}: {{.}}{{end}}", ".")
	list.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := list.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(b)) > 0 {
		t.Fatalf("respond does not build without cgo: %v\n%s", err, b)
	}
	if os.Getenv("RESPOND_TEST_IMAGE_BUILD") != "1" {
		return
	}
	flags := strings.ReplaceAll(build[1], "${VERSION}", "v9.9.9-test")
	out := filepath.Join(t.TempDir(), "respond")
	args := append([]string{"build"}, splitShell(flags)...)
	args = append(args, "-o", out, ".")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary is dynamically linked: it would not run on distroless/static")
		}
	}
	v, err := exec.Command(out, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(v), "v9.9.9-test") {
		t.Fatalf("respond version: %s %v", v, err)
	}
}

// splitShell splits a shell word list with double-quoted words.
func splitShell(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '"':
			in = !in
		case r == ' ' && !in:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
