package playbook

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/step"
)

// SchemaID is the $id of the generated schema.
const SchemaID = "https://respond.dev/schemas/playbook.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the playbook format for
// the kinds in cat, indented. Each step's `with:` is checked against its
// kind's parameters (an if/then keyed on `uses`). Editors use it through
// yaml-language-server; Parse remains the authority (it also checks
// references, secrets and durations, which a schema cannot express).
func Schema(cat step.Catalog) ([]byte, error) {
	var kinds []step.Spec
	if cat != nil {
		for _, k := range cat.Kinds() {
			kinds = append(kinds, k.Spec())
		}
	}
	kindNames := []string{}
	for _, s := range kinds {
		kindNames = append(kindNames, s.Kind)
	}
	obj := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	ref := func(name string) map[string]any { return obj("$ref", "#/$defs/"+name) }

	defs := map[string]any{
		"expression": obj(
			"type", "string",
			"pattern", `\$\{\{[\s\S]*\}\}`,
			"description", "a ${{ expression }}: inputs.NAME, steps.ID.outputs.NAME, item, incident.id, literals and == != && || !",
		),
		"duration": obj(
			"type", "string",
			"pattern", `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
			"description", "a Go duration such as 30s, 2m or 1h30m",
		),
		"scalar": obj("type", []string{"string", "number", "boolean"}),
		"input": obj(
			"type", "object",
			"additionalProperties", false,
			"required", []string{"type"},
			"properties", obj(
				"type", obj("enum", typeNames(inputTypes), "description", "string, int, bool, duration, list (of strings), any (structured data, e.g. inventory targets; JSON with --set) or secret (never from the command line)"),
				"required", obj("type", "boolean", "default", false, "description", "the run refuses to start without a value"),
				"default", obj("description", "the value when none is given (not allowed for secret inputs)"),
				"description", obj("type", "string", "description", "shown by `respond playbook show` and at prompts"),
			),
			"allOf", []any{
				obj("if", obj("properties", obj("type", obj("const", "int"))), "then", obj("properties", obj("default", obj("type", "integer")))),
				obj("if", obj("properties", obj("type", obj("const", "bool"))), "then", obj("properties", obj("default", obj("type", "boolean")))),
				obj("if", obj("properties", obj("type", obj("const", "string"))), "then", obj("properties", obj("default", ref("scalar")))),
				obj("if", obj("properties", obj("type", obj("const", "duration"))), "then", obj("properties", obj("default", ref("duration")))),
				obj("if", obj("properties", obj("type", obj("const", "list"))), "then", obj("properties", obj("default", obj("type", "array", "items", ref("scalar"))))),
				obj("if", obj("properties", obj("type", obj("const", "secret"))), "then", obj("not", obj("required", []string{"default"}))),
			},
		),
		"retry": obj(
			"type", "object",
			"additionalProperties", false,
			"description", "retry policy; only idempotent steps are retried, with exponential backoff and jitter",
			"properties", obj(
				"attempts", obj("type", "integer", "minimum", 1, "maximum", MaxRetryAttempts, "default", 3, "description", "total attempts, including the first"),
				"backoff", obj("allOf", []any{ref("duration")}, "default", "1s", "description", "delay before the second attempt; doubles each time"),
				"max_backoff", obj("allOf", []any{ref("duration")}, "default", "30s", "description", "cap on one delay"),
			),
		),
	}

	stepProps := obj(
		"id", obj("type", "string", "pattern", stepIDRe.String(), "description", "unique; later steps use steps.ID.outputs.NAME"),
		"name", obj("type", "string", "description", "display name"),
		"uses", obj("enum", kindNames, "description", "the kind of step: "+strings.Join(kindNames, ", ")),
		"with", obj("type", "object", "description", "the kind's parameters"),
		"when", obj("type", []string{"string", "boolean"}, "description", "run the step only if this condition holds: `inputs.force == false` or ${{ … }}"),
		"foreach", obj("allOf", []any{ref("expression")}, "description", "run once per element of a list; ${{ item }} is the element"),
		"concurrency", obj("type", "integer", "minimum", 1, "maximum", MaxConcurrency, "default", 1, "description", "how many foreach items run at once"),
		"retry", ref("retry"),
		"timeout", obj("allOf", []any{ref("duration")}, "description", "limit on one attempt"),
		"confirm", obj("type", "string", "description", "a yes/no question asked before the step runs"),
		"continue_on_error", obj("type", "boolean", "default", false, "description", "a failure of this step does not stop the run"),
	)
	var conds []any
	for _, s := range kinds {
		props := map[string]any{}
		var required []string
		for _, pr := range s.Params {
			props[pr.Name] = paramSchema(pr, ref)
			if pr.Required {
				required = append(required, pr.Name)
			}
		}
		with := obj("type", "object", "additionalProperties", false, "properties", props)
		if len(required) > 0 {
			with["required"] = required
		}
		defs["with."+s.Kind] = with
		then := obj("properties", obj("with", ref("with."+s.Kind)))
		if len(required) > 0 {
			then["required"] = []string{"with"}
		}
		conds = append(conds, obj(
			"if", obj("required", []string{"uses"}, "properties", obj("uses", obj("const", s.Kind))),
			"then", then,
		))
	}
	stepDef := obj(
		"type", "object",
		"additionalProperties", false,
		"required", []string{"id", "uses"},
		"properties", stepProps,
	)
	if len(conds) > 0 {
		stepDef["allOf"] = conds
	}
	defs["step"] = stepDef

	root := obj(
		"$schema", "https://json-schema.org/draft/2020-12/schema",
		"$id", SchemaID,
		"title", "respond playbook",
		"description", "A procedure of typed inputs and ordered steps for `respond run`. See docs/playbooks.md.",
		"type", "object",
		"additionalProperties", false,
		"required", []string{"name", "steps"},
		"properties", obj(
			"name", obj("type", "string", "pattern", nameRe.String(), "description", "lower-case letters, digits and hyphens"),
			"description", obj("type", "string"),
			"strategy", obj("type", "string", "description", "a free label, e.g. contain-first"),
			"inputs", obj(
				"type", []string{"object", "null"},
				"propertyNames", obj("pattern", inputNameRe.String()),
				"additionalProperties", ref("input"),
			),
			"steps", obj("type", "array", "minItems", 1, "items", ref("step")),
		),
		"$defs", defs,
	)
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the playbook schema: %w", err)
	}
	return append(b, '\n'), nil
}

// paramSchema is the schema of one parameter: its type, or an expression.
func paramSchema(pr step.Param, ref func(string) map[string]any) map[string]any {
	var lit map[string]any
	switch pr.Type {
	case step.Int:
		lit = map[string]any{"type": "integer"}
	case step.Bool:
		lit = map[string]any{"type": "boolean"}
	case step.Duration:
		lit = ref("duration")
	case step.List:
		lit = map[string]any{"type": "array", "items": map[string]any{"anyOf": []any{ref("scalar"), ref("expression")}}}
	case step.Map:
		lit = map[string]any{"type": "object", "additionalProperties": ref("scalar")}
	case step.Any:
		lit = map[string]any{}
	default: // string, secret
		lit = map[string]any{"type": []string{"string", "number", "boolean"}}
		if len(pr.Enum) > 0 {
			lit = map[string]any{"enum": pr.Enum}
		}
	}
	out := map[string]any{"anyOf": []any{lit, ref("expression")}}
	if pr.Type == step.Any {
		out = lit
	}
	desc := pr.Description
	if pr.AcceptsSecret {
		desc = strings.TrimSpace(desc + " (accepts a secret as the whole value)")
	}
	if desc != "" {
		out["description"] = desc
	}
	if pr.Default != nil {
		if d, ok := pr.Default.(fmt.Stringer); ok {
			out["default"] = d.String()
		} else {
			out["default"] = pr.Default
		}
	}
	return out
}
