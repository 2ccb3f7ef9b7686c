package runner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/audit/runner"
	"github.com/respondhq/respond/internal/awsapi/awstest"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/plugin"
	_ "github.com/respondhq/respond/internal/plugins"
)

// plant is a finding the set-up planted: its check, and a text its
// subject holds.
type plant struct{ check, match string }

// TestAWSPlants runs the whole audit against moto (AWS, not respond's
// code) set up with one planted instance of every AWS check moto can hold
// among clean keys: a key older than its credential's rotate_every, an
// unused key, a user with two active keys, a user AWS quarantined, key
// users with * on *, a key in use that no credential names, a credential
// whose key is gone. The audit finds each, and nothing else. (moto's
// credential report has no root row: the root-key check is
// TestRootKeyFromAWSsReport's.)
func TestAWSPlants(t *testing.T) {
	awstest.Require(t)
	m, err := awstest.StartServer(awstest.Options{Dir: t.TempDir(), Clock: true, Env: []string{"MOTO_IAM_LOAD_MANAGED_POLICIES=true"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	use := func(k awstest.Key) {
		if _, err := sts.NewFromConfig(m.Config(k)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("using %s: %v", k.User, err)
		}
	}
	day := 24 * time.Hour
	at := func(ago time.Duration) { m.SetClock(t, -ago) }

	// Clean: the API's key, young and used an hour ago.
	at(20 * day)
	m.CreateUser(t, "api", "s3:GetObject")
	api := m.CreateAccessKey(t, "api")
	// Planted: a key of 200 days (its credential says 180d), used
	// yesterday.
	at(200 * day)
	m.CreateUser(t, "batch", "sqs:SendMessage")
	batch := m.CreateAccessKey(t, "batch")
	at(day)
	use(batch)
	// Planted: a key of 60 days last used 45 days ago.
	at(60 * day)
	m.CreateUser(t, "dormant", "s3:GetObject")
	dormant := m.CreateAccessKey(t, "dormant")
	at(45 * day)
	use(dormant)
	// Planted: two active keys (the second never used).
	at(10 * day)
	m.CreateUser(t, "ci", "ecr:GetAuthorizationToken")
	ci := m.CreateAccessKey(t, "ci")
	m.CreateAccessKey(t, "ci")
	// Planted: a user AWS quarantined; a user with * on *; a key nobody
	// listed.
	at(5 * day)
	m.CreateUser(t, "leaky", "s3:GetObject")
	leaky := m.CreateAccessKey(t, "leaky")
	m.AttachUserPolicy(t, "leaky", "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2")
	m.CreateUser(t, "ops", "*")
	ops := m.CreateAccessKey(t, "ops")
	m.CreateUser(t, "shadow", "s3:PutObject")
	shadow := m.CreateAccessKey(t, "shadow")
	at(time.Hour)
	for _, k := range []awstest.Key{api, ci, leaky, ops, shadow} {
		use(k)
	}
	at(0)

	dir := t.TempDir()
	var inv strings.Builder
	inv.WriteString("credentials:\n")
	cred := func(name, keyID, every string) {
		fmt.Fprintf(&inv, "  - name: %s\n    provider: aws\n    key_id: %s\n", name, keyID)
		if every != "" {
			fmt.Fprintf(&inv, "    rotate_every: %s\n", every)
		}
		p := filepath.Join(dir, name+".env")
		if err := os.WriteFile(p, []byte("AWS_SECRET_ACCESS_KEY=x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&inv, "    targets:\n      - dotenv: {path: %s, var: AWS_SECRET_ACCESS_KEY}\n", p)
	}
	cred("aws-api", api.ID, "90d")
	cred("aws-batch", batch.ID, "180d")
	cred("aws-dormant", dormant.ID, "")
	cred("aws-ci", ci.ID, "")
	cred("aws-leaky", leaky.ID, "")
	cred("aws-ops", ops.ID, "")
	cred("respond-admin", m.Admin.ID, "90d")
	cred("aws-gone", "AKIAZZZZZZZZZZZZZZZZ", "")
	file := filepath.Join(dir, "respond.yaml")
	parsed, diags := inventory.Parse(file, []byte(inv.String()))
	if diags.HasErrors() {
		t.Fatalf("inventory: %v\n%s", diags.Err(), inv.String())
	}

	m.SetEnv(t, m.Admin)
	env := plugin.New(func(k string) string {
		if strings.HasPrefix(k, "AWS_") {
			return os.Getenv(k)
		}
		return ""
	}, nil, nil)
	res, err := runner.Run(context.Background(), runner.Options{Inventory: parsed, Env: env, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	checkPlants(t, res.Findings, []plant{
		{"key.older-than-rotation", batch.ID},
		{"key.unused", dormant.ID},
		{"aws.two-active-keys", "IAM user ci"},
		{"aws.quarantined-user", "IAM user leaky"},
		{"aws.full-admin-user", "IAM user ops"},
		{"aws.full-admin-user", "IAM user " + awstest.AdminUser},
		{"inventory.unknown-consumer", shadow.ID},
		{"inventory.missing-key", "aws-gone"},
	})
	for _, s := range res.Skipped {
		if strings.HasPrefix(s, "AWS") {
			t.Errorf("AWS was not fully checked: %s", s)
		}
	}
}

func checkPlants(t *testing.T, fs []audit.Finding, plants []plant) {
	t.Helper()
	found := make([]bool, len(plants))
	for _, f := range fs {
		ok := false
		for i, p := range plants {
			if f.Check == p.check && (strings.Contains(f.Subject, p.match) || strings.Contains(f.Title, p.match)) {
				found[i], ok = true, true
			}
		}
		if !ok {
			t.Errorf("false positive: %s: %s", f.ID, f.Title)
		}
	}
	for i, p := range plants {
		if !found[i] {
			t.Errorf("missed plant %s (%s)", p.check, p.match)
		}
	}
}
