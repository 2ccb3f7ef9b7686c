package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mattn/go-runewidth"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/secret"
)

// simPlants checks `respond audit --output json` (FILE) against the
// plants of the audit scenario, and the further CHECK=MATCH plants the
// script made itself: every plant is found, and every finding is a plant
// (zero false positives on the clean credentials).
func simPlants(ts *testscript.TestScript, r *simRun, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: sim plants FILE [CHECK=MATCH...]")
	}
	var doc struct {
		Findings []struct {
			ID, Check, Subject, Title string
		}
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	type plant struct{ check, match, what string }
	var plants []plant
	for _, p := range r.s.Scenario().Plants {
		plants = append(plants, plant{p.Check, p.Match, p.What})
	}
	for _, a := range args[1:] {
		c, m, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("sim plants: %q is not CHECK=MATCH", a)
		}
		plants = append(plants, plant{c, m, "planted by the script"})
	}
	if len(plants) == 0 {
		ts.Fatalf("sim plants: the scenario planted nothing")
	}
	found := make([]bool, len(plants))
	var extra []string
	for _, f := range doc.Findings {
		ok := false
		for i, p := range plants {
			if f.Check == p.check && (strings.Contains(f.Subject, p.match) || strings.Contains(f.Title, p.match)) {
				found[i], ok = true, true
			}
		}
		if !ok {
			extra = append(extra, f.ID+": "+f.Title)
		}
	}
	var missed []string
	for i, p := range plants {
		if !found[i] {
			missed = append(missed, fmt.Sprintf("%s (%s): %s", p.check, p.match, p.what))
		}
	}
	if len(missed) > 0 || len(extra) > 0 {
		ts.Fatalf("the audit missed %d plant(s) and reported %d finding(s) that are none:\n  missed: %s\n  false positives: %s",
			len(missed), len(extra), strings.Join(missed, "\n          "), strings.Join(extra, "\n          "))
	}
	ts.Logf("all %d plants found, no other finding", len(plants))
}

// maxwidth [-paths] FILE N: no line of FILE (stdout, stderr or a file) is
// wider than N columns. With -paths a path under the work directory (which
// cannot wrap) counts as the 5 columns of "$WORK".
func cmdMaxwidth(ts *testscript.TestScript, neg bool, args []string) {
	paths := len(args) > 0 && args[0] == "-paths"
	if paths {
		args = args[1:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: maxwidth [-paths] FILE N")
	}
	var n int
	fmt.Sscan(args[1], &n)
	var wide []string
	for i, l := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if paths {
			l = workPath.ReplaceAllString(strings.ReplaceAll(l, ts.Getenv("WORK"), "$WORK"), "$$WORK")
		}
		if runewidth.StringWidth(l) > n {
			wide = append(wide, fmt.Sprintf("line %d (%d columns): %q", i+1, runewidth.StringWidth(l), l))
		}
	}
	if len(wide) > 0 != neg {
		ts.Fatalf("%s has lines wider than %d columns:\n  %s", args[0], n, strings.Join(wide, "\n  "))
	}
}

// workPath is a path under the script's work directory, as ReadFile
// shows it.
var workPath = regexp.MustCompile(`\$WORK/\S+`)

// sarifSchema is the SARIF 2.1.0 JSON Schema vendored with the renderer.
var sarifSchema, _ = filepath.Abs("../../internal/audit/render/testdata/sarif-schema-2.1.0.json")

// sarifvalid FILE: FILE validates against the SARIF 2.1.0 JSON Schema.
func cmdSarifvalid(ts *testscript.TestScript, neg bool, args []string) {
	src, err := os.ReadFile(sarifSchema)
	ts.Check(err)
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	ts.Check(err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	ts.Check(c.AddResource("urn:sarif.json", sch))
	s, err := c.Compile("urn:sarif.json")
	ts.Check(err)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(ts.ReadFile(args[0])))
	ts.Check(err)
	if err := s.Validate(inst); (err != nil) != neg {
		ts.Fatalf("%s against the SARIF 2.1.0 schema: %v", args[0], err)
	}
}

// simRotated checks the invariant after the scheduled rotation of one
// credential (sim rotated FILE CREDENTIAL OWNER/REPO): the inventory FILE
// names, for CREDENTIAL, the one live key of a respond-… service account
// (with its fingerprint); OWNER/REPO's OPENAI_API_KEY holds it; the key it
// held before is revoked; no other secret changed; and no other
// replacement exists (one rotation, however many runs).
func simRotated(ts *testscript.TestScript, r *simRun, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: sim rotated FILE CREDENTIAL OWNER/REPO")
	}
	src, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	inv, diags := inventory.Parse(args[0], src)
	if diags.HasErrors() {
		ts.Fatalf("%s does not parse: %v", args[0], diags.Err())
	}
	c, ok := inv.Credential(args[1])
	if !ok {
		ts.Fatalf("%s has no credential %s", args[0], args[1])
	}
	repl := newKey(ts, r) // exactly one live replacement, or the script fails
	st := r.s.OpenAI().Snapshot()
	var problems []string
	var replID string
	for _, k := range st.Keys {
		if k.Value == repl {
			replID = k.ID
		}
	}
	if c.KeyID != replID {
		problems = append(problems, fmt.Sprintf("credential %s names %s, not the replacement %s", c.Name, c.KeyID, replID))
	}
	if c.Fingerprint != secret.Fingerprint(repl) {
		problems = append(problems, "the credential's fingerprint is not the replacement's")
	}
	owner, repo, _ := strings.Cut(args[2], "/")
	var old string
	for _, sec := range r.s.GitHub().Snapshot().Secrets {
		k := secretKey(sec)
		target := sec.Level == "repo" && sec.Owner == owner && sec.Repo == repo && sec.Name == "OPENAI_API_KEY"
		switch {
		case target:
			old = r.initial[k]
			if sec.Value != repl {
				problems = append(problems, args[2]+" does not hold the replacement")
			}
		case r.initial[k] != "" && sec.Value != r.initial[k]:
			problems = append(problems, "a secret that is not the credential's changed: "+k)
		}
	}
	for _, k := range st.Keys {
		if old != "" && k.Value == old && k.Status == "live" {
			problems = append(problems, "the old key "+k.ID+" is still live")
		}
	}
	if len(problems) > 0 {
		ts.Fatalf("sim rotated %s:\n  %s", args[1], strings.Join(problems, "\n  "))
	}
}
