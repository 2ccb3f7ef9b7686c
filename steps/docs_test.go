package steps_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

// docsPath is the playbook reference, relative to this package.
const docsPath = "../docs/playbooks.md"

// TestDocsCoverEveryKind keeps the "Step kinds" reference of
// docs/playbooks.md in step with the registered kinds: every kind has a
// section whose properties row, parameter table and output table match its
// Spec, and the docs describe no kind, parameter or output that does not
// exist.
func TestDocsCoverEveryKind(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("reading the playbook reference: %v", err)
	}
	sections := kindSections(string(b))

	kinds := steps.Catalog().Kinds()
	if len(kinds) == 0 {
		t.Fatal("steps.Catalog() has no kinds")
	}
	registered := map[string]bool{}
	for _, k := range kinds {
		spec := k.Spec()
		registered[spec.Kind] = true
		t.Run(spec.Kind, func(t *testing.T) {
			sec, ok := sections[spec.Kind]
			if !ok {
				t.Fatalf("%s has no section \"### `%s`: …\" under \"## Step kinds\"; document its Spec there", docsPath, spec.Kind)
			}
			checkProperties(t, spec, sec)
			checkParams(t, spec, sec)
			checkOutputs(t, spec, sec)
		})
	}
	for name := range sections {
		if !registered[name] {
			t.Errorf("%s documents kind %q, which is not registered in steps.Catalog(); remove its section", docsPath, name)
		}
	}

	// The overview table has one row per kind: | Kind | What it does |
	// Changes things | Runs while planning | Idempotent | Credentials |.
	overview := tableRows(overviewText(string(b)), "| Kind |")
	listed := map[string]bool{}
	for _, row := range overview {
		name := strings.Trim(strings.SplitN(strings.TrimPrefix(row[0], "["), "]", 2)[0], "`")
		listed[name] = true
		k, ok := steps.Catalog().Lookup(name)
		if !ok || len(row) < 5 {
			continue // reported below, or by the section check
		}
		spec := k.Spec()
		for i, c := range []struct {
			column string
			want   bool
		}{{"Changes things", spec.Mutates}, {"Runs while planning", spec.Reads}, {"Idempotent", spec.Idempotent}} {
			if got := firstWord(row[i+2]); got != yesNo(c.want) {
				t.Errorf("overview table, kind %s: %q is %q, want it to start with %q (Spec)", name, c.column, row[i+2], yesNo(c.want))
			}
		}
	}
	for name := range registered {
		if !listed[name] {
			t.Errorf("the overview table of \"## Step kinds\" in %s has no row for %q", docsPath, name)
		}
	}
	if len(overview) != len(registered) {
		t.Errorf("the overview table of \"## Step kinds\" in %s has %d rows, want one per registered kind (%d)", docsPath, len(overview), len(registered))
	}
}

// checkProperties checks the one-row table "| Changes things | Runs while
// planning | Idempotent | Credentials |" of a kind's section.
func checkProperties(t *testing.T, spec step.Spec, sec string) {
	t.Helper()
	rows := tableRows(sec, "| Changes things |")
	if len(rows) != 1 || len(rows[0]) < 3 {
		t.Errorf("section %s: want one properties row under \"| Changes things | Runs while planning | Idempotent | Credentials |\", found %d", spec.Kind, len(rows))
		return
	}
	row := rows[0]
	for i, c := range []struct {
		column string
		want   bool
	}{{"Changes things", spec.Mutates}, {"Runs while planning", spec.Reads}, {"Idempotent", spec.Idempotent}} {
		if got := firstWord(row[i]); got != yesNo(c.want) {
			t.Errorf("section %s: %q is %q, want it to start with %q (Spec)", spec.Kind, c.column, row[i], yesNo(c.want))
		}
	}
}

// checkParams checks the parameter table of a kind's section against its
// Spec: one row per parameter, with its type, required/default and whether
// it accepts a secret.
func checkParams(t *testing.T, spec step.Spec, sec string) {
	t.Helper()
	rows := byName(t, spec.Kind, "parameter", tableRows(sec, "| Parameter |"))
	for _, p := range spec.Params {
		row, ok := rows[p.Name]
		if !ok {
			t.Errorf("section %s: parameter %q is not in its parameter table", spec.Kind, p.Name)
			continue
		}
		delete(rows, p.Name)
		if len(row) < 5 {
			t.Errorf("section %s: parameter %q: want 5 columns (Parameter, Type, Required / default, Secret, Meaning), got %d", spec.Kind, p.Name, len(row))
			continue
		}
		if row[1] != string(p.Type) {
			t.Errorf("section %s: parameter %q has type %q, Spec says %q", spec.Kind, p.Name, row[1], p.Type)
		}
		if got := strings.Contains(row[2], "**required**"); got != p.Required {
			t.Errorf("section %s: parameter %q: Required / default %q, but Spec says required=%v", spec.Kind, p.Name, row[2], p.Required)
		}
		if p.Default != nil {
			if def := fmt.Sprint(p.Default); !strings.Contains(row[2], def) {
				t.Errorf("section %s: parameter %q: Required / default %q does not give the default %q", spec.Kind, p.Name, row[2], def)
			}
		}
		if row[3] != yesNo(p.AcceptsSecret) {
			t.Errorf("section %s: parameter %q: Secret column %q, want %q (AcceptsSecret=%v)", spec.Kind, p.Name, row[3], yesNo(p.AcceptsSecret), p.AcceptsSecret)
		}
		for _, v := range p.Enum {
			if !strings.Contains(row[4], "`"+v+"`") {
				t.Errorf("section %s: parameter %q: the meaning does not list the allowed value `%s`", spec.Kind, p.Name, v)
			}
		}
	}
	for name := range rows {
		t.Errorf("section %s: documents parameter %q, which the kind does not have", spec.Kind, name)
	}
}

// checkOutputs checks the output table of a kind's section against its
// Spec; a kind without outputs must say "has no outputs".
func checkOutputs(t *testing.T, spec step.Spec, sec string) {
	t.Helper()
	rows := byName(t, spec.Kind, "output", tableRows(sec, "| Output |"))
	if len(spec.Outputs) == 0 && !spec.DynamicOutputs && !strings.Contains(sec, "has no outputs") {
		t.Errorf("section %s: the kind has no outputs; say \"`%s` has no outputs.\"", spec.Kind, spec.Kind)
	}
	for _, o := range spec.Outputs {
		row, ok := rows[o.Name]
		if !ok {
			t.Errorf("section %s: output %q is not in its output table", spec.Kind, o.Name)
			continue
		}
		delete(rows, o.Name)
		if len(row) < 4 {
			t.Errorf("section %s: output %q: want 4 columns (Output, Type, Secret, Meaning), got %d", spec.Kind, o.Name, len(row))
			continue
		}
		if row[1] != string(o.Type) {
			t.Errorf("section %s: output %q has type %q, Spec says %q", spec.Kind, o.Name, row[1], o.Type)
		}
		isSecret := o.Secret || o.Type == step.Secret
		if row[2] != yesNo(isSecret) {
			t.Errorf("section %s: output %q: Secret column %q, want %q", spec.Kind, o.Name, row[2], yesNo(isSecret))
		}
	}
	for name := range rows {
		t.Errorf("section %s: documents output %q, which the kind does not have", spec.Kind, name)
	}
}

// kindSections splits the "## Step kinds" chapter into its "### `KIND`: …"
// sections, keyed by kind name.
func kindSections(doc string) map[string]string {
	out := map[string]string{}
	var name string
	var body strings.Builder
	flush := func() {
		if name != "" {
			out[name] = body.String()
		}
		name = ""
		body.Reset()
	}
	for _, line := range strings.Split(chapter(doc, "## Step kinds"), "\n") {
		if strings.HasPrefix(line, "### ") {
			flush()
			if rest, ok := strings.CutPrefix(line, "### `"); ok {
				if n, _, ok := strings.Cut(rest, "`"); ok {
					name = n
				}
			}
			continue
		}
		body.WriteString(line + "\n")
	}
	flush()
	return out
}

// overviewText is the "## Step kinds" chapter up to its first subsection.
func overviewText(doc string) string {
	c := chapter(doc, "## Step kinds")
	if i := strings.Index(c, "\n### "); i >= 0 {
		return c[:i]
	}
	return c
}

// chapter returns the text after the heading line, up to the next "## "
// heading outside a code block.
func chapter(doc, heading string) string {
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	rest := doc[i+len(heading)+2:]
	var b strings.Builder
	fenced := false
	for _, line := range strings.Split(rest, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(line, "## ") {
			break
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// tableRows returns the cells of the body rows of every Markdown table in
// text whose header line starts with header.
func tableRows(text, header string) [][]string {
	var rows [][]string
	in := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, header):
			in = true
		case in && strings.HasPrefix(line, "| ---"):
		case in && strings.HasPrefix(line, "|"):
			rows = append(rows, cells(line))
		default:
			in = false
		}
	}
	return rows
}

// cells splits a table row into trimmed cells, honouring "\|".
func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	line = strings.ReplaceAll(line, `\|`, "\x00")
	parts := strings.Split(line, "|")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(strings.ReplaceAll(p, "\x00", "|"))
	}
	return parts
}

// byName keys table rows by their first cell, a `name` in backquotes.
func byName(t *testing.T, kind, what string, rows [][]string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, row := range rows {
		name := strings.Trim(row[0], "`")
		if _, dup := out[name]; dup {
			t.Errorf("section %s: %s %q is documented twice", kind, what, name)
		}
		out[name] = row
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// firstWord is the first word of a cell, without trailing punctuation:
// "no" for "no, unless `idempotent: true`".
func firstWord(cell string) string {
	f := strings.Fields(cell)
	if len(f) == 0 {
		return ""
	}
	return strings.TrimRight(f[0], ",;.")
}
