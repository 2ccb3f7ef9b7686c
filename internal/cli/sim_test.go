package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/sim"
)

// sim serve's output shows the simulator's own credentials even when the
// environment holds them, and still masks a real one.
func TestSimOutputMasksOnlyRealCredentials(t *testing.T) {
	s, err := sim.Start(t.Context(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	simEnv := s.Env()
	real := "ghp_REALCANARY0123456789abcdefghijklmnopq"
	env := map[string]string{"OPENAI_ADMIN_KEY": simEnv["OPENAI_ADMIN_KEY"], "GITHUB_TOKEN": simEnv["GITHUB_TOKEN"], "GH_TOKEN": real}
	ios, _, stdout, _ := iostreams.Test()
	f := NewFactory(ios)
	f.UseEnv(func(k string) string { return env[k] })

	w := simOutput(f, s)
	fmt.Fprintf(w, "export GITHUB_TOKEN=%s\nexport OPENAI_ADMIN_KEY=%s\nleaked by mistake: %s\n", simEnv["GITHUB_TOKEN"], simEnv["OPENAI_ADMIN_KEY"], real)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.Contains(out, "export GITHUB_TOKEN="+simEnv["GITHUB_TOKEN"]+"\n") || !strings.Contains(out, "export OPENAI_ADMIN_KEY="+simEnv["OPENAI_ADMIN_KEY"]+"\n") {
		t.Errorf("the simulator's credentials are not printed:\n%s", out)
	}
	if strings.Contains(out, real) {
		t.Errorf("a real token in the environment was printed:\n%s", out)
	}
	// Everything else respond prints stays masked for all of them.
	if m := f.IO.Secrets.MaskString(simEnv["GITHUB_TOKEN"] + " " + real); strings.Contains(m, simEnv["GITHUB_TOKEN"]) || strings.Contains(m, real) {
		t.Errorf("the factory's masking lost a credential: %s", m)
	}
}
