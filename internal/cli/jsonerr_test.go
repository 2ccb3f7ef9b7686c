package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/iostreams"
)

// run runs a command line on test streams with no credentials and
// returns its exit code and what it wrote.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios)
	f.UseEnv(func(string) string { return "" })
	code := Run(t.Context(), f, append([]string{"--state-dir", t.TempDir()}, args...))
	return code, out.String(), errOut.String()
}

// With --output json every failure, usage errors included, puts exactly
// one JSON object on stdout (the error and the exit code), while stderr
// keeps the message for people.
func TestJSONOutputErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nsteps:\n  - id: a\n    uses: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		errHas string // in the JSON error and on stderr
	}{
		{"unknown flag after -o", []string{"-o", "json", "incidents", "--bogus"}, ExitUsage, "unknown flag: --bogus"},
		{"unknown flag before -o", []string{"incidents", "--bogus", "--output", "json"}, ExitUsage, "unknown flag: --bogus"},
		{"-o=json", []string{"incidents", "--bogus", "-o=json"}, ExitUsage, "unknown flag: --bogus"},
		{"unknown command", []string{"--output=json", "nosuch"}, ExitUsage, `unknown command "nosuch"`},
		{"too many args", []string{"resume", "a", "b", "-o", "json"}, ExitUsage, "accepts 1 arg"},
		{"no such incident", []string{"resume", "zzzz", "--output", "json"}, ExitUsage, `no incident ID contains "zzzz"`},
		{"failing command", []string{"leaked-key", "--alert", "acme/api#1", "-o", "json"}, ExitUsage, "reading a secret-scanning alert needs GitHub"},
		{"no provider credentials", []string{"leaked-key", "--key-id", "key_abc", "-o", "json"}, ExitUsage, "OPENAI_ADMIN_KEY is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			dec := json.NewDecoder(strings.NewReader(out))
			var got struct {
				Error    *string `json:"error"`
				ExitCode *int    `json:"exit_code"`
			}
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("stdout is not a JSON object: %v\nstdout: %q\nstderr: %s", err, out, errOut)
			}
			if dec.More() {
				t.Errorf("more than one JSON value on stdout:\n%s", out)
			}
			if got.Error == nil || got.ExitCode == nil || *got.ExitCode != code || !strings.Contains(*got.Error, tc.errHas) {
				t.Errorf("JSON = %s, want error containing %q and exit_code %d", out, tc.errHas, code)
			}
			if !strings.Contains(errOut, tc.errHas) || strings.Count(errOut, tc.errHas) != 1 {
				t.Errorf("stderr does not have the message %q once:\n%s", tc.errHas, errOut)
			}
		})
	}
}

// A command that already wrote its JSON result (with its problems) adds
// no second object; an invalid playbook, whose problems go to stderr with
// their source lines, says so; without --output json, and with
// `report -o json` (-o is report's output file), stdout stays empty.
func TestJSONOutputErrorsOnce(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nsteps:\n  - id: a\n    uses: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "playbook", "validate", bad, "-o", "json")
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	var v []map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&v); err != nil || len(v) != 1 || v[0]["valid"] != false || dec.More() {
		t.Errorf("stdout is not exactly the validation result: %v\n%s", err, out)
	}
	code, out, errOut := runCLI(t, "run", bad, "--output", "json", "--dry-run")
	if code != ExitUsage || !strings.Contains(out, `"error": "the problems are listed on standard error"`) || !strings.Contains(errOut, `unknown step kind "nope"`) {
		t.Errorf("invalid playbook: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, args := range [][]string{{"report", "zzzz", "-o", "json"}, {"report", "--bogus", "-o", "json"}} {
		code, out, errOut = runCLI(t, args...)
		if code != ExitUsage || out != "" || errOut == "" {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
	}
	code, out, errOut = runCLI(t, "incidents", "--bogus")
	if code != ExitUsage || out != "" || !strings.Contains(errOut, "unknown flag: --bogus") {
		t.Errorf("text mode: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if bytes.Count([]byte(errOut), []byte("unknown flag")) != 1 {
		t.Errorf("the error is printed more than once:\n%s", errOut)
	}
}

// The last line leaves out a step's error only when the view showed it
// (a step kind's panic, say, reaches no view: its error is printed in full).
func TestErrStreamUnrepeated(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	es := &errStream{Writer: ios.ErrOut, secrets: ios.Secrets}
	err := fmt.Errorf("run: %w", &engine.StepError{Incident: "INC-1", Step: "deploy", Item: "acme/api", Err: errors.New("502 Bad Gateway")})
	if got := es.unrepeated(err); !strings.Contains(got, "502 Bad Gateway") {
		t.Errorf("not shown, but left out: %q", got)
	}
	es.errorShown("502 Bad Gateway")
	got := es.unrepeated(err)
	if strings.Contains(got, "502") || !strings.Contains(got, "step deploy [acme/api] failed (see above)") || !strings.Contains(got, "respond resume INC-1") {
		t.Errorf("shown, last line %q", got)
	}
	if got := es.unrepeated(errors.New("plain")); got != "plain" {
		t.Errorf("a plain error changed: %q", got)
	}
}
