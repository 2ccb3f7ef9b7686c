package steps

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

// InventoryTargets picks, from the inventory's credentials, the one that
// holds the leaked key, and returns where it is deployed. It only reads
// what it is given, so it runs while planning and the plan can list every
// target by name.
//
// A credential is found by what is stable about the key, in this order:
// the credential named by the responder (`credential`), the key's ID, the
// fingerprint of its value (respond records the fingerprint of every
// replacement it deploys), the service account respond created it under
// (named respond-CREDENTIAL-INC-…), the key's name in its project; and,
// for a key that is already gone, the repository and files where the alert
// found it, matched against the credentials' targets.
type InventoryTargets struct{}

// Spec implements step.Kind.
func (InventoryTargets) Spec() step.Spec {
	return step.Spec{
		Kind:    "inventory.targets",
		Summary: "Find where a key is deployed, from the inventory",
		Description: "Finds the credential that holds the key among the inventory's credentials: the one named by " +
			"`credential`, else by the key's ID, the fingerprint of its value, the service account respond created " +
			"it under (respond-CREDENTIAL-INC-…), or its name in its project; for a key that is already gone " +
			"(`already_gone`), also by the repository and files of the alert that found it (a choice on a terminal " +
			"when several credentials fit). Outputs the credential's secret targets and workflows. No match is not " +
			"an error: the key is still contained, and the outcome says that nothing was replaced or deployed.",
		Reads:      true,
		Idempotent: true,
		Params: []step.Param{
			{Name: "credentials", Type: step.Any, Description: "the inventory's credentials (respond fills this in from respond.yaml)"},
			{Name: "credential", Type: step.String, Description: "the credential to use, by name (respond … --credential NAME); empty: find it"},
			{Name: "scope", Type: step.String, Description: "where the key lives: its OpenAI project (proj_…) or AWS account"},
			{Name: "project", Type: step.String, Description: "the key's OpenAI project (proj_…), the older name of scope"},
			{Name: "provider", Type: step.String, Description: "the key's provider (openai, aws): only its credentials match"},
			{Name: "key_id", Type: step.String, Description: "the key's ID (key_…)"},
			{Name: "key_name", Type: step.String, Description: "the key's name"},
			{Name: "fingerprint", Type: step.String, Description: "the fingerprint of the key's value (sha256:…), when known"},
			{Name: "owner_type", Type: step.String, Description: `"user" or "service_account"`},
			{Name: "owner_name", Type: step.String, Description: "the name of the key's owner (a service account's name)"},
			{Name: "already_gone", Type: step.Bool, Description: "the key is already revoked or disabled (the alert's locations may then name the credential)"},
			{Name: "leak_repo", Type: step.String, Description: "the repository where the key leaked, OWNER/REPO"},
			{Name: "leak_paths", Type: step.List, Description: "the files where the key leaked"},
		},
		Outputs: []step.Output{
			{Name: "matched", Type: step.Bool, Description: "a credential holds the key"},
			{Name: "has_targets", Type: step.Bool, Description: "a credential holds the key and lists at least one place that holds it"},
			{Name: "credential", Type: step.String, Description: "the matching credential's name, or \"\""},
			{Name: "matched_by", Type: step.String, Description: "how it was found: credential, earlier (as an earlier run of the incident found it), key_id, fingerprint, service_account, key_name or alert"},
			{Name: "credential_key_id", Type: step.String, Description: "the key_id the credential names (\"\" if it names a key_name)"},
			{Name: "credential_key_name", Type: step.String, Description: "the key_name the credential names"},
			{Name: "scope", Type: step.String, Description: "where the replacement goes: the key's scope, else the credential's project or account"},
			{Name: "project", Type: step.String, Description: "the same as scope (its older name)"},
			{Name: "key_id", Type: step.String, Description: "the key's ID: as given, else (for a key already gone, found by its fingerprint or by the alert) the ID the credential names"},
			{Name: "label", Type: step.String, Description: "a short name for the key, for naming its replacement: the credential's name, else the key's"},
			{Name: "targets", Type: step.Any, Description: "the places that hold the key (target mappings)"},
			{Name: "workflows", Type: step.Any, Description: "the github-workflow targets to re-run"},
			{Name: "count", Type: step.Int, Description: "how many places hold the key"},
		},
	}
}

// Plan implements step.Kind.
func (InventoryTargets) Plan(ctx context.Context, c *step.Call) ([]step.Change, error) {
	return []step.Change{{Action: step.Read, Target: "inventory", Effect: "find where the key is deployed"}}, nil
}

// invCred is a credential as the step receives it.
type invCred struct {
	m                                                    map[string]any
	name, provider, project, keyID, keyName, fingerprint string
}

func readCreds(raw any) ([]invCred, error) {
	list, _ := raw.([]any)
	out := make([]invCred, 0, len(list))
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, step.Errorf("inventory.targets: a credential is %T, not a mapping", x)
		}
		s := func(k string) string { v, _ := m[k].(string); return v }
		scope := s("project")
		if scope == "" {
			scope = s("account")
		}
		out = append(out, invCred{m: m, name: s("name"), provider: s("provider"), project: scope, keyID: s("key_id"), keyName: s("key_name"), fingerprint: s("fingerprint")})
	}
	return out, nil
}

// respondAccount is the name respond gives a replacement's service
// account: respond-LABEL-INC-YYYYMMDD-HHMMSS-xxxx.
var respondAccount = regexp.MustCompile(`^respond-(.+)-INC-\d{8}-\d{6}-[0-9a-f]{4}$`)

// Apply implements step.Kind.
func (InventoryTargets) Apply(ctx context.Context, c *step.Call) (*step.Result, error) {
	creds, err := readCreds(c.Params["credentials"])
	if err != nil {
		return nil, err
	}
	project, keyID, keyName := firstNonEmpty(c.String("scope"), c.String("project")), c.String("key_id"), c.String("key_name")
	if prov := c.String("provider"); prov != "" {
		var kept []invCred
		for _, cr := range creds {
			if cr.provider == "" || cr.provider == prov {
				kept = append(kept, cr)
			}
		}
		creds = kept
	}
	fp := c.String("fingerprint")
	names := make([]string, len(creds))
	for i, cr := range creds {
		names[i] = cr.name
	}
	one := func(by string, pick func(invCred) bool) (*invCred, string, error) {
		var found []*invCred
		for i := range creds {
			if pick(creds[i]) {
				found = append(found, &creds[i])
			}
		}
		switch len(found) {
		case 0:
			return nil, "", nil
		case 1:
			return found[0], by, nil
		}
		var ns []string
		for _, f := range found {
			ns = append(ns, f.name)
		}
		return nil, "", badInputf("inventory.targets: credentials %s all match the key by %s; give each key one credential in the inventory, or say which with --credential NAME",
			strings.Join(ns, ", "), strings.ReplaceAll(by, "_", " "))
	}
	var match *invCred
	var by string
	if want := strings.TrimSpace(c.String("credential")); want != "" {
		i := slices.Index(names, want)
		if i < 0 {
			return nil, badInputf("inventory.targets: the inventory has no credential %q (it has: %s)", want, strings.Join(names, ", "))
		}
		match, by = &creds[i], "credential"
		// A resume reads the inventory again: once the record step named
		// the replacement, the credential an earlier run of this incident
		// matched names another key, and is still the incident's.
		if cr := creds[i]; cr.keyID != "" && keyID != "" && cr.keyID != keyID && !c.Bool("already_gone") && (fp == "" || cr.fingerprint != fp) &&
			earlierCredential(c) != want {
			return nil, badInputf("inventory.targets: credential %q names key %s, not %s: check which key leaked, or leave out --credential", want, cr.keyID, keyID)
		}
	}
	// A resume reads the inventory again, which by then may name the
	// replacement (the record step wrote it): the credential an earlier
	// run of this incident found is the incident's, if it is still there.
	if earlier := earlierCredential(c); match == nil && earlier != "" {
		if i := slices.Index(names, earlier); i >= 0 {
			match, by = &creds[i], "earlier"
		}
	}
	steps := []struct {
		by   string
		pick func(invCred) bool
	}{
		{"key_id", func(cr invCred) bool {
			return keyID != "" && cr.keyID == keyID && (project == "" || cr.project == "" || cr.project == project)
		}},
		{"fingerprint", func(cr invCred) bool { return fp != "" && cr.fingerprint == fp }},
		{"service_account", func(cr invCred) bool {
			m := respondAccount.FindStringSubmatch(c.String("owner_name"))
			return c.String("owner_type") == "service_account" && m != nil && m[1] == sanitizeLabel(cr.name) &&
				(project == "" || cr.project == "" || cr.project == project)
		}},
		{"key_name", func(cr invCred) bool {
			return cr.keyID == "" && cr.keyName != "" && cr.keyName == keyName && (project == "" || cr.project == "" || cr.project == project)
		}},
	}
	for _, s := range steps {
		if match != nil {
			break
		}
		if s.by == "key_name" && keyName == "" {
			continue
		}
		if match, by, err = one(s.by, s.pick); err != nil {
			return nil, err
		}
	}
	var moved []*invCred // credentials where the alert found the key, which now hold another
	if match == nil && c.Bool("already_gone") && c.String("leak_repo") != "" {
		if match, moved, err = byAlert(ctx, c, creds); err != nil {
			return nil, err
		}
		by = "alert"
	}

	res := &step.Result{Outputs: map[string]any{
		"matched": false, "has_targets": false, "credential": "", "matched_by": "", "credential_key_id": "", "credential_key_name": "",
		"project": project, "scope": project, "label": replacementLabel("", keyName, keyID), "targets": []any{}, "workflows": []any{}, "count": 0,
		"key_id": keyID,
	}}
	if match == nil {
		what := describeLeaked(keyID, keyName, project)
		switch {
		case len(moved) > 0:
			// An earlier response replaced the key: the alert is about the
			// old one, dead already, and the credential's key is another.
			var holders []string
			for _, m := range moved {
				now := m.keyID
				if now == "" {
					now = m.fingerprint
				}
				holders = append(holders, m.name+" (now "+now+")")
			}
			res.Summary = fmt.Sprintf("the key is gone and credential %s, which deploys to %s where the alert found it, now holds another key "+
				"(its recorded fingerprint differs): the leaked key is an earlier one, already replaced; nothing will be replaced or deployed",
				strings.Join(holders, ", "), c.String("leak_repo"))
			res.Evidence = map[string]any{"matched": false, "replaced_earlier": strings.Join(holders, ", ")}
			return res, nil
		case len(creds) == 0:
			res.Summary = "no inventory: nothing will be replaced or deployed, but the key is revoked all the same (describe where keys live in respond.yaml)"
		default:
			res.Summary = fmt.Sprintf("no credential in the inventory names %s (credentials: %s): nothing will be replaced or deployed, but the key is revoked all the same",
				what, strings.Join(names, ", "))
		}
		res.Evidence = map[string]any{"matched": false}
		return res, nil
	}
	targets, workflows := []any{}, []any{}
	list, _ := match.m["targets"].([]any)
	var ids []string
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, step.Errorf("inventory.targets: a target of credential %q is %T, not a mapping", match.name, x)
		}
		t, err := target.FromMap(m)
		if err != nil {
			return nil, step.Errorf("inventory.targets: credential %q: %v", match.name, err)
		}
		if t.Holds() {
			targets = append(targets, m)
			ids = append(ids, t.ID())
		} else {
			workflows = append(workflows, m)
		}
	}
	if project == "" {
		project = match.project
	}
	if keyID == "" && (by == "fingerprint" || by == "alert") {
		// The provider no longer lists the key: the credential that
		// recorded its fingerprint, or that the alert found in the
		// repository it deploys to, names it (so its usage can be read).
		keyID = match.keyID
	}
	if len(targets) == 0 {
		workflows = []any{} // nothing to redeploy when nothing holds the key
	}
	res.Outputs = map[string]any{
		"matched": true, "has_targets": len(targets) > 0, "credential": match.name, "matched_by": by,
		"credential_key_id": match.keyID, "credential_key_name": match.keyName,
		"project": project, "scope": project, "label": replacementLabel(match.name, keyName, keyID),
		"targets": targets, "workflows": workflows, "count": len(targets), "key_id": keyID,
	}
	res.Evidence = map[string]any{"matched": true, "credential": match.name, "matched_by": by, "targets": ids, "workflows": len(workflows)}
	how := map[string]string{
		"credential": "as named", "key_id": "by key_id", "fingerprint": "by the fingerprint of the key's value",
		"service_account": "by the service account respond created the key under", "key_name": "by key name",
		"alert": "by the repository and files of the alert", "earlier": "as an earlier run of this incident found it",
	}[by]
	res.Summary = fmt.Sprintf("credential %s (found %s): %d place(s) hold the key, %d workflow(s) to re-run", match.name, how, len(targets), len(workflows))
	if d := targetsDiff(c, ids); d != "" {
		res.Summary += "; " + d
		res.Note = "the inventory changed during the incident: " + d
	}
	if len(targets) == 0 {
		res.Summary += "; it lists no place that holds the key, so nothing will be replaced or deployed"
	}
	return res, nil
}

// byAlert finds the credential of a key that is already gone by where the
// alert found it: a credential with a target in the alert's repository
// (or its organization), or a .env target whose path ends with a file the
// alert names. Several candidates: the responder chooses on a terminal.
// A credential whose recorded fingerprint is not the leaked key's holds
// another key now (an earlier response replaced this one): it is not the
// leaked key's, and is returned in moved instead, so that the healthy key
// it names is never taken for the leaked one.
func byAlert(ctx context.Context, c *step.Call, creds []invCred) (match *invCred, moved []*invCred, err error) {
	repo := c.String("leak_repo")
	owner, _, _ := strings.Cut(repo, "/")
	paths := c.List("leak_paths")
	fp := c.String("fingerprint")
	var found []*invCred
	for i := range creds {
		list, _ := creds[i].m["targets"].([]any)
		hit := false
		for _, x := range list {
			m, _ := x.(map[string]any)
			t, err := target.FromMap(m)
			if err != nil {
				continue
			}
			hit = hit || inLeak(t, repo, owner, paths)
		}
		switch {
		case hit && fp != "" && creds[i].fingerprint != "" && creds[i].fingerprint != fp:
			moved = append(moved, &creds[i])
		case hit:
			found = append(found, &creds[i])
		}
	}
	switch len(found) {
	case 0:
		return nil, moved, nil
	case 1:
		c.Logf("the key is gone; credential %s has targets in %s, where the alert found it", found[0].name, repo)
		return found[0], moved, nil
	}
	opts := make([]string, len(found))
	names := make([]string, len(found))
	for i, f := range found {
		opts[i] = fmt.Sprintf("%s (project %s)", f.name, f.project)
		names[i] = f.name
	}
	if ch, ok := c.Approver.(step.Chooser); ok {
		i, err := ch.Choose(ctx, fmt.Sprintf("The key is gone and credentials %s all have targets in %s, where it leaked. Which one held it?", strings.Join(names, ", "), repo), opts)
		switch {
		case err == nil && i >= 0 && i < len(found):
			return found[i], moved, nil
		case err != nil && !errors.Is(err, step.ErrNoChoice):
			return nil, moved, err
		}
	}
	return nil, moved, badInputf("inventory.targets: the key is gone and credentials %s all have targets in %s, where it leaked: say which one held it with --credential NAME",
		strings.Join(names, ", "), repo)
}

func describeLeaked(keyID, keyName, project string) string {
	var parts []string
	if keyID != "" {
		parts = append(parts, keyID)
	}
	if keyName != "" {
		parts = append(parts, fmt.Sprintf("%q", keyName))
	}
	if project != "" {
		parts = append(parts, "in "+project)
	}
	if len(parts) == 0 {
		return "the key"
	}
	return "key " + strings.Join(parts, " ")
}

// replacementLabel names a key in its replacement's name: letters, digits,
// '-', '_' and '.' only, at most 32 characters.
func replacementLabel(credential, keyName, keyID string) string {
	for _, s := range []string{credential, keyName, keyID} {
		if l := sanitizeLabel(s); l != "" {
			return l
		}
	}
	return "key"
}

func sanitizeLabel(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.Trim(b.String(), "-.")
	if len(out) > 32 {
		out = strings.Trim(out[:32], "-.")
	}
	return out
}

// inLeak reports whether target t is where an alert found the key: in the
// alert's repository (a `repo` field) or its organization (an `org`
// field), or a file (a Path field) ending with one of the alert's paths.
func inLeak(t target.Target, repo, owner string, paths []string) bool {
	switch {
	case t.Str("repo") != "" && strings.EqualFold(t.Str("repo"), repo):
		return true
	case t.Str("org") != "" && strings.EqualFold(t.Str("org"), owner):
		return true
	}
	s, ok := t.Spec()
	if !ok {
		return false
	}
	for _, f := range s.Fields {
		if !f.Path {
			continue
		}
		file := t.Str(f.Name)
		for _, p := range paths {
			if p != "" && file != "" && (file == p || strings.HasSuffix(file, "/"+path.Clean(p))) {
				return true
			}
		}
	}
	return false
}

// earlierCredential is the credential an earlier run of this incident's
// step found ("" when none did).
func earlierCredential(c *step.Call) string {
	if c.Previous == nil {
		return ""
	}
	if m, _ := c.Previous.Evidence["matched"].(bool); !m {
		return ""
	}
	name, _ := c.Previous.Evidence["credential"].(string)
	return name
}

// targetsDiff says which targets were added and removed since an earlier
// run of this incident's step ("" when none, or on the first run).
func targetsDiff(c *step.Call, ids []string) string {
	if c.Previous == nil {
		return ""
	}
	raw, _ := c.Previous.Evidence["targets"].([]any)
	var before []string
	for _, x := range raw {
		if s, ok := x.(string); ok {
			before = append(before, s)
		}
	}
	var added, removed []string
	for _, id := range ids {
		if !slices.Contains(before, id) {
			added = append(added, id)
		}
	}
	for _, id := range before {
		if !slices.Contains(ids, id) {
			removed = append(removed, id)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added since the earlier run: "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed since the earlier run: "+strings.Join(removed, ", ")+" (what an earlier run wrote there stays in the final check)")
	}
	return strings.Join(parts, "; ")
}
