package drill

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/sim"
)

// Every built-in scenario parses without a warning, is named after its
// file, validates against the JSON Schema, seeds its world, and keeps its
// twist out of what --list shows.
func TestCatalog(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"leaked-key", "failing-target", "forgotten-repo", "provider-disabled", "rate-limited", "second-leak",
		"service-account-leak", "teammate-responding", "token-without-rights", "watch-beside"}
	var names []string
	for _, sc := range all {
		names = append(names, sc.Name)
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("catalog %v, want %v (default first)", names, want)
	}
	sch := compileSchema(t)
	list, err := List()
	if err != nil {
		t.Fatal(err)
	}
	for i, sc := range all {
		src, _ := BuiltinSource(sc.Name)
		if _, d := Parse("x.yaml", src); len(d) > 0 {
			t.Errorf("%s: %v", sc.Name, d)
		}
		validate(t, sch, sc.Name, src)
		if sc.Notes == "" || len(sc.Skills) == 0 || sc.Goal == "" {
			t.Errorf("%s lacks notes, skills or a goal", sc.Name)
		}
		// --list shows the title and skills, never the notes.
		b, _ := json.Marshal(list[i])
		if strings.Contains(string(b), strings.TrimSpace(sc.Notes)[:30]) || strings.Contains(string(b), "notes") || strings.Contains(string(b), "briefing") {
			t.Errorf("--list gives away %s's twist: %s", sc.Name, b)
		}
		s, err := sim.Start(t.Context(), sc.Options())
		if err != nil {
			t.Fatalf("%s: seeding its world: %v", sc.Name, err)
		}
		info := s.Scenario()
		for _, r := range sc.World.ReadOnly {
			found := false
			for _, x := range info.Repos {
				found = found || x == r
			}
			if !found {
				t.Errorf("%s: read-only %s is not a repository holding the key (%v)", sc.Name, r, info.Repos)
			}
		}
		if b := Expand(sc.Briefing, info, "Sam"); strings.Contains(b, "${") {
			t.Errorf("%s: briefing keeps a placeholder: %s", sc.Name, b)
		}
		_ = s.Close()
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("drill.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("drill.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, name string, src []byte) {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, _ := json.Marshal(v)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("%s does not validate against the schema: %v", name, err)
	}
}

// The schema refuses what Parse refuses for its shape: the golden broken
// scenario fails both.
func TestSchemaRefusesBroken(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "broken.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if compileSchema(t).Validate(doc) == nil {
		t.Error("the schema accepts testdata/broken.yaml")
	}
}

// A scenario gets the defaults it does not give; a rubric changes only the
// measures it names; an inject kind is its own name.
func TestParseDefaults(t *testing.T) {
	sc, d := Parse("s.yaml", []byte("name: x\ntitle: X\nbriefing: b\nrubric: {contain: 50, downtime: {half_life: 1m}}\ninjects: [{name: recover}]\n"))
	if d.HasErrors() {
		t.Fatal(d)
	}
	if sc.World.Base != "leaked-key" || sc.World.Seed != 1 || sc.Attacker != sim.DefaultAttacker || sc.Consumers.Interval != 5*time.Second {
		t.Errorf("defaults: %+v %+v", sc.World, sc.Attacker)
	}
	if sc.Rubric[MeasureContain].Weight != 50 || sc.Rubric[MeasureContain].HalfLife != 3*time.Minute ||
		sc.Rubric[MeasureDowntime].HalfLife != time.Minute || sc.Rubric[MeasureDowntime].Weight != 15 || sc.Rubric[MeasureReport].Weight != 5 {
		t.Errorf("rubric %+v", sc.Rubric)
	}
	if sc.Injects[0].Kind != KindRecover || len(sc.Ideal) != 1 || sc.Ideal[0].Do != "respond" || sc.Ideal[0].Alert != "first" {
		t.Errorf("injects %+v, ideal %+v", sc.Injects, sc.Ideal)
	}
	if sc.FindInject("rate-limit") == nil || sc.FindInject("nope") != nil {
		t.Error("FindInject")
	}
}

// FuzzParse: Parse never panics, returns a scenario exactly when there is
// no error, and places every diagnostic inside the file.
func FuzzParse(f *testing.F) {
	for _, n := range Names() {
		src, _ := BuiltinSource(n)
		f.Add(string(src))
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "broken.yaml")); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{"", "name: x", "injects: [1, [2], {name: a, kind: fault}]", "ideal: [{respond: null}, {resume: last}]",
		"rubric: {contain: .nan, attacker_cost: {half_cost: 1e400}}", "a: &x [1]\nb: *x\n", "teammate: {name: \"\\u00e9\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		sc, d := Parse("f.yaml", []byte(src))
		if (sc == nil) != d.HasErrors() {
			t.Fatalf("scenario %v with diagnostics %v", sc != nil, d)
		}
		lines := len(diag.SplitLines(src))
		for _, x := range d {
			if x.Pos.File != "f.yaml" || x.Pos.Line < 1 || x.Pos.Line > lines+1 || x.Pos.Col < 1 {
				t.Errorf("diagnostic outside the file: %v", x)
			}
		}
		var buf bytes.Buffer
		d.Render(&buf, map[string][]byte{"f.yaml": []byte(src)}, false)
		if sc != nil {
			total := 0.0
			for _, w := range sc.Rubric {
				total += w.Weight
			}
			if total <= 0 {
				t.Error("a scenario whose rubric weighs nothing")
			}
		}
	})
}
