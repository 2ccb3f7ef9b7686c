package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// Scenarios whose leaked key is not OpenAI's: a key that a simulated API
// issues (simapi.KeyIssuer: a plug-in's fake, or the GitHub half's tokens),
// deployed as an Actions secret of the organization's repositories and
// redeployed by a workflow, with a secret-scanning alert on it. The
// scenario knows the leaked key's provider only as data (issuedLeak): the
// secret type its issuer answers for, and the inventory's words for it.

// issuedLeak describes the leaked key of such a scenario.
type issuedLeak struct {
	// secretType is the key's GitHub secret-scanning type: the issuer is
	// the service that answers for it (Sim.KeyIssuerFor).
	secretType string
	// provider is respond's name for the key's provider in the inventory;
	// credential the inventory credential's name.
	provider, credential string
	// scopeField is the inventory field that names the key's scope
	// (workspace, account), "" for none.
	scopeField string
	// keyID, when set, is how respond names a key that its API gives no
	// ID (a GitHub token: token_ and 12 hex digits of its fingerprint,
	// internal/providers/githubtoken), for the inventory's key_id.
	keyID func(value string) string
	// secretName is the Actions secret that holds the key.
	secretName string
	// scope, name and attrs are the leaked key's IssueRequest.
	scope, name string
	attrs       map[string]string
	// others are further keys of the same issuer (IssueRequest.Scope and
	// Name), not leaked: what a search by value must not take for it.
	others [][2]string
	// envVar is the variable the leaked key is committed as.
	envVar string
}

var issuedScenarios = []scenario{
	{
		name: "anthropic-key",
		description: "An Anthropic API key (sk-ant-api03-…) of the production workspace was committed to the acme/api repository; " +
			"GitHub opened a secret-scanning alert. The key is live and deployed as the ANTHROPIC_API_KEY Actions secret of " +
			"every repository; a deploy workflow redeploys. Anthropic's API cannot create keys: a person makes the replacement.",
		seed: func(w *world) error {
			return w.seedIssued(issuedLeak{
				secretType: "anthropic_api_key", provider: "anthropic", credential: "anthropic-production", scopeField: "workspace",
				secretName: "ANTHROPIC_API_KEY", scope: "production", name: "prod-backend", envVar: "ANTHROPIC_API_KEY",
				others: [][2]string{{"production", "prod-workers"}, {"research", "notebooks"}},
			})
		},
	},
	{
		name: "github-token",
		description: "A classic personal access token (ghp_…) of the ci-bot user, with the repo and workflow scopes, was committed " +
			"to the acme/api repository; GitHub opened a secret-scanning alert. The token is live and deployed as the " +
			"GH_DEPLOY_TOKEN Actions secret of every repository. GitHub has no API that creates tokens: its owner makes the replacement.",
		seed: func(w *world) error {
			return w.seedIssued(issuedLeak{
				secretType: githubsim.SecretTypePAT, provider: "github-token", credential: "ci-bot-token", scopeField: "account",
				keyID: tokenID, secretName: "GH_DEPLOY_TOKEN", scope: "ci-bot", name: "deploys",
				attrs: map[string]string{"kind": githubsim.TokenClassic, "permissions": "actions"}, envVar: "GH_TOKEN",
				others: [][2]string{{"ci-bot", "release notes"}},
			})
		},
	},
}

func init() { scenarios = append(scenarios, issuedScenarios...) }

// seedIssued seeds a scenario whose leaked key l's issuer makes.
func (w *world) seedIssued(l issuedLeak) error {
	gh, T := w.gh, w.anchor
	if w.issuer == nil {
		return fmt.Errorf("no simulated API issues %s keys", l.secretType)
	}
	ki, ok := w.issuer(l.secretType)
	if !ok {
		return fmt.Errorf("no simulated API issues %s keys: start the simulator with the fake that does", l.secretType)
	}
	created := w.between(T.Add(-days(300)), T.Add(-days(30)))
	leak, err := ki.IssueKey(simapi.IssueRequest{Scope: l.scope, Name: l.name, Created: created, Attrs: l.attrs})
	if err != nil {
		return fmt.Errorf("issue the leaked key: %w", err)
	}
	for _, o := range l.others {
		if _, err := ki.IssueKey(simapi.IssueRequest{Scope: o[0], Name: o[1], Created: w.between(T.Add(-days(300)), T.Add(-days(2))), Attrs: l.attrs}); err != nil {
			return fmt.Errorf("issue another key: %w", err)
		}
	}
	leakedAt := w.between(T.Add(-8*time.Hour), T.Add(-3*time.Hour))
	alertAt := leakedAt.Add(time.Duration(90+w.rng.IntN(480)) * time.Second)
	w.leaked = secret.New(leak.Value)

	if err := gh.AddOrg(orgLogin, 10000000+w.rng.Int64N(80000000)); err != nil {
		return err
	}
	w.token = secret.New("ghp_" + w.str(36, alnum))
	login := "oncall"
	gh.AddToken(w.token.Reveal(), login, githubsim.AllPermissions)
	readonly := "ghp_" + w.str(36, alnum)
	gh.AddToken(readonly, "auditor-readonly", githubsim.Permissions{})

	names := make([]string, max(w.repos, 1))
	for i := range names {
		if i < len(repoNames) {
			names[i] = repoNames[i]
		} else {
			names[i] = fmt.Sprintf("service-%03d", i)
		}
	}
	secretSet := w.between(created, leakedAt.Add(-time.Hour))
	w.secretSet = secretSet
	nextRepoID := 500000000 + w.rng.Int64N(100000000)
	for _, name := range names {
		nextRepoID += 1 + w.rng.Int64N(5000)
		if err := gh.AddRepo(orgLogin, name, nextRepoID, true); err != nil {
			return err
		}
		if err := gh.SetRepoSecret(orgLogin, name, l.secretName, leak.Value, secretSet); err != nil {
			return err
		}
	}
	first := names[0]
	if err := gh.AddWorkflowWith(orgLogin, first, githubsim.Workflow{File: "deploy.yml", ID: 60000000 + w.rng.Int64N(9000000),
		Name: "Deploy", Dispatch: true}); err != nil {
		return err
	}
	line := l.envVar + "=" + leak.Value
	loc := githubsim.Location{Path: ".env.production", StartLine: 3 + w.rng.IntN(6), StartColumn: len(l.envVar) + 2, EndColumn: len(line) + 1,
		BlobSHA: w.hex(40), CommitSHA: w.hex(40)}
	loc.EndLine = loc.StartLine
	number := gh.AddAlert(orgLogin, first, l.secretType, leak.Value, alertAt, []githubsim.Location{loc})
	if number == 0 {
		return fmt.Errorf("adding the secret-scanning alert: repository %s/%s is missing", orgLogin, first)
	}

	full := func(n string) string { return orgLogin + "/" + n }
	i := &w.info
	i.Org = orgLogin
	i.Provider, i.Credential, i.SecretType = l.provider, l.credential, l.secretType
	if l.scopeField != "" {
		i.ScopeField, i.Scope = l.scopeField, leak.Scope
	}
	i.LeakedKeyID, i.LeakedKeyName, i.LeakedKeyRedacted, i.LeakedKeyOwner = leak.ID, leak.Name, w.leaked.Redacted(), "user"
	if l.keyID != nil {
		i.LeakedKeyID = l.keyID(leak.Value)
	}
	i.LeakedFingerprint = w.leaked.Fingerprint()
	i.LeakedAt = rfc3339(leakedAt)
	i.AlertRepo, i.AlertNumber = full(first), number
	i.Alert = fmt.Sprintf("%s#%d", full(first), number)
	i.AlertCreatedAt = rfc3339(alertAt)
	for _, n := range names {
		i.Repos = append(i.Repos, full(n))
	}
	i.SecretName = l.secretName
	i.WorkflowRepo, i.Workflow, i.WorkflowRef = full(first), "deploy.yml", "main"
	i.GitHubLogin = login
	i.ReadOnlyToken, i.ReadOnlyLogin = readonly, "auditor-readonly"
	return nil
}

// issuedInventoryYAML renders the inventory of a scenario whose leaked key
// is not OpenAI's: one credential, the leaked key, named by its ID, with
// its repositories' secrets and the deploy workflow.
func (i ScenarioInfo) issuedInventoryYAML(o InventoryOptions) []byte {
	var b strings.Builder
	b.WriteString(o.Header)
	b.WriteString("credentials:\n")
	fmt.Fprintf(&b, "  - name: %s\n", yamlScalar(i.Credential))
	fmt.Fprintf(&b, "    provider: %s\n", yamlScalar(i.Provider))
	if i.ScopeField != "" && i.Scope != "" {
		fmt.Fprintf(&b, "    %s: %s\n", i.ScopeField, yamlScalar(i.Scope))
	}
	if i.LeakedKeyID != "" {
		fmt.Fprintf(&b, "    key_id: %s\n", yamlScalar(i.LeakedKeyID))
	}
	b.WriteString("    targets:\n")
	repos := i.Repos
	if o.Unlisted {
		repos = append(append([]string{}, repos...), i.UnlistedRepos...)
	}
	for _, r := range repos {
		fmt.Fprintf(&b, "      - github-actions: {repo: %s, secret: %s}\n", yamlScalar(r), yamlScalar(i.SecretName))
	}
	if i.Workflow != "" {
		fmt.Fprintf(&b, "      - github-workflow: {repo: %s, workflow: %s, ref: %s}\n", yamlScalar(i.WorkflowRepo), yamlScalar(i.Workflow), yamlScalar(i.WorkflowRef))
	}
	return []byte(b.String())
}

// tokenID is respond's name for a GitHub token (GitHub's API names tokens
// by no ID): token_ and the first 12 hex digits of its sha256 fingerprint.
func tokenID(value string) string {
	return "token_" + strings.TrimPrefix(secret.Fingerprint(value), "sha256:")[:12]
}
