package watch

import (
	"encoding/json"

	"github.com/respondhq/respond/internal/provider"
)

// SchemaID is the $id of the watch policy schema.
const SchemaID = "https://respond.dev/schemas/watch-policy.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of watch policy files,
// indented. ParsePolicy is the authority (it also checks globs and rule
// names); the schema is for editors.
func Schema() ([]byte, error) {
	type m = map[string]any
	actions := make([]string, len(Actions))
	for i, a := range Actions {
		actions[i] = string(a)
	}
	oneOrMany := func(item m, desc string) m {
		return m{"description": desc, "oneOf": []any{item, m{"type": "array", "minItems": 1, "items": item}}}
	}
	s := m{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "respond watch policy",
		"description":          "What respond watch does with each GitHub secret-scanning alert: the first rule whose conditions all hold decides, else the default (docs/watch.md).",
		"type":                 "object",
		"additionalProperties": false,
		"properties": m{
			"default": m{"enum": actions, "description": "the action when no rule matches (notify unless said)"},
			"rules": m{"type": "array", "items": m{
				"type":                 "object",
				"additionalProperties": false,
				"required":             []string{"action"},
				"properties": m{
					"name":   m{"type": "string", "minLength": 1, "description": "what the rule is for; logs, notifications and `respond watch explain` name it"},
					"action": m{"enum": actions, "description": "respond: the whole leaked-key playbook, unattended; contain: revoke only; notify; ignore"},
					"match": m{
						"type":                 []string{"object", "null"},
						"additionalProperties": false,
						"description":          "every condition given must hold; a list holds when any item does; no conditions match every alert",
						"properties": m{
							"secret_type":     oneOrMany(m{"type": "string", "minLength": 1}, "GitHub secret types, e.g. openai_api_key"),
							"provider":        oneOrMany(m{"enum": provider.Names()}, "the provider that issued the key"),
							"repository":      oneOrMany(m{"type": "string", "pattern": `^[^/]+(/[^/]+)?$`}, "globs over OWNER/NAME (acme/*), or NAME alone for any owner"),
							"validity":        oneOrMany(m{"enum": Validities}, "the alert's validity"),
							"publicly_leaked": m{"type": "boolean", "description": "whether GitHub saw the secret in a public place"},
							"in_inventory":    m{"type": "boolean", "description": "whether a credential of the inventory names the key"},
						},
					},
				},
			}},
		},
	}
	return json.MarshalIndent(s, "", "  ")
}
