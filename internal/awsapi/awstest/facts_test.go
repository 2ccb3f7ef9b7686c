package awstest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// errCode is the AWS error code of err, or "" (and the HTTP status).
func errCode(err error) (string, int) {
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), status
	}
	return "", status
}

func wantCode(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	c, s := errCode(err)
	if c != code || s != status {
		t.Errorf("%s: got code %q status %d (%v), want %q %d", what, c, s, err, code, status)
	}
}

func whoami(ctx context.Context, s *Server, k Key) (string, error) {
	out, err := sts.NewFromConfig(s.Config(k)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

// TestMotoFacts checks what the package comment says of moto, so that a
// moto that behaves otherwise is noticed before the tests built on it
// mislead.
func TestMotoFacts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := Start(t)

	// Authentication off: any key and signature.
	if arn, err := whoami(ctx, s, Key{ID: "AKIANOBODY0000000000", Secret: "anything"}); err != nil || arn == "" {
		t.Fatalf("auth off: an unknown key got %q %v; want it accepted", arn, err)
	}

	s.CreateUser(t, "alice") // no policy at all
	alice := s.CreateAccessKey(t, "alice")
	s.CreateUser(t, "bob", "iam:ListAccessKeys")
	bob := s.CreateAccessKey(t, "bob")
	gone := s.CreateAccessKey(t, "bob")
	s.CreateSecret(t, "app/one", "v1", "")
	s.EnableAuth(t)

	_, err := whoami(ctx, s, rootKey)
	wantCode(t, "auth on, the dummy root key", err, "InvalidClientTokenId", 403)
	if arn, err := whoami(ctx, s, s.Admin); err != nil || !strings.HasSuffix(arn, ":user/"+AdminUser) {
		t.Fatalf("auth on: admin: %q %v", arn, err)
	}
	// GetCallerIdentity needs no permission.
	if arn, err := whoami(ctx, s, alice); err != nil || arn != "arn:aws:iam::"+Account+":user/alice" {
		t.Errorf("a key without any policy: GetCallerIdentity = %q %v; want its ARN", arn, err)
	}
	_, err = whoami(ctx, s, Key{ID: alice.ID, Secret: alice.Secret + "x"})
	wantCode(t, "wrong secret", err, "SignatureDoesNotMatch", 403)
	_, err = iam.NewFromConfig(s.Config(alice)).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	wantCode(t, "no permission, IAM", err, "AccessDenied", 403)
	_, err = secretsmanager.NewFromConfig(s.Config(alice)).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/one")})
	wantCode(t, "no permission, Secrets Manager (an XML error to a JSON client)", err, "", 403)
	_, err = ssm.NewFromConfig(s.Config(alice)).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/x")})
	wantCode(t, "no permission, SSM", err, "", 403)

	// An inactive key still works with moto (AWS refuses it).
	s.SetKeyStatus(t, bob, "Inactive")
	if _, err := whoami(ctx, s, bob); err != nil {
		t.Errorf("moto now refuses an inactive key (%v): awsapi's tests and the package comment can say STS proves deactivation", err)
	}
	if _, err := iam.NewFromConfig(s.Config(bob)).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")}); err != nil {
		t.Errorf("an inactive key with permission, IAM: %v; want it accepted (moto)", err)
	}
	var status string
	for _, k := range s.AccessKeys(t) {
		if k.ID == bob.ID {
			status = k.Status
		}
	}
	if status != "Inactive" {
		t.Errorf("model data: bob's key is %q, want Inactive", status)
	}
	// A deleted key is refused.
	if _, err := s.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(gone.ID)}); err != nil {
		t.Fatal(err)
	}
	_, err = whoami(ctx, s, gone)
	wantCode(t, "deleted key", err, "InvalidClientTokenId", 403)

	// Two keys per user.
	_, err = s.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatalf("second key of bob: %v", err)
	}
	_, err = s.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	wantCode(t, "third key", err, "LimitExceeded", 409)

	// Last used of a key never used.
	lu, err := s.iam.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(s.CreateAccessKey(t, "alice").ID)})
	if err != nil || lu.AccessKeyLastUsed.LastUsedDate != nil || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Errorf("last used of a new key: %+v %v", lu, err)
	}

	// No managed policies.
	_, err = s.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantCode(t, "attach a managed policy", err, "NoSuchEntity", 404)

	// Not implemented.
	_, err = s.iam.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + Account + ":user/alice"), ActionNames: []string{"s3:ListBucket"}})
	if _, st := errCode(err); st != 500 {
		t.Errorf("SimulatePrincipalPolicy: %v; want a 500 (not implemented)", err)
	}
	_, err = cloudtrail.NewFromConfig(s.Config(s.Admin)).LookupEvents(ctx, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: aws.String(bob.ID)}},
		StartTime:        aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now())})
	if _, st := errCode(err); st != 500 {
		t.Errorf("CloudTrail LookupEvents: %v; want a 500 (not implemented)", err)
	}
}

func TestMotoFactsSecretStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := Start(t)
	sm := s.sm
	s.CreateSecret(t, "app/prod", "v1", "")
	first := s.Secret(t, "app/prod", "AWSCURRENT")
	out, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/prod"), SecretString: aws.String("v2")})
	if err != nil {
		t.Fatal(err)
	}
	if prev := s.Secret(t, "app/prod", "AWSPREVIOUS"); prev.ID != first.ID || prev.Value != "v1" {
		t.Errorf("AWSPREVIOUS after a put: %+v, want version %s holding v1", prev, first.ID)
	}
	tok := "11111111-1111-1111-1111-111111111111"
	put := func(v string) (*secretsmanager.PutSecretValueOutput, error) {
		return sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/prod"), SecretString: aws.String(v), ClientRequestToken: aws.String(tok)})
	}
	a, err1 := put("v3")
	b, err2 := put("v3")
	if err1 != nil || err2 != nil || aws.ToString(a.VersionId) != tok || aws.ToString(b.VersionId) != tok {
		t.Errorf("same token, same value: %v %v", err1, err2)
	}
	if prev := s.Secret(t, "app/prod", "AWSPREVIOUS"); prev.ID != aws.ToString(out.VersionId) {
		t.Errorf("a repeated token moved AWSPREVIOUS to %s", prev.ID)
	}
	_, err = put("v4")
	wantCode(t, "same token, another value", err, "ResourceExistsException", 400)

	s.DeleteSecret(t, "app/prod")
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/prod"), SecretString: aws.String("v5")}); err != nil {
		t.Errorf("moto now refuses a write to a secret scheduled for deletion (%v), as AWS does: update the package comment", err)
	}

	s.PutParameter(t, "/app/key", "v1", "SecureString", "alias/custom")
	raw, err := s.ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/key")})
	if err != nil || aws.ToString(raw.Parameter.Value) != "kms:alias/custom:v1" {
		t.Errorf("SecureString without decryption: %+v %v", raw, err)
	}
	if p := s.Parameter(t, "/app/key"); p.Value != "v1" || p.Type != "SecureString" || p.KeyID != "alias/custom" || p.Version != 1 {
		t.Errorf("parameter: %+v", p)
	}
}

// TestInitialNoAuthActionCount checks moto's environment variable: the
// first N calls go unchecked (Start's administrator takes 3 of them).
func TestInitialNoAuthActionCount(t *testing.T) {
	t.Parallel()
	Require(t)
	s, err := StartServer(Options{Dir: t.TempDir(), Env: []string{"INITIAL_NO_AUTH_ACTION_COUNT=5"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ctx := context.Background()
	bogus := Key{ID: "AKIANOBODY0000000000", Secret: "anything"}
	for i := 4; i <= 5; i++ {
		if _, err := whoami(ctx, s, bogus); err != nil {
			t.Fatalf("call %d with an unknown key: %v; want it unchecked", i, err)
		}
	}
	_, err = whoami(ctx, s, bogus)
	wantCode(t, "call 6 with an unknown key", err, "InvalidClientTokenId", 403)
}

func TestRecording(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := Start(t)
	s.CreateUser(t, "carol")
	k := s.CreateAccessKey(t, "carol")
	s.StartRecording(t)
	if _, err := whoami(ctx, s, k); err != nil {
		t.Fatal(err)
	}
	s.CreateSecret(t, "x", "y", "") // by the admin: left out
	_, _ = secretsmanager.NewFromConfig(s.Config(k)).PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("x"), SecretString: aws.String("z")})
	s.StopRecording(t)
	_, _ = whoami(ctx, s, k) // not recorded
	got := s.Requests(t, false)
	want := []Request{{Service: "sts", Action: "GetCallerIdentity", KeyID: k.ID}, {Service: "secretsmanager", Action: "PutSecretValue", KeyID: k.ID}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("requests %+v, want %+v", got, want)
	}
	if all := s.Requests(t, true); len(all) != 3 || all[1].Action != "CreateSecret" {
		t.Errorf("with the admin's: %+v", all)
	}
}
