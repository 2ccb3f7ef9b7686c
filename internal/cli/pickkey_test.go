package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/awsapi/awstest"
	"github.com/respondhq/respond/internal/iostreams"
	"github.com/respondhq/respond/internal/prompt"
)

// The key picker preselects no key: a hurried Enter must not pick one
// (prompt.Survey then starts on a line that is no key and refuses it).
func TestKeyPickerPreselectsNothing(t *testing.T) {
	t.Parallel()
	e := startSim(t)
	p := newFakePrompter(t)
	p.RegisterSelect("Which project holds the leaked key?", optionContaining(t, e.info.ProjectName, e.info.ProjectID))
	def := 0
	p.RegisterSelect(keyPickerQuestion, func(options []string, d int) (int, error) {
		def = d
		return 0, prompt.ErrInterrupted
	})
	f, out, errOut := e.factory(t, true, p)

	if code := Run(t.Context(), f, e.args("leaked-key")); code != ExitCancelled {
		t.Fatalf("exit %d, want %d (cancelled)\nstdout:\n%s\nstderr:\n%s", code, ExitCancelled, out, errOut)
	}
	if def >= 0 {
		t.Errorf("the key question preselects option %d; want none (-1)", def)
	}
	e.assertOnlyReads(t)
}

// With OpenAI and AWS both configured, the picker asks which provider,
// then lists every IAM user's access keys (through the provider
// interface, against moto), and the response goes on with the AWS key.
func TestKeyPickerAWS(t *testing.T) {
	m := awstest.Start(t)
	m.CreateUser(t, "deploy-bot")
	leaked := m.CreateAccessKey(t, "deploy-bot")
	m.CreateUser(t, "ci-bot")
	other := m.CreateAccessKey(t, "ci-bot")
	m.SetEnv(t, m.Admin)

	e := startSim(t)
	p := newFakePrompter(t)
	p.RegisterSelect("Which provider issued the leaked key?", func(options []string, d int) (int, error) {
		// GitHub tokens cannot be listed: the picker does not offer them.
		if slices.ContainsFunc(options, func(o string) bool { return strings.Contains(o, "GitHub") }) {
			t.Errorf("the provider question offers a provider whose keys cannot be listed: %q", options)
		}
		return optionContaining(t, "AWS")(options, d)
	})
	p.RegisterSelect(keyPickerQuestion, func(options []string, d int) (int, error) {
		if d >= 0 {
			t.Errorf("the key question preselects option %d", d)
		}
		if !slices.ContainsFunc(options, func(o string) bool { return strings.Contains(o, other.ID) && strings.Contains(o, "ci-bot") }) {
			t.Errorf("options %q do not list ci-bot's key %s", options, other.ID)
		}
		return optionContaining(t, leaked.ID, "deploy-bot")(options, d)
	})
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(true, true, true)
	f := NewFactory(ios)
	env := e.sim.Env()
	for _, kv := range m.Env(m.Admin) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	f.UseEnv(func(k string) string { return env[k] })
	f.Prompter = func() prompt.Prompter { return p }

	code := Run(t.Context(), f, e.args("leaked-key", "--dry-run"))
	if !strings.Contains(out.String(), leaked.ID) || !strings.Contains(out.String(), "IAM user deploy-bot") {
		t.Fatalf("exit %d; the plan does not name the picked key %s of deploy-bot:\n%s\nstderr:\n%s", code, leaked.ID, out, errOut)
	}
	if strings.Contains(out.String()+errOut.String(), leaked.Secret) {
		t.Fatal("the secret access key was printed")
	}
}
