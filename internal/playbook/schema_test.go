package playbook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := Schema(catalog)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	// Compiling validates the schema against the 2020-12 meta-schema.
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return sch
}

func yamlInstance(t *testing.T, src string) any {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSchema(t *testing.T) {
	sch := compileSchema(t)
	if err := sch.Validate(yamlInstance(t, example)); err != nil {
		t.Errorf("the example playbook is rejected: %v", err)
	}
	bad := map[string]string{
		"unknown kind":          strings.Replace(example, "uses: note", "uses: exex", 1),
		"unknown param":         strings.Replace(example, "secret_stdout: true", "secret_stdut: true", 1),
		"missing param":         strings.Replace(example, "command: [./gen.sh]", "dir: x", 1),
		"bad type":              strings.Replace(example, "concurrency: 4", "concurrency: four", 1),
		"unknown field":         strings.Replace(example, "timeout: 30s", "timeout: 30s\n    wen: true", 1),
		"bad duration":          strings.Replace(example, "timeout: 30s", "timeout: soon", 1),
		"secret with a default": strings.Replace(example, "token: {type: secret,", "token: {type: secret, default: x,", 1),
	}
	for name, src := range bad {
		if src == example {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if err := sch.Validate(yamlInstance(t, src)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSchemaDescriptions(t *testing.T) {
	b, err := Schema(catalog)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	defs := m["$defs"].(map[string]any)
	cmd := defs["with.exec"].(map[string]any)["properties"].(map[string]any)["stdin"].(map[string]any)
	if !strings.Contains(cmd["description"].(string), "standard input") || !strings.Contains(cmd["description"].(string), "accepts a secret") {
		t.Errorf("stdin description = %v", cmd["description"])
	}
	if m["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", m["$schema"])
	}
	// No catalog still gives a usable schema.
	if _, err := Schema(nil); err != nil {
		t.Error(err)
	}
}
