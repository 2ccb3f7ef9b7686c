package githubapi

import (
	"strings"
	"testing"
)

func TestParseWorkflowTrigger(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      string
		dispatch bool
		inputs   []WorkflowInput
	}{
		{"scalar", "on: workflow_dispatch\njobs: {}\n", true, nil},
		{"scalar, other event", "on: push\n", false, nil},
		{"list", "on: [push, workflow_dispatch]\n", true, nil},
		{"block list", "on:\n  - pull_request\n  - workflow_dispatch\n", true, nil},
		{"list without", "on: [push, pull_request]\n", false, nil},
		{"mapping, null", "on:\n  push:\n    branches: [main]\n  workflow_dispatch:\n", true, nil},
		{"mapping, empty inputs", "on:\n  workflow_dispatch:\n    inputs: {}\n", true, nil},
		{"mapping without", "on:\n  push: {}\n  schedule:\n    - cron: '0 0 * * *'\n", false, nil},
		{"inputs", `name: deploy
on:
  workflow_dispatch:
    inputs:
      reason:
        description: Why
        required: true
      environment:
        type: choice
        options: [staging, production]
        default: staging
      dry_run:
        type: boolean
        default: false
        required: True
      bare:
`, true, []WorkflowInput{
			{Name: "reason", Required: true},
			{Name: "environment", Type: "choice", Default: "staging", HasDefault: true},
			{Name: "dry_run", Type: "boolean", Default: "false", HasDefault: true, Required: true},
			{Name: "bare"},
		}},
		{"quoted on key", "\"on\": workflow_dispatch\n", true, nil},
		{"YAML 1.1 true key", "true: [workflow_dispatch]\n", true, nil},
		{"anchors", "x: &d workflow_dispatch\non: [push, *d]\n", true, nil},
		{"anchored inputs", "i: &in\n  reason: {required: true}\non:\n  workflow_dispatch:\n    inputs: *in\n", true, []WorkflowInput{{Name: "reason", Required: true}}},
	} {
		tr, err := ParseWorkflowTrigger([]byte(tc.src))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tr.Dispatch != tc.dispatch || len(tr.Inputs) != len(tc.inputs) {
			t.Errorf("%s: %+v, want dispatch=%v inputs=%+v", tc.name, tr, tc.dispatch, tc.inputs)
			continue
		}
		for i := range tc.inputs {
			if tr.Inputs[i] != tc.inputs[i] {
				t.Errorf("%s: input %d = %+v, want %+v", tc.name, i, tr.Inputs[i], tc.inputs[i])
			}
		}
	}
	for _, tc := range []struct{ name, src, want string }{
		{"not YAML", "on: [push\n", "not valid YAML"},
		{"a list", "- on\n", "not a YAML mapping"},
		{"empty", "", "not a YAML mapping"},
		{"no on", "name: x\njobs: {}\n", "no on: key"},
		{"bad dispatch", "on:\n  workflow_dispatch: [a]\n", "on.workflow_dispatch is not a mapping"},
		{"bad inputs", "on:\n  workflow_dispatch:\n    inputs: [a]\n", "inputs is not a mapping"},
		{"bad input", "on:\n  workflow_dispatch:\n    inputs:\n      a: [x]\n", `input "a" is not a mapping`},
		{"bad required", "on:\n  workflow_dispatch:\n    inputs:\n      a: {required: maybe}\n", `required: "maybe"`},
		{"alias loop", "a: &a [*a]\non: *a\n", ""},
	} {
		_, err := ParseWorkflowTrigger([]byte(tc.src))
		if tc.want == "" {
			continue // must only not panic or hang
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// FuzzParseWorkflowTrigger: workflow files come from repositories, so any
// input must parse or fail with an error, never panic or hang, and inputs
// always have names.
func FuzzParseWorkflowTrigger(f *testing.F) {
	for _, s := range []string{
		"on: workflow_dispatch\n",
		"on: [push, workflow_dispatch]\n",
		"on:\n  workflow_dispatch:\n    inputs:\n      reason: {required: true, default: x}\n",
		"x: &a [*a]\non: *a\n",
		"on:\n  workflow_dispatch:\n    inputs: &i {a: *i}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<16 {
			return
		}
		tr, err := ParseWorkflowTrigger(src)
		if err != nil {
			return
		}
		for _, in := range tr.Inputs {
			if in.Name == "" {
				t.Fatalf("an input without a name from %q", src)
			}
		}
		if len(tr.Inputs) > 0 && !tr.Dispatch {
			t.Fatalf("inputs without workflow_dispatch from %q", src)
		}
	})
}
