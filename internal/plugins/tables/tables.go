// Package tables renders the docs' tables of what is registered, from
// the registry, never by hand: docs/providers.md's capability matrix and
// docs/inventory.md's credential and target tables. Its test checks that
// the files hold what these give (`go test ./internal/plugins/tables
// -update-docs` rewrites them), so a plug-in that registers is in the
// docs without an edit outside its package.
package tables

import (
	"fmt"
	"strings"

	// Every provider and target type respond knows, registered.
	_ "github.com/respondhq/respond/internal/plugins"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/target"
)

// ProviderMatrix is the capability matrix of the registered providers as
// a Markdown table: one column per provider, one row per capability.
func ProviderMatrix() string {
	specs := provider.Specs()
	rows := []struct {
		what string
		cell func(s *provider.Spec) string
	}{
		{"name in an inventory", func(s *provider.Spec) string { return code(s.Name) }},
		{"its keys", func(s *provider.Spec) string { return s.KeyNoun }},
		{"GitHub secret types", func(s *provider.Spec) string { return codes(s.AlertTypes) }},
		{"key IDs look like", func(s *provider.Spec) string { return code(s.KeyID.Example) }},
		{"scope (inventory field)", scopeCell},
		{"contain", containCell},
		{"undo a containment", func(s *provider.Spec) string { return orNo(s.Caps.Undo) }},
		{"prove dead or live", func(s *provider.Spec) string {
			if !s.Caps.VerifyByAPI {
				return "no: a person checks"
			}
			return fmt.Sprintf("%s: dead is %s, live is %s", code(s.Verify.Method), s.Verify.Dead, s.Verify.Live)
		}},
		{"replacement", replaceCell},
		{"usage during the exposure", func(s *provider.Spec) string {
			switch {
			case s.Caps.Usage && s.Caps.UsageTokens:
				return "requests and tokens"
			case s.Caps.Usage:
				return "requests"
			}
			return "no: the report says unknown"
		}},
		{"last use", func(s *provider.Spec) string { return yesNo(s.Caps.LastUsed, "no: unknown, never \"never\"") }},
		{"spend controls", func(s *provider.Spec) string { return yesNo(s.Caps.SpendControls, "no") }},
		{"key picker", func(s *provider.Spec) string {
			return yesNo(!s.Caps.Unlisted, "no: the API cannot list keys; give the value or the alert")
		}},
		{"configuration", envCell},
		{"conformance suite against", fakeCell},
		{"page", func(s *provider.Spec) string {
			if s.Docs == "" {
				return "—"
			}
			// docs/providers.md links its neighbours relative to docs/.
			return fmt.Sprintf("[%s](%s)", strings.TrimPrefix(s.Docs, "docs/"), strings.TrimPrefix(s.Docs, "docs/"))
		}},
	}
	var b strings.Builder
	b.WriteString("| |")
	for _, s := range specs {
		b.WriteString(" " + cell(s.Title) + " |")
	}
	b.WriteString("\n|---|")
	for range specs {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + r.what + " |")
		for _, s := range specs {
			b.WriteString(" " + cell(r.cell(s)) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// CredentialTable is the inventory's per-provider fields: scope, key IDs,
// names, parts and the part a target holds by default.
func CredentialTable() string {
	var b strings.Builder
	b.WriteString("| `provider` | scope field | `key_id` looks like | `key_name` | parts | default part |\n|---|---|---|---|---|---|\n")
	for _, s := range provider.Specs() {
		var parts []string
		for _, p := range s.Parts {
			n := code(p.Name)
			if p.Secret {
				n += " (secret)"
			}
			parts = append(parts, n)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
			code(s.Name), cell(scopeCell(s)), cell(code(s.KeyID.Example)),
			yesNo(s.KeyNames, "no"), cell(strings.Join(parts, ", ")), code(s.MainPart()))
	}
	return b.String()
}

// TargetTable lists the registered types of target; section gives the
// link to a type's section of the docs ("" for none).
func TargetTable(section func(typ string) string) string {
	var b strings.Builder
	b.WriteString("| type | what | holds the key | several parts at once | environment |\n|---|---|---|---|---|\n")
	for _, s := range target.Specs() {
		holds := "yes"
		if !s.Holds {
			holds = "no: re-run once every holder has the new value"
		}
		var env []string
		for _, e := range s.Env {
			n := code(e.Name)
			if e.Secret {
				n += " (secret)"
			}
			env = append(env, n)
		}
		name := code(s.Type)
		if l := section(s.Type); l != "" {
			name = "[" + name + "](" + l + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
			name, cell(s.Summary), holds, yesNo(s.MultiPart, "no"), orDash(strings.Join(env, ", ")))
	}
	return b.String()
}

func scopeCell(s *provider.Spec) string {
	sc := s.Scope
	if sc.Field == "" {
		return "—"
	}
	req := "optional: found from the key"
	if sc.Required {
		req = "required"
	}
	return fmt.Sprintf("%s %s (%s, e.g. %s)", sc.Kind, code(sc.Field), req, code(sc.Example))
}

func containCell(s *provider.Spec) string {
	switch s.Caps.Contain {
	case provider.Deactivate:
		return fmt.Sprintf("deactivate at once; %s once recovery is verified", s.Caps.Retire())
	case provider.Delete:
		return "delete (revoke) at once"
	}
	return string(s.Caps.Contain)
}

func replaceCell(s *provider.Spec) string {
	switch s.Caps.Replace {
	case provider.ByAPI:
		return "created by API"
	case provider.ByPerson:
		return "made by a person, who pastes it (hidden prompt or `--replacement-stdin`); respond checks and deploys it"
	}
	return "none"
}

func envCell(s *provider.Spec) string {
	var out []string
	for _, e := range s.Env {
		if e.Unread {
			continue
		}
		n := code(e.Name)
		if e.Secret {
			n += " (secret)"
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return "—"
	}
	return strings.Join(out, ", ")
}

func fakeCell(s *provider.Spec) string {
	switch {
	case s.FakeElsewhere != "":
		return s.FakeElsewhere
	case s.Fake != nil:
		return "its fake, served by the simulator"
	}
	return "the simulator"
}

func code(s string) string {
	if s == "" {
		return "—"
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

func codes(ss []string) string {
	if len(ss) == 0 {
		return "—"
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = code(s)
	}
	return strings.Join(out, ", ")
}

func yesNo(b bool, no string) string {
	if b {
		return "yes"
	}
	return no
}

func orNo(s string) string {
	if s == "" {
		return "no"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// cell keeps a value in its table cell: a '|' would end it, a newline
// the row.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
