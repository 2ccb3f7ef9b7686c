package runner

import (
	"time"

	"github.com/respondhq/respond/internal/audit"
)

// The checks of the audit's core: inventory drift, keys of every provider
// (from what their capabilities say they know), and GitHub. Plug-ins
// declare theirs in their own packages.
const (
	checkUnlistedSecret   = "inventory.unlisted-secret"
	checkUnknownConsumer  = "inventory.unknown-consumer"
	checkMissingKey       = "inventory.missing-key"
	checkMissingContainer = "inventory.missing-container"
	checkStaleKey         = "key.older-than-rotation"
	checkUnusedKey        = "key.unused"
	checkBlastRadius      = "key.many-targets"
	checkOpenAlert        = "github.open-alert"
	checkPushProtection   = "github.push-protection-off"
	checkCopiedSecret     = "github.copied-secret"
	checkOrgSecretAll     = "github.org-secret-all-repos"
)

// Thresholds of the core's checks.
const (
	// DefaultRotateEvery is the age past which a key is old when its
	// credential gives no rotate_every.
	DefaultRotateEvery = 90 * 24 * time.Hour
	// UnusedAfter: a key unused this long is unused.
	UnusedAfter = 30 * 24 * time.Hour
	// RecentUse: a key used within this long is in use (an unknown
	// consumer when no credential names it).
	RecentUse = 7 * 24 * time.Hour
	// ManyTargets is how many targets make a key's blast radius large.
	ManyTargets = 8
	// CopiedAt is how many repositories holding one secret make an
	// organization secret the better place (the deploy plan's advice
	// uses the same number).
	CopiedAt = 10
)

func init() {
	audit.Register(
		audit.Check{ID: checkUnlistedSecret, Area: "Inventory drift", Title: "key-like secret the inventory does not list",
			Severity: audit.High, Practice: audit.Inventory,
			What: "GitHub Actions, Dependabot and organization secrets whose names look like a provider's key (each provider declares the names, e.g. OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY) in repositories and organizations where no inventory credential has a target of that name.",
			Why:  "The next response writes the replacement only where the inventory says: this copy keeps the dead key, and the service that reads it breaks (the forgotten-repository drill).",
			Fix:  "Add the secret as a target of the credential whose key it holds (`- github-actions: {repo: OWNER/REPO, secret: NAME}`), or delete the secret if nothing uses it (`gh secret delete NAME -R OWNER/REPO`)."},
		audit.Check{ID: checkUnknownConsumer, Area: "Inventory drift", Title: "key in use that no credential names",
			Severity: audit.High, Practice: audit.Inventory,
			What: "Keys the provider says were used in the last 7 days (providers that know a key's last use) that no inventory credential names by key_id or key_name.",
			Why:  "Something uses this key and nobody wrote down where: a response to its leak cannot replace it anywhere, and a rotation refuses to revoke it.",
			Fix:  "Find the consumer (the provider's usage or logs), then add a credential naming the key with its targets to the inventory (docs/inventory.md)."},
		audit.Check{ID: checkMissingKey, Area: "Inventory drift", Title: "credential whose key no longer exists",
			Severity: audit.Medium, Practice: audit.Inventory,
			What: "Inventory credentials whose key_id or key_name the provider no longer lists in the credential's scope.",
			Why:  "The targets hold a key that is gone (or the inventory names the wrong key): services that read them are already broken, or the key that is really deployed is unknown.",
			Fix:  "Correct key_id or key_name to the key the targets hold, or `respond rotate --credential NAME` to deploy a fresh one."},
		audit.Check{ID: checkMissingContainer, Area: "Inventory drift", Title: "target whose container does not exist",
			Severity: audit.Medium, Practice: audit.Inventory,
			What: "Each target's container, checked as preflight checks it: the repository, environment or organization, the secret store's secret or parameter, the file's directory, the workflow.",
			Why:  "A response that finds a missing container stops before the revoke (or, forced, leaves the target stale): find it now, not during an incident.",
			Fix:  "Create the container, or correct or remove the target in the inventory; `respond inventory validate` checks the file."},
		audit.Check{ID: checkStaleKey, Area: "Keys", Title: "key older than its rotation period",
			Severity: audit.Medium, Practice: audit.Rotation,
			What: "Each live key's age against its credential's rotate_every (90 days for keys no credential names, or that give none).",
			Why:  "The longer a key lives, the more places and people it reaches, and the longer a silent leak of it stays useful.",
			Fix:  "`respond rotate --credential NAME` rotates it without downtime; set `rotate_every` and run `respond rotate --due` on a schedule (docs/rotation.md)."},
		audit.Check{ID: checkUnusedKey, Area: "Keys", Title: "key unused for 30 days",
			Severity: audit.Low, Practice: audit.LeastPrivilege,
			What: "Live keys the provider says were last used more than 30 days ago, or never (only providers that know a key's last use).",
			Why:  "An unused key gives nothing and can still leak: it is exposure without a purpose.",
			Fix:  "Delete the key at its provider (check first that nothing needs it), and remove its credential from the inventory."},
		audit.Check{ID: checkBlastRadius, Area: "Keys", Title: "one key deployed to many places",
			Severity: audit.Medium, Practice: audit.LeastPrivilege,
			What: "Inventory credentials with 8 or more targets holding one key.",
			Why:  "One leak of this key exposes every service that shares it, and its response must rewrite every copy: a key per service keeps the next leak small.",
			Fix:  "Split it: one key per service (a credential each, with its own targets), then `respond rotate` each."},
		audit.Check{ID: checkOpenAlert, Area: "GitHub", Title: "open secret-scanning alert",
			Severity: audit.High, Practice: audit.Confidential,
			What: "Open secret-scanning alerts of each organization, live ones (GitHub's validity: active) first.",
			Why:  "An open alert is a leaked secret nobody has answered; a live one can be used by anyone who saw it.",
			Fix:  "`respond leaked-key --alert OWNER/REPO#N` revokes, replaces and resolves it."},
		audit.Check{ID: checkPushProtection, Area: "GitHub", Title: "push protection off",
			Severity: audit.Medium, Practice: audit.Confidential,
			What: "Each repository's security_and_analysis.secret_scanning_push_protection (GitHub shows it to administrators).",
			Why:  "Push protection blocks a push that holds a recognized key before it reaches the repository: the cheapest leak to answer is the one that never happened.",
			Fix:  "Turn it on: `gh api -X PATCH repos/OWNER/REPO -f 'security_and_analysis[secret_scanning_push_protection][status]=enabled'`, or for the organization in Settings → Code security."},
		audit.Check{ID: checkCopiedSecret, Area: "GitHub", Title: "one secret copied into many repositories",
			Severity: audit.Low, Practice: audit.Review,
			What: "Inventory credentials whose key is a repository secret in 10 or more repositories of one organization.",
			Why:  "Each response writes every copy (a request and 5 rate-limit points each); one organization secret with selected repositories is one write.",
			Fix:  "Replace the copies with one organization secret visible to the selected repositories (`gh secret set NAME --org ORG --repos a,b,c`), and make it the credential's one target."},
		audit.Check{ID: checkOrgSecretAll, Area: "GitHub", Title: "organization secret visible to all repositories",
			Severity: audit.Medium, Practice: audit.LeastPrivilege,
			What: "Organization Actions and Dependabot secrets whose visibility is all.",
			Why:  "Every repository of the organization, including new and forgotten ones, can read the secret in a workflow.",
			Fix:  "Give it the repositories that need it: `gh secret set NAME --org ORG --visibility selected --repos a,b`."},
	)
}
