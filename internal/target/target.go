// Package target describes the places a credential is deployed: GitHub
// Actions secrets (repository, environment, organization), Dependabot
// secrets, .env files, commands that store it, AWS Secrets Manager secrets
// and SSM parameters, and workflows to re-run.
// Inventories parse into Targets; playbooks pass them to steps as plain
// mappings (Map / FromMap).
package target

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/respondhq/respond/internal/diag"
)

// Types of target.
const (
	GitHubActions    = "github-actions"
	GitHubDependabot = "github-dependabot"
	Dotenv           = "dotenv"
	Exec             = "exec"
	GitHubWorkflow   = "github-workflow"
	// AWSSecretsManager is a secret in AWS Secrets Manager: its whole
	// string, or one key of a JSON object.
	AWSSecretsManager = "aws-secretsmanager"
	// AWSSSM is a SecureString parameter of AWS SSM Parameter Store.
	AWSSSM = "aws-ssm"
)

// Types lists every target type, sorted.
var Types = []string{AWSSecretsManager, AWSSSM, Dotenv, Exec, GitHubActions, GitHubDependabot, GitHubWorkflow}

// Target is one place a credential lives (or, for github-workflow, a
// deployment to re-run once it changed).
type Target struct {
	Type string `json:"type"`

	// github-actions, github-dependabot: exactly one of Repo ("owner/name")
	// or Org; Environment only with Repo (Actions only).
	Repo        string   `json:"repo,omitempty"`
	Environment string   `json:"environment,omitempty"`
	Org         string   `json:"org,omitempty"`
	Secret      string   `json:"secret,omitempty"`
	Visibility  string   `json:"visibility,omitempty"` // org: all|private|selected
	Repos       []string `json:"repos,omitempty"`      // org, selected: repository names (without owner)

	// dotenv
	Path string `json:"path,omitempty"`
	Var  string `json:"var,omitempty"`
	// Root is the directory tree a symbolic link at Path may lead into
	// (the inventory's directory); FollowSymlinks allows any.
	Root           string `json:"root,omitempty"`
	FollowSymlinks bool   `json:"follow_symlinks,omitempty"`

	// exec: the value on stdin, never argv or environment
	Command []string `json:"command,omitempty"`
	Timeout string   `json:"timeout,omitempty"` // Go duration, default 30s

	// github-workflow (Repo too)
	Workflow string            `json:"workflow,omitempty"` // file name or ID
	Ref      string            `json:"ref,omitempty"`
	Inputs   map[string]string `json:"inputs,omitempty"`

	// aws-secretsmanager: Secret (a name or ARN) and, for one key of a
	// JSON secret, Key. aws-ssm: Name and KMSKeyID. Both: Region (default
	// the configured region, AWS_REGION).
	Region   string `json:"region,omitempty"`
	Key      string `json:"key,omitempty"`
	Name     string `json:"name,omitempty"`
	KMSKeyID string `json:"kms_key_id,omitempty"`

	// Part is which part of the credential this target holds (an AWS
	// key's "access_key_id" or "secret_access_key"); empty: the main secret
	// part (an OpenAI key, an AWS secret access key).
	Part string `json:"part,omitempty"`
	// Keys, for an aws-secretsmanager JSON secret instead of Key, maps
	// JSON keys to the credential parts they hold, written in one version.
	Keys map[string]string `json:"keys,omitempty"`

	// Pos is where the target is written in the inventory.
	Pos diag.Pos `json:"-"`
}

// IsSecretStore reports whether the target holds the credential (every type
// but github-workflow).
func (t Target) IsSecretStore() bool { return t.Type != GitHubWorkflow }

// ID names the target uniquely and readably, e.g.
// "github-actions:acme/api:OPENAI_API_KEY",
// "github-actions:acme/api@production:OPENAI_API_KEY",
// "github-actions:org/acme:OPENAI_API_KEY", "dotenv:deploy/.env:OPENAI_API_KEY",
// "exec:./scripts/store-key.sh", "github-workflow:acme/api:deploy.yml@main",
// "aws-secretsmanager:eu-west-1:app/prod#OPENAI_API_KEY" (region and key
// when given; names and ARNs hold neither : nor #),
// "aws-ssm:/app/prod/openai-key".
func (t Target) ID() string {
	switch t.Type {
	case GitHubActions, GitHubDependabot:
		where := t.Repo
		if t.Org != "" {
			where = "org/" + t.Org
		}
		if t.Environment != "" {
			where += "@" + t.Environment
		}
		return t.Type + ":" + where + ":" + t.Secret
	case Dotenv:
		return t.Type + ":" + t.Path + ":" + t.Var
	case Exec:
		return t.Type + ":" + strings.Join(t.Command, " ")
	case GitHubWorkflow:
		return t.Type + ":" + t.Repo + ":" + t.Workflow + "@" + t.Ref
	case AWSSecretsManager:
		id := t.Type + ":" + regionPrefix(t.Region) + t.Secret
		if t.Key != "" {
			id += "#" + t.Key
		}
		if len(t.Keys) > 0 {
			keys := make([]string, 0, len(t.Keys))
			for k := range t.Keys {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			id += "#" + strings.Join(keys, "+")
		}
		return id
	case AWSSSM:
		return t.Type + ":" + regionPrefix(t.Region) + t.Name
	}
	return t.Type
}

func regionPrefix(r string) string {
	if r == "" {
		return ""
	}
	return r + ":"
}

// String is ID.
func (t Target) String() string { return t.ID() }

// Map converts the target to the plain mapping playbooks carry (only set
// fields; lists as []any, so it round-trips through the journal).
func (t Target) Map() map[string]any {
	m := map[string]any{"type": t.Type}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("repo", t.Repo)
	put("environment", t.Environment)
	put("org", t.Org)
	put("secret", t.Secret)
	put("visibility", t.Visibility)
	put("path", t.Path)
	put("var", t.Var)
	put("root", t.Root)
	if t.FollowSymlinks {
		m["follow_symlinks"] = true
	}
	put("timeout", t.Timeout)
	put("workflow", t.Workflow)
	put("ref", t.Ref)
	put("region", t.Region)
	put("key", t.Key)
	put("name", t.Name)
	put("kms_key_id", t.KMSKeyID)
	put("part", t.Part)
	if len(t.Keys) > 0 {
		keys := map[string]any{}
		for k, v := range t.Keys {
			keys[k] = v
		}
		m["keys"] = keys
	}
	if len(t.Repos) > 0 {
		m["repos"] = toAny(t.Repos)
	}
	if len(t.Command) > 0 {
		m["command"] = toAny(t.Command)
	}
	if len(t.Inputs) > 0 {
		in := map[string]any{}
		for k, v := range t.Inputs {
			in[k] = v
		}
		m["inputs"] = in
	}
	m["id"] = t.ID()
	return m
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i := range s {
		out[i] = s[i]
	}
	return out
}

// FromMap is the inverse of Map. It checks the fields the type needs.
func FromMap(m map[string]any) (Target, error) {
	var t Target
	str := func(k string) string { s, _ := m[k].(string); return s }
	list := func(k string) []string {
		switch v := m[k].(type) {
		case []string:
			return v
		case []any:
			out := make([]string, 0, len(v))
			for _, x := range v {
				out = append(out, fmt.Sprint(x))
			}
			return out
		}
		return nil
	}
	t.Type = str("type")
	t.Repo, t.Environment, t.Org, t.Secret, t.Visibility = str("repo"), str("environment"), str("org"), str("secret"), str("visibility")
	t.Path, t.Var, t.Timeout, t.Workflow, t.Ref = str("path"), str("var"), str("timeout"), str("workflow"), str("ref")
	t.Region, t.Key, t.Name, t.KMSKeyID = str("region"), str("key"), str("name"), str("kms_key_id")
	t.Part = str("part")
	switch keys := m["keys"].(type) {
	case map[string]any:
		t.Keys = map[string]string{}
		for k, v := range keys {
			t.Keys[k] = fmt.Sprint(v)
		}
	case map[string]string:
		t.Keys = keys
	}
	t.Repos, t.Command = list("repos"), list("command")
	t.Root = str("root")
	t.FollowSymlinks, _ = m["follow_symlinks"].(bool)
	if in, ok := m["inputs"].(map[string]any); ok {
		t.Inputs = map[string]string{}
		for k, v := range in {
			t.Inputs[k] = fmt.Sprint(v)
		}
	}
	if in, ok := m["inputs"].(map[string]string); ok {
		t.Inputs = in
	}
	return t, t.Validate()
}

// Validate checks that the fields the type needs are present and
// consistent. Messages name the target and say what to write.
func (t Target) Validate() error {
	var problems []string
	need := func(field, v string) {
		if v == "" {
			problems = append(problems, field+" is required")
		}
	}
	switch t.Type {
	case GitHubActions, GitHubDependabot:
		need("secret", t.Secret)
		switch {
		case t.Repo == "" && t.Org == "":
			problems = append(problems, "one of repo (owner/name) or org is required")
		case t.Repo != "" && t.Org != "":
			problems = append(problems, "repo and org cannot both be set")
		}
		if t.Repo != "" && strings.Count(t.Repo, "/") != 1 {
			problems = append(problems, fmt.Sprintf("repo %q must be owner/name", t.Repo))
		}
		if t.Environment != "" && (t.Repo == "" || t.Type == GitHubDependabot) {
			problems = append(problems, "environment needs repo, and only github-actions has environment secrets")
		}
		if t.Org != "" {
			switch t.Visibility {
			case "", "all", "private", "selected":
			default:
				problems = append(problems, fmt.Sprintf("visibility %q must be all, private or selected", t.Visibility))
			}
			if len(t.Repos) > 0 && t.Visibility != "selected" {
				problems = append(problems, "repos is allowed only with visibility: selected")
			}
			if t.Visibility == "selected" && len(t.Repos) == 0 {
				problems = append(problems, "visibility: selected needs repos, the repositories that may use the secret (without it no repository could)")
			}
		} else if t.Visibility != "" || len(t.Repos) > 0 {
			problems = append(problems, "visibility and repos apply only to org secrets")
		}
	case Dotenv:
		need("path", t.Path)
		need("var", t.Var)
	case Exec:
		if len(t.Command) == 0 {
			problems = append(problems, "command (a list: program first) is required")
		}
	case GitHubWorkflow:
		need("repo", t.Repo)
		need("workflow", t.Workflow)
		need("ref", t.Ref)
	case AWSSecretsManager:
		need("secret (a name or ARN)", t.Secret)
		if len(t.Keys) > 0 && (t.Key != "" || t.Part != "") {
			problems = append(problems, "keys (JSON key → part) replaces key and part: give one or the other")
		}
		problems = append(problems, checkRegion(t.Region, t.Secret, "secretsmanager")...)
	case AWSSSM:
		need("name", t.Name)
		problems = append(problems, checkRegion(t.Region, t.Name, "ssm")...)
	case "":
		problems = append(problems, "the target type is missing; use one of "+strings.Join(Types, ", "))
	default:
		problems = append(problems, fmt.Sprintf("unknown target type %q; use one of %s", t.Type, strings.Join(Types, ", ")))
	}
	if len(t.Keys) > 0 && t.Type != AWSSecretsManager {
		problems = append(problems, "keys applies only to aws-secretsmanager targets (a JSON secret)")
	}
	if t.Part != "" && t.Type == GitHubWorkflow {
		problems = append(problems, "part applies to places that hold the credential, not to workflows")
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("%s target: %s", t.Type, strings.Join(problems, "; "))
}

// regionRe is the shape of an AWS region, e.g. eu-west-1, us-gov-west-1.
var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// ARNRegion returns the region of an ARN of service, and whether id is
// one (arn:PARTITION:SERVICE:REGION:ACCOUNT:…).
func ARNRegion(id, service string) (string, bool) {
	parts := strings.SplitN(id, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != service {
		return "", false
	}
	return parts[3], true
}

// checkRegion checks an AWS target's region, and that it agrees with the
// region of an ARN given as the secret or parameter.
func checkRegion(region, id, service string) []string {
	var problems []string
	if region != "" && !regionRe.MatchString(region) {
		problems = append(problems, fmt.Sprintf("region %q is not an AWS region (e.g. eu-west-1)", region))
	}
	if r, ok := ARNRegion(id, service); ok && region != "" && r != region {
		problems = append(problems, fmt.Sprintf("region %q differs from the region of the ARN (%s): drop region, the ARN names it", region, r))
	}
	return problems
}
