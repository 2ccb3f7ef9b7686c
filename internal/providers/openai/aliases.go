package openai

import (
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
)

// stepAliases are the openai.* step kinds: the generic key.* kinds bound
// to OpenAI, with the names playbooks written before the generic kinds
// use: `project` for the scope, `service_account_id` for a service
// account's ID.
var stepAliases = map[string]provider.StepAlias{
	"openai.identify_key": {
		Kind:    "key.identify",
		Params:  map[string]string{scopeParam: "scope"},
		Outputs: map[string]string{"project": "scope", "project_name": "scope_name"},
		Extra:   []step.Output{{Name: "service_account_id", Type: step.String, Description: "the owning service account, if one owns the key"}},
		Fill: func(out map[string]any) {
			sa := ""
			if out["owner_type"] == "service_account" {
				sa, _ = out["owner_id"].(string)
			}
			out["service_account_id"] = sa
		},
	},
	"openai.revoke_key": {
		Kind:   "key.revoke",
		Params: map[string]string{scopeParam: "scope", "service_account_id": "owner_id"},
	},
	"openai.verify_key": {Kind: "key.verify", Params: map[string]string{scopeParam: "scope"}},
	"openai.create_replacement": {
		Kind:    "key.replace",
		Params:  map[string]string{scopeParam: "scope"},
		Outputs: map[string]string{"service_account_id": "principal_id", "service_account_name": "principal_name"},
	},
	"openai.key_usage":   {Kind: "key.usage", Params: map[string]string{scopeParam: "scope"}},
	"openai.await_quiet": {Kind: "key.await_quiet", Params: map[string]string{scopeParam: "scope"}},
}
