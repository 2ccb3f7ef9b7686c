package spec

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func mustOpenAI(t *testing.T) *Spec {
	t.Helper()
	s, err := OpenAI()
	if err != nil {
		t.Fatalf("OpenAI(): %v", err)
	}
	return s
}

func mustGitHub(t *testing.T) *Spec {
	t.Helper()
	s, err := GitHub()
	if err != nil {
		t.Fatalf("GitHub(): %v", err)
	}
	return s
}

const projectAPIKey = `{
  "object": "organization.project.api_key",
  "redacted_value": "sk-proj-abc...wxyz",
  "name": "deploy bot",
  "created_at": 1711471533,
  "last_used_at": null,
  "id": "key_abc",
  "owner_project_access": "active",
  "owner": {"type": "user", "user": {"id": "user_abc", "name": "Ada", "email": "ada@example.com", "role": "owner", "created_at": 1711471533}}
}`

// mutate decodes a JSON object, applies f and re-encodes it.
func mutate(t *testing.T, body string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadIsShared(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*Spec, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = mustOpenAI(t)
		}()
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] {
			t.Fatal("OpenAI() returned different specs; want one compiled instance")
		}
	}
	if mustGitHub(t) == nil {
		t.Fatal("GitHub() returned nil")
	}
}

func TestOperationMatching(t *testing.T) {
	gh := mustGitHub(t)
	oa := mustOpenAI(t)
	tests := []struct {
		spec     *Spec
		method   string
		path     string
		template string // "" when no operation may match
	}{
		{oa, "GET", "/v1/organization/projects", "/organization/projects"},
		{oa, "GET", "/organization/projects", "/organization/projects"},
		{oa, "get", "/v1/organization/projects?limit=20&after=proj_1", "/organization/projects"},
		{oa, "DELETE", "/v1/organization/projects/proj_1/api_keys/key_1", "/organization/projects/{project_id}/api_keys/{api_key_id}"},
		{oa, "POST", "/v1/organization/projects/proj_1/service_accounts/svc_1/api_keys", "/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys"},
		{oa, "GET", "/v1/models/", "/models"},
		{oa, "POST", "/v1/organization/projects/proj_1/api_keys", ""}, // no POST on project keys
		{oa, "GET", "/v1/organization/projects/proj_1/unknown", ""},
		{oa, "GET", "/v2/organization/projects", ""},
		{gh, "GET", "/repos/acme/api/actions/secrets/public-key", "/repos/{owner}/{repo}/actions/secrets/public-key"},
		{gh, "GET", "/api/v3/repos/acme/api/actions/secrets/public-key", "/repos/{owner}/{repo}/actions/secrets/public-key"},
		{gh, "PUT", "/api/v3/repos/acme/api/actions/secrets/OPENAI_API_KEY", "/repos/{owner}/{repo}/actions/secrets/{secret_name}"},
		{gh, "GET", "/repos/acme/api/actions/secrets/OPENAI_API_KEY", "/repos/{owner}/{repo}/actions/secrets/{secret_name}"},
		{gh, "GET", "/orgs/acme/dependabot/secrets/public-key", "/orgs/{org}/dependabot/secrets/public-key"},
		{gh, "GET", "/repos/acme/api/environments/production/secrets/public-key", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key"},
		{gh, "POST", "/repos/acme/api/actions/workflows/deploy.yml/dispatches", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"},
		{gh, "PATCH", "/repos/acme/api/secret-scanning/alerts/7", "/repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}"},
		{gh, "GET", "/repos/acme/api/secret-scanning/alerts/7/locations?per_page=100", "/repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}/locations"},
		{gh, "GET", "/user", "/user"},
		{gh, "GET", "/api/v3/rate_limit", "/rate_limit"},
		{gh, "GET", "http://127.0.0.1:8080/api/v3/repos/acme/api", "/repos/{owner}/{repo}"},
		{gh, "GET", "/repos/acme", ""},
		{gh, "GET", "/repos//api", ""}, // empty parameter
		{gh, "POST", "/graphql", ""},
		// x-multi-segment parameters span one or more segments.
		{gh, "GET", "/repos/acme/api/git/ref/heads/main", "/repos/{owner}/{repo}/git/ref/{ref}"},
		{gh, "GET", "/repos/acme/api/git/ref/heads/feature/a/b", "/repos/{owner}/{repo}/git/ref/{ref}"},
		{gh, "GET", "/repos/acme/api/git/ref/heads//main", ""}, // empty segment
		{gh, "GET", "/repos/acme/api/branches/release/2.0", "/repos/{owner}/{repo}/branches/{branch}"},
		{gh, "GET", "/api/v3/repos/acme/api/contents/.github/workflows/deploy.yml?ref=main", "/repos/{owner}/{repo}/contents/{path}"},
		{gh, "GET", "/repos/acme/api/actions/workflows/deploy.yml", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}"},
		{gh, "GET", "/repos/acme/api/actions/workflows/deploy.yml/runs", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"},
		{gh, "GET", "/repos/acme/api/actions/runs/42", "/repos/{owner}/{repo}/actions/runs/{run_id}"},
		{gh, "GET", "/repos/acme/api/actions/secrets/A/B", ""}, // only marked parameters span segments
	}
	for _, tt := range tests {
		tmpl, _, ok := tt.spec.Operation(tt.method, tt.path)
		if ok != (tt.template != "") || tmpl != tt.template {
			t.Errorf("%s %s %s: matched %q (ok=%v), want %q", tt.spec.name, tt.method, tt.path, tmpl, ok, tt.template)
		}
		if got := tt.spec.HasOperation(tt.method, tt.path); got != (tt.template != "") {
			t.Errorf("HasOperation(%s, %s) = %v", tt.method, tt.path, got)
		}
	}
}

func TestUnknownOperation(t *testing.T) {
	err := mustGitHub(t).ValidateResponse("GET", "/nope", 200, []byte(`{}`))
	if !errors.Is(err, ErrUnknownOperation) {
		t.Fatalf("got %v, want ErrUnknownOperation", err)
	}
	if !strings.Contains(err.Error(), "GET /nope") {
		t.Errorf("error %q does not name the request", err)
	}
	if err := mustOpenAI(t).ValidateRequest("PUT", "/v1/models", nil); !errors.Is(err, ErrUnknownOperation) {
		t.Errorf("ValidateRequest: got %v, want ErrUnknownOperation", err)
	}
}

func TestValidateResponseOpenAI(t *testing.T) {
	oa := mustOpenAI(t)
	const path = "/v1/organization/projects/proj_1/api_keys/key_abc"
	if err := oa.ValidateResponse("GET", path, 200, []byte(projectAPIKey)); err != nil {
		t.Fatalf("valid key rejected: %v", err)
	}

	tests := []struct {
		name string
		body []byte
		want []string // substrings of the error
	}{
		{"missing required", mutate(t, projectAPIKey, func(m map[string]any) { delete(m, "owner") }),
			[]string{"retrieve-project-api-key", "response 200", "missing property 'owner'"}},
		{"wrong type", mutate(t, projectAPIKey, func(m map[string]any) { m["created_at"] = "2024-03-26" }),
			[]string{"at '/created_at'", "want integer"}},
		{"nullable field wrong type", mutate(t, projectAPIKey, func(m map[string]any) { m["last_used_at"] = true }),
			[]string{"'/last_used_at'"}},
		{"bad enum", mutate(t, projectAPIKey, func(m map[string]any) { m["owner_project_access"] = "enabled" }),
			[]string{"'/owner_project_access'"}},
		{"nested enum", mutate(t, projectAPIKey, func(m map[string]any) { m["owner"].(map[string]any)["type"] = "robot" }),
			[]string{"'/owner/type'"}},
		{"not JSON", []byte(`{"object":`), []string{"not valid JSON"}},
		{"empty", nil, []string{"empty body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := oa.ValidateResponse("GET", path, 200, tt.body)
			if err == nil {
				t.Fatal("invalid body accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	var se *SchemaError
	err := oa.ValidateResponse("GET", path, 200, mutate(t, projectAPIKey, func(m map[string]any) { delete(m, "id"); m["name"] = 3 }))
	if !errors.As(err, &se) || len(se.Problems) != 2 {
		t.Fatalf("got %#v, want a *SchemaError with two problems", err)
	}

	// Additional properties are allowed (no additionalProperties:false).
	if err := oa.ValidateResponse("GET", path, 200, mutate(t, projectAPIKey, func(m map[string]any) { m["future_field"] = 1 })); err != nil {
		t.Errorf("extra property rejected: %v", err)
	}

	// Error statuses the spec does not declare use ErrorResponse.
	revoked := `{"error":{"message":"Incorrect API key provided: sk-proj-****abcd.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`
	if err := oa.ValidateResponse("GET", "/v1/models", 401, []byte(revoked)); err != nil {
		t.Errorf("401 ErrorResponse rejected: %v", err)
	}
	noCode := `{"error":{"message":"x","type":"invalid_request_error","param":null}}`
	if err := oa.ValidateResponse("GET", "/v1/models", 401, []byte(noCode)); err == nil || !strings.Contains(err.Error(), "missing property 'code'") {
		t.Errorf("401 without code: got %v", err)
	}
	// Declared 429 uses ErrorResponse too.
	if err := oa.ValidateResponse("GET", "/v1/organization/projects", 429, []byte(revoked)); err != nil {
		t.Errorf("429 rejected: %v", err)
	}
	// An undeclared success status is an error of its own kind.
	if err := oa.ValidateResponse("GET", "/v1/models", 201, []byte(`{}`)); !errors.Is(err, ErrUndeclaredStatus) {
		t.Errorf("undeclared 201: got %v, want ErrUndeclaredStatus", err)
	}
}

func TestValidateResponseGitHub(t *testing.T) {
	gh := mustGitHub(t)
	const secret = "/api/v3/repos/acme/api/actions/secrets/OPENAI_API_KEY"
	good := `{"name":"OPENAI_API_KEY","created_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-21T10:00:00Z"}`
	if err := gh.ValidateResponse("GET", secret, 200, []byte(good)); err != nil {
		t.Fatalf("valid secret rejected: %v", err)
	}
	badTime := `{"name":"OPENAI_API_KEY","created_at":"yesterday","updated_at":"2026-11-21T10:00:00Z"}`
	if err := gh.ValidateResponse("GET", secret, 200, []byte(badTime)); err == nil || !strings.Contains(err.Error(), "/created_at") {
		t.Errorf("bad date-time: got %v", err)
	}
	// 201 carries an empty object, 204 carries nothing.
	if err := gh.ValidateResponse("PUT", secret, 201, []byte(`{}`)); err != nil {
		t.Errorf("201 {}: %v", err)
	}
	if err := gh.ValidateResponse("PUT", secret, 204, nil); err != nil {
		t.Errorf("204 empty: %v", err)
	}
	if err := gh.ValidateResponse("PUT", secret, 204, []byte(`{}`)); err == nil {
		t.Error("204 with a body accepted")
	}
	if err := gh.ValidateResponse("GET", secret, 200, nil); err == nil {
		t.Error("200 with an empty body accepted")
	}

	// nullable (OpenAPI 3.0) becomes a union with null.
	public := `{"key_id":"568250167242549743","key":"e1g3Kz8CkOW4Zk2G2NpxB0IL0GYoZBRVKcsVxpnmGdo="}`
	if err := gh.ValidateResponse("GET", "/repos/acme/api/actions/secrets/public-key", 200, []byte(public)); err != nil {
		t.Errorf("public key: %v", err)
	}
	alert := collectExample(t, "testdata/github-rest-subset.json", "GET", "/repos/x-owner/x-repo/secret-scanning/alerts/x-alert_number", 200)
	const alertPath = "/repos/acme/api/secret-scanning/alerts/1"
	if err := gh.ValidateResponse("GET", alertPath, 200, alert); err != nil {
		t.Fatalf("alert example: %v", err)
	}
	withNull := mutate(t, string(alert), func(m map[string]any) { m["resolution"] = nil; m["resolved_at"] = nil })
	if err := gh.ValidateResponse("GET", alertPath, 200, withNull); err != nil {
		t.Errorf("null resolution rejected: %v", err)
	}
	badEnum := mutate(t, string(alert), func(m map[string]any) { m["resolution"] = "fixed" })
	if err := gh.ValidateResponse("GET", alertPath, 200, badEnum); err == nil || !strings.Contains(err.Error(), "'/resolution'") {
		t.Errorf("bad resolution: got %v", err)
	}
	badState := mutate(t, string(alert), func(m map[string]any) { m["state"] = nil })
	if err := gh.ValidateResponse("GET", alertPath, 200, badState); err == nil || !strings.Contains(err.Error(), "'/state'") {
		t.Errorf("null state (not nullable): got %v", err)
	}

	// Error bodies: undeclared (401) and declared without content (404).
	notFound := `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`
	if err := gh.ValidateResponse("GET", alertPath, 404, []byte(notFound)); err != nil {
		t.Errorf("404 basic-error: %v", err)
	}
	if err := gh.ValidateResponse("GET", secret, 401, []byte(`{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`)); err != nil {
		t.Errorf("401 basic-error: %v", err)
	}
	if err := gh.ValidateResponse("GET", secret, 401, []byte(`{"message":401}`)); err == nil {
		t.Error("401 with a numeric message accepted")
	}
	// Declared 404 with content (components/responses/not_found).
	if err := gh.ValidateResponse("GET", "/repos/acme/api", 404, []byte(notFound)); err != nil {
		t.Errorf("repos/get 404: %v", err)
	}
}

// collectExample returns the single spec example for an operation's status.
func collectExample(t *testing.T, file, method, path string, status int) []byte {
	t.Helper()
	for _, ex := range collectExamples(t, file) {
		if ex.method == method && ex.path == path && ex.status == status {
			return ex.body
		}
	}
	t.Fatalf("no example for %s %s %d in %s", method, path, status, file)
	return nil
}

func TestValidateRequest(t *testing.T) {
	gh := mustGitHub(t)
	const secret = "/repos/acme/api/actions/secrets/OPENAI_API_KEY"
	if err := gh.ValidateRequest("PUT", secret, []byte(`{"encrypted_value":"c2VjcmV0","key_id":"568250167242549743"}`)); err != nil {
		t.Errorf("valid PUT: %v", err)
	}
	if err := gh.ValidateRequest("PUT", secret, []byte(`{"encrypted_value":"c2VjcmV0"}`)); err == nil || !strings.Contains(err.Error(), "missing property 'key_id'") {
		t.Errorf("missing key_id: got %v", err)
	}
	if err := gh.ValidateRequest("PUT", secret, []byte(`{"encrypted_value":"not base64!","key_id":"1"}`)); err == nil || !strings.Contains(err.Error(), "/encrypted_value") {
		t.Errorf("non-base64 value: got %v", err)
	}
	if err := gh.ValidateRequest("PUT", secret, nil); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("empty required body: got %v", err)
	}
	if err := gh.ValidateRequest("GET", secret, nil); err != nil {
		t.Errorf("GET without body: %v", err)
	}
	if err := gh.ValidateRequest("GET", secret, []byte(`{}`)); err == nil {
		t.Error("GET with a body accepted")
	}
	patch := `{"state":"resolved","resolution":"revoked","resolution_comment":"rotated by respond"}`
	if err := gh.ValidateRequest("PATCH", "/repos/acme/api/secret-scanning/alerts/3", []byte(patch)); err != nil {
		t.Errorf("alert PATCH: %v", err)
	}
	if err := gh.ValidateRequest("PATCH", "/repos/acme/api/secret-scanning/alerts/3", []byte(`{"state":"closed"}`)); err == nil {
		t.Error("alert PATCH with state=closed accepted")
	}

	oa := mustOpenAI(t)
	if err := oa.ValidateRequest("POST", "/v1/organization/projects/proj_1/service_accounts", []byte(`{"name":"respond-rotation"}`)); err != nil {
		t.Errorf("service account create: %v", err)
	}
	if err := oa.ValidateRequest("POST", "/v1/organization/projects/proj_1/service_accounts", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "'name'") {
		t.Errorf("service account without name: got %v", err)
	}
}

func TestCheckingTransport(t *testing.T) {
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v3/repos/acme/api/actions/secrets/GOOD":
			io.WriteString(w, `{"name":"GOOD","created_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-20T10:00:00Z"}`)
		case "/api/v3/repos/acme/api/actions/secrets/BAD":
			io.WriteString(w, `{"name":"BAD"}`)
		case "/api/v3/repos/acme/api/actions/secrets/NEW":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Not Found"}`)
		}
	}))
	defer srv.Close()

	ct := NewCheckingTransport(mustGitHub(t), srv.Client().Transport)
	client := &http.Client{Transport: ct}

	get := func(path string) string {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if body := get("/api/v3/repos/acme/api/actions/secrets/GOOD"); !strings.Contains(body, `"GOOD"`) {
		t.Errorf("caller got body %q; the transport must pass it through intact", body)
	}
	get("/api/v3/repos/acme/api/actions/secrets/BAD")

	reqBody := `{"encrypted_value":"c2VjcmV0","key_id":"1"}`
	req, _ := http.NewRequest("PUT", srv.URL+"/api/v3/repos/acme/api/actions/secrets/NEW", strings.NewReader(reqBody))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotBody != reqBody {
		t.Errorf("server got request body %q, want %q", gotBody, reqBody)
	}
	get("/graphql") // not in the spec

	if got := ct.Checked(); got != 3 {
		t.Errorf("Checked() = %d, want 3", got)
	}
	errs := ct.Errors()
	if len(errs) != 2 {
		t.Fatalf("Errors() = %v, want 2 errors", errs)
	}
	if !strings.Contains(errs[0].Error(), "missing properties 'created_at', 'updated_at'") {
		t.Errorf("first error %q does not report the missing fields", errs[0])
	}
	if !errors.Is(errs[1], ErrUnknownOperation) {
		t.Errorf("second error %v, want ErrUnknownOperation", errs[1])
	}
}
