package childproc_test

import (
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/childproc"
	"github.com/respondhq/respond/internal/plugin"
	"github.com/respondhq/respond/internal/secret"

	// The credential variables are those the plug-ins declare.
	_ "github.com/respondhq/respond/internal/plugins"
)

func TestChildEnv(t *testing.T) {
	reg := secret.NewRegistry()
	reg.Add(secret.New("registered-secret-value"))
	got := childproc.ChildEnv([]string{
		"PATH=/bin", "OPENAI_API_KEY=x", "GH_ENTERPRISE_TOKEN=x", "GITHUB_ENTERPRISE_TOKEN=x",
		"RESPOND_SESSION_SECRET=x", "RESPOND_COLOR=always", "HOLDER=a registered-secret-value b",
		"OVERRIDDEN=old",
	}, reg, map[string]string{"OVERRIDDEN": "new", "B": "2", "A": "1"}, plugin.IsCredentialEnv)
	want := []string{"PATH=/bin", "RESPOND_COLOR=always", "A=1", "B=2", "OVERRIDDEN=new"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}
