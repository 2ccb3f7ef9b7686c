package cli

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/prompt"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// testEnv is an in-process simulator with its inventory, and a state
// directory, for running commands against.
type testEnv struct {
	sim      *sim.Sim
	info     sim.ScenarioInfo
	stateDir string
	inv      string
}

// startSim starts the default leaked-key scenario and writes its
// inventory; both go away at the end of the test.
func startSim(t *testing.T) *testEnv {
	t.Helper()
	// The OpenAI scenario alone: no other provider is configured, so the
	// key picker goes straight to OpenAI's projects.
	s, err := sim.Start(t.Context(), sim.Options{Services: []simapi.Factory{}})
	if err != nil {
		t.Fatalf("start the simulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := s.WriteInventory(inv); err != nil {
		t.Fatal(err)
	}
	return &testEnv{sim: s, info: s.Scenario(), stateDir: filepath.Join(dir, "state"), inv: inv}
}

// factory returns a Factory on test streams pointed at the simulator,
// with stdin, stdout and stderr terminals when tty is set, and the scripted
// prompter p (nil: any question fails the test).
func (e *testEnv) factory(t *testing.T, tty bool, p prompt.Prompter) (f *Factory, out, errOut *bytes.Buffer) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if tty {
		ios.SetTTY(true, true, true)
	}
	f = NewFactory(ios)
	env := e.sim.Env()
	f.UseEnv(func(k string) string { return env[k] })
	if p == nil {
		p = newFakePrompter(t)
	}
	f.Prompter = func() prompt.Prompter { return p }
	return f, out, errOut
}

// args prefixes a command line with the state directory and inventory.
func (e *testEnv) args(cmd ...string) []string {
	return append(cmd, "--state-dir", e.stateDir, "--inventory", e.inv)
}

// key returns the simulated world's record of a key.
func (e *testEnv) key(t *testing.T, id string) openaisim.KeyState {
	t.Helper()
	for _, k := range e.sim.OpenAI().Snapshot().Keys {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("key %s is not in the simulated world", id)
	return openaisim.KeyState{}
}

// assertOnlyReads fails the test if any request to the simulator could
// have changed something.
func (e *testEnv) assertOnlyReads(t *testing.T) {
	t.Helper()
	for _, r := range e.sim.Requests(0) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Errorf("a mutating request was sent: %s %s (%s)", r.Method, r.Path, r.API)
		}
	}
}

// shortRedacted is how the key picker shows a redacted value.
func shortRedacted(redacted string) string { return prefix(redacted, 8) + "…" + suffix(redacted, 4) }

// registerKeyPicker scripts the project and key questions of leaked-key,
// answering with the scenario's leaked key, and checks what the key
// question offers: every key shown by its redacted form, never its value.
func (e *testEnv) registerKeyPicker(t *testing.T, p *fakePrompter) {
	world := e.sim.OpenAI().Snapshot()
	leaked := e.key(t, e.info.LeakedKeyID)
	// Only OpenAI is configured and GitHub tokens cannot be listed, so the
	// picker asks no provider question.
	p.RegisterSelect("Which project holds the leaked key?", optionContaining(t, e.info.ProjectName, e.info.ProjectID))
	p.RegisterSelect(keyPickerQuestion, func(options []string, def int) (int, error) {
		if len(options) < 2 {
			t.Errorf("the key question offers %d option(s); the scenario's project has several keys: %q", len(options), options)
		}
		for _, o := range options {
			for _, k := range world.Keys {
				if k.Value != "" && strings.Contains(o, k.Value) {
					t.Errorf("option %q shows the value of key %s", o, k.ID)
				}
			}
			shown := false
			for _, k := range world.Keys {
				shown = shown || (k.ProjectID == e.info.ProjectID && strings.Contains(o, shortRedacted(k.RedactedValue)))
			}
			if !shown {
				t.Errorf("option %q shows no key's redacted form", o)
			}
		}
		owner := ""
		for _, u := range world.Users {
			if u.ID == leaked.OwnerID {
				owner = u.Email
			}
		}
		if owner == "" {
			t.Fatalf("the leaked key's owner %s is not a user in the scenario", leaked.OwnerID)
		}
		created, err := time.Parse(time.RFC3339, leaked.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		used := "never"
		if leaked.LastUsedAt != "" {
			at, err := time.Parse(time.RFC3339, leaked.LastUsedAt)
			if err != nil {
				t.Fatal(err)
			}
			used = at.Local().Format("2006-01-02 15:04")
		}
		// At 80 columns: the name, the owner's e-mail, the dates whole.
		return optionContaining(t, leaked.Name, shortRedacted(leaked.RedactedValue), owner,
			created.Local().Format("2006-01-02"), used)(options, def)
	})
}

func TestLeakedKeyInteractivePicksAndRevokes(t *testing.T) {
	t.Parallel()
	e := startSim(t)
	p := newFakePrompter(t)
	e.registerKeyPicker(t, p)
	defaults := []bool{}
	p.RegisterConfirm("Apply this plan?", func(def bool) (bool, error) {
		defaults = append(defaults, def)
		return true, nil
	})
	f, out, errOut := e.factory(t, true, p)

	code := Run(t.Context(), f, e.args("leaked-key"))

	if code != ExitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if len(defaults) != 1 || defaults[0] {
		t.Errorf("Apply this plan? defaults = %v; want one question defaulting to no", defaults)
	}
	if k := e.key(t, e.info.LeakedKeyID); k.Status != "revoked" {
		t.Errorf("the picked key %s is %s, want revoked", k.ID, k.Status)
	}
	if !strings.Contains(errOut.String(), "Outcome: RECOVERED") || !strings.Contains(errOut.String(), ": recovered.") {
		t.Errorf("stderr does not say the incident recovered:\n%s", errOut)
	}
	if v := e.sim.LeakedKeyValue(); strings.Contains(out.String()+errOut.String(), v) {
		t.Error("the leaked key's value appears in the output")
	}
}

func TestLeakedKeyInteractiveDeclineChangesNothing(t *testing.T) {
	t.Parallel()
	e := startSim(t)
	p := newFakePrompter(t)
	e.registerKeyPicker(t, p)
	p.RegisterConfirm("Apply this plan?", answer(false))
	f, out, errOut := e.factory(t, true, p)

	code := Run(t.Context(), f, e.args("leaked-key"))

	if code != ExitCancelled {
		t.Fatalf("exit %d, want %d (cancelled)\nstdout:\n%s\nstderr:\n%s", code, ExitCancelled, out, errOut)
	}
	e.assertOnlyReads(t)
	if len(e.sim.Requests(0)) == 0 {
		t.Error("no request reached the simulator: the key picker should have listed projects and keys")
	}
	if k := e.key(t, e.info.LeakedKeyID); k.Status != "live" {
		t.Errorf("the key %s is %s after declining, want live", k.ID, k.Status)
	}
	if !strings.Contains(out.String(), "Plan for playbook") {
		t.Errorf("the plan was not shown before the question:\n%s", out)
	}
}

func TestLeakedKeyInterruptedAtPicker(t *testing.T) {
	t.Parallel()
	e := startSim(t)
	p := newFakePrompter(t)
	p.RegisterSelect("Which project holds the leaked key?", func([]string, int) (int, error) { return 0, prompt.ErrInterrupted })
	f, out, errOut := e.factory(t, true, p)

	if code := Run(t.Context(), f, e.args("leaked-key")); code != ExitCancelled {
		t.Fatalf("exit %d, want %d (cancelled)\nstdout:\n%s\nstderr:\n%s", code, ExitCancelled, out, errOut)
	}
	e.assertOnlyReads(t)
}

func TestLeakedKeyWithoutTTYNeedsAKeyFlag(t *testing.T) {
	t.Parallel()
	e := startSim(t)
	f, out, errOut := e.factory(t, false, nil)

	code := Run(t.Context(), f, e.args("leaked-key"))

	if code != ExitUsage {
		t.Fatalf("exit %d, want %d (usage)\nstdout:\n%s\nstderr:\n%s", code, ExitUsage, out, errOut)
	}
	for _, flag := range []string{"--key-id", "--key-stdin", "--alert"} {
		if !strings.Contains(errOut.String(), flag) {
			t.Errorf("the message does not name %s:\n%s", flag, errOut)
		}
	}
	if n := len(e.sim.Requests(0)); n != 0 {
		t.Errorf("%d request(s) were sent; a usage error should stop before any", n)
	}
}
