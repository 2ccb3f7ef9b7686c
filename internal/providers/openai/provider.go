package openai

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/openaiapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// adapter is OpenAI as a provider.Provider, over the Admin API (the API
// interface, implemented by internal/openaiapi).
//
// Keys live in projects. A user's project key is revoked by deleting it; a
// service account's key cannot be deleted on its own (400, API-NOTES §2), so
// its service account is deleted, which revokes its keys. The Admin API
// cannot create a user's key: a replacement is a new service account, named
// after the incident, whose key is the replacement. A key is checked with
// GET /v1/models: 401 invalid_api_key is dead, 200 live, another 401 a
// restricted key that still works.
type adapter struct {
	env *plugin.Env
}

var _ provider.Provider = adapter{}

// client returns the Admin API client, or an error that says how to
// configure it.
func (o adapter) client() (API, error) {
	c, err := plugin.SharedAs[API](o.env, openaiapi.SharedKey, openaiapi.Build(o.env))
	if err != nil {
		return nil, step.Permanent(err)
	}
	return c, nil
}

// configured reports whether a client can be had without an error.
func (o adapter) configured() bool {
	_, err := o.client()
	return err == nil
}

func keyInfoOf(p openaiapi.Project, k openaiapi.ProjectKey) *provider.KeyInfo {
	return &provider.KeyInfo{
		Provider: "openai", ID: k.ID, Name: k.Name, Scope: p.ID, ScopeName: p.Name,
		Owner:    evidence.Owner{Type: k.OwnerType, ID: k.OwnerID, Name: k.OwnerName, Email: k.OwnerEmail},
		Redacted: k.RedactedValue, Created: k.Created, LastUsed: k.LastUsed,
	}
}

// scopes returns the projects to search: scope alone (checked to exist),
// or every active project.
func (o adapter) scopes(ctx context.Context, oa API, scope string) ([]openaiapi.Project, error) {
	projects, err := oa.ListProjects(ctx)
	if err != nil {
		return nil, err
	}
	if scope == "" {
		return projects, nil
	}
	for _, p := range projects {
		if p.ID == scope {
			return []openaiapi.Project{p}, nil
		}
	}
	return nil, step.BadInputf("project %s is not among the organization's active projects: check the ID (proj_…), or leave it out to search every project", scope)
}

// FindByID implements provider.Provider.
func (o adapter) FindByID(ctx context.Context, scope, id string) (*provider.KeyInfo, error) {
	oa, err := o.client()
	if err != nil {
		return nil, err
	}
	projects, err := o.scopes(ctx, oa, scope)
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		key, err := oa.GetProjectKey(ctx, p.ID, id)
		if errors.Is(err, step.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return keyInfoOf(p, key), nil
	}
	return nil, nil
}

// FindByName implements provider.Provider.
func (o adapter) FindByName(ctx context.Context, scope, name string) (*provider.KeyInfo, error) {
	oa, err := o.client()
	if err != nil {
		return nil, err
	}
	projects, err := o.scopes(ctx, oa, scope)
	if err != nil {
		return nil, err
	}
	var found []*provider.KeyInfo
	for _, p := range projects {
		keys, err := oa.ListProjectKeys(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k.Name == name {
				found = append(found, keyInfoOf(p, k))
			}
		}
	}
	return provider.OneNamed(found, name, "")
}

// FindByValue implements provider.Provider: the value is matched against every
// key's redacted value (first 8 and last 4 characters, API-NOTES §8),
// exactly first, then loosely; several matches are an error listing them.
func (o adapter) FindByValue(ctx context.Context, scope string, c secret.Credential) (*provider.KeyInfo, error) {
	if main, ok := c.Main(); ok && isAdminKey(main.Value().Reveal()) {
		return nil, errAdminKey()
	}
	oa, err := o.client()
	if err != nil {
		return nil, err
	}
	projects, err := o.scopes(ctx, oa, scope)
	if err != nil {
		return nil, err
	}
	main, _ := c.Main()
	v := main.Value()
	want := redactedForm(v.Reveal())
	// Every project's keys at once: identification is on the path to
	// containment, and each sequential round trip delays the revoke.
	lists := make([][]openaiapi.ProjectKey, len(projects))
	errs := make([]error, len(projects))
	var wg sync.WaitGroup
	for i, p := range projects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], errs[i] = oa.ListProjectKeys(ctx, p.ID)
		}()
	}
	wg.Wait()
	var exact, loose []*provider.KeyInfo
	for i, p := range projects {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, key := range lists[i] {
			switch {
			case want != "" && key.RedactedValue == want:
				exact = append(exact, keyInfoOf(p, key))
			case looseMatch(v.Reveal(), key.RedactedValue):
				loose = append(loose, keyInfoOf(p, key))
			}
		}
	}
	matches := exact
	if len(matches) == 0 {
		matches = loose
	}
	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
		return matches[0], nil
	}
	var b strings.Builder
	for _, m := range matches {
		fmt.Fprintf(&b, "\n  %s %q in %s (%s), %s, %s", m.ID, m.Name, m.ScopeName, m.Scope, provider.DescribeOwner(m.Owner), provider.ShortRedacted(m.Redacted))
	}
	return nil, step.BadInputf("the leaked value (%s) matches %d keys; say which with its ID (--key-id key_…, with --project proj_…):%s",
		v.Redacted(), len(matches), b.String())
}

// Matches implements provider.Provider: the value's redacted form is the key's.
func (adapter) Matches(k provider.KeyInfo, c secret.Credential) bool {
	main, _ := c.Main()
	v := main.Value().Reveal()
	return k.Redacted == redactedForm(v) || looseMatch(v, k.Redacted)
}

// Check implements provider.Provider with GET /v1/models.
func (o adapter) Check(ctx context.Context, c secret.Credential) (provider.KeyCheck, error) {
	oa, err := o.client()
	if err != nil {
		return provider.KeyCheck{}, err
	}
	main, _ := c.Main()
	kc, err := oa.CheckKey(ctx, main.Value())
	return provider.KeyCheck{State: provider.KeyState(kc.State), StatusCode: kc.StatusCode, Code: kc.Code, Method: "GET /v1/models", CheckedAt: kc.CheckedAt}, err
}

// Listed implements provider.Provider.
func (o adapter) Listed(ctx context.Context, k provider.KeyInfo) (bool, error) {
	oa, err := o.client()
	if err != nil {
		return false, err
	}
	_, err = oa.GetProjectKey(ctx, k.Scope, k.ID)
	switch {
	case errors.Is(err, step.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// PlanRevoke implements provider.Provider. When OpenAI is reachable it looks the
// key up (a read), to name it and its owner.
func (o adapter) PlanRevoke(ctx context.Context, k provider.KeyInfo) (step.Change, error) {
	target := "OpenAI key " + k.ID
	// key.identify read the key moments ago: with its name and owner, the
	// plan needs no read (one round trip less before the revoke).
	known := k.Name != "" && (k.Owner.Type == "user" || k.Owner.Type == "service_account" && k.Owner.ID != "")
	if known {
		target = fmt.Sprintf("OpenAI key %s (%s)", k.ID, k.Name)
	} else if o.configured() {
		if oa, err := o.client(); err == nil {
			key, err := oa.GetProjectKey(ctx, k.Scope, k.ID)
			switch {
			case errors.Is(err, step.ErrNotFound):
				return step.Change{Action: step.NoOp, Target: target,
					Effect: "already gone from project " + k.Scope + ": nothing to revoke (the provider may have disabled it)"}, nil
			case err == nil:
				target = fmt.Sprintf("OpenAI key %s (%s)", k.ID, key.Name)
				k.Owner = evidence.Owner{Type: key.OwnerType, ID: key.OwnerID, Name: key.OwnerName}
			}
		}
	}
	effect := "revoke: delete the project API key"
	switch k.Owner.Type {
	case "service_account":
		sa := k.Owner.ID
		if sa == "" {
			sa = "the owning service account"
		}
		effect = "revoke: delete service account " + sa + " and its keys"
	case "":
		effect = "revoke: delete the project API key (or its service account, if one owns it)"
	}
	return step.Change{Action: step.Delete, Target: target, Effect: effect}, nil
}

// Revoke implements provider.Provider.
func (o adapter) Revoke(ctx context.Context, k provider.KeyInfo, log func(string, ...any)) (evidence.Revoked, error) {
	oa, err := o.client()
	if err != nil {
		return evidence.Revoked{}, err
	}
	ev := evidence.Revoked{Provider: "openai", KeyID: k.ID, Scope: k.Scope, Contained: true, Method: "delete project key"}
	gone := func() (evidence.Revoked, error) {
		ev.AlreadyDisabled = true
		if k.Owner.Type == "service_account" {
			ev.Method = "delete service account"
		}
		return ev, nil
	}
	if k.Owner.Type == "" || (k.Owner.Type == "service_account" && k.Owner.ID == "") {
		key, err := oa.GetProjectKey(ctx, k.Scope, k.ID)
		if errors.Is(err, step.ErrNotFound) {
			return gone()
		}
		if err != nil {
			return ev, fmt.Errorf("finding the owner of key %s: %w", k.ID, err)
		}
		k.Owner = evidence.Owner{Type: key.OwnerType, ID: key.OwnerID, Name: key.OwnerName}
	}
	deleteSA := func() (evidence.Revoked, error) {
		ev.Method, ev.Principal = "delete service account", k.Owner.ID
		err := oa.DeleteServiceAccount(ctx, k.Scope, k.Owner.ID)
		switch {
		case err == nil:
			return ev, nil
		case errors.Is(err, step.ErrNotFound):
			return gone()
		}
		return ev, fmt.Errorf("revoking key %s by deleting service account %s of project %s: %w; the key may still "+
			"work: delete the service account on the OpenAI dashboard if this persists", k.ID, k.Owner.ID, k.Scope, err)
	}
	if k.Owner.Type == "service_account" {
		return deleteSA()
	}
	err = oa.DeleteProjectKey(ctx, k.Scope, k.ID)
	switch {
	case err == nil:
		return ev, nil
	case errors.Is(err, step.ErrNotFound):
		return gone()
	}
	// OpenAI answers 400 when the key belongs to a service account: find
	// out who owns it before giving up.
	key, gerr := oa.GetProjectKey(ctx, k.Scope, k.ID)
	switch {
	case errors.Is(gerr, step.ErrNotFound):
		return gone()
	case gerr == nil && key.OwnerType == "service_account":
		log("key %s belongs to service account %s: deleting the service account instead", k.ID, key.OwnerID)
		k.Owner = evidence.Owner{Type: "service_account", ID: key.OwnerID, Name: key.OwnerName}
		return deleteSA()
	}
	return ev, fmt.Errorf("revoking key %s of project %s: %w; the key may still work: revoke it on the OpenAI "+
		"dashboard (project API keys) if this persists", k.ID, k.Scope, err)
}

// CanReplace implements provider.Provider: the admin key must be able to list
// the project's service accounts, which creating the replacement needs.
func (o adapter) CanReplace(ctx context.Context, scope string, _ *provider.KeyInfo) error {
	oa, err := o.client()
	if err != nil {
		return err
	}
	if _, err := oa.ListServiceAccounts(ctx, scope); err != nil {
		if errors.Is(err, step.ErrNotFound) {
			return fmt.Errorf("the admin key cannot see this project; check the project ID in the inventory and that OPENAI_ADMIN_KEY belongs to its organization")
		}
		return fmt.Errorf("cannot list its service accounts, which creating the replacement needs (%v); check that OPENAI_ADMIN_KEY is an admin key of the project's organization and that the project is not archived", err)
	}
	return nil
}

// PlanReplace implements provider.Provider.
func (adapter) PlanReplace(_ context.Context, r provider.ReplaceRequest) (step.Change, error) {
	return step.Change{
		Action: step.Create,
		Target: fmt.Sprintf("OpenAI project %s service account %s", r.Scope, r.Name),
		Effect: "create a service account; its key is the replacement",
	}, nil
}

// Replace implements provider.Provider: a new service account whose key is the
// replacement, after deleting the one an earlier apply created that no
// place holds and any other of the same name (a create that succeeded
// before a crash), but those of r.Keep, which stay live.
func (o adapter) Replace(ctx context.Context, r provider.ReplaceRequest, log func(string, ...any)) (secret.Credential, evidence.Created, error) {
	oa, err := o.client()
	if err != nil {
		return secret.Credential{}, evidence.Created{}, err
	}
	var deleted []string
	if r.Previous != nil && r.Previous.Principal.ID != "" {
		if err := deleteLeftover(ctx, oa, r.Scope, r.Previous.Principal.ID); err != nil {
			return secret.Credential{}, evidence.Created{}, err
		}
		log("deleted service account %s from the earlier run: its key value was not kept and no target holds it", r.Previous.Principal.ID)
		deleted = append(deleted, r.Previous.Principal.ID)
	}
	more, err := o.Reconcile(ctx, r, log)
	if err != nil {
		return secret.Credential{}, evidence.Created{}, err
	}
	deleted = append(deleted, more...)
	sa, key, err := oa.CreateServiceAccount(ctx, r.Scope, r.Name)
	if err != nil {
		return secret.Credential{}, evidence.Created{}, fmt.Errorf("creating service account %q in project %s: %w; if it was "+
			"created anyway, `respond resume` finds and replaces it", r.Name, r.Scope, err)
	}
	if key.Value.IsZero() {
		return secret.Credential{}, evidence.Created{}, fmt.Errorf("service account %s was created without a key: delete it on the OpenAI dashboard and run `respond resume`", sa.ID)
	}
	if deleted == nil {
		deleted = []string{}
	}
	cred := secret.NewCredential("openai", secret.SecretPart("key", key.Value))
	return cred, evidence.Created{
		Provider: "openai", KeyID: key.ID, Scope: r.Scope,
		Principal:        evidence.Principal{Type: "service_account", ID: sa.ID, Name: sa.Name},
		Redacted:         key.Value.Redacted(),
		Fingerprint:      key.Value.Fingerprint(),
		CreatedAt:        provider.RFC3339(sa.Created),
		DeletedLeftovers: deleted,
		PermissionsHint:  "key permissions on the OpenAI dashboard (Restricted or Read only, per endpoint)",
	}, nil
}

// Reconcile implements provider.Provider: every service account of the project
// named exactly r.Name is deleted, but those of r.Keep (earlier
// replacements that places still hold).
func (o adapter) Reconcile(ctx context.Context, r provider.ReplaceRequest, log func(string, ...any)) ([]string, error) {
	oa, err := o.client()
	if err != nil {
		return nil, err
	}
	sas, err := oa.ListServiceAccounts(ctx, r.Scope)
	if err != nil {
		return nil, fmt.Errorf("looking for leftover service accounts named %q: %w", r.Name, err)
	}
	keep := map[string]bool{}
	for _, k := range r.Keep {
		keep[k.Principal.ID] = true
	}
	var deleted []string
	for _, sa := range sas {
		if sa.Name != r.Name || keep[sa.ID] {
			continue // another name, or an earlier replacement places still hold
		}
		if err := deleteLeftover(ctx, oa, r.Scope, sa.ID); err != nil {
			return deleted, err
		}
		log("deleted leftover service account %s (%s) of this incident: its key value was lost", sa.ID, sa.Name)
		deleted = append(deleted, sa.ID)
	}
	return deleted, nil
}

// deleteLeftover deletes a service account this incident no longer needs;
// one that is already gone is fine.
func deleteLeftover(ctx context.Context, oa API, project, id string) error {
	err := oa.DeleteServiceAccount(ctx, project, id)
	if err == nil || errors.Is(err, step.ErrNotFound) {
		return nil
	}
	return fmt.Errorf("deleting leftover service account %s of this incident: %w", id, err)
}

// Usage implements provider.Provider: hourly completions usage grouped by
// api_key_id, and the project's spend limit and alerts.
func (o adapter) Usage(ctx context.Context, k provider.KeyInfo, start, end time.Time, log func(string, ...any)) (evidence.Usage, error) {
	oa, err := o.client()
	if err != nil {
		return evidence.Usage{}, err
	}
	u := evidence.Usage{Provider: "openai", KeyID: k.ID, Source: "OpenAI Usage API (completions, hourly)", Buckets: []evidence.UsageBucket{}}
	buckets, err := oa.Usage(ctx, k.Scope, []string{k.ID}, start, end)
	if err != nil {
		return u, fmt.Errorf("reading the usage of key %s in project %s: %w", k.ID, k.Scope, err)
	}
	for _, b := range buckets {
		if b.KeyID != "" && b.KeyID != k.ID {
			continue
		}
		if b.Requests == 0 && b.InputTokens == 0 && b.OutputTokens == 0 {
			continue
		}
		u.Buckets = append(u.Buckets, evidence.UsageBucket{Start: provider.RFC3339(b.Start), Requests: b.Requests, InputTokens: b.InputTokens, OutputTokens: b.OutputTokens})
	}
	u.SpendControls = "read"
	sc, serr := oa.SpendControls(ctx, k.Scope)
	if serr != nil {
		u.SpendControls = "unknown"
		u.SpendControlsError = serr.Error()
		log("could not read the spend controls of %s: %v", k.Scope, serr)
		return u, nil
	}
	if sc.Limit != nil {
		u.HasSpendLimit = true
		u.SpendLimitText = fmt.Sprintf("%s %s per %s", money(sc.Limit.AmountCents), sc.Limit.Currency, sc.Limit.Interval)
	}
	u.SpendAlerts = len(sc.Alerts)
	return u, nil
}

// LastUsed implements provider.Provider.
func (o adapter) LastUsed(ctx context.Context, k provider.KeyInfo) (*time.Time, error) {
	oa, err := o.client()
	if err != nil {
		return nil, err
	}
	key, err := oa.GetProjectKey(ctx, k.Scope, k.ID)
	if err != nil {
		return nil, err
	}
	return key.LastUsed, nil
}

// Retire implements provider.Provider: an OpenAI key is deleted when it is
// revoked, so there is nothing left to do.
func (adapter) Retire(context.Context, provider.KeyInfo) (evidence.Retired, error) {
	return evidence.Retired{Provider: "openai", Method: "nothing to do: the key was deleted when it was revoked"}, nil
}

// money formats cents as 1234.56.
func money(cents int64) string {
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

// Scopes implements provider.Provider: the organization's projects.
func (o adapter) Scopes(ctx context.Context) ([]provider.KeyScope, error) {
	oa, err := o.client()
	if err != nil {
		return nil, err
	}
	projects, err := oa.ListProjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing OpenAI projects: %w", err)
	}
	out := make([]provider.KeyScope, len(projects))
	for i, p := range projects {
		out[i] = provider.KeyScope{ID: p.ID, Name: p.Name}
	}
	return out, nil
}

// ListKeys implements provider.Provider: a project's keys.
func (o adapter) ListKeys(ctx context.Context, scope string) ([]provider.KeyInfo, error) {
	oa, err := o.client()
	if err != nil {
		return nil, err
	}
	keys, err := oa.ListProjectKeys(ctx, scope)
	if err != nil {
		return nil, fmt.Errorf("listing the keys of %s: %w", scope, err)
	}
	out := make([]provider.KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = *keyInfoOf(openaiapi.Project{ID: scope}, k)
	}
	return out, nil
}

// Adopt implements provider.Provider: a key a person made (on the OpenAI
// dashboard) is found among the project's keys by its redacted form, and
// checked to work.
func (o adapter) Adopt(ctx context.Context, r provider.ReplaceRequest, cred secret.Credential) (evidence.Created, error) {
	k, err := o.FindByValue(ctx, r.Scope, cred)
	if err != nil {
		return evidence.Created{}, err
	}
	if k == nil {
		return evidence.Created{}, step.BadInputf("the pasted key is not a key of project %s: create it in that project (a service account's key, Settings → Service accounts) and paste it again", r.Scope)
	}
	if k.ID == r.Old.ID && r.Old.ID != "" {
		return evidence.Created{}, step.BadInputf("the pasted key is %s, the key being replaced: paste the new key", k.ID)
	}
	main, _ := cred.Main()
	return evidence.Created{
		Provider: Name, KeyID: k.ID, Scope: r.Scope,
		Principal:        evidence.Principal{Type: k.Owner.Type, ID: k.Owner.ID, Name: k.Owner.Name},
		Redacted:         main.Value().Redacted(),
		Fingerprint:      main.Value().Fingerprint(),
		CreatedAt:        provider.RFC3339(k.Created),
		DeletedLeftovers: []string{},
		Adopted:          true,
	}, nil
}

// Discard implements provider.Provider: the service account respond
// created for a replacement it no longer needs is deleted.
func (o adapter) Discard(ctx context.Context, c evidence.Created, log func(string, ...any)) error {
	oa, err := o.client()
	if err != nil {
		return err
	}
	if c.Principal.Type != "service_account" || c.Principal.ID == "" || c.Adopted {
		return nil // a key respond did not create is not respond's to delete
	}
	if err := deleteLeftover(ctx, oa, c.Scope, c.Principal.ID); err != nil {
		return err
	}
	log("deleted service account %s: the replacement it held is no longer used", c.Principal.ID)
	return nil
}
