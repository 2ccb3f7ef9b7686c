package aws_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/awsapi/awstest"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/provider/conformance"
	awsprovider "github.com/respondhq/respond/internal/providers/aws"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/simapi"
	"github.com/respondhq/respond/steps"
)

// TestConformance runs the provider conformance suite against moto, a real
// implementation of IAM and STS: the world's truth of a key is IAM's (moto
// accepts an inactive key, AWS does not; see awstest).
func TestConformance(t *testing.T) {
	srv := awstest.Start(t)
	spec, ok := provider.Lookup(awsprovider.Name)
	if !ok {
		t.Fatal("the AWS provider is not registered")
	}
	// The AWS SDK reads the process's environment (its configuration
	// chain), as respond's AWS client does.
	srv.SetEnv(t, srv.Admin)
	// GitHub (the simulator's) shows the secret-scanning alerts.
	gh := githubsim.New(githubsim.Options{})
	if err := gh.AddOrg("acme", 9001); err != nil {
		t.Fatal(err)
	}
	if err := gh.AddRepo("acme", "api", 1001, true); err != nil {
		t.Fatal(err)
	}
	const token = "ghp_aws_conformance_token_000000000000000"
	gh.AddToken(token, "alice", githubsim.AllPermissions)
	ghSrv := httptest.NewServer(gh)
	t.Cleanup(ghSrv.Close)
	t.Setenv("GITHUB_API_URL", ghSrv.URL)
	t.Setenv("GITHUB_TOKEN", token)
	conformance.Run(t, conformance.Harness{
		Spec:      spec,
		Providers: steps.NewProviders(plugin.New(os.Getenv, nil, nil)),
		Issuer:    &motoIssuer{t: t, srv: srv},
		// GitHub's alert on an access key ID shows the ID; on a secret
		// access key, the secret.
		Alert: func(t testing.TB, value, secretType string) string {
			id, sk, _ := strings.Cut(value, " ")
			shown := id
			if secretType == "aws_secret_access_key" {
				shown = sk
			}
			n := gh.AddAlert("acme", "api", secretType, shown, time.Now().Add(-time.Hour), nil)
			return fmt.Sprintf("acme/api#%d", n)
		},
	})
}

// motoIssuer issues keys as IAM users' access keys at moto.
type motoIssuer struct {
	t   *testing.T
	srv *awstest.Server
	n   atomic.Int64
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9+=,.@_-]`)

// IssueKey makes a user of its own for each key (IAM allows two keys a
// user: the key and its replacement).
func (m *motoIssuer) IssueKey(req simapi.IssueRequest) (simapi.IssuedKey, error) {
	user := fmt.Sprintf("conformance-%s-%d", unsafeName.ReplaceAllString(req.Name, "-"), m.n.Add(1))
	m.srv.CreateUser(m.t, user)
	k := m.srv.CreateAccessKey(m.t, user)
	return simapi.IssuedKey{ID: k.ID, Scope: awstest.Account, Name: user, Value: k.ID + " " + k.Secret,
		SecretType: "aws_access_key_id"}, nil
}

// KeyStatus takes a key's pasted form ("AKIA… SECRET").
func (m *motoIssuer) KeyStatus(value string, _ time.Time) (string, bool, bool) {
	id, sk, ok := strings.Cut(value, " ")
	if !ok {
		m.t.Errorf("an AWS key's value is its ID and secret, not one part")
		return "", false, false
	}
	_, live, known, err := m.srv.KeyWorks(id, sk)
	if err != nil {
		m.t.Fatalf("%v", err)
	}
	return id, live, known
}
