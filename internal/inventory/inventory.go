// Package inventory reads respond's inventory: data, not procedure. It
// lists the credentials that exist and every place each one is deployed
// (its targets), so that a playbook can revoke a leaked key, replace it
// and write the replacement everywhere the old one was.
//
//	# respond.yaml
//	credentials:
//	  - name: openai-prod
//	    provider: openai
//	    project: proj_abc123
//	    key_name: prod-backend        # or key_id: key_…
//	    targets:
//	      - github-actions: {repo: acme/api, secret: OPENAI_API_KEY}
//	      - dotenv: {path: deploy/.env, var: OPENAI_API_KEY}
//	      - exec: {command: [./scripts/store-key.sh], timeout: 30s}
//	      - github-workflow: {repo: acme/api, workflow: deploy.yml, ref: main}
//
// Parse reports every problem at once, each with its position. Relative
// paths (dotenv.path, exec.command[0] when it contains a slash) are
// resolved against the inventory file's directory. docs/inventory.md is the
// user guide.
package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/dotenv"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/yamlsrc"
)

// Inventory is a parsed inventory file.
type Inventory struct {
	File        string // the file's name as given (for messages)
	Credentials []Credential
}

// Credential is one credential and every place it is deployed.
type Credential struct {
	Name     string
	Provider string // "openai"
	Project  string // proj_…
	KeyName  string // the key's name in the project, or
	KeyID    string // its ID (key_…)
	// Account is an AWS key's account (optional: the credentials' own).
	Account string
	// Fingerprint is the sha256 fingerprint of the live key's value, which
	// respond records when it deploys a replacement, so that it can
	// recognise the key from its value alone (when the provider has
	// disabled it and no listing shows its ID any more).
	Fingerprint string
	Targets     []target.Target
	Pos         diag.Pos
}

// Providers respond supports.
var Providers = []string{"aws", "openai"}

// ProviderParts are the parts of each provider's credentials, the main
// secret part (what a target gets without `part:`) last.
var ProviderParts = map[string][]string{
	"openai": {"key"},
	"aws":    {"access_key_id", "secret_access_key"},
}

// MaxExecTimeout bounds an exec target's timeout.
const MaxExecTimeout = time.Hour

// DefaultExecTimeout is an exec target's timeout when none is given.
const DefaultExecTimeout = 30 * time.Second

var (
	topFields        = []string{"credentials"}
	credentialFields = []string{"name", "provider", "project", "account", "key_name", "key_id", "fingerprint", "targets"}
	targetFields     = map[string][]string{
		target.GitHubActions:     {"repo", "environment", "org", "secret", "visibility", "repos", "part"},
		target.GitHubDependabot:  {"repo", "org", "secret", "visibility", "repos", "part"},
		target.Dotenv:            {"path", "var", "follow_symlinks", "part"},
		target.Exec:              {"command", "timeout", "part"},
		target.GitHubWorkflow:    {"repo", "workflow", "ref", "inputs"},
		target.AWSSecretsManager: {"secret", "region", "key", "keys", "part"},
		target.AWSSSM:            {"name", "region", "kms_key_id", "part"},
	}
	targetExamples = map[string]string{
		target.GitHubActions:     "- github-actions: {repo: acme/api, secret: OPENAI_API_KEY}",
		target.GitHubDependabot:  "- github-dependabot: {repo: acme/api, secret: OPENAI_API_KEY}",
		target.Dotenv:            "- dotenv: {path: deploy/.env, var: OPENAI_API_KEY}",
		target.Exec:              "- exec: {command: [./scripts/store-key.sh], timeout: 30s}",
		target.GitHubWorkflow:    "- github-workflow: {repo: acme/api, workflow: deploy.yml, ref: main}",
		target.AWSSecretsManager: "- aws-secretsmanager: {secret: prod/api, key: OPENAI_API_KEY, region: eu-west-1}",
		target.AWSSSM:            "- aws-ssm: {name: /prod/api/openai-key, region: eu-west-1}",
	}

	credNameRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	ghSecretRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	ghNameRe      = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	ghOwnerRepoRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	fingerprintRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	awsAccountRe  = regexp.MustCompile(`^[0-9]{12}$`)
	awsKeyIDRe    = regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`)
	// Secrets Manager names; ARNs; SSM parameter names (with an optional
	// leading slash, and at most 15 levels); KMS key IDs, ARNs and aliases.
	smNameRe  = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	smARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	ssmNameRe = regexp.MustCompile(`^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	ssmARNRe  = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9_./-]+$`)
	kmsKeyRe  = regexp.MustCompile(`^(alias/[A-Za-z0-9/_-]{1,250}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+)$`)
)

// docKind words the messages about an inventory's YAML as a whole.
var docKind = yamlsrc.Kind{
	Name:       "inventory",
	Article:    "an",
	Plural:     "inventories",
	SyntaxHint: "fix the YAML syntax; an inventory is one YAML mapping with `credentials:` (see docs/inventory.md)",
	EmptyHint:  "start with `credentials:` and list each credential with its targets (see docs/inventory.md)",
	// A key repeated in a mapping is a duplicate, known or not.
	RepeatedUnknownIsDuplicate: true,
}

// parseState holds what Parse learns as it goes: the source and its
// diagnostics, read with positions (see yamlsrc.Doc).
type parseState struct {
	*yamlsrc.Doc
}

// ReadFile reads an inventory file, refusing one too large to be one
// (see yamlsrc.ReadFile).
func ReadFile(path string) ([]byte, error) { return yamlsrc.ReadFile(path, docKind) }

// Parse parses and validates an inventory. file names the source in
// diagnostics and is the base of relative paths. It returns every problem
// found; the Inventory is nil when there is any error.
func Parse(file string, src []byte) (*Inventory, diag.Diagnostics) {
	p := &parseState{yamlsrc.New(file, src, docKind)}
	inv := &Inventory{File: file}
	if body := p.Parse(); body != nil {
		p.inventory(inv, body, baseDir(file))
	}
	p.Diags.Sort()
	if p.Diags.HasErrors() {
		return nil, p.Diags
	}
	return inv, p.Diags
}

// baseDir is the absolute directory of file, against which relative paths
// in it resolve.
func baseDir(file string) string {
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

func (p *parseState) inventory(inv *Inventory, body ast.Node, dir string) {
	kvs, ok := p.Entries(body, "the inventory", "start with `credentials:` and list each credential with its targets (see docs/inventory.md)")
	if !ok {
		return
	}
	f := p.Fields(kvs, topFields, "the inventory")
	kv, ok := f["credentials"]
	if !ok {
		p.Errorf(p.Pos(body), 0, "add `credentials:` with one entry per credential (see docs/inventory.md)", "the inventory has no credentials")
		return
	}
	v := p.Unwrap(kv.Value)
	seq, ok := v.(*ast.SequenceNode)
	switch {
	case v == nil:
		return
	case !ok:
		if _, null := v.(*ast.NullNode); null {
			p.ErrAt(kv.Key, "list each credential under `credentials:` as `- name: …`", "the inventory lists no credentials")
		} else {
			p.ErrAt(v, "list each credential under `credentials:` as `- name: …`", "credentials must be a list, not %s", yamlsrc.Describe(v))
		}
		return
	case len(seq.Values) == 0:
		p.ErrAt(kv.Key, "list each credential under `credentials:` as `- name: …`", "the inventory lists no credentials")
		return
	}
	names := map[string]diag.Pos{}
	owners := map[string]string{} // target ID -> credential name
	for _, n := range seq.Values {
		c, ok := p.credential(n, dir)
		if !ok {
			continue
		}
		if c.Name != "" {
			if first, dup := names[c.Name]; dup {
				p.Errorf(c.Pos, 0, "give each credential a unique name", "duplicate credential name %q (first at line %d)", c.Name, first.Line)
			} else {
				names[c.Name] = c.Pos
			}
		}
		for _, t := range c.Targets {
			if !t.IsSecretStore() {
				continue
			}
			if other, dup := owners[t.ID()]; dup && other != c.Name {
				p.Warnf(t.Pos, t.Pos.Col+len(t.Type), "two credentials written to the same place overwrite each other; keep the target under one credential",
					"target %s is also listed under credential %q", t.ID(), other)
			} else {
				owners[t.ID()] = c.Name
			}
		}
		inv.Credentials = append(inv.Credentials, c)
	}
}

// credential parses one entry of `credentials:`.
func (p *parseState) credential(n ast.Node, dir string) (Credential, bool) {
	c := Credential{Pos: p.Pos(n)}
	kvs, ok := p.Entries(n, "a credential", "give each credential as a mapping: name, provider, project, key_name or key_id, targets")
	if !ok {
		return c, false
	}
	f := p.Fields(kvs, credentialFields, "a credential")
	text := func(k string) (string, *ast.MappingValueNode) {
		kv, ok := f[k]
		if !ok {
			return "", nil
		}
		s, _ := p.ScalarText(kv.Value, k)
		return s, kv
	}
	var kv *ast.MappingValueNode
	c.Name, kv = text("name")
	label := "the credential"
	switch {
	case kv == nil:
		p.Errorf(c.Pos, 0, "add a line such as `name: openai-prod`", "the credential has no name")
	case c.Name == "":
	case !credNameRe.MatchString(c.Name):
		p.ErrAt(kv.Value, "use letters, digits, _, . and -, starting with a letter or digit (e.g. openai-prod)", "invalid credential name %q", c.Name)
	default:
		label = fmt.Sprintf("credential %q", c.Name)
	}
	c.Provider, kv = text("provider")
	switch {
	case kv == nil:
		p.Errorf(c.Pos, 0, "add `provider: openai`", "%s has no provider", label)
	case c.Provider == "":
	case !slices.Contains(Providers, c.Provider):
		p.ErrAt(kv.Value, yamlsrc.Suggest(c.Provider, Providers, "Supported providers"), "unsupported provider %q", c.Provider)
	}
	var accountKV *ast.MappingValueNode
	c.Account, accountKV = text("account")
	if accountKV != nil && c.Provider != "aws" && c.Provider != "" {
		p.ErrAt(accountKV.Key, "account applies to aws credentials; an OpenAI key belongs to a project", "%s is not an AWS key: it has no account", label)
	} else if accountKV != nil && c.Account != "" && !awsAccountRe.MatchString(c.Account) {
		p.ErrAt(accountKV.Value, "an AWS account ID is 12 digits, e.g. \"123456789012\" (quote it)", "invalid account %q", c.Account)
	}
	c.Project, kv = text("project")
	switch {
	case c.Provider == "aws" && kv != nil:
		p.ErrAt(kv.Key, "an AWS key belongs to an account (optional `account:`), not a project", "%s is an AWS key: it has no project", label)
	case c.Provider == "aws":
	case kv == nil:
		p.Errorf(c.Pos, 0, "add the OpenAI project ID the key belongs to, e.g. `project: proj_abc123`", "%s has no project", label)
	case c.Project == "":
	case !validSegment(c.Project):
		p.ErrAt(kv.Value, "give the OpenAI project ID, e.g. proj_abc123", "invalid project %q: it would not name one project in a request path", c.Project)
	case !strings.HasPrefix(c.Project, "proj_"):
		p.WarnAt(kv.Value, "OpenAI project IDs start with proj_; find it under Settings → Projects", "project %q does not look like an OpenAI project ID", c.Project)
	}
	var nameKV, idKV *ast.MappingValueNode
	c.KeyName, nameKV = text("key_name")
	c.KeyID, idKV = text("key_id")
	switch {
	case nameKV == nil && idKV == nil:
		p.Errorf(c.Pos, 0, "add `key_name:` (the key's name in the project) or `key_id:` (key_…)", "%s says neither key_name nor key_id", label)
	case nameKV != nil && idKV != nil:
		p.ErrAt(idKV.Key, "keep one: key_id if you know it, else key_name", "%s gives both key_name and key_id", label)
	case idKV != nil && c.KeyID != "" && !validSegment(c.KeyID):
		p.ErrAt(idKV.Value, "give the key's ID, e.g. key_abc123", "invalid key_id %q: it would not name one key in a request path", c.KeyID)
	case c.Provider == "aws" && nameKV != nil:
		p.ErrAt(nameKV.Key, "AWS access keys have no names: give the access key ID, e.g. `key_id: AKIAIOSFODNN7EXAMPLE`", "%s names an AWS key by key_name", label)
	case c.Provider == "aws" && idKV != nil && c.KeyID != "" && !awsKeyIDRe.MatchString(c.KeyID):
		p.WarnAt(idKV.Value, "AWS access key IDs are AKIA and 16 letters or digits", "key_id %q does not look like an AWS access key ID", c.KeyID)
	case c.Provider != "aws" && idKV != nil && c.KeyID != "" && !strings.HasPrefix(c.KeyID, "key_"):
		p.WarnAt(idKV.Value, "OpenAI key IDs start with key_", "key_id %q does not look like an OpenAI key ID", c.KeyID)
	}
	if fkv, ok := f["fingerprint"]; ok {
		c.Fingerprint, _ = p.ScalarText(fkv.Value, "fingerprint")
		if c.Fingerprint != "" && !fingerprintRe.MatchString(c.Fingerprint) {
			p.ErrAt(fkv.Value, "respond writes this field itself (sha256: and 64 hex digits); remove it if in doubt", "fingerprint %q is not a sha256 fingerprint", c.Fingerprint)
		}
	}
	kv, ok = f["targets"]
	if !ok {
		p.Warnf(c.Pos, 0, "add `targets:` listing every place the key is deployed, so that the replacement reaches them", "%s has no targets: the replacement would be deployed nowhere", label)
		return c, true
	}
	v := p.Unwrap(kv.Value)
	seq, isSeq := v.(*ast.SequenceNode)
	switch {
	case v == nil:
		return c, true
	case !isSeq:
		if _, null := v.(*ast.NullNode); null {
			p.WarnAt(kv.Key, "list every place the key is deployed, so that the replacement reaches them", "%s has no targets: the replacement would be deployed nowhere", label)
		} else {
			p.ErrAt(v, "list the targets, one `- TYPE: {…}` per line", "targets must be a list, not %s", yamlsrc.Describe(v))
		}
		return c, true
	}
	ids := map[string]diag.Pos{}
	for _, e := range seq.Values {
		t, ok := p.target(e, dir, c.Provider)
		if !ok {
			continue
		}
		if first, dup := ids[t.ID()]; dup {
			p.Errorf(t.Pos, t.Pos.Col+len(t.Type), "remove one of them", "duplicate target %s (first at line %d)", t.ID(), first.Line)
			continue
		}
		ids[t.ID()] = t.Pos
		c.Targets = append(c.Targets, t)
	}
	if len(seq.Values) == 0 {
		p.WarnAt(kv.Key, "list every place the key is deployed, so that the replacement reaches them", "%s has no targets: the replacement would be deployed nowhere", label)
	}
	return c, true
}

// target parses one entry of `targets:`: a mapping with one key, the type.
func (p *parseState) target(n ast.Node, dir, provider string) (target.Target, bool) {
	var t target.Target
	hint := "write each target as `- TYPE: {field: value, …}`, e.g. " + targetExamples[target.GitHubActions] + "; types: " + strings.Join(target.Types, ", ")
	v := p.Unwrap(n)
	var kvs []*ast.MappingValueNode
	switch m := v.(type) {
	case nil:
		return t, false
	case *ast.MappingNode:
		kvs = m.Values
	case *ast.MappingValueNode:
		kvs = []*ast.MappingValueNode{m}
	default:
		p.ErrAt(m, hint, "a target must be a mapping of its type to its fields, not %s", yamlsrc.Describe(m))
		return t, false
	}
	if len(kvs) == 0 {
		p.ErrAt(v, hint, "the target is empty")
		return t, false
	}
	if len(kvs) != 1 {
		keys := make([]string, len(kvs))
		for i, kv := range kvs {
			keys[i] = yamlsrc.KeyText(kv)
		}
		if slices.Contains(keys, "type") {
			hint = "write the type as the key instead of `type:`, e.g. " + targetExamples[target.Dotenv]
		}
		p.ErrAt(kvs[0].Key, hint, "a target is a mapping with one key, its type; this one has %d (%s)", len(kvs), strings.Join(keys, ", "))
		return t, false
	}
	kv := kvs[0]
	t.Type = yamlsrc.KeyText(kv)
	var typeEnd int
	t.Pos, typeEnd = p.Span(kv.Key)
	known, ok := targetFields[t.Type]
	if !ok {
		p.ErrAt(kv.Key, yamlsrc.Suggest(t.Type, target.Types, "Target types"), "unknown target type %q", t.Type)
		return t, false
	}
	where := "a " + t.Type + " target"
	if strings.HasPrefix(t.Type, "aws-") {
		where = "an " + t.Type + " target"
	}
	fkvs, ok := p.Entries(kv.Value, where, "give its fields, e.g. "+targetExamples[t.Type])
	if !ok {
		return t, false
	}
	before := len(p.Diags)
	f := p.Fields(fkvs, known, where)
	// A target with an unknown or duplicate field is left out, so that it
	// is not also reported as a duplicate of a target it only resembles.
	bad := p.Diags[before:].HasErrors()
	str := func(k string) (string, *ast.MappingValueNode) {
		kv, present := f[k]
		if !present {
			return "", nil
		}
		s, good := p.ScalarText(kv.Value, k)
		if !good {
			bad = true
		}
		return s, kv
	}
	var repoKV, orgKV, secretKV, varKV, pathKV, reposKV, workflowKV, envKV, keyKV, nameKV, kmsKV *ast.MappingValueNode
	t.Repo, repoKV = str("repo")
	t.Environment, envKV = str("environment")
	t.Org, orgKV = str("org")
	t.Secret, secretKV = str("secret")
	t.Visibility, _ = str("visibility")
	t.Path, pathKV = str("path")
	t.Var, varKV = str("var")
	t.Workflow, workflowKV = str("workflow")
	t.Ref, _ = str("ref")
	t.Region, _ = str("region")
	t.Key, keyKV = str("key")
	t.Name, nameKV = str("name")
	t.KMSKeyID, kmsKV = str("kms_key_id")
	// A part the credential's provider does not have is an error at the
	// part itself.
	parts, knownProvider := ProviderParts[provider]
	checkPart := func(part string, at ast.Node) bool {
		if part == "" || !knownProvider || slices.Contains(parts, part) {
			return true
		}
		p.ErrAt(at, yamlsrc.Suggest(part, parts, "The parts of "+article(ProviderTitle(provider))+" credential"),
			"%s credential has no part %q", article(ProviderTitle(provider)), part)
		return false
	}
	var partKV *ast.MappingValueNode
	t.Part, partKV = str("part")
	if partKV != nil && !checkPart(t.Part, partKV.Value) {
		bad = true
	}
	if kv, present := f["keys"]; present {
		if kkvs, good := p.Entries(kv.Value, "keys", "map each JSON key to the credential part it holds, e.g. {AWS_ACCESS_KEY_ID: access_key_id, AWS_SECRET_ACCESS_KEY: secret_access_key}"); good {
			t.Keys = map[string]string{}
			for _, kkv := range kkvs {
				v, good := p.ScalarText(kkv.Value, "part of key "+yamlsrc.KeyText(kkv))
				if !good || !checkPart(v, kkv.Value) {
					bad = true
				}
				t.Keys[yamlsrc.KeyText(kkv)] = v
			}
		} else {
			bad = true
		}
	}
	// Without part:, a target holds the secret part: a place named for
	// the key's ID (AWS_ACCESS_KEY_ID) most likely wants the ID.
	if knownProvider && len(parts) > 1 && partKV == nil && f["keys"] == nil {
		for _, w := range []struct {
			k  string
			v  string
			kv *ast.MappingValueNode
		}{{"var", t.Var, varKV}, {"secret", t.Secret, secretKV}, {"key", t.Key, keyKV}, {"name", t.Name, nameKV}} {
			if k, v, kv := w.k, w.v, w.kv; kv != nil && strings.Contains(strings.ToUpper(v), "KEY_ID") {
				p.WarnAt(kv.Value, "add `part: "+parts[0]+"` if it holds the key's ID; without part: it gets the secret part, "+parts[len(parts)-1],
					"%s %q looks like it holds the key's ID, but it will get the secret (%s)", k, v, parts[len(parts)-1])
			}
		}
	}
	if kv, present := f["repos"]; present {
		reposKV = kv
		var good bool
		t.Repos, good = p.StringList(kv.Value, "repos", "list the repository names (without the owner), e.g. [web, worker]")
		bad = bad || !good
	}
	if kv, present := f["command"]; present {
		var good bool
		t.Command, good = p.StringList(kv.Value, "command", "write the command as a list, program first: [./scripts/store-key.sh, --env, prod]; it is never run through a shell")
		bad = bad || !good
		if good && len(t.Command) > 0 && t.Command[0] == "" {
			p.ErrAt(kv.Value, "name the program first", "the program of the command is empty")
			bad = true
		}
	}
	if kv, present := f["follow_symlinks"]; present {
		var good bool
		t.FollowSymlinks, good = p.Bool(kv.Value, "follow_symlinks")
		bad = bad || !good
	}
	if kv, present := f["timeout"]; present {
		var good bool
		_, t.Timeout, good = p.Duration(kv.Value, "timeout", yamlsrc.DurationRange{
			Max:      MaxExecTimeout,
			AboveMin: true,
			Examples: "30s, 2m or 1m30s",
			Hint:     fmt.Sprintf("use a duration above 0 and at most %s", MaxExecTimeout),
		})
		bad = bad || !good
	}
	if kv, present := f["inputs"]; present {
		if ikvs, good := p.Entries(kv.Value, "inputs", "give the workflow inputs as a mapping, e.g. {reason: key rotation}"); good {
			t.Inputs = map[string]string{}
			for _, ikv := range ikvs {
				s, good := p.ScalarText(ikv.Value, "input "+yamlsrc.KeyText(ikv))
				if !good {
					bad = true
				}
				t.Inputs[yamlsrc.KeyText(ikv)] = s
			}
			if len(t.Inputs) > 25 {
				p.ErrAt(kv.Key, "GitHub accepts at most 25 inputs per dispatch", "%d workflow inputs is too many", len(t.Inputs))
				bad = true
			}
		} else {
			bad = true
		}
	}
	if bad {
		return t, false
	}
	if err := t.Validate(); err != nil {
		p.Errorf(t.Pos, typeEnd, "see docs/inventory.md for the fields of each target type, e.g. "+targetExamples[t.Type], "%s", err.Error())
		return t, false
	}

	// Checks of values Validate does not make.
	good := true
	if secretKV != nil && t.Type == target.AWSSecretsManager {
		if !smNameRe.MatchString(t.Secret) && !smARNRe.MatchString(t.Secret) {
			p.ErrAt(secretKV.Value, "give the secret's name (letters, digits and /_+=.@-) or its ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx)", "invalid Secrets Manager secret %q", t.Secret)
			good = false
		}
	} else if secretKV != nil {
		switch {
		case !ghSecretRe.MatchString(t.Secret):
			p.ErrAt(secretKV.Value, "GitHub secret names use letters, digits and _, and do not start with a digit", "invalid secret name %q", t.Secret)
			good = false
		case strings.HasPrefix(strings.ToUpper(t.Secret), "GITHUB_"):
			p.ErrAt(secretKV.Value, "GitHub reserves names starting with GITHUB_; pick another name", "secret name %q starts with GITHUB_", t.Secret)
			good = false
		}
	}
	if repoKV != nil && !validOwnerRepo(t.Repo) {
		p.ErrAt(repoKV.Value, "write the repository as owner/name, e.g. acme/api", "invalid repository %q", t.Repo)
		good = false
	}
	if orgKV != nil && !validGitHubName(t.Org) {
		p.ErrAt(orgKV.Value, "write the organization's login, e.g. acme", "invalid organization %q", t.Org)
		good = false
	}
	for _, r := range t.Repos {
		if !validGitHubName(r) {
			p.ErrAt(reposKV.Value, "list repository names without the owner (the owner is the organization), e.g. [web, worker]", "invalid repository name %q in repos", r)
			good = false
			break
		}
	}
	if envKV != nil && t.Environment != "" && !validEnvironment(t.Environment) {
		p.ErrAt(envKV.Value, "give the environment's name as GitHub shows it, e.g. production (no /, not . or .., at most 255 characters)", "invalid environment %q", t.Environment)
		good = false
	}
	if varKV != nil && !dotenv.ValidName(t.Var) {
		p.ErrAt(varKV.Value, "variable names use letters, digits and _, and do not start with a digit", "invalid variable name %q", t.Var)
		good = false
	}
	if keyKV != nil && strings.TrimSpace(t.Key) == "" {
		p.ErrAt(keyKV.Value, "name the key of the JSON secret to write (e.g. OPENAI_API_KEY), or leave key out to write the whole secret", "key is empty")
		good = false
	}
	if nameKV != nil && !ssmNameRe.MatchString(t.Name) && !ssmARNRe.MatchString(t.Name) {
		p.ErrAt(nameKV.Value, "parameter names use letters, digits and _.-, with / between levels (e.g. /prod/api/openai-key), or give its ARN", "invalid SSM parameter name %q", t.Name)
		good = false
	} else if nameKV != nil && (strings.Count(t.Name, "/") > 15 || len(t.Name) > 1011 || strings.HasPrefix(strings.ToLower(strings.TrimPrefix(t.Name, "/")), "aws") || strings.HasPrefix(strings.ToLower(strings.TrimPrefix(t.Name, "/")), "ssm")) {
		p.ErrAt(nameKV.Value, "SSM allows at most 15 levels and 1011 characters, and reserves names starting with aws or ssm", "invalid SSM parameter name %q", t.Name)
		good = false
	}
	if kmsKV != nil && !kmsKeyRe.MatchString(t.KMSKeyID) {
		p.ErrAt(kmsKV.Value, "give a KMS key ID (1234abcd-…), alias (alias/my-key) or ARN", "invalid KMS key %q", t.KMSKeyID)
		good = false
	}
	if workflowKV != nil && !isWorkflowRef(t.Workflow) {
		p.WarnAt(workflowKV.Value, "give the workflow's file name (deploy.yml) or its numeric ID", "workflow %q is neither a .yml/.yaml file name nor an ID", t.Workflow)
	}
	if !good {
		return t, false
	}
	if pathKV != nil {
		t.Path = resolve(dir, t.Path)
		t.Root = dir // a link at path may not lead out of it (follow_symlinks)
	}
	if len(t.Command) > 0 && strings.ContainsAny(t.Command[0], `/\`) {
		t.Command = slices.Clone(t.Command)
		t.Command[0] = resolve(dir, t.Command[0])
	}
	return t, true
}

// validSegment reports whether s can stand as one segment of a request
// path: not empty, not . or .. (which collapse the path), and no /, \, ?,
// #, % or control character.
func validSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\?#%`, r) {
			return false
		}
	}
	return true
}

// validGitHubName is an organization, owner or repository name.
func validGitHubName(s string) bool { return ghNameRe.MatchString(s) && validSegment(s) }

// validOwnerRepo is owner/name with both parts valid names.
func validOwnerRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && ghOwnerRepoRe.MatchString(s) && validGitHubName(owner) && validGitHubName(name)
}

// validEnvironment is a GitHub environment name: one path segment of at
// most 255 characters.
func validEnvironment(s string) bool { return validSegment(s) && len(s) <= 255 }

func isWorkflowRef(w string) bool {
	if strings.HasSuffix(w, ".yml") || strings.HasSuffix(w, ".yaml") {
		return !strings.Contains(w, "/")
	}
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return w != ""
}

// resolve makes p absolute against dir, and clean.
func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// ErrNotFound is returned (wrapped) by Find when no inventory exists in
// any of the places it looks.
var ErrNotFound = errors.New("no inventory found")

// DefaultName is the inventory file looked for in the current directory.
const DefaultName = "respond.yaml"

// Find returns the path of the inventory to use: explicit if given (the
// --inventory flag or a command's argument), else ./respond.yaml, else
// $XDG_CONFIG_HOME/respond/inventory.yaml (or
// ~/.config/respond/inventory.yaml). When none exists the error wraps
// ErrNotFound and names every place looked at.
func Find(explicit string) (path string, err error) {
	if explicit != "" {
		fi, err := os.Stat(explicit)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("inventory %s does not exist; check the path", explicit)
		case err != nil:
			return "", fmt.Errorf("cannot read inventory %s: %w", explicit, err)
		case fi.IsDir():
			return "", fmt.Errorf("inventory %s is a directory; give the inventory file, e.g. %s", explicit, filepath.Join(explicit, DefaultName))
		}
		return explicit, nil
	}
	looked := []string{"./" + DefaultName}
	candidates := []string{DefaultName}
	if cfg := configPath(); cfg != "" {
		looked = append(looked, cfg)
		candidates = append(candidates, cfg)
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w: looked for %s; write one (see docs/inventory.md) or name it with --inventory FILE", ErrNotFound, strings.Join(looked, " and "))
}

// configPath is $XDG_CONFIG_HOME/respond/inventory.yaml, or
// ~/.config/respond/inventory.yaml ("" if neither can be known).
func configPath() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "respond", "inventory.yaml")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".config", "respond", "inventory.yaml")
}

// Load finds (see Find), reads and parses the inventory. err is set when
// no file could be found or read; problems in the file are in diags (the
// Inventory is nil when any is an error). src is returned for rendering
// the diagnostics.
func Load(explicit string) (inv *Inventory, src []byte, diags diag.Diagnostics, err error) {
	path, err := Find(explicit)
	if err != nil {
		return nil, nil, nil, err
	}
	src, err = yamlsrc.ReadFile(path, docKind)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cannot read inventory %s: %w", path, err)
	}
	inv, diags = Parse(path, src)
	return inv, src, diags, nil
}

// TargetCount is the number of targets of every credential.
func (inv *Inventory) TargetCount() int {
	n := 0
	for _, c := range inv.Credentials {
		n += len(c.Targets)
	}
	return n
}

// Credential returns the credential with the given name.
func (inv *Inventory) Credential(name string) (*Credential, bool) {
	for i := range inv.Credentials {
		if inv.Credentials[i].Name == name {
			return &inv.Credentials[i], true
		}
	}
	return nil, false
}

// Match finds the credential of a key: the one whose key_id is keyID (in
// project, when both say a project), else the one in project whose
// key_name is keyName. No match is an error listing the credentials;
// several matches are an error naming them.
func (inv *Inventory) Match(project, keyID, keyName string) (*Credential, error) {
	var found []*Credential
	if keyID != "" {
		for i := range inv.Credentials {
			c := &inv.Credentials[i]
			if c.KeyID == keyID && (project == "" || c.Project == "" || c.Project == project) {
				found = append(found, c)
			}
		}
	}
	if len(found) == 0 && keyName != "" && project != "" {
		for i := range inv.Credentials {
			c := &inv.Credentials[i]
			if c.KeyName == keyName && c.Project == project {
				found = append(found, c)
			}
		}
	}
	what := describeKey(project, keyID, keyName)
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		var list []string
		for _, c := range inv.Credentials {
			list = append(list, "  - "+c.describe())
		}
		add := "key_id: " + keyID
		if keyID == "" {
			add = "key_name: " + keyName
		}
		return nil, fmt.Errorf("no credential in %s is %s; it lists:\n%s\nadd the key to the inventory (project: %s, %s) with the places it is deployed, or name the right key",
			inv.File, what, strings.Join(list, "\n"), orUnknown(project), add)
	}
	var names []string
	for _, c := range found {
		names = append(names, c.describe())
	}
	return nil, fmt.Errorf("%d credentials in %s match %s: %s; give each key one credential (prefer key_id) and run again",
		len(found), inv.File, what, strings.Join(names, "; "))
}

func orUnknown(s string) string {
	if s == "" {
		return "proj_…"
	}
	return s
}

func describeKey(project, keyID, keyName string) string {
	var parts []string
	if keyID != "" {
		parts = append(parts, keyID)
	}
	if keyName != "" {
		parts = append(parts, fmt.Sprintf("named %q", keyName))
	}
	if project != "" {
		parts = append(parts, "in project "+project)
	}
	if len(parts) == 0 {
		return "the key"
	}
	return "key " + strings.Join(parts, " ")
}

// describe is "openai-prod (proj_abc, key_name prod-backend, line 3)".
func (c *Credential) describe() string {
	k := "key_id " + c.KeyID
	if c.KeyID == "" {
		k = "key_name " + c.KeyName
	}
	return fmt.Sprintf("%s (%s, %s, line %d)", c.Name, c.Project, k, c.Pos.Line)
}

// SecretTargets returns the targets that hold the credential (every type
// but github-workflow), in inventory order.
func (c *Credential) SecretTargets() []target.Target {
	var out []target.Target
	for _, t := range c.Targets {
		if t.IsSecretStore() {
			out = append(out, t)
		}
	}
	return out
}

// Workflows returns the github-workflow targets: deployments to re-run
// once the credential changed, in inventory order.
func (c *Credential) Workflows() []target.Target {
	var out []target.Target
	for _, t := range c.Targets {
		if t.Type == target.GitHubWorkflow {
			out = append(out, t)
		}
	}
	return out
}

// Map converts the credential to the plain mapping playbooks carry (see
// target.Target.Map): name, provider, project, key_name or key_id, and
// targets as a list of target mappings.
func (c *Credential) Map() map[string]any {
	m := map[string]any{"name": c.Name, "provider": c.Provider, "project": c.Project}
	if c.Account != "" {
		m["account"] = c.Account
	}
	if c.KeyName != "" {
		m["key_name"] = c.KeyName
	}
	if c.KeyID != "" {
		m["key_id"] = c.KeyID
	}
	if c.Fingerprint != "" {
		m["fingerprint"] = c.Fingerprint
	}
	targets := make([]any, 0, len(c.Targets))
	for _, t := range c.Targets {
		targets = append(targets, t.Map())
	}
	m["targets"] = targets
	return m
}

// Maps returns every credential as a plain mapping (Credential.Map), for a
// playbook input such as inventory.targets' `credentials`.
func (inv *Inventory) Maps() []any {
	out := make([]any, 0, len(inv.Credentials))
	for i := range inv.Credentials {
		out = append(out, inv.Credentials[i].Map())
	}
	return out
}

// ProviderTitle names a provider for people ("AWS", "OpenAI").
func ProviderTitle(name string) string {
	switch name {
	case "aws":
		return "AWS"
	case "openai":
		return "OpenAI"
	}
	return name
}

// article puts "a" or "an" before a word.
func article(w string) string {
	if w != "" && strings.ContainsRune("AEIOUaeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}
