package awsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// The tests here cover answers moto cannot give (an AccessDenied from
// STS, IAM's policy simulation, CloudTrail events, server errors,
// redirects): a small HTTP server answers in AWS's documented wire
// formats, and the real SDK reads them.

// fakeAWS answers each action with a handler, and counts requests.
type fakeAWS struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
	bodies map[string][]string
	answer func(action string, body string) (status int, ctype, payload string)
}

func newFake(t *testing.T, answer func(action, body string) (int, string, string)) *fakeAWS {
	t.Helper()
	f := &fakeAWS{counts: map[string]int{}, bodies: map[string][]string{}, answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		action := r.Header.Get("X-Amz-Target")
		if _, a, ok := strings.Cut(action, "."); ok {
			action = a
		} else {
			q, _ := url.ParseQuery(string(b))
			action = q.Get("Action")
		}
		f.mu.Lock()
		f.counts[action]++
		f.bodies[action] = append(f.bodies[action], string(b))
		f.mu.Unlock()
		status, ctype, payload := f.answer(action, string(b))
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("X-Amzn-RequestId", "req-1")
		w.WriteHeader(status)
		io.WriteString(w, payload)
	}))
	t.Cleanup(f.Close)
	setEnv(t, f.URL)
	return f
}

func (f *fakeAWS) count(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[action]
}

// setEnv points the standard chain at endpoint, with a dummy key.
func setEnv(t *testing.T, endpoint string) {
	t.Helper()
	for _, v := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIARESPONDTEST00001", "AWS_SECRET_ACCESS_KEY": "respond-test-secret",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

const xmlType = "text/xml"

func queryError(code, msg string) string {
	return fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`, code, msg)
}

func callerIdentity(arn string) string {
	return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>` + arn + `</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
}

func TestCheckAccessKeyDenied(t *testing.T) {
	newFake(t, func(action, _ string) (int, string, string) {
		return 403, xmlType, queryError("AccessDenied", "User is not authorized to perform: sts:GetCallerIdentity")
	})
	c := newClient(t)
	chk, err := c.CheckAccessKey(context.Background(), "AKIALEAKEDEXAMPLE001", secret.New("leaked-secret"))
	if err != nil || chk.State != awsapi.KeyDenied || chk.Code != "AccessDenied" || chk.StatusCode != 403 {
		t.Fatalf("an AccessDenied answer: %+v %v; want the key counted alive (denied), not dead", chk, err)
	}
	_, err = c.CheckAccessKey(context.Background(), "not-a-key", secret.New("x"))
	if err == nil || !strings.Contains(err.Error(), "is not an AWS access key ID") {
		t.Errorf("a malformed key ID: %v", err)
	}
}

// TestRetries: idempotent requests are retried on a server error, the
// creation of a key never is, and a retried PutSecretValue carries the
// same ClientRequestToken each time.
func TestRetries(t *testing.T) {
	f := newFake(t, func(action, _ string) (int, string, string) {
		if strings.HasPrefix(action, "PutSecretValue") {
			return 500, "application/x-amz-json-1.1", `{"__type":"InternalServiceError","message":"boom"}`
		}
		return 500, xmlType, queryError("ServiceUnavailable", "boom")
	})
	ctx := context.Background()
	c := newClient(t)
	canary := "CANARY-secret-value-0123456789"
	_, err := c.CreateAccessKey(ctx, "app")
	if err == nil || step.IsPermanent(err) {
		t.Fatalf("CreateAccessKey on a 500: %v", err)
	}
	_, err = c.ListAccessKeys(ctx, "app")
	if err == nil || !strings.Contains(err.Error(), "listing the access keys of IAM user app") || !strings.Contains(err.Error(), "retry") {
		t.Errorf("ListAccessKeys on a 500: %v", err)
	}
	_, err = c.PutSecretString(ctx, "", "app/prod", secret.New(canary))
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Errorf("PutSecretString on a 500: %v", err)
	}
	if err := c.SetAccessKeyActive(ctx, "app", "AKIALEAKEDEXAMPLE001", false); err == nil {
		t.Error("UpdateAccessKey on a 500 succeeded")
	}
	for action, want := range map[string]int{"CreateAccessKey": 1, "ListAccessKeys": awsapi.DefaultMaxAttempts,
		"PutSecretValue": awsapi.DefaultMaxAttempts, "UpdateAccessKey": awsapi.DefaultMaxAttempts} {
		if got := f.count(action); got != want {
			t.Errorf("%s was sent %d times, want %d", action, got, want)
		}
	}
	tokens := map[string]bool{}
	for _, b := range f.bodies["PutSecretValue"] {
		var in struct{ ClientRequestToken string }
		if err := json.Unmarshal([]byte(b), &in); err != nil || in.ClientRequestToken == "" {
			t.Fatalf("PutSecretValue body without a token: %v", err)
		}
		tokens[in.ClientRequestToken] = true
	}
	if len(tokens) != 1 {
		t.Errorf("the attempts of one PutSecretValue carried %d different tokens, want 1", len(tokens))
	}
}

func TestPermitted(t *testing.T) {
	decision := "allowed"
	caller := "arn:aws:sts::123456789012:assumed-role/Deploy/respond-session"
	var simulated []string
	f := newFake(t, func(action, body string) (int, string, string) {
		switch action {
		case "GetCallerIdentity":
			return 200, xmlType, callerIdentity(caller)
		case "GetRole":
			return 200, xmlType, `<GetRoleResponse><GetRoleResult><Role><Path>/ops/</Path><Arn>arn:aws:iam::123456789012:role/ops/Deploy</Arn>` +
				`<RoleName>Deploy</RoleName><RoleId>AROAEXAMPLE</RoleId><CreateDate>2020-01-01T00:00:00Z</CreateDate></Role></GetRoleResult></GetRoleResponse>`
		case "SimulatePrincipalPolicy":
			q, _ := url.ParseQuery(body)
			simulated = append(simulated, q.Get("PolicySourceArn")+" "+q.Get("ActionNames.member.1")+" "+q.Get("ResourceArns.member.1"))
			return 200, xmlType, `<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults><member>` +
				`<EvalActionName>` + q.Get("ActionNames.member.1") + `</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>` + decision + `</EvalDecision>` +
				`</member></EvaluationResults></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>`
		}
		return 400, xmlType, queryError("InvalidAction", action)
	})
	ctx := context.Background()
	c := newClient(t)
	for _, tc := range []struct {
		decision     string
		identityOnly bool
		want         awsapi.Decision
	}{
		{"allowed", false, awsapi.Allowed},
		{"explicitDeny", false, awsapi.Denied},
		{"implicitDeny", true, awsapi.Denied},
		{"implicitDeny", false, awsapi.Unknown},
	} {
		decision = tc.decision
		p, err := c.Permitted(ctx, "ssm:PutParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app/key", tc.identityOnly)
		if err != nil || p.Decision != tc.want || p.Principal != "arn:aws:iam::123456789012:role/ops/Deploy" {
			t.Errorf("%s (identity only %v): %+v %v, want %s", tc.decision, tc.identityOnly, p, err, tc.want)
		}
	}
	if want := "arn:aws:iam::123456789012:role/ops/Deploy ssm:PutParameter arn:aws:ssm:us-east-1:123456789012:parameter/app/key"; simulated[0] != want {
		t.Errorf("simulated %q, want %q", simulated[0], want)
	}
	if f.count("GetCallerIdentity") != 1 {
		t.Errorf("the caller's identity was asked %d times; it is cached", f.count("GetCallerIdentity"))
	}
}

func TestLookupKeyEvents(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	page := 0
	f := newFake(t, func(action, body string) (int, string, string) {
		if action != "LookupEvents" {
			return 400, xmlType, queryError("InvalidAction", action)
		}
		var in struct {
			LookupAttributes []struct{ AttributeKey, AttributeValue string }
			StartTime        float64
			NextToken        string
		}
		_ = json.Unmarshal([]byte(body), &in)
		if len(in.LookupAttributes) != 1 || in.LookupAttributes[0].AttributeKey != "AccessKeyId" || in.LookupAttributes[0].AttributeValue != "AKIALEAKEDEXAMPLE001" {
			return 400, "application/x-amz-json-1.1", `{"__type":"InvalidLookupAttributesException","message":"bad"}`
		}
		page++
		// Newest first, as CloudTrail answers; an attacker's user agent.
		ev := func(id string, at time.Time, name string) map[string]any {
			raw, _ := json.Marshal(map[string]any{"sourceIPAddress": "203.0.113.9", "userAgent": "evil\x1b[31m\nagent", "awsRegion": "eu-west-1", "errorCode": "AccessDenied"})
			return map[string]any{"EventId": id, "EventName": name, "EventSource": "s3.amazonaws.com", "EventTime": float64(at.Unix()), "ReadOnly": "true", "CloudTrailEvent": string(raw)}
		}
		out := map[string]any{"Events": []any{ev("e2", now.Add(-time.Minute), "ListBuckets"), ev("e1", now.Add(-2*time.Minute), "GetObject")}}
		if in.NextToken == "" {
			out["NextToken"] = "page2"
		} else {
			out["Events"] = []any{ev("e0", now.Add(-3*time.Minute), "ListObjects")}
		}
		b, _ := json.Marshal(out)
		return 200, "application/x-amz-json-1.1", string(b)
	})
	c := newClient(t)
	res, err := c.LookupKeyEvents(context.Background(), "", "AKIALEAKEDEXAMPLE001", now.Add(-200*24*time.Hour), now)
	if err != nil || !res.Answered || res.Truncated || len(res.Events) != 3 {
		t.Fatalf("LookupKeyEvents = %+v, %v", res, err)
	}
	if res.Events[0].ID != "e0" || res.Events[2].ID != "e2" || !res.Events[0].Time.Equal(now.Add(-3*time.Minute)) {
		t.Errorf("events not oldest first: %+v", res.Events)
	}
	e := res.Events[2]
	if e.Name != "ListBuckets" || e.SourceIP != "203.0.113.9" || e.Region != "eu-west-1" || e.ErrorCode != "AccessDenied" || !e.ReadOnly || e.UserAgent != "evil[31m agent" {
		t.Errorf("event %+v", e)
	}
	if f.count("LookupEvents") != 2 {
		t.Errorf("%d pages read", f.count("LookupEvents"))
	}
}

func TestEndpointRules(t *testing.T) {
	ctx := context.Background()
	setEnv(t, "http://aws.example.com")
	_, err := awsapi.New(ctx, awsapi.Options{})
	if err == nil || !strings.Contains(err.Error(), "refusing to send signed requests and secret values over plain http:// to aws.example.com") {
		t.Fatalf("plain http to another host: %v", err)
	}
	for _, ok := range []string{"http://127.0.0.1:4566", "http://localhost:4566", "http://[::1]:4566", "https://aws.example.com"} {
		setEnv(t, ok)
		if _, err := awsapi.New(ctx, awsapi.Options{}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	// A service's own endpoint variable is checked when its client is
	// built, before anything is sent.
	var hits int
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer other.Close()
	setEnv(t, "https://aws.example.com")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://192.0.2.10:8080")
	c := newClient(t)
	_, err = c.DescribeSecret(ctx, "", "app/prod")
	if err == nil || !strings.Contains(err.Error(), "plain http:// to 192.0.2.10:8080") || !step.IsPermanent(err) {
		t.Errorf("AWS_ENDPOINT_URL_SECRETS_MANAGER over plain http: %v", err)
	}

	// Redirects are not followed: the body (a secret) is not resent.
	f := newFake(t, func(string, string) (int, string, string) { return 0, "", "" })
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	})
	c = newClient(t)
	_, err = c.PutSecretString(ctx, "", "app/prod", secret.New("CANARY-redirected-value"))
	if err == nil || !strings.Contains(err.Error(), "redirect (307)") || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("a redirect: %v", err)
	}
	if hits != 0 {
		t.Errorf("the redirect was followed (%d requests reached its target)", hits)
	}
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		t.Errorf("a refused redirect reads as an AWS answer: %+v", ae)
	}
}
