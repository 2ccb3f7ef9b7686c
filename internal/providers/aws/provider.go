package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// adapter is AWS IAM access keys as a provider.Provider, over the Keys
// interface (implemented by internal/awsapi over aws-sdk-go-v2).
//
// An access key is a pair: its ID (AKIA…, an identifier) and its secret
// access key. Containment deactivates the key at once (reversible, and its
// last-use record stays), and key.retire deletes it once recovery is
// verified. The replacement is a new access key for the same IAM user; IAM
// allows two per user, so when the user has two already, the plan says
// which one goes first. A key is checked with STS GetCallerIdentity signed
// with the pair, and IAM's status: AWS refuses an inactive key, and a
// simulator that accepts one is overruled by IAM's word.
type adapter struct {
	env *plugin.Env
}

var _ provider.Provider = adapter{}

func (a adapter) client() (Keys, error) {
	c, err := plugin.SharedAs[Keys](a.env, awsapi.SharedKey, awsapi.Build(a.env))
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("AWS: %w", err))
	}
	return c, nil
}

func awsKeyInfo(account string, k awsapi.AccessKey) *provider.KeyInfo {
	return &provider.KeyInfo{
		Provider: Name, ID: k.ID, Scope: account, ScopeName: account,
		Owner:    evidence.Owner{Type: "iam_user", ID: k.User, Name: k.User},
		Redacted: k.ID, Created: k.Created, LastUsed: k.LastUsed, Status: k.Status,
	}
}

// account is the account of respond's own credentials: the scope of the
// keys it can see.
func (a adapter) account(ctx context.Context, c Keys) (string, error) {
	id, err := c.CallerIdentity(ctx)
	if err != nil {
		return "", err
	}
	return id.Account, nil
}

// FindByID implements provider.Provider.
func (a adapter) FindByID(ctx context.Context, scope, id string) (*provider.KeyInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	account, err := a.account(ctx, c)
	if err != nil {
		return nil, err
	}
	if scope != "" && scope != account {
		return nil, step.BadInputf("respond's AWS credentials are of account %s, not %s: use credentials of the key's account (AWS_PROFILE)", account, scope)
	}
	if strings.HasPrefix(id, "ASIA") {
		return nil, step.BadInputf("%s is a temporary access key (ASIA…) of an assumed role: it cannot be revoked on its own; revoke the role's active sessions (IAM console, \"Revoke active sessions\") and rotate what granted it", id)
	}
	k, err := c.FindAccessKey(ctx, id)
	if errors.Is(err, step.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return awsKeyInfo(account, k), nil
}

// FindByName implements provider.Provider: IAM access keys have no names.
func (adapter) FindByName(context.Context, string, string) (*provider.KeyInfo, error) {
	return nil, step.BadInputf("AWS access keys have no names: name the key by its access key ID (key_id: AKIA…)")
}

// FindByValue implements provider.Provider: by the credential's access key ID.
func (a adapter) FindByValue(ctx context.Context, scope string, c secret.Credential) (*provider.KeyInfo, error) {
	id, _ := c.Part(PartKeyID)
	if id.Text() == "" {
		return nil, step.BadInputf("an AWS secret access key alone does not say which key it is: give its access key ID with it (`AKIA… SECRET` on standard input, or --key-id AKIA…)")
	}
	return a.FindByID(ctx, scope, id.Text())
}

// Matches implements provider.Provider.
func (adapter) Matches(k provider.KeyInfo, c secret.Credential) bool {
	id, _ := c.Part(PartKeyID)
	return id.Text() == "" || id.Text() == k.ID
}

// Check implements provider.Provider: STS GetCallerIdentity signed with the
// pair, then IAM's status of a key STS accepted (an inactive key is dead;
// AWS itself refuses it, some simulators do not).
func (a adapter) Check(ctx context.Context, c secret.Credential) (provider.KeyCheck, error) {
	cl, err := a.client()
	if err != nil {
		return provider.KeyCheck{}, err
	}
	id, _ := c.Part(PartKeyID)
	sk, _ := c.Part(PartSecret)
	if id.Text() == "" || sk.IsZero() {
		return provider.KeyCheck{}, step.Errorf("checking an AWS key needs both its access key ID and its secret access key")
	}
	kc, err := cl.CheckAccessKey(ctx, id.Text(), sk.Value())
	if err != nil {
		return provider.KeyCheck{}, err
	}
	out := provider.KeyCheck{StatusCode: kc.StatusCode, Code: kc.Code, Method: "sts:GetCallerIdentity", Detail: kc.ARN, CheckedAt: kc.CheckedAt}
	switch kc.State {
	case awsapi.KeyDead:
		out.State = provider.KeyDead
	case awsapi.KeyDenied:
		out.State = provider.KeyDenied
	case awsapi.KeyWrongSecret:
		out.State = "wrong-secret"
	default:
		out.State = provider.KeyLive
		k, err := cl.FindAccessKey(ctx, id.Text())
		switch {
		case errors.Is(err, step.ErrNotFound):
			out.State, out.Method = provider.KeyDead, "sts:GetCallerIdentity and IAM (deleted)"
		case err != nil:
			return provider.KeyCheck{}, err
		case !k.Active():
			out.State, out.Method = provider.KeyDead, "sts:GetCallerIdentity and IAM (inactive)"
		}
	}
	return out, nil
}

// Listed implements provider.Provider: the key exists and is active.
func (a adapter) Listed(ctx context.Context, k provider.KeyInfo) (bool, error) {
	c, err := a.client()
	if err != nil {
		return false, err
	}
	key, err := c.FindAccessKey(ctx, k.ID)
	switch {
	case errors.Is(err, step.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return key.Active(), nil
}

// user returns the IAM user of k, looking it up when not known.
func (a adapter) user(ctx context.Context, c Keys, k provider.KeyInfo) (string, *awsapi.AccessKey, error) {
	key, err := c.FindAccessKey(ctx, k.ID)
	if err != nil {
		return k.Owner.ID, nil, err
	}
	return key.User, &key, nil
}

// PlanRevoke implements provider.Provider.
func (a adapter) PlanRevoke(ctx context.Context, k provider.KeyInfo) (step.Change, error) {
	target := "AWS access key " + k.ID
	if k.Owner.ID != "" {
		target += " of IAM user " + k.Owner.ID
	}
	if c, err := a.client(); err == nil {
		if key, err := c.FindAccessKey(ctx, k.ID); errors.Is(err, step.ErrNotFound) {
			return step.Change{Action: step.NoOp, Target: target, Effect: "already deleted: nothing to revoke"}, nil
		} else if err == nil && !key.Active() {
			return step.Change{Action: step.NoOp, Target: target, Effect: "already inactive: nothing to revoke (deleted once recovery is verified)"}, nil
		}
	}
	return step.Change{Action: step.Update, Target: target, Effect: "deactivate it at once (reversible; deleted once recovery is verified)"}, nil
}

// Revoke implements provider.Provider: deactivate.
func (a adapter) Revoke(ctx context.Context, k provider.KeyInfo, log func(string, ...any)) (evidence.Revoked, error) {
	c, err := a.client()
	if err != nil {
		return evidence.Revoked{}, err
	}
	ev := evidence.Revoked{Provider: Name, KeyID: k.ID, Scope: k.Scope, Contained: true, Method: "deactivate access key", Reversible: true}
	user, key, err := a.user(ctx, c, k)
	switch {
	case errors.Is(err, step.ErrNotFound):
		ev.AlreadyDisabled, ev.Method, ev.Reversible = true, "already deleted", false
		return ev, nil
	case err != nil:
		return ev, fmt.Errorf("finding the IAM user of access key %s: %w", k.ID, err)
	}
	ev.Principal = user
	if !key.Active() {
		ev.AlreadyDisabled = true
		return ev, nil
	}
	if err := c.SetAccessKeyActive(ctx, user, k.ID, false); err != nil {
		if errors.Is(err, step.ErrNotFound) {
			ev.AlreadyDisabled = true
			return ev, nil
		}
		return ev, fmt.Errorf("deactivating access key %s of IAM user %s: %w; it may still work: deactivate it in the IAM console "+
			"(Users → %s → Security credentials) if this persists", k.ID, user, err, user)
	}
	log("deactivated access key %s of IAM user %s; it is deleted once recovery is verified", k.ID, user)
	return ev, nil
}

// CanReplace implements provider.Provider: the old key's user must be readable
// (its keys are listed to make room and to clean up).
func (a adapter) CanReplace(ctx context.Context, scope string, old *provider.KeyInfo) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	if old == nil || old.Owner.ID == "" {
		_, err := a.account(ctx, c)
		return err
	}
	if _, err := c.ListAccessKeys(ctx, old.Owner.ID); err != nil {
		if errors.Is(err, step.ErrNotFound) {
			return fmt.Errorf("IAM user %s, whose key is replaced, does not exist", old.Owner.ID)
		}
		return fmt.Errorf("cannot list the access keys of IAM user %s, which creating the replacement needs (%v)", old.Owner.ID, err)
	}
	return nil
}

// room says which of a user's keys must go before a new one can be made
// (IAM allows two), and why; "" when there is room. A kept key (an earlier
// replacement places still hold) is never chosen: when only it or the old
// key, still active, could go, blocked says why nothing can.
func (a adapter) room(keys []awsapi.AccessKey, old provider.KeyInfo, previous string, keep map[string]bool) (deleteID, why string, destructive bool, blocked error) {
	if len(keys) < 2 {
		return "", "", false, nil
	}
	var others []awsapi.AccessKey
	for _, k := range keys {
		if k.ID == previous {
			return "", "", false, nil // the earlier replacement is deleted first anyway
		}
		if k.ID != old.ID && !keep[k.ID] {
			others = append(others, k)
		}
	}
	for _, k := range others {
		if !k.Active() {
			return k.ID, fmt.Sprintf("IAM user %s has 2 access keys, the most IAM allows: %s is inactive, so nothing can be using it, and it is deleted first to make room", old.Owner.ID, k.ID), false, nil
		}
	}
	var kept []string
	for _, k := range keys {
		if keep[k.ID] {
			kept = append(kept, k.ID)
		}
	}
	for _, k := range keys {
		if k.ID != old.ID {
			continue
		}
		if len(kept) > 0 && k.Active() {
			return "", "", false, step.Permanent(fmt.Errorf("IAM user %s has 2 access keys, the most IAM allows: the old key %s is still active "+
				"and the replacement an earlier run made (%s) is on targets that cannot be read back; deleting either could take down "+
				"a service that uses it, so respond changes nothing. Delete one yourself once nothing uses it "+
				"(`aws iam delete-access-key --user-name %s --access-key-id ID`), then `respond resume`", old.Owner.ID, old.ID, strings.Join(kept, ", "), old.Owner.ID))
		}
		if len(kept) > 0 {
			return old.ID, fmt.Sprintf("IAM user %s has 2 access keys, the most IAM allows: the old key %s is inactive (contained), and the other, %s, is the replacement an earlier run made, which stays live until the new one is everywhere: the old key is deleted first to make room", old.Owner.ID, old.ID, strings.Join(kept, ", ")), false, nil
		}
		if len(others) == 0 {
			break
		}
		why := fmt.Sprintf("IAM user %s has 2 access keys, the most IAM allows, and the other one (%s) is active and may be in use: the old key %s is deleted first to make room", old.Owner.ID, others[0].ID, old.ID)
		return old.ID, why, k.Active(), nil
	}
	if len(others) == 0 {
		return "", "", false, step.Permanent(fmt.Errorf("IAM user %s has 2 access keys, the most IAM allows, and both are replacements an earlier run made that places still hold: respond changes nothing; delete one yourself once nothing uses it, then `respond resume`", old.Owner.ID))
	}
	return others[0].ID, fmt.Sprintf("IAM user %s has 2 access keys, the most IAM allows: %s is deleted first to make room", old.Owner.ID, others[0].ID), true, nil
}

// keepSet is the key IDs of r.Keep.
func keepSet(r provider.ReplaceRequest) map[string]bool {
	m := map[string]bool{}
	for _, k := range r.Keep {
		if k.KeyID != "" {
			m[k.KeyID] = true
		}
	}
	return m
}

// PlanReplace implements provider.Provider.
func (a adapter) PlanReplace(ctx context.Context, r provider.ReplaceRequest) (step.Change, error) {
	user := r.Old.Owner.ID
	ch := step.Change{Action: step.Create, Target: "AWS access key for IAM user " + cmp.Or(user, "(the old key's)"),
		Effect: "create a new access key; it is the replacement"}
	if user == "" {
		return ch, nil
	}
	c, err := a.client()
	if err != nil {
		return ch, nil
	}
	keys, err := c.ListAccessKeys(ctx, user)
	if err != nil {
		return ch, nil
	}
	prev := ""
	if r.Previous != nil {
		prev = r.Previous.KeyID
	}
	id, why, destructive, blocked := a.room(keys, r.Old, prev, keepSet(r))
	switch {
	case blocked != nil:
		ch.Action, ch.Effect = step.Ask, "cannot create it: "+blocked.Error()
	case id != "":
		ch.Effect = "delete " + id + " first, then create a new access key (the replacement): " + why
		ch.Destructive = destructive
	}
	return ch, nil
}

// Replace implements provider.Provider.
func (a adapter) Replace(ctx context.Context, r provider.ReplaceRequest, log func(string, ...any)) (secret.Credential, evidence.Created, error) {
	c, err := a.client()
	if err != nil {
		return secret.Credential{}, evidence.Created{}, err
	}
	user := r.Old.Owner.ID
	if user == "" && r.Old.ID != "" {
		if k, err := c.FindAccessKey(ctx, r.Old.ID); err == nil {
			user = k.User
		}
	}
	if user == "" {
		return secret.Credential{}, evidence.Created{}, step.Errorf("the IAM user whose key is replaced is not known: give owner_id (key.identify's owner_id)")
	}
	deleted := []string{}
	if r.Previous != nil && r.Previous.KeyID != "" && r.Previous.KeyID != r.Old.ID {
		if err := c.DeleteAccessKey(ctx, user, r.Previous.KeyID); err != nil && !errors.Is(err, step.ErrNotFound) {
			return secret.Credential{}, evidence.Created{}, fmt.Errorf("deleting access key %s from the earlier run (its secret was not kept): %w", r.Previous.KeyID, err)
		}
		log("deleted access key %s from the earlier run: its secret was not kept", r.Previous.KeyID)
		deleted = append(deleted, r.Previous.KeyID)
	}
	keys, err := c.ListAccessKeys(ctx, user)
	if err != nil {
		return secret.Credential{}, evidence.Created{}, fmt.Errorf("listing the access keys of IAM user %s: %w", user, err)
	}
	prevID := ""
	if r.Previous != nil {
		prevID = r.Previous.KeyID
	}
	var live []awsapi.AccessKey
	for _, k := range keys {
		if k.ID != prevID {
			live = append(live, k)
		}
	}
	id, why, _, blocked := a.room(live, provider.KeyInfo{ID: r.Old.ID, Owner: evidence.Owner{ID: user}}, "", keepSet(r))
	if blocked != nil {
		return secret.Credential{}, evidence.Created{}, blocked
	}
	if id != "" {
		log("%s", why)
		if err := c.DeleteAccessKey(ctx, user, id); err != nil && !errors.Is(err, step.ErrNotFound) {
			return secret.Credential{}, evidence.Created{}, fmt.Errorf("making room for the replacement (deleting %s of IAM user %s): %w", id, user, err)
		}
		deleted = append(deleted, id)
	}
	// What the user has now, journaled before the create: a crash between
	// AWS creating the key and respond recording it leaves a key whose
	// secret is lost, and Reconcile tells it from the user's other keys by
	// this list, not by time (clocks differ, and someone else may have
	// made a key a moment before).
	if r.Checkpoint != nil {
		before := []string{}
		for _, k := range keys {
			if !slices.Contains(deleted, k.ID) {
				before = append(before, k.ID)
			}
		}
		if err := r.Checkpoint(map[string]any{"user": user, "keys_before": before}); err != nil {
			return secret.Credential{}, evidence.Created{}, fmt.Errorf("journaling IAM user %s's access keys before creating one: %w", user, err)
		}
	}
	nk, err := c.CreateAccessKey(ctx, user)
	if err != nil {
		err = fmt.Errorf("creating an access key for IAM user %s: %w", user, err)
		if !outcomeUnknown(err) || errors.Is(ctx.Err(), context.Canceled) {
			// Known, or interrupted: the attempt stays open then, and the
			// resume's Reconcile finds what it made.
			return secret.Credential{}, evidence.Created{}, err
		}
		// No answer (or a server error): IAM may have made the key all the
		// same, and its secret is lost. It is found and deleted now, not
		// left for a resume: a failed attempt is not reconciled (only one
		// that never recorded its end), and a key left over would hold
		// the user's second place, so the next attempt would delete the
		// old key to make room and leave the orphan for good.
		before := map[string]bool{r.Old.ID: true}
		for _, k := range keys {
			if !slices.Contains(deleted, k.ID) {
				before[k.ID] = true
			}
		}
		// Past a step's timeout too: the attempt is over either way.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, cerr := deleteNewKeys(cctx, c, user, before, "the answer to its creation was lost, and its secret with it", log); cerr != nil {
			return secret.Credential{}, evidence.Created{}, fmt.Errorf("%w; it may have been created all the same, and looking for it failed (%v): "+
				"list the keys of IAM user %s (aws iam list-access-keys --user-name %s) and delete one created just now before `respond resume`", err, cerr, user, user)
		}
		return secret.Credential{}, evidence.Created{}, err
	}
	cred := secret.NewCredential(Name, secret.PlainPart(PartKeyID, nk.ID), secret.SecretPart(PartSecret, nk.Secret))
	return cred, evidence.Created{
		Provider: Name, KeyID: nk.ID, Scope: r.Scope,
		Principal: evidence.Principal{Type: "iam_user", ID: user, Name: user},
		Redacted:  nk.Secret.Redacted(), Fingerprint: cred.Fingerprint(), CreatedAt: provider.RFC3339(nk.Created),
		Parts:            map[string]string{PartKeyID: nk.ID, PartSecret: ""},
		DeletedLeftovers: deleted,
		PermissionsHint:  "a least-privilege IAM policy on the user (only the actions and resources the application uses), or a role instead of long-term keys",
	}, nil
}

// Reconcile implements provider.Provider: a key of the user that was not among
// the keys the interrupted attempt journaled before its create was made by
// it, and its secret is lost: it is deleted.
func (a adapter) Reconcile(ctx context.Context, r provider.ReplaceRequest, log func(string, ...any)) ([]string, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	// The interrupted attempt journaled the user's keys before it created
	// one; without that record it never reached the create.
	user, _ := r.Checkpointed["user"].(string)
	if user == "" {
		return nil, nil
	}
	before := map[string]bool{r.Old.ID: true}
	if l, ok := r.Checkpointed["keys_before"].([]any); ok {
		for _, x := range l {
			if id, ok := x.(string); ok {
				before[id] = true
			}
		}
	} else if l, ok := r.Checkpointed["keys_before"].([]string); ok {
		for _, id := range l {
			before[id] = true
		}
	}
	return deleteNewKeys(ctx, c, user, before, "the interrupted run created it and its secret was lost", log)
}

// deleteNewKeys deletes the keys of user that are not among before (the
// keys it had when respond was about to create one): what a create whose
// answer never came made. why says so in the log.
func deleteNewKeys(ctx context.Context, c Keys, user string, before map[string]bool, why string, log func(string, ...any)) ([]string, error) {
	keys, err := c.ListAccessKeys(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("looking for an access key respond created for IAM user %s: %w", user, err)
	}
	var deleted []string
	for _, k := range keys {
		if before[k.ID] {
			continue
		}
		if err := c.DeleteAccessKey(ctx, user, k.ID); err != nil && !errors.Is(err, step.ErrNotFound) {
			return deleted, fmt.Errorf("deleting access key %s, whose secret was lost: %w", k.ID, err)
		}
		log("deleted access key %s of IAM user %s: %s", k.ID, user, why)
		deleted = append(deleted, k.ID)
	}
	return deleted, nil
}

// outcomeUnknown reports whether a failed call may have taken effect: AWS
// did not answer, or answered with a server error.
func outcomeUnknown(err error) bool {
	var e *awsapi.Error
	if errors.As(err, &e) {
		return e.Status >= 500
	}
	return !step.IsPermanent(err)
}

// Usage implements provider.Provider: CloudTrail's management events made with
// the key, by hour, where CloudTrail answers; the key's last use always.
func (a adapter) Usage(ctx context.Context, k provider.KeyInfo, start, end time.Time, log func(string, ...any)) (evidence.Usage, error) {
	c, err := a.client()
	if err != nil {
		return evidence.Usage{}, err
	}
	u := evidence.Usage{Provider: Name, KeyID: k.ID, Buckets: []evidence.UsageBucket{}}
	if key, err := c.FindAccessKey(ctx, k.ID); err == nil && key.LastUsed != nil {
		u.LastUsed = provider.RFC3339(*key.LastUsed)
	}
	look, err := c.LookupKeyEvents(ctx, "", k.ID, start, end)
	if err != nil {
		return u, err
	}
	if !look.Answered {
		u.Source = look.Reason
		u.NotCounted = true
		log("CloudTrail did not answer (%s): the report has the key's last use only", look.Reason)
		return u, nil
	}
	u.Source = "AWS CloudTrail management events"
	byHour := map[string]int64{}
	var order []string
	for _, e := range look.Events {
		h := provider.RFC3339(e.Time.Truncate(time.Hour))
		if _, ok := byHour[h]; !ok {
			order = append(order, h)
		}
		byHour[h]++
	}
	for _, h := range order {
		u.Buckets = append(u.Buckets, evidence.UsageBucket{Start: h, Requests: byHour[h]})
	}
	return u, nil
}

// LastUsed implements provider.Provider.
func (a adapter) LastUsed(ctx context.Context, k provider.KeyInfo) (*time.Time, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	key, err := c.FindAccessKey(ctx, k.ID)
	if err != nil {
		return nil, err
	}
	return key.LastUsed, nil
}

// Retire implements provider.Provider: the deactivated key is deleted.
func (a adapter) Retire(ctx context.Context, k provider.KeyInfo) (evidence.Retired, error) {
	c, err := a.client()
	if err != nil {
		return evidence.Retired{}, err
	}
	ev := evidence.Retired{Provider: Name, KeyID: k.ID}
	key, err := c.FindAccessKey(ctx, k.ID)
	switch {
	case errors.Is(err, step.ErrNotFound):
		ev.Method = k.ID + " is already deleted"
		return ev, nil
	case err != nil:
		return ev, err
	}
	user := key.User
	if key.Active() {
		return ev, step.Errorf("access key %s of IAM user %s is active again: someone switched it back on since it was contained; find out why before deleting it (IAM console), then run `respond resume`", k.ID, user)
	}
	if err := c.DeleteAccessKey(ctx, user, k.ID); err != nil && !errors.Is(err, step.ErrNotFound) {
		return ev, fmt.Errorf("deleting the deactivated access key %s of IAM user %s: %w", k.ID, user, err)
	}
	ev.Deleted, ev.Method = true, "delete access key"
	return ev, nil
}

// Scopes implements provider.Provider: the account of respond's credentials.
func (a adapter) Scopes(ctx context.Context) ([]provider.KeyScope, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	account, err := a.account(ctx, c)
	if err != nil {
		return nil, err
	}
	return []provider.KeyScope{{ID: account, Name: "AWS account " + account}}, nil
}

// ListKeys implements provider.Provider: the access keys of every IAM user.
func (a adapter) ListKeys(ctx context.Context, scope string) ([]provider.KeyInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	users, err := c.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []provider.KeyInfo
	for _, u := range users {
		keys, err := c.ListAccessKeys(ctx, u)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			out = append(out, *awsKeyInfo(scope, k))
		}
	}
	return out, nil
}

// Adopt implements provider.Provider: an access key a person made is
// found by its ID and checked with STS.
func (a adapter) Adopt(ctx context.Context, r provider.ReplaceRequest, cred secret.Credential) (evidence.Created, error) {
	c, err := a.client()
	if err != nil {
		return evidence.Created{}, err
	}
	id, _ := cred.Part(PartKeyID)
	if id.Text() == "" || id.Text() == r.Old.ID {
		return evidence.Created{}, step.BadInputf("paste the new access key's ID and secret (`AKIA… SECRET`), not the old key")
	}
	k, err := c.FindAccessKey(ctx, id.Text())
	if err != nil {
		return evidence.Created{}, fmt.Errorf("finding the pasted access key %s: %w", id.Text(), err)
	}
	kc, err := a.Check(ctx, cred)
	if err != nil {
		return evidence.Created{}, err
	}
	if kc.State == provider.KeyDead {
		return evidence.Created{}, step.BadInputf("the pasted access key %s does not work (%s): check its secret and that it is active", id.Text(), kc.Code)
	}
	return evidence.Created{
		Provider: Name, KeyID: k.ID, Scope: r.Scope,
		Principal: evidence.Principal{Type: "iam_user", ID: k.User, Name: k.User},
		Redacted:  cred.Redacted(), Fingerprint: cred.Fingerprint(), CreatedAt: provider.RFC3339(k.Created),
		Parts:            map[string]string{PartKeyID: k.ID, PartSecret: ""},
		DeletedLeftovers: []string{}, Adopted: true,
	}, nil
}

// Discard implements provider.Provider: an access key respond created and
// no longer needs is deleted.
func (a adapter) Discard(ctx context.Context, cr evidence.Created, log func(string, ...any)) error {
	if cr.Adopted || cr.KeyID == "" {
		return nil
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	user := cr.Principal.ID
	if err := c.DeleteAccessKey(ctx, user, cr.KeyID); err != nil && !errors.Is(err, step.ErrNotFound) {
		return fmt.Errorf("deleting access key %s of IAM user %s, a replacement no longer used: %w", cr.KeyID, user, err)
	}
	log("deleted access key %s of IAM user %s: the replacement it was is no longer used", cr.KeyID, user)
	return nil
}
