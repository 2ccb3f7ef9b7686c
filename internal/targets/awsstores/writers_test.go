package awsstores_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/respondhq/respond/internal/plugins"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/awsapi/awstest"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/targets/awsstores"
	"github.com/respondhq/respond/steps"
)

// awsWorld starts moto with authentication on, and returns providers
// whose AWS client is respond's own (internal/awsapi), configured from the
// environment as credentials of a user allowed the given actions.
func awsWorld(t *testing.T, setup func(s *awstest.Server), actions ...string) (*awstest.Server, *plugin.Env) {
	t.Helper()
	s := awstest.Start(t)
	if setup != nil {
		setup(s)
	}
	s.CreateUser(t, "responder", actions...)
	k := s.CreateAccessKey(t, "responder")
	s.EnableAuth(t)
	return s, awsProviders(t, s, k)
}

func awsProviders(t *testing.T, s *awstest.Server, k awstest.Key) *plugin.Env {
	t.Helper()
	s.SetEnv(t, k)
	c, err := awsapi.New(context.Background(), awsapi.Options{MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	env := plugin.New(nil, nil, nil)
	env.Provide(awsapi.SharedKey, c)
	return env
}

var writerActions = []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
	"ssm:GetParameter", "ssm:DescribeParameters", "ssm:PutParameter", "sts:GetCallerIdentity", "iam:SimulatePrincipalPolicy"}

const jsonSecret = `{"DB_PASSWORD":"p@ss<&>\u00e9","OPENAI_API_KEY":"sk-old","nested":{"a":[1, 2]},"n":1.50}`

func isPreflight(err error) bool { return errors.Is(err, step.ErrPreflight) && step.IsPermanent(err) }

func TestAWSSecretsManagerWriterKey(t *testing.T) {
	ctx := context.Background()
	s, p := awsWorld(t, func(s *awstest.Server) { s.CreateSecret(t, "app/prod", jsonSecret, "") }, writerActions...)
	w := awsstores.NewSecretsManager(p)
	tg := target.New("aws-secretsmanager", map[string]any{"secret": "app/prod", "key": "OPENAI_API_KEY"})
	orig := s.Secret(t, "app/prod", "AWSCURRENT")

	if err := w.Check(ctx, tg); err != nil {
		t.Fatalf("check: %v", err)
	}
	ch, err := w.Plan(ctx, tg)
	if err != nil || ch.Action != step.Update || ch.Target != "aws-secretsmanager:app/prod#OPENAI_API_KEY" ||
		!strings.Contains(ch.Effect, "replace key OPENAI_API_KEY of secret app/prod") || !strings.Contains(ch.Effect, "other 3 key(s)") ||
		!strings.Contains(ch.Effect, orig.ID+" becomes AWSPREVIOUS") {
		t.Fatalf("plan: %+v %v", ch, err)
	}
	if st := s.SecretStages(t, "app/prod"); len(st) != 1 {
		t.Fatalf("check or plan wrote a version: %v", st)
	}

	values := []string{"sk-new-first-CANARY-0000000000", "sk-new-second-CANARY-111111111"}
	var versions []string
	for i, v := range values {
		res, err := w.Write(ctx, tg, secret.New(v))
		if err != nil || res.Created {
			t.Fatalf("write %d: %+v %v", i, res, err)
		}
		cur := s.Secret(t, "app/prod", "AWSCURRENT")
		want := `{"DB_PASSWORD":"p@ss<&>\u00e9","OPENAI_API_KEY":"` + v + `","nested":{"a":[1,2]},"n":1.50}`
		if cur.Value != want {
			t.Fatalf("write %d: the secret holds\n%s\nwant\n%s", i, cur.Value, want)
		}
		prevID := orig.ID
		if i > 0 {
			prevID = versions[i-1]
		}
		if !strings.Contains(res.Detail, "version "+cur.ID+" (AWSCURRENT)") || !strings.Contains(res.Detail, "version "+prevID+", labelled AWSPREVIOUS") ||
			!strings.Contains(res.Detail, "--move-to-version-id "+prevID) || strings.Contains(res.Detail, "CANARY") {
			t.Errorf("write %d: detail %q", i, res.Detail)
		}
		versions = append(versions, cur.ID)
	}
	prev := s.Secret(t, "app/prod", "AWSPREVIOUS")
	if prev.ID != versions[0] || !strings.Contains(prev.Value, `"OPENAI_API_KEY":"`+values[0]+`"`) {
		t.Errorf("AWSPREVIOUS is %s holding %s; want the first write", prev.ID, prev.Value)
	}
	// The same value again: no new version, AWSPREVIOUS stays.
	before := s.SecretStages(t, "app/prod")
	res, err := w.Write(ctx, tg, secret.New(values[1]))
	if err != nil || !strings.Contains(res.Detail, "already holds the value") {
		t.Fatalf("repeated write: %+v %v", res, err)
	}
	if after := s.SecretStages(t, "app/prod"); !reflect.DeepEqual(before, after) {
		t.Errorf("a repeated write changed the versions: %v -> %v", before, after)
	}

	// A key the secret lacks is added, last.
	add := target.New("aws-secretsmanager", map[string]any{"secret": "app/prod", "key": "ANTHROPIC_API_KEY", "region": awstest.Region})
	if ch, err := w.Plan(ctx, add); err != nil || ch.Action != step.Create || !strings.Contains(ch.Effect, "add key ANTHROPIC_API_KEY") || !strings.Contains(ch.Effect, "in us-east-1") {
		t.Errorf("plan of a new key: %+v %v", ch, err)
	}
	res, err = w.Write(ctx, add, secret.New("sk-ant-CANARY"))
	if err != nil || !res.Created {
		t.Fatalf("new key: %+v %v", res, err)
	}
	if cur := s.Secret(t, "app/prod", "AWSCURRENT"); !strings.HasSuffix(cur.Value, `"n":1.50,"ANTHROPIC_API_KEY":"sk-ant-CANARY"}`) || !strings.Contains(cur.Value, values[1]) {
		t.Errorf("after adding a key: %s", cur.Value)
	}
}

func TestAWSSecretsManagerWriterWhole(t *testing.T) {
	ctx := context.Background()
	s, p := awsWorld(t, func(s *awstest.Server) { s.CreateSecret(t, "app/openai", "sk-old-value", "alias/app") }, writerActions...)
	w := awsstores.NewSecretsManager(p)
	tg := target.New("aws-secretsmanager", map[string]any{"secret": "app/openai"})
	if err := w.Check(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if ch, err := w.Plan(ctx, tg); err != nil || ch.Action != step.Update || !strings.Contains(ch.Effect, "write a new version of secret app/openai") {
		t.Fatalf("plan: %+v %v", ch, err)
	}
	for _, v := range []string{"sk-first", "sk-second"} {
		if _, err := w.Write(ctx, tg, secret.New(v)); err != nil {
			t.Fatal(err)
		}
	}
	if cur, prev := s.Secret(t, "app/openai", "AWSCURRENT"), s.Secret(t, "app/openai", "AWSPREVIOUS"); cur.Value != "sk-second" || prev.Value != "sk-first" {
		t.Errorf("AWSCURRENT %q, AWSPREVIOUS %q", cur.Value, prev.Value)
	}
	n := len(s.SecretStages(t, "app/openai"))
	if res, err := w.Write(ctx, tg, secret.New("sk-second")); err != nil || !strings.Contains(res.Detail, "already holds") || len(s.SecretStages(t, "app/openai")) != n {
		t.Errorf("repeated write: %+v %v", res, err)
	}
}

func TestAWSSecretsManagerWriterProblems(t *testing.T) {
	ctx := context.Background()
	s, p := awsWorld(t, func(s *awstest.Server) {
		s.CreateSecret(t, "plain", "not json", "")
		s.CreateSecret(t, "array", `[1,2]`, "")
		s.CreateSecret(t, "dup", `{"A":"1","A":"2"}`, "")
		s.CreateSecret(t, "going", `{}`, "")
		s.DeleteSecret(t, "going")
		s.CreateSecret(t, "ok", `{"A":"1"}`, "")
	}, writerActions...)
	w := awsstores.NewSecretsManager(p)
	for _, tc := range []struct {
		t    target.Target
		want []string
	}{
		{target.New("aws-secretsmanager", map[string]any{"secret": "missing"}), []string{"secret missing does not exist (in the configured region)", "does not create them", "aws secretsmanager create-secret --name missing"}},
		{target.New("aws-secretsmanager", map[string]any{"secret": "missing", "region": "eu-west-1"}), []string{"does not exist in eu-west-1", "--region eu-west-1"}},
		{target.New("aws-secretsmanager", map[string]any{"secret": "plain", "key": "K"}), []string{"secret plain does not hold JSON", "leave key out"}},
		{target.New("aws-secretsmanager", map[string]any{"secret": "array", "key": "K"}), []string{"holds JSON an array, not an object"}},
		{target.New("aws-secretsmanager", map[string]any{"secret": "dup", "key": "K"}), []string{`key "A" twice`}},
		{target.New("aws-secretsmanager", map[string]any{"secret": "going"}), []string{"scheduled for deletion", "restore-secret --secret-id going"}},
	} {
		err := w.Check(ctx, tc.t)
		if !isPreflight(err) || !strings.HasPrefix(err.Error(), tc.t.ID()+": ") {
			t.Errorf("%s: check: %v; want a preflight problem naming the target", tc.t.ID(), err)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tc.t.ID(), err, s)
			}
		}
		if _, err := w.Write(ctx, tc.t, secret.New("sk-CANARY")); err == nil || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("%s: write: %v", tc.t.ID(), err)
		}
	}
	if ch, err := w.Plan(ctx, target.New("aws-secretsmanager", map[string]any{"secret": "missing"})); err != nil || ch.Action != step.Create || !strings.Contains(ch.Effect, "will fail until it is created") {
		t.Errorf("plan of a missing secret: %+v %v", ch, err)
	}
	if st := s.SecretStages(t, "plain"); len(st) != 1 {
		t.Errorf("a refused write changed secret plain: %v", st)
	}

	// Permissions: each missing one is named.
	ok := target.New("aws-secretsmanager", map[string]any{"secret": "ok", "key": "A"})
	for _, tc := range []struct {
		actions []string
		want    string
	}{
		{nil, "secretsmanager:DescribeSecret"},
		{[]string{"secretsmanager:DescribeSecret"}, "secretsmanager:GetSecretValue"},
	} {
		user := "weak" + string(rune('a'+len(tc.actions)))
		s.CreateUser(t, user, tc.actions...)
		wp := awsProviders(t, s, s.CreateAccessKey(t, user))
		err := awsstores.NewSecretsManager(wp).Check(ctx, ok)
		if !isPreflight(err) || !errors.Is(err, awsapi.ErrAccessDenied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("check with %v: %v; want a preflight problem naming %s", tc.actions, err, tc.want)
		}
	}
	// IAM's simulation is not implemented by moto, so a missing
	// PutSecretValue is found by the write, which names it.
	s.CreateUser(t, "reader", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "iam:SimulatePrincipalPolicy")
	wp := awsProviders(t, s, s.CreateAccessKey(t, "reader"))
	rw := awsstores.NewSecretsManager(wp)
	if err := rw.Check(ctx, ok); err != nil {
		t.Errorf("check of a reader (moto cannot tell it may not write): %v", err)
	}
	if _, err := rw.Write(ctx, ok, secret.New("x")); !errors.Is(err, awsapi.ErrAccessDenied) || !strings.Contains(err.Error(), "secretsmanager:PutSecretValue") {
		t.Errorf("write without permission: %v", err)
	}
	// Not configured.
	err := awsstores.NewSecretsManager(nil).Check(ctx, ok)
	if !isPreflight(err) || !strings.Contains(err.Error(), "AWS is not configured") {
		t.Errorf("no AWS: %v", err)
	}
}

func TestAWSSSMWriter(t *testing.T) {
	ctx := context.Background()
	s, p := awsWorld(t, func(s *awstest.Server) {
		s.PutParameter(t, "/app/openai", "sk-old", "SecureString", "alias/app")
		s.PutParameter(t, "/app/plain", "sk-old", "String", "")
	}, writerActions...)
	w := awsstores.NewSSM(p)
	tg := target.New("aws-ssm", map[string]any{"name": "/app/openai"})
	if err := w.Check(ctx, tg); err != nil {
		t.Fatal(err)
	}
	ch, err := w.Plan(ctx, tg)
	if err != nil || ch.Action != step.Update || ch.Target != "aws-ssm:/app/openai" || !strings.Contains(ch.Effect, "version 1 → 2") || !strings.Contains(ch.Effect, "its current KMS key alias/app") {
		t.Fatalf("plan: %+v %v", ch, err)
	}
	res, err := w.Write(ctx, tg, secret.New("sk-new-CANARY"))
	if err != nil || !strings.Contains(res.Detail, "as version 2, encrypted with KMS key alias/app") || !strings.Contains(res.Detail, "/app/openai:1") || strings.Contains(res.Detail, "CANARY") {
		t.Fatalf("write: %+v %v", res, err)
	}
	if got := s.Parameter(t, "/app/openai"); got.Value != "sk-new-CANARY" || got.Type != "SecureString" || got.KeyID != "alias/app" || got.Version != 2 {
		t.Fatalf("moto holds %+v; want the value, SecureString, its KMS key kept", got)
	}
	if res, err := w.Write(ctx, tg, secret.New("sk-new-CANARY")); err != nil || !strings.Contains(res.Detail, "already holds") || s.Parameter(t, "/app/openai").Version != 2 {
		t.Errorf("repeated write: %+v %v", res, err)
	}
	// A KMS key of the target's own.
	kms := target.New("aws-ssm", map[string]any{"name": "/app/openai", "kms_key_id": "alias/rotated", "region": awstest.Region})
	if ch, err := w.Plan(ctx, kms); err != nil || !strings.Contains(ch.Effect, "encrypted with KMS key alias/rotated") {
		t.Errorf("plan with kms_key_id: %+v %v", ch, err)
	}
	if _, err := w.Write(ctx, kms, secret.New("sk-new-CANARY")); err != nil {
		t.Fatal(err)
	}
	if got := s.Parameter(t, "/app/openai"); got.KeyID != "alias/rotated" || got.Version != 3 || got.Value != "sk-new-CANARY" {
		t.Errorf("with kms_key_id: %+v", got)
	}

	// Problems.
	for _, tc := range []struct {
		t    target.Target
		want []string
	}{
		{target.New("aws-ssm", map[string]any{"name": "/app/missing"}), []string{"parameter /app/missing does not exist", "does not create them", "--type SecureString"}},
		{target.New("aws-ssm", map[string]any{"name": "/app/plain"}), []string{"is a String, stored in clear", "make it a SecureString yourself"}},
	} {
		err := w.Check(ctx, tc.t)
		if !isPreflight(err) || !strings.HasPrefix(err.Error(), tc.t.ID()+": ") {
			t.Errorf("%s: check: %v", tc.t.ID(), err)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tc.t.ID(), err, s)
			}
		}
		if _, err := w.Write(ctx, tc.t, secret.New("sk-CANARY")); err == nil || strings.Contains(err.Error(), "CANARY") {
			t.Errorf("%s: write: %v", tc.t.ID(), err)
		}
	}
	if got := s.Parameter(t, "/app/plain"); got.Type != "String" || got.Value != "sk-old" {
		t.Errorf("a refused write changed /app/plain: %+v", got)
	}
	if ch, err := w.Plan(ctx, target.New("aws-ssm", map[string]any{"name": "/app/plain"})); err != nil || !strings.Contains(ch.Effect, "will refuse") {
		t.Errorf("plan of a String parameter: %+v %v", ch, err)
	}

	// Permissions.
	s.CreateUser(t, "none")
	err = awsstores.NewSSM(awsProviders(t, s, s.CreateAccessKey(t, "none"))).Check(ctx, tg)
	if !isPreflight(err) || !strings.Contains(err.Error(), "ssm:GetParameter") {
		t.Errorf("check without permissions: %v", err)
	}
	s.CreateUser(t, "nodescribe", "ssm:GetParameter", "ssm:PutParameter")
	np := awsProviders(t, s, s.CreateAccessKey(t, "nodescribe"))
	err = awsstores.NewSSM(np).Check(ctx, tg)
	if !isPreflight(err) || !strings.Contains(err.Error(), "give kms_key_id in the target, or allow ssm:DescribeParameters") {
		t.Errorf("check without ssm:DescribeParameters: %v", err)
	}
	if err := (awsstores.NewSSM(np)).Check(ctx, kms); err != nil {
		t.Errorf("with kms_key_id, ssm:DescribeParameters is not needed: %v", err)
	}
}

// TestAWSWritersRegistered: deploy and preflight reach the AWS writers.
func TestAWSWritersRegistered(t *testing.T) {
	deploy, ok := steps.Catalog().Lookup("deploy")
	if !ok {
		t.Fatal("no deploy kind")
	}
	for _, tg := range []target.Target{
		target.New("aws-secretsmanager", map[string]any{"secret": "app/prod", "key": "K"}),
		target.New("aws-ssm", map[string]any{"name": "/app/key"}),
	} {
		call := &step.Call{Params: map[string]any{"target": tg.Map()}, Secrets: secret.NewRegistry(), Dir: t.TempDir()}
		_, err := deploy.Plan(context.Background(), call)
		if err == nil || !strings.Contains(err.Error(), "AWS") || !strings.Contains(err.Error(), tg.ID()) {
			t.Errorf("%s: deploy plan without AWS: %v; want the AWS writer's message", tg.ID(), err)
		}
	}
}
