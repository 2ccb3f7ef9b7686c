// Package githubtoken is respond's provider of GitHub tokens: personal
// access tokens (classic ghp_, fine-grained github_pat_), OAuth app tokens
// (gho_) and GitHub App user tokens (ghu_), found by a secret-scanning alert
// or pasted. GET /user with the token says whose it is (before it is
// revoked) and whether it works; POST /credentials/revoke, sent without
// any token, revokes it for good and GitHub tells its owner. There is no
// API to create a token: the owner makes the replacement and pastes it,
// and respond checks that it works and is the same owner's. Its client is
// go-github v60 (client.go); its fake is the simulator's GitHub half
// (internal/sim/githubsim: /user, /credentials/revoke, and tokens as a
// simapi.KeyIssuer). docs/providers/github-token.md is its page.
package githubtoken

import (
	"errors"
	"regexp"
	"strings"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Name is the provider's name in inventories and playbooks.
const Name = "github-token"

// GitHub secret-scanning types of the tokens it contains. GitHub App
// user tokens (ghu_) have no type of their own: they are reported as OAuth
// access tokens. Refresh tokens (ghr_) are recognised and refused (see
// paste).
const (
	SecretTypePAT     = "github_personal_access_token"
	SecretTypeOAuth   = "github_oauth_access_token"
	SecretTypeRefresh = "github_refresh_token"
)

// Token kinds, by prefix.
const (
	KindClassic     = "classic"
	KindFineGrained = "fine-grained"
	KindOAuth       = "oauth"
	KindAppUser     = "app-user"
)

var (
	classicRe     = regexp.MustCompile(`^ghp_[A-Za-z0-9]{30,}$`)
	fineGrainedRe = regexp.MustCompile(`^github_pat_[A-Za-z0-9_]{40,}$`)
	oauthRe       = regexp.MustCompile(`^gho_[A-Za-z0-9]{30,}$`)
	appUserRe     = regexp.MustCompile(`^ghu_[A-Za-z0-9]{30,}$`)
	refreshRe     = regexp.MustCompile(`^ghr_[A-Za-z0-9]{30,}$`)
	installRe     = regexp.MustCompile(`^ghs_[A-Za-z0-9_]{30,}$`)
	// tokenLike finds GitHub tokens in messages, to redact them.
	tokenLike = regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,})`)
	// loginRe is a GitHub login.
	loginRe = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
)

// kindOf is a token's kind by its prefix ("" for none of those contained).
func kindOf(v string) string {
	switch {
	case classicRe.MatchString(v):
		return KindClassic
	case fineGrainedRe.MatchString(v):
		return KindFineGrained
	case oauthRe.MatchString(v):
		return KindOAuth
	case appUserRe.MatchString(v):
		return KindAppUser
	}
	return ""
}

// kindName names a kind for people.
func kindName(kind string) string {
	switch kind {
	case KindClassic:
		return "personal access token (classic)"
	case KindFineGrained:
		return "fine-grained personal access token"
	case KindOAuth:
		return "OAuth app token"
	case KindAppUser:
		return "GitHub App user token"
	}
	return "token"
}

func init() { provider.Register(Spec()) }

// Spec is what the GitHub token provider declares.
func Spec() provider.Spec {
	return provider.Spec{
		Name:    Name,
		Title:   "GitHub",
		KeyNoun: "token",
		Summary: "personal access tokens (ghp_, github_pat_), OAuth and GitHub App user tokens (gho_, ghu_); the owner makes the replacement",
		Scope: provider.ScopeSpec{
			Kind: "account", Field: "account", Example: "octocat",
			Check: func(v string) error {
				if !loginRe.MatchString(v) {
					return errors.New("give the GitHub login of the token's owner, e.g. octocat")
				}
				return nil
			},
		},
		// A token has no ID a person gives: respond names it by its
		// fingerprint (idOf).
		KeyID:      provider.IDSpec{Shape: "token_ and 12 hex digits of the token's fingerprint"},
		Parts:      []provider.Part{{Name: "key", Secret: true, Doc: "the token (ghp_…, github_pat_…, gho_…, ghu_…)"}},
		Paste:      paste,
		AlertTypes: []string{SecretTypePAT, SecretTypeOAuth, SecretTypeRefresh},
		Env: []provider.EnvVar{
			{Name: EnvAPIURL, Doc: "the GitHub API's base URL (default https://api.github.com; https://HOST/api/v3 for GitHub Enterprise Server; the simulator's for drills)"},
		},
		// Revoking a token needs no credential: POST /credentials/revoke
		// is called without one, and GET /user with the token itself.
		Configured: func(func(string) string) bool { return true },
		Caps: provider.Capabilities{
			Replace: provider.ByPerson, Contain: provider.Delete, VerifyByAPI: true, Unlisted: true,
		},
		Verify: provider.VerifySpec{Method: "GET /user", Dead: "401 Bad credentials", Live: "200"},
		Advice: Advice,
		Docs:   "docs/providers/github-token.md",
		// Its fake is the simulator's GitHub half (githubsim.TokenIssuer).
		New: func(env *plugin.Env) provider.Provider { return newAdapter(env) },
	}
}

// Advice is GitHub's guidance for the report.
var Advice = evidence.Advice{
	Console: "in the owner's GitHub settings (Settings → Developer settings → Personal access tokens; Applications for OAuth and GitHub App tokens)",
	Review: "Review the owner's security log (Settings → Security log) and, for tokens with organization access, the organizations' " +
		"audit logs for the exposure window: what the token read, pushed or changed.",
	AllowList: "An organization can require approval of fine-grained tokens and restrict classic ones (Settings → Personal access tokens), " +
		"and an IP allow list makes a leaked token useless from elsewhere.",
}

// paste recognizes a pasted GitHub token, alone or as one line of a .env
// file or shell. A refresh token or an app installation token is GitHub's,
// but not one respond contains: it is refused with what to do.
func paste(raw string) (provider.Pasted, bool, error) {
	s, ok := provider.PastedValue(raw)
	if !ok {
		return provider.Pasted{}, false, nil
	}
	switch {
	case kindOf(s) != "":
		return provider.Pasted{Credential: secret.NewCredential(Name, secret.SecretPart("key", secret.New(s)))}, true, nil
	case refreshRe.MatchString(s):
		return provider.Pasted{}, true, errRefresh()
	case installRe.MatchString(s):
		return provider.Pasted{}, true, step.BadInputf("this is a GitHub App installation token (ghs_…): it expires within an hour of " +
			"its creation; revoke it at once with DELETE /installation/token authenticated by the token itself, and rotate the " +
			"app's private key if that leaked too")
	case (strings.HasPrefix(s, "gh") || strings.HasPrefix(s, "github_pat_")) && strings.ContainsAny(s, " \t"):
		return provider.Pasted{}, true, step.BadInputf("the token holds spaces or tabs, which a GitHub token never does (was it wrapped when copied?); give it as one unbroken string")
	}
	return provider.Pasted{}, false, nil
}

// errRefresh says what to do with a GitHub App refresh token.
func errRefresh() error {
	return step.BadInputf("this is a GitHub App refresh token (ghr_…): it does not authenticate, so respond cannot find its owner " +
		"or check it; revoke it with POST /credentials/revoke (it takes refresh tokens), and have the owner sign in to the app again")
}
