package cli

import (
	"fmt"
	"strings"

	"github.com/respondhq/respond/internal/provider"
)

// The parts of leaked-key's and rotate's help that name providers are
// written from the provider registry, so that a new provider appears in
// them by registering.

// providerTitles is "OpenAI, AWS, …" in registry order.
func providerTitles() string {
	var out []string
	for _, s := range provider.Specs() {
		out = append(out, s.Title)
	}
	return strings.Join(out, ", ")
}

// keyIDLines are the help's lines for --key-id, one per provider whose
// keys have IDs: "  --key-id key_… --project proj_…   an OpenAI API key by its ID".
func keyIDLines() string {
	var b strings.Builder
	for _, s := range provider.Specs() {
		if s.KeyID.Pattern == nil {
			continue
		}
		flag := "--key-id " + s.KeyID.Shape
		if s.Scope.Required {
			flag += " --" + "project " + s.Scope.Example
		}
		fmt.Fprintf(&b, "  %-36s %s by its ID\n", flag, article(s.KeyTitle()))
	}
	return b.String()
}

// credentialLines say which environment variables configure each
// provider, for the help.
func credentialLines() string {
	var b strings.Builder
	for _, s := range provider.Specs() {
		var names []string
		for _, v := range s.Env {
			if !v.Unread {
				names = append(names, v.Name)
			}
		}
		if len(names) == 0 {
			continue
		}
		b.WriteString(wrapList("  "+s.Title+" keys: ", names, 78))
	}
	return b.String()
}

// scopeExamples lists the scopes a --project may name: "an OpenAI
// project, proj_abc123".
func scopeExamples() string {
	var out []string
	for _, s := range provider.Specs() {
		if s.Scope.Required {
			out = append(out, fmt.Sprintf("%s %s, %s", article(s.Title), s.Scope.Kind, s.Scope.Example))
		}
	}
	return strings.Join(out, "; ")
}

// wrapList writes head and then the names, comma-separated, wrapped at
// width with continuation lines indented under the first name.
func wrapList(head string, names []string, width int) string {
	var b strings.Builder
	line := head
	indent := strings.Repeat(" ", len([]rune(head)))
	for i, n := range names {
		item := n
		if i < len(names)-1 {
			item += ","
		}
		if len([]rune(line))+len([]rune(item))+1 > width && line != head {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += item + " "
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
	return b.String()
}
