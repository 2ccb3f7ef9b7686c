package awsapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/awsapi/awstest"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// responderActions is what respond's own credentials are given in these
// tests.
var responderActions = []string{
	"iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:CreateAccessKey",
	"iam:GetRole", "iam:SimulatePrincipalPolicy", "cloudtrail:LookupEvents",
	"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
	"ssm:GetParameter", "ssm:DescribeParameters", "ssm:PutParameter",
}

// world is moto with a responder (respond's credentials, from the
// environment as a person would set them), an application user whose
// key leaked, and authentication on.
type world struct {
	s         *awstest.Server
	responder awstest.Key
	leaked    awstest.Key
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := awstest.Start(t)
	w := &world{s: s}
	s.CreateUser(t, "responder", responderActions...)
	w.responder = s.CreateAccessKey(t, "responder")
	s.CreateUser(t, "app", "s3:ListAllMyBuckets")
	w.leaked = s.CreateAccessKey(t, "app")
	s.EnableAuth(t)
	s.SetEnv(t, w.responder)
	return w
}

func newClient(t *testing.T) *awsapi.Client {
	t.Helper()
	c, err := awsapi.New(context.Background(), awsapi.Options{MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("awsapi.New: %v", err)
	}
	return c
}

func keyStatus(t *testing.T, s *awstest.Server, id string) string {
	t.Helper()
	for _, k := range s.AccessKeys(t) {
		if k.ID == id {
			return k.Status
		}
	}
	return "absent"
}

func TestAccessKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	c := newClient(t)

	id, err := c.CallerIdentity(ctx)
	if err != nil || id.ARN != "arn:aws:iam::"+awstest.Account+":user/responder" || id.Account != awstest.Account {
		t.Fatalf("CallerIdentity = %+v, %v", id, err)
	}

	// The leaked key works, and its check records a use.
	chk, err := c.CheckAccessKey(ctx, w.leaked.ID, secret.New(w.leaked.Secret))
	if err != nil || chk.State != awsapi.KeyLive || chk.ARN != "arn:aws:iam::"+awstest.Account+":user/app" || chk.StatusCode != 200 {
		t.Fatalf("check of the leaked key: %+v %v", chk, err)
	}
	k, err := c.FindAccessKey(ctx, w.leaked.ID)
	if err != nil || k.User != "app" || !k.Active() || k.Created.IsZero() || k.LastUsed == nil || k.LastUsedService != "sts" {
		t.Fatalf("FindAccessKey = %+v, %v", k, err)
	}
	keys, err := c.ListAccessKeys(ctx, "app")
	if err != nil || len(keys) != 1 || keys[0].ID != w.leaked.ID || keys[0].LastUsed == nil {
		t.Fatalf("ListAccessKeys = %+v, %v", keys, err)
	}

	// A wrong secret is not a dead key.
	chk, err = c.CheckAccessKey(ctx, w.leaked.ID, secret.New(w.leaked.Secret+"x"))
	if err != nil || chk.State != awsapi.KeyWrongSecret || chk.Code != "SignatureDoesNotMatch" {
		t.Fatalf("check with a wrong secret: %+v %v", chk, err)
	}

	// Contain: IAM proves the key inactive. moto still accepts it with STS
	// (AWS answers InvalidClientTokenId): this test can prove containment
	// by IAM's status only.
	if err := c.SetAccessKeyActive(ctx, "app", w.leaked.ID, false); err != nil {
		t.Fatal(err)
	}
	if st := keyStatus(t, w.s, w.leaked.ID); st != "Inactive" {
		t.Fatalf("after deactivation moto holds the key as %s", st)
	}
	if k, err := c.FindAccessKey(ctx, w.leaked.ID); err != nil || k.Active() || k.Status != "Inactive" {
		t.Fatalf("FindAccessKey after deactivation = %+v, %v", k, err)
	}
	if chk, err := c.CheckAccessKey(ctx, w.leaked.ID, secret.New(w.leaked.Secret)); err != nil || chk.State != awsapi.KeyLive {
		t.Errorf("moto now refuses an inactive key (%+v %v): this test can prove containment by STS too", chk, err)
	}
	if err := c.SetAccessKeyActive(ctx, "app", w.leaked.ID, true); err != nil || keyStatus(t, w.s, w.leaked.ID) != "Active" {
		t.Fatalf("reactivation: %v", err)
	}
	if err := c.SetAccessKeyActive(ctx, "app", w.leaked.ID, false); err != nil {
		t.Fatal(err)
	}

	// Replace: one new key, its secret once, working.
	w.s.StartRecording(t)
	nk, err := c.CreateAccessKey(ctx, "app")
	if err != nil || nk.User != "app" || !strings.HasPrefix(nk.ID, "AKIA") || nk.Secret.Len() != 40 || nk.Created.IsZero() {
		t.Fatalf("CreateAccessKey = %+v, %v", nk, err)
	}
	if chk, err := c.CheckAccessKey(ctx, nk.ID, nk.Secret); err != nil || chk.State != awsapi.KeyLive {
		t.Fatalf("check of the new key: %+v %v", chk, err)
	}
	// A third key: IAM refuses, the request was sent once, the error says
	// what to do.
	_, err = c.CreateAccessKey(ctx, "app")
	var ae *awsapi.Error
	if !errors.As(err, &ae) || ae.Code != "LimitExceeded" || !strings.Contains(err.Error(), "delete one") || !step.IsPermanent(err) {
		t.Fatalf("a third key: %v", err)
	}
	creates := 0
	for _, r := range w.s.Requests(t, false) {
		if r.Action == "CreateAccessKey" {
			creates++
		}
	}
	if creates != 2 {
		t.Errorf("CreateAccessKey sent %d times for two calls", creates)
	}

	// Delete: gone for IAM and for STS.
	if err := c.DeleteAccessKey(ctx, "app", w.leaked.ID); err != nil {
		t.Fatal(err)
	}
	if chk, err := c.CheckAccessKey(ctx, w.leaked.ID, secret.New(w.leaked.Secret)); err != nil || chk.State != awsapi.KeyDead || chk.Code != "InvalidClientTokenId" || chk.StatusCode != 403 {
		t.Fatalf("check of the deleted key: %+v %v", chk, err)
	}
	if err := c.DeleteAccessKey(ctx, "app", w.leaked.ID); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	_, err = c.FindAccessKey(ctx, w.leaked.ID)
	if !errors.Is(err, step.ErrNotFound) || !strings.Contains(err.Error(), "get-access-key-info") {
		t.Errorf("FindAccessKey of a deleted key: %v", err)
	}
	if keys, err := c.ListAccessKeys(ctx, "app"); err != nil || len(keys) != 1 || keys[0].ID != nk.ID {
		t.Errorf("keys left: %+v %v", keys, err)
	}
	if _, err := c.ListAccessKeys(ctx, "nobody"); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("keys of a user that does not exist: %v", err)
	}
}

// TestAccessDenied: a key that works but lacks permissions is told apart
// from a dead one, and errors name the missing IAM action.
func TestAccessDenied(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.s.CreateUser(t, "weak") // no policy at all
	weak := w.s.CreateAccessKey(t, "weak")
	// As respond: a live key without permissions checks live (STS needs
	// no permission; an AccessDenied answer is covered by TestFakeAWS).
	c := newClient(t)
	if chk, err := c.CheckAccessKey(ctx, weak.ID, secret.New(weak.Secret)); err != nil || chk.State != awsapi.KeyLive {
		t.Fatalf("a key without permissions: %+v %v", chk, err)
	}
	w.s.SetEnv(t, weak)
	c = newClient(t)
	for _, tc := range []struct {
		call   func() error
		action string
	}{
		{func() error { _, err := c.ListAccessKeys(ctx, "app"); return err }, "iam:ListAccessKeys"},
		{func() error { return c.SetAccessKeyActive(ctx, "app", w.leaked.ID, false) }, "iam:UpdateAccessKey"},
		{func() error { _, err := c.CreateAccessKey(ctx, "app"); return err }, "iam:CreateAccessKey"},
		{func() error { _, err := c.DescribeSecret(ctx, "", "app/prod"); return err }, "secretsmanager:DescribeSecret"},
		{func() error { _, err := c.GetParameter(ctx, "", "/app/key", false); return err }, "ssm:GetParameter"},
	} {
		err := tc.call()
		if !errors.Is(err, awsapi.ErrAccessDenied) || !strings.Contains(err.Error(), "need the IAM permission "+tc.action) || !step.IsPermanent(err) {
			t.Errorf("%s: %v; want access denied naming the action", tc.action, err)
		}
	}
	if keyStatus(t, w.s, w.leaked.ID) != "Active" {
		t.Error("a denied deactivation changed the key")
	}
}

func TestCloudTrailUnanswered(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	c := newClient(t)
	res, err := c.LookupKeyEvents(ctx, "", w.leaked.ID, time.Now().Add(-time.Hour), time.Now())
	if err != nil {
		t.Fatalf("LookupKeyEvents: %v; an unanswered CloudTrail is not an error", err)
	}
	if res.Answered || !strings.Contains(res.Reason, "CloudTrail") || !strings.Contains(res.Reason, "HTTP 500") || res.Region != awstest.Region {
		t.Errorf("moto does not implement LookupEvents; got %+v", res)
	}
	// IAM's simulation is not implemented either: "cannot tell".
	p, err := c.Permitted(ctx, "secretsmanager:PutSecretValue", "*", true)
	if err != nil || p.Decision != awsapi.Unknown || !strings.Contains(p.Reason, "SimulatePrincipalPolicy") {
		t.Errorf("Permitted = %+v, %v", p, err)
	}
}

func TestSecretsManager(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	arn := w.s.CreateSecret(t, "app/prod", `{"OPENAI_API_KEY":"old","DB":"x"}`, "alias/app")
	first := w.s.Secret(t, "app/prod", "AWSCURRENT")
	c := newClient(t)

	d, err := c.DescribeSecret(ctx, "", "app/prod")
	if err != nil || d.ARN != arn || d.Name != "app/prod" || d.KMSKeyID != "alias/app" || d.CurrentVersion != first.ID || d.PreviousVersion != "" || d.Deleted != nil {
		t.Fatalf("DescribeSecret = %+v, %v", d, err)
	}
	v, err := c.GetSecretValue(ctx, "", arn)
	if err != nil || v.VersionID != first.ID || v.String.Reveal() != `{"OPENAI_API_KEY":"old","DB":"x"}` || v.Binary {
		t.Fatalf("GetSecretValue = %+v, %v", v, err)
	}
	ver, err := c.PutSecretString(ctx, awstest.Region, "app/prod", secret.New("whole-new-value"))
	if err != nil || ver == "" || ver == first.ID {
		t.Fatalf("PutSecretString = %q, %v", ver, err)
	}
	d, err = c.DescribeSecret(ctx, "", "app/prod")
	if err != nil || d.CurrentVersion != ver || d.PreviousVersion != first.ID {
		t.Fatalf("after the put: %+v, %v", d, err)
	}
	if got := w.s.Secret(t, "app/prod", "AWSPREVIOUS"); got.Value != `{"OPENAI_API_KEY":"old","DB":"x"}` {
		t.Errorf("AWSPREVIOUS holds %q", got.Value)
	}
	if _, err := c.DescribeSecret(ctx, "", "app/missing"); !errors.Is(err, step.ErrNotFound) || !step.IsPermanent(err) {
		t.Errorf("a missing secret: %v", err)
	}
	if _, err := c.PutSecretString(ctx, "", "app/prod", secret.Value{}); err == nil {
		t.Error("an empty value was written")
	}
	w.s.DeleteSecret(t, "app/prod")
	if d, err := c.DescribeSecret(ctx, "", "app/prod"); err != nil || d.Deleted == nil {
		t.Errorf("a secret scheduled for deletion: %+v %v", d, err)
	}
}

func TestParameterStore(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.s.PutParameter(t, "/app/plain", "visible", "String", "")
	c := newClient(t)

	ver, err := c.PutSecureParameter(ctx, "", "/app/key", secret.New("first-value"), "alias/app")
	if err != nil || ver != 1 {
		t.Fatalf("PutSecureParameter = %d, %v", ver, err)
	}
	ver, err = c.PutSecureParameter(ctx, "", "/app/key", secret.New("second-value"), "alias/app")
	if err != nil || ver != 2 {
		t.Fatalf("PutSecureParameter again = %d, %v", ver, err)
	}
	if p := w.s.Parameter(t, "/app/key"); p.Value != "second-value" || p.Type != "SecureString" || p.KeyID != "alias/app" {
		t.Fatalf("moto holds %+v", p)
	}
	p, err := c.GetParameter(ctx, "", "/app/key", true)
	if err != nil || p.Type != "SecureString" || p.Version != 2 || p.Value.Reveal() != "second-value" || !strings.HasSuffix(p.ARN, "parameter/app/key") {
		t.Fatalf("GetParameter decrypted = %+v, %v", p, err)
	}
	if p, err := c.GetParameter(ctx, "", "/app/key", false); err != nil || !p.Value.IsZero() || p.Type != "SecureString" {
		t.Errorf("GetParameter without decryption must leave the ciphertext out: %+v, %v", p, err)
	}
	if p, err := c.DescribeParameter(ctx, "", "/app/key"); err != nil || p.KMSKeyID != "alias/app" || p.Version != 2 || !p.Value.IsZero() {
		t.Errorf("DescribeParameter = %+v, %v", p, err)
	}
	if p, err := c.GetParameter(ctx, "", "/app/plain", false); err != nil || p.Type != "String" || p.Value.Reveal() != "visible" {
		t.Errorf("a String parameter: %+v %v", p, err)
	}
	if _, err := c.GetParameter(ctx, "", "/app/missing", false); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("a missing parameter: %v", err)
	}
	if _, err := c.DescribeParameter(ctx, "", "/app/missing"); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("describing a missing parameter: %v", err)
	}
	// Another region is another store.
	if _, err := c.GetParameter(ctx, "eu-west-1", "/app/key", false); !errors.Is(err, step.ErrNotFound) {
		t.Errorf("/app/key in eu-west-1: %v", err)
	}
}

func TestNoRegion(t *testing.T) {
	w := newWorld(t)
	t.Setenv("AWS_REGION", "")
	c := newClient(t)
	_, err := c.DescribeSecret(context.Background(), "", "app/prod")
	if err == nil || !strings.Contains(err.Error(), "set AWS_REGION") {
		t.Errorf("no region: %v", err)
	}
	// IAM is global: it needs none.
	if _, err := c.ListAccessKeys(context.Background(), "app"); err != nil {
		t.Errorf("IAM without a region: %v", err)
	}
	_ = w
}
