package githubsim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/sim/githubsim"
)

func TestRepoSecretCreateUpdateDelete(t *testing.T) {
	for _, enterprise := range []bool{false, true} {
		name := "api.github.com-style"
		if enterprise {
			name = "enterprise-/api/v3"
		}
		t.Run(name, func(t *testing.T) {
			sim, srv, clk := newSim(t, githubsim.Options{})
			c, ct := newClient(t, srv, adminToken, enterprise)
			ctx := context.Background()

			pk, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "api")
			if err != nil {
				t.Fatal(err)
			}
			snap := sim.Snapshot()
			if pk.GetKeyID() != snap.Repos[0].ActionsKeyID || pk.GetKeyID() == "" {
				t.Fatalf("public key id %q, snapshot has %q", pk.GetKeyID(), snap.Repos[0].ActionsKeyID)
			}

			resp, err := c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{
				Name: "openai_api_key", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "sk-proj-first"),
			})
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: status %v, err %v; want 201", resp.StatusCode, err)
			}
			got, ok := findSecret(sim.Snapshot(), githubsim.LevelRepo, "acme/api", "OPENAI_API_KEY")
			if !ok || got.Value != "sk-proj-first" || got.CreatedAt != "2025-03-01T12:00:00Z" {
				t.Fatalf("snapshot after create: %+v (found %v)", got, ok)
			}

			clk.Add(time.Hour)
			resp, err = c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{
				Name: "OPENAI_API_KEY", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "sk-proj-second"),
			})
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("update: status %v, err %v; want 204", resp.StatusCode, err)
			}
			got, _ = findSecret(sim.Snapshot(), githubsim.LevelRepo, "acme/api", "OPENAI_API_KEY")
			if got.Value != "sk-proj-second" || got.CreatedAt != "2025-03-01T12:00:00Z" || got.UpdatedAt != "2025-03-01T13:00:00Z" {
				t.Fatalf("snapshot after update: %+v", got)
			}

			sec, _, err := c.Actions.GetRepoSecret(ctx, "acme", "api", "openai_api_key")
			if err != nil || sec.Name != "OPENAI_API_KEY" || !sec.UpdatedAt.Time.Equal(t0.Add(time.Hour)) {
				t.Fatalf("get: %+v, %v", sec, err)
			}
			list, _, err := c.Actions.ListRepoSecrets(ctx, "acme", "api", nil)
			if err != nil || list.TotalCount != 1 || list.Secrets[0].Name != "OPENAI_API_KEY" {
				t.Fatalf("list: %+v, %v", list, err)
			}

			if _, err := c.Actions.DeleteRepoSecret(ctx, "acme", "api", "OPENAI_API_KEY"); err != nil {
				t.Fatal(err)
			}
			if _, ok := findSecret(sim.Snapshot(), githubsim.LevelRepo, "acme/api", "OPENAI_API_KEY"); ok {
				t.Fatal("secret still in snapshot after delete")
			}
			if _, _, err := c.Actions.GetRepoSecret(ctx, "acme", "api", "OPENAI_API_KEY"); errStatus(err) != 404 {
				t.Fatalf("get after delete: %v, want 404", err)
			}
			if _, err := c.Actions.DeleteRepoSecret(ctx, "acme", "api", "OPENAI_API_KEY"); errStatus(err) != 404 {
				t.Fatalf("delete twice: %v, want 404", err)
			}
			assertConformant(t, ct)
		})
	}
}

func TestSecretPutRejections(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()
	pk, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "api")
	if err != nil {
		t.Fatal(err)
	}
	// A key of another scope: sealed for acme/web, sent to acme/api.
	otherPK, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "web")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		body    map[string]any
		status  int
		message string
	}{
		{"wrong key_id", map[string]any{"key_id": otherPK.GetKeyID(), "encrypted_value": seal(t, pk, "v")},
			422, "improperly encrypted secret"},
		{"missing key_id", map[string]any{"encrypted_value": seal(t, pk, "v")},
			422, "Invalid request.\n\n\"key_id\" wasn't supplied."},
		{"missing encrypted_value", map[string]any{"key_id": pk.GetKeyID()},
			422, "\"encrypted_value\" wasn't supplied."},
		{"not base64", map[string]any{"key_id": pk.GetKeyID(), "encrypted_value": "not base64!"},
			422, "does not match"},
		{"sealed for another key", map[string]any{"key_id": pk.GetKeyID(), "encrypted_value": seal(t, otherPK, "v")},
			422, "improperly encrypted secret"},
		{"not sealed at all", map[string]any{"key_id": pk.GetKeyID(), "encrypted_value": "c2VjcmV0"},
			422, "improperly encrypted secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := doRaw(t, c, "PUT", "repos/acme/api/actions/secrets/LEAKY", tc.body, nil)
			if errStatus(err) != tc.status || !strings.Contains(errMessage(err), tc.message) {
				t.Fatalf("got %d %q, want %d containing %q", errStatus(err), errMessage(err), tc.status, tc.message)
			}
			if strings.Contains(errMessage(err), "c2VjcmV0") {
				t.Fatal("error message echoes the submitted value")
			}
		})
	}
	// go-github's own call with a wrong key id.
	_, err = c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{
		Name: "LEAKY", KeyID: "12345", EncryptedValue: seal(t, pk, "v")})
	if errStatus(err) != http.StatusUnprocessableEntity {
		t.Fatalf("go-github with stale key id: %v, want 422", err)
	}
	if _, ok := findSecret(sim.Snapshot(), githubsim.LevelRepo, "acme/api", "LEAKY"); ok {
		t.Fatal("a rejected PUT stored a secret")
	}
	// A bad secret name.
	_, err = c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{
		Name: "GITHUB_TOKEN", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "v")})
	if errStatus(err) != http.StatusUnprocessableEntity {
		t.Fatalf("reserved name: %v, want 422", err)
	}
	// Unknown repository.
	if _, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "nope"); errStatus(err) != 404 {
		t.Fatalf("unknown repo: %v, want 404", err)
	}
	assertConformant(t, ct, deliberatelyInvalidRequest)
}

func TestReadOnlyTokenCannotWriteSecrets(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	if err := sim.SetRepoSecret("acme", "api", "KEEP", "v1", t0); err != nil {
		t.Fatal(err)
	}
	c, ct := newClient(t, srv, readToken, false)
	ctx := context.Background()
	pk, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "api")
	if err != nil {
		t.Fatalf("read-only token should read the public key: %v", err)
	}
	if _, _, err := c.Actions.ListRepoSecrets(ctx, "acme", "api", nil); err != nil {
		t.Fatalf("read-only token should list secrets: %v", err)
	}
	_, err = c.Actions.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.EncryptedSecret{
		Name: "KEEP", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "v2")})
	// A classic token (ghp_) of a user who is no administrator: GitHub's
	// answer names the role that falls short.
	if errStatus(err) != http.StatusForbidden || errMessage(err) != "Must have admin rights to Repository." {
		t.Fatalf("PUT with read-only token: %v, want 403", err)
	}
	if _, err := c.Actions.DeleteRepoSecret(ctx, "acme", "api", "KEEP"); errStatus(err) != http.StatusForbidden {
		t.Fatalf("DELETE with read-only token: %v, want 403", err)
	}
	if got, _ := findSecret(sim.Snapshot(), githubsim.LevelRepo, "acme/api", "KEEP"); got.Value != "v1" {
		t.Fatalf("secret changed by a refused request: %+v", got)
	}
	// Secret scanning needs its permission even to read.
	if _, _, err := c.SecretScanning.ListAlertsForRepo(ctx, "acme", "api", nil); errStatus(err) != http.StatusForbidden ||
		errMessage(err) != "Must have admin rights to Repository." {
		t.Fatalf("alerts with read-only token: %v, want 403", err)
	}
	// And dispatching needs Actions.
	_, err = c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml",
		github.CreateWorkflowDispatchEventRequest{Ref: "main"})
	if errStatus(err) != http.StatusForbidden {
		t.Fatalf("dispatch with read-only token: %v, want 403", err)
	}
	assertConformant(t, ct)
}

func TestEnvironmentSecretsBothPaths(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()

	// go-github v60 uses the old /repositories/{id}/environments/... paths,
	// which the current description no longer has.
	pk, _, err := c.Actions.GetEnvPublicKey(ctx, int(apiRepoID), "production")
	if err != nil {
		t.Fatal(err)
	}
	if want := sim.Snapshot().Repos[0].Environments[0].KeyID; pk.GetKeyID() != want {
		t.Fatalf("env key id %q, want %q (the environment's own key)", pk.GetKeyID(), want)
	}
	if pk.GetKeyID() == sim.Snapshot().Repos[0].ActionsKeyID {
		t.Fatal("environment shares the repository key")
	}
	resp, err := c.Actions.CreateOrUpdateEnvSecret(ctx, int(apiRepoID), "production", &github.EncryptedSecret{
		Name: "OPENAI_API_KEY", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "sk-env-old-path")})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("old-path create: %v %v", resp, err)
	}
	got, ok := findSecret(sim.Snapshot(), githubsim.LevelEnvironment, "acme/api:production", "OPENAI_API_KEY")
	if !ok || got.Value != "sk-env-old-path" {
		t.Fatalf("snapshot: %+v", got)
	}
	list, _, err := c.Actions.ListEnvSecrets(ctx, int(apiRepoID), "production", nil)
	if err != nil || list.TotalCount != 1 {
		t.Fatalf("old-path list: %+v %v", list, err)
	}
	if _, _, err := c.Actions.GetEnvPublicKey(ctx, int(apiRepoID), "staging"); errStatus(err) != 404 {
		t.Fatalf("unknown environment: %v, want 404", err)
	}

	// The current path, as gh uses it, by hand.
	var pk2 github.PublicKey
	if _, err := doRaw(t, c, "GET", "repos/acme/api/environments/production/secrets/public-key", nil, &pk2); err != nil {
		t.Fatal(err)
	}
	if pk2.GetKeyID() != pk.GetKeyID() {
		t.Fatalf("new and old path disagree on the key: %q vs %q", pk2.GetKeyID(), pk.GetKeyID())
	}
	resp, err = doRaw(t, c, "PUT", "repos/acme/api/environments/production/secrets/OPENAI_API_KEY",
		map[string]string{"key_id": pk2.GetKeyID(), "encrypted_value": seal(t, &pk2, "sk-env-new-path")}, nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("new-path update: %v %v", resp, err)
	}
	got, _ = findSecret(sim.Snapshot(), githubsim.LevelEnvironment, "acme/api:production", "OPENAI_API_KEY")
	if got.Value != "sk-env-new-path" {
		t.Fatalf("snapshot after new-path update: %+v", got)
	}
	var envs struct {
		TotalCount   int `json:"total_count"`
		Environments []struct {
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"environments"`
	}
	if _, err := doRaw(t, c, "GET", "repos/acme/api/environments", nil, &envs); err != nil {
		t.Fatal(err)
	}
	if envs.TotalCount != 1 || envs.Environments[0].URL != srv.URL+"/repos/acme/api/environments/production" {
		t.Fatalf("environments: %+v", envs)
	}
	if _, err := doRaw(t, c, "DELETE", "repos/acme/api/environments/production/secrets/OPENAI_API_KEY", nil, nil); err != nil {
		t.Fatal(err)
	}
	assertConformant(t, ct, "/repositories/")
}

func TestOrgSecretsWithSelectedRepositories(t *testing.T) {
	for _, enterprise := range []bool{false, true} {
		t.Run(map[bool]string{false: "root", true: "api-v3"}[enterprise], func(t *testing.T) {
			sim, srv, _ := newSim(t, githubsim.Options{})
			c, ct := newClient(t, srv, adminToken, enterprise)
			ctx := context.Background()
			prefix := srv.URL
			if enterprise {
				prefix += "/api/v3"
			}

			pk, _, err := c.Actions.GetOrgPublicKey(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Actions.CreateOrUpdateOrgSecret(ctx, "acme", &github.EncryptedSecret{
				Name: "OPENAI_API_KEY", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "sk-org"),
				Visibility: "selected", SelectedRepositoryIDs: github.SelectedRepoIDs{apiRepoID}})
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("create org secret: %v %v", resp, err)
			}
			sec, _, err := c.Actions.GetOrgSecret(ctx, "acme", "OPENAI_API_KEY")
			if err != nil {
				t.Fatal(err)
			}
			wantURL := prefix + "/orgs/acme/actions/secrets/OPENAI_API_KEY/repositories"
			if sec.Visibility != "selected" || sec.SelectedRepositoriesURL != wantURL {
				t.Fatalf("org secret: %+v, want selected_repositories_url %s", sec, wantURL)
			}

			// Follow the absolute URL, as gh secret list does.
			req, err := c.NewRequest("GET", sec.SelectedRepositoriesURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			var repos github.SelectedReposList
			if _, err := c.Do(ctx, req, &repos); err != nil {
				t.Fatal(err)
			}
			if repos.GetTotalCount() != 1 || repos.Repositories[0].GetFullName() != "acme/api" ||
				repos.Repositories[0].GetURL() != prefix+"/repos/acme/api" {
				t.Fatalf("selected repos: %+v", repos)
			}

			if _, err := c.Actions.AddSelectedRepoToOrgSecret(ctx, "acme", "OPENAI_API_KEY", &github.Repository{ID: github.Int64(webRepoID)}); err != nil {
				t.Fatal(err)
			}
			got, _ := findSecret(sim.Snapshot(), githubsim.LevelOrg, "acme", "OPENAI_API_KEY")
			if got.Value != "sk-org" || len(got.SelectedRepositoryIDs) != 2 || got.SelectedRepositoryIDs[1] != webRepoID {
				t.Fatalf("snapshot after add: %+v", got)
			}
			if _, err := c.Actions.RemoveSelectedRepoFromOrgSecret(ctx, "acme", "OPENAI_API_KEY", &github.Repository{ID: github.Int64(apiRepoID)}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Actions.SetSelectedReposForOrgSecret(ctx, "acme", "OPENAI_API_KEY", github.SelectedRepoIDs{apiRepoID, docsRepoID}); err != nil {
				t.Fatal(err)
			}
			got, _ = findSecret(sim.Snapshot(), githubsim.LevelOrg, "acme", "OPENAI_API_KEY")
			if len(got.SelectedRepositoryIDs) != 2 || got.SelectedRepositoryIDs[0] != apiRepoID || got.SelectedRepositoryIDs[1] != docsRepoID {
				t.Fatalf("snapshot after set: %+v", got)
			}
			// A repository of another owner cannot be selected.
			if _, err := c.Actions.SetSelectedReposForOrgSecret(ctx, "acme", "OPENAI_API_KEY", github.SelectedRepoIDs{2001}); errStatus(err) != 422 {
				t.Fatalf("foreign repository: %v, want 422", err)
			}

			// The repository sees it; web (not selected) does not.
			visible, _, err := c.Actions.ListRepoOrgSecrets(ctx, "acme", "api", nil)
			if err != nil || visible.TotalCount != 1 || visible.Secrets[0].Name != "OPENAI_API_KEY" {
				t.Fatalf("api org secrets: %+v %v", visible, err)
			}
			visible, _, err = c.Actions.ListRepoOrgSecrets(ctx, "acme", "web", nil)
			if err != nil || visible.TotalCount != 0 {
				t.Fatalf("web org secrets: %+v %v", visible, err)
			}

			// Visibility all: 204 update, selected repos gone, 409 on selection endpoints.
			resp, err = c.Actions.CreateOrUpdateOrgSecret(ctx, "acme", &github.EncryptedSecret{
				Name: "OPENAI_API_KEY", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "sk-org-2"), Visibility: "all"})
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("update org secret: %v %v", resp, err)
			}
			_, err = c.Actions.AddSelectedRepoToOrgSecret(ctx, "acme", "OPENAI_API_KEY", &github.Repository{ID: github.Int64(webRepoID)})
			if errStatus(err) != http.StatusConflict {
				t.Fatalf("add repo to visibility=all secret: %v, want 409", err)
			}
			_, err = c.Actions.RemoveSelectedRepoFromOrgSecret(ctx, "acme", "OPENAI_API_KEY", &github.Repository{ID: github.Int64(webRepoID)})
			if errStatus(err) != http.StatusConflict {
				t.Fatalf("remove repo from visibility=all secret: %v, want 409", err)
			}
			got, _ = findSecret(sim.Snapshot(), githubsim.LevelOrg, "acme", "OPENAI_API_KEY")
			if got.Value != "sk-org-2" || got.Visibility != "all" || got.SelectedRepositoryIDs != nil {
				t.Fatalf("snapshot after visibility all: %+v", got)
			}

			// Missing and invalid visibility.
			_, err = doRaw(t, c, "PUT", "orgs/acme/actions/secrets/OTHER",
				map[string]any{"key_id": pk.GetKeyID(), "encrypted_value": seal(t, pk, "x")}, nil)
			if errStatus(err) != 422 || !strings.Contains(errMessage(err), `"visibility" wasn't supplied`) {
				t.Fatalf("missing visibility: %v", err)
			}
			_, err = doRaw(t, c, "PUT", "orgs/acme/actions/secrets/OTHER",
				map[string]any{"key_id": pk.GetKeyID(), "encrypted_value": seal(t, pk, "x"), "visibility": "all",
					"selected_repository_ids": []int64{apiRepoID}}, nil)
			if errStatus(err) != 422 {
				t.Fatalf("selected ids with visibility all: %v, want 422", err)
			}
			// Actions org secrets take integer IDs only.
			_, err = doRaw(t, c, "PUT", "orgs/acme/actions/secrets/OTHER",
				map[string]any{"key_id": pk.GetKeyID(), "encrypted_value": seal(t, pk, "x"), "visibility": "selected",
					"selected_repository_ids": []string{"1001"}}, nil)
			if errStatus(err) != 422 {
				t.Fatalf("string ids for an Actions secret: %v, want 422", err)
			}
			list, _, err := c.Actions.ListOrgSecrets(ctx, "acme", nil)
			if err != nil || list.TotalCount != 1 {
				t.Fatalf("list org secrets: %+v %v", list, err)
			}
			assertConformant(t, ct, deliberatelyInvalidRequest)
		})
	}
}

func TestDependabotSecrets(t *testing.T) {
	sim, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, false)
	ctx := context.Background()

	// go-github v60 sends the selected repository IDs as strings.
	pk, _, err := c.Dependabot.GetOrgPublicKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if pk.GetKeyID() != sim.Snapshot().Orgs[0].DependabotKeyID || pk.GetKeyID() == sim.Snapshot().Orgs[0].ActionsKeyID {
		t.Fatalf("dependabot org key %q: want its own key", pk.GetKeyID())
	}
	resp, err := c.Dependabot.CreateOrUpdateOrgSecret(ctx, "acme", &github.DependabotEncryptedSecret{
		Name: "NPM_TOKEN", KeyID: pk.GetKeyID(), EncryptedValue: seal(t, pk, "npm-secret"),
		Visibility: "selected", SelectedRepositoryIDs: github.DependabotSecretsSelectedRepoIDs{apiRepoID, webRepoID}})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create dependabot org secret: %v %v", resp, err)
	}
	got, ok := findSecret(sim.Snapshot(), githubsim.LevelDependabot, "acme", "NPM_TOKEN")
	if !ok || got.Value != "npm-secret" || len(got.SelectedRepositoryIDs) != 2 {
		t.Fatalf("snapshot: %+v", got)
	}
	// Integers are accepted too.
	resp, err = doRaw(t, c, "PUT", "orgs/acme/dependabot/secrets/NPM_TOKEN", map[string]any{
		"key_id": pk.GetKeyID(), "encrypted_value": seal(t, pk, "npm-2"), "visibility": "selected",
		"selected_repository_ids": []int64{docsRepoID}}, nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("integer ids: %v %v", resp, err)
	}
	got, _ = findSecret(sim.Snapshot(), githubsim.LevelDependabot, "acme", "NPM_TOKEN")
	if got.Value != "npm-2" || len(got.SelectedRepositoryIDs) != 1 || got.SelectedRepositoryIDs[0] != docsRepoID {
		t.Fatalf("snapshot after integer ids: %+v", got)
	}

	// Repository level.
	rpk, _, err := c.Dependabot.GetRepoPublicKey(ctx, "acme", "api")
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.Dependabot.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.DependabotEncryptedSecret{
		Name: "OPENAI_API_KEY", KeyID: rpk.GetKeyID(), EncryptedValue: seal(t, rpk, "sk-dep")})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create dependabot repo secret: %v %v", resp, err)
	}
	got, ok = findSecret(sim.Snapshot(), githubsim.LevelDependabot, "acme/api", "OPENAI_API_KEY")
	if !ok || got.Value != "sk-dep" {
		t.Fatalf("snapshot: %+v", got)
	}
	if _, ok := findSecret(sim.Snapshot(), githubsim.LevelRepo, "acme/api", "OPENAI_API_KEY"); ok {
		t.Fatal("a Dependabot secret leaked into the Actions secrets")
	}
	list, _, err := c.Dependabot.ListRepoSecrets(ctx, "acme", "api", nil)
	if err != nil || list.TotalCount != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	// The Actions key does not open a Dependabot secret.
	apk, _, err := c.Actions.GetRepoPublicKey(ctx, "acme", "api")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Dependabot.CreateOrUpdateRepoSecret(ctx, "acme", "api", &github.DependabotEncryptedSecret{
		Name: "OPENAI_API_KEY", KeyID: apk.GetKeyID(), EncryptedValue: seal(t, apk, "x")})
	if errStatus(err) != 422 {
		t.Fatalf("Actions key for Dependabot: %v, want 422", err)
	}
	assertConformant(t, ct)
}

func TestPaginationFollowsLinks(t *testing.T) {
	for _, enterprise := range []bool{false, true} {
		t.Run(map[bool]string{false: "root", true: "api-v3"}[enterprise], func(t *testing.T) {
			sim, srv, _ := newSim(t, githubsim.Options{})
			for i := range 65 {
				if err := sim.SetRepoSecret("acme", "web", "S"+string(rune('A'+i/26))+string(rune('A'+i%26)), "v", t0); err != nil {
					t.Fatal(err)
				}
			}
			c, ct := newClient(t, srv, adminToken, enterprise)
			ctx := context.Background()
			opts := &github.ListOptions{PerPage: 30}
			var names []string
			pages := 0
			for {
				list, resp, err := c.Actions.ListRepoSecrets(ctx, "acme", "web", opts)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if list.TotalCount != 65 {
					t.Fatalf("total_count %d, want 65", list.TotalCount)
				}
				if pages == 1 && (resp.LastPage != 3 || resp.NextPage != 2 || resp.PrevPage != 0) {
					t.Fatalf("page 1 links: next %d last %d prev %d (Link %q)", resp.NextPage, resp.LastPage, resp.PrevPage, resp.Header.Get("Link"))
				}
				if pages == 2 && (resp.PrevPage != 1 || resp.FirstPage != 1 || resp.NextPage != 3) {
					t.Fatalf("page 2 links: %q", resp.Header.Get("Link"))
				}
				link := resp.Header.Get("Link")
				wantBase := srv.URL + "/repos/acme/web/actions/secrets?"
				if enterprise {
					wantBase = srv.URL + "/api/v3/repos/acme/web/actions/secrets?"
				}
				if !strings.Contains(link, "<"+wantBase) {
					t.Fatalf("Link %q does not point at %s", link, wantBase)
				}
				for _, s := range list.Secrets {
					names = append(names, s.Name)
				}
				if resp.NextPage == 0 {
					break
				}
				opts.Page = resp.NextPage
			}
			if pages != 3 || len(names) != 65 || names[0] != "SAA" || names[64] != "SCM" {
				t.Fatalf("got %d pages, %d names (%v…)", pages, len(names), names[:3])
			}
			// per_page above 100 is capped.
			list, _, err := c.Actions.ListRepoSecrets(ctx, "acme", "web", &github.ListOptions{PerPage: 500})
			if err != nil || len(list.Secrets) != 65 {
				t.Fatalf("per_page 500: %d secrets, %v", len(list.Secrets), err)
			}
			// The default page size is 30.
			list, _, err = c.Actions.ListRepoSecrets(ctx, "acme", "web", nil)
			if err != nil || len(list.Secrets) != 30 {
				t.Fatalf("default page: %d secrets, %v", len(list.Secrets), err)
			}
			assertConformant(t, ct)
		})
	}
}

func TestAuthentication(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	get := func(auth string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/repos/acme/api", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, auth := range []string{"token nope", "Bearer nope", "Basic Zm9vOmJhcg==", adminToken} {
		resp, body := get(auth)
		if resp.StatusCode != 401 || strings.TrimSpace(body) != `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}` {
			t.Errorf("auth %q: %d %s", auth, resp.StatusCode, body)
		}
		if strings.Contains(body, "nope") {
			t.Errorf("401 body echoes the token: %s", body)
		}
	}
	for _, auth := range []string{"token " + adminToken, "Bearer " + adminToken, "bearer " + adminToken} {
		resp, body := get(auth)
		if resp.StatusCode != 200 {
			t.Errorf("auth %q: %d %s", auth, resp.StatusCode, body)
		}
		var repo struct {
			ID       int64  `json:"id"`
			FullName string `json:"full_name"`
			URL      string `json:"url"`
			HTMLURL  string `json:"html_url"`
			Private  bool   `json:"private"`
		}
		if err := json.Unmarshal([]byte(body), &repo); err != nil {
			t.Fatal(err)
		}
		if repo.ID != apiRepoID || repo.FullName != "acme/api" || !repo.Private ||
			repo.URL != srv.URL+"/repos/acme/api" || repo.HTMLURL != srv.URL+"/acme/api" {
			t.Errorf("repo: %+v", repo)
		}
	}
	// An unknown path is a JSON 404.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v3/nothing/here", nil)
	req.Header.Set("Authorization", "token "+adminToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), `"message":"Not Found"`) {
		t.Errorf("unknown path: %d %s", resp.StatusCode, b)
	}
}

func TestRepositoriesUserAndEnterpriseURLs(t *testing.T) {
	_, srv, _ := newSim(t, githubsim.Options{})
	c, ct := newClient(t, srv, adminToken, true)
	ctx := context.Background()
	repo, _, err := c.Repositories.Get(ctx, "acme", "api")
	if err != nil {
		t.Fatal(err)
	}
	if repo.GetURL() != srv.URL+"/api/v3/repos/acme/api" || repo.GetHTMLURL() != srv.URL+"/acme/api" ||
		repo.GetOwner().GetLogin() != "acme" || repo.GetOwner().GetType() != "Organization" || repo.GetID() != apiRepoID {
		t.Fatalf("repo: url %s html %s owner %+v", repo.GetURL(), repo.GetHTMLURL(), repo.GetOwner())
	}
	byID, _, err := c.Repositories.GetByID(ctx, apiRepoID)
	if err != nil || byID.GetFullName() != "acme/api" {
		t.Fatalf("by id: %v %v", byID, err)
	}
	repos, _, err := c.Repositories.ListByOrg(ctx, "acme", nil)
	if err != nil || len(repos) != 3 {
		t.Fatalf("org repos: %d %v", len(repos), err)
	}
	user, _, err := c.Users.Get(ctx, "")
	if err != nil || user.GetLogin() != "alice" {
		t.Fatalf("user: %v %v", user, err)
	}
	limits, _, err := c.RateLimit.Get(ctx)
	if err != nil || limits.GetCore().Limit != 5000 || limits.GetCore().Remaining != 5000-4 {
		// /rate_limit itself is free: 4 requests so far.
		t.Fatalf("rate limit: %+v %v", limits.GetCore(), err)
	}
	env, _, err := c.Repositories.GetEnvironment(ctx, "acme", "api", "production")
	if err != nil || env.GetName() != "production" {
		t.Fatalf("environment: %v %v", env, err)
	}
	assertConformant(t, ct, "GET /api/v3/repositories/")
}
