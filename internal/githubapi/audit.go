package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/textsafe"
)

// What `respond audit` reads of GitHub. Every list is read 100 to a page;
// nothing here writes, and no secret value is kept: alerts are decoded
// without their secret.

// Repo is a repository as the audit sees it.
type Repo struct {
	Owner, Name string
	Private     bool
	Archived    bool
	HTMLURL     string
	// PushProtection is "enabled" or "disabled" as GitHub's
	// security_and_analysis says, or "" when GitHub did not say (the
	// token is not an administrator of the repository).
	PushProtection string
}

// FullName is owner/name.
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// OrgRepos lists an organization's repositories (all pages), with push
// protection where the token may see it.
func (c *Client) OrgRepos(ctx context.Context, org string) ([]Repo, error) {
	if err := netsafe.Segments("organization", org); err != nil {
		return nil, step.Permanent(err)
	}
	var out []Repo
	opts := &github.RepositoryListByOrgOptions{Sort: "full_name", ListOptions: github.ListOptions{PerPage: reposPerPage}}
	for page := 1; ; page++ {
		opts.Page = page
		list, resp, err := c.gh.Repositories.ListByOrg(ctx, org, opts)
		if err != nil {
			return nil, c.fail(err, "list the repositories of %s", org)
		}
		for _, r := range list {
			rp := Repo{Owner: textsafe.Line(r.GetOwner().GetLogin()), Name: textsafe.Line(r.GetName()), Private: r.GetPrivate(),
				Archived: r.GetArchived(), HTMLURL: textsafe.Line(r.GetHTMLURL())}
			if sa := r.GetSecurityAndAnalysis(); sa != nil && sa.SecretScanningPushProtection != nil {
				rp.PushProtection = textsafe.Line(sa.SecretScanningPushProtection.GetStatus())
			}
			out = append(out, rp)
			c.idsMu.Lock()
			c.ids[strings.ToLower(org+"/"+r.GetName())] = r.GetID()
			c.idsMu.Unlock()
		}
		if resp.NextPage == 0 || page > 10000 {
			return out, nil
		}
	}
}

// SecretInfo is a secret's name and metadata (GitHub never shows a
// secret's value).
type SecretInfo struct {
	Name    string
	Updated time.Time
	// Visibility is an organization secret's: all, private or selected.
	Visibility string
}

// ListSecrets lists the secrets of a scope (all pages).
func (c *Client) ListSecrets(ctx context.Context, s SecretScope) ([]SecretInfo, error) {
	if err := checkScope(s); err != nil {
		return nil, err
	}
	var out []SecretInfo
	for page := 1; ; page++ {
		req, err := c.gh.NewRequest(http.MethodGet, fmt.Sprintf("%s?per_page=100&page=%d", secretsPath(s), page), nil)
		if err != nil {
			return nil, err
		}
		var body github.Secrets
		resp, err := c.gh.Do(ctx, req, &body)
		if err != nil {
			return nil, c.fail(err, "list the secrets of %s", ScopeName(s))
		}
		for _, sec := range body.Secrets {
			out = append(out, SecretInfo{Name: textsafe.Line(sec.Name), Updated: sec.UpdatedAt.Time, Visibility: textsafe.Line(sec.Visibility)})
		}
		if resp.NextPage == 0 || page > 10000 {
			return out, nil
		}
	}
}

// OpenAlert is an open secret-scanning alert, without its secret.
type OpenAlert struct {
	Repo       string // owner/name
	Number     int
	SecretType string
	// Validity is GitHub's last check of the secret: active, inactive or
	// unknown ("" when GitHub did not say).
	Validity string
	Created  time.Time
	HTMLURL  string
}

// alertJSON is the part of an alert the audit reads: the secret itself
// is left out, so it is never held.
type alertJSON struct {
	Number     int       `json:"number"`
	SecretType string    `json:"secret_type"`
	Validity   string    `json:"validity"`
	CreatedAt  time.Time `json:"created_at"`
	HTMLURL    string    `json:"html_url"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// OpenAlerts lists an organization's open secret-scanning alerts (all
// pages). validity is read by hand: go-github v60 does not know it.
func (c *Client) OpenAlerts(ctx context.Context, org string) ([]OpenAlert, error) {
	if err := netsafe.Segments("organization", org); err != nil {
		return nil, step.Permanent(err)
	}
	var out []OpenAlert
	for page := 1; ; page++ {
		req, err := c.gh.NewRequest(http.MethodGet, fmt.Sprintf("orgs/%s/secret-scanning/alerts?state=open&per_page=100&page=%d&hide_secret=true", url.PathEscape(org), page), nil)
		if err != nil {
			return nil, err
		}
		var list []alertJSON
		resp, err := c.gh.Do(ctx, req, &list)
		if err != nil {
			return nil, c.fail(err, "list the open secret-scanning alerts of %s", org)
		}
		for _, a := range list {
			out = append(out, OpenAlert{Repo: textsafe.Line(a.Repository.FullName), Number: a.Number, SecretType: textsafe.Line(a.SecretType),
				Validity: textsafe.Line(a.Validity), Created: a.CreatedAt, HTMLURL: textsafe.Line(a.HTMLURL)})
		}
		if resp.NextPage == 0 || page > 10000 {
			return out, nil
		}
	}
}
