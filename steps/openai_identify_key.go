package steps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

var _ step.Kind = IdentifyKey{}

// IdentifyKey is the `openai.identify_key` step kind: it finds the leaked
// key in the OpenAI organization and reports its metadata. It only reads.
//
// The key is named by its ID (`key_id`, with `project` or searched in every
// project), by its value (`key`: matched against every key's redacted_value,
// API-NOTES §8) or by a GitHub secret-scanning alert (`alert`: the value
// is read from the alert). A value that matches no listed key but no
// longer works is reported as already gone when `key_id` says which key it
// was.
type IdentifyKey struct {
	P *Providers
}

const identifyKind = "openai.identify_key"

// Spec implements step.Kind.
func (IdentifyKey) Spec() step.Spec {
	return step.Spec{
		Kind:    identifyKind,
		Summary: "Find the leaked OpenAI key and read its metadata",
		Description: "Finds the key by `key_id` (with `project`, or searched in every project), by its value " +
			"(`key`, matched against each key's redacted value: first 8 and last 4 characters) or by a GitHub " +
			"secret-scanning alert (`alert: OWNER/REPO#N`, whose secret is the value). Give `key_id`, or one of " +
			"`key` and `alert` (optionally with `key_id`). Reports the key's name, project, owner (user or service " +
			"account), creation and last use, and for an alert when and where the key was exposed. An ambiguous " +
			"value stops with the list of candidates. A value that is no longer listed but is confirmed dead " +
			"counts as already gone when `key_id` names it. Only reads.",
		Reads:      true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "project", Type: step.String, Description: "project ID (proj_…) holding the key; empty: search every project"},
			{Name: "key_id", Type: step.String, Description: "the key's ID (key_…)"},
			{Name: "key_name", Type: step.String, Description: "the key's name in `project` (instead of key_id; respond rotate --credential with a credential that names its key)"},
			{Name: "key", Type: step.Secret, AcceptsSecret: true, Description: "the leaked key's value (from standard input, never an argument)"},
			{Name: "alert", Type: step.String, Description: "a GitHub secret-scanning alert that found the key: OWNER/REPO#N"},
		},
		Outputs: []step.Output{
			{Name: "project", Type: step.String, Description: "project ID (proj_…)"},
			{Name: "project_name", Type: step.String, Description: "project name"},
			{Name: "key_id", Type: step.String, Description: "the key's ID (key_…)"},
			{Name: "key_name", Type: step.String, Description: "the key's name"},
			{Name: "redacted", Type: step.String, Description: "the key's redacted value as OpenAI shows it"},
			{Name: "owner_type", Type: step.String, Description: `"user" or "service_account" ("" when already gone)`},
			{Name: "owner_id", Type: step.String, Description: "the owning user (user_…) or service account (svc_acct_…)"},
			{Name: "owner_name", Type: step.String, Description: "the owner's name"},
			{Name: "owner_email", Type: step.String, Description: "the owning user's e-mail address"},
			{Name: "service_account_id", Type: step.String, Description: "the owning service account, if one owns the key"},
			{Name: "created", Type: step.String, Description: "when the key was created (RFC 3339)"},
			{Name: "last_used", Type: step.String, Description: `when the key was last used (RFC 3339; "" if never)`},
			{Name: "fingerprint", Type: step.String, Description: `sha256 fingerprint of the value when known, else ""`},
			{Name: "key", Type: step.Secret, Secret: true, Description: "the leaked value, when given or read from the alert"},
			{Name: "alert", Type: step.String, Description: `the alert, normalized to OWNER/REPO#N, or ""`},
			{Name: "exposed_since", Type: step.String, Description: `when the key was first exposed, per the alert (RFC 3339), or ""`},
			{Name: "leak_source", Type: step.String, Description: `where the alert first found the key (file and commit), or ""`},
			{Name: "leak_repo", Type: step.String, Description: `the repository of the alert, OWNER/REPO, or ""`},
			{Name: "leak_paths", Type: step.List, Description: "the files where the alert found the key"},
			{Name: "already_gone", Type: step.Bool, Description: "the key is no longer listed and its value is confirmed dead: it was already revoked or disabled (OpenAI disables keys it finds in public code)"},
		},
	}
}

// Plan implements step.Kind.
func (IdentifyKey) Plan(_ context.Context, c *step.Call) ([]step.Change, error) {
	if _, err := identifyInput(c); err != nil {
		return nil, err
	}
	return []step.Change{{Action: step.Read, Target: "OpenAI project keys", Effect: "find the leaked key"}}, nil
}

// identifyArgs are the step's parameters, checked.
type identifyArgs struct {
	project, keyID, keyName string
	value                   secret.Value
	alert                   *alertRef
}

// alertRef is OWNER/REPO#N.
type alertRef struct {
	owner, repo string
	number      int
}

func (a alertRef) String() string { return fmt.Sprintf("%s/%s#%d", a.owner, a.repo, a.number) }

var (
	alertShort = regexp.MustCompile(`^([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)#([0-9]+)$`)
	alertURL   = regexp.MustCompile(`^https://[^/]+/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/security/secret-scanning/([0-9]+)/?$`)
)

// parseAlert reads OWNER/REPO#N (or the alert's web address).
func parseAlert(s string) (*alertRef, error) {
	s = strings.TrimSpace(s)
	m := alertShort.FindStringSubmatch(s)
	if m == nil {
		m = alertURL.FindStringSubmatch(s)
	}
	if m == nil {
		return nil, step.Permanent(badInputf("%s: alert %q is not OWNER/REPO#N (for example acme/api#12)", identifyKind, s))
	}
	n, err := strconv.Atoi(m[3])
	if err != nil || n <= 0 {
		return nil, step.Permanent(badInputf("%s: alert %q has no valid number", identifyKind, s))
	}
	return &alertRef{owner: m[1], repo: m[2], number: n}, nil
}

// identifyInput checks that exactly one way names the key.
func identifyInput(c *step.Call) (identifyArgs, error) {
	a := identifyArgs{project: strings.TrimSpace(c.String("project")), keyID: strings.TrimSpace(c.String("key_id")), keyName: strings.TrimSpace(c.String("key_name"))}
	if v, ok := c.Secret("key"); ok && !v.IsZero() {
		a.value = v
	}
	if s := strings.TrimSpace(c.String("alert")); s != "" {
		r, err := parseAlert(s)
		if err != nil {
			return a, err
		}
		a.alert = r
	}
	switch {
	case !a.value.IsZero() && a.alert != nil:
		return a, step.Permanent(badInputf("%s: both `key` and `alert` were given: give one way to identify the key", identifyKind))
	case a.keyName != "" && (a.keyID != "" || a.project == ""):
		return a, step.Permanent(badInputf("%s: `key_name` %q needs `project` and no `key_id`", identifyKind, a.keyName))
	case a.value.IsZero() && a.alert == nil && a.keyID == "" && a.keyName == "":
		return a, step.Permanent(badInputf("%s: nothing identifies the key: give its ID (--key-id key_…), "+
			"its value on standard input (--key-stdin) or a secret-scanning alert (--alert OWNER/REPO#N)", identifyKind))
	}
	return a, nil
}

// Apply implements step.Kind.
func (k IdentifyKey) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	a, err := identifyInput(c)
	if err != nil {
		return nil, err
	}
	if !a.value.IsZero() && c.Secrets != nil {
		c.Secrets.Add(a.value)
	}
	f := identified{}
	if a.alert != nil {
		if err := k.readAlert(ctx, c, &a, &f); err != nil {
			return nil, err
		}
	}
	oa, err := openAIClient(k.P, identifyKind)
	if err != nil {
		return nil, err
	}
	projects, err := oa.ListProjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", identifyKind, err)
	}
	names := map[string]string{}
	for _, p := range projects {
		names[p.ID] = p.Name
	}
	scope := projects
	if a.project != "" {
		if _, ok := names[a.project]; !ok {
			return nil, step.Permanent(badInputf("%s: project %s is not among the organization's active projects: "+
				"check the ID (proj_…) or leave `project` empty to search every project", identifyKind, a.project))
		}
		scope = []Project{{ID: a.project, Name: names[a.project]}}
	}

	var found *candidate
	if a.keyName != "" {
		found, err = findByName(ctx, oa, scope[0], a.keyName)
		if err != nil {
			return nil, err
		}
		if found == nil {
			return nil, step.Permanent(badInputf("%s: project %s has no key named %q: check key_name in the inventory, or name the key by its ID (key_id)",
				identifyKind, a.project, a.keyName))
		}
	} else if a.keyID != "" {
		found, err = findByID(ctx, oa, scope, a.keyID)
		if err != nil {
			return nil, err
		}
		if found != nil && !a.value.IsZero() && found.key.RedactedValue != redactedForm(a.value.Reveal()) &&
			!looseMatch(a.value.Reveal(), found.key.RedactedValue) {
			return nil, step.Permanent(badInputf("%s: the leaked value (%s) is not key %s (%s) of project %s: "+
				"check which key leaked, or give only one of them", identifyKind, a.value.Redacted(), a.keyID,
				shortRedacted(found.key.RedactedValue), found.project.ID))
		}
	} else {
		found, err = findByValue(ctx, oa, scope, a.value)
		if err != nil {
			return nil, err
		}
	}
	if found == nil {
		return k.notFound(ctx, c, oa, a, f)
	}
	f.project, f.key = found.project, found.key
	return f.result(a), nil
}

// readAlert reads the alert's secret and exposure details.
func (k IdentifyKey) readAlert(ctx context.Context, c *step.Call, a *identifyArgs, f *identified) error {
	if k.P == nil || k.P.GitHub == nil {
		return step.Errorf("%s: reading alert %s needs GitHub: export GITHUB_TOKEN (or GH_TOKEN) with access to %s/%s's security alerts",
			identifyKind, a.alert, a.alert.owner, a.alert.repo)
	}
	gh, err := k.P.GitHub()
	if err != nil {
		return step.Permanent(fmt.Errorf("%s: %w", identifyKind, err))
	}
	al, err := gh.GetAlert(ctx, a.alert.owner, a.alert.repo, a.alert.number)
	if errors.Is(err, ErrNotFound) {
		return step.Permanent(badInputf("%s: alert %s was not found: check the repository and number, and that the token "+
			"can read the repository's secret-scanning alerts", identifyKind, a.alert))
	}
	if err != nil {
		return fmt.Errorf("%s: reading alert %s: %w", identifyKind, a.alert, err)
	}
	if al.SecretType != "" && al.SecretType != "openai_api_key" {
		return step.Permanent(badInputf("%s: alert %s is about a %q secret, not an OpenAI API key", identifyKind, a.alert, al.SecretType))
	}
	if al.Secret.IsZero() {
		return step.Permanent(badInputf("%s: alert %s does not show its secret: the token needs access to the secret value "+
			"(repository admin or security manager); or pass the value with --key-stdin", identifyKind, a.alert))
	}
	if c.Secrets != nil {
		c.Secrets.Add(al.Secret)
	}
	a.value = al.Secret
	f.exposedSince = rfc3339(al.Created)
	if len(al.Locations) > 0 {
		f.leakSource = leakSource(al.Locations[0])
	}
	f.leakRepo = a.alert.owner + "/" + a.alert.repo
	for _, l := range al.Locations {
		if l.Path != "" && !slices.Contains(f.leakPaths, l.Path) {
			f.leakPaths = append(f.leakPaths, l.Path)
		}
	}
	return nil
}

// leakSource describes where an alert found the key: "path:line in URL".
func leakSource(l AlertLocation) string {
	where := l.Path
	if where != "" && l.StartLine > 0 {
		where += ":" + strconv.Itoa(l.StartLine)
	}
	url := l.CommitURL
	if url == "" {
		url = l.BlobURL
	}
	switch {
	case url == "" && l.CommitSHA != "":
		url = "commit " + l.CommitSHA
	}
	switch {
	case where != "" && url != "":
		return where + " in " + url
	case where != "":
		return where
	}
	return url
}

// candidate is a key with its project.
type candidate struct {
	project Project
	key     ProjectKey
}

// findByID looks key_id up in each project of scope; nil if none has it.
func findByID(ctx context.Context, oa OpenAI, scope []Project, keyID string) (*candidate, error) {
	for _, p := range scope {
		key, err := oa.GetProjectKey(ctx, p.ID, keyID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", identifyKind, err)
		}
		return &candidate{project: p, key: key}, nil
	}
	return nil, nil
}

// findByName finds the key named name in project p; nil if none, an error
// when several share the name.
func findByName(ctx context.Context, oa OpenAI, p Project, name string) (*candidate, error) {
	keys, err := oa.ListProjectKeys(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", identifyKind, err)
	}
	var found []candidate
	for _, k := range keys {
		if k.Name == name {
			found = append(found, candidate{p, k})
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return &found[0], nil
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = f.key.ID
	}
	return nil, step.Permanent(badInputf("%s: %d keys of project %s are named %q (%s): name the key by its ID (key_id)",
		identifyKind, len(found), p.ID, name, strings.Join(ids, ", ")))
}

// findByValue matches the value against every key's redacted value:
// exactly first, then loosely. More than one match is an error that lists
// the candidates.
func findByValue(ctx context.Context, oa OpenAI, scope []Project, v secret.Value) (*candidate, error) {
	want := redactedForm(v.Reveal())
	// List every project's keys at once: identification is on the path to
	// containment, and each sequential round trip delays the revoke.
	lists := make([][]ProjectKey, len(scope))
	errs := make([]error, len(scope))
	var wg sync.WaitGroup
	for i, p := range scope {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], errs[i] = oa.ListProjectKeys(ctx, p.ID)
		}()
	}
	wg.Wait()
	var exact, loose []candidate
	for i, p := range scope {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", identifyKind, errs[i])
		}
		for _, key := range lists[i] {
			switch {
			case want != "" && key.RedactedValue == want:
				exact = append(exact, candidate{p, key})
			case looseMatch(v.Reveal(), key.RedactedValue):
				loose = append(loose, candidate{p, key})
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
		return &matches[0], nil
	}
	var b strings.Builder
	for _, m := range matches {
		fmt.Fprintf(&b, "\n  %s %q in %s (%s), %s, %s", m.key.ID, m.key.Name, m.project.Name, m.project.ID,
			describeOwner(m.key), shortRedacted(m.key.RedactedValue))
	}
	return nil, badInputf("%s: the leaked value (%s) matches %d keys; say which with its ID "+
		"(--key-id key_…, with --project proj_…):%s", identifyKind, v.Redacted(), len(matches), b.String())
}

// notFound handles a key that no listing shows. Named by an earlier run
// of this step, it is the key identified then (respond revoked it since).
// Otherwise its value, when known, decides: a value that no longer works
// was already revoked or disabled (OpenAI disables keys it finds in public
// code) and the response goes on to recover; a value that still works but
// that no project lists is not this organization's to revoke.
func (k IdentifyKey) notFound(ctx context.Context, c *step.Call, oa OpenAI, a identifyArgs, f identified) (*step.Result, error) {
	where := "any project the admin key can see"
	if a.project != "" {
		where = "project " + a.project
	}
	if prev := previousIdentity(c); prev != nil {
		return prev, nil
	}
	if a.value.IsZero() {
		return nil, step.Permanent(badInputf("%s: key %s is not in %s: check the ID; if the key was already revoked or "+
			"disabled by the provider, give its value (--key-stdin) or the alert that found it (--alert OWNER/REPO#N), "+
			"so respond can confirm it is dead and go on to replace it", identifyKind, a.keyID, where))
	}
	kc, err := oa.CheckKey(ctx, a.value)
	if err != nil {
		return nil, fmt.Errorf("%s: the leaked value (%s) matches no key in %s, and checking whether it still works failed: %w",
			identifyKind, a.value.Redacted(), where, err)
	}
	if kc.State != KeyDead {
		return nil, step.Permanent(badInputf("%s: the leaked value (%s) still works (GET /v1/models answered %d) but matches "+
			"no key in %s: it may belong to another organization, or be a legacy user key; "+
			"revoke it on the OpenAI dashboard (API keys page) now", identifyKind, a.value.Redacted(), kc.StatusCode, where))
	}
	f.gone = true
	f.project = Project{ID: a.project}
	f.key = ProjectKey{ID: a.keyID, RedactedValue: redactedForm(a.value.Reveal())}
	return f.result(a), nil
}

// previousIdentity returns the result of an earlier apply of the step
// (when the engine re-applies it to recover the secret output after the
// key was revoked), with the value given now.
func previousIdentity(c *step.Call) *step.Result {
	if c.Previous == nil || c.Previous.Outputs == nil {
		return nil
	}
	if id, _ := c.Previous.Outputs["key_id"].(string); id == "" {
		return nil
	}
	out := map[string]any{}
	for k, v := range c.Previous.Outputs {
		out[k] = v
	}
	a, _ := identifyInput(c)
	out["key"] = a.value // empty when the value is not known
	if !a.value.IsZero() {
		out["fingerprint"] = a.value.Fingerprint()
	}
	ev := map[string]any{}
	for k, v := range c.Previous.Evidence {
		ev[k] = v
	}
	ev["from_earlier_run"] = true
	return &step.Result{Outputs: out, Evidence: ev, Summary: c.Previous.Summary + " (as identified earlier; no longer listed)"}
}

// identified is what the step found.
type identified struct {
	project      Project
	key          ProjectKey
	gone         bool
	exposedSince string
	leakSource   string
	leakRepo     string
	leakPaths    []string
}

// result builds the step's result.
func (f identified) result(a identifyArgs) *step.Result {
	k := f.key
	lastUsed := ""
	if k.LastUsed != nil {
		lastUsed = rfc3339(*k.LastUsed)
	}
	saID := ""
	if k.OwnerType == "service_account" {
		saID = k.OwnerID
	}
	alert, fp := "", ""
	if a.alert != nil {
		alert = a.alert.String()
	}
	if !a.value.IsZero() {
		fp = a.value.Fingerprint()
	}
	out := map[string]any{
		"project":            f.project.ID,
		"project_name":       f.project.Name,
		"key_id":             k.ID,
		"key_name":           k.Name,
		"redacted":           k.RedactedValue,
		"owner_type":         k.OwnerType,
		"owner_id":           k.OwnerID,
		"owner_name":         k.OwnerName,
		"owner_email":        k.OwnerEmail,
		"service_account_id": saID,
		"created":            rfc3339(k.Created),
		"last_used":          lastUsed,
		"fingerprint":        fp,
		"alert":              alert,
		"exposed_since":      f.exposedSince,
		"leak_source":        f.leakSource,
		"leak_repo":          f.leakRepo,
		"leak_paths":         append([]string{}, f.leakPaths...),
		"already_gone":       f.gone,
	}
	ev := make(map[string]any, len(out))
	for name, v := range out {
		ev[name] = v
	}
	out["key"] = a.value // empty when the value is not known: later steps then fall back to the key's ID

	var s strings.Builder
	if f.gone {
		what := "the leaked key (" + k.RedactedValue + ")"
		if len(k.RedactedValue) > 16 {
			what = "the leaked key (" + shortRedacted(k.RedactedValue) + ")"
		}
		if k.ID != "" {
			what = k.ID
		}
		fmt.Fprintf(&s, "%s no longer works and no project lists it: it was already revoked or disabled (OpenAI disables keys it finds in public code)", what)
		if f.project.ID != "" {
			fmt.Fprintf(&s, " (project %s)", f.project.ID)
		}
	} else {
		fmt.Fprintf(&s, "%s %q in %s (%s), owned by %s, created %s, ", k.ID, k.Name, f.project.Name, f.project.ID,
			describeOwner(k), rfc3339(k.Created))
		if lastUsed == "" {
			s.WriteString("never used")
		} else {
			s.WriteString("last used " + lastUsed)
		}
	}
	if alert != "" {
		fmt.Fprintf(&s, "; leaked per alert %s", alert)
		if f.leakSource != "" {
			s.WriteString(" at " + f.leakSource)
		}
	}
	return &step.Result{Outputs: out, Evidence: ev, Summary: s.String()}
}
