package google

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/respondhq/respond/internal/provider"
	"github.com/respondhq/respond/internal/step"
)

const testKey = "AIzaSyA1234567890abcdefghijklmnopq_rs-u"

func TestPasteRecognizesGoogleKeys(t *testing.T) {
	t.Parallel()
	if len(testKey) != 39 {
		t.Fatalf("the test key has %d characters", len(testKey))
	}
	for _, in := range []string{
		testKey,
		"  " + testKey + "\n",
		"\ufeff" + testKey,
		"GOOGLE_API_KEY=" + testKey,
		"export GEMINI_API_KEY='" + testKey + "'",
		`GEMINI_API_KEY="` + testKey + `"`,
	} {
		p, ok, err := paste(in)
		if err != nil || !ok {
			t.Errorf("paste(%q) = %v, %v; want recognized", in, ok, err)
			continue
		}
		m, _ := p.Credential.Main()
		if m.Value().Reveal() != testKey || p.Credential.Provider() != Name || p.KeyID != "" {
			t.Errorf("paste(%q) = %s of %s, key ID %q", in, m.Value(), p.Credential.Provider(), p.KeyID)
		}
	}
	for _, in := range []string{"", "sk-proj-abcdefghijklmnopqrstuvwxyz", "AKIAIOSFODNN7EXAMPLE", "hello", testKey + "\n" + testKey, "AIz"} {
		if _, ok, err := paste(in); ok || err != nil {
			t.Errorf("paste(%q) = %v, %v; want not Google's", in, ok, err)
		}
	}
	// Google's, but broken: refused with what to paste, never quoting it.
	for _, c := range []struct{ in, says string }{
		{testKey[:30], "30 characters, not 39"},
		{testKey + "x", "40 characters, not 39"},
		{testKey[:20] + " " + testKey[20:], "spaces"},
		{testKey + "!trailing", "followed by other text"},
		{"AIza!" + testKey[5:], "is not one"},
	} {
		_, ok, err := paste(c.in)
		if !ok || !errors.Is(err, step.ErrBadInput) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("paste(%q) = %v, %v; want Google's, refused saying %q", c.in, ok, err, c.says)
			continue
		}
		if strings.Contains(err.Error(), testKey[8:20]) {
			t.Errorf("paste(%q): the error quotes the value: %v", c.in, err)
		}
	}
}

func TestRegisteredSpec(t *testing.T) {
	t.Parallel()
	s, ok := provider.Lookup(Name)
	if !ok {
		t.Fatal("the Google provider is not registered")
	}
	// What a person gives and what the alert says reach this provider.
	if got, ok := provider.ForAlertType("google_api_key"); !ok || got.Name != Name {
		t.Errorf("google_api_key alerts go to %v", got)
	}
	for _, id := range []string{s.KeyID.Example, "projects/my-project/locations/global/keys/my-key-1"} {
		if got, ok := provider.ForKeyID(id); !ok || got.Name != Name {
			t.Errorf("key ID %s is not Google's", id)
		}
	}
	for _, id := range []string{"key_abc123", "AKIAIOSFODNN7EXAMPLE", "projects/p/locations/us-east1/keys/k", "projects/../locations/global/keys/k"} {
		if s.KeyID.Owns(id) {
			t.Errorf("Google claims key ID %q", id)
		}
	}
	if got, _, ok, err := provider.Recognize(testKey); !ok || err != nil || got.Name != Name {
		t.Errorf("a pasted key is recognized as %v (%v, %v)", got, ok, err)
	}
	// The credentials file's variable never reaches a child process;
	// Google API keys in the environment are masked too.
	for _, v := range []string{EnvCredentials, "GOOGLE_API_KEY", "GEMINI_API_KEY"} {
		found := false
		for _, c := range provider.CredentialEnv() {
			found = found || c == v
		}
		if !found {
			t.Errorf("%s is not a credential variable", v)
		}
	}
	if s.Caps.Usage || s.Caps.LastUsed || s.Caps.Contain != provider.Delete || s.Caps.Replace != provider.ByAPI || s.Caps.Undo == "" {
		t.Errorf("capabilities %+v", s.Caps)
	}
	if !strings.Contains(s.Verify.Live, "few minutes") {
		t.Errorf("Verify.Live %q does not say a new key can take a while", s.Verify.Live)
	}
}

func TestScopeChecks(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"123456789012", "my-project", "payments-prod-42"} {
		if err := checkScope(ok); err != nil {
			t.Errorf("checkScope(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "My-Project", "proj", "a/b", "../x", "-x-project", "project-"} {
		if err := checkScope(bad); err == nil {
			t.Errorf("checkScope(%q) accepted", bad)
		}
	}
	if w := warnScope("123456789012"); w != "" {
		t.Errorf("warnScope(number) = %q", w)
	}
	if w := warnScope("my-project"); !strings.Contains(w, "projectNumber") {
		t.Errorf("warnScope(ID) = %q, want how to find the number", w)
	}
}

func TestConfigured(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if configured(env(nil)) {
		t.Error("configured with nothing set")
	}
	if !configured(env(map[string]string{EnvCredentials: "/x.json"})) {
		t.Error("not configured with a credentials file")
	}
	dir := t.TempDir()
	if configured(env(map[string]string{"CLOUDSDK_CONFIG": dir})) {
		t.Error("configured by an empty gcloud directory")
	}
	if err := os.WriteFile(dir+"/application_default_credentials.json", []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !configured(env(map[string]string{"CLOUDSDK_CONFIG": dir})) {
		t.Error("gcloud's application-default login does not configure Google")
	}
}

func TestKeyNames(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ scope, id, want string }{
		{"", "projects/123/locations/global/keys/abc", "projects/123/locations/global/keys/abc"},
		{"999", "projects/123/locations/global/keys/abc", "projects/123/locations/global/keys/abc"},
		{"my-project", "abc", "projects/my-project/locations/global/keys/abc"},
		{"123", "8c3e1f2a-5b6d-4e7f-9a0b-1c2d3e4f5a6b", "projects/123/locations/global/keys/8c3e1f2a-5b6d-4e7f-9a0b-1c2d3e4f5a6b"},
	} {
		if got, err := keyNameOf(c.scope, c.id); err != nil || got != c.want {
			t.Errorf("keyNameOf(%q, %q) = %q, %v; want %q", c.scope, c.id, got, err, c.want)
		}
	}
	for _, c := range []struct{ scope, id string }{
		{"", "abc"},
		{"my-project", "a/b"},
		{"my-project", "../../v2/keys"},
		{"../x", "abc"},
		{"", "projects/123/locations/global/keys/../x"},
	} {
		if got, err := keyNameOf(c.scope, c.id); !errors.Is(err, step.ErrBadInput) {
			t.Errorf("keyNameOf(%q, %q) = %q, %v; want bad input", c.scope, c.id, got, err)
		}
	}
}

func TestNewKeyIDIsValidUniqueAndNamed(t *testing.T) {
	t.Parallel()
	const inc = "INC-20261207-120000-c0f0"
	seen := map[string]bool{}
	for _, name := range []string{
		"respond-gemini-prod-" + inc,
		"respond-" + strings.Repeat("x", 60) + "-" + inc,
		"7-" + inc,
		"-" + inc,
		"Ünïcode_and.dots-" + inc,
		"",
		"---",
		"12345",
	} {
		for range 3 {
			id, err := newKeyID(name)
			if err != nil {
				t.Fatalf("newKeyID(%q): %v", name, err)
			}
			if !newKeyIDRe.MatchString(id) || len(id) > 63 || uuidRe.MatchString(id) {
				t.Errorf("newKeyID(%q) = %q: not an ID the API takes", name, id)
			}
			if strings.Contains(name, inc) && !strings.Contains(id, strings.ToLower(inc)) {
				t.Errorf("newKeyID(%q) = %q lost the incident ID", name, id)
			}
			if seen[id] {
				t.Errorf("newKeyID(%q) gave %q twice", name, id)
			}
			seen[id] = true
		}
	}
}

func TestDisplayNameKeepsTheOldOneAndTheIncident(t *testing.T) {
	t.Parallel()
	const inc = "INC-20261207-120000-c0f0"
	r := provider.ReplaceRequest{Incident: inc, Name: "respond-gemini-" + inc}
	for _, c := range []struct{ old, want string }{
		{"Gemini prod", "Gemini prod " + inc},
		{"Gemini prod INC-20260101-000000-aaaa", "Gemini prod " + inc},
		{"", "respond-gemini-" + inc},
		{strings.Repeat("é", 60), strings.Repeat("é", 38) + " " + inc},
	} {
		got := displayName(c.old, r)
		if got != c.want {
			t.Errorf("displayName(%q) = %q, want %q", c.old, got, c.want)
		}
		if utf8.RuneCountInString(got) > maxDisplayName {
			t.Errorf("displayName(%q) has %d characters", c.old, utf8.RuneCountInString(got))
		}
	}
	long := provider.ReplaceRequest{Incident: inc, Name: "respond-" + strings.Repeat("n", 40) + "-" + inc}
	if got := displayName("", long); utf8.RuneCountInString(got) > maxDisplayName || !strings.HasSuffix(got, inc) {
		t.Errorf("displayName of a long name = %q", got)
	}
}

func TestRestrictionsInWords(t *testing.T) {
	t.Parallel()
	r := Restrictions{
		Browser:    &BrowserRestriction{AllowedReferrers: []string{"https://a.example/*", "https://b.example/*", "c\x1b[31m", "d", "e"}},
		APITargets: []APITarget{{Service: "generativelanguage.googleapis.com", Methods: []string{"ListModels"}}},
	}
	got := describeRestrictions(r)
	for _, want := range []string{"HTTP referrers https://a.example/*", "and 2 more", "APIs generativelanguage.googleapis.com (ListModels)"} {
		if !strings.Contains(got, want) {
			t.Errorf("describeRestrictions = %q, want %q in it", got, want)
		}
	}
	if strings.ContainsRune(got, 0x1b) {
		t.Errorf("describeRestrictions passes a control character: %q", got)
	}
	if got := describeRestrictions(Restrictions{}); got != "no restrictions" {
		t.Errorf("no restrictions: %q", got)
	}
	for _, c := range []struct {
		r    Restrictions
		says string
	}{
		{Restrictions{}, "no restrictions, and neither has its replacement"},
		{Restrictions{Server: &ServerRestriction{AllowedIPs: []string{"10.0.0.1"}}}, "add API restrictions"},
		{Restrictions{APITargets: r.APITargets}, "add an application restriction"},
		{r, "narrow them further"},
	} {
		if got := permissionsHint(c.r); !strings.Contains(got, c.says) {
			t.Errorf("permissionsHint(%+v) = %q, want %q", c.r, got, c.says)
		}
	}
}
