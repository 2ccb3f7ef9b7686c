package githubworkflow_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"
	"github.com/respondhq/respond/internal/targets/githubworkflow"
)

const (
	adminToken = "ghp_workflow_admin_token_0000000000000"
	readToken  = "ghp_workflow_read_only_token_11111111"
)

// TestConformance runs the target conformance suite for github-workflow,
// a deployment to re-run that holds nothing (the suite's subset for
// Holds false), against the simulator's GitHub: its world is the
// dispatches and runs (a check must start none) and the secrets. A place
// is a branch of acme/api on which deploy.yml may be dispatched.
func TestConformance(t *testing.T) {
	s := githubsim.New(githubsim.Options{})
	for _, err := range []error{
		s.AddOrg("acme", 9001),
		s.AddRepo("acme", "api", 1001, true),
		s.AddWorkflowWith("acme", "api", githubsim.Workflow{File: "deploy.yml", ID: 7001, Dispatch: true,
			Inputs: []githubsim.WorkflowInput{{Name: "reason"}}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	s.AddToken(adminToken, "alice", githubsim.AllPermissions)
	s.AddToken(readToken, "bob", githubsim.Permissions{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	spec, _ := target.Lookup(githubworkflow.Type)
	place := func(ref, workflow string) target.Target {
		return target.New(githubworkflow.Type, map[string]any{"repo": "acme/api", "workflow": workflow, "ref": ref,
			"inputs": map[string]string{"reason": "conformance"}})
	}
	conformance.Run(t, conformance.Harness{
		Spec:   spec,
		Writer: spec.New(clientEnv(t, srv, adminToken)),
		Place: func(t testing.TB, name string) target.Target {
			if err := s.AddBranch("acme", "api", name); err != nil {
				t.Fatal(err)
			}
			return place(name, "deploy.yml")
		},
		World: func(testing.TB) map[string]string {
			st := s.Snapshot()
			w := map[string]string{}
			for i, d := range st.Dispatches {
				w[fmt.Sprintf("dispatch %d", i)] = d.Workflow + "@" + d.Ref
			}
			for _, r := range st.Runs {
				w[fmt.Sprintf("run %d", r.ID)] = r.Status
			}
			for _, sec := range st.Secrets {
				w[sec.Level+" "+sec.Owner+"/"+sec.Repo+" "+sec.Name] = sec.Value
			}
			return w
		},
		Denied: func(t testing.TB, name string) target.Target {
			if err := s.AddBranch("acme", "api", name); err != nil {
				t.Fatal(err)
			}
			return place(name, "missing.yml")
		},
		DeniedWriter: spec.New(clientEnv(t, srv, readToken)),
		Secrets:      []string{adminToken, readToken},
	})
}

// clientEnv is a plug-in environment whose GitHub client is respond's own
// (go-github) talking to srv with tok.
func clientEnv(t *testing.T, srv *httptest.Server, tok string) *plugin.Env {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{BaseURL: srv.URL, Token: secret.New(tok), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	env := plugin.New(nil, nil, nil)
	env.Provide(githubapi.SharedKey, c)
	return env
}
