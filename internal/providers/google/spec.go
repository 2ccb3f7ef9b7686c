package google

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/evidence"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/providers/google/googlesim"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// Name is the provider's name in inventories and playbooks.
const Name = "google"

// Environment variables the provider reads besides EnvAPIKeysURL and
// EnvGenerativeLanguageURL.
const (
	// EnvCredentials is Application Default Credentials' key file.
	EnvCredentials = "GOOGLE_APPLICATION_CREDENTIALS"
	// EnvProject is the project whose keys the key picker lists.
	EnvProject = "GOOGLE_CLOUD_PROJECT"
)

// partKey is the name of a Google credential's one part.
const partKey = "key"

func init() { provider.Register(Spec()) }

// Spec is what the Google Cloud API keys provider declares.
func Spec() provider.Spec {
	return provider.Spec{
		Name:    Name,
		Title:   "Google Cloud",
		KeyNoun: "API key",
		Summary: "Google Cloud API keys, Gemini API keys included (AIza…)",
		Scope: provider.ScopeSpec{
			Kind: "project", Field: "project", Example: "123456789012",
			Check: checkScope,
			Warn:  warnScope,
		},
		KeyID: provider.IDSpec{
			Pattern: keyNamePattern,
			Example: "projects/123456789012/locations/global/keys/8c3e1f2a-5b6d-4e7f-9a0b-1c2d3e4f5a6b",
			Shape:   "projects/…/locations/global/keys/…",
		},
		KeyNames:   true,
		Parts:      []provider.Part{{Name: partKey, Secret: true, Doc: "the API key (AIza…)"}},
		Paste:      paste,
		AlertTypes: []string{googlesim.SecretType},
		Env: []provider.EnvVar{
			{Name: EnvCredentials, Credential: true, Doc: "Application Default Credentials: a service account's key file (or run `gcloud auth application-default login`)"},
			{Name: EnvAPIKeysURL, Doc: "the API Keys API's base URL (default https://apikeys.googleapis.com/; the simulator's for drills)"},
			{Name: EnvGenerativeLanguageURL, Doc: "where keys are checked (default https://generativelanguage.googleapis.com; the simulator's for drills)"},
			{Name: EnvProject, Doc: "the project whose keys the interactive key picker lists"},
			{Name: "GOOGLE_API_KEY", Secret: true, Unread: true, Doc: "an API key: not read by respond, but masked and kept from child processes"},
			{Name: "GEMINI_API_KEY", Secret: true, Unread: true, Doc: "a Gemini API key: not read by respond, but masked and kept from child processes"},
		},
		Configured: configured,
		NotConfigured: "Google Cloud is not configured, and responding to a Google API key calls the API Keys API with Application Default Credentials: " +
			"set GOOGLE_APPLICATION_CREDENTIALS to a service account's key file, or run `gcloud auth application-default login`; " +
			"the principal needs the API Keys Admin role (roles/serviceusage.apiKeysAdmin) on the key's project",
		Caps: provider.Capabilities{
			Replace: provider.ByAPI, Contain: provider.Delete,
			// The plan says it with the command (PlanRevoke).
			Undo:        "undeletable for 30 days",
			VerifyByAPI: true,
			// The API Keys API reports neither a key's use nor its last
			// use: "unknown", never "never".
			Usage: false, LastUsed: false,
		},
		Verify: provider.VerifySpec{
			Method: checkMethod,
			Dead:   "400 API_KEY_INVALID",
			Live: "200, or 403 API_KEY_*_BLOCKED from a key whose restrictions forbid the call " +
				"(a new key can take a few minutes to start working)",
		},
		Advice: evidence.Advice{
			Console: "in the Google Cloud console (APIs & Services → Credentials) or with `gcloud services api-keys delete KEY_ID --project PROJECT`",
			Review: "Google's API reports no use per key: review the project's traffic for the window in the Cloud console " +
				"(APIs & Services → Metrics, filtered by credential) and its billing reports; ask Google Cloud support about charges to dispute.",
			AllowList:      allowListAll,
			AllowListTitle: allowListTitle,
		},
		Docs: "docs/providers/google.md",
		Fake: googlesim.New,
		New:  func(env *plugin.Env) provider.Provider { return adapter{env: env} },
	}
}

// keyStringRe is what a Google API key looks like: AIza and 35 more
// characters of [0-9A-Za-z_-].
var keyStringRe = regexp.MustCompile(`^AIza[0-9A-Za-z_-]{35}$`)

// paste recognizes a pasted Google API key: the key alone, or one line of
// a .env file or shell (NAME=value, quoted or not). A value that starts
// like one but is cut or broken is refused with what to paste (never
// quoting it).
func paste(raw string) (provider.Pasted, bool, error) {
	s, ok := provider.PastedValue(raw)
	if !ok || !strings.HasPrefix(s, "AIza") {
		return provider.Pasted{}, false, nil
	}
	if keyStringRe.MatchString(s) {
		return provider.Pasted{Credential: credentialOf(secret.New(s))}, true, nil
	}
	n := utf8.RuneCountInString(s)
	switch {
	case strings.ContainsAny(s, " \t"):
		return provider.Pasted{}, true, step.BadInputf("the key holds spaces or tabs, which a Google API key never does (was it wrapped when copied?); give the key as one unbroken string of 39 characters")
	case strings.IndexFunc(s, func(r rune) bool { return !isKeyChar(r) }) < 0:
		return provider.Pasted{}, true, step.BadInputf("the value starts like a Google API key but has %d characters, not 39 (AIza and 35 more): was it cut or run into other text when copied? give the whole key alone", n)
	case n > 39 && keyStringRe.MatchString(s[:39]):
		return provider.Pasted{}, true, step.BadInputf("the value starts with a Google API key followed by other text: give the key alone (39 characters, AIza…)")
	}
	return provider.Pasted{}, true, step.BadInputf("the value starts like a Google API key but is not one (AIza and 35 letters, digits, '-' or '_'): give the key exactly as the Cloud console shows it")
}

func isKeyChar(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_'
}

// credentialOf is a Google credential: its one secret part.
func credentialOf(v secret.Value) secret.Credential {
	return secret.NewCredential(Name, secret.SecretPart(partKey, v))
}

// projectNumberRe is a project number; projectIDRe a project ID.
var (
	projectNumberRe = regexp.MustCompile(`^[0-9]{1,20}$`)
	projectIDRe     = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
)

// checkScope validates an inventory's or a flag's project.
func checkScope(v string) error {
	if projectNumberRe.MatchString(v) || projectIDRe.MatchString(v) {
		return nil
	}
	return errors.New("give the Google Cloud project's number (e.g. 123456789012, as key names carry it) or its ID (e.g. my-project: " +
		"6 to 30 lower-case letters, digits and hyphens, starting with a letter)")
}

// warnScope warns of a project given by ID: key names carry the project's
// number, and a credential whose project differs from the key's is not
// matched to it by key_id.
func warnScope(v string) string {
	if projectNumberRe.MatchString(v) {
		return ""
	}
	return fmt.Sprintf("Google names keys by the project's number, not its ID: give the number "+
		"(`gcloud projects describe %s --format='value(projectNumber)'`) or leave `project` out (key_id names it), "+
		"so that the leaked key is matched to this credential", v)
}

// configured reports whether Application Default Credentials can be
// found without asking a metadata server: a key file named in the
// environment, gcloud's application-default login, or a simulator.
func configured(getenv func(string) string) bool {
	if getenv(EnvCredentials) != "" || getenv(EnvAPIKeysURL) != "" {
		return true
	}
	dir := getenv("CLOUDSDK_CONFIG")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".config", "gcloud")
		}
	}
	if dir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "application_default_credentials.json"))
	return err == nil
}
