// Package awstest runs moto (https://github.com/getmoto/moto), a real
// implementation of the AWS APIs that respond did not write, as a local
// server for tests: `python3 -m moto.server` on a free loopback port,
// stopped when the test ends. Tests point respond's AWS client (or the
// respond binary) at it with the environment Env returns, and set up and
// read its state with the helpers here, which talk to moto with the AWS
// SDK directly, never through internal/awsapi (the code under test).
//
// # What moto does and does not do (checked with moto 5.2.1)
//
// TestMotoFacts checks each of these against the moto on this machine, so
// that an upgrade that changes one is noticed.
//
//   - Authentication is off by default: any key and any signature are
//     accepted. moto checks signatures and IAM policies only after its
//     first INITIAL_NO_AUTH_ACTION_COUNT calls (an environment variable,
//     default infinity), or once POST /moto-api/reset-auth with the body
//     "0" (Content-Type text/plain: a form body reads as empty and moto
//     answers 500) resets the count. Start leaves authentication off so
//     that tests can create users, keys, secrets and parameters;
//     EnableAuth turns it on. From then on the dummy root credentials are
//     refused too (InvalidClientTokenId), which is why Start creates an
//     administrator user (Server.Admin) whose key works before and after.
//   - With authentication on: an unknown or deleted access key gets
//     InvalidClientTokenId (403), a wrong secret SignatureDoesNotMatch
//     (403), and a call the caller's policies do not allow AccessDenied
//     (403). For the JSON services (Secrets Manager, SSM) moto sends that
//     AccessDenied as an XML body the JSON protocol cannot read: the Go
//     SDK reports a 403 whose body failed to decode, with no error code
//     (awsapi classifies a 403 without a code as access denied).
//   - moto accepts an INACTIVE key as if it were active, for STS and every
//     other service; real AWS refuses it with InvalidClientTokenId. So with
//     moto, "the key is contained" after a deactivation can be proved only
//     from IAM's key status (ListAccessKeys says Inactive); STS proves it
//     only after deletion. Tests must say which of the two they rely on.
//   - sts:GetCallerIdentity needs no permission (as in AWS): a key whose
//     user has no policy at all still gets its ARN. moto cannot produce an
//     AccessDenied for it; awsapi's tests use a recorded AWS answer for
//     that case.
//   - AWS managed policies (arn:aws:iam::aws:policy/…) do not exist unless
//     moto starts with MOTO_IAM_LOAD_MANAGED_POLICIES=true: attaching one
//     fails with NoSuchEntity. Use inline policies (CreateUser,
//     PutUserPolicy).
//   - IAM: a third access key for a user fails with LimitExceeded (409),
//     as in AWS (two keys per user). GetAccessKeyLastUsed of a key never
//     used answers ServiceName and Region "N/A" and no date.
//   - iam:SimulatePrincipalPolicy is not implemented (500).
//   - CloudTrail LookupEvents is not implemented (500, an HTML body).
//   - Secrets Manager: PutSecretValue moves AWSPREVIOUS to the version that
//     was AWSCURRENT, as AWS does; the same ClientRequestToken with the
//     same value is a no-op returning the same version, with another value
//     ResourceExistsException. It accepts a write to a secret scheduled for
//     deletion (AWS refuses it with InvalidRequestException).
//   - SSM: a SecureString is "encrypted" as "kms:KEY:VALUE" (what
//     GetParameter without decryption returns); any KeyId is accepted
//     without a KMS key existing; DescribeParameters reports the KeyId.
//   - State that the APIs do not show can be read without authentication
//     from GET /moto-api/data.json (IAM access keys with their status, for
//     one); Secrets Manager and SSM are not in it.
package awstest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// Region is the region the server's environment names.
const Region = "us-east-1"

// Account is moto's default account ID.
const Account = "123456789012"

// T is what the helpers need of a test: testing.TB and testscript's
// TestScript both have it.
type T interface {
	Fatalf(format string, args ...any)
}

// PythonEnv names the Python interpreter that runs moto (default
// python3); .ci/run sets it to the one that has moto.
const PythonEnv = "RESPOND_MOTO_PYTHON"

// python is the interpreter that runs moto.
func python() string {
	if p := os.Getenv(PythonEnv); p != "" {
		return p
	}
	return "python3"
}

var (
	availOnce sync.Once
	availErr  error
)

// Available reports whether moto's server and boto3 can be imported by
// python3, and if not, why.
func Available() error {
	availOnce.Do(func() {
		if _, err := exec.LookPath(python()); err != nil {
			availErr = fmt.Errorf("%s is not in PATH: moto (the AWS implementation the AWS tests run against) needs Python 3 with the moto and boto3 packages (or set %s to a python3 that has them)", python(), PythonEnv)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, python(), "-c", "import moto.server, boto3").CombinedOutput()
		if err != nil {
			availErr = fmt.Errorf("%s cannot import moto.server and boto3 (%v: %s): install them (pip install 'moto[server]' boto3, or Debian's python3-moto python3-boto3)",
				python(), err, strings.TrimSpace(lastLine(string(out))))
		}
	})
	return availErr
}

// Require skips the test when moto is not available, except when the CI
// environment variable is set: there a missing moto fails the test, since
// .ci/run makes sure it is installed.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; CI is set, so this is a failure (.ci/run checks for moto before the tests)", err)
		}
		t.Skipf("%v; set CI to make this a failure", err)
	}
}

// Key is an access key pair.
type Key struct {
	User   string
	ID     string
	Secret string
}

// Server is a running moto server.
type Server struct {
	// URL is its endpoint, http://127.0.0.1:PORT.
	URL string
	// Admin is the access key of an IAM user whose inline policy allows
	// everything. It works before and after EnableAuth.
	Admin Key

	cmd     *exec.Cmd
	logPath string
	recPath string
	// clockPath holds IAM's clock offset (Options.Clock).
	clockPath string
	done      chan struct{}
	hc        *http.Client

	iam  *iam.Client
	sm   *secretsmanager.Client
	ssmc *ssm.Client
}

// Options configure StartServer.
type Options struct {
	// Dir holds moto's log and request recording (default: a new
	// temporary directory, removed by Close).
	Dir string
	// Env is added to moto's environment, e.g.
	// MOTO_IAM_LOAD_MANAGED_POLICIES=true.
	Env []string
	// Clock lets SetClock move IAM's clock (moto has no way to make a key
	// that is already old): moto runs under a wrapper that shifts the
	// times IAM stamps (keys' creation, their last use, the credential
	// report) by an offset read from a file.
	Clock bool
}

// clockWrapper runs moto's server with IAM's clock shifted by the
// seconds the file RESPOND_MOTO_CLOCK holds (0 when it is missing).
const clockWrapper = `
import datetime, os, sys
import moto.iam.models as _iam
_orig = _iam.utcnow
_path = os.environ["RESPOND_MOTO_CLOCK"]
def _shifted():
    try:
        with open(_path) as f:
            off = float(f.read().strip() or 0)
    except OSError:
        off = 0.0
    return _orig() + datetime.timedelta(seconds=off)
_iam.utcnow = _shifted
from moto.server import main
main(sys.argv[1:])
`

// Start starts moto for the test (see Require for when moto is missing)
// and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	Require(t)
	s, err := StartServer(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// runningRe is werkzeug's line once it listens.
var runningRe = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)

// StartServer starts `python3 -m moto.server` on a free loopback port
// (port 0: the kernel picks it, and werkzeug prints it), waits until it
// answers, and creates the administrator user. The caller must Close it.
func StartServer(o Options) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	dir, ownDir := o.Dir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "moto-")
		if err != nil {
			return nil, fmt.Errorf("moto: creating a directory for its log: %w", err)
		}
		dir, ownDir = d, true
	}
	s := &Server{
		logPath: filepath.Join(dir, "moto.log"),
		recPath: filepath.Join(dir, "moto-recording.jsonl"),
		done:    make(chan struct{}),
		hc:      &http.Client{Timeout: 30 * time.Second},
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("moto: creating its log: %w", err)
	}
	cmd := exec.Command(python(), "-m", "moto.server", "-H", "127.0.0.1", "-p", "0")
	cmd.Env = append(motoEnv(), "MOTO_RECORDER_FILEPATH="+s.recPath)
	if o.Clock {
		s.clockPath = filepath.Join(dir, "iam-clock")
		cmd = exec.Command(python(), "-c", clockWrapper, "-H", "127.0.0.1", "-p", "0")
		cmd.Env = append(motoEnv(), "MOTO_RECORDER_FILEPATH="+s.recPath, "RESPOND_MOTO_CLOCK="+s.clockPath)
	}
	cmd.Env = append(cmd.Env, o.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("moto: starting %s -m moto.server: %w", python(), err)
	}
	logf.Close()
	s.cmd = cmd
	go func() { _ = cmd.Wait(); close(s.done) }()
	if ownDir {
		go func() { <-s.done; os.RemoveAll(dir) }()
	}

	deadline := time.Now().Add(60 * time.Second)
	for s.URL == "" {
		b, _ := os.ReadFile(s.logPath)
		if m := runningRe.FindSubmatch(b); m != nil {
			s.URL = string(m[1])
			break
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("moto exited before listening: %s", s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("moto did not start listening within 60s: %s", s.logTail())
		}
	}
	for {
		resp, err := s.hc.Get(s.URL + "/moto-api/reset-auth")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("moto at %s does not answer: %v: %s", s.URL, err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.createAdmin(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// motoEnv is this process's environment without anything that would
// change moto's behaviour unasked (authentication, AWS credentials).
func motoEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "INITIAL_NO_AUTH_ACTION_COUNT" || strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "MOTO_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Close stops moto (its whole process group: SIGTERM, then SIGKILL after
// 5s) and waits for it.
func (s *Server) Close() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-s.done
	}
}

// Log returns what moto has printed (one line per request).
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

func (s *Server) logTail() string {
	l := strings.TrimSpace(s.Log())
	if len(l) > 2000 {
		l = "…" + l[len(l)-2000:]
	}
	if l == "" {
		return "(it printed nothing)"
	}
	return l
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Env is the environment that points the AWS SDK (and so respond) at the
// server with key k: endpoint, region and the key, and nothing from the
// machine's own AWS configuration (no shared config or credentials file,
// no profile, no instance metadata).
func (s *Server) Env(k Key) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + k.ID,
		"AWS_SECRET_ACCESS_KEY=" + k.Secret,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// SetEnv sets Env(k) for the test (t.Setenv), and unsets the variables
// of the machine that would change what the SDK does.
func (s *Server) SetEnv(t testing.TB, k Key) {
	t.Helper()
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	for _, kv := range s.Env(k) {
		name, v, _ := strings.Cut(kv, "=")
		t.Setenv(name, v)
	}
}

// Config is an SDK configuration for the server with key k, for tests
// that call AWS themselves.
func (s *Server) Config(k Key) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""),
		BaseEndpoint: aws.String(s.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// rootKey is accepted by moto only while authentication is off.
var rootKey = Key{User: "root", ID: "AKIAIOSFODNN7EXAMPLE", Secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

// AdminUser is the name of the administrator user Start creates.
const AdminUser = "respond-test-admin"

func (s *Server) createAdmin() error {
	ctx := context.Background()
	c := iam.NewFromConfig(s.Config(rootKey))
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(AdminUser)}); err != nil {
		return fmt.Errorf("moto: creating the administrator user: %w (%s)", err, s.logTail())
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(AdminUser), PolicyName: aws.String("everything"),
		PolicyDocument: aws.String(Policy([]string{"*"}, nil))}); err != nil {
		return fmt.Errorf("moto: giving the administrator its policy: %w", err)
	}
	out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(AdminUser)})
	if err != nil {
		return fmt.Errorf("moto: creating the administrator's key: %w", err)
	}
	s.Admin = Key{User: AdminUser, ID: aws.ToString(out.AccessKey.AccessKeyId), Secret: aws.ToString(out.AccessKey.SecretAccessKey)}
	s.iam = iam.NewFromConfig(s.Config(s.Admin))
	s.sm = secretsmanager.NewFromConfig(s.Config(s.Admin))
	s.ssmc = ssm.NewFromConfig(s.Config(s.Admin))
	return nil
}

// SetClock moves IAM's clock by offset (negative: into the past) for
// what IAM stamps from now on: keys created and used, until the next
// SetClock. The server must have been started with Options.Clock.
func (s *Server) SetClock(t T, offset time.Duration) {
	if s.clockPath == "" {
		t.Fatalf("moto: SetClock needs a server started with Options.Clock")
	}
	if err := os.WriteFile(s.clockPath, []byte(fmt.Sprintf("%f", offset.Seconds())), 0o600); err != nil {
		t.Fatalf("moto: setting IAM's clock: %v", err)
	}
}

// AttachUserPolicy attaches a managed policy to a user (AWS managed ones
// need MOTO_IAM_LOAD_MANAGED_POLICIES=true in Options.Env).
func (s *Server) AttachUserPolicy(t T, user, arn string) {
	if _, err := s.iam.AttachUserPolicy(context.Background(), &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("moto: attaching %s to %s: %v", arn, user, err)
	}
}

// EnableAuth makes moto check every later call: its signature, its key
// (unknown and deleted keys are refused; inactive ones are not, see the
// package comment) and the caller's IAM policies.
func (s *Server) EnableAuth(t T) {
	if err := s.motoAPI("reset-auth", "0"); err != nil {
		t.Fatalf("moto: enabling authentication: %v", err)
	}
}

// DisableAuth turns authentication off again.
func (s *Server) DisableAuth(t T) {
	if err := s.motoAPI("reset-auth", "inf"); err != nil {
		t.Fatalf("moto: disabling authentication: %v", err)
	}
}

func (s *Server) motoAPI(path, body string) error {
	resp, err := s.hc.Post(s.URL+"/moto-api/"+path, "text/plain", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /moto-api/%s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// Policy is an IAM policy document allowing allow and denying deny, on
// every resource.
func Policy(allow, deny []string) string {
	type stmt struct {
		Effect   string
		Action   []string
		Resource string
	}
	doc := struct {
		Version   string
		Statement []stmt
	}{Version: "2012-10-17"}
	if len(allow) > 0 {
		doc.Statement = append(doc.Statement, stmt{"Allow", allow, "*"})
	}
	if len(deny) > 0 {
		doc.Statement = append(doc.Statement, stmt{"Deny", deny, "*"})
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// CreateUser creates an IAM user whose inline policy allows the given
// actions (e.g. "iam:ListAccessKeys", "secretsmanager:*") on every
// resource; no actions, no policy.
func (s *Server) CreateUser(t T, name string, allow ...string) {
	ctx := context.Background()
	if _, err := s.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("moto: creating user %s: %v", name, err)
	}
	if len(allow) > 0 {
		s.PutUserPolicy(t, name, "allow", Policy(allow, nil))
	}
}

// PutUserPolicy sets an inline policy of a user.
func (s *Server) PutUserPolicy(t T, user, name, doc string) {
	if _, err := s.iam.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{
		UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatalf("moto: putting policy %s on user %s: %v", name, user, err)
	}
}

// CreateAccessKey creates an access key for user.
func (s *Server) CreateAccessKey(t T, user string) Key {
	out, err := s.iam.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatalf("moto: creating an access key for %s: %v", user, err)
	}
	return Key{User: user, ID: aws.ToString(out.AccessKey.AccessKeyId), Secret: aws.ToString(out.AccessKey.SecretAccessKey)}
}

// SetKeyStatus sets a key's status ("Active" or "Inactive").
func (s *Server) SetKeyStatus(t T, k Key, status string) {
	if _, err := s.iam.UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{
		UserName: aws.String(k.User), AccessKeyId: aws.String(k.ID), Status: iamStatus(status)}); err != nil {
		t.Fatalf("moto: setting key %s of %s %s: %v", k.ID, k.User, status, err)
	}
}

// KeyState is an access key as moto holds it.
type KeyState struct {
	ID, User, Status string
}

// listAccessKeys is IAM ListAccessKeys for user, tried again when the
// connection to moto failed (its server closes idle kept-alive
// connections, and the test's client retries nothing): the tests read the
// world through it, and a lost connection is not the world's state.
func (s *Server) listAccessKeys(user string) (*iam.ListAccessKeysOutput, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var out *iam.ListAccessKeysOutput
		out, err = s.iam.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
		var apiErr smithy.APIError
		if err == nil || errors.As(err, &apiErr) {
			return out, err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, err
}

// UserKeys lists a user's access keys with IAM ListAccessKeys (signed by
// Admin, so Requests leaves it out by default). Unlike AccessKeys it does
// not list deleted keys.
func (s *Server) UserKeys(t T, user string) []KeyState {
	out, err := s.listAccessKeys(user)
	if err != nil {
		t.Fatalf("moto: listing the access keys of %s: %v", user, err)
		return nil
	}
	var keys []KeyState
	for _, k := range out.AccessKeyMetadata {
		keys = append(keys, KeyState{ID: aws.ToString(k.AccessKeyId), User: user, Status: string(k.Status)})
	}
	return keys
}

// AccessKeys returns every access key moto's model data holds: no API
// call, so nothing is recorded and authentication does not apply. moto's
// model data keeps every key object ever made, deleted ones included
// (with the status they had): use UserKeys to tell whether a key exists.
func (s *Server) AccessKeys(t T) []KeyState {
	var data struct {
		IAM struct {
			AccessKey []struct {
				ID     string `json:"access_key_id"`
				User   string `json:"user_name"`
				Status string `json:"status"`
			}
		} `json:"iam"`
	}
	s.modelData(t, &data)
	var out []KeyState
	for _, k := range data.IAM.AccessKey {
		if k.User == AdminUser {
			continue
		}
		out = append(out, KeyState{ID: k.ID, User: k.User, Status: k.Status})
	}
	return out
}

// KeyWorks is the world's truth of an access key pair, for tests that must
// not take respond's word: known is whether moto ever issued keyID; live
// whether the key exists (ListAccessKeys of its user, signed by Admin),
// is Active and secretKey is its secret. moto would accept an inactive
// key (see the package comment): this is what AWS would decide.
func (s *Server) KeyWorks(keyID, secretKey string) (user string, live, known bool, err error) {
	var data struct {
		IAM struct {
			AccessKey []struct {
				ID     string `json:"access_key_id"`
				Secret string `json:"secret_access_key"`
				User   string `json:"user_name"`
			}
		} `json:"iam"`
	}
	if err := s.getModelData(&data); err != nil {
		return "", false, false, err
	}
	var secretOK bool
	for _, k := range data.IAM.AccessKey {
		if k.ID == keyID {
			user, known, secretOK = k.User, true, k.Secret == secretKey
		}
	}
	if !known {
		return "", false, false, nil
	}
	out, err := s.listAccessKeys(user)
	if err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			return user, false, true, nil
		}
		return user, false, true, fmt.Errorf("moto: listing the access keys of %s: %w", user, err)
	}
	for _, k := range out.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == keyID {
			return user, secretOK && k.Status == iamtypes.StatusTypeActive, true, nil
		}
	}
	return user, false, true, nil
}

// ModelData decodes GET /moto-api/data.json into v.
func (s *Server) modelData(t T, v any) {
	if err := s.getModelData(v); err != nil {
		t.Fatalf("%v", err)
	}
}

func (s *Server) getModelData(v any) error {
	resp, err := s.hc.Get(s.URL + "/moto-api/data.json")
	if err != nil {
		return fmt.Errorf("moto: reading its state: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("moto: decoding its state: %w", err)
	}
	return nil
}

// CreateSecret creates a Secrets Manager secret holding value, encrypted
// with kmsKeyID (empty: the default key), and returns its ARN.
func (s *Server) CreateSecret(t T, name, value, kmsKeyID string) string {
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}
	if kmsKeyID != "" {
		in.KmsKeyId = aws.String(kmsKeyID)
	}
	out, err := s.sm.CreateSecret(context.Background(), in)
	if err != nil {
		t.Fatalf("moto: creating secret %s: %v", name, err)
		return ""
	}
	return aws.ToString(out.ARN)
}

// SecretVersion is one version of a secret.
type SecretVersion struct {
	ID     string
	Value  string
	Stages []string
}

// Secret returns the version of a secret that has the stage (AWSCURRENT,
// AWSPREVIOUS).
func (s *Server) Secret(t T, id, stage string) SecretVersion {
	out, err := s.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatalf("moto: reading %s of secret %s: %v", stage, id, err)
		return SecretVersion{}
	}
	return SecretVersion{ID: aws.ToString(out.VersionId), Value: aws.ToString(out.SecretString), Stages: out.VersionStages}
}

// SecretStages returns the stages of every version of a secret, by
// version ID.
func (s *Server) SecretStages(t T, id string) map[string][]string {
	out, err := s.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatalf("moto: describing secret %s: %v", id, err)
		return nil
	}
	return out.VersionIdsToStages
}

// DeleteSecret schedules a secret for deletion (recovery window 7 days).
func (s *Server) DeleteSecret(t T, id string) {
	if _, err := s.sm.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(id), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatalf("moto: deleting secret %s: %v", id, err)
	}
}

// PutParameter creates or overwrites an SSM parameter of the given type
// (String, SecureString), with kmsKeyID for a SecureString (empty: the
// default key).
func (s *Server) PutParameter(t T, name, value, typ, kmsKeyID string) {
	in := &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterType(typ), Overwrite: aws.Bool(true)}
	if kmsKeyID != "" {
		in.KeyId = aws.String(kmsKeyID)
	}
	if _, err := s.ssmc.PutParameter(context.Background(), in); err != nil {
		t.Fatalf("moto: putting parameter %s: %v", name, err)
	}
}

// Parameter is an SSM parameter as moto holds it.
type Parameter struct {
	Value   string // decrypted
	Type    string
	Version int64
	KeyID   string // SecureString: the KMS key it is encrypted with
}

// Parameter reads an SSM parameter, decrypted, with its KMS key.
func (s *Server) Parameter(t T, name string) Parameter {
	ctx := context.Background()
	out, err := s.ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatalf("moto: reading parameter %s: %v", name, err)
		return Parameter{}
	}
	p := Parameter{Value: aws.ToString(out.Parameter.Value), Type: string(out.Parameter.Type), Version: out.Parameter.Version}
	d, err := s.ssmc.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Values: []string{name}}}})
	if err != nil {
		t.Fatalf("moto: describing parameter %s: %v", name, err)
		return p
	}
	if len(d.Parameters) == 1 {
		p.KeyID = aws.ToString(d.Parameters[0].KeyId)
	}
	return p
}

// StartRecording makes moto record every later request (until
// StopRecording), for Requests.
func (s *Server) StartRecording(t T) {
	if err := s.motoAPI("recorder/reset-recording", ""); err != nil {
		t.Fatalf("moto: resetting the recording: %v", err)
	}
	if err := s.motoAPI("recorder/start-recording", ""); err != nil {
		t.Fatalf("moto: starting the recording: %v", err)
	}
}

// StopRecording stops recording requests.
func (s *Server) StopRecording(t T) {
	if err := s.motoAPI("recorder/stop-recording", ""); err != nil {
		t.Fatalf("moto: stopping the recording: %v", err)
	}
}

// Request is one recorded request: which API action, by which key.
type Request struct {
	Service string // the signing name: iam, sts, secretsmanager, ssm, cloudtrail
	Action  string // e.g. GetCallerIdentity, PutSecretValue
	KeyID   string // the access key that signed it
}

var credRe = regexp.MustCompile(`Credential=([A-Z0-9]+)/\d+/[^/]+/([a-z0-9-]+)/`)

// Requests returns the requests recorded since StartRecording, without
// those the helpers of this package sent (signed by Admin: pass
// withAdmin to keep them).
func (s *Server) Requests(t T, withAdmin bool) []Request {
	f, err := os.Open(s.recPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("moto: reading the recording: %v", err)
		return nil
	}
	defer f.Close()
	var out []Request
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e struct {
			Headers     map[string]string `json:"headers"`
			Body        string            `json:"body"`
			BodyEncoded bool              `json:"body_encoded"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("moto: a recorded request is not JSON: %v", err)
			return nil
		}
		h := map[string]string{}
		for k, v := range e.Headers {
			h[strings.ToLower(k)] = v
		}
		var r Request
		if m := credRe.FindStringSubmatch(h["authorization"]); m != nil {
			r.KeyID, r.Service = m[1], m[2]
		}
		if tgt := h["x-amz-target"]; tgt != "" {
			_, r.Action, _ = strings.Cut(tgt, ".")
		} else {
			body := e.Body
			if e.BodyEncoded {
				b, _ := base64.StdEncoding.DecodeString(body)
				body = string(b)
			}
			for _, kv := range strings.Split(body, "&") {
				if v, ok := strings.CutPrefix(kv, "Action="); ok {
					r.Action = v
				}
			}
		}
		if r.KeyID == s.Admin.ID && !withAdmin {
			continue
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("moto: reading the recording: %v", err)
	}
	return out
}

func iamStatus(s string) iamtypes.StatusType { return iamtypes.StatusType(s) }
