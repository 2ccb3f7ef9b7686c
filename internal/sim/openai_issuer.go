package sim

import (
	"fmt"
	"net/http"
	"time"

	"github.com/respondhq/respond/internal/sim/openaisim"
	"github.com/respondhq/respond/internal/sim/simapi"
)

// openAIIssuer is the OpenAI half as a simapi.KeyIssuer, so that what asks
// the simulator about keys by secret type (alert validity, the plug-ins'
// conformance suite, scenarios) asks OpenAI's keys as it asks any
// provider's. It is not a separate service: its requests are the OpenAI
// half's, under /v1/.
type openAIIssuer struct {
	s   *Sim
	srv *openaisim.Server
}

var _ simapi.KeyIssuer = openAIIssuer{}

func (o openAIIssuer) Name() string                                     { return APIOpenAI }
func (o openAIIssuer) Prefix() string                                   { return "/v1/" }
func (o openAIIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) { o.srv.ServeHTTP(w, r) }
func (o openAIIssuer) Reset()                                           {}
func (o openAIIssuer) Snapshot() any                                    { return o.srv.Snapshot() }
func (o openAIIssuer) Env(string, string) (map[string]string, error) {
	return nil, nil
}

// SecretTypes implements simapi.KeyIssuer.
func (o openAIIssuer) SecretTypes() []string { return []string{secretTypeOpenAI} }

// IssueKey implements simapi.KeyIssuer: a user's key in the project Scope
// (default: the first project; one is made when there is none), owned by
// the first user (one is made when there is none). Attrs["owner"] =
// "service_account" makes a service account's key instead.
func (o openAIIssuer) IssueKey(req simapi.IssueRequest) (simapi.IssuedKey, error) {
	created := req.Created
	if created.IsZero() {
		created = o.s.now().Add(-time.Hour)
	}
	st := o.srv.Snapshot()
	project := req.Scope
	if project == "" {
		if len(st.Projects) == 0 {
			id, err := o.srv.AddProject("", "Issued", created)
			if err != nil {
				return simapi.IssuedKey{}, err
			}
			project = id
		} else {
			project = st.Projects[0].ID
		}
	}
	name := req.Name
	if name == "" {
		name = "issued"
	}
	var k openaisim.Key
	var err error
	if req.Attrs["owner"] == "service_account" {
		_, k, err = o.srv.AddServiceAccount(project, name, created)
	} else {
		user := ""
		if len(st.Users) > 0 {
			user = st.Users[0].ID
		} else {
			user = "user_issued"
			if err := o.srv.AddUser(user, "Issued User", "issued@example.com", "owner"); err != nil {
				return simapi.IssuedKey{}, err
			}
		}
		k, err = o.srv.AddUserKey(project, name, user, created, nil)
	}
	if err != nil {
		return simapi.IssuedKey{}, fmt.Errorf("issue an OpenAI key in %s: %w", project, err)
	}
	return simapi.IssuedKey{ID: k.ID, Scope: project, Name: name, Value: k.Value.Reveal(), SecretType: secretTypeOpenAI}, nil
}

// KeyStatus implements simapi.KeyIssuer.
func (o openAIIssuer) KeyStatus(value string, now time.Time) (string, bool, bool) {
	return o.srv.KeyStatus(value, now)
}

// UseKey implements simapi.KeyIssuer.
func (o openAIIssuer) UseKey(value string, now time.Time, n int) bool {
	_, ok := o.srv.UseKey(value, "gpt-4o-mini", now, n, 100*n, 20*n)
	return ok
}
