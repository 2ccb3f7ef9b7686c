package githubsecret

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/plugin"

	"golang.org/x/crypto/nacl/box"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// Writer writes a credential to GitHub Actions secrets
// (repository, environment or organization) and Dependabot secrets
// (repository or organization): the github-actions and github-dependabot
// target types. Values are sealed on this machine with the scope's public
// key (libsodium sealed box, as GitHub requires); GitHub never sees them
// in the clear on the wire, and neither do logs.
type Writer struct{ env *plugin.Env }

var (
	_ target.Writer       = Writer{}
	_ target.BatchChecker = Writer{}
	_ target.Noter        = Writer{}
)

func ghSecretTarget(t target.Target) error {
	if t.Type != Actions && t.Type != Dependabot {
		return step.Errorf("%s: the GitHub secret writer handles %s and %s targets, not %q", t.ID(), Actions, Dependabot, t.Type)
	}
	if err := t.Validate(); err != nil {
		return step.Permanent(fmt.Errorf("%s: %w", t.ID(), err))
	}
	return nil
}

// where names the scope of t for messages: "acme/api",
// "acme/api environment production", "organization acme".
func ghWhere(t target.Target) string {
	switch {
	case t.Str("org") != "":
		return "organization " + t.Str("org")
	case t.Str("environment") != "":
		return t.Str("repo") + " environment " + t.Str("environment")
	}
	return t.Str("repo")
}

// Check implements TargetWriter: CheckAll of t alone.
func (w Writer) Check(ctx context.Context, t target.Target) error {
	return w.CheckAll(ctx, []target.Target{t})[0]
}

// CheckAll implements BatchChecker: without writing anything, and with a
// number of requests that does not grow with the number of repositories,
// it makes sure the token may manage the secrets of every target. For a
// repository (its Actions, environment or Dependabot secrets) that means
// admin access, which GitHub reports for all the repositories of an
// organization in one list (ReposPermissions: 100 a page, the pages at
// once); for an organization secret, that the token's user is an owner
// (role admin) of the organization — reading its public key proves
// nothing, since any member may — and can see the selected repositories.
// An environment a target names must exist: each repository with
// environment targets has its environments listed once (a request per
// such repository, all at once; the plan's cost note counts them), so that
// a typo is caught before the leaked key is revoked. What needs a request
// per target (that the scope's public key can be read) is left to the
// write, after the revoke: a target that fails it fails alone, with the
// same message. Every problem is a step.ErrPreflight error saying what is
// missing and what to do; errs[i] is ts[i]'s (nil when it passed).
func (w Writer) CheckAll(ctx context.Context, ts []target.Target) []error {
	errs := make([]error, len(ts))
	var repos, orgs []string
	seen := map[string]bool{}
	add := func(list *[]string, v string) {
		if k := strings.ToLower(v); !seen[k] {
			seen[k] = true
			*list = append(*list, v)
		}
	}
	envRepos := map[string]string{} // lower-case owner/name -> as given
	var gh API
	for i, t := range ts {
		if err := ghSecretTarget(t); err != nil {
			errs[i] = err
			continue
		}
		if gh == nil {
			c, err := w.client(t.ID())
			if err != nil {
				errs[i] = target.Preflightf(err, "%v", err)
				continue
			}
			gh = c
		}
		if t.Str("org") == "" {
			add(&repos, t.Str("repo"))
			if t.Str("environment") != "" {
				envRepos[strings.ToLower(t.Str("repo"))] = t.Str("repo")
			}
			continue
		}
		add(&orgs, "org:"+t.Str("org"))
		for _, r := range t.List("repos") {
			add(&repos, selectedRepo(t.Str("org"), r))
		}
	}
	if gh == nil {
		for i := range errs {
			if errs[i] == nil { // only when the client could not be built
				_, err := w.client(ts[i].ID())
				errs[i] = target.Preflightf(err, "%v", err)
			}
		}
		return errs
	}
	// The repositories and the organization roles, at once.
	access := map[string]githubapi.RepoAccess{} // by lower-case owner/name
	roles := make(map[string]error, len(orgs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	if len(repos) > 0 {
		wg.Go(func() {
			for name, a := range gh.ReposPermissions(ctx, repos) {
				access[strings.ToLower(name)] = a
			}
		})
	}
	envs := map[string][]string{} // by lower-case owner/name
	envErrs := map[string]error{}
	for k, repo := range envRepos {
		wg.Go(func() {
			owner, name, _ := strings.Cut(repo, "/")
			list, err := gh.Environments(ctx, owner, name)
			mu.Lock()
			envs[k], envErrs[k] = list, err
			mu.Unlock()
		})
	}
	for _, o := range orgs {
		org := strings.TrimPrefix(o, "org:")
		wg.Go(func() {
			err := ghOrgOwnerProblem(ctx, gh, org)
			mu.Lock()
			roles[strings.ToLower(org)] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	for i, t := range ts {
		if errs[i] != nil {
			continue
		}
		id := t.ID()
		if t.Str("org") == "" {
			k := strings.ToLower(t.Str("repo"))
			errs[i] = ghRepoProblem(id, t.Str("repo"), access[k])
			if env := t.Str("environment"); errs[i] == nil && env != "" {
				errs[i] = envProblem(id, t.Str("repo"), env, envs[k], envErrs[k])
			}
			continue
		}
		if err := roles[strings.ToLower(t.Str("org"))]; err != nil {
			errs[i] = ghNamed(id, err)
			continue
		}
		for _, r := range t.List("repos") {
			full := selectedRepo(t.Str("org"), r)
			a := access[strings.ToLower(full)]
			if errors.Is(a.Err, step.ErrNotFound) {
				errs[i] = target.Preflightf(a.Err, "%s: repository %s, selected for the organization secret, is not visible to the token: check the repos list of the target", id, full)
				break
			} else if a.Err != nil {
				errs[i] = ghCheckFailed(id, a.Err)
				break
			}
		}
	}
	return errs
}

// envProblem says what is wrong with environment env of repo, given the
// repository's environments (or the error listing them), or nil.
func envProblem(id, repo, env string, have []string, err error) error {
	switch {
	case err != nil:
		return ghCheckFailed(id, err)
	case slices.Contains(have, env):
		return nil
	}
	// GitHub matches environment names without regard to case.
	for _, h := range have {
		if strings.EqualFold(h, env) {
			return nil
		}
	}
	has := "it has none"
	if len(have) > 0 {
		has = "it has " + strings.Join(have, ", ")
	}
	return target.Preflightf(step.ErrNotFound, "%s: environment %q does not exist in %s (%s): fix the environment's name in the inventory, or create it (Settings → Environments)", id, env, repo, has)
}

// selectedRepo is owner/name of a repository selected for an organization
// secret of org (r is a name of org, or owner/name).
func selectedRepo(org, r string) string {
	if strings.Contains(r, "/") {
		return r
	}
	return org + "/" + r
}

// ghRepoProblem says what is wrong with the token's access a to repo for
// target id, or nil.
func ghRepoProblem(id, repo string, a githubapi.RepoAccess) error {
	switch {
	case errors.Is(a.Err, step.ErrNotFound):
		return target.Preflightf(a.Err, "%s: repository %s is not visible to the token (it does not exist, or the token has no access to it): "+
			"check the name in the inventory, or use a token with access to %s", id, repo, repo)
	case a.Err != nil:
		return ghCheckFailed(id, a.Err)
	case !a.Perms.Admin:
		return target.Preflightf(nil, "%s: the token cannot manage secrets of %s (it has %s access): "+
			"use a token of a repository administrator with the repo scope (classic) or Secrets: write (fine-grained)", id, repo, githubapi.RoleOf(a.Perms))
	}
	return nil
}

// ghNamed names target id in a problem found once for several targets
// (an organization's), or reports the check that could not be made.
func ghNamed(id string, err error) error {
	if errors.Is(err, step.ErrPreflight) {
		return target.Preflightf(err, "%s: %v", id, err)
	}
	return ghCheckFailed(id, err)
}

// ghOrgOwnerProblem makes sure the token's user is an owner of org: only
// owners (with a token carrying admin:org, or the fine-grained
// Organization secrets: write permission) may write organization secrets.
// A problem is a preflight error that does not name a target (ghNamed
// does); an error that is not one means the role could not be read.
func ghOrgOwnerProblem(ctx context.Context, gh API, org string) error {
	role, err := gh.OrgRole(ctx, org)
	switch {
	case errors.Is(err, step.ErrNotFound):
		return target.Preflightf(err, "organization %s is not visible to the token, or the token's user is not a member of it: "+
			"check the name, or use a token of an organization owner with admin:org (classic) or 'Organization secrets: write' (fine-grained)", org)
	case githubapi.StatusOf(err) == http.StatusForbidden:
		return target.Preflightf(err, "cannot tell whether the token may manage secrets of organization %s, because it may not read its own membership (%v): "+
			"give the token read:org (classic) or 'Members: read' (fine-grained), or use a token of an organization owner with admin:org", org, err)
	case err != nil:
		return err
	case role != "admin":
		return target.Preflightf(nil, "the token's user is a %s, not an owner, of organization %s, so it cannot manage organization secrets: "+
			"use a token of an organization owner with admin:org (classic) or 'Organization secrets: write' (fine-grained)",
			strings.ReplaceAll(role, "_", " "), org)
	}
	return nil
}

// ghCheckFailed reports a check that could not be made (the provider's
// error already says what it was doing). Client errors
// (bad token, no access) are preflight problems; server and network errors
// are not, so the engine may retry.
func ghCheckFailed(id string, err error) error {
	if s := githubapi.StatusOf(err); s >= 400 && s < 500 {
		return target.Preflightf(err, "%s: %v", id, err)
	}
	return fmt.Errorf("%s: %w", id, err)
}

// Plan implements TargetWriter. A repository, environment or Dependabot
// secret is planned without asking GitHub whether it exists: the write's
// answer says (201 created, 204 replaced), and a read per target before
// the revoke would delay containment by the number of targets. For an
// organization secret it reads the secret's audience (there are few) and
// says how the audience changes: the visibility and selected repositories
// change only when the inventory says so, and a change that takes access
// away from repositories is flagged destructive (it needs its own
// confirmation).
func (w Writer) Plan(ctx context.Context, t target.Target) (step.Change, error) {
	if err := ghSecretTarget(t); err != nil {
		return step.Change{}, err
	}
	what := "Actions secret"
	if t.Type == Dependabot {
		what = "Dependabot secret"
	}
	if t.Str("org") != "" {
		gh, err := w.client(t.ID())
		if err != nil {
			return step.Change{}, err
		}
		st, err := gh.OrgSecret(ctx, ScopeOf(t), t.Str("secret"))
		if err != nil {
			return step.Change{}, fmt.Errorf("%s: %w", t.ID(), err)
		}
		return planOrgSecret(t, what, st), nil
	}
	return step.Change{Action: step.Update, Target: t.ID(),
		Effect: fmt.Sprintf("create or replace %s %s in %s", what, t.Str("secret"), ghWhere(t))}, nil
}

// planOrgSecret describes the write of an organization secret whose
// audience is st now.
func planOrgSecret(t target.Target, what string, st githubapi.OrgSecretState) step.Change {
	c := step.Change{Action: step.Update, Target: t.ID(),
		Effect: fmt.Sprintf("replace the value of %s %s in %s", what, t.Str("secret"), ghWhere(t))}
	if !st.Exists {
		vis := t.Str("visibility")
		if vis == "" {
			vis = "private"
		}
		c.Action = step.Create
		c.Effect = fmt.Sprintf("create %s %s in %s, visible to %s", what, t.Str("secret"), ghWhere(t), audience(vis, t.List("repos")))
		return c
	}
	now := audience(st.Visibility, st.Repos)
	switch {
	case t.Str("visibility") == "" || (t.Str("visibility") == st.Visibility && t.Str("visibility") != "selected"):
		c.Effect += "; its audience stays " + now
		return c
	case t.Str("visibility") == "selected" && st.Visibility == "selected":
		lost, gained := diffRepos(st.Repos, t.List("repos"))
		if len(lost) == 0 && len(gained) == 0 {
			c.Effect += "; its audience stays " + now
			return c
		}
		var parts []string
		if len(lost) > 0 {
			parts = append(parts, strings.Join(lost, ", ")+" lose(s) access")
			c.Destructive = true
		}
		if len(gained) > 0 {
			parts = append(parts, strings.Join(gained, ", ")+" gain(s) access")
		}
		c.Effect += "; " + strings.Join(parts, "; ") + " (the inventory lists " + strings.Join(t.List("repos"), ", ") + ")"
		return c
	}
	next := audience(t.Str("visibility"), t.List("repos"))
	c.Effect += fmt.Sprintf("; its audience changes from %s to %s", now, next)
	// Narrowing takes access away: all → private or selected, private →
	// selected.
	if narrower(t.Str("visibility")) < narrower(st.Visibility) || (t.Str("visibility") == "selected" && st.Visibility != "selected") {
		c.Destructive = true
		switch st.Visibility {
		case "all":
			c.Effect += ": repositories outside that lose access"
		case "private":
			c.Effect += ": private repositories outside that lose access"
		}
	}
	return c
}

// narrower ranks visibilities from the widest (all) down.
func narrower(v string) int {
	switch v {
	case "all":
		return 2
	case "private":
		return 1
	}
	return 0
}

// audience names who may use an organization secret.
func audience(vis string, repos []string) string {
	switch vis {
	case "all":
		return "all repositories"
	case "private":
		return "private and internal repositories"
	case "selected":
		if len(repos) == 0 {
			return "no repository (selected, none listed)"
		}
		return "selected repositories " + strings.Join(repos, ", ")
	}
	return vis
}

// diffRepos returns the repositories in now but not in want (lost), and
// in want but not in now (gained), by name, ignoring case.
func diffRepos(now, want []string) (lost, gained []string) {
	has := func(list []string, r string) bool {
		for _, x := range list {
			if strings.EqualFold(x, r) {
				return true
			}
		}
		return false
	}
	for _, r := range now {
		if !has(want, r) {
			lost = append(lost, r)
		}
	}
	for _, r := range want {
		if !has(now, r) {
			gained = append(gained, r)
		}
	}
	return lost, gained
}

// Write implements TargetWriter: it seals v with the scope's public key
// and stores it. If GitHub refuses the write (422) and the scope's key,
// read again, is not the one the value was sealed for (GitHub rotated it,
// or the key cache held another: issue #17), it seals again, retries once
// and warns that the key it had was wrong.
func (w Writer) Write(ctx context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	if err := ghSecretTarget(t); err != nil {
		return target.WriteResult{}, err
	}
	if v.IsZero() {
		return target.WriteResult{}, step.Errorf("%s: refusing to write an empty value to secret %s", t.ID(), t.Str("secret"))
	}
	gh, err := w.client(t.ID())
	if err != nil {
		return target.WriteResult{}, err
	}
	s := ScopeOf(t)
	opts := githubapi.OrgSecretOptions{Visibility: t.Str("visibility"), SelectedRepos: t.List("repos")}
	put := func(pk githubapi.PublicKey) (bool, error) {
		sealed, err := sealFor(pk, v)
		if err != nil {
			return false, fmt.Errorf("%s: seal the value for %s: %w", t.ID(), ghWhere(t), err)
		}
		return gh.PutSecret(ctx, s, t.Str("secret"), sealed, opts)
	}
	pk, err := gh.PublicKey(ctx, s)
	if err != nil {
		return target.WriteResult{}, ghKeyProblem(t, err)
	}
	created, err := put(pk)
	warning := ""
	if err != nil && githubapi.StatusOf(err) == http.StatusUnprocessableEntity {
		// The client dropped the key on the 422 (here and in the key
		// cache), so this reads GitHub's. The same key again: the 422 is
		// about something else.
		if cur, kerr := gh.PublicKey(ctx, s); kerr == nil && cur != pk {
			warning = wrongKeyWarning(t, pk, cur)
			created, err = put(cur)
		}
	}
	if err != nil {
		return target.WriteResult{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	if created {
		return target.WriteResult{Created: true, Detail: "201 Created", Warning: warning}, nil
	}
	return target.WriteResult{Detail: "204 No Content (updated)", Warning: warning}, nil
}

// wrongKeyWarning says that the public key respond had for t's scope was
// not GitHub's: rotated since it was read, or (same key ID, other key) not
// a key GitHub ever had for it.
func wrongKeyWarning(t target.Target, had, now githubapi.PublicKey) string {
	if had.ID == now.ID {
		return fmt.Sprintf("the public key respond had for %s (key ID %s) is not GitHub's key with that ID: GitHub refused the value sealed to it (422). "+
			"respond read the key again and wrote with GitHub's. GitHub's keys do not change under one ID, so the key came from a changed public-key cache "+
			"(github-public-keys.jsonl in the state directory): find out who changed it, or delete it", ghWhere(t), had.ID)
	}
	return fmt.Sprintf("the public key respond had for %s (key ID %s) is no longer GitHub's (now %s): GitHub refused the value sealed to it (422). "+
		"respond read the key again and wrote with the current one; the key cache now holds it", ghWhere(t), had.ID, now.ID)
}

// ghKeyProblem says why the public key of t's scope could not be read,
// the checks preflight leaves to the write (they cost a request per
// target): the environment does not exist, the repository or
// organization is not visible, or the token may not read its secrets.
// They are failures of this target, after the revoke, not preflight
// problems; retrying cannot fix them.
func ghKeyProblem(t target.Target, err error) error {
	id := t.ID()
	switch {
	case errors.Is(err, step.ErrNotFound) && t.Str("environment") != "":
		return ghProblemf(err, "%s: environment %q does not exist in %s: create it (Settings → Environments) or fix the inventory", id, t.Str("environment"), t.Str("repo"))
	case errors.Is(err, step.ErrNotFound) && t.Str("org") != "":
		return ghProblemf(err, "%s: organization %s is not visible to the token: check the name, or use a token of an organization owner (admin:org scope, or Organization secrets: write)", id, t.Str("org"))
	case errors.Is(err, step.ErrNotFound):
		return ghProblemf(err, "%s: repository %s is not visible to the token (it does not exist, or the token has no access to it): check the name in the inventory, or use a token with access to %s", id, t.Str("repo"), t.Str("repo"))
	case githubapi.StatusOf(err) == http.StatusForbidden && t.Str("org") != "":
		return ghProblemf(err, "%s: the token cannot read the secrets of organization %s: use a token of an organization owner with the admin:org scope (classic) or Organization secrets: write (fine-grained)", id, t.Str("org"))
	case githubapi.StatusOf(err) == http.StatusForbidden:
		return ghProblemf(err, "%s: the token cannot read the secrets of %s: use a token of a repository administrator with the repo scope (classic) or Secrets: write (fine-grained)", id, ghWhere(t))
	}
	return fmt.Errorf("%s: %w", id, err)
}

// ghProblem is a permanent failure of one target whose message says it
// all; the provider's error stays reachable (errors.Is) without being
// repeated.
type ghProblem struct {
	msg   string
	cause error
}

func (e *ghProblem) Error() string { return e.msg }
func (e *ghProblem) Unwrap() error { return e.cause }

func ghProblemf(cause error, format string, args ...any) error {
	return step.Permanent(&ghProblem{msg: fmt.Sprintf(format, args...), cause: cause})
}

// sealFor encrypts v for pk with an anonymous sealed box and base64-encodes
// it, as GitHub's documentation and go-github's example do.
func sealFor(pk githubapi.PublicKey, v secret.Value) (githubapi.Sealed, error) {
	out, err := box.SealAnonymous(nil, []byte(v.Reveal()), &pk.Key, rand.Reader)
	if err != nil {
		return githubapi.Sealed{}, err
	}
	return githubapi.Sealed{KeyID: pk.ID, EncryptedValue: base64.StdEncoding.EncodeToString(out)}, nil
}

// GitHub's documented secondary limits (API-NOTES §5), for the plan's
// estimate of what a deploy costs: the client's limiter spends exactly
// this budget.
const (
	ghPointsPerMinute = 900
	ghReadPoints      = 1
	ghWritePoints     = 5
)

// orgSecretSuggestAt is how many repositories of one organization holding
// the same repository secret make the plan suggest an organization secret.
const orgSecretSuggestAt = 10

// PlanNotes implements TargetsNoter: what writing ts costs at GitHub's
// secondary limits (requests, points and time, with the public keys the
// client does not hold yet), and, when one secret is copied into many
// repositories of one organization, the suggestion of an organization
// secret with selected repositories (one write instead of N).
func (w Writer) PlanNotes(ctx context.Context, ts []target.Target) []step.Note {
	gh, err := w.client("deploy")
	if err != nil {
		return nil
	}
	var writes, reads int
	envRepos := map[string]bool{}
	scopes := map[githubapi.SecretScope]bool{}
	type group struct {
		typ, owner, secret string
		repos              []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, t := range ts {
		if ghSecretTarget(t) != nil {
			continue
		}
		writes++
		s := ScopeOf(t)
		if !scopes[s] {
			scopes[s] = true
			if !gh.KnowsPublicKey(s) {
				reads++
			}
		}
		if t.Str("org") != "" && t.Str("visibility") == "" {
			reads += 2 // the secret's audience, kept as it is
		}
		if t.Str("environment") != "" {
			envRepos[strings.ToLower(t.Str("repo"))] = true
		}
		if t.Str("org") == "" && t.Str("environment") == "" {
			owner, name, _ := strings.Cut(t.Str("repo"), "/")
			k := t.Type + " " + strings.ToLower(owner) + " " + strings.ToUpper(t.Str("secret"))
			g := byKey[k]
			if g == nil {
				g = &group{typ: t.Type, owner: owner, secret: t.Str("secret")}
				byKey[k] = g
				groups = append(groups, g)
			}
			g.repos = append(g.repos, name)
		}
	}
	if writes == 0 {
		return nil
	}
	points := writes*ghWritePoints + reads*ghReadPoints
	secs, when := ghEstimate(points)
	text := fmt.Sprintf("%s GitHub secret write(s): %s request(s) and %s points", thousands(writes), thousands(writes+reads), thousands(points))
	if reads > 0 {
		text += fmt.Sprintf(" (with %s public-key read(s))", thousands(reads))
	}
	text += ": " + when + "."
	if n := len(envRepos); n > 0 {
		text += fmt.Sprintf(" Before the revoke, preflight lists the environments of %s repositor%s (%s request%s, at once), so that a misnamed environment stops the response before anything changes.",
			thousands(n), map[bool]string{true: "y", false: "ies"}[n == 1], thousands(n), map[bool]string{true: "", false: "s"}[n == 1])
	}
	notes := []step.Note{{ID: "github-cost", Text: text, Figures: map[string]float64{
		"writes": float64(writes), "reads": float64(reads), "requests": float64(writes + reads),
		"points": float64(points), "seconds": secs, "points_per_minute": ghPointsPerMinute,
		"preflight_environment_reads": float64(len(envRepos)),
	}}}
	for _, g := range groups {
		if len(g.repos) < orgSecretSuggestAt {
			continue
		}
		isOrg, known := gh.KnownOrganization(g.owner)
		if known && !isOrg {
			continue // a user's repositories: there are no user secrets to share
		}
		what, inv := "an organization secret", "github-actions"
		if g.typ == Dependabot {
			what, inv = "an organization Dependabot secret", "github-dependabot"
		}
		n := len(g.repos)
		p := n * ghWritePoints
		_, cost := ghEstimate(p)
		text := fmt.Sprintf("%s is copied into %s repositories of %s as a repository secret: %s writes (%s points; %s) every time it changes. "+
			"%s of %s visible to those repositories (visibility: selected) would take one write: create it, delete the repository secrets "+
			"(they take precedence over it), and list it in the inventory as {%s: {org: %s, secret: %s, visibility: selected, repos: [%s]}}.",
			g.secret, thousands(n), g.owner, thousands(n), thousands(p), cost, strings.ToUpper(what[:1])+what[1:], g.owner,
			inv, g.owner, g.secret, listSome(g.repos, 5))
		if !known {
			text += fmt.Sprintf(" (If %s is a user rather than an organization, this does not apply.)", g.owner)
		}
		notes = append(notes, step.Note{ID: "github-org-secret", Text: text,
			FollowUp: fmt.Sprintf("Hold %s in %s of %s instead of %s repository secrets", g.secret, what, g.owner, thousands(n)),
			Figures:  map[string]float64{"repositories": float64(n), "writes_saved": float64(n - 1), "points": float64(p)}})
	}
	return notes
}

// ghEstimate is how long spending points takes at GitHub's secondary
// limits, as the limiter spends them: a minute's budget at once, then
// each minute's as the points come back; so the last of them goes out
// after ⌈points/budget⌉ − 1 minutes.
func ghEstimate(points int) (seconds float64, text string) {
	if points <= ghPointsPerMinute {
		return 0, fmt.Sprintf("within one minute's budget at GitHub's secondary limits (%d points a minute), so nothing waits for points", ghPointsPerMinute)
	}
	minutes := (points+ghPointsPerMinute-1)/ghPointsPerMinute - 1
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	return float64(minutes * 60), fmt.Sprintf("about %d %s at GitHub's secondary limits (%d points a minute)", minutes, unit, ghPointsPerMinute)
}

// thousands writes n with thousands separators: 1,003.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// listSome joins up to n names, then says how many more.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}
