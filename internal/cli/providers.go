package cli

import (
	"context"
	"path/filepath"
	"sync"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/openaiapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/steps"
)

// providerSet builds the OpenAI and GitHub clients from an environment, once
// each: every step shares one client per provider, so GitHub's rate limiter
// is one per token as GitHub counts it.
type providerSet struct {
	getenv  func(string) string
	secrets *secret.Registry
	// stateDir is the state directory, where the GitHub client keeps its
	// public-key cache ("" for none); read when the client is built.
	stateDir func() string
	// warn shows a warning (a key cache the GitHub client refuses).
	warn func(string)

	oaOnce sync.Once
	oa     steps.OpenAI
	oaErr  error
	ghOnce sync.Once
	gh     steps.GitHub
	ghErr  error
	awOnce sync.Once
	aw     steps.AWS
	awErr  error
}

func (p *providerSet) providers() steps.Providers {
	var out steps.Providers
	if p.getenv(openaiapi.EnvAdminKey) != "" {
		out.OpenAI = p.openAI
	}
	if p.githubToken() != "" {
		out.GitHub = p.gitHub
	}
	// AWS configuration comes from the standard chain (environment,
	// profiles, SSO, instance roles): whether it holds credentials is known
	// only when a client asks, and its errors say what to set.
	out.AWS = p.awsClient
	return out
}

func (p *providerSet) awsClient() (steps.AWS, error) {
	p.awOnce.Do(func() {
		c, err := awsapi.FromEnv(context.Background())
		p.aw, p.awErr = c, err
		if err != nil {
			p.aw = nil
		}
	})
	return p.aw, p.awErr
}

func (p *providerSet) githubToken() string {
	if t := p.getenv("GITHUB_TOKEN"); t != "" {
		return t
	}
	return p.getenv("GH_TOKEN")
}

func (p *providerSet) openAI() (steps.OpenAI, error) {
	p.oaOnce.Do(func() {
		key := secret.New(p.getenv(openaiapi.EnvAdminKey))
		p.secrets.Add(key)
		base := p.getenv(openaiapi.EnvBaseURL)
		if base == "" {
			base = openaiapi.DefaultBaseURL
		}
		c, err := openaiapi.New(openaiapi.Config{BaseURL: base, AdminKey: key})
		p.oa, p.oaErr = c, err
		if err != nil {
			p.oa = nil
		}
	})
	return p.oa, p.oaErr
}

func (p *providerSet) gitHub() (steps.GitHub, error) {
	p.ghOnce.Do(func() {
		tok := secret.New(p.githubToken())
		p.secrets.Add(tok)
		base := p.getenv("GITHUB_API_URL")
		if base == "" {
			base = githubapi.DefaultBaseURL
		}
		cfg := githubapi.Config{BaseURL: base, Token: tok, Warn: p.warn}
		if p.stateDir != nil {
			if dir := p.stateDir(); dir != "" {
				cfg.KeyCache = filepath.Join(dir, GitHubKeyCacheFile)
			}
		}
		c, err := githubapi.New(cfg)
		p.gh, p.ghErr = c, err
		if err != nil {
			p.gh = nil
		}
	})
	return p.gh, p.ghErr
}

// GitHubKeyCacheFile is the GitHub client's public-key cache, in the state
// directory: secrets of a repository written before cost one request.
const GitHubKeyCacheFile = "github-public-keys.jsonl"

// registerEnvSecrets masks respond's own credentials in every output from
// the start, whether or not a client is ever built.
func registerEnvSecrets(getenv func(string) string, reg *secret.Registry) {
	for _, k := range []string{"OPENAI_ADMIN_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := getenv(k); v != "" {
			reg.Add(secret.New(v))
		}
	}
}
