package steps

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/crypto/nacl/box"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// GitHubSecretWriter writes a credential to GitHub Actions secrets
// (repository, environment or organization) and Dependabot secrets
// (repository or organization): the github-actions and github-dependabot
// target types. Values are sealed on this machine with the scope's public
// key (libsodium sealed box, as GitHub requires); GitHub never sees them
// in the clear on the wire, and neither do logs.
type GitHubSecretWriter struct{ P *Providers }

var _ TargetWriter = GitHubSecretWriter{}

func ghSecretTarget(t target.Target) error {
	if t.Type != target.GitHubActions && t.Type != target.GitHubDependabot {
		return step.Errorf("%s: the GitHub secret writer handles github-actions and github-dependabot targets, not %q", t.ID(), t.Type)
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
	case t.Org != "":
		return "organization " + t.Org
	case t.Environment != "":
		return t.Repo + " environment " + t.Environment
	}
	return t.Repo
}

// Check implements TargetWriter: without writing anything it makes sure
// the token can see the repository (or organization), may manage its
// secrets, can read the public key, and that the environment exists. For
// a repository "may manage" means the token has admin access to it; for an
// organization, that the token's user is an owner (role admin) of it —
// reading the organization's public key proves nothing, since any member
// may. Every problem is a step.ErrPreflight error saying what is missing
// and what to do.
func (w GitHubSecretWriter) Check(ctx context.Context, t target.Target) error {
	if err := ghSecretTarget(t); err != nil {
		return err
	}
	gh, err := ghClient(w.P, t.ID())
	if err != nil {
		return ghPreflightf(err, "%v", err)
	}
	id, s := t.ID(), ScopeOf(t)
	if t.Org != "" {
		if err := ghCheckOrgOwner(ctx, gh, id, t.Org); err != nil {
			return err
		}
	} else {
		p, err := gh.RepoPermissions(ctx, s.Owner, s.Repo)
		switch {
		case errors.Is(err, ErrNotFound):
			return ghPreflightf(err, "%s: repository %s is not visible to the token (it does not exist, or the token has no access to it): "+
				"check the name in the inventory, or use a token with access to %s", id, t.Repo, t.Repo)
		case err != nil:
			return ghCheckFailed(id, err)
		case !p.Admin:
			return ghPreflightf(nil, "%s: the token cannot manage secrets of %s (it has %s access): "+
				"use a token of a repository administrator with the repo scope (classic) or Secrets: write (fine-grained)", id, t.Repo, ghRole(p))
		}
	}
	if _, err := gh.PublicKey(ctx, s); err != nil {
		switch {
		case errors.Is(err, ErrNotFound) && t.Environment != "":
			return ghPreflightf(err, "%s: environment %q does not exist in %s: create it (Settings → Environments) or fix the inventory", id, t.Environment, t.Repo)
		case errors.Is(err, ErrNotFound) && t.Org != "":
			return ghPreflightf(err, "%s: organization %s is not visible to the token: check the name, or use a token of an organization owner (admin:org scope, or Organization secrets: write)", id, t.Org)
		case ghStatus(err) == http.StatusForbidden && t.Org != "":
			return ghPreflightf(err, "%s: the token cannot read the secrets of organization %s: use a token of an organization owner with the admin:org scope (classic) or Organization secrets: write (fine-grained)", id, t.Org)
		}
		return ghCheckFailed(id, err)
	}
	for _, r := range t.Repos {
		owner, name, ok := strings.Cut(r, "/")
		if !ok {
			owner, name = t.Org, r
		}
		if _, err := gh.RepoPermissions(ctx, owner, name); errors.Is(err, ErrNotFound) {
			return ghPreflightf(err, "%s: repository %s/%s, selected for the organization secret, is not visible to the token: check the repos list of the target", id, owner, name)
		} else if err != nil {
			return ghCheckFailed(id, err)
		}
	}
	return nil
}

// ghCheckOrgOwner makes sure the token's user is an owner of org: only
// owners (with a token carrying admin:org, or the fine-grained
// Organization secrets: write permission) may write organization secrets.
func ghCheckOrgOwner(ctx context.Context, gh GitHub, id, org string) error {
	role, err := gh.OrgRole(ctx, org)
	switch {
	case errors.Is(err, ErrNotFound):
		return ghPreflightf(err, "%s: organization %s is not visible to the token, or the token's user is not a member of it: "+
			"check the name, or use a token of an organization owner with admin:org (classic) or 'Organization secrets: write' (fine-grained)", id, org)
	case ghStatus(err) == http.StatusForbidden:
		return ghPreflightf(err, "%s: cannot tell whether the token may manage secrets of organization %s, because it may not read its own membership (%v): "+
			"give the token read:org (classic) or 'Members: read' (fine-grained), or use a token of an organization owner with admin:org", id, org, err)
	case err != nil:
		return ghCheckFailed(id, err)
	case role != "admin":
		return ghPreflightf(nil, "%s: the token's user is a %s, not an owner, of organization %s, so it cannot manage organization secrets: "+
			"use a token of an organization owner with admin:org (classic) or 'Organization secrets: write' (fine-grained)",
			id, strings.ReplaceAll(role, "_", " "), org)
	}
	return nil
}

// ghCheckFailed reports a check that could not be made (the provider's
// error already says what it was doing). Client errors
// (bad token, no access) are preflight problems; server and network errors
// are not, so the engine may retry.
func ghCheckFailed(id string, err error) error {
	if s := ghStatus(err); s >= 400 && s < 500 {
		return ghPreflightf(err, "%s: %v", id, err)
	}
	return fmt.Errorf("%s: %w", id, err)
}

// Plan implements TargetWriter: create or update, as GitHub says now. For
// an organization secret it also says how its audience changes: the
// visibility and selected repositories change only when the inventory says
// so, and a change that takes access away from repositories is flagged
// destructive (it needs its own confirmation).
func (w GitHubSecretWriter) Plan(ctx context.Context, t target.Target) (step.Change, error) {
	if err := ghSecretTarget(t); err != nil {
		return step.Change{}, err
	}
	gh, err := ghClient(w.P, t.ID())
	if err != nil {
		return step.Change{}, err
	}
	what := "Actions secret"
	if t.Type == target.GitHubDependabot {
		what = "Dependabot secret"
	}
	if t.Org != "" {
		st, err := gh.OrgSecret(ctx, ScopeOf(t), t.Secret)
		if err != nil {
			return step.Change{}, fmt.Errorf("%s: %w", t.ID(), err)
		}
		return planOrgSecret(t, what, st), nil
	}
	exists, err := gh.SecretExists(ctx, ScopeOf(t), t.Secret)
	if err != nil {
		return step.Change{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	c := step.Change{Action: step.Create, Target: t.ID(),
		Effect: fmt.Sprintf("create %s %s in %s", what, t.Secret, ghWhere(t))}
	if exists {
		c.Action = step.Update
		c.Effect = fmt.Sprintf("replace the value of %s %s in %s", what, t.Secret, ghWhere(t))
	}
	return c, nil
}

// planOrgSecret describes the write of an organization secret whose
// audience is st now.
func planOrgSecret(t target.Target, what string, st OrgSecretState) step.Change {
	c := step.Change{Action: step.Update, Target: t.ID(),
		Effect: fmt.Sprintf("replace the value of %s %s in %s", what, t.Secret, ghWhere(t))}
	if !st.Exists {
		vis := t.Visibility
		if vis == "" {
			vis = "private"
		}
		c.Action = step.Create
		c.Effect = fmt.Sprintf("create %s %s in %s, visible to %s", what, t.Secret, ghWhere(t), audience(vis, t.Repos))
		return c
	}
	now := audience(st.Visibility, st.Repos)
	switch {
	case t.Visibility == "" || (t.Visibility == st.Visibility && t.Visibility != "selected"):
		c.Effect += "; its audience stays " + now
		return c
	case t.Visibility == "selected" && st.Visibility == "selected":
		lost, gained := diffRepos(st.Repos, t.Repos)
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
		c.Effect += "; " + strings.Join(parts, "; ") + " (the inventory lists " + strings.Join(t.Repos, ", ") + ")"
		return c
	}
	next := audience(t.Visibility, t.Repos)
	c.Effect += fmt.Sprintf("; its audience changes from %s to %s", now, next)
	// Narrowing takes access away: all → private or selected, private →
	// selected.
	if narrower(t.Visibility) < narrower(st.Visibility) || (t.Visibility == "selected" && st.Visibility != "selected") {
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
// and stores it. If GitHub rejects the write because the key changed since
// it was fetched (422), it fetches the current key, seals again and
// retries once.
func (w GitHubSecretWriter) Write(ctx context.Context, t target.Target, v secret.Value) (WriteResult, error) {
	if err := ghSecretTarget(t); err != nil {
		return WriteResult{}, err
	}
	if v.IsZero() {
		return WriteResult{}, step.Errorf("%s: refusing to write an empty value to secret %s", t.ID(), t.Secret)
	}
	gh, err := ghClient(w.P, t.ID())
	if err != nil {
		return WriteResult{}, err
	}
	s := ScopeOf(t)
	opts := OrgSecretOptions{Visibility: t.Visibility, SelectedRepos: t.Repos}
	put := func(pk PublicKey) (bool, error) {
		sealed, err := sealFor(pk, v)
		if err != nil {
			return false, fmt.Errorf("%s: seal the value for %s: %w", t.ID(), ghWhere(t), err)
		}
		return gh.PutSecret(ctx, s, t.Secret, sealed, opts)
	}
	pk, err := gh.PublicKey(ctx, s)
	if err != nil {
		return WriteResult{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	created, err := put(pk)
	if err != nil {
		// A stale key: the client dropped it on the 422, so this fetches
		// the current one. Any other error leaves the key as it was.
		if cur, kerr := gh.PublicKey(ctx, s); kerr == nil && cur.ID != pk.ID {
			created, err = put(cur)
		}
	}
	if err != nil {
		return WriteResult{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	if created {
		return WriteResult{Created: true, Detail: "201 Created"}, nil
	}
	return WriteResult{Detail: "204 No Content (updated)"}, nil
}

// sealFor encrypts v for pk with an anonymous sealed box and base64-encodes
// it, as GitHub's documentation and go-github's example do.
func sealFor(pk PublicKey, v secret.Value) (Sealed, error) {
	out, err := box.SealAnonymous(nil, []byte(v.Reveal()), &pk.Key, rand.Reader)
	if err != nil {
		return Sealed{}, err
	}
	return Sealed{KeyID: pk.ID, EncryptedValue: base64.StdEncoding.EncodeToString(out)}, nil
}
