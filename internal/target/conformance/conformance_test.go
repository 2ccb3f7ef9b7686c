package conformance_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"
	"github.com/respondhq/respond/internal/target/conformance/example"
)

// brokenVar names, in a child test process, how TestBrokenWriter breaks
// the example type's writer.
const brokenVar = "RESPOND_CONFORMANCE_BROKEN"

// exampleHarness is FakeHarness for the example type, its Fake served by
// an httptest server.
func exampleHarness(t *testing.T) conformance.Harness {
	t.Helper()
	fake := example.NewFake(simapi.Options{Rand: rand.Reader})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	env, err := fake.Env(srv.URL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := target.Lookup(example.Type)
	return conformance.FakeHarness(t, spec, fake.(simapi.SecretStore), plugin.New(func(k string) string { return env[k] }, nil, nil))
}

func TestExamplePasses(t *testing.T) { conformance.Run(t, exampleHarness(t)) }

// TestSuiteCatches runs the suite against writers that break the
// contract, each in a child test process, and checks that it fails
// saying what is wrong.
func TestSuiteCatches(t *testing.T) {
	for _, tc := range []struct{ broken, want string }{
		{"leaks", "WriteResult.Detail holds (part of) a secret"},
		{"plans create", `Plan of a place that holds a value says "create", want "update"`},
		{"writes a neighbour", "changed 2 places of the world, want at most 1"},
		{"claims created", "writing the value a place already holds says Created"},
		{"loses preflight", "Check's error does not wrap step.ErrPreflight"},
		{"writes nothing", "the fake says"},
	} {
		t.Run(tc.broken, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenWriter$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), brokenVar+"="+tc.broken)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a writer that %s:\n%s", tc.broken, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("the suite failed a writer that %s without saying %q:\n%s", tc.broken, tc.want, out)
			}
		})
	}
}

// TestBrokenWriter is TestSuiteCatches's child.
func TestBrokenWriter(t *testing.T) {
	how := os.Getenv(brokenVar)
	if how == "" {
		t.Skip("run by TestSuiteCatches")
	}
	h := exampleHarness(t)
	h.Writer = broken{Writer: h.Writer, how: how}
	conformance.Run(t, h)
}

// broken is a writer that breaks the contract as how says.
type broken struct {
	target.Writer
	how string
}

func (b broken) Check(ctx context.Context, t target.Target) error {
	err := b.Writer.Check(ctx, t)
	if err != nil && b.how == "loses preflight" {
		return errors.New(err.Error())
	}
	return err
}

func (b broken) Plan(ctx context.Context, t target.Target) (step.Change, error) {
	ch, err := b.Writer.Plan(ctx, t)
	if b.how == "plans create" {
		ch.Action = step.Create
	}
	return ch, err
}

func (b broken) Write(ctx context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	switch b.how {
	case "writes nothing":
		return target.WriteResult{Created: true, Detail: "201 Created"}, nil
	case "writes a neighbour":
		if _, err := b.Writer.Write(ctx, t.With("field", t.Str("field")+"_COPY"), v); err != nil {
			return target.WriteResult{}, err
		}
	}
	res, err := b.Writer.Write(ctx, t, v)
	switch b.how {
	case "leaks":
		res.Detail += " (" + v.Reveal() + ")"
	case "claims created":
		res.Created = true
	}
	return res, err
}
