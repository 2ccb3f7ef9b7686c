package openaisim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKeyFormats(t *testing.T) {
	r := seededRand(1)
	for kind, want := range map[KeyKind]struct {
		prefix string
		length int
		half   int
	}{KindUser: {"sk-proj-", 164, 74}, KindServiceAccount: {"sk-svcacct-", 167, 74}, KindAdmin: {"sk-admin-", 133, 58}} {
		v, err := newKeyValue(r, kind)
		mustNil(t, err)
		re := regexp.MustCompile(fmt.Sprintf(`^%s[A-Za-z0-9_-]{%d}T3BlbkFJ[A-Za-z0-9_-]{%d}$`, regexp.QuoteMeta(want.prefix), want.half, want.half))
		if len(v) != want.length || !re.MatchString(v) {
			t.Errorf("%s key %q: length %d, want %d matching %s", kind, v, len(v), want.length, re)
		}
		red := RedactedValue(v)
		if len(red) != len(v) || red[:8] != v[:8] || red[len(red)-4:] != v[len(v)-4:] || strings.Trim(red[8:len(red)-4], "*") != "" {
			t.Errorf("RedactedValue(%s key) = %q", kind, red)
		}
	}
	if got := maskForMessage("sk-proj-abcdefghijklmnopqrstuvwxyzab12"); got != "sk-proj-****…ab12" {
		t.Errorf("maskForMessage = %q", got)
	}
	if got := maskForMessage("short-token"); strings.Contains(got, "token") {
		t.Errorf("maskForMessage of a short value shows too much: %q", got)
	}
}

func TestModelsAuthentication(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)

	st, m := c.do("GET", "/v1/models", w.bob.Value.Reveal(), nil)
	if st != 200 || m["object"] != "list" || len(ids(t, m)) == 0 {
		t.Fatalf("live key: %d %v", st, m)
	}
	if k, _ := w.srv.KeyByID(w.bob.ID); !k.Live {
		t.Error("bob's key not live")
	}
	if s := w.srv.Snapshot(); keyState(s, w.bob.ID).LastUsedAt != rfc3339(now) {
		t.Errorf("last_used_at after use = %q, want %q", keyState(s, w.bob.ID).LastUsedAt, rfc3339(now))
	}

	unknown := "sk-proj-" + strings.Repeat("x", 150) + "Zz99"
	st, m = c.do("GET", "/v1/models", unknown, nil)
	e := errorOf(t, m)
	if st != 401 || e["code"] != "invalid_api_key" || e["type"] != "invalid_request_error" || e["param"] != nil {
		t.Errorf("unknown key: %d %v", st, e)
	}
	msg, _ := e["message"].(string)
	if !strings.HasPrefix(msg, "Incorrect API key provided: sk-proj-****…Zz99.") || strings.Contains(msg, unknown) {
		t.Errorf("unknown key message %q", msg)
	}

	st, m = c.do("GET", "/v1/models", w.admin.Value.Reveal(), nil)
	if e := errorOf(t, m); st != 401 || e["code"] != nil || !strings.Contains(e["message"].(string), "insufficient permissions") {
		t.Errorf("admin key on /v1/models: %d %v", st, e)
	}

	mustNil(t, w.srv.SetRestricted(w.alice.ID))
	st, m = c.do("GET", "/v1/models", w.alice.Value.Reveal(), nil)
	if e := errorOf(t, m); st != 401 || e["code"] != nil || !strings.Contains(e["message"].(string), "Missing scopes: api.model.read") {
		t.Errorf("restricted key: %d %v", st, e)
	}
	if !w.srv.IsLive(w.alice.Value.Reveal()) {
		t.Error("a restricted key must stay live")
	}

	st, m = c.do("GET", "/v1/models", "", nil)
	if e := errorOf(t, m); st != 401 || e["code"] != nil || !strings.Contains(e["message"].(string), "didn't provide an API key") {
		t.Errorf("no key: %d %v", st, e)
	}
}

func keyState(s State, id string) KeyState {
	for _, k := range slices.Concat(s.Keys, s.AdminKeys) {
		if k.ID == id {
			return k
		}
	}
	return KeyState{}
}

func TestAdminAuthentication(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	st, m := c.do("GET", "/v1/organization/projects", w.bob.Value.Reveal(), nil)
	if e := errorOf(t, m); st != 403 || e["code"] != nil || !strings.Contains(e["message"].(string), "admin API key") {
		t.Errorf("project key on the Admin API: %d %v", st, e)
	}
	st, m = c.do("GET", "/v1/organization/projects", "sk-admin-nope-nope-nope-nope-1234", nil)
	if e := errorOf(t, m); st != 401 || e["code"] != "invalid_api_key" {
		t.Errorf("unknown admin key: %d %v", st, e)
	}
	mustNil(t, w.srv.SetRestricted(w.admin.ID))
	if st, _ := c.do("GET", "/v1/organization/projects", w.admin.Value.Reveal(), nil); st != 200 {
		t.Errorf("read-only admin key GET: %d", st)
	}
	st, m = c.do("DELETE", "/v1/organization/projects/proj_main/api_keys/"+w.bob.ID, w.admin.Value.Reveal(), nil)
	if e := errorOf(t, m); st != 403 || !strings.Contains(e["message"].(string), "api.management.write") {
		t.Errorf("read-only admin key DELETE: %d %v", st, e)
	}
	if !w.srv.IsLive(w.bob.Value.Reveal()) {
		t.Error("a refused DELETE revoked the key")
	}
}

func TestUnknownRoute(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	for _, tc := range []struct{ method, path string }{{"GET", "/v1/nope"}, {"PUT", "/v1/models"}, {"GET", "/v2/models"}} {
		st, m := c.do(tc.method, tc.path, w.admin.Value.Reveal(), nil)
		if e := errorOf(t, m); st != 404 || e["message"] != fmt.Sprintf("Invalid URL (%s %s)", tc.method, tc.path) {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, st, e)
		}
	}
	c.do("GET", "/v1/models", w.bob.Value.Reveal(), nil) // one validated response
}

func TestProjectsAndPagination(t *testing.T) {
	w := newWorld(t, 1)
	mustNil(t, w.srv.ArchiveProject("proj_e", t0.Add(100*time.Hour)))
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()

	var got []string
	after := ""
	for pages := 0; ; pages++ {
		q := "/v1/organization/projects?limit=2"
		if after != "" {
			q += "&after=" + after
		}
		st, m := c.do("GET", q, admin, nil)
		if st != 200 {
			t.Fatalf("%s: %d %v", q, st, m)
		}
		page := ids(t, m)
		got = append(got, page...)
		if m["first_id"] != page[0] || m["last_id"] != page[len(page)-1] {
			t.Errorf("first_id/last_id %v/%v for %v", m["first_id"], m["last_id"], page)
		}
		if m["has_more"] != true {
			break
		}
		after = m["last_id"].(string)
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if want := []string{"proj_main", "proj_other", "proj_c", "proj_d"}; !slices.Equal(got, want) {
		t.Errorf("projects = %v, want %v (archived excluded)", got, want)
	}
	_, m := c.do("GET", "/v1/organization/projects?include_archived=true&limit=100", admin, nil)
	if got := ids(t, m); len(got) != 5 || got[4] != "proj_e" {
		t.Errorf("include_archived: %v", got)
	}
	_, m = c.do("GET", "/v1/organization/projects/proj_e", admin, nil)
	if m["status"] != "archived" || m["archived_at"] == nil {
		t.Errorf("archived project: %v", m)
	}
	if st, _ := c.do("GET", "/v1/organization/projects/proj_nope", admin, nil); st != 404 {
		t.Errorf("unknown project: %d", st)
	}
	if st, _ := c.do("GET", "/v1/organization/projects?after=proj_nope", admin, nil); st != 400 {
		t.Errorf("unknown cursor: %d", st)
	}
	if st, _ := c.do("GET", "/v1/organization/projects?limit=101", admin, nil); st != 400 {
		t.Errorf("limit 101: %d", st)
	}
	_, m = c.do("GET", "/v1/organization/projects?limit=100&after=proj_d", admin, nil)
	if got := ids(t, m); len(got) != 0 || m["first_id"] != nil || m["has_more"] != false {
		t.Errorf("empty page: %v", m)
	}
	if st, m := c.do("GET", "/v1/organization/projects/proj_e/service_accounts", admin, nil); st != 400 {
		t.Errorf("service accounts of an archived project: %d %v", st, m)
	}
}

func TestProjectKeys(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()

	st, m := c.do("GET", "/v1/organization/projects/proj_main/api_keys", admin, nil)
	if got, want := ids(t, m), []string{w.alice.ID, w.bob.ID, w.saKey.ID}; st != 200 || !slices.Equal(got, want) {
		t.Fatalf("keys = %d %v, want %v", st, got, want)
	}
	data := m["data"].([]any)
	alice, bob, sa := data[0].(map[string]any), data[1].(map[string]any), data[2].(map[string]any)
	if alice["redacted_value"] != w.alice.Redacted || alice["last_used_at"] != float64(t0.Add(48*time.Hour).Unix()) {
		t.Errorf("alice's key: %v", alice)
	}
	if bob["last_used_at"] != nil {
		t.Errorf("bob's unused key has last_used_at %v", bob["last_used_at"])
	}
	owner := alice["owner"].(map[string]any)
	if owner["type"] != "user" || owner["user"].(map[string]any)["email"] != "alice@example.com" || owner["service_account"] != nil {
		t.Errorf("user owner: %v", owner)
	}
	owner = sa["owner"].(map[string]any)
	if owner["type"] != "service_account" || owner["service_account"].(map[string]any)["id"] != w.sa.ID || owner["user"] != nil {
		t.Errorf("service account owner: %v", owner)
	}
	if strings.Contains(fmt.Sprint(m), w.alice.Value.Reveal()) {
		t.Error("the key list shows a plaintext key")
	}

	// owner_project_access: keys of owners without access are hidden by default.
	mustNil(t, w.srv.SetOwnerProjectAccess(w.bob.ID, false))
	for q, want := range map[string][]string{
		"":                              {w.alice.ID, w.saKey.ID},
		"owner_project_access=active":   {w.alice.ID, w.saKey.ID},
		"owner_project_access=inactive": {w.bob.ID},
		"owner_project_access=any":      {w.alice.ID, w.bob.ID, w.saKey.ID},
		"limit=1":                       {w.alice.ID},
		"owner_project_access=any&after=" + w.alice.ID: {w.bob.ID, w.saKey.ID},
	} {
		_, m := c.do("GET", "/v1/organization/projects/proj_main/api_keys?"+q, admin, nil)
		if got := ids(t, m); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
	if st, _ := c.do("GET", "/v1/organization/projects/proj_main/api_keys?owner_project_access=all", admin, nil); st != 400 {
		t.Errorf("bad owner_project_access: %d", st)
	}

	st, m = c.do("GET", "/v1/organization/projects/proj_main/api_keys/"+w.bob.ID, admin, nil)
	if st != 200 || m["id"] != w.bob.ID || m["owner_project_access"] != "inactive" {
		t.Errorf("get key: %d %v", st, m)
	}
	if st, _ := c.do("GET", "/v1/organization/projects/proj_other/api_keys/"+w.bob.ID, admin, nil); st != 404 {
		t.Errorf("key through another project: %d", st)
	}
}

func TestDeleteUserKey(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	admin, bob := w.admin.Value.Reveal(), w.bob.Value.Reveal()
	path := "/v1/organization/projects/proj_main/api_keys/" + w.bob.ID

	st, m := c.do("DELETE", path, admin, nil)
	if st != 200 || m["object"] != "organization.project.api_key.deleted" || m["id"] != w.bob.ID || m["deleted"] != true {
		t.Fatalf("delete: %d %v", st, m)
	}
	st, m = c.do("GET", "/v1/models", bob, nil)
	if e := errorOf(t, m); st != 401 || e["code"] != "invalid_api_key" {
		t.Errorf("deleted key on /v1/models: %d %v", st, e)
	}
	if st, _ := c.do("GET", path, admin, nil); st != 404 {
		t.Errorf("GET deleted key: %d", st)
	}
	if st, m := c.do("DELETE", path, admin, nil); st != 404 || errorOf(t, m)["type"] != "invalid_request_error" {
		t.Errorf("DELETE deleted key again: %d %v", st, m)
	}
	_, m = c.do("GET", "/v1/organization/projects/proj_main/api_keys?owner_project_access=any", admin, nil)
	if slices.Contains(ids(t, m), w.bob.ID) {
		t.Error("deleted key still listed")
	}
	// A cursor naming the deleted key still works.
	if st, m := c.do("GET", "/v1/organization/projects/proj_main/api_keys?after="+w.bob.ID, admin, nil); st != 200 || !slices.Equal(ids(t, m), []string{w.saKey.ID}) {
		t.Errorf("after a deleted key: %d %v", st, m)
	}
	ks := keyState(w.srv.Snapshot(), w.bob.ID)
	if ks.Status != "revoked" || ks.RevokedReason != RevokedDeleted || ks.RevokedAt != rfc3339(now) || ks.Value != bob {
		t.Errorf("snapshot of the deleted key: %+v", ks)
	}
	_, m = c.do("GET", "/v1/organization/audit_logs?event_types[]=api_key.deleted", admin, nil)
	data := m["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("api_key.deleted events: %v", data)
	}
	ev := data[0].(map[string]any)
	if ev["api_key.deleted"].(map[string]any)["id"] != w.bob.ID || ev["effective_at"] != float64(now.Unix()) ||
		ev["actor"].(map[string]any)["api_key"].(map[string]any)["id"] != w.admin.ID || ev["project"].(map[string]any)["id"] != "proj_main" {
		t.Errorf("api_key.deleted event: %v", ev)
	}
}

func TestServiceAccountLifecycle(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()
	base := "/v1/organization/projects/proj_main/service_accounts"

	// A service account's key cannot be deleted through the project keys.
	st, m := c.do("DELETE", "/v1/organization/projects/proj_main/api_keys/"+w.saKey.ID, admin, nil)
	if e := errorOf(t, m); st != 400 || !strings.Contains(e["message"].(string), "service account") {
		t.Errorf("delete a service account key: %d %v", st, e)
	}
	if !w.srv.IsLive(w.saKey.Value.Reveal()) {
		t.Fatal("the refused delete revoked the key")
	}

	st, m = c.do("POST", base, admin, map[string]any{"name": "ci"})
	if st != 200 || m["role"] != "member" || m["object"] != "organization.project.service_account" {
		t.Fatalf("create: %d %v", st, m)
	}
	saID := m["id"].(string)
	apiKey := m["api_key"].(map[string]any)
	value := apiKey["value"].(string)
	if !strings.HasPrefix(value, "sk-svcacct-") || len(value) != 167 || apiKey["id"] == "" {
		t.Errorf("created key: %v", apiKey)
	}
	if st, _ := c.do("GET", "/v1/models", value, nil); st != 200 {
		t.Errorf("new service account key on /v1/models: %d", st)
	}

	st, m = c.do("POST", base+"/"+saID+"/api_keys", admin, map[string]any{"name": "second", "scopes": []string{"api.model.read"}})
	if st != 200 || m["object"] != "organization.project.service_account.api_key" || m["name"] != "second" {
		t.Fatalf("second key: %d %v", st, m)
	}
	second := m["value"].(string)
	st, m = c.do("POST", base+"/"+saID+"/api_keys", admin, map[string]any{"scopes": []string{"api.responses.write"}})
	if st != 200 {
		t.Fatalf("scoped key: %d %v", st, m)
	}
	if st, m := c.do("GET", "/v1/models", m["value"].(string), nil); st != 401 || errorOf(t, m)["code"] != nil {
		t.Errorf("key without api.model.read: %d %v", st, m)
	}

	st, m = c.do("POST", base+"/"+saID, admin, map[string]any{"role": "owner", "name": "ci-bot"})
	if st != 200 || m["role"] != "owner" || m["name"] != "ci-bot" {
		t.Errorf("update: %d %v", st, m)
	}
	if st, _ := c.do("POST", base+"/"+saID, admin, map[string]any{"role": "admin"}); st != 400 {
		t.Errorf("bad role: %d", st)
	}
	if st, m := c.do("GET", base+"/"+saID, admin, nil); st != 200 || m["name"] != "ci-bot" {
		t.Errorf("get: %d %v", st, m)
	}

	st, m = c.do("DELETE", base+"/"+saID, admin, nil)
	if st != 200 || m["object"] != "organization.project.service_account.deleted" || m["deleted"] != true {
		t.Fatalf("delete: %d %v", st, m)
	}
	for _, v := range []string{value, second} {
		if st, m := c.do("GET", "/v1/models", v, nil); st != 401 || errorOf(t, m)["code"] != "invalid_api_key" {
			t.Errorf("key of a deleted service account: %d %v", st, m)
		}
	}
	if st, _ := c.do("GET", base+"/"+saID, admin, nil); st != 404 {
		t.Errorf("get deleted account: %d", st)
	}
	_, m = c.do("GET", base, admin, nil)
	if got := ids(t, m); !slices.Equal(got, []string{w.sa.ID}) {
		t.Errorf("service accounts after delete: %v", got)
	}
	_, m = c.do("GET", "/v1/organization/projects/proj_main/api_keys?owner_project_access=any", admin, nil)
	if got := ids(t, m); len(got) != 3 {
		t.Errorf("project keys after deleting the account: %v", got)
	}

	// create_service_account_only: role none, api_key null.
	st, m = c.do("POST", base, admin, map[string]any{"name": "bare", "create_service_account_only": true})
	if st != 200 || m["role"] != "none" || m["api_key"] != nil {
		t.Errorf("create_service_account_only: %d %v", st, m)
	}
	for _, body := range []any{map[string]any{}, map[string]any{"name": 3}, map[string]any{"name": "x", "colour": "red"}} {
		if st, m := c.do("POST", base, admin, body); st != 400 {
			t.Errorf("create with %v: %d %v", body, st, m)
		}
	}

	_, m = c.do("GET", "/v1/organization/audit_logs?limit=100&resource_ids[]="+saID, admin, nil)
	var types []string
	for _, d := range m["data"].([]any) {
		types = append(types, d.(map[string]any)["type"].(string))
	}
	slices.Sort(types)
	if want := []string{"service_account.created", "service_account.deleted", "service_account.updated"}; !slices.Equal(types, want) {
		t.Errorf("service account events: %v, want %v", types, want)
	}
}

func TestProviderRevocation(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()
	at := t0.Add(200 * time.Hour)
	mustNil(t, w.srv.RevokeKeyAt(w.alice.ID, at))
	if w.srv.IsLive(w.alice.Value.Reveal()) {
		t.Error("revoked key is live")
	}
	if st, m := c.do("GET", "/v1/models", w.alice.Value.Reveal(), nil); st != 401 || errorOf(t, m)["code"] != "invalid_api_key" {
		t.Errorf("revoked key: %d %v", st, m)
	}
	path := "/v1/organization/projects/proj_main/api_keys/" + w.alice.ID
	if st, _ := c.do("DELETE", path, admin, nil); st != 404 {
		t.Errorf("DELETE of a provider-revoked key: %d (want 404: it is gone)", st)
	}
	ks := keyState(w.srv.Snapshot(), w.alice.ID)
	if ks.Status != "revoked" || ks.RevokedReason != RevokedByProvider || ks.RevokedAt != rfc3339(at) {
		t.Errorf("snapshot: %+v", ks)
	}
	if k, ok := w.srv.KeyByValue(w.alice.Value.Reveal()); !ok || k.ID != w.alice.ID || k.Live {
		t.Errorf("KeyByValue: %+v %v", k, ok)
	}
	if err := w.srv.RevokeKey("key_nope"); err == nil {
		t.Error("revoking an unknown key succeeded")
	}
}

func TestAdminKeys(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()

	st, m := c.do("POST", "/v1/organization/admin_api_keys", admin, map[string]any{"name": "rotation", "expires_in_seconds": 3600})
	if st != 200 || m["object"] != "organization.admin_api_key" || m["expires_at"] != float64(now.Unix()+3600) {
		t.Fatalf("create: %d %v", st, m)
	}
	id, value := m["id"].(string), m["value"].(string)
	if !strings.HasPrefix(value, "sk-admin-") || len(value) != 133 || m["redacted_value"] != RedactedValue(value) {
		t.Errorf("created admin key: %v", m)
	}
	if owner := m["owner"].(map[string]any); owner["id"] != "user_alice" || owner["object"] != "organization.user" {
		t.Errorf("owner: %v", owner)
	}
	if st, m := c.do("GET", "/v1/organization/admin_api_keys/"+id, value, nil); st != 200 || m["value"] != nil {
		t.Errorf("get with the new key: %d %v", st, m)
	}
	_, m = c.do("GET", "/v1/organization/admin_api_keys", admin, nil)
	asc := ids(t, m)
	_, m = c.do("GET", "/v1/organization/admin_api_keys?order=desc", admin, nil)
	desc := ids(t, m)
	if !slices.Equal(asc, []string{w.admin.ID, id}) || !slices.Equal(desc, []string{id, w.admin.ID}) {
		t.Errorf("asc %v, desc %v", asc, desc)
	}
	_, m = c.do("GET", "/v1/organization/admin_api_keys?order=desc&limit=1", admin, nil)
	if m["has_more"] != true || m["last_id"] != id {
		t.Errorf("desc page: %v", m)
	}
	if st, _ := c.do("GET", "/v1/organization/admin_api_keys?order=sideways", admin, nil); st != 400 {
		t.Errorf("bad order: %d", st)
	}
	for _, body := range []any{map[string]any{"name": "x", "expires_in_seconds": 0}, map[string]any{"expires_in_seconds": 60}} {
		if st, _ := c.do("POST", "/v1/organization/admin_api_keys", admin, body); st != 400 {
			t.Errorf("create %v: %d", body, st)
		}
	}
	st, m = c.do("DELETE", "/v1/organization/admin_api_keys/"+id, admin, nil)
	if st != 200 || m["object"] != "organization.admin_api_key.deleted" || m["deleted"] != true {
		t.Errorf("delete: %d %v", st, m)
	}
	if st, m := c.do("GET", "/v1/organization/projects", value, nil); st != 401 || errorOf(t, m)["code"] != "invalid_api_key" {
		t.Errorf("deleted admin key: %d %v", st, m)
	}
}

func TestAdminKeyExpiry(t *testing.T) {
	clock := now
	var mu sync.Mutex
	srv := New(Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }, Rand: seededRand(3)})
	k, err := srv.AddAdminKey("a", t0)
	mustNil(t, err)
	c := newClient(t, srv)
	_, m := c.do("POST", "/v1/organization/admin_api_keys", k.Value.Reveal(), map[string]any{"name": "short", "expires_in_seconds": 60})
	short := m["value"].(string)
	if st, _ := c.do("GET", "/v1/organization/projects", short, nil); st != 200 {
		t.Fatalf("fresh key: %d", st)
	}
	mu.Lock()
	clock = clock.Add(61 * time.Second)
	mu.Unlock()
	if st, m := c.do("GET", "/v1/organization/projects", short, nil); st != 401 || errorOf(t, m)["code"] != "invalid_api_key" {
		t.Errorf("expired key: %d %v", st, m)
	}
	if s := srv.Snapshot(); s.AdminKeys[0].Status == s.AdminKeys[1].Status {
		t.Errorf("statuses: %+v", s.AdminKeys)
	}
}

// usageWorld is newWorld(t, 1) with usage.
func usageWorld(t *testing.T) *world {
	w := newWorld(t, 1)
	addUsage(t, w)
	return w
}

// addUsage adds usage of the world's keys over two days from 2026-11-11.
func addUsage(t *testing.T, w *world) {
	t.Helper()
	day := t0.Add(10 * 24 * time.Hour) // 2026-11-11, midnight UTC
	for _, u := range []struct {
		key   Key
		model string
		at    time.Duration
		req   int
	}{
		{w.alice, "gpt-4o", 1*time.Hour + 5*time.Minute, 2},
		{w.alice, "gpt-4o", 1*time.Hour + 30*time.Minute, 3},
		{w.bob, "gpt-4o-mini", 2 * time.Hour, 10},
		{w.saKey, "gpt-4o-mini", 3 * time.Hour, 1},
		{w.bob, "gpt-4o-mini", 26 * time.Hour, 7},
	} {
		mustNil(t, w.srv.AddUsage(u.key.ProjectID, u.key.ID, u.model, day.Add(u.at), u.req, 100*u.req, 10*u.req))
	}
	mustNil(t, w.srv.AddUsage(w.other.ProjectID, w.other.ID, "o3-mini", day.Add(time.Hour), 4, 400, 40))
}

func results(t *testing.T, bucket any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range bucket.(map[string]any)["results"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

func TestUsageCompletions(t *testing.T) {
	w := usageWorld(t)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()
	day := t0.Add(10 * 24 * time.Hour).Unix()
	base := fmt.Sprintf("/v1/organization/usage/completions?start_time=%d", day)

	// Default: 1d buckets, ungrouped, end_time now → limit 7 with more pages.
	st, m := c.do("GET", base, admin, nil)
	data := m["data"].([]any)
	if st != 200 || len(data) != 7 || m["has_more"] != true || m["next_page"] == nil {
		t.Fatalf("default window: %d has_more=%v len=%d", st, m["has_more"], len(data))
	}
	first := results(t, data[0])
	if len(first) != 1 || first[0]["num_model_requests"] != float64(2+3+10+1+4) || first[0]["api_key_id"] != nil || first[0]["project_id"] != nil {
		t.Errorf("ungrouped first day: %v", first)
	}
	if b := data[1].(map[string]any); b["start_time"] != float64(day+86400) || b["end_time"] != float64(day+2*86400) {
		t.Errorf("second bucket: %v", b)
	}
	if len(results(t, data[2])) != 0 {
		t.Errorf("empty day has results: %v", data[2])
	}
	// The next page continues where this one ended, and the last page ends.
	st, m = c.do("GET", base+"&page="+url.QueryEscape(m["next_page"].(string)), admin, nil)
	if b := m["data"].([]any)[0].(map[string]any); st != 200 || b["start_time"] != float64(day+7*86400) {
		t.Errorf("second page: %d %v", st, b)
	}
	pages := 2
	for m["has_more"] == true && pages < 10 {
		_, m = c.do("GET", base+"&page="+url.QueryEscape(m["next_page"].(string)), admin, nil)
		pages++
	}
	if m["has_more"] != false || m["next_page"] != nil || pages != 3 {
		t.Errorf("pages %d, last page %v", pages, m)
	}

	// Filter by key with both array encodings; group by api_key_id.
	end := day + 2*86400
	for _, q := range []string{
		fmt.Sprintf("&api_key_ids=%s&api_key_ids=%s&group_by=api_key_id", w.alice.ID, w.bob.ID),
		fmt.Sprintf("&api_key_ids[]=%s&api_key_ids[]=%s&group_by[]=api_key_id", w.alice.ID, w.bob.ID),
	} {
		st, m := c.do("GET", fmt.Sprintf("%s&end_time=%d%s", base, end, q), admin, nil)
		data := m["data"].([]any)
		if st != 200 || len(data) != 2 || m["has_more"] != false {
			t.Fatalf("%s: %d %v", q, st, m)
		}
		got := map[string]float64{}
		for _, r := range results(t, data[0]) {
			got[r["api_key_id"].(string)] = r["num_model_requests"].(float64)
			if r["model"] != nil || r["project_id"] != nil {
				t.Errorf("ungrouped fields set: %v", r)
			}
		}
		if len(got) != 2 || got[w.alice.ID] != 5 || got[w.bob.ID] != 10 {
			t.Errorf("%s: day 1 by key %v", q, got)
		}
		if r := results(t, data[1]); len(r) != 1 || r[0]["api_key_id"] != w.bob.ID || r[0]["input_tokens"] != float64(700) {
			t.Errorf("%s: day 2 %v", q, r)
		}
	}

	// 1h buckets grouped by project and model, aligned to the hour.
	st, m = c.do("GET", fmt.Sprintf("/v1/organization/usage/completions?start_time=%d&end_time=%d&bucket_width=1h&group_by[]=project_id&group_by[]=model&limit=24", day+1800, day+4*3600), admin, nil)
	data = m["data"].([]any)
	if st != 200 || len(data) != 4 || data[0].(map[string]any)["start_time"] != float64(day) {
		t.Fatalf("1h buckets: %d %v", st, m)
	}
	// Records before start_time (day+1800) are left out: nothing in hour 0.
	if r := results(t, data[1]); len(r) != 2 || r[0]["project_id"] != "proj_main" || r[0]["model"] != "gpt-4o" || r[0]["num_model_requests"] != float64(5) || r[1]["project_id"] != "proj_other" {
		t.Errorf("hour 1: %v", r)
	}

	for _, q := range []string{
		"",                // no start_time
		"?start_time=abc", // not a number
		base[len("/v1/organization/usage/completions"):] + "&bucket_width=1w",
		base[len("/v1/organization/usage/completions"):] + "&limit=32",
		base[len("/v1/organization/usage/completions"):] + "&bucket_width=1h&limit=169",
		base[len("/v1/organization/usage/completions"):] + "&group_by=colour",
		base[len("/v1/organization/usage/completions"):] + "&page=garbage",
		fmt.Sprintf("?start_time=%d&end_time=%d", day, day),
	} {
		if st, m := c.do("GET", "/v1/organization/usage/completions"+q, admin, nil); st != 400 {
			t.Errorf("%q: %d %v", q, st, m)
		}
	}
}

func TestCosts(t *testing.T) {
	w := usageWorld(t)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()
	day := t0.Add(10 * 24 * time.Hour).Unix()
	q := fmt.Sprintf("/v1/organization/costs?start_time=%d&end_time=%d&group_by[]=line_item&group_by[]=api_key_id&api_key_ids[]=%s", day, day+86400, w.alice.ID)
	st, m := c.do("GET", q, admin, nil)
	if st != 200 {
		t.Fatalf("%d %v", st, m)
	}
	rs := results(t, m["data"].([]any)[0])
	if len(rs) != 2 || rs[0]["line_item"] != "gpt-4o, input" || rs[1]["line_item"] != "gpt-4o, output" || rs[0]["api_key_id"] != w.alice.ID || rs[0]["project_id"] != nil {
		t.Fatalf("results: %v", rs)
	}
	// 500 input tokens at $2.50/M, 50 output tokens at $10/M.
	if a := rs[0]["amount"].(map[string]any); a["value"] != 0.00125 || a["currency"] != "usd" || rs[0]["quantity"] != float64(500) {
		t.Errorf("input line: %v", rs[0])
	}
	if a := rs[1]["amount"].(map[string]any); a["value"] != 0.0005 {
		t.Errorf("output line: %v", rs[1])
	}
	st, m = c.do("GET", fmt.Sprintf("/v1/organization/costs?start_time=%d&end_time=%d", day, day+86400), admin, nil)
	if rs := results(t, m["data"].([]any)[0]); st != 200 || len(rs) != 1 || rs[0]["quantity"] != nil || rs[0]["line_item"] != nil {
		t.Errorf("ungrouped costs: %v", rs)
	}
	if st, _ := c.do("GET", fmt.Sprintf("/v1/organization/costs?start_time=%d&bucket_width=1h", day), admin, nil); st != 400 {
		t.Errorf("1h costs: %d", st)
	}
	if st, _ := c.do("GET", fmt.Sprintf("/v1/organization/costs?start_time=%d&limit=181", day), admin, nil); st != 400 {
		t.Errorf("limit 181: %d", st)
	}
}

func TestAuditLogs(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()

	// Seeded: 3 user keys, 1 service account with its key → 5 events.
	_, m := c.do("GET", "/v1/organization/audit_logs?limit=100", admin, nil)
	all := ids(t, m)
	if len(all) != 5 {
		t.Fatalf("seeded events: %v", m)
	}
	data := m["data"].([]any)
	newest := data[0].(map[string]any)
	if newest["type"] != "api_key.created" || newest["api_key.created"].(map[string]any)["id"] != w.other.ID {
		t.Errorf("newest event: %v", newest)
	}
	if a := newest["actor"].(map[string]any); a["type"] != "session" || a["session"].(map[string]any)["user"].(map[string]any)["id"] != "user_alice" {
		t.Errorf("seeded actor: %v", a)
	}
	for i := 1; i < len(data); i++ {
		if data[i-1].(map[string]any)["effective_at"].(float64) < data[i].(map[string]any)["effective_at"].(float64) {
			t.Errorf("not newest first: %v", all)
		}
	}

	for q, want := range map[string]int{
		"event_types[]=service_account.created":                                                                          1,
		"event_types=service_account.created&event_types=api_key.created":                                                5,
		"project_ids[]=proj_other":                                                                                       1,
		fmt.Sprintf("effective_at[gte]=%d", t0.Add(2*time.Hour).Unix()):                                                  4,
		fmt.Sprintf("effective_at[gt]=%d", t0.Add(2*time.Hour).Unix()):                                                   3,
		fmt.Sprintf("effective_at[lt]=%d", t0.Add(2*time.Hour).Unix()):                                                   1,
		fmt.Sprintf("effective_at[lte]=%d&effective_at[gte]=%d", t0.Add(3*time.Hour).Unix(), t0.Add(3*time.Hour).Unix()): 2,
		"actor_emails[]=bob@example.com":                                                                                 1,
		"actor_ids[]=user_alice":                                                                                         2,
		"tenant_only=true":                                                                                               0,
	} {
		st, m := c.do("GET", "/v1/organization/audit_logs?"+q, admin, nil)
		if got := len(ids(t, m)); st != 200 || got != want {
			t.Errorf("%s: %d events, want %d", q, got, want)
		}
	}

	// after and before page through the same order.
	_, m = c.do("GET", "/v1/organization/audit_logs?limit=2", admin, nil)
	p1 := ids(t, m)
	_, m = c.do("GET", "/v1/organization/audit_logs?limit=2&after="+p1[1], admin, nil)
	p2 := ids(t, m)
	if !slices.Equal(append(p1, p2...), all[:4]) || m["has_more"] != true {
		t.Errorf("after: %v %v, want %v", p1, p2, all[:4])
	}
	_, m = c.do("GET", "/v1/organization/audit_logs?limit=2&before="+p2[0], admin, nil)
	if got := ids(t, m); !slices.Equal(got, p1) || m["has_more"] != false {
		t.Errorf("before %s: %v has_more=%v, want %v", p2[0], got, m["has_more"], p1)
	}
	if st, _ := c.do("GET", "/v1/organization/audit_logs?after=audit_log-nope", admin, nil); st != 400 {
		t.Errorf("unknown cursor: %d", st)
	}
}

func TestDeterminism(t *testing.T) {
	snap := func(seed uint64) []byte {
		w := newWorld(t, seed)
		addUsage(t, w)
		mustNil(t, w.srv.RevokeKeyAt(w.bob.ID, t0.Add(300*time.Hour)))
		b, err := json.Marshal(w.srv.Snapshot())
		mustNil(t, err)
		return b
	}
	a, b := snap(1), snap(1)
	if !bytes.Equal(a, b) {
		t.Errorf("same seed, different snapshots:\n%s\n%s", a, b)
	}
	if c := snap(2); bytes.Equal(a, c) {
		t.Error("different seeds gave the same world")
	}
	var s State
	mustNil(t, json.Unmarshal(a, &s))
	if len(s.Projects) != 5 || len(s.Keys) != 4 || len(s.AdminKeys) != 1 || len(s.ServiceAccounts) != 1 || len(s.Usage) != 4 || len(s.AuditLogs) != 5 {
		t.Errorf("snapshot counts: %s", a)
	}
	if !slices.IsSortedFunc(s.Keys, func(x, y KeyState) int { return strings.Compare(x.ID, y.ID) }) {
		t.Error("keys not sorted")
	}
	for _, k := range s.Keys {
		if k.Value == "" || k.RedactedValue != RedactedValue(k.Value) {
			t.Errorf("key state %+v", k)
		}
	}
	if u := s.Users; u[0].ID != "user_alice" || u[0].CreatedAt != rfc3339(t0) || u[1].CreatedAt != rfc3339(t0.Add(2*time.Hour)) {
		t.Errorf("users: %+v", u)
	}
}

func TestSeedingErrors(t *testing.T) {
	w := newWorld(t, 1)
	s := w.srv
	if _, err := s.AddProject("proj_main", "again", t0); err == nil {
		t.Error("duplicate project accepted")
	}
	if err := s.AddUser("user_alice", "A", "a@example.com", "owner"); err == nil {
		t.Error("duplicate user accepted")
	}
	if _, err := s.AddUserKey("proj_nope", "k", "user_alice", t0, nil); err == nil {
		t.Error("key in an unknown project accepted")
	}
	if _, err := s.AddUserKey("proj_main", "k", "user_nope", t0, nil); err == nil {
		t.Error("key of an unknown user accepted")
	}
	if err := s.AddUsage("proj_other", w.alice.ID, "gpt-4o", t0, 1, 1, 1); err == nil {
		t.Error("usage of a key in the wrong project accepted")
	}
	if id, err := s.AddProject("", "generated", t0); err != nil || !strings.HasPrefix(id, "proj_") {
		t.Errorf("generated project ID %q, %v", id, err)
	}
	k, err := s.AddServiceAccountKey(w.sa.ID, "extra", t0.Add(time.Hour))
	if err != nil || k.Kind != KindServiceAccount || k.OwnerID != w.sa.ID || !k.Live {
		t.Errorf("AddServiceAccountKey: %+v %v", k, err)
	}
	mustNil(t, s.DeleteServiceAccount(w.sa.ID, t0.Add(5*time.Hour)))
	if s.IsLive(k.Value.Reveal()) || s.IsLive(w.saKey.Value.Reveal()) {
		t.Error("DeleteServiceAccount left keys live")
	}
	if fmt.Sprint(k) == "" || strings.Contains(fmt.Sprintf("%v %+v", k, k), k.Value.Reveal()) {
		t.Error("printing a Key shows its value")
	}
	s.Reset()
	if st := s.Snapshot(); len(st.Projects)+len(st.Keys)+len(st.AuditLogs) != 0 || s.IsLive(w.bob.Value.Reveal()) {
		t.Errorf("Reset left %+v", st)
	}
}

func TestConcurrentRequests(t *testing.T) {
	w := newWorld(t, 1)
	c := newClient(t, w.srv)
	admin := w.admin.Value.Reveal()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 4 {
			case 0:
				c.do("GET", "/v1/models", w.bob.Value.Reveal(), nil)
			case 1:
				c.do("POST", "/v1/organization/projects/proj_main/service_accounts", admin, map[string]any{"name": fmt.Sprint("sa", i)})
			case 2:
				c.do("GET", "/v1/organization/projects/proj_main/api_keys?owner_project_access=any&limit=100", admin, nil)
			case 3:
				_ = w.srv.Snapshot()
				c.do("GET", "/v1/organization/audit_logs", admin, nil)
			}
		}()
	}
	wg.Wait()
	_, m := c.do("GET", "/v1/organization/projects/proj_main/service_accounts?limit=100", admin, nil)
	if got := len(ids(t, m)); got != 6 {
		t.Errorf("service accounts after concurrent creates: %d, want 6", got)
	}
}
