// Package runner runs `respond audit`: it reads the inventory, asks every
// provider of keys and every type of target in the registry what it can
// see, checks GitHub (alerts, push protection, secrets and where they
// are), and returns the findings. It only reads: no request it sends
// changes anything.
//
// The core's checks know no plug-in by name. Keys are checked from what a
// provider's capabilities say it knows (a key's last use only where
// Capabilities.LastUsed); providers and target types add their own checks
// by implementing provider.Auditor and target.Auditor in their packages;
// a target type that is a place the audit finds itself (a GitHub secret)
// says so with target.Placer.
package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/target"
)

// Options are what an audit runs with.
type Options struct {
	// Inventory is the inventory (nil: none, and every key in use is an
	// unknown consumer).
	Inventory *inventory.Inventory
	// Env is the plug-in environment providers, writers and the GitHub
	// client are built from.
	Env *plugin.Env
	// Keys and Writers are built from Env.
	Keys    *provider.Set
	Writers *target.Set
	// Orgs are GitHub organizations to audit besides those the inventory
	// names.
	Orgs []string
	// Now is the audit's clock.
	Now time.Time
	// Log says what the audit does and what it costs, for people
	// (standard error).
	Log func(format string, args ...any)
}

// Result is what an audit found.
type Result struct {
	Findings []audit.Finding `json:"findings"`
	// Skipped says what could not be checked, and why.
	Skipped []string `json:"skipped"`
	// Cost is what the audit sent, per service.
	Cost []Cost `json:"cost"`
	// Repositories is how many GitHub repositories were audited.
	Repositories int `json:"repositories"`
}

// Cost is the requests one service was sent.
type Cost struct {
	Service  string `json:"service"`
	Requests int    `json:"requests"`
	// Points are GitHub's secondary-limit points (reads cost 1).
	Points int `json:"points,omitempty"`
}

// run is one audit in progress.
type run struct {
	o   Options
	mu  sync.Mutex
	res Result
	// places are the places the inventory's targets name (Placer).
	places map[audit.Place]string // -> credential name
}

func (r *run) report(f audit.Finding) {
	r.mu.Lock()
	r.res.Findings = append(r.res.Findings, f)
	r.mu.Unlock()
}

func (r *run) skip(format string, args ...any) {
	r.mu.Lock()
	r.res.Skipped = append(r.res.Skipped, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *run) cost(service string, requests, points int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.res.Cost {
		if r.res.Cost[i].Service == service {
			r.res.Cost[i].Requests += requests
			r.res.Cost[i].Points += points
			return
		}
	}
	r.res.Cost = append(r.res.Cost, Cost{Service: service, Requests: requests, Points: points})
}

func (r *run) log(format string, args ...any) {
	if r.o.Log != nil {
		r.o.Log(format, args...)
	}
}

// Run audits. An error is one that stops the whole audit (the context
// ended); what one part could not check is in Result.Skipped.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Env == nil {
		o.Env = plugin.New(nil, nil, nil)
	}
	if o.Keys == nil {
		o.Keys = provider.NewSet(o.Env)
	}
	if o.Writers == nil {
		o.Writers = target.NewSet(o.Env)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	r := &run{o: o, places: map[audit.Place]string{}}
	r.res.Findings, r.res.Skipped = []audit.Finding{}, []string{}
	r.collectPlaces()

	var wg sync.WaitGroup
	wg.Go(func() { r.keys(ctx) })
	wg.Go(func() { r.targets(ctx) })
	wg.Go(func() { r.github(ctx) })
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.Env.Has(githubapi.SharedKey) {
		if gh, err := githubapi.Shared(o.Env); err == nil {
			st := gh.Stats()
			r.cost("GitHub", int(st.Requests), int(st.Points))
		}
	}
	r.res.Findings = audit.Dedupe(r.res.Findings)
	audit.Sort(r.res.Findings)
	sort.Strings(r.res.Skipped)
	sort.Slice(r.res.Cost, func(i, j int) bool { return r.res.Cost[i].Service < r.res.Cost[j].Service })
	return &r.res, nil
}

// credentials returns the inventory's credentials (none without one).
func (r *run) credentials() []inventory.Credential {
	if r.o.Inventory == nil {
		return nil
	}
	return r.o.Inventory.Credentials
}

// collectPlaces records the places the inventory's targets name.
func (r *run) collectPlaces() {
	for _, c := range r.credentials() {
		for _, t := range c.Targets {
			_, w, err := r.o.Writers.Writer(t.Type)
			if err != nil {
				continue
			}
			if p, ok := w.(target.Placer); ok {
				for _, pl := range p.Places(t) {
					r.places[pl] = c.Name
				}
			}
		}
	}
}

// keys runs the key checks of every provider: those with inventory
// credentials, and every configured one (its keys may have consumers the
// inventory does not know).
func (r *run) keys(ctx context.Context) {
	byProvider := map[string][]inventory.Credential{}
	for _, c := range r.credentials() {
		byProvider[c.Provider] = append(byProvider[c.Provider], c)
	}
	var wg sync.WaitGroup
	for _, s := range provider.Specs() {
		creds := byProvider[s.Name]
		if !s.IsConfigured(r.o.Env.Getenv) {
			if len(creds) > 0 {
				r.skip("%s: not configured, so its %d credential(s) were not checked (%s)", s.Title, len(creds), s.NotConfigured)
			}
			continue
		}
		wg.Go(func() { r.provider(ctx, s, creds) })
	}
	wg.Wait()
}

// provider runs one provider's checks.
func (r *run) provider(ctx context.Context, s *provider.Spec, creds []inventory.Credential) {
	_, p, err := r.o.Keys.Get(s.Name)
	if err != nil {
		r.skip("%s: %v", s.Title, err)
		return
	}
	keys, complete, err := r.listKeys(ctx, s, p)
	if err != nil {
		r.skip("%s: listing its keys failed, so its keys were not checked: %v", s.Title, err)
		return
	}
	r.log("%s: %d keys", s.Title, len(keys))
	found := r.keyChecks(s, keys, complete, creds)
	a, ok := p.(provider.Auditor)
	if !ok {
		return
	}
	req := provider.AuditRequest{Now: r.o.Now, Report: r.report, Log: r.o.Log}
	for i, c := range creds {
		req.Credentials = append(req.Credentials, provider.AuditCredential{
			Name: c.Name, Scope: c.Scope, KeyID: c.KeyID, KeyName: c.KeyName, RotateEvery: c.RotateEvery,
			Targets: len(c.SecretTargets()), Key: found[i],
		})
	}
	res, err := a.Audit(ctx, req)
	if res.Requests > 0 {
		r.cost(s.Title, res.Requests, 0)
	}
	for _, sk := range res.Skipped {
		r.skip("%s: %s", s.Title, sk)
	}
	if err != nil {
		r.skip("%s: its own checks stopped: %v", s.Title, err)
	}
}

// listKeys lists every key the provider's credentials can see; complete
// is false when some scope could not be listed.
func (r *run) listKeys(ctx context.Context, s *provider.Spec, p provider.Provider) ([]provider.KeyInfo, bool, error) {
	if l, ok := p.(provider.KeyLister); ok {
		keys, n, err := l.AuditKeys(ctx, r.o.Now)
		r.cost(s.Title, n, 0)
		return keys, err == nil, err
	}
	scopes, err := p.Scopes(ctx)
	r.cost(s.Title, 1, 0)
	if err != nil {
		return nil, false, err
	}
	var (
		mu       sync.Mutex
		keys     []provider.KeyInfo
		complete = true
		wg       sync.WaitGroup
	)
	for _, sc := range scopes {
		wg.Go(func() {
			ks, err := p.ListKeys(ctx, sc.ID)
			mu.Lock()
			defer mu.Unlock()
			r.cost(s.Title, 1, 0)
			if err != nil {
				complete = false
				r.skip("%s: the keys of %s %s could not be listed: %v", s.Title, s.Scope.Kind, sc.ID, err)
				return
			}
			for _, k := range ks {
				if k.ScopeName == "" {
					k.ScopeName = sc.Name
				}
				keys = append(keys, k)
			}
		})
	}
	wg.Wait()
	sort.Slice(keys, func(i, j int) bool { return keys[i].Scope+keys[i].ID < keys[j].Scope+keys[j].ID })
	return keys, complete, nil
}

// names returns what a key is called in findings: "OpenAI API key
// key_abc (prod-backend) of project proj_1".
func keyName(s *provider.Spec, k provider.KeyInfo) string {
	n := s.KeyTitle() + " " + k.ID
	if k.Name != "" && k.Name != k.ID {
		n += " (" + k.Name + ")"
	}
	if k.Scope != "" {
		n += " in " + s.Scope.Kind + " " + k.Scope
	}
	return n
}

// live reports whether a key is usable as far as its listing says.
func live(k provider.KeyInfo) bool {
	switch strings.ToLower(k.Status) {
	case "", "active", "live", "enabled":
		return true
	}
	return false
}

// keyChecks runs the checks every provider gets from its capabilities;
// found[i] is creds[i]'s key (nil when not found).
func (r *run) keyChecks(s *provider.Spec, keys []provider.KeyInfo, complete bool, creds []inventory.Credential) []*provider.KeyInfo {
	now := r.o.Now
	found := make([]*provider.KeyInfo, len(creds))
	named := map[int]int{} // key index -> credential index
	for ci, c := range creds {
		for ki := range keys {
			k := keys[ki]
			if c.Scope != "" && k.Scope != "" && k.Scope != c.Scope {
				continue
			}
			if (c.KeyID != "" && k.ID == c.KeyID) || (c.KeyID == "" && c.KeyName != "" && k.Name == c.KeyName) {
				found[ci] = &keys[ki]
				named[ki] = ci
				break
			}
		}
		if found[ci] == nil && complete {
			which := c.KeyID
			if which == "" {
				which = "named " + c.KeyName
			}
			where := ""
			if c.Scope != "" {
				where = " in " + s.Scope.Kind + " " + c.Scope
			}
			r.report(audit.New(checkMissingKey, "credential "+c.Name,
				fmt.Sprintf("credential %s names %s key %s%s, which %s no longer lists", c.Name, s.Title, which, where, s.Title),
				fmt.Sprintf("correct the key of credential %s in %s (key_id/key_name) to the key its targets hold, or run `respond rotate --credential %s` once the key is right", c.Name, r.inventoryFile(), c.Name),
				"provider: "+s.Title, "credential: "+c.Name, fmt.Sprintf("%d target(s) hold it", len(c.SecretTargets()))))
		}
		if n := len(c.SecretTargets()); n >= ManyTargets {
			r.report(audit.New(checkBlastRadius, "credential "+c.Name,
				fmt.Sprintf("one %s (credential %s) is deployed to %d places", s.KeyTitle(), c.Name, n),
				fmt.Sprintf("split credential %s into one key per service in %s, then `respond rotate` each", c.Name, r.inventoryFile()),
				fmt.Sprintf("targets: %d", n), "credential: "+c.Name))
		}
	}
	for ki, k := range keys {
		if !live(k) {
			continue
		}
		ci, isNamed := named[ki]
		every := DefaultRotateEvery
		cred := ""
		if isNamed {
			cred = creds[ci].Name
			if creds[ci].RotateEvery > 0 {
				every = creds[ci].RotateEvery
			}
		}
		name := keyName(s, k)
		if !k.Created.IsZero() && now.Sub(k.Created) > every {
			fix := fmt.Sprintf("`respond rotate --key-id %s` rotates it", k.ID)
			if cred != "" {
				fix = fmt.Sprintf("`respond rotate --credential %s`; then run `respond rotate --due` on a schedule (docs/rotation.md)", cred)
			}
			ev := []string{"created: " + k.Created.UTC().Format(time.DateOnly), fmt.Sprintf("age: %d days", int(now.Sub(k.Created).Hours()/24)),
				"rotate every: " + days(every)}
			if cred != "" {
				ev = append(ev, "credential: "+cred)
			}
			r.report(audit.New(checkStaleKey, name, fmt.Sprintf("%s is %d days old, past its %s rotation", name, int(now.Sub(k.Created).Hours()/24), days(every)), fix, ev...))
		}
		if !s.Caps.LastUsed {
			continue
		}
		unused := (k.LastUsed == nil && !k.Created.IsZero() && now.Sub(k.Created) > UnusedAfter) ||
			(k.LastUsed != nil && now.Sub(*k.LastUsed) > UnusedAfter)
		if unused {
			last := "never"
			if k.LastUsed != nil {
				last = k.LastUsed.UTC().Format(time.DateOnly)
			}
			r.report(audit.New(checkUnusedKey, name, fmt.Sprintf("%s has not been used for 30 days (last used: %s)", name, last),
				fmt.Sprintf("delete it at %s once you are sure nothing needs it%s", s.Title, removeCred(cred, r.inventoryFile())),
				"last used: "+last, "created: "+k.Created.UTC().Format(time.DateOnly)))
		}
		if !isNamed && k.LastUsed != nil && now.Sub(*k.LastUsed) <= RecentUse {
			r.report(audit.New(checkUnknownConsumer, name, fmt.Sprintf("%s was used on %s, but no inventory credential names it", name, k.LastUsed.UTC().Format(time.DateOnly)),
				fmt.Sprintf("find what uses it, then add a credential with `key_id: %s` and its targets to %s", k.ID, r.inventoryFile()),
				"last used: "+k.LastUsed.UTC().Format(time.RFC3339), "owner: "+provider.DescribeOwner(k.Owner)))
		}
	}
	return found
}

func removeCred(cred, file string) string {
	if cred == "" {
		return ""
	}
	return fmt.Sprintf(", and remove credential %s from %s", cred, file)
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return d.String()
}

func (r *run) inventoryFile() string {
	if r.o.Inventory == nil || r.o.Inventory.File == "" {
		return "the inventory"
	}
	return r.o.Inventory.File
}

// targets checks every target's container (as preflight does) and runs
// each type's own checks.
func (r *run) targets(ctx context.Context) {
	type entry struct {
		t    target.Target
		cred string
	}
	byType := map[string][]entry{}
	var types []string
	for _, c := range r.credentials() {
		for _, t := range c.Targets {
			if _, ok := byType[t.Type]; !ok {
				types = append(types, t.Type)
			}
			byType[t.Type] = append(byType[t.Type], entry{t, c.Name})
		}
	}
	var wg sync.WaitGroup
	for _, typ := range types {
		es := byType[typ]
		spec, w, err := r.o.Writers.Writer(typ)
		if err != nil {
			r.skip("%d %s target(s): %v", len(es), typ, err)
			continue
		}
		wg.Go(func() {
			ts := make([]target.Target, len(es))
			for i, e := range es {
				ts[i] = e.t
			}
			var errs []error
			if b, ok := w.(target.BatchChecker); ok {
				errs = b.CheckAll(ctx, ts)
			} else {
				errs = make([]error, len(ts))
				for i, t := range ts {
					errs[i] = w.Check(ctx, t)
				}
			}
			for i, err := range errs {
				if err == nil || ctx.Err() != nil {
					continue
				}
				e := es[i]
				r.report(audit.New(checkMissingContainer, e.t.ID(),
					fmt.Sprintf("%s %s of credential %s cannot be written: %s", spec.Title, e.t.ID(), e.cred, firstLine(err)),
					fmt.Sprintf("create what is missing, or correct or remove the target in %s (then `respond inventory validate`)", r.inventoryFile()),
					"target: "+e.t.ID(), "credential: "+e.cred, "problem: "+firstLine(err)))
			}
			if a, ok := w.(target.Auditor); ok {
				req := target.AuditRequest{Now: r.o.Now, Report: r.report}
				for _, e := range es {
					req.Targets = append(req.Targets, target.AuditTarget{Target: e.t, Credential: e.cred})
				}
				if err := a.Audit(ctx, req); err != nil {
					r.skip("%s targets: their own checks stopped: %v", spec.Title, err)
				}
			}
		})
	}
	wg.Wait()
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// github runs the GitHub checks, when a token is configured.
func (r *run) github(ctx context.Context) {
	if !githubapi.Configured(r.o.Env) {
		r.skip("GitHub: not configured (GITHUB_TOKEN or GH_TOKEN), so alerts, push protection and unlisted secrets were not checked")
		return
	}
	gh, err := githubapi.Shared(r.o.Env)
	if err != nil {
		r.skip("GitHub: %v", err)
		return
	}
	orgs := r.orgs()
	if len(orgs) == 0 {
		r.skip("GitHub: no organization to audit: the inventory names none; give one with --org")
		return
	}
	var wg sync.WaitGroup
	for _, org := range orgs {
		wg.Go(func() { r.githubOrg(ctx, gh, org) })
	}
	wg.Wait()
	r.copiedSecrets()
}

// orgs are the GitHub owners the inventory's places name, and Options.Orgs.
func (r *run) orgs() []string {
	seen := map[string]bool{}
	var out []string
	add := func(o string) {
		o = strings.TrimSpace(o)
		if o != "" && !seen[strings.ToLower(o)] {
			seen[strings.ToLower(o)] = true
			out = append(out, o)
		}
	}
	for _, o := range r.o.Orgs {
		add(o)
	}
	for p := range r.places {
		if !strings.HasPrefix(p.Store, "github-") {
			continue
		}
		if org, ok := strings.CutPrefix(p.Container, "org "); ok {
			add(org)
		} else if owner, _, ok := strings.Cut(p.Container, "/"); ok {
			add(owner)
		}
	}
	sort.Strings(out)
	return out
}

// keyLike returns the provider whose secret names the name looks like.
func keyLike(name string) (*provider.Spec, bool) {
	for _, s := range provider.Specs() {
		if s.SecretNames != nil && s.SecretNames.MatchString(name) {
			return s, true
		}
	}
	return nil, false
}

// githubOrg audits one organization: its repositories' push protection
// and secrets (2 requests a repository: Actions and Dependabot secrets),
// its own secrets and its open alerts (a request per 100).
func (r *run) githubOrg(ctx context.Context, gh *githubapi.Client, org string) {
	repos, err := gh.OrgRepos(ctx, org)
	if err != nil {
		r.skip("GitHub organization %s: %v", org, err)
		return
	}
	var active []githubapi.Repo
	for _, rp := range repos {
		if !rp.Archived {
			active = append(active, rp)
		}
	}
	pages := (len(repos) + 99) / 100
	r.log("GitHub %s: %d repositories: about %d requests (%d to list them, 2 a repository for its Actions and Dependabot secrets, 2 for the organization's, and 1 per 100 open alerts), paced within GitHub's limits",
		org, len(active), pages+2*len(active)+3, pages)
	r.mu.Lock()
	r.res.Repositories += len(active)
	r.mu.Unlock()

	unknownPP := 0
	for _, rp := range active {
		switch rp.PushProtection {
		case "disabled":
			r.report(audit.New(checkPushProtection, rp.FullName(), "push protection is off in "+rp.FullName(),
				fmt.Sprintf("`gh api -X PATCH repos/%s -f 'security_and_analysis[secret_scanning_push_protection][status]=enabled'`", rp.FullName()),
				"security_and_analysis.secret_scanning_push_protection: disabled").
				At(audit.Location{URI: rp.HTMLURL + "/settings/security_analysis"}))
		case "":
			unknownPP++
		}
	}
	if unknownPP > 0 {
		r.skip("GitHub %s: push protection of %d repositories is not shown to the token (it needs an administrator of each, or an organization owner)", org, unknownPP)
	}

	var wg sync.WaitGroup
	sem := make(chan struct{}, 16) // the client's limiter paces what is really sent
	for _, rp := range active {
		for _, app := range []string{"actions", "dependabot"} {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				secs, err := gh.ListSecrets(ctx, githubapi.SecretScope{App: app, Owner: rp.Owner, Repo: rp.Name})
				if err != nil {
					r.skip("GitHub %s: the %s secrets of %s could not be listed: %v", org, app, rp.FullName(), err)
					return
				}
				for _, sec := range secs {
					r.unlisted(audit.GitHubRepoSecret(app, rp.Owner, rp.Name, sec.Name), sec.Name, rp.FullName(),
						fmt.Sprintf("gh secret delete %s -R %s%s", sec.Name, rp.FullName(), appFlag(app)),
						fmt.Sprintf("- github-%s: {repo: %s, secret: %s}", app, rp.FullName(), sec.Name))
				}
			})
		}
	}
	for _, app := range []string{"actions", "dependabot"} {
		wg.Go(func() {
			secs, err := gh.ListSecrets(ctx, githubapi.SecretScope{App: app, Org: org})
			if err != nil {
				r.skip("GitHub %s: the organization's %s secrets could not be listed: %v", org, app, err)
				return
			}
			for _, sec := range secs {
				r.unlisted(audit.GitHubOrgSecret(app, org, sec.Name), sec.Name, "organization "+org,
					fmt.Sprintf("gh secret delete %s --org %s%s", sec.Name, org, appFlag(app)),
					fmt.Sprintf("- github-%s: {org: %s, secret: %s, visibility: %s}", app, org, sec.Name, sec.Visibility))
				if sec.Visibility == "all" {
					subj := fmt.Sprintf("organization %s %s secret %s", org, app, sec.Name)
					r.report(audit.New(checkOrgSecretAll, subj,
						fmt.Sprintf("organization %s secret %s of %s is visible to all repositories", app, sec.Name, org),
						fmt.Sprintf("`gh secret set %s --org %s%s --visibility selected --repos REPO,…` with the repositories that need it (this asks for the value again)", sec.Name, org, appFlag(app)),
						"visibility: all"))
				}
			}
		})
	}
	wg.Go(func() {
		alerts, err := gh.OpenAlerts(ctx, org)
		if err != nil {
			r.skip("GitHub %s: open secret-scanning alerts could not be listed: %v", org, err)
			return
		}
		for _, a := range alerts {
			subj := fmt.Sprintf("%s#%d", a.Repo, a.Number)
			validity := a.Validity
			if validity == "" {
				validity = "unknown"
			}
			f := audit.New(checkOpenAlert, subj, fmt.Sprintf("secret-scanning alert %s (%s) is open; GitHub says the secret is %s", subj, a.SecretType, validity),
				fmt.Sprintf("`respond leaked-key --alert %s`", subj),
				"secret type: "+a.SecretType, "validity: "+validity, "opened: "+a.Created.UTC().Format(time.RFC3339))
			if a.HTMLURL != "" {
				f = f.At(audit.Location{URI: a.HTMLURL})
			}
			if validity == "active" {
				f = f.WithSeverity(audit.Critical)
			}
			r.report(f)
		}
	})
	wg.Wait()
}

func appFlag(app string) string {
	if app == "dependabot" {
		return " --app dependabot"
	}
	return ""
}

// unlisted reports a key-like secret no inventory target names.
func (r *run) unlisted(p audit.Place, name, where, deleteCmd, line string) {
	s, ok := keyLike(name)
	if !ok {
		return
	}
	if _, listed := r.places[p]; listed {
		return
	}
	r.report(audit.New(checkUnlistedSecret, p.Container+" "+p.Name,
		fmt.Sprintf("%s holds %s, named like %s, but no inventory credential lists it", where, p.Store+" secret "+name, article(s.KeyTitle())),
		fmt.Sprintf("add `%s` to the targets of the credential whose key it holds in %s, or `%s` if nothing uses it", line, r.inventoryFile(), deleteCmd),
		"store: "+p.Store, "where: "+where, "name: "+name, "looks like: "+s.KeyTitle()))
}

func article(s string) string {
	if s != "" && strings.ContainsRune("AEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// copiedSecrets reports credentials copied into many repositories of one
// organization as repository secrets.
func (r *run) copiedSecrets() {
	count := map[[2]string]int{} // credential, owner -> repositories
	for p, cred := range r.places {
		if p.Store != "github-actions" || strings.HasPrefix(p.Container, "org ") || strings.Contains(p.Container, " environment ") {
			continue
		}
		owner, _, _ := strings.Cut(p.Container, "/")
		count[[2]string{cred, owner}]++
	}
	for k, n := range count {
		if n < CopiedAt {
			continue
		}
		r.report(audit.New(checkCopiedSecret, "credential "+k[0]+" in "+k[1],
			fmt.Sprintf("credential %s is copied into %d repository secrets of %s", k[0], n, k[1]),
			fmt.Sprintf("make it one organization secret of %s with the %d repositories selected (`gh secret set NAME --org %s --repos a,b,…`) and replace the %d targets with `- github-actions: {org: %s, secret: NAME, visibility: selected, repos: [a, b, …]}`", k[1], n, k[1], n, k[1]),
			fmt.Sprintf("repository secrets: %d", n), "credential: "+k[0]))
	}
}
