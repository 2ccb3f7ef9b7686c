package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// DefaultScenario is the scenario Start seeds when Options.Scenario is
// empty.
const DefaultScenario = "leaked-key"

// ScenarioDesc names and describes a scenario.
type ScenarioDesc struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type scenario struct {
	name        string
	description string
	seed        func(w *world) error
}

var scenarios = []scenario{
	{
		name: "leaked-key",
		description: "A user-owned project key (sk-proj-…) of the Production project was committed to the acme/api repository; " +
			"GitHub opened a secret-scanning alert and usage spiked after the leak. The key is live and deployed as " +
			"repository, environment, organization and Dependabot secrets.",
		seed: func(w *world) error { return w.seedLeakedKey(leakUser) },
	},
	{
		name: "provider-disabled",
		description: "As leaked-key, but OpenAI already disabled the leaked key after the alert: it no longer authenticates " +
			"and the Admin API answers 404 for it. Containment must count it as done.",
		seed: func(w *world) error { return w.seedLeakedKey(leakProviderDisabled) },
	},
	{
		name: "service-account-leak",
		description: "As leaked-key, but the leaked key belongs to the Production project's service account (sk-svcacct-…): " +
			"revoking it means deleting the service account, since its key cannot be deleted through the project api_keys endpoint.",
		seed: func(w *world) error { return w.seedLeakedKey(leakServiceAccount) },
	},
	{name: "audit", description: auditDescription, seed: (*world).seedAudit},
}

// ListScenarios returns the scenarios the simulator can seed, default
// first.
func ListScenarios() []ScenarioDesc {
	out := make([]ScenarioDesc, 0, len(scenarios))
	for _, s := range scenarios {
		out = append(out, ScenarioDesc{Name: s.name, Description: s.description})
	}
	return out
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	return names
}

// ScenarioInfo describes a seeded world: what a drill, a test or a human
// needs to find the leak. It carries no OpenAI key values (see
// Sim.LeakedKeyValue); the read-only GitHub token is included because
// preflight tests need it.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Seed        int64  `json:"seed"`
	// Anchor is the scenario's "now" (RFC 3339): seeded times are before
	// it.
	Anchor string `json:"anchor"`

	// Org is the GitHub organization, e.g. "acme".
	Org string `json:"org"`
	// ProjectID and ProjectName are the OpenAI project of the leaked key.
	ProjectID   string `json:"project_id"`
	ProjectName string `json:"project_name"`
	// LeakedKeyID, LeakedKeyName and LeakedKeyRedacted identify the leaked
	// key; LeakedKeyOwner is "user" or "service_account".
	LeakedKeyID       string `json:"leaked_key_id"`
	LeakedKeyName     string `json:"leaked_key_name"`
	LeakedKeyRedacted string `json:"leaked_key_redacted"`
	LeakedKeyOwner    string `json:"leaked_key_owner"`
	// ServiceAccountID is the leaked key's service account, if it has one.
	ServiceAccountID string `json:"service_account_id,omitempty"`
	// LeakedAt is the commit time of the first location of the leak.
	LeakedAt string `json:"leaked_at"`
	// ProviderRevokedAt is when OpenAI disabled the key (provider-disabled
	// scenario only).
	ProviderRevokedAt string `json:"provider_revoked_at,omitempty"`

	// Alert is the secret-scanning alert as OWNER/REPO#N (respond
	// leaked-key --alert); AlertRepo and AlertNumber are its parts.
	Alert          string `json:"alert"`
	AlertRepo      string `json:"alert_repo"`
	AlertNumber    int    `json:"alert_number"`
	AlertCreatedAt string `json:"alert_created_at"`

	// Repos are the repositories (OWNER/NAME) whose Actions secret
	// SecretName holds the leaked key.
	Repos      []string `json:"repos"`
	SecretName string   `json:"secret_name"`
	// EnvironmentRepo/Environment hold the key as an environment secret.
	EnvironmentRepo string `json:"environment_repo"`
	Environment     string `json:"environment"`
	// DependabotRepo holds the key as a Dependabot secret.
	DependabotRepo string `json:"dependabot_repo"`
	// OrgSecretRepos are the repository names selected for the
	// organization secret SecretName (visibility "selected").
	OrgSecretRepos []string `json:"org_secret_repos"`
	// WorkflowRepo/Workflow/WorkflowRef is the deploy workflow to dispatch.
	WorkflowRepo string `json:"workflow_repo"`
	Workflow     string `json:"workflow"`
	WorkflowRef  string `json:"workflow_ref"`
	// DecoyRepos hold a secret of the same name with a different key;
	// they are not targets.
	DecoyRepos []string `json:"decoy_repos"`
	// UnlistedRepos hold the leaked key in their Actions secret
	// SecretName, but the scenario's inventory does not list them
	// (Options.UnlistedRepos).
	UnlistedRepos []string `json:"unlisted_repos,omitempty"`

	// GitHubLogin is the user of GITHUB_TOKEN (every permission).
	GitHubLogin string `json:"github_login"`
	// ReadOnlyToken is a GitHub token that can read but not write secrets,
	// read alerts or dispatch workflows (for preflight tests);
	// ReadOnlyLogin is its user.
	ReadOnlyToken string `json:"readonly_token"`
	ReadOnlyLogin string `json:"readonly_login"`

	// Plants are the problems the audit scenario planted (see Plant).
	Plants []Plant `json:"plants,omitempty"`
	// For a scenario whose leaked key is not OpenAI's (anthropic-key,
	// github-token): Provider is the key's provider as an inventory names
	// it, Credential the inventory credential, SecretType the alert's
	// secret type; ScopeField and Scope the inventory field that names the
	// key's scope and its value; LeakedFingerprint the fingerprint of the
	// leaked value. Empty for OpenAI's scenarios.
	Provider          string `json:"provider,omitempty"`
	Credential        string `json:"credential,omitempty"`
	SecretType        string `json:"secret_type,omitempty"`
	ScopeField        string `json:"scope_field,omitempty"`
	Scope             string `json:"scope,omitempty"`
	LeakedFingerprint string `json:"leaked_fingerprint,omitempty"`
}

func (i ScenarioInfo) clone() ScenarioInfo {
	i.Repos = slices.Clone(i.Repos)
	i.OrgSecretRepos = slices.Clone(i.OrgSecretRepos)
	i.DecoyRepos = slices.Clone(i.DecoyRepos)
	i.UnlistedRepos = slices.Clone(i.UnlistedRepos)
	i.Plants = slices.Clone(i.Plants)
	return i
}

// world is the seeding context of one scenario run.
type world struct {
	rng    *rand.Rand
	anchor time.Time
	repos  int
	oa     *openaisim.Server
	gh     *githubsim.Server

	info ScenarioInfo
	// inventory, when set, is the scenario's own inventory (the audit
	// scenario's several credentials) instead of inventoryYAML's.
	inventory string
	leaked    secret.Value
	adminKey  secret.Value
	token     secret.Value
	// issuer finds the simulated API that issues keys of a secret type
	// (Sim.KeyIssuerFor), for scenarios whose leaked key is not OpenAI's.
	issuer func(secretType string) (simapi.KeyIssuer, bool)

	// secretSet is when the secrets holding the leaked key were set.
	secretSet time.Time
}

type leakKind int

const (
	leakUser leakKind = iota
	leakProviderDisabled
	leakServiceAccount
)

type person struct{ name, login string }

// people are fictional members of the acme organization.
var people = []person{
	{"Maya Chen", "maya"}, {"Tom Okafor", "tom"}, {"Priya Raman", "priya"}, {"Lukas Becker", "lukas"},
	{"Sofia Alvarez", "sofia"}, {"Jonas Berg", "jonas"}, {"Amara Nwosu", "amara"}, {"Dan Kowalski", "dan"},
}

var repoNames = []string{"api", "web", "worker", "billing", "ingest", "notifier", "search", "admin-console", "mobile-backend", "analytics"}

var otherProjects = []string{"Staging", "Data Science", "Internal Tools", "Research"}

const (
	orgLogin   = "acme"
	secretName = "OPENAI_API_KEY"
	mailDomain = "acme.example"
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

func (w *world) str(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[w.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (w *world) hex(n int) string { return w.str(n, "0123456789abcdef") }

// between returns a time uniformly in [from, to) at second granularity.
func (w *world) between(from, to time.Time) time.Time {
	span := int64(to.Sub(from) / time.Second)
	if span <= 0 {
		return from
	}
	return from.Add(time.Duration(w.rng.Int64N(span)) * time.Second)
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// usageProfile drives the hourly usage history of one key.
type usageProfile struct {
	projectID, keyID string
	models           []string
	perHour          int       // typical requests in a busy hour
	spikeFrom        time.Time // zero: no spike
	stopAt           time.Time // zero: until the anchor
}

// seedLeakedKey seeds the acme world around one leaked key.
func (w *world) seedLeakedKey(kind leakKind) error {
	oa, gh, T := w.oa, w.gh, w.anchor

	// People: a shuffled subset, the first one owns the organization.
	team := slices.Clone(people)
	w.rng.Shuffle(len(team), func(i, j int) { team[i], team[j] = team[j], team[i] })
	team = team[:4+w.rng.IntN(3)]
	userIDs := make([]string, len(team))
	for i, p := range team {
		role := "member"
		if i == 0 {
			role = "owner"
		}
		userIDs[i] = "user-" + w.str(24, alnum)
		// Everyone joined before the projects (and so their keys) exist.
		joined := w.between(T.Add(-days(720)), T.Add(-days(545)))
		if err := oa.AddUserAt(userIDs[i], p.name, p.login+"@"+mailDomain, role, joined); err != nil {
			return err
		}
	}

	// Projects: Production plus one or two others.
	prodCreated := w.between(T.Add(-days(540)), T.Add(-days(300)))
	prodID, err := oa.AddProject("", "Production", prodCreated)
	if err != nil {
		return err
	}
	others := slices.Clone(otherProjects)
	w.rng.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	others = others[:1+w.rng.IntN(2)]
	otherIDs := make([]string, len(others))
	for i, name := range others {
		if otherIDs[i], err = oa.AddProject("", name, w.between(prodCreated, T.Add(-days(60)))); err != nil {
			return err
		}
	}

	admin, err := oa.AddAdminKey("respond-oncall", w.between(T.Add(-days(90)), T.Add(-days(7))))
	if err != nil {
		return err
	}
	w.adminKey = admin.Value

	// The leak: committed a few hours before the anchor, detected minutes
	// later.
	leakedAt := w.between(T.Add(-8*time.Hour), T.Add(-3*time.Hour))
	alertAt := leakedAt.Add(time.Duration(90+w.rng.IntN(480)) * time.Second)

	var profiles []usageProfile
	chat := []string{"gpt-4o-mini", "gpt-4.1-mini"}

	// Production keys: the backend key (user-owned), a developer key, a
	// service account for the workers.
	leakOwner := w.rng.IntN(len(team))
	backend, err := oa.AddUserKey(prodID, "prod-backend", userIDs[leakOwner], w.between(prodCreated, T.Add(-days(45))), nil)
	if err != nil {
		return err
	}
	dev, err := oa.AddUserKey(prodID, team[(leakOwner+1)%len(team)].login+"-laptop", userIDs[(leakOwner+1)%len(team)], w.between(prodCreated, T.Add(-days(20))), nil)
	if err != nil {
		return err
	}
	sa, saKey, err := oa.AddServiceAccount(prodID, "backend-workers", w.between(prodCreated, T.Add(-days(30))))
	if err != nil {
		return err
	}
	profiles = append(profiles,
		usageProfile{projectID: prodID, keyID: backend.ID, models: chat, perHour: 120 + w.rng.IntN(120)},
		usageProfile{projectID: prodID, keyID: dev.ID, models: []string{"gpt-4.1"}, perHour: 4 + w.rng.IntN(6)},
		usageProfile{projectID: prodID, keyID: saKey.ID, models: []string{"gpt-4o-mini"}, perHour: 40 + w.rng.IntN(60)},
	)

	// Other projects: a user key each, the first also a service account.
	var stagingValue secret.Value
	for i, pid := range otherIDs {
		owner := w.rng.IntN(len(team))
		k, err := oa.AddUserKey(pid, strings.ToLower(strings.ReplaceAll(others[i], " ", "-"))+"-key", userIDs[owner], w.between(prodCreated, T.Add(-days(10))), nil)
		if err != nil {
			return err
		}
		if i == 0 {
			stagingValue = k.Value
			_, sk, err := oa.AddServiceAccount(pid, "ci-"+strings.ToLower(strings.ReplaceAll(others[i], " ", "-")), w.between(prodCreated, T.Add(-days(10))))
			if err != nil {
				return err
			}
			profiles = append(profiles, usageProfile{projectID: pid, keyID: sk.ID, models: chat, perHour: 5 + w.rng.IntN(10)})
		}
		profiles = append(profiles, usageProfile{projectID: pid, keyID: k.ID, models: chat, perHour: 2 + w.rng.IntN(8)})
	}
	// An old, unused key: last used long ago.
	old := w.between(prodCreated, T.Add(-days(120)))
	oldUsed := w.between(old, T.Add(-days(60)))
	if _, err := oa.AddUserKey(prodID, "notebook-experiments", userIDs[len(userIDs)-1], old, &oldUsed); err != nil {
		return err
	}

	leak := backend
	w.info.LeakedKeyOwner = "user"
	if kind == leakServiceAccount {
		leak = saKey
		w.info.LeakedKeyOwner = "service_account"
		w.info.ServiceAccountID = sa.ID
	}
	// The leaked key is abused after the leak: a spike with a bigger
	// model.
	for i := range profiles {
		if profiles[i].keyID == leak.ID {
			profiles[i].spikeFrom = leakedAt
			profiles[i].models = append(profiles[i].models, "gpt-4o")
		}
	}
	var revokedAt time.Time
	if kind == leakProviderDisabled {
		revokedAt = alertAt.Add(time.Duration(20+w.rng.IntN(40)) * time.Minute)
		for i := range profiles {
			if profiles[i].keyID == leak.ID {
				profiles[i].stopAt = revokedAt
			}
		}
	}
	for _, p := range profiles {
		if err := w.addUsage(p); err != nil {
			return err
		}
	}
	if kind == leakProviderDisabled {
		if err := oa.RevokeKeyAt(leak.ID, revokedAt); err != nil {
			return err
		}
		w.info.ProviderRevokedAt = rfc3339(revokedAt)
	}
	w.leaked = leak.Value

	// GitHub: the organization, its repositories and secrets.
	if err := gh.AddOrg(orgLogin, 10000000+w.rng.Int64N(80000000)); err != nil {
		return err
	}
	w.token = secret.New("ghp_" + w.str(36, alnum))
	login := team[0].login + "-oncall"
	gh.AddToken(w.token.Reveal(), login, githubsim.AllPermissions)
	readonly := "ghp_" + w.str(36, alnum)
	gh.AddToken(readonly, team[len(team)-1].login+"-readonly", githubsim.Permissions{})

	names := make([]string, w.repos)
	for i := range names {
		if i < len(repoNames) {
			names[i] = repoNames[i]
		} else {
			names[i] = fmt.Sprintf("service-%03d", i)
		}
	}
	repoIDs := map[string]int64{}
	nextRepoID := 500000000 + w.rng.Int64N(100000000)
	secretSet := w.between(leak.Created, leakedAt.Add(-time.Hour))
	w.secretSet = secretSet
	for _, name := range names {
		nextRepoID += 1 + w.rng.Int64N(5000)
		repoIDs[name] = nextRepoID
		if err := gh.AddRepo(orgLogin, name, nextRepoID, true); err != nil {
			return err
		}
		if err := gh.SetRepoSecret(orgLogin, name, secretName, leak.Value.Reveal(), secretSet); err != nil {
			return err
		}
		dsn := fmt.Sprintf("https://%s@o%d.ingest.sentry.io/%d", w.hex(32), 100000+w.rng.IntN(900000), 1000000+w.rng.IntN(9000000))
		if err := gh.SetRepoSecret(orgLogin, name, "SENTRY_DSN", dsn, w.between(T.Add(-days(300)), T.Add(-days(30)))); err != nil {
			return err
		}
	}
	// A decoy: a repository whose OPENAI_API_KEY is another project's key.
	decoy := "marketing-site"
	if stagingValue.IsZero() {
		stagingValue = dev.Value
	}
	nextRepoID += 1 + w.rng.Int64N(5000)
	if err := gh.AddRepo(orgLogin, decoy, nextRepoID, false); err != nil {
		return err
	}
	if err := gh.SetRepoSecret(orgLogin, decoy, secretName, stagingValue.Reveal(), w.between(T.Add(-days(200)), T.Add(-days(5)))); err != nil {
		return err
	}

	first := names[0]
	if err := gh.AddEnvironment(orgLogin, first, "production"); err != nil {
		return err
	}
	if err := gh.AddEnvironment(orgLogin, first, "staging"); err != nil {
		return err
	}
	if err := gh.SetEnvSecret(orgLogin, first, "production", secretName, leak.Value.Reveal(), secretSet); err != nil {
		return err
	}
	if err := gh.SetEnvSecret(orgLogin, first, "staging", secretName, stagingValue.Reveal(), secretSet); err != nil {
		return err
	}
	if err := gh.SetDependabotSecret(orgLogin, first, secretName, leak.Value.Reveal(), secretSet); err != nil {
		return err
	}
	selected := names[1:min(3, len(names))]
	if len(selected) == 0 {
		selected = names[:1]
	}
	var selectedIDs []int64
	for _, n := range selected {
		selectedIDs = append(selectedIDs, repoIDs[n])
	}
	if err := gh.SetOrgSecret(orgLogin, secretName, leak.Value.Reveal(), "selected", selectedIDs, secretSet); err != nil {
		return err
	}
	// deploy.yml redeploys on workflow_dispatch (the inventory's
	// github-workflow target), in the production environment; ci.yml runs
	// on pushes only, so dispatching it is refused as on GitHub.
	if err := gh.AddWorkflowWith(orgLogin, first, githubsim.Workflow{File: "deploy.yml", ID: 60000000 + w.rng.Int64N(9000000),
		Name: "Deploy", Dispatch: true, Environment: "production",
		Inputs: []githubsim.WorkflowInput{{Name: "reason", Description: "Why this deployment runs", Default: "redeploy"}}}); err != nil {
		return err
	}
	if err := gh.AddWorkflowWith(orgLogin, first, githubsim.Workflow{File: "ci.yml", ID: 60000000 + w.rng.Int64N(9000000), Name: "CI"}); err != nil {
		return err
	}

	// The alert, with one or two commit locations pushed at the leak.
	line := fmt.Sprintf("OPENAI_API_KEY=%s", leak.Value.Reveal())
	locs := []githubsim.Location{{
		Path: ".env.production", StartLine: 3 + w.rng.IntN(6), StartColumn: 16, EndColumn: len(line) + 1,
		BlobSHA: w.hex(40), CommitSHA: w.hex(40),
	}}
	locs[0].EndLine = locs[0].StartLine
	if w.rng.IntN(2) == 0 {
		l := githubsim.Location{
			Path: "scripts/smoke_test.py", StartLine: 10 + w.rng.IntN(20), StartColumn: 19,
			EndColumn: 19 + leak.Value.Len(), BlobSHA: w.hex(40), CommitSHA: locs[0].CommitSHA,
		}
		l.EndLine = l.StartLine
		locs = append(locs, l)
	}
	number := gh.AddAlert(orgLogin, first, "openai_api_key", leak.Value.Reveal(), alertAt, locs)
	if number == 0 {
		return fmt.Errorf("adding the secret-scanning alert: repository %s/%s is missing", orgLogin, first)
	}

	full := func(n string) string { return orgLogin + "/" + n }
	i := &w.info
	i.Org = orgLogin
	i.ProjectID = prodID
	i.ProjectName = "Production"
	i.LeakedKeyID = leak.ID
	i.LeakedKeyName = leak.Name
	i.LeakedKeyRedacted = leak.Redacted
	i.LeakedAt = rfc3339(leakedAt)
	i.AlertRepo = full(first)
	i.AlertNumber = number
	i.Alert = fmt.Sprintf("%s#%d", full(first), number)
	i.AlertCreatedAt = rfc3339(alertAt)
	for _, n := range names {
		i.Repos = append(i.Repos, full(n))
	}
	i.SecretName = secretName
	i.EnvironmentRepo, i.Environment = full(first), "production"
	i.DependabotRepo = full(first)
	i.OrgSecretRepos = slices.Clone(selected)
	i.WorkflowRepo, i.Workflow, i.WorkflowRef = full(first), "deploy.yml", "main"
	i.DecoyRepos = []string{full(decoy)}
	i.GitHubLogin = login
	i.ReadOnlyToken = readonly
	i.ReadOnlyLogin = team[len(team)-1].login + "-readonly"
	return nil
}

// seedUnlisted adds repositories whose Actions secret holds the leaked
// key, like the listed ones, without listing them in the inventory.
func (w *world) seedUnlisted(names []string) error {
	if len(names) == 0 {
		return nil
	}
	if w.leaked.IsZero() || w.info.Org == "" {
		return fmt.Errorf("scenario %q has no leaked key to hold in unlisted repositories", w.info.Name)
	}
	set := w.secretSet // as old as the listed ones: a clue in the secret listings
	for _, n := range names {
		full := w.info.Org + "/" + n
		if slices.Contains(w.info.Repos, full) || slices.Contains(w.info.DecoyRepos, full) || slices.Contains(w.info.UnlistedRepos, full) {
			return fmt.Errorf("unlisted repository %s already exists in the scenario; choose another name", full)
		}
		if err := w.gh.AddRepo(w.info.Org, n, 700000000+w.rng.Int64N(100000000), true); err != nil {
			return err
		}
		if err := w.gh.SetRepoSecret(w.info.Org, n, w.info.SecretName, w.leaked.Reveal(), set); err != nil {
			return err
		}
		w.info.UnlistedRepos = append(w.info.UnlistedRepos, full)
	}
	return nil
}

// usageDays is how much hourly usage history a scenario has.
const usageDays = 3

// addUsage seeds hourly completions usage for one key: a daily rhythm, a
// spike from spikeFrom, nothing after stopAt.
func (w *world) addUsage(p usageProfile) error {
	end := w.anchor
	if !p.stopAt.IsZero() && p.stopAt.Before(end) {
		end = p.stopAt
	}
	for h := w.anchor.Add(-days(usageDays)).Truncate(time.Hour); h.Before(end); h = h.Add(time.Hour) {
		// Busy in working hours (UTC 8-20), quiet at night.
		rate := float64(p.perHour)
		if hr := h.Hour(); hr < 8 || hr >= 20 {
			rate *= 0.15
		}
		spiking := !p.spikeFrom.IsZero() && !h.Add(time.Hour).Before(p.spikeFrom)
		if spiking {
			rate = rate*12 + 300
		}
		n := int(rate * (0.6 + 0.8*w.rng.Float64()))
		if n == 0 {
			continue
		}
		model := p.models[w.rng.IntN(len(p.models))]
		if spiking {
			model = p.models[len(p.models)-1]
		}
		at := h.Add(time.Duration(w.rng.IntN(3600)) * time.Second)
		if at.After(end) || at.Equal(end) {
			at = end.Add(-time.Second)
		}
		if spiking && at.Before(p.spikeFrom) {
			at = p.spikeFrom
		}
		in := n * (200 + w.rng.IntN(1200))
		out := n * (50 + w.rng.IntN(400))
		if err := w.oa.AddUsage(p.projectID, p.keyID, model, at, n, in, out); err != nil {
			return err
		}
	}
	return nil
}

// inventoryYAML renders the scenario's inventory (PRODUCT.md §5): one
// credential, the leaked key, and every place that holds it.
func (i ScenarioInfo) inventoryYAML(full bool) []byte {
	header := fmt.Sprintf("# respond inventory for the simulator scenario %q (seed %d).\n# Every target below holds the leaked key %s (%s).\n",
		i.Name, i.Seed, firstOf(i.LeakedKeyID, i.LeakedKeyRedacted), i.LeakedKeyName)
	return i.InventoryYAML(InventoryOptions{Header: header, Unlisted: full})
}

// InventoryOptions shape InventoryYAML.
type InventoryOptions struct {
	// Header is the comment lines at the top (each starting with #).
	Header string
	// Unlisted lists the repositories the scenario's inventory forgets
	// too (UnlistedRepos).
	Unlisted bool
	// ByName names the key by its name in its project (key_name), as a
	// team that keeps its inventory by hand would, rather than by its ID.
	ByName bool
}

// InventoryYAML renders an inventory of the scenario (PRODUCT.md §5):
// one credential, the leaked key, with the places that hold it.
func (i ScenarioInfo) InventoryYAML(o InventoryOptions) []byte {
	if i.Provider != "" {
		return i.issuedInventoryYAML(o)
	}
	var b strings.Builder
	b.WriteString(o.Header)
	repos := i.Repos
	if o.Unlisted {
		repos = append(slices.Clone(repos), i.UnlistedRepos...)
	}
	b.WriteString("credentials:\n")
	fmt.Fprintf(&b, "  - name: openai-%s\n", yamlScalar(strings.ToLower(i.ProjectName)))
	b.WriteString("    provider: openai\n")
	fmt.Fprintf(&b, "    project: %s\n", yamlScalar(i.ProjectID))
	if o.ByName && i.LeakedKeyName != "" {
		fmt.Fprintf(&b, "    key_name: %s\n", yamlScalar(i.LeakedKeyName))
	} else {
		fmt.Fprintf(&b, "    key_id: %s\n", yamlScalar(i.LeakedKeyID))
	}
	b.WriteString("    targets:\n")
	for _, r := range repos {
		fmt.Fprintf(&b, "      - github-actions: {repo: %s, secret: %s}\n", yamlScalar(r), yamlScalar(i.SecretName))
	}
	if i.Environment != "" {
		fmt.Fprintf(&b, "      - github-actions: {repo: %s, environment: %s, secret: %s}\n", yamlScalar(i.EnvironmentRepo), yamlScalar(i.Environment), yamlScalar(i.SecretName))
	}
	if len(i.OrgSecretRepos) > 0 {
		repos := make([]string, len(i.OrgSecretRepos))
		for k, r := range i.OrgSecretRepos {
			repos[k] = yamlScalar(r)
		}
		fmt.Fprintf(&b, "      - github-actions: {org: %s, secret: %s, visibility: selected, repos: [%s]}\n", yamlScalar(i.Org), yamlScalar(i.SecretName), strings.Join(repos, ", "))
	}
	if i.DependabotRepo != "" {
		fmt.Fprintf(&b, "      - github-dependabot: {repo: %s, secret: %s}\n", yamlScalar(i.DependabotRepo), yamlScalar(i.SecretName))
	}
	if i.Workflow != "" {
		fmt.Fprintf(&b, "      - github-workflow: {repo: %s, workflow: %s, ref: %s}\n", yamlScalar(i.WorkflowRepo), yamlScalar(i.Workflow), yamlScalar(i.WorkflowRef))
	}
	return []byte(b.String())
}

// yamlScalar returns s as a YAML flow scalar: plain when that is
// unambiguous, double-quoted otherwise.
func yamlScalar(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '/') {
			plain = false
			break
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "~":
		plain = false
	}
	if plain && (s[0] >= '0' && s[0] <= '9' || s[0] == '-' || s[0] == '.') {
		plain = false
	}
	if plain {
		return s
	}
	return fmt.Sprintf("%q", s)
}

// firstOf is the first non-empty string.
func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
