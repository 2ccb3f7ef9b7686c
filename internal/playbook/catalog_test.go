package playbook

import (
	"context"

	"github.com/respondhq/respond/internal/step"
)

// testKind is a step kind that only declares its Spec; the parser never
// plans or applies.
type testKind struct{ spec step.Spec }

func (k testKind) Spec() step.Spec { return k.spec }
func (k testKind) Plan(context.Context, *step.Call) ([]step.Change, error) {
	return nil, nil
}
func (k testKind) Apply(context.Context, *step.Call) (*step.Result, error) {
	return &step.Result{}, nil
}

// deciderKind is a kind whose idempotency depends on its parameters, as exec.
type deciderKind struct{ testKind }

func (deciderKind) Idempotent(c *step.Call) bool {
	return c.Bool("idempotent") || c.Has("creates") || c.Has("unless")
}

type testCatalog map[string]step.Kind

func (c testCatalog) Lookup(kind string) (step.Kind, bool) { k, ok := c[kind]; return k, ok }
func (c testCatalog) Kinds() []step.Kind {
	var out []step.Kind
	for _, name := range sortedKeys(c) {
		out = append(out, c[name])
	}
	return out
}

// catalog mirrors the real kinds exec, approve and note, plus "dyn" (with
// dynamic outputs) and "fetch" (idempotent, with list and duration params).
var catalog = testCatalog{
	"exec": deciderKind{testKind{step.Spec{
		Kind: "exec", Summary: "Run a command", Mutates: true,
		Params: []step.Param{
			{Name: "command", Type: step.List, Required: true, Description: "argv, program first; never run through a shell"},
			{Name: "stdin", Type: step.String, AcceptsSecret: true, Description: "written to the command's standard input"},
			{Name: "dir", Type: step.String, Description: "working directory"},
			{Name: "env", Type: step.Map, Description: "extra environment variables; secrets refused"},
			{Name: "secret_stdout", Type: step.Bool, Default: false, Description: "stdout is a secret, available as outputs.secret"},
			{Name: "idempotent", Type: step.Bool, Default: false, Description: "the command can safely run twice"},
			{Name: "creates", Type: step.String, Description: "a path; if it exists the step is skipped"},
			{Name: "unless", Type: step.List, Description: "a command; exit 0 means the effect is already in place"},
		},
		Outputs: []step.Output{
			{Name: "stdout", Type: step.String},
			{Name: "secret", Type: step.Secret, Secret: true},
			{Name: "exit_code", Type: step.Int},
		},
	}}},
	"approve": testKind{step.Spec{
		Kind: "approve", Summary: "Ask a human",
		Params:  []step.Param{{Name: "message", Type: step.String, Required: true, Description: "the question"}},
		Outputs: []step.Output{{Name: "approved_by", Type: step.String}},
	}},
	"note": testKind{step.Spec{
		Kind: "note", Summary: "Add to the timeline",
		Params: []step.Param{{Name: "message", Type: step.String, Required: true, Description: "the note"}},
	}},
	"dyn": testKind{step.Spec{
		Kind: "dyn", Idempotent: true, DynamicOutputs: true,
		Params: []step.Param{{Name: "names", Type: step.List}, {Name: "data", Type: step.Any}},
	}},
	"fetch": testKind{step.Spec{
		Kind: "fetch", Idempotent: true,
		Params: []step.Param{
			{Name: "url", Type: step.String, Required: true},
			{Name: "token", Type: step.Secret},
			{Name: "wait", Type: step.Duration, Default: 0 * 1},
			{Name: "tries", Type: step.Int, Default: 1},
			{Name: "mode", Type: step.String, Enum: []string{"fast", "slow"}, Default: "fast"},
			{Name: "headers", Type: step.Map},
		},
		Outputs: []step.Output{{Name: "body", Type: step.String}, {Name: "items", Type: step.List}},
	}},
}
