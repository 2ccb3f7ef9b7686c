// Package githubsecret is respond's GitHub secret target types:
// `github-actions` (a repository, environment or organization Actions
// secret) and `github-dependabot` (a repository or organization Dependabot
// secret). Values are sealed on this machine with the scope's public key
// (libsodium sealed box, as GitHub requires). docs/inventory.md documents
// them.
package githubsecret

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// The types.
const (
	Actions    = "github-actions"
	Dependabot = "github-dependabot"
)

func init() {
	target.Register(spec(Actions, "GitHub Actions secret", "a repository, environment or organization Actions secret", true,
		"- github-actions: {repo: acme/api, secret: OPENAI_API_KEY}"))
	target.Register(spec(Dependabot, "GitHub Dependabot secret", "a repository or organization Dependabot secret", false,
		"- github-dependabot: {repo: acme/api, secret: OPENAI_API_KEY}"))
}

var (
	secretRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	nameRe      = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	ownerRepoRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
)

// validName is an organization, owner or repository name.
func validName(s string) bool { return nameRe.MatchString(s) && target.ValidSegment(s) }

// validOwnerRepo is owner/name with both parts valid names.
func validOwnerRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && ownerRepoRe.MatchString(s) && validName(owner) && validName(name)
}

func spec(typ, title, summary string, environments bool, example string) target.Spec {
	fields := []target.Field{
		{Name: "repo", Kind: target.String, Doc: "the repository, owner/name (or give org)",
			Check: func(v any) error {
				if !validOwnerRepo(v.(string)) {
					return target.Invalid("write the repository as owner/name, e.g. acme/api", "invalid repository %q", v)
				}
				return nil
			}},
	}
	if environments {
		fields = append(fields, target.Field{Name: "environment", Kind: target.String, Doc: "an environment of the repository (its secret instead of the repository's)",
			Check: func(v any) error {
				if s := v.(string); !target.ValidSegment(s) || len(s) > 255 {
					return target.Invalid("give the environment's name as GitHub shows it, e.g. production (no /, not . or .., at most 255 characters)", "invalid environment %q", s)
				}
				return nil
			}})
	}
	fields = append(fields,
		target.Field{Name: "org", Kind: target.String, Doc: "an organization (its secret, instead of a repository's)",
			Check: func(v any) error {
				if !validName(v.(string)) {
					return target.Invalid("write the organization's login, e.g. acme", "invalid organization %q", v)
				}
				return nil
			}},
		target.Field{Name: "secret", Kind: target.String, Required: true, Names: true, Doc: "the secret's name",
			Check: func(v any) error {
				s := v.(string)
				switch {
				case !secretRe.MatchString(s):
					return target.Invalid("GitHub secret names use letters, digits and _, and do not start with a digit", "invalid secret name %q", s)
				case strings.HasPrefix(strings.ToUpper(s), "GITHUB_"):
					return target.Invalid("GitHub reserves names starting with GITHUB_; pick another name", "secret name %q starts with GITHUB_", s)
				}
				return nil
			}},
		target.Field{Name: "visibility", Kind: target.String, Doc: "an organization secret's audience: all, private or selected",
			Check: func(v any) error {
				switch v.(string) {
				case "all", "private", "selected":
					return nil
				}
				return target.Invalid("write all, private or selected", "visibility %q must be all, private or selected", v)
			}},
		target.Field{Name: "repos", Kind: target.List, Doc: "with visibility: selected, the repositories that may use it (names without the owner)",
			Check: func(v any) error {
				for _, r := range v.([]string) {
					if !validName(r) {
						return target.Invalid("list repository names without the owner (the owner is the organization), e.g. [web, worker]", "invalid repository name %q in repos", r)
					}
				}
				return nil
			}},
	)
	return target.Spec{
		Type: typ, Title: title, Summary: summary, Fields: fields, Example: example, Holds: true,
		Validate: validate,
		ID: func(t target.Target) string {
			where := t.Str("repo")
			if o := t.Str("org"); o != "" {
				where = "org/" + o
			}
			if e := t.Str("environment"); e != "" {
				where += "@" + e
			}
			return t.Type + ":" + where + ":" + t.Str("secret")
		},
		Describe:      describe,
		Group:         group(strings.TrimPrefix(title, "GitHub ")),
		New:           func(env *plugin.Env) target.Writer { return Writer{env: env} },
		FakeElsewhere: "the simulator's GitHub (githubsim), in internal/targets/githubsecret's tests",
	}
}

// validate checks a GitHub secret target's fields together.
func validate(t target.Target) []target.Problem {
	var out []target.Problem
	repo, org := t.Str("repo"), t.Str("org")
	switch {
	case repo == "" && org == "":
		out = append(out, target.Problem{Msg: "one of repo (owner/name) or org is required", Hint: "e.g. " + t.Type + ": {repo: acme/api, secret: OPENAI_API_KEY}"})
	case repo != "" && org != "":
		out = append(out, target.Problem{Field: "org", Msg: "repo and org cannot both be set", Hint: "a secret lives in a repository or in an organization: keep one"})
	}
	if t.Str("environment") != "" && repo == "" {
		out = append(out, target.Problem{Field: "environment", Msg: "environment needs repo", Hint: "an environment belongs to a repository: give repo: owner/name"})
	}
	vis, repos := t.Str("visibility"), t.List("repos")
	if org != "" {
		if len(repos) > 0 && vis != "selected" {
			out = append(out, target.Problem{Field: "repos", Msg: "repos is allowed only with visibility: selected"})
		}
		if vis == "selected" && len(repos) == 0 {
			out = append(out, target.Problem{Field: "visibility", Msg: "visibility: selected needs repos, the repositories that may use the secret (without it no repository could)"})
		}
	} else if vis != "" || len(repos) > 0 {
		f := "visibility"
		if vis == "" {
			f = "repos"
		}
		out = append(out, target.Problem{Field: f, Msg: "visibility and repos apply only to org secrets"})
	}
	return out
}

// group places a GitHub secret among its like: repository secrets of one
// name in one owner's repositories ("Actions secrets OPENAI_API_KEY" in
// acme, each named by its repository), environment secrets of one name and
// environment likewise, each named by its repository; an organization's
// secret on its own.
func group(title string) func(t target.Target) (kind, where, member string) {
	return func(t target.Target) (kind, where, member string) {
		name := t.Str("secret")
		if org := t.Str("org"); org != "" {
			return "organization " + title + "s " + name, org, org
		}
		owner, repo, _ := strings.Cut(t.Str("repo"), "/")
		if env := t.Str("environment"); env != "" {
			return title + "s " + name + " of environment " + env, owner, repo
		}
		return title + "s " + name, owner, repo
	}
}

// describe is where and what a GitHub secret target is, for `inventory
// show`.
func describe(t target.Target, _ func(string) string) (where, name, notes string) {
	name = t.Str("secret")
	switch {
	case t.Str("org") != "":
		where = "org " + t.Str("org")
		vis := t.Str("visibility")
		if vis == "" {
			vis = "all"
		}
		notes = "visibility " + vis
		if repos := t.List("repos"); len(repos) > 0 {
			notes += ": " + strings.Join(repos, ", ")
		}
	case t.Str("environment") != "":
		where = t.Str("repo")
		notes = "environment " + t.Str("environment")
	default:
		where = t.Str("repo")
	}
	return where, name, notes
}

// API is the GitHub REST API as the writer uses it; internal/githubapi
// implements it over go-github.
type API interface {
	ReposPermissions(ctx context.Context, repos []string) map[string]githubapi.RepoAccess
	OrgRole(ctx context.Context, org string) (string, error)
	Environments(ctx context.Context, owner, repo string) ([]string, error)
	PublicKey(ctx context.Context, s githubapi.SecretScope) (githubapi.PublicKey, error)
	KnowsPublicKey(s githubapi.SecretScope) bool
	KnownOrganization(owner string) (isOrg, known bool)
	OrgSecret(ctx context.Context, s githubapi.SecretScope, name string) (githubapi.OrgSecretState, error)
	PutSecret(ctx context.Context, s githubapi.SecretScope, name string, sealed githubapi.Sealed, org githubapi.OrgSecretOptions) (created bool, err error)
}

var _ API = (*githubapi.Client)(nil)

// client returns the environment's GitHub client, or an error saying how
// to configure one; what names the target for the message.
func (w Writer) client(what string) (API, error) {
	if w.env == nil || (!githubapi.Configured(w.env) && !w.env.Has(githubapi.SharedKey)) {
		return nil, step.Errorf("%s: GitHub is not configured: export GITHUB_TOKEN (or GH_TOKEN) with a token "+
			"that can manage the repositories' secrets, and GITHUB_API_URL for GitHub Enterprise Server", what)
	}
	gh, err := plugin.SharedAs[API](w.env, githubapi.SharedKey, githubapi.Build(w.env))
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	return gh, nil
}

// ScopeOf returns the secret scope of a github-actions or
// github-dependabot target.
func ScopeOf(t target.Target) githubapi.SecretScope {
	app := "actions"
	if t.Type == Dependabot {
		app = "dependabot"
	}
	s := githubapi.SecretScope{App: app, Org: t.Str("org"), Environment: t.Str("environment")}
	if r := t.Str("repo"); r != "" {
		s.Owner, s.Repo, _ = strings.Cut(r, "/")
	}
	return s
}

// New returns the writer of GitHub secret targets of env.
func New(env *plugin.Env) Writer { return Writer{env: env} }
