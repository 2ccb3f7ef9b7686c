package plugins_test

import (
	"context"
	"crypto/rand"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/plugins"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"

	// A type with a Fake, so that the central run below runs for one.
	_ "github.com/respondhq/respond/internal/target/conformance/example"
)

// conformancePkg is the suite's import path, which a package testing its
// type elsewhere must import.
const conformancePkg = "github.com/respondhq/respond/internal/target/conformance"

// TestTargetsConform runs the target conformance suite for every
// registered type with a Fake and a Sample, against the simulator. A type
// tested against another fake (FakeElsewhere) must run the suite from the
// package that builds its writer; a type with neither fails here.
func TestTargetsConform(t *testing.T) {
	for _, spec := range target.Specs() {
		t.Run(spec.Type, func(t *testing.T) {
			switch {
			case spec.Fake != nil && spec.Sample != nil:
				runAtFake(t, spec)
			case spec.FakeElsewhere != "":
				dir, pkg := writerPackage(t, spec)
				if !callsRun(t, dir) {
					t.Fatalf("%s declares that its conformance suite runs against %s, and no test of %s calls conformance.Run: "+
						"add a test that calls conformance.Run (%s) with a Harness for the type", spec.Type, spec.FakeElsewhere, pkg, conformancePkg)
				}
				t.Logf("%s runs the suite against %s (in %s)", spec.Type, spec.FakeElsewhere, pkg)
			case spec.Fake != nil:
				t.Fatalf("%s has a Fake and no Sample: declare Sample (target.Sample: how a place name becomes a target's fields, and a target its Fake's ref) so that the suite runs here", spec.Type)
			default:
				t.Fatalf("%s has no Fake: give it one (a simapi.SecretStore) with a Sample, so that the suite runs here, "+
					"or run conformance.Run against another fake from its package's tests and say where in Spec.FakeElsewhere", spec.Type)
			}
		})
	}
}

// runAtFake runs the suite for spec against its Fake in the simulator.
func runAtFake(t *testing.T, spec *target.Spec) {
	s, err := sim.Start(context.Background(), sim.Options{Seed: 7, Services: plugins.Fakes()})
	if err != nil {
		t.Fatalf("start the simulator: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	name := spec.Fake(simapi.Options{Now: time.Now, Rand: rand.Reader}).Name()
	store, ok := s.Service(name).(simapi.SecretStore)
	if !ok {
		t.Fatalf("%s's Fake (%s) is no simapi.SecretStore: the suite reads what a place holds through it", spec.Type, name)
	}
	env := s.Env()
	penv := plugin.New(func(k string) string { return env[k] }, nil, nil)
	conformance.Run(t, conformance.FakeHarness(t, spec, store, penv))
}

// writerPackage returns the directory and import path of the package
// whose function is spec.New.
func writerPackage(t *testing.T, spec *target.Spec) (dir, pkg string) {
	t.Helper()
	fn := runtime.FuncForPC(reflect.ValueOf(spec.New).Pointer())
	if fn == nil {
		t.Fatalf("%s: cannot tell which package builds its writer", spec.Type)
	}
	// "github.com/respondhq/respond/internal/targets/dotenv.Spec.func3"
	full := fn.Name()
	slash := strings.LastIndex(full, "/")
	dot := strings.Index(full[slash+1:], ".")
	if dot < 0 {
		t.Fatalf("%s: cannot read a package from %q", spec.Type, full)
	}
	pkg = full[:slash+1+dot]
	root, module := moduleRoot(t)
	rel, ok := strings.CutPrefix(pkg, module+"/")
	if !ok {
		t.Fatalf("%s: its writer is built in %s, outside module %s", spec.Type, pkg, module)
	}
	return filepath.Join(root, filepath.FromSlash(rel)), pkg
}

// moduleRoot returns the module's directory and path, from the go.mod
// above the test's directory.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return dir, strings.TrimSpace(m)
				}
			}
			t.Fatalf("%s/go.mod names no module", dir)
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = up
	}
}

// callsRun reports whether a _test.go file of dir imports the target
// conformance suite and calls its Run.
func callsRun(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", file, err)
		}
		name := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == conformancePkg {
				name = "conformance"
				if imp.Name != nil {
					name = imp.Name.Name
				}
			}
		}
		if name == "" {
			continue
		}
		found := false
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Run" {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == name {
						found = true
					}
				}
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}
