package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/internal/textsafe"
)

// AlertState is a secret-scanning alert with the fields respond watch
// decides on, some of which go-github v60 does not know (validity,
// publicly_leaked): they are decoded here from GitHub's JSON.
type AlertState struct {
	Repo           string // OWNER/NAME
	Number         int
	State          string // open, resolved
	Resolution     string
	SecretType     string
	Validity       string // active, inactive, unknown ("" when GitHub did not say)
	PubliclyLeaked bool
	Created        time.Time
	Updated        time.Time
	HTMLURL        string
	// Secret is the leaked value (empty when the list hid it).
	Secret secret.Value
}

// Ref is the alert's OWNER/REPO#N.
func (a AlertState) Ref() string { return fmt.Sprintf("%s#%d", a.Repo, a.Number) }

// watchAlertJSON is an alert as GitHub sends it, with the fields go-github v60
// lacks.
type watchAlertJSON struct {
	Number         int               `json:"number"`
	State          string            `json:"state"`
	Resolution     *string           `json:"resolution"`
	SecretType     string            `json:"secret_type"`
	Secret         string            `json:"secret"`
	Validity       *string           `json:"validity"`
	PubliclyLeaked *bool             `json:"publicly_leaked"`
	CreatedAt      *github.Timestamp `json:"created_at"`
	UpdatedAt      *github.Timestamp `json:"updated_at"`
	HTMLURL        string            `json:"html_url"`
	Repository     *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

func (j watchAlertJSON) state(repo string) AlertState {
	if j.Repository != nil && j.Repository.FullName != "" {
		repo = j.Repository.FullName
	}
	a := AlertState{
		Repo: textsafe.Line(repo), Number: j.Number, State: textsafe.Line(j.State), SecretType: textsafe.Line(j.SecretType),
		HTMLURL: textsafe.Line(j.HTMLURL), Secret: secret.New(j.Secret),
	}
	if j.Resolution != nil {
		a.Resolution = textsafe.Line(*j.Resolution)
	}
	if j.Validity != nil {
		a.Validity = textsafe.Line(*j.Validity)
	}
	if j.PubliclyLeaked != nil {
		a.PubliclyLeaked = *j.PubliclyLeaked
	}
	if j.CreatedAt != nil {
		a.Created = j.CreatedAt.Time
	}
	if j.UpdatedAt != nil {
		a.Updated = j.UpdatedAt.Time
	}
	return a
}

// fullAlert is an alert with the fields go-github v60 lacks.
type fullAlert struct {
	github.SecretScanningAlert
	Validity       string `json:"validity"`
	PubliclyLeaked bool   `json:"publicly_leaked"`
}

// readFullAlert reads one alert as GitHub sends it, with the fields
// go-github v60 lacks.
func (c *Client) readFullAlert(ctx context.Context, owner, repo string, number int) (fullAlert, error) {
	p, err := alertPath(owner, repo, number)
	if err != nil {
		return fullAlert{}, err
	}
	var a fullAlert
	_, err = c.do(ctx, http.MethodGet, p, nil, &a)
	return a, err
}

// AlertState reads secret-scanning alert number of owner/repo afresh
// (watch decides on what it says now), with its secret and locations; the
// response that follows finds it in the client's cache (GetAlert), so
// deciding costs no request more than responding.
func (c *Client) AlertState(ctx context.Context, owner, repo string, number int) (AlertState, error) {
	if err := netsafe.Segments("owner", owner, "repository", repo); err != nil {
		return AlertState{}, step.Permanent(err)
	}
	c.forgetAlert(owner, repo, number)
	a, err := c.GetAlert(ctx, owner, repo, number)
	if err != nil {
		return AlertState{}, err
	}
	return AlertState{
		Repo: owner + "/" + repo, Number: a.Number, State: a.State, Resolution: a.Resolution, SecretType: a.SecretType,
		Validity: a.Validity, PubliclyLeaked: a.PubliclyLeaked, Created: a.Created, Updated: a.Updated, HTMLURL: a.HTMLURL, Secret: a.Secret,
	}, nil
}

// AlertPage is one page of an organization's alert list.
type AlertPage struct {
	Alerts []AlertState
	// ETag identifies this page's content; give it back to OpenAlertsPage to
	// be told NotModified (a 304, which GitHub does not count against the
	// primary rate limit).
	ETag        string
	NotModified bool
	// Next is the next page's number, 0 on the last page.
	Next int
}

// OpenAlertsPage lists one page (from 1) of the open secret-scanning alerts of
// org's repositories, most recently updated first, with their secrets. With
// etag set, an unchanged page is answered NotModified, with no alerts.
func (c *Client) OpenAlertsPage(ctx context.Context, org, etag string, page int) (AlertPage, error) {
	if err := netsafe.Segments("organization", org); err != nil {
		return AlertPage{}, step.Permanent(err)
	}
	if page < 1 {
		page = 1
	}
	q := url.Values{"state": {"open"}, "sort": {"updated"}, "direction": {"desc"}, "per_page": {"100"}, "page": {strconv.Itoa(page)}}
	req, err := c.gh.NewRequest(http.MethodGet, "orgs/"+url.PathEscape(org)+"/secret-scanning/alerts?"+q.Encode(), nil)
	if err != nil {
		return AlertPage{}, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	var list []watchAlertJSON
	resp, err := c.gh.Do(ctx, req, &list)
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotModified {
			return AlertPage{ETag: etag, NotModified: true}, nil
		}
		return AlertPage{}, c.fail(err, "list the open secret-scanning alerts of organization %s", org)
	}
	out := AlertPage{ETag: strings.TrimSpace(resp.Header.Get("ETag")), Next: resp.NextPage}
	for _, j := range list {
		out.Alerts = append(out.Alerts, j.state(""))
	}
	return out, nil
}
