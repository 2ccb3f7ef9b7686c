package openaisim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/respondhq/respond/internal/sim/spec"
)

// sdk returns an openai-go client for srv whose every request and response
// is validated against the spec, and the checking transport.
func sdk(t *testing.T, srv *Server, opts ...option.RequestOption) (openai.Client, *spec.CheckingTransport) {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	sp, err := spec.OpenAI()
	mustNil(t, err)
	ct := spec.NewCheckingTransport(sp, nil)
	t.Cleanup(func() {
		for _, err := range ct.Errors() {
			t.Errorf("conformance: %v", err)
		}
		if ct.Checked() == 0 {
			t.Error("no response was validated against the spec")
		}
	})
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_ADMIN_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	base := []option.RequestOption{
		option.WithBaseURL(ts.URL + "/v1/"),
		option.WithHTTPClient(&http.Client{Transport: ct}),
		option.WithMaxRetries(0),
	}
	return openai.NewClient(append(base, opts...)...), ct
}

func TestSDKConformance(t *testing.T) {
	w := newWorld(t, 7)
	addUsage(t, w)
	// More keys, so that key pagination spans pages.
	for i := range 4 {
		_, err := w.srv.AddUserKey("proj_main", "extra", "user_bob", t0.Add(time.Duration(10+i)*time.Hour), nil)
		mustNil(t, err)
	}
	client, ct := sdk(t, w.srv, option.WithAdminAPIKey(w.admin.Value.Reveal()))
	org := client.Admin.Organization
	ctx := context.Background()

	// Projects, two per page.
	var projects []string
	pp := org.Projects.ListAutoPaging(ctx, openai.AdminOrganizationProjectListParams{Limit: openai.Int(2)})
	for pp.Next() {
		projects = append(projects, pp.Current().ID)
	}
	mustNil(t, pp.Err())
	if !slices.Equal(projects, w.projects) {
		t.Errorf("projects %v, want %v", projects, w.projects)
	}
	p, err := org.Projects.Get(ctx, "proj_main")
	mustNil(t, err)
	if p.Name != "Main" || p.CreatedAt != t0.Unix() {
		t.Errorf("project: %+v", p)
	}

	// Project keys across pages, in creation order.
	var keys []openai.ProjectAPIKey
	kp := org.Projects.APIKeys.ListAutoPaging(ctx, "proj_main", openai.AdminOrganizationProjectAPIKeyListParams{Limit: openai.Int(2)})
	for kp.Next() {
		keys = append(keys, kp.Current())
	}
	mustNil(t, kp.Err())
	if len(keys) != 7 || keys[0].ID != w.alice.ID || keys[0].RedactedValue != w.alice.Redacted || keys[2].Owner.Type != "service_account" {
		t.Errorf("project keys: %d, first %+v", len(keys), keys[0])
	}
	if keys[1].LastUsedAt == 0 { // bob's key was used by the seeded usage
		t.Errorf("bob's last_used_at: %d", keys[1].LastUsedAt)
	}

	// Service accounts and their keys.
	sa, err := org.Projects.ServiceAccounts.New(ctx, "proj_main", openai.AdminOrganizationProjectServiceAccountNewParams{Name: "rotation"})
	mustNil(t, err)
	if sa.APIKey.Value == "" || !strings.HasPrefix(sa.APIKey.Value, "sk-svcacct-") || sa.Role != "member" {
		t.Fatalf("service account: %+v", sa)
	}
	saKey, err := org.Projects.ServiceAccounts.APIKeys.New(ctx, "proj_main", sa.ID, openai.AdminOrganizationProjectServiceAccountAPIKeyNewParams{Name: openai.String("replacement")})
	mustNil(t, err)
	if !strings.HasPrefix(saKey.Value, "sk-svcacct-") || saKey.Name != "replacement" {
		t.Errorf("service account key: %+v", saKey)
	}
	upd, err := org.Projects.ServiceAccounts.Update(ctx, "proj_main", sa.ID, openai.AdminOrganizationProjectServiceAccountUpdateParams{Name: openai.String("rotation-2")})
	mustNil(t, err)
	if upd.Name != "rotation-2" {
		t.Errorf("update: %+v", upd)
	}
	var accounts []string
	sp := org.Projects.ServiceAccounts.ListAutoPaging(ctx, "proj_main", openai.AdminOrganizationProjectServiceAccountListParams{Limit: openai.Int(1)})
	for sp.Next() {
		accounts = append(accounts, sp.Current().ID)
	}
	mustNil(t, sp.Err())
	if !slices.Equal(accounts, []string{w.sa.ID, sa.ID}) {
		t.Errorf("service accounts: %v", accounts)
	}

	// Verifying keys with /v1/models: the new key works.
	models, err := client.Models.List(ctx, option.WithAPIKey(saKey.Value))
	mustNil(t, err)
	if len(models.Data) == 0 {
		t.Error("no models")
	}

	// Deleting the service account's key through the project keys: 400.
	_, err = org.Projects.APIKeys.Delete(ctx, "proj_main", saKey.ID)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Errorf("deleting a service account key: %v", err)
	}
	del, err := org.Projects.ServiceAccounts.Delete(ctx, "proj_main", sa.ID)
	mustNil(t, err)
	if !del.Deleted || del.ID != sa.ID {
		t.Errorf("delete service account: %+v", del)
	}
	_, err = client.Models.List(ctx, option.WithAPIKey(saKey.Value))
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "invalid_api_key" {
		t.Errorf("key of the deleted service account: %v", err)
	}
	if strings.Contains(err.Error(), saKey.Value) {
		t.Error("the error shows the key")
	}

	// Revoking a user key.
	kd, err := org.Projects.APIKeys.Delete(ctx, "proj_main", w.bob.ID)
	mustNil(t, err)
	if !kd.Deleted {
		t.Errorf("delete key: %+v", kd)
	}
	_, err = org.Projects.APIKeys.Get(ctx, "proj_main", w.bob.ID)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("get deleted key: %v", err)
	}
	mustNil(t, w.srv.SetRestricted(w.alice.ID))
	_, err = client.Models.List(ctx, option.WithAPIKey(w.alice.Value.Reveal()))
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "" || !strings.Contains(apiErr.Message, "api.model.read") {
		t.Errorf("restricted key: %v", err)
	}

	// Admin keys.
	ak, err := org.AdminAPIKeys.New(ctx, openai.AdminOrganizationAdminAPIKeyNewParams{Name: "temp"})
	mustNil(t, err)
	if !strings.HasPrefix(ak.Value, "sk-admin-") {
		t.Errorf("admin key: %+v", ak)
	}
	got, err := org.AdminAPIKeys.Get(ctx, ak.ID)
	mustNil(t, err)
	if got.RedactedValue != RedactedValue(ak.Value) {
		t.Errorf("admin key get: %+v", got)
	}
	var admins []string
	ap := org.AdminAPIKeys.ListAutoPaging(ctx, openai.AdminOrganizationAdminAPIKeyListParams{Limit: openai.Int(1), Order: openai.AdminOrganizationAdminAPIKeyListParamsOrderDesc})
	for ap.Next() {
		admins = append(admins, ap.Current().ID)
	}
	mustNil(t, ap.Err())
	if !slices.Equal(admins, []string{ak.ID, w.admin.ID}) {
		t.Errorf("admin keys desc: %v", admins)
	}
	ad, err := org.AdminAPIKeys.Delete(ctx, ak.ID)
	mustNil(t, err)
	if !ad.Deleted {
		t.Errorf("admin delete: %+v", ad)
	}

	// Usage by key, as the report asks for it (bracketed arrays).
	day := t0.Add(10 * 24 * time.Hour).Unix()
	usage, err := org.Usage.Completions(ctx, openai.AdminOrganizationUsageCompletionsParams{
		StartTime: day, EndTime: openai.Int(day + 2*86400), BucketWidth: "1h", Limit: openai.Int(24),
		APIKeyIDs: []string{w.bob.ID}, GroupBy: []string{"api_key_id", "model"},
	})
	mustNil(t, err)
	var requests int64
	for _, b := range usage.Data {
		for _, r := range b.Results {
			if r.APIKeyID != w.bob.ID || r.Model != "gpt-4o-mini" {
				t.Errorf("result of another key or model: %+v", r)
			}
			requests += r.NumModelRequests
		}
	}
	if len(usage.Data) != 24 || !usage.HasMore || requests != 10 {
		t.Errorf("usage page 1: %d buckets, has_more %v, %d requests", len(usage.Data), usage.HasMore, requests)
	}
	usage, err = org.Usage.Completions(ctx, openai.AdminOrganizationUsageCompletionsParams{
		StartTime: day, EndTime: openai.Int(day + 2*86400), BucketWidth: "1h", Limit: openai.Int(24),
		APIKeyIDs: []string{w.bob.ID}, GroupBy: []string{"api_key_id"}, Page: openai.String(usage.NextPage),
	})
	mustNil(t, err)
	if len(usage.Data) != 24 || usage.HasMore || usage.Data[2].Results[0].NumModelRequests != 7 {
		t.Errorf("usage page 2: %+v", usage.Data[2])
	}
	costs, err := org.Usage.Costs(ctx, openai.AdminOrganizationUsageCostsParams{StartTime: day, EndTime: openai.Int(day + 86400), GroupBy: []string{"project_id"}})
	mustNil(t, err)
	if len(costs.Data) != 1 || len(costs.Data[0].Results) != 2 {
		t.Errorf("costs: %+v", costs.Data)
	}

	// Audit logs: the deletions above were recorded.
	logs, err := org.AuditLogs.List(ctx, openai.AdminOrganizationAuditLogListParams{
		EventTypes:  []string{"api_key.deleted", "service_account.deleted"},
		EffectiveAt: openai.AdminOrganizationAuditLogListParamsEffectiveAt{Gte: openai.Int(now.Unix())},
	})
	mustNil(t, err)
	var types []string
	for _, l := range logs.Data {
		types = append(types, string(l.Type))
	}
	slices.Sort(types)
	if want := []string{"api_key.deleted", "api_key.deleted", "api_key.deleted", "service_account.deleted"}; !slices.Equal(types, want) {
		t.Errorf("audit events %v, want %v", types, want)
	}
	if ct.Checked() < 20 {
		t.Errorf("only %d responses validated", ct.Checked())
	}
}
