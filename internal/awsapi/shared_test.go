package awsapi

import (
	"os"
	"path/filepath"
	"testing"
)

// TestConfiguredReadsTheSharedFiles: a default profile in the shared
// files configures AWS as it does the AWS CLI, without AWS_PROFILE;
// another profile alone, or no file, does not.
func TestConfiguredReadsTheSharedFiles(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	getenv := func(k string) string { return env[k] }
	if Configured(getenv) {
		t.Fatal("configured with no variable and no shared file")
	}
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(home, ".aws", "config")
	if err := os.WriteFile(cfg, []byte("[profile staging]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if Configured(getenv) {
		t.Error("configured by a profile other than the default, which the CLI does not use without AWS_PROFILE")
	}
	if err := os.WriteFile(cfg, []byte("[profile staging]\n[ profile  default ]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !Configured(getenv) {
		t.Error("a default profile in ~/.aws/config does not configure AWS")
	}
	creds := filepath.Join(t.TempDir(), "creds")
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = map[string]string{"HOME": t.TempDir(), "AWS_SHARED_CREDENTIALS_FILE": creds}
	if !Configured(getenv) {
		t.Error("a default profile in AWS_SHARED_CREDENTIALS_FILE does not configure AWS")
	}
	env = map[string]string{"AWS_PROFILE": "x"}
	if !Configured(getenv) {
		t.Error("AWS_PROFILE does not configure AWS")
	}
}
