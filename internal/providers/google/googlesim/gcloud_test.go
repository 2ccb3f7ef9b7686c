package googlesim_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// TestGcloudSeesTheSameWorld reads the fake through a second official
// client, gcloud, when it is installed.
func TestGcloudSeesTheSameWorld(t *testing.T) {
	gcloud, err := exec.LookPath("gcloud")
	if err != nil {
		t.Skip("gcloud is not installed")
	}
	t.Parallel()
	w := startWorld(t, 6, googlesim.New)
	k, err := w.fake.IssueKey(simapi.IssueRequest{Name: "mobile", Attrs: map[string]string{
		"key_id": "mobile-key", "ios_bundle_ids": "com.example.ios", "api_targets": "generativelanguage.googleapis.com=ListModels"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(w.fake.IssueAccessToken()), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), gcloud, append(args, "--format=json", "--access-token-file="+tokenFile)...)
		cmd.Env = append(os.Environ(),
			"CLOUDSDK_CONFIG="+filepath.Join(dir, "config"),
			"CLOUDSDK_API_ENDPOINT_OVERRIDES_APIKEYS="+w.env[googlesim.EnvGcloudOverride],
			"CLOUDSDK_CORE_DISABLE_PROMPTS=1",
			"CLOUDSDK_CORE_CHECK_GCE_METADATA=false",
			"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
			"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
			"CLOUDSDK_CORE_PROJECT="+googlesim.DefaultProject,
		)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("gcloud %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}

	var list []struct {
		Name         string `json:"name"`
		DisplayName  string `json:"displayName"`
		Restrictions struct {
			IosKeyRestrictions struct {
				AllowedBundleIds []string `json:"allowedBundleIds"`
			} `json:"iosKeyRestrictions"`
			APITargets []struct {
				Service string   `json:"service"`
				Methods []string `json:"methods"`
			} `json:"apiTargets"`
		} `json:"restrictions"`
	}
	if err := json.Unmarshal(run("services", "api-keys", "list"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != k.ID || list[0].DisplayName != "mobile" ||
		len(list[0].Restrictions.IosKeyRestrictions.AllowedBundleIds) != 1 ||
		list[0].Restrictions.APITargets[0].Methods[0] != "ListModels" {
		t.Errorf("gcloud list = %+v, want the key %s with its restrictions", list, k.ID)
	}

	var described struct {
		Name, UID string
	}
	if err := json.Unmarshal(run("services", "api-keys", "describe", "mobile-key"), &described); err != nil || described.Name != k.ID {
		t.Errorf("gcloud describe = %+v, %v", described, err)
	}

	var looked struct {
		Name, Parent string
	}
	if err := json.Unmarshal(run("services", "api-keys", "lookup", k.Value), &looked); err != nil || looked.Name != k.ID {
		t.Errorf("gcloud lookup = %+v, %v", looked, err)
	}
}
