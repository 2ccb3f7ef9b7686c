package aws

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
)

// reportAWS answers with a credential report in AWS's documented format:
// moto's reports have no <root_account> row, so the root-key check is
// tested on AWS's format here (TestAWSPlants in internal/audit/runner runs
// every other AWS check against moto).
type reportAWS struct{ report []byte }

func (f reportAWS) CallerIdentity(context.Context) (awsapi.Identity, error) {
	return awsapi.Identity{Account: "123456789012"}, nil
}
func (f reportAWS) CredentialReport(context.Context) ([]awsapi.ReportUser, int, error) {
	u, err := awsapi.ParseCredentialReport(f.report)
	return u, 2, err
}
func (f reportAWS) UserKeys(context.Context, string) ([]awsapi.AccessKey, error) { return nil, nil }
func (f reportAWS) UsersWithPolicy(context.Context, string) ([]string, int, error) {
	return nil, 1, nil
}
func (f reportAWS) UsersPolicies(context.Context) (awsapi.UserPolicies, int, error) {
	return awsapi.UserPolicies{}, 1, nil
}

func TestRootKeyFromAWSsReport(t *testing.T) {
	b, err := os.ReadFile("testdata/credential-report.csv")
	if err != nil {
		t.Fatal(err)
	}
	env := plugin.New(nil, nil, nil)
	env.Provide(awsapi.SharedKey, reportAWS{report: b})
	var got []audit.Finding
	res, err := adapter{env: env}.Audit(context.Background(), provider.AuditRequest{Now: time.Now(), Report: func(f audit.Finding) { got = append(got, f) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Check != checkRootKey || got[0].Severity != audit.Critical {
		t.Fatalf("findings %+v, want one %s", got, checkRootKey)
	}
	if got[0].Subject != "the root of 123456789012" {
		t.Errorf("subject %q", got[0].Subject)
	}
	if res.Requests != 2+2+1 {
		t.Errorf("%d requests counted, want 5", res.Requests)
	}
	// The report's keys are the core's: deploy-bot's one, with its use.
	keys, _, err := adapter{env: env}.AuditKeys(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Owner.ID != "deploy-bot" || keys[0].LastUsed == nil || keys[0].Status != "Active" {
		t.Fatalf("keys %+v, want deploy-bot's active key with its last use", keys)
	}
}

func TestFullAdminPolicies(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`:                                                           true,
		`{"Statement":[{"Effect":"Allow","Action":["s3:*","*"],"Resource":["*"]}]}`:                                              true,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`: false,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`:                                                      false,
		`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`:                                                          false,
	} {
		var d awsapi.PolicyDocument
		if err := d.UnmarshalJSON([]byte(doc)); err != nil {
			t.Fatal(err)
		}
		if d.FullAdmin() != want {
			t.Errorf("%s: FullAdmin %v, want %v", doc, d.FullAdmin(), want)
		}
	}
}
