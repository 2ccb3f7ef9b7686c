package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/target"
)

const example = `# respond.yaml
credentials:
  - name: openai-prod
    provider: openai
    project: proj_abc123
    key_name: prod-backend        # or key_id: key_…
    targets:
      - github-actions: {repo: acme/api, secret: OPENAI_API_KEY}
      - github-actions: {repo: acme/api, environment: production, secret: OPENAI_API_KEY}
      - github-actions: {org: acme, secret: OPENAI_API_KEY, visibility: selected, repos: [web, worker]}
      - github-dependabot: {repo: acme/api, secret: OPENAI_API_KEY}
      - dotenv: {path: deploy/.env, var: OPENAI_API_KEY}
      - exec: {command: [./scripts/store-key.sh, --env, prod], timeout: 45s}
      - exec: {command: [store-in-vault]}
      - github-workflow: {repo: acme/api, workflow: deploy.yml, ref: main, inputs: {reason: rotation}}
  - name: openai-batch
    provider: openai
    project: proj_abc123
    key_id: key_batch1
    targets:
      - dotenv:
          path: /etc/batch/env
          var: OPENAI_API_KEY
`

func TestParseExample(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "respond.yaml")
	inv, d := Parse(file, []byte(example))
	if inv == nil || len(d) != 0 {
		var b strings.Builder
		d.Render(&b, nil, false)
		t.Fatalf("example inventory rejected:\n%s", b.String())
	}
	if len(inv.Credentials) != 2 || inv.TargetCount() != 9 {
		t.Fatalf("got %d credentials, %d targets; want 2 and 9", len(inv.Credentials), inv.TargetCount())
	}
	c := inv.Credentials[0]
	if c.Name != "openai-prod" || c.Provider != "openai" || c.Scope != "proj_abc123" || c.KeyName != "prod-backend" || c.KeyID != "" {
		t.Errorf("credential = %+v", c)
	}
	if c.Pos.Line != 3 || c.Pos.Col != 5 {
		t.Errorf("credential position %v, want line 3 col 5", c.Pos)
	}
	wantIDs := []string{
		"github-actions:acme/api:OPENAI_API_KEY",
		"github-actions:acme/api@production:OPENAI_API_KEY",
		"github-actions:org/acme:OPENAI_API_KEY",
		"github-dependabot:acme/api:OPENAI_API_KEY",
		"dotenv:" + filepath.Join(dir, "deploy/.env") + ":OPENAI_API_KEY",
		"exec:" + filepath.Join(dir, "scripts/store-key.sh") + " --env prod",
		"exec:store-in-vault",
		"github-workflow:acme/api:deploy.yml@main",
	}
	for i, tg := range c.Targets {
		if tg.ID() != wantIDs[i] {
			t.Errorf("target %d = %s, want %s", i, tg.ID(), wantIDs[i])
		}
		if tg.Pos.Line != 8+i || tg.Pos.Col != 9 || tg.Pos.File != file {
			t.Errorf("target %d at %v, want %s:%d:9", i, tg.Pos, file, 8+i)
		}
	}
	org := c.Targets[2]
	if org.Str("visibility") != "selected" || strings.Join(org.List("repos"), ",") != "web,worker" {
		t.Errorf("org target = %+v", org)
	}
	if c.Targets[5].Str("timeout") != "45s" || c.Targets[6].Str("timeout") != "" {
		t.Errorf("timeouts %q, %q", c.Targets[5].Str("timeout"), c.Targets[6].Str("timeout"))
	}
	if c.Targets[7].StrMap("inputs")["reason"] != "rotation" {
		t.Errorf("workflow inputs = %v", c.Targets[7].StrMap("inputs"))
	}
	if got := len(c.SecretTargets()); got != 7 {
		t.Errorf("SecretTargets: %d, want 7", got)
	}
	if w := c.Workflows(); len(w) != 1 || w[0].Type != "github-workflow" {
		t.Errorf("Workflows = %v", w)
	}
	if b := inv.Credentials[1]; b.KeyID != "key_batch1" || b.Targets[0].Str("path") != "/etc/batch/env" {
		t.Errorf("second credential = %+v", b)
	}
	// Targets round-trip through the mappings playbooks carry.
	for _, tg := range c.Targets {
		back, err := target.FromMap(tg.Map())
		if err != nil || back.ID() != tg.ID() {
			t.Errorf("FromMap(Map(%s)) = %s, %v", tg.ID(), back.ID(), err)
		}
	}
}

// problem is one expected diagnostic: its position and a piece of its
// summary.
type problem struct {
	line, col int
	summary   string
}

func TestParseProblems(t *testing.T) {
	head := "credentials:\n  - name: a\n    provider: openai\n    project: proj_1\n    key_id: key_1\n    targets:\n"
	for _, tc := range []struct {
		name, src string
		want      []problem
		warning   bool
	}{
		{"syntax", "credentials: [\n", []problem{{1, 14, "invalid YAML"}}, false},
		{"empty", "# nothing\n", []problem{{1, 1, "the inventory is empty"}}, false},
		{"not a mapping", "- a\n", []problem{{1, 1, "the inventory must be a mapping"}}, false},
		{"no credentials", "credentals: []\n", []problem{{1, 1, `unknown field "credentals"`}, {1, 1, "the inventory has no credentials"}}, false},
		{"empty credentials", "credentials: []\n", []problem{{1, 1, "lists no credentials"}}, false},
		{"missing fields", "credentials:\n  - targets: []\n", []problem{{2, 5, "has no name"}, {2, 5, "has no provider"}, {2, 5, "neither key_name nor key_id"}}, false},
		{"unknown provider", strings.Replace(head, "openai", "openia", 1), []problem{{3, 15, `unsupported provider "openia"`}}, false},
		{"both keys", strings.Replace(head, "    key_id: key_1\n", "    key_id: key_1\n    key_name: n\n", 1), []problem{{5, 5, "gives both key_name and key_id"}}, false},
		{"unknown credential field", strings.Replace(head, "    key_id", "    projet: x\n    key_id", 1), []problem{{5, 5, `unknown field "projet"`}}, false},
		{"did you mean", head + "      - dotenv: {path: .env, vars: A}\n", []problem{{7, 30, `unknown field "vars"`}}, false},
		{"unknown type", head + "      - dot-env: {path: .env, var: A}\n", []problem{{7, 9, `unknown target type "dot-env"`}}, false},
		{"two keys", head + "      - dotenv: {path: .env, var: A}\n        exec: {command: [x]}\n", []problem{{7, 9, "one key, its type; this one has 2"}}, false},
		{"scalar target", head + "      - dotenv\n", []problem{{7, 9, "a target must be a mapping"}}, false},
		{"validate", head + "      - github-actions: {repo: acme/api}\n", []problem{{7, 9, "secret is required"}}, false},
		{"repo and org", head + "      - github-actions: {repo: acme/api, org: acme, secret: S}\n", []problem{{7, 47, "repo and org cannot both be set"}}, false},
		{"bad repo", head + "      - github-dependabot: {repo: acme/api/x, secret: S}\n", []problem{{7, 35, `invalid repository "acme/api/x"`}}, false},
		{"bad secret name", head + "      - github-actions: {repo: acme/api, secret: 1KEY}\n", []problem{{7, 50, `invalid secret name "1KEY"`}}, false},
		{"reserved secret name", head + "      - github-actions: {repo: acme/api, secret: github_x}\n", []problem{{7, 50, "starts with GITHUB_"}}, false},
		{"repos with owner", head + "      - github-actions: {org: acme, secret: S, visibility: selected, repos: [acme/web]}\n", []problem{{7, 77, `invalid repository name "acme/web"`}}, false},
		{"bad var", head + "      - dotenv: {path: .env, var: 9A}\n", []problem{{7, 35, `invalid variable name "9A"`}}, false},
		{"a bad value and the others", head + "      - kubernetes-secret: {namespace: Api_NS, secret: Bad_Name, key: K, restart: [deployment/api], timeout: 2h}\n",
			[]problem{{7, 40, `invalid namespace "Api_NS"`}, {7, 56, `invalid Secret name "Bad_Name"`}, {7, 110, "timeout 2h is out of range"}}, false},
		{"escape in a path", head + "      - dotenv: {path: \"\\e[31m.env\", var: A}\n", []problem{{7, 24, `path "\x1b[31m.env" holds a control character`}}, false},
		{"newline in an argument", head + "      - exec: {command: [./x.sh, \"a\\nb\"]}\n", []problem{{7, 25, `command "a\nb" holds a control character`}}, false},
		{"bidi in a ref", head + "      - github-workflow: {repo: acme/api, workflow: deploy.yml, ref: \"main\\u202e\"}\n", []problem{{7, 70, `ref "main\u202e" holds`}}, false},
		{"command string", head + "      - exec: {command: ./x.sh}\n", []problem{{7, 25, "command must be a list"}}, false},
		{"empty program", head + "      - exec: {command: ['', a]}\n", []problem{{7, 25, "program of the command is empty"}}, false},
		{"bad timeout", head + "      - exec: {command: [x], timeout: 5}\n", []problem{{7, 39, "timeout must be a duration"}}, false},
		{"timeout range", head + "      - exec: {command: [x], timeout: 2h}\n", []problem{{7, 39, "timeout 2h is out of range"}}, false},
		{"duplicate target", head + "      - dotenv: {path: .env, var: A}\n      - dotenv: {var: A, path: ./.env}\n", []problem{{8, 9, "duplicate target dotenv:"}}, false},
		{"duplicate credential", "credentials:\n  - {name: a, provider: openai, project: proj_1, key_id: key_1, targets: []}\n  - {name: a, provider: openai, project: proj_1, key_id: key_2, targets: []}\n", []problem{{3, 6, `duplicate credential name "a"`}}, false},
		{"alias", "x: &a 1\ncredentials: *a\n", []problem{{1, 1, `unknown field "x"`}, {2, 14, "aliases"}}, false},
		{"two documents", head + "---\ncredentials: []\n", []problem{{8, 1, "one YAML document"}}, false},
		{"no targets warns", strings.TrimSuffix(head, "    targets:\n"), []problem{{2, 5, "has no targets"}}, true},
		{"shared target warns", head + "      - dotenv: {path: .env, var: A}\n  - {name: b, provider: openai, project: proj_1, key_id: key_2, targets: [dotenv: {path: .env, var: A}]}\n",
			[]problem{{8, 75, "also listed under credential \"a\""}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, d := Parse("inv.yaml", []byte(tc.src))
			if tc.warning {
				if inv == nil || d.HasErrors() {
					t.Fatalf("want only warnings, got %v", d)
				}
			} else if inv != nil || !d.HasErrors() {
				t.Fatalf("want errors and no inventory, got %v", d)
			}
			for _, w := range tc.want {
				found := false
				for _, x := range d {
					if x.Pos.Line == w.line && x.Pos.Col == w.col && strings.Contains(x.Summary, w.summary) {
						found = true
					}
				}
				if !found {
					t.Errorf("no diagnostic %d:%d %q among:\n%s", w.line, w.col, w.summary, list(d))
				}
			}
			n := len(d)
			if !tc.warning { // count errors only: some cases also warn of a credential without targets
				n = 0
				for _, x := range d {
					if x.Severity == diag.Error {
						n++
					}
				}
			}
			if n != len(tc.want) {
				t.Errorf("got %d diagnostics, want %d:\n%s", len(d), len(tc.want), list(d))
			}
		})
	}
}

func list(d diag.Diagnostics) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteString("  " + x.String() + "\n")
	}
	return b.String()
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := filepath.Join(dir, "cfg")
	t.Setenv("XDG_CONFIG_HOME", cfg)

	_, err := Find("")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Find with nothing: %v, want ErrNotFound", err)
	}
	want := filepath.Join(cfg, "respond", "inventory.yaml")
	if !strings.Contains(err.Error(), "./respond.yaml") || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--inventory") {
		t.Errorf("the error must name every place looked at and the flag: %v", err)
	}

	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(want, []byte(example), 0o644)
	if p, err := Find(""); err != nil || p != want {
		t.Errorf("Find = %q, %v; want the XDG config file", p, err)
	}
	os.WriteFile("respond.yaml", []byte(example), 0o644)
	if p, err := Find(""); err != nil || p != "respond.yaml" {
		t.Errorf("Find = %q, %v; want ./respond.yaml first", p, err)
	}
	os.WriteFile("other.yaml", []byte(example), 0o644)
	if p, err := Find("other.yaml"); err != nil || p != "other.yaml" {
		t.Errorf("Find(explicit) = %q, %v", p, err)
	}
	if _, err := Find("missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml does not exist") {
		t.Errorf("Find(missing) = %v", err)
	}
	if _, err := Find(cfg); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Find(dir) = %v", err)
	}

	// Without XDG_CONFIG_HOME: ~/.config.
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", filepath.Join(dir, "home"))
	os.Remove("respond.yaml")
	_, err = Find("")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "home", ".config", "respond", "inventory.yaml")) {
		t.Errorf("Find without XDG_CONFIG_HOME: %v", err)
	}

	inv, src, d, err := Load("other.yaml")
	if err != nil || inv == nil || len(src) == 0 || d.HasErrors() {
		t.Fatalf("Load = %v, %d bytes, %v, %v", inv, len(src), d, err)
	}
	// Relative paths resolve against the inventory's directory, not the
	// working directory of a later command.
	if p := inv.Credentials[0].Targets[4].Str("path"); p != filepath.Join(dir, "deploy", ".env") {
		t.Errorf("dotenv path resolved to %s", p)
	}
}

func TestMatch(t *testing.T) {
	src := `credentials:
  - {name: by-name, provider: openai, project: proj_a, key_name: backend, targets: []}
  - {name: by-id, provider: openai, project: proj_a, key_id: key_1, targets: []}
  - {name: other-project, provider: openai, project: proj_b, key_name: backend, targets: []}
  - {name: twin-1, provider: openai, project: proj_c, key_name: twin, targets: []}
  - {name: twin-2, provider: openai, project: proj_c, key_name: twin, targets: []}
`
	inv, d := Parse("inv.yaml", []byte(src))
	if inv == nil {
		t.Fatalf("parse: %v", d)
	}
	for _, tc := range []struct {
		project, id, name, want, err string
	}{
		{"proj_a", "key_1", "whatever", "by-id", ""},
		{"", "key_1", "", "by-id", ""},
		{"proj_a", "key_9", "backend", "by-name", ""},
		{"proj_b", "key_9", "backend", "other-project", ""},
		{"proj_z", "key_9", "backend", "", "no credential in inv.yaml is key key_9 named \"backend\" in proj_z"},
		{"proj_b", "key_1", "", "", "no credential"},
		{"proj_c", "", "twin", "", "2 credentials in inv.yaml match"},
	} {
		c, err := inv.Match(tc.project, tc.id, tc.name)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Match(%q, %q, %q) = %v, %v; want error %q", tc.project, tc.id, tc.name, c, err, tc.err)
			}
		case err != nil || c.Name != tc.want:
			t.Errorf("Match(%q, %q, %q) = %v, %v; want %s", tc.project, tc.id, tc.name, c, err, tc.want)
		}
	}
	_, err := inv.Match("proj_z", "key_9", "x")
	for _, name := range []string{"by-name", "by-id", "other-project", "twin-1", "twin-2", "key_id: key_9"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the no-match error must list %q: %v", name, err)
		}
	}
	if c, ok := inv.Credential("by-id"); !ok || c.KeyID != "key_1" {
		t.Errorf("Credential(by-id) = %v, %v", c, ok)
	}
}

func TestMaps(t *testing.T) {
	inv, d := Parse(filepath.Join(t.TempDir(), "respond.yaml"), []byte(example))
	if inv == nil {
		t.Fatal(d)
	}
	maps := inv.Maps()
	if len(maps) != 2 {
		t.Fatalf("%d maps", len(maps))
	}
	m := maps[1].(map[string]any)
	if m["name"] != "openai-batch" || m["key_id"] != "key_batch1" || m["project"] != "proj_abc123" {
		t.Errorf("map %v", m)
	}
	if _, has := m["key_name"]; has {
		t.Error("an unset key_name must be left out")
	}
	ts := maps[0].(map[string]any)["targets"].([]any)
	if len(ts) != 8 {
		t.Fatalf("%d targets", len(ts))
	}
	back, err := target.FromMap(ts[4].(map[string]any))
	if err != nil || back.ID() != inv.Credentials[0].Targets[4].ID() {
		t.Errorf("target 4 round-trips to %v, %v", back.ID(), err)
	}
}

func TestSelectedVisibilityNeedsRepos(t *testing.T) {
	src := "credentials:\n  - name: c\n    provider: openai\n    project: proj_x\n    key_id: key_A\n    targets:\n      - github-actions: {org: acme, secret: OPENAI_API_KEY, visibility: selected}\n"
	_, diags := Parse("respond.yaml", []byte(src))
	err := diags.Err()
	if err == nil || !strings.Contains(err.Error(), "respond.yaml:7:73") || !strings.Contains(err.Error(), "visibility: selected needs repos") {
		t.Fatalf("err = %v, want the problem at respond.yaml:7:73, the visibility", err)
	}
}

func TestAWSCredentialAndParts(t *testing.T) {
	src := `credentials:
  - name: aws-deploy
    provider: aws
    account: "123456789012"
    key_id: AKIAIOSFODNN7EXAMPLE
    targets:
      - dotenv: {path: app.env, var: AWS_ACCESS_KEY_ID, part: access_key_id}
      - dotenv: {path: app.env, var: AWS_SECRET_ACCESS_KEY}
      - github-actions: {repo: acme/api, secret: AWS_ACCESS_KEY_ID, part: access_key_id}
      - aws-secretsmanager: {secret: prod/api, keys: {AWS_ACCESS_KEY_ID: access_key_id, AWS_SECRET_ACCESS_KEY: secret_access_key}}
`
	inv, diags := Parse("respond.yaml", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	c := inv.Credentials[0]
	if c.Provider != "aws" || c.Scope != "123456789012" || len(c.Targets) != 4 || c.Targets[0].Part() != "access_key_id" ||
		c.Targets[3].Keys()["AWS_SECRET_ACCESS_KEY"] != "secret_access_key" {
		t.Fatalf("credential %+v", c)
	}
	bad := `credentials:
  - name: aws-deploy
    provider: aws
    project: proj_x
    key_name: deploy
    targets:
      - dotenv: {path: app.env, var: K, part: password}
  - name: openai
    provider: openai
    project: proj_x
    account: "123456789012"
    key_id: key_a
`
	_, diags = Parse("respond.yaml", []byte(bad))
	hinted := false
	for _, d := range diags {
		hinted = hinted || strings.Contains(d.Detail, "The parts of an AWS credential: access_key_id, secret_access_key")
	}
	if !hinted {
		t.Errorf("no hint lists the parts:\n%+v", diags)
	}
	err := diags.Err()
	for _, want := range []string{
		"respond.yaml:4:5: credential \"aws-deploy\" is an AWS access key: it has no project",
		"respond.yaml:5:5: credential \"aws-deploy\" names an AWS access key by key_name",
		"respond.yaml:7:47: an AWS credential has no part \"password\"",
		"respond.yaml:11:5: credential \"openai\" is an OpenAI API key: it has no account",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

// Without part:, a target gets the secret part: one named for the key's
// ID (AWS_ACCESS_KEY_ID) is warned about, at its name.
func TestDefaultPartWarning(t *testing.T) {
	src := `credentials:
  - name: aws-deploy
    provider: aws
    key_id: AKIAIOSFODNN7EXAMPLE
    targets:
      - dotenv: {path: app.env, var: AWS_ACCESS_KEY_ID}
      - dotenv: {path: app.env, var: AWS_SECRET_ACCESS_KEY}
      - aws-secretsmanager: {secret: prod/api, key: AWS_ACCESS_KEY_ID, part: access_key_id}
`
	_, diags := Parse("respond.yaml", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	var warns []string
	for _, d := range diags {
		warns = append(warns, d.String())
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "respond.yaml:6:38") || !strings.Contains(warns[0], `var "AWS_ACCESS_KEY_ID" looks like it holds the key's ID`) {
		t.Fatalf("warnings %q, want one at 6:38 about AWS_ACCESS_KEY_ID", warns)
	}
}
