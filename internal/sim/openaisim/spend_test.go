package openaisim

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestSpendControls checks the spend limit and spend alert reads: raw
// responses conform to the spec, a project without a limit answers 404,
// and alerts page and order as documented.
func TestSpendControls(t *testing.T) {
	w := newWorld(t, 11)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()

	st, body := c.do("GET", "/v1/organization/projects/proj_main/spend_limit", admin, nil)
	if st != http.StatusNotFound {
		t.Fatalf("no limit set: status %d, body %v", st, body)
	}
	if msg := errorOf(t, body)["message"]; msg != "No spend limit is set for project 'proj_main'." {
		t.Errorf("message %q", msg)
	}
	mustNil(t, w.srv.SetSpendLimit("proj_main", 50000))
	st, body = c.do("GET", "/v1/organization/projects/proj_main/spend_limit", admin, nil)
	if st != http.StatusOK || body["threshold_amount"] != float64(50000) || body["object"] != "project.spend_limit" {
		t.Fatalf("limit: %d %v", st, body)
	}
	mustNil(t, w.srv.SetSpendLimit("proj_main", 0))
	if st, _ = c.do("GET", "/v1/organization/projects/proj_main/spend_limit", admin, nil); st != http.StatusNotFound {
		t.Errorf("removed limit: status %d", st)
	}
	if err := w.srv.SetSpendLimit("proj_nope", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown project: %v", err)
	}

	st, body = c.do("GET", "/v1/organization/projects/proj_main/spend_alerts", admin, nil)
	if st != http.StatusOK || len(ids(t, body)) != 0 || body["first_id"] != nil {
		t.Fatalf("no alerts: %d %v", st, body)
	}
	var want []string
	for i := range 3 {
		id, err := w.srv.AddSpendAlert("proj_main", int64(10000*(i+1)), "finance@example.com")
		mustNil(t, err)
		want = append(want, id)
	}
	st, body = c.do("GET", "/v1/organization/projects/proj_main/spend_alerts?limit=2", admin, nil)
	got := ids(t, body)
	if st != http.StatusOK || len(got) != 2 || got[0] != want[0] || body["has_more"] != true {
		t.Fatalf("page 1: %d %v", st, body)
	}
	st, body = c.do("GET", "/v1/organization/projects/proj_main/spend_alerts?limit=2&after="+got[1], admin, nil)
	if got2 := ids(t, body); st != http.StatusOK || len(got2) != 1 || got2[0] != want[2] || body["has_more"] != false {
		t.Fatalf("page 2: %d %v", st, body)
	}
	if st, _ = c.do("GET", "/v1/organization/projects/proj_main/spend_alerts?order=sideways", admin, nil); st != http.StatusBadRequest {
		t.Errorf("bad order: status %d", st)
	}
	if st, _ = c.do("GET", "/v1/organization/projects/proj_nope/spend_alerts", admin, nil); st != http.StatusNotFound {
		t.Errorf("unknown project: status %d", st)
	}
	// A project key may not read them.
	if st, _ = c.do("GET", "/v1/organization/projects/proj_main/spend_alerts", w.alice.Value.Reveal(), nil); st != http.StatusForbidden && st != http.StatusUnauthorized {
		t.Errorf("project key: status %d", st)
	}

	// The official SDK decodes both, through the conformance-checking
	// transport.
	client, _ := sdk(t, w.srv, option.WithAdminAPIKey(admin))
	mustNil(t, w.srv.SetSpendLimit("proj_other", 1234))
	lim, err := client.Admin.Organization.Projects.SpendLimit.Get(context.Background(), "proj_other")
	if err != nil || lim.ThresholdAmount != 1234 {
		t.Fatalf("SDK spend limit: %v %v", lim, err)
	}
	page, err := client.Admin.Organization.Projects.SpendAlerts.List(context.Background(), "proj_main", openai.AdminOrganizationProjectSpendAlertListParams{Order: "desc"})
	if err != nil || len(page.Data) != 3 || page.Data[0].ID != want[2] || page.Data[0].NotificationChannel.Recipients[0] != "finance@example.com" {
		t.Fatalf("SDK spend alerts: %v %v", page, err)
	}
}
