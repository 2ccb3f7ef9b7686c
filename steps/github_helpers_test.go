package steps_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

// The GitHub steps are tested with the real client (internal/githubapi,
// go-github v60) against the real simulator, in an external test package
// because githubapi imports steps.

const (
	ghAdmin  = "ghp_steps_admin_token_000000000000000"
	ghRead   = "ghp_steps_read_only_token_1111111111"
	ghLeaked = "sk-proj-steps-leaked-value-22222222222"
)

var ghT0 = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

// ghWorld is a simulator with organization acme (repositories api —
// private, environment production, workflow deploy.yml with inputs
// environment and reason, tag v2 — web and docs),
// user repository bob/tools, an admin and a read-only token, and alert
// acme/api#1.
func ghWorld(t testing.TB, opts githubsim.Options) (*githubsim.Server, *httptest.Server) {
	t.Helper()
	s := githubsim.New(opts)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddOrg("acme", 9001))
	must(s.AddRepo("acme", "api", 1001, true))
	must(s.AddRepo("acme", "web", 1002, false))
	must(s.AddRepo("acme", "docs", 1003, false))
	must(s.AddRepo("bob", "tools", 2001, false))
	must(s.AddEnvironment("acme", "api", "production"))
	must(s.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "deploy.yml", ID: 7001, Dispatch: true,
		Inputs: []githubsim.WorkflowInput{{Name: "environment"}, {Name: "reason"}}}))
	must(s.AddTag("acme", "api", "v2"))
	s.AddToken(ghAdmin, "alice", githubsim.AllPermissions)
	s.AddToken(ghRead, "bob", githubsim.Permissions{})
	s.AddAlert("acme", "api", "openai_api_key", ghLeaked, ghT0, []githubsim.Location{
		{Path: ".env", StartLine: 3, EndLine: 3, StartColumn: 16, EndColumn: 52, BlobSHA: "b10b", CommitSHA: "c0ffee"},
	})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// ghProviders returns Providers whose GitHub is a real client of srv.
func ghProviders(t testing.TB, srv *httptest.Server, tok string, lim githubapi.Limits) (*steps.Providers, *githubapi.Client) {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{BaseURL: srv.URL, Token: secret.New(tok), HTTPClient: srv.Client(), Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	return steps.ProvidersWith(nil, map[string]any{githubapi.SharedKey: c}), c
}

func ghCall(params map[string]any) *step.Call {
	return &step.Call{Incident: "inc_gh", StepID: "s1", Params: params, Secrets: secret.NewRegistry()}
}

// ghNoSecrets fails if any text holds a token or a secret value.
func ghNoSecrets(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, bad := range []string{ghAdmin, ghRead, ghLeaked, "sk-new-value"} {
			if strings.Contains(s, bad) {
				t.Errorf("%q discloses a secret (%s…)", s, bad[:10])
			}
		}
	}
}
