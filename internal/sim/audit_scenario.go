package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/openaisim"
)

// Plant is one problem the audit scenario planted: `respond audit` must
// report a finding of Check whose subject or title holds Match, and every
// finding it reports must be one of the plants (zero false positives).
type Plant struct {
	Check string `json:"check"`
	Match string `json:"match"`
	// What says what was planted, for people.
	What string `json:"what"`
}

const auditDescription = "An organization whose key handling has one planted instance of every check of `respond audit` " +
	"among clean credentials: a user-owned production key, an old key, an unused one, one in use that no credential names " +
	"(also held by a repository the inventory forgot and leaked in an open alert), a credential whose key is gone, a target " +
	"whose repository does not exist, a key in many repositories, a usage spike, old and many admin keys, a project without " +
	"spend controls, push protection off and an organization secret visible to all. ScenarioInfo.Plants lists them; " +
	"the inventory names the clean credentials and the planted ones."

// seedAudit seeds the audit scenario. Every clean key is a service
// account's, younger than its rotation, used in the last hours, in a
// project with spend controls, deployed where the inventory says.
func (w *world) seedAudit() error {
	oa, gh, T := w.oa, w.gh, w.anchor
	var plants []Plant
	plant := func(check, match, what string) {
		plants = append(plants, Plant{Check: check, Match: match, What: what})
	}

	owner := "user-" + w.str(24, alnum)
	if err := oa.AddUserAt(owner, "Maya Chen", "maya@"+mailDomain, "owner", T.Add(-days(700))); err != nil {
		return err
	}
	dev := "user-" + w.str(24, alnum)
	if err := oa.AddUserAt(dev, "Tom Okafor", "tom@"+mailDomain, "member", T.Add(-days(650))); err != nil {
		return err
	}
	prod, err := oa.AddProject("", "Production", T.Add(-days(500)))
	if err != nil {
		return err
	}
	staging, err := oa.AddProject("", "Staging", T.Add(-days(400)))
	if err != nil {
		return err
	}
	sandbox, err := oa.AddProject("", "Sandbox", T.Add(-days(300)))
	if err != nil {
		return err
	}
	for _, p := range []string{prod, staging} {
		if err := oa.SetSpendLimit(p, 500000); err != nil {
			return err
		}
		if _, err := oa.AddSpendAlert(p, 250000, "oncall@"+mailDomain); err != nil {
			return err
		}
	}
	plant("openai.no-spend-controls", sandbox, "project Sandbox has neither a spend limit nor an alert")

	admin, err := oa.AddAdminKey("respond-audit", T.Add(-days(10)))
	if err != nil {
		return err
	}
	w.adminKey = admin.Value
	if _, err := oa.AddAdminKey("ci-admin", T.Add(-days(20))); err != nil {
		return err
	}
	legacyAdmin, err := oa.AddAdminKey("legacy-admin", T.Add(-days(400)))
	if err != nil {
		return err
	}
	plant("openai.admin-key-old", legacyAdmin.ID, "admin key legacy-admin is 400 days old")
	plant("openai.admin-keys-many", "admin keys", "the organization has 3 admin keys")

	chat := []string{"gpt-4o-mini"}
	usage := func(project, key string, perHour int, spike bool) error {
		p := usageProfile{projectID: project, keyID: key, models: chat, perHour: perHour}
		if spike {
			p.spikeFrom = T.Add(-20 * time.Hour)
			p.models = append(p.models, "gpt-4o")
		}
		return w.addUsage(p)
	}
	sa := func(project, name string, age int) (openaisim.Key, error) {
		_, k, err := oa.AddServiceAccount(project, name, T.Add(-days(age)))
		return k, err
	}

	// Clean: the API's key, the staging CI's, the web key's (many places).
	api, err := sa(prod, "api", 20)
	if err != nil {
		return err
	}
	stagingCI, err := sa(staging, "staging-ci", 30)
	if err != nil {
		return err
	}
	web, err := sa(prod, "web", 15)
	if err != nil {
		return err
	}
	// Planted: a person's key deployed to a service; a key older than its
	// credential's 180 days; a key whose use spikes; an unused key; a
	// key in use that no credential names.
	worker, err := oa.AddUserKey(prod, "prod-worker", dev, T.Add(-days(40)), nil)
	if err != nil {
		return err
	}
	plant("openai.user-owned-key", worker.ID, "credential openai-worker deploys Tom's own key")
	batch, err := sa(prod, "batch", 200)
	if err != nil {
		return err
	}
	plant("key.older-than-rotation", batch.ID, "credential openai-batch's key is 200 days old, rotate_every 180d")
	reports, err := sa(prod, "reports", 25)
	if err != nil {
		return err
	}
	plant("openai.usage-spike", reports.ID, "credential openai-reports' key made 10 times its usual requests in the last 20 hours")
	lastUsed := T.Add(-days(40))
	notebook, err := oa.AddUserKey(staging, "notebook", owner, T.Add(-days(50)), &lastUsed)
	if err != nil {
		return err
	}
	plant("key.unused", notebook.ID, "key notebook was last used 40 days ago")
	side, err := sa(sandbox, "side-project", 10)
	if err != nil {
		return err
	}
	plant("inventory.unknown-consumer", side.ID, "the Sandbox key side-project is used, and no credential names it")

	for _, u := range []struct {
		p, k  string
		n     int
		spike bool
	}{{prod, api.ID, 60, false}, {staging, stagingCI.ID, 20, false}, {prod, web.ID, 40, false}, {prod, worker.ID, 30, false},
		{prod, batch.ID, 25, false}, {prod, reports.ID, 30, true}, {sandbox, side.ID, 8, false}} {
		if err := usage(u.p, u.k, u.n, u.spike); err != nil {
			return err
		}
	}

	// GitHub.
	if err := gh.AddOrg(orgLogin, 10000000+w.rng.Int64N(80000000)); err != nil {
		return err
	}
	w.token = secret.New("ghp_" + w.str(36, alnum))
	gh.AddToken(w.token.Reveal(), "maya-oncall", githubsim.AllPermissions)
	readonly := "ghp_" + w.str(36, alnum)
	gh.AddToken(readonly, "tom-readonly", githubsim.Permissions{})
	nextID := 500000000 + w.rng.Int64N(100000000)
	set := T.Add(-days(5))
	repo := func(name string) error {
		nextID += 1 + w.rng.Int64N(5000)
		if err := gh.AddRepo(orgLogin, name, nextID, true); err != nil {
			return err
		}
		dsn := fmt.Sprintf("https://%s@o%d.ingest.sentry.io/%d", w.hex(32), 100000+w.rng.IntN(900000), 1000000+w.rng.IntN(9000000))
		return gh.SetRepoSecret(orgLogin, name, "SENTRY_DSN", dsn, set)
	}
	secretIn := func(name, secretName string, v secret.Value) error {
		if err := repo(name); err != nil {
			return err
		}
		return gh.SetRepoSecret(orgLogin, name, secretName, v.Reveal(), set)
	}
	if err := secretIn("api", secretName, api.Value); err != nil {
		return err
	}
	if err := gh.AddEnvironment(orgLogin, "api", "production"); err != nil {
		return err
	}
	if err := gh.SetEnvSecret(orgLogin, "api", "production", secretName, api.Value.Reveal(), set); err != nil {
		return err
	}
	if err := gh.SetDependabotSecret(orgLogin, "api", secretName, api.Value.Reveal(), set); err != nil {
		return err
	}
	for _, r := range []struct {
		name string
		v    secret.Value
	}{{"worker", worker.Value}, {"batch", batch.Value}, {"reports", reports.Value}} {
		if err := secretIn(r.name, secretName, r.v); err != nil {
			return err
		}
	}
	var webRepos []string
	for i := 1; i <= 10; i++ {
		n := fmt.Sprintf("web-%02d", i)
		webRepos = append(webRepos, n)
		if err := secretIn(n, secretName, web.Value); err != nil {
			return err
		}
	}
	plant("key.many-targets", "openai-web", "credential openai-web is in 10 repositories")
	plant("github.copied-secret", "openai-web", "credential openai-web is copied into 10 repository secrets")
	// The forgotten repository: it holds the side project's key.
	if err := secretIn("billing-legacy", secretName, side.Value); err != nil {
		return err
	}
	plant("inventory.unlisted-secret", "acme/billing-legacy", "acme/billing-legacy holds OPENAI_API_KEY, which no credential lists")
	if err := repo("docs"); err != nil {
		return err
	}
	if err := gh.SetPushProtection(orgLogin, "docs", false); err != nil {
		return err
	}
	plant("github.push-protection-off", "acme/docs", "push protection is off in acme/docs")
	if err := repo("mobile"); err != nil {
		return err
	}
	line := "OPENAI_API_KEY=" + side.Value.Reveal()
	n := gh.AddAlert(orgLogin, "mobile", "openai_api_key", side.Value.Reveal(), T.Add(-26*time.Hour), []githubsim.Location{{
		Path: "app/config.env", StartLine: 4, EndLine: 4, StartColumn: 16, EndColumn: len(line) + 1, BlobSHA: w.hex(40), CommitSHA: w.hex(40)}})
	if n == 0 {
		return fmt.Errorf("adding the alert: repository %s/mobile is missing", orgLogin)
	}
	alert := fmt.Sprintf("%s/mobile#%d", orgLogin, n)
	plant("github.open-alert", alert, "the side project's key leaked in acme/mobile and its alert is open")
	if err := gh.SetOrgSecret(orgLogin, "SHARED_OPENAI_API_KEY", stagingCI.Value.Reveal(), "all", nil, set); err != nil {
		return err
	}
	plant("github.org-secret-all-repos", "SHARED_OPENAI_API_KEY", "organization secret SHARED_OPENAI_API_KEY is visible to all repositories")
	// --repos N more repositories, clean (a secret that is no key).
	for k := 0; k < w.repos; k++ {
		if err := repo(fmt.Sprintf("service-%04d", k)); err != nil {
			return err
		}
	}
	plant("inventory.missing-key", "openai-legacy", "credential openai-legacy names a key that does not exist")
	plant("inventory.missing-container", "acme/ghost", "credential openai-legacy has a target in acme/ghost, which does not exist")

	var b strings.Builder
	fmt.Fprintf(&b, "# respond inventory for the simulator scenario %q (seed %d): clean credentials and planted problems.\n", w.info.Name, w.info.Seed)
	b.WriteString("credentials:\n")
	cred := func(name, project, keyID, every string, targets ...string) {
		fmt.Fprintf(&b, "  - name: %s\n    provider: openai\n    project: %s\n    key_id: %s\n", name, project, keyID)
		if every != "" {
			fmt.Fprintf(&b, "    rotate_every: %s\n", every)
		}
		b.WriteString("    targets:\n")
		for _, t := range targets {
			fmt.Fprintf(&b, "      - %s\n", t)
		}
	}
	repoT := func(r string) string {
		return fmt.Sprintf("github-actions: {repo: %s/%s, secret: %s}", orgLogin, r, secretName)
	}
	cred("openai-api", prod, api.ID, "90d", repoT("api"),
		fmt.Sprintf("github-actions: {repo: %s/api, environment: production, secret: %s}", orgLogin, secretName),
		fmt.Sprintf("github-dependabot: {repo: %s/api, secret: %s}", orgLogin, secretName))
	cred("openai-staging", staging, stagingCI.ID, "", fmt.Sprintf("github-actions: {org: %s, secret: SHARED_OPENAI_API_KEY, visibility: all}", orgLogin))
	var web10 []string
	for _, r := range webRepos {
		web10 = append(web10, repoT(r))
	}
	cred("openai-web", prod, web.ID, "", web10...)
	cred("openai-worker", prod, worker.ID, "90d", repoT("worker"))
	cred("openai-batch", prod, batch.ID, "180d", repoT("batch"))
	cred("openai-reports", prod, reports.ID, "", repoT("reports"))
	cred("openai-legacy", prod, "key_"+w.str(16, alnum), "", repoT("ghost"))
	w.inventory = b.String()

	w.leaked = side.Value
	i := &w.info
	i.Org = orgLogin
	i.ProjectID, i.ProjectName = sandbox, "Sandbox"
	i.LeakedKeyID, i.LeakedKeyName, i.LeakedKeyRedacted, i.LeakedKeyOwner = side.ID, side.Name, side.Redacted, "service_account"
	i.Alert, i.AlertRepo, i.AlertNumber = alert, orgLogin+"/mobile", n
	i.AlertCreatedAt = rfc3339(T.Add(-26 * time.Hour))
	i.LeakedAt = i.AlertCreatedAt
	i.SecretName = secretName
	i.UnlistedRepos = []string{orgLogin + "/billing-legacy"}
	i.GitHubLogin = "maya-oncall"
	i.ReadOnlyToken, i.ReadOnlyLogin = readonly, "tom-readonly"
	i.Plants = plants
	return nil
}
