package steps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// awsProvider is AWS IAM access keys as a KeyProvider, over the AWSKeys
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
type awsProvider struct {
	P *Providers
}

var _ KeyProvider = awsProvider{}

// Parts of an AWS credential.
const (
	AWSPartKeyID  = "access_key_id"
	AWSPartSecret = "secret_access_key"
)

func (awsProvider) Name() string      { return "aws" }
func (awsProvider) Title() string     { return "AWS" }
func (awsProvider) ScopeKind() string { return "account" }

// Advice implements KeyProvider.
func (awsProvider) Advice() evidence.Advice {
	return evidence.Advice{
		Console:   "in the IAM console (Users, Security credentials) or with `aws iam update-access-key --status Inactive`",
		Review:    "Review the CloudTrail events of the key for the window (aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=KEY_ID), what they touched and the bill; open a case with AWS Support for charges to dispute.",
		AllowList: "An IAM policy condition on aws:SourceIp or aws:SourceVpc (or a service control policy) makes a leaked key useless from anywhere else.",
	}
}

// AlertTypes implements KeyProvider: GitHub reports AWS keys by their ID
// (and the pair, when it finds the secret beside it).
func (awsProvider) AlertTypes() []string {
	return []string{"aws_access_key_id", "aws_secret_access_key", "aws_temporary_access_key_id"}
}

var (
	awsKeyIDRe  = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$`)
	awsSecretRe = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
)

// OwnsKeyID implements KeyProvider: AKIA… (long-term) and ASIA…
// (temporary) access key IDs.
func (awsProvider) OwnsKeyID(id string) bool { return awsKeyIDRe.MatchString(id) }

// Credential implements KeyProvider: an access key ID, a secret access
// key, or both, as pasted ("AKIA… SECRET", "AKIA…:SECRET", or the two
// lines of a .env or credentials file) or as an alert reports them.
func (awsProvider) Credential(v secret.Value, keyID string) (secret.Credential, error) {
	id, sk := keyID, ""
	fields := strings.FieldsFunc(v.Reveal(), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ':' || r == ',' || r == '"' || r == '\''
	})
	for _, f := range fields {
		if _, val, ok := strings.Cut(f, "="); ok {
			f = val
		}
		switch {
		case awsKeyIDRe.MatchString(f):
			if id != "" && id != f {
				return secret.Credential{}, fmt.Errorf("the value holds access key ID %s but the key is %s: give one key", f, id)
			}
			id = f
		case awsSecretRe.MatchString(f):
			sk = f
		}
	}
	if id == "" && sk == "" {
		return secret.Credential{}, errors.New("the value is not an AWS access key: give the access key ID (AKIA…) and its secret access key, as `AKIA… SECRET`")
	}
	parts := []secret.Part{secret.PlainPart(AWSPartKeyID, id)}
	if sk != "" {
		parts = append(parts, secret.SecretPart(AWSPartSecret, secret.New(sk)))
	}
	return secret.NewCredential("aws", parts...), nil
}

func (a awsProvider) client() (AWS, error) { return awsClient(a.P, "aws") }

func awsKeyInfo(account string, k AWSAccessKey) *KeyInfo {
	return &KeyInfo{
		Provider: "aws", ID: k.ID, Scope: account, ScopeName: account,
		Owner:    evidence.Owner{Type: "iam_user", ID: k.User, Name: k.User},
		Redacted: k.ID, Created: k.Created, LastUsed: k.LastUsed, Status: k.Status,
	}
}

// account is the account of respond's own credentials: the scope of the
// keys it can see.
func (a awsProvider) account(ctx context.Context, c AWS) (string, error) {
	id, err := c.CallerIdentity(ctx)
	if err != nil {
		return "", err
	}
	return id.Account, nil
}

// FindByID implements KeyProvider.
func (a awsProvider) FindByID(ctx context.Context, scope, id string) (*KeyInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	account, err := a.account(ctx, c)
	if err != nil {
		return nil, err
	}
	if scope != "" && scope != account {
		return nil, badInputf("respond's AWS credentials are of account %s, not %s: use credentials of the key's account (AWS_PROFILE)", account, scope)
	}
	if strings.HasPrefix(id, "ASIA") {
		return nil, badInputf("%s is a temporary access key (ASIA…) of an assumed role: it cannot be revoked on its own; revoke the role's active sessions (IAM console, \"Revoke active sessions\") and rotate what granted it", id)
	}
	k, err := c.FindAccessKey(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return awsKeyInfo(account, k), nil
}

// FindByName implements KeyProvider: IAM access keys have no names.
func (awsProvider) FindByName(context.Context, string, string) (*KeyInfo, error) {
	return nil, badInputf("AWS access keys have no names: name the key by its access key ID (key_id: AKIA…)")
}

// FindByValue implements KeyProvider: by the credential's access key ID.
func (a awsProvider) FindByValue(ctx context.Context, scope string, c secret.Credential) (*KeyInfo, error) {
	id, _ := c.Part(AWSPartKeyID)
	if id.Text() == "" {
		return nil, badInputf("an AWS secret access key alone does not say which key it is: give its access key ID with it (`AKIA… SECRET` on standard input, or --key-id AKIA…)")
	}
	return a.FindByID(ctx, scope, id.Text())
}

// Matches implements KeyProvider.
func (awsProvider) Matches(k KeyInfo, c secret.Credential) bool {
	id, _ := c.Part(AWSPartKeyID)
	return id.Text() == "" || id.Text() == k.ID
}

// Check implements KeyProvider: STS GetCallerIdentity signed with the
// pair, then IAM's status of a key STS accepted (an inactive key is dead;
// AWS itself refuses it, some simulators do not).
func (a awsProvider) Check(ctx context.Context, c secret.Credential) (KeyCheck, error) {
	cl, err := a.client()
	if err != nil {
		return KeyCheck{}, err
	}
	id, _ := c.Part(AWSPartKeyID)
	sk, _ := c.Part(AWSPartSecret)
	if id.Text() == "" || sk.IsZero() {
		return KeyCheck{}, step.Errorf("checking an AWS key needs both its access key ID and its secret access key")
	}
	kc, err := cl.CheckAccessKey(ctx, id.Text(), sk.Value())
	if err != nil {
		return KeyCheck{}, err
	}
	out := KeyCheck{StatusCode: kc.StatusCode, Code: kc.Code, Method: "sts:GetCallerIdentity", Detail: kc.ARN, CheckedAt: kc.CheckedAt}
	switch kc.State {
	case AWSKeyDead:
		out.State = KeyDead
	case AWSKeyDenied:
		out.State = KeyDenied
	case AWSKeyWrongSecret:
		out.State = "wrong-secret"
	default:
		out.State = KeyLive
		k, err := cl.FindAccessKey(ctx, id.Text())
		switch {
		case errors.Is(err, ErrNotFound):
			out.State, out.Method = KeyDead, "sts:GetCallerIdentity and IAM (deleted)"
		case err != nil:
			return KeyCheck{}, err
		case !k.Active():
			out.State, out.Method = KeyDead, "sts:GetCallerIdentity and IAM (inactive)"
		}
	}
	return out, nil
}

// Listed implements KeyProvider: the key exists and is active.
func (a awsProvider) Listed(ctx context.Context, k KeyInfo) (bool, error) {
	c, err := a.client()
	if err != nil {
		return false, err
	}
	key, err := c.FindAccessKey(ctx, k.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return key.Active(), nil
}

// user returns the IAM user of k, looking it up when not known.
func (a awsProvider) user(ctx context.Context, c AWS, k KeyInfo) (string, *AWSAccessKey, error) {
	key, err := c.FindAccessKey(ctx, k.ID)
	if err != nil {
		return k.Owner.ID, nil, err
	}
	return key.User, &key, nil
}

// PlanRevoke implements KeyProvider.
func (a awsProvider) PlanRevoke(ctx context.Context, k KeyInfo) (step.Change, error) {
	target := "AWS access key " + k.ID
	if k.Owner.ID != "" {
		target += " of IAM user " + k.Owner.ID
	}
	if c, err := a.client(); err == nil {
		if key, err := c.FindAccessKey(ctx, k.ID); errors.Is(err, ErrNotFound) {
			return step.Change{Action: step.NoOp, Target: target, Effect: "already deleted: nothing to revoke"}, nil
		} else if err == nil && !key.Active() {
			return step.Change{Action: step.NoOp, Target: target, Effect: "already inactive: nothing to revoke (deleted once recovery is verified)"}, nil
		}
	}
	return step.Change{Action: step.Update, Target: target, Effect: "deactivate it at once (reversible; deleted once recovery is verified)"}, nil
}

// Revoke implements KeyProvider: deactivate.
func (a awsProvider) Revoke(ctx context.Context, k KeyInfo, log func(string, ...any)) (evidence.Revoked, error) {
	c, err := a.client()
	if err != nil {
		return evidence.Revoked{}, err
	}
	ev := evidence.Revoked{Provider: "aws", KeyID: k.ID, Scope: k.Scope, Contained: true, Method: "deactivate access key", Reversible: true}
	user, key, err := a.user(ctx, c, k)
	switch {
	case errors.Is(err, ErrNotFound):
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
		if errors.Is(err, ErrNotFound) {
			ev.AlreadyDisabled = true
			return ev, nil
		}
		return ev, fmt.Errorf("deactivating access key %s of IAM user %s: %w; it may still work: deactivate it in the IAM console "+
			"(Users → %s → Security credentials) if this persists", k.ID, user, err, user)
	}
	log("deactivated access key %s of IAM user %s; it is deleted once recovery is verified", k.ID, user)
	return ev, nil
}

// CanReplace implements KeyProvider: the old key's user must be readable
// (its keys are listed to make room and to clean up).
func (a awsProvider) CanReplace(ctx context.Context, scope string, old *KeyInfo) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	if old == nil || old.Owner.ID == "" {
		_, err := a.account(ctx, c)
		return err
	}
	if _, err := c.ListAccessKeys(ctx, old.Owner.ID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("IAM user %s, whose key is replaced, does not exist", old.Owner.ID)
		}
		return fmt.Errorf("cannot list the access keys of IAM user %s, which creating the replacement needs (%v)", old.Owner.ID, err)
	}
	return nil
}

// room says which of a user's keys must go before a new one can be made
// (IAM allows two), and why; "" when there is room.
func (a awsProvider) room(keys []AWSAccessKey, old KeyInfo, previous string) (deleteID, why string, destructive bool) {
	if len(keys) < 2 {
		return "", "", false
	}
	var others []AWSAccessKey
	for _, k := range keys {
		if k.ID == previous {
			return "", "", false // the earlier replacement is deleted first anyway
		}
		if k.ID != old.ID {
			others = append(others, k)
		}
	}
	for _, k := range others {
		if !k.Active() {
			return k.ID, fmt.Sprintf("IAM user %s has 2 access keys, the most IAM allows: %s is inactive, so nothing can be using it, and it is deleted first to make room", old.Owner.ID, k.ID), false
		}
	}
	for _, k := range keys {
		if k.ID == old.ID {
			why := fmt.Sprintf("IAM user %s has 2 access keys, the most IAM allows, and the other one (%s) is active and may be in use: the old key %s is deleted first to make room", old.Owner.ID, others[0].ID, old.ID)
			return old.ID, why, k.Active()
		}
	}
	return others[0].ID, fmt.Sprintf("IAM user %s has 2 access keys, the most IAM allows: %s is deleted first to make room", old.Owner.ID, others[0].ID), true
}

// PlanReplace implements KeyProvider.
func (a awsProvider) PlanReplace(ctx context.Context, r ReplaceRequest) (step.Change, error) {
	user := r.Old.Owner.ID
	ch := step.Change{Action: step.Create, Target: "AWS access key for IAM user " + firstNonEmpty(user, "(the old key's)"),
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
	if id, why, destructive := a.room(keys, r.Old, prev); id != "" {
		ch.Effect = "delete " + id + " first, then create a new access key (the replacement): " + why
		ch.Destructive = destructive
	}
	return ch, nil
}

// Replace implements KeyProvider.
func (a awsProvider) Replace(ctx context.Context, r ReplaceRequest, log func(string, ...any)) (secret.Credential, evidence.Created, error) {
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
		if err := c.DeleteAccessKey(ctx, user, r.Previous.KeyID); err != nil && !errors.Is(err, ErrNotFound) {
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
	var live []AWSAccessKey
	for _, k := range keys {
		if k.ID != prevID {
			live = append(live, k)
		}
	}
	if id, why, _ := a.room(live, KeyInfo{ID: r.Old.ID, Owner: evidence.Owner{ID: user}}, ""); id != "" {
		log("%s", why)
		if err := c.DeleteAccessKey(ctx, user, id); err != nil && !errors.Is(err, ErrNotFound) {
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
		return secret.Credential{}, evidence.Created{}, fmt.Errorf("creating an access key for IAM user %s: %w; if it was created anyway, `respond resume` finds and deletes it", user, err)
	}
	cred := secret.NewCredential("aws", secret.PlainPart(AWSPartKeyID, nk.ID), secret.SecretPart(AWSPartSecret, nk.Secret))
	return cred, evidence.Created{
		Provider: "aws", KeyID: nk.ID, Scope: r.Scope,
		Principal: evidence.Principal{Type: "iam_user", ID: user, Name: user},
		Redacted:  nk.Secret.Redacted(), Fingerprint: cred.Fingerprint(), CreatedAt: rfc3339(nk.Created),
		Parts:            map[string]string{AWSPartKeyID: nk.ID, AWSPartSecret: ""},
		DeletedLeftovers: deleted,
		PermissionsHint:  "a least-privilege IAM policy on the user (only the actions and resources the application uses), or a role instead of long-term keys",
	}, nil
}

// Reconcile implements KeyProvider: a key of the user that was not among
// the keys the interrupted attempt journaled before its create was made by
// it, and its secret is lost: it is deleted.
func (a awsProvider) Reconcile(ctx context.Context, r ReplaceRequest, log func(string, ...any)) ([]string, error) {
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
	keys, err := c.ListAccessKeys(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("looking for an access key the interrupted run created for IAM user %s: %w", user, err)
	}
	var deleted []string
	for _, k := range keys {
		if before[k.ID] {
			continue
		}
		if err := c.DeleteAccessKey(ctx, user, k.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return deleted, fmt.Errorf("deleting access key %s, left by the interrupted run: %w", k.ID, err)
		}
		log("deleted access key %s of IAM user %s: the interrupted run created it and its secret was lost", k.ID, user)
		deleted = append(deleted, k.ID)
	}
	return deleted, nil
}

// Usage implements KeyProvider: CloudTrail's management events made with
// the key, by hour, where CloudTrail answers; the key's last use always.
func (a awsProvider) Usage(ctx context.Context, k KeyInfo, start, end time.Time, log func(string, ...any)) (evidence.Usage, error) {
	c, err := a.client()
	if err != nil {
		return evidence.Usage{}, err
	}
	u := evidence.Usage{Provider: "aws", KeyID: k.ID, Buckets: []evidence.UsageBucket{}}
	if key, err := c.FindAccessKey(ctx, k.ID); err == nil && key.LastUsed != nil {
		u.LastUsed = rfc3339(*key.LastUsed)
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
		h := rfc3339(e.Time.Truncate(time.Hour))
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

// LastUsed implements KeyProvider.
func (a awsProvider) LastUsed(ctx context.Context, k KeyInfo) (*time.Time, error) {
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

// Retire implements KeyProvider: the deactivated key is deleted.
func (a awsProvider) Retire(ctx context.Context, k KeyInfo) (evidence.Retired, error) {
	c, err := a.client()
	if err != nil {
		return evidence.Retired{}, err
	}
	ev := evidence.Retired{Provider: "aws", KeyID: k.ID}
	key, err := c.FindAccessKey(ctx, k.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		ev.Method = k.ID + " is already deleted"
		return ev, nil
	case err != nil:
		return ev, err
	}
	user := key.User
	if key.Active() {
		return ev, step.Errorf("access key %s of IAM user %s is active again: someone switched it back on since it was contained; find out why before deleting it (IAM console), then run `respond resume`", k.ID, user)
	}
	if err := c.DeleteAccessKey(ctx, user, k.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return ev, fmt.Errorf("deleting the deactivated access key %s of IAM user %s: %w", k.ID, user, err)
	}
	ev.Deleted, ev.Method = true, "delete access key"
	return ev, nil
}

// Scopes implements KeyProvider: the account of respond's credentials.
func (a awsProvider) Scopes(ctx context.Context) ([]KeyScope, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	account, err := a.account(ctx, c)
	if err != nil {
		return nil, err
	}
	return []KeyScope{{ID: account, Name: "AWS account " + account}}, nil
}

// ListKeys implements KeyProvider: the access keys of every IAM user.
func (a awsProvider) ListKeys(ctx context.Context, scope string) ([]KeyInfo, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	users, err := c.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []KeyInfo
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
