package drill

import (
	"encoding/json"
	"slices"
)

// SchemaID is the $id of the drill scenario schema.
const SchemaID = "https://respond.dev/schemas/drill-scenario.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of drill scenario files,
// indented. Parse is the authority: it also checks references (the ideal
// run's injects) and placeholders.
func Schema() ([]byte, error) {
	obj := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	ref := func(n string) map[string]any { return obj("$ref", "#/$defs/"+n) }
	str := func(desc string) map[string]any { return obj("type", "string", "description", desc) }
	kinds := injectKindNames()
	measures := map[string]any{}
	for _, m := range Measures {
		props := obj("weight", obj("type", "number", "minimum", 0, "maximum", 1000))
		switch m {
		case MeasureContain, MeasureDowntime:
			props["half_life"] = ref("duration")
		case MeasureAttackerCost:
			props["half_cost"] = obj("type", "number", "exclusiveMinimum", 0, "description", "the dollars of attacker spend that halve the points")
		}
		measures[m] = obj("oneOf", []any{
			obj("type", "number", "minimum", 0, "maximum", 1000, "description", "the measure's weight"),
			obj("type", "object", "additionalProperties", false, "properties", props),
		})
	}
	s := obj(
		"$schema", "https://json-schema.org/draft/2020-12/schema",
		"$id", SchemaID,
		"title", "respond drill scenario",
		"description", "A training drill for respond: the world, the attacker, the consumers, the injects, the rubric and the ideal run (docs/drills.md).",
		"type", "object",
		"additionalProperties", false,
		"required", []string{"name", "title", "briefing"},
		"properties", obj(
			"name", obj("type", "string", "pattern", "^[a-z0-9][a-z0-9-]*$"),
			"title", str("one line a trainee reads first"),
			"skills", obj("type", "array", "items", obj("type", "string"), "description", "what the drill trains (shown by respond drill --list)"),
			"briefing", str("what the trainees know when the clock starts; ${alert}, ${org}, ${key_id}, ${project}, ${teammate}… are filled in"),
			"goal", str("what the trainees must achieve"),
			"notes", str("for the facilitator: the twist (not in --list nor the briefing; in the debrief)"),
			"time_limit", obj("allOf", []any{ref("duration")}, "description", "how long a live drill may run before it ends by itself (default 30m)"),
			"world", obj("type", "object", "additionalProperties", false, "properties", obj(
				"base", obj("enum", BaseWorlds),
				"seed", obj("type", "integer", "minimum", 0),
				"repos", obj("type", "integer", "minimum", 1, "maximum", 200),
				"run_duration", ref("duration"),
				"unlisted", obj("type", "array", "items", obj("type", "string", "pattern", `^[A-Za-z0-9_.-]+$`), "description", "repositories that hold the key but that the inventory forgets"),
				"read_only", obj("type", "array", "items", obj("type", "string", "pattern", `^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`), "description", "repositories (OWNER/NAME) the trainees' tokens may only read"),
			)),
			"attacker", obj("type", "object", "additionalProperties", false, "properties", obj(
				"requests_per_second", obj("type", "number", "minimum", 0, "maximum", 1000),
				"input_tokens", obj("type", "integer", "minimum", 0),
				"output_tokens", obj("type", "integer", "minimum", 0),
				"model", obj("type", "string"),
			)),
			"consumers", obj("type", "object", "additionalProperties", false, "properties", obj("interval", ref("duration"))),
			"teammate", obj("type", "object", "additionalProperties", false, "required", []string{"name"}, "properties", obj(
				"name", obj("type", "string"),
				"step", obj("enum", slices.Clone(teammateSteps)),
			)),
			"watch", obj("type", "object", "additionalProperties", false, "description", "respond watch beside the trainees, on a twin of the world: the debrief compares its containment with theirs", "properties", obj(
				"action", obj("enum", slices.Clone(WatchActions), "description", "what its policy does with every alert (default respond)"),
				"poll", obj("allOf", []any{ref("duration")}, "description", "how often it polls the open alerts, besides webhooks (default 30s)"),
			)),
			"injects", obj("type", "array", "items", obj("type", "object", "additionalProperties", false, "required", []string{"name"}, "properties", obj(
				"name", obj("type", "string", "pattern", "^[a-z0-9][a-z0-9-]*$"),
				"kind", obj("enum", kinds),
				"description", obj("type", "string"),
				"at", ref("duration"),
				"when", obj("enum", []string{"contained", "replaced"}),
				"method", obj("type", "string"),
				"path", obj("type", "string", "pattern", "^/"),
				"status", obj("type", "integer", "minimum", 100, "maximum", 599),
				"rate_limit", obj("enum", []string{"secondary", "primary", "429"}),
				"count", obj("type", "integer", "minimum", 0),
				"retry_after", ref("duration"),
				"delay", ref("duration"),
				"repo", obj("type", "string"),
			))),
			"rubric", obj("type", "object", "additionalProperties", false, "properties", measures),
			"ideal", obj("type", "array", "minItems", 1, "items", obj("oneOf", []any{
				obj("type", "object", "additionalProperties", false, "required", []string{"respond"}, "properties", obj(
					"respond", obj("type", []string{"object", "null"}, "additionalProperties", false, "properties", obj(
						"force", obj("type", "boolean"),
						"alert", obj("enum", []string{"first", "latest"}),
						"key_id", obj("type", "boolean"),
					)))),
				obj("type", "object", "additionalProperties", false, "required", []string{"inject"}, "properties", obj("inject", obj("type", "string"))),
				obj("type", "object", "additionalProperties", false, "required", []string{"resume"}, "properties", obj("resume", obj("enum", []string{"last", "teammate"}))),
			})),
		),
		"$defs", obj(
			"duration", obj("type", "string", "pattern", `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, "description", "a Go duration such as 30s, 2m or 1h30m"),
		),
	)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
