package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/respondhq/respond/internal/secret"
)

// Staging labels of Secrets Manager.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

func (c *Client) smFor(region, what string) (*secretsmanager.Client, string, error) {
	r, err := c.region(region, what)
	if err != nil {
		return nil, "", err
	}
	cl, err := c.secretsManager(r)
	return cl, r, err
}

func (c *Client) ssmFor(region, what string) (*ssm.Client, string, error) {
	r, err := c.region(region, what)
	if err != nil {
		return nil, "", err
	}
	cl, err := c.parameterStore(r)
	return cl, r, err
}

// DescribeSecret is part of the secret stores' client.
func (c *Client) DescribeSecret(ctx context.Context, region, id string) (Secret, error) {
	what := "describing secret " + id
	cl, r, err := c.smFor(region, what)
	if err != nil {
		return Secret{}, err
	}
	out, err := cl.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		return Secret{}, c.fail(op{"Secrets Manager", what + " in " + r, "secretsmanager:DescribeSecret"}, err)
	}
	s := Secret{ARN: aws.ToString(out.ARN), Name: aws.ToString(out.Name), KMSKeyID: aws.ToString(out.KmsKeyId),
		Versions: map[string][]string{}, Deleted: out.DeletedDate}
	for v, stages := range out.VersionIdsToStages {
		s.Versions[v] = append([]string(nil), stages...)
		for _, st := range stages {
			switch st {
			case StageCurrent:
				s.CurrentVersion = v
			case StagePrevious:
				s.PreviousVersion = v
			}
		}
	}
	return s, nil
}

// GetSecretValue is part of the secret stores' client.
func (c *Client) GetSecretValue(ctx context.Context, region, id string) (SecretValue, error) {
	what := "reading the current value of secret " + id
	cl, r, err := c.smFor(region, what)
	if err != nil {
		return SecretValue{}, err
	}
	out, err := cl.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String(StageCurrent)})
	if err != nil {
		return SecretValue{}, c.fail(op{"Secrets Manager", what + " in " + r, "secretsmanager:GetSecretValue (and kms:Decrypt on its KMS key)"}, err)
	}
	v := SecretValue{VersionID: aws.ToString(out.VersionId), String: secret.New(aws.ToString(out.SecretString))}
	if out.SecretString == nil && out.SecretBinary != nil {
		v.Binary = true
	}
	return v, nil
}

// PutSecretString is part of the secret stores' client. The SDK sets a
// ClientRequestToken once per call, so a retried attempt is applied once.
func (c *Client) PutSecretString(ctx context.Context, region, id string, v secret.Value) (string, error) {
	what := "writing a new version of secret " + id
	if v.IsZero() {
		return "", permanent(fmt.Errorf("AWS Secrets Manager: %s: refusing to write an empty value", what))
	}
	cl, r, err := c.smFor(region, what)
	if err != nil {
		return "", err
	}
	out, err := cl.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(v.Reveal())})
	if err != nil {
		return "", c.fail(op{"Secrets Manager", what + " in " + r, "secretsmanager:PutSecretValue (and kms:GenerateDataKey on its KMS key)"}, err)
	}
	return aws.ToString(out.VersionId), nil
}

// GetParameter is part of the secret stores' client. Without decryption the
// value of a SecureString is left out (AWS would give its ciphertext).
func (c *Client) GetParameter(ctx context.Context, region, name string, decrypt bool) (Parameter, error) {
	what := "reading parameter " + name
	cl, r, err := c.ssmFor(region, what)
	if err != nil {
		return Parameter{}, err
	}
	out, err := cl.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
	if err != nil {
		action := "ssm:GetParameter"
		if decrypt {
			action += " (and kms:Decrypt on its KMS key)"
		}
		return Parameter{}, c.fail(op{"SSM", what + " in " + r, action}, err)
	}
	p := out.Parameter
	if p == nil {
		return Parameter{}, fmt.Errorf("AWS SSM: %s in %s: the answer holds no parameter", what, r)
	}
	res := Parameter{Name: aws.ToString(p.Name), ARN: aws.ToString(p.ARN), Type: string(p.Type), Version: p.Version}
	if decrypt || p.Type != ssmtypes.ParameterTypeSecureString {
		res.Value = secret.New(aws.ToString(p.Value))
	}
	return res, nil
}

// DescribeParameter is part of the secret stores' client.
func (c *Client) DescribeParameter(ctx context.Context, region, name string) (Parameter, error) {
	what := "describing parameter " + name
	cl, r, err := c.ssmFor(region, what)
	if err != nil {
		return Parameter{}, err
	}
	out, err := cl.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}}})
	if err != nil {
		return Parameter{}, c.fail(op{"SSM", what + " in " + r, "ssm:DescribeParameters"}, err)
	}
	for _, p := range out.Parameters {
		if aws.ToString(p.Name) != name {
			continue
		}
		return Parameter{Name: name, ARN: aws.ToString(p.ARN), Type: string(p.Type), Version: p.Version, KMSKeyID: aws.ToString(p.KeyId)}, nil
	}
	return Parameter{}, permanent(&Error{Service: "SSM", Op: what + " in " + r, Code: "ParameterNotFound", Status: 400,
		Hint: "it does not exist: check the name, the region and the account"})
}

// PutSecureParameter is part of the secret stores' client.
func (c *Client) PutSecureParameter(ctx context.Context, region, name string, v secret.Value, kmsKeyID string) (int64, error) {
	what := "writing SecureString parameter " + name
	if v.IsZero() {
		return 0, permanent(fmt.Errorf("AWS SSM: %s: refusing to write an empty value", what))
	}
	cl, r, err := c.ssmFor(region, what)
	if err != nil {
		return 0, err
	}
	in := &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(v.Reveal()), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)}
	if kmsKeyID != "" {
		in.KeyId = aws.String(kmsKeyID)
	}
	out, err := cl.PutParameter(ctx, in)
	if err != nil {
		return 0, c.fail(op{"SSM", what + " in " + r, "ssm:PutParameter (and kms:Encrypt on its KMS key)"}, err)
	}
	return out.Version, nil
}
