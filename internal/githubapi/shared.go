package githubapi

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/respondhq/respond/internal/plugin"
)

// KeyCacheFile is the client's public-key cache, in the state directory:
// secrets of a repository written before cost one request.
const KeyCacheFile = "github-public-keys.jsonl"

// TokenEnv are the environment variables that may hold a GitHub token
// (respond's own, and gh's): masked in every output and never passed to a
// child process.
var TokenEnv = []string{"GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"}

func init() {
	for _, v := range TokenEnv {
		plugin.DeclareEnv(v, true)
	}
}

// Token returns the GitHub token the environment gives: GITHUB_TOKEN, else
// GH_TOKEN.
func Token(getenv func(string) string) string {
	if t := getenv("GITHUB_TOKEN"); t != "" {
		return t
	}
	return getenv("GH_TOKEN")
}

// Configured reports whether the environment gives a GitHub token.
func Configured(env *plugin.Env) bool { return Token(env.Getenv) != "" }

// ErrNotConfigured is returned by Shared when no token is set.
var ErrNotConfigured = errors.New("GitHub is not configured: export GITHUB_TOKEN (or GH_TOKEN) with a token that can do this (and GITHUB_API_URL for GitHub Enterprise Server)")

// Shared returns the environment's GitHub client, built once (every step
// of a run shares it, and so one rate limiter per token, as GitHub counts
// it): GITHUB_TOKEN or GH_TOKEN, GITHUB_API_URL, and a public-key cache in
// the state directory.
func Shared(env *plugin.Env) (*Client, error) {
	v, err := env.Shared(SharedKey, Build(env))
	if err != nil {
		return nil, err
	}
	c, ok := v.(*Client)
	if !ok {
		return nil, fmt.Errorf("the environment's GitHub client is a %T, not a *githubapi.Client", v)
	}
	return c, nil
}

// SharedKey names the GitHub client among an Env's shared clients; a test
// may Provide its own under it.
const SharedKey = "github"

// Build builds the environment's GitHub client (see Shared).
func Build(env *plugin.Env) func() (any, error) {
	return func() (any, error) {
		tok := Token(env.Getenv)
		if tok == "" {
			return nil, ErrNotConfigured
		}
		cfg := Config{BaseURL: env.Getenv("GITHUB_API_URL"), Token: env.Secret("GITHUB_TOKEN")}
		if cfg.Token.IsZero() {
			cfg.Token = env.Secret("GH_TOKEN")
		}
		if cfg.BaseURL == "" {
			cfg.BaseURL = DefaultBaseURL
		}
		if dir := env.StateDir(); dir != "" {
			cfg.KeyCache = filepath.Join(dir, KeyCacheFile)
		}
		cfg.Warn = env.Warn
		return New(cfg)
	}
}
