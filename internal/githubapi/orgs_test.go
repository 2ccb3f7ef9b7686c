package githubapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/sim/githubsim"
	"github.com/respondhq/respond/internal/sim/spec"
	"github.com/respondhq/respond/internal/step"
)

func TestOrgRole(t *testing.T) {
	ctx := context.Background()
	admin := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	if role, err := admin.c.OrgRole(ctx, "acme"); err != nil || role != "admin" {
		t.Fatalf("owner: %q %v", role, err)
	}
	if n := admin.rec.exactly("GET /user/memberships/orgs/acme"); n != 1 {
		t.Errorf("sent %d membership requests, want 1", n)
	}
	read := newEnv(t, githubsim.Options{}, readToken, Limits{})
	if role, err := read.c.OrgRole(ctx, "acme"); err != nil || role != "member" {
		t.Fatalf("member: %q %v", role, err)
	}

	_, err := admin.c.OrgRole(ctx, "nope")
	var ge *Error
	if !is404(err) || !step.IsPermanent(err) || !errors.As(err, &ge) ||
		!strings.Contains(err.Error(), "membership of organization nope") {
		t.Errorf("unknown organization: %v", err)
	}
	noSecrets(t, err)

	if _, err := admin.c.OrgRole(ctx, " "); err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "organization name is empty") {
		t.Errorf("empty organization: %v", err)
	}
	// The one conformance exception: the spec subset lacks the operation.
	if _, err := admin.c.User(ctx); err != nil {
		t.Fatal(err)
	}
	admin.conformant(t, "/user/memberships/orgs/")
	for _, err := range admin.ct.Errors() {
		if !errors.Is(err, spec.ErrUnknownOperation) {
			t.Errorf("conformance: %v", err)
		}
	}
}

// A pending invitation grants nothing; a token that may not read its
// membership gets a hint naming the permission; an answer without a role
// is not taken for one.
func TestOrgRoleAnswers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, githubsim.Options{}, adminToken, Limits{})
	body := func(status int, s string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(s))
		}
	}
	e.faults.add("GET", "/user/memberships/orgs/acme", 1, body(http.StatusOK, `{"state":"pending","role":"admin"}`))
	_, err := e.c.OrgRole(ctx, "acme")
	if !is404(err) || !step.IsPermanent(err) || !strings.Contains(err.Error(), "pending") || !strings.Contains(err.Error(), "accept the invitation") {
		t.Errorf("pending: %v", err)
	}
	e.faults.add("GET", "/user/memberships/orgs/acme", 1, body(http.StatusForbidden,
		`{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest/orgs/members","status":"403"}`))
	_, err = e.c.OrgRole(ctx, "acme")
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != http.StatusForbidden || is404(err) ||
		!strings.Contains(err.Error(), "read:org") || !strings.Contains(err.Error(), "Members: read") {
		t.Errorf("forbidden: %v", err)
	}
	e.faults.add("GET", "/user/memberships/orgs/acme", 1, body(http.StatusOK, `{"state":"active"}`))
	if role, err := e.c.OrgRole(ctx, "acme"); err == nil || role != "" || !strings.Contains(err.Error(), "without a role") {
		t.Errorf("no role: %q %v", role, err)
	}
	// After the faults, the simulator's answer again.
	if role, err := e.c.OrgRole(ctx, "acme"); err != nil || role != "admin" {
		t.Errorf("after the faults: %q %v", role, err)
	}
}
