package awsstores

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/awsapi"
	"github.com/respondhq/respond/internal/plugin"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/target"
)

var (
	_ target.Writer          = SecretsManagerWriter{}
	_ target.MultiPartWriter = SecretsManagerWriter{}
	_ target.Reader          = SecretsManagerWriter{}
	_ target.Writer          = SSMWriter{}
	_ target.Reader          = SSMWriter{}
)

// awsClient returns the AWS client, or an error saying how to configure
// one. what names the target for the message.
func awsClient(env *plugin.Env, what string) (API, error) {
	if env == nil {
		return nil, step.Errorf("%s: AWS is not configured: set AWS credentials as the AWS CLI reads them "+
			"(AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and AWS_REGION", what)
	}
	c, err := plugin.SharedAs[API](env, awsapi.SharedKey, awsapi.Build(env))
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	return c, nil
}

// awsCheckFailed reports a check that could not be made: client errors
// (no permission, bad credentials) are preflight problems; network and
// server errors are not, so the engine may retry.
func awsCheckFailed(id string, err error) error {
	if errors.Is(err, awsapi.ErrAccessDenied) || step.IsPermanent(err) {
		return target.Preflightf(err, "%s: %v", id, err)
	}
	return fmt.Errorf("%s: %w", id, err)
}

// awsWhere is " in REGION" for messages, or "" when the target uses the
// configured region.
func awsWhere(t target.Target) string {
	r := t.Str("region")
	if r == "" {
		r, _ = ARNRegion(t.Str("secret"), "secretsmanager")
	}
	if r == "" && t.Type == SSM {
		r, _ = ARNRegion(t.Str("name"), "ssm")
	}
	if r == "" {
		return " (in the configured region)"
	}
	return " in " + r
}

// regionFlag is " --region R" for the commands messages suggest.
func regionFlag(t target.Target) string {
	if t.Str("region") == "" {
		return ""
	}
	return " --region " + t.Str("region")
}

// SecretsManagerWriter writes a credential to an AWS Secrets Manager
// secret (aws-secretsmanager targets): the whole secret string, or one key
// of a JSON object, keeping every other key and its value as they are, in
// order (whitespace aside: the object is written compact).
// Each write is a new version (PutSecretValue): Secrets Manager labels the
// version that was current AWSPREVIOUS, and the result names it, for
// rollback. respond does not create secrets: one that does not exist is a
// preflight problem. A secret that already holds the value is not written
// again, so that a repeated deploy keeps AWSPREVIOUS on the value before
// the incident.
type SecretsManagerWriter struct{ env *plugin.Env }

// Check implements TargetWriter: the secret exists, is not scheduled for
// deletion, holds a string (and a JSON object, for key), can be read
// where the write needs it, and IAM does not deny the write where it can
// tell.
func (w SecretsManagerWriter) Check(ctx context.Context, t target.Target) error {
	if err := t.Validate(); err != nil {
		return step.Permanent(err)
	}
	id := t.ID()
	aws, err := awsClient(w.env, id)
	if err != nil {
		return target.Preflightf(err, "%v", err)
	}
	d, err := aws.DescribeSecret(ctx, t.Str("region"), t.Str("secret"))
	switch {
	case errors.Is(err, step.ErrNotFound):
		return target.Preflightf(err, "%s: secret %s does not exist%s: respond writes new versions of existing secrets and does not create them; "+
			"create it (aws secretsmanager create-secret --name %s%s --secret-string …) or fix the inventory (name, region, account)",
			id, t.Str("secret"), awsWhere(t), t.Str("secret"), regionFlag(t))
	case err != nil:
		return awsCheckFailed(id, err)
	case d.Deleted != nil:
		return target.Preflightf(nil, "%s: secret %s is scheduled for deletion on %s: restore it (aws secretsmanager restore-secret --secret-id %s%s) or remove the target",
			id, t.Str("secret"), d.Deleted.UTC().Format(time.DateOnly), t.Str("secret"), regionFlag(t))
	}
	jsonKeys := smKeys(t)
	cur, err := aws.GetSecretValue(ctx, t.Str("region"), t.Str("secret"))
	switch {
	case err != nil && jsonKeys == "" && errors.Is(err, awsapi.ErrAccessDenied):
		// A whole-string write does not need to read.
	case err != nil && jsonKeys != "" && errors.Is(err, awsapi.ErrAccessDenied):
		return target.Preflightf(err, "%s: writing key %s means reading the secret to keep its other keys, and the credentials may not (%v)", id, jsonKeys, err)
	case err != nil:
		return awsCheckFailed(id, err)
	case cur.Binary:
		return target.Preflightf(nil, "%s: secret %s holds a binary value (SecretBinary), and respond writes strings: "+
			"point the target at a string secret, or convert this one yourself", id, t.Str("secret"))
	case jsonKeys != "":
		if _, err := parseJSONObject(cur.String.Reveal()); err != nil {
			return target.Preflightf(nil, "%s: secret %s %v, so respond cannot set its key %s: leave key out to write the whole secret, or make the secret a JSON object",
				id, t.Str("secret"), err, jsonKeys)
		}
	}
	p, err := aws.Permitted(ctx, "secretsmanager:PutSecretValue", d.ARN, false)
	if err != nil {
		return awsCheckFailed(id, err)
	}
	if p.Decision == awsapi.Denied {
		return target.Preflightf(nil, "%s: the credentials may not write secret %s (%s): allow secretsmanager:PutSecretValue on it", id, t.Str("secret"), p.Reason)
	}
	return nil
}

// Plan implements TargetWriter.
func (w SecretsManagerWriter) Plan(ctx context.Context, t target.Target) (step.Change, error) {
	if err := t.Validate(); err != nil {
		return step.Change{}, err
	}
	aws, err := awsClient(w.env, t.ID())
	if err != nil {
		return step.Change{}, err
	}
	ch := step.Change{Action: step.Update, Target: t.ID()}
	d, err := aws.DescribeSecret(ctx, t.Str("region"), t.Str("secret"))
	switch {
	case errors.Is(err, step.ErrNotFound):
		ch.Action = step.Create
		ch.Effect = fmt.Sprintf("secret %s does not exist%s, and respond does not create secrets: this write will fail until it is created", t.Str("secret"), awsWhere(t))
		return ch, nil
	case err != nil:
		return step.Change{}, fmt.Errorf("%s: %w", t.ID(), err)
	}
	prev := "the current version"
	if d.CurrentVersion != "" {
		prev = "the current version " + d.CurrentVersion
	}
	if len(t.Keys()) > 0 {
		ch.Effect = fmt.Sprintf("set keys %s of secret %s%s, keeping its other keys, as one new version; %s becomes AWSPREVIOUS", smKeys(t), t.Str("secret"), awsWhere(t), prev)
		return ch, nil
	}
	if t.Str("key") == "" {
		ch.Effect = fmt.Sprintf("write a new version of secret %s%s; %s becomes AWSPREVIOUS", t.Str("secret"), awsWhere(t), prev)
		return ch, nil
	}
	ch.Effect = fmt.Sprintf("set key %s of secret %s%s, keeping its other keys, as a new version; %s becomes AWSPREVIOUS", t.Str("key"), t.Str("secret"), awsWhere(t), prev)
	if cur, err := aws.GetSecretValue(ctx, t.Str("region"), t.Str("secret")); err == nil && !cur.Binary {
		if obj, err := parseJSONObject(cur.String.Reveal()); err == nil {
			if _, has := obj.get(t.Str("key")); !has {
				ch.Action = step.Create
				ch.Effect = fmt.Sprintf("add key %s to secret %s%s, keeping its other %d key(s), as a new version; %s becomes AWSPREVIOUS",
					t.Str("key"), t.Str("secret"), awsWhere(t), len(obj), prev)
			} else {
				ch.Effect = fmt.Sprintf("replace key %s of secret %s%s, keeping its other %d key(s), as a new version; %s becomes AWSPREVIOUS",
					t.Str("key"), t.Str("secret"), awsWhere(t), len(obj)-1, prev)
			}
		}
	}
	return ch, nil
}

// smKeys names the JSON keys a target sets ("" for the whole secret).
func smKeys(t target.Target) string {
	if t.Str("key") != "" {
		return t.Str("key")
	}
	keys := make([]string, 0, len(t.Keys()))
	for k, part := range t.Keys() {
		keys = append(keys, k+" ("+part+")")
	}
	sort.Strings(keys)
	return strings.Join(keys, " and ")
}

// Write implements TargetWriter.
func (w SecretsManagerWriter) Write(ctx context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	if t.Str("key") != "" {
		return w.write(ctx, t, v, map[string]secret.Value{t.Str("key"): v})
	}
	return w.write(ctx, t, v, nil)
}

// WriteParts implements MultiPartWriter: several keys of a JSON secret
// (an AWS key's ID and secret, say) in one new version.
func (w SecretsManagerWriter) WriteParts(ctx context.Context, t target.Target, values map[string]secret.Value) (target.WriteResult, error) {
	if len(values) == 0 {
		return target.WriteResult{}, step.Errorf("%s: no keys to write", t.ID())
	}
	return w.write(ctx, t, secret.Value{}, values)
}

// write stores v as the whole secret, or (keys non-empty) each value under
// its key of the secret's JSON object, keeping the other keys.
func (w SecretsManagerWriter) write(ctx context.Context, t target.Target, v secret.Value, keys map[string]secret.Value) (target.WriteResult, error) {
	if err := t.Validate(); err != nil {
		return target.WriteResult{}, err
	}
	id := t.ID()
	empty := v.IsZero() && len(keys) == 0
	for _, kv := range keys {
		empty = empty || kv.IsZero()
	}
	if empty {
		return target.WriteResult{}, step.Errorf("%s: refusing to write an empty value to secret %s", id, t.Str("secret"))
	}
	aws, err := awsClient(w.env, id)
	if err != nil {
		return target.WriteResult{}, err
	}
	d, err := aws.DescribeSecret(ctx, t.Str("region"), t.Str("secret"))
	if errors.Is(err, step.ErrNotFound) {
		return target.WriteResult{}, step.Errorf("%s: secret %s does not exist%s, and respond does not create secrets: create it (aws secretsmanager create-secret --name %s%s) and run again",
			id, t.Str("secret"), awsWhere(t), t.Str("secret"), regionFlag(t))
	}
	if err != nil {
		return target.WriteResult{}, fmt.Errorf("%s: %w", id, err)
	}
	if d.Deleted != nil {
		return target.WriteResult{}, step.Errorf("%s: secret %s is scheduled for deletion: restore it (aws secretsmanager restore-secret --secret-id %s%s) and run again",
			id, t.Str("secret"), t.Str("secret"), regionFlag(t))
	}
	cur, rerr := aws.GetSecretValue(ctx, t.Str("region"), t.Str("secret"))
	if rerr != nil && (len(keys) > 0 || !errors.Is(rerr, awsapi.ErrAccessDenied)) {
		return target.WriteResult{}, fmt.Errorf("%s: %w", id, rerr)
	}
	if rerr == nil && cur.Binary {
		return target.WriteResult{}, step.Errorf("%s: secret %s holds a binary value (SecretBinary), and respond writes strings: point the target at a string secret", id, t.Str("secret"))
	}
	what := "secret " + t.Str("secret")
	next, created := v, false
	if len(keys) > 0 {
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		what = "key " + strings.Join(names, " and ") + " of secret " + t.Str("secret")
		if len(names) > 1 {
			what = "keys " + strings.Join(names, " and ") + " of secret " + t.Str("secret")
		}
		obj, err := parseJSONObject(cur.String.Reveal())
		if err != nil {
			return target.WriteResult{}, step.Errorf("%s: secret %s %v, so respond cannot set its key %s: leave key out to write the whole secret, or make the secret a JSON object",
				id, t.Str("secret"), err, strings.Join(names, " and "))
		}
		same := true
		for _, k := range names {
			old, has := obj.get(k)
			if !has {
				created = true
			}
			if !has || !jsonStringIs(old, keys[k].Reveal()) {
				same = false
			}
		}
		if same {
			return target.WriteResult{Detail: fmt.Sprintf("%s already holds the value (version %s is AWSCURRENT); nothing written, AWSPREVIOUS is still version %s",
				what, cur.VersionID, orNone(d.PreviousVersion))}, nil
		}
		merged := cur.String.Reveal()
		for _, k := range names {
			o, err := parseJSONObject(merged)
			if err != nil {
				return target.WriteResult{}, fmt.Errorf("%s: %w", id, err)
			}
			if merged, err = o.set(k, keys[k].Reveal()); err != nil {
				return target.WriteResult{}, fmt.Errorf("%s: %w", id, err)
			}
		}
		next = secret.New(merged)
	} else if rerr == nil && cur.String.Equal(v) {
		return target.WriteResult{Detail: fmt.Sprintf("%s already holds the value (version %s is AWSCURRENT); nothing written, AWSPREVIOUS is still version %s",
			what, cur.VersionID, orNone(d.PreviousVersion))}, nil
	}
	ver, err := aws.PutSecretString(ctx, t.Str("region"), t.Str("secret"), next)
	if err != nil {
		return target.WriteResult{}, fmt.Errorf("%s: %w", id, err)
	}
	read := d.CurrentVersion
	if rerr == nil {
		read = cur.VersionID
	}
	detail := fmt.Sprintf("wrote %s as version %s (AWSCURRENT)", what, ver)
	after, err := aws.DescribeSecret(ctx, t.Str("region"), t.Str("secret"))
	switch {
	case err != nil:
		detail += fmt.Sprintf("; version %s, current before, should now be AWSPREVIOUS (could not confirm: %v)", orNone(read), err)
	case after.PreviousVersion != "":
		detail += fmt.Sprintf("; the previous value is version %s, labelled AWSPREVIOUS; to roll back: aws secretsmanager update-secret-version-stage --secret-id %s%s "+
			"--version-stage AWSCURRENT --move-to-version-id %s --remove-from-version-id %s", after.PreviousVersion, t.Str("secret"), regionFlag(t), after.PreviousVersion, ver)
		if read != "" && after.PreviousVersion != read {
			detail += fmt.Sprintf("; WARNING: respond read version %s, not %s: another write happened meanwhile, check the secret", read, after.PreviousVersion)
		}
	}
	return target.WriteResult{Created: created, Detail: detail}, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// jsonObject is a JSON object's members in order, each value as written.
type jsonObject []jsonMember

type jsonMember struct {
	key    string          // decoded
	rawKey string          // as written
	raw    json.RawMessage // the value as written
}

// parseJSONObject parses s as one JSON object, keeping its members'
// order and their values as written. The error says what s is instead
// (without quoting it: it is a secret).
func parseJSONObject(s string) (jsonObject, error) {
	if !json.Valid([]byte(s)) {
		return nil, errors.New("does not hold JSON")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, errors.New("does not hold JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("holds JSON %s, not an object", jsonKind(tok))
	}
	var obj jsonObject
	seen := map[string]bool{}
	for dec.More() {
		start := dec.InputOffset()
		kt, err := dec.Token()
		if err != nil {
			return nil, errors.New("does not hold valid JSON")
		}
		key, _ := kt.(string)
		rawKey := strings.Trim(s[start:dec.InputOffset()], " \t\r\n,")
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.New("does not hold valid JSON")
		}
		if seen[key] {
			return nil, fmt.Errorf("holds a JSON object with key %q twice", key)
		}
		seen[key] = true
		obj = append(obj, jsonMember{key, rawKey, raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, errors.New("does not hold valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("holds more than one JSON value")
	}
	return obj, nil
}

func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true/false"
	case nil:
		return "null"
	}
	return "a value"
}

func (o jsonObject) get(key string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.key == key {
			return m.raw, true
		}
	}
	return nil, false
}

// set returns the object, compact, with key set to the string v (added
// last when absent). The other members keep their order and bytes.
func (o jsonObject) set(key, v string) (string, error) {
	enc := func(x any) ([]byte, error) {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		if err := e.Encode(x); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
	}
	if !utf8.ValidString(key) || !utf8.ValidString(v) {
		return "", errors.New("the key or the value is not valid UTF-8, which a JSON string cannot hold as it is")
	}
	val, err := enc(v)
	if err != nil {
		return "", errors.New("the value cannot be written as a JSON string")
	}
	out := append(jsonObject(nil), o...)
	found := false
	for i := range out {
		if out[i].key == key {
			out[i].raw, found = val, true
		}
	}
	if !found {
		k, _ := enc(key)
		out = append(out, jsonMember{key, string(k), val})
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range out {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.rawKey)
		b.WriteByte(':')
		if err := json.Compact(&b, m.raw); err != nil {
			return "", errors.New("the secret's JSON cannot be rewritten")
		}
	}
	b.WriteByte('}')
	return b.String(), nil
}

// jsonStringIs reports whether raw is the JSON string s.
func jsonStringIs(raw json.RawMessage, s string) bool {
	var got string
	return json.Unmarshal(raw, &got) == nil && got == s
}

// SSMWriter writes a credential to an SSM Parameter Store parameter
// (aws-ssm targets) as a SecureString, overwriting it: PutParameter with
// the target's kms_key_id, or else the KMS key that encrypts the
// parameter now, so that a rotation never silently moves it to the
// account's default key. The parameter must exist and be a SecureString:
// respond neither creates parameters nor turns a String (stored in clear,
// read without decryption) into a SecureString behind its readers' backs.
// SSM keeps earlier versions, readable as NAME:VERSION, for rollback. A
// parameter that already holds the value is not written again.
type SSMWriter struct{ env *plugin.Env }

// Check implements TargetWriter.
func (w SSMWriter) Check(ctx context.Context, t target.Target) error {
	if err := t.Validate(); err != nil {
		return step.Permanent(err)
	}
	id := t.ID()
	aws, err := awsClient(w.env, id)
	if err != nil {
		return target.Preflightf(err, "%v", err)
	}
	p, err := aws.GetParameter(ctx, t.Str("region"), t.Str("name"), false)
	if err != nil {
		return ssmProblem(t, err)
	}
	if p.Type != "SecureString" {
		return target.Preflightf(nil, "%s: parameter %s is a %s, stored in clear, and a secret must not be: make it a SecureString yourself "+
			"(aws ssm put-parameter --name %s%s --type SecureString --overwrite --value …, and have its readers ask for decryption) or point the target at a SecureString",
			id, t.Str("name"), p.Type, t.Str("name"), regionFlag(t))
	}
	if t.Str("kms_key_id") == "" {
		if _, err := aws.DescribeParameter(ctx, t.Str("region"), t.Str("name")); err != nil {
			if errors.Is(err, awsapi.ErrAccessDenied) {
				return target.Preflightf(err, "%s: respond keeps a parameter's KMS key, but cannot read which key encrypts %s (%v): give kms_key_id in the target, or allow ssm:DescribeParameters",
					id, t.Str("name"), err)
			}
			return awsCheckFailed(id, err)
		}
	}
	perm, err := aws.Permitted(ctx, "ssm:PutParameter", p.ARN, true)
	if err != nil {
		return awsCheckFailed(id, err)
	}
	if perm.Decision == awsapi.Denied {
		return target.Preflightf(nil, "%s: the credentials may not write parameter %s (%s): allow ssm:PutParameter on it", id, t.Str("name"), perm.Reason)
	}
	return nil
}

// ssmProblem words a failed GetParameter of a check.
func ssmProblem(t target.Target, err error) error {
	if errors.Is(err, step.ErrNotFound) {
		return target.Preflightf(err, "%s: parameter %s does not exist%s: respond overwrites existing parameters and does not create them; "+
			"create it (aws ssm put-parameter --name %s%s --type SecureString --value …) or fix the inventory (name, region, account)",
			t.ID(), t.Str("name"), awsWhere(t), t.Str("name"), regionFlag(t))
	}
	return awsCheckFailed(t.ID(), err)
}

// Plan implements TargetWriter.
func (w SSMWriter) Plan(ctx context.Context, t target.Target) (step.Change, error) {
	if err := t.Validate(); err != nil {
		return step.Change{}, err
	}
	aws, err := awsClient(w.env, t.ID())
	if err != nil {
		return step.Change{}, err
	}
	ch := step.Change{Action: step.Update, Target: t.ID()}
	p, err := aws.GetParameter(ctx, t.Str("region"), t.Str("name"), false)
	switch {
	case errors.Is(err, step.ErrNotFound):
		ch.Action = step.Create
		ch.Effect = fmt.Sprintf("parameter %s does not exist%s, and respond does not create parameters: this write will fail until it is created", t.Str("name"), awsWhere(t))
		return ch, nil
	case err != nil:
		return step.Change{}, fmt.Errorf("%s: %w", t.ID(), err)
	case p.Type != "SecureString":
		ch.Effect = fmt.Sprintf("parameter %s%s is a %s (stored in clear): respond will refuse to write a secret to it", t.Str("name"), awsWhere(t), p.Type)
		return ch, nil
	}
	key := t.Str("kms_key_id")
	if key == "" {
		key = "its current KMS key"
		if d, err := aws.DescribeParameter(ctx, t.Str("region"), t.Str("name")); err == nil && d.KMSKeyID != "" {
			key = "its current KMS key " + d.KMSKeyID
		}
	} else {
		key = "KMS key " + key
	}
	ch.Effect = fmt.Sprintf("overwrite SecureString parameter %s%s (version %d → %d), encrypted with %s; version %d stays readable for rollback",
		t.Str("name"), awsWhere(t), p.Version, p.Version+1, key, p.Version)
	return ch, nil
}

// Write implements TargetWriter.
func (w SSMWriter) Write(ctx context.Context, t target.Target, v secret.Value) (target.WriteResult, error) {
	if err := t.Validate(); err != nil {
		return target.WriteResult{}, err
	}
	id := t.ID()
	if v.IsZero() {
		return target.WriteResult{}, step.Errorf("%s: refusing to write an empty value to parameter %s", id, t.Str("name"))
	}
	aws, err := awsClient(w.env, id)
	if err != nil {
		return target.WriteResult{}, err
	}
	p, err := aws.GetParameter(ctx, t.Str("region"), t.Str("name"), false)
	switch {
	case errors.Is(err, step.ErrNotFound):
		return target.WriteResult{}, step.Errorf("%s: parameter %s does not exist%s, and respond does not create parameters: create it as a SecureString "+
			"(aws ssm put-parameter --name %s%s --type SecureString --value …) and run again", id, t.Str("name"), awsWhere(t), t.Str("name"), regionFlag(t))
	case err != nil:
		return target.WriteResult{}, fmt.Errorf("%s: %w", id, err)
	case p.Type != "SecureString":
		return target.WriteResult{}, step.Errorf("%s: parameter %s is a %s, stored in clear: respond writes secrets only to SecureString parameters; make it one yourself and run again",
			id, t.Str("name"), p.Type)
	}
	d, err := aws.DescribeParameter(ctx, t.Str("region"), t.Str("name"))
	if err != nil && t.Str("kms_key_id") == "" {
		return target.WriteResult{}, fmt.Errorf("%s: cannot tell which KMS key encrypts parameter %s, so as not to change it: %w; give kms_key_id in the target", id, t.Str("name"), err)
	}
	key := t.Str("kms_key_id")
	if key == "" {
		key = d.KMSKeyID
	}
	// The same value under the same key: nothing to do. Reading it needs
	// kms:Decrypt, which a writer may lack; then write.
	if cur, err := aws.GetParameter(ctx, t.Str("region"), t.Str("name"), true); err == nil && cur.Value.Equal(v) && (t.Str("kms_key_id") == "" || d.KMSKeyID == t.Str("kms_key_id")) {
		return target.WriteResult{Detail: fmt.Sprintf("parameter %s already holds the value (version %d); nothing written", t.Str("name"), cur.Version)}, nil
	}
	ver, err := aws.PutSecureParameter(ctx, t.Str("region"), t.Str("name"), v, key)
	if err != nil {
		return target.WriteResult{}, fmt.Errorf("%s: %w", id, err)
	}
	keyNote := "the account's default key"
	if key != "" {
		keyNote = "KMS key " + key
	}
	return target.WriteResult{Detail: fmt.Sprintf("wrote SecureString parameter %s as version %d, encrypted with %s; the previous value is version %d (%s:%d) for rollback",
		t.Str("name"), ver, keyNote, p.Version, t.Str("name"), p.Version)}, nil
}

// Read implements target.Reader: the secret's current string, or the
// value of its JSON key (for keys:, the key holding part).
func (w SecretsManagerWriter) Read(ctx context.Context, t target.Target, part string) (secret.Value, error) {
	aws, err := awsClient(w.env, t.ID())
	if err != nil {
		return secret.Value{}, err
	}
	cur, err := aws.GetSecretValue(ctx, t.Str("region"), t.Str("secret"))
	if err != nil {
		return secret.Value{}, err
	}
	if cur.Binary {
		return secret.Value{}, fmt.Errorf("%s holds a binary value", t.ID())
	}
	key := t.Str("key")
	for k, p := range t.Keys() {
		if p == part {
			key = k
		}
	}
	if key == "" {
		return cur.String, nil
	}
	obj, err := parseJSONObject(cur.String.Reveal())
	if err != nil {
		return secret.Value{}, fmt.Errorf("%s: %v", t.ID(), err)
	}
	raw, ok := obj.get(key)
	if !ok {
		return secret.Value{}, step.ErrNotFound
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return secret.Value{}, fmt.Errorf("%s: key %s does not hold a string", t.ID(), key)
	}
	return secret.New(v), nil
}

// Read implements target.Reader: the parameter's value, decrypted.
func (w SSMWriter) Read(ctx context.Context, t target.Target, _ string) (secret.Value, error) {
	aws, err := awsClient(w.env, t.ID())
	if err != nil {
		return secret.Value{}, err
	}
	p, err := aws.GetParameter(ctx, t.Str("region"), t.Str("name"), true)
	if err != nil {
		return secret.Value{}, err
	}
	return p.Value, nil
}
