package awsstores_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/respondhq/respond/internal/awsapi/awstest"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"
	"github.com/respondhq/respond/internal/targets/awsstores"
)

// TestConformance runs the target conformance suite for aws-secretsmanager
// and aws-ssm against moto, with authentication on: the world is what
// moto holds, read with the AWS SDK as the administrator (never through
// internal/awsapi, the writers' client), and a user with no policy at all
// has credentials that may not write. A Secrets Manager place is a key of
// one JSON secret that starts with a key every write must keep (respond
// writes existing secrets, never creates them); an SSM place is a
// SecureString parameter, which respond overwrites and does not create,
// so Place seeds it with another value.
func TestConformance(t *testing.T) {
	s := awstest.Start(t)
	s.CreateSecret(t, "conformance/app", `{"KEEP":"kept"}`, "")
	s.CreateUser(t, "responder", writerActions...)
	responder := s.CreateAccessKey(t, "responder")
	s.CreateUser(t, "nobody")
	nobody := s.CreateAccessKey(t, "nobody")
	s.EnableAuth(t)
	// The SDK reads its credentials from the process's environment when
	// a client is built: the responder's first, then nobody's.
	env := awsProviders(t, s, responder)
	denied := awsProviders(t, s, nobody)
	cfg := s.Config(s.Admin)
	sm, ps := secretsmanager.NewFromConfig(cfg), ssm.NewFromConfig(cfg)
	world := func(t testing.TB) map[string]string { return motoWorld(t, sm, ps) }
	secrets := []string{responder.Secret, nobody.Secret, s.Admin.Secret}

	t.Run(awsstores.SecretsManager, func(t *testing.T) {
		spec, _ := target.Lookup(awsstores.SecretsManager)
		conformance.Run(t, conformance.Harness{
			Spec:   spec,
			Writer: spec.New(env),
			Place: func(t testing.TB, name string) target.Target {
				return target.New(awsstores.SecretsManager, map[string]any{"secret": "conformance/app", "key": name})
			},
			Holds: func(t testing.TB, tg target.Target) (string, bool) {
				v, ok := world(t)["secretsmanager "+tg.Str("secret")+"#"+tg.Str("key")]
				return v, ok
			},
			World: world,
			Denied: func(t testing.TB, name string) target.Target {
				return target.New(awsstores.SecretsManager, map[string]any{"secret": "conformance/missing", "key": name})
			},
			DeniedWriter: spec.New(denied),
			Secrets:      secrets,
		})
	})
	t.Run(awsstores.SSM, func(t *testing.T) {
		spec, _ := target.Lookup(awsstores.SSM)
		conformance.Run(t, conformance.Harness{
			Spec:   spec,
			Writer: spec.New(env),
			Place: func(t testing.TB, name string) target.Target {
				s.PutParameter(t, "/conformance/"+name, "seeded-"+name, "SecureString", "alias/conformance")
				return target.New(awsstores.SSM, map[string]any{"name": "/conformance/" + name})
			},
			Holds: func(t testing.TB, tg target.Target) (string, bool) {
				v, ok := world(t)["ssm "+tg.Str("name")+" (SecureString, alias/conformance)"]
				return v, ok
			},
			World: world,
			Denied: func(t testing.TB, name string) target.Target {
				return target.New(awsstores.SSM, map[string]any{"name": "/conformance/missing/" + name})
			},
			DeniedWriter: spec.New(denied),
			Secrets:      secrets,
		})
	})
}

// motoWorld is what moto holds: each key of a JSON secret's current
// version ("secretsmanager NAME#KEY"; a secret that is no JSON object as
// "secretsmanager NAME"), and each parameter's value, decrypted, named
// with its type and KMS key ("ssm NAME (TYPE, KEY)").
func motoWorld(t testing.TB, sm *secretsmanager.Client, ps *ssm.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	w := map[string]string{}
	list, err := sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatalf("moto: list secrets: %v", err)
	}
	for _, e := range list.SecretList {
		name := aws.ToString(e.Name)
		v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: e.ARN})
		if err != nil {
			t.Fatalf("moto: read secret %s: %v", name, err)
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(aws.ToString(v.SecretString)), &obj) != nil {
			w["secretsmanager "+name] = aws.ToString(v.SecretString)
			continue
		}
		for k, raw := range obj {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				s = string(raw)
			}
			w["secretsmanager "+name+"#"+k] = s
		}
	}
	var next *string
	for {
		d, err := ps.DescribeParameters(ctx, &ssm.DescribeParametersInput{NextToken: next, MaxResults: aws.Int32(50)})
		if err != nil {
			t.Fatalf("moto: describe parameters: %v", err)
		}
		for _, p := range d.Parameters {
			v, err := ps.GetParameter(ctx, &ssm.GetParameterInput{Name: p.Name, WithDecryption: aws.Bool(true)})
			if err != nil {
				t.Fatalf("moto: read parameter %s: %v", aws.ToString(p.Name), err)
			}
			w[fmt.Sprintf("ssm %s (%s, %s)", aws.ToString(p.Name), p.Type, aws.ToString(p.KeyId))] = aws.ToString(v.Parameter.Value)
		}
		if next = d.NextToken; next == nil {
			break
		}
	}
	return w
}
