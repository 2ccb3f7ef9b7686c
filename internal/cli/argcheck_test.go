package cli

import (
	"strings"
	"testing"
)

func TestRefuseSecretArgs(t *testing.T) {
	key := "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
	for _, tc := range []struct {
		args  []string
		where string
	}{
		{[]string{"leaked-key", "--key-id", key}, "--key-id"},
		{[]string{"leaked-key", "--project=" + key}, "--project"},
		{[]string{"run", "x.yaml", "--set", "token=" + key}, "--set"},
		{[]string{"report", key}, "argument 2"},
		{[]string{key}, "argument 1"},
	} {
		err := refuseSecretArgs(tc.args)
		if err == nil {
			t.Errorf("%v: accepted", tc.args)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, tc.where+" ") || !strings.Contains(msg, "--key-stdin") || strings.Contains(msg, "abcdefghijkl") {
			t.Errorf("%v: %s", tc.args, msg)
		}
		if ExitCode(err) != ExitUsage {
			t.Errorf("%v: exit code %d", tc.args, ExitCode(err))
		}
	}
	if err := refuseSecretArgs([]string{"leaked-key", "--key-id", "key_abc", "--project", "proj_x", "--alert", "acme/api#4"}); err != nil {
		t.Errorf("identifiers refused: %v", err)
	}
}
